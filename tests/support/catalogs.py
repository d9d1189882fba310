"""The fixture submissions of each assignment and what each must score.

``loses`` lists the test cells that must lose their points; every other test
cell must keep all of its points. See ``submissions`` for how they are built.
``make fixtures`` (``python -m support.catalogs`` in tests/) writes them
under tests/fixtures/ after a source change.
"""
import json
import shutil
from pathlib import Path

import nbformat

from backprop_course import REPO_ROOT
from support import ASSIGNMENTS

from .submissions import (BASELINE, EQUIVALENT, FIXTURES_DIR, MISTAKE, Edit, Fixture, build_submission,
                          fixture_notebook_path)

CHAIN_RULE = (
    Fixture("reference", "the reference solution", kind=BASELINE),
    Fixture("blank", "the release as handed out, nothing filled in", blank=True, kind=BASELINE),
    Fixture(
        "y_not_column",
        "y loaded with shape (N,): y_pred - y broadcasts to (N, N)",
        (Edit("load_data", "y = y.reshape(-1, 1)", "y = y"),),
        frozenset({"test_data_loaded_as_columns"}),
        message="must be a column",
    ),
    Fixture(
        "gradient_order_swapped",
        "dldw returns [dL/dw2, dL/dw1], the original's order",
        (Edit("gradient", "return [float(dl_dw1), float(dl_dw2)]",
              "return [float(dl_dw2), float(dl_dw1)]"),),
        frozenset({"test_dldw"}),
        message="wrong order (swapped)",
    ),
    Fixture(
        "missing_factor_2",
        "dldy forgets the factor 2 of the square's derivative",
        (Edit("partial_derivatives", "return 2 * (y_pred - y)", "return y_pred - y"),),
        frozenset({"test_dldy", "test_dldw", "test_dldw_tied"}),
        message="factor of 1/2",
    ),
    Fixture(
        "sign_flipped",
        "dldy computes 2 (y - y_pred): every gradient has the wrong sign",
        (Edit("partial_derivatives", "return 2 * (y_pred - y)", "return 2 * (y - y_pred)"),),
        frozenset({"test_dldy", "test_dldw", "test_dldw_tied"}),
        message="sign flipped",
    ),
    Fixture(
        "sin_cos_swapped",
        "A is cos and der_A is sin",
        (Edit("activation", 'sin, applied element-wise. x: array of any shape."""\n    return np.sin(x)',
              'sin, applied element-wise. x: array of any shape."""\n    return np.cos(x)'),
         Edit("activation", 'activation, applied element-wise. x: array of any shape."""\n    return np.cos(x)',
              'activation, applied element-wise. x: array of any shape."""\n    return np.sin(x)')),
        frozenset({"test_A", "test_der_A"}),
        message="is cos, not sin",
    ),
)

CURVE_BACKPROP = (
    Fixture("reference", "the reference solution", kind=BASELINE),
    Fixture("blank", "the release as handed out, nothing filled in", blank=True, kind=BASELINE),
    Fixture(
        "missing_transpose",
        "J_W1 carries delta2 back through W2 instead of W2.T",
        (Edit("answer_J_W1", "delta1 = (W2.T @ delta2)", "delta1 = (W2 @ delta2)"),),
        frozenset({"test_J_W1"}),
        message="is a transpose missing",
    ),
    Fixture(
        "sigma_for_d_sigma",
        "J_b2 multiplies by sigma(z2) where the slope d_sigma(z2) belongs",
        (Edit("answer_J_b2", "delta2 = (W3.T @ delta3) * d_sigma(z2)", "delta2 = (W3.T @ delta3) * sigma(z2)"),),
        frozenset({"test_J_b2"}),
        message="multiplies by sigma(z2) where the slope d_sigma(z2) belongs",
    ),
    Fixture(
        "no_division_by_N",
        "J_b3 sums over the examples but forgets to divide by N",
        (Edit("answer_J_b3", "np.sum(delta3, axis=1, keepdims=True) / x.shape[1]",
              "np.sum(delta3, axis=1, keepdims=True)"),),
        frozenset({"test_J_b3"}),
        message="missing division by N",
    ),
    Fixture(
        "wrong_sum_axis",
        "J_b1 sums over the neurons (axis 0) instead of the examples",
        (Edit("answer_J_b1", "np.sum(delta1, axis=1, keepdims=True)", "np.sum(delta1, axis=0, keepdims=True)"),),
        frozenset({"test_J_b1"}),
        message="shape (1, 100), expected (6, 1)",
    ),
    Fixture(
        "keepdims_missing",
        "J_b2 returns shape (n2,) instead of (n2, 1)",
        (Edit("answer_J_b2", "np.sum(delta2, axis=1, keepdims=True)", "np.sum(delta2, axis=1)"),),
        frozenset({"test_J_b2"}),
        message="keepdims?",
    ),
    Fixture(
        "chain_stopped_early",
        "J_W1 stops one factor short: no slope d_sigma(z1) of layer 1",
        (Edit("answer_J_W1", "delta1 = (W2.T @ delta2) * d_sigma(z1)", "delta1 = W2.T @ delta2"),),
        frozenset({"test_J_W1"}),
    ),
    Fixture(
        "W2_for_W3",
        "J_b1 carries delta3 back through W2 where W3 belongs",
        (Edit("answer_J_b1", "delta2 = (W3.T @ delta3)", "delta2 = (W2.T @ delta3)"),),
        frozenset({"test_J_b1"}),
        message="wrong layer's array",
    ),
)

