"""Benchmark: what the bounds of issue 23 cost honest grading, side by side with the course before them.

The bounds are the kernel's disk quota (its working folder a tmpfs, filled
with a copy of the submission), the notebook's wall-clock budget and the
output byte caps as outputs arrive (BoundedExecute), and the probe seed's
digest of every submitted file. "Before" is the course at a commit without
them (--before, default: the last commit before issue 23), unpacked into a
temporary folder and put first on PYTHONPATH; "after" is this checkout. Both
grade the same synthetic class (about half correct, half catalogued
mistakes) with the parallel command (`python -m backprop_course autograde`),
in turns, so that a slow spell of the shared machine falls on both, and
the scores must agree.

Run: .venv/bin/python bench/bench_bounds.py [--size 40] [--rounds 3] [--workers 2]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from backprop_course import REPO_ROOT
from backprop_course.course import Course

sys.path.insert(0, str(Path(__file__).parent))
from bench_autograde import synthetic_class  # noqa: E402

BEFORE = "545cbb9"  # main before issue 23
ASSIGNMENT = "chain_rule"


def unpack(commit, folder):
    archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--format=tar", commit],
                             capture_output=True, check=True).stdout
    with tempfile.TemporaryFile() as handle:
        handle.write(archive)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(folder, filter="data")
    return folder


def prepared(folder, code_root, size):
    course = Course.scratch_copy(folder, source_root=code_root)
    subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "generate_assignment", ASSIGNMENT, "--force"],
                   cwd=course.root, env=environment(code_root), check=True, capture_output=True)
    for student, notebook in synthetic_class(ASSIGNMENT, size):
        course.submit(student, ASSIGNMENT, notebook)
    return course


def scores(course):
    """{student: automatic score} in the course's gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gradebook:
        return {submission.student.id: submission.score for submission in gradebook.assignment_submissions(ASSIGNMENT)}


def environment(code_root):
    """The environment that runs ``code_root``'s course package: first on the path, before this checkout's."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "PYTHONPATH": str(code_root)}


def grade(course, code_root, workers):
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "backprop_course", "autograde", "--course", str(course.root),
                    "--workers", str(workers), ASSIGNMENT], env=environment(code_root), check=True,
                   capture_output=True, cwd=course.root)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--before", default=BEFORE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-bounds-") as scratch:
        before_root = unpack(args.before, Path(scratch) / "before-code")
        courses = {"before": (prepared(Path(scratch) / "before", before_root, args.size), before_root),
                   "after": (prepared(Path(scratch) / "after", REPO_ROOT, args.size), REPO_ROOT)}
        times = {name: [] for name in courses}
        for round_number in range(args.rounds):
            order = list(courses) if round_number % 2 == 0 else list(reversed(courses))
            for name in order:
                course, code_root = courses[name]
                times[name].append(grade(course, code_root, args.workers))
            print(f"round {round_number + 1}: " + ", ".join(f"{name} {times[name][-1]:.1f} s" for name in courses),
                  flush=True)
        totals = {name: scores(course) for name, (course, _) in courses.items()}
        assert totals["before"] == totals["after"], "the bounds changed an honest score"
        ratios = [after / before for before, after in zip(times["before"], times["after"])]
        print(f"{args.size} submissions of {ASSIGNMENT}, {args.workers} workers, {args.rounds} rounds, in turns")
        for name in courses:
            each = ", ".join(f"{t:.1f}" for t in times[name])
            print(f"  {name:<6} median {statistics.median(times[name]):.1f} s  ({each})")
        print(f"  after / before: median {statistics.median(ratios):.3f}  (per round: "
              f"{', '.join(f'{r:.3f}' for r in ratios)}); same scores for all {len(totals['after'])} submissions")


if __name__ == "__main__":
    main()
