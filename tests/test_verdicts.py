"""The trusted step on its own: records read strictly, verdicts from the reference, outputs replaced.

No kernel runs here: the probes' ``observe`` is called in this process on the
reference solution (or on a wrong one), and its records are handed to the
judge as a kernel would have sent them.
"""
import copy
import json
import math
import stat

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from traitlets.config import Config

from backprop_course import REPO_ROOT
from backprop_course.gradecheck.probes import PROBE_MIME, observe
from backprop_course.grading.judge.verdict import VERDICT_KEY, Kind, Verdict
from backprop_course.grading.judge.verdicts import (BadRecords, JudgeProbes, PlaceProbeSeeds, ProbeSecret, Reference,
                                                    decode_array, judge_cell, probe_seed, submission_digest)
from support import chain_rule_reference, curve_reference

SEED = 20261123
REFERENCES = {assignment: Reference.of(REPO_ROOT, REPO_ROOT / "source" / assignment, assignment)
              for assignment in ("chain_rule", "curve_backprop")}
DATA = REFERENCES["chain_rule"].data


def reference_of(grade_id):
    return REFERENCES["curve_backprop" if grade_id.startswith("test_J_") else "chain_rule"]


def chain_rule_namespace(**replaced):
    """The reference answers as a notebook's namespace (their globals: replacing a piece there is what
    dldw calls), with the data and ``replaced`` functions."""
    namespace = chain_rule_reference()
    x, y = DATA("backprop.csv")
    namespace.update(x=x, y=y, **replaced)
    return namespace


def record_outputs(grade_id, namespace, seed=SEED):
    """The outputs a kernel would send: one display_data record per case."""
    return [new_output("display_data", data={PROBE_MIME: json.loads(json.dumps(dict(observe(case, namespace),
                                                                                     cell=grade_id)))})
            for case in reference_of(grade_id).cases(grade_id, seed)]


def verdict(grade_id, outputs, seed=SEED):
    return judge_cell(grade_id, seed, outputs, reference_of(grade_id))


@pytest.mark.parametrize("grade_id", ["test_data_loaded_as_columns", "test_A", "test_der_A", "test_dadw1", "test_dadw2",
                                      "test_dhda", "test_dyda", "test_dadh", "test_dldy", "test_dldw",
                                      "test_dldw_tied"])
def test_the_reference_passes_every_chain_rule_cell(grade_id):
    result = verdict(grade_id, record_outputs(grade_id, chain_rule_namespace()))
    assert (result.passed, result.message) == (True, "")


@pytest.mark.parametrize("function", ["J_b3", "J_b2", "J_W1", "J_b1"])
def test_the_reference_passes_every_curve_cell_and_a_wrong_answer_fails(function):
    namespace = curve_reference()
    assert verdict(f"test_{function}", record_outputs(f"test_{function}", namespace)).passed
    reference_jacobian = namespace[function]
    namespace[function] = lambda x, y: 2 * reference_jacobian(x, y)
    result = verdict(f"test_{function}", record_outputs(f"test_{function}", namespace))
    assert not result.passed and "factor of 2" in result.message


def test_a_wrong_piece_fails_with_its_diagnosis():
    wrong = chain_rule_namespace(dldy=lambda y_pred, y: y_pred - y)
    result = verdict("test_dldy", record_outputs("test_dldy", wrong))
    assert not result.passed and result.message == ("dldy(y_pred, y) at y_pred = [[3], [0.5]], y = [[1], [1]] "
                                                "is off by a constant factor of 1/2.")


def test_an_answer_right_only_at_the_notebooks_own_inputs_is_named_hard_coded():
    printed = [-0.0077779005629821825, 0.2788002123149505]
    result = verdict("test_dldw", record_outputs("test_dldw", chain_rule_namespace(dldw=lambda W, x, y: printed)))
    assert not result.passed and "right for the notebook's own inputs" in result.message
    assert "every 7th point" in result.message


