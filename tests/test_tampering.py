"""The tampering scan (grading/judge/tampering.py), unit by unit: no kernel, no sandbox."""
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook

from backprop_course.grading.judge.tampering import TAMPERING_KEY, FlagTampering, scan_notebook, scan_source
from support.gradebooks import alembic_on_path, graded_cell, one_submission_gradebook


@pytest.mark.parametrize("source,reason", [
    ("np.allclose = lambda *args, **kwargs: True", "replaces np.allclose"),
    ("import numpy\nnumpy.linalg.norm = abs", "replaces numpy.linalg.norm"),
    ("sys.modules['gradecheck'] = fake", "edits sys.modules"),
    ("__builtins__['abs'] = print", "edits __builtins__"),
    ("setattr(np, 'mean', np.sum)", "calls setattr on np"),
    ("caller = sys._getframe(1).f_locals", "inspects the caller's frames (sys._getframe)"),
    ("import inspect\nframes = inspect.stack()", "inspects the caller's frames (inspect.stack)"),
    ("from backprop_course import verdicts", "imports the grading package"),
    ("import socket", "opens network connections"),
    ("text = open('../../gradebook.db', 'rb').read()", "refers to course files ('../../gradebook.db')"),
    ("!cat ../../source/chain_rule/chain_rule.ipynb", "runs shell commands"),
    ("%%bash\nls /", "runs shell commands"),
])
def test_the_scan_names_what_reaches_for_the_grader(source, reason):
    assert reason in scan_source(source)


@pytest.mark.parametrize("source", [
    "np.random.seed(0)",
    "pd.options.display.max_rows = 5",
    "import inspect\nhelp(inspect)",
    "total = np.sum(delta, axis=1, keepdims=True)",
    "def dldw(W, x, y):\n    return [0.0, 0.0",  # a syntax error fails by itself; nothing to flag
    "print('see source/ for details')",  # no path a file could be opened at
])
def test_the_scan_leaves_innocent_code_alone(source):
    assert scan_source(source) == []


def test_only_the_students_own_cells_are_scanned():
    notebook = new_notebook(cells=[graded_cell("np.allclose = None", "given", locked=True),
                                   new_code_cell("np.sum = len"), new_markdown_cell("np.mean = max")])
    assert scan_notebook(notebook) == ["replaces np.sum"]


@pytest.fixture
def gradebook(tmp_path, monkeypatch):
    """The resources of autograde for one submission of a small gradebook."""
    alembic_on_path(monkeypatch)
    url = one_submission_gradebook(tmp_path / "gradebook.db")
    return {"nbgrader": {"db_url": url, "assignment": "a", "notebook": "nb", "student": "s"}}


def flagged(resources):
    with Gradebook(resources["nbgrader"]["db_url"]) as book:
        return book.find_submission_notebook("nb", "a", "s").flagged


def test_a_flagged_notebook_gets_one_note_its_reasons_and_the_gradebook_flag(gradebook):
    notebook = new_notebook(cells=[new_code_cell("import backprop_course")])
    for _ in range(2):  # autograding again must not stack notes
        notebook, _ = FlagTampering().preprocess(notebook, gradebook)
    notes = [cell for cell in notebook.cells if cell.cell_type == "markdown"]
    assert len(notes) == 1 and "imports the grading package" in notes[0].source
    assert notebook.metadata[TAMPERING_KEY] == ["imports the grading package"]
    assert flagged(gradebook)


def test_a_clean_notebook_loses_an_old_note_and_is_not_flagged(gradebook):
    notebook = new_notebook(cells=[new_code_cell("import backprop_course")])
    notebook, _ = FlagTampering().preprocess(notebook, gradebook)
    notebook.cells[-1].source = "import numpy as np"  # the student fixed the cell and resubmitted
    with Gradebook(gradebook["nbgrader"]["db_url"]) as book:
        book.find_submission_notebook("nb", "a", "s").flagged = False
        book.db.commit()
    notebook, _ = FlagTampering().preprocess(notebook, gradebook)
    assert [cell.source for cell in notebook.cells] == ["import numpy as np"]
    assert TAMPERING_KEY not in notebook.metadata and not flagged(gradebook)


def test_what_it_looks_for_is_a_setting():
    from traitlets.config import Config
    config = Config({"FlagTampering": {"guarded_modules": {"scipy"}, "forbidden_imports": {"pickle": "unpickles"}}})
    rules = FlagTampering(config=config).rules()
    assert scan_source("import scipy\nscipy.linalg.norm = abs\nimport pickle", rules) == [
        "replaces scipy.linalg.norm", "unpickles"]
    assert scan_source("np.sum = len", rules) == []  # np is no longer guarded under this setting


@pytest.mark.parametrize("source", ["if False:\n    print(x" + ".a" * 950 + ")", "x = " + "-" * 20000 + "1"])
def test_code_too_deep_to_scan_is_flagged_not_a_crash(source):
    """A scan that raised would fail the student's grading after its scores were saved, notebook and flag lost."""
    assert scan_source(source) == ["has code too deeply nested to scan"]
