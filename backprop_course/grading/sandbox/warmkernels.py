"""Warm kernels: sandboxed kernels forked from a template that has already paid for the imports.

``WarmForkProvisioner`` is a jupyter_client kernel provisioner, named in the
sandbox's kernelspec (``install_kernelspec``), so every kernel that
nbgrader starts with it (autograde, validate, formgrader's button, the
parallel command) is warm. For each kernel it

1. starts the sandbox with bwrap exactly as a cold kernel's
   (``launcher.bwrap_command``: the same mounts, no network, private /tmp,
   its own PID namespace), around a placeholder process instead of Python;
2. asks this grading process's ``Template`` (forkserver.py) to fork a
   kernel into that sandbox's namespaces, with the same limits, cgroups and
   environment as a cold kernel, and no capabilities;
3. hands nbclient a ``ForkedKernel``, which kills the whole sandbox (every
   process left in it) when the kernel is shut down or found dead.

It falls back to the cold launcher (``launcher.launch``), and says so once per
process, when the sandbox is off, when this machine cannot enter a
sandbox's namespaces, or when the template has died; a dead template is
started again for the next kernel. Set ``c.WarmForkProvisioner.warm = False``
to start every kernel cold.
"""
import asyncio
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import psutil
from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool

from . import launcher, unavailable_reason
from .forkserver import NAMESPACES

TEMPLATE_START_SECONDS = 120  # the imports, on a slow shared machine
REPLY_SECONDS = 30            # a fork: milliseconds
LISTENING_SECONDS = 60        # a warm kernel binds its sockets in about 0.05 s, a cold one in seconds
PLACEHOLDER = ["/bin/sh", "-c", "echo ready; exec cat >/dev/null"]  # lives until its stdin closes
# sh -c SCRIPT sh N PROCS... COMMAND...: join N cgroups, then become COMMAND.
JOIN_THEN_RUN = ["/bin/sh", "-c", 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 70; shift; '
                 'n=$((n - 1)); done; exec "$@"', "sh"]
_PACKAGE_PARENT = Path(__file__).resolve().parents[3]


class TemplateFailed(RuntimeError):
    """No warm kernel this time: the kernel starts cold."""


class CannotEnter(TemplateFailed):
    """This machine does not let a fork enter a sandbox: every kernel starts cold."""


class TemplateStartFailed(TemplateFailed):
    """The template could not import what kernels need: every kernel starts cold."""


