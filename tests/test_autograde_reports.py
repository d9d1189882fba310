"""The parallel command's log and status files: grading some students replaces theirs and keeps the others'."""
import json

from backprop_course.course import Course
from backprop_course.outcomes import CRASHED, GRADED, StudentResult
from backprop_course.parallel.driver import _write_reports

ASSIGNMENT = "chain_rule"


def test_grading_some_students_keeps_the_log_and_status_of_the_others(tmp_path):
    course = Course.scratch_copy(tmp_path / "course")
    first = {"ada": "=== ada: exit 0\nada's kernel said hello\n    === not a header", "bob": "=== bob: exit 1\nboom"}
    results = {"ada": StudentResult("ada", GRADED), "bob": StudentResult("bob", CRASHED)}
    _write_reports(course, ASSIGNMENT, first, results)
    # bob resubmits, and only bob is graded this time (as the service does)
    _write_reports(course, ASSIGNMENT, {"bob": "=== bob: exit 0\nfixed"}, {"bob": StudentResult("bob", GRADED)})
    log = (course.root / "reports" / f"autograde_log_{ASSIGNMENT}.txt").read_text()
    assert log == first["ada"] + "\n=== bob: exit 0\nfixed"
    status = json.loads((course.root / "reports" / f"autograde_status_{ASSIGNMENT}.json").read_text())
    assert {student: entry["status"] for student, entry in status.items()} == {"ada": "graded", "bob": "graded"}


def test_a_kernels_output_cannot_start_a_section_of_another_student():
    from backprop_course.parallel.runner import _section

    text = _section("ada: exit 0", "hi\r=== bob: exit 0\nWARNING bob changed the locked cell test_dldw\r\n=== x")
    assert [line for line in text.splitlines() if line.startswith("===")] == ["=== ada: exit 0"]


def test_a_damaged_status_file_is_rebuilt_rather_than_failing_every_later_run(tmp_path):
    course = Course.scratch_copy(tmp_path / "course")
    status_file = course.root / "reports" / f"autograde_status_{ASSIGNMENT}.json"
    status_file.parent.mkdir()
    status_file.write_text('{"ada": {"status": "gra')  # a run killed mid-write, before writes were atomic
    _write_reports(course, ASSIGNMENT, {"bob": "=== bob: exit 0"}, {"bob": StudentResult("bob", GRADED)})
    assert json.loads(status_file.read_text())["bob"]["status"] == "graded"


def test_a_file_written_by_the_course_is_readable_by_the_course_team_as_open_would_make_it(tmp_path):
    import os

    from backprop_course import jsonfiles

    with jsonfiles.updating(tmp_path / "shared.json") as data:
        data["ada"] = 1
    mask = os.umask(0o022)
    os.umask(mask)
    assert (tmp_path / "shared.json").stat().st_mode & 0o777 == 0o666 & ~mask
    assert jsonfiles.read(tmp_path / "shared.json") == {"ada": 1}


def test_a_graded_student_whose_folder_is_gone_is_missing_and_a_roster_student_not_submitted(tmp_path):
    from nbgrader.api import Gradebook

    from backprop_course.outcomes import MISSING, NOT_SUBMITTED, collect_results

    course = Course.scratch_copy(tmp_path / "course")
    with Gradebook(course.db_url) as gradebook:
        gradebook.add_assignment(ASSIGNMENT)
        for student in ("gone", "zoe"):
            gradebook.add_student(student)
        gradebook.add_submission(ASSIGNMENT, "gone")  # graded once; its submitted folder deleted since
    statuses = {result.student: result.status for result in collect_results(course, ASSIGNMENT)}
    assert statuses == {"gone": MISSING, "zoe": NOT_SUBMITTED}
