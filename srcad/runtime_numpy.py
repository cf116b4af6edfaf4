"""Runtime helpers for the NumPy rules (reached as `ad.`).

Most are the transposes of NumPy's linear shape functions (`untile` undoes
`np.tile`, summing where it copied); each has a rule in rules/numpy.py whose
transpose is the NumPy function again, so generated code differentiates to
any order. Parameters named `like` or read "for its shape" may be an
`ad.Like`, so they are read with `shape`, never `np.shape`.
"""
import numpy as np

from .errors import NoDerivativeRule
from .runtime import shape

__all__ = [
    "prod_others", "prod_pairs", "range_mask", "uncumsum", "uncumprod",
    "cumprod_tangent", "cumprod_pairs", "cumprod_curvature", "undiff",
    "broadcast_weights",
    "unbroadcast_weights", "untranspose", "unstack", "unconcatenate",
    "unhstack",
    "unvstack", "untile", "unrepeat", "pad_mode", "unpad", "undiag",
    "undiagonal", "untake", "untake_along_axis", "unarray", "cast_tangent",
    "quantile_weights", "unquantile", "quantile_tangent", "interp_tangent",
    "uninterp", "interp_slope", "unslope", "trapezoid_weights",
    "untrapezoid_weights", "trapezoid_x_adjoint", "untrapezoid_x",
    "unlinspace", "spread_linspace",
]