def test_an_answer_wrong_at_first_and_the_same_at_every_input_is_named_hard_coded():
    """Copied from a rounded printout: wrong even at the notebook's inputs, and the same everywhere."""
    namespace = curve_reference()
    rounded = np.full((6, 1), 0.001)
    namespace["J_W1"] = lambda x, y: rounded.copy()
    result = verdict("test_J_W1", record_outputs("test_J_W1", namespace))
    assert not result.passed and "they look hard-coded" in result.message
    assert result.message.startswith("J_W1(x, y) returned the same values for the seed-310 network")


def test_a_wrong_piece_whose_looks_share_their_input_is_not_called_hard_coded():
    """dadw1's visible and random looks differ only in their input: a wrong answer there is no sign of
    hard-coding."""
    applies_the_activation = chain_rule_namespace(dadw1=np.sin)
    message = verdict("test_dadw1", record_outputs("test_dadw1", applies_the_activation)).message
    assert message.startswith("dadw1(x) at x = [[0], [2]] is A(x)") and "hard-coded" not in message


def test_a_wrong_answer_that_varies_with_its_inputs_keeps_its_own_diagnosis():
    namespace = curve_reference()
    reference_jacobian = namespace["J_W1"]
    namespace["J_W1"] = lambda x, y: -reference_jacobian(x, y)
    assert "hard-coded" not in verdict("test_J_W1", record_outputs("test_J_W1", namespace)).message


def test_the_inputs_depend_on_the_seed_and_a_record_for_other_inputs_fails():
    other_seed = record_outputs("test_dldy", chain_rule_namespace(), seed=SEED + 1)
    assert not verdict("test_dldy", other_seed).passed
    assert verdict("test_dldy", record_outputs("test_dldy", chain_rule_namespace(), seed=SEED + 1), SEED + 1).passed


def test_anything_the_kernel_wrote_besides_records_is_ignored():
    noise = [new_output("stream", name="stdout", text="ok\n"), new_output("execute_result", data={"text/plain": "1"}),
             new_output("display_data", data={"application/json": {"probe": "visible"}}),
             new_output("error", ename="AssertionError", evalue="x", traceback=[])]
    assert verdict("test_dadh", noise + record_outputs("test_dadh", chain_rule_namespace())).passed


def test_a_missing_probe_fails_and_says_so():
    outputs = record_outputs("test_dldw", chain_rule_namespace())[:-1]
    result = verdict("test_dldw", outputs)
    assert not result.passed and result.message.startswith("no result arrived from dldw(W, x, y)")


def test_a_time_limit_names_the_call_that_did_not_finish():
    outputs = record_outputs("test_dldw", chain_rule_namespace())[:1]
    outputs.append(new_output("error", ename="CellTimeoutError", evalue="", traceback=[]))
    assert "did not finish within the time limit" in verdict("test_dldw", outputs).message


def _with_record(outputs, change):
    outputs = copy.deepcopy(outputs)
    change(outputs[0]["data"][PROBE_MIME])
    return outputs


@pytest.mark.parametrize("name,change,reason", [
    ("duplicate", None, "more than once"),
    ("unknown probe", lambda record: record.update(probe="extra"), "unknown probe"),
    ("other cell", lambda record: record.update(cell="test_dldy"), "another test"),
    ("unknown key", lambda record: record.update(pickle="gASV"), "malformed"),
    ("NaN", lambda record: record["result"].update(data=[math.nan] * len(record["result"]["data"])), "finite numbers"),
    ("strings", lambda record: record["result"].update(data=["0.5"] * len(record["result"]["data"])), "finite numbers"),
    ("booleans", lambda record: record["result"].update(data=[True] * len(record["result"]["data"])), "finite numbers"),
    ("oversized", lambda record: record["result"].update(shape=[200_000], data=[0.5] * 200_000), "oversized"),
    ("shape", lambda record: record["result"].update(shape=[3]), "do not fill its shape"),
    ("kind", lambda record: record["result"].update(kind="pickle"), "unknown kind"),
])
def test_records_that_cannot_be_trusted_fail_the_cell_with_their_reason(name, change, reason):
    outputs = record_outputs("test_dldw", chain_rule_namespace())
    if change is None:
        outputs = outputs + outputs[:1]
    else:
        outputs = _with_record(outputs, change)
    result = verdict("test_dldw", outputs)
    assert not result.passed and result.message.startswith("This test cannot be trusted") and reason in result.message


