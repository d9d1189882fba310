"""Test support: catalogues of mistakes, fixtures, the hostile class, kernels and gradebooks."""
from backprop_course import REPO_ROOT
from backprop_course.units import unit_names

ASSIGNMENTS = unit_names(REPO_ROOT)  # this course's assignments, as the engine finds them


def checks_of(assignment):
    """An assignment's checks (its gradecheck), as the grader loads them."""
    from backprop_course.units import unit
    return unit(REPO_ROOT, assignment).checks


def reference_of(assignment):
    """An assignment's reference solution, from its unit's trusted part."""
    from backprop_course.units import unit
    return unit(REPO_ROOT, assignment).trusted.reference
