"""Derivative rules for NumPy: one line a function, grouped by kind.

Elementwise templates serve both modes (see registry.py); the framework
undoes broadcasting, so no rule here sums over broadcast axes by hand.
"""
import numpy as np

from .. import runtime as ad
from .operators import MATMUL_BATCHED, MATMUL_BY_NDIMS
from .registry import (NO_DERIVATIVE, define, elementwise, linear, nondiff,
                       returns_sequence)

T = __name__

# -- elementwise, one argument ------------------------------------------------
elementwise(np.exp, "exp(x)", T, x="g * y")
elementwise(np.exp2, "exp2(x)", T, x="g * y * np.log(2)")
elementwise(np.expm1, "expm1(x)", T, x="g * (y + 1)")
elementwise(np.log, "log(x)", T, x="g / x")
elementwise(np.log2, "log2(x)", T, x="g / (x * np.log(2))")
elementwise(np.log10, "log10(x)", T, x="g / (x * np.log(10))")
elementwise(np.log1p, "log1p(x)", T, x="g / (1 + x)")
elementwise(np.sqrt, "sqrt(x)", T, x="g / (2 * y)")
elementwise(np.cbrt, "cbrt(x)", T, x="g / (3 * y * y)")
elementwise(np.square, "square(x)", T, x="g * 2 * x")
elementwise(np.reciprocal, "reciprocal(x)", T, x="-g * y * y")
elementwise(np.sin, "sin(x)", T, x="g * np.cos(x)")
elementwise(np.cos, "cos(x)", T, x="-g * np.sin(x)")
elementwise(np.tan, "tan(x)", T, x="g * (1 + y * y)")
elementwise(np.arcsin, "arcsin(x)", T, x="g / np.sqrt(1 - x * x)")
elementwise(np.arccos, "arccos(x)", T, x="-g / np.sqrt(1 - x * x)")
elementwise(np.arctan, "arctan(x)", T, x="g / (1 + x * x)")
elementwise(np.sinh, "sinh(x)", T, x="g * np.cosh(x)")
elementwise(np.cosh, "cosh(x)", T, x="g * np.sinh(x)")
elementwise(np.tanh, "tanh(x)", T, x="g * (1 - y * y)")
elementwise(np.arcsinh, "arcsinh(x)", T, x="g / np.sqrt(x * x + 1)")
elementwise(np.arccosh, "arccosh(x)", T, x="g / np.sqrt(x * x - 1)")
elementwise(np.arctanh, "arctanh(x)", T, x="g / (1 - x * x)")
elementwise(np.abs, "absolute(x)", T, x="g * np.sign(x)")
elementwise(np.fabs, "fabs(x)", T, x="g * np.sign(x)")
elementwise(np.negative, "negative(x)", T, x="-g")
elementwise(np.positive, "positive(x)", T, x="g")
elementwise(np.deg2rad, "deg2rad(x)", T, x="g * (np.pi / 180)")
elementwise(np.rad2deg, "rad2deg(x)", T, x="g * (180 / np.pi)")
elementwise(np.sinc, "sinc(x)", T, x="g * ad.sinc_derivative(x, y)")
# y is sinc(x) in generated code: the whole second derivative goes to x
# (its parts in x and y alone are each singular at 0)
elementwise(ad.sinc_derivative, "sinc_derivative(x, y)", T,
            x="g * ad.sinc_nth(x, 2)")
elementwise(ad.sinc_nth, "sinc_nth(x, n)", T, x="g * ad.sinc_nth(x, n + 1)")

# -- elementwise, two arguments -----------------------------------------------
elementwise(np.add, "add(a, b)", T, a="g", b="g")
elementwise(np.subtract, "subtract(a, b)", T, a="g", b="-g")
elementwise(np.multiply, "multiply(a, b)", T, a="g * b", b="g * a")
elementwise(np.divide, "divide(a, b)", T, a="g / b", b="-g * y / b")
elementwise(np.power, "power(a, b)", T,
            a="g * b * a ** (b - 1)", b="g * y * ad.log_positive(a)")