def test_records_that_would_break_the_judge_fail_their_cell_only():
    outputs = record_outputs("test_dldw", chain_rule_namespace())
    inputs_without_result = outputs + [new_output("display_data", data={PROBE_MIME: {
        "cell": "test_dldw", "probe": "inputs", "result": None}})]
    assert not verdict("test_dldw", inputs_without_result).passed
    huge = _with_record(outputs, lambda record: record["result"].update(data=[10 ** 400, 1]))
    assert "finite numbers" in verdict("test_dldw", huge).message


def test_too_many_records_fail_the_cell():
    outputs = record_outputs("test_dldw", chain_rule_namespace()) * 12
    assert "more than the 32" in verdict("test_dldw", outputs).message


def test_non_finite_answers_are_diagnosed_not_refused():
    result = verdict("test_dadh", record_outputs("test_dadh", chain_rule_namespace(dadh=lambda w: w * np.nan)))
    assert result.message == "dadh([[3]]) contains NaN or inf."


def test_decode_array_reads_null_as_nan_and_keeps_the_shape():
    values = decode_array({"kind": "array", "shape": [2, 1], "data": [1.5, None]})
    assert values.shape == (2, 1) and values[0, 0] == 1.5 and np.isnan(values[1, 0])
    with pytest.raises(BadRecords):
        decode_array({"kind": "array", "shape": [True], "data": [1.0]})


def test_lying_objects_are_judged_by_their_numbers():
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True

    def dldw(W, x, y):
        return (2 * np.array(chain_rule_reference()["dldw"](W, x, y))).view(AlwaysEqual)

    assert "factor of 2" in verdict("test_dldw", record_outputs("test_dldw", chain_rule_namespace(dldw=dldw))).message


FINITE_DIFFERENCES = """
def dldw(W, x, y, step=1e-6):
    loss = lambda weights: np.mean((neural_network(weights, x)[2] - y) ** 2)
    gradient = []
    for index in range(2):
        above, below = [w.copy() for w in W], [w.copy() for w in W]
        above[index] = above[index] + step
        below[index] = below[index] - step
        gradient.append((loss(above) - loss(below)) / (2 * step))
    return gradient
"""


def test_a_gradient_by_finite_differences_has_the_right_values_but_not_the_chain_rule():
    namespace = chain_rule_namespace(np=np)
    exec(FINITE_DIFFERENCES, namespace)
    result = verdict("test_dldw", record_outputs("test_dldw", namespace))
    assert result.verdict.kind == Kind.METHOD and result.verdict.details["how"] == "same"
    assert result.message.startswith("dldw(W, x, y) at random weights and random data, with your dldy, dyda, dhda, "
                                     "dadh, dadw1, dadw2 and der_A scaled, gave the same values as before: it does "
                                     "not use them")
    assert "a TA reads your code and may give them back" in result.message


def test_a_method_probe_record_that_follows_neither_way_is_not_the_chain_rule():
    """A kernel that answers the method probe with other numbers (say, to dodge it) does not pass it."""
    outputs = record_outputs("test_dldw", chain_rule_namespace())
    method = next(output for output in outputs if output.data[PROBE_MIME]["probe"] == "method")
    method.data[PROBE_MIME]["result"]["data"] = [value * 1.5 for value in method.data[PROBE_MIME]["result"]["data"]]
    result = verdict("test_dldw", outputs)
    assert result.verdict.kind == Kind.METHOD and result.verdict.details["how"] == "other"
    assert "changed, but not as a derivative built from them by the chain rule would" in result.message


CHAIN_RULE_VARIANTS = {
    "dhda for the output slope": "    upstream = dldy(y_pred, y) * dhda(a2)\n",
    "dyda for the hidden slope": "    upstream = dldy(y_pred, y) * dyda(a2)\n    dhda = dyda\n",
    "pieces called with keywords out of order": "    upstream = dldy(y=y, y_pred=y_pred) * dyda(a=a2)\n",
}


