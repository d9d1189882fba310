"""The check core: what every assignment's checks are built from, shipped to students.

Beside each notebook, ``gradecheck/`` is a package: its ``__init__`` is the
assignment's own checks (``assignments/<name>/checks.py`` in the course),
and this module, ``diagnosis.py`` and ``probes.py`` are the same for every assignment. The
course's sync writes them (``python -m backprop_course sync``), and a test keeps
the copies identical to the originals.

Every failed check raises ``CheckFailed`` with a message a student can act
on (shape, factor, sign, order, NaN, type), never the expected numbers
themselves. Nothing here holds a reference solution or an expected value.
"""
import contextlib
import io
import textwrap
import warnings

import numpy as np

from .diagnosis import (ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, describe, mismatch_message, same_values_message,
                        sentence)

# Central differences in float64 with this step agree with an exact gradient
# to about 1e-9 on the course's networks.
FINITE_DIFFERENCE_STEP = 1e-5

# `nbgrader validate` cuts every line of an error at 87 characters and indents
# it by 4, so a message is shown in lines of at most this many.
MESSAGE_WIDTH = 80


class CheckFailed(AssertionError):
    """A check of a student's answer failed; the message says how, as a full sentence."""

    def __init__(self, message):
        super().__init__(sentence(message))

    def _render_traceback_(self):
        # IPython shows these lines instead of a traceback through this file:
        # the diagnosis is what the student needs, and it is never cut.
        return textwrap.wrap(f"{type(self).__name__}: {self}", MESSAGE_WIDTH,
                             break_long_words=False, break_on_hyphens=False)



def central_difference(loss, params, step=FINITE_DIFFERENCE_STEP):
    """Estimate d loss / d p for every entry p of every array in ``params``.

    ``loss`` takes no arguments and reads the arrays, which are nudged in
    place by +-step and always restored, even if ``loss`` raises.
    """
    estimates = []
    for param in params:
        estimate = np.zeros(param.shape)
        for index in np.ndindex(param.shape):
            original = param[index]
            try:
                param[index] = original + step
                above = loss()
                param[index] = original - step
                below = loss()
            finally:
                param[index] = original
            estimate[index] = (above - below) / (2 * step)
        estimates.append(estimate)
    return estimates


@contextlib.contextmanager
def quietly(what=None):
    """Run student code so that its warnings and stderr never reach the cell.

    nbgrader gives a test cell zero points if anything appears on stderr, so
    a correct answer that happens to warn (or print debug output to stderr)
    would otherwise lose its points. With ``what`` (e.g. "f(W, x)"), an
    exception from the student's code is reported as a failed check that
    names the call; an unfinished stub still raises NotImplementedError.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            yield
        except (CheckFailed, NotImplementedError):
            raise
        except Exception as error:
            if what is None:
                raise
            raise CheckFailed(f"{what} raised {type(error).__name__}: {error}{error_hint(error)}") from None


def error_hint(error):
    text = str(error)
    if "matmul" in text or "shapes" in text and "not aligned" in text:
        return (" (the shapes of a matrix product @ do not fit: is a transpose missing, the wrong layer's array, or a "
                "notebook variable used instead of an argument?)")
    if "broadcast" in text:
        return " (two arrays of incompatible shapes were combined element-wise: check each shape)"
    if "only 0-dimensional arrays" in text or "only length-1 arrays" in text:
        return " (float() takes one number: take it out of a (1, 1) array with .item())"
    if "read-only" in text:
        return (" (it changed, in place, an array that the given code shares with others: compute a new array, "
                "a = a - y, instead of a -= y)")
    return ""


@contextlib.contextmanager
def substituted(namespace, **trusted):
    """Temporarily replace names in a notebook's namespace.

    Tests use this to call a student's function with trusted versions of the
    given helpers, so that a redefined helper cannot make a wrong answer look
    right and a mistake in one function is not charged to another.
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in trusted}
    namespace.update(trusted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def as_float_array(what, value):
    """``value`` as a plain float64 ndarray, or CheckFailed saying why not.

    Converting to a plain ndarray (not a subclass) means that objects which
    fake equality are compared by their numbers only.
    """
    if value is None:
        raise CheckFailed(f"{what} returned None: is a `return` statement missing?")
    if callable(value) and not isinstance(value, np.ndarray):
        raise CheckFailed(f"{what} returned a function, not numbers: "
                          "did you forget to call it with ( )?")
    if isinstance(value, (str, bytes)):
        raise CheckFailed(f"{what} returned text ({type(value).__name__}), not numbers")
    if isinstance(value, dict):
        raise CheckFailed(f"{what} returned a dict; expected numbers")
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise CheckFailed(f"{what} returned {type(value).__name__}, which is not "
                          f"an array of numbers ({error})") from None
    return array



def expect_close(what, got, want, where="", hint="", mistakes=None,
                 rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE, names=()):
    """Fail with a diagnosis unless ``got`` matches ``want`` in shape and value (``names``: the entries')."""
    message = mismatch_message(what, as_float_array(what, got), want, where, hint, mistakes, rtol, atol, names)
    if message is not None:
        raise CheckFailed(message)


def expect_unchanged(what, name, arrays, originals):
    """Fail if a function changed the arrays it was given (a gradient must not)."""
    for index, (array, original) in enumerate(zip(arrays, originals)):
        if not np.array_equal(np.asarray(array), original):
            raise CheckFailed(f"{what} changed {name} in place; compute new arrays "
                              "instead of modifying the parameters or arguments it reads")


def expect_shape(what, got, shape):
    """Fail unless ``got`` is an array of numbers with exactly this shape."""
    got = as_float_array(what, got)
    if got.shape != tuple(shape):
        raise CheckFailed(f"{what} {describe('wrong shape', {'got': list(got.shape), 'want': list(shape)})}")


def expect_column(name, value, rows):
    """Fail unless the variable ``name`` is an array of shape (rows, 1)."""
    shape = np.shape(value)
    if shape != (rows, 1):
        raise CheckFailed(f"{name} has shape {shape}; it must be a column of shape {(rows, 1)}")



def slope_by_differences(function, z, step=FINITE_DIFFERENCE_STEP):
    """The slope of an element-wise ``function`` at every entry of ``z``, by central differences."""
    z = np.asarray(z, dtype=np.float64)
    return (function(z + step) - function(z - step)) / (2 * step)


def same_values_elsewhere(what, got, where, later):
    """``same_values_message`` against the later looks ``later`` ((where, call)), skipping any that raise."""
    others = []
    for other_where, call in later:
        try:
            with quietly(what):
                others.append((other_where, np.asarray(call(), dtype=np.float64)))
        except Exception:  # it fails there for another reason: the first failure stands
            continue
    try:
        return same_values_message(what, np.asarray(got, dtype=np.float64), where, others)
    except (TypeError, ValueError):
        return None
