"""Runtime helpers of batched tangents: forward-mode `grad` pushes every
basis direction through one pass of the jvp, each tangent carrying a
leading axis of `batch` directions before the shape of its value.

NumPy broadcasts from the right, so a tangent lines up with values of its
own shape; `lift` puts length-one axes after the batch axis where a value
of fewer dimensions meets a larger one, and the reductions and products
below shift their axes past the batch axis.
"""
import numpy as np

from .errors import UsageError
from .runtime import (_broadcast, broadcast_axes, check_scalar,
                      jacobian_dtype, result, shape, sum_axes)

__all__ = ["batch_size", "batch_zeros", "lift", "batch_broadcast",
           "batch_axis", "batch_reshape", "batch_transpose", "batch_matmul_a",
           "batch_matmul_b", "grad_by_batch", "batch_index", "batch_items",
           "batch_items_like",
           "batch_assign", "each", "jacobian_by_batch", "batch_unbroadcast",
           "batch_expand", "batch_unreduce", "batch_result", "batch_array"]


def batch_size(*tangents):
    """How many directions the batched tangents carry (lists of tangents
    too). Only empty lists carry none: there is nothing to differentiate,
    and the one pass for the value has no directions."""
    found = _carried(tangents)
    return 0 if found is None else found


def _carried(tangents):
    for d in tangents:
        if isinstance(d, (list, tuple)):
            found = _carried(d)
            if found is not None:
                return found
        elif np.ndim(d):
            return d.shape[0]
    return None


def batch_zeros(x, batch):
    """A zero tangent of `x` for `batch` directions."""
    if isinstance(x, (tuple, list)):
        return [batch_zeros(v, batch) for v in x]
    return np.zeros((batch,) + shape(x))


def lift(d, like):
    """Tangent `d` with length-one axes after the batch axis, so that it
    broadcasts against values of `like`'s ndim."""
    return _lifted(d, len(shape(like)))


def _lifted(d, ndim):
    missing = ndim - (d.ndim - 1)
    if missing <= 0:
        return d
    return d.reshape(d.shape[:1] + (1,) * missing + d.shape[1:])


def batch_broadcast(d, like):
    """Tangent `d` broadcast to the shape of the value `like`."""
    target = d.shape[:1] + shape(like)
    if d.shape == target:
        return d
    return np.broadcast_to(lift(d, like), target)


def batch_axis(axis, x):
    """Reduction axis `axis` of the value `x`, on its batched tangent."""
    if axis is None:
        return tuple(range(1, len(shape(x)) + 1))
    if isinstance(axis, tuple):
        return tuple(a + 1 if a >= 0 else a for a in axis)
    return axis + 1 if axis >= 0 else axis


def batch_array(d):
    """A list of batched tangents (of the items of a list an elementwise
    function takes) as one batched array, the directions first."""
    depth, probe = 0, d
    while isinstance(probe, (list, tuple)) and len(probe):
        depth, probe = depth + 1, probe[0]
    return np.moveaxis(np.asarray(d), depth, 0)


def batch_unbroadcast(d, like):
    """ad.unbroadcast of each direction: summed down to `like`'s shape."""
    target = shape(like)
    have = d.shape[1:]
    if have == target:
        return d
    full = _broadcast(have, target)
    if full != have:  # d stands for its broadcast
        d = np.broadcast_to(_lifted(d, len(full)), d.shape[:1] + full)
    axes = tuple(a + 1 for a in broadcast_axes(full, target))
    if axes:
        d = sum_axes(d, axes)
    return d.reshape(d.shape[:1] + target)


def batch_expand(d, axis=None, keepdims=False):
    """ad.expand of each direction."""
    if axis is None or keepdims:
        return d
    return np.expand_dims(d, batch_axis(axis, None))


def batch_unreduce(d, x, axis=None, keepdims=False):
    """ad.unreduce of each direction: spread back over `x`'s shape."""
    target = d.shape[:1] + shape(x)
    if axis is None:
        return np.broadcast_to(lift(d, x), target)
    return np.broadcast_to(batch_expand(d, axis, keepdims), target)


def batch_result(d, like):
    """ad.result of each direction: in the shape (and a float dtype) of
    the argument `like`."""
    if isinstance(d, (list, tuple)) and not isinstance(like, (list, tuple)):
        d = batch_array(d)  # a tuple's tangents made an array's: `v = a, b`
    d = np.asarray(d)
    if d.dtype.kind not in "fc":
        d = d.astype(float)
    # lifted: a batch of numbers given for an array argument spreads
    return np.array(np.broadcast_to(lift(d, like),
                                    d.shape[:1] + shape(like)))


def batch_reshape(d, y, order="C"):
    """The tangent of a reshape whose result is `y`."""
    if order == "C":
        return d.reshape(d.shape[:1] + shape(y))
    return np.stack([np.reshape(v, shape(y), order=order) for v in d])


