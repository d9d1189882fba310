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
import html
import io
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import Course
from .feedback import is_test_cell

GRADED, TIMED_OUT, CRASHED, INVALID, MISSING, TAMPERED = (
    "graded", "timed out", "crashed", "invalid notebook", "missing", "tampered")
HARD_CODED_PHRASE = "right for the notebook's own inputs"


@dataclass
class StudentResult:
    student: str
    status: str
    reason: str = ""
    score: float = 0.0          # total in the gradebook, hand-graded points included
    max_score: float = 0.0
    manual_pending: bool = False
    cells: dict = field(default_factory=dict)      # grade_id -> score
    messages: dict = field(default_factory=dict)   # grade_id -> first failure message
    advice: dict = field(default_factory=dict)     # grade_id -> what the probes noticed (e.g. no chain rule)
    feedback: Path = None

    @property
    def flags(self):
        """Reasons for a TA to look at this submission, beyond its score."""
        reasons = [] if self.status == GRADED else [f"{self.status}: {self.reason}"]
        hard_coded = [cell for cell, message in self.messages.items() if HARD_CODED_PHRASE in message]
        if hard_coded:
            reasons.append("right only at the notebook's own inputs (hard-coded?) in " + ", ".join(hard_coded))
        reasons += [f"{cell}: {note}" for cell, note in self.advice.items()]
        return reasons


def _error_lines(cell):
    return [f"{output.ename}: {output.evalue}".splitlines()[0].rstrip(": ")
            for output in cell.get("outputs", []) if output.get("output_type") == "error"]


def _status_from_notebook(notebook):
    """(status, reason) read from an autograded notebook's metadata and outputs."""
    from .tampering import TAMPERING_KEY
    if notebook.metadata.get(TAMPERING_KEY):
        return TAMPERED, "; ".join(notebook.metadata[TAMPERING_KEY]) + " (flagged for review; scores stand)"
    for cell in notebook.cells:
        for line in _error_lines(cell) if cell.cell_type == "code" else []:
            if line.startswith("CellTimeoutError"):
                return TIMED_OUT, "a cell ran past the time limit"
            if line.startswith("DeadKernelError"):
                return CRASHED, "the kernel died"
    return GRADED, ""


def _submission_status(submitted_notebook, autograded_notebook):
    if not submitted_notebook.exists():
        return MISSING, "no notebook submitted", None
    try:
        nbformat.read(submitted_notebook, as_version=4)
    except Exception as error:  # any unreadable file is the same outcome for the TA
        return INVALID, f"cannot be read as a notebook ({type(error).__name__})", None
    if not autograded_notebook.exists():
        from .tampering import scan_notebook
        reasons = scan_notebook(nbformat.read(submitted_notebook, as_version=4))
        if reasons:  # tampering that also broke the kernel: the TA should know both
            return TAMPERED, "; ".join(reasons) + " (and nbgrader could not autograde it)", None
        return CRASHED, "nbgrader could not autograde it: the kernel died or hung (see reports/autograde_log_*)", None
    notebook = nbformat.read(autograded_notebook, as_version=4)
    status, reason = _status_from_notebook(notebook)
    return status, reason, notebook


