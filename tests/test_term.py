"""A term on a PostgreSQL gradebook, as an instructor runs it: a roster with a student who never submits, a
due date with nbgrader's late penalty, a late submission, a misnamed notebook, a hard-coded answer, the
parallel command; then a resubmission and a change of a test's points and text after release (of a course
released before its releases were recorded), serial `nbgrader autograde`, a TA's hand grading through
formgrader's own API, feedback, and the report again. Every figure of the report, the export and the
feedback is checked against the gradebook. (A TA's round in a browser, on SQLite: tests/test_ta_round.py.)"""
import csv
import json
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta

import nbformat
import pytest

from backprop_course.course import Course, release_all
from backprop_course.grading.judge.releases import HISTORY_FOLDER
from backprop_course.grading.sandbox import unavailable_reason
from support import postgres
from support.formgrader import running
from support.submissions import fixture_notebook_path

pytestmark = pytest.mark.skipif(
    postgres.unavailable_reason() is not None or unavailable_reason() is not None,
    reason=f"no PostgreSQL server ({postgres.unavailable_reason()}) or no sandbox ({unavailable_reason()})")
ASSIGNMENT = "chain_rule"
DUE = datetime(2026, 12, 1, 12, 0)
LATE_BY = timedelta(hours=3, minutes=12, seconds=5)
ROSTER = ("ontime", "late", "misnamed", "hardcoder", "resubmitter", "mallory", "zoe")  # zoe never submits
HAND_SCORES = {"plot_data": 0.5, "answer_question_1": 1.5, "answer_question_2": 2}  # ontime's, from a TA
HAND_COMMENTS = {"plot_data": "No title.", "answer_question_1": "Half of the reason, and no slopes.",
                 "answer_question_2": "Every shared factor named."}


def dldw_test_cell(notebook):
    return next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_dldw")


def submit(course, student, when, fixture="reference", name=f"{ASSIGNMENT}.ipynb", points=None):
    """What `nbgrader collect --update` leaves: the newest notebook (under ``name``) and its time; ``points``:
    the student's own change to test_dldw's points."""
    folder = course.folder("submitted", student, ASSIGNMENT)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    notebook = nbformat.read(fixture_notebook_path(ASSIGNMENT, fixture), as_version=4)
    if points is not None:
        dldw_test_cell(notebook).metadata.nbgrader["points"] = points
    nbformat.write(notebook, folder / name)
    (folder / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))