@pytest.mark.parametrize("variant", CHAIN_RULE_VARIANTS)
def test_chain_rule_variants_that_swap_chain_or_name_their_pieces_pass_the_method_probe(variant):
    """From a red team: dhda and dyda are both der_A, so students use either for either, define one by the
    other, or call pieces with keywords; each is the chain rule."""
    namespace = chain_rule_namespace(np=np)
    exec("def dldw(W, x, y):\n    a1, a2, y_pred = neural_network(W, x)\n" + CHAIN_RULE_VARIANTS[variant]
         + "    return [float(np.mean(upstream * dadh(W[1]) * dhda(a1) * dadw1(x=x))),\n"
           "            float(np.mean(upstream * dadw2(a1)))]\n", namespace)
    assert verdict("test_dldw", record_outputs("test_dldw", namespace)).passed


def test_a_gradient_that_calls_der_A_for_its_slopes_is_the_chain_rule():
    """From a red team: der_A is dhda's and dyda's slope, and students call it directly."""
    namespace = chain_rule_namespace(np=np)
    exec("def dldw(W, x, y):\n    a1, a2, y_pred = neural_network(W, x)\n"
         "    upstream = dldy(y_pred, y) * der_A(a2)\n"
         "    return [float(np.mean(upstream * dadh(W[1]) * der_A(a1) * dadw1(x))),\n"
         "            float(np.mean(upstream * dadw2(a1)))]\n", namespace)
    assert verdict("test_dldw", record_outputs("test_dldw", namespace)).passed


def test_a_piece_defined_through_another_is_the_chain_rule():
    namespace = chain_rule_namespace(np=np)
    exec("def dyda(a):\n    return dhda(a)\n", namespace)
    assert verdict("test_dldw", record_outputs("test_dldw", namespace)).passed


@pytest.mark.parametrize("function, answer", [
    ("J_b3", "2 * (a3 - y) * a3 * (1 - a3)"),
    ("J_b3", "2 * (a3 - y) * sigma(z3) * (1 - sigma(z3))"),
    ("J_b3", "2 * (a3 - y) / (4 * np.cosh(z3 / 2) ** 2)"),
])
def test_every_way_of_writing_the_logistic_slope_passes_the_method_probe(function, answer):
    namespace = curve_reference()
    exec(f"def {function}(x, y):\n    a0, z1, a1, z2, a2, z3, a3 = network_function(x)\n"
         f"    return np.sum({answer}, axis=1, keepdims=True) / x.shape[1]\n", namespace)
    assert verdict(f"test_{function}", record_outputs(f"test_{function}", namespace)).passed


def test_the_seed_depends_on_secret_student_cell_and_submission_only():
    base = (b"s", "chain_rule", "ada", "test_dldw", "v1")
    changed = [(b"s", "chain_rule", "bob", "test_dldw", "v1"), (b"s", "chain_rule", "ada", "test_dldy", "v1"),
               (b"t", "chain_rule", "ada", "test_dldw", "v1"), (b"s", "chain_rule", "ada", "test_dldw", "v2")]
    assert len({probe_seed(*arguments) for arguments in [base, *changed]}) == 5
    assert probe_seed(*base) == probe_seed(*base)


def test_a_table_of_answers_for_leaked_inputs_is_probed_at_new_ones(tmp_path):
    """Red team: a kernel printed its seeds into the feedback; the resubmission answers from a table."""
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.source_directory = str(REPO_ROOT / "source")
    (tmp_path / "assignments").symlink_to(REPO_ROOT / "assignments")
    resources = {"nbgrader": {"assignment": "chain_rule", "student": "ada", "notebook": "chain_rule"}}

    def seed_of(answer_source):
        notebook = new_notebook(cells=[new_code_cell(answer_source),
                                       _test_cell("test_dldw", 'run_probes("test_dldw", globals(), seed=0)')])
        notebook, _ = PlaceProbeSeeds(config=config).preprocess(notebook, resources)
        return int(notebook.cells[1].source.split("seed=")[1].rstrip(")"))

    leaked = seed_of("def dldw(W, x, y):\n    return [0.0, 0.0]  # first submission, seeds printed")
    right = chain_rule_namespace()["dldw"]
    table = {(W[0].item(), W[1].item(), len(x)): right(W, x, y) for W, x, y in
             ([value for _, value in case.args] for case in REFERENCES["chain_rule"].cases("test_dldw", leaked))}
    from_table = chain_rule_namespace(dldw=lambda W, x, y: table.get((W[0].item(), W[1].item(), len(x)), [1.0, 1.0]))
    # It answers every value probe of the leaked inputs; the method probe's changed pieces it cannot follow.
    assert verdict("test_dldw", record_outputs("test_dldw", from_table, leaked), leaked).verdict.kind == \
        Kind.METHOD
    resubmitted = seed_of(f"TABLE = {table!r}\n\ndef dldw(W, x, y):\n    return TABLE.get(...)")
    assert resubmitted != leaked
    assert not verdict("test_dldw", record_outputs("test_dldw", from_table, resubmitted), resubmitted).passed


