"""chain_rule's checks: its visible self-checks, the cases its hidden tests probe, and its given code.

Shipped beside the notebook as ``gradecheck/__init__.py``, with the check
core and the probe protocol beside it (``.core``, ``.probes``). The grader
loads this same file to build the same cases. Nothing here is a reference
answer: the given code repeats what the notebook gives (A is sin, its slope
is cos, the forward pass), so a test never relies on a name the student
could have redefined.
"""
import functools
import numbers
from pathlib import Path

import numpy as np

from .changes import KINK_SLOPE, apart, kinked, module_with, scaled
from .core import (CheckFailed, as_float_array, central_difference, expect_close, expect_column, expect_unchanged,
                   quietly, slope_by_differences, substituted)
from .diagnosis import HARD_CODED_HINT, method_message, mismatch, relative_error
from .probes import Case, run, seeded

# What the notebook imports from gradecheck.
__all__ = ["relative_error", "expect_close", "expect_column", "expect_unchanged", "known_mistakes", "quietly",
           "substituted", "slope_by_differences", "expect_dldw_matches_differences",
           "expect_dldw_tied_matches_differences", "expect_slope_by_rules",
           "run_probes"]

BACKPROP_CSV = "backprop.csv"


def read_backprop_csv(path):
    """x and y of backprop.csv as (N, 1) columns (the same parse on both sides of a probe)."""
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return table[:, :1].copy(), table[:, 1:2].copy()


def load_data(name, folder="."):
    """The data shipped beside the notebook, read from ``folder``: the notebook's (the kernel's
    working folder) or the course's source folder (the grader's)."""
    if name != BACKPROP_CSV:
        raise KeyError(name)
    return read_backprop_csv(Path(folder) / BACKPROP_CSV)


def sine_network(W, x):
    """The given forward pass (a1, a2, y_pred), with sin as the activation."""
    a1 = x * W[0]
    a2 = np.sin(a1) * W[1]
    return a1, a2, np.sin(a2)


def sine_loss(W, x, y):
    """The given loss: the mean squared error of the sine network."""
    return float(np.mean((sine_network(W, x)[2] - y) ** 2))


def tied_loss(w, x, y):
    """The loss with one weight ``w`` in both places (w1 = w2 = w)."""
    return sine_loss([w, w], x, y)


def given_activation(_parameters=None):
    return {"A": np.sin, "der_A": np.cos}


def given_network(_parameters=None):
    """The given activation and forward pass."""
    return dict(given_activation(), neural_network=sine_network)


# Method probes: the same call again, with pieces of the computation changed.
# A derivative built from the pieces changes with them; an estimate by finite
# differences (of the loss, or of A) gives what differences of the changed
# network give instead.

def kinked_activation(points, slope_scale=None, _parameters=None):
    """A, and numpy's sin as the notebook's ``np`` sees it, kinked at ``points`` (``changes.kinked``): a
    slope by differences of sin finds the kink, while sin's values, even shifted (cos(x) = sin(x + pi/2)),
    stay sin's. With ``slope_scale``, der_A is scaled too, so that a slope built from it follows."""
    sine = kinked(np.sin, points)
    return {"A": sine, "np": module_with(np, sin=sine),
            **({"der_A": lambda z: slope_scale * np.cos(z)} if slope_scale else {})}


def kink_points(rng, shape):
    """Random probe points (scale 3), apart also when moved by a quarter turn."""
    return apart(lambda: rng.normal(scale=3, size=shape), shifts=(-np.pi / 2, np.pi / 2))


PIECES_SCALED = "your dldy, dyda, dhda, dadh, dadw1, dadw2 and der_A scaled"
# Which factor scales each piece: dhda and dyda are both der_A, so students use any of the three for
# either slope. der_A is the given one, scaled: a mistake in the student's own is charged to der_A alone.
FACTOR_OF = {"dldy": 0, "dyda": 1, "dhda": 1, "der_A": 1, "dadh": 2, "dadw1": 3, "dadw2": 3}
VISIBLE_FACTORS = (2.0, 3.0, 5.0, 7.0)


def scaled_pieces(factors, namespace):
    """The notebook's own pieces of dldw (those defined) and the given der_A, scaled point by point
    (``changes.scaled``)."""
    pieces = {**namespace, **given_activation()}
    return scaled({name: (pieces[name], factors[index]) for name, index in FACTOR_OF.items()
                   if callable(pieces.get(name))})