def batch_transpose(d, axes=None):
    """The tangent of np.transpose(x, axes)."""
    if axes is None:
        axes = tuple(range(d.ndim - 2, -1, -1))
    return np.transpose(d, (0,) + tuple(a % (d.ndim - 1) + 1 for a in axes))


def batch_matmul_a(da, b, product=np.matmul):
    """The tangent of `product(a, b)` (matmul or dot) from that of a;
    vectors and matrices directly, other ndims one direction at a time."""
    if np.ndim(b) in (1, 2) and da.ndim in (2, 3):
        return da @ b
    return np.stack([product(d, b) for d in da])


def batch_matmul_b(a, db, product=np.matmul):
    """The tangent of `product(a, b)` (matmul or dot) from that of b."""
    if np.ndim(a) in (1, 2) and db.ndim == 2:  # b a vector
        return db @ np.transpose(a)
    if np.ndim(a) in (1, 2) and db.ndim == 3:
        return np.matmul(a, db)
    return np.stack([product(a, d) for d in db])


def grad_by_batch(jvps, args, positions, with_value, as_tuple, where,
                  sequences=None):
    """The gradient of a scalar function from its batched jvp: a basis
    direction for every element of every wrt argument. `sequences`: the
    positions of the arguments the code takes item by item (the tangent of
    a list there is a list); a list anywhere else is used as an array, and
    so is its tangent."""
    wrt = [args[p] for p in positions]
    value, douts = _pushed(jvps, args, wrt,
                           lambda value: check_scalar(value, where),
                           _by_item(positions, sequences))
    grads = [_gradient(d, x) for d, x in zip(douts, wrt)]
    grads = tuple(grads) if as_tuple else grads[0]
    return (value, grads) if with_value else grads


def _gradient(d, x):
    """The gradient of argument `x` from `d`, the tangents of the output
    along the basis directions of x's numbers in order (`_basis`): of x's
    type and shape, and a tuple or list of them for a tuple or list."""
    if isinstance(x, (tuple, list)):
        items, start = [], 0
        for v in x:
            size = _size(v)
            items.append(_gradient(d[start:start + size], v))
            start += size
        return items if isinstance(x, list) else tuple(items)
    return result(d.reshape(shape(x)) if shape(x) else d.item(), x)


def _size(x):
    """How many numbers argument `x` holds (those of its items, for a tuple
    or list)."""
    if isinstance(x, (tuple, list)):
        return sum(_size(v) for v in x)
    return int(np.size(x))


def _by_item(positions, sequences):
    """For each wrt position, whether the code takes that argument item by
    item (all of them, where `sequences` is not known)."""
    return [sequences is None or p in sequences for p in positions]


def _basis(x, rows, by_item=True):
    """The batched tangent of argument `x` for directions `rows` (a
    (batch, size of x) array): x's shape after the batch axis, and for a
    tuple or list the code takes `by_item`, a list of its items'
    tangents (items may differ in shape); one it uses as an array, the
    array's."""
    if isinstance(x, (tuple, list)) and not by_item:
        try:
            return rows.reshape(rows.shape[:1] + np.shape(x))
        except ValueError:  # ragged: not an array either
            pass
    if isinstance(x, (tuple, list)):
        items, start = [], 0
        for v in x:
            size = _size(v)
            items.append(_basis(v, rows[:, start:start + size]))
            start += size
        return items
    return rows.reshape(rows.shape[:1] + shape(x))


def jacobian_by_batch(jvps, args, positions, sequences=None):
    """The Jacobian blocks (out.shape + x.shape for each wrt x) from the
    batched jvp (`sequences` as for grad_by_batch)."""
    wrt = [args[p] for p in positions]
    value, douts = _pushed(jvps, args, wrt, output_shape,
                           _by_item(positions, sequences))
    out = output_shape(value)
    blocks = []
    for d, x in zip(douts, wrt):
        d = np.reshape(d, shape(x) + out)  # directions first
        lead = len(shape(x))
        blocks.append(np.moveaxis(d, tuple(range(lead)), tuple(
            range(len(out), len(out) + lead))).astype(
                jacobian_dtype(value, x)))
    return blocks


def output_shape(value):
    """The shape of output `value` for a Jacobian: a tuple or list of
    outputs of one shape stands for their stack (np.asarray's shape);
    outputs of different shapes have no one Jacobian."""
    if not isinstance(value, (tuple, list)):
        return shape(value)
    try:
        return np.shape(value)
    except ValueError:
        shapes = ", ".join(str(shape(v)) for v in value)
        raise UsageError(
            f"jacobian needs outputs of one shape, to stack into one array; "
            f"the function returned a {type(value).__name__} of values of "
            f"shapes {shapes}. Take the jacobian of each output separately, "
            f"or use srcad.jvp or srcad.vjp.") from None


