"""The fixture submissions of each assignment and what each must score.

``loses`` lists the test cells that must lose their points; every other test
cell must keep all of its points. See ``fixtures`` for how they are built.
"""
from .fixtures import Edit, Fixture

CHAIN_RULE = (
    Fixture("reference", "the reference solution"),
    Fixture("blank", "the release as handed out, nothing filled in", blank=True),
    Fixture(
        "y_not_column",
        "y loaded with shape (N,): y_pred - y broadcasts to (N, N)",
        (Edit("load_data", "y = y.reshape(-1, 1)", "y = y"),),
        frozenset({"test_data_loaded_as_columns"}),
    ),
    Fixture(
        "gradient_order_swapped",
        "dldw returns [dL/dw2, dL/dw1], the original's order",
        (Edit("gradient", "return [float(dl_dw1), float(dl_dw2)]",
              "return [float(dl_dw2), float(dl_dw1)]"),),
        frozenset({"test_dldw"}),
    ),
    Fixture(
        "missing_factor_2",
        "dldy forgets the factor 2 of the square's derivative",
        (Edit("partial_derivatives", "return 2 * (y_pred - y)", "return y_pred - y"),),
        frozenset({"test_dldy", "test_dldw"}),
    ),
    Fixture(
        "sign_flipped",
        "dldy computes 2 (y - y_pred): every gradient has the wrong sign",
        (Edit("partial_derivatives", "return 2 * (y_pred - y)", "return 2 * (y - y_pred)"),),
        frozenset({"test_dldy", "test_dldw"}),
    ),
    Fixture(
        "sin_cos_swapped",
        "A is cos and der_A is sin",
        (Edit("activation", 'sin, applied element-wise. x: array of any shape."""\n    return np.sin(x)',
              'sin, applied element-wise. x: array of any shape."""\n    return np.cos(x)'),
         Edit("activation", 'activation, applied element-wise. x: array of any shape."""\n    return np.cos(x)',
              'activation, applied element-wise. x: array of any shape."""\n    return np.sin(x)')),
        frozenset({"test_A", "test_der_A"}),
    ),
)

CURVE_BACKPROP = (
    Fixture("reference", "the reference solution"),
    Fixture("blank", "the release as handed out, nothing filled in", blank=True),
    Fixture(
        "missing_transpose",
        "J_W1 carries delta2 back through W2 instead of W2.T",
        (Edit("answer_J_W1", "delta1 = (W2.T @ delta2)", "delta1 = (W2 @ delta2)"),),
        frozenset({"test_J_W1"}),
    ),
    Fixture(
        "sigma_for_d_sigma",
        "J_b2 multiplies by sigma(z2) where the slope d_sigma(z2) belongs",
        (Edit("answer_J_b2", "delta2 = (W3.T @ delta3) * d_sigma(z2)", "delta2 = (W3.T @ delta3) * sigma(z2)"),),
        frozenset({"test_J_b2"}),
    ),
    Fixture(
        "no_division_by_N",
        "J_b3 sums over the examples but forgets to divide by N",
        (Edit("answer_J_b3", "np.sum(delta3, axis=1, keepdims=True) / x.size",
              "np.sum(delta3, axis=1, keepdims=True)"),),
        frozenset({"test_J_b3"}),
    ),
    Fixture(
        "wrong_sum_axis",
        "J_b1 sums over the neurons (axis 0) instead of the examples",
        (Edit("answer_J_b1", "np.sum(delta1, axis=1, keepdims=True)", "np.sum(delta1, axis=0, keepdims=True)"),),
        frozenset({"test_J_b1"}),
    ),
    Fixture(
        "keepdims_missing",
        "J_b2 returns shape (n2,) instead of (n2, 1)",
        (Edit("answer_J_b2", "np.sum(delta2, axis=1, keepdims=True)", "np.sum(delta2, axis=1)"),),
        frozenset({"test_J_b2"}),
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
    ),
)

# Redefining a given helper must not make a wrong Jacobian look right: the
# tests call each Jacobian with trusted helpers in place of the student's.
CURVE_BACKPROP += (
    Fixture(
        "redefined_d_sigma",
        "J_b3 drops the factor 2 and hides it in a redefined d_sigma that is twice too big",
        (Edit("answer_J_b3", "delta3 = 2 * (a3 - y) * d_sigma(z3)", "delta3 = (a3 - y) * d_sigma(z3)"),
         Edit("answer_J_b3", "return np.sum(delta3, axis=1, keepdims=True) / x.size",
              "return np.sum(delta3, axis=1, keepdims=True) / x.size\n\n\n"
              "def d_sigma(z):\n    return 2 / (4 * np.cosh(z / 2) ** 2)")),
        frozenset({"test_J_b3"}),
    ),
)
