"""Logistic regression trained by plain gradient descent.

The loss is ordinary NumPy; srcad.grad turns it into a function that returns
d loss / d w, and the training loop calls it like any other function.

    python examples/logistic_regression.py
"""

import sys

import numpy as np

import srcad


def loss(w, X, y):
    """Mean binary cross-entropy of the model sigmoid(X @ w)."""
    p = 1 / (1 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def make_data(n=200):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    true_w = np.array([2.0, -1.0, 0.5])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ true_w)))).astype(float)
    return X, y, true_w


def main():
    X, y, true_w = make_data()
    dloss = srcad.grad(loss, wrt=0)

    w = np.zeros(3)
    p = 1 / (1 + np.exp(-(X @ w)))
    analytic = X.T @ (p - y) / len(y)
    error = float(np.max(np.abs(dloss(w, X, y) - analytic)))
    print(f"gradient at w=0 vs X.T @ (p - y) / n: max abs error {error:.2e}")

    learning_rate = 0.5
    first = loss(w, X, y)
    for step in range(201):
        if step % 25 == 0:
            print(f"step {step:3d}  loss {loss(w, X, y):.6f}")
        w = w - learning_rate * dloss(w, X, y)
    last = loss(w, X, y)
    print(f"learned w = {np.round(w, 3)}  (data drawn with w = {true_w})")
    return 0 if error < 1e-12 and last < first else 1


if __name__ == "__main__":
    sys.exit(main())
