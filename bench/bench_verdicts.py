"""Benchmark: what the trusted verdict costs, against the whole grading of a notebook, in one run.

Grades a synthetic class (--size submissions per assignment: about half
correct, half catalogued mistakes, as bench_autograde.py builds it) with plain
serial `nbgrader autograde` in a scratch course. JudgeProbes measures its own
work per notebook (reading the records, building the cases, the reference
values, the comparisons) and keeps it in the autograded notebook's metadata;
this script sets that against the wall time per notebook of the same run.

Run: .venv/bin/python bench/bench_verdicts.py [--size 20]
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
from bench_autograde import prepared_course  # noqa: E402  (the same synthetic class)

from support import ASSIGNMENTS  # noqa: E402  (bench_autograde put tests/ on the path)
from backprop_course.grading.judge.verdicts import VERDICTS_KEY  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20, help="submissions per assignment")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-verdicts-") as folder:
        course = prepared_course(Path(folder) / "course", args.size)
        print(f"{'assignment':<16} {'notebooks':>9} {'grading s/notebook':>19} {'verdict ms/notebook':>20} "
              f"{'max ms':>7} {'share':>7}")
        for assignment in ASSIGNMENTS:
            started = time.perf_counter()
            course.autograde(assignment)
            wall = time.perf_counter() - started
            verdicts = [nbformat.read(path, 4).metadata[VERDICTS_KEY]["seconds"]
                        for path in sorted((course.root / "autograded").glob(f"*/{assignment}/{assignment}.ipynb"))]
            per_notebook = wall / len(verdicts)
            mean = statistics.mean(verdicts)
            print(f"{assignment:<16} {len(verdicts):>9} {per_notebook:>19.3f} {1000 * mean:>20.1f} "
                  f"{1000 * max(verdicts):>7.1f} {mean / per_notebook:>7.2%}")


if __name__ == "__main__":
    main()
