"""Core benchmarks: srcad's generated gradients against hand-written NumPy.

Run from the repository root::

    python benchmarks/bench_core.py            # full run, under a minute
    python benchmarks/bench_core.py --quick    # fewer repetitions, under 15 s
    python benchmarks/bench_core.py --strict   # exit 1 on a missed target too
    python benchmarks/bench_core.py --source   # also print generated sources

For every workload the script

1. checks the hand-written gradient against a central finite difference
   along a random direction (so the reference itself is right),
2. checks srcad's gradient against the hand-written one with ``np.allclose``
   (a workload whose gradient is wrong is reported as WRONG and never timed),
3. times the primal function, srcad's gradient and the hand-written gradient,
   plus autograd and JAX when they happen to be importable (never required).

Timing follows ``timeit.Timer.autorange``: the loop count is grown until one
measurement takes at least ``min_time``; then the candidates of a workload
are measured round-robin, one short measurement each per round, for
``repeat`` rounds (so a slow patch on a busy machine hits all candidates
alike and every candidate gets the quiet moments), and the minimum per call
is reported. The ratio srcad/hand is of those minima; the "(median)" column
is the median over rounds of the ratio of side-by-side measurements, as a
check that the minima were not one lucky sample.

The build-time workload times ``srcad.pipeline.clear_cache()`` followed by
``srcad.grad(f)`` and its first call, i.e. a complete compile, best of N.

Exit status: 0 if every workload ran and was right; 1 if srcad could not be
imported, raised, or produced a wrong gradient (and, with ``--strict``, if a
target was missed).
"""

import argparse
import gc
import math
import platform
import statistics
import sys
import time
import timeit
import types

import numpy as np


# --------------------------------------------------------------------------
# Workloads: ordinary module-level functions, differentiated by srcad.
# --------------------------------------------------------------------------

def tanh_sum(x):
    return np.sum(np.tanh(x) * x)


def tanh_sum_grad_hand(x):
    t = np.tanh(x)
    return (1 - t * t) * x + t


def logreg_loss(w, X, y):
    z = X @ w
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def logreg_grad_hand(w, X, y):
    z = X @ w
    p = 1 / (1 + np.exp(-z))
    return X.T @ (p - y) / X.shape[0]


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def sigmoid_grad_hand(x):
    s = 1 / (1 + math.exp(-x))
    return s * (1 - s)


def straight20(x, W):
    # 20 statements of straight-line NumPy: + - * / ** exp log sin tanh sum @
    a = W @ x
    b = np.tanh(a)
    c = b * x + 1.0
    d = np.exp(c * -0.5)
    e = np.log(1.0 + d * d)
    g = np.sin(e) - b
    h = g ** 2
    k = h / (1.0 + c * c)
    m = W @ k
    n = np.tanh(m + x)
    o = n * e - d
    q = np.exp(o * 0.1)
    r = q + h ** 3
    s = np.log(r + 2.0)
    t = s * s / (1.0 + n * n)
    u = np.sin(t) + np.tanh(a)
    v = u - k * 0.5
    z = v ** 2 + e
    total = np.sum(z * x)
    return total / 2.0 + np.sum(q)


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------

class Candidate:
    """One thing to time: ``fn(*args)``, called directly in a timeit loop."""

    def __init__(self, name, fn, args, block=False):
        self.name = name
        names = ["a%d" % i for i in range(len(args))]
        stmt = "fn(%s)" % ", ".join(names)
        if block:  # JAX dispatches asynchronously
            stmt += ".block_until_ready()"
        env = dict(zip(names, args))
        env["fn"] = fn
        self.timer = timeit.Timer(stmt, globals=env)
        self.number = 1
        self.samples = []      # seconds per call, one per round

    def calibrate(self, min_time):
        # timeit.Timer.autorange (loop counts 1, 2, 5, 10, 20, ...), but it
        # stops at a tenth of the threshold and extrapolates, so that every
        # measurement then takes just over ``min_time`` and no more.
        i = 1
        while True:
            for j in (1, 2, 5):
                number = i * j
                t = self.timer.timeit(number)
                if t >= min_time / 10:
                    self.number = max(1, math.ceil(min_time * number / t))
                    return
            i *= 10

    def measure(self):
        self.samples.append(self.timer.timeit(self.number) / self.number)

    @property
    def best(self):
        return min(self.samples) if self.samples else math.inf


