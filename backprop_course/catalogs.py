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
