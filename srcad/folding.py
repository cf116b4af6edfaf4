"""Folding: arithmetic on constants, done where the optimizer rewrites.

`folded(node)` folds one node whose children are folded already (a
bottom-up transform calls it on every node): `2 * 3.0`, `-(-e)`, `x ** 1`,
and the constant factors of a product multiplied once
(`-200.0 * b * 2 * t` -> `-400.0 * b * t`). `fold(fdef, runtime_name)`
does the whole function, and with the runtime's name also moves a
negation or a constant factor out of `ad.unbroadcast`.
"""
import operator

import gast

from .build import is_number as _number, is_runtime_call, transform, walk

BINARY = {gast.Add: operator.add, gast.Sub: operator.sub,
          gast.Mult: operator.mul, gast.Div: operator.truediv,
          gast.Pow: operator.pow}


def fold(fdef, runtime_name=None):
    """Fold constants; given the runtime's name, also move a negation or a
    constant factor out of `ad.unbroadcast`, to scale the smaller array."""
    changed = []

    def fold_node(node):
        new = folded(node)
        if runtime_name is not None and new is node:
            new = _scaled_after_sum(node, runtime_name)
        if new is not node:
            changed.append(node)
        return new
    # only these change: operators on constants, and unbroadcast's call
    transform(fdef, fold_node, (gast.BinOp, gast.UnaryOp, gast.Call))
    return bool(changed)


def scale_first(fdef):
    """`c * (a * b)` -> `(c * a) * b` for a number c: the number scales
    the factor, which is never larger than the product (a scalar adjoint
    times an array: one pass over the array instead of two). Last, since
    the passes before read products in their first form."""
    for node in walk(fdef):
        if type(node) is gast.BinOp and type(node.op) is gast.Mult and \
                _number(node.left) and type(node.right) is gast.BinOp and \
                type(node.right.op) is gast.Mult:
            inner = node.right
            node.left = gast.BinOp(left=node.left, op=gast.Mult(),
                                   right=inner.left)
            node.right = inner.right


def _scaled_after_sum(node, runtime_name):
    """`ad.unbroadcast(-e, s)` -> `-ad.unbroadcast(e, s)`, and the same for
    `c * e`, `e * c` and `e / c` with c a number: the sum is linear."""
    if not is_runtime_call(node, runtime_name, "unbroadcast") or \
            len(node.args) != 2:
        return node
    inner = node.args[0]
    if type(inner) is gast.UnaryOp and type(inner.op) is gast.USub:
        node.args[0] = inner.operand
        inner.operand = node
        return inner
    if type(inner) is not gast.BinOp:
        return node
    if type(inner.op) is gast.Mult and _number(inner.left):
        node.args[0] = inner.right
        inner.right = node
        return inner
    if type(inner.op) in (gast.Mult, gast.Div) and _number(inner.right):
        node.args[0] = inner.left
        inner.left = node
        return inner
    return node


def negations_inward(node):
    """`-(c * e)` -> `(-c) * e` for a number factor c, bottom-up in `node`
    (exact: a negation rounds nothing). Where fusing joins a negation to
    the product it negates."""
    def inward(inner):
        if type(inner) is gast.UnaryOp and type(inner.op) is gast.USub:
            signed = signed_factor(inner.operand)
            if signed is not None and type(signed) is not gast.Constant:
                return signed
        return inner
    return transform(node, inward)


def _constant_factors(node):
    """`c1 * a * b * c2` -> `(c1 * c2) * a * b`: a product's constant
    factors multiplied once (what multiplies the arrays is the same up to
    rounding)."""
    factors = []
    inner = node.left
    while type(inner) is gast.BinOp and type(inner.op) is gast.Mult:
        factors.append(inner.right)
        inner = inner.left
    factors.append(inner)
    factors.reverse()
    k = next((k for k, f in enumerate(factors) if _number(f)), None)
    merged = None if k is None else \
        _computed(operator.mul, factors[k], node.right)
    if merged is None:
        return node
    factors[k] = merged
    chain = factors[0]
    for factor in factors[1:]:
        chain = gast.BinOp(left=chain, op=gast.Mult(), right=factor)
    return chain


def _computed(fn, left, right):
    """`fn` of two number constants, as a constant; None where it fails or
    gives no int or float."""
    try:
        value = fn(left.value, right.value)
    except (ArithmeticError, ValueError):
        return None
    if isinstance(value, (int, float)):
        return gast.Constant(value=value, kind=None)
    return None


def folded(node):
    kind = type(node)
    if kind is gast.UnaryOp and isinstance(node.op, gast.USub):
        if _number(node.operand):
            return gast.Constant(value=-node.operand.value, kind=None)
        inner = node.operand
        if type(inner) is gast.UnaryOp and isinstance(inner.op, gast.USub):
            return inner.operand
    elif kind is gast.BinOp and isinstance(node.op, gast.Pow) and \
            _number(node.right) and node.right.value == 1 and \
            type(node.left) is gast.Name:
        return node.left  # x ** 1
    elif kind is gast.BinOp and type(node.op) is gast.Mult and \
            _number(node.right) and type(node.left) is gast.BinOp:
        return _constant_factors(node)
    if kind is gast.BinOp and _number(node.left) and _number(node.right):
        fn = BINARY.get(type(node.op))
        value = _computed(fn, node.left, node.right) if fn else None
        if value is not None:
            return value
    return node


def signed_factor(node):
    """`-node` with the sign put on a number among its factors (`-1.0 *
    t4` for `-(1.0 * t4)`), or None if it has none."""
    kind = type(node)
    if kind is gast.Constant and type(node.value) in (int, float):
        return gast.Constant(value=-node.value, kind=None)
    if kind is gast.UnaryOp and type(node.op) is gast.USub and \
            _number(node.operand):  # -c as parsed
        return node.operand
    if kind is gast.BinOp and type(node.op) in (gast.Mult, gast.Div):
        for field in ("left", "right"):
            signed = signed_factor(getattr(node, field))
            if signed is not None:
                return gast.BinOp(left=signed if field == "left" else
                                  node.left, op=node.op,
                                  right=signed if field == "right" else
                                  node.right)
    return None
