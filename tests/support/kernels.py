"""Kernels of the sandbox's kernelspec, started as nbgrader starts them, for tests that look inside."""
import asyncio
import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import psutil
from traitlets.config import Config

from backprop_course.grading.sandbox.kernelmanager import SandboxedKernelManager
from backprop_course.grading.sandbox import KERNEL_NAME


@functools.cache
def _socket_folder():
    sockets = Path(tempfile.mkdtemp(prefix=f"backprop-ipc-{os.getpid()}-"))
    atexit.register(shutil.rmtree, sockets, ignore_errors=True)
    return sockets


def kernel_config(warm=True, **limits):
    config = Config()
    sockets = _socket_folder()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(sockets / "kernel")
    config.WarmForkProvisioner.warm = warm
    for name, value in limits.items():
        setattr(config.SandboxedKernelManager, name, value)
    return config


async def _run(cells, folder, config):
    manager = SandboxedKernelManager(kernel_name=KERNEL_NAME, config=config)
    await manager.start_kernel(cwd=str(folder))
    client = manager.client()
    client.start_channels()
    outputs = []

    def keep(message):
        content = message["content"]
        if message["msg_type"] == "stream":
            outputs.append(content["text"])
        elif message["msg_type"] in ("display_data", "execute_result"):
            outputs.append(f"DISPLAYED {' '.join(sorted(content['data']))}\n")
        elif message["msg_type"] == "error":
            outputs.append(f"{content['ename']}: {content['evalue']}\n")
    try:
        await client.wait_for_ready(timeout=60)
        for cell in cells:
            await client.execute_interactive(cell, timeout=60, output_hook=keep)
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)
    return "".join(outputs), type(manager.provisioner).__name__


async def _unread(cell, folder, config, seconds):
    manager = SandboxedKernelManager(kernel_name=KERNEL_NAME, config=config)
    await manager.start_kernel(cwd=str(folder))
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        before = psutil.Process().memory_info().rss
        client.execute(cell)
        await asyncio.sleep(seconds)  # nothing reads IOPub meanwhile
        return psutil.Process().memory_info().rss - before
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)


def memory_grown_while_unread(cell, folder, seconds=8):
    """How much this process grows while a sandboxed kernel runs ``cell`` and nobody reads what it publishes."""
    return asyncio.run(_unread(cell, folder, kernel_config(), seconds))


def run_in_kernel(cells, folder, warm=True, **limits):
    """Run ``cells`` (code strings) in one sandboxed kernel started in ``folder``; returns its printed text,
    with a line "DISPLAYED <mime types>" per display."""
    text, _ = asyncio.run(_run([cells] if isinstance(cells, str) else cells, folder, kernel_config(warm, **limits)))
    return text
