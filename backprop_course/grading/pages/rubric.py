"""What formgrader's grading page shows TAs beyond nbgrader's: the rubric beside each answer, and why the
submission is flagged.

The model answers and the split of points live in the source notebooks'
answer cells, which students never receive: a markdown answer says what
earns full marks in its text; a code answer's solution begins with its
criteria as comment lines, one a line. ``AddRubric`` runs in formgrader's exporter
(``c.HTMLExporter.preprocessors`` in nbgrader_config.py) and copies, for
each hand-graded cell of the submission, its model answer, criteria, points
and, for code, what the model drew at release (modeloutputs.py) into the cell's
metadata, where the grading page template (``templates/backprop_formgrade``)
shows them. The feedback exporter runs no such step, and its template shows
no rubric (tested).

``ShowReviewReasons`` puts the reasons that flagged the submission (nbgrader's *Flagged?*: tampering, a
status other than graded, hard-coding, not the chain rule) in a panel at the top of the page, read from
the autograded notebook as the class report reads them.
"""
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader.coursedir import CourseDirectory

from ...markers import BEGIN_SOLUTION, END_SOLUTION
from ..cells import is_hand_graded
from .modeloutputs import kept_model_outputs

RUBRIC_KEY = "rubric"


def model_answers(source_notebook: str | Path) -> dict[str, dict[str, str | float]]:
    """{grade_id: {"source", "criteria" (a list), "cell_type", "points"}} of a source notebook's hand-graded
    cells."""
    answers = {}
    for cell in nbformat.read(source_notebook, as_version=4).cells:
        if is_hand_graded(cell):
            lines = [line for line in cell.source.splitlines() if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION)]
            criteria = []
            while cell.cell_type == "code" and lines and lines[0].lstrip().startswith("#"):
                criteria.append(lines.pop(0).lstrip().lstrip("#").strip())
            answers[cell.metadata.nbgrader["grade_id"]] = {
                "source": "\n".join(lines), "criteria": criteria, "cell_type": cell.cell_type,
                "points": cell.metadata.nbgrader.get("points", 0)}
    return answers


class AddRubric(Preprocessor):
    """Formgrader's exporter: each hand-graded cell gets its rubric from source/ (see the module docstring)."""

    enabled = True

    def preprocess(self, nb: nbformat.NotebookNode,
                   resources: dict[str, Any]) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
        assignment, notebook = resources.get("assignment_id"), resources.get("notebook_id")
        if not (assignment and notebook):  # not formgrader's grading page
            return nb, resources
        course = CourseDirectory(parent=self)
        source = Path(course.root) / course.source_directory / assignment / f"{notebook}.ipynb"
        if not source.is_file():
            return nb, resources
        answers = model_answers(source)
        drawn = kept_model_outputs(course.root, assignment, source)
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                rubric = dict(answers[grade_id])
                if rubric["cell_type"] == "code":
                    kept = (drawn or {}).get(grade_id, {})
                    rubric.update(outputs=kept.get("outputs", []), error=kept.get("error", ""),
                                  not_drawn=drawn is None)
                cell.metadata.nbgrader[RUBRIC_KEY] = rubric
        return nb, resources


class ShowReviewReasons(Preprocessor):
    """Formgrader's exporter: the reasons a TA should look at this submission, for the page's top panel."""

    enabled = True

    def preprocess(self, nb: nbformat.NotebookNode,
                   resources: dict[str, Any]) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
        from ...outcomes import notebook_review_reasons

        if resources.get("assignment_id"):  # formgrader's grading page
            resources["review_reasons"] = notebook_review_reasons(nb)
        return nb, resources
