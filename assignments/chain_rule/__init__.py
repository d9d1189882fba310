"""chain_rule: the gradient of a tiny sine network on backprop.csv, one partial derivative per function.

What the grader needs of this assignment and students never see; the
engine loads it from the course's ``assignments/`` folder (docs/authors.md).
``checks.py`` is what students get, as ``gradecheck``; ``reference.py``
holds the reference answers.
"""
from pathlib import Path

import numpy as np

from backprop_course.units import run_as_notebook

from .data import write_backprop_csv

REFERENCE = Path(__file__).with_name("reference.py")


def reference_namespace(given=None):
    """The reference answers with ``given`` code among their globals (checks.given_network()'s, say)."""
    return run_as_notebook(REFERENCE, dict(given or {}))


def expected(case, data):
    """The right answer of a probe case; ``data(name)`` gives the course's copy of the shipped data."""
    if case.variable:
        x, y = data("backprop.csv")
        return {"x": x, "y": y}[case.variable]
    given = case.given(case.parameters) if case.given else {}
    answer = reference_namespace(given)[case.function]
    return np.array(answer(*[value for _, value in case.args], **case.kwargs), dtype=np.float64)


def write_data(folder):
    """The data files shipped beside the notebook, written into ``folder``."""
    write_backprop_csv(folder / "backprop.csv")
