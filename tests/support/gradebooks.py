"""Small gradebooks built with nbgrader's own API, for unit tests that need no course directory."""
import os
import sys
from pathlib import Path

from nbgrader.api import Gradebook


def alembic_on_path(monkeypatch):
    """nbgrader creates a gradebook by running `alembic`, from the environment's bin/."""
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))


def one_submission_gradebook(path):
    """Assignment "a" with notebook "nb" (a test cell "test_one" worth 1, an answer "answer_one" worth 2,
    graded by hand), and student "s"'s submission of it. Returns the database URL."""
    url = f"sqlite:///{path}"
    with Gradebook(url) as book:
        book.add_assignment("a")
        book.add_notebook("nb", "a")
        book.add_grade_cell("test_one", "nb", "a", max_score=1, cell_type="code")
        book.add_grade_cell("answer_one", "nb", "a", max_score=2, cell_type="markdown")
        book.add_solution_cell("answer_one", "nb", "a")
        book.add_student("s")
        book.add_submission("a", "s")
    return url
