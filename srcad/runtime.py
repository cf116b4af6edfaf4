"""Runtime helpers that generated code calls, reached there as `ad`.

Only what a plain NumPy expression cannot say for every shape lives here:
undoing broadcasting, the adjoints of reductions and products whose shape
rules depend on ndim, and zeros that keep Python floats as floats. Every
helper has a derivative rule of its own (rules/runtime.py), so generated
code can be differentiated again.
"""
import math

import numpy as np

from .errors import NonScalarOutput, UsageError


_FLOAT64 = np.float64
_ARRAY = np.ndarray


def shape(x):
    found = getattr(x, "shape", None)
    if found is not None:
        return found
    return np.shape(x) if isinstance(x, (list, tuple)) else ()


class Like:
    """Stands for a value with the broadcast shape of `values`, when only
    its shape is needed and the value itself was never computed."""

    __slots__ = ("shape",)

    def __init__(self, first, *values):
        result = first.shape if type(first) is _ARRAY else shape(first)
        for value in values:
            found = value.shape if type(value) is _ARRAY else shape(value)
            if found != result:
                result = _broadcast(result, found)
        self.shape = result


def _broadcast(a, b):
    """The broadcast shape of shapes a and b; NumPy's error where there is
    none (the user's operation the optimizer took out would have raised
    it: only its shape was read)."""
    if a == b:
        return a
    long, short = (a, b) if len(a) >= len(b) else (b, a)
    short = (1,) * (len(long) - len(short)) + tuple(short)
    if any(m != n and m != 1 and n != 1 for m, n in zip(long, short)):
        raise ValueError(f"operands could not be broadcast together with "
                         f"shapes {tuple(a)} {tuple(b)}")
    return tuple(m if n == 1 else n for m, n in zip(long, short))


def unbroadcast(g, like):
    """Sum `g` down to the shape of `like`, undoing NumPy broadcasting."""
    kind = type(like)
    if kind is _ARRAY:  # the common cases first, without calls
        target = like.shape
    elif (kind is float or kind is _FLOAT64) and \
            (type(g) is float or type(g) is _FLOAT64):
        return g
    else:
        target = shape(like)
    have = g.shape if type(g) is _ARRAY else shape(g)
    if have == target:
        return g
    axes = _stretched(have, target)
    if axes is None:  # g stands for its broadcast (a scalar for a spread)
        full = _broadcast(have, target)
        g = np.broadcast_to(g, full)
        axes = broadcast_axes(full, target)
    g = sum_axes(g, axes, target) if axes else np.reshape(g, target)
    if not target and isinstance(like, (float, int, Like)):
        return float(g)
    return g


def _stretched(have, target):
    """broadcast_axes(have, target) when `have` is already the broadcast
    shape (the common case, told without building it); else None."""
    extra = len(have) - len(target)
    if extra < 0:
        return None
    axes = tuple(range(extra)) if extra else ()
    for i, n in enumerate(target, extra):
        if n != have[i]:
            if n != 1:
                return None
            axes += (i,)
    return axes


def broadcast_axes(have, target):
    """The axes of shape `have` that broadcasting `target` to it made (or
    stretched from length one): what unbroadcast sums over."""
    extra = len(have) - len(target)
    return tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(target) if n == 1 and have[extra + i] != 1)


def sum_axes(g, axes, kept=None):
    """np.sum(g, axis=axes), axes ascending, reshaped to `kept` if given.
    Over a leading or trailing run of axes of a float array, a product
    with a vector of ones: BLAS sums short rows several times faster than
    np.sum does."""
    if type(g) is not np.ndarray or g.dtype.char not in "df" or \
            not g.size or len(axes) >= g.ndim:
        found = np.sum(g, axis=axes)
    elif axes[0] == g.ndim - len(axes):  # trailing: rows of what is summed
        rows = g if g.ndim == 2 else \
            g.reshape(-1, math.prod(g.shape[axes[0]:]))
        found = rows @ _ones(rows.shape[1], g.dtype.char)
    elif axes[-1] == len(axes) - 1:  # leading: columns of what is summed
        columns = g.reshape(math.prod(g.shape[:len(axes)]), -1)
        found = _ones(columns.shape[0], g.dtype.char) @ columns
    else:
        found = np.sum(g, axis=axes)
    if kept is None:
        kept = tuple(n for i, n in enumerate(np.shape(g)) if i not in axes)
    if type(found) is np.ndarray:
        return found.reshape(kept)  # the method: no dispatch through np
    return np.reshape(found, kept)


