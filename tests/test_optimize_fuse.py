"""optimize_fuse: a temporary read once, by the next statement that can
take it, is written into that statement.

Golden source in, source out for `fuse` itself (what moves, what stays and
why), every golden also run before and after on sample inputs; user-style
functions end to end against finite differences in both modes and to
second order; and a round trip over generated sources: each fusion the
pipeline makes is checked to be its temporaries written into their readers
and nothing else, and the derivative with it equals the one without.
"""
import ast
import copy
import math
import re
import textwrap

import gast
import numpy as np
import pytest

import srcad
from srcad import pipeline
from srcad.build import (COMMENT, clone, fingerprint, is_comment,
                         simple_assign, statements, stores, transform)
from srcad.build import comment as build_comment
from srcad.emit import emit
from srcad.folding import negations_inward
from srcad.optimize_fuse import WIDTH, fuse

from fdcheck import check_grad, numeric_grad
from test_optimize import same

MODES = ["reverse", "forward"]


# ------------------------------------------------------- fuse, golden cases

def movable(call):
    """The cases' calls: `effect(...)` and list methods have effects; `g`,
    `len`, `abs`, `np.*` and `math.*` do not."""
    func = call.func
    if type(func) is gast.Name:
        return func.id != "effect"
    return func.attr not in ("append", "pop")


def temporaries_in(source):
    """The normalizer's kind of names in `source`: t1, bt1, dt1."""
    return set(re.findall(r"\b[bd]?t\d+\b", source))


def run(source, temporaries=None, movable=movable, private=("tape",)):
    fdef = gast.parse(textwrap.dedent(source)).body[0]
    if temporaries is None:
        temporaries = temporaries_in(source)
    fuse(fdef, temporaries, movable, set(private))
    return emit([fdef])


def g(*args, **kwargs):
    """A function without effects, for the cases to call."""
    return sum(args) + 2 * sum(kwargs.values())


def effect(*args):
    """A function the cases treat as having effects."""
    return sum(args) + 1


NAMESPACE = {"np": np, "math": math, "g": g, "effect": effect}


def defined(source):
    scope = dict(NAMESPACE)
    exec(textwrap.dedent(source), scope)
    return next(v for k, v in scope.items()
                if k not in NAMESPACE and k != "__builtins__")


def same_results(before, after, args):
    """`before` and `after` run on copies of `args` give equal results and
    leave the arguments equal (a list passed in is changed alike)."""
    a1, a2 = copy.deepcopy(args), copy.deepcopy(args)
    r1, r2 = defined(before)(*a1), defined(after)(*a2)
    np.testing.assert_equal(r1, r2)
    np.testing.assert_equal(a1, a2)


