"""optimize_algebra.quotients: a derivative quotient `-g * y / b` where
`q = g / b` is assigned already in the same block becomes `-q * y`.

Golden source in, source out for the pass itself (gast in, astor out, the
analysis stood in for by the primal's names), every golden also run before
and after on sample inputs (equal up to rounding; unchanged where it does
not apply). Then user-style functions where both operands of `a / b` are
active: the generated source has one division fewer than without the pass,
and the derivative matches finite differences in both modes, in straight
code and loops, on numbers and on arrays that broadcast.
"""
import contextlib
import copy
import re
import textwrap
from types import SimpleNamespace

import numpy as np
import pytest

import srcad
from srcad import optimize as optimize_module
from srcad import runtime as ad
from srcad.optimize_algebra import quotients

from fdcheck import check_grad
from gastcode import emitted, normal, parsed

MODES = ["reverse", "forward"]


# --------------------------------------------------- quotients, golden cases

def run(source, primal=()):
    """(whether quotients changed anything, the source it leaves)."""
    fdef = parsed(source)
    info = SimpleNamespace(shapes=SimpleNamespace(names=set(primal)))
    changed = quotients(info)(fdef)
    return changed, emitted(fdef)


def defined(source):
    scope = {"np": np, "ad": ad}
    exec(textwrap.dedent(source), scope)
    return scope["f"]


# (id, source, what quotients makes of it, primal names). Arguments are
# g, b, y, c (n a loop's count where there is one).
SHARED = [
    ("negated-numerator", """
        def f(g, b, y, c):
            q = g / b
            r = -g * y / b
            return q, r
        """, """
        def f(g, b, y, c):
            q = g / b
            r = -q * y
            return q, r
        """, ()),
    ("plain-numerator", """
        def f(g, b, y, c):
            q = g / b
            r = g * y / b
            s = y * g / b
            return q, r, s
        """, """
        def f(g, b, y, c):
            q = g / b
            r = q * y
            s = y * q
            return q, r, s
        """, ()),
    ("negated-factor-on-the-right", """
        def f(g, b, y, c):
            q = g / b
            r = y * -g / b
            return q, r
        """, """
        def f(g, b, y, c):
            q = g / b
            r = y * -q
            return q, r
        """, ()),
    ("other-divisors-stay", """
        def f(g, b, y, c):
            q = g / b
            r = g * y / c / b
            s = g / b / c
            return q, r, s
        """, """
        def f(g, b, y, c):
            q = g / b
            r = q * y / c
            s = q / c
            return q, r, s
        """, ()),
    ("quotient-inside-a-product", """
        def f(g, b, y, c):
            q = g / b
            r = g / b * y
            return q, r
        """, """
        def f(g, b, y, c):
            q = g / b
            r = q * y
            return q, r
        """, ()),
    ("augmented", """
        def f(g, b, y, c):
            q = g / b
            c -= g * y / b
            return q, c
        """, """
        def f(g, b, y, c):
            q = g / b
            c -= q * y
            return q, c
        """, ()),
    ("numerator-read-twice", """
        def f(g, b, y, c):
            q = g / b
            r = g * g / b
            return q, r
        """, """
        def f(g, b, y, c):
            q = g / b
            r = q * g
            return q, r
        """, ()),
    ("inside-a-loop-body", """
        def f(g, b, y, c):
            r = 0.0
            for i in range(3):
                q = g / b
                r = r - g * y / b
            return q, r
        """, """
        def f(g, b, y, c):
            r = 0.0
            for i in range(3):
                q = g / b
                r = r - q * y
            return q, r
        """, ()),
    ("inside-a-branch", """
        def f(g, b, y, c):
            r = c
            if np.all(c > 0.0):
                q = g / b
                r = -g * y / b
            return (r,)
        """, """
        def f(g, b, y, c):
            r = c
            if np.all(c > 0.0):
                q = g / b
                r = -q * y
            return (r,)
        """, ()),
    # where it does not apply
    ("numerator-rebound-between", """
        def f(g, b, y, c):
            q = g / b
            g = g * 2.0
            r = -g * y / b
            return q, r
        """, None, ()),
    ("divisor-rebound-between", """
        def f(g, b, y, c):
            q = g / b
            b = b + 1.0
            r = -g * y / b
            return q, r
        """, None, ()),
    ("numerator-rebound-in-a-loop-between", """
        def f(g, b, y, c):
            q = g / b
            for i in range(2):
                g = g + c
            r = -g * y / b
            return q, r
        """, None, ()),
    ("divisor-added-to-between", """
        def f(g, b, y, c):
            q = g / b
            b += 1.0
            r = g * y / b
            return q, r
        """, None, ()),
    ("quotient-assigned-twice", """
        def f(g, b, y, c):
            q = g / b
            q = q + 1.0
            r = -g * y / b
            return q, r
        """, None, ()),
    ("quotient-read-in-a-nested-block", """
        def f(g, b, y, c):
            q = g / b
            r = c
            if np.all(c > 0.0):
                r = -g * y / b
            return q, r
        """, None, ()),
    ("read-before-assigned-in-a-loop", """
        def f(g, b, y, c):
            r = 0.0
            q = c
            for i in range(3):
                r = r - g * y / b
                q = g / b
                g = g * 0.5
            return q, r
        """, None, ()),
    ("primal-quotient-not-shared", """
        def f(g, b, y, c):
            t = g / b
            r = -g * y / b
            return t, r
        """, None, ("t",)),
    ("primal-reader-not-rewritten", """
        def f(g, b, y, c):
            q = g / b
            t = -g * y / b
            return q, t
        """, None, ("t",)),
    ("divisor-in-a-product-not-taken", """
        def f(g, b, y, c):
            q = g / b
            r = g * y / (b * c)
            s = g * (y / b)
            return q, r, s
        """, None, ()),
]
IDS = [case[0] for case in SHARED]