_ONES = {}


def _ones(n, dtype):
    """A read-only vector of n ones (dtype a type code), kept for reuse."""
    try:
        return _ONES[n, dtype]
    except KeyError:
        ones = np.ones(n, dtype)
        ones.flags.writeable = False
        if len(_ONES) < 256:
            _ONES[n, dtype] = ones
        return ones


def broadcast_like(d, like):
    """Tangent `d` broadcast to the shape of the value `like`."""
    target = shape(like)
    if shape(d) == target:
        return d
    return np.broadcast_to(d, target)


def unreduce(g, x, axis=None, keepdims=False):
    """Adjoint of a sum over `axis`: spread `g` back over `x`'s shape."""
    target = shape(x)
    if axis is None:
        return _spread(g, target)
    return np.broadcast_to(expand(g, axis, keepdims), target)


def expand(g, axis=None, keepdims=False):
    """`g`, the result of a reduction over `axis`, with the reduced axes
    back at length one: it broadcasts against the array reduced."""
    if axis is None or keepdims:
        return g
    return np.expand_dims(g, axis)


def _spread(g, target):
    """`g` (one number) as a read-only array of shape `target` that
    repeats it without copying; np.broadcast_to, minus its overhead."""
    g = np.array(g) if type(g) is float else np.asarray(g)
    if g.size != 1 or not target:
        return np.broadcast_to(g, target)
    one = g if not g.ndim else np.ascontiguousarray(g).reshape(())
    out = np.ndarray(target, one.dtype, buffer=one,
                     strides=(0,) * len(target))
    out.flags.writeable = False
    return out


def reduced_size(x, axis=None):
    """How many elements each output of a reduction over `axis` averages."""
    dims = shape(x)
    if axis is None:
        return math.prod(dims)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return math.prod(dims[a] for a in axes)


def zeros_like(x):
    """A zero adjoint for `x`: 0.0 for a Python number, else an array."""
    if type(x) is np.ndarray:
        return np.zeros(x.shape, _float_dtype(x))
    if isinstance(x, (float, int)):
        return 0.0
    if isinstance(x, (tuple, list)):  # a list, so += works in place
        return [zeros_like(v) for v in x]
    return np.zeros(np.shape(x), dtype=_float_dtype(x))


def jacobian_dtype(out, x):
    """The float type of a Jacobian of `out` with respect to `x`."""
    return np.result_type(_float_dtype(out), _float_dtype(x))


_FLOAT64, _FLOAT32 = np.dtype(np.float64), np.dtype(np.float32)


def _float_dtype(x):
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype.kind in "fc":  # inexact, quickly
        return dtype
    return np.float64


def own(g):
    """A private, writeable copy of adjoint `g`, for writing into in
    place: a float array for an array, a list for a list or tuple."""
    if isinstance(g, (list, tuple)):
        return [own(v) if isinstance(v, (list, tuple)) else v for v in g]
    return np.array(g, dtype=_float_dtype(g))


def copy(value):
    """`value` kept for later: arrays are copied, other values are not."""
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def add_at(total, index, g):
    """total[index] += g, adding repeatedly for indices that repeat."""
    if isinstance(total, list):  # a list's index is an int or a slice
        total[index] = add(total[index], g)
    else:
        np.add.at(total, index, g)


def plus_at(total, index, g):
    """What add_at leaves in `total`, as a new value: generated code that
    is differentiated again says `b = ad.plus_at(b, idx, g)` (normalize)."""
    out = list(total) if isinstance(total, list) else \
        np.array(total, dtype=np.result_type(_float_dtype(total), g))
    add_at(out, index, g)
    return out


