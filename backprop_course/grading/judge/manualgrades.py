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
(``UNCHANGED_KEY``) and the new digests (``DIGESTS_KEY``). The parallel
command grades with ``write_digests`` off, applies the same rule when it
copies a job's results into the real gradebook (``parallel/merge.py``), and
saves the digests only then: a job whose results never arrive must not make
its answers look already seen.

A hand-graded code cell (a plot) is seen again only if it drew the same
outputs, and every student code cell up to it is unchanged: the plot depends
on the cells before it, and also on what no digest of code can see (a later
cell that replaces its display, a file in the submission it reads). A
hand-graded part that a TA scored, whose answer cell is gone from the
submission (deleted, or stripped of its metadata), is graded again too:
nbgrader's step would leave its old grading in place.
"""
import hashlib
import json
import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import SaveAutoGrades
from nbgrader.utils import is_grade, is_locked
from traitlets import Bool

from ..cells import is_hand_graded
from .gradebookwrites import OneStudentsWrite

UNCHANGED_KEY = "backprop_unchanged_answers"
DIGESTS_KEY = "backprop_answer_digests"
DIGESTS_FOLDER = Path(".backprop") / "answers"


def keeps_its_grading(grade_id: str, unchanged: Collection[str], manual_score: float | None) -> bool:
    """Whether a hand-graded part keeps the "needs manual grade" it had: a TA scored it, and the
    answer is the one the last autograde saw."""
    return grade_id in unchanged and manual_score is not None


def answer_digests(notebook: NotebookNode) -> dict[str, str]:
    """{grade_id: digest} of the hand-graded cells: a markdown answer's text (and attachments); a code
    answer's source together with every student-editable code cell before it."""
    digests, code_so_far = {}, hashlib.sha256()
    for cell in notebook.cells:
        if cell.cell_type == "code" and not is_locked(cell):
            code_so_far.update(cell.source.encode() + b"\0")
        if is_hand_graded(cell):
            own = hashlib.sha256(f"{cell.cell_type}\0{cell.source}\0".encode())
            own.update(json.dumps(cell.get("attachments", {}), sort_keys=True).encode())
            if cell.cell_type == "code":
                own.update(code_so_far.digest())
                own.update(json.dumps(_what_it_showed(cell), sort_keys=True).encode())
            digests[cell.metadata.nbgrader["grade_id"]] = own.hexdigest()
    return digests


_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+\b")  # reprs such as <Line2D at 0x7f...> differ from run to run


def _what_it_showed(cell):
    """A code cell's outputs as a reader sees them: text and data, without run-to-run details."""
    shown = []
    for output in cell.get("outputs", []):
        parts = {key: output[key] for key in ("output_type", "name", "text", "ename", "evalue") if key in output}
        parts["data"] = dict(output.get("data", {}))
        for mapping in (parts, parts["data"]):
            for key, value in mapping.items():
                if isinstance(value, str):
                    mapping[key] = _ADDRESS.sub("0x", value)
        shown.append(parts)
    return shown


def digests_path(course_root: str | Path, info: Mapping[str, str]) -> Path:
    return Path(course_root) / DIGESTS_FOLDER / info["assignment"] / info["student"] / f"{info['notebook']}.json"


def _read_digests(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: every answer counts as changed


def save_digests(course_root: str | Path, info: Mapping[str, str], digests: Mapping[str, str]) -> None:
    """Remember ``digests`` as the answers that the last autograde of one notebook saw."""
    path = digests_path(course_root, info)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    os.replace(scratch, path)


class KeepManualGrading(OneStudentsWrite, SaveAutoGrades):
    """nbgrader's SaveAutoGrades, which reopens a hand-graded cell only when its answer changed."""

    write_digests = Bool(True, help="Save the answers' digests after grading. The parallel command turns it "
                                    "off, and saves them once a job's results are in the real gradebook."
                         ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        root = os.path.abspath(CourseDirectory(parent=self).root)
        seen_before = _read_digests(digests_path(root, resources["nbgrader"]))
        now = answer_digests(nb)
        self.unchanged = {grade_id for grade_id, digest in now.items() if seen_before.get(grade_id) == digest}
        nb, resources = super().preprocess(nb, resources)
        self._settle_missing_cells(nb, set(now))
        nb.metadata[UNCHANGED_KEY] = sorted(self.unchanged)
        nb.metadata[DIGESTS_KEY] = now
        if self.write_digests:
            save_digests(root, resources["nbgrader"], now)
        return nb, resources

    def _add_score(self, cell, resources):
        grade_id = cell.metadata.nbgrader["grade_id"]
        grade = self.gradebook.find_grade(grade_id, self.notebook_id, self.assignment_id, self.student_id)
        flag_before = grade.needs_manual_grade
        super()._add_score(cell, resources)
        if keeps_its_grading(grade_id, self.unchanged, grade.manual_score):
            grade.needs_manual_grade = flag_before
            self.gradebook.db.commit()

    def _settle_missing_cells(self, nb, answers):
        """The release's graded cells that this submission lacks (deleted, or stripped of their metadata): a
        test cell scores 0, not what an earlier submission scored there; a hand-graded part that a TA scored,
        with no answer now, is graded again."""
        present = {cell.metadata.nbgrader.grade_id for cell in nb.cells if is_grade(cell)}
        with Gradebook(self.db_url) as gradebook:
            notebook = gradebook.find_notebook(self.notebook_id, self.assignment_id)
            solutions = {cell.name for cell in notebook.solution_cells}
            hand_graded = ({cell.name for cell in notebook.grade_cells if cell.name in solutions}
                           | {cell.name for cell in notebook.task_cells})
            for grade_id in sorted(hand_graded - answers):
                grade = gradebook.find_grade(grade_id, self.notebook_id, self.assignment_id, self.student_id)
                if grade.manual_score is not None:
                    grade.needs_manual_grade = True
            tests = {cell.name for cell in notebook.grade_cells} - hand_graded
            for grade_id in sorted(tests - present):
                grade = gradebook.find_grade(grade_id, self.notebook_id, self.assignment_id, self.student_id)
                grade.auto_score = 0.0
                if grade.manual_score is not None:  # a TA's score for a cell that is gone: the TA looks again
                    grade.needs_manual_grade = True
            gradebook.db.commit()