# (id, source, what fuse makes of it, sample arguments to run both on).
# The temporaries are the names like t1, bt1, dt1; `g` moves, `effect`,
# `.append` and `.pop` do not.
FUSED = [
    ("chain", """
        def f(x, a):
            t1 = x * x
            t2 = t1 - a
            return t2
        """, """
        def f(x, a):
            return x * x - a
        """, (1.5, 0.3)),
    ("nearest-first-then-the-earlier", """
        def f(a, b, c, d):
            t1 = a * b
            t2 = c * d
            return t1 + t2
        """, """
        def f(a, b, c, d):
            return a * b + c * d
        """, (1.0, 2.0, 3.0, 4.0)),
    ("user-name-between-stays", """
        def f(x, a):
            t1 = x * x
            y = t1 - a
            t2 = y * y
            return t2 + 1.0
        """, """
        def f(x, a):
            y = x * x - a
            return y * y + 1.0
        """, (1.5, 0.3)),
    ("inside-a-loop-body", """
        def f(x, n):
            for i in range(n):
                t1 = x * x
                x = t1 + 1.0
            return x
        """, """
        def f(x, n):
            for i in range(n):
                x = x * x + 1.0
            return x
        """, (0.5, 3)),
    ("inside-both-branches", """
        def f(x):
            if x > 0:
                t1 = x * 2.0
                y = t1 + 1.0
            else:
                t2 = x * 3.0
                y = t2 - 1.0
            return y
        """, """
        def f(x):
            if x > 0:
                y = x * 2.0 + 1.0
            else:
                y = x * 3.0 - 1.0
            return y
        """, (-0.5,)),
    ("if-test-and-for-iter", """
        def f(x, n):
            t1 = x > 0
            if t1:
                x = -x
            t2 = range(n)
            for i in t2:
                x = x * 2.0
            return x
        """, """
        def f(x, n):
            if x > 0:
                x = -x
            for i in range(n):
                x = x * 2.0
            return x
        """, (0.7, 3)),
    ("movable-call-moves", """
        def f(x):
            t1 = np.sin(x)
            return t1 * 2.0
        """, """
        def f(x):
            return np.sin(x) * 2.0
        """, (0.3,)),
    ("an-argument-of-a-call", """
        def f(a, b, c):
            t1 = a * b
            return g(c, t1, k=c)
        """, """
        def f(a, b, c):
            return g(c, a * b, k=c)
        """, (1.0, 2.0, 3.0)),
    ("a-keyword-argument", """
        def f(a, b, c):
            t1 = a * b
            return g(c, k=t1)
        """, """
        def f(a, b, c):
            return g(c, k=a * b)
        """, (1.0, 2.0, 3.0)),
    ("a-call-after-the-slot", """
        def f(a, b, c):
            t1 = a * b
            return t1 + effect(c)
        """, """
        def f(a, b, c):
            return a * b + effect(c)
        """, (1.0, 2.0, 3.0)),
    ("first-operand-of-and-or", """
        def f(a, b, c):
            t1 = a * b
            t2 = a - b
            return (t1 or c) and (t2 or c)
        """, """
        def f(a, b, c):
            t2 = a - b
            return (a * b or c) and (t2 or c)
        """, (1.0, 0.0, 3.0)),
    ("test-of-a-conditional-expression", """
        def f(a, b, c):
            t1 = a > b
            return c if t1 else -c
        """, """
        def f(a, b, c):
            return c if a > b else -c
        """, (1.0, 2.0, 3.0)),
    ("first-operand-of-a-chained-comparison", """
        def f(a, b, c):
            t1 = a * b
            return t1 < c < 10.0
        """, """
        def f(a, b, c):
            return a * b < c < 10.0
        """, (1.0, 2.0, 3.0)),
    ("one-comparison", """
        def f(a, b, c):
            t1 = a * b
            return c < t1
        """, """
        def f(a, b, c):
            return c < a * b
        """, (1.0, 2.0, 3.0)),
    ("past-a-push-a-pop-and-a-pure-assignment", """
        def f(x, tape):
            t1 = x * 2.0
            tape.append((x, 1.0))
            v = tape.pop()
            y = x + 1.0
            return t1 + y, v
        """, """
        def f(x, tape):
            tape.append((x, 1.0))
            v = tape.pop()
            y = x + 1.0
            return x * 2.0 + y, v
        """, (0.5, [3.0])),
    ("unpacking-takes-it", """
        def f(x):
            t1 = x, x * 2.0
            a, b = t1
            return a - b
        """, """
        def f(x):
            a, b = x, x * 2.0
            return a - b
        """, (0.5,)),
    ("an-index-a-subscript-store-reads", """
        def f(y, i, v):
            t1 = i + 1
            y[t1] = v
            return y
        """, """
        def f(y, i, v):
            y[i + 1] = v
            return y
        """, ([0.0, 0.0, 0.0], 1, 5.0)),
    ("the-value-of-an-augmented-assignment", """
        def f(s, x):
            t1 = x * x
            s += t1
            return s
        """, """
        def f(s, x):
            s += x * x
            return s
        """, (1.0, 2.0)),
    ("an-expression-statement", """
        def f(ys, x):
            t1 = x * 2.0
            ys.append(t1)
            return ys
        """, """
        def f(ys, x):
            ys.append(x * 2.0)
            return ys
        """, ([1.0], 2.0)),
    ("precedence-kept", """
        def f(x, a):
            t1 = -x
            t2 = a - x
            t3 = x < a
            return t1 ** 2, a - t2, t3 == (x < a)
        """, """
        def f(x, a):
            return (-x) ** 2, a - (a - x), (x < a) == (x < a)
        """, (1.5, 0.5)),
    ("adjoint-and-tangent-temporaries", """
        def f(x, dx, bx):
            dt1 = 2.0 * dx
            t2 = x * x
            dt2 = dt1 * x
            bt3 = bx * t2
            return dt2 + bt3
        """, """
        def f(x, dx, bx):
            return 2.0 * dx * x + bx * (x * x)
        """, (1.5, 0.5, 2.0)),
]

