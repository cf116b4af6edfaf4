"""Test specs for every registered derivative rule: one line a function.

`Spec(fn, call, domains, shapes)`: `call` is the expression under test in
the arguments `a, b, c` (so options and keywords are spelled as a user
would); `domains` gives each argument's valid range; `shapes` lists the
argument shapes to sweep. test_rules.py sweeps every spec in both modes and
to second order, and fails when a registered rule has no spec here.
"""
import builtins
import math

import gast
import numpy as np

from srcad import runtime as ad

# Ranges inputs are drawn from, away from kinks and poles.
DOMAINS = {
    "r": (-2.0, 2.0),      # any real
    "p": (0.5, 2.0),       # positive
    "u": (-0.8, 0.8),      # inside (-1, 1)
    "g1": (1.2, 3.0),      # greater than one
    "s": (0.2, 1.5),       # small positive, for powers
    "lo": (-1.0, -0.1),    # lower bounds, for clip
    "hi": (0.1, 1.0),      # upper bounds, for clip
}
# Domains that plant one special value (at flat index 1) among reals.
PLANTED = {
    "z": 0.0,              # a zero, for products
    "nan": np.nan,         # a missing value, for nansum and nanmean
}


def draw(domain, shape, rng):
    """Random inputs of `shape` from `domain` (a key of DOMAINS or
    PLANTED)."""
    if domain in PLANTED:
        value = rng.uniform(*DOMAINS["r"], size=shape)
        if value.size > 1:
            value.flat[1] = PLANTED[domain]
        return value
    return rng.uniform(*DOMAINS[domain], size=shape)


SCALAR = [()]
ELEMENTWISE = [(), (3,), (2, 3)]
BINARY = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)),
          ((), (2, 3)), ((2, 3), ())]
MATRICES = [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
            ((2, 2, 3), (3, 4))]
DOTS = [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
        ((), (3,)), ((2, 3), ())]


class Spec:
    """`call` may be statements then an expression, split by `;`:
    `"p, q = np.split(a, 2); p * q"`. `bugs` maps a check ("reverse",
    "forward", "reverse-unoptimized", "second_order") known to fail to
    the reason; the sweep expects it to fail until the bug is fixed."""

    def __init__(self, fn, call, domains, shapes, second_order=True,
                 rtol=1e-5, bugs=None):
        self.fn = fn
        self.call = call
        self.domains = domains.split()
        self.shapes = shapes  # one tuple of argument shapes a case
        self.second_order = second_order
        self.rtol = rtol
        self.bugs = bugs or {}

    @property
    def id(self):
        return self.call


def unary(fn, call, domain="r", shapes=ELEMENTWISE, **kw):
    return Spec(fn, call, domain, [(s,) for s in shapes], **kw)


def binary(fn, call, domains="r r", shapes=BINARY, **kw):
    return Spec(fn, call, domains, shapes, **kw)


