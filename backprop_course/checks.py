"""Checks that the notebooks' test cells and self-checks use, and the probes of the hidden tests.

Each assignment folder ships a copy of this file as ``gradecheck.py``, because
students receive only that folder. ``make sync`` writes the copies and a test
keeps them identical to this file. It holds no reference solution and no
hidden expected value.

- The visible checks (``expect_close`` and friends) are the student's
  self-check: every failed check raises ``CheckFailed`` with a message a
  student can act on (shape, factor, sign, order, NaN, type), never the
  expected numbers themselves.
- The hidden tests are probes (``run_probes``): they call the student's
  functions on the inputs of ``probe_cases`` and emit what came back as
  records. They judge nothing. The verdict is given outside the kernel, by
  ``backprop_course.grading.verdicts`` in the nbgrader process, which builds the same
  inputs from the same seed and compares with the reference solution.
"""
import contextlib
import functools
import io
import json
import math
import numbers
import textwrap
import warnings
from dataclasses import dataclass, field

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


def mismatch_message(what, got, want, where="", hint="", mistakes=None,
                     rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
    """The failure message for array ``got`` against ``want``, or None if they match.

    The diagnosis comes first: "dldw(W, x, y) has the wrong sign (sign
    flipped), at seed 310 on backprop.csv." ``mistakes`` maps a description
    to the value a known mistake would give; a wrong answer that matches one
    is described that way.
    """
    problem = diagnose(got, np.asarray(want, dtype=np.float64), rtol, atol)
    if problem is None:
        return None
    for description, wrong_value in (mistakes or {}).items():
        if _close(got, np.asarray(wrong_value, dtype=np.float64), rtol, atol):
            problem = description
            break
    return sentence(f"{what} {problem}" + (f", {where}" if where else ""), hint)


def sentence(text, more=""):
    """``text`` ended by a full stop (unless it ends in ? or !), then ``more``."""
    text = text if text.endswith(("?", "!", ".")) else text + "."
    return f"{text} {more}" if more else text


def known_mistakes(function, args, kwargs=None):
    """{description: value} of the known wrong answers of a chain_rule piece at ``args``.

    They name a mistake that a value matches; they hold nothing that the
    notebook does not already say (A is sin, its slope is cos).
    """
    if function == "A":
        return {"is cos, not sin": np.cos(args[0])}
    if function == "der_A":
        return {"is sin; the derivative of sin is cos": np.sin(args[0])}
    if function == "dadw" and not (kwargs or {}).get("firstweight"):
        return {"is a1 itself; apply the activation: h1 = A(a1)": args[0],
                "is A'(a1); da2/dw2 is h1 = A(a1), not its slope": np.cos(args[0])}
    if function in ("dhda", "dyda"):
        return {"is A(a) instead of the slope der_A(a)": np.sin(args[0])}
    return {}


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


def pair_problem(what, values):
    """Why the array ``values`` is not two numbers [dL/dw1, dL/dw2] (None if it is)."""
    if values.ndim == 0:
        return f"{what} returned one number; expected two, [dL/dw1, dL/dw2]"
    if values.size != 2 or len(values) != 2:
        return (f"{what} returned {len(values)} item(s) of shape {values.shape}; expected two numbers, "
                "[dL/dw1, dL/dw2]. Did you forget to take the mean over the data points?")
    return None


def expect_pair_of_numbers(what, got):
    """Fail unless ``got`` is a sequence of exactly two numbers; return them as floats."""
    if isinstance(got, numbers.Number):
        got = np.float64(got)
    values = as_float_array(what, got)
    problem = pair_problem(what, values)
    if problem:
        raise CheckFailed(problem)
    return values.reshape(2)


HARD_CODED_ADVICE = "check that it uses its arguments rather than fixed numbers or notebook variables."
HARD_CODED_HINT = f"It was right for the notebook's own inputs, so it may be hard-coded: {HARD_CODED_ADVICE}"
# Every hard-coding diagnosis says this, however it was found; the class report flags it.
HARD_CODED_SIGN = "hard-coded"


def same_values_message(what, got, where, others):
    """The diagnosis of a wrong answer ``got`` (at ``where``) that came out the same at other inputs.

    ``others``: (where, value) of the same function at other inputs. Returns
    None unless one of them is exactly ``got``: then its values do not
    depend on its inputs, and "hard-coded" says more than "wrong values".
    """
    for other_where, other in others:
        if np.shape(other) == np.shape(got) and np.array_equal(other, got):
            return sentence(f"{what} returned the same values {where} and {other_where}: they look hard-coded",
                            f"Please {HARD_CODED_ADVICE}")
    return None


def slope_by_differences(function, z, step=FINITE_DIFFERENCE_STEP):
    """The slope of an element-wise ``function`` at every entry of ``z``, by central differences."""
    z = np.asarray(z, dtype=np.float64)
    return (function(z + step) - function(z - step)) / (2 * step)


def sine_loss(W, x, y):
    """chain_rule's given loss: the mean squared error of the sine network."""
    return float(np.mean((sine_network(W, x)[2] - y) ** 2))


PIECES_FIRST_HINT = "dldw calls your pieces: if one of their tests above failed, fix that first."


# The visible tests' second look at dldw: every 7th point of backprop.csv.
SUBSET_EVERY = 7


def expect_dldw_matches_differences(namespace, W, every=SUBSET_EVERY):
    """Fail unless the notebook's ``dldw`` agrees with central differences of the loss.

    At the notebook's weights ``W``, on backprop.csv: first on all its points,
    then on every ``every``-th point only, so that an answer must use its
    arguments. The given code (A = sin, der_A = cos, neural_network) is in
    place for the call: the pieces that dldw calls are the student's own, but
    nothing given can be redefined to agree with a wrong answer.
    """
    what = "dldw(W, x, y)"
    x, y = read_backprop_csv(BACKPROP_CSV)
    weights = [np.array(w, dtype=np.float64) for w in W]
    # Wrong on all points: a piece may be to blame. Right there but wrong on
    # the subset: the answer does not use its arguments.
    for rows, where, hint in (
            (slice(None), f"at the notebook's W on all {len(x)} points of {BACKPROP_CSV}", PIECES_FIRST_HINT),
            (slice(None, None, every), f"at the notebook's W on every {every}th point only", HARD_CODED_HINT)):
        data = (x[rows].copy(), y[rows].copy())
        arguments = [w.copy() for w in weights]
        with quietly(what), substituted(namespace, **given_code("sine network")):
            got = namespace["dldw"](arguments, *data)
        expect_unchanged(what, "W", arguments, weights)
        got = expect_pair_of_numbers(what, got)
        slopes = central_difference(lambda: sine_loss(weights, *data), weights)
        expect_close(what, got, [slope.item() for slope in slopes], where=where, hint=hint)


# The visible tests' second network, and the examples it sees.
SMALLER_EVERY = 4


def smaller_network():
    """The 1-3-4-2 network of the visible tests, drawn from RandomState(1)."""
    return logistic_network(3, 4, np.random.RandomState(1))


def expect_jacobian_matches_differences(namespace, name, x, y, every=SMALLER_EVERY):
    """Fail unless the notebook's ``J_<name>(x, y)`` agrees with central differences of the cost.

    First at the notebook's own network and data; then at a 1-3-4-2 network
    (drawn from RandomState(1)) on every ``every``-th example, so that an
    answer must read sizes and N from its arguments. The given code (sigma,
    d_sigma, network_function, cost) is in place for the call.
    """
    function, what = namespace["J_" + name], f"J_{name}(x, y)"
    own = {parameter: np.array(namespace[parameter], dtype=np.float64) for parameter in NETWORK_PARAMETERS}
    looks = [(own, (x, y), "at the notebook's network and data", ""),
             (smaller_network(), (x[:, ::every], y[:, ::every]), f"at a 1-3-4-2 network on every {every}th example",
              HARD_CODED_HINT)]
    for index, (network, data, where, hint) in enumerate(looks):
        got = run_with_network(namespace, function, network, *data)
        slopes = central_difference(lambda: logistic_cost(network, *data), [network[name]])[0]
        try:
            expect_close(what, got, slopes, where=where, hint=hint)
        except CheckFailed as failure:
            later = [(other_where, functools.partial(run_with_network, namespace, function, other, *other_data))
                     for other, other_data, other_where, _ in looks[index + 1:]]
            raise CheckFailed(_same_values_elsewhere(what, got, where, later) or str(failure)) from None


def _same_values_elsewhere(what, got, where, later):
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


# --- The curve_backprop network, re-implemented for the tests -------------
# These repeat the notebook's *given* code (no student answer is here), so
# that a test never relies on a name the student could have redefined.

NETWORK_PARAMETERS = ("W1", "b1", "W2", "b2", "W3", "b3")


def logistic(z):
    return 1 / (1 + np.exp(-z))


def logistic_slope(z):
    return 1 / (4 * np.cosh(z / 2) ** 2)


def logistic_network(n1, n2, random):
    """Parameters of a 1 -> n1 -> n2 -> 2 network, drawn as randn(...) / 2 in reset_network's order.

    ``random``: np.random, a RandomState or a Generator.
    """
    shapes = {"W1": (n1, 1), "W2": (n2, n1), "W3": (2, n2), "b1": (n1, 1), "b2": (n2, 1), "b3": (2, 1)}
    return {name: random.standard_normal(shape) / 2 for name, shape in shapes.items()}


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


def logistic_given_code(network):
    """The curve notebook's given code over ``network``: its parameters, sigma, d_sigma,
    network_function (counting its calls) and cost, to put in a notebook's namespace."""
    forward = CountedCalls(lambda a0: logistic_forward(network, a0))
    return dict(network, sigma=logistic, d_sigma=logistic_slope, network_function=forward,
                cost=lambda x_, y_: logistic_cost(network, x_, y_))


def run_with_network(namespace, function, network, x, y):
    """Call a student's Jacobian ``function(x, y)`` on a trusted network.

    The network's arrays and the trusted sigma, d_sigma, network_function and
    cost are put in the notebook's namespace for the call, then the student's
    own are put back. Fails if the function changed any parameter.
    """
    trusted = logistic_given_code(network)
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


# --- Probes: what the hidden tests run in the student's kernel --------------
# A probe calls a student's function on the inputs of one case and emits what
# it returned as a record: a display_data output of our own MIME type. It
# asserts nothing and knows no expected value. The nbgrader process builds
# the same cases from the same seed (``probe_cases``), reads the records
# strictly, compares them with the reference solution and replaces the test
# cell's outputs with its verdict (backprop_course/verdicts.py).

PROBE_MIME = "application/vnd.backprop.probe+json"
# A record holds at most this many numbers; the verdict refuses larger ones.
MAX_PROBE_ENTRIES = 10_000
BACKPROP_CSV = "backprop.csv"
HEART = "heart"


@dataclass(frozen=True)
class Case:
    """One call (or one variable) that a hidden test probes, and how messages name it."""
    probe: str                   # the record's id, unique within its test cell
    what: str                    # how messages name the call: "dldw(W, x, y)"
    where: str = ""              # "at seed 310 on backprop.csv"
    function: str = ""           # the notebook's function to call ...
    args: tuple = ()             # ... with these (name, value) arguments
    kwargs: dict = field(default_factory=dict)
    variable: str = ""           # or: the notebook's variable to read
    given: str = ""              # the notebook's given code put in place for the call (see given_code)
    network: dict = None         # for a curve_backprop network: its parameters
    pair: bool = False           # the answer is two numbers [dL/dw1, dL/dw2]
    hint: str = ""


def read_backprop_csv(path):
    """x and y of backprop.csv as (N, 1) columns (the same parse on both sides of a probe)."""
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return table[:, :1].copy(), table[:, 1:2].copy()


# Where the visible tests measure the slope of sin by central differences.
VISIBLE_SLOPE_POINTS = np.array([[-2.0], [0.0], [1.0]])


def _column(rng, size, low, high):
    return rng.uniform(low, high, size=(size, 1))


def _chain_rule_cases(grade_id, rng, load):
    """The cases of a chain_rule test cell: the visible inputs first, then the seeded ones."""
    def case(probe, what, function, args, where="", **more):
        return Case(probe, what, where, function, tuple(args), **more)

    random_where = "at random inputs"
    if grade_id == "test_data_loaded_as_columns":
        return [Case(name, name, variable=name,
                     hint=f"{name} must be a column of shape (1000, 1) holding the CSV's {name} column, in order.")
                for name in ("x", "y")]
    if grade_id in ("test_A", "test_der_A"):
        function = grade_id[len("test_"):]
        shown, visible = (("A([[0], [pi/2]])", np.array([[0.0], [np.pi / 2]])) if function == "A"
                          else ("der_A(z) at z = [[-2], [0], [1]]", VISIBLE_SLOPE_POINTS))
        rows, columns = rng.integers(2, 7, size=2)
        z = rng.normal(scale=3, size=(rows, columns))
        return [case("visible", shown, function, [("x", visible)]),
                case("random", f"{function}(z) for a random {rows}x{columns} array z", function, [("z", z)])]
    if grade_id == "test_dadw":
        column = np.array([[0.0], [2.0]])
        a = _column(rng, int(rng.integers(3, 10)), -4, 4)
        first = dict(kwargs={"firstweight": 1}, given="activation",
                     hint="For the first weight, da1/dw1 is the input x itself.")
        return [case("visible-first", "dadw(x, firstweight=1) at x = [[0], [2]]", "dadw", [("x", column)], **first),
                case("visible-second", "dadw(a1) at a1 = [[0], [2]]", "dadw", [("a1", column)], given="activation"),
                case("random-first", "dadw(x, firstweight=1)", "dadw", [("x", a)], random_where, **first),
                case("random-second", "dadw(a1)", "dadw", [("a1", a)], random_where, given="activation")]
    if grade_id in ("test_dhda", "test_dyda"):
        function = grade_id[len("test_"):]
        return [case("visible", f"{function}(a) at a = [[-2], [0], [1]]", function, [("a", VISIBLE_SLOPE_POINTS)],
                     given="activation"),
                case("random", f"{function}(a)", function, [("a", _column(rng, int(rng.integers(3, 10)), -4, 4))],
                     random_where, given="activation")]
    if grade_id == "test_dadh":
        return [case("visible", "dadh([[3]])", "dadh", [("w", np.array([[3.0]]))]),
                case("random", "dadh(w)", "dadh", [("w", rng.normal(size=(1, 1)))], "at a random weight",
                     hint="da2/dh1 is the weight w itself.")]
    if grade_id == "test_dldy":
        size = int(rng.integers(3, 12))
        return [case("visible", "dldy(y_pred, y) at y_pred = [[3], [0.5]], y = [[1], [1]]", "dldy",
                     [("y_pred", np.array([[3.0], [0.5]])), ("y", np.array([[1.0], [1.0]]))]),
                case("random", "dldy(y_pred, y)", "dldy", [("y_pred", _column(rng, size, -1, 1)),
                                                           ("y", _column(rng, size, 0, 1))], "at random columns",
                     hint="The derivative of (y_pred - y)**2 with respect to y_pred is 2 (y_pred - y); "
                          "the mean over points comes later, in dldw.")]
    if grade_id == "test_dldw":
        x, y = load(BACKPROP_CSV)
        seeded = np.random.RandomState(310)
        what = "dldw(W, x, y)"
        weights = [seeded.randn(1, 1), seeded.randn(1, 1)]
        cases = [case("seed-310", what, "dldw", [("W", weights), ("x", x), ("y", y)],
                      "at seed 310 on backprop.csv", given="sine network", pair=True),
                 case("every-7th", what, "dldw", [("W", weights), ("x", x[::SUBSET_EVERY].copy()),
                                                  ("y", y[::SUBSET_EVERY].copy())],
                      f"at seed 310 on every {SUBSET_EVERY}th point of backprop.csv", given="sine network", pair=True,
                      hint=HARD_CODED_HINT)]
        for number in (1, 2):
            size = int(rng.integers(5, 80))
            weights = [rng.normal(size=(1, 1)), rng.normal(size=(1, 1))]
            cases.append(case(f"random-{number}", what, "dldw", [("W", weights), ("x", _column(rng, size, -3, 3)),
                                                            ("y", _column(rng, size, 0, 1))],
                              f"at random weights and {size} random points", given="sine network", pair=True,
                              hint=HARD_CODED_HINT))
        return cases
    return None


def _curve_cases(grade_id, rng, load):
    function = grade_id[len("test_"):]
    if function not in ("J_b3", "J_b2", "J_W1", "J_b1"):
        return None
    what = f"{function}(x, y)"
    x, y = load(HEART)
    own = logistic_network(6, 7, np.random.RandomState(310))
    cases = [Case("seed-310", what, "for the seed-310 network on the heart data", function,
                  (("x", x), ("y", y)), given="logistic network", network=own)]
    cases.append(Case("smaller", what, f"at a 1-3-4-2 network on every {SMALLER_EVERY}th example", function,
                      (("x", x[:, ::SMALLER_EVERY].copy()), ("y", y[:, ::SMALLER_EVERY].copy())),
                      given="logistic network", network=smaller_network(), hint=HARD_CODED_HINT))
    for number in (1, 2):
        # Never the default sizes 6 and 7, so an answer that assumes them fails.
        n1, n2 = (int(n) for n in rng.choice([2, 3, 4, 5, 8, 9], size=2))
        points = int(rng.integers(5, 40))
        network = logistic_network(n1, n2, rng)
        cases.append(Case(f"random-{number}", what, f"for a {n1}-{n2} network on {points} random points",
                          function, (("x", rng.uniform(0, 1, (1, points))), ("y", rng.uniform(0.1, 0.9, (2, points)))),
                          given="logistic network", network=network, hint=HARD_CODED_HINT))
    return cases


def probe_cases(grade_id, seed, load):
    """The cases of one test cell: the same list wherever it is built from the same seed and data.

    ``load(name)`` gives the data: BACKPROP_CSV or HEART, as (x, y).
    """
    rng = np.random.default_rng(seed)
    for builder in (_chain_rule_cases, _curve_cases):
        cases = builder(grade_id, rng, load)
        if cases is not None:
            return cases
    raise KeyError(f"no probe cases for test cell {grade_id!r}")


def sine_network(W, x):
    """chain_rule's given forward pass (a1, a2, y_pred), with sin as the activation."""
    a1 = x * W[0]
    a2 = np.sin(a1) * W[1]
    return a1, a2, np.sin(a2)


class CountedCalls:
    """A given function that counts its calls: how often a student's answer ran the forward pass."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


def given_code(given, parameters=None):
    """{name: object} of the notebook's given code to put in place while a student's function runs.

    ``given``: a Case's ``given``. ``parameters``: for "logistic network",
    the copy of the network that the student's code sees.
    """
    activation = {"A": np.sin, "der_A": np.cos}
    if given == "activation":
        return activation
    if given == "sine network":
        return dict(activation, neural_network=CountedCalls(sine_network))
    if given == "logistic network":
        return logistic_given_code(parameters)
    return {}


def encode_result(value):
    """What a student's function returned, as a record's ``result``: plain JSON data, never a pickle.

    Non-finite numbers are sent as null (JSON has no NaN); an array of more
    than MAX_PROBE_ENTRIES numbers is reported by its shape only.
    """
    if value is None:
        return {"kind": "none"}
    if callable(value) and not isinstance(value, np.ndarray):
        return {"kind": "function"}
    if isinstance(value, (str, bytes)):
        return {"kind": "text"}
    if isinstance(value, dict):
        return {"kind": "dict"}
    try:
        array = np.array(value, dtype=np.float64)
    except Exception as error:  # whatever the object does when converted, it is not numbers
        return {"kind": "not_numbers", "type": type(value).__name__, "detail": str(error)}
    if array.size > MAX_PROBE_ENTRIES:
        return {"kind": "too_big", "shape": list(array.shape)}
    return {"kind": "array", "shape": list(array.shape),
            "data": [number if math.isfinite(number) else None for number in array.ravel().tolist()]}


def _copy(value):
    if isinstance(value, list):
        return [np.array(item) for item in value]
    return np.array(value)


def observe(case, namespace):
    """Run one case in the notebook's namespace; return its record (without the cell's id)."""
    record = {"probe": case.probe}
    if case.variable:
        record["result"] = encode_result(namespace[case.variable]) if case.variable in namespace \
            else {"kind": "missing"}
        return record
    function = namespace.get(case.function)
    if function is None:
        record["result"] = {"kind": "missing"}
        return record
    arguments = [_copy(value) for _, value in case.args]
    parameters = {name: np.array(value) for name, value in (case.network or {}).items()}
    given = given_code(case.given, parameters)
    forward = next((value for value in given.values() if isinstance(value, CountedCalls)), None)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()), \
                substituted(namespace, **given):
            warnings.simplefilter("ignore")
            value = function(*arguments, **case.kwargs)
        record["result"] = encode_result(value)
    except KeyboardInterrupt:  # the cell's time limit: stop probing
        raise
    except BaseException as error:  # the student's exception (SystemExit too) is their answer
        text = str(error)
        record["result"] = {"kind": "raised", "detail": type(error).__name__ + (f": {text}" if text else "")}
    record["mutated"] = [name for (name, original), argument in zip(case.args, arguments)
                         if not _same(original, argument)]
    record["mutated"] += [name for name, value in parameters.items() if not np.array_equal(value, case.network[name])]
    if forward is not None:
        record["forward_passes"] = forward.calls
    return record


def _same(original, argument):
    if isinstance(original, list):
        return len(original) == len(argument) and all(map(np.array_equal, original, argument))
    return np.array_equal(original, argument)


def emit_record(record):
    """Send one record to the notebook's outputs (nothing happens outside a Jupyter kernel)."""
    try:
        from IPython.display import publish_display_data
    except ImportError:
        return
    publish_display_data({PROBE_MIME: json.loads(json.dumps(record, allow_nan=False))})


def load_shipped_data(name):
    """The data files shipped beside the notebook, read from its folder."""
    if name == BACKPROP_CSV:
        return read_backprop_csv(BACKPROP_CSV)
    if name == HEART:
        from curve_training import training_data
        return training_data()
    raise KeyError(name)


def run_probes(grade_id, namespace, seed):
    """The hidden part of a test cell: probe every case and emit one record per case.

    Never raises for the student's mistakes: what happened is in the records.
    """
    try:
        cases = probe_cases(grade_id, seed, load_shipped_data)
    except Exception as error:  # e.g. a data file deleted by the notebook
        emit_record({"cell": grade_id, "probe": "inputs", "result": {
            "kind": "no_inputs", "detail": f"{type(error).__name__}: {error}"}})
        return
    for case in cases:
        emit_record(dict(observe(case, namespace), cell=grade_id))