elementwise(np.float_power, "float_power(a, b)", T,
            a="g * b * np.float_power(a, b - 1)",
            b="g * y * ad.log_positive(a)")
elementwise(np.maximum, "maximum(a, b)", T, a="g * (a > b)", b="g * (b >= a)")
elementwise(np.minimum, "minimum(a, b)", T, a="g * (a < b)", b="g * (b <= a)")
elementwise(np.fmax, "fmax(a, b)", T, a="g * (a > b)", b="g * (b >= a)")
elementwise(np.fmin, "fmin(a, b)", T, a="g * (a < b)", b="g * (b <= a)")
elementwise(np.arctan2, "arctan2(a, b)", T,
            a="g * b / (a * a + b * b)", b="-g * a / (a * a + b * b)")
elementwise(np.hypot, "hypot(a, b)", T, a="g * a / y", b="g * b / y")
elementwise(np.logaddexp, "logaddexp(a, b)", T,
            a="g * np.exp(a - y)", b="g * np.exp(b - y)")
elementwise(np.logaddexp2, "logaddexp2(a, b)", T,
            a="g * np.exp2(a - y)", b="g * np.exp2(b - y)")
# remainders: slope 1 in a, minus the whole quotient in b, between jumps
elementwise(np.remainder, "remainder(a, b)", T, a="g", b="-g * (a // b)")
elementwise(np.fmod, "fmod(a, b)", T, a="g", b="-g * np.trunc(a / b)")
elementwise(np.copysign, "copysign(a, b)", T,
            a="g * np.sign(a) * np.sign(y)")
elementwise(np.where, "where(condition, a, b)", T,
            a="np.where(condition, g, 0.0)", b="np.where(condition, 0.0, g)")
elementwise(np.clip, "clip(a, a_min=None, a_max=None)", T,
            a="g * (np.clip(a, a_min, a_max) == a)",
            a_min="g * (a < a_min)", a_max="g * (a > a_max)")

# -- identities for real input ------------------------------------------------
# NumPy's float types called as conversions (s = np.float64(0.0)), like
# float(x); the gradient takes the argument's type at the end
for kind in (np.float64, np.float32):
    elementwise(kind, f"{kind.__name__}(x)", T, x="g")
elementwise(np.real, "real(val)", T, val="g")
elementwise(np.conjugate, "conjugate(x)", T, x="g")
# a copy's tangent is a copy too: the tangent it is made from may be
# written into later (y[0] = ... after prev = y.copy(), in a loop)
define(np.copy, "copy(a)", owner=T, reverse={"a": "g"},
       forward={"a": "ad.own(da)"}, batched={"a": "ad.own(da)"})

# -- reductions ---------------------------------------------------------------
# Options are NumPy's, in NumPy's order; `out=` and `where=` are refused.
REDUCE = "(a, axis=None, dtype=None, keepdims=False)"
SPREAD = "ad.unreduce(g, a, axis, keepdims)"  # g back over the reduced axes
# g with the reduced axes back at length one, for a product with a value of
# a's shape, which broadcasts it
EXPAND = "ad.expand(g, axis, keepdims)"
# on batched tangents, the same reduction past the leading axis
AXIS = "axis=ad.batch_axis(axis, a)"


def weighted_sum(weights, around="{}"):
    """The forward templates, plain and batched, of a reduction whose
    tangent is `da * weights` summed over the reduced axes (then put in
    `around`)."""
    total = "np.sum(da * " + weights + ", {}, keepdims=keepdims)"
    return {"forward": {"a": around.format(total.format("axis=axis"))},
            "batched": {"a": around.format(total.format(AXIS))}}


linear(np.sum, "sum" + REDUCE, T, shape_only=("a",), a=SPREAD,
       batched={"a": f"np.sum(da, {AXIS}, dtype=dtype, keepdims=keepdims)"})
linear(np.mean, "mean" + REDUCE, T, shape_only=("a",),
       a="ad.unreduce(g / ad.reduced_size(a, axis), a, axis, keepdims)",
       batched={"a": f"np.mean(da, {AXIS}, dtype=dtype, keepdims=keepdims)"})