# Redefining a given helper must not make a wrong Jacobian look right: the
# tests call each Jacobian with trusted helpers in place of the student's.
CURVE_BACKPROP += (
    Fixture(
        "redefined_d_sigma",
        "J_b3 drops the factor 2 and hides it in a redefined d_sigma that is twice too big",
        (Edit("answer_J_b3", "delta3 = 2 * (a3 - y) * d_sigma(z3)", "delta3 = (a3 - y) * d_sigma(z3)"),
         Edit("answer_J_b3", "return np.sum(delta3, axis=1, keepdims=True) / x.shape[1]",
              "return np.sum(delta3, axis=1, keepdims=True) / x.shape[1]\n\n\n"
              "def d_sigma(z):\n    return 2 / (4 * np.cosh(z / 2) ** 2)")),
        frozenset({"test_J_b3"}),
        message="factor of 1/2",
    ),
)


# --- chain_rule: the wider mistake suite -----------------------------------
# Rule of the tests: each test puts the given code (neural_network) and the
# activation pair (A = sin, der_A = cos) in place, so a wrong A is charged to
# A alone. Everything else a function calls is the student's own, so a wrong
# piece (dadw1, dadw2, dhda, dyda, dadh, dldy) also makes the gradients built from
# the pieces wrong: dldw and dldw_tied (which the reference builds from the
# pieces, not from dldw, so a mistake inside dldw costs dldw alone).

DLDW_BODY = '''    a1, a2, y_pred = neural_network(W, x)
    shared = dldy(y_pred, y) * dyda(a2)
    dl_dw2 = np.mean(shared * dadw2(a1))
    dl_dw1 = np.mean(shared * dadh(W[1]) * dhda(a1) * dadw1(x))
    return [float(dl_dw1), float(dl_dw2)]'''
DHDA_RETURN = '''dh1/da1 at the affine values a (N, 1)."""
    return der_A(a)'''
DYDA_RETURN = '''dy_pred/da2 at the affine values a (N, 1)."""
    return der_A(a)'''
DLDY_RETURN = "return 2 * (y_pred - y)"
DADW1_RETURN = '''da1/dw1 at the network inputs x (N, 1)."""
    return x'''
DLDW_RESULT = "return [float(dl_dw1), float(dl_dw2)]"
TIED_BODY = """    a1, a2, y_pred = neural_network([w, w], x)
    upstream = dldy(y_pred, y) * dyda(a2)
    through_a2 = upstream * dadw2(a1)                                      # w's second use
    through_a1 = upstream * dadh(w) * dhda(a1) * dadw1(x)   # w's first use
    return float(np.mean(through_a1 + through_a2))                        # the two paths add"""


def _chain_mistake(name, description, cell, old, new, loses, message=""):
    return Fixture(name, description, (Edit(cell, old, new),), frozenset(loses), kind=MISTAKE, message=message)


def _chain_equivalent(name, description, *edits):
    return Fixture(name, description, tuple(edits), kind=EQUIVALENT)