def collect_results(course, assignment):
    """One StudentResult per student with a gradebook row or a submitted folder."""
    from nbgrader.api import Gradebook

    tests = course.test_cells(assignment)
    scores = course.scores(assignment)
    totals = {}
    with Gradebook(course.db_url) as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            totals[submission.student.id] = (submission.score, submission.max_score,
                                             bool(submission.needs_manual_grade))
    submitted_root = course.root / "submitted"
    students = set(scores) | {path.parent.name for path in submitted_root.glob(f"*/{assignment}")}
    results = []
    for student in sorted(students):
        name = f"{assignment}.ipynb"
        status, reason, notebook = _submission_status(
            submitted_root / student / assignment / name, course.root / "autograded" / student / assignment / name)
        result = StudentResult(student, status, reason)
        result.score, result.max_score, result.manual_pending = totals.get(student, (0.0, 0.0, False))
        result.cells = {grade_id: scores.get(student, {}).get(grade_id, 0.0) for grade_id in tests}
        if notebook is not None:
            from .verdicts import VERDICTS_KEY
            verdicts = notebook.metadata.get(VERDICTS_KEY, {}).get("cells", {})
            result.advice = {grade_id: verdict["advice"] for grade_id, verdict in verdicts.items()
                             if verdict.get("advice")}
            for cell in filter(is_test_cell, notebook.cells):
                lines = _error_lines(cell)
                if lines:
                    result.messages[cell.metadata["nbgrader"]["grade_id"]] = lines[0]
        feedback = course.root / "feedback" / student / assignment / f"{assignment}.html"
        result.feedback = feedback if feedback.exists() else None
        results.append(result)
    return results


def normalise_message(message):
    """A failure message with its per-student details removed, for counting."""
    message = re.sub(r" \(largest relative error [^)]*\)", "", message)
    message = re.sub(r"for a \d+-\d+ network on \d+ random points", "for another network and data", message)
    message = re.sub(r"and \d+ random points", "and random data", message)
    return message


def common_mistakes(results, limit=12):
    counts = Counter((grade_id, normalise_message(message)) for result in results
                     for grade_id, message in result.messages.items())
    return counts.most_common(limit)


def _png(figure):
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(results, tests):
    import matplotlib.pyplot as plt

    scores = [sum(result.cells.values()) for result in results if result.status != MISSING]
    top = sum(tests.values())
    figure, axes = plt.subplots(figsize=(6, 3.2))
    axes.hist(scores, bins=int(top) + 1, range=(-0.5, top + 0.5), color="steelblue", edgecolor="white")
    from matplotlib.ticker import MaxNLocator
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set(xlabel=f"automatic points (of {top:g})", ylabel="students",
             title="Distribution of automatic scores")
    figure.tight_layout()
    return _png(figure)


