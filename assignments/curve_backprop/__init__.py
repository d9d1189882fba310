"""curve_backprop: the Jacobians of a 1-6-7-2 logistic network, which then train it to draw a heart.

What the grader needs of this assignment and students never see; the
engine loads it from the course's ``assignments/`` folder (docs/authors.md).
``checks.py`` is what students get, as ``gradecheck``; ``reference.py``
holds the reference Jacobians; ``curve_training.py``, the training helper,
lives beside the notebook in source/.
"""
import itertools
from pathlib import Path

import numpy as np

from backprop_course.units import run_as_notebook, unit_at

REFERENCE = Path(__file__).with_name("reference.py")


def reference_namespace(given_network, parameters):
    """The reference Jacobians around ``parameters`` (name: array), as a notebook's namespace.

    ``given_network(namespace)`` (checks.given_network) gives the given code,
    which reads the parameters from that namespace when called, as the
    notebook's does: training can update them there.
    """
    namespace = {name: np.array(value, dtype=np.float64) for name, value in parameters.items()}
    namespace.update(given_network(namespace))
    return run_as_notebook(REFERENCE, namespace)


def expected(case, data):
    """The right answer of a probe case: the reference Jacobian at the case's network."""
    if case.method:
        return _method_answers(case)
    namespace = reference_namespace(case.given, case.parameters)
    return namespace[case.function](*[value for _, value in case.args])


def _method_answers(case):
    """A Jacobian on the bent network of a method probe (checks.bent_network).

    By the chain rule, each layer's slope is the given d_sigma, or sigma(z)(1 - sigma(z)) (or a(1 - a)), or
    the logistic's own slope written out, through the given forward pass or one of the student's own: any
    mix of these follows. Estimates by differences of the cost give the bent network's own gradient,
    or the plain network's.
    """
    checks = unit_at(Path(__file__).parent).checks
    x, y = (value for _, value in case.args)
    bent = case.given(case.parameters)
    sigma, step = bent["sigma"], 1e-5
    slopes = {"given": bent["d_sigma"], "product": lambda z: sigma(z) * (1 - sigma(z)),
              "logistic": checks.logistic_slope}
    layer_of = {case.parameters[f"b{layer}"].shape[0]: layer for layer in "123"}  # sizes all differ

    def jacobian(activation, slope_of_layer):
        given = checks.given_network(case.parameters, activation,
                                     lambda z: slope_of_layer[layer_of[np.shape(z)[0]]](z))
        return reference_namespace(lambda _: given, case.parameters)[case.function](x, y)

    follows = []
    for activation in (sigma, checks.logistic):
        for chosen in itertools.product(slopes, repeat=3):
            if activation is checks.logistic and set(chosen) == {"logistic"}:
                continue  # the plain network's gradient: what differences of one's own forward pass give
            follows.append(jacobian(activation, {layer: slopes[name] for layer, name in zip("123", chosen)}))
    bent_slope = lambda z: (sigma(z + step) - sigma(z - step)) / (2 * step)  # noqa: E731
    return {"follows": follows, "unchanged": [jacobian(checks.logistic, dict.fromkeys("123", checks.logistic_slope))],
            "estimates": [jacobian(sigma, dict.fromkeys("123", bent_slope))]}