CHAIN_RULE += (
    _chain_mistake("der_A_minus_cos", "der_A returns -cos: a sign error in the derivative",
                   "activation", 'any shape."""\n    return np.cos(x)', 'any shape."""\n    return -np.cos(x)',
                   {"test_der_A"}, message="sign flipped"),
    _chain_mistake("x_not_column", "x left with shape (N,); only y made a column",
                   "load_data", "x = x.reshape(-1, 1)", "x = x", {"test_data_loaded_as_columns"},
                   message="must be a column"),
    _chain_mistake("dadw1_applies_the_activation", "dadw1 returns A(x), as if w1 multiplied an activation",
                   "partial_derivatives", DADW1_RETURN, DADW1_RETURN.replace("return x", "return A(x)"),
                   {"test_dadw1", "test_dldw", "test_dldw_tied"}, message="the input x itself"),
    _chain_mistake("dadw_without_activation", "dadw2(a1) returns a1, forgetting h1 = A(a1)",
                   "partial_derivatives", "    return A(a1)", "    return a1", {"test_dadw2", "test_dldw", "test_dldw_tied"},
                   message="apply the activation"),
    _chain_mistake("dadw2_slope_of_activation", "dadw2(a1) returns the slope der_A(a1) instead of A(a1)",
                   "partial_derivatives", "    return A(a1)", "    return der_A(a1)",
                   {"test_dadw2", "test_dldw", "test_dldw_tied"}, message="not its slope"),
    _chain_mistake("dhda_uses_A", "dhda evaluates the activation, not its slope",
                   "partial_derivatives", DHDA_RETURN, DHDA_RETURN.replace("der_A(a)", "A(a)"),
                   {"test_dhda", "test_dldw", "test_dldw_tied"}, message="instead of the slope"),
    _chain_mistake("dyda_times_two", "dyda doubles the slope: an extra factor 2",
                   "partial_derivatives", DYDA_RETURN, DYDA_RETURN.replace("der_A(a)", "2 * der_A(a)"),
                   {"test_dyda", "test_dldw", "test_dldw_tied"}, message="factor of 2"),
    _chain_mistake("dadh_reads_global_W", "dadh ignores its argument and returns the notebook's W[1]",
                   "partial_derivatives", "    return w\n", "    return W[1]\n", {"test_dadh", "test_dldw", "test_dldw_tied"},
                   message="right for the notebook's own inputs"),
    _chain_mistake("dldy_takes_the_mean", "dldy already averages over the points: one number, not a column",
                   "partial_derivatives", DLDY_RETURN, "return 2 * np.mean(y_pred - y)",
                   {"test_dldy", "test_dldw", "test_dldw_tied"}, message="shape ()"),
    _chain_mistake("dldy_absolute_value", "dldy uses |y_pred - y|, the derivative of another loss",
                   "partial_derivatives", DLDY_RETURN, "return 2 * np.abs(y_pred - y)",
                   {"test_dldy", "test_dldw", "test_dldw_tied"}),
    _chain_mistake("dldw_sum_instead_of_mean", "dldw sums over the points: the gradient of N times the loss",
                   "gradient", "dl_dw2 = np.mean(shared * dadw2(a1))\n    dl_dw1 = np.mean(",
                   "dl_dw2 = np.sum(shared * dadw2(a1))\n    dl_dw1 = np.sum(", {"test_dldw"},
                   message="sum instead of a mean"),
    _chain_mistake("dldw_extra_factor_2", "dldw multiplies by 2 again although dldy already did",
                   "gradient", "shared = dldy(y_pred, y) * dyda(a2)", "shared = 2 * dldy(y_pred, y) * dyda(a2)",
                   {"test_dldw"}, message="factor of 2"),
    _chain_mistake("dldw_slope_at_wrong_point", "dldw evaluates the output slope at a1 instead of a2",
                   "gradient", "shared = dldy(y_pred, y) * dyda(a2)", "shared = dldy(y_pred, y) * dyda(a1)",
                   {"test_dldw"}),
    _chain_mistake("dldw_missing_dadh", "dL/dw1 leaves out the factor da2/dh1 = w2",
                   "gradient", "shared * dadh(W[1]) * dhda(a1)", "shared * dhda(a1)", {"test_dldw"}),
    _chain_mistake("dldw_reads_notebook_y", "dldw ignores its y and reads the notebook's data table",
                   "gradient", "dldy(y_pred, y)", "dldy(y_pred, table['y'].to_numpy().reshape(-1, 1))",
                   {"test_dldw"}, message="raised ValueError"),
    _chain_mistake("dldw_hard_coded", "dldw returns the seed-310 gradient, copied from a printout",
                   "gradient", DLDW_RESULT, "return [-0.0077779005629821825, 0.2788002123149505]",
                   {"test_dldw"}, message="right for the notebook's own inputs"),
    _chain_mistake("dldw_ravels_y", "dldw flattens y with y.ravel(), so y_pred - y broadcasts to an N x N matrix",
                   "gradient", "shared = dldy(y_pred, y) * dyda(a2)", "shared = dldy(y_pred, y.ravel()) * dyda(a2)",
                   {"test_dldw"}, message="broadcasts to an (N, N) matrix"),
    _chain_mistake("dldy_mutates_y_pred", "dldy subtracts y from y_pred in place before doubling it",
                   "partial_derivatives", DLDY_RETURN, "y_pred -= y\n    return 2 * y_pred", {"test_dldy"},
                   message="changed y_pred in place"),
    _chain_mistake("dldw_mutates_W", "dldw takes a gradient step on W while computing the gradient",
                   "gradient", DLDW_RESULT, "W[0] -= 0.1 * dl_dw1\n    " + DLDW_RESULT, {"test_dldw"},
                   message="changed W in place"),
    _chain_mistake("dldw_returns_dict", "dldw returns a dict instead of a list of two numbers",
                   "gradient", DLDW_RESULT, "return {'w1': float(dl_dw1), 'w2': float(dl_dw2)}",
                   {"test_dldw"}, message="returned a dict"),
    _chain_mistake("dldw_no_mean", "dldw returns one value per point, never averaging",
                   "gradient", "dl_dw2 = np.mean(shared * dadw2(a1))\n    dl_dw1 = np.mean(shared * dadh(W[1]) * dhda(a1) * dadw1(x))\n    return [float(dl_dw1), float(dl_dw2)]",
                   "dl_dw2 = shared * dadw2(a1)\n    dl_dw1 = shared * dadh(W[1]) * dhda(a1) * dadw1(x)\n    return [dl_dw1, dl_dw2]",
                   {"test_dldw"}, message="forget to take the mean"),
    Fixture("redefined_loss_to_match",
            "dldy drops the factor 2 and the student redefines loss as half the MSE, so the self-check agrees",
            (Edit("partial_derivatives", DLDY_RETURN, "return y_pred - y"),
             Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\ndef loss(W, x, y):\n"
                  "    return float(np.mean((neural_network(W, x)[2] - y) ** 2) / 2)")),
            frozenset({"test_dldy", "test_dldw", "test_dldw_tied"}), kind=MISTAKE, message="factor of 1/2"),
)

