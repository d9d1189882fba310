"""Benchmark: grading on submit (`python -m backprop_course serve`) against batch grading, side by side.

Two scratch course directories, each with its own private exchange, get the same class: --size students
of chain_rule, half with the reference answer and half with a catalogued mistake.

- **Idle:** with the service running and nothing waiting, one student runs the real `nbgrader submit`;
  the time from its return until the feedback is in the exchange under the name `nbgrader
  fetch_feedback` looks for (fetchable). Repeated --idle times.
- **Burst:** --size submissions land in the inbound folder at once (each a copy of what `nbgrader
  submit` writes, under the student's own name, time and secret); the time until every one is fetchable.
- **Batch:** the same submissions, graded the batch way in the other course: `nbgrader collect`, the
  parallel command, `nbgrader generate_feedback` and `nbgrader release_feedback` for the class.

The service's overhead is its burst time against the batch time.

Run: .venv/bin/python bench/bench_serve.py [--size 60] [--idle 3] [--workers 2]
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from backprop_course import REPO_ROOT
from backprop_course.course import NBGRADER, Course
from backprop_course.parallel import autograde_class
from backprop_course.serve.inbox import Exchange
sys.path.insert(0, str(REPO_ROOT / "tests"))
from support.exchange import leave_submission  # noqa: E402  (test support: what nbgrader submit leaves)
from support.submissions import fixture_notebook_path  # noqa: E402  (test support: the fixture class)

ASSIGNMENT, COURSE_ID = "chain_rule", "backprop"
FIXTURES = ("reference", "missing_factor_2", "reference", "dldw_extra_factor_2")


def course_with_exchange(root: Path) -> Course:
    course = Course.scratch_copy(root / "course")
    (root / "exchange").mkdir()
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Exchange.root = {str(root / 'exchange')!r}\nc.CourseDirectory.course_id = {COURSE_ID!r}\n")
    course.release(ASSIGNMENT)
    course.nbgrader("release_assignment", ASSIGNMENT, "--force")
    return course


def submit_for_real(course: Course, home: Path, student: str, fixture: str) -> None:
    options = [f"--Exchange.root={Exchange.of(course).course_folder.parent}", f"--Exchange.cache={home / '.cache'}",
               f"--CourseDirectory.course_id={COURSE_ID}", f"--student={student}"]
    if not (home / ASSIGNMENT).is_dir():
        home.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(NBGRADER), "fetch_assignment", ASSIGNMENT, *options], cwd=home, check=True,
                       capture_output=True)
    shutil.copyfile(fixture_notebook_path(ASSIGNMENT, fixture), home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    subprocess.run([str(NBGRADER), "submit", ASSIGNMENT, *options], cwd=home, check=True, capture_output=True)


def land_burst(course: Course, students: list[str]) -> None:
    """What `nbgrader submit` writes, for each student at once: notebook, timestamp and secret."""
    inbound, now = Exchange.of(course).inbound, datetime.now(timezone.utc)
    for index, student in enumerate(students):
        notebook = fixture_notebook_path(ASSIGNMENT, FIXTURES[index % len(FIXTURES)])
        leave_submission(inbound, student, ASSIGNMENT, now + timedelta(microseconds=index),
                         lambda folder, notebook=notebook: shutil.copyfile(notebook, folder / f"{ASSIGNMENT}.ipynb"))


def wait_answered(course: Course, count: int, timeout: float = 900) -> float:
    exchange, started = Exchange.of(course), time.monotonic()
    while time.monotonic() - started < timeout:
        submissions = exchange.submissions({ASSIGNMENT})
        if len(submissions) >= count and all(item.answered(exchange.feedback) for item in submissions[-count:]):
            return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError("the service did not answer in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=60)
    parser.add_argument("--idle", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as folder:
        scratch = Path(folder)
        served, batch = course_with_exchange(scratch / "served"), course_with_exchange(scratch / "batch")
        students = [f"s{index:03d}" for index in range(args.size)]
        service = subprocess.Popen([sys.executable, "-m", "backprop_course", "serve", "--course", str(served.root),
                                    "--interval", "0.2", "--workers", str(args.workers)],
                                   stdout=open(scratch / "service.log", "w"), stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            submit_for_real(served, scratch / "warm-up", "warmup", "reference")  # the cluster starts, workers warm
            wait_answered(served, 1)
            idle = []
            for index in range(args.idle):
                submit_for_real(served, scratch / f"idle{index}", f"idle{index}", "reference")
                idle.append(wait_answered(served, 1))
            land_burst(served, students)
            burst = wait_answered(served, len(students))
        finally:
            os.killpg(service.pid, signal.SIGTERM)
            service.wait(timeout=60)
        land_burst(batch, students)
        started = time.monotonic()
        batch.nbgrader("collect", ASSIGNMENT)
        autograde_class(batch, ASSIGNMENT, workers=args.workers)
        batch.nbgrader("generate_feedback", ASSIGNMENT, "--force")
        batch.nbgrader("release_feedback", ASSIGNMENT)
        batch_seconds = time.monotonic() - started
        assert all(item.answered(Exchange.of(batch).feedback) for item in Exchange.of(batch).submissions({ASSIGNMENT}))
        rounds = "".join(line for line in (scratch / "service.log").read_text().splitlines(True)
                         if line.startswith("round of "))
    print(f"idle service, `nbgrader submit` returned -> feedback fetchable: median {statistics.median(idle):.2f} s "
          f"(runs: {', '.join(f'{value:.2f}' for value in idle)})")
    print(f"burst of {args.size}: every feedback fetchable after {burst:.1f} s")
    print(f"batch (collect, parallel autograde, feedback, release) of the same {args.size}: {batch_seconds:.1f} s")
    print(f"service burst / batch: {burst / batch_seconds:.2f}x")
    print("the service's rounds:\n" + rounds)


if __name__ == "__main__":
    main()
