"""curve_backprop: the Jacobians of a 1-6-7-2 logistic network, which then train it to draw a heart.

What the grader needs of this assignment and students never see; the
engine loads it from the course's ``assignments/`` folder (docs/authors.md).
``checks.py`` is what students get, as ``gradecheck``; ``curve_training.py``,
the training helper, lives beside the notebook in source/.
"""
import numpy as np

from . import reference


def expected(case, data):
    """The right answer of a probe case: the reference Jacobian at the case's network."""
    namespace = reference.load_namespace()
    namespace.update({name: np.array(value) for name, value in case.parameters.items()})
    return namespace[case.function](*[value for _, value in case.args])