def pass_rate_chart(results, tests):
    import matplotlib.pyplot as plt

    graded = [result for result in results if result.status != MISSING]
    rates = [100 * sum(result.cells.get(name, 0) >= points for result in graded) / max(1, len(graded))
             for name, points in tests.items()]
    figure, axes = plt.subplots(figsize=(6, 0.45 * len(tests) + 1.2))
    axes.barh(list(tests), rates, color="seagreen")
    axes.invert_yaxis()
    axes.set(xlim=(0, 100), xlabel="% of submissions with full points", title="Pass rate per question")
    figure.tight_layout()
    return _png(figure), dict(zip(tests, rates))


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
th {{ background: #f2f2f2; }}
td.num {{ text-align: right; }}
.flag {{ color: #a00; }}
.charts img {{ max-width: 49%; vertical-align: top; }}
</style></head><body>
{body}
</body></html>
"""


def _table(headers, rows, table_id):
    head = "".join(f"<th>{html.escape(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(cells) + "</tr>" for cells in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(text, css=""):
    css = f' class="{css}"' if css else ""
    return f"<td{css}>{html.escape(str(text))}</td>"


def assignment_page(assignment, results, tests, report_dir):
    histogram = score_histogram(results, tests)
    auto_max = sum(tests.values())
    chart, rates = pass_rate_chart(results, tests)
    graded = [result for result in results if result.status != MISSING]
    mean = sum(sum(result.cells.values()) for result in graded) / max(1, len(graded))
    flagged = [result for result in results if result.flags]
    mistakes = common_mistakes(results)
    parts = [
        f"<h1>{html.escape(assignment)}</h1>",
        f'<p><a href="index.html">All assignments</a> &middot; {len(results)} students, '
        f"{len(graded)} submissions, mean automatic score {mean:.1f} of {auto_max:g}, "
        f"{len(flagged)} flagged for review.</p>",
        f'<div class="charts"><img id="score-histogram" alt="Histogram of scores" src="{histogram}">'
        f'<img id="pass-rates" alt="Pass rate per question" src="{chart}"></div>',
        "<h2>Most common mistakes</h2>",
        "<p>Counted from the messages of the failed checks; one count per student and question.</p>",
        _table(["students", "question", "what the check said"],
               [[_cell(count, "num"), _cell(grade_id), _cell(message)] for (grade_id, message), count in mistakes],
               "common-mistakes") if mistakes else "<p>No failed checks.</p>",
        "<h2>Flagged for review</h2>",
        _table(["student", "reasons"],
               [[_cell(result.student), _cell("; ".join(result.flags), "flag")] for result in flagged],
               "flagged") if flagged else '<p id="flagged">Nothing flagged.</p>',
        "<h2>Students</h2>",
    ]
    rows = []
    for result in results:
        if result.feedback is not None:
            link = html.escape(Path(os.path.relpath(result.feedback, report_dir)).as_posix())
            name = f'<td><a href="{link}">{html.escape(result.student)}</a></td>'
        else:
            name = _cell(result.student)
        total = f"{result.score:g} / {result.max_score:g}" + (" (hand grading pending)" if result.manual_pending else "")
        rows.append([name, _cell(result.status, "" if result.status == GRADED else "flag"),
                     _cell(f"{sum(result.cells.values()):g} / {auto_max:g}", "num"), _cell(total, "num")]
                    + [_cell(f"{result.cells.get(grade_id, 0):g}", "num") for grade_id in tests])
    parts.append(_table(["student", "status", "automatic", "total"]
                        + [f"{name.removeprefix('test_')} ({points:g})" for name, points in tests.items()],
                        rows, "students"))
    parts.append("<p>Pass rates: " + ", ".join(f"{html.escape(name)} {rate:.0f}%" for name, rate in rates.items())
                 + "</p>")
    return PAGE.format(title=f"{assignment}: class report", body="\n".join(parts))


def write_question_scores(path, course, assignments, results_by_assignment):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["assignment", "student", "status", "question", "score", "max_score", "message"])
        for assignment in assignments:
            tests = course.test_cells(assignment)
            for result in results_by_assignment[assignment]:
                for grade_id, points in tests.items():
                    writer.writerow([assignment, result.student, result.status, grade_id,
                                     result.cells.get(grade_id, 0.0), points, result.messages.get(grade_id, "")])


def write_reports(course_root, assignments):
    """Write every report of the course; return the index page's path."""
    import matplotlib
    matplotlib.use("Agg")

    course = Course(course_root)
    report_dir = course.root / "reports"
    report_dir.mkdir(exist_ok=True)
    results_by_assignment, summary_rows = {}, []
    for assignment in assignments:
        results = collect_results(course, assignment)
        results_by_assignment[assignment] = results
        page = report_dir / f"{assignment}.html"
        page.write_text(assignment_page(assignment, results, course.test_cells(assignment), report_dir))
        flagged = sum(bool(result.flags) for result in results)
        summary_rows.append([f'<td><a href="{assignment}.html">{html.escape(assignment)}</a></td>',
                             _cell(len(results), "num"), _cell(flagged, "num")])
    index = report_dir / "index.html"
    index.write_text(PAGE.format(title="Class reports", body="<h1>Class reports</h1>" + _table(
        ["assignment", "students", "flagged"], summary_rows, "assignments")))
    course.export_grades(report_dir / "grades.csv")
    write_question_scores(report_dir / "question_scores.csv", course, assignments, results_by_assignment)
    (report_dir / "statuses.json").write_text(json.dumps(
        {assignment: {result.student: {"status": result.status, "reason": result.reason, "flags": result.flags}
                      for result in results} for assignment, results in results_by_assignment.items()},
        indent=2) + "\n")
    return index
