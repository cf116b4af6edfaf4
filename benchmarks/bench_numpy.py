"""NumPy coverage benchmarks: srcad's gradients of everyday NumPy losses
against hand-written NumPy gradients.

Run from the repository root::

    python benchmarks/bench_numpy.py            # full run, about a minute
    python benchmarks/bench_numpy.py --quick    # fewer repetitions
    python benchmarks/bench_numpy.py --strict   # exit 1 on a missed target too
    python benchmarks/bench_numpy.py --source   # also print generated sources

Target (issue "NumPy coverage"): each srcad gradient within 1.3x of the
hand-written NumPy gradient.

Workloads: softmax cross-entropy of a 256x10 logits matrix (with integer
labels, and with one-hot targets), a two-layer MLP loss (X 256x64, W1
64x128, W2 128x10; tanh + softmax cross-entropy, and relu via np.maximum +
squared error; gradient wrt W1 and W2) and the Rosenbrock function written
with slices (n = 1,000 and 100,000).

For every workload the script

1. checks the hand-written gradient against a central finite difference
   along a random direction (in every differentiated argument at once),
2. checks srcad's gradient against the hand-written one with ``np.allclose``
   (plus type and shape); a wrong gradient is reported as WRONG, never timed,
3. times the primal, srcad's gradient and the hand-written gradient the way
   ``bench_core.py`` does: autorange-calibrated measurements of at least
   ``min_time``, taken round-robin for ``repeat`` rounds; best time per call
   reported, and the median of the side-by-side srcad/hand ratios as a
   noise check.

Exit status: 0 if every workload ran and was right; 1 if srcad could not be
imported, raised, or produced a wrong gradient (and, with ``--strict``, if a
target was missed).
"""

import gc
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import (Candidate, attempt, fmt_time, options,  # noqa: E402
                        paired_ratio, print_table, report, start,
                        time_candidates, timing)

TARGET = 1.3


# --------------------------------------------------------------------------
# Workloads: ordinary module-level functions, differentiated by srcad.
# --------------------------------------------------------------------------

def xent_labels(z, labels):
    """Mean softmax cross-entropy, integer class labels."""
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(z.shape[0]), labels])


def xent_labels_grad_hand(z, labels):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    p[np.arange(z.shape[0]), labels] -= 1.0
    return p / z.shape[0]


def xent_onehot(z, Y):
    """Mean softmax cross-entropy, one-hot targets."""
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * logp) / z.shape[0]


def xent_onehot_grad_hand(z, Y):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    return (p - Y) / z.shape[0]


def mlp_tanh_xent(W1, b1, W2, b2, X, Y):
    """Two-layer MLP, tanh hidden layer, softmax cross-entropy (one-hot)."""
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