define(np.prod, "prod" + REDUCE, owner=T,
       reverse={"a": EXPAND + " * ad.prod_others(a, axis)"},
       **weighted_sum("ad.prod_others(a, axis)"))

PRESENT = "~np.isnan(a)"  # the values nansum and nanmean read
COUNT = f"np.sum({PRESENT}, axis=axis, keepdims=keepdims)"
define(np.nansum, "nansum" + REDUCE, owner=T,
       reverse={"a": f"{EXPAND} * {PRESENT}"}, **weighted_sum(PRESENT))
define(np.nanmean, "nanmean" + REDUCE, owner=T,
       reverse={"a": f"ad.expand(g / {COUNT}, axis, keepdims)"
                     f" * {PRESENT}"},
       **weighted_sum(PRESENT, "{} / " + COUNT))

for fn in (np.max, np.min, np.amax, np.amin):
    MASK = "ad.extreme_mask(a, y, axis, keepdims)"
    define(fn, fn.__name__ + "(a, axis=None, keepdims=False)", owner=T,
           reverse={"a": f"{EXPAND} * {MASK}"}, **weighted_sum(MASK))
define(np.ptp, "ptp(a, axis=None, keepdims=False)", owner=T,
       reverse={"a": EXPAND + " * ad.range_mask(a, axis)"},
       **weighted_sum("ad.range_mask(a, axis)"))

MOMENTS = "(a, axis=None, dtype=None, ddof=0, keepdims=False)"
CENTRED = "(a - np.mean(a, axis=axis, keepdims=True))"
DOF = "(ad.reduced_size(a, axis) - ddof)"
define(np.var, "var" + MOMENTS, owner=T,
       reverse={"a": f"ad.unreduce(2 * g / {DOF}, a, axis, keepdims)"
                     f" * {CENTRED}"},
       **weighted_sum(CENTRED, "2 * {} / " + DOF))
define(np.std, "std" + MOMENTS, owner=T,
       reverse={"a": f"ad.unreduce(g / ({DOF} * y), a, axis, keepdims)"
                     f" * {CENTRED}"},
       **weighted_sum(CENTRED, "{} / (" + DOF + " * y)"))

WEIGHTS = "ad.broadcast_weights(weights, a, axis)"  # in the shape of a
TOTAL = f"np.sum({WEIGHTS}, axis=axis, keepdims=keepdims)"
SPREAD_MEAN = f"ad.unreduce(g / {TOTAL}, a, axis, keepdims)"
DEVIATION = "(a - ad.unreduce(y, a, axis, keepdims))"
define(np.average, "average(a, axis=None, weights=None, keepdims=False)",
       owner=T,
       reverse={"a": f"{SPREAD_MEAN} * {WEIGHTS}",
                "weights": f"ad.unbroadcast_weights({SPREAD_MEAN}"
                           f" * {DEVIATION}, weights, axis)"},
       forward={"a": f"np.sum(da * {WEIGHTS}, axis=axis, keepdims=keepdims)"
                     f" / {TOTAL}",
                "weights": "np.sum(ad.broadcast_weights(dweights, a, axis)"
                           f" * {DEVIATION}, axis=axis, keepdims=keepdims)"
                           f" / {TOTAL}"})

# order statistics, linear interpolation: the weights on the two values
# around each quantile (a tie: the one a stable argsort puts there). No rule
# in q yet: an active q is refused.
QUANTILE = "(a, q, axis=None, out=None, overwrite_input=False, " \
    "method='linear', keepdims=False)"
QUANTILE_ONLY = {"method": ("linear",), "out": (None,),
                 "overwrite_input": (False,)}
for fn, q in ((np.quantile, "q"), (np.percentile, "np.divide(q, 100)")):
    W = f"ad.quantile_weights(a, {q}, axis, method, out, overwrite_input)"
    define(fn, fn.__name__ + QUANTILE, owner=T,
           reverse={"a": f"ad.unquantile(g, {W}, {q}, axis, keepdims)",
                    "q": NO_DERIVATIVE},
           forward={"a": f"ad.quantile_tangent(da, {W}, {q}, axis, "
                         "keepdims)"}, only=QUANTILE_ONLY)
