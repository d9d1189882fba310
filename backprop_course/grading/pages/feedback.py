"""The feedback that students receive: honest about what is graded, and free of hidden tests.

nbgrader's feedback shows each test cell as it ran, hidden tests included
(nbgrader issue #917, closed "by design"), and a failed assert's traceback
quotes the line that failed, reference values and all. This preprocessor,
registered in nbgrader_config.py for ``GenerateFeedback``, cuts the hidden
region out of every test cell and reduces every error in a test cell to its
one-line message, which our checks write for students. A kernel can read
the hidden tests that ran before its cells (``In``, its history) and print
them: every output line that quotes the start of a hidden line, or of a
long number in one (a probe's seed), is hidden too. What that cannot catch
(a copy the student encoded) shows a call that gradecheck.py shows anyway,
with a seed that only this very submission is probed with
(``verdicts.probe_seed``).

``GetGradesForFeedback`` and the page template ``templates/backprop_feedback``
(set by ``configure`` from nbgrader_config.py) name each part by what it
checks, show a hand-graded part that nobody has graded as "not graded yet"
rather than 0, and mark the total as partial while any part is.
"""
import ast
import html
import re
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import nbgrader
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import CoalesceStreamsPreprocessor
from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from nbgrader.utils import is_grade, is_solution, is_task
from traitlets import List, Unicode
from traitlets.config import Config

from ..cells import is_test_cell
from . import sanitize

HIDDEN_PLACEHOLDER = "# (hidden tests ran here; their messages, if any, are shown below)"
QUOTED_PLACEHOLDER = "(a line that quoted hidden tests is hidden)"
QUOTED_START = 12  # characters: shorter hidden lines ("pass") are too common to recognise
QUOTED_DIGITS = 7


def error_message_only(output: NotebookNode) -> NotebookNode:
    """An error output reduced to 'Name: message', with no traceback lines."""
    summary = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
    output["traceback"] = [summary]
    return output


class HideHiddenTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests, for feedback: hidden regions and tracebacks leave every test cell.

    It finds the regions by the same settings (``begin_test_delimeter``,
    ``end_test_delimeter``) as the release did. Where the release's step
    stops the whole command on a malformed region, this one cannot: a
    student's cell is not a test cell and is left alone, and in a test cell
    an unterminated region hides everything after its start (when in doubt,
    show less). The region becomes one placeholder line, so that students
    see where the hidden tests ran.
    """

    # nbconvert's HTML exporter configures this for every NbConvertBase; like
    # nbgrader's GetGrades, declare it configurable, or traitlets warns
    # "Config option display_data_priority not recognized" on every run.
    display_data_priority = List(Unicode(), GetGrades.class_traits()["display_data_priority"].default_value
                                 ).tag(config=True)

    def _remove_hidden_test_region(self, cell):
        """Cut the hidden regions out of ``cell``; returns the lines cut, delimiters included."""
        kept, hiding, hidden = [], False, []
        for line in cell.source.split("\n"):
            if self.begin_test_delimeter in line:
                if not hiding:
                    kept.append(line[: len(line) - len(line.lstrip())] + HIDDEN_PLACEHOLDER)
                hiding = True
            elif self.end_test_delimeter in line and hiding:
                hiding = False
            elif not hiding:
                kept.append(line)
                continue
            hidden.append(line)
        cell.source = "\n".join(kept)
        return hidden

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        hidden = [line for cell in nb.cells if is_test_cell(cell) for line in self._remove_hidden_test_region(cell)]
        quoted = _quotable(hidden)
        coalesce = CoalesceStreamsPreprocessor()  # a line printed in pieces is checked whole, as the page shows it
        for index, cell in enumerate(nb.cells):
            coalesce.preprocess_cell(cell, resources, index)
            for output in cell.get("outputs", []):
                if is_test_cell(cell) and output.get("output_type") == "error":
                    error_message_only(output)
                _hide_quotes(output, quoted)
        return nb, resources


def _quotable(hidden):
    """What shows that an output quotes one of the ``hidden`` lines: the start of each line, as text and
    as HTML, so that a repr cut short is caught too, and the first digits of its long numbers (seeds)."""
    lines = [line.strip() for line in hidden]
    starts = {form[:QUOTED_START] for line in lines if len(line) >= QUOTED_START
              for form in (line, html.escape(line), html.escape(line, quote=False))}
    return starts | {number[:QUOTED_DIGITS] for line in lines for number in re.findall(r"\d{6,}", line)}


def _hide_quotes(value, quoted):
    """``value`` (an output, or a part of one) with every line that contains one of ``quoted`` replaced."""
    if isinstance(value, str):
        return "".join(QUOTED_PLACEHOLDER + line[len(line.rstrip("\n")):]
                       if any(text in line for text in quoted) else line for line in value.splitlines(True))
    if isinstance(value, list):
        value[:] = [_hide_quotes(item, quoted) for item in value]
    elif isinstance(value, dict):
        for key in value:
            value[key] = _hide_quotes(value[key], quoted)
    return value


TEMPLATES = Path(__file__).parent / "templates"


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter with the course's feedback page.

    A class of its own, so that its settings (``c.FeedbackExporter``) leave
    formgrader's exporter, an HTMLExporter, alone, and formgrader's leave it
    alone.
    """

    def _create_environment(self):
        # nbconvert builds a new Jinja environment for every page; the compiled templates are kept for the
        # process (a grading worker writes one page per student), keyed and checked by the templates' source.
        environment = super()._create_environment()
        environment.bytecode_cache = _COMPILED_TEMPLATES
        return environment


