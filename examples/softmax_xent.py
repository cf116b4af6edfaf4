"""Softmax cross-entropy of a logit vector against a one-hot target.

The loss subtracts max(z) before exponentiating so it never overflows. That
shift does not change the loss (softmax is shift invariant), so its
contribution to the gradient cancels. By hand: dloss/dz = softmax(z) - y.

    python examples/softmax_xent.py
"""

import sys

import numpy as np

import srcad


def softmax_xent(z, y):
    shifted = z - np.max(z)
    log_probs = shifted - np.log(np.sum(np.exp(shifted)))
    return -np.sum(y * log_probs)


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def main():
    print("Generated gradient of softmax_xent with respect to z:\n")
    print(srcad.source(softmax_xent, wrt="z"))

    dloss = srcad.grad(softmax_xent, wrt="z")
    rng = np.random.default_rng(2)
    worst = 0.0
    np.set_printoptions(precision=5, suppress=True)
    for scale in [1.0, 10.0, 1000.0]:  # 1000: a naive exp would overflow
        z = scale * rng.normal(size=5)
        y = np.eye(5)[rng.integers(5)]
        got, want = dloss(z, y), softmax(z) - y
        worst = max(worst, float(np.max(np.abs(got - want))))
        print(f"z = {z}, target class {int(np.argmax(y))}")
        print(f"  loss:         {softmax_xent(z, y):.5f}")
        print(f"  srcad:        {got}")
        print(f"  softmax(z)-y: {want}")
    print(f"max abs error: {worst:.2e}")
    return 0 if worst < 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