def known_mistakes(function, args, kwargs=None, _parameters=None):
    """{description: value} of the known wrong answers of a chain_rule piece at ``args``.

    They name a mistake that a value matches; they hold nothing that the
    notebook does not already say (A is sin, its slope is cos).
    """
    if function == "A":
        return {"is cos, not sin": np.cos(args[0])}
    if function == "der_A":
        return {"is sin; the derivative of sin is cos": np.sin(args[0])}
    if function == "dadw1":
        return {"is A(x); da1/dw1 is the input x itself, before any activation": np.sin(args[0])}
    if function == "dadw2":
        return {"is a1 itself; apply the activation: h1 = A(a1)": args[0],
                "is A'(a1); da2/dw2 is h1 = A(a1), not its slope": np.cos(args[0])}
    if function in ("dhda", "dyda"):
        return {"is A(a) instead of the slope der_A(a)": np.sin(args[0])}
    if function == "dldw_tied":
        x, y = args[1], args[2]
        uses = [np.array(args[0], dtype=np.float64) for _ in range(2)]  # w1 and w2 of the untied loss, both w
        first, second = (slope.item() for slope in central_difference(lambda: sine_loss(uses, x, y), uses))
        return {"has only the path through a2 = h1 w, w's second use; add the path through a1 = x w": second,
                "has only the path through a1 = x w, w's first use; add the path through a2 = h1 w": first,
                "is the mean of the two paths' gradients; where a value is used twice, they add":
                (first + second) / 2}
    if function == "dldw":
        weights, x, y = [np.array(w, dtype=np.float64) for w in args[0]], args[1], args[2]
        flat = np.asarray(y).reshape(1, -1)  # y of shape (N,): y_pred - y broadcasts to (N, N)
        slopes = central_difference(lambda: float(np.mean((sine_network(weights, x)[2] - flat) ** 2)), weights)
        return {"is what a y of shape (N,) gives: y_pred - y broadcasts to an (N, N) matrix; keep y a column "
                "(N, 1), with y.reshape(-1, 1) rather than y.ravel()": [slope.item() for slope in slopes]}
    return {}


def pair_problem(what, values):
    """Why the array ``values`` is not two numbers [dL/dw1, dL/dw2] (None if it is)."""
    if values.ndim == 0:
        return f"{what} returned one number; expected two, [dL/dw1, dL/dw2]"
    if values.size != 2 or len(values) != 2:
        return (f"{what} returned {len(values)} item(s) of shape {values.shape}; expected two numbers, "
                "[dL/dw1, dL/dw2]. Did you forget to take the mean over the data points?")
    return None


def pair_of_numbers(what, values):
    """The answer ``values`` (an array) as two numbers, or CheckFailed saying why it is not."""
    problem = pair_problem(what, values)
    if problem:
        raise CheckFailed(problem)
    return values.reshape(2)


def one_number(what, values):
    """The answer ``values`` (an array) as one number, or CheckFailed saying why it is not."""
    if values.size != 1:
        raise CheckFailed(f"{what} returned {values.size} numbers of shape {values.shape}; expected one number, "
                          "dL/dw. Did you forget to take the mean over the data points?")
    return values.reshape(())


def expect_pair_of_numbers(what, got):
    """Fail unless ``got`` is a sequence of exactly two numbers; return them as floats."""
    if isinstance(got, numbers.Number):
        got = np.float64(got)
    return pair_of_numbers(what, as_float_array(what, got))


GRADIENT_ENTRIES = ("dL/dw1", "dL/dw2")
PIECES_FIRST_HINT = "{function} calls your pieces: if one of their tests above failed, fix that first."


# The tied weight of the visible test of dldw_tied, and of its first hidden case.
TIED_WEIGHT = 0.8

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
    weights = [np.array(w, dtype=np.float64) for w in W]
    _expect_gradient_matches_differences(
        namespace, "dldw", "dldw(W, x, y)", "W", weights, lambda copies: copies, lambda data: sine_loss(weights, *data),
        lambda got: expect_pair_of_numbers("dldw(W, x, y)", got), "the notebook's W", every, GRADIENT_ENTRIES)