class _TemplatesInMemory(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept in this process."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])  # dropped by Jinja if the source changed

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _TemplatesInMemory()


def configure(c: Config) -> None:
    """Called from nbgrader_config.py: feedback pages from the course's template, formgrader with its rubric.

    Both pages take MathJax from no CDN: formgrader serves it from this
    environment, and feedback carries its maths as MathML (``mathml.py``).
    """
    nbgrader_templates = str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates")
    c.GenerateFeedback.exporter_class = FeedbackExporter
    c.FeedbackExporter.template_name = "backprop_feedback"
    c.FeedbackExporter.template_file = "page.html.j2"
    c.FeedbackExporter.extra_template_basedirs = [nbgrader_templates, str(TEMPLATES)]
    c.FeedbackExporter.preprocessors = []  # never formgrader's rubric
    # formgrader's exporter: it reads nbgrader_config.py after its own settings, so these win.
    c.HTMLExporter.template_name = "backprop_formgrade"
    c.HTMLExporter.template_file = "grading_page.html.j2"
    c.HTMLExporter.extra_template_basedirs = [nbgrader_templates, str(TEMPLATES)]
    c.HTMLExporter.preprocessors = ["backprop_course.grading.pages.rubric.AddRubric",
                                    "backprop_course.grading.pages.rubric.ShowReviewReasons",
                                    "backprop_course.grading.pages.sanitize.SanitizeStudentHTML"]
    # Students' HTML inert on both pages (grading/pages/sanitize.py); feedback's own
    # step is in GenerateFeedback.preprocessors.
    for exporter in (c.FeedbackExporter, c.HTMLExporter):
        exporter.sanitize_html = True
        exporter.filters = dict(sanitize.FILTERS)


def label(cell: NotebookNode) -> str:
    """What a graded or answer cell is, in the words a student reads in the feedback."""
    grade_id = cell.metadata.nbgrader.get("grade_id", "")
    if is_test_cell(cell):  # read after HideHiddenTests: named by what students may see
        return f"Checks: {docstring_summary(cell.source) or grade_id}"
    if is_grade(cell) or is_task(cell):
        return f"Graded by hand: {grade_id.replace('_', ' ')}"
    if is_solution(cell):
        return "Your answer"
    return f"Given code ({grade_id.replace('_', ' ')}), run with your answers"


def docstring_summary(source: str) -> str:
    """The first line of a test cell's docstring ('' if it has none, or does not parse)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return ""
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0].value.value.strip().splitlines()[0]
    return ""


class GetGradesForFeedback(GetGrades):
    """nbgrader's GetGrades, telling "not graded yet" apart from 0, and naming every graded cell.

    A cell is not graded yet when neither the autograder nor a TA has scored
    it, or when a TA's score is for an earlier answer: a hand-graded part
    whose answer changed since is reopened (``manualgrades.py``), and its old
    score is left out of the total shown. Its points are counted in
    ``resources["nbgrader"]["pending_points"]``.
    """

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        resources["nbgrader"]["pending_points"] = 0.0
        self.reopened = None  # read with the first graded cell
        nb, resources = super().preprocess(nb, resources)
        # From the gradebook: a reopened part whose cell the student deleted is not among nb's cells.
        reopened = self._reopened()
        resources["nbgrader"]["pending_points"] += sum(grade.max_score for grade in reopened.values())
        earlier = sum(grade.score for grade in reopened.values())
        resources["nbgrader"]["score"] = max(0.0, resources["nbgrader"]["score"] - earlier)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id"):
                cell.metadata.nbgrader["label"] = label(cell)
            if cell.cell_type == "code" and "alt" not in cell.metadata and any(
                    kind.startswith("image/") for output in cell.get("outputs", []) for kind in output.get("data", {})):
                # nbconvert's template reads a figure's description from here.
                where = cell.metadata.get("nbgrader", {}).get("label", "this cell")
                cell.metadata["alt"] = f"The figure drawn by the code of {where}"
        return nb, resources

    def _get_score(self, cell, resources):
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(cell.metadata.nbgrader["grade_id"], self.notebook_id, self.assignment_id,
                                          self.student_id)
        never_graded = grade.auto_score is None and grade.manual_score is None
        cell.metadata.nbgrader["pending"] = never_graded or grade.name in self._reopened()
        if never_graded:
            resources["nbgrader"]["pending_points"] += grade.max_score

    def _reopened(self):
        """{grade_id: grade} of the hand-graded parts whose TA score is for an earlier answer: still to grade,
        with a manual score."""
        if self.reopened is None:
            notebook = self.gradebook.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
            by_hand = {cell.name for cell in notebook.notebook.solution_cells + notebook.notebook.task_cells}
            self.reopened = {grade.name: grade for grade in notebook.grades
                             if grade.name in by_hand and grade.needs_manual_grade and grade.manual_score is not None}
        return self.reopened