def course_command(course, *args):
    result = subprocess.run([sys.executable, "-m", "backprop_course", *args, "--course", str(course.root)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def snapshot(course, url):
    """The gradebook, the report page, question_scores.csv and statuses.json as they stand."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gradebook:
        submissions = {submission.student.id: {
            "score": submission.score, "max": submission.max_score, "late": submission.total_seconds_late,
            "penalty": submission.late_submission_penalty, "time": submission.timestamp,
            "flagged": any(notebook.flagged for notebook in submission.notebooks),
            "grades": {grade.name: grade.score for notebook in submission.notebooks for grade in notebook.grades},
            "to_grade": {grade.name for notebook in submission.notebooks for grade in notebook.grades
                         if grade.needs_manual_grade},
            "comments": {comment.name: comment.manual_comment for notebook in submission.notebooks
                         for comment in notebook.comments if comment.manual_comment}}
            for submission in gradebook.assignment_submissions(ASSIGNMENT)}
    reports = course.root / "reports"
    with open(reports / "question_scores.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    return {"gradebook": submissions, "page": (reports / f"{ASSIGNMENT}.html").read_text(), "rows": rows,
            "statuses": json.loads((reports / "statuses.json").read_text())[ASSIGNMENT]}


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    with postgres.temporary_server() as url:
        course = Course.scratch_copy(tmp_path_factory.mktemp("term") / "course")
        with open(course.root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {url!r}\n"
                         "c.LateSubmissionPlugin.penalty_method = 'zero'  # a late submission scores nothing\n")
        release_all(course, [ASSIGNMENT])
        # As for a course released before releases were recorded: the next `make release` records release/ first.
        shutil.rmtree(course.root / HISTORY_FOLDER)
        course.nbgrader("db", "assignment", "add", ASSIGNMENT, f"--duedate={DUE:%Y-%m-%d %H:%M:%S} UTC")
        for student in ROSTER:
            course.nbgrader("db", "student", "add", student, f"--first-name={student.title()}")
        submit(course, "ontime", DUE - timedelta(days=1))
        submit(course, "late", DUE + LATE_BY)
        submit(course, "misnamed", DUE - timedelta(hours=1), name=f"{ASSIGNMENT} (1).ipynb")
        submit(course, "hardcoder", DUE - timedelta(hours=2), fixture="dldw_hard_coded")
        submit(course, "resubmitter", DUE - timedelta(hours=5), fixture="blank")
        submit(course, "mallory", DUE - timedelta(hours=3), points=5)
        course_command(course, "autograde", ASSIGNMENT, "--workers", "2")
        course_command(course, "report", ASSIGNMENT)
        first = snapshot(course, url)

        # The resubmission, before the due date; then test_dldw gets a fourth point and a clearer first line,
        # and is released again.
        submit(course, "resubmitter", DUE - timedelta(hours=1))
        source = course.folder("source", assignment=ASSIGNMENT) / f"{ASSIGNMENT}.ipynb"
        notebook = nbformat.read(source, as_version=4)
        cell = dldw_test_cell(notebook)
        cell.metadata.nbgrader["points"] = 4
        cell.source = '"""dldw: the gradient of the loss, both weights (fixed wording)."""\n' + cell.source
        nbformat.write(notebook, source)
        released = course_command(course, "release", ASSIGNMENT)
        # nbgrader exits 1 for the misnamed notebook, which it cannot grade, and grades the others.
        serial = course.nbgrader("autograde", ASSIGNMENT, "--force", check=False)
        with running(course.root, tmp_path_factory.mktemp("jupyter-runtime")) as formgrader:
            ontime = submission_notebook_id(url, "ontime")
            grading_page = formgrader.call(f"/formgrader/submissions/{ontime}/")
            formgrader.grade(ontime, HAND_SCORES, HAND_COMMENTS)
        course.nbgrader("generate_feedback", ASSIGNMENT, "--force", check=False)
        course_command(course, "report", ASSIGNMENT)
        second = snapshot(course, url)
    feedback = {student: page.read_text() for student in ROSTER
                if (page := course.folder("feedback", student, ASSIGNMENT) / f"{ASSIGNMENT}.html").is_file()}
    history = json.loads((course.root / HISTORY_FOLDER / f"{ASSIGNMENT}.json").read_text())
    return first, second, released.stderr, serial.stdout + serial.stderr, feedback, history, grading_page


def submission_notebook_id(url, student):
    from nbgrader.api import Gradebook

    with Gradebook(url) as gradebook:
        return gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).id


def test_a_late_submission_shows_how_late_and_nbgraders_penalty_everywhere(term):
    for state in term[:2]:
        late, page, rows = state["gradebook"]["late"], state["page"], state["rows"]
        assert late["late"] == LATE_BY.total_seconds() and late["score"] == late["penalty"] > 0  # the "zero" method
        assert f"Due {DUE:%Y-%m-%d %H:%M} (UTC); 1 submitted late" in page
        row = page[page.index('<tr id="student-late">'):].split("</tr>")[0]
        assert f"3 h 12 min (&minus;{late['penalty']:g})" in row and f"0 / {late['max']:g}" in row
        mine = [row for row in rows if row["student"] == "late"]
        assert mine and all(float(row["seconds_late"]) == late["late"] and float(row["late_penalty"]) ==
                            late["penalty"] and row["due"] == f"{DUE:%Y-%m-%d %H:%M:%S}" for row in mine)
        assert state["statuses"]["late"]["seconds_late"] == late["late"]
        assert all(float(row["seconds_late"]) == 0 for row in rows if row["student"] == "ontime")


def test_a_roster_student_who_never_submitted_is_reported_as_not_submitted(term):
    first = term[0]
    assert "zoe" not in first["gradebook"]
    assert first["statuses"]["zoe"]["status"] == "not submitted" and first["statuses"]["zoe"]["flags"] == []
    assert '<tr id="student-zoe">' in first["page"]
    assert {row["status"] for row in first["rows"] if row["student"] == "zoe"} == {"not submitted"}


def test_a_misnamed_notebook_is_reported_with_the_name_found_and_nothing_to_grade(term):
    status = term[0]["statuses"]["misnamed"]
    assert status["status"] == "missing" and status["to_grade"] == []
    assert "but chain_rule (1).ipynb: the notebook must keep the name chain_rule.ipynb" in status["reason"]
    assert "chain_rule (1).ipynb" in term[0]["page"]


def test_a_hard_coded_answer_is_nbgraders_flag_and_the_reports(term):
    first = term[0]
    assert first["gradebook"]["hardcoder"]["flagged"] and not first["gradebook"]["ontime"]["flagged"]
    assert "looks hard-coded in test_dldw" in first["statuses"]["hardcoder"]["flags"]


def test_the_resubmission_is_graded_in_place_of_the_first(term):
    first, second = term[0]["gradebook"]["resubmitter"], term[1]["gradebook"]["resubmitter"]
    assert second["time"] - first["time"] == timedelta(hours=4)
    assert first["grades"]["test_dldw"] == 0 and second["grades"]["test_dldw"] == 4


def test_the_instructors_change_is_warned_at_release_and_blamed_on_no_student(term):
    first, second, released, serial, _, history, _ = term
    assert "this release changes its points: test_dldw 3 -> 4 (total 18 -> 19)" in released, released
    assert [version["points"] for version in history[ASSIGNMENT]["test_dldw"]] == [3, 4]  # release/ recorded first
    assert first["gradebook"]["ontime"]["max"] == 18 and second["gradebook"]["ontime"]["max"] == 19
    assert second["gradebook"]["ontime"]["grades"]["test_dldw"] == 4
    assert "ontime has cell test_dldw with 3.0 points, as an earlier release gave it" in serial, serial
    assert "ontime has cell test_dldw as an earlier release gave it" in serial, serial
    # A student's own change is still reported, and graded as released.
    assert set(re.findall(r"(\w+) changed the", serial)) == {"mallory"}, serial
    assert "mallory changed the points of cell test_dldw (should be 4.0, got 5.0)" in serial
    assert second["gradebook"]["mallory"]["grades"]["test_dldw"] == 4


def test_every_figure_of_the_export_and_the_feedback_is_the_gradebooks(term):
    second, feedback = term[1], term[4]
    gradebook = second["gradebook"]
    for row in second["rows"]:
        if row["student"] in gradebook:
            student = gradebook[row["student"]]
            graded = row["kind"] == "automatic" or row["question"] not in student["to_grade"]
            assert (float(row["score"]) if graded else row["score"]) == (
                student["grades"][row["question"]] if graded else ""), row
            assert row["comment"] == student["comments"].get(row["question"], ""), row
    for student, page in feedback.items():
        total = gradebook[student]["score"] - gradebook[student]["penalty"]
        assert f"(Score: {total:g} / {gradebook[student]['max']:g}" in page, student
        row = second["page"][second["page"].index(f'<tr id="student-{student}">'):].split("</tr>")[0]
        assert f"{max(0, total):g} / {gradebook[student]['max']:g}" in row, student
    assert set(feedback) == {"ontime", "late", "hardcoder", "resubmitter", "mallory"}


def test_a_tas_hand_grading_in_formgrader_reaches_the_gradebook_the_export_and_the_feedback(term):
    second, feedback, grading_page = term[1], term[4], term[6]
    assert 'id="rubric-plot_data"' in grading_page and 'class="model-output"' in grading_page  # the model's plot
    ontime = second["gradebook"]["ontime"]
    assert {part: ontime["grades"][part] for part in HAND_SCORES} == HAND_SCORES
    assert not ontime["to_grade"] and ontime["comments"] == HAND_COMMENTS
    by_hand = {row["question"]: (float(row["score"]), row["comment"]) for row in second["rows"]
               if row["student"] == "ontime" and row["kind"] == "by hand"}
    assert by_hand == {part: (score, HAND_COMMENTS[part]) for part, score in HAND_SCORES.items()}
    assert all(comment in feedback["ontime"] for comment in HAND_COMMENTS.values())
    assert "not graded yet" not in feedback["ontime"] and "not graded yet" in feedback["late"]
