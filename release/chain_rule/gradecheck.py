"""Checks that the notebooks' test cells and self-checks use.

Each assignment folder ships a copy of this file as ``gradecheck.py``, because
students receive only that folder. ``make sync`` writes the copies and a test
keeps them identical to this file. It holds no reference solution and no
expected value: those live only in the hidden tests.

Every failed check raises ``CheckFailed`` with a message a student can act on:
what was checked, where, and how the answer was off (shape, factor, sign,
order, NaN, type), never the expected numbers themselves.
"""
import contextlib
import io
import numbers
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


class CheckFailed(AssertionError):
    """A check of a student's answer failed; the message says how."""


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
    would otherwise lose its points. With ``what`` (e.g. "dldw(W, x, y)"), an
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
            raise CheckFailed(f"{what} raised {type(error).__name__}: {error}{_error_hint(error)}") from None


def _error_hint(error):
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


def diagnose(got, want, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
    """A short description of how ``got`` differs from ``want`` (None if it doesn't)."""
    if not np.all(np.isfinite(got)):
        return "contains NaN or inf"
    if got.shape != want.shape:
        message = f"has shape {got.shape}, expected {want.shape}"
        if got.ndim == 2 and got.shape[0] == got.shape[1] and want.ndim == 2 \
                and want.shape[1] == 1 and got.shape[0] == want.shape[0]:
            message += (": a column minus a 1-D array broadcasts to a square; "
                        "keep every array a column of shape (N, 1)")
        elif got.shape == want.shape[::-1]:
            message += ": is it transposed?"
        elif got.size == want.size:
            message += ": the numbers may be right, but the shape is not (keepdims? reshape?)"
        return message
    if _close(got, want, rtol, atol):
        return None
    if _close(-got, want, rtol, atol):
        return "has the wrong sign (sign flipped)"
    if got.ndim == 1 and got.size == 2 and _close(got[::-1], want, rtol, atol):
        return "has its entries in the wrong order (swapped)"
    if got.ndim == 2 and got.shape[0] == got.shape[1] > 1 and _close(got.T, want, rtol, atol):
        return "is the transpose of the right answer"
    factor = _constant_factor(got, want)
    if factor is not None and abs(factor) > 1e-12 and _close(got, factor * want, 1e-6, 1e-12):
        described = _describe_factor(factor)
        # Any two numbers differ by "a factor"; only a simple factor, or one
        # shared by several entries, says something about the mistake.
        if not described.startswith("about") or np.count_nonzero(want) >= 3:
            return f"is off by a constant factor of {described}"
    return f"has the wrong values (largest relative error {relative_error(got, want):.2g})"


def expect_close(what, got, want, where="", hint="", mistakes=None,
                 rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
    """Fail with a diagnosis unless ``got`` matches ``want`` in shape and value.

    ``mistakes`` maps a description to the value a known mistake would give;
    a wrong answer that matches one is described that way.
    """
    got = as_float_array(what, got)
    problem = diagnose(got, np.asarray(want, dtype=np.float64), rtol, atol)
    if problem is not None:
        for description, wrong_value in (mistakes or {}).items():
            if _close(got, np.asarray(wrong_value, dtype=np.float64), rtol, atol):
                problem = description
                break
        place = f" {where}" if where else ""
        advice = f" {hint}" if hint else ""
        raise CheckFailed(f"{what}{place} {problem}.{advice}")


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


def expect_pair_of_numbers(what, got):
    """Fail unless ``got`` is a sequence of exactly two numbers; return them as floats."""
    if isinstance(got, numbers.Number):
        raise CheckFailed(f"{what} returned one number; expected two, [dL/dw1, dL/dw2]")
    values = as_float_array(what, got)
    if values.size != 2 or (values.ndim >= 1 and len(values) != 2):
        raise CheckFailed(f"{what} returned {len(values) if values.ndim else 1} item(s) of "
                          f"shape {values.shape}; expected two numbers, [dL/dw1, dL/dw2]. "
                          "Did you forget to take the mean over the data points?")
    return values.reshape(2)


HARD_CODED_HINT = ("It was right for the notebook's own inputs, so check that it uses its "
                   "arguments rather than fixed numbers or notebook variables.")


# --- The curve_backprop network, re-implemented for the tests -------------
# These repeat the notebook's *given* code (no student answer is here), so
# that a test never relies on a name the student could have redefined.

NETWORK_PARAMETERS = ("W1", "b1", "W2", "b2", "W3", "b3")


def logistic(z):
    return 1 / (1 + np.exp(-z))


def logistic_slope(z):
    return 1 / (4 * np.cosh(z / 2) ** 2)


def logistic_network(n1, n2, random):
    """Parameters of a 1 -> n1 -> n2 -> 2 network, drawn as randn(...) / 2."""
    shapes = {"W1": (n1, 1), "W2": (n2, n1), "W3": (2, n2), "b1": (n1, 1), "b2": (n2, 1), "b3": (2, 1)}
    return {name: random.randn(*shape) / 2 for name, shape in shapes.items()}


def logistic_forward(network, a0):
    """a0, z1, a1, z2, a2, z3, a3 of the network for inputs a0 of shape (1, N)."""
    values = [a0]
    for layer in "123":
        z = network["W" + layer] @ values[-1] + network["b" + layer]
        values += [z, logistic(z)]
    return tuple(values)


def logistic_cost(network, x, y):
    """||a3 - y||_F^2 / N."""
    return float(np.sum((logistic_forward(network, x)[-1] - y) ** 2) / x.shape[1])


def jacobian_by_differences(network, name, x, y):
    """dC/d(network[name]) by central differences of the trusted cost, in float64."""
    network = {key: np.array(value, dtype=np.float64) for key, value in network.items()}
    return central_difference(lambda: logistic_cost(network, x, y), [network[name]])[0]


def run_with_network(namespace, function, network, x, y):
    """Call a student's Jacobian ``function(x, y)`` on a trusted network.

    The network's arrays and the trusted sigma, d_sigma, network_function and
    cost are put in the notebook's namespace for the call, then the student's
    own are put back. Fails if the function changed any parameter.
    """
    trusted = dict(network, sigma=logistic, d_sigma=logistic_slope,
                   network_function=lambda a0: logistic_forward(network, a0),
                   cost=lambda x_, y_: logistic_cost(network, x_, y_))
    before = {name: value.copy() for name, value in network.items()}
    what = f"{getattr(function, '__name__', 'the Jacobian')}(x, y)"
    with quietly(what), substituted(namespace, **trusted):
        result = function(x.copy(), y.copy())
    for name in network:
        expect_unchanged(what, name, [network[name]], [before[name]])
    return result


def report_jacobians(namespace, x, y, names=("W3", "b3", "W2", "b2", "W1", "b1")):
    """Print how each J_<name>(x, y) in a notebook compares with central differences.

    A self-check for students: it uses the notebook's own ``cost`` and
    parameters, nudging each parameter in place and putting it back.
    """
    print(f"{'Jacobian':<10} {'shape':<9} {'relative error':>15}  verdict")
    for name in names:
        label = f"J_{name}"
        try:
            with quietly():
                analytic = as_float_array(label, namespace[label](x, y))
        except NotImplementedError:
            print(f"{label:<10} {'-':<9} {'-':>15}  not written yet")
            continue
        except Exception as error:  # a student's bug: report it, check the others
            print(f"{label:<10} {'-':<9} {'-':>15}  raised {type(error).__name__}: {error}")
            continue
        with quietly():
            numeric = central_difference(lambda: float(namespace["cost"](x, y)), [namespace[name]])[0]
        problem = diagnose(analytic, numeric)
        error = relative_error(analytic, numeric) if analytic.shape == numeric.shape else float("nan")
        verdict = "ok" if problem is None else problem
        print(f"{label:<10} {str(analytic.shape):<9} {error:>15.1e}  {verdict}")
