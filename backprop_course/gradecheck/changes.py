"""What method probes change in a computation: shipped to students, the same for every assignment.

A method probe calls a student's derivative again with pieces of its
computation changed (``probes.Case.method``). A derivative built from the
pieces by the chain rule changes as the grader predicts; an estimate by
finite differences gives something else. An assignment's checks build their
changes from these two:

- ``kinked``: a function whose slope is changed near given points only, its
  values there and elsewhere unchanged, so that differences of it find the
  change and its values do not (``module_with`` puts it in a module, say the
  notebook's ``np``);
- ``scaled``: a student's own functions, each scaled point by point, so that
  a derivative built from them changes in a way that only the chain rule
  through them predicts.
"""
import functools
import inspect
import types

import numpy as np

# Wider than any step an estimate by differences takes; a probe's points lie farther apart (``apart``).
KINK_WIDTH = 0.05
KINK_SLOPE = 0.5


def kinked(function, points):
    """``function`` with its slope raised by KINK_SLOPE within KINK_WIDTH of each of ``points``."""
    centres = np.unique(np.asarray(points, dtype=np.float64).ravel())

    def changed(u):
        u = np.asarray(u)
        nearest = centres[np.argmin(np.abs(np.real(u)[..., None] - centres), axis=-1)]
        offset = u - nearest
        return function(u) + KINK_SLOPE * np.where(np.abs(np.real(offset)) < KINK_WIDTH, offset, 0)
    return changed


def module_with(module, **replaced):
    """A copy of ``module`` with some of its names replaced, to stand in for it in a notebook's namespace."""
    copy = types.ModuleType(module.__name__)
    copy.__dict__.update(vars(module))
    copy.__dict__.update(replaced)
    return copy


def apart(draw, shifts=()):
    """Points from ``draw()`` (called again as needed) that lie more than 2 KINK_WIDTH apart, also from each
    other moved by each of ``shifts``: a kink at one point never reaches another."""
    while True:
        points = draw()
        values = np.asarray(points, dtype=np.float64).ravel()
        gaps = np.abs(values[:, None] - values[None, :])
        np.fill_diagonal(gaps, np.inf)
        gaps = [gaps] + [np.abs(values[:, None] + shift - values[None, :]) for shift in shifts]
        if min(gap.min() for gap in gaps) > 2 * KINK_WIDTH:
            return points


def _first_argument(function, args, kwargs):
    """The value of ``function``'s first parameter in this call, however it was passed."""
    try:
        return next(iter(inspect.signature(function).bind(*args, **kwargs).arguments.values()))
    except (TypeError, ValueError, StopIteration):
        return args[0] if args else 0.0


def scaled(functions):
    """{name: (function, factor)} -> {name: the function scaled by factor (1 + sin(its first argument)/2)}.

    A scaled function called by another (a piece defined through another
    piece) runs as it is, so that no call is scaled twice.
    """
    inside = []

    def scale(function, factor):
        @functools.wraps(function)
        def changed(*args, **kwargs):
            if inside:
                return function(*args, **kwargs)
            first = np.asarray(_first_argument(function, args, kwargs), dtype=np.float64).copy()
            inside.append(function)
            try:
                value = np.asarray(function(*args, **kwargs), dtype=np.float64)
            finally:
                inside.pop()
            return factor * (1 + np.sin(first) / 2) * value
        return changed
    return {name: scale(function, factor) for name, (function, factor) in functions.items()}