CHAIN_RULE += (
    _chain_equivalent("loop_over_points", "dldw accumulates the chain point by point in a Python loop",
                      Edit("gradient", DLDW_BODY, '''    a1, a2, y_pred = neural_network(W, x)
    total_w1 = total_w2 = 0.0
    for i in range(len(x)):
        upstream = dldy(y_pred[i, 0], y[i, 0]) * dyda(a2[i, 0])
        total_w2 += upstream * dadw2(a1[i, 0])
        total_w1 += upstream * dadh(W[1][0, 0]) * dhda(a1[i, 0]) * dadw1(x[i, 0])
    return [total_w1 / len(x), total_w2 / len(x)]''')),
    _chain_equivalent("einsum", "dldw sums with np.einsum",
                      Edit("gradient", "dl_dw2 = np.mean(shared * dadw2(a1))",
                           "dl_dw2 = np.einsum('ij,ij->', shared, dadw2(a1)) / x.shape[0]")),
    _chain_equivalent("dot_products", "dldw takes the means as np.dot of columns",
                      Edit("gradient", DLDW_BODY, '''    a1, a2, y_pred = neural_network(W, x)
    shared = dldy(y_pred, y) * dyda(a2)
    n = x.shape[0]
    dl_dw2 = np.dot(shared.ravel(), dadw2(a1).ravel()) / n
    dl_dw1 = np.dot(shared.ravel(), (dadh(W[1]) * dhda(a1) * dadw1(x)).ravel()) / n
    return [dl_dw1, dl_dw2]''')),
    _chain_equivalent("returns_tuple", "dldw returns a tuple", Edit("gradient", DLDW_RESULT,
                      "return (float(dl_dw1), float(dl_dw2))")),
    _chain_equivalent("returns_array", "dldw returns a numpy array of (1, 1) arrays' values",
                      Edit("gradient", DLDW_RESULT, "return np.array([dl_dw1, dl_dw2])")),
    _chain_equivalent("returns_1x1_arrays", "dldw returns [array([[g1]]), array([[g2]])] from keepdims means",
                      Edit("gradient", "dl_dw2 = np.mean(shared * dadw2(a1))\n    dl_dw1 = np.mean(shared * dadh(W[1]) * dhda(a1) * dadw1(x))\n    return [float(dl_dw1), float(dl_dw2)]",
                           "dl_dw2 = np.mean(shared * dadw2(a1), keepdims=True)\n    dl_dw1 = np.mean(shared * dadh(W[1]) * dhda(a1) * dadw1(x), keepdims=True)\n    return [dl_dw1, dl_dw2]")),
    _chain_equivalent("helper_function", "a helper of the student's own combines the factors",
                      Edit("gradient", "def dldw(W, x, y):", "def chain(*factors):\n    product = 1\n    for factor in factors:\n        product = product * factor\n    return np.mean(product)\n\n\ndef dldw(W, x, y):"),
                      Edit("gradient", "dl_dw2 = np.mean(shared * dadw2(a1))", "dl_dw2 = chain(shared, dadw2(a1))")),
    _chain_equivalent("debug_output", "every piece prints debug output to stdout and stderr",
                      Edit("partial_derivatives", DLDY_RETURN, "import sys\n    print('dldy called', y_pred.shape)\n    print('debug: dldy', file=sys.stderr)\n    " + DLDY_RETURN),
                      Edit("gradient", DLDW_RESULT, "import sys\n    print('gradient', dl_dw1, dl_dw2, file=sys.stderr)\n    " + DLDW_RESULT)),
    _chain_equivalent("warnings_raised", "the code raises a RuntimeWarning and a DeprecationWarning",
                      Edit("partial_derivatives", DLDY_RETURN, "import warnings\n    warnings.warn('old style', DeprecationWarning)\n    np.log(np.zeros(1))\n    " + DLDY_RETURN),
                      Edit("gradient", DLDW_RESULT, "import warnings\n    warnings.warn('check me', RuntimeWarning)\n    " + DLDW_RESULT)),
    _chain_equivalent("imports_and_reseeds", "an answer cell imports modules and re-seeds numpy",
                      Edit("gradient", "def dldw(W, x, y):", "import math\nimport numpy\nnumpy.random.seed(0)\n\n\ndef dldw(W, x, y):")),
    _chain_equivalent("sin_via_cos", "A written as cos(x - pi/2), der_A as sin(x + pi/2)",
                      Edit("activation", "return np.sin(x)", "return np.cos(x - np.pi / 2)"),
                      Edit("activation", "return np.cos(x)", "return np.sin(x + np.pi / 2)")),
    _chain_equivalent("dhda_from_np_cos", "dhda returns np.cos(a) directly instead of calling der_A",
                      Edit("partial_derivatives", DHDA_RETURN, DHDA_RETURN.replace("der_A(a)", "np.cos(a)"))),
    _chain_equivalent("dldw_inlines_two_pieces", "dldw writes W[1] and A(a1) in place of dadh(W[1]) and dadw2(a1)",
                      Edit("gradient", "dl_dw2 = np.mean(shared * dadw2(a1))", "dl_dw2 = np.mean(shared * A(a1))"),
                      Edit("gradient", "dadh(W[1]) * dhda(a1)", "W[1] * dhda(a1)")),
    # Right values without the chain rule: the method probes withhold the points.
    Fixture("der_A_by_differences", "der_A estimates the slope of A by central differences",
            (Edit("activation", 'any shape."""\n    return np.cos(x)',
                  'any shape."""\n    step = 1e-6\n    return (A(x + step) - A(x - step)) / (2 * step)'),),
            frozenset({"test_der_A"}), kind=MISTAKE, message="estimate by finite differences"),
    Fixture("dhda_by_differences", "dhda estimates the slope of A by central differences instead of der_A",
            (Edit("partial_derivatives", DHDA_RETURN,
                  DHDA_RETURN.replace("der_A(a)", "(A(a + 1e-6) - A(a - 1e-6)) / 2e-6")),),
            frozenset({"test_dhda"}), kind=MISTAKE, message="estimate by finite differences"),
    Fixture("dldw_by_finite_differences",
            "dldw estimates the gradient by central differences of the loss, without the chain rule",
            (Edit("gradient", DLDW_BODY, '''    step = 1e-6
    gradient = []
    for i in range(2):
        above = [w.copy() for w in W]
        below = [w.copy() for w in W]
        above[i] = above[i] + step
        below[i] = below[i] - step
        gradient.append((loss(above, x, y) - loss(below, x, y)) / (2 * step))
    return gradient'''),), frozenset({"test_dldw"}), kind=MISTAKE, message="gave the same values as before"),
    # The fork: dldw_tied must add the gradients of w's two uses.
    _chain_mistake("tied_second_path_only", "dldw_tied keeps only the path through a2, w's second use",
                   "gradient_tied", "np.mean(through_a1 + through_a2)", "np.mean(through_a2)", {"test_dldw_tied"},
                   message="has only the path through a2"),
    _chain_mistake("tied_mean_of_paths", "dldw_tied averages the two paths' gradients instead of adding them",
                   "gradient_tied", "np.mean(through_a1 + through_a2)", "np.mean((through_a1 + through_a2) / 2)",
                   {"test_dldw_tied"}, message="mean of the two paths"),
    _chain_mistake("tied_by_finite_differences", "dldw_tied differences the tied loss instead of adding the chains",
                   "gradient_tied", TIED_BODY, "    step = 1e-6\n    return (loss([w + step, w + step], x, y) - "
                   "loss([w - step, w - step], x, y)) / (2 * step)", {"test_dldw_tied"},
                   message="gave the same values as before"),
    _chain_equivalent("tied_through_dldw", "dldw_tied adds the two entries of dldw([w, w], x, y)",
                      Edit("gradient_tied", TIED_BODY, "    return float(sum(dldw([w, w], x, y)))")),
    _chain_equivalent("newaxis_columns", "columns made with [:, np.newaxis] instead of reshape",
                      Edit("load_data", "x = x.reshape(-1, 1)", "x = x[:, np.newaxis]"),
                      Edit("load_data", "y = y.reshape(-1, 1)", "y = y[:, np.newaxis]")),
)


