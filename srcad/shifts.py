"""Shifts: a maximum subtracted to keep `exp` from overflowing carries no
derivative.

In a softmax or log-softmax, `z - np.max(z, axis=1, keepdims=True)` keeps
the exponentials finite; the result does not depend on the subtracted
value, so the derivative through the maximum cancels exactly (it is a row
sum of `softmax - 1`-like terms, zero up to rounding) yet costs a mask and
several passes over the array. `cancelling(order)` finds such maxima, and
analysis treats them as constants: the derivative is the same, cheaper.

A candidate is `m = np.max(x, axis, keepdims=True)` (or min, amax, amin).
Following m forward, each value that depends on it is one of

- a shift, `base + a*m`, of x's shape or m's;
- a scale, `base * exp(a*m)`, of x's shape or m's;

with a a number, by these identities (c a number, u independent of m, s
sums and maxima over m's axis with keepdims=True, which keep a factor
that is constant along that axis):

    shift + shift, shift - shift    shift (a's add; 0: independent of m)
    shift * c, shift / c, -shift    shift
    exp(shift)                      scale
    scale * scale, scale / scale    scale (a's add; 0: independent)
    scale * u, scale / u, u / scale scale
    log(scale)                      shift
    s(shift), s(scale)              shift, scale (max only for shifts)

Anything else reading such a value (a return among them) means m may
matter, and it keeps its derivative. m must be computed once, at the top
level of the function: every value then pairs with that one m, also a
value a loop carries from an earlier pass (a max inside a loop would pair
one pass's value with another pass's max). The values must each be
assigned once.
"""
import gast
import numpy as np

from .build import fingerprint, loads

SHIFT, SCALE = "shift", "scale"
FULL, REDUCED = "full", "reduced"  # x's shape, m's shape
EXTREMES = (np.max, np.min, np.amax, np.amin)
ADD = (gast.Add, np.add)
SUB = (gast.Sub, np.subtract)
MUL = (gast.Mult, np.multiply)
DIV = (gast.Div, np.divide)
NEG = (gast.USub, np.negative)
SHAPE_ATTRS = {"shape", "ndim", "size", "dtype"}


def cancelling(order, top):
    """The names of maxima whose derivative cancels, among the ops of a
    function in statement order; `top` holds the ids of its top-level
    statements."""
    stores = {}
    for op in order:
        for id_ in op.targets:
            stores[id_] = stores.get(id_, 0) + 1
    return {op.targets[0] for op in order
            if _candidate(op) and stores[op.targets[0]] == 1 and
            id(op.stmt) in top and _cancels(order, op, stores)}


def _candidate(op):
    if op.kind != "rule" or op.rule.fn not in EXTREMES:
        return False
    keep = op.bound.get("keepdims")
    return type(op.bound.get("a")) is gast.Name and \
        type(keep) is gast.Constant and keep.value is True


def _cancels(order, start, stores):
    """Whether the values depending on `start`'s max all follow the
    identities, each assigned once."""
    m = start.targets[0]
    axis = fingerprint(start.bound["axis"])
    states = {m: (SHIFT, 1, REDUCED)}
    x = start.bound["a"].id
    if stores.get(x, 0) > 1:
        return False
    shaped = {x}  # names surely of x's shape
    for op in order[order.index(start) + 1:]:
        read = _reads(op)
        if not read & states.keys():
            if op.kind == "copy" and op.sources[0][1].id in shaped and \
                    stores[op.targets[0]] == 1:
                shaped.add(op.targets[0])
            continue
        state = _transfer(op, states, shaped, axis)
        if state is False or len(op.targets) != 1 or \
                stores[op.targets[0]] != 1:
            return False
        if state is not None:
            states[op.targets[0]] = state
    return True


def _reads(op):
    stmt = op.stmt
    kind = type(stmt)
    if kind in (gast.If, gast.While):
        return loads(stmt.test)
    if kind is gast.For:
        return loads(stmt.iter)
    return loads(stmt)


def _transfer(op, states, shaped, axis):
    """The state of the op's result (None: independent of m), or False
    where the op is none of the identities."""
    if op.kind == "copy":
        return states.get(op.sources[0][1].id)
    value = getattr(op.stmt, "value", None)
    if op.kind == "nondiff" and type(value) is gast.Attribute and \
            value.attr in SHAPE_ATTRS:
        return None  # a shift or scale keeps its base's shape
    if op.kind != "rule":
        return False
    fn, bound = op.rule.fn, op.bound
    if fn in EXTREMES or fn in (np.sum, np.mean):
        return _reduced(states.get(_id(bound["a"])), bound, axis,
                        fn in EXTREMES)
    if fn is np.exp or fn is np.log:
        state = states.get(_id(bound["x"]))
        want, give = (SHIFT, SCALE) if fn is np.exp else (SCALE, SHIFT)
        return (give,) + state[1:] if state and state[0] == want else False
    if fn in NEG or fn is gast.UAdd:
        state = states.get(_id(bound.get("a", bound.get("x"))))
        if state is None:
            return False
        sign = -1 if fn in NEG and state[0] == SHIFT else 1
        return (state[0], sign * state[1], state[2])
    if fn in ADD + SUB + MUL + DIV:
        return _binary(fn, bound["a"], bound["b"], states, shaped)
    return False


def _reduced(state, bound, axis, extreme):
    keep = bound.get("keepdims")
    if state is None or fingerprint(bound["axis"]) != axis or \
            type(keep) is not gast.Constant or keep.value is not True or \
            (state[0] == SHIFT and not extreme):
        return False
    return (state[0], state[1], REDUCED)


def _binary(fn, a, b, states, shaped):
    sa, sb = states.get(_id(a)), states.get(_id(b))
    size = _size(a, sa, shaped), _size(b, sb, shaped)
    if None in size:
        return False
    size = FULL if FULL in size else REDUCED
    if fn in ADD or fn in SUB:
        if SCALE in (_kind(sa), _kind(sb)):
            return False
        sign = 1 if fn in ADD else -1
        return _made(SHIFT, _alpha(sa) + sign * _alpha(sb), size)
    if _kind(sa) == SHIFT or _kind(sb) == SHIFT:
        number = _number(b if sa else a)
        if fn in DIV and sb or not number:
            return False
        shift = sa or sb
        factor = number if fn in MUL else 1 / number
        return _made(SHIFT, shift[1] * factor, size)
    sign = 1 if fn in MUL else -1
    return _made(SCALE, _alpha(sa) + sign * _alpha(sb), size)


def _size(node, state, shaped):
    """FULL or REDUCED for an operand, None if its shape is not known to be
    x's or m's (a number broadcasts to either)."""
    if state is not None:
        return state[2]
    if type(node) is gast.Constant:
        return REDUCED
    if type(node) is gast.Name and node.id in shaped:
        return FULL
    return None


def _made(kind, alpha, size):
    return (kind, alpha, size) if alpha != 0 else None


def _kind(state):
    return state[0] if state else None


def _alpha(state):
    return state[1] if state else 0


def _number(node):
    if type(node) is gast.Constant and type(node.value) in (int, float) \
            and node.value != 0:
        return node.value
    return None


def _id(node):
    return node.id if type(node) is gast.Name else None
