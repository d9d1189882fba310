"""The release history (what each release gave students) counts a damaged file for what it holds, and the next
release rebuilds it. An instructor's change after release, end to end: tests/test_term.py."""

import nbformat
import pytest

from backprop_course.grading.judge.releases import HISTORY_FOLDER, ReleaseHistory, record
from support.submissions import fixture_notebook_path

ASSIGNMENT, CELL = "chain_rule", "test_dldw"


def with_cell(path, change):
    """The notebook at ``path`` with ``change`` applied to cell CELL."""
    notebook = nbformat.read(path, as_version=4)
    change(next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == CELL))
    return notebook


@pytest.mark.parametrize("damaged", ["null", "[]", '{"chain_rule": {"test_dldw": [3]}}', '{"chain_rule": [1]}', "{"])
def test_a_damaged_history_counts_for_what_it_holds_and_never_breaks_grading(tmp_path, damaged):
    path = tmp_path / HISTORY_FOLDER / f"{ASSIGNMENT}.json"
    path.parent.mkdir(parents=True)
    path.write_text(damaged)
    assert not ReleaseHistory(tmp_path, ASSIGNMENT).gave(ASSIGNMENT, CELL, points=3)
    record(tmp_path, ASSIGNMENT, {ASSIGNMENT: with_cell(fixture_notebook_path(ASSIGNMENT, "reference"),
                                                        lambda cell: None)})  # the next release rebuilds it
    assert ReleaseHistory(tmp_path, ASSIGNMENT).gave(ASSIGNMENT, CELL, points=3)
