"""What a student sees from `nbgrader validate`: every catalogued mistake fails, with its message in full.

Each catalogued mistake is built into the released notebook and validated by
real `nbgrader validate` in a copy of the released folder (tests/support/student_validate.py).
"""
import functools
import re

import nbformat
import pytest

from backprop_course import REPO_ROOT
from support import ASSIGNMENTS
from backprop_course.grading.cells import is_test_cell
from support.catalogs import EXPECTED_MESSAGES
from support.student_validate import CATCH_RATES, catch_rate, submissions, validate_submissions
from support.submissions import EQUIVALENT

# Where the visible check words a mistake differently from the hidden verdict
# (EXPECTED_MESSAGES): the visible check sees the notebook's own W, so it can
# say which value came back.
VISIBLE_WORDING = {"dadh_reads_global_W": "the notebook's w2, not its argument w"}
MESSAGE = re.compile(r"^    (?P<kind>CheckFailed|AssertionError): (?P<text>.*?)(?:\n\n|\n    \n|\Z)", re.M | re.S)


@pytest.fixture(scope="module")
def validations(tmp_path_factory, pytestconfig):
    """{assignment: {submission: Validation}}, every catalogue entry validated once."""
    results = {}
    for assignment in ASSIGNMENTS:
        results[assignment] = validate_submissions(assignment, tmp_path_factory.mktemp("validate"))
        caught, total, _ = catch_rate(assignment, results[assignment])
        pytestconfig.stash.setdefault(CATCH_RATES, {})[assignment] = (caught, total)
    return results


def messages(output):
    """[(kind, message as one line)] of the check failures that validate printed."""
    return [(match["kind"], " ".join(line.strip() for line in match["text"].splitlines()))
            for match in MESSAGE.finditer(output)]


def intended_subject(fixture, test_order):
    """How the message of the mistake's first lost test must begin: the function (or variable) it names."""
    first = min(fixture.loses, key=test_order.index)
    name = first[len("test_"):]
    return ("x", "y") if name == "data_loaded_as_columns" else (name,)


@functools.cache
def cell_order(assignment):
    """The release's test cells in the order the notebook runs them."""
    notebook = nbformat.read(REPO_ROOT / "release" / assignment / f"{assignment}.ipynb", 4)
    return [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells if is_test_cell(cell)]


def mistake_cases():
    return [(assignment, name) for assignment in ASSIGNMENTS
            for name, fixture in submissions(assignment).items() if fixture.kind != EQUIVALENT]


def equivalent_cases():
    return [(assignment, name) for assignment in ASSIGNMENTS
            for name, fixture in submissions(assignment).items() if fixture.kind == EQUIVALENT]


@pytest.mark.slow
@pytest.mark.parametrize("assignment,name", mistake_cases())
def test_validate_fails_the_mistake_and_names_the_function(validations, assignment, name):
    validation = validations[assignment][name]
    assert validation.failed, f"validate passed {name}:\n{validation.output}"
    fixture = submissions(assignment)[name]
    subjects = intended_subject(fixture, cell_order(assignment))
    found = messages(validation.output)
    assert any(text.startswith(subjects) for _, text in found), \
        f"no message about {subjects} for {name}; messages: {found}\n{validation.output}"
    for kind, text in found:
        # In full: validate cuts long lines with "...", and a whole message ends a sentence.
        assert "..." not in text and text.endswith((".", "?", "!")), f"cut message for {name}: {text!r}"
        assert "?." not in text, text
    phrase = VISIBLE_WORDING.get(name, EXPECTED_MESSAGES[assignment].get(name))
    if phrase:
        assert phrase in " ".join(text for _, text in found), f"{name}: {phrase!r} not in {found}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment,name", equivalent_cases())
def test_validate_passes_the_equivalent_solution(validations, assignment, name):
    validation = validations[assignment][name]
    assert validation.passed, f"validate failed the equivalent {name}:\n{validation.output}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_output_has_no_noise(validations, assignment):
    """The shipped nbgrader_config.py silences the two warnings that mean nothing to a student."""
    for validation in validations[assignment].values():
        assert "No nbgrader_config.py" not in validation.output
        assert "Kernel is running over TCP" not in validation.output
        assert "WARNING" not in validation.output, validation.output


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_catches_every_catalogued_mistake(validations, assignment):
    caught, total, missed = catch_rate(assignment, validations[assignment])
    assert missed == [], f"{assignment}: validate catches {caught}/{total}; missed {missed}"
