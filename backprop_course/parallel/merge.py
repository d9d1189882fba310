"""The one writer of the real gradebook, and the private gradebooks of the jobs.

Jobs never share a database writer (SQLite would fail with "database is
locked"): each grades into its own copy of ``job_template_database``, and
the driver alone copies that student's results (``read_results``) into the
real gradebook (``record_results``) as each job finishes. The copied fields
are the ones nbgrader's own autograde writes, so the gradebook,
``autograded/``, formgrader, ``generate_feedback`` and ``export`` are as
after a serial run.
"""
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from ..course import Course
from ..grading.judge.gradebookwrites import database_error
from ..grading.judge.manualgrades import keeps_its_grading

if TYPE_CHECKING:
    from nbgrader.api import Gradebook


def ensure_gradebook_rows(course: Course, assignment: str, students: Iterable[str] | None = None) -> list[str]:
    """A submission row for each of ``students`` (default: every student folder), even if nbgrader skips it."""
    from nbgrader.api import Gradebook

    students = course.submitted_students(assignment) if students is None else list(students)
    with Gradebook(course.db_url) as gradebook:  # nbgrader_config.py silences add_submission's SAWarnings
        for student in students:
            gradebook.update_or_create_student(student)
            gradebook.update_or_create_submission(assignment, student)
    return students


