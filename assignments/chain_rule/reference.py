"""The reference answers of chain_rule: trusted, never shipped.

Written as a notebook's answer cells are: they find the given code
(``neural_network``) among their globals, which ``reference_namespace`` in
this unit's ``__init__`` puts there from checks.py, the one definition of it.

Network: a1 = x w1, h1 = sin(a1), a2 = h1 w2, y_pred = sin(a2);
loss L = mean((y_pred - y)^2) with x and y columns of shape (N, 1).
"""
# ruff: noqa: F821  (the given code is a global put in place before this runs)
import numpy as np


def A(x):
    return np.sin(x)


def der_A(x):
    return np.cos(x)


def dadw1(x):
    return x


def dadw2(a1):
    return A(a1)


def dhda(a):
    return der_A(a)


def dyda(a):
    return der_A(a)


def dadh(w):
    return w


def dldy(y_pred, y):
    return 2 * (y_pred - y)


def dldw(W, x, y):
    a1, a2, y_pred = neural_network(W, x)
    upstream = dldy(y_pred, y) * dyda(a2)
    dl_dw2 = np.mean(upstream * dadw2(a1))
    dl_dw1 = np.mean(upstream * dadh(W[1]) * dhda(a1) * dadw1(x))
    return [float(dl_dw1), float(dl_dw2)]


def dldw_tied(w, x, y):
    a1, a2, y_pred = neural_network([w, w], x)
    upstream = dldy(y_pred, y) * dyda(a2)
    through_a2 = upstream * dadw2(a1)
    through_a1 = upstream * dadh(w) * dhda(a1) * dadw1(x)
    return float(np.mean(through_a1 + through_a2))
