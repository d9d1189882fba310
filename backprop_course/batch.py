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

Jobs never share a database writer (SQLite would fail with "database is
locked"): each grades into its own copy of the gradebook, made after the
release, and this process alone copies that student's results into the
real gradebook as each job finishes. The copied fields are the ones
nbgrader's own autograde writes, so the gradebook, ``autograded/``,
formgrader, ``generate_feedback`` and ``export`` are as after a serial run.

Every student with a submitted folder then gets a gradebook row and a status
with its reason: graded, timed out, crashed, invalid notebook, missing or
tampered (printed, and written to ``reports/autograde_status_<a>.json``).
"""
import contextlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

from . import sandbox
from .course import Course
from .outcomes import GRADED, collect_results


def ensure_gradebook_rows(course, assignment):
    """A submission row for every student folder, even if nbgrader skipped it."""
    import sqlalchemy
    from nbgrader.api import Gradebook

    students = sorted(path.parent.name for path in (course.root / "submitted").glob(f"*/{assignment}"))
    with Gradebook(course.db_url) as gradebook, warnings.catch_warnings():
        # nbgrader's add_submission trips a harmless SQLAlchemy 2 warning.
        warnings.simplefilter("ignore", category=sqlalchemy.exc.SAWarning)
        for student in students:
            gradebook.update_or_create_student(student)
            gradebook.update_or_create_submission(assignment, student)
    return students


def job_template_database(course, assignment, scratch):
    """A SQLite gradebook that knows the assignment, for the jobs to copy.

    With a SQLite gradebook it is a copy of it (students, submissions and
    earlier grades included); with another database (say PostgreSQL) nbgrader
    builds it from source/, and the due date and each student's extension
    (which the late penalty depends on) are copied.
    """
    from nbgrader.api import Gradebook

    base = scratch / "base.db"
    if course.db_url.startswith("sqlite:///"):
        shutil.copyfile(course.db_url[len("sqlite:///"):], base)
        return base
    course.nbgrader("generate_assignment", assignment, "--force", f"--CourseDirectory.db_url=sqlite:///{base}",
                    f"--CourseDirectory.release_directory={scratch / 'release'}")
    with Gradebook(course.db_url) as real, Gradebook(f"sqlite:///{base}") as template:
        template.update_or_create_assignment(assignment, duedate=real.find_assignment(assignment).duedate)
        for submission in real.assignment_submissions(assignment):
            if submission.extension is not None:
                template.update_or_create_student(submission.student.id)
                template.update_or_create_submission(assignment, submission.student.id,
                                                     extension=submission.extension)
    return base


def grade_in_subprocess(course_root, assignment, student, template, nbgrader_args=()):
    """``grade_student``, but as an ``nbgrader autograde`` process of its own; returns the same.

    Used when a worker process died while grading this student: whatever the
    submission does to nbgrader then stops only this process.
    """
    with _private_gradebook(template) as database:
        result = Course(course_root).nbgrader("autograde", assignment, "--create", "--force", f"--student={student}",
                                              f"--CourseDirectory.db_url=sqlite:///{database}", *nbgrader_args,
                                              check=False)
        text = f"=== {student}: exit {result.returncode} (own process)\n{result.stdout}{result.stderr}"
        return text, read_results(f"sqlite:///{database}", assignment, student)


# chdir and the redirected output are the whole process's: one grading at a
# time, even on a Dask worker that runs several threads.
_ONE_GRADING_AT_A_TIME = threading.Lock()


def grade_student(course_root, assignment, student, template, nbgrader_args=()):
    """One Dask task: ``nbgrader autograde ASSIGNMENT --student=STUDENT`` inside this worker process.

    It is nbgrader's own AutogradeApp, given the same arguments and reading
    the same config files as the command line, so it grades exactly as
    ``nbgrader autograde`` does. Running it in a long-lived worker saves
    nbgrader's start-up (about 2.4 s of imports) for every student after the
    worker's first. The grades go into a private copy of the gradebook
    ``template``, on the worker's own disk. Returns the log (what the app and
    the kernels it started wrote to standard output and error) and the
    results (``read_results``).
    """
    from nbgrader.apps.autogradeapp import AutogradeApp

    # nbgrader runs `alembic` as a command, so this environment's bin/ must be on PATH.
    bin_folder = str(Path(sys.executable).parent)
    if bin_folder not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_folder, os.environ.get("PATH", "")])
    with _ONE_GRADING_AT_A_TIME, _private_gradebook(template) as database, tempfile.TemporaryFile() as log:
        argv = [assignment, "--create", "--force", f"--student={student}",
                f"--CourseDirectory.db_url=sqlite:///{database}", *nbgrader_args]
        previous_folder, previous_path = os.getcwd(), list(sys.path)
        with _output_to(log):
            try:
                os.chdir(course_root)  # where nbgrader looks for nbgrader_config.py
                app = AutogradeApp()
                app.initialize(argv)
                app.start()
                exit_code = 0
            except SystemExit as exit:  # nbgrader's way of failing
                exit_code = 1 if exit.code is None else exit.code
            except Exception:
                traceback.print_exc()
                exit_code = 1
            finally:
                os.chdir(previous_folder)
                sys.path[:] = previous_path  # nbgrader adds the course root each time
        log.seek(0)
        # Kernels write to these descriptors too, and not always UTF-8.
        text = f"=== {student}: exit {exit_code}\n{log.read().decode('utf-8', errors='replace')}"
        try:
            return text, read_results(f"sqlite:///{database}", assignment, student)
        except Exception:
            return f"{text}\nits results could not be read:\n{traceback.format_exc()}", None


@contextlib.contextmanager
def _private_gradebook(template):
    """A throw-away copy of the SQLite gradebook ``template``, in this machine's temporary folder."""
    with tempfile.TemporaryDirectory(prefix="backprop-job-") as folder:
        database = Path(folder) / "gradebook.db"
        shutil.copyfile(template, database)
        yield database


