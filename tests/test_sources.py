"""Source notebooks are clean, valid and consistently marked up for nbgrader."""
import ast

import nbformat
import pytest

from nbgrader.utils import is_grade, is_locked, is_solution

from backprop_course import REPO_ROOT
from backprop_course.grading.cells import is_test_cell
from backprop_course.markers import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION
from backprop_course.authoring.notebooks import STUDENT_CONFIG, shipped_copies, source_notebooks

NOTEBOOKS = source_notebooks()
SOLUTION_MARKERS = (BEGIN_SOLUTION, END_SOLUTION)
HIDDEN_MARKERS = (BEGIN_HIDDEN, END_HIDDEN)
# Checks that return None: a test cell may end with a call to one of these
# without nbgrader reading its value as a partial score.
NONE_RETURNING_CHECKS = {"expect_close", "expect_shape", "expect_unchanged", "expect_column", "expect_slope_by_rules",
                         "expect_dldw_matches_differences", "expect_dldw_tied_matches_differences",
                         "expect_jacobian_matches_differences"}


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


@pytest.fixture(params=NOTEBOOKS, ids=lambda path: path.parent.name)
def notebook(request):
    return nbformat.read(request.param, as_version=4)


def test_every_assignment_has_a_source_notebook():
    from support import ASSIGNMENTS
    assert [path.parent.name for path in NOTEBOOKS] == sorted(ASSIGNMENTS)


def test_valid_nbformat(notebook):
    nbformat.validate(notebook)


def test_no_outputs_counts_or_editor_metadata(notebook):
    assert set(notebook.metadata) == {"kernelspec"}
    for cell in notebook.cells:
        assert set(cell.metadata) <= {"nbgrader"}, cell.metadata
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:80]


def test_grade_ids_are_unique_and_metadata_is_consistent(notebook):
    ids = [nbgrader_meta(cell)["grade_id"] for cell in notebook.cells if nbgrader_meta(cell)]
    assert len(ids) == len(set(ids)), ids
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        assert meta["schema_version"] == 3
        if is_grade(cell):
            assert meta["points"] > 0, meta["grade_id"]
        if is_test_cell(cell):
            assert is_locked(cell) and meta["locked"] and cell.cell_type == "code"
            assert meta["grade_id"].startswith("test_"), meta["grade_id"]


def test_markers_only_where_they_belong(notebook):
    for cell in notebook.cells:
        lines = [line.strip() for line in cell.source.splitlines()]
        for markers, allowed in ((SOLUTION_MARKERS, is_solution(cell) and cell.cell_type == "code"),
                                 (HIDDEN_MARKERS, is_test_cell(cell))):
            begin, end = (lines.count(marker) for marker in markers)
            assert begin == end, f"unbalanced {markers[0]} in {cell.source[:60]!r}"
            if not allowed:
                assert begin == 0, f"{markers[0]} outside its kind of cell: {cell.source[:60]!r}"
        if is_solution(cell) and cell.cell_type == "code":
            assert lines.count(SOLUTION_MARKERS[0]) >= 1, f"answer cell without solution: {cell.source[:60]!r}"
        if is_test_cell(cell):
            assert lines.count(HIDDEN_MARKERS[0]) == 1, f"test cell without hidden part: {cell.source[:60]!r}"


def test_each_student_function_has_its_own_test_cell(notebook):
    test_ids = {nbgrader_meta(cell)["grade_id"] for cell in notebook.cells if is_test_cell(cell)}
    functions = [node.name for cell in notebook.cells
                 if is_solution(cell) and cell.cell_type == "code"
                 for node in ast.parse(cell.source).body if isinstance(node, ast.FunctionDef)]
    assert functions, "no student functions found"
    for name in functions:
        assert f"test_{name}" in test_ids, f"no test cell test_{name} for student function {name}"


def test_test_cells_read_as_specifications(notebook):
    """A docstring first, and no bare last expression that nbgrader would read as a score."""
    for cell in filter(is_test_cell, notebook.cells):
        body = ast.parse(cell.source).body
        first = body[0]
        assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str), f"test cell lacks a docstring: {cell.source[:60]!r}"
        last = body[-1]
        if isinstance(last, ast.Expr) and last is not first:
            call = last.value
            assert isinstance(call, ast.Call) and getattr(call.func, "id", "") in NONE_RETURNING_CHECKS, \
                f"test cell {nbgrader_meta(cell)['grade_id']} ends with a bare expression"


def test_shipped_files_are_copies_of_their_originals():
    for path in NOTEBOOKS:
        copies = shipped_copies(REPO_ROOT, path.parent.name)
        assert len(copies) >= 4
        for copy, original in copies.items():
            assert copy.read_bytes() == original.read_bytes(), f"{copy} is stale: run `make sync`"


def test_students_nbgrader_config_imports_nothing():
    """It runs on students' machines, where the course package does not exist."""
    tree = ast.parse(STUDENT_CONFIG.read_text())
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


def test_the_course_markers_are_the_ones_nbgrader_strips():
    """Our leak scan, fixtures and feedback filter look for the lines that generate_assignment removes."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    solutions, hidden = ClearSolutions(), ClearHiddenTests()
    assert BEGIN_SOLUTION == f"### {solutions.begin_solution_delimeter}"
    assert END_SOLUTION == f"### {solutions.end_solution_delimeter}"
    assert BEGIN_HIDDEN == f"### {hidden.begin_test_delimeter}"
    assert END_HIDDEN == f"### {hidden.end_test_delimeter}"