def mlp_tanh_xent_grad_hand(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    dz = (p - Y) / X.shape[0]
    dW2 = h.T @ dz
    da = (dz @ W2.T) * (1.0 - h * h)
    dW1 = X.T @ da
    return dW1, dW2


def mlp_relu_sq(W1, b1, W2, b2, X, T):
    """Two-layer MLP, relu hidden layer (np.maximum), squared error."""
    h = np.maximum(X @ W1 + b1, 0.0)
    r = h @ W2 + b2 - T
    return 0.5 * np.sum(r * r) / X.shape[0]


def mlp_relu_sq_grad_hand(W1, b1, W2, b2, X, T):
    a = X @ W1 + b1
    h = np.maximum(a, 0.0)
    dr = (h @ W2 + b2 - T) / X.shape[0]
    dW2 = h.T @ dr
    da = (dr @ W2.T) * (a > 0.0)
    dW1 = X.T @ da
    return dW1, dW2


def rosen(x):
    """Rosenbrock function, written with slices."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_grad_hand(x):
    lo = x[:-1]
    d = x[1:] - lo * lo
    g = np.zeros_like(x)
    g[:-1] = -400.0 * lo * d - 2.0 * (1.0 - lo)
    g[1:] += 200.0 * d
    return g


def make_workloads(rng):
    n, k = 256, 10
    z = rng.standard_normal((n, k)) * 3.0
    labels = rng.integers(0, k, n)
    Y = np.eye(k)[labels]
    d_in, d_hid = 64, 128
    X = rng.standard_normal((n, d_in))
    W1 = rng.standard_normal((d_in, d_hid)) / np.sqrt(d_in)
    b1 = rng.standard_normal(d_hid) * 0.1
    W2 = rng.standard_normal((d_hid, k)) / np.sqrt(d_hid)
    b2 = rng.standard_normal(k) * 0.1
    T = rng.standard_normal((n, k))
    mlp_args = (W1, b1, W2, b2, X)
    return [
        # name, f, hand-written grad, args, positions differentiated,
        # wrt passed to srcad.grad
        ("xent labels 256x10", xent_labels, xent_labels_grad_hand,
         (z, labels), (0,), 0),
        ("xent one-hot 256x10", xent_onehot, xent_onehot_grad_hand,
         (z, Y), (0,), 0),
        ("mlp tanh+xent", mlp_tanh_xent, mlp_tanh_xent_grad_hand,
         mlp_args + (Y,), (0, 2), ("W1", "W2")),
        ("mlp relu+sq", mlp_relu_sq, mlp_relu_sq_grad_hand,
         mlp_args + (T,), (0, 2), ("W1", "W2")),
        ("rosen n=1e3", rosen, rosen_grad_hand,
         (rng.uniform(-2, 2, 1_000),), (0,), 0),
        ("rosen n=1e5", rosen, rosen_grad_hand,
         (rng.uniform(-2, 2, 100_000),), (0,), 0),
    ]


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------

def check_against_fd(f, grads, args, positions, rng):
    """Central difference of f along a random direction in all the
    differentiated arguments at once, against <grads, direction>.

    A relu MLP is piecewise smooth: with 32,768 hidden pre-activations some
    lie within eps of the kink and the difference quotient straddles it,
    so a smaller step is tried before giving up (smooth workloads pass at
    the first)."""
    directions = [rng.standard_normal(np.shape(args[p])) for p in positions]
    predicted = sum(float(np.sum(g * v)) for g, v in zip(grads, directions))
    scale = abs(f(*args)) + 1.0
    for eps in (1e-6, 1e-7, 1e-8):
        plus, minus = list(args), list(args)
        for p, v in zip(positions, directions):
            plus[p] = args[p] + eps * v
            minus[p] = args[p] - eps * v
        fd = (f(*plus) - f(*minus)) / (2 * eps)
        if np.isclose(fd, predicted, rtol=1e-5, atol=1e-7 * scale):
            return
    raise AssertionError("hand-written gradient disagrees with finite "
                         "differences: %r vs %r" % (predicted, fd))


def check_same(got, want):
    """Raise unless srcad's gradients ``got`` match ``want`` (tuples)."""
    if len(got) != len(want):
        raise AssertionError("%d gradients, expected %d"
                             % (len(got), len(want)))
    for a, b in zip(got, want):
        if not isinstance(a, np.ndarray):
            raise AssertionError("gradient is a %s, expected ndarray"
                                 % type(a).__name__)
        if a.shape != b.shape or a.dtype != b.dtype:
            raise AssertionError("gradient %s %s, expected %s %s"
                                 % (a.shape, a.dtype, b.shape, b.dtype))
        if not np.allclose(a, b):
            raise AssertionError("srcad gradient differs from hand-written "
                                 "(max abs diff %.3g)"
                                 % np.max(np.abs(a - b)))


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def main(argv=None):
    opts = options(__doc__, argv, "fewer repetitions (about 15 s)")
    repeat, min_time = timing(opts.quick)

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    failed = missed = False
    notes, sources = [], []
    srcad, srcad_error = start("NumPy-coverage benchmark", opts.quick,
                               repeat, min_time)
    failed = srcad_error is not None

    header = ["workload", "primal", "srcad", "hand", "srcad/hand",
              "(median)", "target", "status"]
    rows = []
    for name, f, hand, args, positions, wrt in make_workloads(rng):
        want = hand(*args)
        want = want if isinstance(want, tuple) else (want,)
        check_against_fd(f, want, args, positions, rng)

        cands = [Candidate("primal", f, args), Candidate("hand", hand, args)]
        status = None
        if srcad is not None:
            def build():
                g = srcad.grad(f, wrt=wrt)
                got = g(*args)
                check_same(got if isinstance(got, tuple) else (got,), want)
                cands.append(Candidate("srcad", g, args))
                if opts.source:
                    sources.append((name, getattr(g, "source", None)))
            status = attempt(name, build, notes)
        else:
            status = "ERROR"
        failed |= status is not None

        gc.collect()
        t = time_candidates(cands, repeat, min_time)
        th = t["hand"].best
        if "srcad" in t:
            ts = t["srcad"].best
            ratio = ts / th
            status = "OK" if ratio <= TARGET else "MISS"
            missed |= status == "MISS"
            ratio_s = "%.2f" % ratio
            median_s = "%.2f" % paired_ratio(t["srcad"], t["hand"])
            srcad_s = fmt_time(ts)
        else:
            ratio_s = median_s = "-"
            srcad_s = status
        rows.append([name, fmt_time(t["primal"].best), srcad_s, fmt_time(th),
                     ratio_s, median_s, "<= %g" % TARGET, status])

    print_table(header, rows)
    report(notes, sources, repeat)
    print("total run time %.1f s" % (time.perf_counter() - started))
    if failed or (opts.strict and missed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
