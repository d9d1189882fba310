"""The check core: what every assignment's checks are built from, shipped to students.

Beside each notebook, ``gradecheck/`` is a package: its ``__init__`` is the
assignment's own checks (``assignments/<name>/checks.py`` in the course),
and this module and ``probes.py`` are the same for every assignment. The
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

# Central differences in float64 with this step agree with an exact gradient
# to about 1e-9 on the course's networks.
FINITE_DIFFERENCE_STEP = 1e-5
# A match needs |got - want| <= ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * |want|
# in every entry. That is 100x looser than the finite-difference error above,
# and 10,000x tighter than the smallest real mistake we know (a stray factor).
RELATIVE_TOLERANCE = 1e-5
ABSOLUTE_TOLERANCE = 1e-7


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


def relative_error(a, b):
    """Largest entry-wise |a - b| / max(1e-8, |a| + |b|)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


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
        return " (the shapes of a matrix product @ do not fit: is a transpose missing, or the wrong layer's array?)"
    if "broadcast" in text:
        return " (two arrays of incompatible shapes were combined element-wise: check each shape)"
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


def _close(got, want, rtol, atol):
    return got.shape == want.shape and bool(np.all(np.abs(got - want) <= atol + rtol * np.abs(want)))


def _constant_factor(got, want):
    """The c with got = c * want in the least-squares sense, or None."""
    scale = float(np.sum(want * want))
    if scale == 0.0:
        return None
    return float(np.sum(got * want)) / scale


def _describe_factor(factor):
    rounded = {2.0: "2", 0.5: "1/2", 4.0: "4", 0.25: "1/4"}
    for value, name in rounded.items():
        for sign, prefix in ((1, ""), (-1, "-")):
            if abs(factor - sign * value) < 1e-6 * value:
                return prefix + name
    # A whole-number factor is almost always a sum where a mean belongs (or
    # the reverse): name N, since the student knows what their N is.
    for value, template in ((factor, "{n} (a missing division by N, or a sum instead of a mean?)"),
                            (1 / factor, "1/{n} (one division by N too many?)")):
        whole = round(value)
        if whole > 2 and abs(value - whole) < 1e-6 * whole:
            return template.format(n=whole)
    return f"about {factor:.3g}"