W = "ad.quantile_weights(a, 0.5, axis, 'linear', out, overwrite_input)"
define(np.median,
       "median(a, axis=None, out=None, overwrite_input=False, keepdims=False)",
       owner=T, reverse={"a": f"ad.unquantile(g, {W}, 0.5, axis, keepdims)"},
       forward={"a": f"ad.quantile_tangent(da, {W}, 0.5, axis, keepdims)"},
       only={"out": (None,), "overwrite_input": (False,)})

# np.interp: the slope of x's segment in x (0 where it clamps; a knot takes
# the slope on its right), the interpolation weights in fp; no rule in xp
# (an active xp is refused), nor with period=
SLOPE = "ad.interp_slope(fp, x, xp, period)"
FP = "ad.interp_tangent(dfp, x, xp, left, right, period)"
define(np.interp, "interp(x, xp, fp, left=None, right=None, period=None)",
       owner=T,
       reverse={"x": f"g * {SLOPE}", "xp": NO_DERIVATIVE,
                "fp": "ad.uninterp(g, fp, x, xp, left, right, period)",
                "left": NO_DERIVATIVE, "right": NO_DERIVATIVE},
       forward={"x": f"dx * {SLOPE}", "fp": FP},
       batched={"x": f"dx * {SLOPE}", "fp": FP}, only={"period": (None,)})

# np.trapezoid: linear in y (weights half the spacing either side of each
# point) and in x's spacings; no rule in dx (an active dx is refused). y is
# `a` here, as templates name the result y (y= by keyword binds a)
TRAPEZOID_W = "ad.trapezoid_weights(a, x, dx, axis)"
define(np.trapezoid, "trapezoid(a, x=None, dx=1.0, axis=-1)", owner=T,
       reverse={"a": f"ad.unreduce(g, a, axis) * {TRAPEZOID_W}",
                "x": "ad.trapezoid_x_adjoint(g, a, x, axis)",
                "dx": NO_DERIVATIVE},
       # x carries a derivative only if given, when np.trapezoid ignores
       # dx (which then names x's tangent)
       forward={"a": "np.trapezoid(da, x, dx, axis)",
                "x": "np.trapezoid(a, dx, axis=axis)"})

# -- cumulative ---------------------------------------------------------------
linear(np.cumsum, "cumsum(a, axis=None, dtype=None)", T, shape_only=("a",),
       a="ad.uncumsum(g, a, axis)")
define(np.cumprod, "cumprod(a, axis=None, dtype=None)", owner=T,
       reverse={"a": "ad.uncumprod(g, a, y, axis)"},
       forward={"a": "ad.cumprod_tangent(da, a, y, axis)"})
linear(np.diff, "diff(a, n=1, axis=-1)", T, a="ad.undiff(g, n, axis)")

# -- shape --------------------------------------------------------------------
BACK = "ad.reshape_like(g, a)"  # g in the shape of a
RESHAPED = {"a": "ad.batch_reshape(da, y, order)"}  # batched tangents
linear(np.reshape, "reshape(a, shape, order='C')", T, shape_only=("a",),
       a="np.reshape(g, ad.shape(a), order=order)", batched=RESHAPED)
linear(np.ravel, "ravel(a, order='C')", T, shape_only=("a",),
       a="np.reshape(g, ad.shape(a), order=order)", batched=RESHAPED)
LIKE_Y = {"a": "ad.batch_reshape(da, y)"}
linear(np.squeeze, "squeeze(a, axis=None)", T, shape_only=("a",), a=BACK,
       batched=LIKE_Y)
linear(np.expand_dims, "expand_dims(a, axis)", T, shape_only=("a",), a=BACK,
       batched=LIKE_Y)
linear(np.atleast_1d, "atleast_1d(a)", T, shape_only=("a",), a=BACK,
       batched=LIKE_Y)
linear(np.atleast_2d, "atleast_2d(a)", T, shape_only=("a",), a=BACK,
       batched=LIKE_Y)
linear(np.atleast_3d, "atleast_3d(a)", T, shape_only=("a",), a=BACK,
       batched=LIKE_Y)
