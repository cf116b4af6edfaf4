"""Kinds: what a derivative specialized to its arguments may assume about
them, and the check it makes first.

A function with loops gets a derivative per kind of arguments (`kinds`:
the ndim of each NumPy array, 0 for each number, None for anything else).
The version a call compiled becomes the transform's own `__call__`, so
the next call with the same kinds costs no dispatch; it starts by checking
the kinds it assumes and hands any other call to the version for those
(`guard`):

    def newton_grad(a):
        # a version for other kinds of arguments
        if type(a) not in numbers and (type(a) is not ndarray or a.ndim):
            return other_kinds(a)
"""
import gast
import numpy as np

from .build import attr, call, comment, const, name

NUMBERS = {float: 0, int: 0, np.float64: 0, np.float32: 0, np.int64: 0,
           np.int32: 0}
NUMBER_TYPES = frozenset(NUMBERS)


def kinds(args, kwargs):
    """What a specialized derivative may assume about its arguments: the
    ndim of each NumPy array, 0 for each number, None for anything else;
    positional ones first, then (name, ndim) pairs for keywords."""
    known = tuple(map(ndim, args))
    if kwargs:
        known += tuple((k, ndim(v)) for k, v in sorted(kwargs.items()))
    return known


def ndim(value):
    kind = type(value)
    if kind is np.ndarray:
        return value.ndim
    return NUMBERS.get(kind)


def by_name(params, known):
    """`known` as parameter name -> kind."""
    if not known:
        return {}
    named = {}
    for i, item in enumerate(known):
        if isinstance(item, tuple):
            named[item[0]] = item[1]
        elif i < len(params):
            named[params[i]] = item
    return named


def guard(fdef, assumed, bind, again):
    """Put first in generated function `fdef` the checks of the kinds
    `assumed` (parameter name -> kind), one per parameter, and the call of
    `again` (any other kinds) where one fails; `bind(obj, name)` names an
    object for the generated code. Exactly the arguments `kinds` maps to
    these kinds pass, so `again` never comes back here."""
    params = [a.id for a in fdef.args.args]
    type_, array = bind(type, "type"), bind(np.ndarray, "ndarray")

    def type_of(param):  # `type(x)`, a new node each time it is used
        return call(name(type_), [name(param)])

    def compare(left, op, right):
        return gast.Compare(left=left, ops=[op], comparators=[right])

    checks = []
    for param in params:
        kind = assumed.get(param)
        if kind is None:
            continue
        not_array = compare(type_of(param), gast.IsNot(), name(array))
        dims = attr(param, "ndim")
        if kind == 0:  # a number, or an array of no dimensions
            numbers = name(bind(NUMBER_TYPES, "numbers"))
            checks.append(gast.BoolOp(op=gast.And(), values=[
                compare(type_of(param), gast.NotIn(), numbers),
                gast.BoolOp(op=gast.Or(), values=[not_array, dims])]))
        else:
            checks.append(gast.BoolOp(op=gast.Or(), values=[
                not_array, compare(dims, gast.NotEq(), const(kind))]))
    if not checks:
        return
    again = bind(again, "other_kinds")
    fdef.body[:0] = [comment("a version for other kinds of arguments")] + [
        gast.If(test=test, body=[gast.Return(value=call(
            name(again), [name(p) for p in params]))], orelse=[])
        for test in checks]
