"""The batch command submits its jobs to an existing Dask cluster through --scheduler."""
import os

import pytest

from backprop_course.parallel import autograde_class
from support.gradebooks import gradebook_snapshot
from test_parallel import ASSIGNMENT, course_with, serial_snapshot

pytestmark = pytest.mark.slow  # end to end: real nbgrader over notebooks


def test_jobs_run_on_a_dask_cluster_of_several_worker_processes(graded_course, tmp_path):
    import logging
    from distributed import Client, LocalCluster, get_task_stream

    students = ["reference", "blank", "gradient_order_swapped", "dldw_mutates_W"]
    course = course_with(tmp_path / "course", students)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        with get_task_stream(client) as stream:
            autograde_class(course, ASSIGNMENT, scheduler=cluster.scheduler_address)
        # Asked of the workers themselves: the client's scheduler_info() can return a cached identity
        # with no per-worker information (distributed 2026.8; one CI run failed so).
        workers = set(client.run(os.getpid))
    ran = {task["key"]: task["worker"] for task in stream.data}
    assert set(ran) == {f"autograde-{ASSIGNMENT}-{student}" for student in students}
    assert set(ran.values()) <= workers and len(workers) == 2
    serial = serial_snapshot(graded_course, students)
    assert gradebook_snapshot(course, ASSIGNMENT) == serial


def test_a_worker_with_several_threads_grades_one_student_at_a_time(graded_course, tmp_path):
    """An existing cluster may run several threads per worker; grading changes the process's folder and output."""
    import logging
    import re
    from distributed import LocalCluster

    students = ["reference", "sign_flipped", "blank"]
    course = course_with(tmp_path / "course", students)
    with LocalCluster(n_workers=1, threads_per_worker=3, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        autograde_class(course, ASSIGNMENT, scheduler=cluster.scheduler_address)
    log = (course.root / "reports" / f"autograde_log_{ASSIGNMENT}.txt").read_text()
    for section in log.split("=== ")[1:]:
        owner = section.split(":", 1)[0]
        assert set(re.findall(r"student with ID '([^']+)'", section)) == {owner}
    serial = serial_snapshot(graded_course, students)
    assert gradebook_snapshot(course, ASSIGNMENT) == serial
