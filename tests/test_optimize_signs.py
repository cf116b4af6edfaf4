"""optimize_signs: negations of derivative statements settle where they cost
nothing.

Golden source in, source out for `signs` itself (parsed with gast, emitted
with astor); every golden is also run before and after on floats and arrays
holding negatives, zeros and infinities, and the results must be equal
bitwise (nan equal to nan; only a zero's sign may differ, which `==`
ignores). Then user-style functions end to end: against finite differences
in both modes, to second order, the value of value_and_grad equal to the
function's own, and the derivative with the pass equal bitwise to the one
without it.
"""
import contextlib
import copy
import itertools
import math
import textwrap

import gast
import numpy as np
import pytest

import srcad
from srcad import optimize as optimize_module
from srcad import runtime as ad
from srcad.optimize_signs import signs

from fdcheck import check_grad
from gastcode import emitted, normal, parsed

MODES = ["reverse", "forward"]
INF = math.inf


# ------------------------------------------------------- signs, golden cases

def run(source, primal=(), temporaries=()):
    """(whether signs changed anything, the source it leaves)."""
    fdef = parsed(source)
    changed, _ = signs(fdef, primal=set(primal),
                       temporaries=set(temporaries))
    return changed, emitted(fdef)


def g(*args):
    """A function the cases call: the pass does not look into calls."""
    return sum(args) * 1.5


NAMESPACE = {"np": np, "g": g, "ad": ad}


def defined(source):
    scope = dict(NAMESPACE)
    exec(textwrap.dedent(source), scope)
    return scope["f"]


