"""curve_backprop: the Jacobians of a 1-6-7-2 logistic network, which then train it to draw a heart.

What the grader needs of this assignment and students never see; the
engine loads it from the course's ``assignments/`` folder (docs/authors.md).
``checks.py`` is what students get, as ``gradecheck``; ``reference.py``
holds the reference Jacobians; ``curve_training.py``, the training helper,
lives beside the notebook in source/.
"""
from pathlib import Path

import numpy as np

from backprop_course.units import run_as_notebook

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
    namespace = reference_namespace(case.given, case.parameters)
    return namespace[case.function](*[value for _, value in case.args])
