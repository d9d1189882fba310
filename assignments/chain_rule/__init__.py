"""chain_rule: the gradient of a tiny sine network on backprop.csv, one partial derivative per function.

What the grader needs of this assignment and students never see; the
engine loads it from the course's ``assignments/`` folder (docs/authors.md).
``checks.py`` is what students get, as ``gradecheck``; ``reference.py``
holds the reference answers.
"""
import itertools
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
    arguments = [value for _, value in case.args]
    if case.method:
        answers = {"dldw": _gradient_answers, "dldw_tied": _tied_gradient_answers}.get(case.function, _slope_answers)
        return answers(case, given, arguments)
    answer = reference_namespace(given)[case.function]
    return np.array(answer(*arguments, **case.kwargs), dtype=np.float64)


def _slope_answers(case, given, arguments):
    """A slope (der_A, dhda, dyda) with sin kinked at the points, and der_A scaled for dhda and dyda: by
    the rules it is cos, or der_A's; by differences of sin, the kinked slope."""
    (z,) = arguments
    step = 1e-5
    follows = [np.cos(z)] + ([given["der_A"](z)] if "der_A" in given else [])
    return {"follows": follows, "unchanged": [],
            "estimates": [(given["A"](z + step) - given["A"](z - step)) / (2 * step)]}


# The pieces dldw is built from by the chain rule. It must use at
# least one of the slopes, where the calculus is; any other piece may be written out in place.
PIECES = ("dldy", "dyda", "dadh", "dhda", "dadw1", "dadw2")
SLOPES = {"dhda", "dyda"}
# The pieces on each weight's chain: dL/dw1 is dldy dyda dadh dhda dadw1; dL/dw2 is dldy dyda dadw2.
PATH_TO_W1 = {"dldy", "dyda", "dadh", "dhda", "dadw1"}
PATH_TO_W2 = {"dldy", "dyda", "dadw2"}


def _gradient_variants(case, given, W, x, y):
    """{pieces used: dldw(W, x, y)} with the student's pieces changed (checks.scaled_pieces) where used,
    as the reference computes dldw, for every subset of PIECES."""
    changed = case.changes(reference_namespace(given))

    def dldw(used):
        namespace = reference_namespace(given)
        namespace.update({name: changed[name] for name in used})
        return np.array(namespace["dldw"](W, x, y), dtype=np.float64)

    return {frozenset(used): dldw(set(used))
            for count in range(len(PIECES) + 1) for used in itertools.combinations(PIECES, count)}


def _gradient_answers(case, given, arguments):
    """dldw with the student's pieces changed: by the chain rule through any of them that include a slope
    (dhda or dyda); by differences of the loss, as before."""
    variants = _gradient_variants(case, given, *arguments)
    return {"follows": [value for used, value in variants.items() if SLOPES & used],
            "unchanged": [variants[frozenset()]], "estimates": []}


def _tied_gradient_answers(case, given, arguments):
    """dldw_tied with the student's pieces changed: the path through a1 (dL/dw1 at w1 = w2 = w) plus the
    path through a2 (dL/dw2), each by the chain rule through at least one of its pieces, and one piece of
    the two a slope; by differences of the loss, as before."""
    w, x, y = arguments
    variants = _gradient_variants(case, given, [w, w], x, y)
    sums = {round(first[0] + second[1], 15): first[0] + second[1]
            for used_first, first in variants.items() if used_first and used_first <= PATH_TO_W1
            for used_second, second in variants.items() if used_second and used_second <= PATH_TO_W2
            if SLOPES & (used_first | used_second)}
    return {"follows": list(sums.values()), "unchanged": [variants[frozenset()].sum()], "estimates": []}


def write_data(folder):
    """The data files shipped beside the notebook, written into ``folder``."""
    write_backprop_csv(folder / "backprop.csv")
