"""Grading on submit, end to end: students use nbgrader's own commands on a private exchange, and the
service (`python -m backprop_course serve`) grades and answers each latest submission, also after a
SIGKILL in the middle of a burst."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from backprop_course import REPO_ROOT
from backprop_course.course import NBGRADER, Course
from backprop_course.serve import status
from backprop_course.serve.inbox import Exchange
from support.hostile import CASES, write_case
from support.submissions import fixture_notebook_path

pytestmark = pytest.mark.slow  # end to end: real nbgrader, a Dask cluster, sandboxed kernels
ASSIGNMENT = "chain_rule"
COURSE_ID = "backprop"
SCORE = re.compile(r"Score: (?P<score>[\d.]+) / (?P<total>[\d.]+)")


class Term:
    """A course directory, a private exchange, and students who each work in a folder of their own."""

    def __init__(self, root):
        self.course = Course.scratch_copy(root / "course")
        self.exchange, self.homes = root / "exchange", root / "students"
        for folder in (self.exchange, self.homes):
            folder.mkdir()
        with open(self.course.root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.Exchange.root = {str(self.exchange)!r}\nc.CourseDirectory.course_id = {COURSE_ID!r}\n")
        self.course.release(ASSIGNMENT)
        self.course.nbgrader("release_assignment", ASSIGNMENT, "--force")
        self.service = None

    def student(self, name, *command):
        """Run ``nbgrader <command>`` as student ``name``, in their own folder, with their own cache of what
        they submitted (as each JupyterHub user has)."""
        home = self.homes / name
        home.mkdir(exist_ok=True)
        options = [f"--Exchange.root={self.exchange}", f"--Exchange.cache={home / '.nbgrader_cache'}",
                   f"--CourseDirectory.course_id={COURSE_ID}"]
        path = os.pathsep.join([str(NBGRADER.parent), os.environ.get("PATH", "")])
        result = subprocess.run([str(NBGRADER), *command, f"--student={name}", *options], cwd=home,
                                env=dict(os.environ, PATH=path), capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return home

    def fetch_and_submit(self, name, write_notebook):
        home = self.homes / name
        if not (home / ASSIGNMENT).is_dir():
            self.student(name, "fetch_assignment", ASSIGNMENT)
        write_notebook(home / ASSIGNMENT)
        self.student(name, "submit", ASSIGNMENT)

    def start(self, log):
        self.service = subprocess.Popen(
            [sys.executable, "-m", "backprop_course", "serve", "--course", str(self.course.root), "--interval", "0.5",
             "--workers", "2"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self, sig=signal.SIGKILL):
        os.killpg(self.service.pid, sig)
        self.service.wait(timeout=60)

    def wait_until_answered(self, seconds, submissions):
        exchange = Exchange.of(self.course)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if exchange.waiting({ASSIGNMENT}) == ([], []) and len(exchange.submissions({ASSIGNMENT})) >= submissions:
                return
            assert self.service.poll() is None, "the service stopped"
            time.sleep(0.5)
        raise AssertionError(f"still waiting after {seconds} s: {exchange.waiting({ASSIGNMENT})}")


def notebook_of(fixture):
    return lambda folder: shutil.copyfile(fixture_notebook_path(ASSIGNMENT, fixture), folder / f"{ASSIGNMENT}.ipynb")


def hostile(case_name):
    case = next(case for case in CASES if case.name == case_name)
    source = REPO_ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    release = REPO_ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return lambda folder: write_case(case, folder, source, release)


def misnamed(folder):
    """Dave saves his work as 'chain_rule (1).ipynb', and deletes the notebook he fetched."""
    (folder / f"{ASSIGNMENT}.ipynb").unlink()
    hostile("wrong_name")(folder)


TA_POINTS, TA_COMMENT = 1.5, "The bottom of the V is near 1e-6: say why the left arm rises."


def ta_grades_question_1(course, student):
    """What a TA does in formgrader: a score and a comment for question 1, saved in the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:
        grade = gradebook.find_grade("answer_question_1", ASSIGNMENT, ASSIGNMENT, student)
        grade.manual_score, grade.needs_manual_grade = TA_POINTS, False  # as formgrader's score box saves it
        gradebook.find_comment("answer_question_1", ASSIGNMENT, ASSIGNMENT, student).manual_comment = TA_COMMENT
        gradebook.db.commit()


