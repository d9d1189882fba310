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
from pathlib import Path

from .course import Course
from .outcomes import GRADED, MISSING, collect_results

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