@contextlib.contextmanager
def _output_to(log):
    """Send this process's file descriptors 1 and 2 (and so the kernels' output) to ``log``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in saved:
            os.close(descriptor)


def read_results(database_url, assignment, student):
    """One student's autograde results in a job's gradebook, as plain data (None if it has none).

    The fields are those nbgrader's autograde sets: the timestamp; per
    notebook its flag and late penalty, each grade's (auto score, manual
    score, needs manual grade) and each comment's auto comment.
    """
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(database_url) as gradebook:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return None
        return {"timestamp": submission.timestamp, "notebooks": {
            notebook.name: {"flagged": notebook.flagged, "late_submission_penalty": notebook.late_submission_penalty,
                            "grades": {grade.name: (grade.auto_score, grade.manual_score, grade.needs_manual_grade)
                                       for grade in notebook.grades},
                            "comments": {comment.name: comment.auto_comment for comment in notebook.comments}}
            for notebook in submission.notebooks}}


def record_results(gradebook, assignment, student, results):
    """Write ``read_results``'s data into the real (open) gradebook, as nbgrader's autograde would.

    A manual score is only written where the gradebook has none, so a TA's stays.
    """
    if results is None:
        return
    submission = gradebook.update_or_create_submission(assignment, student)
    with gradebook.db.no_autoflush:  # one flush at the commit, not one per lazy load
        _record_notebooks(submission, results)
    submission.timestamp = results["timestamp"]
    gradebook.db.commit()


def _record_notebooks(submission, results):
    for notebook in submission.notebooks:
        graded = results["notebooks"].get(notebook.name)
        if graded is None:  # the job's gradebook did not know this notebook: leave it as it is
            continue
        notebook.flagged = notebook.flagged or graded["flagged"]
        notebook.late_submission_penalty = graded["late_submission_penalty"]
        for grade in notebook.grades:
            if grade.name not in graded["grades"]:
                continue
            auto_score, manual_score, needs_manual_grade = graded["grades"][grade.name]
            grade.auto_score = auto_score
            grade.needs_manual_grade = needs_manual_grade or grade.manual_score is not None
            if grade.manual_score is None and manual_score is not None:
                grade.manual_score = manual_score
        for comment in notebook.comments:
            comment.auto_comment = graded["comments"].get(comment.name, comment.auto_comment)


class Progress:
    """A one-line progress bar with counts, rate and ETA (a line per step when not a terminal)."""

    def __init__(self, total, label, stream=sys.stderr):
        self.total, self.label, self.stream, self.done = total, label, stream, 0
        self.started = time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def step(self, note=""):
        self.done += 1
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate else 0.0
        filled = int(30 * self.done / max(1, self.total))
        line = (f"{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} "
                f"{rate * 60:.1f}/min ETA {eta:.0f}s {note}")
        self.stream.write(("\r" + line.ljust(100)) if self.tty else line + "\n")
        if self.tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def dask_client(scheduler=None, workers=None):
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


def autograde_class(course, assignment, nbgrader_args=(), students=None, workers=None, progress=False,
                    scheduler=None, client=None):
    """Autograde ``students`` (default: every submitted folder); return (results, seconds).

    Each student is one Dask job (``grade_student``), run by ``client``, or
    else on the cluster at ``scheduler``, or else on a local cluster of
    ``workers`` processes (default: one per core).
    """
    from distributed import KilledWorker, as_completed
    from nbgrader.api import Gradebook

    sandbox.check_before_autograding()  # fails closed before any student is touched
    started = time.monotonic()
    everyone = ensure_gradebook_rows(course, assignment)
    students = list(students or everyone)
    bar = Progress(len(students), assignment) if progress else None
    logs = {}
    with contextlib.ExitStack() as stack:
        # The gradebook template is inside the course folder, so that workers on other machines see it too.
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=".autograde-jobs-", dir=course.root)))
        template = job_template_database(course, assignment, scratch)
        client = client or stack.enter_context(dask_client(scheduler, workers))
        jobs = {client.submit(grade_student, course.root, assignment, student, template, tuple(nbgrader_args),
                              key=f"autograde-{assignment}-{student}", pure=False): student
                for student in students}
        # This process is the one writer of the real gradebook.
        gradebook = stack.enter_context(Gradebook(course.db_url))
        finished = as_completed(jobs)
        for job in finished:
            student = jobs[job]
            try:
                logs[student], results = job.result()
            except Exception as error:
                if job.key.endswith("own-process") or not isinstance(error, KilledWorker):
                    logs[student] = f"=== {student}: not graded: {error!r}"
                else:
                    # The worker died while grading this student (a crash, or
                    # Dask's memory limit), or with it queued there: grade it
                    # again where only an nbgrader process of its own can die.
                    retry = client.submit(grade_in_subprocess, course.root, assignment, student, template,
                                          tuple(nbgrader_args), key=f"{job.key}-own-process", pure=False)
                    jobs[retry] = student
                    finished.add(retry)
                    continue
            else:
                record_results(gradebook, assignment, student, results)
            bar and bar.step(student)
    report_dir = course.root / "reports"
    report_dir.mkdir(exist_ok=True)
    (report_dir / f"autograde_log_{assignment}.txt").write_text("\n".join(logs[s] for s in sorted(logs)))
    results = collect_results(course, assignment)
    status = {item.student: {"status": item.status, "reason": item.reason,
                             "automatic": sum(item.cells.values()), "cells": item.cells} for item in results}
    (report_dir / f"autograde_status_{assignment}.json").write_text(json.dumps(status, indent=2) + "\n")
    return results, time.monotonic() - started


def default_workers():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def summary_lines(assignment, results, seconds):
    counts = Counter(item.status for item in results)
    lines = [f"{assignment}: {len(results)} submissions in {seconds:.0f} s: "
             + ", ".join(f"{count} {status}" for status, count in counts.most_common())]
    for item in results:
        if item.status != GRADED:
            lines.append(f"  {item.student:<24} {item.status:<17} {item.reason}")
    return lines