def test_the_secret_is_made_once_and_private(tmp_path):
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    first, second = ProbeSecret(config=config).read(), ProbeSecret(config=config).read()
    path = tmp_path / ".probe_secret"
    assert first == second and len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def _test_cell(grade_id, source, outputs=()):
    cell = new_code_cell(source, metadata={"nbgrader": {"grade": True, "solution": False, "locked": True,
                                                         "grade_id": grade_id, "points": 1, "schema_version": 3}})
    cell.outputs = list(outputs)
    return cell


def test_the_preprocessors_seed_the_probe_then_replace_the_outputs_with_the_verdict(tmp_path):
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.source_directory = str(REPO_ROOT / "source")
    (tmp_path / "assignments").symlink_to(REPO_ROOT / "assignments")
    resources = {"nbgrader": {"assignment": "chain_rule", "student": "ada", "notebook": "chain_rule"}}
    notebook = new_notebook(cells=[_test_cell("test_dadh", 'run_probes("test_dadh", globals(), seed=0)'),
                                   _test_cell("test_dldy", 'run_probes("test_dldy", globals(), seed=0)')])
    notebook, _ = PlaceProbeSeeds(config=config).preprocess(notebook, resources)
    submission = submission_digest(notebook)
    seed = probe_seed(ProbeSecret(config=config).read(), "chain_rule", "ada", "test_dadh", submission)
    assert notebook.cells[0].source == f'run_probes("test_dadh", globals(), seed={seed})'
    # As if the kernel ran it: a right dadh that also shouts, a wrong dldy that claims a partial score.
    notebook.cells[0].outputs = [new_output("error", ename="AssertionError", evalue="no", traceback=[])] + \
        record_outputs("test_dadh", chain_rule_namespace(), seed)
    dldy_seed = probe_seed(ProbeSecret(config=config).read(), "chain_rule", "ada", "test_dldy", submission)
    notebook.cells[1].outputs = [new_output("execute_result", data={"text/plain": "1"})] + \
        record_outputs("test_dldy", chain_rule_namespace(dldy=lambda y_pred, y: 2 * (y - y_pred)), dldy_seed)
    notebook, _ = JudgeProbes(config=config).preprocess(notebook, resources)
    assert notebook.cells[0].outputs == []
    [failure] = notebook.cells[1].outputs
    assert (failure.output_type, failure.ename) == ("error", "CheckFailed") and "sign flipped" in failure.evalue
    # The whole verdict is stored with the cell, as data; the message is its words.
    assert notebook.cells[0].metadata[VERDICT_KEY]["kind"] == "passed"
    stored = Verdict.from_data(notebook.cells[1].metadata[VERDICT_KEY])
    assert (stored.kind, stored.what, stored.hard_coded) == (Kind.SIGN, "dldy(y_pred, y) at y_pred = [[3], [0.5]], "
                                                             "y = [[1], [1]]", False)
    assert stored.words() == failure.evalue
    json.dumps(notebook.cells[1].metadata[VERDICT_KEY])  # plain JSON, as nbformat stores it
    nbformat.validate(notebook)


def test_flags_read_the_verdict_not_the_words():
    from backprop_course.outcomes import GRADED, StudentResult
    looks = Verdict(Kind.HARD_CODED, "f(x)", "at the notebook's x", details={"other_where": "at 3 points"},
                    hard_coded=True)
    says = Verdict(Kind.RAISED, "f(x)", details={"error": "KeyError: hard-coded table"})  # in its words only
    flagged = StudentResult("ann", GRADED, messages={"test_f": looks.words()}, verdicts={"test_f": looks})
    not_flagged = StudentResult("ben", GRADED, messages={"test_f": says.words()}, verdicts={"test_f": says})
    assert flagged.flags == ["looks hard-coded in test_f"] and "hard-coded" in says.words()
    assert not_flagged.flags == []