# (id, source, what signs makes of it, primal names, temporaries, arrays
# only?). `bt1`-style names are temporaries' adjoints where listed.
SETTLED = [
    # a negation passes up through products and quotients
    ("negated-left-factor", """
        def f(a, b):
            r = -a * b
            return r
        """, """
        def f(a, b):
            r = -(a * b)
            return r
        """, (), (), False),
    ("negated-right-factor", """
        def f(a, b):
            r = a * -b
            return r
        """, """
        def f(a, b):
            r = -(a * b)
            return r
        """, (), (), False),
    ("two-negations-cancel", """
        def f(a, b):
            r = -a * -b
            return r
        """, """
        def f(a, b):
            r = a * b
            return r
        """, (), (), False),
    ("negated-divisor", """
        def f(a, b):
            r = a / -b
            return r
        """, """
        def f(a, b):
            r = -(a / b)
            return r
        """, (), (), False),
    ("negated-numerator", """
        def f(a, b, c):
            r = -a / b * c
            return r
        """, """
        def f(a, b, c):
            r = -(a / b * c)
            return r
        """, (), (), False),
    # sums and differences absorb it
    ("plus-negated", """
        def f(a, b):
            r = a + -b
            return r
        """, """
        def f(a, b):
            r = a - b
            return r
        """, (), (), False),
    ("negated-plus", """
        def f(a, b):
            r = -a + b
            return r
        """, """
        def f(a, b):
            r = b - a
            return r
        """, (), (), False),
    ("negated-minus", """
        def f(a, b):
            r = -a - b
            return r
        """, """
        def f(a, b):
            r = -(a + b)
            return r
        """, (), (), False),
    ("minus-negated", """
        def f(a, b):
            r = a - -b
            return r
        """, """
        def f(a, b):
            r = a + b
            return r
        """, (), (), False),
    ("negated-minus-negated", """
        def f(a, b):
            r = -a - -b
            return r
        """, """
        def f(a, b):
            r = b - a
            return r
        """, (), (), False),
    ("double-negation", """
        def f(a):
            r = -(-a)
            return r
        """, """
        def f(a):
            r = a
            return r
        """, (), (), False),
    ("negated-product-in-a-sum", """
        def f(a, b, c):
            r = c + -a * b
            s = c - -a * b
            return r, s
        """, """
        def f(a, b, c):
            r = c - a * b
            s = c + a * b
            return r, s
        """, (), (), False),
    ("nested-sums", """
        def f(a, b, c):
            r = -(a - b) - -(c + -a)
            return r
        """, """
        def f(a, b, c):
            r = c - a - (a - b)
            return r
        """, (), (), False),
    # augmented assignments swap + and -
    ("aug-plus-negated", """
        def f(a, c):
            c += -a
            return c
        """, """
        def f(a, c):
            c -= a
            return c
        """, (), (), False),
    ("aug-minus-negated-product", """
        def f(a, b, c):
            c -= -a * b
            return c
        """, """
        def f(a, b, c):
            c += a * b
            return c
        """, (), (), False),
    ("aug-into-an-item", """
        def f(a, b, c):
            c[0] += -a[1] * b[2]
            return c
        """, """
        def f(a, b, c):
            c[0] -= a[1] * b[2]
            return c
        """, (), (), True),
    # a number among the factors takes the sign
    ("constant-factor-left", """
        def f(a):
            r = -(2.0 * a)
            return r
        """, """
        def f(a):
            r = -2.0 * a
            return r
        """, (), (), False),
    ("constant-divisor", """
        def f(a):
            r = -(a / 2.0)
            return r
        """, """
        def f(a):
            r = a / -2.0
            return r
        """, (), (), False),
    ("constant-factor-last", """
        def f(a, b):
            r = -a * b * 3.0
            return r
        """, """
        def f(a, b):
            r = a * b * -3.0
            return r
        """, (), (), False),
    # a temporary's adjoint assigned a negation once keeps the value only
    ("flipped-temporary", """
        def f(bx, x, t9, ba):
            bt8 = -(bx / t9)
            bx = bx + bt8 * x
            ba += bt8
            return bx, ba
        """, """
        def f(bx, x, t9, ba):
            bt8 = bx / t9
            bx = bx - bt8 * x
            ba -= bt8
            return bx, ba
        """, (), ("bt8",), False),
    ("flipped-temporary-read-inside-a-call", """
        def f(a, b, c):
            bt1 = -(a * b)
            r = g(bt1 * c, c)
            return r
        """, """
        def f(a, b, c):
            bt1 = a * b
            r = g(-bt1 * c, c)
            return r
        """, (), ("bt1",), False),
    ("flipped-temporary-negated-again", """
        def f(a, b, c):
            bt1 = -(a * b)
            r = c * -bt1
            return r
        """, """
        def f(a, b, c):
            bt1 = a * b
            r = c * bt1
            return r
        """, (), ("bt1",), False),
    ("flipped-inside-a-loop", """
        def f(a, b, c):
            r = c * 0.0
            for i in range(3):
                bt1 = -(a * b)
                r = r + bt1 * c
                a = a * 0.5
            return r
        """, """
        def f(a, b, c):
            r = c * 0.0
            for i in range(3):
                bt1 = a * b
                r = r - bt1 * c
                a = a * 0.5
            return r
        """, (), ("bt1",), False),
    # ... but not when a reader cannot take the sign
    ("kept-for-a-call-argument", """
        def f(a, b, c):
            bt1 = -(a * b)
            r = c + g(bt1)
            return r
        """, """
        def f(a, b, c):
            bt1 = -(a * b)
            r = c + g(bt1)
            return r
        """, (), ("bt1",), False),
    ("kept-for-a-comparison", """
        def f(a, b, c):
            bt1 = -(a * b)
            r = np.where(bt1 > 0.0, c, bt1 * c)
            return r
        """, """
        def f(a, b, c):
            bt1 = -(a * b)
            r = np.where(bt1 > 0.0, c, bt1 * c)
            return r
        """, (), ("bt1",), False),
    ("kept-for-a-subscript-base", """
        def f(a, b, c):
            bt1 = -(a * b)
            r = c + bt1[0] * c
            return r
        """, """
        def f(a, b, c):
            bt1 = -(a * b)
            r = c + bt1[0] * c
            return r
        """, (), ("bt1",), True),
    ("kept-for-a-copy", """
        def f(a, b, c):
            bt1 = -(a * b)
            w = bt1
            r = w * c
            return r
        """, """
        def f(a, b, c):
            bt1 = -(a * b)
            w = bt1
            r = w * c
            return r
        """, (), ("bt1",), False),
    ("kept-when-read-before-assigned-in-a-loop", """
        def f(a, b, c):
            r = c * 0.0
            for i in range(3):
                if i > 0:
                    r = r + bt1 * c
                bt1 = -(a * b)
                a = a * 0.5
            return r
        """, """
        def f(a, b, c):
            r = c * 0.0
            for i in range(3):
                if i > 0:
                    r = r + bt1 * c
                bt1 = -(a * b)
                a = a * 0.5
            return r
        """, (), ("bt1",), False),
    ("kept-when-assigned-twice", """
        def f(a, b, c):
            bt1 = -(a * b)
            bt1 = bt1 * c
            r = c + bt1 * a
            return r
        """, """
        def f(a, b, c):
            bt1 = -(a * b)
            bt1 = bt1 * c
            r = c + bt1 * a
            return r
        """, (), ("bt1",), False),
    ("user-adjoint-never-flipped", """
        def f(a, b, c):
            bu = -(a * b)
            r = c + bu * a
            return r
        """, """
        def f(a, b, c):
            bu = -(a * b)
            r = c + bu * a
            return r
        """, (), (), False),
    # the primal's statements stay as written
    ("primal-untouched", """
        def f(a, b, c):
            t = -a * b
            u = a + -b
            v = -a - b
            s = c * 1.0
            s += -a
            bt1 = -(t * u)
            r = c + bt1 * s
            return t, u, v, s, r
        """, """
        def f(a, b, c):
            t = -a * b
            u = a + -b
            v = -a - b
            s = c * 1.0
            s += -a
            bt1 = t * u
            r = c - bt1 * s
            return t, u, v, s, r
        """, ("t", "u", "v", "s"), ("bt1",), False),
    ("negations-in-both-branches", """
        def f(a, b, c):
            if np.all(c > 0.0):
                r = -a * b + c
            else:
                r = -a - -b
            return r
        """, """
        def f(a, b, c):
            if np.all(c > 0.0):
                r = c - a * b
            else:
                r = b - a
            return r
        """, (), (), False),
]
UNCHANGED = {"kept-for-a-call-argument", "kept-for-a-comparison",
             "kept-for-a-subscript-base", "kept-for-a-copy",
             "kept-when-read-before-assigned-in-a-loop",
             "kept-when-assigned-twice", "user-adjoint-never-flipped"}