def time_candidates(cands, repeat, min_time):
    for c in cands:
        c.calibrate(min_time)
    for _ in range(repeat):
        for c in cands:
            c.measure()
    return {c.name: c for c in cands}


def paired_ratio(num, den):
    """Median over rounds of num/den measured side by side in that round:
    a cross-check of min/min that one lucky sample cannot move."""
    return statistics.median(a / b for a, b in zip(num.samples, den.samples))


def fmt_time(t):
    if t is None:
        return "-"
    if isinstance(t, str):
        return t
    if t < 1e-6:
        return "%.0f ns" % (t * 1e9)
    if t < 1e-3:
        return "%.2f us" % (t * 1e6)
    if t < 1:
        return "%.2f ms" % (t * 1e3)
    return "%.2f s" % t


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------

def directional_fd(f, args, wrt, direction, eps=1e-6):
    """Central difference of f along ``direction`` in argument ``wrt``."""
    x = args[wrt]
    plus = list(args)
    minus = list(args)
    plus[wrt] = x + eps * direction
    minus[wrt] = x - eps * direction
    return (f(*plus) - f(*minus)) / (2 * eps)


def check_against_fd(f, grad, args, wrt, rng):
    x = args[wrt]
    direction = rng.standard_normal(np.shape(x))
    if np.ndim(x) == 0:
        direction = float(direction)
    fd = directional_fd(f, args, wrt, direction)
    an = float(np.sum(np.asarray(grad) * direction))
    if not np.isclose(fd, an, rtol=1e-5, atol=1e-7):
        raise AssertionError("gradient disagrees with finite differences: "
                             "%r vs %r" % (an, fd))


def check_same(name, got, want):
    """Raise unless srcad's gradient ``got`` matches ``want``; return notes."""
    notes = []
    if isinstance(want, float) and not isinstance(got, float):
        notes.append("%s: gradient of a float is %s, API says float"
                     % (name, type(got).__name__))
    if isinstance(want, np.ndarray):
        if not isinstance(got, np.ndarray):
            raise AssertionError("gradient is a %s, expected ndarray"
                                 % type(got).__name__)
        if got.shape != want.shape:
            raise AssertionError("gradient shape %s, expected %s"
                                 % (got.shape, want.shape))
        if got.dtype != want.dtype:
            notes.append("%s: gradient dtype %s, expected %s"
                         % (name, got.dtype, want.dtype))
    if not np.allclose(got, want):
        err = np.max(np.abs(np.asarray(got) - np.asarray(want)))
        raise AssertionError("srcad gradient differs from hand-written "
                             "(max abs diff %.3g)" % err)
    return notes


# --------------------------------------------------------------------------
# Optional competitors (skipped quietly if missing)
# --------------------------------------------------------------------------

def _rebind(f, **globals_override):
    """``f`` with some of its global names (np, math) replaced."""
    g = dict(f.__globals__)
    g.update(globals_override)
    return types.FunctionType(f.__code__, g, f.__name__, f.__defaults__,
                              f.__closure__)


def optional_backends():
    """Return {name: make(f, wrt) -> (grad_fn, block)} for what imports."""
    backends = {}
    try:
        import autograd
        import autograd.numpy as anp

        def make_autograd(f, wrt):
            shim = types.SimpleNamespace(exp=anp.exp, log=anp.log,
                                         tanh=anp.tanh, sin=anp.sin)
            return autograd.grad(_rebind(f, np=anp, math=shim), wrt), False

        backends["autograd"] = make_autograd
    except Exception:
        pass
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        def make_jax(f, wrt):
            shim = types.SimpleNamespace(exp=jnp.exp, log=jnp.log,
                                         tanh=jnp.tanh, sin=jnp.sin)
            return (jax.jit(jax.grad(_rebind(f, np=jnp, math=shim), wrt)),
                    True)

        backends["jax"] = make_jax
    except Exception:
        pass
    return backends


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def make_workloads(rng):
    x1k = rng.standard_normal(1_000)
    x1m = rng.standard_normal(1_000_000)
    n, d = 1000, 100
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 0.5).astype(np.float64)
    w = rng.standard_normal(d) * 0.1
    return [
        # name, f, hand-written grad, args, wrt (position), wrt for srcad,
        # target ratio
        ("tanh_sum n=1e3", tanh_sum, tanh_sum_grad_hand, (x1k,), 0, None, 1.3),
        ("tanh_sum n=1e6", tanh_sum, tanh_sum_grad_hand, (x1m,), 0, None, 1.3),
        ("logreg 1000x100", logreg_loss, logreg_grad_hand, (w, X, y), 0, "w",
         1.3),
        ("sigmoid float", sigmoid, sigmoid_grad_hand, (0.3,), 0, None, 3.0),
    ]