# --- curve_backprop: the wider mistake suite --------------------------------
# Each Jacobian is tested on its own, with trusted sigma, d_sigma,
# network_function and cost in place, so every mistake below costs exactly
# the function it is in.

DELTA3 = "delta3 = 2 * (a3 - y) * d_sigma(z3)"
DELTA2 = "delta2 = (W3.T @ delta3) * d_sigma(z2)"
DELTA1 = "delta1 = (W2.T @ delta2) * d_sigma(z1)"
SUM3 = "np.sum(delta3, axis=1, keepdims=True) / x.shape[1]"
SUM2 = "np.sum(delta2, axis=1, keepdims=True) / x.shape[1]"
SUM1 = "np.sum(delta1, axis=1, keepdims=True) / x.shape[1]"
FORWARD = "a0, z1, a1, z2, a2, z3, a3 = network_function(x)"
# A Jacobian without the chain rule: each entry of parameter P nudged in place, the cost differenced.
BY_DIFFERENCES = """jacobian = np.zeros_like({P})
    for index in np.ndindex({P}.shape):
        kept = {P}[index]
        {P}[index] = kept + 1e-6
        above = cost(x, y)
        {P}[index] = kept - 1e-6
        below = cost(x, y)
        {P}[index] = kept
        jacobian[index] = (above - below) / 2e-6
    return jacobian"""
