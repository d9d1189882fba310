"""Benchmark: cold and warm kernels, serial `nbgrader autograde` and the parallel command, side by side.

Builds a synthetic class of --size submissions per assignment (about half
correct solutions, half catalogued mistakes, from tests/fixtures) and grades
it four times, in four scratch course directories, one assignment at a time
in turn so that a slow spell of the shared machine falls on all four:

- serial `nbgrader autograde`, cold kernels, jupyter_client's own client and
  graceful shutdown (the course before issue 16: "today");
- the parallel command (`python -m backprop_course autograde --workers N`,
  run in this process), cold, as today;
- the parallel command with warm kernels (the course's default);
- serial `nbgrader autograde` with warm kernels (the default too).

Then it prices the parts of one notebook, warm and cold: kernel start (a
fork, or a cold start), imports, student code, tests, the verdict, shutdown,
nbgrader's own work; one submission end to end in a warm worker; and the
floor: the student's code and the tests in an already-running interpreter.

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

from backprop_course import REPO_ROOT
from backprop_course import parallel as batch
from backprop_course.parallel import driver
from backprop_course.course import Course
sys.path.insert(0, str(REPO_ROOT / "tests"))
from support import ASSIGNMENTS  # noqa: E402
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


# The course before warm kernels (issue 16), as nbgrader settings: cold starts, jupyter_client's own client,
# and a graceful shutdown, which waits for the kernel to answer shutdown_request.
COLD = ("--WarmForkProvisioner.warm=False",
        "--SandboxedKernelManager.client_class=jupyter_client.asynchronous.AsyncKernelClient",
        "--Execute.shutdown_kernel=graceful")


def kernel_config(warm):
    from traitlets.config import Config
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(Path(tempfile.mkdtemp(prefix="bench-ipc-")) / "kernel")
    config.WarmForkProvisioner.warm = warm
    if not warm:
        config.SandboxedKernelManager.client_class = "jupyter_client.asynchronous.AsyncKernelClient"
    return config


def kernel_phases(notebook, warm, repeats=3):
    """Best-of-``repeats`` seconds of each phase of running ``notebook`` in one sandboxed kernel, via nbclient,
    as nbgrader runs it with the course's kernel manager: warm, or cold as before (graceful shutdown)."""
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient
    from backprop_course.grading.sandbox.kernelmanager import SandboxedKernelManager

    original = nbformat.read(notebook, as_version=4)
    runs = []
    for _ in range(repeats + 1):
        book = nbformat.from_dict(original)
        manager = SandboxedKernelManager(kernel_name="backprop-sandbox", config=kernel_config(warm))
        client = NotebookClient(book, km=manager, kernel_name="backprop-sandbox",
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
        phases["kernel shutdown (immediate | graceful)"] = timed(
            lambda: run_sync(manager.shutdown_kernel)(now=warm))
        runs.append(phases)
    runs = runs[1:]  # the first warm one starts the template; the first cold one warms the disk cache
    return {name: min(run[name] for run in runs) for name in runs[0]}


def floor_seconds(notebook, repeats=3):
    """The floor: the notebook's student and test cells in an already-running interpreter (this one), after
    its imports cell; best of ``repeats``."""
    import os
    from IPython.core.interactiveshell import InteractiveShell

    book = nbformat.read(notebook, as_version=4)
    folder, previous = str(notebook.parent), os.getcwd()
    sys.path.insert(0, folder)
    os.chdir(folder)
    best = float("inf")
    try:
        for _ in range(repeats):
            shell = InteractiveShell.instance()
            shell.reset()
            seconds = 0.0
            for cell in book.cells:
                if cell.cell_type == "code":
                    is_imports = cell.metadata.get("nbgrader", {}).get("grade_id") == "imports"
                    took = timed(lambda: shell.run_cell(cell.source, silent=True))
                    seconds += 0.0 if is_imports else took
            best = min(best, seconds)
    finally:
        os.chdir(previous)
        sys.path.remove(folder)
    return best


def nbgrader_work_in_worker(course, assignment, student):
    """For one student graded in this process as a warm worker of the parallel command: the wall seconds of
    the whole job, and the CPU seconds of this process in nbgrader's AutogradeApp (the kernel excluded)."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-job-"))
    template = batch.job_template_database(course, assignment, scratch)
    batch.grade_student(course.root, assignment, student, template)  # warms the worker: imports, template
    wall, cpu = [], []
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        batch.grade_student(course.root, assignment, student, template)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    shutil.rmtree(scratch, ignore_errors=True)
    return min(wall), min(cpu)


def verdict_seconds(course, assignment):
    """Mean seconds of the verdict per notebook, as JudgeProbes measured it in the autograded notebooks."""
    from backprop_course.grading.judge.verdicts import VERDICTS_KEY
    seconds = [nbformat.read(path, 4).metadata[VERDICTS_KEY]["seconds"]
               for path in (course.root / "autograded").glob(f"*/{assignment}/{assignment}.ipynb")]
    return sum(seconds) / len(seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=60, help="submissions per assignment")
    parser.add_argument("--workers", type=int, default=batch.default_workers())
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    modes = ("serial, cold (today)", "parallel, cold (today)", "parallel, warm", "serial, warm")
    courses = {mode: prepared_course(scratch / f"course{index}", args.size) for index, mode in enumerate(modes)}
    total = args.size * len(ASSIGNMENTS)

    writes = []
    original_record = driver.record_results

    def timed_record(*record_args):
        writes.append(timed(lambda: original_record(*record_args)))

    seconds = dict.fromkeys(modes, 0.0)
    driver.record_results = timed_record
    cluster_start = time.perf_counter()
    # What `python -m backprop_course autograde --workers N` does: one local cluster for all assignments.
    with batch.dask_client(workers=args.workers) as client:
        cluster_start = time.perf_counter() - cluster_start
        for assignment in ASSIGNMENTS:
            runs = {
                modes[0]: lambda: courses[modes[0]].nbgrader("autograde", assignment, "--create", "--force", *COLD),
                modes[1]: lambda: batch.autograde_class(courses[modes[1]], assignment, client=client,
                                                        nbgrader_args=COLD),
                modes[2]: lambda: batch.autograde_class(courses[modes[2]], assignment, client=client),
                modes[3]: lambda: courses[modes[3]].nbgrader("autograde", assignment, "--create", "--force"),
            }
            for mode, run in runs.items():
                seconds[mode] += timed(run)
    driver.record_results = original_record
    for mode in modes[1:3]:
        seconds[mode] += cluster_start / 2  # one cluster served both

    # One correct submission, as nbgrader autograded it (hidden tests in place), in its own folder.
    student = synthetic_class(ASSIGNMENTS[0], 1)[0][0]
    graded = scratch / "floor-notebook"
    shutil.copytree(courses[modes[2]].root / "autograded" / student / ASSIGNMENTS[0], graded)
    for path in graded.iterdir():
        path.chmod(0o644)
    notebook = graded / f"{ASSIGNMENTS[0]}.ipynb"
    floor = floor_seconds(notebook)
    warm, cold = kernel_phases(notebook, warm=True), kernel_phases(notebook, warm=False)
    job_wall, nbgrader_cpu = nbgrader_work_in_worker(courses[modes[2]], ASSIGNMENTS[0], student)
    verdict = verdict_seconds(courses[modes[2]], ASSIGNMENTS[0])
    write = sum(writes) / max(1, len(writes))

    def row(label, value, unit="s"):
        print(f"{label:<64} {value:8.3f} {unit}")
    print(f"\n{total} submissions ({args.size} per assignment x {len(ASSIGNMENTS)}), {args.workers} workers; "
          f"the parallel rows include the cluster's start ({cluster_start:.1f} s, shared)")
    print(f"{'':<44} {'seconds':>8} {'s/notebook':>11} {'vs serial cold':>15} {'vs parallel cold':>17}")
    for mode in modes:
        print(f"{mode:<44} {seconds[mode]:8.1f} {seconds[mode] / total:11.3f} "
              f"{seconds[modes[0]] / seconds[mode]:14.2f}x {seconds[modes[1]] / seconds[mode]:16.2f}x")
    same = len({json.dumps(sorted(scores(course).items())) for course in courses.values()}) == 1
    print(f"{'same scores in all four, for all ' + str(total) + ' submissions':<64} {'yes' if same else 'NO'}")
    print(f"\nOne {ASSIGNMENTS[0]} notebook ({student}), best of 3: warm | cold")
    for name in warm:
        print(f"  {name:<62} {warm[name]:8.3f} | {cold[name]:.3f} s")
    row("  the verdict (JudgeProbes, mean over the class)", verdict)
    row("  nbgrader's own work per student, verdict included (CPU, warm worker)", nbgrader_cpu)
    row("  database: writes into the real gradebook per student", write)
    row("one submission end to end in a warm worker (job + gradebook write)", job_wall + write)
    print(f"\nFloor: the student's cells and the tests of {student}'s notebook in an already-running interpreter")
    row("  floor", floor)
    row("  warm kernel's notebook phases / floor", sum(warm.values()) / floor, "x")
    row("  parallel warm, per notebook per worker / floor", seconds[modes[2]] / total * args.workers / floor, "x")
    row("  parallel warm, per notebook / floor", seconds[modes[2]] / total / floor, "x")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
