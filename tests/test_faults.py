"""Faults of the grader itself: one student's failure to save never stops the grading of the others."""
import os
import shutil
import subprocess
import textwrap

import pytest
from nbgrader.api import Gradebook

from backprop_course.course import Course
from backprop_course.grading.sandbox import unavailable_reason
from support.submissions import fixture_notebook_path

ASSIGNMENT = "chain_rule"
FULL_MARKS = 13  # the reference's automatic points, and its total before hand grading


def _mount_small_disk(folder):
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True)
    return mounted.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    folder = tmp_path / "small-disk"
    if os.geteuid() != 0 or shutil.which("mount") is None or not _mount_small_disk(folder):
        pytest.skip("cannot mount a small tmpfs here (needs root): the full disk is simulated by filling one")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


# Appended to the course's nbgrader_config.py: the gradebook's disk fills up just before bob's grades are
# saved, and is freed before the next student starts (nbgrader's pre_convert_hook runs first for each).
FILL_THE_DISK_FOR_BOB = """
import os
from nbgrader.preprocessors import NbGraderPreprocessor

BALLAST = {ballast!r}


def free_the_disk(**kwargs):
    if os.path.exists(BALLAST):
        os.remove(BALLAST)


class FillTheDiskForBob(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        if resources["nbgrader"]["student"] == "bob":
            with open(BALLAST, "wb") as ballast:
                try:
                    while True:
                        ballast.write(bytes(1 << 16))
                        ballast.flush()
                except OSError:
                    pass
        return nb, resources


c.CourseDirectory.db_url = {db_url!r}
c.Autograde.pre_convert_hook = free_the_disk
steps = list(c.Autograde.autograde_preprocessors)
steps.insert(steps.index(KeepManualGrading), FillTheDiskForBob)
c.Autograde.autograde_preprocessors = steps
"""


@pytest.mark.skipif(unavailable_reason() is not None, reason=f"no sandbox: {unavailable_reason()}")
def test_a_serial_run_goes_on_past_a_student_whose_grades_cannot_be_saved(tmp_path, small_disk):
    course = Course.scratch_copy(tmp_path / "course")
    db_url = f"sqlite:///{small_disk / 'gradebook.db'}"
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(textwrap.dedent(FILL_THE_DISK_FOR_BOB).format(ballast=str(small_disk / "ballast"),
                                                                   db_url=db_url))
    course.release(ASSIGNMENT)
    for student in ("alice", "bob", "carol"):
        course.submit(student, ASSIGNMENT, fixture_notebook_path(ASSIGNMENT, "reference"))
    result = course.nbgrader("autograde", ASSIGNMENT, "--create", check=False)
    log = result.stdout + result.stderr
    assert result.returncode == 1, log  # nbgrader says that the run had a failure
    assert "bob is NOT graded: the gradebook could not be written (database or disk is full)" in log, log[-3000:]
    assert "There was an error processing assignment 'chain_rule' for student 'bob'" in log
    assert "alice" not in [line for line in log.splitlines() if "for student" in line]
    with Gradebook(db_url) as gradebook:  # still readable
        totals = {submission.student.id: submission.score
                  for submission in gradebook.assignment_submissions(ASSIGNMENT)}
    assert totals["alice"] == totals["carol"] == FULL_MARKS, totals
    assert totals.get("bob", 0) == 0
    assert not list((course.root / "autograded" / "bob").rglob("*.ipynb"))  # nbgrader removed what failed
