"""Load test: a class of 300, one in twenty hostile, graded by the parallel command beside the same class without them.

The honest students are the fixture class (about half correct, half
catalogued mistakes) repeated; the hostile ones fill their disk, sleep in
four cells of 58 s, publish 1,500 display outputs of 1 MB, fork until the
process limit, or allocate until the memory limit. Both classes are graded
with the course's default limits, one after the other, while a sampler
records the memory of every process (the grader's and the kernels') and the
disk used. It checks that every honest student gets exactly the score they
get without the hostile ones, and that every hostile one has a status.

Run: .venv/bin/python bench/load_class.py [--size 300] [--workers 2] [--attacks flood,sleep]
"""
import argparse
import shutil
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

import psutil

from backprop_course import REPO_ROOT
from backprop_course.course import Course
from backprop_course.parallel import autograde_class

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(REPO_ROOT / "tests"))
from bench_autograde import synthetic_class  # noqa: E402
from support.hostile import HostileCase, write_case  # noqa: E402
from support.catalogs import DLDW_RESULT  # noqa: E402
from support.submissions import Edit  # noqa: E402

ASSIGNMENT = "chain_rule"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


def _after_dldw(code):
    return (Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\n" + code),)


ATTACKS = {
    "disk": _after_dldw("import os\nwritten = 0\ntry:\n    while True:\n"
                        "        open(f'filler-{written}.bin', 'wb').write(bytes(64 * 2 ** 20))\n"
                        "        written += 1\nexcept OSError as full:\n    print('DISK-FULL', written, full)"),
    "sleep": "four_sleeping_cells",
    "flood": _after_dldw("from IPython.display import display\nfor _ in range(1500):\n"
                         "    display({'text/plain': 'x' * 2 ** 20}, raw=True)"),
    "fork_bomb": _after_dldw("import os, time\nchildren = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
                             "            time.sleep(600)\n            os._exit(0)\n        children += 1\n"
                             "except OSError:\n    print('FORKED', children)"),
    "memory_bomb": _after_dldw("blocks = []\ntry:\n    while True:\n        blocks.append(bytearray(2 ** 28))\n"
                               "except MemoryError:\n    print('ALLOCATED', len(blocks) / 4, 'GB')\nblocks = None"),
}


def write_hostile(course, student, attack):
    import nbformat
    folder = course.root / "submitted" / student / ASSIGNMENT
    edits = () if ATTACKS[attack] == "four_sleeping_cells" else ATTACKS[attack]
    write_case(HostileCase(student, attack, None, edits=edits), folder, REPO_ROOT / "source" / ASSIGNMENT / NOTEBOOK,
               REPO_ROOT / "release" / ASSIGNMENT / NOTEBOOK)
    if attack == "sleep":  # as a red team submitted it: four cells of 58 s, each under the 60 s cell limit
        notebook = nbformat.read(folder / NOTEBOOK, as_version=4)
        notebook.cells[-1:-1] = [nbformat.v4.new_code_cell("import time\ntime.sleep(58)") for _ in range(4)]
        nbformat.write(notebook, folder / NOTEBOOK)


class Sampler:
    """Peak memory of the grader's processes and of the kernels, and peak disk used, every 0.5 s."""

    def __init__(self, course_root):
        self.root, self.stop = course_root, threading.Event()
        self.grader_mb = self.kernels_mb = self.largest_process_mb = self.disk_mb = 0.0
        self.disk_free_at_start = shutil.disk_usage(course_root).free
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def _run(self):
        me = psutil.Process()
        while not self.stop.wait(0.5):
            grader = kernels = 0.0
            for process in [me, *me.children(recursive=True)]:
                try:
                    rss = process.memory_info().rss / 2**20
                    kernel = "ipykernel" in " ".join(process.cmdline()) or process.name() in ("bwrap", "sleep", "sh")
                except psutil.Error:
                    continue
                self.largest_process_mb = max(self.largest_process_mb, rss)
                if kernel:
                    kernels += rss
                else:
                    grader += rss
            self.grader_mb, self.kernels_mb = max(self.grader_mb, grader), max(self.kernels_mb, kernels)
            used = (self.disk_free_at_start - shutil.disk_usage(self.root).free) / 2**20
            self.disk_mb = max(self.disk_mb, used)


def graded(folder, honest, hostile, workers):
    course = Course.scratch_copy(folder)
    course.release(ASSIGNMENT)
    for student, notebook in honest:
        course.submit(student, ASSIGNMENT, notebook)
    for student, attack in hostile:
        write_hostile(course, student, attack)
    with Sampler(course.root) as sampler:
        results, seconds = autograde_class(course, ASSIGNMENT, workers=workers)
    autograded = (course.root / "autograded").rglob("*")
    autograded_mb = sum(path.stat().st_size for path in autograded if path.is_file()) / 2**20
    return {item.student: item for item in results}, seconds, sampler, autograded_mb


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--attacks", default=",".join(ATTACKS), help="the kinds of hostile student, comma-separated")
    args = parser.parse_args()
    hostile_count = args.size // 20
    honest = synthetic_class(ASSIGNMENT, args.size - hostile_count)
    kinds = args.attacks.split(",")
    hostile = [(f"h{index:02d}_{kinds[index % len(kinds)]}", kinds[index % len(kinds)])
               for index in range(hostile_count)]
    with tempfile.TemporaryDirectory(prefix="load-class-") as scratch:
        alone, alone_seconds, alone_sampler, _ = graded(Path(scratch) / "honest", honest, [], args.workers)
        print(f"honest class alone: {len(alone)} in {alone_seconds:.0f} s", flush=True)
        mixed, mixed_seconds, sampler, autograded_mb = graded(Path(scratch) / "mixed", honest, hostile, args.workers)
    changed = [student for student, _ in honest
               if (mixed[student].status, mixed[student].cells) != (alone[student].status, alone[student].cells)]
    print(f"{len(honest)} honest + {len(hostile)} hostile submissions of {ASSIGNMENT}, {args.workers} workers")
    print(f"  wall time: {mixed_seconds:.0f} s with the hostile ones, {alone_seconds:.0f} s without "
          f"({mixed_seconds / alone_seconds:.2f}x)")
    print(f"  honest students whose status or scores differ from their grading without the hostile ones: "
          f"{len(changed)} {changed[:5]}")
    print("  hostile outcomes: " + ", ".join(f"{student} {mixed[student].status} "
                                              f"({sum(mixed[student].cells.values()):g})" for student, _ in hostile))
    print(f"  statuses: {dict(Counter(item.status for item in mixed.values()))}")
    print(f"  peak memory, with / without: grader processes {sampler.grader_mb:.0f} / "
          f"{alone_sampler.grader_mb:.0f} MB, "
          f"kernels {sampler.kernels_mb:.0f} / {alone_sampler.kernels_mb:.0f} MB, largest process "
          f"{sampler.largest_process_mb:.0f} / {alone_sampler.largest_process_mb:.0f} MB")
    print(f"  peak disk used during the run: {sampler.disk_mb:.0f} / {alone_sampler.disk_mb:.0f} MB; autograded/ "
          f"after it: {autograded_mb:.0f} MB")
    if changed:
        sys.exit(1)


if __name__ == "__main__":
    main()
