"""The logistic sigmoid and the gradient srcad generates for it.

    python examples/sigmoid.py
    srcad show examples/sigmoid.py:sigmoid
"""

import math
import sys

import srcad


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def main():
    print("Generated gradient of sigmoid:\n")
    print(srcad.source(sigmoid))

    dsigmoid = srcad.grad(sigmoid)
    worst = 0.0
    print(f"{'x':>6} {'srcad':>12} {'s*(1-s)':>12}")
    for x in [-4.0, -1.0, 0.0, 0.5, 3.0]:
        s = sigmoid(x)
        got, want = dsigmoid(x), s * (1 - s)
        worst = max(worst, abs(got - want))
        print(f"{x:6.2f} {got:12.8f} {want:12.8f}")
    print(f"max abs error: {worst:.2e}")
    return 0 if worst < 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
