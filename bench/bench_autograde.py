"""Benchmark: serial `nbgrader autograde` against the course's parallel command, side by side.

Builds a synthetic class of --size submissions per assignment (about half
correct solutions, half catalogued mistakes, from tests/fixtures), grades it
in two scratch course directories, one with plain serial `nbgrader autograde`
and one with the parallel command (`python -m backprop_course autograde
--workers N`, run in this process), and reports
both wall times and their ratio. Then it prices the parts of one notebook:
a bare `jupyter nbconvert --execute` of it (the floor); kernel start, imports,
student code, tests and shutdown; nbgrader's own work; the gradebooks; and
an nbgrader process start.

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
from backprop_course import parallel as batch
from backprop_course.parallel import driver
from backprop_course.course import Course
sys.path.insert(0, str(REPO_ROOT / "tests"))
from support.submissions import FIXTURES_DIR, fixture_notebook_path  # noqa: E402  (test support: the fixture class)

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


def kernel_phases(notebook, kernel_name, repeats=3):
    """Best-of-``repeats`` seconds of each phase of running ``notebook`` in one kernel, via nbclient.

    Phases: kernel start, the imports cell, the student's cells, the test
    cells, kernel shutdown (graceful and immediate). The sandboxed kernel talks
    over IPC, as nbgrader's does.
    """
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    original = nbformat.read(notebook, as_version=4)
    best = {}
    # Graceful and immediate shutdown alternate, so that both are measured side by side.
    for run in range(2 * repeats):
        now = run % 2 == 1
        book = nbformat.from_dict(original)
        socket_dir = Path(tempfile.mkdtemp(prefix="bench-ipc-"))
        connection = {"transport": "ipc", "ip": str(socket_dir / "kernel")} if kernel_name != "python3" else {}
        manager = KernelManager(kernel_name=kernel_name, **connection)
        client = NotebookClient(book, km=manager, kernel_name=kernel_name,
                                resources={"metadata": {"path": str(notebook.parent)}})
        phases = dict.fromkeys(["kernel start", "imports cell", "student cells", "test cells"], 0.0)
        started = time.perf_counter()
        with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            phases["kernel start"] = time.perf_counter() - started
            for index, cell in enumerate(book.cells):
                if cell.cell_type != "code":
                    continue
                nbgrader = cell.metadata.get("nbgrader", {})
                phase = ("imports cell" if nbgrader.get("grade_id") == "imports"
                         else "test cells" if nbgrader.get("grade") else "student cells")
                phases[phase] += timed(lambda: client.execute_cell(cell, index))
        # The client leaves a kernel manager it was given running.
        phases[f"kernel shutdown ({'immediate' if now else 'graceful'})"] = timed(
            lambda: manager.shutdown_kernel(now=now))
        shutil.rmtree(socket_dir, ignore_errors=True)
        best = {name: min(seconds, best.get(name, seconds)) for name, seconds in phases.items()} | {
            name: seconds for name, seconds in best.items() if name not in phases}
    return best


def nbgrader_work_in_worker(course, assignment, student):
    """CPU seconds this process spends in nbgrader's AutogradeApp for one student (the kernel excluded),
    and the seconds of the job's private gradebook: copy and read-back."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-job-"))
    template = batch.job_template_database(course, assignment, scratch)
    cpu = []
    for _ in range(3):
        started = time.process_time()
        batch.grade_student(course.root, assignment, student, template)
        cpu.append(time.process_time() - started)
    graded = scratch / "graded.db"
    shutil.copyfile(course.db_url[len("sqlite:///"):], graded)
    database = min(timed(lambda: (shutil.copyfile(template, scratch / "copy.db"),
                                  batch.read_results(f"sqlite:///{graded}", assignment, student)))
                   for _ in range(3))
    shutil.rmtree(scratch, ignore_errors=True)
    return min(cpu[1:]), database


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=60, help="submissions per assignment")
    parser.add_argument("--workers", type=int, default=batch.default_workers())
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    serial, parallel = prepared_course(scratch / "serial", args.size), prepared_course(scratch / "parallel", args.size)
    total = args.size * len(ASSIGNMENTS)

    writes = []
    original_record = driver.record_results

    def timed_record(*record_args):
        writes.append(timed(lambda: original_record(*record_args)))

    def grade_in_parallel():
        # What `python -m backprop_course autograde --workers N` does: one local cluster for all assignments.
        with batch.dask_client(workers=args.workers) as client:
            for assignment in ASSIGNMENTS:
                batch.autograde_class(parallel, assignment, client=client)

    driver.record_results = timed_record
    # Alternate, so that a slow spell of the shared machine does not fall on one side only.
    serial_first = timed(lambda: serial.nbgrader("autograde", ASSIGNMENTS[0], "--create", "--force"))
    parallel_seconds = timed(grade_in_parallel)
    serial_seconds = serial_first + timed(lambda: serial.nbgrader("autograde", ASSIGNMENTS[1], "--create", "--force"))
    driver.record_results = original_record

    # One correct submission, as nbgrader autograded it (hidden tests in place), in its own folder.
    student = synthetic_class(ASSIGNMENTS[0], 1)[0][0]
    graded = scratch / "floor-notebook"
    shutil.copytree(parallel.root / "autograded" / student / ASSIGNMENTS[0], graded)
    for path in graded.iterdir():
        path.chmod(0o644)
    notebook = graded / f"{ASSIGNMENTS[0]}.ipynb"
    floor = nbconvert_seconds(notebook, scratch)
    sandboxed = kernel_phases(notebook, "backprop-sandbox")
    plain_start = kernel_phases(notebook, "python3")["kernel start"]
    nbgrader_start = min(timed(lambda: subprocess.run([str(BIN / "nbgrader"), "--version"], check=True,
                                                      capture_output=True)) for _ in range(3))
    nbgrader_cpu, job_database = nbgrader_work_in_worker(parallel, ASSIGNMENTS[0], student)

    def row(label, seconds, unit="s"):
        print(f"{label:<60} {seconds:8.3f} {unit}")
    print(f"\n{total} submissions ({args.size} per assignment x {len(ASSIGNMENTS)}), {args.workers} workers")
    print(f"{'serial nbgrader autograde':<60} {serial_seconds:8.1f} s  {serial_seconds / total:5.2f} s/notebook")
    print(f"{'parallel (backprop_course autograde)':<60} {parallel_seconds:8.1f} s  "
          f"{parallel_seconds / total:5.2f} s/notebook")
    print(f"{'speed-up':<60} {serial_seconds / parallel_seconds:8.2f}x")
    same = scores(serial) == scores(parallel)
    print(f"{'same scores for all ' + str(total) + ' submissions':<60} {'yes' if same else 'NO'}")
    print(f"\nFloor: bare `jupyter nbconvert --execute` of {student}'s autograded {ASSIGNMENTS[0]} notebook")
    row("  (includes jupyter's own start-up; kernel not sandboxed)", floor)
    row("serial nbgrader per notebook / floor", serial_seconds / total / floor, "x")
    row("parallel per notebook / floor", parallel_seconds / total / floor, "x")
    print("\nWhere one notebook's time goes (best of 3; the kernel runs in the sandbox as when grading):")
    for name, seconds in sandboxed.items():
        row(f"  {name}", seconds)
    row("  kernel start without the sandbox (python3 kernel)", plain_start)
    row("  nbgrader's own work per student (CPU, in a worker)", nbgrader_cpu)
    row("  database: job's private gradebook (copy + read back)", job_database)
    row("  database: writes into the real gradebook per student", sum(writes) / max(1, len(writes)))
    row("nbgrader process start (nbgrader --version), once per worker", nbgrader_start)
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
