"""What became of each student's submission: its status, scores and messages.

Read from an autograded course directory (gradebook, submitted/ and
autograded/ notebooks). The parallel command prints these outcomes; the
class report renders them.
"""
import contextlib
from collections.abc import Iterable
from datetime import datetime
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import nbformat

from .course import Course
from .grading.cells import is_test_cell
from .grading.judge.verdict import VERDICT_KEY, Kind, Verdict

class Status(StrEnum):
    """How a submission's grading ended: the batch, the report and the hostile class share these."""
    GRADED = "graded"
    TIMED_OUT = "timed out"
    CRASHED = "crashed"
    INVALID = "invalid notebook"
    MISSING = "missing"
    TAMPERED = "tampered"
    NOT_GRADED = "not graded"   # submitted, but the gradebook holds no grades for it
    NOT_SUBMITTED = "not submitted"  # on the roster (the gradebook's students), with nothing submitted


GRADED, TIMED_OUT, CRASHED, INVALID, MISSING, TAMPERED, NOT_GRADED, NOT_SUBMITTED = Status
# Statuses without scores of their own: left out of the class's means and charts.
UNSCORED = (MISSING, NOT_GRADED, NOT_SUBMITTED)


@dataclass
class StudentResult:
    student: str
    status: Status
    reason: str = ""
    score: float = 0.0          # total in the gradebook, hand-graded points included
    max_score: float = 0.0
    manual_pending: bool = False
    cells: dict[str, float] = field(default_factory=dict)  # grade_id -> score
    messages: dict[str, str] = field(default_factory=dict)  # grade_id -> first failure message
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # grade_id -> the judge's Verdict on a failed test cell
    # grade_id -> score of a part graded by hand (None: not yet)
    hand_graded: dict[str, float | None] = field(default_factory=dict)
    to_grade: list[str] = field(default_factory=list)  # hand-graded parts that still need a TA
    comments: dict[str, str] = field(default_factory=dict)  # grade_id -> what a TA wrote about it in formgrader
    part_pages: dict[str, str] = field(default_factory=dict)  # grade_id -> its submitted notebook's id in the
    # gradebook: formgrader's page of it
    feedback: Path | None = None
    # nbgrader's timestamp of the graded submission, how late it was (after the student's due date,
    # extension included), and the points nbgrader's late penalty took off
    submitted_at: datetime | None = None
    seconds_late: float = 0.0
    late_penalty: float = 0.0

    @property
    def final_score(self) -> float:
        """The score after nbgrader's late penalty, as ``nbgrader export`` gives it, without the earlier score
        of a reopened part (an answer changed since a TA graded it), as the feedback shows it."""
        reopened = sum(self.hand_graded.get(part) or 0.0 for part in self.to_grade)
        return max(0.0, self.score - self.late_penalty - reopened)

    @property
    def flags(self) -> list[str]:
        """Reasons for a TA to look at this submission, beyond its score."""
        return review_reasons(self.status, self.reason, self.verdicts)


def review_reasons(status: Status, reason: str, verdicts: dict[str, Verdict]) -> list[str]:
    """Why a TA should look at a submission: its status, and the judge's hard-coding and method verdicts."""
    reasons = [] if status in (GRADED, NOT_SUBMITTED) else [f"{status}: {reason}"]
    hard_coded = [cell for cell, verdict in verdicts.items() if verdict.hard_coded]
    if hard_coded:
        reasons.append("looks hard-coded in " + ", ".join(hard_coded))
    method_failed = [cell for cell, verdict in verdicts.items() if verdict.kind == Kind.METHOD]
    if method_failed:
        reasons.append("not the chain rule in " + ", ".join(method_failed) + " (points withheld; a TA may "
                       "give them back in formgrader)")
    return reasons


def notebook_review_reasons(notebook: nbformat.NotebookNode) -> list[str]:
    """``review_reasons`` of an autograded notebook, read from it alone (formgrader's grading page)."""
    return review_reasons(*_status_from_notebook(notebook), _verdicts(notebook))


def _verdicts(notebook):
    """{grade_id: Verdict} of the test cells that did not pass."""
    verdicts = {}
    for cell in filter(is_test_cell, notebook.cells):
        verdict = cell.metadata.get(VERDICT_KEY)
        if verdict and verdict["kind"] != "passed":
            verdicts[cell.metadata["nbgrader"]["grade_id"]] = Verdict.from_data(verdict)
    return verdicts


def _error_lines(cell):
    return [f"{output.ename}: {output.evalue}".splitlines()[0].rstrip(": ")
            for output in cell.get("outputs", []) if output.get("output_type") == "error"]


def _status_from_notebook(notebook):
    """(status, reason) read from an autograded notebook's metadata and outputs."""
    from .grading.sandbox.execution import BUDGET_KEY
    from .grading.judge.tampering import TAMPERING_KEY
    if notebook.metadata.get(TAMPERING_KEY):
        return TAMPERED, "; ".join(notebook.metadata[TAMPERING_KEY]) + " (flagged for review; scores stand)"
    execution = notebook.metadata.get(BUDGET_KEY) or {}
    if execution.get("timed_out"):
        return TIMED_OUT, execution["reason"]
    if execution.get("died"):
        return CRASHED, execution["reason"]
    for cell in notebook.cells:
        for line in _error_lines(cell) if cell.cell_type == "code" else []:
            if line.startswith("CellTimeoutError"):
                return TIMED_OUT, "a cell ran past the time limit"
            if line.startswith("DeadKernelError"):
                return CRASHED, "the kernel died"
    return GRADED, ""


