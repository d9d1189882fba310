"""chain_rule: the gradient of a tiny sine network on backprop.csv, one partial derivative per function.

What the grader needs of this assignment and students never see; the
engine loads it from the course's ``assignments/`` folder (docs/authors.md).
``checks.py`` is what students get, as ``gradecheck``.
"""
import numpy as np

from . import reference
from .data import write_backprop_csv


def expected(case, data):
    """The right answer of a probe case; ``data(name)`` gives the course's copy of the shipped data."""
    if case.variable:
        x, y = data("backprop.csv")
        return {"x": x, "y": y}[case.variable]
    arguments = [value for _, value in case.args]
    return np.array(getattr(reference, case.function)(*arguments, **case.kwargs), dtype=np.float64)


def write_data(folder):
    """The data files shipped beside the notebook, written into ``folder``."""
    write_backprop_csv(folder / "backprop.csv")
