"""The feedback filter (grading/pages/feedback.py), cell by cell: no kernel, no nbgrader run."""
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.preprocessors import ClearHiddenTests
from traitlets.config import Config

from backprop_course.grading.pages.feedback import HIDDEN_PLACEHOLDER, QUOTED_PLACEHOLDER, HideHiddenTests


def cell(source, grade, solution, outputs=()):
    return new_code_cell(source, outputs=list(outputs), metadata={"nbgrader": {
        "grade_id": "c", "grade": grade, "solution": solution, "locked": not solution, "points": 1}})


def filtered(*cells, config=None):
    notebook, _ = HideHiddenTests(config=config or Config()).preprocess(new_notebook(cells=list(cells)), {})
    return notebook.cells


def test_it_is_nbgraders_own_step_with_its_settings():
    assert issubclass(HideHiddenTests, ClearHiddenTests)
    config = Config({"HideHiddenTests": {"begin_test_delimeter": "BEGIN SECRET", "end_test_delimeter": "END SECRET"}})
    [test] = filtered(cell("shown()\n# BEGIN SECRET\nsecret()\n# END SECRET", True, False), config=config)
    assert test.source == f"shown()\n{HIDDEN_PLACEHOLDER}"


def test_a_hidden_region_becomes_one_placeholder_line_at_its_indent():
    source = "visible()\nif True:\n    ### BEGIN HIDDEN TESTS\n    secret = 0.123\n    ### END HIDDEN TESTS\nafter()"
    [test] = filtered(cell(source, True, False))
    assert test.source == f"visible()\nif True:\n    {HIDDEN_PLACEHOLDER}\nafter()"


def test_an_unterminated_region_hides_everything_after_it():
    [test] = filtered(cell("shown()\n### BEGIN HIDDEN TESTS\nsecret()\nmore_secret()", True, False))
    assert test.source == f"shown()\n{HIDDEN_PLACEHOLDER}"


def test_a_students_own_cell_is_left_alone_even_with_a_marker_in_it():
    answer = "### BEGIN HIDDEN TESTS\nmine = 1"  # nbgrader's step would stop the whole command here
    [student] = filtered(cell(answer, True, True))
    assert student.source == answer


def test_errors_in_test_cells_lose_their_tracebacks():
    error = new_output("error", ename="CheckFailed", evalue="dldw is off by a factor of 2.",
                       traceback=["Traceback", "  assert np.allclose(dldw(W), [0.123, 4.56])", "CheckFailed: ..."])
    [test] = filtered(cell("check()", True, False, [error]))
    assert test.outputs[0]["traceback"] == ["CheckFailed: dldw is off by a factor of 2."]


def test_a_students_own_error_keeps_its_traceback():
    error = new_output("error", ename="NameError", evalue="x", traceback=["Traceback", "line 3", "NameError: x"])
    [student] = filtered(cell("x", True, True, [error]))
    assert student.outputs[0]["traceback"] == ["Traceback", "line 3", "NameError: x"]


def test_outputs_that_quote_hidden_tests_lose_those_lines_only():
    """A kernel can read the hidden tests that ran before a cell (``In``) and print them, or their seeds."""
    hidden = ("check()\n### BEGIN HIDDEN TESTS\nrun_probes('test_c', globals(), seed=1234567890123)\n"
              "### END HIDDEN TESTS")
    printed = new_output("stream", name="stdout", text="mine: 0.5\n['check()\\n### BEGIN HIDDEN TESTS ...']\n"
                                                         "the seed is 1234567890123\nmine again\n")
    shown = new_output("display_data", data={"text/html": "<pre>run_probes('test_c', globals(), seed=1234567890123)"
                                                          "</pre>", "text/plain": "<HTML object>"})
    test, student = filtered(cell(hidden, True, False), cell("print(In)", True, True, [printed, shown]))
    quoted = QUOTED_PLACEHOLDER
    assert student.outputs[0]["text"] == f"mine: 0.5\n{quoted}\n{quoted}\nmine again\n"
    assert student.outputs[1]["data"] == {"text/html": quoted, "text/plain": "<HTML object>"}
    assert test.source == f"check()\n{HIDDEN_PLACEHOLDER}"


def test_quotes_cut_short_escaped_or_printed_in_pieces_are_hidden_too():
    hidden = ("### BEGIN HIDDEN TESTS\n# Probes: the student's own seed\n"
              "run_probes('test_c', globals(), seed=1234567890123)\n### END HIDDEN TESTS")
    pieces = [new_output("stream", name="stdout", text=text) for text in ("mine\nrun_pro", "bes('test_c', g\n")]
    cut = new_output("execute_result", data={"text/plain": "0   run_probes('test_c', glo...\n1   seed=1234567..."})
    escaped = new_output("display_data", data={"text/html": "<pre># Probes: the student&#x27;s own seed</pre>"})
    _, student = filtered(cell(hidden, True, False), cell("show(In)", True, True, [*pieces, cut, escaped]))
    quoted = QUOTED_PLACEHOLDER
    assert [output.get("text") or output["data"] for output in student.outputs] == [
        f"mine\n{quoted}\n", {"text/plain": f"{quoted}\n{quoted}"}, {"text/html": quoted}]
