"""Benchmark of curve_backprop training: steps per second, side by side.

Compares, in one run on one machine:
- original: the original assignment's structure, re-implemented: six Jacobian
  calls per step, each redoing the forward pass, one np.random.randn per Jacobian;
- course (reference J): the course's ``curve_training.train`` with the
  reference Jacobians, laid out like a student's notebook (module globals);
- course (bare loop): the same six Jacobians per step with the shared forward
  pass but no recording, to price the loop's bookkeeping;
- jacobians only: the six Jacobian calls alone, on a fixed forward pass.

Run: .venv/bin/python bench/bench_training.py [--steps 10000] [--repeats 3]
Prints a table and the ratios; the best of the repeats is reported.
"""
import argparse
import importlib.util
import sys
import time

import matplotlib
import numpy as np

from backprop_course import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests"))
from support import curve_reference  # noqa: E402  (test support: the reference Jacobians, notebook-like)

PARAMETER_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def load_training_module():
    path = REPO_ROOT / "source" / "curve_backprop" / "curve_training.py"
    spec = importlib.util.spec_from_file_location("curve_training", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_and_render(training, namespace, steps):
    """train() with its plot rendered to PNG, as Jupyter's inline backend does."""
    import io
    import matplotlib.pyplot as plt

    run = training.train(namespace, steps=steps, seed=0, plot=False)
    figure = training.plot_training(run)
    figure.savefig(io.BytesIO(), format="png")
    plt.close(figure)


def original_structure(namespace, x, y, steps, aggression=7.0, noise=1.0):
    """Six Jacobian calls per step, each with its own forward pass."""
    jacobians = [namespace["J_" + name] for name in PARAMETER_NAMES]
    parameters = [namespace[name] for name in PARAMETER_NAMES]
    for _ in range(steps):
        updates = [jacobian(x, y) * (1 + np.random.randn() * noise) for jacobian in jacobians]
        for parameter, update in zip(parameters, updates):
            parameter -= update * aggression


def bare_course_loop(training, namespace, x, y, steps, aggression=7.0, noise=1.0):
    jacobians = [namespace["J_" + name] for name in PARAMETER_NAMES]
    parameters = [namespace[name] for name in PARAMETER_NAMES]
    shared = training.SharedForwardPass(namespace["network_function"], x)
    namespace["network_function"] = shared
    random = np.random.default_rng(0)
    for _ in range(steps):
        shared.refresh()
        gradients = [jacobian(x, y) for jacobian in jacobians]
        factors = aggression * (1 + noise * random.standard_normal(6))
        for parameter, gradient, factor in zip(parameters, gradients, factors):
            parameter -= factor * gradient


def jacobians_only(training, namespace, x, y, steps):
    jacobians = [namespace["J_" + name] for name in PARAMETER_NAMES]
    shared = training.SharedForwardPass(namespace["network_function"], x)
    namespace["network_function"] = shared
    shared.refresh()
    for _ in range(steps):
        for jacobian in jacobians:
            jacobian(x, y)


def best_seconds(cases, repeats):
    """Best time of each case; the cases take turns, so drift hits all alike."""
    best = {name: float("inf") for name in cases}
    for _ in range(repeats):
        for name, run in cases.items():
            namespace = curve_reference(seed=310)
            started = time.perf_counter()
            run(namespace)
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    matplotlib.use("Agg")
    training = load_training_module()
    x, y = training.training_data()
    steps = args.steps
    cases = {
        "original structure (6 forward passes/step)":
            lambda ns: original_structure(ns, x, y, steps),
        "course train(), reference J, plot rendered to PNG":
            lambda ns: train_and_render(training, ns, steps),
        "course train(), reference J, no plot":
            lambda ns: training.train(ns, steps=steps, seed=0, plot=False),
        "course loop, reference J, no recording":
            lambda ns: bare_course_loop(training, ns, x, y, steps),
        "six Jacobian calls only (fixed forward pass)":
            lambda ns: jacobians_only(training, ns, x, y, steps),
    }
    results = best_seconds(cases, args.repeats)
    print(f"\n{steps} steps, best of {args.repeats}, Python {sys.version.split()[0]}, numpy {np.__version__}")
    print(f"{'case':<48} {'seconds':>8} {'steps/s':>9}")
    for name, seconds in results.items():
        print(f"{name:<48} {seconds:8.3f} {steps / seconds:9.0f}")
    original, plotted, course, bare, jacobian = results.values()
    print(f"\nspeed-up of course train() (with plot) over the original structure: {original / plotted:.2f}x")
    print(f"forward pass, noise and updates (bare loop / six Jacobian calls): {bare / jacobian - 1:+.0%}")
    print(f"recording, timing and the plot (train with plot / bare loop): {plotted / bare - 1:+.0%}")


if __name__ == "__main__":
    main()
