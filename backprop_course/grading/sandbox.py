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
import functools
import json
import os
import resource
import shutil
import stat
import sys
import tempfile
import uuid
from pathlib import Path

from . import limits

KERNEL_NAME = "backprop-sandbox"
LAUNCHER_MODULE = "backprop_course.grading.sandbox"  # the kernelspec runs `python -m` this
PROVISIONER_NAME = "backprop-warm-fork"  # warmkernels.WarmForkProvisioner's entry point (pyproject.toml)
DEFAULT_LIMITS = limits.DEFAULTS  # each declared, with its help, in limits.py
CGROUP_ROOT = Path("/sys/fs/cgroup")
DISABLE_VARIABLE = "BACKPROP_SANDBOX"  # set to "off" to run kernels unconfined (loudly)
# Where the sandbox sees the student's folder read-only, to copy it into its own working folder.
SUBMISSION_VIEW = "/run/submission"
SOCKET_FOLDER_BYTES = 2**20  # the kernel's IPC socket folder: sockets take no room
# sh -c SCRIPT sh COMMAND...: fill the working folder (the sandbox's cwd), then become COMMAND.
FILL_THEN_RUN = ["/bin/sh", "-c", f'cp -R {SUBMISSION_VIEW}/. . || exit 71; exec "$@"', "sh"]


def parse_limits(arguments):
    """The launcher's ``--name=value`` arguments (limits.parse); a bad one ends the launcher, saying why."""
    try:
        return limits.parse(arguments)
    except ValueError as wrong:
        sys.exit(f"backprop-sandbox: {wrong}")


def opted_out():
    return os.environ.get(DISABLE_VARIABLE, "").lower() == "off"


def missing_reason():
    """Why the sandbox cannot run on this machine, or None if it can (the opt-out aside)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    if not (kernelspec_dir() / "kernel.json").exists():
        return "its kernelspec is not installed (run `make setup`)"
    return None


def unavailable_reason():
    """Why kernels will not be sandboxed here, or None if they will."""
    return f"{DISABLE_VARIABLE}=off is set" if opted_out() else missing_reason()


class SandboxUnavailable(RuntimeError):
    """Autograding refused: student code would run without the sandbox."""


def refusal(reason):
    return (f"Refusing to autograde: student code would run without the sandbox, because {reason}. "
            "Install it with `sudo apt-get install bubblewrap` (or run `make setup`, which installs it where it "
            f"can). To grade unconfined anyway, set {DISABLE_VARIABLE}=off: then nothing protects the grades, "
            "the course files or this machine from a student's code.")


UNCONFINED_WARNING = (f"WARNING: {DISABLE_VARIABLE}=off: student kernels run UNCONFINED. A submission can read "
                      "the course folder, the probe secret and the reference solutions, and reach the network: "
                      "nothing protects the grades.")
_warned = False


def check_before_autograding(stream=sys.stderr):
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


def bwrap_command(workdir, connection_file, socket_dir, kernel_argv, environment, disk_mb):
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


def kernel_environment(grader_environment):
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


def set_resource_limits(limits):
    for kind, value in ((resource.RLIMIT_AS, limits["memory_mb"] * 2**20),
                        (resource.RLIMIT_CPU, limits["cpu_seconds"]),
                        (resource.RLIMIT_FSIZE, limits["file_mb"] * 2**20),
                        (resource.RLIMIT_NOFILE, limits["open_files"]), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(kind, (value, value))


def make_cgroups(limits):
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


def join_cgroups(procs):
    """Put this process (and so what it starts) in the cgroups; returns those it could not join."""
    missing = []
    for path in procs:
        try:
            Path(path).write_text(str(os.getpid()))
        except OSError:
            missing.append(Path(path).parent.parent.parent.name)
    return missing


def cgroup_warning(missing):
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


def launch(connection_file, limit_arguments=()):
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


def socket_folder(connection_file):
    """The folder of the kernel's IPC sockets, a filesystem of the sandbox's own."""
    info = json.loads(Path(connection_file).read_text())
    if info.get("transport") != "ipc":
        raise ValueError("the kernel has no network, so it needs IPC transport "
                         "(c.KernelManager.transport = 'ipc', set by sandbox.configure)")
    return Path(info["ip"]).parent


def sandboxed_path(sandbox_pid, path):
    """Where a path inside a running sandbox is, seen from outside it (any process of the sandbox will do)."""
    return f"/proc/{sandbox_pid}/root{path}"


def launch_request(command):
    """(connection file, limits) if ``command`` is this launcher's, as the kernelspec and
    SandboxedKernelManager make it; else None."""
    if command[1:4] != ["-m", LAUNCHER_MODULE, "launch"] or len(command) < 5:
        return None
    return Path(command[4]).resolve(), parse_limits(command[5:])


def kernelspec_dir(prefix=sys.prefix):
    return Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME


def install_kernelspec(prefix=sys.prefix):
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


def configure(c):
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
    c.Execute.kernel_manager_class = "backprop_course.grading.kernelmanager.SandboxedKernelManager"
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


def main(argv=None):
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


if __name__ == "__main__":
    main()
