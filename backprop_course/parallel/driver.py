"""Autograde a whole class in one go, in parallel, and record every outcome.

``python -m backprop_course autograde [ASSIGNMENT ...] [--course DIR] [--workers N] [--scheduler ADDRESS]``

Every student is one Dask job, run by a local cluster of worker processes
(one per core) or by an existing cluster. The job is nbgrader's own
``nbgrader autograde ASSIGNMENT --student=S`` with the course's
``nbgrader_config.py``, run inside the long-lived worker so that nbgrader's
start-up is paid once per worker, not once per student (``grade_student``).
The sandbox, limits and tampering checks apply exactly as they do by hand.
If a submission kills a worker of the local cluster, that student (and any
queued on that worker) is graded again by an nbgrader process of its own,
so one submission cannot stop the others' grading or change their scores.

Each job grades into a private gradebook, and this process alone writes the
real one (``merge``).

Every student with a submitted folder then gets a gradebook row and a status
with its reason: graded, timed out, crashed, invalid notebook, missing or
tampered (printed, and written to ``reports/autograde_status_<a>.json``).
"""
import contextlib
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import jsonfiles
from ..course import Course
from ..grading import sandbox
from ..outcomes import CRASHED, GRADED, TIMED_OUT, StudentResult, collect_results
from .merge import (GradebookWriter, ensure_gradebook_rows, gradebook_students, job_template_database,
                    remember_answers)
from .progress import Progress
from .runner import JobTimedOut, grade_in_subprocess, grade_student

if TYPE_CHECKING:
    from distributed import Client


def dask_client(scheduler: str | None = None,
                workers: int | None = None) -> contextlib.AbstractContextManager["Client"]:
    """A Dask client: of the cluster at ``scheduler``, or of a local cluster of ``workers`` processes.

    Use it as a context manager. Jobs on a remote cluster need this course
    folder at the same path (a shared file system) and this package installed.
    """
    import logging

    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)
    settings = {
        # A student whose grading kills a worker is not tried on the next
        # worker too: autograde_class grades it again in a process of its own.
        "distributed.scheduler.allowed-failures": 0,
        # Jobs take seconds and the cores are busy grading, so Dask's own
        # frequent sampling (profiler, monitors, event-loop ticks) is not worth its CPU.
        "distributed.worker.profile.enabled": False,
        "distributed.admin.tick.interval": "1s",
        "distributed.admin.system-monitor.interval": "5s",
        "distributed.worker.memory.monitor-interval": "1s",
    }
    with dask.config.set(settings):
        cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    return _ClosingClient(Client(cluster), cluster)


class _ClosingClient:
    """A local cluster's client that shuts the cluster down with it."""

    def __init__(self, client, cluster):
        self.client, self.cluster = client, cluster

    def __enter__(self):
        return self.client

    def __exit__(self, *exc):
        self.client.close()
        self.cluster.close()


def job_bound(course: Course, assignment: str) -> int:
    """Seconds that one student's job may take: the notebooks' budgets, and two minutes for nbgrader's own work."""
    from ..grading.sandbox.execution import BoundedExecute

    configured = course.config.BoundedExecute
    budget = configured.notebook_seconds if "notebook_seconds" in configured else \
        BoundedExecute.class_traits()["notebook_seconds"].default_value
    notebooks = len(list(course.folder("source", assignment=assignment).glob("*.ipynb")))
    return budget * max(1, notebooks) + 120