# (id, source fuse leaves as it is, sample arguments).
LEFT = [
    ("user-name", """
        def f(x, a):
            y = x * x
            return y - a
        """, (1.5, 0.3)),
    ("read-twice", """
        def f(x):
            t1 = x * x
            return t1 + t1
        """, (1.5,)),
    ("assigned-in-a-branch-and-before", """
        def f(x):
            t1 = x * 2.0
            if x > 0:
                t1 = x * 3.0
            return t1
        """, (1.5,)),
    ("assigned-in-a-loop-and-before", """
        def f(x, n):
            t1 = 0.0
            for i in range(n):
                t1 = x * i
            return t1
        """, (1.5, 3)),
    ("read-in-a-loop-body", """
        def f(x, n):
            t1 = x * 2.0
            for i in range(n):
                x = x + t1
            return x
        """, (1.5, 3)),
    ("read-in-an-if-body", """
        def f(x):
            t1 = x * 2.0
            if x > 0:
                x = t1
            return x
        """, (1.5,)),
    ("while-test", """
        def f(x):
            t1 = x + 10.0
            while x < t1:
                x = x * 2.0 + 1.0
            return x
        """, (1.5,)),
    ("after-a-call-with-effects", """
        def f(a, b, c):
            t1 = a * b
            return effect(c) + t1
        """, (1.0, 2.0, 3.0)),
    ("after-a-call-without-effects", """
        def f(a, b, c):
            t1 = a * b
            return g(c) + t1
        """, (1.0, 2.0, 3.0)),
    ("after-a-call-among-the-arguments", """
        def f(a, b, c):
            t1 = a * b
            return g(g(c), t1)
        """, (1.0, 2.0, 3.0)),
    ("index-of-a-store-after-a-call-in-the-value", """
        def f(y, i, v):
            t1 = i + 1
            y[t1] = g(v)
            return y
        """, ([0.0, 0.0, 0.0], 1, 5.0)),
    ("past-the-first-link-of-a-chain", """
        def f(a, b, c):
            t1 = a * b
            return c < 10.0 < t1
        """, (1.0, 2.0, 3.0)),
    ("second-operand-of-and", """
        def f(a, b, c):
            t1 = a * b
            return c and t1
        """, (1.0, 2.0, 3.0)),
    ("second-operand-of-or", """
        def f(a, b, c):
            t1 = a * b
            return c or t1
        """, (1.0, 2.0, 0.0)),
    ("branch-of-a-conditional-expression", """
        def f(a, b, c):
            t1 = a * b
            t2 = a - b
            return t1 if c else -c, c if c else t2
        """, (1.0, 2.0, 3.0)),
    ("a-candidate-with-effects", """
        def f(x, tape):
            t1 = tape.pop()
            return t1 * 2.0
        """, (0.0, [1.0, 2.0])),
    ("a-candidate-calling-effect", """
        def f(x):
            t1 = effect(x)
            return t1 * 2.0
        """, (1.0,)),
    ("pop-rebinds-what-it-reads", """
        def f(x, tape):
            t1 = x * 2.0
            x = tape.pop()
            return t1 + x
        """, (0.5, [3.0])),
    ("pure-assignment-rebinds-what-it-reads", """
        def f(x):
            t1 = x * 2.0
            x = x + 1.0
            return t1 + x
        """, (0.5,)),
    ("push-of-an-expression", """
        def f(x, tape):
            t1 = x * 2.0
            tape.append(x + 1.0)
            return t1
        """, (0.5, [])),
    ("augmented-assignment-between", """
        def f(x, y):
            t1 = x * 2.0
            y += 1.0
            return t1 + y
        """, (0.5, 1.0)),
    ("subscript-store-between", """
        def f(x, z):
            t1 = x * 2.0
            z[0] = 1.0
            return t1 + z[0]
        """, (0.5, [0.0])),
    ("assignment-calling-effect-between", """
        def f(x):
            t1 = x * 2.0
            y = effect(x)
            return t1 + y
        """, (0.5,)),
    ("deleted", """
        def f(x):
            t1 = x * 2.0
            y = t1 + 1.0
            del t1
            return y
        """, (0.5,)),
    ("not-a-temporary-by-name", """
        def f(x):
            tmp = x * 2.0
            return tmp + 1.0
        """, (0.5,)),
]


@pytest.mark.parametrize("source, expected, args",
                         [c[1:] for c in FUSED], ids=[c[0] for c in FUSED])
def test_fused(source, expected, args):
    # the temporaries go into their readers, and the function computes the
    # same on sample inputs
    after = run(source)
    same(after, expected)
    same_results(source, after, args)


@pytest.mark.parametrize("source, args", [c[1:] for c in LEFT],
                         ids=[c[0] for c in LEFT])
def test_left_alone(source, args):
    # nothing a temporary could move into is safe here: the source comes
    # back as it was (comments as comments)
    after = run(source)
    same(after, source)
    same_results(source, after, args)


