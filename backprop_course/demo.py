"""The demo: the whole grading cycle on the bundled example class.

An example class is a folder ``<assignment>/<student>/<assignment>.ipynb``;
``make demo`` grades the fixture submissions of tests/fixtures, each made-up
student named after what their notebook does. The demo grades them in demo/,
a throw-away course directory with its own gradebook, so it never mixes
made-up students into the instructor's real gradebook.db.
"""
import os
import time
from collections.abc import Sequence
from pathlib import Path

from . import REPO_ROOT
from .units import unit_names
from .parallel import autograde_class, dask_client, default_workers, summary_lines
from .course import Course, lost_cells

DEMO_DIR = REPO_ROOT / "demo"


def example_class(class_dir: Path, assignment: str) -> list[tuple[str, Path]]:
    """[(student id, notebook path)] of an example class, in the students' order."""
    return [(notebook.parent.name, notebook)
            for notebook in sorted((class_dir / assignment).glob(f"*/{assignment}.ipynb"))]


def grade_table(course: Course, assignment: str) -> list[str]:
    """Lines of a plain-text grade table: one row per student."""
    tests = course.test_cells(assignment)
    scores = course.scores(assignment)
    max_auto = sum(tests.values())
    lines = [f"{assignment}: automatic points per student (hand-graded parts not included)",
             f"  {'student':<26} {'score':>9}  lost points on"]
    for student in sorted(scores):
        cells = scores[student]
        lost = lost_cells(cells, tests)
        lines.append(f"  {student:<26} {sum(cells.values()):>4g} / {max_auto:<3g} "
                     f"{', '.join(lost) if lost else '-'}")
    return lines


def unconfined_banner() -> str | None:
    """The demo's made-up students may be graded unconfined where the sandbox cannot run; say so, or None."""
    from .grading import sandbox
    reason = sandbox.missing_reason()
    if reason is None and not sandbox.opted_out():
        return None
    os.environ[sandbox.DISABLE_VARIABLE] = "off"
    why = reason or f"{sandbox.DISABLE_VARIABLE}=off is set"
    return (f"*** DEMO RUNS UNCONFINED: {why}. The example class is made-up, so the demo grades it without the "
            "sandbox; a real class refuses to grade like this (see README). ***")


def run_demo(class_dir: Path, assignments: Sequence[str] | None = None, demo_dir: Path = DEMO_DIR) -> None:
    assignments = assignments or unit_names(REPO_ROOT)
    started = time.monotonic()
    banner = unconfined_banner()
    if banner:
        print(banner)
    course = Course.scratch_copy(demo_dir)
    print(f"Demo course directory: {course.root} (its own gradebook; the real one is untouched)")
    workers = default_workers()
    with dask_client(workers=workers) as client:
        for assignment in assignments:
            course.release(assignment)
            students = example_class(class_dir, assignment)
            for student, notebook in students:
                course.submit(student, assignment, notebook)
            print(f"{assignment}: released; autograding {len(students)} example submissions on {workers} workers ...")
            results, seconds = autograde_class(course, assignment, progress=True, client=client)
            print("\n".join(summary_lines(assignment, results, seconds)))
            course.generate_feedback(assignment)
    print()
    for assignment in assignments:
        print("\n".join(grade_table(course, assignment)))
        print()
    from .report import write_reports
    index = write_reports(course.root, assignments)
    print(f"Class report (for TAs): {index}")
    print(f"Feedback (what students get): {course.root / 'feedback'}/<student>/<assignment>/*.html")
    print(f"Autograded notebooks (for TAs): {course.root / 'autograded'}/")
    print(f"Grades (nbgrader export) and per-question scores: {course.root / 'reports'}/grades.csv, "
          "question_scores.csv")
    print(f"Done in {time.monotonic() - started:.0f} s." + (f"\n{banner}" if banner else ""))