def autograde_class(course: Course, assignment: str, nbgrader_args: Sequence[str] = (),
                    students: Iterable[str] | None = None, workers: int | None = None, progress: bool = False,
                    scheduler: str | None = None, client: "Client | None" = None,
                    job_seconds: float | None = None,
                    on_result: Callable[[StudentResult], None] | None = None) -> tuple[list[StudentResult], float]:
    """Autograde ``students`` (default: every submitted folder); return (results, seconds).

    Each student is one Dask job (``grade_student``), run by ``client``, or
    else on the cluster at ``scheduler``, or else on a local cluster of
    ``workers`` processes (default: one per core). A job may take
    ``job_seconds`` (default: ``job_bound``). ``on_result`` is called with
    each student's result as soon as it is in the gradebook.
    """
    from distributed import KilledWorker, as_completed

    sandbox.check_before_autograding()  # fails closed before any student is touched
    started = time.monotonic()
    whole_class, students = students is None, ensure_gradebook_rows(course, assignment, students)
    bar = Progress(len(students), assignment) if progress else None
    job_seconds = job_seconds or job_bound(course, assignment)
    logs, results = {}, {}
    with contextlib.ExitStack() as stack:
        # The gradebook template is inside the course folder, so that workers on other machines see it too.
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=".autograde-jobs-", dir=course.root)))
        template = job_template_database(course, assignment, scratch)
        client = client or stack.enter_context(dask_client(scheduler, workers))
        jobs = {client.submit(grade_student, course.root, assignment, student, template, tuple(nbgrader_args),
                              job_seconds, key=f"autograde-{assignment}-{student}", pure=False): student
                for student in students}
        # This process is the one writer of the real gradebook.
        gradebook = stack.enter_context(GradebookWriter(course.db_url))
        finished = as_completed(jobs)
        for job in finished:
            student, stopped = jobs[job], None  # stopped: (status, why its grading did not count)
            try:
                logs[student], graded = job.result()
            except Exception as error:
                if isinstance(error, JobTimedOut):
                    logs[student] = f"=== {student}: not graded: {error}"
                    stopped = (TIMED_OUT, str(error))
                elif job.key.endswith("own-process") or not isinstance(error, KilledWorker):
                    logs[student] = f"=== {student}: not graded: {error!r}"
                else:
                    # The worker died while grading this student (a crash, Dask's
                    # memory limit, or the job's bound), or with it queued there:
                    # grade it again where only an nbgrader process of its own can die.
                    retry = client.submit(grade_in_subprocess, course.root, assignment, student, template,
                                          tuple(nbgrader_args), job_seconds, key=f"{job.key}-own-process",
                                          pure=False)
                    jobs[retry] = student
                    finished.add(retry)
                    continue
            else:
                unsaved = gradebook.record(assignment, student, graded)
                if unsaved:
                    logs[student] += f"\n=== {student}: graded, but NOT saved in the gradebook: {unsaved}"
                    stopped = (CRASHED, f"graded, but the gradebook could not be written ({unsaved}); "
                                        "autograde again")
                else:
                    remember_answers(course.root, assignment, student, graded)
            for result in collect_results(course, assignment, [student]):
                if stopped:
                    result.status, result.reason = stopped
                results[student] = result
                on_result and on_result(result)
            bar and bar.step(student)
    if whole_class:  # and a student with a gradebook row but no submitted folder is missing
        for result in collect_results(course, assignment, gradebook_students(course, assignment) - set(results)):
            results[result.student] = result
    _write_reports(course, assignment, logs, results)
    return [results[student] for student in sorted(results)], time.monotonic() - started


def _write_reports(course: Course, assignment: str, logs: dict[str, str], results: dict[str, StudentResult]) -> None:
    """The log and the status of each student graded, beside those of the students graded before and not now."""
    folder = course.root / "reports"
    with jsonfiles.updating(folder / f"autograde_log_{assignment}.json") as sections:
        sections.update(logs)
        (folder / f"autograde_log_{assignment}.txt").write_text("\n".join(sections[name] for name in sorted(sections)))
    with jsonfiles.updating(folder / f"autograde_status_{assignment}.json") as status:
        status.update({item.student: {"status": item.status, "reason": item.reason,
                                      "automatic": sum(item.cells.values()), "cells": item.cells}
                       for item in results.values()})


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def summary_lines(assignment: str, results: Sequence[StudentResult], seconds: float) -> list[str]:
    counts = Counter(item.status for item in results)
    lines = [f"{assignment}: {len(results)} submissions in {seconds:.0f} s: "
             + ", ".join(f"{count} {status}" for status, count in counts.most_common())]
    for item in results:
        if item.status != GRADED:
            lines.append(f"  {item.student:<24} {item.status:<17} {item.reason}")
    return lines