# The normalizer's `while c:` is `while True:` whose body computes c and
# breaks; once c is fused into the `if`, the loop is `while c:` again.
# (id, source, what fuse makes of it or None for unchanged, arguments).
LOOPS = [
    ("test-back-on-top", """
        def f(x, n):
            i = 0
            while True:
                '#srcad# while i < n:'  # a build.comment statement
                t1 = i < n
                t2 = not t1
                if t2:
                    break
                else:
                    x = x * 2.0
                    i = i + 1
            return x
        """, """
        def f(x, n):
            i = 0
            while i < n:
                x = x * 2.0
                i = i + 1
            return x
        """, (0.5, 3)),
    ("a-break-when-true-is-while-not", """
        def f(x):
            while True:
                t1 = x * x
                t2 = t1 > 10.0
                if t2:
                    break
                else:
                    x = x + 1.0
            return x
        """, """
        def f(x):
            while not x * x > 10.0:
                x = x + 1.0
            return x
        """, (0.5,)),
    ("nothing-else-in-the-loop", """
        def f(x):
            while True:
                t1 = x > 1.0
                if t1:
                    break
            return x
        """, """
        def f(x):
            while not x > 1.0:
                pass
            return x
        """, (1.5,)),
    ("nested-in-a-for", """
        def f(x, n):
            for k in range(n):
                while True:
                    t1 = x < k
                    if not t1:
                        break
                    else:
                        x = x + 1.0
            return x
        """, """
        def f(x, n):
            for k in range(n):
                while x < k:
                    x = x + 1.0
            return x
        """, (0.5, 4)),
    ("test-left-in-its-temporary", """
        def f(x):
            while True:
                t1 = x * x
                if t1 > 10.0:
                    break
                else:
                    x = t1 + 1.0
            return x
        """, None, (1.5,)),
    ("more-than-a-break", """
        def f(x):
            while True:
                t1 = x > 10.0
                if t1:
                    x = -x
                    break
                else:
                    x = x * 2.0 + 1.0
            return x
        """, """
        def f(x):
            while True:
                if x > 10.0:
                    x = -x
                    break
                else:
                    x = x * 2.0 + 1.0
            return x
        """, (1.5,)),
    ("statements-after-the-if", """
        def f(x):
            while True:
                t1 = x > 10.0
                if t1:
                    break
                x = x * 2.0 + 1.0
            return x
        """, """
        def f(x):
            while True:
                if x > 10.0:
                    break
                x = x * 2.0 + 1.0
            return x
        """, (1.5,)),
    ("a-loop-with-an-else", """
        def f(x):
            while True:
                t1 = x > 10.0
                if t1:
                    break
                else:
                    x = x * 2.0 + 1.0
            else:
                x = 0.0
            return x
        """, """
        def f(x):
            while True:
                if x > 10.0:
                    break
                else:
                    x = x * 2.0 + 1.0
            else:
                x = 0.0
            return x
        """, (1.5,)),
]


@pytest.mark.parametrize("source, expected, args",
                         [c[1:] for c in LOOPS], ids=[c[0] for c in LOOPS])
def test_while_loops(source, expected, args):
    # a loop whose test fused into its lone `if ...: break` tests on top
    # again, and computes the same; any other loop keeps its shape
    after = run(source)
    same(after, expected or source)
    same_results(source, after, args)


def test_comments_block_what_is_above_them():
    # a comment (a `build.comment` statement, written here as the string
    # it is) between a temporary and its reader keeps the temporary; one
    # above both stays on top of the fused line
    comment = repr(COMMENT + "y = x * 2.0 + 1.0")
    assert fingerprint(gast.parse(comment).body[0]) == \
        fingerprint(build_comment("y = x * 2.0 + 1.0"))
    same(run(f"""
        def f(x):
            t1 = x * 2.0
            {comment}
            y = t1 + 1.0
            {comment}
            t2 = x * 3.0
            z = t2 + 1.0
            return y + z
        """), """
        def f(x):
            t1 = x * 2.0
            # y = x * 2.0 + 1.0
            y = t1 + 1.0
            # y = x * 2.0 + 1.0
            z = x * 3.0 + 1.0
            return y + z
        """)


def test_movable_decides_which_calls_move():
    # the same source with `g` counted as having effects keeps its
    # temporary; counted as movable, it goes
    source = """
        def f(x):
            t1 = g(x)
            return t1 * 2.0
        """
    same(run(source, movable=lambda call: False), source)
    same(run(source, movable=lambda call: True), """
        def f(x):
            return g(x) * 2.0
        """)


def test_a_negation_joined_to_a_product_goes_on_its_number():
    # `bx = -bt1` taking `bt1 = -1.0 * t4 * t2` is `1.0 * t4 * t2`: exact,
    # one negation less
    source = """
        def f(t4, t2):
            bt1 = -1.0 * t4 * t2
            bx = -bt1
            return bx
        """
    after = run(source)
    assert "bx = 1.0 * t4 * t2" in after
    same_results(source, after, (0.5, -3.0))


CHAINS = [
    # (source, numbers, expected or None for unchanged)
    ("""
        def f(bx, a, b):
            bx = bx + a
            bx = bx - b
            return bx
        """, (), """
        def f(bx, a, b):
            bx = bx + a - b
            return bx
        """),
    ("""
        def f(bx, ba, a, b):
            bx = bx + a
            ba += a
            bx = bx - b * bx
            return bx, ba
        """, (), None),  # read twice in the second, and ba may be an array
    ("""
        def f(bx, ba, a, b):
            bx = bx + a
            ba += a
            bx = bx - b
            return bx, ba
        """, ("ba",), """
        def f(bx, ba, a, b):
            ba += a
            bx = bx + a - b
            return bx, ba
        """),
    ("""
        def f(bx, a, b):
            bx = bx + a
            c = bx * 2.0
            bx = bx - b
            return bx, c
        """, (), None),  # the value is read between
    ("""
        def f(bx, a, b):
            bx = bx + a
            effect(a)
            bx = bx - b
            return bx
        """, (), None),  # a call with effects between
]


