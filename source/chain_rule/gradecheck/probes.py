"""The probe protocol: what the hidden tests run in the student's kernel, shipped to students.

A probe calls a student's function on the inputs of one case and emits what
it returned as a record: a display_data output of our own MIME type. It
asserts nothing and knows no expected value. The nbgrader process builds
the same cases from the same seed (each assignment's ``probe_cases``),
reads the records strictly, compares them with the assignment's reference
and replaces the test cell's outputs with its verdict
(``backprop_course.grading.judge.verdicts``).
"""
import contextlib
import io
import json
import math
import warnings
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from .core import substituted

PROBE_MIME = "application/vnd.backprop.probe+json"
# A record holds at most this many numbers; the verdict refuses larger ones.
MAX_PROBE_ENTRIES = 10_000


@dataclass(frozen=True)
class Case:
    """One call (or one variable) that a hidden test probes, and how messages name it."""
    probe: str                   # the record's id, unique within its test cell
    what: str                    # how messages name the call: "f(W, x)"
    where: str = ""              # "at seed 7 on data.csv"
    function: str = ""           # the notebook's function to call ...
    args: tuple = ()             # ... with these (name, value) arguments
    kwargs: dict = field(default_factory=dict)
    variable: str = ""           # or: the notebook's variable to read
    # Arrays the call reads from the notebook's namespace (say a network's
    # parameters): a copy of each is put there for the call, and a change to
    # it is reported as a mutation.
    parameters: dict = field(default_factory=dict)
    # given(parameters) -> {name: object}: the notebook's given code, put in
    # place while the student's function runs, so a redefined helper cannot
    # make a wrong answer look right.
    given: Optional[Callable] = None
    # normalize(what, array) -> array, or CheckFailed: the form the answer must
    # have before it is compared (say two numbers), checked in the grader.
    normalize: Optional[Callable] = None
    hint: str = ""               # said after a wrong answer's diagnosis
    entries: tuple = ()          # what the answer's entries are called, in order: ("dL/dw1", "dL/dw2")
    where_for_class: str = ""    # where, without this student's own numbers, for the class report (default: where)
    # A method probe: the call is made again with pieces of the computation
    # changed, and the judge asks whether the answer changed as a derivative
    # built from them would. ``method`` says what was changed, for messages
    # ("A and der_A changed"). The case's ``given`` may change given code;
    # ``changes(namespace) -> {name: object}`` changes the student's own
    # functions (say, wraps them), put in place after ``given``.
    method: str = ""
    changes: Optional[Callable] = None


def encode_result(value):
    """What a student's function returned, as a record's ``result``: plain JSON data, never a pickle.

    Non-finite numbers are sent as null (JSON has no NaN); an array of more
    than MAX_PROBE_ENTRIES numbers is reported by its shape only.
    """
    if value is None:
        return {"kind": "none"}
    if callable(value) and not isinstance(value, np.ndarray):
        return {"kind": "function"}
    if isinstance(value, (str, bytes)):
        return {"kind": "text"}
    if isinstance(value, dict):
        return {"kind": "dict"}
    try:
        array = np.array(value, dtype=np.float64)
    except Exception as error:  # whatever the object does when converted, it is not numbers
        return {"kind": "not_numbers", "type": type(value).__name__, "detail": str(error)}
    if array.size > MAX_PROBE_ENTRIES:
        return {"kind": "too_big", "shape": list(array.shape)}
    return {"kind": "array", "shape": list(array.shape),
            "data": [number if math.isfinite(number) else None for number in array.ravel().tolist()]}


def _copy(value):
    if isinstance(value, list):
        return [np.array(item) for item in value]
    return np.array(value)


def _same(original, argument):
    if isinstance(original, list):
        return len(original) == len(argument) and all(map(np.array_equal, original, argument))
    return np.array_equal(original, argument)


def observe(case, namespace):
    """Run one case in the notebook's namespace; return its record (without the cell's id)."""
    record = {"probe": case.probe}
    if case.variable:
        record["result"] = encode_result(namespace[case.variable]) if case.variable in namespace \
            else {"kind": "missing"}
        return record
    function = namespace.get(case.function)
    if function is None:
        record["result"] = {"kind": "missing"}
        return record
    arguments = [_copy(value) for _, value in case.args]
    parameters = {name: np.array(value) for name, value in case.parameters.items()}
    given = {**(case.given(parameters) if case.given else {}), **(case.changes(namespace) if case.changes else {})}
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()), \
                substituted(namespace, **parameters, **given):
            warnings.simplefilter("ignore")
            value = function(*arguments, **case.kwargs)
        record["result"] = encode_result(value)
    except KeyboardInterrupt:  # the cell's time limit: stop probing
        raise
    except BaseException as error:  # the student's exception (SystemExit too) is their answer
        text = str(error)
        record["result"] = {"kind": "raised", "detail": type(error).__name__ + (f": {text}" if text else "")}
    record["mutated"] = [name for (name, original), argument in zip(case.args, arguments)
                         if not _same(original, argument)]
    record["mutated"] += [name for name, value in parameters.items()
                          if not np.array_equal(value, case.parameters[name])]
    return record


def emit_record(record):
    """Send one record to the notebook's outputs (nothing happens outside a Jupyter kernel)."""
    try:
        from IPython.display import publish_display_data
    except ImportError:
        return
    publish_display_data({PROBE_MIME: json.loads(json.dumps(record, allow_nan=False))})


def seeded(builder):
    """An assignment's ``probe_cases(grade_id, seed, load)``, from ``builder(grade_id, rng, load)``, which
    gives the cases of one test cell (or None for a cell without probes) drawn from ``rng``.

    The same list wherever it is built from the same seed and data: in the kernel and in the grader.
    """
    def probe_cases(grade_id, seed, load):
        cases = builder(grade_id, np.random.default_rng(seed), load)
        if cases is None:
            raise KeyError(f"no probe cases for test cell {grade_id!r}")
        return cases
    return probe_cases


def run(grade_id, namespace, build_cases):
    """The hidden part of a test cell: probe every case of ``build_cases()`` and emit one record per case.

    Never raises for the student's mistakes: what happened is in the records.
    """
    try:
        cases = build_cases()
    except Exception as error:  # e.g. a data file deleted by the notebook
        emit_record({"cell": grade_id, "probe": "inputs", "result": {
            "kind": "no_inputs", "detail": f"{type(error).__name__}: {error}"}})
        return
    for case in cases:
        emit_record(dict(observe(case, namespace), cell=grade_id))
