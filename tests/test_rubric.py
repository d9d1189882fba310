"""Formgrader's rubric of a hand-graded plot: the criteria, what the model answer draws, and its code folded
(grading/pages/rubric.py, modeloutputs.py)."""
import base64
import json

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter
from traitlets.config.loader import PyFileConfigLoader

from backprop_course.course import Course
from backprop_course.grading.pages import modeloutputs
from backprop_course.grading.pages.rubric import model_answers
from support.submissions import fixture_notebook_path

ASSIGNMENT = "chain_rule"
PLOT = "plot_data"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def course(tmp_path):
    return Course.scratch_copy(tmp_path / "course")


def source_path(course):
    return course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def change_plot_cell(course, old, new):
    notebook = nbformat.read(source_path(course), as_version=4)
    cell = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == PLOT)
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    nbformat.write(notebook, source_path(course))


def drawn(course):
    return modeloutputs.draw_model_outputs(course.root, ASSIGNMENT, source_path(course))


def no_kernel(*args):
    raise AssertionError("drawn again")


def image(outputs):
    (output,) = outputs[PLOT]["outputs"]
    png = base64.b64decode(output["image/png"])
    assert png.startswith(PNG_SIGNATURE)
    return png


def grading_page(course):
    """Formgrader's page of the reference submission, as the course renders it."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    config.CourseDirectory.root = str(course.root)
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT, "submission_id": "x", "index": 0,
                 "total": 1, "base_url": "", "student": "alice", "last_name": "", "first_name": "",
                 "notebook_path": "/"}
    submission = str(fixture_notebook_path(ASSIGNMENT, "reference"))
    return HTMLExporter(config=config).from_filename(submission, resources=resources)[0]


def test_a_code_answers_leading_comments_are_its_criteria_and_a_markdown_answer_is_whole(course):
    answers = model_answers(source_path(course))
    assert [line.split(":")[0] for line in answers[PLOT]["criteria"]] == ["Full marks (1)", "Half (0.5)", "None (0)"]
    assert not answers[PLOT]["source"].lstrip().startswith("#") and "axes.plot(x, y" in answers[PLOT]["source"]
    assert answers["answer_question_2"]["criteria"] == []
    assert answers["answer_question_2"]["source"].startswith("*Model answer, for TAs.*")


def test_the_model_plot_is_drawn_once_and_again_when_its_source_or_data_changes(course, monkeypatch):
    first = drawn(course)
    assert first[PLOT]["error"] == "" and image(first)
    assert set(first) == {PLOT}  # only hand-graded code cells

    with monkeypatch.context() as patched:
        patched.setattr(modeloutputs, "_draw", no_kernel)
        assert drawn(course) == first

    kept = course.root / modeloutputs.RUBRICS_FOLDER / ASSIGNMENT / f"{ASSIGNMENT}.json"
    damaged = json.loads(kept.read_text())
    damaged["cells"][PLOT] = "not a drawing"
    kept.write_text(json.dumps(damaged))
    assert drawn(course) == first  # drawn again

    change_plot_cell(course, 'markersize=2', 'markersize=9')
    bigger_dots = drawn(course)
    assert image(bigger_dots) != image(first)
    data = course.root / "source" / ASSIGNMENT / "backprop.csv"
    data.write_text(data.read_text().replace("\n-5.0,", "\n-9.0,", 1))
    assert image(drawn(course)) != image(bigger_dots)


def test_a_model_answer_that_fails_is_said_so_its_code_still_shown_and_the_next_release_tries_again(
        course, monkeypatch):
    change_plot_cell(course, "plt.show()", "plt.show()\nraise ValueError('no axes today')")
    failed = drawn(course)
    assert failed[PLOT]["error"].endswith("ValueError: no axes today"), failed[PLOT]["error"]
    formgrader = grading_page(course)
    assert "The model answer could not be run: ValueError: no axes today" in formgrader
    assert "set_title" in formgrader  # the code, highlighted
    monkeypatch.setattr(modeloutputs, "_draw", no_kernel)
    with pytest.raises(AssertionError, match="drawn again"):
        drawn(course)


def test_a_page_never_runs_a_kernel_and_says_when_the_drawing_is_older_than_the_source(course, monkeypatch):
    monkeypatch.setattr(modeloutputs, "_draw", no_kernel)
    assert "is not drawn for this version of\n    the source notebook" in grading_page(course)  # never released
    monkeypatch.undo()
    drawn(course)
    assert "not drawn for this version" not in grading_page(course)
    change_plot_cell(course, 'markersize=2', 'markersize=9')
    monkeypatch.setattr(modeloutputs, "_draw", no_kernel)
    page = grading_page(course)
    assert "not drawn for this version" in page and 'class="model-output"' not in page


def test_formgrader_shows_the_criteria_then_the_model_plot_then_its_code_folded(course):
    """Drawn by the release (DrawModelOutputs). (The feedback of a student whose plot a TA graded shows none of
    it: test_ta_round.py.)"""
    course.release(ASSIGNMENT)
    formgrader = grading_page(course)
    kept = json.loads((course.root / modeloutputs.RUBRICS_FOLDER / ASSIGNMENT / f"{ASSIGNMENT}.json").read_text())
    model_png = kept["cells"][PLOT]["outputs"][0]["image/png"].replace("\n", "")
    criteria = model_answers(source_path(course))[PLOT]["criteria"]
    assert f'src="data:image/png;base64,{model_png}"' in formgrader
    assert '<ul class="criteria">' + "".join(f"<li>{line}</li>" for line in criteria) + "</ul>" in formgrader
    assert "<summary>The model answer's code</summary>" in formgrader
    assert formgrader.index(criteria[0]) < formgrader.index(model_png[:100]) < formgrader.index("The model answer's")
