"""The sandbox's limits as nbgrader settings: the kernel manager that nbgrader's Execute uses.

``sandbox.configure`` makes this nbgrader's ``Execute.kernel_manager_class``, so
every kernel that nbgrader starts (autograde, formgrader's button, the
parallel command, validate) gets these settings from ``nbgrader_config.py``::

    c.SandboxedKernelManager.memory_mb = 2048

They reach the launcher as arguments after its connection file. The launcher
(``sandbox.launch``) applies them outside the sandbox, before bwrap starts,
so nothing in the kernel can raise them.
"""
from jupyter_client.manager import AsyncKernelManager
from traitlets import Int

from .sandbox import DEFAULT_LIMITS, KERNEL_NAME


class SandboxedKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, handing the sandbox's limits to its launcher."""

    memory_mb = Int(DEFAULT_LIMITS["memory_mb"], help="Address space of a kernel, and its cgroup's memory (MiB)."
                    ).tag(config=True)
    cpu_seconds = Int(DEFAULT_LIMITS["cpu_seconds"], help="CPU time of a whole kernel (seconds).").tag(config=True)
    processes = Int(DEFAULT_LIMITS["processes"], help="Processes and threads in a kernel's cgroup.").tag(config=True)
    file_mb = Int(DEFAULT_LIMITS["file_mb"], help="The largest file a kernel may write (MiB).").tag(config=True)
    open_files = Int(DEFAULT_LIMITS["open_files"], help="Open files of a kernel.").tag(config=True)

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        if self.kernel_name == KERNEL_NAME:
            command += [f"--{name}={getattr(self, name)}" for name in DEFAULT_LIMITS]
        return command
