"""What the service did, for instructors: ``reports/serve_log.jsonl`` (one record per submission, kept
across restarts) and ``reports/serve.html`` (the queue, the last answered submissions, and the median and
95th percentile of the seconds from submission to released feedback), written after every round."""
import html
import json
import time
from pathlib import Path

import numpy as np

from ..course import Course
from .inbox import Submission

LOG_NAME, PAGE_NAME = "serve_log.jsonl", "serve.html"
SHOWN = 20  # the last answered submissions on the page
MEASURED = 1000  # the last answered submissions the percentiles are taken over


def record(course: Course, submission: Submission, status: str, score: str = "", seconds: float | None = None,
           note: str = "") -> None:
    """Append one submission's outcome to the service's log of records."""
    folder = course.root / "reports"
    folder.mkdir(exist_ok=True)
    entry = {"student": submission.student, "assignment": submission.assignment,
             "submitted": submission.timestamp.isoformat(), "status": status, "score": score,
             "seconds": seconds, "note": note, "logged": time.time()}
    with open(folder / LOG_NAME, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


def records(course: Course) -> list[dict]:
    path = course.root / "reports" / LOG_NAME
    if not path.is_file():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
    return found


def write_page(course: Course, waiting: list[Submission]) -> Path:
    """The status page: what waits, what was answered last, and how long answering took."""
    answered = [entry for entry in records(course) if entry.get("seconds") is not None]
    seconds = np.array([entry["seconds"] for entry in answered[-MEASURED:]], dtype=float)
    timing = (f"{len(seconds)} answered; seconds from submission to feedback: median {np.percentile(seconds, 50):.1f},"
              f" 95th percentile {np.percentile(seconds, 95):.1f}" if len(seconds) else "nothing answered yet")
    queue = "".join(_row(item.student, item.assignment, item.timestamp.isoformat(" ", "seconds"))
                    for item in waiting) or "<tr><td colspan='3'>nothing waits</td></tr>"
    last = "".join(_row(entry["student"], entry["assignment"], entry["submitted"], entry["status"], entry["score"],
                        f"{entry['seconds']:.1f}") for entry in reversed(answered[-SHOWN:]))
    page = course.root / "reports" / PAGE_NAME
    page.parent.mkdir(exist_ok=True)
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Grading on submit</title></head><body>"
        f"<h1>Grading on submit</h1><p>Written {html.escape(time.strftime('%Y-%m-%d %H:%M:%S'))}. "
        f"{html.escape(timing)}.</p><h2>Waiting ({len(waiting)})</h2><table><tr><th>student</th>"
        f"<th>assignment</th><th>submitted</th></tr>{queue}</table><h2>Last answered</h2><table><tr><th>student</th>"
        "<th>assignment</th><th>submitted</th><th>status</th><th>score</th><th>seconds</th></tr>"
        f"{last}</table></body></html>\n", encoding="utf-8")
    return page


def _row(*values) -> str:
    return "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in values) + "</tr>"
