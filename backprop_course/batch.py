"""Autograde a whole class in one go, in parallel, and record every outcome.

``python -m backprop_course autograde [ASSIGNMENT ...] [--course DIR] [--workers N]``

Students are graded by plain ``nbgrader autograde`` with the course's
``nbgrader_config.py``, so the sandbox, limits and tampering checks apply
exactly as they do by hand: serially one ``--student=S`` run each, or in
parallel as Dask jobs of a few students each (see ``grade_group``). Nothing
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


def grade_group(course_root, assignment, students, database, nbgrader_args=()):
    """One job: nbgrader autograde for a few students, into ``database``. Returns its log.

    One nbgrader process grades the group, so its start-up (a few seconds)
    is paid once per group, as in a serial run. It reads the group through a
    private submitted/ folder of links. If a submission aborts the run, the
    students after it are graded again, each alone, so that no submission
    can stop another's grading.
    """
    course = Course(course_root)
    base = ["autograde", assignment, "--create", "--force", *nbgrader_args]
    if database:
        base.append(f"--CourseDirectory.db_url=sqlite:///{database}")
    if len(students) == 1:
        result = course.nbgrader(*base, f"--student={students[0]}", check=False)
        return f"=== {students[0]}: exit {result.returncode}\n{result.stdout}{result.stderr}"
    links = Path(database).with_suffix("") / "submitted"
    links.mkdir(parents=True)
    for student in students:
        (links / student).symlink_to(course.root / "submitted" / student, target_is_directory=True)
    result = course.nbgrader(*base, f"--CourseDirectory.submitted_directory={links}", check=False)
    logs = [f"=== {', '.join(students)}: exit {result.returncode}\n{result.stdout}{result.stderr}"]
    started = {student for student in students
               if f"Creating/updating student with ID '{student}'" in result.stdout + result.stderr}
    for student in students:
        if student not in started:
            logs.append(grade_group(course_root, assignment, [student], database, nbgrader_args))
    return "\n".join(logs)


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
                    scheduler=None, group_size=None):
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
            logs[student] = grade_group(course.root, assignment, [student], None, nbgrader_args)
            bar and bar.step(student)
    else:
        # Big groups pay nbgrader's start-up (about 2.4 s) rarely; two groups per
        # worker keep the workers evenly busy to the end.
        group_size = group_size or max(1, min(16, -(-len(students) // (2 * max(1, workers)))))
        groups = [students[start:start + group_size] for start in range(0, len(students), group_size)]
        with tempfile.TemporaryDirectory(prefix="backprop-jobs-") as scratch:
            base = job_template_database(course, assignment, Path(scratch))
            databases = [Path(scratch) / f"group{index}.db" for index in range(len(groups))]
            for database in databases:
                shutil.copyfile(base, database)
            with dask_client(scheduler, workers) as client:
                from distributed import as_completed
                jobs = {client.submit(grade_group, course.root, assignment, group, databases[index],
                                      tuple(nbgrader_args), key=f"autograde-{assignment}-{'+'.join(group)}",
                                      pure=False): index for index, group in enumerate(groups)}
                for job in as_completed(jobs):
                    index = jobs[job]
                    log = job.result()
                    for student in groups[index]:
                        logs[student] = log
                        # The one writer of the real gradebook.
                        copy_results(f"sqlite:///{databases[index]}", course.db_url, assignment, student)
                        bar and bar.step(student)
    report_dir = course.root / "reports"
    report_dir.mkdir(exist_ok=True)
    (report_dir / f"autograde_log_{assignment}.txt").write_text("\n".join(dict.fromkeys(logs[s] for s in sorted(logs))))
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
