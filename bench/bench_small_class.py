"""Benchmark: from what class size the parallel command beats serial `nbgrader autograde`, as run by hand.

For each --sizes N, a scratch course with N chain_rule submissions (half correct, half a catalogued
mistake) is graded twice, each as an instructor runs it, start-up included: `nbgrader autograde chain_rule
--force`, and `python -m backprop_course autograde chain_rule --workers W` (a local cluster). The order
alternates between sizes, so that a slow spell of the shared machine falls on both. The parallel
command's note on small classes (cli.SMALL_CLASS) comes from this.

Run: .venv/bin/python bench/bench_small_class.py [--sizes 2 4 8 12 16] [--workers 2]
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from backprop_course import REPO_ROOT
from backprop_course.course import Course
sys.path.insert(0, str(REPO_ROOT / "tests"))
from support.submissions import fixture_notebook_path  # noqa: E402  (test support: the fixture class)

ASSIGNMENT = "chain_rule"
FIXTURES = ("reference", "missing_factor_2")


def timed(command: list[str], cwd: Path) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 8, 12, 16])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-small-") as folder:
        for index, size in enumerate(args.sizes):
            course = Course.scratch_copy(Path(folder) / f"course{size}")
            course.release(ASSIGNMENT)
            for student in range(size):
                course.submit(f"s{student:02d}", ASSIGNMENT, fixture_notebook_path(ASSIGNMENT, FIXTURES[student % 2]))
            runs = {"serial": [str(Path(sys.executable).with_name("nbgrader")), "autograde", ASSIGNMENT, "--create",
                               "--force"],
                    "parallel": [sys.executable, "-m", "backprop_course", "autograde", ASSIGNMENT, "--workers",
                                 str(args.workers), "--course", str(course.root)]}
            order = ["serial", "parallel"] if index % 2 == 0 else ["parallel", "serial"]
            seconds = {name: timed(runs[name], course.root) for name in order}
            rows.append((size, seconds["serial"], seconds["parallel"]))
    print(f"{'submissions':>11} {'serial s':>9} {'parallel s':>10} {'serial / parallel':>18}")
    for size, serial, parallel in rows:
        print(f"{size:>11} {serial:>9.1f} {parallel:>10.1f} {serial / parallel:>17.2f}x")


if __name__ == "__main__":
    main()
