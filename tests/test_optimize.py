"""optimize: each pass on its own, golden source in, source out."""
import textwrap

import gast

from srcad import optimize
from srcad.emit import emit


def run(pass_, source):
    fdef = gast.parse(textwrap.dedent(source)).body[0]
    changed = True
    while changed:
        changed = pass_(fdef)
    return emit([fdef])


def same(actual, expected):
    assert actual == textwrap.dedent(expected).lstrip()


def test_first_contribution_assigns():
    same(run(optimize.first_contribution("ad"), """
        def f(x, g):
            bx = ad.zeros_like(x)
            by = ad.zeros_like(x)
            bx = bx + g * 2
            by = ad.add(by, g)
            by = by + g
            return bx, by
        """), """
        def f(x, g):
            bx = g * 2
            by = g
            by = by + g
            return bx, by
        """)


def test_first_contribution_keeps_zero_read_before_written():
    source = """
        def f(x, g):
            bx = ad.zeros_like(x)
            y = bx * 2
            bx = bx + g
            return bx, y
        """
    same(run(optimize.first_contribution("ad"), source), source)


def test_copy_and_constant_propagation():
    same(run(optimize.propagate, """
        def f(x, bout):
            bt = bout
            c = 2.0
            y = bt * c
            z = x
            return y + z
        """), """
        def f(x, bout):
            y = bout * 2.0
            return y + x
        """)


def test_propagation_leaves_reassigned_names():
    source = """
        def f(x):
            y = x
            y = y + 1
            return y
        """
    same(run(optimize.propagate, source), source)


def test_constant_folding():
    same(run(optimize.fold, """
        def f(x):
            a = x ** (2 - 1)
            b = -(-x) * -1.0
            c = 3 * 4.0 / 2
            return a, b, c
        """), """
        def f(x):
            a = x
            b = x * -1.0
            c = 6.0
            return a, b, c
        """)


def test_constant_factors_of_a_product_multiply_once():
    same(run(optimize.fold, """
        def f(x, y):
            a = -200.0 * x * 2 * y
            b = x * 3 * y * 0.5
            c = x * y * 2
            d = x / 2 * 4
            return a, b, c, d
        """), """
        def f(x, y):
            a = -400.0 * x * y
            b = x * 1.5 * y
            c = x * y * 2
            d = x / 2 * 4
            return a, b, c, d
        """)


def test_dead_code_keeps_calls_with_effects():
    pure = optimize.dead_code(lambda call: call.func.attr != "effect")
    same(run(pure, """
        def f(x):
            unused = np.exp(x)
            also_unused = unused * 2
            kept = log.effect(x)
            y = x + 1
            return y
        """), """
        def f(x):
            kept = log.effect(x)
            y = x + 1
            return y
        """)
