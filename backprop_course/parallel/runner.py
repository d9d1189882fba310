"""One student's grading, as a Dask task: nbgrader's own AutogradeApp inside a long-lived worker.

``grade_student`` runs ``nbgrader autograde ASSIGNMENT --student=S`` with the
course's ``nbgrader_config.py`` in the worker process, so that nbgrader's
start-up is paid once per worker, not once per student. The sandbox, limits
and tampering checks apply exactly as they do by hand. ``grade_in_subprocess``
is the same in an nbgrader process of its own, for a student whose grading
killed a worker.

Each job has a bound of wall time (``job_seconds``), beyond the notebooks'
own budgets: a worker stuck in a job would be lost to the class. A worker
whose job passes it ends itself, so that the driver grades that student
again in a process of its own; if that one passes it too, it is killed and
the student is marked timed out (``JobTimedOut``).
"""
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..course import Course, put_environment_on_path
from .merge import read_results

# A job saves no answer digests: the driver does, once the job's results are in the real gradebook.
JOB_ARGUMENTS = ("--KeepManualGrading.write_digests=False",)
JOB_OVER_ITS_BOUND = 75  # the exit status of a worker that ended itself in a job past its bound


# chdir and the redirected output are the whole process's: one grading at a
# time, even on a Dask worker that runs several threads.
_ONE_GRADING_AT_A_TIME = threading.Lock()


class JobTimedOut(RuntimeError):
    """A student's grading ran past the job's bound, in a process of its own, and was killed."""


def grade_in_subprocess(course_root: str | Path, assignment: str, student: str, template: str | Path,
                        nbgrader_args: Sequence[str] = (),
                        job_seconds: float | None = None) -> tuple[str, dict[str, Any] | None]:
    """``grade_student``, but as an ``nbgrader autograde`` process of its own; returns the same.

    Used when a worker process died while grading this student: whatever the
    submission does to nbgrader then stops only this process, and a process
    past ``job_seconds`` is killed (JobTimedOut).
    """
    with _private_gradebook(template) as database:
        try:
            result = Course(course_root).nbgrader(
                "autograde", assignment, "--create", "--force", f"--student={student}",
                f"--CourseDirectory.db_url=sqlite:///{database}", *JOB_ARGUMENTS, *nbgrader_args, check=False,
                timeout=job_seconds)
        except subprocess.TimeoutExpired:
            raise JobTimedOut(f"its grading ran past the job's bound of {job_seconds:g} s, twice (in a worker, "
                              "then in a process of its own), and was stopped") from None
        text = _section(f"{student}: exit {result.returncode} (own process)", result.stdout + result.stderr)
        with in_course_folder(course_root):  # reading the course's config changes the working folder
            autograded = Course(course_root).folder("autograded", student, assignment)
        return text, read_results(f"sqlite:///{database}", assignment, student, autograded)


def grade_student(course_root: str | Path, assignment: str, student: str, template: str | Path,
                  nbgrader_args: Sequence[str] = (),
                  job_seconds: float | None = None) -> tuple[str, dict[str, Any] | None]:
    """One Dask task: ``nbgrader autograde ASSIGNMENT --student=STUDENT`` inside this worker process.

    It is nbgrader's own AutogradeApp, given the same arguments and reading
    the same config files as the command line, so it grades exactly as
    ``nbgrader autograde`` does. Running it in a long-lived worker saves
    nbgrader's start-up (about 1 s of imports) for every student after the
    worker's first. The grades go into a private copy of the gradebook
    ``template``, on the worker's own disk. Returns the log (what the app and
    the kernels it started wrote to standard output and error) and the
    results (``read_results``).
    """
    from nbgrader.apps.autogradeapp import AutogradeApp

    put_environment_on_path()
    with (in_course_folder(course_root), _bounded(job_seconds, student), _private_gradebook(template) as database,
          tempfile.TemporaryFile() as log):
        argv = [assignment, "--create", "--force", f"--student={student}",
                f"--CourseDirectory.db_url=sqlite:///{database}", *JOB_ARGUMENTS, *nbgrader_args]
        with _output_to(log):
            try:
                app = AutogradeApp()
                app.initialize(argv)
                app.start()
                exit_code = 0
            except SystemExit as exit:  # nbgrader's way of failing
                exit_code = 1 if exit.code is None else exit.code
            except Exception:
                traceback.print_exc()
                exit_code = 1
        # Kernels write to these descriptors too, and not always UTF-8.
        text = _section(f"{student}: exit {exit_code}", _read_capped(log).decode("utf-8", errors="replace"))
        try:
            return text, read_results(f"sqlite:///{database}", assignment, student,
                                      Course(course_root).folder("autograded", student, assignment))
        except Exception:
            return f"{text}\nits results could not be read:\n{traceback.format_exc()}", None


@contextlib.contextmanager
def in_course_folder(course_root: str | Path):
    """Work in the course folder, where nbgrader looks for nbgrader_config.py, one job at a time."""
    with _ONE_GRADING_AT_A_TIME:
        previous_folder, previous_path = os.getcwd(), list(sys.path)
        os.chdir(course_root)
        try:
            yield
        finally:
            os.chdir(previous_folder)
            sys.path[:] = previous_path  # nbgrader adds the course root each time


@contextlib.contextmanager
def _bounded(seconds, student):
    """End this worker process if the job inside takes more than ``seconds``: only that frees a worker
    stuck in nbgrader. The driver sees a worker that died, and grades the student in a process of its own."""
    def end_this_worker():
        os.write(2, f"=== {student}: the grading job ran past its bound of {seconds:g} s; "
                    "this worker ends\n".encode())
        os._exit(JOB_OVER_ITS_BOUND)

    watchdog = threading.Timer(seconds, end_this_worker) if seconds else None
    if watchdog:
        watchdog.daemon = True
        watchdog.start()
    try:
        yield
    finally:
        if watchdog:
            watchdog.cancel()


def _section(header, output):
    """One student's part of the autograde log. The student's kernel writes into ``output`` too: a
    line of it that looks like a section's header is indented, so that only the grader starts one
    (a carriage return starts a line too, for whoever reads the log)."""
    if len(output) > LOG_BYTES:  # an nbgrader process of its own: its output was captured whole
        output = f"{output[:LOG_BYTES // 2]}\n[... output left out ...]\n{output[-LOG_BYTES // 2:]}"
    return f"=== {header}\n" + re.sub(r"(?m)^(?====)", "    ", re.sub(r"\r\n?", "\n", output))


LOG_BYTES = 2**20  # of one student's output in the log: a kernel that prints without end must not fill it


def _read_capped(log) -> bytes:
    """The output in the open file ``log``: its first and last LOG_BYTES / 2 if it is longer."""
    size = log.seek(0, os.SEEK_END)
    log.seek(0)
    if size <= LOG_BYTES:
        return log.read()
    head = log.read(LOG_BYTES // 2)
    log.seek(size - LOG_BYTES // 2)
    return head + f"\n[... {size - LOG_BYTES:,} bytes of output left out ...]\n".encode() + log.read()


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