linear(np.transpose, "transpose(a, axes=None)", T,
       a="ad.untranspose(g, axes)",
       batched={"a": "ad.batch_transpose(da, axes)"})
linear(np.swapaxes, "swapaxes(a, axis1, axis2)", T,
       a="np.swapaxes(g, axis1, axis2)")
linear(np.moveaxis, "moveaxis(a, source, destination)", T,
       a="np.moveaxis(g, destination, source)")
linear(np.broadcast_to, "broadcast_to(array, shape)", T,
       shape_only=("array",), array="ad.unbroadcast(g, array)")
linear(np.flip, "flip(m, axis=None)", T, m="np.flip(g, axis)")
linear(np.fliplr, "fliplr(m)", T, m="np.fliplr(g)")
linear(np.flipud, "flipud(m)", T, m="np.flipud(g)")
linear(np.roll, "roll(a, shift, axis=None)", T,
       a="np.roll(g, np.negative(shift), axis)")
linear(np.tile, "tile(A, reps)", T, shape_only=("A",),
       A="ad.untile(g, A, reps)")
linear(np.repeat, "repeat(a, repeats, axis=None)", T, shape_only=("a",),
       a="ad.unrepeat(g, a, repeats, axis)")
define(np.pad, "pad(array, pad_width, mode='constant', constant_values=0)",
       owner=T, reverse={"array": "ad.unpad(g, array, pad_width, mode)",
                         "constant_values": NO_DERIVATIVE},
       forward={"array": "np.pad(darray, pad_width, mode=ad.pad_mode(mode))"})
linear(np.diag, "diag(v, k=0)", T, shape_only=("v",), v="ad.undiag(g, v, k)")
linear(np.diagonal, "diagonal(a, offset=0, axis1=0, axis2=1)", T,
       shape_only=("a",), a="ad.undiagonal(g, a, offset, axis1, axis2)")
linear(np.tril, "tril(m, k=0)", T, shape_only=("m",),
       m="ad.unbroadcast(np.tril(g, k), m)")
linear(np.triu, "triu(m, k=0)", T, shape_only=("m",),
       m="ad.unbroadcast(np.triu(g, k), m)")

# -- lists of arrays in or out (adjoints of lists are indexed by position) ----
linear(np.concatenate, "concatenate(arrays, axis=0)", T,
       arrays="ad.unconcatenate(g, arrays, axis)")
linear(np.stack, "stack(arrays, axis=0)", T, arrays="ad.unstack(g, axis)")
linear(np.hstack, "hstack(tup)", T, tup="ad.unhstack(g, tup)")
linear(np.vstack, "vstack(tup)", T, tup="ad.unvstack(g, tup)")
linear(np.split, "split(ary, indices_or_sections, axis=0)", T,
       ary="np.concatenate(g, axis)")
linear(np.array_split, "array_split(ary, indices_or_sections, axis=0)", T,
       ary="np.concatenate(g, axis)")
define(np.array, "array(object, dtype=None, copy=True, ndmin=0)", owner=T,
       reverse={"object": "ad.unarray(g, object, dtype)"},
       forward={"object": "ad.own(ad.cast_tangent(dobject, dtype, ndmin))"})
for fn in (np.asarray, np.asanyarray, np.ascontiguousarray):
    define(fn, fn.__name__ + "(a, dtype=None)", owner=T,
           reverse={"a": "ad.unarray(g, a, dtype)"},
           forward={"a": "ad.cast_tangent(da, dtype)"})

# -- indexing -----------------------------------------------------------------
linear(np.take, "take(a, indices, axis=None, mode='raise')", T,
       shape_only=("a",), a="ad.untake(g, a, indices, axis, mode)")
linear(np.take_along_axis, "take_along_axis(arr, indices, axis=-1)", T,
       shape_only=("arr",), arr="ad.untake_along_axis(g, arr, indices, axis)")
ORDER = "np.argsort(a, axis=axis, kind=kind)"  # where sort reads each value
define(np.sort, "sort(a, axis=-1, kind=None)", owner=T,
       reverse={"a": f"ad.untake_along_axis(g, a, {ORDER}, axis)"},
       forward={"a": f"np.take_along_axis(da, {ORDER}, axis=axis)"})

