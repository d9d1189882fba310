"""What the service reads of the exchange: each student's latest unanswered submission, fairly, and nothing
it has answered (backprop_course/serve/inbox.py); and its loop outlives a round that breaks."""
from datetime import datetime, timedelta, timezone

from nbgrader.utils import notebook_hash

from backprop_course.serve.inbox import Exchange
from support.exchange import leave_submission

START = datetime(2026, 12, 5, 23, 0, tzinfo=timezone.utc)


def submit(exchange, student, minutes, assignment="chain_rule", notebooks=("chain_rule",), secret=None):
    def fill(folder):
        for name in notebooks:
            (folder / f"{name}.ipynb").write_text("{}")
    return leave_submission(exchange.inbound, student, assignment, START + timedelta(minutes=minutes), fill, secret)


def release_feedback(exchange, submission):
    """What `nbgrader release_feedback` leaves for it: one page per notebook, named as fetch_feedback looks."""
    exchange.feedback.mkdir(parents=True, exist_ok=True)
    secret = (submission.folder / "submission_secret.txt").read_text()
    for name in submission.notebooks:
        (exchange.feedback / f"{notebook_hash(secret=secret, notebook_id=name)}.html").write_text("<p>feedback</p>")


def test_fifty_resubmissions_wait_as_one_and_a_classmate_is_next(tmp_path):
    exchange = Exchange(tmp_path / "backprop")
    for minute in range(50):
        submit(exchange, "eager", minute)
    submit(exchange, "calm", 25)
    waiting, skipped = exchange.waiting({"chain_rule"})
    assert [(item.student, item.timestamp.minute) for item in waiting] == [("calm", 25), ("eager", 49)]
    assert len(skipped) == 49 and {item.student for item in skipped} == {"eager"}


def test_an_answered_submission_no_longer_waits_and_a_newer_one_does(tmp_path):
    exchange = Exchange(tmp_path / "backprop")
    submit(exchange, "ann", 1)
    (first,), _ = exchange.waiting({"chain_rule"})
    release_feedback(exchange, first)
    assert exchange.waiting({"chain_rule"}) == ([], [])
    submit(exchange, "ann", 2)  # resubmitted after the feedback
    (second,), skipped = exchange.waiting({"chain_rule"})
    assert second.timestamp > first.timestamp and skipped == []  # the answered one is not "skipped"


def test_only_feedback_under_the_submissions_own_secret_answers_it(tmp_path):
    exchange = Exchange(tmp_path / "backprop")
    submit(exchange, "ann", 1, secret="old")
    (old,), _ = exchange.waiting({"chain_rule"})
    release_feedback(exchange, old)
    submit(exchange, "ann", 2, secret="new")
    assert [item.timestamp.minute for item in exchange.waiting({"chain_rule"})[0]] == [2]


def test_the_submission_collect_took_is_found_answered_and_one_that_came_after_still_waits(tmp_path):
    exchange = Exchange(tmp_path / "backprop")
    for minute, secret in ((1, "one"), (2, "two"), (3, "three")):
        submit(exchange, "ann", minute, secret=secret)
    planned, collected, _ = exchange.submissions({"chain_rule"})  # the round set out to grade the first,
    release_feedback(exchange, collected)  # and collect took the second, newer by then
    assert exchange.answered_since(planned).timestamp == collected.timestamp
    assert [item.timestamp.minute for item in exchange.waiting({"chain_rule"})[0]] == [3]  # came after collect
    submit(exchange, "bo", 4)
    assert exchange.answered_since(exchange.submissions({"chain_rule"})[-1]) is None


def test_what_is_not_a_submission_of_a_known_assignment_is_left_alone(tmp_path):
    exchange = Exchange(tmp_path / "backprop")
    submit(exchange, "ann", 1, assignment="other_course_work")
    (exchange.inbound / "bob+chain_rule+not a time+x").mkdir(parents=True)
    submit(exchange, "cy", 3, notebooks=())  # nothing that a student could fetch feedback for
    assert exchange.waiting({"chain_rule"}) == ([], [])


def test_a_round_that_breaks_is_logged_and_the_service_goes_on(tmp_path, monkeypatch):
    import backprop_course.serve as service
    from backprop_course.course import Course
    from backprop_course.grading import sandbox

    outcomes = iter([RuntimeError("the gradebook is away"), KeyboardInterrupt()])

    def grade_round(*args):
        raise next(outcomes)
    monkeypatch.setattr(service, "grade_round", grade_round)
    monkeypatch.setattr(sandbox, "check_before_autograding", lambda: None)
    monkeypatch.setattr(service.time, "sleep", lambda seconds: None)
    lines = []
    course = Course.scratch_copy(tmp_path / "course")
    try:
        service.serve(course, interval=0, log=lines.append)
    except KeyboardInterrupt:  # the second round: the loop went on after the first one broke
        pass
    assert any("this round failed, and the next one tries again" in line and "the gradebook is away" in line
               for line in lines), lines
