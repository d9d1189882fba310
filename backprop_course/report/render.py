"""Class reports for TAs and instructors, from an autograded course directory.

``python -m backprop_course report [COURSE_DIR]`` writes, under
``COURSE_DIR/reports/``: one self-contained HTML page per assignment (plots
embedded as PNG, no network needed), an ``index.html``, ``grades.csv`` (by
``nbgrader export``) and ``question_scores.csv`` (every test cell of every
student). Links to each student's feedback are relative, so the folder can
be moved together with ``feedback/``.
"""
import base64
import csv
import io
import json
import os
import sys
import urllib.parse
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..course import Course
from ..outcomes import GRADED, NOT_GRADED, NOT_SUBMITTED, UNSCORED, StudentResult, collect_results
from ..serve import status

if TYPE_CHECKING:
    from datetime import datetime

    from jinja2 import Environment


def common_mistakes(results: Iterable[StudentResult]) -> list[tuple[str, str, list[str]]]:
    """Every diagnosis of a failed check, most frequent first: (grade_id, message, [students]).

    Students are grouped by the judge's verdict worded without their own numbers (a cell that the judge
    did not reach keeps its message); the list is complete.
    """
    students = defaultdict(list)
    for result in results:
        for grade_id, message in result.messages.items():
            verdict = result.verdicts.get(grade_id)
            students[(grade_id, verdict.words(for_class=True) if verdict else message)].append(result.student)
    return [(grade_id, message, names) for (grade_id, message), names
            in sorted(students.items(), key=lambda item: (-len(item[1]), item[0]))]


def question_rows(results: Iterable[StudentResult], tests: dict[str, float]) -> list[dict[str, object]]:
    """Per test cell: its points, the share of submissions with full points, and who lost points."""
    graded = [result for result in results if result.status not in UNSCORED]
    rows = []
    for name, points in tests.items():
        lost = [result.student for result in graded if result.cells.get(name, 0) < points]
        rows.append({"name": name, "points": points, "lost": lost,
                     "rate": 100 * (len(graded) - len(lost)) / max(1, len(graded))})
    return rows


def _png(figure):
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(results: Iterable[StudentResult], tests: dict[str, float]) -> str:
    import matplotlib.pyplot as plt

    scores = [sum(result.cells.values()) for result in results if result.status not in UNSCORED]
    top = sum(tests.values())
    figure, axes = plt.subplots(figsize=(6, 3.2))
    axes.hist(scores, bins=int(top) + 1, range=(-0.5, top + 0.5), color="steelblue", edgecolor="white")
    from matplotlib.ticker import MaxNLocator
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set(xlabel=f"automatic points (of {top:g})", ylabel="students",
             title="Distribution of automatic scores")
    figure.tight_layout()
    return _png(figure)


def pass_rate_chart(results: Iterable[StudentResult], tests: dict[str, float]) -> tuple[str, dict[str, float]]:
    import matplotlib.pyplot as plt

    graded = [result for result in results if result.status not in UNSCORED]
    rates = [100 * sum(result.cells.get(name, 0) >= points for result in graded) / max(1, len(graded))
             for name, points in tests.items()]
    figure, axes = plt.subplots(figsize=(6, 0.45 * len(tests) + 1.2))
    axes.barh(list(tests), rates, color="seagreen")
    axes.invert_yaxis()
    axes.set(xlim=(0, 100), xlabel="% of submissions with full points", title="Pass rate per question")
    figure.tight_layout()
    return _png(figure), dict(zip(tests, rates))


def templates() -> "Environment":
    """The report's Jinja2 templates (templates/ beside this module), escaping HTML."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(loader=PackageLoader("backprop_course.report"), autoescape=select_autoescape(["j2"]),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["points"] = lambda value: f"{value:g}"
    environment.filters["lateness"] = lateness
    environment.globals["GRADED"] = GRADED
    environment.globals["NOT_GRADED"] = NOT_GRADED
    environment.globals["NOT_SUBMITTED"] = NOT_SUBMITTED
    return environment


def lateness(seconds: float) -> str:
    """How late, in the two largest units: "2 d 3 h", "3 h 12 min", "45 min", "30 s"."""
    parts, left = [], round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if left >= size or (unit == "s" and not parts):
            parts.append(f"{left // size} {unit}")
            left %= size
    return " ".join(parts[:2])


def due_date(course: Course, assignment: str) -> "datetime | None":
    """The assignment's due date in the gradebook (None: none set)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.db_url) as gradebook:
        try:
            return gradebook.find_assignment(assignment).duedate
        except MissingEntry:
            return None


def question_labels(course: Course, assignment: str) -> dict[str, str]:
    """{grade_id: what the test cell checks}, from the first line of its docstring (else its grade_id)."""
    import nbformat

    from ..grading.cells import is_test_cell
    from ..grading.pages.feedback import docstring_summary

    cells = [cell for path in sorted(course.folder("source", assignment=assignment).glob("*.ipynb"))
             for cell in nbformat.read(path, as_version=4).cells if is_test_cell(cell)]
    names = [cell.metadata["nbgrader"]["grade_id"] for cell in cells]
    return {name: docstring_summary(cell.source) or name for name, cell in zip(names, cells)}


def formgrader_url(course: Course) -> str:
    """Where TAs open formgrader: ``c.ClassReport.formgrader_url`` in nbgrader_config.py, else a local
    ``jupyter lab``'s. The report links each part still to grade to its box there."""
    configured = course.config.ClassReport
    return (configured.formgrader_url if "formgrader_url" in configured else DEFAULT_FORMGRADER).rstrip("/")


DEFAULT_FORMGRADER = "http://localhost:8888"