OWN_FORWARD_DIFFERENCES = """def own_cost(bias):
        a1 = sigma(W1 @ x + bias)
        a3 = sigma(W3 @ sigma(W2 @ a1 + b2) + b3)
        return np.sum((a3 - y) ** 2) / x.shape[1]
    jacobian = np.zeros_like(b1)
    for index in np.ndindex(b1.shape):
        step = np.zeros_like(b1)
        step[index] = 1e-6
        jacobian[index] = (own_cost(b1 + step) - own_cost(b1 - step)) / 2e-6
    return jacobian"""


def _curve_mistake(name, description, function, old, new, *more_edits, message=""):
    edits = (Edit(f"answer_{function}", old, new),) + more_edits
    return Fixture(name, description, edits, frozenset({f"test_{function}"}), kind=MISTAKE, message=message)


def _curve_equivalent(name, description, *edits):
    return Fixture(name, description, tuple(edits), kind=EQUIVALENT)


CURVE_BACKPROP += (
    _curve_mistake("b3_sign_flipped", "J_b3 uses y - a3: every entry has the wrong sign",
                   "J_b3", DELTA3, "delta3 = 2 * (y - a3) * d_sigma(z3)", message="sign flipped"),
    _curve_mistake("b3_missing_factor_2", "J_b3 forgets the 2 from the square",
                   "J_b3", DELTA3, "delta3 = (a3 - y) * d_sigma(z3)", message="factor of 1/2"),
    _curve_mistake("b3_slope_at_activation", "J_b3 evaluates the slope at a3 instead of z3",
                   "J_b3", DELTA3, "delta3 = 2 * (a3 - y) * d_sigma(a3)",
                   message="takes the slope at a3, d_sigma(a3), where it belongs at z3"),
    _curve_mistake("b3_sums_everything", "J_b3 sums over all entries: one number, not one per output",
                   "J_b3", SUM3, "np.sum(delta3) / x.shape[1]", message="shape ()"),
    _curve_mistake("b3_weights_instead_of_bias", "J_b3 multiplies by a2 as if it were J_W3",
                   "J_b3", SUM3, "np.sum(delta3 @ a2.T, axis=1, keepdims=True) / x.shape[1]"),
    _curve_mistake("b2_default_sizes_only", "J_b2 reshapes to (7, 1): right only for the default n2 = 7",
                   "J_b2", SUM2, "np.sum(delta2, axis=1).reshape(7, 1) / x.shape[1]", message="cannot reshape"),
    _curve_mistake("b2_divides_by_len", "J_b2 divides by len(x), which is 1 for a (1, N) row",
                   "J_b2", SUM2, "np.sum(delta2, axis=1, keepdims=True) / len(x)",
                   message="missing division by N"),
    _curve_mistake("b2_wrong_layer_slope", "J_b2 uses layer 3's slope d_sigma(z3) in layer 2",
                   "J_b2", DELTA2, "delta2 = (W3.T @ delta3) * d_sigma(z3).mean(axis=0)"),
    _curve_mistake("b2_elementwise_for_matrix", "J_b2 multiplies W3.T and delta3 with * where @ belongs",
                   "J_b2", DELTA2, "delta2 = (W3.T * delta3) * d_sigma(z2)", message="combined element-wise"),
    _curve_mistake("W1_a1_for_a0", "J_W1 multiplies by a1.T where the input a0.T belongs",
                   "J_W1", "return delta1 @ a0.T / x.shape[1]", "return delta1 @ a1.T / x.shape[1]"),
    _curve_mistake("W1_slope_of_activation", "J_W1 evaluates layer 1's slope at a1 instead of z1",
                   "J_W1", DELTA1, "delta1 = (W2.T @ delta2) * d_sigma(a1)",
                   message="takes the slope at a1, d_sigma(a1), where it belongs at z1"),
    _curve_mistake("W1_every_slope_at_activations", "J_W1 takes every layer's slope at a instead of z",
                   "J_W1", DELTA3 + "\n    " + DELTA2 + "\n    " + DELTA1,
                   "delta3 = 2 * (a3 - y) * d_sigma(a3)\n    delta2 = (W3.T @ delta3) * d_sigma(a2)\n"
                   "    delta1 = (W2.T @ delta2) * d_sigma(a1)",
                   message="where it belongs at z, in every layer"),
    _curve_mistake("W1_hard_coded", "J_W1 returns the seed-310 values, copied from a printout",
                   "J_W1", "return delta1 @ a0.T / x.shape[1]",
                   "return np.array([[0.002607610034697776], [0.003729332207814553], [-0.0001470327108630659],\n"
                   "                     [-0.0010552781587916918], [0.00108317298050382], [0.0004289792982351318]])",
                   message="hard-coded"),
    _curve_mistake("b3_subtracts_in_place", "J_b3 subtracts y from the forward pass's a3 in place",
                   "J_b3", DELTA3, "a3 -= y\n    delta3 = 2 * a3 * d_sigma(z3)", message="instead of a -= y"),
    _curve_mistake("W1_mutates_W1", "J_W1 takes a descent step on W1 while computing its Jacobian",
                   "J_W1", "return delta1 @ a0.T / x.shape[1]",
                   "jacobian = delta1 @ a0.T / x.shape[1]\n    W1[:] = W1 - 0.1 * jacobian\n    return jacobian",
                   message="changed W1 in place"),
    _curve_mistake("b1_sum_without_mean", "J_b1 sums over the examples: the Jacobian of N times the cost",
                   "J_b1", SUM1, "np.sum(delta1, axis=1, keepdims=True)", message="sum instead of a mean"),
    _curve_mistake("b1_transposed", "J_b1 returns a row (1, n1) instead of a column",
                   "J_b1", "return " + SUM1, "return (" + SUM1 + ").T",
                   message="shape (1, 6), expected (6, 1)"),
    _curve_mistake("b1_fixed_N", "J_b1 divides by 100, the default N, instead of the number of examples",
                   "J_b1", SUM1, "np.sum(delta1, axis=1, keepdims=True) / 100",
                   message="right for the notebook's own inputs"),
    _curve_mistake("b1_stops_at_layer_2", "J_b1 averages delta2 back through W2 without layer 1's slope",
                   "J_b1", DELTA1, "delta1 = W2.T @ delta2", message="leaves out the slope d_sigma(z1)"),
    Fixture("redefined_cost_to_match",
            "J_b3 drops the 2; the student redefines cost as half the true cost, so the self-check agrees",
            (Edit("answer_J_b3", DELTA3, "delta3 = (a3 - y) * d_sigma(z3)"),
             Edit("answer_J_b3", "return " + SUM3, "return " + SUM3 + "\n\n\ndef cost(x, y):\n"
                  "    return np.linalg.norm(network_function(x)[-1] - y) ** 2 / x.shape[1] / 2")),
            frozenset({"test_J_b3"}), kind=MISTAKE, message="factor of 1/2"),
)

