"""Autograde a whole class in one go and record every submission's outcome.

``python -m backprop_course autograde ASSIGNMENT [--course DIR]`` runs plain
``nbgrader autograde`` (so the course config's sandbox, limits and tampering
check apply exactly as they do by hand), then gives every student with a
submitted folder a gradebook row and a status with its reason: graded, timed
out, crashed, invalid notebook, missing or tampered. The statuses are printed
and written to ``reports/autograde_status_<assignment>.json``.
"""
import json
import time
from collections import Counter

from .course import Course
from .report import collect_results


def ensure_gradebook_rows(course, assignment):
    """A submission row for every student folder, even if nbgrader skipped it."""
    from nbgrader.api import Gradebook

    students = sorted(path.parent.name for path in (course.root / "submitted").glob(f"*/{assignment}"))
    with Gradebook(course.db_url) as gradebook:
        for student in students:
            gradebook.update_or_create_student(student)
            gradebook.update_or_create_submission(assignment, student)
    return students


def autograde_class(course, assignment, nbgrader_args=(), students=None):
    """Autograde each student in their own nbgrader run: nothing one submission
    does to nbgrader (an exception, an abort) can stop or change another's."""
    started = time.monotonic()
    logs = []
    for student in students or ensure_gradebook_rows(course, assignment):
        result = course.nbgrader("autograde", assignment, "--create", "--force", f"--student={student}",
                                 *nbgrader_args, check=False)
        logs.append(f"=== {student}: exit {result.returncode}\n{result.stdout}{result.stderr}")
    (course.root / "reports").mkdir(exist_ok=True)
    (course.root / "reports" / f"autograde_log_{assignment}.txt").write_text("\n".join(logs))
    results = collect_results(course, assignment)
    seconds = time.monotonic() - started
    status = {item.student: {"status": item.status, "reason": item.reason,
                             "automatic": sum(item.cells.values()), "cells": item.cells} for item in results}
    report_dir = course.root / "reports"
    report_dir.mkdir(exist_ok=True)
    (report_dir / f"autograde_status_{assignment}.json").write_text(json.dumps(status, indent=2) + "\n")
    return results, seconds


def summary_lines(assignment, results, seconds):
    counts = Counter(item.status for item in results)
    lines = [f"{assignment}: {len(results)} submissions in {seconds:.0f} s: "
             + ", ".join(f"{count} {status}" for status, count in counts.most_common())]
    for item in results:
        if item.status != "graded":
            lines.append(f"  {item.student:<24} {item.status:<17} {item.reason}")
    return lines
