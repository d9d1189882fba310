"""The reference solution of chain_rule: trusted, never shipped.

Network: a1 = x w1, h1 = sin(a1), a2 = h1 w2, y_pred = sin(a2);
loss L = mean((y_pred - y)^2) with x and y columns of shape (N, 1).
"""
import numpy as np
import pandas as pd

SEED = 310


def load_data(csv_path):
    frame = pd.read_csv(csv_path)
    x = frame["x"].to_numpy().reshape(-1, 1)
    y = frame["y"].to_numpy().reshape(-1, 1)
    return x, y


def initial_weights(seed=SEED):
    np.random.seed(seed)
    return [np.random.randn(1, 1), np.random.randn(1, 1)]


def A(x):
    return np.sin(x)


def der_A(x):
    return np.cos(x)


def neural_network(W, x):
    a1 = x * W[0]
    a2 = A(a1) * W[1]
    return a1, a2, A(a2)


def loss(W, x, y):
    return float(np.mean((neural_network(W, x)[2] - y) ** 2))


def dadw(x, firstweight=0):
    return x if firstweight else A(x)


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
    dl_dw2 = np.mean(upstream * dadw(a1))
    dl_dw1 = np.mean(upstream * dadh(W[1]) * dhda(a1) * dadw(x, firstweight=1))
    return [float(dl_dw1), float(dl_dw2)]
