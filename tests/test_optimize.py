"""optimize: each pass on its own, golden source in, source out."""
import textwrap

import gast
import numpy as np
import pytest

import srcad

from srcad import optimize
from srcad.emit import emit

from fdcheck import check_grad


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


def _zeros_of_numbers(x, n):
    y = x
    for _ in range(n):
        y = y * y * 0.5 + x
    return y


def _zeros_written_into(x, n):
    y = x * 1.0
    for i in range(n):
        y = y + x[()] * i
    return y


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("x", [0.7, np.float32(0.7), np.array(0.7)])
def test_zero_adjoint_of_a_number_is_a_number(x, mode):
    """A specialized version knows x is a number: its zero adjoint is 0.0
    with no helper call, and the gradient keeps x's type."""
    source = srcad.source(_zeros_of_numbers, args=(x, 3))
    assert "bx = 0.0" in source and "zeros_like" not in source
    check_grad(_zeros_of_numbers, x, 3, mode=mode)  # types too


def test_zero_adjoint_written_into_stays_an_array():
    x = np.array(0.7)
    source = srcad.source(_zeros_written_into, args=(x, 3))
    assert "zeros_like(x)" in source
    check_grad(_zeros_written_into, x, 3)


def test_scale_first_multiplies_the_factor():
    from srcad.folding import scale_first
    fdef = gast.parse(textwrap.dedent("""
        def f(s, A, B):
            return (2.0 * (s * A), 2.0 * (s / A), 3 * (A * B * s), s * (2 * A))
        """)).body[0]
    scale_first(fdef)
    same(emit([fdef]), """
        def f(s, A, B):
            return 2.0 * s * A, 2.0 * (s / A), 3 * A * B * s, s * (2 * A)
        """)
