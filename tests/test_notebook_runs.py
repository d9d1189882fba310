"""Both notebooks run top to bottom: the source cleanly, the release failing only where stubbed."""
import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from backprop_course import REPO_ROOT
from support import ASSIGNMENTS
from backprop_course.grading.cells import is_test_cell

pytestmark = pytest.mark.slow  # end to end: real nbgrader over notebooks


def run_copy(folder, tmp_path, assignment):
    work = tmp_path / assignment
    shutil.copytree(folder, work)
    notebook = nbformat.read(work / f"{assignment}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, allow_errors=True, resources={"metadata": {"path": str(work)}}).execute()
    return notebook


def outputs(notebook, kind):
    return [(cell, output) for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs if output.output_type == kind]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_runs_clean(assignment, tmp_path):
    notebook = run_copy(REPO_ROOT / "source" / assignment, tmp_path, assignment)
    assert [output.ename + ": " + output.evalue for _, output in outputs(notebook, "error")] == []
    stderr = [output.text for _, output in outputs(notebook, "stream") if output.name == "stderr"]
    assert stderr == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_fails_only_with_not_implemented(assignment, tmp_path):
    notebook = run_copy(REPO_ROOT / "release" / assignment, tmp_path, assignment)
    errors = outputs(notebook, "error")
    test_cells = [cell for cell in notebook.cells if is_test_cell(cell)]
    failed = {id(cell) for cell, _ in errors}
    assert all(id(cell) in failed for cell in test_cells), "a graded test passes on the stubs"
    for cell, output in errors:
        is_test = any(cell is test for test in test_cells)
        # A test of data shapes fails by its own assertion; every other failure is a stub.
        assert output.ename == "NotImplementedError" or (is_test and output.ename == "CheckFailed"), \
            f"{output.ename}: {output.evalue} in {cell.source[:80]!r}"
