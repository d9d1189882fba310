"""A gradebook that cannot be written fails one student, never the run.

nbgrader's autograde loop stops the whole run on a database error
(``sqlalchemy.exc.OperationalError``: a full disk, a locked SQLite file, a
PostgreSQL server that restarted), so the students after it get no row. Any
other exception fails only the student being graded: nbgrader removes that
student's autograded folder, grades the next ones, and at the end names
every student it could not grade ("There was an error processing
assignment ... for student ..."), exiting 1.

``OneStudentsWrite`` makes a gradebook-writing preprocessor fail the second
way. The database rolls the student's transaction back, so the gradebook
stays readable, with that student's earlier grades (if any) as they were.
"""
from typing import Any

from nbformat import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.preprocessors import AssignLatePenalties, OverwriteKernelspec
from sqlalchemy.exc import DBAPIError, OperationalError


def database_error(failure: DBAPIError) -> str:
    """What a database error says, on one short line (for a log line or a student's status)."""
    return " ".join(str(failure.orig or failure).split())[:300]


def flag_for_review(info: dict[str, Any]) -> None:
    """Mark the notebook being autograded (nbgrader's ``resources["nbgrader"]``) flagged, as formgrader shows it."""
    with Gradebook(info["db_url"]) as gradebook:
        submission = gradebook.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
        submission.flagged = True
        gradebook.db.commit()


class GradebookWriteFailed(RuntimeError):
    """One student's grades could not be saved; the other students are graded."""


class OneStudentsWrite:
    """Mixin, first among the bases of a preprocessor that writes the gradebook."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        try:
            return super().preprocess(nb, resources)
        except OperationalError as failure:
            student = resources.get("nbgrader", {}).get("student", "this student")
            reason = database_error(failure)
            raise GradebookWriteFailed(
                f"{student} is NOT graded: the gradebook could not be written ({reason}). The other students are "
                f"graded; autograde {student} again once the gradebook can be written.") from failure


class LatePenalties(OneStudentsWrite, AssignLatePenalties):
    """nbgrader's AssignLatePenalties (it saves the penalty), failing one student on a database error."""


class KernelspecOverwrite(OneStudentsWrite, OverwriteKernelspec):
    """nbgrader's OverwriteKernelspec (it reads the gradebook), failing one student on a database error."""