def assignment_page(assignment: str, results: Sequence[StudentResult], tests: dict[str, float],
                    hand_graded: dict[str, float], report_dir: Path, due: "datetime | None" = None,
                    labels: Mapping[str, str] | None = None, formgrader: str = DEFAULT_FORMGRADER) -> str:
    graded = [result for result in results if result.status not in UNSCORED]
    chart, _ = pass_rate_chart(results, tests)
    feedback_links = {result.student: urllib.parse.quote(Path(os.path.relpath(result.feedback, report_dir)).as_posix())
                      for result in results if result.feedback is not None}
    return templates().get_template("assignment.html.j2").render(
        assignment=assignment, results=results, tests=tests, hand_graded=hand_graded, submitted=len(graded),
        auto_max=sum(tests.values()),
        mean=sum(sum(result.cells.values()) for result in graded) / max(1, len(graded)),
        nothing_graded=bool(results) and not any(result.status not in UNSCORED for result in results),
        flagged=[result for result in results if result.flags], mistakes=common_mistakes(results),
        questions=question_rows(results, tests), to_grade=[result for result in results if result.to_grade],
        histogram=score_histogram(results, tests), pass_rate_chart=chart, feedback_links=feedback_links, due=due,
        labels={name: name for name in tests} | dict(labels or {}), formgrader=formgrader,
        late=[result for result in results if result.seconds_late > 0])


QUESTION_COLUMNS = ["assignment", "student", "status", "question", "kind", "score", "max_score", "to_grade",
                    "message", "comment", "due", "submitted", "seconds_late", "late_penalty"]


def write_question_scores(path: Path, course: Course, assignments: Collection[str],
                          results_by_assignment: Mapping[str, Iterable[StudentResult]]) -> None:
    """Every part of every student, automatic and by hand (its score empty until graded), with the TA's
    comment; rows of assignments not reported this time are kept."""
    kept = []
    if path.exists():
        with open(path, newline="") as handle:
            kept = [row for row in csv.DictReader(handle) if row["assignment"] not in assignments]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, QUESTION_COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(kept)
        for assignment in assignments:
            tests, by_hand = course.test_cells(assignment), course.hand_graded_cells(assignment)
            due = due_date(course, assignment)
            for result in results_by_assignment[assignment]:
                student = {"assignment": assignment, "student": result.student, "status": result.status,
                           "due": _iso(due), "submitted": _iso(result.submitted_at),
                           "seconds_late": result.seconds_late, "late_penalty": result.late_penalty}
                for grade_id, points in tests.items():
                    writer.writerow({**student, "question": grade_id, "kind": "automatic", "max_score": points,
                                     "score": result.cells.get(grade_id, 0.0),
                                     "message": result.messages.get(grade_id, ""),
                                     "comment": result.comments.get(grade_id, "")})
                for grade_id, points in by_hand.items():
                    score = result.hand_graded.get(grade_id)
                    writer.writerow({**student, "question": grade_id, "kind": "by hand", "max_score": points,
                                     "score": "" if score is None or grade_id in result.to_grade else score,
                                     "to_grade": "yes" if grade_id in result.to_grade else "",
                                     "comment": result.comments.get(grade_id, "")})


def _iso(moment: "datetime | None") -> str:
    return moment.isoformat(" ", "seconds") if moment else ""


def write_reports(course_root: str | Path, assignments: Sequence[str]) -> Path:
    """Write every report of the course; return the index page's path."""
    import matplotlib
    matplotlib.use("Agg")

    course = Course(course_root)
    report_dir = course.root / "reports"
    report_dir.mkdir(exist_ok=True)
    results_by_assignment = {}
    for assignment in assignments:
        results = collect_results(course, assignment)
        results_by_assignment[assignment] = results
        if results and all(result.status in UNSCORED for result in results):
            print(f"WARNING: the gradebook ({course.settings.db_url.split('://')[0]}) holds no grades for "
                  f"{assignment}: autograde it first; the report shows no scores", file=sys.stderr)
        page = report_dir / f"{assignment}.html"
        page.write_text(assignment_page(assignment, results, course.test_cells(assignment),
                                        course.hand_graded_cells(assignment), report_dir, due_date(course, assignment),
                                        question_labels(course, assignment), formgrader_url(course)))
    # Reporting one assignment keeps the others that were reported before: statuses.json holds every
    # reported assignment, and the index is counted from it.
    statuses_path = report_dir / "statuses.json"
    statuses = json.loads(statuses_path.read_text()) if statuses_path.exists() else {}
    statuses.update({assignment: {result.student: {"status": result.status, "reason": result.reason,
                                                   "flags": result.flags, "to_grade": result.to_grade,
                                                   "submitted": _iso(result.submitted_at),
                                                   "seconds_late": result.seconds_late,
                                                   "late_penalty": result.late_penalty}
                                  for result in results}
                     for assignment, results in results_by_assignment.items()})
    statuses = {name: statuses[name] for name in sorted(statuses)
                if (report_dir / f"{name}.html").exists()}
    statuses_path.write_text(json.dumps(statuses, indent=2) + "\n")
    summary = {name: {"students": len(students),
                      "flagged": sum(bool(student["flags"]) for student in students.values()),
                      "to_grade": sum(bool(student.get("to_grade")) for student in students.values())}
               for name, students in statuses.items()}
    index = report_dir / "index.html"
    # The service's status page, once grading on submit has run here.
    serving = status.PAGE_NAME if (report_dir / status.PAGE_NAME).is_file() else None
    index.write_text(templates().get_template("index.html.j2").render(assignments=summary, serving=serving))
    course.export_grades(report_dir / "grades.csv")
    write_question_scores(report_dir / "question_scores.csv", course, assignments, results_by_assignment)
    return index
