"""curve_backprop's checks: its visible self-checks, the cases its hidden tests probe, and its given code.

Shipped beside the notebook as ``gradecheck/__init__.py``, with the check
core and the probe protocol beside it (``.core``, ``.probes``). The grader
loads this same file to build the same cases. Nothing here is a reference
answer: the network below repeats the notebook's *given* code (sigma,
d_sigma, network_function, cost), so that a test never relies on a name the
student could have redefined.
"""
import functools
import importlib.util
from pathlib import Path

import numpy as np

from .core import (CheckFailed, as_float_array, central_difference, expect_close, expect_shape, expect_unchanged,
                   quietly, same_values_elsewhere, substituted)
from .diagnosis import HARD_CODED_HINT, diagnose, method_message, mismatch, relative_error
from .probes import Case, run, seeded

# What the notebook imports from gradecheck.
__all__ = ["report_jacobians", "expect_jacobian_matches_differences", "expect_shape", "quietly", "run_probes"]

HEART = "heart"


def load_data(name, folder="."):
    """The heart of the helper module shipped beside the notebook, from ``folder``: the notebook's
    (the kernel's working folder) or the course's source folder (the grader's)."""
    if name != HEART:
        raise KeyError(name)
    spec = importlib.util.spec_from_file_location("curve_training", Path(folder) / "curve_training.py")
    helper = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helper)
    return helper.training_data()


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


def logistic_forward(network, a0, activation=logistic):
    """a0, z1, a1, z2, a2, z3, a3 of the network for inputs a0 of shape (1, N)."""
    values = [a0]
    for layer in "123":
        z = network["W" + layer] @ values[-1] + network["b" + layer]
        values += [z, activation(z)]
    return tuple(values)


def logistic_cost(network, x, y, activation=logistic):
    """||a3 - y||_F^2 / N."""
    return float(np.sum((logistic_forward(network, x, activation)[-1] - y) ** 2) / x.shape[1])


def read_only(array):
    view = np.asarray(array).view()
    view.setflags(write=False)
    return view


def given_network(network, activation=logistic, slope=logistic_slope):
    """The notebook's given code over ``network`` (its parameters): sigma, d_sigma, network_function and
    cost, to put in a notebook's namespace (with another activation and slope for a method probe).

    The forward pass's arrays are read-only: training shares one forward pass among the six Jacobians,
    so a Jacobian that changes one in place (a3 -= y) spoils the others.
    """
    def network_function(a0):
        return tuple(read_only(value) for value in logistic_forward(network, a0, activation))
    return dict(sigma=activation, d_sigma=slope, network_function=network_function,
                cost=lambda x_, y_: logistic_cost(network, x_, y_, activation))


# Known mistakes: the Jacobian that the chain rule gives when a layer's slope
# d_sigma(z) is replaced by something else. Each is found by differences of
# the cost with every activation frozen to a straight line of that wrong
# slope through the forward pass's own point, so nothing here is an answer.
# The cost of that frozen network is quadratic in any one parameter, so
# central differences give it exactly, up to rounding.

WRONG_SLOPES = {
    "sigma": (lambda z, a: a, "multiplies by sigma(z{k}) where the slope d_sigma(z{k}) belongs"),
    "none": (lambda z, a: np.ones_like(z), "leaves out the slope d_sigma(z{k})"),
    "at a": (lambda z, a: logistic_slope(a), "takes the slope at a{k}, d_sigma(a{k}), where it belongs at z{k}"),
}
LAYERS_BEHIND = {"3": "3", "2": "32", "1": "321"}  # the layers whose slopes the chain passes through


def frozen_slopes_jacobian(network, x, y, name, slope_of_layer):
    """dC/d<name> by the chain rule with layer k's slope given by ``slope_of_layer[k](z, a)``."""
    network = {key: np.array(value, dtype=np.float64) for key, value in network.items()}  # nudged below
    values = logistic_forward(network, x)
    points = {layer: (values[2 * int(layer) - 1], values[2 * int(layer)]) for layer in "123"}
    slopes = {layer: slope_of_layer.get(layer, lambda z, a: logistic_slope(z))(*points[layer]) for layer in "123"}

    def frozen_cost():
        a = x
        for layer in "123":
            z0, a0 = points[layer]
            a = a0 + slopes[layer] * (network["W" + layer] @ a + network["b" + layer] - z0)
        return float(np.sum((a - y) ** 2) / x.shape[1])

    return central_difference(frozen_cost, [network[name]])[0]


def jacobian_mistakes(name, network, x, y):
    """{description: value} of J_<name> with a wrong slope in one layer it passes through, or in all."""
    layers = LAYERS_BEHIND[name[1:]]
    mistakes = {}
    for slope, words in WRONG_SLOPES.values():
        for layer in layers:
            mistakes[words.format(k=layer)] = frozen_slopes_jacobian(network, x, y, name, {layer: slope})
        if len(layers) > 1:
            mistakes[words.format(k="") + ", in every layer"] = frozen_slopes_jacobian(
                network, x, y, name, dict.fromkeys(layers, slope))
    return mistakes


