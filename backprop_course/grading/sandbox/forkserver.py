"""The warm template of sandboxed kernels: it imports, forks, and never runs student code.

``warmkernels.Template`` starts this module as a process of its own per
grading process. It imports what every kernel needs (ipykernel, numpy,
pandas, matplotlib), then waits on its control socket. For each kernel the
grader first starts a bwrap sandbox that holds nothing but a placeholder
process (the same ``launcher.bwrap_command`` as a cold kernel's), then sends
the template that sandbox's namespaces as file descriptors. The template
forks a *go-between*, which

1. reads the kernel's request (its folder, connection file, limits and
   environment): the template itself never reads one, so it holds nothing
   of any student to pass on to the next;
2. joins fresh cgroups, sets the resource limits, and enters the sandbox's
   user, mount, network, IPC, UTS, cgroup and PID namespaces with setns:
   the same mounts, the same empty network, the same private /tmp as a cold
   kernel, built by bwrap;
3. forks the kernel, the first process of that PID namespace's after bwrap's
   own, and reports its pid.

The kernel drops every capability (bounding set included) and sets
no_new_privs, as bwrap does for a cold kernel, closes every descriptor but
its standard streams, takes its environment from the request and starts
ipykernel. Everything it changes (modules, files, processes) stays in its own
copy of memory and its own sandbox: the next kernel is forked from the
untouched template, into a new sandbox.
"""
import ctypes
import importlib
import importlib.util
import json
import os
import socket
import sys

from backprop_course.grading.sandbox import launcher

# The order matters: the user namespace first, for the rights to enter the
# others; the PID namespace last, since it applies to the next fork.
NAMESPACES = ("user", "mnt", "net", "ipc", "uts", "cgroup", "pid")
STREAMS = 3  # the kernel's standard input, output and error travel with the namespaces

_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAPABILITY_VERSION_3 = 0x20080522
_libc = ctypes.CDLL(None, use_errno=True)

# What the kernel takes from the template as a cold kernel would have it: its
# module path (set by main), what the imports set in the environment, argv[0].
_KERNEL_PATH = []
_SET_BY_IMPORTS = {}
_LAUNCHER = importlib.util.find_spec("ipykernel_launcher").origin


class _CapabilityHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapabilitySet(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


# What every kernel imports: ipykernel and what its start loads (the
# debugger, the completer, IPython's history database, tornado), and the
# libraries of the notebooks' imports cell. Not matplotlib's inline backend:
# importing it hooks figures into the running IPython shell, and the
# template has none (its plots would show as text only).
WARM_MODULES = ("ipykernel.ipkernel", "ipykernel.kernelapp", "ipykernel.debugger", "IPython.core.completer",
                "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.logger", "IPython.core.oinspect",
                "IPython.extensions.storemagic", "sqlite3", "tornado.gen", "tornado.locks",
                "tornado.platform.asyncio", "tornado.queues", "matplotlib.pyplot", "numpy", "pandas")


def warm_up() -> None:
    """Import what every kernel imports, in the kernel's own settings.

    The inline backend is chosen before matplotlib loads, as ipykernel
    does for a cold kernel before the student's first import.
    """
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    before = dict(os.environ)
    for name in WARM_MODULES:
        importlib.import_module(name)
    # What the imports set in the environment (the debugger sets one), a cold kernel's imports set too.
    _SET_BY_IMPORTS.update({name: value for name, value in os.environ.items() if before.get(name) != value})


def serve(control: socket.socket) -> None:
    """Fork a go-between per request, one at a time, until the grader closes the socket."""
    last_capability = int(open("/proc/sys/kernel/cap_last_cap").read())
    while True:
        try:
            message, descriptors, _, _ = socket.recv_fds(control, 16, len(NAMESPACES) + STREAMS)
        except ConnectionError:
            return
        if not message:
            return
        child = os.fork()
        if child == 0:
            _go_between(control, descriptors, last_capability)
        for descriptor in descriptors:
            os.close(descriptor)
        os.waitpid(child, 0)


def _go_between(control, descriptors, last_capability):
    stage = "request"
    try:
        request = json.loads(control.recv(1 << 16))
        missing_cgroups = launcher.join_cgroups(request["cgroups"])
        launcher.set_resource_limits(request["limits"])
        namespaces, streams = descriptors[:len(NAMESPACES)], descriptors[len(NAMESPACES):]
        stage = "setns"  # a failure here means this machine does not allow it: the grader stops trying
        for descriptor in namespaces:
            _check(_libc.setns(descriptor, 0), "setns")
            os.close(descriptor)
        stage = "fork"
        os.chdir(request["folder"])
        kernel = os.fork()
        if kernel == 0:
            _become_kernel(control, streams, request, last_capability)
        control.send(json.dumps({"pid": kernel, "missing_cgroups": missing_cgroups}).encode())
    except BaseException as failure:  # the grader falls back to a cold kernel
        try:
            control.send(json.dumps({"stage": stage, "error": f"{type(failure).__name__}: {failure}"}).encode())
        finally:
            os._exit(1)
    os._exit(0)


def _become_kernel(control, streams, request, last_capability):
    try:
        control.close()
        os.setsid()
        for target, source in enumerate(streams):
            os.dup2(source, target)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        _drop_privileges(last_capability)
        os.environ.clear()
        os.environ.update(request["environment"])
        os.environ.update(_SET_BY_IMPORTS)
        _forget_the_grader()
        import numpy
        numpy.random.seed()  # fresh entropy, as a cold kernel's import would draw
        from ipykernel.kernelapp import IPKernelApp
        sys.argv = [_LAUNCHER, "-f", request["connection_file"]]
        IPKernelApp.launch_instance(argv=sys.argv[1:])
    except BaseException:
        import traceback
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _drop_privileges(last_capability):
    """No capability now or after any exec, as bwrap leaves a cold kernel."""
    for capability in range(last_capability + 1):
        _check(_libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0), "dropping the bounding set")
    _check(_libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing ambient capabilities")
    header = _CapabilityHeader(_CAPABILITY_VERSION_3, 0)
    _check(_libc.capset(ctypes.byref(header), (_CapabilitySet * 2)()), "capset")
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _forget_the_grader():
    """The template's own modules and path: a cold kernel has neither."""
    for name in [name for name in sys.modules if name == "backprop_course" or name.startswith("backprop_course.")]:
        del sys.modules[name]
    sys.path[:] = _KERNEL_PATH


def main() -> None:
    # As ipykernel_launcher does: the folder python -m started in is not a kernel's.
    _KERNEL_PATH[:] = sys.path[1:]
    control = socket.socket(fileno=int(sys.argv[1]))
    warm_up()
    if len(os.listdir("/proc/self/task")) != 1:  # a fork keeps one thread: the others' locks would stay held
        control.send(b"a thread was started by the imports")
        return
    control.send(b"ready")
    serve(control)


if __name__ == "__main__":
    main()
