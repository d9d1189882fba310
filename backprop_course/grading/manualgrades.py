"""A TA's grading survives autograding again: only a changed answer needs grading again.

nbgrader's SaveAutoGrades marks every cell that has a manual score as
"needs manual grade" on every autograde run, so autograding a class again
(formgrader's button, plain nbgrader, the parallel command) reopens every
part a TA has already graded and resolved. ``KeepManualGrading`` is that
step, except that a hand-graded cell whose answer is the one that the last
autograde saw keeps the flag it had: resolved stays resolved, and pending
stays pending. A changed answer, or a cell autograded for the first time,
is treated as nbgrader treats it.

The digests of the answers that the last autograde saw are kept beside the
gradebook, in ``.backprop/answers/<assignment>/<student>/<notebook>.json``
under the course root: the autograded folder is deleted before each run, and
the gradebook has no field for them. Student kernels cannot see the course
root. Each notebook's metadata records which answers were unchanged
(``UNCHANGED_KEY``), so the parallel command can apply the same rule when it
copies a job's results into the real gradebook (``parallel/merge.py``).
"""
import hashlib
import json
import os
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import SaveAutoGrades
from nbgrader.utils import is_grade, is_solution, is_task

UNCHANGED_KEY = "backprop_unchanged_answers"
DIGESTS_FOLDER = Path(".backprop") / "answers"


def is_hand_graded(cell):
    """A cell that a TA grades: an answer worth points, or a task."""
    return (is_grade(cell) and is_solution(cell)) or is_task(cell)


def answer_digest(cell):
    return hashlib.sha256(f"{cell.cell_type}\0{cell.source}".encode()).hexdigest()


def digests_path(course_root, info):
    return Path(course_root) / DIGESTS_FOLDER / info["assignment"] / info["student"] / f"{info['notebook']}.json"


def _read_digests(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: every answer counts as changed


def _write_digests(path, digests):
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    os.replace(scratch, path)


class KeepManualGrading(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, which reopens a hand-graded cell only when its answer changed."""

    def preprocess(self, nb, resources):
        path = digests_path(CourseDirectory(parent=self).root, resources["nbgrader"])
        seen_before = _read_digests(path)
        now = {cell.metadata.nbgrader["grade_id"]: answer_digest(cell) for cell in nb.cells if is_hand_graded(cell)}
        self.unchanged = {grade_id for grade_id, digest in now.items() if seen_before.get(grade_id) == digest}
        nb, resources = super().preprocess(nb, resources)
        nb.metadata[UNCHANGED_KEY] = sorted(self.unchanged)
        _write_digests(path, now)
        return nb, resources

    def _add_score(self, cell, resources):
        grade_id = cell.metadata.nbgrader["grade_id"]
        grade = self.gradebook.find_grade(grade_id, self.notebook_id, self.assignment_id, self.student_id)
        flag_before = grade.needs_manual_grade
        super()._add_score(cell, resources)
        if grade_id in self.unchanged and grade.manual_score is not None:
            grade.needs_manual_grade = flag_before
            self.gradebook.db.commit()
