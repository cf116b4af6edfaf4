"""The chain rule through intermediate variables.

f(x, y, z) = x**2 + 5*y + 10*z + x*y*z composed with g(t) = (t, t**2, t**3),
written as one function h(t). By hand: dh/dt = 12t + 30t**2 + 6t**5.

    python examples/chain_rule.py
"""

import sys

import srcad


def h(t):
    x = t
    y = t ** 2
    z = t ** 3
    return x ** 2 + 5 * y + 10 * z + x * y * z


def dh_analytic(t):
    return 12 * t + 30 * t ** 2 + 6 * t ** 5


def main():
    print("Generated gradient of h:\n")
    print(srcad.source(h))

    dh = srcad.grad(h)
    worst = 0.0
    print(f"{'t':>6} {'srcad':>14} {'12t+30t^2+6t^5':>16}")
    for t in [-2.0, -0.5, 0.0, 1.0, 1.5, 3.0]:
        got, want = dh(t), dh_analytic(t)
        worst = max(worst, abs(got - want) / max(1.0, abs(want)))
        print(f"{t:6.2f} {got:14.6f} {want:16.6f}")
    print(f"max relative error: {worst:.2e}")
    return 0 if worst < 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
