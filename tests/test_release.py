"""release/ is exactly what nbgrader makes from source/ now, and leaks nothing."""
import filecmp

import nbformat
import pytest

from backprop_course import REPO_ROOT
from support import ASSIGNMENTS
from backprop_course.course import Course
from backprop_course.grading.cells import is_test_cell
from support.leaks import found_secrets, notebook_secrets


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    course = Course.scratch_copy(tmp_path_factory.mktemp("release") / "course")
    for assignment in ASSIGNMENTS:
        course.release(assignment)
    return course.root / "release"


def released_files(folder):
    """The files of a released folder, by path within it (Python's caches aside)."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*")
                  if path.is_file() and "__pycache__" not in path.parts)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_current(regenerated, assignment):
    committed, fresh = REPO_ROOT / "release" / assignment, regenerated / assignment
    names = released_files(fresh)
    assert released_files(committed) == names, "run `make release`"
    for name in names:
        if name.endswith(".ipynb"):
            assert nbformat.read(committed / name, 4) == nbformat.read(fresh / name, 4), \
                f"release/{assignment}/{name} is stale: run `make release`"
        else:
            assert filecmp.cmp(committed / name, fresh / name, shallow=False), \
                f"release/{assignment}/{name} is stale: run `make release`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_leaks_no_solution_hidden_test_or_reference_value(assignment):
    secrets = notebook_secrets(REPO_ROOT / "source" / assignment / f"{assignment}.ipynb")
    assert secrets.solution_lines and secrets.hidden_lines and secrets.reference_values
    for name in released_files(REPO_ROOT / "release" / assignment):
        path = REPO_ROOT / "release" / assignment / name
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            text = "\n".join(cell.source for cell in nbformat.reads(text, 4).cells)
        assert found_secrets(text, secrets) == [], f"leak in release/{assignment}/{path.name}"


def test_leak_scanner_finds_what_it_looks_for():
    """The scan above is only worth something if it can fail."""
    source = REPO_ROOT / "source" / "chain_rule" / "chain_rule.ipynb"
    secrets = notebook_secrets(source)
    # The whole source, and the gradient that the judge expects at the notebook's own inputs.
    expected = "[-0.0077779005629821825, 0.2788002123149505]"
    leaked = "\n".join(cell.source for cell in nbformat.read(source, 4).cells) + f"\nexpected {expected}"
    hits = found_secrets(leaked, secrets)
    assert any(hit.startswith("solution line") for hit in hits)
    assert any(hit.startswith("hidden test line") for hit in hits)
    assert any(hit.startswith("reference value") for hit in hits)


# `nbgrader validate` indents each line of a failed cell by 4 and cuts it at 87 characters.
VALIDATE_LINE = 83


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_shows_every_released_test_line_whole(assignment):
    notebook = nbformat.read(REPO_ROOT / "release" / assignment / f"{assignment}.ipynb", 4)
    long_lines = [line for cell in notebook.cells if is_test_cell(cell)
                  for line in cell.source.splitlines() if len(line) > VALIDATE_LINE]
    assert long_lines == []
