"""The reference solution of curve_backprop: trusted, never shipped.

Like the notebook, the parameters are module globals that the Jacobian
functions read: ``load_namespace()`` gives a fresh, independent copy of this
module's namespace, which the training loop can drive exactly as it drives a
notebook's ``globals()``.
"""
import numpy as np

PARAMETER_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def sigma(z):
    return 1 / (1 + np.exp(-z))


def d_sigma(z):
    return 1 / (4 * np.cosh(z / 2) ** 2)


def reset_network(n1=6, n2=7, random=np.random):
    global W1, W2, W3, b1, b2, b3
    W1 = random.randn(n1, 1) / 2
    W2 = random.randn(n2, n1) / 2
    W3 = random.randn(2, n2) / 2
    b1 = random.randn(n1, 1) / 2
    b2 = random.randn(n2, 1) / 2
    b3 = random.randn(2, 1) / 2


def network_function(a0):
    z1 = W1 @ a0 + b1
    a1 = sigma(z1)
    z2 = W2 @ a1 + b2
    a2 = sigma(z2)
    z3 = W3 @ a2 + b3
    a3 = sigma(z3)
    return a0, z1, a1, z2, a2, z3, a3


def cost(x, y):
    return np.linalg.norm(network_function(x)[-1] - y) ** 2 / x.size


def J_W3(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    return delta3 @ a2.T / x.size


def J_b3(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    return np.sum(delta3, axis=1, keepdims=True) / x.size


def J_W2(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    delta2 = (W3.T @ delta3) * d_sigma(z2)
    return delta2 @ a1.T / x.size


def J_b2(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    delta2 = (W3.T @ delta3) * d_sigma(z2)
    return np.sum(delta2, axis=1, keepdims=True) / x.size


def J_W1(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    delta2 = (W3.T @ delta3) * d_sigma(z2)
    delta1 = (W2.T @ delta2) * d_sigma(z1)
    return delta1 @ a0.T / x.size


def J_b1(x, y):
    a0, z1, a1, z2, a2, z3, a3 = network_function(x)
    delta3 = 2 * (a3 - y) * d_sigma(z3)
    delta2 = (W3.T @ delta3) * d_sigma(z2)
    delta1 = (W2.T @ delta2) * d_sigma(z1)
    return np.sum(delta1, axis=1, keepdims=True) / x.size


def load_namespace(n1=6, n2=7, seed=None):
    """A fresh namespace holding this module's functions and a new network."""
    namespace = {}
    with open(__file__, encoding="utf-8") as source:
        exec(compile(source.read(), __file__, "exec"), namespace)
    random = np.random if seed is None else np.random.RandomState(seed)
    namespace["reset_network"](n1, n2, random)
    return namespace
