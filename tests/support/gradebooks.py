"""Gradebooks in tests: small ones built with nbgrader's own API (for unit tests that need no course
directory), and a snapshot of a course's, to compare two gradings cell by cell."""
import os
import sys
from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell
from nbgrader.api import Gradebook
from nbgrader.utils import compute_checksum

# The source of test_one, with a hidden part, and as the release shows it.
TEST_ONE_SOURCE = "check(answer)\n### BEGIN HIDDEN TESTS\nprobe(answer)\n### END HIDDEN TESTS"
TEST_ONE_RELEASED = "check(answer)"


def graded_cell(source, grade_id, locked, points=1):
    """A graded code cell (a test cell when locked) with nbgrader's metadata."""
    return new_code_cell(source, metadata={"nbgrader": {"grade_id": grade_id, "grade": True, "solution": False,
                                                        "locked": locked, "points": points}})


def alembic_on_path(monkeypatch):
    """nbgrader creates a gradebook by running `alembic`, from the environment's bin/."""
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))


def one_submission_gradebook(path):
    """Assignment "a" with notebook "nb" (a locked test cell "test_one" worth 1, TEST_ONE_SOURCE, and an
    answer "answer_one" worth 2, graded by hand), and student "s"'s submission of it. Returns the database URL."""
    url = f"sqlite:///{path}"
    with Gradebook(url) as book:
        book.add_assignment("a")
        book.add_notebook("nb", "a")
        book.add_grade_cell("test_one", "nb", "a", max_score=1, cell_type="code")
        book.add_source_cell("test_one", "nb", "a", cell_type="code", locked=True, source=TEST_ONE_SOURCE,
                             checksum=compute_checksum(graded_cell(TEST_ONE_SOURCE, "test_one", locked=True)))
        book.add_grade_cell("answer_one", "nb", "a", max_score=2, cell_type="markdown")
        book.add_solution_cell("answer_one", "nb", "a")
        book.add_source_cell("answer_one", "nb", "a", cell_type="markdown", locked=False, source="",
                             checksum=compute_checksum(new_markdown_cell("", metadata={"nbgrader": {
                                 "grade_id": "answer_one", "grade": True, "solution": True, "locked": False,
                                 "points": 2}})))
        book.add_student("s")
        book.add_submission("a", "s")
    return url


def gradebook_snapshot(course, assignment):
    """Every grade of every submission: auto and manual score, needs-grading, flag."""
    from nbgrader.api import Gradebook
    snapshot = {}
    with Gradebook(course.db_url) as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            for notebook in submission.notebooks:
                snapshot[(submission.student.id, notebook.name, "flagged")] = notebook.flagged
                for grade in notebook.grades:
                    snapshot[(submission.student.id, notebook.name, grade.name)] = (
                        grade.auto_score, grade.manual_score, grade.needs_manual_grade)
    return snapshot