@pytest.mark.parametrize("source, numbers, expected", CHAINS)
def test_a_value_its_next_assignment_takes(source, numbers, expected):
    # `bx = bx + a` then `bx = bx - b` is `bx = bx + a - b`: the same
    # operations in the same order, when nothing between reads bx
    fdef = gast.parse(textwrap.dedent(source)).body[0]
    fuse(fdef, set(), movable, {"tape"}, set(numbers))
    after = emit([fdef])
    same(after, expected or source)
    args = (1.5, 0.25, -2.0, 3.0)[:len(fdef.args.args)]
    same_results(source, after, args)


def test_only_the_given_temporaries_go():
    # `t2` is not in `temporaries`: it stays although read once
    same(run("""
        def f(x):
            t1 = x * x
            t2 = t1 + 1.0
            return t2
        """, temporaries={"t1"}), """
        def f(x):
            t2 = x * x + 1.0
            return t2
        """)


def _long(n):
    """A reader whose fused line `y = a * b + name` is n + 12 characters."""
    name = ("v" * n)
    return f"""
        def f(a, b, {name}):
            t1 = a * b
            y = t1 + {name}
            return y
        """, name


@pytest.mark.parametrize("n, fuses", [(40, True), (60, True),
                                      (WIDTH - 11, False), (90, False)])
def test_no_fused_line_longer_than_the_width(n, fuses):
    # a fusion stays a line a person can read: up to WIDTH characters
    source, name = _long(n)
    line = f"y = a * b + {name}"
    assert (len(line) <= WIDTH) == fuses
    assert (line in run(source)) == fuses


@pytest.mark.parametrize("source, args", [
    ("""
        def f(x, ys):
            t1 = len(ys)
            ys.append(x)
            return t1
        """, (0.5, [1.0])),
    ("""
        def f(x, ys):
            t1 = ys[-1]
            v = ys.pop()
            return t1 + v
        """, (0.5, [1.0, 2.0])),
    ("""
        def f(x, tape):
            t1 = len(tape)
            tape.append(x)
            return t1
        """, (0.5, [1.0])),
], ids=["len-past-append", "subscript-past-pop", "own-list-read"])
def test_a_read_of_a_list_stays_before_its_push_or_pop(source, args):
    # what a temporary reads from a list must be read before the list
    # changes
    after = run(source)
    same_results(source, after, args)
    same(after, source)


def test_a_later_target_reads_before_the_earlier_ones_bind():
    # `a = y[t1] = v` binds a before it evaluates y's index
    source = """
        def f(a, y, v):
            t1 = a + 1
            a = y[t1] = v
            return a, y
        """
    after = run(source)
    same_results(source, after, (0, [0, 0, 0, 0], 2))
    same(after, source)


# ------------------------------------------------------------ end to end

def newton_sqrt(a):
    x = a
    for i in range(6):
        x = x - (x * x - a) / (2.0 * x)
    return x


def newton_tolerance(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = x - (x * x - a) / (2.0 * x)
    return x


def rk4(y, h):
    for i in range(3):
        k1 = -y * y
        k2 = -(y + 0.5 * h * k1) ** 2
        k3 = -(y + 0.5 * h * k2) ** 2
        k4 = -(y + h * k3) ** 2
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def horner(x, c0, c1, c2, c3):
    p = 0.0
    for c in (c3, c2, c1, c0):
        p = p * x + c
    return p


def kepler(m, e):
    E = m
    for i in range(5):
        E = E - (E - e * math.sin(E) - m) / (1.0 - e * math.cos(E))
    return E


def damped(x, a):
    i = 0
    while i < 4:
        x = x - 0.1 * (x * x * x - a)
        i += 1
    return x


def leapfrog(q, v, h):
    for i in range(5):
        v = v - 0.5 * h * np.sin(q)
        q = q + h * v
        v = v - 0.5 * h * np.sin(q)
    return q * q + v * v


def branches(x, a):
    if x * a > 0.5:
        y = np.sin(x * a) * x - a
    elif x > -1.0:
        y = x * x * a + np.exp(-x)
    else:
        y = np.cos(x) / (1.0 + a * a)
    return y * y


def halving(x):
    for i in range(4):
        if x > 1.0:
            x = x * 0.5 + 0.1 * x * x
        else:
            x = x * x + 0.3
    return x


def layer(x, W, b):
    h = np.tanh(x[:, None] * W + b)
    return np.sum(h * h) / (1.0 + np.sum(b * b))


def softplus_sum(x, w):
    z = x * w - 0.5
    return np.sum(np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0.0))