# -- linear algebra (rules/linalg.py has the rest) ----------------------------
linear(np.dot, "dot(a, b)", T, by_ndims=MATMUL_BY_NDIMS,
       a="ad.dot_grad_a(g, a, b)", b="ad.dot_grad_b(g, a, b)",
       batched={"a": "ad.batch_matmul_a(da, b, np.dot)",
                "b": "ad.batch_matmul_b(a, db, np.dot)"})
linear(np.matmul, "matmul(a, b)", T, by_ndims=MATMUL_BY_NDIMS,
       a="ad.matmul_grad_a(g, a, b)", b="ad.matmul_grad_b(g, a, b)",
       batched=MATMUL_BATCHED)

# -- srcad's NumPy helpers, so generated code differentiates again ------------
# second derivatives of prod exact at zeros too; third ones divide by a
SPREAD_OVER = "ad.unreduce(np.sum({}, axis=axis, keepdims=True), a, axis, True)"
define(ad.prod_others, "prod_others(a, axis=None)", owner=T,
       reverse={"a": "ad.prod_pairs(g, a, y, axis)"},
       forward={"a": "ad.prod_pairs(da, a, y, axis)"})
define(ad.prod_pairs, "prod_pairs(v, a, c, axis=None)", owner=T,
       reverse={"v": "ad.prod_pairs(g, a, c, axis)",
                "c": f"v * ({SPREAD_OVER.format('g / a')} - g / a)",
                "a": "-g * y / a"},
       forward={"v": "ad.prod_pairs(dv, a, c, axis)",
                "c": f"({SPREAD_OVER.format('v * dc')} - v * dc) / a",
                "a": "-y * da / a"})
# exact at zeros; c is the cumulative product of a (y names a template's
# result), and its derivative is taken with a's, whole (through the product
# too: each part alone is singular where a is zero)
define(ad.uncumprod, "uncumprod(v, a, c, axis=None)", owner=T,
       reverse={"v": "ad.cumprod_tangent(g, a, c, axis)",
                "a": "ad.cumprod_pairs(g, v, a, axis)"},
       forward={"v": "ad.uncumprod(dv, a, c, axis)",
                "a": "ad.cumprod_pairs(da, v, a, axis)"})
define(ad.cumprod_tangent, "cumprod_tangent(d, a, c, axis=None)", owner=T,
       reverse={"d": "ad.uncumprod(g, a, c, axis)",
                "a": "ad.cumprod_pairs(d, g, a, axis)"},
       forward={"d": "ad.cumprod_tangent(dd, a, c, axis)",
                "a": "ad.cumprod_curvature(d, da, a, axis)"})
# third derivatives of cumprod: linear in h and v, d and e; none in a
define(ad.cumprod_pairs, "cumprod_pairs(h, v, a, axis=None)", owner=T,
       reverse={"h": "ad.cumprod_pairs(g, v, a, axis)",
                "v": "ad.cumprod_curvature(h, g, a, axis)",
                "a": NO_DERIVATIVE},
       forward={"h": "ad.cumprod_pairs(dh, v, a, axis)",
                "v": "ad.cumprod_pairs(h, dv, a, axis)"})
define(ad.cumprod_curvature, "cumprod_curvature(d, e, a, axis=None)",
       owner=T, reverse={"d": "ad.cumprod_pairs(e, g, a, axis)",
                         "e": "ad.cumprod_pairs(d, g, a, axis)",
                         "a": NO_DERIVATIVE},
       forward={"d": "ad.cumprod_curvature(dd, e, a, axis)",
                "e": "ad.cumprod_curvature(d, de, a, axis)"})
linear(ad.uncumsum, "uncumsum(v, like, axis=None)", T,
       v="np.cumsum(g, axis=axis)")
linear(ad.undiff, "undiff(v, n=1, axis=-1)", T, v="np.diff(g, n, axis)")
linear(ad.broadcast_weights, "broadcast_weights(w, like, axis=None)", T,
       w="ad.unbroadcast_weights(g, w, axis)")
