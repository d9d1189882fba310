"""Every command of the course reads nbgrader's own configuration: the gradebook, the course id, the folders.

The command-line path is tested as an instructor runs it: ``python -m backprop_course`` in a process of
its own, with the gradebook named only in the course's nbgrader_config.py.
"""
import csv
import os
import subprocess
import sys

import pytest

from backprop_course.course import Course
from backprop_course.demo import example_class
from backprop_course.grading.sandbox import unavailable_reason
from support import postgres
from support.gradebooks import gradebook_snapshot
from support.submissions import FIXTURES_DIR

ASSIGNMENT = "chain_rule"


def test_the_gradebook_is_the_one_jupyters_config_folder_names(tmp_path, monkeypatch):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'x'\n")
    (tmp_path / "jupyter").mkdir()
    (tmp_path / "jupyter" / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.db_url = 'sqlite:////elsewhere/gradebook.db'\n")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter"))
    course = Course(tmp_path / "course")
    assert (course.db_url, course.settings.course_id) == ("sqlite:////elsewhere/gradebook.db", "x")
    # The course's own file is read last, as nbgrader reads it, and read again when it changes.
    with open(tmp_path / "course" / "nbgrader_config.py", "a") as config:
        config.write("c.CourseDirectory.db_url = 'sqlite:////course/own.db'  # a longer file\n")
    assert course.db_url == "sqlite:////course/own.db"


def test_a_scratch_copy_has_its_own_gradebook_whatever_the_course_names(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "source").mkdir()
    (tmp_path / "real" / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.db_url = 'postgresql://ta@server/real_class'\n")
    assert Course(tmp_path / "real").db_url == "postgresql://ta@server/real_class"
    copy = Course.scratch_copy(tmp_path / "demo", source_root=tmp_path / "real")
    assert copy.db_url == f"sqlite:///{copy.root / 'gradebook.db'}"


def _course_command(*args):
    return subprocess.run([sys.executable, "-m", "backprop_course", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


@pytest.mark.skipif(postgres.unavailable_reason() is not None or unavailable_reason() is not None,
                    reason=f"no PostgreSQL server ({postgres.unavailable_reason()}) or no sandbox "
                           f"({unavailable_reason()})")
def test_the_course_commands_use_the_postgresql_gradebook_that_nbgrader_config_names(graded_course, tmp_path):
    """Before, `autograde` crashed (No such assignment) and `report` showed every student 0/13 from an empty
    SQLite file it had made. The parallel command's gradebook in PostgreSQL is serial nbgrader's in SQLite."""
    from nbgrader.api import Gradebook
    students = {"reference", "missing_factor_2", "blank", "dldw_hard_coded", "sin_cos_swapped"}
    with postgres.temporary_server() as url:
        course = Course.scratch_copy(tmp_path / "course")
        with open(course.root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
        course.release(ASSIGNMENT)
        for student, notebook in example_class(FIXTURES_DIR, ASSIGNMENT):
            if student in students:
                course.submit(student, ASSIGNMENT, notebook)

        early = _course_command("report", "--course", str(course.root), ASSIGNMENT)
        assert early.returncode == 0, early.stderr
        assert "holds no grades for chain_rule" in early.stderr
        page = (course.root / "reports" / f"{ASSIGNMENT}.html").read_text()
        assert 'id="nothing-graded"' in page and "0 / 13" not in page

        graded = _course_command("autograde", "--course", str(course.root), "--workers", "2", ASSIGNMENT)
        assert graded.returncode == 0, graded.stdout + graded.stderr
        assert "5 submissions: too few to gain from grading in parallel" in graded.stdout
        report = _course_command("report", "--course", str(course.root), ASSIGNMENT)
        assert report.returncode == 0, report.stderr
        assert not (course.root / "gradebook.db").exists(), "a command made a SQLite gradebook of its own"
        with Gradebook(url) as gradebook:
            totals = {submission.student.id: submission.score
                      for submission in gradebook.assignment_submissions(ASSIGNMENT)}
        scores = course.scores(ASSIGNMENT)
        in_postgres = gradebook_snapshot(course, ASSIGNMENT)
    serial = {key: value for key, value in gradebook_snapshot(graded_course, ASSIGNMENT).items() if key[0] in students}
    assert in_postgres == serial
    assert set(totals) == students and totals["reference"] == 13 and totals["missing_factor_2"] < 13
    page = (course.root / "reports" / f"{ASSIGNMENT}.html").read_text()
    assert 'id="nothing-graded"' not in page
    with open(course.root / "reports" / "question_scores.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    assert {(row["student"], row["question"]): float(row["score"]) for row in rows if row["kind"] == "automatic"} == \
        {(student, question): score for student, cells in scores.items() for question, score in cells.items()}
