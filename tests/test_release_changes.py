"""An instructor's change after release is the release's, not the students': points and a locked cell's text
changed in source/ and released again are recognised in earlier submissions, and a student's own change still
is reported."""
import contextlib
import io
import json
import shutil

import nbformat
import pytest

from backprop_course.course import Course, release_all
from backprop_course.grading.judge.releases import HISTORY_FOLDER, ReleaseHistory, record
from support.submissions import fixture_notebook_path

ASSIGNMENT, CELL = "chain_rule", "test_dldw"


def with_cell(path, change):
    """The notebook at ``path`` with ``change`` applied to cell CELL."""
    notebook = nbformat.read(path, as_version=4)
    change(next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == CELL))
    return notebook


def set_points(points):
    return lambda cell: cell.metadata.nbgrader.__setitem__("points", points)


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    course = Course.scratch_copy(tmp_path_factory.mktemp("release") / "course")
    course.release(ASSIGNMENT)
    # As for a course released before releases were recorded: make release records release/ first.
    shutil.rmtree(course.root / HISTORY_FOLDER)
    reference = fixture_notebook_path(ASSIGNMENT, "reference")
    course.submit("alice", ASSIGNMENT, reference)  # as released
    mallory = course.folder("submitted", "mallory", ASSIGNMENT)
    mallory.mkdir(parents=True)
    nbformat.write(with_cell(reference, set_points(5)), mallory / f"{ASSIGNMENT}.ipynb")
    first = course.nbgrader("autograde", ASSIGNMENT)
    # The instructor gives test_dldw a fourth point and a clearer first line, and releases again.
    source = course.folder("source", assignment=ASSIGNMENT) / f"{ASSIGNMENT}.ipynb"

    def fix(cell):
        cell.metadata.nbgrader["points"] = 4
        cell.source = '"""dldw: the gradient of the loss, both weights (fixed wording)."""\n' + cell.source
    nbformat.write(with_cell(source, fix), source)
    warning = io.StringIO()
    with contextlib.redirect_stderr(warning):
        release_all(course, [ASSIGNMENT])
    again = course.nbgrader("autograde", ASSIGNMENT, "--force")
    return course, first.stdout + first.stderr, warning.getvalue(), again.stdout + again.stderr


def test_each_release_is_recorded_with_the_points_and_text_it_gave(term):
    course, *_ = term
    history = json.loads((course.root / HISTORY_FOLDER / f"{ASSIGNMENT}.json").read_text())
    assert [version["points"] for version in history[ASSIGNMENT][CELL]] == [3, 4]


def test_releasing_again_warns_which_points_and_totals_change_for_the_submissions(term):
    _, _, warning, _ = term
    assert "chain_rule has 2 submissions, and this release changes its points: test_dldw 3 -> 4 (total 18 -> 19)" \
        in warning, warning


def test_an_earlier_release_is_not_blamed_on_the_student_and_is_graded_as_released_now(term):
    from nbgrader.api import Gradebook

    course, first, _, again = term
    assert "alice changed" not in first + again, again
    assert "alice has cell test_dldw with 3.0 points, as an earlier release gave it" in again, again
    assert "alice has cell test_dldw as an earlier release gave it" in again, again
    with Gradebook(course.db_url) as gradebook:
        assert gradebook.find_grade(CELL, ASSIGNMENT, ASSIGNMENT, "alice").score == 4


def test_a_students_own_change_is_still_reported(term):
    _, first, _, again = term
    assert "mallory changed the points of cell test_dldw (should be 3.0, got 5.0)" in first, first
    assert "mallory changed the points of cell test_dldw (should be 4.0, got 5.0)" in again, again


@pytest.mark.parametrize("damaged", ["null", "[]", '{"chain_rule": {"test_dldw": [3]}}', '{"chain_rule": [1]}', "{"])
def test_a_damaged_history_counts_for_what_it_holds_and_never_breaks_grading(tmp_path, damaged):
    path = tmp_path / HISTORY_FOLDER / f"{ASSIGNMENT}.json"
    path.parent.mkdir(parents=True)
    path.write_text(damaged)
    assert not ReleaseHistory(tmp_path, ASSIGNMENT).gave(ASSIGNMENT, CELL, points=3)
    record(tmp_path, ASSIGNMENT, {ASSIGNMENT: with_cell(fixture_notebook_path(ASSIGNMENT, "reference"),
                                                        lambda cell: None)})  # the next release rebuilds it
    assert ReleaseHistory(tmp_path, ASSIGNMENT).gave(ASSIGNMENT, CELL, points=3)