linear(ad.unbroadcast_weights, "unbroadcast_weights(v, w, axis=None)", T,
       v="ad.broadcast_weights(g, v, axis)")
linear(ad.untranspose, "untranspose(v, axes=None)", T,
       v="np.transpose(g, axes)")
linear(ad.unstack, "unstack(v, axis=0)", T, v="np.stack(g, axis)")
linear(ad.unconcatenate, "unconcatenate(v, arrays, axis=0)", T,
       v="np.concatenate(g, axis)")
linear(ad.unhstack, "unhstack(v, arrays)", T, v="np.hstack(g)")
linear(ad.unvstack, "unvstack(v, arrays)", T, v="np.vstack(g)")
linear(ad.untile, "untile(v, like, reps)", T, v="np.tile(g, reps)")
linear(ad.unrepeat, "unrepeat(v, like, repeats, axis=None)", T,
       v="np.repeat(g, repeats, axis)")
linear(ad.unpad, "unpad(v, like, pad_width, mode='constant')", T,
       v="np.pad(g, pad_width, mode=mode)")
linear(ad.undiag, "undiag(v, like, k=0)", T, v="np.diag(g, k)")
linear(ad.undiagonal, "undiagonal(v, like, offset=0, axis1=0, axis2=1)", T,
       v="np.diagonal(g, offset, axis1, axis2)")
linear(ad.untake, "untake(v, like, indices, axis=None, mode='raise')", T,
       v="np.take(g, indices, axis, mode=mode)")
linear(ad.untake_along_axis, "untake_along_axis(v, like, indices, axis=-1)",
       T, v="np.take_along_axis(g, indices, axis)")
linear(ad.unarray, "unarray(v, x, dtype=None)", T,
       v="ad.reshape_like(ad.cast_tangent(g, dtype), v)")
linear(ad.cast_tangent, "cast_tangent(d, dtype=None, ndmin=0)", T,
       d="ad.unarray(g, d, dtype)")
linear(ad.quantile_tangent, "quantile_tangent(d, w, q, axis=None, "
       "keepdims=False)", T, d="ad.unquantile(g, w, q, axis, keepdims)")
linear(ad.unquantile, "unquantile(v, w, q, axis=None, keepdims=False)", T,
       v="ad.quantile_tangent(g, w, q, axis, keepdims)")
# the weights of interp move with x, by the slope of x's segment (second
# derivatives mixing x and fp); the slope is constant in x between knots
INTERP = "x, xp, left=None, right=None, period=None"
define(ad.interp_tangent, f"interp_tangent(d, {INTERP})", owner=T,
       reverse={"d": "ad.uninterp(g, d, x, xp, left, right, period)",
                "x": "g * ad.interp_slope(d, x, xp, period)"},
       forward={"d": "ad.interp_tangent(dd, x, xp, left, right, period)",
                "x": "dx * ad.interp_slope(d, x, xp, period)"})
define(ad.uninterp, f"uninterp(v, fp, {INTERP})", owner=T,
       reverse={"v": "ad.interp_tangent(g, x, xp, left, right, period)",
                "x": "v * ad.interp_slope(g, x, xp, period)"},
       forward={"v": "ad.uninterp(dv, fp, x, xp, left, right, period)",
                "x": "ad.unslope(v * dx, fp, x, xp, period)"})
linear(ad.interp_slope, "interp_slope(fp, x, xp, period=None)", T,
       fp="ad.unslope(g, fp, x, xp, period)")
linear(ad.unslope, "unslope(v, fp, x, xp, period=None)", T,
       v="ad.interp_slope(g, x, xp, period)")
# the weights move with x, linearly (second derivatives mixing y and x);
# in forward templates dx names x's tangent (the spacing dx is ignored
# where x is given)
define(ad.trapezoid_weights, "trapezoid_weights(a, x=None, dx=1.0, axis=-1)",
       owner=T, reverse={"x": "ad.untrapezoid_weights(g, a, x, axis)",
                         "dx": NO_DERIVATIVE},
       forward={"x": "ad.trapezoid_weights(a, dx, 1.0, axis)"})