def diagnosis(got, want, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
    """(kind, details) of how ``got`` differs from ``want``, or None if it doesn't; ``describe`` words it."""
    if not np.all(np.isfinite(got)):
        return "not finite", {}
    if got.shape != want.shape:
        return "wrong shape", {"got": list(got.shape), "want": list(want.shape)}
    if _close(got, want, rtol, atol):
        return None
    if _close(-got, want, rtol, atol):
        return "wrong sign", {}
    if got.ndim == 1 and got.size == 2 and _close(got[::-1], want, rtol, atol):
        return "swapped", {}
    if got.ndim == 2 and got.shape[0] == got.shape[1] > 1 and _close(got.T, want, rtol, atol):
        return "transposed", {}
    factor = _constant_factor(got, want)
    if factor is not None and abs(factor) > 1e-12 and _close(got, factor * want, 1e-6, 1e-12):
        described = _describe_factor(factor)
        # Any two numbers differ by "a factor"; only a simple factor, or one
        # shared by several entries, says something about the mistake.
        if not described.startswith("about") or np.count_nonzero(want) >= 3:
            return "constant factor", {"factor": described}
    return "wrong values", {"error": relative_error(got, want)}


def _shape_advice(got, want):
    if len(got) == 2 and got[0] == got[1] and len(want) == 2 and want[1] == 1 and got[0] == want[0]:
        return ": a column minus a 1-D array broadcasts to a square; keep every array a column of shape (N, 1)"
    if got == want[::-1]:
        return ": is it transposed?"
    if np.prod(got) == np.prod(want):
        return ": the numbers may be right, but the shape is not (keepdims? reshape?)"
    return ""


def describe(kind, details):
    """The words of a ``diagnosis``: "has the wrong sign (sign flipped)". Without its ``error``, a
    "wrong values" diagnosis leaves out its size."""
    if kind == "wrong shape":
        got, want = tuple(details["got"]), tuple(details["want"])
        return f"has shape {got}, expected {want}{_shape_advice(got, want)}"
    if kind == "constant factor":
        return f"is off by a constant factor of {details['factor']}"
    if kind == "wrong values":
        return "has the wrong values" + (f" (largest relative error {details['error']:.2g})" if "error" in details
                                         else "")
    return {"not finite": "contains NaN or inf", "wrong sign": "has the wrong sign (sign flipped)",
            "swapped": "has its entries in the wrong order (swapped)",
            "transposed": "is the transpose of the right answer"}[kind]


def diagnose(got, want, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
    """A short description of how ``got`` differs from ``want`` (None if it doesn't)."""
    found = diagnosis(got, want, rtol, atol)
    return describe(*found) if found else None


def mismatch(got, want, mistakes=None, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
    """(kind, details) of array ``got`` against ``want``, or None if they match. ``mistakes`` maps a
    description to the value a known mistake would give; a wrong answer that matches one is
    ("known mistake", {"description": ...})."""
    want = np.asarray(want, dtype=np.float64)
    found = diagnosis(got, want, rtol, atol)
    if found is None:
        return None
    for description, wrong_value in (mistakes or {}).items():
        if _close(got, np.asarray(wrong_value, dtype=np.float64), rtol, atol):
            return "known mistake", {"description": description}
    return found


def mismatch_message(what, got, want, where="", hint="", mistakes=None,
                     rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
    """The failure message for array ``got`` against ``want``, or None if they match.

    The diagnosis comes first: "f(W, x) has the wrong sign (sign
    flipped), at seed 7 on data.csv." A known mistake (see ``mismatch``) is
    described by its own words.
    """
    found = mismatch(got, want, mistakes, rtol, atol)
    if found is None:
        return None
    kind, details = found
    problem = details["description"] if kind == "known mistake" else describe(kind, details)
    return sentence(f"{what} {problem}" + (f", {where}" if where else ""), hint)


def sentence(text, more=""):
    """``text`` ended by a full stop (unless it ends in ? or !), then ``more``."""
    text = text if text.endswith(("?", "!", ".")) else text + "."
    return f"{text} {more}" if more else text


def expect_close(what, got, want, where="", hint="", mistakes=None,
                 rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
    """Fail with a diagnosis unless ``got`` matches ``want`` in shape and value."""
    message = mismatch_message(what, as_float_array(what, got), want, where, hint, mistakes, rtol, atol)
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
        raise CheckFailed(f"{what} has shape {got.shape}, expected {tuple(shape)}")


def expect_column(name, value, rows):
    """Fail unless the variable ``name`` is an array of shape (rows, 1)."""
    shape = np.shape(value)
    if shape != (rows, 1):
        raise CheckFailed(f"{name} has shape {shape}; it must be a column of shape {(rows, 1)}")


HARD_CODED_ADVICE = "check that it uses its arguments rather than fixed numbers or notebook variables."
HARD_CODED_HINT = f"It was right for the notebook's own inputs, so it may be hard-coded: {HARD_CODED_ADVICE}"


def same_values_message(what, got, where, others):
    """The diagnosis of a wrong answer ``got`` (at ``where``) that came out the same at other inputs.

    ``others``: (where, value) of the same function at other inputs. Returns
    None unless one of them is exactly ``got``: then its values do not
    depend on its inputs, and "hard-coded" says more than "wrong values".
    """
    for other_where, other in others:
        if np.shape(other) == np.shape(got) and np.array_equal(other, got):
            return hard_coded_message(what, where, other_where)
    return None


def hard_coded_message(what, where, other_where):
    """The words of the same values at two inputs: the self-check's and the grader's."""
    return sentence(f"{what} returned the same values {where} and {other_where}: they look hard-coded",
                    f"Please {HARD_CODED_ADVICE}")


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


class CountedCalls:
    """A given function that counts its calls: how often a student's answer ran the forward pass."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)