IDS = [case[0] for case in SETTLED]


@pytest.mark.parametrize("case", SETTLED, ids=IDS)
def test_golden(case):
    # signs rewrites each case to its golden (or leaves it, for kept ones)
    id_, source, expected, primal, temporaries, _ = case
    _, out = run(source, primal, temporaries)
    assert out == normal(expected)
    if id_ in UNCHANGED:
        assert out == normal(source)


@pytest.mark.parametrize("case", [c for c in SETTLED if c[0] not in UNCHANGED],
                         ids=[c[0] for c in SETTLED if c[0] not in UNCHANGED])
def test_reports_a_change(case):
    # what it rewrites it says it changed
    _, source, _, primal, temporaries, _ = case
    assert run(source, primal, temporaries)[0]


@pytest.mark.parametrize("case", SETTLED, ids=IDS)
def test_settled_code_stays(case):
    # a second run (running it again changes nothing) keeps the source
    _, source, _, primal, temporaries, _ = case
    _, once = run(source, primal, temporaries)
    _, twice = run(once, primal, temporaries)
    assert twice == once


# ---------------------------------------------- exactness of every golden

SPECIAL = [2.5, -1.5, 0.0, -0.0, INF, -INF, 3e-310, -7.0]


def scalar_arguments(n, rng, count=60):
    """`count` tuples of n floats among SPECIAL (every pair for n <= 2)."""
    if n <= 2:
        return list(itertools.product(SPECIAL, repeat=n))
    return [tuple(float(v) for v in rng.choice(SPECIAL, size=n))
            for _ in range(count)]


