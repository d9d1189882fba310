"""Warm kernels: forked from a template, confined exactly as cold ones, and leaving nothing behind.

The whole suite grades on warm kernels (the kernelspec's provisioner); these
tests compare them with cold ones, attack what forking adds (the template,
state carried from one kernel to the next), and kill the template mid-class.
"""
import json
import os
import signal
from pathlib import Path

import pytest

from backprop_course.course import Course, lost_cells
from backprop_course.demo import example_class
from backprop_course.grading.sandbox import warmkernels
from backprop_course.grading.sandbox import unavailable_reason
from backprop_course.parallel.runner import grade_student
from support.gradebooks import gradebook_snapshot
from support.kernels import run_in_kernel
from support.submissions import FIXTURES_DIR

pytestmark = pytest.mark.skipif(unavailable_reason() is not None,
                                reason=f"the sandbox is unavailable ({unavailable_reason()})")

FACTS = r"""
import json, os, re, socket, sys
def status():
    keys = ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp")
    return {key: value.split() for key, _, value in (line.partition(":") for line in open("/proc/self/status"))
            if key in keys}
def descriptors():
    kinds = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            kinds.append(re.sub(r"\[\d+\]", "[]", os.readlink(f"/proc/self/fd/{fd}")))
        except OSError:
            pass
    # Which kinds, not how many: counts and scratch files come and go with the kernel's threads (history's
    # SQLite opens its folder for a moment to sync it: one fresh-clone run caught it open).
    return sorted({kind for kind in kinds if not kind.endswith(("-journal", "(deleted)")) and not os.path.isdir(kind)})
print("FACTS", json.dumps({
    "status": status(), "limits": open("/proc/self/limits").read().splitlines(),
    "mounts": sorted(re.sub(r"(kernel-|tmp)\w+", "X", " ".join(line.split()[4:6]))
                     for line in open("/proc/self/mountinfo")),
    "network": sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]),
    "environment": dict(os.environ), "cwd": os.getcwd(), "argv": sys.argv[0], "path": sys.path,
    "hostname": socket.gethostname(), "uid": os.getuid(), "umask": os.umask(0o22), "main": __name__,
    "cgroups": sorted(re.sub(r"[0-9a-f]{12}", "ID", line.strip()) for line in open("/proc/self/cgroup")),
    "descriptors": descriptors()}))
"""
PREIMPORTED = "import json, sys; print('PREIMPORTED', json.dumps('pandas' in sys.modules))"


def printed(text, tag):
    return json.loads(next(line for line in text.splitlines() if line.startswith(tag + " ")).split(" ", 1)[1])


def test_a_warm_kernel_is_confined_exactly_as_a_cold_one(tmp_path):
    cold = run_in_kernel([FACTS, PREIMPORTED], tmp_path, warm=False)
    warm = run_in_kernel([FACTS, PREIMPORTED], tmp_path, warm=True)
    assert printed(warm, "PREIMPORTED") is True and printed(cold, "PREIMPORTED") is False
    cold_facts, warm_facts = printed(cold, "FACTS"), printed(warm, "FACTS")
    assert warm_facts == cold_facts
    # What the cold sandbox gives, stated once: no capability, and nothing of the machine writable.
    assert set(cold_facts["status"]["CapEff"] + cold_facts["status"]["CapBnd"]) == {"0000000000000000"}
    assert cold_facts["network"] == ["lo"]


ENVIRONMENTS = r"""
import json, os
environments = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        environments[pid] = open(f"/proc/{pid}/environ", "rb").read().decode()
    except OSError:
        pass
print("ENVIRONMENTS", json.dumps(environments))
"""


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_no_process_of_a_sandbox_holds_the_graders_environment(tmp_path, monkeypatch, warm):
    """bwrap is the sandbox's first process: its environment is readable at /proc/1/environ."""
    monkeypatch.setenv("GRADER_ONLY_TOKEN", "grader-side-secret")
    environments = printed(run_in_kernel(ENVIRONMENTS, tmp_path, warm=warm), "ENVIRONMENTS")
    assert "HOME=/tmp" in environments["1"]  # readable: the kernel does see bwrap's environment
    assert [pid for pid, text in environments.items() if "grader-side-secret" in text] == []