def _submission_status(submitted_notebook, autograded_notebook):
    if not submitted_notebook.parent.is_dir():
        return NOT_SUBMITTED, "nothing submitted", None
    if not submitted_notebook.exists():
        found = sorted(path.name for path in submitted_notebook.parent.glob("*.ipynb"))
        if found:
            return MISSING, (f"no {submitted_notebook.name}, but {', '.join(found)}: the notebook must keep the name "
                             f"{submitted_notebook.name} to be graded"), None
        return MISSING, "no notebook submitted", None
    try:
        nbformat.read(submitted_notebook, as_version=4)
    except Exception as error:  # any unreadable file is the same outcome for the TA
        return INVALID, f"cannot be read as a notebook ({type(error).__name__})", None
    if not autograded_notebook.exists():
        from .grading.judge.tampering import scan_notebook
        reasons = scan_notebook(nbformat.read(submitted_notebook, as_version=4))
        if reasons:  # tampering that also broke the kernel: the TA should know both
            return TAMPERED, "; ".join(reasons) + " (and nbgrader could not autograde it)", None
        return CRASHED, "nbgrader could not autograde it (reports/autograde_log_* says why)", None
    notebook = nbformat.read(autograded_notebook, as_version=4)
    status, reason = _status_from_notebook(notebook)
    return status, reason, notebook


def _hand_score(grade):
    """A hand-graded part's score, or None while nobody (TA or autograder) has given one."""
    if grade is None or (grade.manual_score is None and grade.auto_score is None):
        return None
    return grade.score


def collect_results(course: Course, assignment: str, students: Iterable[str] | None = None) -> list[StudentResult]:
    """One StudentResult per student with a gradebook row or a submitted folder; of ``students`` alone if given."""
    from nbgrader.api import Gradebook, MissingEntry

    tests = course.test_cells(assignment)
    by_hand = course.hand_graded_cells(assignment)
    totals, scores, hand, times, comments, notebooks = {}, {}, {}, {}, {}, {}
    with Gradebook(course.db_url) as gradebook:
        if students is None:  # the class: every submission, and the roster's students who have none
            submissions = gradebook.assignment_submissions(assignment)
            roster = {student.id for student in gradebook.students if Path(student.id).name == student.id}
            students = set(course.submitted_students(assignment)) | roster
        else:
            students, submissions = set(students), []
            for student in students:
                with contextlib.suppress(MissingEntry):
                    submissions.append(gradebook.find_submission(assignment, student))
        for submission in submissions:
            student = submission.student.id
            totals[student] = (submission.score, submission.max_score, bool(submission.needs_manual_grade))
            times[student] = (submission.timestamp, submission.total_seconds_late or 0.0,
                              submission.late_submission_penalty or 0.0)
            grades = [grade for notebook in submission.notebooks for grade in notebook.grades]
            scores[student] = {grade.name: grade.score for grade in grades if grade.name in tests}
            hand[student] = {grade.name: grade for grade in grades if grade.name in by_hand}
            comments[student] = {comment.name: comment.manual_comment for notebook in submission.notebooks
                                 for comment in notebook.comments if comment.manual_comment}
            notebooks[student] = {grade.name: notebook.id for notebook in submission.notebooks
                                  for grade in notebook.grades}
    students |= set(totals)
    results = []
    for student in sorted(students):
        name = f"{assignment}.ipynb"
        status, reason, notebook = _submission_status(
            course.folder("submitted", student, assignment) / name,
            course.folder("autograded", student, assignment) / name)
        if status == NOT_SUBMITTED and student in totals:  # graded once; its submitted folder is gone since
            status, reason = MISSING, "its submitted folder is gone; the gradebook holds its grades"
        if student not in totals and status not in (MISSING, NOT_SUBMITTED):
            status, notebook = NOT_GRADED, None
            reason = "the gradebook holds no grades for this submission: autograde it"
        result = StudentResult(student, status, reason)
        result.score, result.max_score, result.manual_pending = totals.get(student, (0.0, 0.0, False))
        if notebook is None and result.score:
            # nbgrader keeps the last grades of a submission it could not autograde again
            result.reason += f"; the gradebook still holds {result.score:g} points from an earlier autograde"
        result.cells = {grade_id: scores.get(student, {}).get(grade_id, 0.0) for grade_id in tests}
        grades = hand.get(student, {})
        result.hand_graded = {grade_id: _hand_score(grades.get(grade_id)) for grade_id in by_hand}
        result.to_grade = [grade_id for grade_id in by_hand if status not in (MISSING, NOT_SUBMITTED)
                           and grades.get(grade_id) is not None and grades[grade_id].needs_manual_grade]
        if student in times:
            result.submitted_at, result.seconds_late, result.late_penalty = times[student]
        result.comments, result.part_pages = comments.get(student, {}), notebooks.get(student, {})
        if notebook is not None:
            for cell in filter(is_test_cell, notebook.cells):
                grade_id, lines = cell.metadata["nbgrader"]["grade_id"], _error_lines(cell)
                if lines:
                    result.messages[grade_id] = lines[0]
            result.verdicts = _verdicts(notebook)
        feedback = course.folder("feedback", student, assignment) / f"{assignment}.html"
        result.feedback = feedback if feedback.exists() else None
        results.append(result)
    return results
