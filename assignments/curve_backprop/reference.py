"""The reference Jacobians of curve_backprop: trusted, never shipped.

Written as a notebook's answer cells are: they read the network's
parameters and the given code (``sigma``, ``d_sigma``, ``network_function``)
from their globals, which ``reference_namespace`` in this unit's
``__init__`` puts there, the given code from checks.py, its one definition.
"""
# ruff: noqa: F821  (the parameters and the given code are globals put in place before this runs)
import numpy as np


def J_W3(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    return delta3 @ a2.T / x.shape[1]


def J_b3(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    return np.sum(delta3, axis=1, keepdims=True) / x.shape[1]


def J_W2(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    delta2 = (W3.T @ delta3) * d_sigma(z2)
    return delta2 @ a1.T / x.shape[1]


def J_b2(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    delta2 = (W3.T @ delta3) * d_sigma(z2)
    return np.sum(delta2, axis=1, keepdims=True) / x.shape[1]


def J_W1(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    delta2 = (W3.T @ delta3) * d_sigma(z2)
    delta1 = (W2.T @ delta2) * d_sigma(z1)
    return delta1 @ a0.T / x.shape[1]


def J_b1(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    delta2 = (W3.T @ delta3) * d_sigma(z2)
    delta1 = (W2.T @ delta2) * d_sigma(z1)
    return np.sum(delta1, axis=1, keepdims=True) / x.shape[1]