PRIVATE_FILES = r"""
import json, os
def contents(path):
    try:
        return sorted(os.listdir(path)) if os.path.isdir(path) else open(path, "rb").read().decode(errors="replace")
    except OSError as refused:
        return refused.strerror
print("PRIVATE", json.dumps({path: contents(path) for path in PATHS}))
"""


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_what_other_users_may_not_read_in_etc_is_empty_in_a_sandbox(tmp_path, warm):
    """Graded by root, a kernel has root's file permissions, without capabilities: /etc/shadow was readable."""
    private = []
    for folder, folders, files in os.walk("/etc"):  # what is inside a private folder is out of view with it
        private += [path for path in (os.path.join(folder, name) for name in folders + files)
                    if not os.path.islink(path) and not os.lstat(path).st_mode & 0o004]
        folders[:] = [name for name in folders if os.path.join(folder, name) not in private]
    assert "/etc/shadow" in private
    seen = printed(run_in_kernel(PRIVATE_FILES.replace("PATHS", json.dumps(private)), tmp_path, warm=warm), "PRIVATE")
    assert {path: text for path, text in seen.items() if text not in ("", [], "Permission denied")} == {}


def test_a_warm_kernel_draws_plots_as_a_cold_one_does(tmp_path):
    """The template once imported matplotlib's inline backend with no shell to hook into: plots were text."""
    plot = "import matplotlib.pyplot as plt\nfigure, axes = plt.subplots()\naxes.plot([1, 2])\nplt.show()"
    displayed = {warm: [line for line in run_in_kernel(plot, tmp_path, warm=warm).splitlines()
                        if line.startswith("DISPLAYED")] for warm in (False, True)}
    assert displayed[True] == displayed[False] == ["DISPLAYED image/png text/plain"]


ATTACK = r"""
import builtins, json, os, subprocess, sys, numpy
from ipykernel.connect import get_connection_file
print("FIRST-RANDOM", numpy.random.rand())
planted = []
for folder in [os.getcwd(), "/tmp", os.path.expanduser("~"), os.path.dirname(get_connection_file()), "/dev/shm",
               "/var/tmp", "/dev"]:
    try:
        open(os.path.join(folder, "planted-by-a"), "w").close()
        planted.append(folder)
    except OSError:
        pass
numpy.sum = lambda *args, **kwargs: 0
numpy.random.seed(0)
os.environ["PLANTED"] = "1"
sys.modules["planted"] = sys
builtins.planted = True
subprocess.Popen(["sleep", "4242.5"], start_new_session=True)
if os.fork() == 0:  # a daemon, that keeps planting
    os.setsid()
    if os.fork() == 0:
        import time
        while True:
            for folder in planted:
                try:
                    open(os.path.join(folder, "daemon-was-here"), "w").close()
                except OSError:
                    pass
            time.sleep(0.005)
    os._exit(0)
print("PLANTED", json.dumps(planted))
"""
WITNESS = r"""
import builtins, json, os, sys, numpy
from ipykernel.connect import get_connection_file
print("FIRST-RANDOM", numpy.random.rand())
folders = [os.getcwd(), "/tmp", os.path.expanduser("~"), os.path.dirname(get_connection_file()), "/dev/shm",
           "/var/tmp", "/dev"]
processes = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        processes[int(pid)] = open(f"/proc/{pid}/cmdline", "rb").read().replace(bytes(1), b" ").decode()
    except OSError:
        pass
print("WITNESS", json.dumps({
    "files": [os.path.join(folder, name) for folder in folders for name in ("planted-by-a", "daemon-was-here")
              if os.path.exists(os.path.join(folder, name))],
    "sum": float(numpy.sum(numpy.ones(3))), "environment": "PLANTED" in os.environ,
    "module": "planted" in sys.modules, "builtin": hasattr(builtins, "planted"),
    "seeded_as_a": bool(numpy.array_equal(numpy.random.get_state()[1], numpy.random.RandomState(0).get_state()[1])),
    "processes": processes, "self": os.getpid()}))
"""


def host_processes_with(marker):
    found = []
    for pid in os.listdir("/proc"):
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found


