"""Autograde a whole class in one go, in parallel, and record every outcome.

``python -m backprop_course autograde [ASSIGNMENT ...] [--course DIR] [--workers N]``

Each student is graded by their own run of plain ``nbgrader autograde
--student=S`` with the course's ``nbgrader_config.py``, so the sandbox,
limits and tampering checks apply exactly as they do by hand, and nothing
one submission does to nbgrader can stop or change another's grading.

Parallel runs never share a database writer (SQLite would fail with
"database is locked"): each job grades into its own copy of the gradebook,
made after the release, and this process alone copies that student's
results into the real gradebook as each job finishes. The copied fields are
the ones nbgrader's own autograde writes, so the gradebook, ``autograded/``,
formgrader, ``generate_feedback`` and ``export`` are as after a serial run.

Every student with a submitted folder then gets a gradebook row and a status
with its reason: graded, timed out, crashed, invalid notebook, missing or
tampered (printed, and written to ``reports/autograde_status_<a>.json``).
"""
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from .course import Course
from .report import collect_results


def ensure_gradebook_rows(course, assignment):
    """A submission row for every student folder, even if nbgrader skipped it."""
    from nbgrader.api import Gradebook

    students = sorted(path.parent.name for path in (course.root / "submitted").glob(f"*/{assignment}"))
    with Gradebook(course.db_url) as gradebook:
        for student in students:
            gradebook.update_or_create_student(student)
            gradebook.update_or_create_submission(assignment, student)
    return students


def job_template_database(course, assignment, scratch):
    """A SQLite gradebook that knows the assignment and no submission, for the jobs to copy.

    With a SQLite gradebook it is a copy of it; with another database (say
    PostgreSQL) nbgrader builds it from source/, and the due date is copied.
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
    return base


def grade_one(course_root, assignment, student, database, nbgrader_args=()):
    """One job: nbgrader autograde for one student, into ``database``. Returns its log."""
    course = Course(course_root)
    args = ["autograde", assignment, "--create", "--force", f"--student={student}", *nbgrader_args]
    if database:
        args.append(f"--CourseDirectory.db_url=sqlite:///{database}")
    result = course.nbgrader(*args, check=False)
    return f"=== {student}: exit {result.returncode}\n{result.stdout}{result.stderr}"


def copy_results(private_db_url, real_db_url, assignment, student):
    """Copy one student's autograde results from a job's gradebook into the real one.

    The fields are those nbgrader's autograde sets: auto scores and comments,
    needs_manual_grade, the notebook's flag, timestamp and late penalty; and a
    manual score only where the real gradebook has none (so a TA's stays).
    """
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(private_db_url) as private, Gradebook(real_db_url) as real:
        try:
            graded = private.find_submission(assignment, student)
        except MissingEntry:
            return
        target = real.update_or_create_submission(assignment, student, timestamp=graded.timestamp)
        for notebook in graded.notebooks:
            real_notebook = real.find_submission_notebook(notebook.name, assignment, student)
            real_notebook.flagged = real_notebook.flagged or notebook.flagged
            real_notebook.late_submission_penalty = notebook.late_submission_penalty
            for grade in notebook.grades:
                real_grade = real.find_grade(grade.name, notebook.name, assignment, student)
                real_grade.auto_score = grade.auto_score
                real_grade.needs_manual_grade = grade.needs_manual_grade or real_grade.manual_score is not None
                if real_grade.manual_score is None and grade.manual_score is not None:
                    real_grade.manual_score = grade.manual_score
            for comment in notebook.comments:
                real.find_comment(comment.name, notebook.name, assignment, student).auto_comment = comment.auto_comment
        target.timestamp = graded.timestamp
        real.db.commit()


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


def dask_client(scheduler, workers):
    """A Dask client: of the cluster at ``scheduler``, or of a local cluster of ``workers`` processes.

    Jobs on a remote cluster need this course folder at the same path (a
    shared file system) and this package installed.
    """
    import logging
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
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


def autograde_class(course, assignment, nbgrader_args=(), students=None, workers=1, progress=False,
                    scheduler=None):
    """Autograde ``students`` (default: every submitted folder); return (results, seconds).

    ``workers`` > 1 or a ``scheduler`` address runs the jobs on Dask.
    """
    started = time.monotonic()
    everyone = ensure_gradebook_rows(course, assignment)
    students = list(students or everyone)
    bar = Progress(len(students), assignment) if progress else None
    logs = {}
    if workers <= 1 and not scheduler:
        for student in students:
            logs[student] = grade_one(course.root, assignment, student, None, nbgrader_args)
            bar and bar.step(student)
    else:
        with tempfile.TemporaryDirectory(prefix="backprop-jobs-") as scratch:
            base = job_template_database(course, assignment, Path(scratch))
            databases = {student: Path(scratch) / f"{student}.db" for student in students}
            for database in databases.values():
                shutil.copyfile(base, database)
            with dask_client(scheduler, workers) as client:
                from distributed import as_completed
                jobs = {client.submit(grade_one, course.root, assignment, student, databases[student],
                                      tuple(nbgrader_args), key=f"autograde-{assignment}-{student}",
                                      pure=False): student for student in students}
                for job in as_completed(jobs):
                    student = jobs[job]
                    logs[student] = job.result()
                    # The one writer of the real gradebook.
                    copy_results(f"sqlite:///{databases[student]}", course.db_url, assignment, student)
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
        if item.status != "graded":
            lines.append(f"  {item.student:<24} {item.status:<17} {item.reason}")
    return lines
