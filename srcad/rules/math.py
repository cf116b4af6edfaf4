"""Derivative rules for the `math` module: one line a function."""
import math

from .registry import elementwise, nondiff

T = __name__

elementwise(math.sin, "sin(x)", T, x="g * math.cos(x)")
elementwise(math.cos, "cos(x)", T, x="-g * math.sin(x)")
elementwise(math.tan, "tan(x)", T, x="g * (1 + y * y)")
elementwise(math.asin, "asin(x)", T, x="g / math.sqrt(1 - x * x)")
elementwise(math.acos, "acos(x)", T, x="-g / math.sqrt(1 - x * x)")
elementwise(math.atan, "atan(x)", T, x="g / (1 + x * x)")
elementwise(math.atan2, "atan2(a, b)", T,
            a="g * b / (a * a + b * b)", b="-g * a / (a * a + b * b)")
elementwise(math.sinh, "sinh(x)", T, x="g * math.cosh(x)")
elementwise(math.cosh, "cosh(x)", T, x="g * math.sinh(x)")
elementwise(math.tanh, "tanh(x)", T, x="g * (1 - y * y)")
elementwise(math.asinh, "asinh(x)", T, x="g / math.sqrt(x * x + 1)")
elementwise(math.acosh, "acosh(x)", T, x="g / math.sqrt(x * x - 1)")
elementwise(math.atanh, "atanh(x)", T, x="g / (1 - x * x)")
elementwise(math.exp, "exp(x)", T, x="g * y")
elementwise(math.expm1, "expm1(x)", T, x="g * (y + 1)")
elementwise(math.log, "log(x)", T, x="g / x")
elementwise(math.log2, "log2(x)", T, x="g / (x * math.log(2))")
elementwise(math.log10, "log10(x)", T, x="g / (x * math.log(10))")
elementwise(math.log1p, "log1p(x)", T, x="g / (1 + x)")
elementwise(math.sqrt, "sqrt(x)", T, x="g / (2 * y)")
elementwise(math.pow, "pow(a, b)", T,
            a="g * b * math.pow(a, b - 1)", b="g * y * ad.log_positive(a)")
elementwise(math.fabs, "fabs(x)", T, x="g * math.copysign(1.0, x)")
elementwise(math.hypot, "hypot(a, b)", T, a="g * a / y", b="g * b / y")
elementwise(math.erf, "erf(x)", T,
            x="g * 2 / math.sqrt(math.pi) * math.exp(-x * x)")
elementwise(math.erfc, "erfc(x)", T,
            x="-g * 2 / math.sqrt(math.pi) * math.exp(-x * x)")
elementwise(math.copysign, "copysign(a, b)", T,
            a="g * math.copysign(1.0, a) * math.copysign(1.0, b)")
# np.trunc, as math.trunc refuses NumPy scalars
elementwise(math.fmod, "fmod(a, b)", T, a="g", b="-g * np.trunc(a / b)")
elementwise(math.degrees, "degrees(x)", T, x="g * (180 / math.pi)")
elementwise(math.radians, "radians(x)", T, x="g * (math.pi / 180)")

for fn in (math.floor, math.ceil, math.trunc, math.isnan, math.isinf,
           math.isfinite, math.factorial, math.comb,
           math.gcd):
    nondiff(fn, owner=T)
# log(x, base) is log(x) / log(base), written so by normalize; math.fsum
# is with the builtin sum (srcad/rules/builtins.py)