def gradebook_students(course: Course, assignment: str) -> set[str]:
    """The students with a submission row of ``assignment`` in the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:
        return {submission.student.id for submission in gradebook.assignment_submissions(assignment)}


def job_template_database(course: Course, assignment: str, scratch: Path) -> Path:
    """A SQLite gradebook that knows the assignment, for the jobs to copy.

    With a SQLite gradebook it is a copy of it (students, submissions and
    earlier grades included); with another database (say PostgreSQL) nbgrader
    builds it from source/, and the due date and each student's extension
    (which the late penalty depends on) are copied.
    """
    from nbgrader.api import Gradebook

    base = scratch / "base.db"
    if course.db_url.startswith("sqlite:///"):
        shutil.copyfile(course.db_url[len("sqlite:///"):], base)
        return base
    course.nbgrader("generate_assignment", assignment, "--force", f"--CourseDirectory.db_url=sqlite:///{base}",
                    f"--CourseDirectory.release_directory={scratch / 'release'}", "--RecordRelease.enabled=False",
                    "--DrawModelOutputs.enabled=False")
    with Gradebook(course.db_url) as real, Gradebook(f"sqlite:///{base}") as template:
        template.update_or_create_assignment(assignment, duedate=real.find_assignment(assignment).duedate)
        for submission in real.assignment_submissions(assignment):
            if submission.extension is not None:
                template.update_or_create_student(submission.student.id)
                template.update_or_create_submission(assignment, submission.student.id,
                                                     extension=submission.extension)
    return base


def read_results(database_url: str, assignment: str, student: str,
                 autograded: str | Path | None = None) -> dict[str, Any] | None:
    """One student's autograde results in a job's gradebook, as plain data (None if it has none).

    The fields are those nbgrader's autograde sets: the timestamp; per
    notebook its flag and late penalty, each grade's (auto score, manual
    score, needs manual grade) and each comment's auto comment. With the
    job's ``autograded`` folder, also whether each notebook was autograded,
    and what ``KeepManualGrading`` noted in it: the hand-graded answers that
    did not change since the last autograde, and the digests to remember.
    """
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(database_url) as gradebook:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return None
        return {"timestamp": submission.timestamp, "notebooks": {
            notebook.name: {"flagged": notebook.flagged, "late_submission_penalty": notebook.late_submission_penalty,
                            "grades": {grade.name: (grade.auto_score, grade.manual_score, grade.needs_manual_grade)
                                       for grade in notebook.grades},
                            "comments": {comment.name: comment.auto_comment for comment in notebook.comments},
                            **_autograded_notebook(autograded, notebook.name)}
            for notebook in submission.notebooks}}


def _autograded_notebook(autograded, notebook):
    """What the autograded notebook says: {} without a folder to look in."""
    import nbformat

    from ..grading.judge.manualgrades import DIGESTS_KEY, UNCHANGED_KEY

    if autograded is None:
        return {}
    path = Path(autograded) / f"{notebook}.ipynb"
    try:
        metadata = nbformat.read(path, as_version=4).metadata
    except Exception:  # not autograded (nbgrader failed and removed it), or unreadable
        return {"autograded": False, "unchanged_answers": [], "digests": None}
    return {"autograded": True, "unchanged_answers": list(metadata.get(UNCHANGED_KEY, [])),
            "digests": metadata.get(DIGESTS_KEY)}


def remember_answers(course_root: str | Path, assignment: str, student: str,
                     results: dict[str, Any] | None) -> None:
    """After ``record_results``: save the answers' digests that the job's autograde saw (see manualgrades)."""
    from ..grading.judge.manualgrades import save_digests

    for notebook, graded in (results or {}).get("notebooks", {}).items():
        if graded.get("digests") is not None:
            save_digests(course_root, {"assignment": assignment, "student": student, "notebook": notebook},
                         graded["digests"])


def record_results(gradebook: "Gradebook", assignment: str, student: str, results: dict[str, Any] | None) -> None:
    """Write ``read_results``'s data into the real (open) gradebook, as nbgrader's autograde would.

    A manual score is only written where the gradebook has none, so a TA's
    stays; and a hand-graded answer that did not change keeps the real
    gradebook's "needs manual grade", as ``KeepManualGrading`` does serially.
    """
    if results is None:
        return
    submission = gradebook.update_or_create_submission(assignment, student)
    with gradebook.db.no_autoflush:  # one flush at the commit, not one per lazy load
        _record_notebooks(submission, results)
    submission.timestamp = results["timestamp"]
    gradebook.db.commit()


def _record_notebooks(submission, results):
    for notebook in submission.notebooks:
        graded = results["notebooks"].get(notebook.name)
        if graded is None or graded.get("autograded") is False:
            # The job's gradebook did not know this notebook, or nbgrader failed on it: as after a
            # failed serial run, the gradebook keeps what it had.
            continue
        notebook.flagged = notebook.flagged or graded["flagged"]
        notebook.late_submission_penalty = graded["late_submission_penalty"]
        for grade in notebook.grades:
            if grade.name not in graded["grades"]:
                continue
            auto_score, manual_score, needs_manual_grade = graded["grades"][grade.name]
            grade.auto_score = auto_score
            if not keeps_its_grading(grade.name, graded.get("unchanged_answers", ()), grade.manual_score):
                grade.needs_manual_grade = needs_manual_grade or grade.manual_score is not None
            if grade.manual_score is None and manual_score is not None:
                grade.manual_score = manual_score
        for comment in notebook.comments:
            comment.auto_comment = graded["comments"].get(comment.name, comment.auto_comment)


class GradebookWriter:
    """The driver's one connection to the real gradebook, opened again when the database drops it.

    A PostgreSQL server that restarts mid-class, or a SQLite file locked for
    a moment, costs a retry, not the run: each write that fails is rolled
    back, the connection is opened anew, and the write is tried again, with
    waits that add up to about ``patience`` seconds. A write that still
    fails is that student's alone (``record`` returns why), and the others
    are written.
    """

    def __init__(self, url: str, patience: float = 60) -> None:
        self.url, self.patience = url, patience
        self.gradebook = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def record(self, assignment: str, student: str, results: dict[str, Any] | None) -> str | None:
        """``record_results`` into the real gradebook; returns None, or why it could not be written."""
        from sqlalchemy.exc import DBAPIError, OperationalError

        wait, waited = 0.5, 0.0
        while True:
            try:
                if self.gradebook is None:
                    from nbgrader.api import Gradebook
                    self.gradebook = Gradebook(self.url)
                record_results(self.gradebook, assignment, student, results)
                return None
            except (OperationalError, DBAPIError) as failure:
                self._close()
                if waited >= self.patience:
                    return database_error(failure)
                time.sleep(wait)
                waited += wait
                wait = min(wait * 2, 10)

    def _close(self):
        if self.gradebook is not None:
            try:
                self.gradebook.db.rollback()
                self.gradebook.close()
            except Exception:  # the connection is gone already
                pass
            self.gradebook = None