linear(ad.untrapezoid_weights, "untrapezoid_weights(v, a, x, axis=-1)", T,
       v="ad.trapezoid_weights(a, g, 1.0, axis)")
define(ad.trapezoid_x_adjoint, "trapezoid_x_adjoint(v, a, x, axis=-1)",
       owner=T, reverse={"v": "np.trapezoid(a, g, axis=axis)",
                         "a": "ad.untrapezoid_x(g, v, a, x, axis)"},
       forward={"v": "ad.trapezoid_x_adjoint(dv, a, x, axis)",
                "a": "ad.trapezoid_x_adjoint(v, da, x, axis)"})
# bilinear in h and v: no rule in v (third derivatives mixing y and x)
define(ad.untrapezoid_x, "untrapezoid_x(h, v, a, x, axis=-1)", owner=T,
       reverse={"h": "ad.trapezoid_x_adjoint(v, g, x, axis)",
                "v": NO_DERIVATIVE},
       forward={"h": "ad.untrapezoid_x(dh, v, a, x, axis)"})
for fn in (ad.range_mask, ad.pad_mode, ad.quantile_weights):
    nondiff(fn, owner=T)

# -- constructors from values: the values carry derivatives -------------------
FILLED = "ad.batch_broadcast(ad.lift(dfill_value, y), y)"
define(np.full, "full(shape, fill_value, dtype=None)", owner=T,
       reverse={"fill_value": "ad.unbroadcast(g, fill_value)"},
       forward={"fill_value": "np.full(shape, dfill_value)"},
       batched={"fill_value": FILLED})
define(np.full_like, "full_like(a, fill_value, dtype=None)", owner=T,
       reverse={"fill_value": "ad.unbroadcast(g, fill_value)"},
       forward={"fill_value": "np.full_like(y, dfill_value)"},
       batched={"fill_value": FILLED})
SPACING = "num=50, endpoint=True"
define(np.linspace, f"linspace(start, stop, {SPACING}, retstep=False, "
       f"dtype=None, axis=0)", owner=T,
       reverse={"start": "ad.unlinspace(g, start, num, endpoint, False)",
                "stop": "ad.unlinspace(g, stop, num, endpoint, True)"},
       forward={"start": "ad.spread_linspace(dstart, y, num, endpoint, "
                         "False)",
                "stop": "ad.spread_linspace(dstop, y, num, endpoint, True)"},
       only={"retstep": (False,), "axis": (0,)})
linear(ad.unlinspace, f"unlinspace(v, like, {SPACING}, upper=False)", T,
       v="ad.spread_linspace(g, v, num, endpoint, upper)", shape_only=())
linear(ad.spread_linspace, f"spread_linspace(d, y, {SPACING}, upper=False)",
       T, d="ad.unlinspace(g, d, num, endpoint, upper)")
# arange's values move with start and step, its length with all three:
# refused where they carry a derivative (a silent zero before)
define(np.arange, "arange(start, stop=None, step=None, dtype=None)",
       owner=T, reverse={"start": NO_DERIVATIVE, "stop": NO_DERIVATIVE,
                         "step": NO_DERIVATIVE})

# -- no derivative ------------------------------------------------------------
for fn in (np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc,
           np.argmax, np.argmin, np.argsort, np.shape, np.ndim, np.size,
           np.zeros, np.ones, np.empty, np.eye, np.identity,
           np.zeros_like, np.ones_like,
           np.empty_like, np.isnan, np.isinf, np.isfinite,
           np.greater, np.greater_equal, np.less, np.less_equal,
           np.equal, np.not_equal, np.logical_and, np.logical_or,
           np.logical_not, np.logical_xor, np.all, np.any, np.nonzero,
           np.count_nonzero, np.floor_divide, np.heaviside,
           np.around, np.fix, np.signbit, np.isclose, np.allclose,
           np.array_equal, np.searchsorted, np.digitize, np.argwhere,
           np.flatnonzero, np.tri, np.indices, np.tril_indices,
           np.triu_indices, np.diag_indices, np.broadcast_shapes,
           np.result_type,
           np.imag):  # the imaginary part of a real input is always 0
    nondiff(fn, owner=T)

returns_sequence(np.split, np.array_split)
