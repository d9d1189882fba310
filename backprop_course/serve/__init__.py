"""Grading on submit: each student's feedback, seconds after ``nbgrader submit``, through nbgrader's exchange.

``python -m backprop_course serve [--once] [--interval S] [--workers N | --scheduler ADDRESS]``, run in
the course directory by the instructor's account. Each round it finds every student's latest
unanswered submission in the exchange's inbound folder (``inbox``), and for each assignment:

1. nbgrader's ``collect --update`` (each student's latest submission), in this process;
2. the parallel command's ``autograde_class`` for those students, in warm sandboxed workers;
3. nbgrader's ``generate_feedback`` and ``release_feedback`` for each of them alone.

The student fetches it with ``nbgrader fetch_feedback`` or the Assignment List. Each student has at
most one submission in a round, its latest, so one who submits fifty times delays a classmate by one
grading at most; the older ones are skipped, and the log says so. The state is the exchange's own: a
restart after a crash grades exactly what has no feedback yet. A submission that cannot be graded gets
feedback that says why. One log line per submission: student, assignment, submission time, status,
score, and seconds from submission to released feedback.
"""
import html
import shutil
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timezone

from ..course import Course
from ..outcomes import StudentResult
from ..units import unit_names
from . import status
from .inbox import Exchange, Submission


def serve(course: Course, once: bool = False, interval: float = 2.0, client=None,
          log: Callable[[str], None] = print) -> None:
    """Grade every unanswered submission; with ``once``, one round, else a round every ``interval`` s."""
    from ..grading.sandbox import check_before_autograding

    check_before_autograding()  # no sandbox, no service, unless the instructor opts out out loud
    exchange, failed = Exchange.of(course), set()
    log(f"serving {exchange.inbound}: feedback to {exchange.feedback}; status in reports/{status.PAGE_NAME}")
    status.write_page(course, exchange.waiting(set(unit_names(course.root)))[0])
    while True:
        try:
            if grade_round(course, exchange, client, log, failed):
                status.write_page(course, exchange.waiting(set(unit_names(course.root)))[0])
        except Exception:  # a round that broke (say, the gradebook was away) is tried again, not the end
            log("this round failed, and the next one tries again:\n" + traceback.format_exc())
            if once:
                raise
        if once:
            return
        time.sleep(interval)


def grade_round(course: Course, exchange: Exchange, client, log: Callable[[str], None],
                failed: set[str] | None = None) -> list[Submission]:
    """Grade and answer each student's latest unanswered submission; return those answered and skipped.

    ``failed``: submission folders whose feedback could not be released in this process's earlier
    rounds, tried again only after a restart (so that one broken submission cannot spin the service).
    """
    from nbgrader.apps import NbGraderAPI

    from ..parallel import autograde_class

    failed = set() if failed is None else failed
    waiting, skipped = exchange.waiting(set(unit_names(course.root)))
    for older in skipped:
        log(_line(older, "skipped", "a newer submission of this student is graded instead"))
        status.record(course, older, "skipped", note="a newer submission of this student is graded instead")
    batches = defaultdict(list)
    for submission in waiting:
        if str(submission.folder) not in failed:
            batches[submission.assignment].append(submission)
    answered = []
    for assignment, batch in batches.items():
        started = time.monotonic()
        api = NbGraderAPI(coursedir=course.settings, config=course.config)
        collected = api.collect(assignment, update=True)  # in this process: no nbgrader start-up per round
        if not collected["success"]:
            log(f"nbgrader collect {assignment} failed: {collected.get('error') or collected.get('log')}")
        students = [submission.student for submission in batch]
        collecting = time.monotonic()
        results, _ = autograde_class(course, assignment, students=students, client=client)
        grading = time.monotonic()
        by_student = {result.student: result for result in results}
        for submission in batch:
            result = by_student.get(submission.student)
            _answer(api, course, submission, result)
            # collect takes the newest submission: one that arrived since this round began was graded instead.
            submission = exchange.latest(submission.student, submission.assignment) or submission
            if submission.answered(exchange.feedback):
                answered.append(submission)
                score, outcome = (f"{result.score:g}/{result.max_score:g}", result.status) if result else \
                    ("-", "not graded")
                seconds = _seconds_since(submission)
                log(_line(submission, outcome, score, f"{seconds:.1f} s"))
                status.record(course, submission, outcome, score, seconds)
            else:
                failed.add(str(submission.folder))
                log(_line(submission, "failed", "its feedback could not be released; see the log above"))
                status.record(course, submission, "failed", note="its feedback could not be released")
        log(f"round of {len(batch)} {assignment}: collect {collecting - started:.1f} s, autograde "
            f"{grading - collecting:.1f} s, feedback and release {time.monotonic() - grading:.1f} s")
    return answered or skipped


def _answer(api, course: Course, submission: Submission, result: StudentResult | None) -> None:
    """Generate this student's feedback (or a page saying why there is none) and release it to them alone."""
    student, assignment = submission.student, submission.assignment
    feedback = course.folder("feedback", student, assignment)
    shutil.rmtree(feedback, ignore_errors=True)  # derived: an earlier submission's must not be released again
    if result is not None and course.folder("autograded", student, assignment).is_dir():
        api.generate_feedback(assignment, student, force=True)  # a crashed or timed-out notebook's too
    submitted = course.folder("submitted", student, assignment)
    graded = sorted(f"{path.name}" for path in course.folder("source", assignment=assignment).glob("*.ipynb"))
    for notebook in submitted.glob("*.ipynb"):
        if not (feedback / f"{notebook.stem}.html").is_file():
            reason = (f"{notebook.name} is not a notebook of {assignment}; only {', '.join(graded)} is graded, so "
                      "save your work under that name" if notebook.name not in graded else
                      result.reason if result and result.reason else "nbgrader could not grade it")
            _write_ungraded_page(feedback, submitted, notebook.stem, result.status if result else "not graded",
                                 reason)
    api.release_feedback(assignment, student)


def _write_ungraded_page(feedback, submitted, notebook: str, status: str, reason: str) -> None:
    """Feedback for a notebook that nbgrader could not grade, with the reason, where release_feedback looks."""
    feedback.mkdir(parents=True, exist_ok=True)
    for stamp in ("timestamp.txt", "submission_secret.txt"):
        if (submitted / stamp).is_file():
            shutil.copyfile(submitted / stamp, feedback / stamp)
    (feedback / f"{notebook}.html").write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(notebook)}</title></head><body>"
        f"<h1>{html.escape(notebook)}: {html.escape(status)}</h1><p>This submission could not be graded: "
        f"{html.escape(reason)}.</p><p>Fix it and submit again; your newest submission is the one graded."
        "</p></body></html>\n", encoding="utf-8")


def _seconds_since(submission: Submission) -> float:
    stamp = submission.timestamp if submission.timestamp.tzinfo else submission.timestamp.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - stamp).total_seconds()


def _line(submission: Submission, status: str, *more: str) -> str:
    return " | ".join([submission.student, submission.assignment, submission.timestamp.isoformat(" ", "seconds"),
                       status, *more])