def expect_dldw_tied_matches_differences(namespace, w, every=SUBSET_EVERY):
    """Fail unless the notebook's ``dldw_tied`` agrees with central differences of the tied loss
    L(w, w), at the weight ``w`` on backprop.csv, as ``expect_dldw_matches_differences`` checks dldw."""
    weight = np.array(w, dtype=np.float64)
    _expect_gradient_matches_differences(
        namespace, "dldw_tied", "dldw_tied(w, x, y)", "w", [weight], lambda copies: copies[0],
        lambda data: tied_loss(weight, *data),
        lambda got: one_number("dldw_tied(w, x, y)", as_float_array("dldw_tied(w, x, y)", got)),
        f"w = {weight.item():g}", every)


def _expect_gradient_matches_differences(namespace, function, what, argument, arrays, pack, loss_at, normalize, at,
                                         every, names=()):
    """The visible check of a gradient ``function(pack(arrays), x, y)``: its values against central
    differences of ``loss_at(data)`` in ``arrays``, on all of backprop.csv and on every ``every``-th
    point; then its method, with the student's pieces scaled. Each call gets copies of ``arrays``."""
    x, y = load_data(BACKPROP_CSV)

    def call(data, **changed):
        copies = [array.copy() for array in arrays]
        with quietly(what), substituted(namespace, **{**given_network(), **changed}):
            got = namespace[function](pack(copies), *data)
        expect_unchanged(what, argument, copies, arrays)
        return normalize(got)

    # Wrong on all points: a piece may be to blame. Right there but wrong on
    # the subset: the answer does not use its arguments.
    pieces_first = PIECES_FIRST_HINT.format(function=function)
    for rows, where, hint in (
            (slice(None), f"at {at} on all {len(x)} points of {BACKPROP_CSV}", pieces_first),
            (slice(None, None, every), f"at {at} on every {every}th point only", HARD_CODED_HINT)):
        data = (x[rows].copy(), y[rows].copy())
        got = call(data)
        slopes = central_difference(lambda: loss_at(data), arrays)
        expect_close(what, got, np.reshape([slope.item() for slope in slopes], got.shape), where=where, hint=hint,
                     names=names, mistakes=functools.partial(known_mistakes, function, [pack(arrays), *data]))
    # Right values; now the method. With each piece scaled, a gradient built from the pieces changes.
    if mismatch(call(data, **scaled_pieces(VISIBLE_FACTORS, namespace)), got) is None:
        raise CheckFailed(method_message(what, f"at {at} on every {every}th point", PIECES_SCALED, "same"))


SLOPE_CHANGED = "the slope of sin (A and np.sin) changed at those points"


def expect_slope_by_rules(namespace, name, column):
    """Fail if the notebook's ``name`` (der_A, dhda or dyda) estimates its slope by differences of sin.

    A and np.sin are kinked at the points of ``column`` for the call
    (``kinked_activation``), and for dhda and dyda der_A is scaled: a slope by
    the rules is cos, or follows der_A; one by differences finds the kink.
    """
    argument = "z" if name == "der_A" else "a"
    what = f"{name}({argument})"
    column = np.array(column, dtype=np.float64)
    changed = kinked_activation(column, None if name == "der_A" else 3.0)
    with quietly(what), substituted(namespace, **changed):
        got = as_float_array(what, namespace[name](column.copy()))
    if mismatch(got, np.cos(column) + KINK_SLOPE) is None:
        shown = "[" + ", ".join(f"[{value:g}]" for value in column.ravel()) + "]"
        raise CheckFailed(method_message(what, f"at {argument} = {shown}", SLOPE_CHANGED, "estimate"))


# Where the visible tests measure the slope of sin by central differences.
VISIBLE_SLOPE_POINTS = np.array([[-2.0], [0.0], [1.0]])


def _column(rng, size, low, high):
    return rng.uniform(low, high, size=(size, 1))