def array_arguments(n, rng, count=10):
    """`count` tuples of n arrays of normals with SPECIAL planted: of one
    shape, and once of shapes that broadcast ((3, 1), (4,), ..., the last
    (3, 4), which an augmented assignment can write into)."""
    def planted(shape):
        a = rng.normal(size=shape) * 3.0
        flat = a.reshape(-1)
        flat[rng.choice(flat.size, size=2, replace=False)] = \
            rng.choice(SPECIAL, 2)
        return a
    out = [tuple(planted(8) for _ in range(n)) for _ in range(count)]
    spread = [(3, 1), (4,)] * n
    out.append(tuple(planted(shape) for shape in spread[:n - 1] + [(3, 4)]))
    return out


def equal(x, y):
    """Bitwise equal but for a zero's sign; nan equal to nan."""
    if isinstance(x, tuple):
        return len(x) == len(y) and all(equal(a, b) for a, b in zip(x, y))
    return np.shape(x) == np.shape(y) and \
        np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True)


def outcome(f, args):
    """What f returns on args, or the type of what it raises (Python
    floats divided by zero raise)."""
    try:
        with np.errstate(all="ignore"):
            return f(*args)
    except ArithmeticError as error:
        return type(error)


def same_results(before, after, args):
    a1, a2 = copy.deepcopy(args), copy.deepcopy(args)
    r1, r2 = outcome(defined(before), a1), outcome(defined(after), a2)
    if isinstance(r1, type) or isinstance(r2, type):
        assert r1 is r2, (args, r1, r2)
    else:
        assert equal(r1, r2), (args, r1, r2)
    assert equal(tuple(a1), tuple(a2)), "arguments changed differently"


@pytest.mark.parametrize("case", SETTLED, ids=IDS)
def test_rewrite_is_exact(case):
    # before and after give the same floats on specials, scalars and arrays
    id_, source, _, primal, temporaries, arrays_only = case
    _, out = run(source, primal, temporaries)
    n = len(parsed(source).args.args)
    rng = np.random.default_rng(len(id_))
    cases = array_arguments(n, rng)
    if not arrays_only:  # Python floats, then NumPy's
        scalars = scalar_arguments(n, rng)
        cases += scalars + [tuple(map(np.float64, a)) for a in scalars]
    for args in cases:
        same_results(source, out, args)


# A negation makes a fresh array; the value without it may be the same
# array as another name. (source, temporaries): each run on a 2-d array
# and must give what it gave before (generated code puts ad.own or ad.copy
# before writing into an adjoint, so these are guards of the pass alone).
IN_PLACE = [
    # `bt1 = -bx` would be `bt1 = bx`: bx is added to in place after
    pytest.param("""
        def f(bx, e, y):
            bt1 = -bx
            bx += e
            return bx, bt1 * y
        """, ("bt1",), id="source-augmented"),
    pytest.param("""
        def f(bx, e, y):
            bt1 = -bx
            bx[0] = e
            return bx, bt1 * y
        """, ("bt1",), id="source-item-written"),
    pytest.param("""
        def f(bx, e, y):
            bt1 = -bx
            ad.add_at(bx, 0, e)
            return bx, bt1 * y
        """, ("bt1",), id="source-added-at-by-the-runtime"),
    pytest.param("""
        def f(bs, e, y):
            bt1 = -bs[0]
            bs[0] += e
            return bs, bt1 * y
        """, ("bt1",), id="source-item-is-a-view"),
    pytest.param("""
        def f(bu, e, y):
            bt1 = -(bu * y)
            bv = -bt1
            bv[0] += e
            return bv, bt1 * y
        """, ("bt1",), id="negated-flipped-name-written"),
    pytest.param("""
        def f(a, e, y):
            r = -(-a)
            r[0] += e
            return r, a * y
        """, (), id="double-negation-written"),
]


@pytest.mark.parametrize("source, temporaries", IN_PLACE)
def test_no_alias_of_an_array_changed_in_place(source, temporaries):
    # settling a sign never leaves two names for one array that changes
    _, out = run(source, temporaries=temporaries)
    same_results(source, out, (np.array([[1.0, 2.0], [3.0, 4.0]]), 1.0, 3.0))