def test_a_judge_that_fails_on_a_cell_fails_that_cell_and_grades_the_others(tmp_path, monkeypatch):
    import backprop_course.grading.judge.verdicts as verdicts
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.source_directory = str(REPO_ROOT / "source")
    (tmp_path / "assignments").symlink_to(REPO_ROOT / "assignments")
    resources = {"nbgrader": {"assignment": "chain_rule", "student": "ada", "notebook": "chain_rule"}}
    notebook = new_notebook(cells=[_test_cell("test_dldy", "", [new_output("stream", name="stdout", text="x")]),
                                   _test_cell("test_dadh", "", [])])
    seed = probe_seed(ProbeSecret(config=config).read(), "chain_rule", "ada", "test_dadh", submission_digest(notebook))
    notebook.cells[1].outputs = record_outputs("test_dadh", chain_rule_namespace(), seed)
    real_judge = verdicts.judge_cell

    def judge_that_breaks_on_dldy(grade_id, *args):
        if grade_id == "test_dldy":
            raise RecursionError("deeply nested record")
        return real_judge(grade_id, *args)

    monkeypatch.setattr(verdicts, "judge_cell", judge_that_breaks_on_dldy)
    notebook, _ = JudgeProbes(config=config).preprocess(notebook, resources)
    assert "could not be read" in notebook.cells[0].outputs[0].evalue
    assert notebook.cells[1].outputs == []


def test_the_submission_digest_covers_every_submitted_file_by_name_and_content(tmp_path):
    """A red team's: a side file (answers.json) beside an unchanged notebook was probed at the same inputs."""
    notebook = new_notebook(cells=[new_code_cell("x = 1")])
    (tmp_path / "chain_rule.ipynb").write_text("{}")
    alone = submission_digest(notebook, tmp_path)
    assert submission_digest(notebook, tmp_path) == alone  # graded again: the same seeds
    (tmp_path / "answers.json").write_text('{"a": 1}')
    with_table = submission_digest(notebook, tmp_path)
    (tmp_path / "answers.json").write_text('{"a": 2}')
    other_table = submission_digest(notebook, tmp_path)
    (tmp_path / "answers.json").rename(tmp_path / "notes.json")
    renamed = submission_digest(notebook, tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "notes.json").rename(tmp_path / "data" / "notes.json")
    moved = submission_digest(notebook, tmp_path)
    assert len({alone, with_table, other_table, renamed, moved}) == 5
    assert submission_digest(new_notebook(cells=[new_code_cell("x = 2")]), tmp_path) != moved


def test_the_judge_names_the_wrong_entry_of_a_gradient_as_the_self_check_does():
    """dL/dw1 missing the factor w2: the message says dL/dw1 is wrong and dL/dw2 right, in the grader too."""
    namespace = chain_rule_namespace(np=np)
    exec("def dldw(W, x, y):\n    a1, a2, y_pred = neural_network(W, x)\n    shared = dldy(y_pred, y) * dyda(a2)\n"
         "    return [float(np.mean(shared * dhda(a1) * x)), float(np.mean(shared * dadw2(a1)))]\n", namespace)
    result = verdict("test_dldw", record_outputs("test_dldw", namespace))
    assert result.message.startswith("dldw(W, x, y) has the wrong value in dL/dw1 (")
    assert "while dL/dw2 is right, at seed 310 on backprop.csv." in result.message
    assert "dL/dw1" in result.verdict.words(for_class=True) and "relative error" not in result.verdict.words(True)


SLOPES_BY_DIFFERENCES = {"differences of np.sin": "(np.sin(z + 1e-6) - np.sin(z - 1e-6)) / 2e-6",
                         "complex step": "np.imag(np.sin(z + 1e-20j)) / 1e-20",
                         "differences of A, a wide step": "(A(z + 1e-3) - A(z - 1e-3)) / 2e-3"}
