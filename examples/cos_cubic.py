"""f(x) = cos((x - 2)**3): a chain of three operations, differentiated.

    python examples/cos_cubic.py
"""

import math
import sys

import srcad


def f(x):
    return math.cos((x - 2) ** 3)


def df_analytic(x):
    return -math.sin((x - 2) ** 3) * 3 * (x - 2) ** 2


def main():
    print("Generated gradient of f:\n")
    print(srcad.source(f))

    df = srcad.grad(f)
    worst = 0.0
    print(f"{'x':>6} {'srcad':>14} {'analytic':>14}")
    for x in [0.0, 1.0, 1.5, 2.0, 2.7, 3.1]:
        got, want = df(x), df_analytic(x)
        worst = max(worst, abs(got - want))
        print(f"{x:6.2f} {got:14.8f} {want:14.8f}")
    print(f"max abs error: {worst:.2e}")
    return 0 if worst < 1e-10 else 1


if __name__ == "__main__":
    sys.exit(main())