def _axes(axis, ndim):
    """`axis` (None, an int or a tuple, maybe negative) as a sorted tuple
    of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(sorted(int(a) % ndim for a in axes))


# -- reductions ---------------------------------------------------------------

def prod_others(a, axis=None):
    """For each element of `a`, the product of the others over `axis`:
    the derivative of np.prod, without dividing, so exact at zeros."""
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    last = range(-len(axes), 0)
    moved = np.moveaxis(a, axes, last)  # reduced axes last, then merged
    rows = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
    if rows.shape[-1] == 0:
        return np.ones_like(a)
    ones = np.ones(rows.shape[:-1] + (1,), dtype=rows.dtype)
    before = np.cumprod(np.concatenate([ones, rows[..., :-1]], -1), -1)
    after = np.cumprod(np.concatenate([ones, rows[..., :0:-1]], -1), -1)
    others = before * after[..., ::-1]
    return np.moveaxis(others.reshape(moved.shape), last, axes)


def prod_pairs(v, a, c, axis=None):
    """H @ v for H the second derivative of np.prod(a, axis) (H[j, k] the
    product of all but a[j] and a[k], 0 on its diagonal), c being
    prod_others(a, axis): the derivative of prod_others, exact where `a`
    is zero (by how many zeros a product over `axis` has)."""
    a = np.asarray(a)
    keep = dict(axis=axis, keepdims=True)
    zero = a == 0
    if not zero.any():
        return (np.sum(v * c, **keep) - v * c) / a
    safe = np.where(zero, 1.0, a)
    count = np.sum(zero, **keep)
    rest = np.prod(safe, **keep)  # the product of the nonzero elements
    one = rest * np.sum(np.where(zero, 0.0, v / safe), **keep)
    two = rest * (np.sum(np.where(zero, v, 0.0), **keep) - v)
    at_zero = np.where(count == 1, one, np.where(count == 2, two, 0.0))
    return np.where(zero, at_zero, (np.sum(v * c, **keep) - v * c) / safe)


def range_mask(a, axis=None):
    """The derivative of np.ptp: +1 where `a` attains its max over `axis`,
    -1 where its min, ties sharing equally."""
    hits_max = a == np.max(a, axis=axis, keepdims=True)
    hits_min = a == np.min(a, axis=axis, keepdims=True)
    return hits_max / np.sum(hits_max, axis=axis, keepdims=True) - \
        hits_min / np.sum(hits_min, axis=axis, keepdims=True)


def uncumsum(g, like, axis=None):
    """Adjoint of np.cumsum(x, axis): sums of `g` from each position to the
    end, in the shape of `like` (axis None: cumsum flattened x)."""
    if axis is None:
        return np.reshape(np.cumsum(g[::-1])[::-1], shape(like))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def uncumprod(g, a, c, axis=None):
    """Adjoint of c = np.cumprod(a, axis): `uncumsum(g * c) / a`, and
    exact where `a` is zero (a zero's own derivative is the product of
    the others up to each position, which that division cannot give)."""
    a = np.asarray(a)
    zero = a == 0
    if not zero.any():
        return uncumsum(g * c, a, axis) / a
    safe, once = _one_zero(a, zero, axis)
    return np.where(zero, uncumsum(g * once, a, axis),
                    uncumsum(g * c, a, axis) / safe)


def cumprod_tangent(d, a, c, axis=None):
    """Tangent of c = np.cumprod(a, axis) for `d` a's: `c * cumsum(d /
    a)`, and exact where `a` is zero (see uncumprod)."""
    a = np.asarray(a)
    zero = a == 0
    if not zero.any():
        return c * np.cumsum(d / a, axis=axis)
    safe, once = _one_zero(a, zero, axis)
    return c * np.cumsum(np.where(zero, 0.0, d / safe), axis=axis) + \
        once * np.cumsum(np.where(zero, d, 0.0), axis=axis)


def cumprod_pairs(h, v, a, axis=None):
    """H @ h for H the second derivative of sum(v * np.cumprod(a, axis))
    (symmetric; H[j, l] sums, over positions k past both, v[k] times the
    product of a up to k but a[j] and a[l]): the derivative of
    uncumprod(v, a, cumprod(a)) in a, all of it (through the product
    too). Exact where `a` is zero."""
    a = np.asarray(a, dtype=float)
    c = np.cumprod(a, axis=axis)
    if not (a == 0).any():
        own = uncumprod(v, a, c, axis)
        return uncumprod(v * np.cumsum(h / a, axis=axis), a, c, axis) - \
            h * own / a
    return _per_position(a, axis, lambda b: np.sum(
        np.reshape(h * uncumprod(v, b, np.cumprod(b, axis=axis), axis),
                   a.shape if axis is not None else -1), axis=axis,
        keepdims=axis is not None))


def cumprod_curvature(d, e, a, axis=None):
    """The tangent along `e` of cumprod_tangent(d, a, cumprod(a)) in a:
    for each position k, the sum over pairs j != l up to k of d[j] e[l]
    times the product of a up to k but a[j] and a[l]. Exact where `a`
    is zero."""
    a = np.asarray(a, dtype=float)
    c = np.cumprod(a, axis=axis)
    if not (a == 0).any():
        return cumprod_tangent(e, a, c, axis) * np.cumsum(d / a, axis=axis) \
            - c * np.cumsum(d * e / (a * a), axis=axis)
    total = 0.0
    for at, b1, b0 in _each_element(a):
        step = cumprod_tangent(d, b1, np.cumprod(b1, axis=axis), axis) - \
            cumprod_tangent(d, b0, np.cumprod(b0, axis=axis), axis)
        total = total + np.reshape(e, a.shape)[at] * step
    return total


def _per_position(a, axis, slope):
    """For each position of `a`: slope(a with it 1) - slope(a with it 0),
    a number for axis None, else read in that position's lane (slope's
    result keeps `axis` at length one)."""
    out = np.zeros(a.shape)
    for at, b1, b0 in _each_element(a):
        diff = np.asarray(slope(b1)) - np.asarray(slope(b0))
        if axis is not None:
            lane = list(at)
            lane[axis % a.ndim] = 0
            diff = diff[tuple(lane)]
        out[at] = diff
    return out


def _each_element(a):
    """(position, `a` with that element 1, `a` with it 0), each element in
    turn: what is linear in each element differs by its slope there."""
    for at in np.ndindex(a.shape):
        b1, b0 = a.copy(), a.copy()
        b1[at], b0[at] = 1.0, 0.0
        yield at, b1, b0


def _one_zero(a, zero, axis):
    """`a` with its zeros made ones, and the cumulative product of that
    where exactly one zero came before (else 0): the product of the others
    up to each position, for the zero among them."""
    safe = np.where(zero, 1.0, a)
    count = np.cumsum(zero, axis=axis)
    return safe, np.where(count == 1, np.cumprod(safe, axis=axis), 0.0)


def undiff(g, n=1, axis=-1):
    """Adjoint of np.diff(x, n, axis)."""
    for _ in range(n):
        width = [(0, 0)] * np.ndim(g)
        width[axis] = (1, 1)
        g = -np.diff(np.pad(g, width), axis=axis)
    return g


def broadcast_weights(w, like, axis=None):
    """The weights of np.average(x, axis, weights=w) in the shape of x:
    ones for None, a 1-d `w` laid along `axis`."""
    target = shape(like)
    if w is None:
        return np.broadcast_to(1.0, target)
    if np.ndim(w) != len(target):
        along = [1] * len(target)
        along[axis] = -1
        w = np.reshape(w, along)
    return np.broadcast_to(w, target)


def unbroadcast_weights(v, w, axis=None):
    """Adjoint of broadcast_weights: `v` summed to the shape of `w`
    (NumPy allows x's shape, or 1-d along `axis`)."""
    if np.shape(w) == np.shape(v):
        return v
    others = tuple(i for i in range(np.ndim(v)) if i != axis % np.ndim(v))
    return np.sum(v, axis=others)


# -- shape --------------------------------------------------------------------

def untranspose(g, axes=None):
    """Adjoint of np.transpose(x, axes): `g` with the permutation undone."""
    if axes is None:
        return np.transpose(g)
    return np.moveaxis(g, range(np.ndim(g)), axes)


def unstack(g, axis=0):
    """Adjoint of np.stack(arrays, axis): a list of the slices of `g`."""
    return list(np.moveaxis(g, axis, 0))


def _pieces(g, shapes, axis):
    """`g` cut along `axis` into pieces as long as `shapes` say there;
    axis None cuts the flattened `g` into pieces of their sizes."""
    if axis is None:
        g, axis = np.ravel(g), 0
        sizes = [int(np.prod(s)) for s in shapes]
    else:
        sizes = [s[axis] for s in shapes]
    return np.split(g, np.cumsum(sizes)[:-1], axis)


def unconcatenate(g, arrays, axis=0):
    """Adjoint of np.concatenate(arrays, axis): a list (as np.split gives)
    of the piece of `g` each array became."""
    shapes = [np.shape(a) for a in arrays]
    cuts = _pieces(g, shapes, axis)
    return [np.reshape(c, s) for c, s in zip(cuts, shapes)]


def unhstack(g, arrays):
    """Adjoint of np.hstack(arrays)."""
    shapes = [np.shape(np.atleast_1d(a)) for a in arrays]
    cuts = _pieces(g, shapes, 0 if len(shapes[0]) == 1 else 1)
    return [np.reshape(c, np.shape(a)) for c, a in zip(cuts, arrays)]


def unvstack(g, arrays):
    """Adjoint of np.vstack(arrays)."""
    shapes = [np.shape(np.atleast_2d(a)) for a in arrays]
    cuts = _pieces(g, shapes, 0)
    return [np.reshape(c, np.shape(a)) for c, a in zip(cuts, arrays)]


def untile(g, like, reps):
    """Adjoint of np.tile(x, reps): the copies of `g` summed."""
    target = shape(like)
    reps = tuple(reps) if np.ndim(reps) else (int(reps),)
    ndim = max(len(target), len(reps))
    dims = (1,) * (ndim - len(target)) + tuple(target)
    reps = (1,) * (ndim - len(reps)) + reps
    split = np.reshape(g, [n for pair in zip(reps, dims) for n in pair])
    return np.reshape(np.sum(split, axis=tuple(range(0, 2 * ndim, 2))),
                      target)


def unrepeat(g, like, repeats, axis=None):
    """Adjoint of np.repeat(x, repeats, axis): each run of copies summed."""
    target = shape(like)
    if axis is None:
        length, axis = int(np.prod(target)), 0
    else:
        length = target[axis]
    counts = np.broadcast_to(repeats, (length,))
    rows = np.moveaxis(np.asarray(g), axis, 0)
    out = np.zeros((length,) + rows.shape[1:], dtype=rows.dtype)
    np.add.at(out, np.repeat(np.arange(length), counts), rows)
    return np.reshape(np.moveaxis(out, 0, axis), target)


LINEAR_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def pad_mode(mode):
    """`mode`, if np.pad under it copies elements (so is linear up to its
    constant); any other mode has no derivative rule."""
    if mode not in LINEAR_PAD_MODES:
        raise NoDerivativeRule(
            f"srcad differentiates np.pad in modes {LINEAR_PAD_MODES}, "
            f"not {mode!r}")
    return mode


def unpad(g, like, pad_width, mode="constant"):
    """Adjoint of np.pad(x, pad_width, mode): every element of `g` added to
    the element of x it copies (padding constants take nothing)."""
    target = shape(like)
    size = int(np.prod(target))
    index = np.arange(size).reshape(target)
    if pad_mode(mode) == "constant":
        source = np.pad(index, pad_width, constant_values=size)
    else:
        source = np.pad(index, pad_width, mode=mode)
    sums = np.bincount(np.ravel(source), weights=np.ravel(g),
                       minlength=size + 1)
    return np.reshape(sums[:size], target)


def _diagonal_index(length, offset):
    """Row and column indices of the `offset` diagonal, `length` long."""
    steps = np.arange(length)
    return steps + max(-offset, 0), steps + max(offset, 0)


def undiag(g, like, k=0):
    """Adjoint of np.diag(v, k): for a 1-d v, the k-th diagonal of `g`;
    for a matrix v, `g` placed on its k-th diagonal."""
    target = shape(like)
    if len(target) == 1:
        return np.diagonal(g, k)
    out = np.zeros(target, dtype=np.result_type(g, float))
    out[_diagonal_index(np.shape(g)[0], k)] = g
    return out


def undiagonal(g, like, offset=0, axis1=0, axis2=1):
    """Adjoint of np.diagonal(a, offset, axis1, axis2): `g` placed on the
    diagonals, zeros elsewhere."""
    out = np.zeros(shape(like), dtype=np.result_type(g, float))
    planes = np.moveaxis(out, (axis1, axis2), (-2, -1))  # a view of out
    rows, cols = _diagonal_index(np.shape(g)[-1], offset)
    planes[..., rows, cols] = g
    return out


def untake(g, like, indices, axis=None, mode="raise"):
    """Adjoint of np.take(a, indices, axis, mode): `g` added at the places
    it was read from."""
    target = shape(like)
    flat = axis is None
    length = int(np.prod(target)) if flat else target[axis]
    indices = np.asarray(indices)
    if mode == "wrap":
        indices = indices % length
    elif mode == "clip":
        indices = np.clip(indices, 0, length - 1)
    out = np.zeros(length if flat else target, dtype=np.result_type(g, float))
    lead = () if flat else (slice(None),) * (axis % len(target))
    np.add.at(out, lead + (indices,), g)
    return np.reshape(out, target)


def untake_along_axis(g, like, indices, axis=-1):
    """Adjoint of np.take_along_axis(a, indices, axis)."""
    target = shape(like)
    if axis is None:
        out = np.zeros(int(np.prod(target)), dtype=np.result_type(g, float))
        np.add.at(out, indices, g)
        return np.reshape(out, target)
    ndim = len(target)
    axis %= ndim
    index = [np.arange(n).reshape((-1,) + (1,) * (ndim - 1 - d))
             for d, n in enumerate(target)]
    index[axis] = indices
    out = np.zeros(target, dtype=np.result_type(g, float))
    np.add.at(out, tuple(index), g)
    return out


# -- conversion ---------------------------------------------------------------

def _differentiable(dtype):
    return dtype is None or np.issubdtype(dtype, np.inexact)


def unarray(g, x, dtype=None):
    """Adjoint of np.array(x, dtype): `g` in the shape of x, split into a
    list of one adjoint an item when x is a list or tuple (a nested list's
    items get arrays); zero when dtype is not a float type, as casting to
    int has no derivative."""
    if not _differentiable(dtype):
        g = np.zeros(np.shape(x))
    g = np.reshape(g, np.shape(x))
    return list(g) if isinstance(x, (list, tuple)) else g


def cast_tangent(d, dtype=None, ndmin=0):
    """Tangent of np.array(x, dtype, ndmin=ndmin), `d` the tangent of x."""
    if not _differentiable(dtype):
        return np.zeros(np.shape(np.array(d, ndmin=ndmin)))
    return np.array(d, dtype=dtype, ndmin=ndmin)


def quantile_weights(a, q, axis=None, method="linear", out=None,
                     overwrite_input=False):
    """W, of shape np.shape(q) + a.shape, with np.quantile(a, q, axis) =
    the sum of W * a over `axis` (for each q): the interpolation weights
    on the two order statistics around each quantile, the derivative of
    np.quantile, np.percentile (q / 100) and np.median (q = 0.5). Tied
    values: each order statistic is one element (a stable argsort's)."""
    if method != "linear" or out is not None or overwrite_input:
        raise NoDerivativeRule(
            "srcad differentiates np.quantile, np.percentile and np.median "
            "with method='linear', no out= and overwrite_input=False only")
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    kept = [k for k in range(a.ndim) if k not in axes]
    # the reduced axes last, as one
    rows = np.transpose(a, kept + list(axes))
    inner = rows.shape
    rows = np.reshape(rows, inner[:len(kept)] + (-1,))
    order = np.argsort(rows, axis=-1, kind="stable")
    count = rows.shape[-1]
    qs = np.asarray(q, dtype=np.float64)
    weights = np.zeros((qs.size,) + rows.shape,
                       np.result_type(a.dtype, np.float32))
    for j, p in enumerate(qs.flat):
        position = p * (count - 1)
        low = min(int(np.floor(position)), count - 1)
        high = min(low + 1, count - 1)
        frac = position - low
        for at, w in ((low, 1 - frac), (high, frac)):
            np.put_along_axis(weights[j], order[..., at:at + 1],
                              np.take_along_axis(weights[j],
                                                 order[..., at:at + 1], -1)
                              + w, -1)
    weights = np.reshape(weights, (qs.size,) + inner)
    back = np.argsort(kept + list(axes))
    weights = np.transpose(weights, [0] + [1 + k for k in back])
    return np.reshape(weights, qs.shape + a.shape)


def _quantile_axes(w, q, axis):
    """The reduced axes of `a` as axes of W (past q's)."""
    lead = np.ndim(q)
    return tuple(lead + k for k in _axes(axis, np.ndim(w) - lead))


def quantile_tangent(d, w, q, axis=None, keepdims=False):
    """The tangent of np.quantile(a, q, axis, keepdims=keepdims) for a
    tangent `d` of a (W from quantile_weights)."""
    return np.sum(d * w, axis=_quantile_axes(w, q, axis), keepdims=keepdims)


def unquantile(g, w, q, axis=None, keepdims=False):
    """The adjoint of `a` in np.quantile(a, q, axis, keepdims=keepdims):
    `g` spread back over the reduced axes, weighted, summed over q's."""
    if not keepdims:
        g = np.expand_dims(g, _quantile_axes(w, q, axis))
    return np.sum(g * w, axis=tuple(range(np.ndim(q))))


def _interp_weights(x, xp, left=None, right=None, period=None):
    """np.interp(x, xp, fp) = fp[j] * low + fp[j + 1] * high: (j, low,
    high, inside), inside where x is in [xp[0], xp[-1]) (np.interp's
    slope there; 0 where it clamps, and at xp[-1], as from the right)."""
    if period is not None or len(xp) < 2:
        raise NoDerivativeRule(
            "srcad differentiates np.interp with two or more points xp "
            "and no period= only")
    x = np.asarray(x)
    xp = np.asarray(xp)
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    t = (x - xp[j]) / (xp[j + 1] - xp[j])
    below, above = x < xp[0], x > xp[-1]
    low = np.where(below, float(left is None), np.where(above, 0.0, 1 - t))
    high = np.where(below, 0.0, np.where(above, float(right is None), t))
    inside = ~below & (x < xp[-1])
    return j, low, high, inside


def interp_tangent(d, x, xp, left=None, right=None, period=None):
    """The tangent of np.interp(x, xp, fp, left, right) for a tangent `d`
    of fp (directions in front of fp's axis too): interp is linear in fp,
    and left= and right= are constants."""
    j, low, high, _ = _interp_weights(x, xp, left, right, period)
    d = np.asarray(d)
    return (d[..., j] * low.astype(d.dtype, copy=False)
            + d[..., j + 1] * high.astype(d.dtype, copy=False))


def uninterp(g, fp, x, xp, left=None, right=None, period=None):
    """The adjoint of fp in np.interp(x, xp, fp, left, right): each `g`
    added, weighted, to the two points around its x."""
    j, low, high, _ = _interp_weights(x, xp, left, right, period)
    return _to_points(g, low, high, j, fp)


def _to_points(g, low, high, j, fp):
    g = np.broadcast_to(g, np.shape(low))
    count = shape(fp)[-1]
    out = np.bincount(np.ravel(j), np.ravel(g * low), count) + \
        np.bincount(np.ravel(j) + 1, np.ravel(g * high), count)
    dtype = np.result_type(getattr(fp, "dtype", np.float64),
                           getattr(g, "dtype", np.float64), np.float32)
    return out.astype(dtype, copy=False)


def interp_slope(fp, x, xp, period=None):
    """d np.interp(x, xp, fp) / dx: the slope of x's segment, 0 where
    np.interp clamps (a knot takes the slope on its right)."""
    j, _, _, inside = _interp_weights(x, xp, period=period)
    fp = np.asarray(fp)
    xp = np.asarray(xp)
    width = (xp[j + 1] - xp[j]).astype(fp.dtype, copy=False)
    return np.where(inside, (fp[..., j + 1] - fp[..., j]) / width,
                    np.zeros((), fp.dtype))


def unslope(g, fp, x, xp, period=None):
    """Transpose of interp_slope in fp."""
    j, _, _, inside = _interp_weights(x, xp, period=period)
    xp = np.asarray(xp)
    step = np.where(inside, 1.0 / (xp[j + 1] - xp[j]), 0.0)
    return _to_points(g, -step, step, j, fp)


def trapezoid_weights(y, x=None, dx=1.0, axis=-1):
    """W with np.trapezoid(y, x, dx, axis) = the sum of W * y over `axis`:
    half the spacings on either side of each point, in a shape that
    broadcasts against y."""
    ndim = len(shape(y))
    axis = axis % ndim
    if x is None:
        count = shape(y)[axis]
        steps = np.full(count - 1, dx, np.result_type(dx, np.float32))
    else:
        x = np.asarray(x)
        steps = np.diff(x, axis=axis if x.ndim > 1 else -1)
    along = axis if np.ndim(steps) > 1 else -1
    pad = [(0, 0)] * np.ndim(steps)
    pad[along] = (1, 0)
    before = np.pad(steps, pad)
    pad[along] = (0, 1)
    weights = (before + np.pad(steps, pad)) / 2
    if np.ndim(weights) == 1 and ndim > 1:  # 1-d x: along axis
        weights = np.reshape(weights, [-1 if k == axis else 1
                                       for k in range(ndim)])
    return weights


def untrapezoid_weights(g, y, x, axis=-1):
    """Transpose of trapezoid_weights in x (the weights are linear in x's
    spacings): `g`, of the weights' shape, to x's shape."""
    axis = axis % len(shape(y))
    along = axis if np.ndim(x) > 1 else -1
    g = np.asarray(g)
    if np.ndim(x) == 1:  # the weights lie along axis
        g = np.reshape(g, -1)
    count = g.shape[along]
    steps = (np.take(g, range(1, count), along) +
             np.take(g, range(count - 1), along)) / 2
    return undiff(steps, 1, along)


def trapezoid_x_adjoint(g, y, x, axis=-1):
    """The adjoint of x in np.trapezoid(y, x, axis=axis): each spacing
    x[i + 1] - x[i] has the mean of y over its segment as its slope."""
    y = np.asarray(y)
    axis = axis % y.ndim
    count = y.shape[axis]
    means = (np.take(y, range(1, count), axis) +
             np.take(y, range(count - 1), axis)) / 2
    g = np.expand_dims(np.broadcast_to(g, np.delete(y.shape, axis)), axis)
    full = undiff(g * means, 1, axis)
    if np.ndim(x) == 1 and y.ndim > 1:  # x spaced y's points along axis
        full = np.sum(np.moveaxis(full, axis, -1),
                      axis=tuple(range(y.ndim - 1)))
    return full


def untrapezoid_x(h, g, y, x, axis=-1):
    """Transpose of trapezoid_x_adjoint(g, y, x, axis) in y (linear there):
    `h`, of x's shape, to y's."""
    y_shape = shape(y)
    axis = axis % len(y_shape)
    h = np.asarray(h)
    if np.ndim(x) == 1 and len(y_shape) > 1:  # summed over the other axes
        h = np.broadcast_to(np.reshape(h, [-1 if k == axis else 1
                                           for k in range(len(y_shape))]),
                            y_shape)
    g = np.expand_dims(np.broadcast_to(g, np.delete(y_shape, axis)), axis)
    spread = g * np.diff(h, axis=axis)
    width = [(0, 0)] * len(y_shape)
    width[axis] = (1, 0)
    before = np.pad(spread, width)
    width[axis] = (0, 1)
    return (before + np.pad(spread, width)) / 2


def _linspace_weights(num, endpoint, upper):
    """How much of stop (upper) or of start each of np.linspace's points
    takes."""
    num = int(num)
    steps = (num - 1 if endpoint else num) or 1
    w = np.arange(num) / steps
    return w if upper else 1.0 - w


def unlinspace(v, like, num=50, endpoint=True, upper=False):
    """Adjoint of start (upper: of stop) in np.linspace(start, stop, num,
    endpoint), points along axis 0: `v` weighted and summed over them,
    in `like`'s shape."""
    from .runtime import unbroadcast
    w = _linspace_weights(num, endpoint, upper)
    return unbroadcast(np.tensordot(w, v, 1), like)


def spread_linspace(d, y, num=50, endpoint=True, upper=False):
    """Tangent of np.linspace's points `y` for a tangent `d` of start
    (upper: of stop)."""
    w = _linspace_weights(num, endpoint, upper)
    w = np.reshape(w, (-1,) + (1,) * (len(shape(y)) - 1))
    return np.array(np.broadcast_to(w * d, shape(y)))