def _cases(grade_id, rng, load):
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
        cases = [case("visible", shown, function, [("x", visible)]),
                 case("random", f"{function}(z) for a random {rows}x{columns} array z", function, [("z", z)])]
        if function == "der_A":
            z = kink_points(rng, (int(rows), 1))
            cases.append(case("method", f"{function}(z)", function, [("z", z)], "at random points z",
                              given=functools.partial(kinked_activation, z), method=SLOPE_CHANGED))
        return cases
    if grade_id in ("test_dadw1", "test_dadw2"):
        function = grade_id[len("test_"):]
        argument = "x" if function == "dadw1" else "a1"
        column = np.array([[0.0], [2.0]])
        a = _column(rng, int(rng.integers(3, 10)), -4, 4)
        more = dict(given=given_activation)
        return [case("visible", f"{function}({argument}) at {argument} = [[0], [2]]", function, [(argument, column)],
                     **more),
                case("random", f"{function}({argument})", function, [(argument, a)], random_where, **more)]
    if grade_id in ("test_dhda", "test_dyda"):
        function = grade_id[len("test_"):]
        a = _column(rng, int(rng.integers(3, 10)), -4, 4)
        kinks = kink_points(rng, (int(rng.integers(3, 10)), 1))
        return [case("visible", f"{function}(a) at a = [[-2], [0], [1]]", function, [("a", VISIBLE_SLOPE_POINTS)],
                     given=given_activation),
                case("random", f"{function}(a)", function, [("a", a)], random_where, given=given_activation),
                case("method", f"{function}(a)", function, [("a", kinks)], "at random points a",
                     method=SLOPE_CHANGED + ", and der_A scaled",
                     given=functools.partial(kinked_activation, kinks, float(rng.uniform(1.5, 3))))]
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
        answer = dict(given=given_network, normalize=pair_of_numbers, entries=GRADIENT_ENTRIES)
        cases = [case("seed-310", what, "dldw", [("W", weights), ("x", x), ("y", y)],
                      "at seed 310 on backprop.csv", **answer),
                 case("every-7th", what, "dldw", [("W", weights), ("x", x[::SUBSET_EVERY].copy()),
                                                  ("y", y[::SUBSET_EVERY].copy())],
                      f"at seed 310 on every {SUBSET_EVERY}th point of backprop.csv", hint=HARD_CODED_HINT, **answer)]
        for number in (1, 2):
            size = int(rng.integers(5, 80))
            weights = [rng.normal(size=(1, 1)), rng.normal(size=(1, 1))]
            cases.append(case(f"random-{number}", what, "dldw", [("W", weights), ("x", _column(rng, size, -3, 3)),
                                                            ("y", _column(rng, size, 0, 1))],
                              f"at random weights and {size} random points", hint=HARD_CODED_HINT,
                              where_for_class="at random weights and random data", **answer))
        # The last random inputs again, with each of the student's pieces scaled by a factor of its own.
        factors = tuple(float(factor) for factor in rng.permutation(VISIBLE_FACTORS))  # one per FACTOR_OF index
        cases.append(case("method", what, "dldw", cases[-1].args, "at random weights and random data",
                          method=PIECES_SCALED, changes=functools.partial(scaled_pieces, factors), **answer))
        return cases
    if grade_id == "test_dldw_tied":
        return _tied_cases(rng, load, case)
    return None


def _tied_cases(rng, load, case):
    x, y = load(BACKPROP_CSV)
    what = "dldw_tied(w, x, y)"
    answer = dict(given=given_network, normalize=one_number)
    cases = [case("visible-w", what, "dldw_tied", [("w", np.array([[TIED_WEIGHT]])), ("x", x), ("y", y)],
                  f"at w = {TIED_WEIGHT:g} on backprop.csv", hint=PIECES_FIRST_HINT.format(function="dldw_tied"),
                  **answer)]
    for number in (1, 2):
        size = int(rng.integers(5, 80))
        cases.append(case(f"random-{number}", what, "dldw_tied",
                          [("w", rng.normal(size=(1, 1))), ("x", _column(rng, size, -3, 3)),
                           ("y", _column(rng, size, 0, 1))],
                          f"at a random w and {size} random points", hint=HARD_CODED_HINT,
                          where_for_class="at a random w and random data", **answer))
    factors = tuple(float(factor) for factor in rng.permutation(VISIBLE_FACTORS))
    cases.append(case("method", what, "dldw_tied", cases[-1].args, "at a random w and random data",
                      method=PIECES_SCALED, changes=functools.partial(scaled_pieces, factors), **answer))
    return cases


probe_cases = seeded(_cases)


def run_probes(grade_id, namespace, seed):
    """The hidden part of a test cell: probe its cases in the notebook's namespace, emitting records."""
    run(grade_id, namespace, lambda: probe_cases(grade_id, seed, load_data))
