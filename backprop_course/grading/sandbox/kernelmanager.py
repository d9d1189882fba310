"""nbgrader's kernel manager for the sandbox: its settings are the sandbox's limits (limits.py).

``sandbox.configure`` makes this nbgrader's ``Execute.kernel_manager_class``, so
every kernel that nbgrader starts (autograde, formgrader's button, the
parallel command, validate) gets the limits that nbgrader_config.py sets.
Each kernel also gets an IPC socket folder name of its own, and a client
that is ready as soon as the kernel is and holds few of its unread messages
(``ReadyClient``).
"""
import shutil
import tempfile
import time
from pathlib import Path
from queue import Empty

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, default
from traitlets.utils.importstring import import_item

from . import KERNEL_NAME, limits


class ReadyClient(AsyncKernelClient):
    """nbclient's kernel client, ready as soon as the kernel is.

    jupyter_client's own ``wait_for_ready`` ends by waiting for 0.2 s of
    silence on IOPub, whatever the kernel does: a fifth of a warm kernel's
    whole grading. This one waits instead for the kernel's "idle" that
    follows its kernel_info reply: after it, IOPub is connected and holds
    nothing more from start-up. It asks again, as jupyter_client does, while
    IOPub is not connected yet.
    """

    # What the grader holds of a kernel's unread IOPub messages: a few, each
    # at most a little above the largest output BoundedExecute keeps. A
    # kernel that publishes faster than it is read waits, or loses its
    # newest messages, in its own memory and not in the grader's. A larger
    # message drops the connection, which zmq opens again at once.
    iopub_queue = 16
    iopub_message_bytes = 8 * 2**20

    def connect_iopub(self, identity: bytes | None = None) -> zmq.Socket:
        socket = self.context.socket(zmq.SUB)
        socket.linger = 1000
        socket.rcvhwm, socket.maxmsgsize = self.iopub_queue, self.iopub_message_bytes  # before connect, to apply
        socket.connect(self._make_url("iopub"))
        socket.setsockopt(zmq.SUBSCRIBE, b"")
        return socket

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if (reply and reply["msg_type"] == "kernel_info_reply"
                    and reply["parent_header"].get("msg_id") == request and await self._idle_after(request)):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _idle_after(self, request):
        while True:
            try:
                message = await self.iopub_channel.get_msg(timeout=0.2)
            except Empty:
                return False
            if (message["msg_type"] == "status" and message["content"].get("execution_state") == "idle"
                    and message["parent_header"].get("msg_id") == request):
                return True


class SandboxedKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, handing the sandbox's limits to its launcher."""

    client_class = DottedObjectName("backprop_course.grading.sandbox.kernelmanager.ReadyClient").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._socket_folder = None
        if self.transport == "ipc" and Path(self.ip).parent.is_dir():
            # A socket folder name of its own, which the sandbox mounts a
            # filesystem of its own at: nothing that one kernel leaves there
            # reaches the next. The sockets of an unconfined kernel are in it.
            self._socket_folder = tempfile.mkdtemp(prefix="kernel-", dir=Path(self.ip).parent)
            self.ip = str(Path(self._socket_folder) / "kernel")

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart)
        if self._socket_folder and not restart:
            shutil.rmtree(self._socket_folder, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources  # AsyncKernelManager's names its own

    @default("client_factory")
    def _client_factory_default(self):  # AsyncKernelManager's ignores client_class
        return import_item(self.client_class)

    vars().update(limits.traits())  # one setting per sandbox limit, each declared in limits.py

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        if self.kernel_name == KERNEL_NAME:
            command += limits.arguments(self)
        return command
