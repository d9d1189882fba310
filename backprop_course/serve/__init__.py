"""Grading on submit: each student's feedback, seconds after ``nbgrader submit``, through nbgrader's exchange.

``python -m backprop_course serve [--once] [--interval S] [--workers N | --scheduler ADDRESS]``, run in
the course directory by the instructor's account. Each round it finds every student's latest
unanswered submission in the exchange's inbound folder (``inbox``), and for each assignment:

1. nbgrader's ``collect --update`` (each student's latest submission), in this process;
2. the parallel command's ``autograde_class`` for those students, in warm sandboxed workers;
3. as each student's grades land in the gradebook, nbgrader's ``generate_feedback`` and
   ``release_feedback`` for that student alone, in the same workers (``feedback.answer``), ahead of the
   classmates still waiting to be graded.

The student fetches it with ``nbgrader fetch_feedback`` or the Assignment List. Each student has at
most one submission in a round, its latest, so one who submits fifty times delays a classmate by one
grading at most; the older ones are skipped, and the log says so. The state is the exchange's own: a
restart after a crash grades exactly what has no feedback yet. A submission that cannot be graded gets
feedback that says why. One log line per submission: student, assignment, submission time, status,
score, and seconds from submission to released feedback.
"""
import contextlib
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from datetime import timezone

from ..course import Course
from ..outcomes import StudentResult
from ..units import unit_names
from . import feedback, status
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

    ``client``: the Dask client whose workers grade and write feedback (None: a local cluster for this
    round). ``failed``: submission folders whose feedback could not be released in this process's earlier
    rounds, tried again only after a restart (so that one broken submission cannot spin the service).
    """
    from ..parallel import dask_client

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
    with contextlib.nullcontext(client) if client or not batches else dask_client() as client:
        for assignment, batch in batches.items():
            answered += _grade_batch(course, exchange, client, log, failed, assignment, batch)
    return answered or skipped


def _grade_batch(course, exchange, client, log, failed, assignment, batch):
    """One assignment's part of a round: collect, grade, and each student's feedback as their grades land."""
    from distributed import as_completed
    from nbgrader.apps import NbGraderAPI

    from ..parallel import autograde_class

    started = time.monotonic()
    collected = NbGraderAPI(coursedir=course.settings, config=course.config).collect(assignment, update=True)
    if not collected["success"]:  # in this process: no nbgrader start-up per round
        log(f"nbgrader collect {assignment} failed: {collected.get('error') or collected.get('log')}")
    collecting = time.monotonic()
    answers = {}  # the feedback job -> the student's result

    def answer_soon(result: StudentResult) -> None:  # before the classmates still being graded
        job = client.submit(feedback.answer, course.root, assignment, result.student, result.status, result.reason,
                            priority=1, pure=False, key=f"feedback-{assignment}-{result.student}-{time.time_ns()}")
        answers[job] = result

    autograde_class(course, assignment, students=[submission.student for submission in batch], client=client,
                    on_result=answer_soon)
    grading = time.monotonic()
    by_student = {submission.student: submission for submission in batch}
    answered = []
    for job in as_completed(answers):
        result, planned = answers[job], by_student[answers[job].student]
        try:
            released = job.result()
        except Exception as error:
            released = None
            log(f"{result.student}: its feedback could not be released: {error!r}")
        # collect takes the newest submission: one that arrived since this round began may have been graded
        # instead; one that arrived after collect waits for the next round.
        submission = exchange.answered_since(planned) if released is not None else None
        if submission is not None:
            answered.append(submission)
            seconds = released - _timestamp(submission)
            log(_line(submission, result.status, f"{result.score:g}/{result.max_score:g}", f"{seconds:.1f} s"))
            status.record(course, submission, result.status, f"{result.score:g}/{result.max_score:g}", seconds)
        else:
            failed.add(str(planned.folder))
            log(_line(planned, "failed", "its feedback could not be released; see the log above"))
            status.record(course, planned, "failed", note="its feedback could not be released")
    log(f"round of {len(batch)} {assignment}: collect {collecting - started:.1f} s, autograde "
        f"{grading - collecting:.1f} s, the last feedback {time.monotonic() - grading:.1f} s after")
    return answered


def _timestamp(submission: Submission) -> float:
    stamp = submission.timestamp if submission.timestamp.tzinfo else submission.timestamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


def _line(submission: Submission, status: str, *more: str) -> str:
    return " | ".join([submission.student, submission.assignment, submission.timestamp.isoformat(" ", "seconds"),
                       status, *more])