def logistic(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def weighted_powers(x, w):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * x[i] * w ** i
    return s


ROW = np.array([0.3, -0.2, 0.5])
MATRIX = np.array([[0.5, -1.0, 0.2, 0.1], [0.3, 0.8, -0.4, 0.6],
                   [-0.7, 0.2, 0.9, -0.3]])
FEATURES = np.linspace(-1.0, 1.0, 12).reshape(4, 3)

SCALAR_CASES = [
    (newton_sqrt, (2.0,)),
    (newton_tolerance, (2.0,)),
    (rk4, (0.8, 0.1)),
    (horner, (0.7, 1.0, -2.0, 3.0, 0.5)),
    (kepler, (0.9, 0.3)),
    (damped, (0.5, 1.2)),
    (leapfrog, (0.4, 0.1, 0.2)),
    (branches, (0.9, 0.8)),
    (branches, (-0.5, 0.8)),
    (branches, (-2.0, 0.8)),
    (halving, (1.7,)),
    (halving, (0.4,)),
]
ARRAY_CASES = [
    (layer, (ROW, MATRIX, np.array([0.1, -0.2, 0.3, 0.0]))),
    (layer, (ROW, MATRIX[:, :1], 0.2)),
    (softplus_sum, (np.linspace(-2.0, 2.0, 5), 1.5)),
    (softplus_sum, (np.linspace(-2.0, 2.0, 6).reshape(3, 2),
                    np.array([1.0, -0.5]))),
    (logistic, (np.array([0.2, -0.4, 0.1]), FEATURES,
                np.array([1.0, 0.0, 1.0, 1.0]))),
    (weighted_powers, (ROW, 0.7)),
]
CASES = SCALAR_CASES + ARRAY_CASES


def ids(cases):
    return [f"{f.__name__}-{i}" for i, (f, _) in enumerate(cases)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args", CASES, ids=ids(CASES))
def test_against_finite_differences(f, args, mode):
    # the gradient of a fused derivative, by every argument, matches
    # central differences
    for wrt in range(len(args)):
        check_grad(f, *args, wrt=wrt, mode=mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args", CASES, ids=ids(CASES))
def test_value_and_grad_value_is_the_functions(f, args, mode):
    # the primal a fused derivative computes is the function's own value
    value, gradient = srcad.value_and_grad(f, mode=mode)(*args)
    np.testing.assert_allclose(value, f(*args), rtol=1e-13)
    np.testing.assert_allclose(gradient, srcad.grad(f, mode=mode)(*args),
                               rtol=1e-13)


@pytest.mark.parametrize("f, args", CASES, ids=ids(CASES))
def test_vjp_pullback_is_the_gradient(f, args):
    # the forward function of a vjp hands its residuals to the backward
    # one; fused on both sides, the pullback of 1 is the gradient
    out, pullback = srcad.vjp(f, *args)
    np.testing.assert_allclose(out, f(*args), rtol=1e-13)
    cotangents = pullback(1.0)
    for wrt, cotangent in enumerate(cotangents):
        np.testing.assert_allclose(cotangent, srcad.grad(f, wrt=wrt)(*args),
                                   rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args", SCALAR_CASES, ids=ids(SCALAR_CASES))
def test_second_order(f, args, mode):
    # the fused gradient differentiated again (reverse, then either mode)
    # against finite differences of the gradient (a forward-mode gradient
    # is not differentiated again, see the README)
    gradient = srcad.grad(f)
    got = srcad.grad(gradient, mode=mode)(*args)
    expected = numeric_grad(gradient, args, 0, eps=1e-5)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, mode, fused", [
    (newton_sqrt, "forward", " = x * x - a\n"),
    (kepler, "forward", " = e * math.sin(E)\n"),
    (rk4, "forward", " = k1 + 2.0 * k2\n"),
    (branches, "forward", " = np.exp(-x)\n"),
    (newton_tolerance, "reverse", "\nwhile abs(x * x - a) > "),
    (newton_tolerance, "forward", "\nwhile abs(x * x - a) > "),
])
def test_the_derivatives_above_are_fused(f, mode, fused):
    # the end-to-end cases do exercise fusion: a line each that only
    # fusing makes
    def code(source):  # the lines of code, comments left out
        return "".join(line.strip() + "\n" for line in source.splitlines()
                       if not line.strip().startswith("#"))
    assert fused in code(srcad.source(f, mode=mode))
    assert fused not in code(srcad.source(f, mode=mode, optimize=False))


def pop_beside_len(x):
    ys = [x, 3.0 * x]
    s = len(ys) + ys.pop()
    return s * x


def pop_beside_last(x):
    ys = [x, 3.0 * x]
    return ys[-1] + ys.pop()


@pytest.mark.parametrize("f, mode", [
    (pop_beside_len, "reverse"),
    (pop_beside_len, "forward"),
    (pop_beside_last, "reverse"),
    (pop_beside_last, "forward"),
])
def test_a_list_read_beside_its_pop(f, mode):
    # `len(ys)` / `ys[-1]` is evaluated before `ys.pop()`; fused past the
    # pop, it would read the shorter list
    value, _ = srcad.value_and_grad(f, mode=mode)(2.0)
    assert value == f(2.0)
    check_grad(f, 2.0, mode=mode)


def len_across_append(x):
    ys = [x]
    a = len(ys)
    ys.append(x)
    b = len(ys)
    return x * a * b


def last_across_append(x):
    ys = [x]
    a = ys[-1] * 2.0
    ys.append(5.0 * x)
    b = ys[-1] * 2.0
    return a + b


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [len_across_append, last_across_append])
def test_a_list_read_again_after_an_append(f, mode):
    # found while testing fuse: the second read sees the longer list
    value, _ = srcad.value_and_grad(f, mode=mode)(2.0)
    assert value == f(2.0)
    check_grad(f, 2.0, mode=mode)


# ------------------------------------------------------------ round trip

def poly_chain(x, a, b):
    return ((x * x - a) * x + b) * x - a * b


def norm(x):
    return np.sqrt(np.sum(x * x) + 1e-3)


def cross_entropy(x):
    z = x - np.max(x)
    return np.log(np.sum(np.exp(z))) - z[0]


def dense(x, A, b):
    return np.sum(np.tanh(A @ x + b) ** 2)


def fixed_point(x, a):
    for i in range(6):
        x = np.cos(x) * a
    return x


def variance(x, a):
    m = np.mean(x)
    return np.mean((x - m) ** 2) * a


def piecewise(x):
    return np.sum(np.where(x > 0.0, x * x, np.sin(x)))


def hypot(x, y):
    return math.sqrt(x * x + y * y) * math.exp(-x * y)


def unpacked(x):
    a, b = x * 2.0, x * x
    return a * b - np.sin(a)


def accumulated(x):
    ys = []
    for i in range(3):
        ys.append(x * (i + 1))
    return ys[0] * ys[1] + ys[2]


def powers(x):
    return np.sum(x ** 3 - 2.0 * x ** 2 + x) / x.size


def outer(x, W):
    return np.sum(np.outer(x, x) * W)


def abs_max(x):
    return np.sum(np.abs(x) * np.maximum(x, 0.1))


def early_return(x):
    if x > 0.0 and x < 2.0:
        return x * x - np.sin(x)
    return -x * np.cos(x)


def series(x):
    s = 0.0
    term = 1.0
    for k in range(1, 8):
        term = term * x / k
        s = s + term
    return s


def soft_clip(x, c):
    return np.sum(c * np.tanh(x / c) + 0.01 * x * x)


def scalar(r):
    return r.uniform(0.3, 1.5)


def vector(r, n=3):
    return r.uniform(-1.0, 1.0, n)


ROUND_TRIP = [
    (newton_sqrt, lambda r: (r.uniform(1.0, 3.0),)),
    (newton_tolerance, lambda r: (r.uniform(1.0, 3.0),)),
    (rk4, lambda r: (scalar(r), 0.1)),
    (horner, lambda r: tuple(r.uniform(-1.0, 1.0, 5))),
    (kepler, lambda r: (scalar(r), 0.3)),
    (damped, lambda r: (scalar(r), 1.2)),
    (leapfrog, lambda r: (scalar(r), scalar(r), 0.2)),
    (branches, lambda r: (r.uniform(-2.0, 2.0), scalar(r))),
    (halving, lambda r: (r.uniform(0.2, 2.0),)),
    (layer, lambda r: (vector(r), r.uniform(-1.0, 1.0, (3, 4)),
                       vector(r, 4))),
    (softplus_sum, lambda r: (vector(r, 5), scalar(r))),
    (logistic, lambda r: (vector(r), FEATURES,
                          np.array([1.0, 0.0, 1.0, 1.0]))),
    (weighted_powers, lambda r: (vector(r), scalar(r))),
    (poly_chain, lambda r: (scalar(r), scalar(r), scalar(r))),
    (norm, lambda r: (vector(r, 4),)),
    (cross_entropy, lambda r: (vector(r, 4),)),
    (dense, lambda r: (vector(r), r.uniform(-1.0, 1.0, (2, 3)),
                       vector(r, 2))),
    (fixed_point, lambda r: (scalar(r), scalar(r))),
    (variance, lambda r: (vector(r, 5), scalar(r))),
    (piecewise, lambda r: (vector(r, 6),)),
    (hypot, lambda r: (scalar(r), scalar(r))),
    (unpacked, lambda r: (scalar(r),)),
    (accumulated, lambda r: (scalar(r),)),
    (powers, lambda r: (vector(r, 4),)),
    (outer, lambda r: (vector(r), r.uniform(-1.0, 1.0, (3, 3)))),
    (abs_max, lambda r: (vector(r, 5),)),
    (early_return, lambda r: (r.uniform(-1.0, 3.0),)),
    (series, lambda r: (scalar(r),)),
    (soft_clip, lambda r: (vector(r, 4), scalar(r))),
]


def inlined(fdef, gone):
    """`fdef` with each temporary in `gone` written into its reader by
    hand and its assignment dropped: what fusing them should make."""
    values = {s.targets[0].id: s.value for s in statements(fdef.body)
              if simple_assign(s) and s.targets[0].id in gone}

    def put(node):
        if type(node) is gast.Name and type(node.ctx) is gast.Load and \
                node.id in values:
            return transform(clone(values[node.id]), put)
        return node

    def drop(body):
        body[:] = [s for s in body if not (
            simple_assign(s) and s.targets[0].id in gone)]
        for s in body:
            for field in ("body", "orelse"):
                drop(getattr(s, field, []))
    drop(fdef.body)
    return transform(fdef, put)


def with_tests_on_top(tree):
    """`tree` with every `while True: if c: break else: body` (comments
    aside) written `while not c: body`, as fuse leaves a loop."""
    for loop in gast.walk(tree):
        if type(loop) is not gast.While or loop.orelse or \
                not (type(loop.test) is gast.Constant and
                     loop.test.value is True):
            continue
        code = [s for s in loop.body if not is_comment(s)]
        if len(code) == 1 and type(code[0]) is gast.If and \
                [type(s) for s in code[0].body] == [gast.Break]:
            stop = code[0].test
            loop.test = stop.operand if type(stop) is gast.UnaryOp and \
                type(stop.op) is gast.Not else \
                gast.UnaryOp(op=gast.Not(), operand=stop)
            loop.body = code[0].orelse or [gast.Pass()]
    return tree


def assignments(fdef, temporaries):
    """How many statements assign each name that is no temporary."""
    counts = {}
    for stmt in statements(fdef.body):
        if simple_assign(stmt) and stmt.targets[0].id not in temporaries:
            counts[stmt.targets[0].id] = counts.get(stmt.targets[0].id, 0) + 1
    return counts


def generated(f, mode, checked_fuse, monkeypatch):
    monkeypatch.setattr(pipeline, "fuse", checked_fuse)
    return pipeline.generate(f, "grad", 0, mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, draw", ROUND_TRIP,
                         ids=[f.__name__ for f, _ in ROUND_TRIP])
def test_fusing_loses_nothing(f, draw, mode, monkeypatch):
    # every fusion the pipeline makes is its temporaries written into their
    # readers and nothing else (a while loop's test back on top aside;
    # where a name's value also went into its next assignment, the
    # bitwise check below stands for it), no line it makes is longer than
    # WIDTH, the source parses, and the derivative equals the one with
    # fuse left out to the last bit and the one with no optimizing at all
    # to 1e-12
    def checked(fdef, temporaries, movable, private, numbers):
        before = clone(fdef)
        fuse(fdef, temporaries, movable, private, numbers)
        gone = stores(before) - stores(fdef)
        assert gone <= temporaries
        if assignments(fdef, temporaries) == \
                assignments(before, temporaries):  # no chain merged
            # (negations settled inward on both sides: fuse does that
            # where it joins a negation to a product with a number)
            assert emit([with_tests_on_top(negations_inward(
                inlined(before, gone)))]) == \
                emit([with_tests_on_top(negations_inward(clone(fdef)))])
        return fdef

    fused = generated(f, mode, checked, monkeypatch)
    unfused = generated(f, mode, lambda fdef, *rest: fdef, monkeypatch)
    ast.parse(fused.source)
    new_lines = {line.strip() for line in fused.source.splitlines()} - \
        {line.strip() for line in unfused.source.splitlines()}
    assert all(len(line) <= WIDTH for line in new_lines)
    plain = srcad.grad(f, mode=mode, optimize=False)
    optimized = srcad.grad(f, mode=mode)
    rng = np.random.default_rng(sum(map(ord, f.__name__ + mode)))
    for _ in range(3):
        args = draw(rng)
        np.testing.assert_array_equal(fused.entry(*args),
                                      unfused.entry(*args))
        np.testing.assert_allclose(optimized(*args), plain(*args),
                                   rtol=1e-12, atol=1e-14)


def test_the_round_trip_sees_fusions(monkeypatch):
    # the round trip above is not vacuous: across its functions and both
    # modes the pipeline fuses many temporaries
    count = 0

    def counting(fdef, temporaries, movable, private, numbers):
        nonlocal count
        before = stores(fdef)
        fuse(fdef, temporaries, movable, private, numbers)
        count += len(before - stores(fdef))
        return fdef
    for f, _ in ROUND_TRIP:
        for mode in MODES:
            generated(f, mode, counting, monkeypatch)
    assert count > 2 * len(ROUND_TRIP)