class Template:
    """The warm template process of this grading process, and its control socket."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # matplotlib's settings and font cache in a folder of its own: the
        # template runs outside the sandbox, where /tmp is everybody's.
        self.settings = tempfile.TemporaryDirectory(prefix="backprop-template-")
        # Started from the folder that holds this package, so it imports this
        # very code; the kernels' environment from the start, so that numpy
        # reads the same thread settings as in a cold kernel.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backprop_course.grading.sandbox.forkserver", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], cwd=_PACKAGE_PARENT, stdin=subprocess.DEVNULL,
            env={**launcher.kernel_environment({}), "MPLCONFIGDIR": self.settings.name,
                 "PYDEVD_DISABLE_FILE_VALIDATION": "1"})  # quiet debugpy import
        theirs.close()
        self.control = ours
        self.control.settimeout(TEMPLATE_START_SECONDS)
        try:
            ready = self.control.recv(16)
        except OSError as failure:
            self.close()
            raise TemplateStartFailed(f"the template did not start ({failure})") from failure
        if ready != b"ready":
            self.close()
            raise TemplateStartFailed(f"the template did not start: {ready.decode() or 'it exited'}")
        self.control.settimeout(REPLY_SECONDS)

    def fork(self, namespaces: Sequence[int], streams: Sequence[int], request: dict[str, Any]) -> dict[str, Any]:
        """Fork a kernel into the namespaces; returns the go-between's reply (the kernel's pid)."""
        try:
            socket.send_fds(self.control, [b"fork"], [*namespaces, *streams])
            self.control.send(json.dumps(request).encode())
            reply = self.control.recv(1 << 16)
        except OSError as failure:
            raise TemplateFailed(f"the template is gone ({failure})") from failure
        if not reply:
            raise TemplateFailed("the template is gone")
        reply = json.loads(reply)
        if reply.get("stage") == "setns":
            raise CannotEnter(f"a kernel could not enter its sandbox: {reply['error']}")
        if "error" in reply:
            raise TemplateFailed(f"a kernel could not be forked: {reply['error']}")
        return reply

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        self.control.close()
        self.process.kill()
        self.process.wait()
        self.settings.cleanup()


class ForkedKernel:
    """What nbclient holds of a warm kernel, in the shape of a ``subprocess.Popen``.

    The kernel is not this process's child: its sandbox is. A pidfd tells
    when the kernel has ended; then, and on any kill, the sandbox goes, and
    bwrap's PID namespace takes every process left in it along.
    """
    stdin = stdout = stderr = None

    def __init__(self, sandbox_process: subprocess.Popen[bytes], sandbox_pid: int, pid: int, stdin: int) -> None:
        self.sandbox, self.sandbox_pid = sandbox_process, sandbox_pid
        self.pid = pid
        self._stdin = stdin
        self.returncode = None
        self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None and (self.sandbox.poll() is not None or self._ended(0)):
            self.kill()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not self._ended(timeout):
                raise subprocess.TimeoutExpired("warm kernel", timeout)
            self.kill()
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if signum in (signal.SIGKILL, signal.SIGTERM):
            self.kill()
        elif self.returncode is None:
            signal.pidfd_send_signal(self._pidfd, signum)

    def kill(self) -> None:
        if self.returncode is not None:
            return
        self.sandbox.kill()
        self.sandbox.wait()
        self.sandbox.stdin.close()
        os.close(self._stdin)
        os.close(self._pidfd)
        self.returncode = -signal.SIGKILL

    terminate = kill

    def _ended(self, timeout):
        readable, _, _ = select.select([self._pidfd], [], [], timeout)
        return bool(readable)


def _start_sandbox(folder, connection_file, environment, cgroups, disk_mb):
    """bwrap around a placeholder: (the process, the pid of the sandbox's first process).

    bwrap starts inside the kernel's cgroups, as a cold kernel's does, so
    that its cgroup namespace shows the kernel nothing above them.
    """
    info_read, info_write = os.pipe()
    command = launcher.bwrap_command(folder, connection_file, launcher.socket_folder(connection_file), PLACEHOLDER,
                                    environment, disk_mb)
    command[1:1] = ["--info-fd", str(info_write)]
    # The kernel's environment, not the grader's: bwrap is the sandbox's first
    # process, and the kernel may read its /proc/1/environ.
    process = subprocess.Popen([*JOIN_THEN_RUN, str(len(cgroups)), *cgroups, *command], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, pass_fds=[info_write], env=environment)
    os.close(info_write)
    with os.fdopen(info_read, "rb") as info:
        text = info.read()  # bwrap closes it once written
    ready = process.stdout.readline()  # only once the sandbox is complete does its process run
    process.stdout.close()
    if ready != b"ready\n":
        process.kill()
        process.wait()
        raise OSError(f"bwrap could not build the sandbox (exit {process.returncode})")
    return process, json.loads(text)["child-pid"]


def _namespace_file(pid, kind):
    return f"/proc/{pid}/ns/{kind}"


class _Templates:
    """This process's one template, started when first needed, and what was said about it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.template = None
        self.broken = None  # why warm kernels cannot work on this machine
        self.said = set()

    def say_once(self, message: str) -> None:
        if message not in self.said:
            self.said.add(message)
            print(f"WARNING: backprop-sandbox: {message}", file=sys.stderr, flush=True)

    def start_kernel(self, connection_file: Path, limits: dict[str, int], folder: Path,
                     grader_environment: Mapping[str, str]) -> ForkedKernel:
        """A ForkedKernel; or TemplateFailed, said once, and then the kernel starts cold."""
        with self.lock:
            if self.broken:
                raise TemplateFailed(self.broken)
            if self.template is not None and not self.template.alive():
                self._discard()
                self.say_once("the warm template died; this kernel starts cold, and the next one starts a new "
                              "template.")
                raise TemplateFailed("the template died")
            try:
                if self.template is None:
                    self.template = Template()
                return self._fork(connection_file, limits, folder, grader_environment)
            except (CannotEnter, TemplateStartFailed) as failure:
                self.broken = str(failure)
                self.say_once(f"warm kernels are not available here ({failure}); every kernel starts cold.")
                self._discard()
                raise
            except (TemplateFailed, OSError) as failure:  # gone, or stuck: a new template for the next kernel
                self.say_once(f"a warm kernel could not be started ({failure}); it starts cold.")
                if isinstance(failure, TemplateFailed):
                    self._discard()
                raise TemplateFailed(str(failure)) from failure

    def _discard(self):
        if self.template is not None:
            self.template.close()
            self.template = None

    def _fork(self, connection_file, limits, folder, grader_environment):
        environment = {**launcher.kernel_environment(grader_environment), "PWD": str(folder)}  # as bwrap sets it
        cgroups, missing = launcher.make_cgroups(limits)
        sandbox_process, first_pid = _start_sandbox(folder, connection_file, environment, cgroups,
                                                     limits["disk_mb"])
        stdin_read, stdin_write = os.pipe()  # as a cold kernel's: a pipe nobody writes to
        namespaces = []
        try:
            try:
                for kind in NAMESPACES:
                    namespaces.append(os.open(_namespace_file(first_pid, kind), os.O_RDONLY))
                reply = self.template.fork(namespaces, [stdin_read, 1, 2], {
                    "folder": str(folder), "connection_file": str(connection_file), "limits": limits,
                    "cgroups": cgroups, "environment": environment})
            finally:
                for descriptor in [*namespaces, stdin_read]:
                    os.close(descriptor)
            kernel = ForkedKernel(sandbox_process, first_pid, reply["pid"], stdin_write)
        except BaseException:
            os.close(stdin_write)
            sandbox_process.kill()
            sandbox_process.wait()
            raise
        missing += reply["missing_cgroups"]
        if missing:
            self.say_once(launcher.cgroup_warning(missing).removeprefix("WARNING: backprop-sandbox: "))
        return kernel


TEMPLATES = _Templates()


class WarmForkProvisioner(LocalProvisioner):
    """The sandbox's kernels, forked from a warm template; cold ones where that cannot be."""

    warm = Bool(True, help="Fork kernels from a warm template; False starts every kernel cold.").tag(config=True)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        request = launcher.launch_request(cmd)
        if request is None or self.connection_info.get("transport") != "ipc":
            return await super().launch_kernel(cmd, **kwargs)
        self.process = None
        if self.warm and not unavailable_reason():
            connection_file, limits = request
            folder = Path(kwargs.get("cwd") or os.getcwd()).resolve()
            try:
                self.process = TEMPLATES.start_kernel(connection_file, limits, folder, kwargs.get("env") or os.environ)
                self.pid, self.pgid, self.cwd = self.process.pid, None, folder
            except TemplateFailed:  # said once by TEMPLATES
                pass
        if self.process is None:
            await super().launch_kernel(cmd, **kwargs)  # the cold launcher: it refuses, warns or explains
        return await self._listening()

    def _sandbox_pid(self):
        """A process of the kernel's sandbox, once there is one: a warm kernel's is known; a cold
        kernel's launcher becomes bwrap, whose child is the sandbox's first process."""
        if isinstance(self.process, ForkedKernel):
            return self.process.sandbox_pid
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.Error:
            return None
        return children[0].pid if children else None

    async def _listening(self):
        """The connection info as nbgrader reaches the kernel, once its sockets exist (or it has died).

        Waiting lets the client connect at once, instead of at zmq's next reconnect, 100 ms later.
        A kernel that the launcher ran unconfined (opted out, or a validate run without bwrap)
        has its sockets where the connection file says.
        """
        info = self.connection_info
        names = [f"{info['ip']}-{info[port]}" for port in
                 ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")]
        deadline, pid = time.monotonic() + LISTENING_SECONDS, None
        while time.monotonic() < deadline and self.process.poll() is None:
            pid = pid or self._sandbox_pid()  # found once: psutil reads the whole process table to find it
            if pid and all(os.path.exists(launcher.sandboxed_path(pid, name)) for name in names):
                return {**info, "ip": launcher.sandboxed_path(pid, info["ip"])}
            if all(os.path.exists(name) for name in names):
                return info
            await asyncio.sleep(0.002)
        return info
