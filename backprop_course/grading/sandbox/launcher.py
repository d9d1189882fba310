"""The launcher: what runs between nbgrader and ipykernel, outside the sandbox, to start a kernel in it.

``python -m backprop_course.grading.sandbox launch CONNECTION_FILE [--LIMIT=N ...]``
(the kernelspec's command) sets the limits, joins the cgroups and ``exec``s bwrap.
"""
import functools
import json
import os
import resource
import shutil
import stat
import sys
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from . import LAUNCHER_MODULE, install_kernelspec, limits, missing_reason, opted_out, refusal, unavailable_reason

CGROUP_ROOT = Path("/sys/fs/cgroup")
# Where the sandbox sees the student's folder read-only, to copy it into its own working folder.
SUBMISSION_VIEW = "/run/submission"
SOCKET_FOLDER_BYTES = 2**20  # the kernel's IPC socket folder: sockets take no room
# sh -c SCRIPT sh COMMAND...: fill the working folder (the sandbox's cwd), then become COMMAND.
FILL_THEN_RUN = ["/bin/sh", "-c", f'cp -R {SUBMISSION_VIEW}/. . || exit 71; exec "$@"', "sh"]


def parse_limits(arguments: Iterable[str]) -> dict[str, int]:
    """The launcher's ``--name=value`` arguments (limits.parse); a bad one ends the launcher, saying why."""
    try:
        return limits.parse(arguments)
    except ValueError as wrong:
        sys.exit(f"backprop-sandbox: {wrong}")


def _read_only_roots():
    roots = {Path("/usr"), Path("/etc"), Path(sys.base_prefix).resolve(), Path(sys.prefix)}
    return sorted(str(root) for root in roots if root.exists())


@functools.cache
def _walk_private_system_files():
    private = []
    for folder, folders, files in os.walk("/etc"):
        for name in folders + files:
            path = os.path.join(folder, name)
            try:
                mode = os.lstat(path).st_mode
            except OSError:  # gone meanwhile
                continue
            if not stat.S_ISLNK(mode) and not mode & stat.S_IROTH:
                private.append((path, stat.S_ISDIR(mode)))
        folders[:] = [name for name in folders if (os.path.join(folder, name), True) not in private]
    return tuple(private)


def _private_system_files():
    """What in /etc other users may not read (shadow, private keys), as (path, is a folder).

    Walked once per process (it takes milliseconds, a warm kernel's start
    tens), and again when one of them has gone: bwrap cannot mount over it.
    """
    if not all(os.path.lexists(path) for path, _ in _walk_private_system_files()):
        _walk_private_system_files.cache_clear()
    return _walk_private_system_files()


def bwrap_command(workdir: str | Path, connection_file: str | Path, socket_dir: str | Path, kernel_argv: Sequence[str],
                  environment: Mapping[str, str], disk_mb: int) -> list[str]:
    """bwrap's command line around ``kernel_argv``, which starts in a copy of ``workdir`` (FILL_THEN_RUN)."""
    # No capability, even in the sandbox's own namespaces: run by root, bwrap
    # would otherwise keep them, and a kernel could remount a read-only
    # folder (the virtual environment) writable.
    # bwrap as the grader's PATH finds it (missing_reason's), not the kernel's.
    command = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--cap-drop", "ALL", "--die-with-parent",
               "--new-session", "--proc", "/proc", "--dev", "/dev", "--size", str(disk_mb * 2**20), "--tmpfs", "/tmp"]
    for root in _read_only_roots():
        command += ["--ro-bind", root, root]
    for path, folder in _private_system_files():  # unreadable files, empty folders
        command += ["--tmpfs", path, "--remount-ro", path] if folder else ["--ro-bind", "/dev/null", path]
    for link, target in (("/lib", "usr/lib"), ("/lib64", "usr/lib64"), ("/bin", "usr/bin"), ("/sbin", "usr/sbin")):
        if Path(link).is_symlink():
            command += ["--symlink", target, link]
        elif Path(link).exists():
            command += ["--ro-bind", link, link]
    # The kernel binds its IPC sockets in a small filesystem of its own, which
    # nbgrader reaches through /proc (sandboxed_path): nothing the kernel
    # writes there is on the grader's disk.
    command += ["--ro-bind", str(connection_file), str(connection_file),
                "--size", str(SOCKET_FOLDER_BYTES), "--tmpfs", str(socket_dir),
                "--ro-bind", str(workdir), SUBMISSION_VIEW,
                "--size", str(disk_mb * 2**20), "--tmpfs", str(workdir), "--chdir", str(workdir), "--clearenv"]
    for name, value in environment.items():
        command += ["--setenv", name, value]
    return command + FILL_THEN_RUN + list(kernel_argv)


def kernel_environment(grader_environment: Mapping[str, str]) -> dict[str, str]:
    """The whole environment of a sandboxed kernel: nothing else of the grader's reaches it."""
    environment = {
        "HOME": "/tmp", "PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
        "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": "/tmp/ipython", "PYTHONDONTWRITEBYTECODE": "1",
        # One BLAS thread: every student gets the same, and the process limit is not eaten by threads.
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        # Started by a Jupyter client, as jupyter_client says with this variable: without it ipykernel
        # prints its banner for a terminal user into every student's autograde log. 1 is the sandbox's
        # first process, which ipykernel does not poll.
        "JPY_PARENT_PID": "1",
    }
    if "NBGRADER_EXECUTION" in grader_environment:  # notebooks bound their training with it
        environment["NBGRADER_EXECUTION"] = grader_environment["NBGRADER_EXECUTION"]
    return environment


