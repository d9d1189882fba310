"""Test support: catalogues of mistakes, fixtures, the hostile class, kernels and gradebooks."""
from backprop_course import REPO_ROOT
from backprop_course.units import unit_names

ASSIGNMENTS = unit_names(REPO_ROOT)  # this course's assignments, as the engine finds them


def checks_of(assignment):
    """An assignment's checks (its gradecheck), as the grader loads them."""
    from backprop_course.units import unit
    return unit(REPO_ROOT, assignment).checks


def chain_rule_reference():
    """chain_rule's reference answers, with its checks' given code (the forward pass) among their globals."""
    from backprop_course.units import unit
    chain_rule = unit(REPO_ROOT, "chain_rule")
    return chain_rule.trusted.reference_namespace(chain_rule.checks.given_network())


def curve_reference(n1=6, n2=7, seed=None):
    """A notebook-like namespace of curve_backprop's reference Jacobians on a new 1-n1-n2-2 network,
    drawn as the notebook's reset_network draws it (from np.random, or RandomState(seed))."""
    import numpy as np

    from backprop_course.units import unit
    curve = unit(REPO_ROOT, "curve_backprop")
    random = np.random if seed is None else np.random.RandomState(seed)
    return curve.trusted.reference_namespace(curve.checks.given_network,
                                             curve.checks.logistic_network(n1, n2, random))