def add(a, b):
    """a + b, elementwise for tuples and lists of adjoints too."""
    if isinstance(a, (tuple, list)):
        items = [add(u, v) for u, v in zip(a, b)]
        return items if isinstance(a, list) else tuple(items)
    return a + b


def items_like(d, like):
    """The tangent `d` of an array added to list `like` (ad.add makes the
    sum a list): its items, as the sum's; else `d`."""
    if isinstance(like, (list, tuple)) and not isinstance(d, (list, tuple)):
        return list(d)
    return d


def _ndim(x):
    return x.ndim if type(x) is _ARRAY else np.ndim(x)


def matmul_grad_a(g, a, b):
    """Adjoint of `a` in `a @ b`, for every combination of ndims."""
    dims = (a.ndim, b.ndim) if type(a) is _ARRAY and type(b) is _ARRAY \
        else (_ndim(a), _ndim(b))
    if dims == (2, 2):
        return g @ b.T
    if dims == (2, 1):
        return np.outer(g, b)
    if dims == (1, 2):
        return b @ g
    a2, b2, g2 = _as_matrices(g, a, b)
    ga = g2 @ np.swapaxes(b2, -1, -2)
    return np.reshape(unbroadcast(ga, a2), np.shape(a))


def matmul_grad_b(g, a, b):
    """Adjoint of `b` in `a @ b`, for every combination of ndims."""
    dims = (a.ndim, b.ndim) if type(a) is _ARRAY and type(b) is _ARRAY \
        else (_ndim(a), _ndim(b))
    if dims in ((2, 2), (2, 1)):
        return a.T @ g
    if dims == (1, 2):
        return np.outer(a, g)
    a2, b2, g2 = _as_matrices(g, a, b)
    gb = np.swapaxes(a2, -1, -2) @ g2
    return np.reshape(unbroadcast(gb, b2), np.shape(b))


def outer_sum(lefts, rights):
    """The sum of `np.outer(x, y)` over the pairs of two lists, as one
    matrix product of the stacked rows (0.0 for no pairs)."""
    n = len(lefts)
    if n == 0:
        return 0.0
    try:
        xs, ys = np.array(lefts), np.array(rights)
    except ValueError:  # rows of different sizes, broadcast into the sum
        return sum(np.outer(x, y) for x, y in zip(lefts, rights))
    return xs.reshape(n, -1).T @ ys.reshape(n, -1)



def outer_sum_grads(g, lefts, rights):
    """The adjoints of `lefts` in `outer_sum(lefts, rights)`; those of
    `rights` are `outer_sum_grads(np.transpose(g), rights, lefts)`."""
    g = np.asarray(g)
    out = []
    for x, y in zip(lefts, rights):
        term = (np.size(x), np.size(y))
        part = g if g.shape == term else \
            unbroadcast(g, np.broadcast_to(0.0, term))
        out.append(np.reshape(part @ np.ravel(y), np.shape(x)))
    return out


def _as_matrices(g, a, b):
    """a, b and g with 1-d operands made matrices, as matmul treats them."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if b.ndim == 1:
        b = b[:, None]
        g = g[..., None]
    if a.ndim == 1:
        a = a[None, :]
        g = np.expand_dims(g, -2)
    return a, b, g


def dot_grad_a(g, a, b):
    """Adjoint of `a` in `np.dot(a, b)`."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    if np.ndim(b) <= 2:
        return matmul_grad_a(g, a, b)
    # dot sums a's last axis against b's second-to-last.
    axes_g = list(range(np.ndim(a) - 1, np.ndim(g)))
    b_axes = [i for i in range(np.ndim(b)) if i != np.ndim(b) - 2]
    return np.tensordot(g, b, axes=(axes_g, b_axes))