def set_resource_limits(limits: Mapping[str, int]) -> None:
    for kind, value in ((resource.RLIMIT_AS, limits["memory_mb"] * 2**20),
                        (resource.RLIMIT_CPU, limits["cpu_seconds"]),
                        (resource.RLIMIT_FSIZE, limits["file_mb"] * 2**20),
                        (resource.RLIMIT_NOFILE, limits["open_files"]), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(kind, (value, value))


def make_cgroups(limits: Mapping[str, int]) -> tuple[list[str], list[str]]:
    """Fresh pids and memory cgroups with the kernel's limits.

    Returns their ``cgroup.procs`` files and the controllers that could not
    be used. (RLIMIT_NPROC is no substitute: it does not bind root, and for
    other users it counts all their processes on the machine, not the
    kernel's.)
    """
    procs, missing = [], []
    name = f"backprop-sandbox/{uuid.uuid4().hex[:12]}"
    for controller, settings in (("pids", {"pids.max": limits["processes"]}),
                                 ("memory", {"memory.limit_in_bytes": limits["memory_mb"] * 2**20})):
        group = CGROUP_ROOT / controller / name
        try:
            _remove_empty_groups(group.parent)
            group.mkdir(parents=True)
            for setting, value in settings.items():
                (group / setting).write_text(str(value))
            procs.append(str(group / "cgroup.procs"))
        except OSError:
            missing.append(controller)
    return procs, missing


def join_cgroups(procs: Iterable[str]) -> list[str]:
    """Put this process (and so what it starts) in the cgroups; returns those it could not join."""
    missing = []
    for path in procs:
        try:
            Path(path).write_text(str(os.getpid()))
        except OSError:
            missing.append(Path(path).parent.parent.parent.name)
    return missing


def cgroup_warning(missing: Iterable[str]) -> str:
    return (f"WARNING: backprop-sandbox: cannot create a {' or '.join(missing)} cgroup here; "
            "the kernel's process count (or memory beyond its address-space limit) is unbounded.")


def _remove_empty_groups(parent):
    """Old kernels' cgroups: rmdir succeeds only on those with no process left."""
    if parent.is_dir():
        for old in parent.iterdir():
            if old.is_dir():
                try:
                    old.rmdir()
                except OSError:
                    pass


def launch(connection_file: str | Path, limit_arguments: Sequence[str] = ()) -> NoReturn:
    connection_file = Path(connection_file).resolve()
    limits = parse_limits(limit_arguments)
    kernel_argv = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file)]
    reason = missing_reason()
    if reason and not opted_out() and os.environ.get("NBGRADER_EXECUTION") == "autograde":
        # The last line of defence, for any way of autograding (formgrader's button too).
        sys.exit(f"backprop-sandbox: {refusal(reason)}")
    if reason or opted_out():  # opted out (warned once per run by the grader), or a validate run
        os.execv(sys.executable, kernel_argv)
    procs, missing = make_cgroups(limits)
    missing += join_cgroups(procs)
    if missing:
        print(cgroup_warning(missing), file=sys.stderr)
    set_resource_limits(limits)
    try:
        socket_dir = socket_folder(connection_file)
    except ValueError as wrong:
        sys.exit(f"backprop-sandbox: {wrong}")
    environment = kernel_environment(os.environ)
    command = bwrap_command(Path.cwd().resolve(), connection_file, socket_dir, kernel_argv, environment,
                            limits["disk_mb"])
    # bwrap is the sandbox's first process, and the kernel may read its
    # /proc/1/environ: it gets the kernel's environment, not the grader's.
    os.execvpe(command[0], command, environment)


def socket_folder(connection_file: str | Path) -> Path:
    """The folder of the kernel's IPC sockets, a filesystem of the sandbox's own."""
    info = json.loads(Path(connection_file).read_text())
    if info.get("transport") != "ipc":
        raise ValueError("the kernel has no network, so it needs IPC transport "
                         "(c.KernelManager.transport = 'ipc', set by sandbox.configure)")
    return Path(info["ip"]).parent


def sandboxed_path(sandbox_pid: int, path: str) -> str:
    """Where a path inside a running sandbox is, seen from outside it (any process of the sandbox will do)."""
    return f"/proc/{sandbox_pid}/root{path}"


def launch_request(command: list[str]) -> tuple[Path, dict[str, int]] | None:
    """(connection file, limits) if ``command`` is this launcher's, as the kernelspec and
    SandboxedKernelManager make it; else None."""
    if command[1:4] != ["-m", LAUNCHER_MODULE, "launch"] or len(command) < 5:
        return None
    return Path(command[4]).resolve(), parse_limits(command[5:])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["launch"] and len(argv) >= 2:
        launch(argv[1], argv[2:])
    elif argv[:1] == ["install"]:
        from .failclosed import install as install_fail_closed_config
        print(f"installed {install_kernelspec()} and {install_fail_closed_config()}")
    elif argv[:1] == ["check"]:
        reason = unavailable_reason()
        print(f"sandbox unavailable: {reason}" if reason else "sandbox available")
        sys.exit(1 if reason else 0)
    else:
        sys.exit("usage: python -m backprop_course.grading.sandbox "
                 "launch CONNECTION_FILE [--LIMIT=N ...] | install | check")

