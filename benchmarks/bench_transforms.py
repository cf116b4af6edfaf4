"""Transform benchmarks: srcad's Hessians and Jacobians against central
finite differences.

Run from the repository root::

    python benchmarks/bench_transforms.py            # full run
    python benchmarks/bench_transforms.py --quick    # fewer repetitions

Issue "forward mode and composable transforms". Workloads:

- ``srcad.hessian`` (forward over reverse: one batched forward-mode pass
  of the reverse-mode gradient, every column at once) of a 100-dimensional Rosenbrock
  function and of a log-sum-exp over 100 numbers, against central finite
  differences of a hand-written gradient (two gradient calls per column);
- ``srcad.jacobian(f, mode="reverse")`` (one pullback per output) and
  ``mode="forward"`` (one batched jvp, every input at once) of
  ``np.tanh(A @ x) * x`` with
  ``A`` 50x50, against central finite differences of ``f`` itself (two
  calls per column).

Every srcad result is checked against the closed-form Hessian or Jacobian
(``np.allclose``) before it is timed; a wrong one is reported as WRONG and
not timed. The table also gives the closed form's own time (``closed``)
and the largest error of srcad and of finite differences relative to the
largest entry of the closed form (``err``), i.e. what the finite
differences give up.

Timing is ``bench_core.py``'s: autorange-calibrated measurements of at
least ``min_time``, taken round-robin over the candidates for ``repeat``
rounds, best time per call reported; ``(median)`` is the median over
rounds of the srcad/fd ratio measured side by side, a noise check.

Exit status: 0 if every workload ran and was right; 1 if srcad could not be
imported, raised, or was wrong.
"""

import gc
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import (Candidate, attempt, fmt_time, options,  # noqa: E402
                        paired_ratio, print_table, start, time_candidates,
                        timing)
from bench_numpy import rosen, rosen_grad_hand  # noqa: E402


# --------------------------------------------------------------------------
# Functions, their hand-written gradients and closed forms
# --------------------------------------------------------------------------

def rosen_hessian_closed(x):
    n = x.shape[0]
    diag = np.zeros(n)
    diag[:-1] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    diag[1:] += 200.0
    off = -400.0 * x[:-1]
    H = np.diag(diag)
    i = np.arange(n - 1)
    H[i, i + 1] = off
    H[i + 1, i] = off
    return H


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_grad_hand(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def logsumexp_hessian_closed(x):
    p = logsumexp_grad_hand(x)
    return np.diag(p) - np.outer(p, p)


def tanh_map(x, A):
    return np.tanh(A @ x) * x


def tanh_map_jacobian_closed(x, A):
    t = np.tanh(A @ x)
    return np.diag(t) + (x * (1.0 - t * t))[:, None] * A


# --------------------------------------------------------------------------
# Central finite differences, written as a user would
# --------------------------------------------------------------------------

def fd_jacobian(f, x, *rest, h=1e-5):
    """Central differences of f(x, *rest) by x: 2n calls of f; shape
    out.shape + x.shape."""
    n = x.shape[0]
    cols = []
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        cols.append((f(x + e, *rest) - f(x - e, *rest)) / (2.0 * h))
    return np.stack(cols, axis=-1)


def fd_hessian_of(grad):
    """Hessian by central differences of the hand-written gradient."""
    def hess(x):
        return fd_jacobian(grad, x)
    return hess


def make_workloads(rng):
    x100 = rng.uniform(-1.5, 1.5, 100)
    z100 = rng.standard_normal(100) * 2.0
    A = rng.standard_normal((50, 50)) / np.sqrt(50)
    x50 = rng.standard_normal(50)
    # name, how srcad builds it, f, args, finite differences, closed form,
    # function calls per result (srcad, fd)
    return [
        ("hessian rosen n=100", lambda s: s.hessian(rosen), (x100,),
         fd_hessian_of(rosen_grad_hand), rosen_hessian_closed,
         "1 batched jvp(grad)", "200 grad"),
        ("hessian logsumexp n=100", lambda s: s.hessian(logsumexp), (z100,),
         fd_hessian_of(logsumexp_grad_hand), logsumexp_hessian_closed,
         "1 batched jvp(grad)", "200 grad"),
        ("jacobian tanh(Ax)*x reverse", lambda s: s.jacobian(
            tanh_map, mode="reverse"), (x50, A),
         lambda x, A: fd_jacobian(tanh_map, x, A), tanh_map_jacobian_closed,
         "50 vjp", "100 f"),
        ("jacobian tanh(Ax)*x forward", lambda s: s.jacobian(
            tanh_map, mode="forward"), (x50, A),
         lambda x, A: fd_jacobian(tanh_map, x, A), tanh_map_jacobian_closed,
         "1 batched jvp", "100 f"),
    ]


def rel_err(got, want):
    return np.max(np.abs(got - want)) / np.max(np.abs(want))


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def main(argv=None):
    opts = options(__doc__, argv, targets=False)
    repeat, min_time = timing(opts.quick)

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    failed = False
    notes = []
    srcad, srcad_error = start("transforms benchmark", opts.quick, repeat,
                               min_time)
    failed = srcad_error is not None

    header = ["workload", "srcad", "fd", "srcad/fd", "(median)", "closed",
              "err srcad", "err fd", "calls srcad / fd"]
    rows = []
    for name, build, args, fd, closed, calls_s, calls_fd in \
            make_workloads(rng):
        want = closed(*args)
        fd_err = rel_err(fd(*args), want)
        cands = [Candidate("fd", fd, args), Candidate("closed", closed, args)]
        status, errors = None, ["-"]
        if srcad is not None:
            def check():
                transform = build(srcad)
                got = transform(*args)      # compiles, then checked
                if np.shape(got) != want.shape:
                    raise AssertionError("shape %s, expected %s"
                                         % (np.shape(got), want.shape))
                if not np.allclose(got, want):
                    raise AssertionError("differs from the closed form "
                                         "(max abs diff %.3g)"
                                         % np.max(np.abs(got - want)))
                errors[0] = "%.1e" % rel_err(got, want)
                cands.append(Candidate("srcad", transform, args))
            status = attempt(name, check, notes)
        else:
            status = "ERROR"
        err_s = errors[0]
        failed |= status is not None

        gc.collect()
        t = time_candidates(cands, repeat, min_time)
        if "srcad" in t:
            srcad_s = fmt_time(t["srcad"].best)
            ratio_s = "%.2f" % (t["srcad"].best / t["fd"].best)
            median_s = "%.2f" % paired_ratio(t["srcad"], t["fd"])
        else:
            srcad_s, ratio_s, median_s = status, "-", "-"
        rows.append([name, srcad_s, fmt_time(t["fd"].best), ratio_s,
                     median_s, fmt_time(t["closed"].best), err_s,
                     "%.1e" % fd_err, "%s / %s" % (calls_s, calls_fd)])

    print_table(header, rows)
    if notes:
        print()
        for note in notes:
            print("note: " + note)
    print()
    print("fd = central finite differences (step 1e-5) of the hand-written "
          "gradient (Hessians)\nor of f (Jacobians); closed = closed-form "
          "Hessian/Jacobian written by hand;\nerr = max abs error / max abs "
          "entry, against the closed form")
    print("times: best of %d rounds; (median) = median over rounds of "
          "srcad/fd measured side by side" % repeat)
    print("total run time %.1f s" % (time.perf_counter() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
