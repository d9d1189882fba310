"""`nbgrader validate` passes on every source and fails every test of every release."""

import pytest

from backprop_course import REPO_ROOT
from support import ASSIGNMENTS
from backprop_course.course import Course

pytestmark = pytest.mark.slow  # end to end: real nbgrader over notebooks


def validate(*args):
    return Course(REPO_ROOT).nbgrader("validate", *args, check=False)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_passes_validation(assignment):
    result = validate(f"source/{assignment}/{assignment}.ipynb")
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_fails_every_test(assignment):
    result = validate("--invert", f"release/{assignment}/{assignment}.ipynb")
    assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout + result.stderr
