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
}

SCALAR = [()]
ELEMENTWISE = [(), (3,), (2, 3)]
BINARY = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)),
          ((), (2, 3)), ((2, 3), ())]
MATRICES = [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
            ((2, 2, 3), (3, 4))]
DOTS = [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
        ((), (3,)), ((2, 3), ())]


class Spec:
    def __init__(self, fn, call, domains, shapes, second_order=True,
                 rtol=1e-5):
        self.fn = fn
        self.call = call
        self.domains = domains.split()
        self.shapes = shapes  # one tuple of argument shapes a case
        self.second_order = second_order
        self.rtol = rtol

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
    unary(np.sinc, "np.sinc(a)", second_order=False),
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
    binary(np.copysign, "np.copysign(a, b)", second_order=False),
    binary(np.where, "np.where(a > 0, a, b)", second_order=False),
    unary(np.clip, "np.clip(a, -0.5, 0.7)", second_order=False),
    # numpy, reductions
    unary(np.sum, "np.sum(a)", shapes=[(3,), (2, 3)]),
    unary(np.sum, "np.sum(a, axis=0)", shapes=[(3,), (2, 3)]),
    unary(np.sum, "np.sum(a, axis=-1, keepdims=True)", shapes=[(2, 3)]),
    unary(np.sum, "np.sum(a, axis=(0, 2))", shapes=[(2, 3, 4)]),
    unary(np.mean, "np.mean(a)", shapes=[(3,), (2, 3)]),
    unary(np.mean, "np.mean(a, axis=1)", shapes=[(2, 3)]),
    unary(np.mean, "np.mean(a, axis=(0, 1), keepdims=True)",
          shapes=[(2, 3, 4)]),
    unary(np.max, "np.max(a)", shapes=[(3,), (2, 3)], second_order=False),
    unary(np.max, "np.max(a, axis=0)", shapes=[(2, 3)], second_order=False),
    unary(np.min, "np.min(a, axis=-1, keepdims=True)", shapes=[(2, 3)],
          second_order=False),
    unary(np.amax, "np.amax(a, axis=(0, 1))", shapes=[(2, 3, 2)],
          second_order=False),
    unary(np.amin, "np.amin(a)", shapes=[(4,)], second_order=False),
    # numpy, linear algebra
    Spec(np.dot, "np.dot(a, b)", "r r", DOTS),
    Spec(np.matmul, "np.matmul(a, b)", "r r", MATRICES),
    # numpy, shape
    unary(np.transpose, "np.transpose(a)", shapes=[(3,), (2, 3)]),
    unary(np.transpose, "np.transpose(a, (1, 2, 0))", shapes=[(2, 3, 4)]),
    unary(np.reshape, "np.reshape(a, (3, 2))", shapes=[(2, 3), (6,)]),
    unary(np.reshape, "np.reshape(a, -1)", shapes=[(2, 3)]),
    # builtins
    unary(builtins.abs, "abs(a)", second_order=False),
    unary(builtins.float, "float(a)", shapes=SCALAR),
    # srcad's runtime helpers (generated code calls them)
    Spec(ad.unbroadcast, "ad.unbroadcast(a, b)", "r r",
         [((2, 3), (3,)), ((2, 3), (2, 1)), ((3,), ())]),
    Spec(ad.broadcast_like, "ad.broadcast_like(a, b)", "r r",
         [((3,), (2, 3)), ((), (3,))]),
    Spec(ad.result, "ad.result(a, b)", "r r", [((3,), (3,)), ((), ())]),
    Spec(ad.unreduce, "ad.unreduce(a, b, 1, False)", "r r", [((2,), (2, 3))]),
    Spec(ad.unreduce, "ad.unreduce(a, b)", "r r", [((), (2, 3))]),
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
]

from specs_linalg import SPECS as LINALG  # noqa: E402

SPECS += LINALG