def test_nothing_one_kernel_does_reaches_the_next(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    attack = run_in_kernel(ATTACK, first)
    planted = printed(attack, "PLANTED")
    assert "/tmp" in planted and str(first) in planted, attack  # the attack did plant
    assert host_processes_with(b"4242.5") == [], "a process of the first kernel outlived it"
    witness_text = run_in_kernel(WITNESS, second)
    witness = printed(witness_text, "WITNESS")
    processes, itself = witness.pop("processes"), witness.pop("self")
    assert witness == {"files": [], "sum": 3.0, "environment": False, "module": False, "builtin": False,
                       "seeded_as_a": False}
    # bwrap, the placeholder, and the kernel itself: nothing of the first kernel, nor the template.
    assert sorted(processes) == sorted(["1", "2", str(itself)]), processes
    assert os.path.basename(processes["1"].split()[0]) == "bwrap" and processes["2"].startswith("cat")
    # Each kernel draws fresh random numbers, as a cold one does.
    assert printed(attack, "FIRST-RANDOM") != printed(witness_text, "FIRST-RANDOM")
    # It planted in its own working folder, a filesystem that went with it: the host's folder never had it.
    assert not (first / "planted-by-a").exists() and not (second / "planted-by-a").exists()


def test_the_next_students_grades_are_untouched_by_what_a_kernel_left_behind(tmp_path):
    """As a worker of the parallel command grades, one student after another on one template: a
    submission plants files, patches numpy, seeds numpy.random and leaves a daemon and a process behind;
    the students graded after it get, cell by cell, what they got before it."""
    import nbformat
    course = Course.scratch_copy(tmp_path / "course")
    course.release("chain_rule")
    students = dict(example_class(FIXTURES_DIR, "chain_rule"))
    honest = ["reference", "dldw_extra_factor_2"]
    for student in honest:
        course.submit(student, "chain_rule", students[student])
    hostile = nbformat.read(students["reference"], as_version=4)
    # numpy.mean, leaked into the next kernel, would cost the reference's dldw (it averages with it).
    hostile.cells.append(nbformat.v4.new_code_cell(ATTACK + "\nnumpy.mean = lambda *args, **kwargs: 0.0"))
    nbformat.write(hostile, tmp_path / "chain_rule.ipynb")
    course.submit("plants_state", "chain_rule", tmp_path / "chain_rule.ipynb")
    gradebook = course.root / "gradebook.db"

    def grades(student):
        _, result = grade_student(course.root, "chain_rule", student, gradebook)
        return result["notebooks"]["chain_rule"]["grades"]
    before = {student: grades(student) for student in honest}
    grades("plants_state")
    assert host_processes_with(b"4242.5") == [], "a process of the planting kernel outlived it"
    after = {student: grades(student) for student in honest}
    assert after == before
    tests = course.test_cells("chain_rule")
    expected = json.loads((FIXTURES_DIR / "chain_rule" / "expected.json").read_text())
    for student in honest:
        lost = lost_cells({name: after[student][name][0] for name in tests}, tests)
        assert sorted(lost) == sorted(expected[student]["loses"])


REACH_TEMPLATE = r"""
import json, os, socket
template = {template}
try:
    os.kill(template, 0)
    reached = "signal"
except ProcessLookupError:
    reached = None
except PermissionError:
    reached = "exists"
control_sockets = []
for fd in os.listdir("/proc/self/fd"):
    try:
        sock = socket.socket(fileno=os.dup(int(fd)))
    except OSError:
        continue
    if sock.type == socket.SOCK_SEQPACKET:
        control_sockets.append(fd)
    sock.close()
print("REACH", json.dumps({{"reached": reached, "control_sockets": control_sockets}}))
"""


def test_the_template_is_out_of_a_kernels_reach(tmp_path):
    run_in_kernel("pass", tmp_path)  # the template is started by the first warm kernel
    template = warmkernels.TEMPLATES.template.process.pid
    text = run_in_kernel(REACH_TEMPLATE.format(template=template), tmp_path)
    assert printed(text, "REACH") == {"reached": None, "control_sockets": []}
    assert warmkernels.TEMPLATES.template.alive()
    # Outside the sandbox, the template keeps matplotlib's settings in a folder of its own, not in the shared /tmp.
    settings = Path(warmkernels.TEMPLATES.template.settings.name)
    environment = Path(f"/proc/{template}/environ").read_bytes().split(bytes(1))
    assert f"MPLCONFIGDIR={settings}".encode() in environment and settings.stat().st_mode & 0o077 == 0


def test_where_a_fork_cannot_enter_a_sandbox_kernels_start_cold_and_it_is_said_once(tmp_path, monkeypatch, capfd):
    monkeypatch.setattr(warmkernels, "TEMPLATES", warmkernels._Templates())
    # Not a namespace: setns refuses, as a kernel without the rights to enter one would.
    monkeypatch.setattr(warmkernels, "_namespace_file", lambda pid, kind: "/dev/null")
    for _ in range(2):
        assert printed(run_in_kernel(PREIMPORTED, tmp_path), "PREIMPORTED") is False  # cold, and it ran
    assert "could not enter its sandbox" in warmkernels.TEMPLATES.broken
    assert capfd.readouterr().err.count("warm kernels are not available") == 1


@pytest.mark.slow
def test_a_template_killed_mid_class_falls_back_and_every_student_is_graded(tmp_path, monkeypatch, capfd):
    """As a worker of the parallel command grades: one student after another, in this process."""
    monkeypatch.setattr(warmkernels, "TEMPLATES", warmkernels._Templates())
    course = Course.scratch_copy(tmp_path / "course")
    course.release("chain_rule")
    students = dict(example_class(FIXTURES_DIR, "chain_rule"))
    expected = json.loads((FIXTURES_DIR / "chain_rule" / "expected.json").read_text())
    chosen = ["reference", "dldw_extra_factor_2", "blank"]
    for student in chosen:
        course.submit(student, "chain_rule", students[student])
    gradebook = course.root / "gradebook.db"  # the jobs' template: the release made it
    results = {}
    for student in chosen:
        if student == "dldw_extra_factor_2":
            os.kill(warmkernels.TEMPLATES.template.process.pid, signal.SIGKILL)
        _, results[student] = grade_student(course.root, "chain_rule", student, gradebook)
    tests = course.test_cells("chain_rule")
    for student in chosen:
        grades = results[student]["notebooks"]["chain_rule"]["grades"]
        lost = lost_cells({name: grades[name][0] for name in tests}, tests)
        assert sorted(lost) == sorted(expected[student]["loses"])
    err = capfd.readouterr().err
    assert err.count("the warm template died") == 1
    assert warmkernels.TEMPLATES.template.alive()  # started again for the third student


@pytest.mark.slow
def test_cold_kernels_grade_exactly_as_warm_ones_cell_by_cell(graded_course, tmp_path):
    """graded_course is graded by serial nbgrader on warm kernels (the default); here the same students, cold."""
    chosen = ["reference", "blank", "dldw_extra_factor_2", "dadw2_slope_of_activation", "loop_over_points",
              "debug_output", "y_not_column", "dldw_by_finite_differences"]
    course = Course.scratch_copy(tmp_path / "course")
    course.release("chain_rule")
    students = dict(example_class(FIXTURES_DIR, "chain_rule"))
    for student in chosen:
        course.submit(student, "chain_rule", students[student])
    course.nbgrader("autograde", "chain_rule", "--WarmForkProvisioner.warm=False")
    warm = {key: value for key, value in gradebook_snapshot(graded_course, "chain_rule").items() if key[0] in chosen}
    cold = gradebook_snapshot(course, "chain_rule")
    assert len(cold) == len(warm) > 8 * len(chosen) and cold == warm


@pytest.mark.slow
def test_the_graded_plots_are_images_for_tas(graded_course):
    """What a TA grades by hand is the picture, in every submission that drew one."""
    import nbformat
    drawn = 0
    for path in (graded_course.root / "autograded").glob("*/chain_rule/chain_rule.ipynb"):
        plot = next(cell for cell in nbformat.read(path, as_version=4).cells
                    if cell.metadata.get("nbgrader", {}).get("grade_id") == "plot_data")
        if any("text/plain" in output.get("data", {}) for output in plot.outputs):
            assert any("image/png" in output.get("data", {}) for output in plot.outputs), path
            drawn += 1
    assert drawn >= 10


SOCKET_FOLDER = r"""
import json, os
from ipykernel.connect import get_connection_file
folder = os.path.dirname(json.load(open(get_connection_file()))["ip"])
try:
    with open(os.path.join(folder, "filler"), "wb") as filler:
        filler.write(bytes(4 * 2**20))
    error = None
except OSError as full:
    error = full.strerror
size = os.statvfs(folder)
print("SOCKETS", json.dumps({"bytes": size.f_blocks * size.f_frsize, "error": error,
                             "sockets": sum(name.startswith("kernel-") for name in os.listdir(folder))}))
"""


@pytest.mark.parametrize("warm", [True, False])
def test_a_kernels_socket_folder_is_a_filesystem_of_its_own_of_a_megabyte(tmp_path, warm):
    """What the kernel writes beside its IPC sockets is not on the grader's disk, and is bounded."""
    sockets = printed(run_in_kernel(SOCKET_FOLDER, tmp_path, warm=warm), "SOCKETS")
    assert sockets == {"bytes": 2**20, "error": "No space left on device", "sockets": 5}