SPECS = [
    # operators
    binary(gast.Add, "a + b"),
    binary(gast.Sub, "a - b"),
    binary(gast.Mult, "a * b"),
    binary(gast.Div, "a / b", "r p"),
    binary(gast.Pow, "a ** b", "p r"),
    binary(gast.Mod, "a % b", "r p"),
    binary(gast.Mod, "a % b", "r lo", shapes=[((), ()), ((2, 3), (3,))]),
    unary(gast.USub, "-a"),
    unary(gast.UAdd, "+a"),
    Spec(gast.MatMult, "a @ b", "r r", MATRICES),
    # math
    unary(math.sin, "math.sin(a)", shapes=SCALAR),
    unary(math.cos, "math.cos(a)", shapes=SCALAR),
    unary(math.tan, "math.tan(a)", "u", shapes=SCALAR),
    unary(math.asin, "math.asin(a)", "u", shapes=SCALAR),
    unary(math.acos, "math.acos(a)", "u", shapes=SCALAR),
    unary(math.atan, "math.atan(a)", shapes=SCALAR),
    binary(math.atan2, "math.atan2(a, b)", "p r", shapes=[((), ())]),
    unary(math.sinh, "math.sinh(a)", shapes=SCALAR),
    unary(math.cosh, "math.cosh(a)", shapes=SCALAR),
    unary(math.tanh, "math.tanh(a)", shapes=SCALAR),
    unary(math.asinh, "math.asinh(a)", shapes=SCALAR),
    unary(math.acosh, "math.acosh(a)", "g1", shapes=SCALAR),
    unary(math.atanh, "math.atanh(a)", "u", shapes=SCALAR),
    unary(math.exp, "math.exp(a)", shapes=SCALAR),
    unary(math.expm1, "math.expm1(a)", shapes=SCALAR),
    unary(math.log, "math.log(a)", "p", shapes=SCALAR),
    unary(math.log2, "math.log2(a)", "p", shapes=SCALAR),
    unary(math.log10, "math.log10(a)", "p", shapes=SCALAR),
    unary(math.log1p, "math.log1p(a)", "p", shapes=SCALAR),
    unary(math.sqrt, "math.sqrt(a)", "p", shapes=SCALAR),
    binary(math.pow, "math.pow(a, b)", "p r", shapes=[((), ())]),
    unary(math.fabs, "math.fabs(a)", shapes=SCALAR, second_order=False),
    binary(math.hypot, "math.hypot(a, b)", shapes=[((), ())]),
    unary(math.erf, "math.erf(a)", shapes=SCALAR),
    unary(math.erfc, "math.erfc(a)", shapes=SCALAR),
    binary(math.copysign, "math.copysign(a, b)", shapes=[((), ())],
           second_order=False),
    binary(math.fmod, "math.fmod(a, b)", "r p", shapes=[((), ())]),
    binary(math.fmod, "math.fmod(a, b)", "r lo", shapes=[((), ())]),
    unary(math.degrees, "math.degrees(a)", shapes=SCALAR),
    unary(math.radians, "math.radians(a)", shapes=SCALAR),
    # numpy, elementwise
    unary(np.exp, "np.exp(a)"),
    unary(np.exp2, "np.exp2(a)"),
    unary(np.expm1, "np.expm1(a)"),
    unary(np.log, "np.log(a)", "p"),
    unary(np.log2, "np.log2(a)", "p"),
    unary(np.log10, "np.log10(a)", "p"),
    unary(np.log1p, "np.log1p(a)", "p"),
    unary(np.sqrt, "np.sqrt(a)", "p"),
    unary(np.cbrt, "np.cbrt(a)", "p"),
    unary(np.square, "np.square(a)"),
    unary(np.reciprocal, "np.reciprocal(a)", "p"),
    unary(np.sin, "np.sin(a)"),
    unary(np.cos, "np.cos(a)"),
    unary(np.tan, "np.tan(a)", "u"),
    unary(np.arcsin, "np.arcsin(a)", "u"),
    unary(np.arccos, "np.arccos(a)", "u"),
    unary(np.arctan, "np.arctan(a)"),
    unary(np.sinh, "np.sinh(a)"),
    unary(np.cosh, "np.cosh(a)"),
    unary(np.tanh, "np.tanh(a)"),
    unary(np.arcsinh, "np.arcsinh(a)"),
    unary(np.arccosh, "np.arccosh(a)", "g1"),
    unary(np.arctanh, "np.arctanh(a)", "u"),
    unary(np.abs, "np.abs(a)", second_order=False),
    unary(np.fabs, "np.fabs(a)", second_order=False),
    unary(np.negative, "np.negative(a)"),
    unary(np.positive, "np.positive(a)"),
    unary(np.deg2rad, "np.deg2rad(a)"),
    unary(np.rad2deg, "np.rad2deg(a)"),
    unary(np.sinc, "np.sinc(a)"),
    # called with y = sinc(x), as generated code does
    unary(ad.sinc_derivative, "ad.sinc_derivative(a, np.sinc(a))",
          second_order=False),
    unary(ad.sinc_nth, "ad.sinc_nth(a, 2)"),
    unary(ad.sinc_nth, "ad.sinc_nth(a * 0.1, 3)", shapes=[(3,)]),
    binary(np.add, "np.add(a, b)"),
    binary(np.subtract, "np.subtract(a, b)"),
    binary(np.multiply, "np.multiply(a, b)"),
    binary(np.divide, "np.divide(a, b)", "r p"),
    binary(np.power, "np.power(a, b)", "p r"),
    binary(np.float_power, "np.float_power(a, b)", "p r"),
    binary(np.maximum, "np.maximum(a, b)", second_order=False),
    binary(np.minimum, "np.minimum(a, b)", second_order=False),
    binary(np.fmax, "np.fmax(a, b)", second_order=False),
    binary(np.fmin, "np.fmin(a, b)", second_order=False),
    binary(np.arctan2, "np.arctan2(a, b)", "p r"),
    binary(np.hypot, "np.hypot(a, b)"),
    binary(np.logaddexp, "np.logaddexp(a, b)"),
    binary(np.logaddexp2, "np.logaddexp2(a, b)"),
    binary(np.remainder, "np.remainder(a, b)", "r p"),
    binary(np.remainder, "np.mod(a, b)", "r lo", shapes=[((2, 3), (3,))]),
    binary(np.fmod, "np.fmod(a, b)", "r p"),
    binary(np.fmod, "np.fmod(a, b)", "r lo", shapes=[((2, 3), (3,))]),
    binary(np.copysign, "np.copysign(a, b)", second_order=False),
    binary(np.where, "np.where(a > 0, a, b)", second_order=False),
    unary(np.clip, "np.clip(a, -0.5, 0.7)", second_order=False),
    unary(np.float64, "np.float64(a)", shapes=[()]),
    # a rounding conversion: finite differences see float32's steps
    unary(np.float32, "np.float64(np.float32(a)) * 1.5", shapes=[()],
          rtol=0.1, second_order=False),
    unary(np.real, "np.real(a)"),
    unary(np.conjugate, "np.conj(a)"),
    unary(np.clip, "np.clip(a, None, 0.5)", second_order=False),
    unary(np.clip, "np.clip(a, a_min=-0.5, a_max=None)", second_order=False),
    Spec(np.clip, "np.clip(a, b, c)", "r lo hi",
         [((), (), ()), ((3,), (3,), (3,)), ((2, 3), (3,), ()),
          ((2, 3, 2), (3, 1), (2, 1, 1))], second_order=False),
    Spec(np.clip, "np.clip(a, b, None)", "r lo", [((2, 3), (2, 1))],
         second_order=False),
    # numpy, reductions
    unary(np.sum, "np.sum(a)", shapes=[(), (3,), (2, 3)]),
    unary(np.sum, "np.sum(a, axis=0)", shapes=[(3,), (2, 3)]),
    unary(np.sum, "np.sum(a, axis=-1, keepdims=True)", shapes=[(2, 3)]),
    unary(np.sum, "np.sum(a, axis=(0, 2))", shapes=[(2, 3, 4)]),
    unary(np.sum, "np.sum(a, (-1, 0), float, keepdims=True)",
          shapes=[(2, 3, 2)]),
    unary(np.sum, "np.sum(a, keepdims=True)", shapes=[(2, 3)]),
    unary(np.mean, "np.mean(a)", shapes=[(), (3,), (2, 3)]),
    unary(np.mean, "np.mean(a, axis=1)", shapes=[(2, 3)]),
    unary(np.mean, "np.mean(a, axis=-2)", shapes=[(2, 3, 2)]),
    unary(np.mean, "np.mean(a, axis=(0, 1), keepdims=True)",
          shapes=[(2, 3, 4)]),
    unary(np.prod, "np.prod(a)", shapes=[(), (3,), (2, 3)]),
    unary(np.prod, "np.prod(a, axis=1)", shapes=[(2, 3)]),
    unary(np.prod, "np.prod(a, axis=(0, -1), keepdims=True)",
          shapes=[(2, 3, 2)]),
    # exact where an element is zero, to second order
    unary(np.prod, "np.prod(a, axis=-1)", "z", shapes=[(4,), (2, 3)]),
    unary(np.prod, "np.prod(a * np.array([1.0, 0.0, 1.0, 0.0]))", "z",
          shapes=[(4,)]),
    unary(np.nansum, "np.nansum(a)", "nan", shapes=[(), (3,), (2, 3)]),
    unary(np.nansum, "np.nansum(a, axis=0)", "nan", shapes=[(2, 3)]),
    unary(np.nansum, "np.nansum(a, axis=(0, -1), keepdims=True)", "nan",
          shapes=[(2, 3, 2)]),
    unary(np.nanmean, "np.nanmean(a)", "nan", shapes=[(), (3,), (2, 3)]),
    unary(np.nanmean, "np.nanmean(a, axis=1)", "nan", shapes=[(2, 3)]),
    unary(np.nanmean, "np.nanmean(a, axis=(-1, 1), keepdims=True)", "nan",
          shapes=[(2, 3, 2)]),
    unary(np.max, "np.max(a)", shapes=[(), (3,), (2, 3)],
          second_order=False),
    unary(np.max, "np.max(a, axis=0)", shapes=[(2, 3)], second_order=False),
    unary(np.min, "np.min(a, axis=-1, keepdims=True)", shapes=[(2, 3)],
          second_order=False),
    unary(np.min, "np.min(a, axis=(-1, 0))", shapes=[(2, 3, 2)],
          second_order=False),
    unary(np.amax, "np.amax(a, axis=(0, 1))", shapes=[(2, 3, 2)],
          second_order=False),
    unary(np.amin, "np.amin(a)", shapes=[(4,)], second_order=False),
    unary(np.ptp, "np.ptp(a)", shapes=[(3,), (2, 3)], second_order=False),
    unary(np.ptp, "np.ptp(a, axis=1, keepdims=True)", shapes=[(2, 3)],
          second_order=False),
    unary(np.ptp, "np.ptp(a, axis=(0, -1))", shapes=[(2, 3, 2)],
          second_order=False),
    unary(np.var, "np.var(a)", shapes=[(3,), (2, 3)]),
    unary(np.var, "np.var(a, axis=0)", shapes=[(2, 3)]),
    unary(np.var, "np.var(a, ddof=1)", shapes=[(4,)]),
    unary(np.var, "np.var(a, axis=(0, -1), ddof=1, keepdims=True)",
          shapes=[(2, 3, 2)]),
    unary(np.std, "np.std(a)", shapes=[(3,), (2, 3)]),
    unary(np.std, "np.std(a, axis=-1, keepdims=True)", shapes=[(2, 3)]),
    unary(np.std, "np.std(a, ddof=1)", shapes=[(4,)]),
    unary(np.std, "np.std(a, axis=(0, 2), ddof=1)", shapes=[(2, 3, 2)]),
    unary(np.average, "np.average(a)", shapes=[(), (3,), (2, 3)]),
    unary(np.average, "np.average(a, axis=-1, keepdims=True)",
          shapes=[(2, 3)]),
    Spec(np.average, "np.average(a, weights=b)", "r p",
         [((3,), (3,)), ((2, 3), (2, 3))]),
    Spec(np.average, "np.average(a, axis=1, weights=b)", "r p",
         [((2, 3), (3,)), ((2, 3, 2), (3,)), ((2, 3), (2, 3))]),
    Spec(np.average, "np.average(a, -1, b)", "r p", [((2, 3), (3,))]),
    Spec(np.average, "np.average(a, (0, 2), b, keepdims=True)", "r p",
         [((2, 3, 2), (2, 3, 2))]),
    # numpy, order statistics
    unary(np.median, "np.median(a)", shapes=[(3,), (4,), (2, 3)]),
    unary(np.median, "np.median(a, axis=0)", shapes=[(4, 3)]),
    unary(np.median, "np.median(a, axis=(0, 2), keepdims=True)",
          shapes=[(2, 3, 2)]),
    unary(np.quantile, "np.quantile(a, 0.3)", shapes=[(4,), (2, 3)]),
    unary(np.quantile, "np.quantile(a, [0.1, 0.75, 1.0], axis=-1)",
          shapes=[(2, 5)]),
    unary(np.quantile, "np.quantile(a, 0.6, axis=1, keepdims=True)",
          shapes=[(2, 3, 2)]),
    unary(np.quantile, "np.quantile(a, 0.4, 0, None, False, 'linear')",
          shapes=[(3, 2)]),
    unary(np.percentile, "np.percentile(a, 35.0)", shapes=[(5,), (2, 3)]),
    unary(np.percentile, "np.percentile(a, [[20.0], [90.0]], axis=0, "
          "keepdims=True)", shapes=[(4, 2)]),
    unary(ad.quantile_tangent,
          "ad.quantile_tangent(a, np.full((2, 3), 0.5), 0.5, 1)",
          shapes=[(2, 3)]),
    unary(ad.unquantile,
          "ad.unquantile(a, np.full((2, 2, 3), 0.5), [0.1, 0.2], 1)",
          shapes=[(2, 2)]),
    # np.interp on knots -1.5, -0.3, 0.4, 1.7 (x from (-2, 2) falls
    # outside too, where it clamps), in x and fp
    Spec(np.interp, "np.interp(a, [-1.5, -0.3, 0.4, 1.7], b)", "r r",
         [((), (4,)), ((5,), (4,)), ((2, 3), (4,))]),
    Spec(np.interp, "np.interp(a, np.array([-1.5, 0.1, 1.2]), b, -1.0, "
         "right=2.0)", "r r", [((6,), (3,))]),
    Spec(np.interp, "np.interp(a, [-1.0, 1.0], b, left=0.5)", "r r",
         [((2, 3), (2,))]),
    unary(ad.interp_tangent, "ad.interp_tangent(a, np.array([-1.9, 0.2, "
          "1.9]), [-1.5, 0.4, 1.7], 0.0, None)", shapes=[(3,)]),
    Spec(ad.uninterp, "ad.uninterp(a, b, np.array([-1.9, 0.2, 0.5, 1.9]), "
         "[-1.5, 0.4, 1.7], None, 1.0)", "r r", [((4,), (3,))]),
    # with x moving too (second derivatives mixing interp's x and fp)
    Spec(ad.interp_tangent, "ad.interp_tangent(a, b, [-1.5, 0.4, 1.7], "
         "None, None)", "r r", [((3,), (4,)), ((3,), (2, 3))]),
    Spec(ad.uninterp, "ad.uninterp(a, np.array([0.5, -1.0, 2.0]), b, "
         "[-1.5, 0.4, 1.7])", "r r", [((4,), (4,)), ((), ())]),
    Spec(ad.interp_slope, "ad.interp_slope(a, b, [-1.5, 0.4, 1.7])", "r r",
         [((3,), (5,))]),
    Spec(ad.unslope, "ad.unslope(a, np.ones(3), b, [-1.5, 0.4, 1.7])",
         "r r", [((5,), (5,))]),
    unary(np.trapezoid, "np.trapezoid(a)", shapes=[(3,), (2, 4)]),
    unary(np.trapezoid, "np.trapezoid(a, dx=0.3, axis=0)",
          shapes=[(3,), (3, 2)]),
    Spec(np.trapezoid, "np.trapezoid(a, b)", "r r",
         [((4,), (4,)), ((2, 3), (3,)), ((2, 3), (2, 3))]),
    Spec(np.trapezoid, "np.trapezoid(a, b, axis=0)", "r r",
         [((3, 2), (3,)), ((3, 2, 2), (3, 2, 2))]),
    # by NumPy's own keyword names (the rule calls y `a`)
    unary(np.trapezoid, "np.trapezoid(y=a, dx=0.5)", shapes=[(3,), (2, 4)]),
    Spec(np.trapezoid, "np.trapezoid(y=a, x=b)", "r r",
         [((4,), (4,)), ((2, 3), (3,))]),
    unary(ad.trapezoid_weights, "ad.trapezoid_weights(a, np.array([0.0, "
          "0.5, 2.0]), 1.0, 0) * a", shapes=[(3,), (3, 2)]),
    # with x moving too (second derivatives mixing trapezoid's y and x)
    Spec(ad.trapezoid_weights, "ad.trapezoid_weights(a, b, 1.0, 0) * a",
         "r r", [((3,), (3,)), ((3, 2), (3,)), ((3, 2), (3, 2))]),
    Spec(ad.untrapezoid_weights, "ad.untrapezoid_weights(a, np.ones((3, "
         "2)), b, 0)", "r r", [((3, 1), (3,)), ((3, 2), (3, 2))]),
    Spec(ad.untrapezoid_weights, "ad.untrapezoid_weights(a, np.ones(4), b)",
         "r r", [((4,), (4,))]),
    Spec(ad.trapezoid_x_adjoint, "ad.trapezoid_x_adjoint(a, b, "
         "np.ones(3), 1)", "r r", [((2,), (2, 3))]),
    Spec(ad.trapezoid_x_adjoint, "ad.trapezoid_x_adjoint(a, b, c)",
         "r r r", [((), (4,), (4,)), ((2,), (2, 3), (2, 3))]),
    unary(ad.untrapezoid_x, "ad.untrapezoid_x(a, np.array([0.5, -1.0]), "
          "np.ones((2, 3)), np.ones(3), 1)", shapes=[(3,)]),
    unary(ad.untrapezoid_x, "ad.untrapezoid_x(a, 0.7, np.ones(4), "
          "np.ones(4))", shapes=[(4,)]),
    Spec(ad.trapezoid_x_adjoint,
         "ad.trapezoid_x_adjoint(a, np.ones((2, 3)), np.ones(3), 1)", "r",
         [((2,),)]),
    # numpy, cumulative
    unary(np.cumsum, "np.cumsum(a)", shapes=[(), (3,), (2, 3)]),
    unary(np.cumsum, "np.cumsum(a, axis=0)", shapes=[(2, 3)]),
    unary(np.cumsum, "np.cumsum(a, axis=-2)", shapes=[(2, 3, 2)]),
    # constructors from values
    unary(np.full, "np.full((2, 3), a)", shapes=[(), (3,), (1, 3)]),
    unary(np.full_like, "np.full_like(np.ones((2, 3)), a)",
          shapes=[(), (3,)]),
    Spec(np.linspace, "np.linspace(a, b, 5)", "r r",
         [((), ()), ((3,), ()), ((2,), (2,))]),
    Spec(np.linspace, "np.linspace(a, b, num=4, endpoint=False)", "r r",
         [((), ())]),
    unary(np.arange, "np.arange(3.0) * a", shapes=[(), (3,)]),
    Spec(ad.unlinspace, "ad.unlinspace(a, b, 4, True, False)", "r r",
         [((4,), ()), ((4, 2), (2,))]),
    Spec(ad.spread_linspace, "ad.spread_linspace(a, b, 4, False, True)",
         "r r", [((), (4,)), ((2,), (4, 2))]),
    unary(np.cumprod, "np.cumprod(a)", shapes=[(), (3,), (2, 3)]),
    unary(np.cumprod, "np.cumprod(a, axis=1)", shapes=[(2, 3)]),
    unary(np.cumprod, "np.cumprod(a, axis=-2)", shapes=[(2, 3, 2)]),
    # exact where an element is zero, to second order
    unary(np.cumprod, "np.cumprod(a)", "z", shapes=[(4,), (2, 3)]),
    unary(np.cumprod, "np.cumprod(a, axis=1)", "z", shapes=[(2, 3)]),
    unary(np.cumprod, "np.cumprod(a * np.array([1.0, 0.0, 1.0, 0.0]))",
          "z", shapes=[(4,)]),
    unary(np.diff, "np.diff(a)", shapes=[(3,), (2, 3)]),
    unary(np.diff, "np.diff(a, n=2, axis=0)", shapes=[(4, 3)]),
    unary(np.diff, "np.diff(a, 2, -2)", shapes=[(2, 4, 2)]),
    unary(np.diff, "np.diff(a, n=0)", shapes=[(3,)]),
    # numpy, linear algebra
    Spec(np.dot, "np.dot(a, b)", "r r", DOTS),
    Spec(np.matmul, "np.matmul(a, b)", "r r", MATRICES),
    # numpy, shape
    unary(np.transpose, "np.transpose(a)", shapes=[(), (3,), (2, 3)]),
    unary(np.transpose, "np.transpose(a, (1, 2, 0))", shapes=[(2, 3, 4)]),
    unary(np.transpose, "np.transpose(a, axes=(-1, 0, -2))",
          shapes=[(2, 3, 4)]),
    unary(np.reshape, "np.reshape(a, (3, 2))", shapes=[(2, 3), (6,)]),
    unary(np.reshape, "np.reshape(a, -1)", shapes=[(), (2, 3)]),
    unary(np.reshape, "np.reshape(a, (1, 3, 1, 2))", shapes=[(3, 2)]),
    unary(np.reshape, "np.reshape(a, (2, -1), order='F')",
          shapes=[(3, 2), (3, 2, 2)]),
    unary(np.ravel, "np.ravel(a)", shapes=[(), (3,), (2, 3, 2)]),
    unary(np.ravel, "np.ravel(a, order='F')", shapes=[(2, 3)]),
    unary(np.swapaxes, "np.swapaxes(a, 0, -1)", shapes=[(2, 3), (2, 3, 4)]),
    unary(np.moveaxis, "np.moveaxis(a, 0, -1)", shapes=[(2, 3, 4)]),
    unary(np.moveaxis, "np.moveaxis(a, (0, 1), (-1, 0))",
          shapes=[(2, 3, 4)]),
    unary(np.expand_dims, "np.expand_dims(a, 0)", shapes=[(), (3,)]),
    unary(np.expand_dims, "np.expand_dims(a, (0, -1))", shapes=[(2, 3)]),
    unary(np.squeeze, "np.squeeze(a)", shapes=[(1, 3, 1), (1, 1)]),
    unary(np.squeeze, "np.squeeze(a, axis=-1)", shapes=[(2, 1)]),
    unary(np.squeeze, "np.squeeze(a, axis=(0, 2))", shapes=[(1, 3, 1)]),
    unary(np.broadcast_to, "np.broadcast_to(a, (2, 3))",
          shapes=[(), (3,), (2, 1)]),
    unary(np.broadcast_to, "np.broadcast_to(a, (2, 3, 2))",
          shapes=[(3, 1)]),
    unary(np.atleast_1d, "np.atleast_1d(a)", shapes=[(), (3,)]),
    unary(np.atleast_2d, "np.atleast_2d(a)", shapes=[(), (3,), (2, 3)]),
    unary(np.atleast_3d, "np.atleast_3d(a)", shapes=[(), (3,), (2, 3)]),
    unary(np.flip, "np.flip(a)", shapes=[(3,), (2, 3)]),
    unary(np.flip, "np.flip(a, axis=-1)", shapes=[(2, 3, 2)]),
    unary(np.flip, "np.flip(a, (0, 2))", shapes=[(2, 3, 2)]),
    unary(np.fliplr, "np.fliplr(a)", shapes=[(2, 3), (2, 3, 2)]),
    unary(np.flipud, "np.flipud(a)", shapes=[(3,), (2, 3)]),
    unary(np.roll, "np.roll(a, 1)", shapes=[(3,), (2, 3)]),
    unary(np.roll, "np.roll(a, -2, axis=1)", shapes=[(2, 3)]),
    unary(np.roll, "np.roll(a, (1, 2), axis=(0, -1))", shapes=[(2, 3, 2)]),
    unary(np.tile, "np.tile(a, 2)", shapes=[(), (3,), (2, 3)]),
    unary(np.tile, "np.tile(a, (2, 1, 2))", shapes=[(3,), (2, 3)]),
    unary(np.tile, "np.tile(a, (2, 2))", shapes=[(2, 1, 3)]),
    unary(np.repeat, "np.repeat(a, 2)", shapes=[(), (3,), (2, 3)]),
    unary(np.repeat, "np.repeat(a, 2, axis=1)", shapes=[(2, 3)]),
    unary(np.repeat, "np.repeat(a, [1, 0, 2], axis=-2)", shapes=[(2, 3, 2)]),
    unary(np.pad, "np.pad(a, 1)", shapes=[(3,), (2, 3)]),
    unary(np.pad, "np.pad(a, ((1, 0), (0, 2)))", shapes=[(2, 3)]),
    unary(np.pad, "np.pad(a, ((0, 1), (1, 1), (2, 0)))", shapes=[(2, 3, 2)]),
    unary(np.pad, "np.pad(a, 1, constant_values=2.0)", shapes=[(3,)]),
    unary(np.pad, "np.pad(a, 2, mode='reflect')", shapes=[(3,), (3, 4)]),
    unary(np.pad, "np.pad(a, (1, 2), mode='edge')", shapes=[(3,), (2, 3)]),
    unary(np.pad, "np.pad(a, 1, 'wrap')", shapes=[(2, 3)]),
    unary(np.pad, "np.pad(a, (2, 1), mode='symmetric')", shapes=[(2, 3)]),
    unary(np.diag, "np.diag(a)", shapes=[(3,), (2, 3), (3, 3)]),
    unary(np.diag, "np.diag(a, 1)", shapes=[(3,), (3, 4)]),
    unary(np.diag, "np.diag(a, k=-1)", shapes=[(3,), (4, 3)]),
    unary(np.diagonal, "np.diagonal(a)", shapes=[(3, 3), (2, 3)]),
    unary(np.diagonal, "np.diagonal(a, 1)", shapes=[(3, 4)]),
    unary(np.diagonal, "np.diagonal(a, -1, 0, 2)", shapes=[(3, 2, 4)]),
    unary(np.diagonal, "np.diagonal(a, axis1=-1, axis2=0)",
          shapes=[(3, 2, 3)]),
    unary(np.tril, "np.tril(a)", shapes=[(3,), (3, 3), (2, 3, 4)]),
    unary(np.tril, "np.tril(a, -1)", shapes=[(3, 4)]),
    unary(np.triu, "np.triu(a, 1)", shapes=[(3, 4)]),
    unary(np.triu, "np.triu(a, k=-1)", shapes=[(3,), (2, 3, 3)]),
    # numpy, lists of arrays in or out
    Spec(np.concatenate, "np.concatenate([a, b])", "r r",
         [((3,), (2,)), ((2, 3), (1, 3))]),
    Spec(np.concatenate, "np.concatenate((a, b), axis=-1)", "r r",
         [((2, 3), (2, 1)), ((2, 1, 2), (2, 1, 3))]),
    Spec(np.concatenate, "np.concatenate([a, b, a], axis=None)", "r r",
         [((2, 3), (4,))]),
    Spec(np.concatenate, "np.concatenate([a, np.ones(2), b])", "r r",
         [((3,), (1,))]),
    Spec(np.stack, "np.stack([a, b])", "r r",
         [((), ()), ((3,), (3,)), ((2, 3), (2, 3))]),
    Spec(np.stack, "np.stack((a, b), axis=-1)", "r r", [((2, 3), (2, 3))]),
    Spec(np.stack, "np.stack([a, b, a], 1)", "r r", [((2, 3), (2, 3))]),
    Spec(np.hstack, "np.hstack([a, b])", "r r",
         [((), ()), ((3,), (2,)), ((2, 3), (2, 1)), ((2, 3, 2), (2, 1, 2))]),
    Spec(np.vstack, "np.vstack([a, b])", "r r",
         [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 3, 2), (1, 3, 2))]),
    unary(np.split, "np.split(a, 3)[1]", shapes=[(3,), (6, 2)]),
    unary(np.split, "np.split(a, [1, 3], axis=1)[2]", shapes=[(2, 4)]),
    unary(np.split, "p, q = np.split(a, 2, axis=-1); p * q",
          shapes=[(2, 4), (2, 3, 2)]),
    unary(np.split, "p, q, r = np.split(a, [1, 2]); p + 2 * r",
          shapes=[(4,)]),
    unary(np.array_split, "np.array_split(a, 2)[0]", shapes=[(5,)]),
    unary(np.array_split,
          "p, q = np.array_split(a, 2, axis=1); np.sum(p) * q",
          shapes=[(2, 5)]),
    unary(np.array, "np.array(a)", shapes=[(), (3,), (2, 3)]),
    unary(np.array, "np.array(a, dtype=float, ndmin=2)", shapes=[(), (3,)]),
    unary(np.array, "np.array(a, dtype=int) * a", shapes=[(3,)]),
    Spec(np.array, "np.array([a, b])", "r r",
         [((), ()), ((3,), (3,)), ((2, 3), (2, 3))]),
    Spec(np.array, "np.array([[a, b], [b, 1.0]])", "r r", [((), ())]),
    Spec(np.array, "np.array([[a, b], [b, a]])", "r r", [((2,), (2,))]),
    unary(np.asarray, "np.asarray(a)", shapes=[(), (3,), (2, 3)]),
    unary(np.asarray, "np.asarray(a, dtype=int) + a", shapes=[(3,)]),
    Spec(np.asarray, "np.asarray((a, b, a))", "r r", [((), ()), ((3,), (3,))]),
    unary(np.asanyarray, "np.asanyarray(a)", shapes=[(), (2, 3)]),
    unary(np.ascontiguousarray, "np.ascontiguousarray(a)",
          shapes=[(), (2, 3)]),
    unary(np.copy, "np.copy(a)"),
    # numpy, indexing
    unary(np.take, "np.take(a, 1)", shapes=[(3,), (2, 3)]),
    unary(np.take, "np.take(a, [0, 2, 2])", shapes=[(3,), (2, 3)]),
    unary(np.take, "np.take(a, [[0, 1], [2, 2]], axis=1)", shapes=[(2, 3)]),
    unary(np.take, "np.take(a, [1, 0, 1], axis=-2)", shapes=[(2, 3, 2)]),
    unary(np.take, "np.take(a, [-1, 3], axis=-1, mode='wrap')",
          shapes=[(2, 3)]),
    unary(np.take, "np.take(a, [0, 5, -1], mode='clip')", shapes=[(3,)]),
    unary(np.take_along_axis,
          "np.take_along_axis(a, np.array([2, 0, 0]), 0)", shapes=[(3,)]),
    unary(np.take_along_axis,
          "np.take_along_axis(a, np.array([[0, 2], [1, 1]]), axis=1)",
          shapes=[(2, 3)]),
    unary(np.take_along_axis,
          "np.take_along_axis(a, np.array([5, 0, 3, 5]), None)",
          shapes=[(2, 3)]),
    unary(np.take_along_axis,
          "np.take_along_axis(a, np.array([[[1], [0], [1]]]), axis=-1)",
          shapes=[(2, 3, 2)]),
    unary(np.sort, "np.sort(a)", shapes=[(3,), (2, 3)]),
    unary(np.sort, "np.sort(a, axis=0)", shapes=[(2, 3)]),
    unary(np.sort, "np.sort(a, axis=None)", shapes=[(2, 3)]),
    unary(np.sort, "np.sort(a, axis=-2, kind='stable')", shapes=[(2, 3, 2)]),
    # builtins
    unary(builtins.abs, "abs(a)", second_order=False),
    unary(builtins.float, "float(a)", shapes=SCALAR),
    Spec(builtins.pow, "pow(a, b)", "p r", [((), ())]),
    unary(builtins.pow, "pow(a, 3)", shapes=SCALAR),
    # srcad's runtime helpers (generated code calls them)
    # a smaller `a` stands for its broadcast: unbroadcast spreads it
    Spec(ad.unbroadcast, "ad.unbroadcast(a, b)", "r r",
         [((2, 3), (3,)), ((2, 3), (2, 1)), ((3,), ()), ((), (3,)),
          ((3,), (2, 3)), ((2, 1), (1, 3))]),
    Spec(ad.broadcast_like, "ad.broadcast_like(a, b)", "r r",
         [((3,), (2, 3)), ((), (3,))]),
    Spec(ad.result, "ad.result(a, b)", "r r",
         [((3,), (3,)), ((), ()), ((), (3,))]),
    Spec(ad.unreduce, "ad.unreduce(a, b, 1, False)", "r r", [((2,), (2, 3))]),
    Spec(ad.unreduce, "ad.unreduce(a, b)", "r r", [((), (2, 3))]),
    Spec(ad.expand, "ad.expand(a, 1) * b", "r r", [((2,), (2, 3))]),
    Spec(ad.expand, "ad.expand(a, (0, 2)) * b", "r r", [((3,), (2, 3, 4))]),
    Spec(ad.expand, "ad.expand(a, 1, True) * b", "r r", [((2, 1), (2, 3))]),
    Spec(ad.expand, "ad.expand(a) * b", "r r", [((), (2, 3))]),
    unary(ad.unindex, "ad.unindex(a, np.zeros((4, 3)), np.s_[1:3])",
          shapes=[(2, 3)]),
    Spec(ad.matmul_grad_a, "ad.matmul_grad_a(a, np.ones((2, 3)), b)",
         "r r", [((2, 4), (3, 4))]),
    Spec(ad.matmul_grad_b, "ad.matmul_grad_b(a, b, np.ones((3, 4)))",
         "r r", [((2, 4), (2, 3))]),
    Spec(ad.dot_grad_a, "ad.dot_grad_a(a, np.ones(3), b)", "r r",
         [((4,), (3, 4))]),
    Spec(ad.dot_grad_b, "ad.dot_grad_b(a, b, np.ones((3, 4)))", "r r",
         [((4,), (3,))]),
    Spec(ad.reshape_like, "ad.reshape_like(a, b)", "r r", [((6,), (2, 3))]),
    Spec(ad.add, "ad.add(a, b)", "r r", [((3,), (3,))]),
    Spec(ad.plus_at, "ad.plus_at(a, np.array([0, 2, 0]), b)", "r r",
         [((3,), (3,)), ((3,), ()), ((3, 2), (3, 2)), ((3, 2), (2,))]),
    unary(ad.own, "ad.own(a)", shapes=[(3,)]),
    unary(ad.cotangents, "ad.cotangents(a, 'f(x)', (np.ones(3),))",
          shapes=[(3,)]),
    unary(ad.cotangents, "ad.cotangents(a, 'f(x)', (np.ones(3),), "
          "np.ones((2, 3)))", shapes=[(2, 3)]),
    Spec(ad.cotangents, "ad.cotangents((a, b), 'f(x, w)', (b, a))[0]",
         "r r", [((3,), (3,))]),
    unary(ad.copy, "ad.copy(a)", shapes=[(), (3,)]),
    # srcad's NumPy helpers
    unary(ad.prod_others, "ad.prod_others(a)", shapes=[(), (3,), (2, 3)]),
    Spec(ad.prod_pairs, "ad.prod_pairs(a, b, ad.prod_others(b), None)",
         "r r", [((3,), (3,)), ((2, 3), (2, 3))]),
    Spec(ad.prod_pairs, "ad.prod_pairs(a, b, ad.prod_others(b, 1), 1)",
         "r r", [((2, 3), (2, 3))]),
    Spec(ad.uncumprod, "ad.uncumprod(a, b, np.cumprod(b), None)", "r r",
         [((3,), (3,)), ((6,), (2, 3))]),
    Spec(ad.uncumprod, "ad.uncumprod(a, b, np.cumprod(b, 1), 1)", "r r",
         [((2, 3), (2, 3))]),
    Spec(ad.cumprod_tangent, "ad.cumprod_tangent(a, b, np.cumprod(b), None)",
         "r r", [((3,), (3,)), ((2, 3), (2, 3))]),
    Spec(ad.cumprod_tangent, "ad.cumprod_tangent(a, b, np.cumprod(b, 0), 0)",
         "r r", [((2, 3), (2, 3))]),
    # their third argument held still (no rule in it), with and without a
    # zero in it
    Spec(ad.cumprod_pairs, "ad.cumprod_pairs(a, b, np.array([0.5, 1.5, "
         "-2.0]))", "r r", [((3,), (3,))]),
    Spec(ad.cumprod_pairs, "ad.cumprod_pairs(a, b, np.array([[0.5, 0.0, "
         "2.0], [1.5, 0.7, 0.0]]), 1)", "r r", [((2, 3), (2, 3))]),
    Spec(ad.cumprod_pairs, "ad.cumprod_pairs(a, b, np.array([[0.5, 0.0, "
         "2.0], [1.5, 0.7, 0.0]]))", "r r", [((2, 3), (6,))]),
    Spec(ad.cumprod_curvature, "ad.cumprod_curvature(a, b, np.array([0.5, "
         "1.5, -2.0]))", "r r", [((3,), (3,))]),
    Spec(ad.cumprod_curvature, "ad.cumprod_curvature(a, b, np.array([[0.5, "
         "0.0, 2.0], [1.5, 0.7, 0.0]]), 0)", "r r", [((2, 3), (2, 3))]),
    Spec(ad.cumprod_curvature, "ad.cumprod_curvature(a, b, np.array([0.5, "
         "0.0, 2.0, 0.0]))", "r r", [((4,), (4,))]),
    unary(ad.prod_others, "ad.prod_others(a, (0, -1))", shapes=[(2, 3, 2)]),
    unary(ad.uncumsum, "ad.uncumsum(a, np.ones((2, 3)))", shapes=[(6,)]),
    unary(ad.uncumsum, "ad.uncumsum(a, a, -1)", shapes=[(2, 3)]),
    unary(ad.undiff, "ad.undiff(a, 2, 0)", shapes=[(2, 3)]),
    Spec(ad.broadcast_weights, "ad.broadcast_weights(a, b, 1)", "r r",
         [((3,), (2, 3, 2)), ((2, 3), (2, 3))]),
    Spec(ad.unbroadcast_weights,
         "ad.unbroadcast_weights(a, np.ones(b.shape), 1)", "r r",
         [((2, 3, 2), (3,)), ((2, 3), (2, 3))]),
    unary(ad.untranspose, "ad.untranspose(a, (2, -3, 1))",
          shapes=[(2, 3, 4)]),
    unary(ad.unstack, "ad.unstack(a, -1)[1]", shapes=[(3, 2), (2, 2, 3)]),
    unary(ad.unconcatenate,
          "ad.unconcatenate(a, [np.ones(2), np.ones(3)], 0)[1]",
          shapes=[(5,)]),
    unary(ad.unhstack, "ad.unhstack(a, [np.ones(2), 1.0])[0]",
          shapes=[(3,)]),
    unary(ad.unvstack, "ad.unvstack(a, [np.ones(3), np.ones((2, 3))])[1]",
          shapes=[(3, 3)]),
    unary(ad.untile, "ad.untile(a, np.ones(3), (2, 2))", shapes=[(2, 6)]),
    unary(ad.unrepeat, "ad.unrepeat(a, np.ones((2, 2)), [2, 1], 0)",
          shapes=[(3, 2)]),
    unary(ad.unpad, "ad.unpad(a, np.ones(3), 1, 'reflect')", shapes=[(5,)]),
    unary(ad.undiag, "ad.undiag(a, np.ones((3, 4)), 1)", shapes=[(3,)]),
    unary(ad.undiagonal, "ad.undiagonal(a, np.ones((2, 3, 3)), 0, 1, 2)",
          shapes=[(2, 3)]),
    unary(ad.untake, "ad.untake(a, np.ones((2, 3)), [2, 2], 1)",
          shapes=[(2, 2)]),
    unary(ad.untake_along_axis,
          "ad.untake_along_axis(a, np.ones(3), np.array([1, 1]), 0)",
          shapes=[(2,)]),
    Spec(ad.unarray, "ad.unarray(a, [b, b])[1]", "r r", [((2, 3), (3,))]),
    unary(ad.unarray, "ad.unarray(a, np.ones(3), int)", shapes=[(3,)]),
    unary(ad.cast_tangent, "ad.cast_tangent(a, None, 2)", shapes=[(3,)]),
]

from specs_core import SPECS as CORE  # noqa: E402
from specs_linalg import SPECS as LINALG  # noqa: E402

SPECS += CORE + LINALG
