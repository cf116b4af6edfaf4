"""emit.py: gast functions to source text that means what the tree does."""
import ast

import gast
import numpy as np
import pytest

import srcad
from srcad.emit import emit, to_ast

from fdcheck import check_grad


def negative_base(x, k=2):
    return (-1.0) ** k * x


def alternating(x, n=5):
    s = 0.0
    for k in range(n):
        s = s + (-1) ** k * x ** (2 * k + 1) / (2 * k + 1)
    return s


def sum_alternating(x):
    return np.sum(alternating(x))


@pytest.mark.parametrize("value", [-1.0, -2, -0.0, 3.5])
def test_a_negative_number_keeps_its_brackets_under_a_power(value):
    # a folded constant -1.0 is a number, not `-(1.0)`: written as text it
    # must still bind as a whole (`(-1.0) ** k`, not `-(1.0 ** k)`)
    tree = gast.BinOp(left=gast.Constant(value=value, kind=None),
                      op=gast.Pow(), right=gast.Name(
                          id="k", ctx=gast.Load(), annotation=None,
                          type_comment=None))
    fdef = gast.parse("def f(k):\n    return 0").body[0]
    fdef.body[0].value = tree
    scope = {}
    exec(emit([fdef]), scope)
    for k in (2, 3, 0.5):
        if value < 0 and k == 0.5:
            continue
        assert scope["f"](k) == value ** k
    assert isinstance(to_ast(gast.Constant(value=-1.0, kind=None)),
                      ast.UnaryOp)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_powers_of_negative_numbers(mode):
    # were -(1.0 ** k): value and derivative of the wrong sign
    value, grad = srcad.value_and_grad(negative_base, mode=mode)(0.5)
    assert (value, grad) == (negative_base(0.5), 1.0)
    value, grad = srcad.value_and_grad(alternating, mode=mode)(0.5)
    assert value == pytest.approx(alternating(0.5), rel=1e-15)
    check_grad(alternating, 0.5, mode=mode)
    check_grad(sum_alternating, np.array([0.1, -0.4]), mode=mode)