def _pushed(jvps, args, wrt, check, by_item):
    """The output and, for each of `wrt`, its tangents along every basis
    direction of that argument (a (size,) + out.shape array): the
    directions go through in passes of at most `DIRECTIONS` of them and
    about `CHUNK` numbers per tangent. `check(output)` comes first: the
    output may be no value these tangents fit."""
    sizes = [_size(x) for x in wrt]
    total = sum(sizes)
    step = max(1, min(total, DIRECTIONS, CHUNK // max(total, 1)))
    value, parts = None, []
    for first in range(0, total, step):
        batch = min(step, total - first)
        tangents = []
        start = 0
        for x, size, items in zip(wrt, sizes, by_item):
            basis = np.zeros((batch, size))
            rows = np.arange(max(start, first), min(start + size,
                                                    first + batch))
            basis[rows - first, rows - start] = 1.0
            tangents.append(_basis(x, basis, items))
            start += size
        value, dout = jvps(*args, *tangents)
        check(value)
        if isinstance(dout, (tuple, list)):  # directions first
            dout = batch_array(dout)
        parts.append(np.broadcast_to(dout, (batch,) + shape(value)))
    if not total:  # nothing to differentiate: one pass for the value
        value, _ = jvps(*args, *[_basis(x, np.zeros((0, 0)), items)
                                 for x, items in zip(wrt, by_item)])
        check(value)
    douts = np.concatenate(parts) if parts else \
        np.zeros((0,) + shape(value))
    split = np.cumsum(sizes)[:-1]
    return value, np.split(douts, split)


# At most this many directions in one pass, and directions x elements of
# the wrt arguments at most CHUNK: a tangent is about that many numbers
# where values are about the size of the arguments, and passes of a few
# hundred directions run as fast per direction as larger ones.
DIRECTIONS = 128
CHUNK = 1 << 20


def each(batch, fn, *tangents):
    """`fn` (a forward template with no batched form) run one direction
    at a time, the results stacked: a rule without batched templates still
    takes part in a batched pass."""
    if batch == 0:  # for the shape of no result at all
        return _stacked([fn(*(_direction(t, None) for t in tangents))], 0)
    return _stacked([fn(*(_direction(t, k) for t in tangents))
                     for k in range(batch)], batch)


def _direction(t, k):
    """Direction `k` of batched tangent `t` (zeros of its shape for None)."""
    if isinstance(t, (list, tuple)):
        return [_direction(v, k) for v in t]
    if np.ndim(t) == 0:  # a constant's zero tangent
        return t
    return np.zeros(t.shape[1:]) if k is None else t[k]


def _stacked(results, batch):
    first = results[0]
    if isinstance(first, (list, tuple)):
        return [_stacked(list(parts), batch) for parts in zip(*results)]
    stacked = np.stack([np.asarray(r, dtype=np.result_type(r, float))
                        for r in results])
    return stacked[:batch]


def batch_index(d, index):
    """The tangent of `x[index]`: every direction indexed alike (a list
    of tangents is indexed as the list)."""
    if isinstance(d, (list, tuple)):
        return d[index]
    if np.ndim(d) <= 1:
        # a number for each direction stands for the zeros of a value with
        # no derivative (a range a loop ran over): indexed, still zeros
        return d
    key = _batched_key(index)
    if key is None:
        return np.stack([v[index] for v in d])
    item = d[key]
    if item.ndim == 1:
        # x[index] is a number, which nothing shares, and the generated
        # code counts on that (bt = by[i]; by[i] = 0.0): the directions
        # of it must not be a view into d either
        return item.copy()
    return item


def batch_items(d):
    """The tangents of the items that unpacking a value takes, from its
    batched tangent `d`: a list's as they are, an array's along its second
    axis (the first holds the directions)."""
    if isinstance(d, (list, tuple)):
        return d
    return [batch_index(d, k) for k in range(np.shape(d)[1])]


def batch_items_like(d, like):
    """The batched tangent `d` of an array added to list `like` (ad.add
    makes the sum a list): its items, as the sum's; else `d`."""
    if isinstance(like, (list, tuple)) and not isinstance(d, (list, tuple)):
        return batch_items(d)
    return d


def batch_assign(d, index, v):
    """`dy[index] = dv` for every direction (v a batched tangent, or a
    number for a constant value)."""
    if isinstance(d, list):
        d[index] = v if np.ndim(v) else batch_zeros(0.0, batch_size(d))
        return
    key = _batched_key(index)
    if key is None:
        for k in range(len(d)):
            d[k][index] = v[k] if np.ndim(v) else v
        return
    if np.ndim(v):
        item = d[key]
        v = lift(v, item[0]) if item.ndim else v
    d[key] = v


def _batched_key(index):
    """`index` with the batch axis in front, or None where NumPy would not
    keep that axis first (array indices apart from each other)."""
    if not isinstance(index, tuple):
        return (slice(None), index)
    arrays = [i for i in index if not isinstance(
        i, (int, np.integer, slice, type(None), type(Ellipsis)))]
    if len(arrays) > 1 or arrays and len(index) > 1:
        return None
    return (slice(None),) + index

