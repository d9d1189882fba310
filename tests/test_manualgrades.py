"""A TA's grading survives autograding again (grading/judge/manualgrades.py): no kernel, no sandbox."""
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades
from traitlets.config import Config

from backprop_course.grading.judge.manualgrades import (DIGESTS_KEY, UNCHANGED_KEY, KeepManualGrading, answer_digests,
                                                   digests_path)
from support.gradebooks import alembic_on_path, graded_cell, one_submission_gradebook


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course root with a small gradebook, and autograde's resources for its one submission."""
    alembic_on_path(monkeypatch)
    url = one_submission_gradebook(tmp_path / "gradebook.db")
    config = Config({"CourseDirectory": {"root": str(tmp_path)}})
    return config, {"nbgrader": {"db_url": url, "assignment": "a", "notebook": "nb", "student": "s"}}


def submission(answer):
    answer_cell = new_markdown_cell(answer, metadata={"nbgrader": {
        "grade_id": "answer_one", "grade": True, "solution": True, "locked": False, "points": 2}})
    return new_notebook(cells=[graded_cell("check()", "test_one", locked=True), answer_cell])


def autograde(course, answer, step=KeepManualGrading):
    config, resources = course
    notebook, _ = step(config=config).preprocess(submission(answer), resources)
    return notebook


def ta_grades(course, score, resolved):
    with Gradebook(course[1]["nbgrader"]["db_url"]) as book:
        grade = book.find_grade("answer_one", "nb", "a", "s")
        grade.manual_score, grade.needs_manual_grade = score, not resolved
        book.db.commit()


def needs_grading(course):
    with Gradebook(course[1]["nbgrader"]["db_url"]) as book:
        return book.find_grade("answer_one", "nb", "a", "s").needs_manual_grade


def test_a_graded_answer_stays_graded_when_autograded_again(course):
    autograde(course, "My answer.")
    assert needs_grading(course)
    ta_grades(course, 1.5, resolved=True)
    notebook = autograde(course, "My answer.")
    assert not needs_grading(course) and notebook.metadata[UNCHANGED_KEY] == ["answer_one"]


def test_a_changed_answer_needs_grading_again(course):
    autograde(course, "My answer.")
    ta_grades(course, 1.5, resolved=True)
    notebook = autograde(course, "My better answer.")
    assert needs_grading(course) and notebook.metadata[UNCHANGED_KEY] == []


def test_a_pending_answer_stays_pending(course):
    autograde(course, "My answer.")
    ta_grades(course, 1.5, resolved=False)
    autograde(course, "My answer.")
    assert needs_grading(course)


def test_nbgraders_own_step_reopens_it(course):
    """Why KeepManualGrading exists."""
    autograde(course, "My answer.", step=SaveAutoGrades)
    ta_grades(course, 1.5, resolved=True)
    autograde(course, "My answer.", step=SaveAutoGrades)
    assert needs_grading(course)


def test_a_job_of_the_parallel_command_saves_no_digests_itself(course):
    config, resources = course
    config = Config(config)
    config.KeepManualGrading.write_digests = False
    notebook, _ = KeepManualGrading(config=config).preprocess(submission("My answer."), resources)
    assert notebook.metadata[DIGESTS_KEY] and not digests_path(config.CourseDirectory.root,
                                                               resources["nbgrader"]).exists()


def test_a_hand_graded_plot_is_new_when_the_code_before_it_changed():
    def plot_notebook(loading):
        plot = new_code_cell("plt.plot(x, y)", metadata={"nbgrader": {
            "grade_id": "plot_data", "grade": True, "solution": True, "locked": False, "points": 1}})
        return new_notebook(cells=[new_code_cell(loading), plot])
    same = answer_digests(plot_notebook("x, y = load()"))
    assert answer_digests(plot_notebook("x, y = load()")) == same
    assert answer_digests(plot_notebook("y, x = load()")) != same


def test_an_answer_cell_stripped_of_its_metadata_needs_grading_again(course):
    """Red team: with no cell carrying its grade_id, nbgrader's step left the TA's old grading in place."""
    config, resources = course
    autograde(course, "My answer.")
    ta_grades(course, 2, resolved=True)
    stripped = submission("Something else entirely.")
    del stripped.cells[1].metadata["nbgrader"]
    KeepManualGrading(config=config).preprocess(stripped, resources)
    assert needs_grading(course)


def plot_cell(outputs):
    return new_code_cell("show_the_plot()", outputs=outputs, metadata={"nbgrader": {
        "grade_id": "plot_data", "grade": True, "solution": True, "locked": False, "points": 1}})


def test_a_hand_graded_plot_is_new_when_it_shows_something_else():
    """Red team: a later cell replaced the plot's display, or the plot read a file that changed."""
    figure = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 500x300>"})
    no_plot = new_output("display_data", data={"text/markdown": "(no plot)"})
    same = answer_digests(new_notebook(cells=[plot_cell([figure])]))
    assert answer_digests(new_notebook(cells=[plot_cell([figure])])) == same
    assert answer_digests(new_notebook(cells=[plot_cell([no_plot])])) != same
    no_plot = new_output("stream", name="stdout", text="no plot")
    assert answer_digests(new_notebook(cells=[plot_cell([no_plot])])) != same


def test_a_plots_digest_ignores_the_addresses_in_reprs():
    def shown(address):
        return new_notebook(cells=[plot_cell([new_output(
            "execute_result", data={"text/plain": f"[<matplotlib.lines.Line2D at {address}>]"}, execution_count=3)])])
    assert answer_digests(shown("0x7f3a2c1b9d90")) == answer_digests(shown("0x7f11aa0c2e50"))


def test_a_tas_score_on_a_failed_test_cell_counts_and_survives_autograding_again(course):
    """How a TA gives back points withheld by a method probe: formgrader's score box on the test cell."""
    config, resources = course

    def autograde_failing():
        notebook = submission("My answer.")
        notebook.cells[0].outputs = [new_output("error", ename="CheckFailed", evalue="not the chain rule",
                                                traceback=[])]
        KeepManualGrading(config=config).preprocess(notebook, resources)

    def test_score():
        with Gradebook(resources["nbgrader"]["db_url"]) as book:
            grade = book.find_grade("test_one", "nb", "a", "s")
            return grade.auto_score, grade.score

    autograde_failing()
    assert test_score() == (0.0, 0.0)
    with Gradebook(resources["nbgrader"]["db_url"]) as book:
        book.find_grade("test_one", "nb", "a", "s").manual_score = 1.0
        book.db.commit()
    autograde_failing()
    assert test_score() == (0.0, 1.0)