def test_no_change_reported_for_settled_code():
    # signs reports whether anything changed: not for `-(a * b)` kept
    changed, out = run("""
        def f(a, b):
            r = -(a * b)
            return r
        """)
    assert out == normal("def f(a, b):\n    r = -(a * b)\n    return r\n")
    assert not changed


def negations(source):
    return sum(1 for node in gast.walk(gast.parse(textwrap.dedent(source)))
               if type(node) is gast.UnaryOp and type(node.op) is gast.USub)


def test_flipping_never_adds_negations():
    # seen in generated reverse loops: bt12 = -bv1 read in two unbroadcasts
    source = """
        def f(bv1, y, t11):
            bt12 = -bv1
            a = g(bt12 * y, t11)
            b = g(bt12 * t11, y)
            return a, b
        """
    _, out = run(source, temporaries={"bt12"})
    same_results(source, out, (np.array([1.0, -2.0]), 3.0, 0.5))  # exact
    assert negations(out) <= negations(source)


# -------------------------------------------------------------- end to end

def neg_products(x, y):
    a = -x * y
    b = a - x / (y * y + 1.0)
    c = -np.sum(b * x) - np.sum(-a)
    return c - np.sum(-(x - y) * -(y - x))


def sub_chains(x, y):
    d = x - y - (y - -x) - -(x * y)
    return -np.sum(-d * d) + np.sum(-x / (1.0 + y * y))


def in_loop(x, y):
    s = x * 1.0
    for i in range(3):
        s = -s * 0.5 - np.sin(-s) * y
        s = s - -x / (s * s + 1.0)
    return -np.sum(s * s)


def in_branch(x, y):
    if np.sum(x) > 0:
        z = -(x - y) / (y * y + 1.0)
    else:
        z = -x - y * -x
    return -np.sum(-z * z - (x - y))


def items(x):
    s = x * 1.0
    for i in range(2):
        s[0] = -s[1] - s[0]
        s[1:] = -np.sin(s[:-1])
    return -np.sum(-s * s)


def mean_of_negations(x, w):
    z = -(x @ w)
    return -np.mean(-z * np.tanh(-z)) - np.sum(-w * w)


def scalar_mix(x):
    a = -x * x
    b = a - x / (x * x + 1.0)
    for i in range(2):
        b = -b * 0.5 - np.sin(-x)
    if x > 0:
        b = -(b - x)
    return -b * x - (-a)


def while_negations(x):
    s = x
    k = 0
    while k < 3:
        s = -s * 0.5 - -np.sin(s)
        k = k + 1
    return -s * x


rng = np.random.default_rng(7)
CASES = [
    (neg_products, (rng.normal(size=4), rng.normal(size=4)), 0),
    (neg_products, (rng.normal(size=(2, 3)), rng.normal(size=3)), 1),
    (sub_chains, (rng.normal(size=(3, 1)), rng.normal(size=4)), (0, 1)),
    (sub_chains, (0.7, -1.3), 0),
    (in_loop, (rng.normal(size=3), rng.normal(size=3)), (0, 1)),
    (in_branch, (np.abs(rng.normal(size=3)), rng.normal(size=3)), (0, 1)),
    (in_branch, (-np.abs(rng.normal(size=3)), rng.normal(size=3)), (0, 1)),
    (items, (rng.normal(size=(3, 2)),), 0),
    (items, (rng.normal(size=4),), 0),
    (mean_of_negations, (rng.normal(size=(5, 3)), rng.normal(size=3)),
     (0, 1)),
    (scalar_mix, (0.7,), 0),
    (scalar_mix, (-0.4,), 0),
    (while_negations, (0.9,), 0),
]
CASE_IDS = [f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args, wrt", CASES, ids=CASE_IDS)
def test_matches_finite_differences(f, args, wrt, mode):
    # the derivative with settled signs against central differences
    check_grad(f, *args, wrt=wrt, mode=mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args, wrt", CASES, ids=CASE_IDS)
def test_value_is_the_functions_own(f, args, wrt, mode):
    # value_and_grad's value is bitwise what f computes: the primal is kept
    value, _ = srcad.value_and_grad(f, wrt=wrt, mode=mode)(*args)
    expected = f(*copy.deepcopy(args))
    assert value == expected and np.signbit(value) == np.signbit(expected)


def signed_zero(x, y):
    z = -x - y  # +0.0 where y is -x; -(x + y) would be -0.0
    return np.sum(np.arctan(1.0 / z) * y)  # +-pi/2 * y there


@pytest.mark.parametrize("mode", MODES)
def test_primal_zero_keeps_its_sign(mode):
    # a primal `-x - y` written `-(x + y)` would turn +pi/2 to -pi/2
    x, y = np.array([1.0, 0.5, -2.0]), np.array([-1.0, 0.25, 2.0])
    with np.errstate(all="ignore"):
        expected = signed_zero(x, y)
        value, _ = srcad.value_and_grad(signed_zero, mode=mode)(x, y)
    assert value == expected


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, x", [(scalar_mix, 0.7), (scalar_mix, -0.4),
                                  (while_negations, 0.9)])
