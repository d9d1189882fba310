"""A term on a PostgreSQL gradebook: a roster with a student who never submitted, a due date with nbgrader's late
penalty, a late submission and a misnamed notebook, graded by the parallel command and reported. Every figure
of the report and its export is checked against the gradebook."""
import csv
import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from backprop_course.course import Course
from backprop_course.grading.sandbox import unavailable_reason
from support import postgres
from support.submissions import fixture_notebook_path

pytestmark = pytest.mark.skipif(
    postgres.unavailable_reason() is not None or unavailable_reason() is not None,
    reason=f"no PostgreSQL server ({postgres.unavailable_reason()}) or no sandbox ({unavailable_reason()})")
ASSIGNMENT = "chain_rule"
DUE = datetime(2026, 12, 1, 12, 0)
LATE_BY = timedelta(hours=3, minutes=12, seconds=5)


def submit(course, student, when, name=f"{ASSIGNMENT}.ipynb"):
    """What `nbgrader collect` leaves: the notebook (under ``name``) and the submission's time."""
    folder = course.folder("submitted", student, ASSIGNMENT)
    folder.mkdir(parents=True)
    shutil.copyfile(fixture_notebook_path(ASSIGNMENT, "reference"), folder / name)
    (folder / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))


def course_command(course, *args):
    result = subprocess.run([sys.executable, "-m", "backprop_course", *args, "--course", str(course.root)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    from nbgrader.api import Gradebook

    with postgres.temporary_server() as url:
        course = Course.scratch_copy(tmp_path_factory.mktemp("term") / "course")
        with open(course.root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {url!r}\n"
                         "c.LateSubmissionPlugin.penalty_method = 'zero'  # a late submission scores nothing\n")
        course.release(ASSIGNMENT)
        course.nbgrader("db", "assignment", "add", ASSIGNMENT, f"--duedate={DUE:%Y-%m-%d %H:%M:%S} UTC")
        for student in ("ontime", "late", "misnamed", "zoe"):  # the roster; zoe never submits
            course.nbgrader("db", "student", "add", student, f"--first-name={student.title()}")
        submit(course, "ontime", DUE - timedelta(days=1))
        submit(course, "late", DUE + LATE_BY)
        submit(course, "misnamed", DUE - timedelta(hours=1), name=f"{ASSIGNMENT} (1).ipynb")
        course_command(course, "autograde", ASSIGNMENT, "--workers", "2")
        course_command(course, "report", ASSIGNMENT)
        with Gradebook(url) as gradebook:
            submissions = {submission.student.id: (submission.score, submission.total_seconds_late,
                                                   submission.late_submission_penalty)
                           for submission in gradebook.assignment_submissions(ASSIGNMENT)}
    reports = course.root / "reports"
    with open(reports / "question_scores.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    return (submissions, (reports / f"{ASSIGNMENT}.html").read_text(), rows,
            json.loads((reports / "statuses.json").read_text())[ASSIGNMENT])


def test_a_late_submission_shows_how_late_and_nbgraders_penalty_everywhere(term):
    submissions, page, rows, statuses = term
    score, seconds_late, penalty = submissions["late"]
    assert seconds_late == LATE_BY.total_seconds() and score == penalty == 13  # nbgrader's "zero" method
    assert f"Due {DUE:%Y-%m-%d %H:%M} (UTC); 1 submitted late" in page
    late_row = page[page.index('<tr id="student-late">'):].split("</tr>")[0]
    assert "3 h 12 min (&minus;13)" in late_row and "0 / 18" in late_row  # the total after the penalty
    late_rows = [row for row in rows if row["student"] == "late"]
    assert late_rows and all(float(row["seconds_late"]) == seconds_late and float(row["late_penalty"]) == penalty
                             and row["due"] == f"{DUE:%Y-%m-%d %H:%M:%S}" for row in late_rows)
    assert statuses["late"]["seconds_late"] == seconds_late and statuses["late"]["late_penalty"] == penalty
    assert submissions["ontime"] == (13, 0, 0)
    assert all(float(row["seconds_late"]) == 0 for row in rows if row["student"] == "ontime")


def test_a_roster_student_who_never_submitted_is_reported_as_not_submitted(term):
    submissions, page, rows, statuses = term
    assert "zoe" not in submissions
    assert statuses["zoe"]["status"] == "not submitted" and statuses["zoe"]["flags"] == []
    assert '<tr id="student-zoe">' in page and "not submitted" in page
    assert {row["status"] for row in rows if row["student"] == "zoe"} == {"not submitted"}


def test_a_misnamed_notebook_is_reported_with_the_name_found_and_nothing_to_grade(term):
    _, page, _, statuses = term
    assert statuses["misnamed"]["status"] == "missing" and statuses["misnamed"]["to_grade"] == []
    reason = statuses["misnamed"]["reason"]
    assert "but chain_rule (1).ipynb: the notebook must keep the name chain_rule.ipynb" in reason, reason
    assert "chain_rule (1).ipynb" in page