CURVE_BACKPROP += (
    _curve_equivalent("loop_over_examples", "J_b3 accumulates one example at a time in a loop",
                      Edit("answer_J_b3", DELTA3 + "\n    return " + SUM3, DELTA3 + "\n    total = np.zeros((2, 1))\n"
                           "    for i in range(x.shape[1]):\n        total += delta3[:, i:i + 1]\n"
                           "    return total / x.shape[1]")),
    _curve_equivalent("einsum", "J_W1 as np.einsum over neurons and examples",
                      Edit("answer_J_W1", "return delta1 @ a0.T / x.shape[1]",
                           "return np.einsum('in,jn->ij', delta1, a0) / x.shape[1]")),
    _curve_equivalent("np_dot", "J_b2 and J_b1 with np.dot instead of @",
                      Edit("answer_J_b2", DELTA2, "delta2 = np.dot(W3.T, delta3) * d_sigma(z2)"),
                      Edit("answer_J_b1", DELTA1, "delta1 = np.dot(W2.T, delta2) * d_sigma(z1)")),
    _curve_equivalent("logistic_slope_product", "J_b2 uses sigma(z) (1 - sigma(z)) instead of d_sigma",
                      Edit("answer_J_b2", DELTA2, "delta2 = (W3.T @ delta3) * sigma(z2) * (1 - sigma(z2))")),
    _curve_equivalent("mean_keepdims", "J_b3 and J_b1 use mean(axis=1, keepdims=True)",
                      Edit("answer_J_b3", SUM3, "np.mean(delta3, axis=1, keepdims=True)"),
                      Edit("answer_J_b1", SUM1, "np.mean(delta1, axis=1, keepdims=True)")),
    _curve_equivalent("reshape_not_keepdims", "J_b2 sums to 1-D and reshapes with (-1, 1)",
                      Edit("answer_J_b2", SUM2, "np.sum(delta2, axis=1).reshape(-1, 1) / x.shape[1]")),
    _curve_equivalent("shared_helper", "a helper of the student's own computes the deltas for J_W1 and J_b1",
                      Edit("answer_J_W1", "def J_W1(x, y):", "def backward_deltas(x, y):\n"
                           "    a0, z1, a1, z2, a2, z3, a3 = network_function(x)\n"
                           "    d3 = 2 * (a3 - y) * d_sigma(z3)\n    d2 = (W3.T @ d3) * d_sigma(z2)\n"
                           "    return a0, (W2.T @ d2) * d_sigma(z1)\n\n\ndef J_W1(x, y):"),
                      Edit("answer_J_b1", FORWARD + "\n    " + DELTA3 + "\n    " + DELTA2 + "\n    " + DELTA1,
                           "a0, delta1 = backward_deltas(x, y)")),
    _curve_equivalent("debug_output", "the Jacobians print debug output to stdout and stderr",
                      Edit("answer_J_b3", DELTA3, DELTA3 + "\n    import sys\n    print('J_b3', delta3.shape)\n"
                           "    print('debug J_b3', file=sys.stderr)"),
                      Edit("answer_J_W1", DELTA1, DELTA1 + "\n    import sys\n    sys.stderr.write('delta1 ok\\n')")),
    _curve_equivalent("warnings_raised", "the Jacobians raise a RuntimeWarning and a DeprecationWarning",
                      Edit("answer_J_b2", DELTA2, DELTA2 + "\n    import warnings\n    np.exp(np.array([1000.0]))\n"
                           "    warnings.warn('old style', DeprecationWarning)")),
    _curve_equivalent("imports_and_reseeds", "an answer cell imports numpy again and re-seeds it",
                      Edit("answer_J_b1", "def J_b1(x, y):", "import numpy\nimport numpy as np\nnp.random.seed(12345)\n\n\ndef J_b1(x, y):")),
    _curve_equivalent("slopes_from_activations", "J_W1 takes every layer's slope as a (1 - a) of its activations",
                      Edit("answer_J_W1", DELTA3 + "\n    " + DELTA2 + "\n    " + DELTA1,
                           "delta3 = 2 * (a3 - y) * a3 * (1 - a3)\n    delta2 = (W3.T @ delta3) * a2 * (1 - a2)\n"
                           "    delta1 = (W2.T @ delta2) * a1 * (1 - a1)")),
    # Right values without the chain rule: the method probes withhold the points.
    Fixture("jacobians_by_differences_of_the_cost",
            "J_b3 and J_W1 nudge each parameter in place and take central differences of the cost",
            (Edit("answer_J_b3", FORWARD + "\n    " + DELTA3 + "\n    return " + SUM3, BY_DIFFERENCES.format(P="b3")),
             Edit("answer_J_W1", FORWARD + "\n    " + DELTA3 + "\n    " + DELTA2 + "\n    " + DELTA1
                  + "\n    return delta1 @ a0.T / x.shape[1]", BY_DIFFERENCES.format(P="W1"))),
            frozenset({"test_J_b3", "test_J_W1"}), kind=MISTAKE, message="estimate by finite differences"),
    Fixture("b1_by_differences_of_its_own_forward_pass",
            "J_b1 takes central differences of a forward pass it writes out with sigma",
            (Edit("answer_J_b1", FORWARD + "\n    " + DELTA3 + "\n    " + DELTA2 + "\n    " + DELTA1
                  + "\n    return " + SUM1, OWN_FORWARD_DIFFERENCES),),
            frozenset({"test_J_b1"}), kind=MISTAKE, message="estimate by finite differences"),
    _curve_equivalent("shape_from_arguments", "the mean divides by x.size or len(x[0]) instead of x.shape[1]",
                      Edit("answer_J_b2", SUM2, "np.sum(delta2, axis=1, keepdims=True) / x.size"),
                      Edit("answer_J_W1", "return delta1 @ a0.T / x.shape[1]", "return delta1 @ a0.T / len(x[0])")),
)


