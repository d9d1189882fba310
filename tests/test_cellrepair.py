"""The repair of a submission's cells before grading (grading/judge/cellrepair.py): no kernel, no sandbox."""
import logging

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.preprocessors import CheckCellMetadata, OverwriteCells

from backprop_course.grading.judge.cellrepair import DropDuplicateGradedCells, RestoreLockedCells
from support.gradebooks import (TEST_ONE_RELEASED, TEST_ONE_SOURCE, alembic_on_path, graded_cell,
                                one_submission_gradebook)


@pytest.fixture
def gradebook(tmp_path, monkeypatch):
    """The resources of autograde for one submission of a small gradebook."""
    alembic_on_path(monkeypatch)
    url = one_submission_gradebook(tmp_path / "gradebook.db")
    return {"nbgrader": {"db_url": url, "assignment": "a", "notebook": "nb", "student": "s"}}


def test_duplicated_and_unknown_graded_cells_are_dropped_and_the_rest_kept(gradebook):
    first, copy = graded_cell("run_probes()", "test_one", True), graded_cell("pass", "test_one", True)
    renamed = graded_cell("pass", "test_renamed", True)
    plain = new_code_cell("print('mine')")
    notebook = new_notebook(cells=[first, plain, copy, renamed])
    notebook, _ = DropDuplicateGradedCells().preprocess(notebook, gradebook)
    assert notebook.cells == [first, plain]


def restored(source, gradebook, caplog):
    step = RestoreLockedCells()
    step.log.propagate = True
    with caplog.at_level(logging.WARNING):
        notebook, _ = step.preprocess(new_notebook(cells=[graded_cell(source, "test_one", locked=True)]), gradebook)
    return notebook.cells[0].source, [record.getMessage() for record in caplog.records]


def test_a_test_cell_as_released_gets_its_hidden_tests_back_without_a_warning(gradebook, caplog):
    assert restored(TEST_ONE_RELEASED, gradebook, caplog) == (TEST_ONE_SOURCE, [])


def test_a_changed_test_cell_is_graded_as_released_with_one_warning_naming_the_student(gradebook, caplog):
    source, warnings = restored("pass  # no checks here", gradebook, caplog)
    assert source == TEST_ONE_SOURCE
    assert warnings == ["s changed the locked cell test_one; it is graded as released"]


def test_nbgraders_own_step_warns_for_the_unchanged_cell(gradebook, caplog):
    """Why RestoreLockedCells exists: the warning that buried real ones."""
    step = OverwriteCells()
    step.log.propagate = True
    with caplog.at_level(logging.WARNING):
        step.preprocess(new_notebook(cells=[graded_cell(TEST_ONE_RELEASED, "test_one", locked=True)]), gradebook)
    assert any("Attribute 'checksum'" in record.getMessage() for record in caplog.records)


def test_flipped_grade_and_solution_flags_are_the_releases_again(gradebook, caplog):
    """Red team: "solution" on a locked test cell, or no "grade" on a markdown answer, stopped the autograde,
    and the last grades stood."""
    test = graded_cell(TEST_ONE_RELEASED, "test_one", locked=True)
    test.metadata.nbgrader.update(solution=True, schema_version=3)
    answer = new_markdown_cell("mine", metadata={"nbgrader": {
        "grade_id": "answer_one", "grade": False, "solution": True, "locked": False, "points": 2,
        "schema_version": 3}})
    step = RestoreLockedCells()
    step.log.propagate = True
    with caplog.at_level(logging.WARNING):
        notebook, _ = step.preprocess(new_notebook(cells=[test, answer]), gradebook)
    CheckCellMetadata().preprocess(notebook, gradebook)  # nbgrader's check, which stopped it
    test, answer = notebook.cells
    assert (test.source, test.metadata.nbgrader["solution"], answer.metadata.nbgrader["grade"]) == (
        TEST_ONE_SOURCE, False, True)
    assert sorted(record.getMessage() for record in caplog.records) == [
        "s changed the grade of cell answer_one (should be True, got False); the release's is used",
        "s changed the solution of cell test_one (should be False, got True); the release's is used"]
