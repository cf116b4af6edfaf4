"""Loop benchmarks: srcad's generated gradients of code with loops, beside
the primal function and a hand-written adjoint, in one run.

    python benchmarks/bench_loops.py           # full run
    python benchmarks/bench_loops.py --quick   # fewer repetitions

Targets (issue "control flow"): the gradient takes at most 3x the primal,
and at most 1.5x a hand-written NumPy/Python adjoint. Each srcad gradient
is checked against the hand-written one before it is timed.
"""
import math
import os
import sys

import numpy as np

import srcad

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import (Candidate, fmt_time, options,  # noqa: E402
                        time_candidates, timing)

H = 0.01


def rk4(y0, k):
    y = y0
    t = 0.0
    h = 0.01
    for i in range(1000):
        k1 = -k * y + math.sin(t)
        k2 = -k * (y + 0.5 * h * k1) + math.sin(t + 0.5 * h)
        k3 = -k * (y + 0.5 * h * k2) + math.sin(t + 0.5 * h)
        k4 = -k * (y + h * k3) + math.sin(t + h)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        t = t + h
    return y


def rk4_hand(y0, k):
    h = H
    states = []
    y, t = y0, 0.0
    for i in range(1000):
        states.append((y, t))
        k1 = -k * y + math.sin(t)
        k2 = -k * (y + 0.5 * h * k1) + math.sin(t + 0.5 * h)
        k3 = -k * (y + 0.5 * h * k2) + math.sin(t + 0.5 * h)
        k4 = -k * (y + h * k3) + math.sin(t + h)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        t = t + h
    by, bk = 1.0, 0.0
    for y, t in reversed(states):
        k1 = -k * y + math.sin(t)
        k2 = -k * (y + 0.5 * h * k1) + math.sin(t + 0.5 * h)
        k3 = -k * (y + 0.5 * h * k2) + math.sin(t + 0.5 * h)
        bk1, bk2, bk3, bk4 = by * h / 6, by * h / 3, by * h / 3, by * h / 6
        bk -= bk4 * (y + h * k3)
        by -= k * bk4
        bk3 -= k * h * bk4
        bk -= bk3 * (y + 0.5 * h * k2)
        by -= k * bk3
        bk2 -= k * 0.5 * h * bk3
        bk -= bk2 * (y + 0.5 * h * k1)
        by -= k * bk2
        bk1 -= k * 0.5 * h * bk2
        bk -= bk1 * y
        by -= k * bk1
    return by, bk


def horner(c, x):
    p = 0.0
    for i in range(len(c)):
        p = p * x + c[i]
    return p


def horner_hand(c, x):
    n = len(c)
    before = [0.0] * n
    p = 0.0
    for i in range(n):
        before[i] = p
        p = p * x + c[i]
    bp, bx = 1.0, 0.0
    bc = np.zeros(n)
    for i in reversed(range(n)):
        bc[i] = bp
        bx += bp * before[i]
        bp = bp * x
    return bc, bx


def rnn(W, U, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h)


def rnn_hand(W, U, xs, h0):
    hs = [h0]
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
        hs.append(h)
    bh = np.ones_like(h0)
    bW, bU = np.zeros_like(W), np.zeros_like(U)
    for t in reversed(range(xs.shape[0])):
        bz = bh * (1 - hs[t + 1] * hs[t + 1])
        bW += np.outer(bz, hs[t])
        bU += np.outer(bz, xs[t])
        bh = W.T @ bz
    return bW, bU


def iir(x, a):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = a * y[i - 1] + x[i]
    return np.sum(y)


def iir_hand(x, a):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = a * y[i - 1] + x[i]
    by = np.ones_like(x)
    bx = np.zeros_like(x)
    ba = 0.0
    for i in range(len(x) - 1, 0, -1):
        bx[i] += by[i]
        ba += by[i] * y[i - 1]
        by[i - 1] += a * by[i]
    bx[0] += by[0]
    return bx, ba


def newton(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = x - (x * x - a) / (2.0 * x)
    return x


def newton_hand(a):
    iterates = []
    x = a
    while abs(x * x - a) > 1e-12 * a:
        iterates.append(x)
        x = x - (x * x - a) / (2.0 * x)
    bx, ba = 1.0, 0.0
    for x in reversed(iterates):
        # x' = x - (x*x - a) / (2x) = x/2 + a/(2x)
        ba += bx / (2.0 * x)
        bx = bx * (0.5 - a / (2.0 * x * x))
    return ba + bx  # x started as a


def workloads():
    rng = np.random.default_rng(0)
    n = 64
    W = rng.normal(size=(n, n)) / np.sqrt(n)
    U = rng.normal(size=(n, 8)) / np.sqrt(8)
    xs = rng.normal(size=(50, 8))
    return [
        ("rk4 1000 steps (floats)", rk4, rk4_hand, (1.0, 0.7), (0, 1)),
        ("horner 50 coefficients", horner, horner_hand,
         (rng.normal(size=50), 0.9), (0, 1)),
        ("tanh rnn 50 steps, hidden 64", rnn, rnn_hand,
         (W, U, xs, np.zeros(n)), (0, 1)),
        ("iir filter n=1000", iir, iir_hand, (rng.normal(size=1000), 0.9),
         (0, 1)),
        ("newton sqrt while loop", newton, newton_hand, (7.0,), 0),
    ]


def main(argv=None):
    args = options(__doc__, argv, targets=False)
    repeat, min_time = timing(args.quick)
    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}")
    header = ("workload", "primal", "srcad", "hand", "srcad/primal",
              "srcad/hand")
    rows = [header]
    wrong = False
    for label, f, hand, inputs, wrt in workloads():
        g = srcad.grad(f, wrt=wrt)
        got, want = g(*inputs), hand(*inputs)
        if not all(np.allclose(a, b) for a, b in
                   zip(np.atleast_1d(got) if wrt == 0 else got,
                       np.atleast_1d(want) if wrt == 0 else want)):
            rows.append((label, "-", "WRONG", "-", "-", "-"))
            wrong = True
            continue
        timed = time_candidates([Candidate("primal", f, inputs),
                                 Candidate("srcad", g, inputs),
                                 Candidate("hand", hand, inputs)],
                                repeat, min_time)
        t_primal, t_srcad, t_hand = (min(timed[k].samples)
                                     for k in ("primal", "srcad", "hand"))
        rows.append((label, fmt_time(t_primal), fmt_time(t_srcad), fmt_time(t_hand),
                     f"{t_srcad / t_primal:.2f}", f"{t_srcad / t_hand:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths))
              + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print("targets: srcad/primal <= 3, srcad/hand <= 1.5")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
