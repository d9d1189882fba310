"""The sandbox's limits on one kernel: each declared once, here, with its default and what it bounds.

They are settings of ``SandboxedKernelManager`` (kernelmanager.py) in
nbgrader_config.py, e.g. ``c.SandboxedKernelManager.memory_mb = 2048``,
which it passes to the launcher as ``--name=value`` arguments after the
connection file: outside the kernel, which cannot raise them. The launcher
(sandbox.py) applies them: resource limits, cgroups, and the sizes of the
kernel's filesystems.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from traitlets import Int


@dataclass(frozen=True)
class Limit:
    name: str
    default: int
    help: str


LIMITS = (
    Limit("memory_mb", 3072, "Address space of a kernel, and its cgroup's memory (MiB)."),
    Limit("cpu_seconds", 600, "CPU time of a whole kernel (seconds): a notebook's bound."),
    Limit("processes", 64, "Processes and threads in a kernel's cgroup."),
    Limit("file_mb", 64, "The largest file a kernel may write (MiB)."),
    Limit("open_files", 256, "Open files of a kernel."),
    Limit("disk_mb", 256, "Size of a kernel's working folder, and of its /tmp: each a filesystem of its own (MiB)."),
)
DEFAULTS = {limit.name: limit.default for limit in LIMITS}


def traits() -> dict[str, "Int"]:
    """One configurable Int per limit, for SandboxedKernelManager's class body."""
    from traitlets import Int
    return {limit.name: Int(limit.default, help=limit.help).tag(config=True) for limit in LIMITS}


def arguments(values: object) -> list[str]:
    """The launcher's arguments for these limits' values (an object with one attribute per limit)."""
    return [f"--{name}={getattr(values, name)}" for name in DEFAULTS]


def parse(arguments: Iterable[str]) -> dict[str, int]:
    """The launcher's ``--name=value`` arguments over the defaults; ValueError for an unknown or bad one."""
    values = dict(DEFAULTS)
    for argument in arguments:
        name, _, value = argument.removeprefix("--").partition("=")
        if name not in values or not value.isdigit():
            raise ValueError(f"unknown limit {argument!r}; the limits are {', '.join(DEFAULTS)}")
        if int(value) < 1:  # 0 would mean "no limit" to some of them (a tmpfs of --size 0)
            raise ValueError(f"the limit {name} must be at least 1")
        values[name] = int(value)
    return values
