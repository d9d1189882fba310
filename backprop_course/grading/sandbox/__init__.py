"""Sandboxed Jupyter kernels for autograding, with bubblewrap.

nbgrader starts the kernel named ``backprop-sandbox`` (set in
nbgrader_config.py), whose launcher is ``python -m backprop_course.grading.sandbox
launch CONNECTION_FILE``. The launcher runs outside the sandbox: it sets the
resource limits, puts itself in a pids/memory cgroup when it can, and then
``exec``s bwrap, which starts ipykernel with

- a read-only view of the system (/usr, /etc, where what only its owner
  or group may read is hidden: graded by root, a kernel could read
  /etc/shadow), the Python installation and the virtual environment, and
  nothing else of the machine: not the course
  root, source/, the gradebook, other students' folders, nor the course
  package (so its reference code cannot be imported);
- a working folder at the path of the student's autograded copy, which is
  a filesystem of its own (a tmpfs of ``disk_mb``, filled with a copy of
  that folder when the sandbox starts), and a private /tmp of the same
  size: a full quota is this kernel's "No space left on device", and
  nothing it writes reaches the grader's disk or outlives it (nbgrader
  needs nothing back from the folder: it writes the notebook it holds in
  memory);
- its IPC sockets in a filesystem of its own (1 MB, at the path of the
  folder of its connection file's ``ip``), which nbgrader reaches through
  ``/proc/PID/root`` (``sandboxed_path``; the provisioner in warmkernels.py
  hands nbclient that path);
- no network (a new, empty network namespace: that is why the kernel talks
  to nbgrader over IPC sockets instead of TCP), its own process namespace,
  and a private /tmp;
- limits on address space, CPU time, file size, open files and (with a
  cgroup) processes and memory, so a memory or fork bomb fails inside that
  kernel and never takes down the grader.

The limits are settings of ``SandboxedKernelManager`` (kernelmanager.py), set in
nbgrader_config.py; limits.py declares each, with its default.

Grading fails closed. Where the sandbox cannot run (no bwrap, or no
kernelspec), ``nbgrader autograde`` with the course config, the parallel
command and the launcher itself refuse to run a student's kernel, saying
what to install, unless the instructor opts out out loud with
``BACKPROP_SANDBOX=off``; then grading runs unconfined and says so once per
run. ``nbgrader validate`` is not affected.
"""
import atexit
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from traitlets.config import Config

KERNEL_NAME = "backprop-sandbox"
LAUNCHER_MODULE = "backprop_course.grading.sandbox"  # the kernelspec runs `python -m` this (launcher.py)
PROVISIONER_NAME = "backprop-warm-fork"  # warmkernels.WarmForkProvisioner's entry point (pyproject.toml)
DISABLE_VARIABLE = "BACKPROP_SANDBOX"  # set to "off" to run kernels unconfined (loudly)


def opted_out() -> bool:
    return os.environ.get(DISABLE_VARIABLE, "").lower() == "off"


def missing_reason() -> str | None:
    """Why the sandbox cannot run on this machine, or None if it can (the opt-out aside)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    if not (kernelspec_dir() / "kernel.json").exists():
        return "its kernelspec is not installed (run `make setup`)"
    return None


def unavailable_reason() -> str | None:
    """Why kernels will not be sandboxed here, or None if they will."""
    return f"{DISABLE_VARIABLE}=off is set" if opted_out() else missing_reason()


class SandboxUnavailable(RuntimeError):
    """Autograding refused: student code would run without the sandbox."""


def refusal(reason: str) -> str:
    return (f"Refusing to autograde: student code would run without the sandbox, because {reason}. "
            "Install it with `sudo apt-get install bubblewrap` (or run `make setup`, which installs it where it "
            f"can). To grade unconfined anyway, set {DISABLE_VARIABLE}=off: then nothing protects the grades, "
            "the course files or this machine from a student's code.")


UNCONFINED_WARNING = (f"WARNING: {DISABLE_VARIABLE}=off: student kernels run UNCONFINED. A submission can read "
                      "the course folder, the probe secret and the reference solutions, and reach the network: "
                      "nothing protects the grades.")
_warned = False


def check_before_autograding(stream: TextIO = sys.stderr) -> None:
    """Raise SandboxUnavailable unless kernels will be sandboxed or the opt-out is set.

    With the opt-out, print the warning, once per process.
    """
    global _warned
    if opted_out():
        if not _warned:
            print(UNCONFINED_WARNING, file=stream)
            _warned = True
        return
    reason = missing_reason()
    if reason:
        raise SandboxUnavailable(refusal(reason))


def kernelspec_dir(prefix: str | Path = sys.prefix) -> Path:
    return Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME


def install_kernelspec(prefix: str | Path = sys.prefix) -> Path:
    folder = kernelspec_dir(prefix)
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", LAUNCHER_MODULE, "launch", "{connection_file}"],
            "display_name": "Python 3 (backprop autograding sandbox)", "language": "python",
            # bwrap does not pass SIGINT on to the kernel, so interrupts
            # (nbgrader's cell timeout) go as a message on the control channel.
            "interrupt_mode": "message",
            # Kernels forked from a warm template, in the same sandbox (warmkernels.py).
            "metadata": {"debugger": False, "kernel_provisioner": {"provisioner_name": PROVISIONER_NAME}}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return folder


def _autograde_app_running():
    """Whether this config is being loaded by `nbgrader autograde` (not validate, feedback, formgrader...)."""
    from traitlets.config import Application
    if not Application.initialized():
        return False
    from nbgrader.apps import AutogradeApp
    app = Application.instance()
    return isinstance(app, AutogradeApp) or isinstance(getattr(app, "subapp", None), AutogradeApp)


def configure(c: "Config") -> bool:
    """Called from nbgrader_config.py: every kernel nbgrader starts is the sandbox's.

    ``nbgrader autograde`` stops here with a clear message where the sandbox
    cannot run, unless opted out (then it warns once). Other commands, such
    as ``nbgrader validate``, run their kernels unconfined there.
    """
    if _autograde_app_running():
        try:
            check_before_autograding()
        except SandboxUnavailable as refused:
            print(f"ERROR: {refused}", file=sys.stderr)
            sys.exit(1)
    if not (opted_out() and not (kernelspec_dir() / "kernel.json").exists()):
        # Without its kernelspec every kernel fails to start: closed, not unconfined.
        c.Execute.kernel_name = KERNEL_NAME
    # Its settings are the limits, which it hands to the launcher.
    c.Execute.kernel_manager_class = "backprop_course.grading.sandbox.kernelmanager.SandboxedKernelManager"
    # The sandbox has no network, so the kernel and nbgrader talk over IPC
    # sockets. Their default path is relative to each process's working
    # folder, which differ; so give an absolute one, private to this nbgrader
    # process (each kernel binds its sockets in a filesystem of its own sandbox at this path).
    socket_dir = Path(tempfile.gettempdir()) / f"backprop-ipc-{os.getpid()}"
    if not socket_dir.exists():
        socket_dir.mkdir(mode=0o700)
        atexit.register(shutil.rmtree, socket_dir, True)  # each kernel's own folder in it goes with the kernel
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = str(socket_dir / "kernel")
    from .studentfiles import guard
    guard()  # nbgrader copies a student's regular files only
    return unavailable_reason() is None
