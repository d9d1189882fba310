"""Benchmark: serial `nbgrader autograde` against the course's parallel command, side by side.

Builds a synthetic class of --size submissions per assignment (about half
correct solutions, half catalogued mistakes, from tests/fixtures), grades it
in two scratch course directories, one with plain serial `nbgrader autograde`
and one with the parallel command (`python -m backprop_course autograde
--workers N`, run in this process), and reports
both wall times and their ratio. Then it prices the parts of one notebook:
a bare `jupyter nbconvert --execute` of it (the floor), a kernel start with
the imports only, an nbgrader process start, and the gradebook writes.

Run: .venv/bin/python bench/bench_autograde.py [--size 60] [--workers 2]
"""
import argparse
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from backprop_course import ASSIGNMENTS, REPO_ROOT
from backprop_course import batch
from backprop_course.course import Course
from backprop_course.fixtures import FIXTURES_DIR, fixture_notebook_path

BIN = Path(sys.executable).parent


def synthetic_class(assignment, size):
    """[(student, notebook)]: about half correct (reference and equivalents), half mistakes."""
    expected = json.loads((FIXTURES_DIR / assignment / "expected.json").read_text())
    correct = [name for name, outcome in expected.items() if outcome["kind"] == "equivalent"] + ["reference"]
    wrong = [name for name, outcome in expected.items() if "mistake" in outcome["kind"]]
    alternating = (name for pair in zip(itertools.cycle(correct), itertools.cycle(wrong)) for name in pair)
    picks = list(itertools.islice(alternating, size))
    return [(f"s{index:03d}_{name}", fixture_notebook_path(assignment, name)) for index, name in enumerate(picks)]


def prepared_course(folder, size):
    course = Course.scratch_copy(folder)
    for assignment in ASSIGNMENTS:
        course.release(assignment)
        for student, notebook in synthetic_class(assignment, size):
            course.submit(student, assignment, notebook)
    return course


def scores(course):
    """{(assignment, student): total automatic score} from the course's gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gradebook:
        return {(assignment, submission.student.id): submission.score
                for assignment in ASSIGNMENTS for submission in gradebook.assignment_submissions(assignment)}


def timed(action):
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def nbconvert_seconds(notebook, folder):
    work = folder / "floor"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(notebook.parent, work)
    command = [str(BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute", "--output",
               str(work / "out.ipynb"), str(work / notebook.name)]
    return min(timed(lambda: subprocess.run(command, check=True, capture_output=True, cwd=work)) for _ in range(3))


def imports_only(notebook, folder):
    trimmed = nbformat.read(notebook, as_version=4)
    trimmed.cells = [cell for cell in trimmed.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "imports"]
    path = folder / "imports_only" / notebook.name
    shutil.copytree(notebook.parent, path.parent, dirs_exist_ok=True)
    nbformat.write(trimmed, path)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=60, help="submissions per assignment")
    parser.add_argument("--workers", type=int, default=batch.default_workers())
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    serial, parallel = prepared_course(scratch / "serial", args.size), prepared_course(scratch / "parallel", args.size)
    total = args.size * len(ASSIGNMENTS)

    writes = []
    original_record = batch.record_results

    def timed_record(*record_args):
        writes.append(timed(lambda: original_record(*record_args)))

    def grade_in_parallel():
        # What `python -m backprop_course autograde --workers N` does: one local cluster for all assignments.
        with batch.dask_client(workers=args.workers) as client:
            for assignment in ASSIGNMENTS:
                batch.autograde_class(parallel, assignment, client=client)

    batch.record_results = timed_record
    # Alternate, so that a slow spell of the shared machine does not fall on one side only.
    serial_first = timed(lambda: serial.nbgrader("autograde", ASSIGNMENTS[0], "--create", "--force"))
    parallel_seconds = timed(grade_in_parallel)
    serial_seconds = serial_first + timed(lambda: serial.nbgrader("autograde", ASSIGNMENTS[1], "--create", "--force"))
    batch.record_results = original_record

    reference = REPO_ROOT / "release" / "chain_rule" / "chain_rule.ipynb"
    filled = scratch / "reference" / "chain_rule.ipynb"
    shutil.copytree(reference.parent, filled.parent)
    shutil.copy(fixture_notebook_path("chain_rule", "reference"), filled)
    floor = nbconvert_seconds(filled, scratch)
    kernel_and_imports = nbconvert_seconds(imports_only(filled, scratch), scratch)
    nbgrader_start = min(timed(lambda: subprocess.run([str(BIN / "nbgrader"), "--version"], check=True,
                                                      capture_output=True)) for _ in range(3))
    print(f"\n{total} submissions ({args.size} per assignment x {len(ASSIGNMENTS)}), {args.workers} workers")
    print(f"{'serial nbgrader autograde':<44} {serial_seconds:8.1f} s  {serial_seconds / total:5.2f} s/notebook")
    print(f"{'parallel (backprop_course autograde)':<44} {parallel_seconds:8.1f} s  "
          f"{parallel_seconds / total:5.2f} s/notebook")
    print(f"{'speed-up':<44} {serial_seconds / parallel_seconds:8.2f}x")
    same = scores(serial) == scores(parallel)
    print(f"{'same scores for all ' + str(total) + ' submissions':<44} {'yes' if same else 'NO'}")
    print(f"\nWhere one notebook's time goes (chain_rule reference):")
    print(f"{'floor: jupyter nbconvert --execute':<44} {floor:8.2f} s")
    print(f"{'  of which kernel start + imports':<44} {kernel_and_imports:8.2f} s")
    print(f"{'  so test and student code':<44} {floor - kernel_and_imports:8.2f} s")
    print(f"{'nbgrader process start (nbgrader --version)':<44} {nbgrader_start:8.2f} s")
    print(f"{'gradebook writes per student (parallel)':<44} {sum(writes) / max(1, len(writes)):8.3f} s")
    print(f"{'serial nbgrader per notebook / floor':<44} {serial_seconds / total / floor:8.2f}x")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
