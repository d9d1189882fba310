"""Fixture submissions: real student notebooks with known expected outcomes.

Every fixture starts from the released notebook, the file a student receives.
``reference`` fills each answer cell with the source's solution; ``blank``
leaves the release untouched; every other fixture is the reference with a few
documented text edits in named answer cells, each a mistake that students
really make. The expected outcome names the test cells that must lose their
points; every other test cell must keep all of them.

The catalogue of each assignment is in ``catalogs.py``; ``make fixtures``
writes the notebooks and ``expected.json`` under ``tests/fixtures/<assignment>/``,
and a test keeps the committed files equal to what it generates.
"""
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import is_solution

from backprop_course import REPO_ROOT
from backprop_course.grading.pages.rubric import model_answers
from backprop_course.markers import BEGIN_SOLUTION, END_SOLUTION

FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (which must occur exactly once) by ``new`` in one answer cell."""
    cell: str
    old: str
    new: str


# Kinds of fixture: the baselines, the mistakes named in the assignment's
# issue, the wider mistake suite, and correct-but-different solutions.
BASELINE, KNOWN_MISTAKE, MISTAKE, EQUIVALENT = "baseline", "known mistake", "mistake", "equivalent"


@dataclass(frozen=True)
class Fixture:
    name: str
    description: str
    edits: tuple = ()
    loses: frozenset = field(default_factory=frozenset)
    blank: bool = False
    kind: str = KNOWN_MISTAKE
    # A phrase that the failure message must contain, so that a student can act on it.
    message: str = ""

    def __post_init__(self):
        # A mistake that loses nothing, or an equivalent that loses something,
        # is a catalogue error, caught before any notebook is graded.
        if self.kind in (KNOWN_MISTAKE, MISTAKE) and not self.loses:
            raise ValueError(f"mistake {self.name} must name the test cells it loses")
        if self.kind == EQUIVALENT and self.loses:
            raise ValueError(f"equivalent solution {self.name} must lose nothing")


def solution_text(source):
    """A solution cell's source as a student would write it: markers removed."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))


def answer_cells(notebook):
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells
            if is_solution(cell)}


def reference_submission(source_path, release_path):
    """The released notebook with every answer cell filled in from the source (a hand-graded one without the
    TAs' criteria)."""
    solutions = answer_cells(nbformat.read(source_path, as_version=4))
    models = model_answers(source_path)
    notebook = nbformat.read(release_path, as_version=4)
    for grade_id, cell in answer_cells(notebook).items():
        cell.source = models[grade_id]["source"] if grade_id in models else solution_text(solutions[grade_id].source)
    return notebook


def apply_edits(notebook, edits):
    cells = answer_cells(notebook)
    for edit in edits:
        source = cells[edit.cell].source
        count = source.count(edit.old)
        if count != 1:
            raise ValueError(f"edit of cell {edit.cell!r} expects {edit.old!r} once, found {count}")
        cells[edit.cell].source = source.replace(edit.old, edit.new)
    return notebook


# What made-up students write in the discussion cells, some good and some poor, so that a TA
# practising on the example class grades real answers, not the model answer over and over.
OWN_ANSWERS = {
    "answer_question_1": (
        "1. Closest near h = 1e-7 for both, about 1e-11 away. 2. On the right the estimate's own error is "
        "h^2/6 times the third derivative, so the distance drops 100 times per factor 10 in h. On the left the "
        "two losses are rounded to 16 digits and their difference is divided by h, so it grows like 1/h.",
        "The best h is 1e-5 because that is what we used. Smaller h is always better in theory.",
        "It makes a V shape.",
        "1. About h = 1e-6, distance 1e-11. 2. The distance falls because the estimate gets better as h gets "
        "smaller, then rounding error takes over.",
    ),
    "answer_question_2": (
        "dL/dw1 = dL/dy * dy/da3 * da3/dh2 * dh2/da2 * da2/dh1 * dh1/da1 * da1/dw1. The first two factors are "
        "also in dL/dw3, and the first four in dL/dw2. Going backwards we keep the running product and reuse "
        "it, so each factor is computed once.",
        "dL/dw1 = dL/dy * dy/da3 * da3/dh2 * dh2/da2 * da2/dh1 * dh1/da1 * da1/dw1. Backwards is faster because "
        "the loss is at the end.",
        "You multiply all the derivatives together.",
    ),
}


def with_own_answers(notebook, student):
    """The discussion answers of ``notebook`` replaced by ``student``'s own, picked by name from OWN_ANSWERS."""
    for grade_id, cell in answer_cells(notebook).items():
        if grade_id in OWN_ANSWERS and cell.cell_type == "markdown":
            choices = OWN_ANSWERS[grade_id]
            cell.source = choices[zlib.crc32(f"{student}/{grade_id}".encode()) % len(choices)]
    return notebook


def build_submission(fixture, source_path, release_path):
    if fixture.blank:
        return nbformat.read(release_path, as_version=4)
    return with_own_answers(apply_edits(reference_submission(source_path, release_path), fixture.edits),
                            fixture.name)


def fixture_notebook_path(assignment, fixture_name, fixtures_dir=FIXTURES_DIR):
    return Path(fixtures_dir) / assignment / fixture_name / f"{assignment}.ipynb"
