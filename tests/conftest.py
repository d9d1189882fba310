"""Shared fixtures: a scratch course directory autograded once per test session."""
import functools
import json
import os
from pathlib import Path

import pytest

from support import ASSIGNMENTS
from backprop_course.course import Course
from backprop_course.demo import example_class
from support.student_validate import CATCH_RATES
from support.submissions import FIXTURES_DIR
from backprop_course.grading.sandbox import DISABLE_VARIABLE, missing_reason

# Grading refuses to run without the sandbox. Where it cannot run, the suite
# grades its own fixture notebooks unconfined, out loud; the hostile class is
# skipped (tests/test_hostile.py). `make setup` installs bubblewrap where it can.
if missing_reason() is not None:
    print(f"conftest: the sandbox is unavailable ({missing_reason()}): fixture notebooks are graded with "
          f"{DISABLE_VARIABLE}=off and the hostile class is skipped")
    os.environ[DISABLE_VARIABLE] = "off"


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory):
    """A copy of the course with every fixture submission autograded and fed back.

    Built once, because each autograde starts a real kernel per notebook.
    """
    course = Course.scratch_copy(tmp_path_factory.mktemp("graded") / "course")
    for assignment in ASSIGNMENTS:
        course.release(assignment)
        for student, notebook in example_class(FIXTURES_DIR, assignment):
            course.submit(student, assignment, notebook)
        logs = course.root / "logs"
        logs.mkdir(exist_ok=True)
        for step, result in (("autograde", course.autograde(assignment)),
                             ("feedback", course.generate_feedback(assignment))):
            (logs / f"{step}_{assignment}.txt").write_text(result.stdout + result.stderr)
    return course


def expected_outcomes(assignment):
    return json.loads((FIXTURES_DIR / assignment / "expected.json").read_text())


def fixture_cases():
    return [(assignment, name) for assignment in ASSIGNMENTS for name in expected_outcomes(assignment)]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist (`make test` runs two workers), each test file runs on one worker, so that its
    module fixtures are built once; and every file that uses the session's graded course runs on the same
    worker, which builds it once."""
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerPerFile(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::", 1)[0]
            return GRADED_COURSE if _uses_graded_course(path) else path

    return OneWorkerPerFile(config, log)


GRADED_COURSE = "graded_course"


@functools.cache
def _uses_graded_course(path):
    file = Path(__file__).parent.parent / path
    return file.is_file() and GRADED_COURSE in file.read_text(encoding="utf-8")


def pytest_sessionfinish(session):
    """A worker sends the catch rates it measured to the controller (pytest_testnodedown)."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["catch_rates"] = dict(session.config.stash.get(CATCH_RATES, {}))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    node.config.stash.setdefault(CATCH_RATES, {}).update(getattr(node, "workeroutput", {}).get("catch_rates", {}))


def pytest_terminal_summary(terminalreporter, config):
    """The share of catalogued mistakes that `nbgrader validate` catches (tests/test_student_validate.py)."""
    rates = config.stash.get(CATCH_RATES, {})
    for assignment, (caught, total) in rates.items():
        terminalreporter.write_line(f"nbgrader validate catches {caught}/{total} catalogued mistakes "
                                    f"of {assignment} ({100 * caught / total:.0f}%)")
