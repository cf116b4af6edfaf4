"""Derivative rules for NumPy: one line a function, grouped by kind.

Elementwise templates serve both modes (see registry.py); the framework
undoes broadcasting, so no rule here sums over broadcast axes by hand.
"""
import numpy as np

from .registry import define, elementwise, linear, nondiff

T = __name__

# -- elementwise, one argument ----------------------------------------------
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

# -- elementwise, two arguments -----------------------------------------------
elementwise(np.add, "add(a, b)", T, a="g", b="g")
elementwise(np.subtract, "subtract(a, b)", T, a="g", b="-g")
elementwise(np.multiply, "multiply(a, b)", T, a="g * b", b="g * a")
elementwise(np.divide, "divide(a, b)", T, a="g / b", b="-g * y / b")
elementwise(np.power, "power(a, b)", T,
            a="g * b * a ** (b - 1)", b="g * y * np.log(a)")
elementwise(np.float_power, "float_power(a, b)", T,
            a="g * b * np.float_power(a, b - 1)", b="g * y * np.log(a)")
elementwise(np.maximum, "maximum(a, b)", T,
            a="g * ((a > b) + 0.5 * (a == b))",
            b="g * ((b > a) + 0.5 * (a == b))")
elementwise(np.minimum, "minimum(a, b)", T,
            a="g * ((a < b) + 0.5 * (a == b))",
            b="g * ((b < a) + 0.5 * (a == b))")
elementwise(np.fmax, "fmax(a, b)", T,
            a="g * ((a > b) + 0.5 * (a == b))",
            b="g * ((b > a) + 0.5 * (a == b))")
elementwise(np.fmin, "fmin(a, b)", T,
            a="g * ((a < b) + 0.5 * (a == b))",
            b="g * ((b < a) + 0.5 * (a == b))")
elementwise(np.arctan2, "arctan2(a, b)", T,
            a="g * b / (a * a + b * b)", b="-g * a / (a * a + b * b)")
elementwise(np.hypot, "hypot(a, b)", T, a="g * a / y", b="g * b / y")
elementwise(np.logaddexp, "logaddexp(a, b)", T,
            a="g * np.exp(a - y)", b="g * np.exp(b - y)")
elementwise(np.logaddexp2, "logaddexp2(a, b)", T,
            a="g * np.exp2(a - y)", b="g * np.exp2(b - y)")
elementwise(np.copysign, "copysign(a, b)", T,
            a="g * np.sign(a) * np.sign(y)")
elementwise(np.where, "where(condition, a, b)", T,
            a="np.where(condition, g, 0.0)", b="np.where(condition, 0.0, g)")
elementwise(np.clip, "clip(a, a_min, a_max)", T,
            a="g * ((a >= a_min) & (a <= a_max))")

# -- reductions ----------------------------------------------------------------
linear(np.sum, "sum(a, axis=None, keepdims=False)", T, shape_only="a",
       a="ad.unreduce(g, a, axis, keepdims)")
linear(np.mean, "mean(a, axis=None, keepdims=False)", T, shape_only="a",
       a="ad.unreduce(g / ad.reduced_size(a, axis), a, axis, keepdims)")

for fn in (np.max, np.min, np.amax, np.amin):
    define(fn, fn.__name__ + "(a, axis=None, keepdims=False)", owner=T,
           reverse={"a": "ad.unreduce(g, a, axis, keepdims)"
                         " * ad.extreme_mask(a, y, axis, keepdims)"},
           forward={"a": "np.sum(da * ad.extreme_mask(a, y, axis, keepdims),"
                         " axis=axis, keepdims=keepdims)"})

# -- linear algebra -------------------------------------------------------------
linear(np.dot, "dot(a, b)", T,
       a="ad.dot_grad_a(g, a, b)", b="ad.dot_grad_b(g, a, b)")
linear(np.matmul, "matmul(a, b)", T,
       a="ad.matmul_grad_a(g, a, b)", b="ad.matmul_grad_b(g, a, b)")

# -- shape -----------------------------------------------------------------------
linear(np.transpose, "transpose(a, axes=None)", T,
       a="np.transpose(g, ad.inverse_axes(axes))")
linear(np.reshape, "reshape(a, shape, order='C')", T,
       a="np.reshape(g, np.shape(a), order=order)")

# -- no derivative -----------------------------------------------------------------
for fn in (np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc,
           np.argmax, np.argmin, np.argsort, np.shape, np.ndim, np.size,
           np.zeros, np.ones, np.empty, np.full, np.eye, np.identity,
           np.arange, np.linspace, np.zeros_like, np.ones_like,
           np.empty_like, np.full_like, np.isnan, np.isinf, np.isfinite,
           np.greater, np.greater_equal, np.less, np.less_equal,
           np.equal, np.not_equal, np.logical_and, np.logical_or,
           np.logical_not, np.logical_xor, np.all, np.any, np.nonzero,
           np.count_nonzero, np.floor_divide, np.mod, np.heaviside):
    nondiff(fn, owner=T)
