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
        return (_gradient_answers if case.function == "dldw" else _slope_answers)(case, given, arguments)
    answer = reference_namespace(given)[case.function]
    return np.array(answer(*arguments, **case.kwargs), dtype=np.float64)


def _slope_answers(case, given, arguments):
    """A slope (der_A, dhda, dyda) with A bent, and der_A too: by the rules it is der_A's, or cos; by
    differences of A, the bent A's own slope."""
    (z,) = arguments
    step = 1e-5
    follows = [np.cos(z)] + ([given["der_A"](z)] if "der_A" in given else [])
    return {"follows": follows, "numerical": [(given["A"](z + step) - given["A"](z - step)) / (2 * step)]}


# The pieces each entry of dldw is built from, by the chain rule; dadw twice, for each weight.
PATHS = ({"dldy", "dyda", "dadh", "dhda", "dadw first"}, {"dldy", "dyda", "dadw second"})


def _gradient_answers(case, given, arguments):
    """dldw with the student's pieces changed (checks.scaled_pieces): by the chain rule through any of
    them, at least one for each weight, as the reference computes it; by differences of the loss, as
    before."""
    plain = reference_namespace(given)
    changed = case.changes(reference_namespace(given))

    def dldw(used):
        namespace = reference_namespace(given)
        namespace.update({name: changed[name] for name in ("dldy", "dyda", "dadh", "dhda") if name in used})

        def dadw(x, firstweight=0):
            use = "dadw first" if firstweight else "dadw second"
            return (changed["dadw"] if use in used else plain["dadw"])(x, firstweight=firstweight)
        namespace["dadw"] = dadw
        return np.array(namespace["dldw"](*arguments), dtype=np.float64)

    uses = sorted(set.union(*PATHS))
    follows = [dldw(set(used)) for count in range(1, len(uses) + 1) for used in itertools.combinations(uses, count)
               if all(path & set(used) for path in PATHS)]
    return {"follows": follows, "numerical": [dldw(set())]}


def write_data(folder):
    """The data files shipped beside the notebook, written into ``folder``."""
    write_backprop_csv(folder / "backprop.csv")