def dot_grad_b(g, a, b):
    """Adjoint of `b` in `np.dot(a, b)`."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    if np.ndim(b) <= 2:
        return matmul_grad_b(g, a, b)
    lead = list(range(np.ndim(a) - 1))
    out = np.tensordot(a, g, axes=(lead, lead))
    return np.moveaxis(out, 0, -2)


def unindex(g, x, index):
    """Adjoint of `x[index]`: `g` placed where it was read from, else 0."""
    out = np.zeros(np.shape(x), dtype=np.result_type(_float_dtype(x), g))
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _is_basic(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice, type(None), type(Ellipsis)))
               or (isinstance(p, np.integer)) for p in parts)


def check_unshared(value, where, *sources):
    """Nothing unless `value` (an array, or a list or tuple holding some)
    shares memory with an array `sources` hold: then `where` makes the
    error (sharing.py)."""
    if type(value) is not float and _shares(value, sources):
        raise where()


def _shares(value, held):
    if isinstance(value, (list, tuple)):
        return any(_shares(item, held) for item in value)
    if type(value) is not np.ndarray:
        return False
    if isinstance(held, (list, tuple)):
        return any(_shares(value, item) for item in held)
    return type(held) is np.ndarray and np.may_share_memory(value, held)


def check_scalar(y, where):
    """Nothing for a scalar output `y`; else an error located by `where`."""
    if isinstance(y, float) or getattr(y, "shape", None) == ():
        return
    if isinstance(y, int) and not isinstance(y, bool):
        return
    raise where(NonScalarOutput, non_scalar_message(_describe(y)))


def non_scalar_message(what):
    """Why grad fails for an output that is `what` ("a tuple")."""
    if what == "a complex":
        return ("grad needs a real scalar output, but the function "
                "returned a complex number: srcad differentiates functions "
                "of real numbers. Return a real value (abs(z) ** 2, "
                "np.real(z)), and pass a complex argument as its real and "
                "imaginary parts (z = a + 1j * b inside the function).")
    return (f"grad needs a scalar output (a float or a 0-d array), but the "
            f"function returned {what}. Reduce it to a scalar (np.sum, "
            f"np.mean), or use srcad.vjp or srcad.jacobian for non-scalar "
            f"outputs.")


def _describe(y):
    if hasattr(y, "shape"):
        return f"an array of shape {y.shape}"
    return f"a {type(y).__name__}"


COMPLEX = ("srcad differentiates functions of real numbers; this argument "
           "is complex. Pass its real and imaginary parts as two real "
           "arguments (z = a + 1j * b inside the function).")


def result(g, x):
    """The gradient `g` with the type and shape of argument `x`: a float
    for a number, a fresh writeable array of x's float type for an array
    (float64 constants in the derivative made a float32 x's gradient
    float64)."""
    if type(x) is _ARRAY:
        dtype = x.dtype
        if type(g) is _ARRAY and g.dtype is dtype and \
                (dtype is _FLOAT64 or dtype is _FLOAT32) and \
                g.shape == x.shape and g.flags.writeable:
            return g  # the common case, checked first
        if dtype.kind == "c":
            raise UsageError(COMPLEX)
        dtype = _float_dtype(x)
        if type(g) is _ARRAY and g.shape == x.shape and \
                g.dtype == dtype and g.flags.writeable:
            return g
        return np.array(np.broadcast_to(g, x.shape), dtype=dtype)
    if type(g) is float and type(x) is float:
        return g
    if isinstance(x, (float, int)):
        return float(g)
    if isinstance(x, (complex, np.complexfloating)):
        raise UsageError(COMPLEX)
    if isinstance(x, np.generic):  # np.float32 stays one, np.int64 -> float
        return x.dtype.type(g) if x.dtype.kind in "fc" else float(g)
    if isinstance(x, (tuple, list)) and isinstance(g, (tuple, list)):
        items = [result(v, e) for v, e in zip(g, x)]
        return items if isinstance(x, list) else tuple(items)
    return g


def inverse_axes(axes):
    """The permutation that undoes np.transpose(x, axes)."""
    return None if axes is None else tuple(int(i) for i in np.argsort(axes))


def sinc_derivative(x, y):
    """d sinc(x) / dx (y is sinc(x)): sinc_nth's, whose series near 0
    keeps the digits `(cos(pi x) - y) / x` loses there."""
    return sinc_nth(x, 1)


def sinc_nth(x, n):
    """The n-th derivative of sinc(x) = sin(pi x) / (pi x): from
    x s(x) = sin(pi x) / pi, s^(m) = (pi^(m-1) sin(pi x + m pi / 2) -
    m s^(m-1)) / x; near 0, where that cancels, its Taylor series."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 0.5
    safe = np.where(small, 1.0, x)
    far = np.sinc(safe)
    for m in range(1, n + 1):
        far = (np.pi ** (m - 1) * np.sin(np.pi * safe + m * np.pi / 2)
               - m * far) / safe
    near = np.zeros_like(x)
    for k in range((n + 1) // 2, (n + 1) // 2 + 14):
        near = near + (-1) ** k * np.pi ** (2 * k) / (
            (2 * k + 1) * math.factorial(2 * k - n)) * x ** (2 * k - n)
    return np.where(small, near, far)[()]


def reshape_like(v, like):
    """`v` with the shape of `like` (same number of elements)."""
    target = shape(like)
    if shape(v) == target:
        return v
    return np.reshape(v, target)


def extreme_mask(x, y, axis=None, keepdims=False):
    """Where `x` attains its max/min `y` over `axis`, ties sharing equally:
    the derivative of np.max and np.min."""
    if axis is not None and not keepdims:
        y = np.expand_dims(y, axis)
    hits = x == y
    if np.count_nonzero(hits) == np.size(y):
        return hits  # one hit in each slice: no ties to share
    return hits / np.sum(hits, axis=axis, keepdims=True)


def stop_gradient(x):
    """`x`, treated as a constant by differentiation."""
    return x


def cotangents(v, rule, args, result=None):
    """`v`, what the vjp of a rule given with srcad.defvjp returned for
    `args` (the arguments without a default), checked: one cotangent per
    argument (a bare value for one, a tuple for several), each of its
    argument's shape, one broadcasting to it, or the `result`'s (summed
    down to the argument's after). `rule` is the rule's signature; with
    no source line at hand, the errors name it."""
    several = len(args) > 1
    sequence = isinstance(v, (tuple, list))
    if several and not (sequence and len(v) == len(args)) or \
            not several and sequence and len(v) != 1 and \
            not isinstance(args[0], (tuple, list)):
        # (a 1-tuple for one argument is unambiguous, and summed right)
        _wrong_cotangents(v, rule, args)
    parts = list(v) if several else [v]
    outcome = None if isinstance(result, (tuple, list)) else np.shape(result)
    for i, (arg, param) in enumerate(zip(args, _rule_params(rule))):
        if parts[i] is None:  # no derivative in this argument: zeros
            parts[i] = zeros_like(arg)
        elif not isinstance(arg, (tuple, list)) and \
                np.shape(parts[i]) != outcome:
            _check_shape(parts[i], arg, f"the vjp of {rule} returned a "
                         f"cotangent", f"for {param}", "its argument or of "
                         f"the result {outcome},")
    return tuple(parts) if several else parts[0]


def tangent(dy, rule, y):
    """`dy`, what the jvp of a rule given with srcad.defvjp returned for
    result `y`, checked: of y's shape, or broadcast to it (None is a zero
    tangent)."""
    if dy is None:
        return zeros_like(y)
    if isinstance(y, (tuple, list)) or np.shape(dy) == np.shape(y):
        return dy
    _check_shape(dy, y, f"the jvp of {rule} returned a tangent",
                 "for its result", "the result")
    return np.array(np.broadcast_to(dy, np.shape(y)))  # one per element


def _check_shape(part, value, what, of, owner):
    """A UsageError unless `part`'s shape is `value`'s or broadcasts to
    it."""
    have, want = np.shape(part), np.shape(value)
    if have == want:
        return
    try:
        joined = np.broadcast_shapes(have, want)
    except ValueError:
        joined = None
    if joined == want:
        return
    raise UsageError(f"{what} of shape {have} {of}, of shape {want}: give "
                     f"it the shape of {owner} (or one that broadcasts to "
                     f"it)")


def _wrong_cotangents(v, rule, args):
    got = f"{len(v)} cotangents" if isinstance(v, (tuple, list)) else \
        f"a bare {type(v).__name__}"
    names = ", ".join(_rule_params(rule))
    raise UsageError(
        f"the vjp of {rule} returned {got}, but it has {len(args)} "
        f"argument{'s' if len(args) > 1 else ''} without a default "
        f"({names}); return one cotangent per argument: a bare value for "
        f"one, a tuple for several")


def _rule_params(rule):
    from .rules.registry import REQUIRED, parse_signature
    return [p for p, d in parse_signature(rule)[1] if d is REQUIRED]


def call_forward(fn, wrt, *args, **kwargs):
    """The forward half of `fn`'s derivative: (fn(*args), saved)."""
    return _derivative(fn, "vjp", wrt, len(args)).entry(*args, **kwargs)


def call_backward(fn, wrt, saved, g):
    """The backward half: the cotangents of the `wrt` arguments of `fn`."""
    return _derivative(fn, "vjp", wrt, None).backward(saved, g)


def call_jvp(fn, wrt, tangents, *args, **kwargs):
    """(fn(*args), its tangent), for `tangents` of the `wrt` arguments."""
    generated = _derivative(fn, "jvp", wrt, len(args))
    kwargs.update(zip(generated.tangents, tangents))
    return generated.entry(*args, **kwargs)


def call_jvps(fn, wrt, tangents, *args, **kwargs):
    """call_jvp for batched tangents (a leading axis of directions)."""
    generated = _derivative(fn, "jvps", wrt, len(args))
    kwargs.update(zip(generated.tangents, tangents))
    return generated.entry(*args, **kwargs)


def forward_of(fn, wrt):
    """The generated forward half of `fn`'s derivative (a function)."""
    return _derivative(fn, "vjp", wrt, None).entry


def backward_of(fn, wrt):
    """The generated backward half of `fn`'s derivative (a function)."""
    return _derivative(fn, "vjp", wrt, None).backward


_WRAPPED = {}


def _derivative(fn, kind, wrt, nargs):
    from . import pipeline
    from .capture import readable
    target = _WRAPPED.get(fn, fn)
    if target is fn and nargs is not None and not readable(fn):
        # a function passed as a value, with a rule but no source (np.sin):
        # differentiate a one-line function that calls it
        target = _WRAPPED[fn] = _calling(fn, [f"a{i}" for i in range(nargs)])
    mode = "forward" if kind in ("jvp", "jvps") else "reverse"
    return pipeline.cached(target, kind, wrt, mode)


def _calling(fn, params, defaults=None):
    """A Python function of `params` (names; `defaults` maps the optional
    ones to their defaults) that calls `fn`: something srcad can read
    where `fn` itself has only a rule."""
    from .compile import compile_source
    defaults = defaults or {}
    heads = [f"{p}={defaults[p]!r}" if p in defaults else p for p in params]
    # options by keyword: a rule's signature may skip some (np.sum's out)
    names = ", ".join(f"{p}={p}" if p in defaults else p for p in params)
    source = f"def apply({', '.join(heads)}):\n    return fn({names})\n"
    label = getattr(fn, "__name__", type(fn).__name__)
    return compile_source(source, f"<srcad call of {label}>",
                          {"__builtins__": __builtins__}, {"fn": fn})["apply"]


# Helpers of the NumPy and linear algebra rules live in their own modules;
# generated code reaches them as `ad.` like every other helper.
from .runtime_batch import *  # noqa: E402,F401,F403
from .runtime_linalg import *  # noqa: E402,F401,F403
from .runtime_numpy import *  # noqa: E402,F401,F403


def cast_like(g, x):
    """The adjoint `g` of `x.astype(...)`, in `x`'s float type."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.inexact):
        return np.asarray(g, dtype=dtype)
    return g


def spread_over(g, items):
    """Adjoint of builtins.sum(items): `g` for each item, in its shape."""
    if isinstance(items, np.ndarray):
        return np.broadcast_to(g, items.shape)
    return [unbroadcast(g, item) for item in items]


def written(g, index):
    """The adjoint of `v` in `y[index] = v`: g[index], except where an
    integer index repeats a position, which only its last write keeps."""
    if isinstance(g, list):  # a list's index is an int or a slice
        return g[index]
    part = np.array(g[index], dtype=_float_dtype(g))
    positions = np.arange(np.size(g)).reshape(np.shape(g))[index]
    flat = np.ravel(positions)
    if flat.size == len(set(flat.tolist())):
        return part
    last = {p: i for i, p in enumerate(flat.tolist())}
    keep = np.zeros(flat.size, dtype=bool)
    keep[list(last.values())] = True
    return part * keep.reshape(np.shape(positions))


def sum_like(gs, v):
    """Transpose of spread_over: the items' adjoints summed into v's shape."""
    if isinstance(gs, np.ndarray):
        return unbroadcast(gs, v)
    total = zeros_like(v)
    for g in gs:
        total = total + broadcast_like(g, v)
    return total


def place(h, g, index):
    """Transpose of written: `h` put at `index` in zeros shaped like `g`."""
    out = np.zeros(np.shape(g), dtype=np.result_type(_float_dtype(g), h))
    out[index] = h
    return out


def log_positive(a):
    """log(a) where a > 0, else 0: the factor of d(a ** b)/db, which is 0
    at a = 0 and undefined for a < 0 (where a ** b is defined only for an
    integer b, whose derivative is then taken to be 0)."""
    if isinstance(a, (float, int)):
        return math.log(a) if a > 0 else 0.0
    a = np.asarray(a)
    return np.log(np.where(a > 0, a, 1.0))


def flatten(a, order="C"):
    """a.flatten(order): a copy, as one dimension."""
    return a.flatten(order)


def astype(a, dtype):
    """a.astype(dtype)."""
    return a.astype(dtype)


def item(a):
    """a.item(): the one element of `a` as a Python number."""
    return a.item()


def tolist(a):
    """a.tolist()."""
    return a.tolist()


def through_cast(v, like, dtype):
    """The derivative `v` through a cast to `dtype`: none into integers or
    booleans, else `v` in `like`'s float type."""
    if np.issubdtype(np.dtype(dtype), np.inexact):
        return cast_like(v, like)
    return zeros_like(like)


def as_list(v):
    """list(v): the adjoint (and tangent) of list(items)."""
    return list(v)


def total(items):
    """builtins.sum(items) of tangents."""
    result = 0.0
    for item in items:
        result = result + item
    return result


def largest(items):
    """max(items), one iterable (the normalizer turns `max(xs)` into this;
    `max(a, b)` keeps its elementwise rule)."""
    return max(items)


def smallest(items):
    """min(items), one iterable."""
    return min(items)


def chosen(items, largest=True):
    """The position of the item max(items) (min if not `largest`) takes its
    derivative from: among tied items the last one, as `max(a, b)` gives a
    tie to b (so max(x, 0.0) has slope 0 at 0)."""
    if type(items) is _ARRAY:
        flipped = items[::-1]
        return len(items) - 1 - int(np.argmax(flipped) if largest
                                    else np.argmin(flipped))
    best = 0
    for k in range(1, len(items)):
        if (items[k] >= items[best]) if largest else \
                (items[k] <= items[best]):
            best = k
    return best


def pick(v, k):
    """v[k]: the tangent of the item max(items) chose."""
    return v[k]


def unpick(g, items, k):
    """Transpose of pick: `g` at position k, zeros elsewhere, in the shape
    of `items` (an array, or a list of adjoints one an item)."""
    if type(items) is _ARRAY or isinstance(items, Like):
        out = np.zeros(shape(items), np.result_type(_float_dtype(items), g))
        out[k] = g
        return out
    out = [zeros_like(item) for item in items]
    out[k] = unbroadcast(g, items[k])
    return out