def test_second_order(f, x, mode):
    # the settled gradient differentiated again, against differences of it
    g1 = srcad.grad(f)
    g2 = srcad.grad(g1, mode=mode)(x)
    eps = 1e-6
    expected = (g1(x + eps) - g1(x - eps)) / (2 * eps)
    np.testing.assert_allclose(g2, expected, rtol=1e-5, atol=1e-7)


def test_hessian_of_an_array_function():
    # forward over reverse through settled signs, against differences
    x, y = rng.normal(size=3), rng.normal(size=3)
    hess = srcad.hessian(in_loop)(x, y)
    g1 = srcad.grad(in_loop)
    for i in range(3):
        step = np.zeros(3)
        step[i] = 1e-6
        column = (g1(x + step, y) - g1(x - step, y)) / 2e-6
        np.testing.assert_allclose(hess[:, i], column, rtol=1e-5, atol=1e-6)


@contextlib.contextmanager
def signs_off():
    """Derivatives built with the pass skipped."""
    kept = optimize_module.signs
    optimize_module.signs = lambda *args: (False, False)
    srcad.clear_cache()
    try:
        yield
    finally:
        optimize_module.signs = kept
        srcad.clear_cache()


def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args, wrt", CASES, ids=CASE_IDS)
def test_same_derivative_without_the_pass(f, args, wrt, mode):
    # settling signs rounds nothing: the derivative is bitwise the same
    srcad.clear_cache()
    with_pass = srcad.grad(f, wrt=wrt, mode=mode)(*args)
    with signs_off():
        without = srcad.grad(f, wrt=wrt, mode=mode)(*args)
    assert equal(as_tuple(with_pass), as_tuple(without))


def test_sources_have_fewer_negations():
    # the pass does what it is for: fewer unary minuses in a loop's sweep
    # (it runs on functions with loops; straight-line code is defer_scales')
    def minus_count(f, mode):
        source = srcad.source(f, mode=mode, wrt=0)
        tree = gast.parse(source)
        return sum(1 for node in gast.walk(tree)
                   if type(node) is gast.UnaryOp and
                   type(node.op) is gast.USub)
    counts = {}
    for mode in MODES:
        counts[mode] = minus_count(while_negations, mode)
        with signs_off():
            counts[mode] = (counts[mode], minus_count(while_negations, mode))
    assert counts["reverse"][0] < counts["reverse"][1]
    assert counts["forward"][0] <= counts["forward"][1]


@pytest.mark.parametrize("f, args", [(neg_products, CASES[0][1]),
                                     (in_loop, CASES[4][1])])
def test_primal_lines_identical(f, args):
    # the primal part of the reverse source is the same with and without
    def primal_part(source):
        return source.split("# grad of", 1)[0]
    settled = srcad.source(f, wrt=(0, 1), args=args)
    with signs_off():
        unsettled = srcad.source(f, wrt=(0, 1), args=args)
    assert primal_part(settled) == primal_part(unsettled)