@pytest.mark.parametrize("case", SHARED, ids=IDS)
def test_golden(case):
    # each case becomes its golden; None: left exactly as it was
    _, source, expected, primal = case
    changed, out = run(source, primal)
    assert out == normal(expected or source)
    assert changed == (expected is not None)


def arguments(rng):
    """Sample (g, b, y, c): numbers and arrays that broadcast, b and c away
    from zero."""
    def divisor(shape):
        return (rng.uniform(0.5, 2.0, shape) *
                rng.choice([-1.0, 1.0], shape))
    out = [(float(rng.normal()), float(divisor(())), float(rng.normal()),
            float(divisor(())))
           for _ in range(5)]
    out += [(rng.normal(size=(3, 1)), divisor(4), rng.normal(size=(3, 4)),
             divisor((3, 4))) for _ in range(5)]
    return out


@pytest.mark.parametrize("case", SHARED, ids=IDS)
def test_same_values_up_to_rounding(case):
    # before and after agree on numbers and arrays (exactly where unchanged)
    _, source, expected, primal = case
    _, out = run(source, primal)
    for args in arguments(np.random.default_rng(len(case[0]))):
        before = defined(source)(*copy.deepcopy(args))
        after = defined(out)(*copy.deepcopy(args))
        for u, v in zip(before, after):
            if expected is None:
                assert np.array_equal(u, v)
            else:
                np.testing.assert_allclose(v, u, rtol=1e-13, atol=1e-15)


# g, b or q changed in place between: q is not g / b any more. (id,
# source); run on arrays, the result must be what it was.
IN_PLACE = [
    pytest.param("""
        def f(g, b, y):
            q = g / b
            g[0] = 5.0
            r = -g * y / b
            return q, r
        """, id="numerator-item-written"),
    pytest.param("""
        def f(g, b, y):
            q = g / b
            b[0] += 5.0
            r = -g * y / b
            return q, r
        """, id="divisor-item-added-to"),
    pytest.param("""
        def f(g, b, y):
            q = g / b
            g += y
            r = g * y / b
            return q, r
        """, id="numerator-augmented"),
    pytest.param("""
        def f(g, b, y):
            q = g / b
            ad.add_at(g, 0, 5.0)
            r = -g * y / b
            return q, r
        """, id="numerator-added-at-by-the-runtime"),
    pytest.param("""
        def f(g, b, y):
            q = g / b
            np.add.at(b, 0, 5.0)
            r = -g * y / b
            return q, r
        """, id="divisor-added-at-by-numpy"),
]


@pytest.mark.parametrize("source", IN_PLACE)
def test_changed_in_place_between(source):
    # the quotient is not shared across a write into g or b
    _, out = run(source)
    args = (np.array([1.0, 2.0]), np.array([2.0, 4.0]), 3.0)
    before = defined(source)(*copy.deepcopy(args))
    after = defined(out)(*copy.deepcopy(args))
    np.testing.assert_allclose(after[1], before[1], rtol=1e-13)


# -------------------------------------------------------------- end to end

def ratio(x):
    a = np.sin(x)
    b = np.cos(x) + 2.0
    return np.sum(a / b * x)


def ratio_of_two(x, y):
    a = x * y
    b = y * y + 1.0
    return np.sum(a / b * x)


def ratio_broadcast(x, w):
    a = x * w  # (3, 1) by (4,)
    b = np.exp(w) + x
    return np.sum(a / b)


