"""The curve_backprop helper module: data, training with the notebook's own Jacobians."""
import importlib.util
import time

import matplotlib
import numpy as np
import pytest

from backprop_course import REPO_ROOT
from support import curve_reference


matplotlib.use("Agg")

# Written down: the reference Jacobians, the seed-310 network and noise seed 1
# reach a cost of 0.0016 after 10,000 steps (from 0.43); 0.01 leaves margin
# for other BLAS builds while still meaning "the heart is drawn".
TRAINING_STEPS, TRAINING_NOISE_SEED, COST_THRESHOLD = 10_000, 1, 0.01


@pytest.fixture(scope="module")
def training():
    path = REPO_ROOT / "source" / "curve_backprop" / "curve_training.py"
    spec = importlib.util.spec_from_file_location("curve_training_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_data_is_the_heart_inside_the_unit_square(training):
    x, y = training.training_data()
    assert x.shape == (1, 100) and y.shape == (2, 100)
    np.testing.assert_array_equal(x[0], np.arange(100) / 100)
    assert 0 < y.min() and y.max() < 1
    t = 2 * np.pi * x[0, 25]  # a quarter turn: the heart's right-hand edge
    assert y[0, 25] == pytest.approx((16 * np.sin(t) ** 3 / 20 + 1) / 2)


def test_reference_jacobians_train_below_the_threshold(training, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    namespace = curve_reference(seed=310)
    run = training.train(namespace, steps=TRAINING_STEPS, seed=TRAINING_NOISE_SEED, plot=False)
    assert run.costs[0] > 0.4
    assert run.costs[-1] < COST_THRESHOLD
    assert run.cost_steps[-1] == TRAINING_STEPS and len(run.outputs) == TRAINING_STEPS // 100 + 1


def test_training_updates_the_notebooks_own_parameters_with_its_own_jacobians(training, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    namespace = curve_reference(seed=310)
    calls = {"J_b1": 0}
    original = namespace["J_b1"]

    def counting_J_b1(x, y):
        calls["J_b1"] += 1
        return original(x, y)

    namespace["J_b1"] = counting_J_b1
    W1, forward = namespace["W1"], namespace["network_function"]
    before = W1.copy()
    training.train(namespace, steps=7, plot=False)
    assert calls["J_b1"] == 7 + 1  # one shape check, then once per step
    assert namespace["W1"] is W1 and not np.array_equal(W1, before), "W1 must be updated in place"
    assert namespace["network_function"] is forward, "the notebook's network_function is restored"


def test_training_works_for_other_layer_sizes(training, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    namespace = curve_reference(3, 4, seed=5)
    run = training.train(namespace, steps=300, seed=0, plot=False)
    assert run.costs[-1] < run.costs[0]


def test_shared_forward_pass_gives_the_same_gradients(training):
    namespace = curve_reference(seed=310)
    x, y = training.training_data()
    plain = [namespace[f"J_{name}"](x, y) for name in ("W1", "b1", "W2", "b2", "W3", "b3")]
    shared = training.SharedForwardPass(namespace["network_function"], x)
    shared.refresh()
    namespace["network_function"] = shared
    for expected, name in zip(plain, ("W1", "b1", "W2", "b2", "W3", "b3")):
        np.testing.assert_array_equal(namespace[f"J_{name}"](x, y), expected)


def test_training_is_bounded_while_autograding_and_says_so(training, monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    run = training.train(curve_reference(seed=310), steps=50_000, plot=False)
    assert run.steps == training.AUTOGRADE_MAX_STEPS
    assert f"Autograding ran {training.AUTOGRADE_MAX_STEPS:,} of the 50,000 steps, to keep" in capsys.readouterr().out


def test_slow_jacobians_stop_training_at_the_autograde_time_limit(training, monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(training, "AUTOGRADE_MAX_SECONDS", 0.2)
    namespace = curve_reference(seed=310)
    fast = namespace["J_b3"]
    namespace["J_b3"] = lambda x, y: (time.sleep(0.01), fast(x, y))[1]
    run = training.train(namespace, steps=10_000, plot=False)
    assert 5 <= run.steps < 40
    assert f"Autograding ran {run.steps:,} of the 10,000 steps, stopped at its 0.2 s limit" in capsys.readouterr().out


def test_a_correct_network_draws_the_heart_within_the_autograde_bound(training, monkeypatch):
    """The feedback's figure: the reference's training, as autograding bounds it, ends near the heart."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    run = training.train(curve_reference(seed=310), steps=10_000, seed=1, plot=False)
    assert run.steps == training.AUTOGRADE_MAX_STEPS and run.costs[-1] < 0.005


def test_a_jacobian_of_the_wrong_shape_stops_training_with_a_clear_message(training):
    namespace = curve_reference(seed=310)
    namespace["J_b2"] = lambda x, y: np.zeros(7)
    with pytest.raises(ValueError, match=r"J_b2\(x, y\) has shape \(7,\), but b2 has shape \(7, 1\)"):
        training.train(namespace, steps=10, plot=False)


def test_plot_has_the_curve_panel_and_the_cost_panel(training, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    run = training.train(curve_reference(seed=310), steps=250, seed=0, plot=False)
    figure = training.plot_training(run)
    curve, cost = figure.axes
    assert curve.get_xlim() == (0, 1) and curve.get_ylim() == (0, 1)
    colors = [line.get_color() for line in curve.get_lines()]
    assert "green" in colors and "orange" in colors
    (history,) = curve.collections
    assert len(history.get_segments()) == 3, "one faint curve per 100 steps"
    assert cost.get_yscale() == "log" and "->" in cost.get_title()


def test_a_jacobian_that_mutates_the_shared_forward_pass_is_stopped_clearly(training):
    namespace = curve_reference(seed=310)
    forward = namespace["network_function"]

    def J_b3_in_place(x, y):
        a3 = namespace["network_function"](x)[-1]
        a3 -= y
        return np.sum(a3, axis=1, keepdims=True) / x.size

    namespace["J_b3"] = J_b3_in_place
    with pytest.raises(ValueError, match="changed an array that network_function returned"):
        training.train(namespace, steps=5, plot=False)
    assert namespace["network_function"] is forward