SLOPES_BY_RULES = {"np.cos": "np.cos(z)", "sin a quarter turn on": "np.sin(z + np.pi / 2)",
                   "A a quarter turn on": "A(z + np.pi / 2)"}


@pytest.mark.parametrize("function", ["der_A", "dhda"])
@pytest.mark.parametrize("way", [*SLOPES_BY_DIFFERENCES, *SLOPES_BY_RULES])
def test_a_slope_by_differences_of_sin_is_not_the_chain_rule_and_one_by_the_rules_is(function, way):
    """sin kinked only near the probe points: estimates find the kink, values of sin (even shifted) do not."""
    namespace = chain_rule_namespace(np=np)
    body = {**SLOPES_BY_DIFFERENCES, **SLOPES_BY_RULES}[way]
    exec(f"def {function}(z):\n    return {body}\n", namespace)
    result = verdict(f"test_{function}", record_outputs(f"test_{function}", namespace))
    if way in SLOPES_BY_RULES:
        assert result.passed, result.message
    else:
        assert result.verdict.kind == Kind.METHOD and result.verdict.details["how"] == "estimate"


TIED_ANSWERS = {
    "both paths, through dldw": ("return float(sum(dldw([w, w], x, y)))", None),
    "both paths, one loop over the uses": (
        "total = 0.0\n    for through_a1 in (True, False):\n"
        "        a1, a2, y_pred = neural_network([w, w], x)\n        upstream = dldy(y_pred, y) * dyda(a2)\n"
        "        path = upstream * (dadh(w) * dhda(a1) * dadw1(x) if through_a1 else dadw2(a1))\n"
        "        total += float(np.mean(path))\n    return total", None),
    "the second path only": ("return dldw([w, w], x, y)[1]",
                             "has only the path through a2 = h1 w, w's second use; add the path through a1 = x w"),
    "the first path only": ("return dldw([w, w], x, y)[0]",
                            "has only the path through a1 = x w, w's first use; add the path through a2 = h1 w"),
    "the mean of the paths": ("return float(np.mean(dldw([w, w], x, y)))", "is the mean of the two paths' gradients"),
    "differences of the tied loss": ("return (loss([w + 1e-6, w + 1e-6], x, y) - loss([w - 1e-6, w - 1e-6], x, y))"
                                     " / 2e-6", "gave the same values as before"),
    # From a red team: der_A for both slopes is the chain rule; one path by differences is not.
    "both slopes by der_A": (
        "a1, a2, y_pred = neural_network([w, w], x)\n    upstream = dldy(y_pred, y) * der_A(a2)\n"
        "    return float(np.mean(upstream * dadh(w) * der_A(a1) * dadw1(x) + upstream * dadw2(a1)))", None),
    "the first path by differences": (
        "a1, a2, y_pred = neural_network([w, w], x)\n"
        "    first = (loss([w + 1e-6, w], x, y) - loss([w - 1e-6, w], x, y)) / 2e-6\n"
        "    return first + float(np.mean(dldy(y_pred, y) * dyda(a2) * dadw2(a1)))", "not as a derivative built"),
    "float() of the (1, 1) weight": ("return float(w) * 0 + float(sum(dldw([w, w], x, y)))",
                                     "take it out of a (1, 1) array with .item()"),
}


@pytest.mark.parametrize("answer", TIED_ANSWERS)
def test_the_fork_must_add_both_paths_by_the_chain_rule(answer):
    body, message = TIED_ANSWERS[answer]
    namespace = chain_rule_namespace(np=np)
    namespace["loss"] = lambda W, x, y: float(np.mean((namespace["neural_network"](W, x)[2] - y) ** 2))
    exec(f"def dldw_tied(w, x, y):\n    {body}\n", namespace)
    result = verdict("test_dldw_tied", record_outputs("test_dldw_tied", namespace))
    assert (result.passed, message is None or message in result.message) == (message is None, True), result.message
    if answer == "differences of the tied loss":
        assert result.verdict.kind == Kind.METHOD
    if result.verdict.kind == Kind.KNOWN_MISTAKE:  # it says what to change, and nothing about the pieces
        assert "calls your pieces" not in result.message
