"""Grading fails closed: without the sandbox, autograding refuses unless the instructor opts out out loud.

"Without the sandbox" is made here by a PATH on which bwrap cannot be found,
so these tests run the same on machines with and without bubblewrap.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_course.grading import sandbox
from backprop_course.parallel import autograde_class
from backprop_course.course import Course
from support.submissions import fixture_notebook_path

pytestmark = pytest.mark.slow  # end to end: real nbgrader over notebooks

BIN = Path(sys.executable).parent
ASSIGNMENT = "chain_rule"


def environment(opt_out):
    """This process's environment with bwrap out of reach, and the opt-out set or not."""
    env = {name: value for name, value in os.environ.items() if name != sandbox.DISABLE_VARIABLE}
    env["PATH"] = str(BIN)
    if opt_out:
        env[sandbox.DISABLE_VARIABLE] = "off"
    return env


def nbgrader(course, *args, opt_out):
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=course.root, env=environment(opt_out),
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = Course.scratch_copy(tmp_path_factory.mktemp("closed") / "course")
    course.release(ASSIGNMENT)
    course.submit("reference", ASSIGNMENT, fixture_notebook_path(ASSIGNMENT, "reference"))
    return course


def test_autograde_refuses_without_the_sandbox_and_names_the_fix(course):
    result = nbgrader(course, "autograde", ASSIGNMENT, "--create", "--force", opt_out=False)
    assert result.returncode != 0
    assert "Refusing to autograde" in result.stderr
    assert "apt-get install bubblewrap" in result.stderr and "BACKPROP_SANDBOX=off" in result.stderr
    assert not (course.root / "autograded" / "reference").exists()


def test_autograde_runs_unconfined_with_the_opt_out_and_says_so_once(course):
    result = nbgrader(course, "autograde", ASSIGNMENT, "--create", "--force", opt_out=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (result.stdout + result.stderr).count("student kernels run UNCONFINED") == 1
    tests = course.test_cells(ASSIGNMENT)
    assert course.scores(ASSIGNMENT)["reference"] == tests


def test_the_parallel_command_refuses_before_touching_anyone(course, monkeypatch):
    monkeypatch.setenv("PATH", str(BIN))
    monkeypatch.delenv(sandbox.DISABLE_VARIABLE, raising=False)
    with pytest.raises(sandbox.SandboxUnavailable, match="BACKPROP_SANDBOX=off"):
        autograde_class(course, ASSIGNMENT, workers=1)
    result = subprocess.run([sys.executable, "-m", "backprop_course", "autograde", ASSIGNMENT, "--course",
                             str(course.root), "--workers", "1"], env=environment(opt_out=False),
                            capture_output=True, text=True)
    assert result.returncode != 0 and "Refusing to autograde" in result.stderr


def test_grading_on_submit_refuses_to_start_without_the_sandbox(course):
    result = subprocess.run([sys.executable, "-m", "backprop_course", "serve", "--once", "--course",
                             str(course.root), "--workers", "1"], env=environment(opt_out=False),
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "Refusing to autograde" in result.stderr and "BACKPROP_SANDBOX=off" in result.stderr


def test_the_kernel_launcher_itself_refuses_an_autograde_kernel(tmp_path):
    """The last line of defence, for any way of starting an autograding kernel (formgrader's button too)."""
    env = dict(environment(opt_out=False), NBGRADER_EXECUTION="autograde")
    launch = [sys.executable, "-m", "backprop_course.grading.sandbox", "launch", str(tmp_path / "k.json")]
    result = subprocess.run(launch, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Refusing to autograde" in result.stderr


def test_validate_is_not_affected(course, tmp_path):
    folder = tmp_path / ASSIGNMENT
    shutil.copytree(course.root / "release" / ASSIGNMENT, folder)
    shutil.copy(fixture_notebook_path(ASSIGNMENT, "reference"), folder / f"{ASSIGNMENT}.ipynb")
    result = nbgrader(course, "validate", str(folder / f"{ASSIGNMENT}.ipynb"), opt_out=False)
    assert "Success!" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Refusing" not in result.stdout + result.stderr


def test_a_limit_of_zero_is_refused_rather_than_read_as_no_limit():
    """A tmpfs of --size 0 has no size limit: disk_mb=0 must not turn the quota off."""
    from backprop_course.grading.sandbox.launcher import parse_limits
    assert parse_limits(["--disk_mb=64"])["disk_mb"] == 64
    with pytest.raises(SystemExit, match="disk_mb must be at least 1"):
        parse_limits(["--disk_mb=0"])


def test_a_course_config_that_does_not_load_refuses_to_autograde_rather_than_grade_unconfined(tmp_path):
    """nbgrader logs a config file that raises and goes on with its defaults: no sandbox, no judge."""
    from backprop_course.grading.sandbox import failclosed
    assert failclosed.config_path().read_text() == failclosed.CONFIG, "run `make setup`"
    broken = Course.scratch_copy(tmp_path / "broken")
    broken.release(ASSIGNMENT)
    broken.submit("reference", ASSIGNMENT, fixture_notebook_path(ASSIGNMENT, "reference"))
    with open(broken.root / "nbgrader_config.py", "a") as config:
        config.write("\nimport a_module_that_is_not_there\n")
    result = subprocess.run([str(BIN / "nbgrader"), "autograde", ASSIGNMENT], cwd=broken.root,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "the course's nbgrader_config.py did not load" in result.stderr
    assert "Kernel is running over TCP" not in result.stderr  # no kernel started at all
    graded = broken.root / "autograded" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    if graded.exists():  # what nbgrader left of the refused student: no cell ran
        import nbformat
        assert not [cell for cell in nbformat.read(graded, 4).cells if cell.get("outputs")]