def pages_of(term, student):
    """The student's fetched feedback pages, oldest submission first."""
    folder = term.homes / student / ASSIGNMENT / "feedback"
    return [page.read_text() for page in sorted(folder.glob(f"*/{ASSIGNMENT}.html"))]


def test_each_student_gets_feedback_on_their_latest_submission_also_after_the_service_is_killed(tmp_path):
    from nbgrader.api import Gradebook

    term = Term(tmp_path)
    # Bob submits twice before the service runs: his first is never graded, and the log says so.
    term.fetch_and_submit("bob", notebook_of("missing_factor_2"))
    term.fetch_and_submit("bob", notebook_of("reference"))
    log_path = tmp_path / "service.log"
    with open(log_path, "ab") as log:
        term.start(log)
        term.fetch_and_submit("alice", notebook_of("reference"))
        term.fetch_and_submit("carol", hostile("kernel_dies"))
        term.fetch_and_submit("dave", misnamed)
        time.sleep(3)  # the service is starting its cluster, or grading the burst
        term.kill()  # SIGKILL, mid-burst
        term.start(log)
        term.wait_until_answered(240, submissions=5)
        # A TA grades alice's question 1 by hand; she submits the same answers again, and the service's
        # grading of it keeps the TA's score and comment, as re-autograding does.
        ta_grades_question_1(term.course, "alice")
        term.fetch_and_submit("alice", notebook_of("reference"))
        term.wait_until_answered(120, submissions=6)
        term.kill(signal.SIGTERM)
    service_log = log_path.read_text()

    assert re.search(r"bob \| chain_rule \| .* \| skipped \| a newer submission", service_log), service_log
    scores = {}
    with Gradebook(term.course.db_url) as gradebook:
        for name in ("alice", "bob", "carol"):
            submission = gradebook.find_submission(ASSIGNMENT, name)
            latest = max(s.timestamp for s in Exchange.of(term.course).submissions({ASSIGNMENT}) if s.student == name)
            assert submission.timestamp.replace(tzinfo=None) == latest.replace(tzinfo=None), name
            scores[name] = submission.score
    assert scores["alice"] == 13 + TA_POINTS and scores["bob"] == 13 and scores["carol"] < 13, scores
    for name, answered in (("alice", 2), ("bob", 1), ("carol", 1)):
        home = term.student(name, "fetch_feedback", ASSIGNMENT)
        # One page per answered submission, named by its time: bob's first was never graded.
        pages = sorted((home / ASSIGNMENT / "feedback").glob("*/chain_rule.html"))
        assert len(pages) == answered, (name, pages)
        shown = SCORE.search(pages[-1].read_text())
        assert shown and float(shown["score"]) == scores[name], (name, shown and shown.group(0))
        assert "not graded yet" in pages[-1].read_text()  # the parts a TA grades by hand
    assert TA_COMMENT in pages_of(term, "alice")[-1] and TA_COMMENT not in pages_of(term, "alice")[0]
    home = term.student("dave", "fetch_feedback", ASSIGNMENT)
    (page,) = (home / ASSIGNMENT / "feedback").glob("*/chain_rule (1).html")
    assert "chain_rule (1).ipynb is not a notebook of chain_rule; only chain_rule.ipynb is graded" in page.read_text()
    assert len(re.findall(r" \| (graded|crashed|tampered|timed out) \| ", service_log)) >= 3, service_log
    # Each latest submission answered once at most, across the kill (a kill between releasing its feedback
    # and writing its record leaves it answered without a record); bob's first only ever skipped.
    answered = [(entry["student"], entry["submitted"], entry["status"]) for entry in status.records(term.course)
                if entry["status"] != "skipped"]
    assert len(answered) == len(set(answered)) and {(student, outcome) for student, _, outcome in answered} <= {
        ("alice", "graded"), ("bob", "graded"), ("carol", "crashed"), ("dave", "missing")}, answered
    page = (term.course.root / "reports" / status.PAGE_NAME).read_text()
    assert "answered; seconds from submission to feedback: median" in page and "nothing waits" in page