def known_mistakes(function, args, kwargs=None, parameters=None):
    """{description: value} of the known wrong answers of ``function`` (J_<name>) at ``args`` (x, y) for
    the network ``parameters``: a wrong slope in a layer (``jacobian_mistakes``)."""
    if parameters is None or not function.startswith("J_"):
        return {}
    return jacobian_mistakes(function[2:], parameters, *args)


# Method probes: the Jacobian again, on a network whose activation is bent
# (sigma(z)/2 + 1/4) and whose given d_sigma is scaled, so that it is not the
# bent activation's slope. A Jacobian built by the chain rule from d_sigma,
# from sigma(z)(1 - sigma(z)) or from a(1 - a) changes with them as the
# chain rule says; an estimate by differences of the cost gives the bent
# network's own gradient instead (or, through code of its own, the old one).

def bent_logistic(z):
    return logistic(z) / 2 + 1 / 4


def bent_network(slope_scale, network):
    """given_network with the bent activation and d_sigma scaled by ``slope_scale``."""
    return given_network(network, bent_logistic, lambda z: slope_scale * logistic_slope(z))


METHOD_CHANGED = "sigma bent and d_sigma scaled"


def run_with_network(namespace, function, network, x, y, given=None):
    """Call a student's Jacobian ``function(x, y)`` on a trusted network.

    The network's arrays and the trusted sigma, d_sigma, network_function and
    cost (``given``, by default ``given_network``'s) are put in the notebook's
    namespace for the call, then the student's own are put back. Fails if the
    function changed any parameter.
    """
    before = {name: value.copy() for name, value in network.items()}
    what = f"{getattr(function, '__name__', 'the Jacobian')}(x, y)"
    with quietly(what), substituted(namespace, **network, **(given or given_network(network))):
        result = function(x.copy(), y.copy())
    for name in network:
        expect_unchanged(what, name, [network[name]], [before[name]])
    return result


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
            expect_close(what, got, slopes, where=where, hint=hint,
                         mistakes=functools.partial(known_mistakes, "J_" + name, data, parameters=network))
        except CheckFailed as failure:
            later = [(other_where, functools.partial(run_with_network, namespace, function, other, *other_data))
                     for other, other_data, other_where, _ in looks[index + 1:]]
            raise CheckFailed(same_values_elsewhere(what, got, where, later) or str(failure)) from None
    # Right values; now the method, on the smaller network (see bent_network).
    network, data, where, _ = looks[-1]
    changed = as_float_array(what, run_with_network(namespace, function, network, *data,
                                                    given=bent_network(3.0, network)))
    for activation, how in ((logistic, "same"), (bent_logistic, "estimate")):
        estimate = central_difference(lambda: logistic_cost(network, *data, activation), [network[name]])[0]
        if mismatch(changed, estimate) is None:
            raise CheckFailed(method_message(what, where, METHOD_CHANGED, how))


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


def _cases(grade_id, rng, load):
    function = grade_id[len("test_"):]
    if function not in ("J_b3", "J_b2", "J_W1", "J_b1"):
        return None
    what = f"{function}(x, y)"
    x, y = load(HEART)
    own = logistic_network(6, 7, np.random.RandomState(310))
    cases = [Case("seed-310", what, "for the seed-310 network on the heart data", function,
                  (("x", x), ("y", y)), given=given_network, parameters=own)]
    cases.append(Case("smaller", what, f"at a 1-3-4-2 network on every {SMALLER_EVERY}th example", function,
                      (("x", x[:, ::SMALLER_EVERY].copy()), ("y", y[:, ::SMALLER_EVERY].copy())),
                      given=given_network, parameters=smaller_network(), hint=HARD_CODED_HINT))
    for number in (1, 2):
        # Never the default sizes 6 and 7, so an answer that assumes them fails.
        n1, n2 = (int(n) for n in rng.choice([2, 3, 4, 5, 8, 9], size=2))
        points = int(rng.integers(5, 40))
        network = logistic_network(n1, n2, rng)
        cases.append(Case(f"random-{number}", what, f"for a {n1}-{n2} network on {points} random points",
                          function, (("x", rng.uniform(0, 1, (1, points))), ("y", rng.uniform(0.1, 0.9, (2, points)))),
                          given=given_network, parameters=network, hint=HARD_CODED_HINT,
                          where_for_class="for another network and data"))
    # The method, at a network whose layers have sizes of their own (n1, n2 and 2 all differ).
    n1, n2 = (int(n) for n in rng.choice([3, 4, 5, 6], size=2, replace=False))
    points = int(rng.integers(5, 40))
    cases.append(Case("method", what, f"for a {n1}-{n2} network on {points} random points", function,
                      (("x", rng.uniform(0, 1, (1, points))), ("y", rng.uniform(0.1, 0.9, (2, points)))),
                      given=functools.partial(bent_network, float(rng.uniform(1.5, 3))),
                      parameters=logistic_network(n1, n2, rng), where_for_class="for another network and data",
                      method=METHOD_CHANGED))
    return cases


probe_cases = seeded(_cases)


def run_probes(grade_id, namespace, seed):
    """The hidden part of a test cell: probe its cases in the notebook's namespace, emitting records."""
    run(grade_id, namespace, lambda: probe_cases(grade_id, seed, load_data))