def ratio_scalar(x):
    a = np.sin(x)
    b = x * x + 1.0
    return a / b * x


def ratio_in_loop(x):
    s = 0.0
    for i in range(3):
        a = np.sin(x * i)
        b = np.exp(x) + i
        s = s + np.sum(a / b)
    return s


def ratio_carried(x):
    s = x
    for i in range(3):
        s = np.sin(s) / (s * s + 1.0)
    return np.sum(s * x)


def rebound_divisor(x):
    a = np.sin(x)
    b = x * x + 1.0
    t = a / b
    b = b * np.cos(x) + 2.0  # b again, divided by again
    u = t * x / b
    return np.sum(u * t)


def rebound_numerator(x):
    s = x * 1.0
    for i in range(2):
        b = s * s + 1.0
        s = (s * x) / b
        s = s - s / b  # s rebound between two quotients by b
    return np.sum(s)


def only_numerator_active(x, y):
    return np.sum(x / (y * y + 1.0))


rng = np.random.default_rng(11)
# (function, arguments, wrt, how many quotients the reverse sweep shares)
CASES = [
    (ratio, (rng.normal(size=4),), 0, 1),
    (ratio, (0.3,), 0, 1),
    (ratio_of_two, (rng.normal(size=4), rng.normal(size=4)), (0, 1), 1),
    (ratio_of_two, (rng.normal(size=4), rng.normal(size=4)), 1, 1),
    (ratio_broadcast, (rng.normal(size=(3, 1)), rng.normal(size=4)), (0, 1),
     1),
    (ratio_broadcast, (rng.normal(size=(3, 1)), rng.normal(size=4)), 1, 1),
    (ratio_scalar, (0.8,), 0, 1),
    (ratio_in_loop, (rng.normal(size=3),), 0, 1),
    (ratio_in_loop, (0.4,), 0, 1),
    (ratio_carried, (0.6,), 0, 1),
    (ratio_carried, (rng.normal(size=3),), 0, 0),  # an unbroadcast between
    (rebound_divisor, (rng.normal(size=3),), 0, 2),
    (rebound_numerator, (0.7,), 0, 1),
    (rebound_numerator, (rng.normal(size=3),), 0, 0),
    (only_numerator_active, (rng.normal(size=3), rng.normal(size=3)), 0, 0),
]
CASE_IDS = [f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]


@contextlib.contextmanager
def quotients_off():
    """Derivatives built with the pass skipped."""
    kept = optimize_module.quotients
    optimize_module.quotients = lambda info: (lambda fdef, facts=None: False)
    srcad.clear_cache()
    try:
        yield
    finally:
        optimize_module.quotients = kept
        srcad.clear_cache()


def divisions(f, args, wrt, mode="reverse"):
    return srcad.source(f, mode=mode, wrt=wrt, args=args).count("/")


@pytest.mark.parametrize("f, args, wrt, shared", CASES, ids=CASE_IDS)
def test_one_division_fewer_a_shared_quotient(f, args, wrt, shared):
    # the reverse sweep divides `shared` times fewer than without the pass
    with_pass = divisions(f, args, wrt)
    with quotients_off():
        without = divisions(f, args, wrt)
    assert without - with_pass == shared


def test_the_shared_name_is_read():
    # ratio's adjoint of b (sign settled) reads ba = x / b, a's adjoint
    source = srcad.source(ratio)
    assert re.search(r"^ +ba = x / b$", source, re.M)
    assert re.search(r"^ +bb = ba \* t\d+$", source, re.M)


@pytest.mark.parametrize("f, args, wrt", [c[:3] for c in CASES[:4]])
def test_forward_mode_unchanged(f, args, wrt):
    # tangents have no separate g / b to share: the forward source is as is
    with_pass = divisions(f, args, wrt, "forward")
    with quotients_off():
        without = divisions(f, args, wrt, "forward")
    assert with_pass == without


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args, wrt, shared", CASES, ids=CASE_IDS)
def test_matches_finite_differences(f, args, wrt, shared, mode):
    # shared quotients, and the cases left alone, against differences
    check_grad(f, *args, wrt=wrt, mode=mode)


@pytest.mark.parametrize("f, x", [(ratio_scalar, 0.8), (ratio_carried, 0.6)])
def test_second_order(f, x):
    # the gradient with a shared quotient, differentiated again
    g1 = srcad.grad(f)
    eps = 1e-6
    expected = (g1(x + eps) - g1(x - eps)) / (2 * eps)
    for mode in MODES:
        np.testing.assert_allclose(srcad.grad(g1, mode=mode)(x), expected,
                                   rtol=1e-5, atol=1e-7)