def srcad_grad(srcad, f, wrt):
    return srcad.grad(f) if wrt is None else srcad.grad(f, wrt=wrt)


def options(doc, argv, quick_help="fewer repetitions", targets=True):
    """The benchmark scripts' command line: --quick, and where there are
    targets and sources to show, --strict and --source."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help=quick_help)
    if targets:
        ap.add_argument("--strict", action="store_true",
                        help="exit 1 if any target is missed")
        ap.add_argument("--source", action="store_true",
                        help="also print srcad's generated source per "
                             "workload")
    return ap.parse_args(argv)


def timing(quick):
    """(rounds, seconds a measurement takes at least): many short rounds,
    round-robin, so the machine's fast and slow phases reach every
    candidate alike."""
    return (25, 0.005) if quick else (150, 0.005)


def main(argv=None):
    opts = options(__doc__, argv,
                   "fewer repetitions (under 15 s instead of under 60 s)")
    repeat, min_time = timing(opts.quick)
    build_repeat = 5 if opts.quick else 20

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    failed = False
    missed = False
    notes = []
    sources = []

    backends = optional_backends()
    extra = list(backends)
    srcad, srcad_error = start("core benchmark", opts.quick, repeat,
                               min_time, extra)
    failed = srcad_error is not None

    header = ["workload", "primal", "srcad", "hand", "srcad/hand",
              "(median)", "target", "status"] + extra
    rows = []

    # ---- runtime workloads ------------------------------------------------
    for name, f, hand, args, wrt, srcad_wrt, target in make_workloads(rng):
        want = hand(*args)
        check_against_fd(f, want, args, wrt, rng)   # the reference is right

        cands = [Candidate("primal", f, args), Candidate("hand", hand, args)]
        status = None
        if srcad is not None:
            def build():
                g = srcad_grad(srcad, f, srcad_wrt)
                notes.extend(check_same(name, g(*args), want))
                cands.append(Candidate("srcad", g, args))
                if opts.source:
                    sources.append((name, getattr(g, "source", None)))
            status = attempt(name, build, notes)
        else:
            status = "ERROR"
        if status:
            failed = True

        for bname, make in backends.items():
            try:
                bg, block = make(f, wrt)
                bgot = bg(*args)
                if not np.allclose(np.asarray(bgot), want):
                    raise AssertionError("wrong gradient")
                cands.append(Candidate(bname, bg, args, block=block))
            except Exception as exc:
                notes.append("%s: %s skipped (%s)"
                             % (name, bname, _first_line(exc)))

        gc.collect()
        t = time_candidates(cands, repeat, min_time)
        th = t["hand"].best
        ts = t["srcad"].best if "srcad" in t else None
        if ts is not None:
            ratio = ts / th
            ok = ratio <= target
            status = "OK" if ok else "MISS"
            missed |= not ok
            ratio_s = "%.2f" % ratio
            median_s = "%.2f" % paired_ratio(t["srcad"], t["hand"])
        else:
            ratio_s = median_s = "-"
        rows.append([name, fmt_time(t["primal"].best), fmt_time(ts or status),
                     fmt_time(th), ratio_s, median_s, "<= %g" % target,
                     status]
                    + [fmt_time(t[b].best if b in t else None)
                       for b in extra])

    # ---- build time -------------------------------------------------------
    n = 10
    x = rng.standard_normal(n)
    W = rng.standard_normal((n, n)) * 0.3
    build_name = "build straight20"
    prim = Candidate("primal", straight20, (x, W))
    prim.calibrate(min_time)
    for _ in range(repeat):
        prim.measure()
    status, build_s, build_count = None, None, 0
    if srcad is None:
        status = "ERROR"
    else:
        clear = getattr(getattr(srcad, "pipeline", None), "clear_cache", None)
        if clear is None:
            notes.append("srcad.pipeline.clear_cache() is missing: build "
                         "times were taken on fresh copies of the function "
                         "object instead")
        try:
            times = []
            first = None
            deadline = time.perf_counter() + (2 if opts.quick else 8)
            refs = []
            for i in range(build_repeat):
                if i >= 3 and time.perf_counter() > deadline:
                    break
                refs.append(_reference_loop())
                f = straight20 if clear else _rebind(straight20)
                gc.collect()
                t0 = time.perf_counter()
                if clear:
                    clear()
                g = srcad.grad(f)
                got = g(x, W)
                times.append(time.perf_counter() - t0)
                if first is None:
                    first = got
                    check_against_fd(straight20, got, (x, W), 0, rng)
            build_s = min(times)
            build_count = len(times)
            target_ms = 50e-3
            status = "OK" if build_s < target_ms else "MISS"
            missed |= status == "MISS"
            if opts.source:
                sources.append((build_name, getattr(g, "source", None)))
            steady = Candidate("srcad", g, (x, W))
            steady.calibrate(min_time)
            for _ in range(repeat):
                steady.measure()
            notes.append("%s: build min %s, median %s, first in process %s; "
                         "afterwards a call takes %s (primal %s)"
                         % (build_name, fmt_time(build_s),
                            fmt_time(statistics.median(times)),
                            fmt_time(times[0]), fmt_time(steady.best),
                            fmt_time(prim.best)))
            notes.append("%s: machine speed: a fixed pure-Python reference "
                         "loop took %s (best, measured between builds); "
                         "build time scales with it"
                         % (build_name, fmt_time(min(refs))))
        except AssertionError as exc:
            status = "WRONG"
            notes.append("%s: %s" % (build_name, exc))
        except Exception as exc:
            status = "ERROR"
            notes.append("%s: %s: %s"
                         % (build_name, type(exc).__name__, _first_line(exc)))
    if status in ("WRONG", "ERROR"):
        failed = True
    rows.append([build_name, fmt_time(prim.best),
                 fmt_time(build_s if build_s is not None else status),
                 "-", "-", "-", "< 50 ms", status] + ["-" for _ in extra])

    print_table(header, rows)
    report(notes, sources, repeat)
    print("build = clear_cache() + grad(f) + first call, best of %d"
          % build_count)
    print("total run time %.1f s" % (time.perf_counter() - started))

    if failed or (opts.strict and missed):
        return 1
    return 0


def print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows)
              for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths))
              + " |")


def _reference_loop():
    """Time of a fixed pure-Python loop: tells a slow machine (or a slow
    moment of a shared one) from a slow compiler."""
    t0 = time.perf_counter()
    acc = 0
    for i in range(100_000):
        acc += i & 7
    return time.perf_counter() - t0


def start(title, quick, repeat, min_time, extra=()):
    """Import srcad and print a run's header. Returns (srcad or None, the
    import error or None): without srcad the references are still timed."""
    try:
        import srcad
        error = None
    except Exception as exc:  # report, keep timing the references
        srcad, error = None, "%s: %s" % (type(exc).__name__, exc)
    print("srcad %s  (%s)" % (title, "quick" if quick else "full"))
    print("Python %s, NumPy %s, %s, %s cores"
          % (platform.python_version(), np.__version__, platform.machine(),
             _cpu_count()))
    print("timing: best of %d, each measurement >= %g s (autorange)"
          % (repeat, min_time))
    if extra:
        print("optional columns: " + ", ".join(extra))
    if error:
        print("srcad could not be imported: " + error)
    print()
    return srcad, error


def report(notes, sources, repeat):
    """Print a run's notes, the generated sources asked for, and how to
    read the ratios."""
    if notes:
        print()
        for note in notes:
            print("note: " + note)
    for name, src in sources:
        print()
        print("---- generated source: %s ----" % name)
        print(src if src is not None else "(no .source attribute)")
    print()
    print("times: best of %d rounds; srcad/hand = ratio of those best "
          "times (what the target\nchecks); (median) = median over rounds "
          "of srcad/hand measured side by side" % repeat)


def attempt(name, build, notes):
    """Run `build()`, which makes and checks a srcad candidate: None if it
    worked, else "WRONG" (a failed check) or "ERROR", with a note."""
    try:
        build()
        return None
    except AssertionError as exc:
        notes.append("%s: %s" % (name, exc))
        return "WRONG"
    except Exception as exc:
        notes.append("%s: %s: %s" % (name, type(exc).__name__,
                                     _first_line(exc)))
        return "ERROR"


def _first_line(exc):
    text = str(exc).strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    # SrcadError renders the location first and the message last.
    return lines[-1] if lines else type(exc).__name__


def _cpu_count():
    import os
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


if __name__ == "__main__":
    sys.exit(main())
