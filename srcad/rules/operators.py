"""Derivative rules for Python's operators, keyed by gast operator class."""
import gast

from .registry import elementwise, linear, nondiff

T = __name__

elementwise(gast.Add, "add(a, b)", T, a="g", b="g")
elementwise(gast.Sub, "sub(a, b)", T, a="g", b="-g")
elementwise(gast.Mult, "mul(a, b)", T, a="g * b", b="g * a")
elementwise(gast.Div, "truediv(a, b)", T, a="g / b", b="-g * y / b")
elementwise(gast.Pow, "pow(a, b)", T,
            a="g * b * a ** (b - 1)", b="g * y * ad.log_positive(a)")
# a % b is a - b * floor(a / b): a jump wherever a / b is a whole number,
# slope 1 in a and -floor(a / b) in b between the jumps
elementwise(gast.Mod, "mod(a, b)", T, a="g", b="-g * (a // b)")
linear(gast.USub, "neg(a)", T, a="-g")
linear(gast.UAdd, "pos(a)", T, a="g")
# a @ b for operands of known ndims: the transposes without a helper
MATMUL_BY_NDIMS = {
    (2, 2): {"a": "g @ b.T", "b": "a.T @ g"},
    (2, 1): {"a": "np.outer(g, b)", "b": "a.T @ g"},
    (1, 2): {"a": "b @ g", "b": "np.outer(a, g)"},
    (1, 1): {"a": "g * b", "b": "g * a"},
}
MATMUL_BATCHED = {"a": "ad.batch_matmul_a(da, b)",
                  "b": "ad.batch_matmul_b(a, db)"}
linear(gast.MatMult, "matmul(a, b)", T, by_ndims=MATMUL_BY_NDIMS,
       a="ad.matmul_grad_a(g, a, b)", b="ad.matmul_grad_b(g, a, b)",
       batched=MATMUL_BATCHED)

for op in (gast.FloorDiv, gast.Not, gast.Invert, gast.BitAnd,
           gast.BitOr, gast.BitXor, gast.LShift, gast.RShift, gast.Eq,
           gast.NotEq, gast.Lt, gast.LtE, gast.Gt, gast.GtE, gast.Is,
           gast.IsNot, gast.In, gast.NotIn, gast.And, gast.Or):
    nondiff(op, op.__name__, T)