# What the failure message must say for a mistake (a phrase of it), so that a
# student can act on it: each fixture's own ``message``. Tests check these in
# the autograded notebooks and in `nbgrader validate`'s output.
EXPECTED_MESSAGES = {
    "chain_rule": {fixture.name: fixture.message for fixture in CHAIN_RULE if fixture.message},
    "curve_backprop": {fixture.name: fixture.message for fixture in CURVE_BACKPROP if fixture.message},
}


def catalog(assignment):
    """The fixtures of ``assignment``, in the order they are graded."""
    return {"chain_rule": CHAIN_RULE, "curve_backprop": CURVE_BACKPROP}[assignment]


def expected_outcomes(assignment, test_points):
    """{fixture: {"description", "loses", "score", "max_score"}} from the catalog."""
    all_tests = set(test_points)
    outcomes = {}
    for fixture in catalog(assignment):
        loses = sorted(all_tests if fixture.blank else fixture.loses)
        unknown = set(loses) - all_tests
        if unknown:
            raise ValueError(f"{fixture.name}: no test cells named {sorted(unknown)}")
        max_score = sum(test_points.values())
        outcomes[fixture.name] = {
            "kind": fixture.kind,
            "description": fixture.description,
            "loses": loses,
            "score": max_score - sum(test_points[name] for name in loses),
            "max_score": max_score,
        }
    return outcomes


def write_fixtures(assignment, test_points, root=REPO_ROOT, fixtures_dir=FIXTURES_DIR):
    source_path = root / "source" / assignment / f"{assignment}.ipynb"
    release_path = root / "release" / assignment / f"{assignment}.ipynb"
    names = {fixture.name for fixture in catalog(assignment)}
    for stale in (Path(fixtures_dir) / assignment).glob("*/"):
        if stale.name not in names:  # a fixture dropped from the catalog: the demo would still grade it
            shutil.rmtree(stale)
    for fixture in catalog(assignment):
        path = fixture_notebook_path(assignment, fixture.name, fixtures_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(build_submission(fixture, source_path, release_path), path)
    expected = Path(fixtures_dir) / assignment / "expected.json"
    expected.write_text(json.dumps(expected_outcomes(assignment, test_points), indent=2) + "\n")
    return expected


def main():
    from backprop_course.course import Course
    for assignment in ASSIGNMENTS:
        points = Course(REPO_ROOT).test_cells(assignment)
        print(f"wrote {write_fixtures(assignment, points).relative_to(REPO_ROOT)} and its notebooks")


if __name__ == "__main__":
    main()
