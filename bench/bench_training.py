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

import numpy as np

from backprop_course import REPO_ROOT
from backprop_course.reference.curve_backprop import PARAMETER_NAMES, load_namespace


def load_training_module():
    path = REPO_ROOT / "source" / "curve_backprop" / "curve_training.py"
    spec = importlib.util.spec_from_file_location("curve_training", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def best_seconds(run, repeats):
    best = float("inf")
    for _ in range(repeats):
        namespace = load_namespace(seed=310)
        started = time.perf_counter()
        run(namespace)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    training = load_training_module()
    x, y = training.training_data()
    steps = args.steps
    cases = {
        "original structure (6 forward passes/step)":
            lambda ns: original_structure(ns, x, y, steps),
        "course train(), reference J, recording on":
            lambda ns: training.train(ns, steps=steps, seed=0, plot=False),
        "course loop, reference J, no recording":
            lambda ns: bare_course_loop(training, ns, x, y, steps),
        "six Jacobian calls only (fixed forward pass)":
            lambda ns: jacobians_only(training, ns, x, y, steps),
    }
    results = {name: best_seconds(run, args.repeats) for name, run in cases.items()}
    print(f"\n{steps} steps, best of {args.repeats}, Python {sys.version.split()[0]}, numpy {np.__version__}")
    print(f"{'case':<48} {'seconds':>8} {'steps/s':>9}")
    for name, seconds in results.items():
        print(f"{name:<48} {seconds:8.3f} {steps / seconds:9.0f}")
    original, course, bare, jacobian = results.values()
    print(f"\nspeed-up of course train() over the original structure: {original / course:.2f}x")
    print(f"loop cost beyond the six Jacobian calls (bare loop / Jacobians only): {bare / jacobian - 1:+.0%}")
    print(f"recording and bookkeeping in train() (train / bare loop): {course / bare - 1:+.0%}")


if __name__ == "__main__":
    main()
