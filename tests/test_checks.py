"""The check helpers diagnose mistakes in words a student can act on."""
import sys
import warnings

import numpy as np
import pytest

from backprop_course.gradecheck.core import (CheckFailed, central_difference, expect_close, expect_shape,
                                             expect_unchanged, quietly, substituted)
from backprop_course.gradecheck.diagnosis import diagnose
from support import checks_of

expect_pair_of_numbers = checks_of("chain_rule").expect_pair_of_numbers

WANT = np.array([[0.5], [-1.25], [2.0]])


@pytest.mark.parametrize("got,phrase", [
    (WANT * 2, "factor of 2"),
    (WANT / 2, "factor of 1/2"),
    (-WANT, "sign flipped"),
    (WANT * 3, "factor of 3"),
    (WANT.ravel(), "shape (3,)"),
    (WANT.T, "transposed"),
    (WANT + WANT.ravel(), "broadcasts to a square"),
    (np.array([[np.nan], [1.0], [2.0]]), "NaN"),
    (WANT + [[1.0], [1.0], [1.0]], "wrong values"),
    (WANT + [[0.0], [0.0], [1.0]], "wrong value in entry [2, 0] (largest relative error 0.2), while the other "
                                   "entries are right"),
    (WANT * [[1.0], [-1.0], [1.0]], "wrong value in entry [1, 0] (sign flipped)"),
    (WANT * [[1.0], [2.0], [2.0]], "wrong values in entries [1, 0] and [2, 0] (off by a factor of 2)"),
])
def test_diagnosis_names_the_mistake(got, phrase):
    assert phrase in diagnose(np.asarray(got, float), WANT)


def test_a_gradient_wrong_in_one_weight_names_it_and_says_the_other_is_right():
    """dL/dw1 without the factor w2 (or with the wrong layer's input): section 5 shows which; so does the check."""
    from backprop_course.gradecheck.core import CheckFailed, expect_close
    with pytest.raises(CheckFailed, match=r"dldw\(W, x, y\) has the wrong value in dL/dw1 \(largest relative error "
                                          r"0.\d+\), while dL/dw2 is right, at seed 310\."):
        expect_close("dldw(W, x, y)", [-0.0091, 0.2788002123149505], [-0.0077779005629821, 0.2788002123149505],
                     where="at seed 310", names=("dL/dw1", "dL/dw2"))


def test_factor_of_n_is_named_as_a_missing_mean():
    assert "division by N" in diagnose(WANT * 3, WANT) or "factor of 3" in diagnose(WANT * 3, WANT)
    want = np.arange(1.0, 8.0).reshape(7, 1)
    assert "missing division by N" in diagnose(want * 7, want)


def test_swapped_pair_is_named():
    assert "wrong order" in diagnose(np.array([2.0, 1.0]), np.array([1.0, 2.0]))


def test_correct_answers_pass_within_documented_tolerance():
    assert diagnose(WANT * (1 + 1e-7), WANT) is None
    expect_close("f", WANT.tolist(), WANT)


@pytest.mark.parametrize("value,phrase", [(None, "returned None"), (len, "returned a function"),
                                          ("0.5", "text"), ({"a": 1}, "dict")])
def test_wrong_types_get_a_clear_message(value, phrase):
    with pytest.raises(CheckFailed, match=phrase):
        expect_close("f(x)", value, WANT)


def test_known_mistakes_are_described_by_name():
    with pytest.raises(CheckFailed, match="is cos; A is sin"):
        expect_close("A(z)", np.cos(WANT), np.sin(WANT), mistakes={"is cos; A is sin": np.cos(WANT)})


def test_fake_equality_objects_are_judged_by_their_numbers():
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True
    fake = np.zeros((3, 1)).view(AlwaysEqual)
    with pytest.raises(CheckFailed):
        expect_close("f", fake, WANT)


def test_pair_of_numbers_accepts_lists_tuples_and_arrays():
    for value in ([1.0, 2.0], (1.0, 2.0), np.array([1.0, 2.0]), [np.array([[1.0]]), np.array([[2.0]])]):
        np.testing.assert_array_equal(expect_pair_of_numbers("g", value), [1.0, 2.0])
    with pytest.raises(CheckFailed, match="mean"):
        expect_pair_of_numbers("g", [np.ones((4, 1)), np.ones((4, 1))])


def test_checks_that_end_test_cells_return_none():
    assert expect_close("f", WANT, WANT) is None
    assert expect_shape("f", WANT, (3, 1)) is None
    assert expect_unchanged("f", "W", [WANT], [WANT.copy()]) is None


def test_mutated_arguments_are_reported():
    with pytest.raises(CheckFailed, match="changed W in place"):
        expect_unchanged("dldw", "W", [WANT + 1], [WANT])


def test_central_difference_matches_an_exact_gradient_and_restores_params():
    weights = np.array([[0.3, -0.7]])
    original = weights.copy()
    (estimate,) = central_difference(lambda: float(np.sum(np.sin(weights) ** 2)), [weights])
    np.testing.assert_allclose(estimate, np.sin(2 * original), rtol=1e-8)
    np.testing.assert_array_equal(weights, original)


def test_quietly_keeps_warnings_and_stderr_out_of_the_cell(capfd):
    with quietly():
        warnings.warn("student warning", RuntimeWarning)
        print("student debug", file=sys.stderr)
        np.log(np.array([0.0]))
    assert capfd.readouterr().err == ""


def test_substituted_restores_the_namespace_even_on_error():
    namespace = {"A": "student"}
    with pytest.raises(RuntimeError), substituted(namespace, A="trusted", B="new"):
        assert namespace == {"A": "trusted", "B": "new"}
        raise RuntimeError
    assert namespace == {"A": "student"}


def test_run_with_network_restores_the_students_state_and_catches_mutation():
    curve = checks_of("curve_backprop")
    logistic_network, run_with_network = curve.logistic_network, curve.run_with_network
    student_W3, student_sigma = np.ones((2, 7)), lambda z: z
    namespace = {"W3": student_W3, "sigma": student_sigma}
    network = logistic_network(6, 7, np.random.RandomState(0))
    got = run_with_network(namespace, lambda x, y: namespace["W3"] @ np.ones((7, 1)), network,
                           np.zeros((1, 3)), np.zeros((2, 3)))
    np.testing.assert_allclose(got, network["W3"] @ np.ones((7, 1)))
    assert namespace == {"W3": student_W3, "sigma": student_sigma}

    def mutating_jacobian(x, y):
        namespace["W3"] -= 1
        return namespace["W3"]
    with pytest.raises(CheckFailed, match="changed W3 in place"):
        run_with_network(namespace, mutating_jacobian, network, np.zeros((1, 3)), np.zeros((2, 3)))
