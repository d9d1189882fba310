"""Parallel autograding gives exactly what serial `nbgrader autograde` gives."""

import pytest

from backprop_course.parallel import autograde_class
from backprop_course.course import Course
from backprop_course.demo import example_class
from backprop_course.outcomes import GRADED
from support.gradebooks import gradebook_snapshot
from support.submissions import FIXTURES_DIR

pytestmark = pytest.mark.slow  # end to end: real nbgrader over notebooks

ASSIGNMENT = "chain_rule"


def course_with(folder, students=None, db_url=None):
    """A scratch course with ASSIGNMENT released and ``students`` (default: the example class) submitted.

    ``db_url``: a gradebook other than the course's own SQLite file, written into its nbgrader_config.py.
    """
    course = Course.scratch_copy(folder)
    if db_url:
        with open(course.root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    course.release(ASSIGNMENT)
    for student, notebook in example_class(FIXTURES_DIR, ASSIGNMENT):
        if students is None or student in students:
            course.submit(student, ASSIGNMENT, notebook)
    return course


def serial_snapshot(graded_course, students):
    """``gradebook_snapshot`` of serial nbgrader's grading, for ``students`` only."""
    return {key: value for key, value in gradebook_snapshot(graded_course, ASSIGNMENT).items() if key[0] in students}


@pytest.fixture(scope="module")
def parallel_course(tmp_path_factory):
    course = course_with(tmp_path_factory.mktemp("parallel") / "course")
    autograde_class(course, ASSIGNMENT, workers=2)
    return course


def test_parallel_gradebook_equals_serial_nbgrader_cell_by_cell(graded_course, parallel_course):
    serial = gradebook_snapshot(graded_course, ASSIGNMENT)
    parallel = gradebook_snapshot(parallel_course, ASSIGNMENT)
    assert len(serial) > 300
    assert parallel == serial


def test_feedback_and_export_work_unchanged_after_a_parallel_run(parallel_course):
    parallel_course.generate_feedback(ASSIGNMENT)
    assert (parallel_course.root / "feedback" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    parallel_course.export_grades(parallel_course.root / "grades.csv")
    rows = (parallel_course.root / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(example_class(FIXTURES_DIR, ASSIGNMENT))


from support import postgres  # noqa: E402


from distributed.diagnostics.plugin import WorkerPlugin  # noqa: E402


class KillsWorkerGrading(WorkerPlugin):
    """The worker process dies as it starts grading ``student``."""

    name = "kills-worker-grading"

    def __init__(self, student):
        self.student = student

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and key == f"autograde-{ASSIGNMENT}-{self.student}":
            import os
            os._exit(1)


def test_a_student_whose_grading_kills_a_worker_is_graded_in_a_process_of_its_own(graded_course, tmp_path):
    from backprop_course.parallel import dask_client

    students = ["reference", "missing_factor_2", "blank"]
    course = course_with(tmp_path / "course", students)
    with dask_client(workers=2) as client:
        client.register_plugin(KillsWorkerGrading("missing_factor_2"))
        results, _ = autograde_class(course, ASSIGNMENT, client=client)
    assert {item.student: item.status for item in results} == dict.fromkeys(students, GRADED)
    log = (course.root / "reports" / f"autograde_log_{ASSIGNMENT}.txt").read_text()
    assert "=== missing_factor_2: exit 0 (own process)" in log
    assert "Ctrl-C will not work" not in log  # ipykernel's banner for a terminal user, once per student
    serial = serial_snapshot(graded_course, students)
    assert gradebook_snapshot(course, ASSIGNMENT) == serial


@pytest.mark.skipif(postgres.unavailable_reason() is not None,
                    reason=f"no PostgreSQL server: {postgres.unavailable_reason()}")
def test_jobs_see_each_students_extension_when_the_gradebook_is_postgresql(tmp_path):
    """The late penalty depends on the extension, so the jobs' SQLite template must carry it."""
    from datetime import timedelta
    from nbgrader.api import Gradebook
    from backprop_course.parallel import job_template_database

    with postgres.temporary_server() as url:
        course = course_with(tmp_path / "course", students=(), db_url=url)
        with Gradebook(url) as gradebook:
            for student in ("granted_two_days", "on_time"):
                gradebook.update_or_create_student(student)
            gradebook.update_or_create_submission(ASSIGNMENT, "granted_two_days", extension=timedelta(days=2))
            gradebook.update_or_create_submission(ASSIGNMENT, "on_time")
        template = job_template_database(course, ASSIGNMENT, tmp_path)
    with Gradebook(f"sqlite:///{template}") as copy:
        assert copy.find_submission(ASSIGNMENT, "granted_two_days").extension == timedelta(days=2)
        assert [submission.student.id for submission in copy.assignment_submissions(ASSIGNMENT)] == ["granted_two_days"]


@pytest.mark.skipif(postgres.unavailable_reason() is not None,
                    reason=f"no PostgreSQL server: {postgres.unavailable_reason()}")
def test_a_postgresql_gradebook_restarted_mid_class_loses_nothing(graded_course, tmp_path, monkeypatch):
    """The server restarts (every connection dropped) just before the driver writes its second student."""
    import backprop_course.parallel.merge as merge
    students = ["reference", "missing_factor_2", "blank", "sin_cos_swapped"]
    real_record, writes = merge.record_results, []

    def record_after_a_restart(gradebook, *args):
        writes.append(args[1])
        if len(writes) == 2:
            postgres.restart(url)
        return real_record(gradebook, *args)

    monkeypatch.setattr(merge, "record_results", record_after_a_restart)
    with postgres.temporary_server() as url:
        course = course_with(tmp_path / "course", students, db_url=url)
        results, _ = autograde_class(course, ASSIGNMENT, workers=2)
        in_postgres = gradebook_snapshot(course, ASSIGNMENT)
    assert len(writes) == len(students) + 1, "the write the restart broke was not tried again"
    assert {item.student: item.status for item in results} == dict.fromkeys(students, GRADED)
    assert in_postgres == serial_snapshot(graded_course, students)


def test_a_job_past_its_bound_is_stopped_twice_and_its_student_marked(graded_course, tmp_path):
    """A job that nbgrader's own bounds did not stop (here, a bound below the notebook's budget): the worker
    ends, the student is graded again in a process of its own, which is killed too; the others stand."""
    import nbformat
    students = ["reference", "missing_factor_2"]
    course = course_with(tmp_path / "course", students)
    notebook = nbformat.read(course.root / "submitted" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    notebook.cells[-1:-1] = [nbformat.v4.new_code_cell("import time\ntime.sleep(8)") for _ in range(3)]
    nbformat.write(notebook, tmp_path / "slow.ipynb")
    course.submit("slow", ASSIGNMENT, tmp_path / "slow.ipynb")
    results, _ = autograde_class(course, ASSIGNMENT, workers=2, job_seconds=12)
    outcome = {item.student: (item.status, item.reason) for item in results}
    assert outcome["slow"][0] == "timed out" and "bound of 12 s, twice" in outcome["slow"][1], outcome
    assert {student: outcome[student][0] for student in students} == dict.fromkeys(students, GRADED)
    snapshot = {key: value for key, value in gradebook_snapshot(course, ASSIGNMENT).items() if key[0] in students}
    assert snapshot == serial_snapshot(graded_course, students)
    log = (course.root / "reports" / f"autograde_log_{ASSIGNMENT}.txt").read_text()
    assert "=== slow: not graded: its grading ran past the job's bound of 12 s" in log


def test_the_parallel_command_killed_mid_class_and_run_again_gives_the_same_gradebook(graded_course, tmp_path):
    """kill -9 of the command and its workers while it grades; the next run grades everyone, as one run would."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from nbgrader.api import Gradebook
    students = ["reference", "missing_factor_2", "blank", "sin_cos_swapped", "dldw_hard_coded", "einsum"]
    course = course_with(tmp_path / "course", students)
    command = [sys.executable, "-m", "backprop_course", "autograde", "--course", str(course.root), "--workers", "2",
               ASSIGNMENT]
    first = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120

    def graded_so_far():
        with Gradebook(course.db_url) as gradebook:
            return sum(submission.score > 0 for submission in gradebook.assignment_submissions(ASSIGNMENT))

    while time.monotonic() < deadline and first.poll() is None and graded_so_far() < 2:
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert 0 < graded_so_far() < len(students) - 1, "the run was not killed mid-class"  # blank scores 0
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert gradebook_snapshot(course, ASSIGNMENT) == serial_snapshot(graded_course, students)
