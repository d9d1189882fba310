"""Helpers for the curve_backprop notebook.

- ``training_data()``: the heart-shaped curve that the network learns to draw.
- ``train(globals())``: steepest descent with noise, driven by the notebook's
  own Jacobian functions J_W1 ... J_b3 and parameters W1 ... b3, with a plot of
  the curves it drew and of the cost falling.
"""
import contextlib
import os
import time

import numpy as np

PARAMETERS = ("W1", "b1", "W2", "b2", "W3", "b3")
# While nbgrader autogrades, training is bounded: enough steps for the
# feedback to show a heart (about 0.5 s with vectorised Jacobians), and a
# time limit for slow ones, so grading stays fast.
AUTOGRADE_MAX_STEPS = 3_000
AUTOGRADE_MAX_SECONDS = 3.0


def training_data(n=100):
    """x of shape (1, n) in [0, 1) and y of shape (2, n): a heart, scaled into (0, 1)."""
    x = np.arange(n).reshape(1, n) / n
    t = 2 * np.pi * x
    width = 16 * np.sin(t) ** 3
    height = 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
    y = (np.vstack([width, height]) / 20 + 1) / 2
    return x, y


class SharedForwardPass:
    """Stands in for ``network_function`` during training.

    Every J_* function starts with ``network_function(x)``; all six see the
    same parameters within a step, so the pass is computed once per step.
    Its arrays are handed out read-only rather than copied (copies would cost
    about 15% of a step): a Jacobian that changes them in place is stopped
    with a clear message instead of silently corrupting the others.
    """

    def __init__(self, network_function, x):
        self.network_function, self.x, self.values = network_function, x, None

    def refresh(self):
        self.values = self.network_function(self.x)
        for value in self.values:
            value.flags.writeable = False
        return self.values

    def __call__(self, a0):
        if a0 is self.x and self.values is not None:
            return self.values
        return self.network_function(a0)


class TrainingRun:
    """What ``train`` did: steps, seconds, recorded costs and outputs."""

    def __init__(self, x, y):
        self.x, self.y = x, y
        self.steps, self.seconds = 0, 0.0
        self.cost_steps, self.costs, self.outputs = [], [], []
        self.final_output = None

    def record(self, step, output):
        self.cost_steps.append(step)
        self.costs.append(float(np.sum((output - self.y) ** 2) / self.y.shape[1]))
        self.outputs.append(output.copy())


def check_jacobian_shapes(namespace, x, y):
    for name in PARAMETERS:
        jacobian = np.asarray(namespace["J_" + name](x, y))
        if jacobian.shape != np.shape(namespace[name]):
            raise ValueError(f"J_{name}(x, y) has shape {jacobian.shape}, but {name} has shape "
                             f"{np.shape(namespace[name])}: fix J_{name} before training")


@contextlib.contextmanager
def _explained_in_place_changes():
    """A Jacobian that changes a shared, read-only forward-pass array in place is told what to do instead."""
    try:
        yield
    except ValueError as error:
        if "read-only" not in str(error):
            raise
        raise ValueError("a J_* function changed an array that network_function returned, in place "
                         "(e.g. `a3 -= y`); compute a new array instead (`d = a3 - y`)") from error


def train(namespace, steps=10_000, aggression=7.0, noise=1.0, seed=None,
          record_every=100, plot=True):
    """Train the notebook's network by steepest descent with noise; plot the result.

    namespace: the notebook's ``globals()``, holding W1 ... b3, J_W1 ... J_b3
    and network_function. Each step computes all six Jacobians at the current
    parameters, then updates every parameter P in place:
    P -= aggression * J_P * (1 + noise * e), with one e ~ N(0, 1) per Jacobian.
    """
    asked, seconds = steps, float("inf")
    if os.environ.get("NBGRADER_EXECUTION"):
        steps, seconds = min(steps, AUTOGRADE_MAX_STEPS), AUTOGRADE_MAX_SECONDS
    x, y = training_data()
    with _explained_in_place_changes():
        check_jacobian_shapes(namespace, x, y)
    run = TrainingRun(x, y)
    random = np.random.default_rng(seed)
    jacobians = [namespace["J_" + name] for name in PARAMETERS]
    parameters = [namespace[name] for name in PARAMETERS]
    network_function = namespace["network_function"]
    shared = SharedForwardPass(network_function, x)
    namespace["network_function"] = shared
    started = time.perf_counter()
    try:
        with _explained_in_place_changes():
            for step in range(steps):
                if time.perf_counter() - started > seconds:
                    steps = step
                    break
                output = shared.refresh()[-1]
                if step % record_every == 0:
                    run.record(step, output)
                gradients = [jacobian(x, y) for jacobian in jacobians]
                factors = aggression * (1 + noise * random.standard_normal(len(parameters)))
                for parameter, gradient, factor in zip(parameters, gradients, factors):
                    parameter -= factor * gradient
    finally:
        namespace["network_function"] = network_function
    run.seconds = time.perf_counter() - started
    run.steps = steps
    run.final_output = network_function(x)[-1]
    run.record(steps, run.final_output)
    if steps < asked:
        print(f"Autograding ran {steps:,} of the {asked:,} steps"
              + (f", stopped at its {seconds:g} s limit" if steps < AUTOGRADE_MAX_STEPS else "")
              + ", to keep grading fast; run the notebook yourself for the rest.")
    print(f"{steps} steps in {run.seconds:.2f} s; cost {run.costs[0]:.4f} -> {run.costs[-1]:.4f}")
    if plot:
        plot_training(run)
    return run


def plot_training(run):
    """The curves the network drew, on the unit square, and the cost against steps."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    figure, (curve, cost) = plt.subplots(1, 2, figsize=(10, 4.5))
    # One collection for the intermediate curves: a hundred separate lines
    # would make plotting cost as much as a thousand training steps.
    history = [output.T for output in run.outputs[:-1]]
    curve.add_collection(LineCollection(history, colors="hotpink", alpha=0.15, linewidths=1,
                                        label="every 100th step"))
    curve.plot(run.y[0], run.y[1], "o", color="green", markersize=3, label="training data")
    curve.plot(run.final_output[0], run.final_output[1], color="orange", linewidth=2.5,
               label=f"after {run.steps} steps")
    curve.set(xlim=(0, 1), ylim=(0, 1), aspect="equal", title="The network's curve")
    curve.legend(loc="lower left", fontsize=8)
    cost.semilogy(run.cost_steps, run.costs, color="purple")
    cost.set(xlabel="step", ylabel="cost", title=f"Cost: {run.costs[0]:.3f} -> {run.costs[-1]:.4f}")
    figure.subplots_adjust(left=0.06, right=0.97, bottom=0.12, top=0.92, wspace=0.25)
    plt.show()
    return figure
