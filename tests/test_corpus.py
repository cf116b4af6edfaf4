"""A corpus of user-style straight-line functions, checked against finite differences.

Every function is an ordinary module-level function, the way users write
them. Each test draws inputs of the given shapes from a valid range and runs
fdcheck.check_grad for every argument in turn: the gradient must match
central differences, have the argument's type and shape, and leave the inputs
unchanged. Each (function, shapes, argument) is its own test case, so a
failure names exactly what is wrong: e.g. `div-col_row-wrt1`.
"""
import math
import zlib

import numpy as np
import pytest

from fdcheck import check_grad

# ------------------------------------------------------ module-level constants

SCALE = 0.5
OFFSET = np.array([0.1, -0.2, 0.3])
BIAS = 1.5
W32 = np.array([[1.0, -2.0], [3.0, 0.5], [-1.5, 2.5]])   # weights for (3, 2) results
W6 = np.arange(1.0, 7.0)                                 # weights for (6,) results


# ------------------------------------------------------------------- operators

def add(x, y):
    return np.sum(x + y)


def sub(x, y):
    return np.sum(x - y)


def mul(x, y):
    return np.sum(x * y)


def div(x, y):
    return np.sum(x / y)


def power(x, y):
    return np.sum(x ** y)


def neg(x):
    return np.sum(-x * x)


def neg_call(x):
    return np.sum(-np.sin(x))


def pow_float_const(x):
    return np.sum(x ** 2.0)


def pow_int_const(x):
    return np.sum(x ** 2 + x ** 3)


def pow_fractional(x):
    return np.sum(x ** 0.5 + x ** -1.5)


def const_base_pow(x):
    return np.sum(2.0 ** x)


def const_over(x):
    return np.sum(1.0 / x - 3.0 * x + 2.0 - x)


def scalar_arith(x, y):
    return x * y - x / y + x ** 2 - (-y) + 3.0 * x


def matmul_op(A, B):
    return np.sum(np.sin(A @ B))


def matmul_vecvec(u, v):
    return u @ v


# ------------------------------------------------------------------------ math

def math_sin(x):
    return math.sin(x)


def math_cos(x):
    return math.cos(x)


def math_tan(x):
    return math.tan(x)


def math_exp(x):
    return math.exp(x)


def math_log(x):
    return math.log(x)


def math_log1p(x):
    return math.log1p(x)


def math_sqrt(x):
    return math.sqrt(x)


def math_tanh(x):
    return math.tanh(x)


def math_atan(x):
    return math.atan(x)


def math_pow(x, y):
    return math.pow(x, y)


def math_pow_const(x):
    return math.pow(x, 3.0)


def math_mixed(x, y):
    return math.exp(-x * y) * math.sin(x) + math.sqrt(x * x + y * y) - math.pi * y


# ------------------------------------------------------- numpy, elementwise

def np_exp(x):
    return np.sum(np.exp(x))


def np_log(x):
    return np.sum(np.log(x))


def np_sin(x):
    return np.sum(np.sin(x))


def np_cos(x):
    return np.sum(np.cos(x))


def np_tan(x):
    return np.sum(np.tan(x))


def np_tanh(x):
    return np.sum(np.tanh(x))


def np_sqrt(x):
    return np.sum(np.sqrt(x))


def np_abs(x):
    return np.sum(np.abs(x) * x)


def np_square(x):
    return np.sum(np.square(x))


def np_maximum(x, y):
    return np.sum(np.maximum(x, y) ** 2)


def np_minimum(x, y):
    return np.sum(np.minimum(x, y) ** 2)


def relu(x):
    return np.sum(np.maximum(x, 0.0) * x)


def np_where(x, y):
    return np.sum(np.where(x > y, x * y, x - y))


def leaky_relu(x):
    return np.sum(np.where(x > 0.0, x, 0.1 * x) ** 2)


def sigmoid(x):
    return np.sum(1 / (1 + np.exp(-x)))


def softplus(x):
    return np.sum(np.log(1.0 + np.exp(x)))


def chain(x, y):
    return np.sum(np.sin(x * y) / (1.0 + x ** 2) - np.exp(-y) * x)


# ----------------------------------------------------- numpy, reductions

def sum_all(x):
    return np.sum(x) ** 2


def sum_axis_none(x):
    return np.sum(x, axis=None) ** 2


def sum_axis0(x):
    return np.sum(np.sum(x, axis=0) ** 2)


def sum_axis1(x):
    return np.sum(np.sum(x, axis=1) ** 2)


def sum_axis_neg1(x):
    return np.sum(np.sum(x, axis=-1) ** 2)


def sum_keepdims(x):
    s = np.sum(x, axis=1, keepdims=True)
    return np.sum(s * x)


def mean_all(x):
    return np.mean(x ** 2)


def mean_axis_none(x):
    return np.mean(x, axis=None) ** 2


def mean_axis0(x):
    return np.sum(np.mean(x, axis=0) ** 2)


def mean_axis1(x):
    return np.sum(np.mean(x, axis=1) ** 2)


def mean_axis_neg1(x):
    return np.sum(np.mean(x, axis=-1) ** 3)


def mean_keepdims(x):
    m = np.mean(x, axis=0, keepdims=True)
    return np.sum((x - m) ** 2)


def sum_keepdims_axis_none(x):
    return np.sum(np.sum(x, axis=None, keepdims=True) * x)


# ------------------------------------------------- numpy, linear algebra

def np_matmul(A, B):
    return np.sum(np.sin(np.matmul(A, B)))


def np_dot(A, B):
    return np.sum(np.sin(np.dot(A, B)))


def np_dot_vecvec(u, v):
    return np.dot(u, v)


def transpose_fn(x):
    return np.sum(np.transpose(x) * W32)


def dot_T(x):
    return np.sum(x.T * W32)


def reshape_fn(x):
    return np.sum(np.reshape(x, (3, 2)) * W32)


def reshape_flat(x):
    return np.sum(np.reshape(x, (-1,)) * W6)


def gram(A):
    return np.sum(np.tanh(A.T @ A))


# -------------------------------------------- reuse, rebinding, tuples

def reuse(x):
    return np.sum(x * x * x + x / (1.0 + x * x))


def reuse_pair(x, y):
    a = x * y
    b = a + x
    c = a * b - y
    return np.sum(c * a)


def self_add(x):
    return np.sum(np.sin(x) + x + x)


def rebind(x, y):
    x = x * y
    x = np.sin(x) + y
    y = x * x
    return np.sum(y)


def aug_assign(x, y):
    t = x * y
    t += x
    t *= y
    return np.sum(t)


def tuple_unpack(x, y):
    a, b = x * 2, y + 1
    return np.sum(a * b + a)


def tuple_via_name(x, y):
    t = (x * y, x - y)
    p, q = t
    return np.sum(p * np.sin(q))


def tuple_swap(x, y):
    x, y = y, x * y
    return np.sum(x * np.exp(y))


def with_constants(x):
    return np.sum(SCALE * x ** 2 + OFFSET * x) + BIAS * np.sum(np.cos(math.pi * x))


# ------------------------------------ inactive arguments, odd outputs

def ignores_x(x, y):
    return np.sum(y * y)


def x_only_in_condition(x, y):
    return np.sum(np.where(x > 0.0, y, 2.0 * y))


def constant_output(x):
    return 1.0


def identity(x):
    return x


def int_literals(x, y):
    return np.sum(2 * x + y * 3 - 1 + x / 2)


def relu_const_first(x):
    return np.sum(np.maximum(0.0, x) * x)


def where_const_branch(x):
    return np.sum(np.where(x > 0.0, x, 0.0) * x)


def norm(x):
    return np.sqrt(np.sum(np.square(x))) + np.exp(-np.mean(x ** 2))


def sum_axis_tuple(x):
    return np.sum(np.sum(x, axis=(0, 2)) ** 2)


# --------------------------------------------------------------- models

def mlp_loss(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def logreg_loss(w, b, X, y):
    z = X @ w + b
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


# ----------------------------------------------------------- parametrization

ANY, POS, SMALL, NEAR0 = (-2.0, 2.0), (0.5, 2.0), (-1.0, 1.0), (-0.25, 0.25)
NONZERO = "nonzero"   # random signs, magnitudes in [0.5, 2]
ALT = "alternating"   # signs +, -, +, ... in flat order, magnitudes in [0.5, 2]:
                      # against NEAR0 both sides of a comparison occur, no ties

UNARY = {"scalar": [()], "vec": [(3,)], "mat": [(2, 3)]}
BINARY = {
    "scalar": [(), ()],
    "vec": [(3,), (3,)],
    "mat": [(2, 3), (2, 3)],
    "scalar_vec": [(), (3,)],
    "vec_scalar": [(3,), ()],
    "vec_mat": [(3,), (2, 3)],
    "mat_vec": [(2, 3), (3,)],
    "col_row": [(2, 1), (1, 3)],
}
SCALAR1 = {"scalar": [()]}
SCALAR2 = {"scalar": [(), ()]}
MAT = {"mat": [(2, 3)]}
MATMUL = {
    "mat@vec": [(2, 3), (3,)],
    "vec@mat": [(2,), (2, 3)],
    "mat@mat": [(2, 3), (3, 4)],
}
VECVEC = {"vec@vec": [(3,), (3,)]}

# (function, shape table, one input range per argument)
CASES = [
    # operators
    (add, BINARY, (ANY, ANY)),
    (sub, BINARY, (ANY, ANY)),
    (mul, BINARY, (ANY, ANY)),
    (div, BINARY, (ANY, NONZERO)),
    (power, BINARY, (POS, ANY)),
    (neg, UNARY, (ANY,)),
    (neg_call, UNARY, (ANY,)),
    (pow_float_const, UNARY, (ANY,)),
    (pow_int_const, UNARY, (ANY,)),
    (pow_fractional, UNARY, (POS,)),
    (const_base_pow, UNARY, (ANY,)),
    (const_over, UNARY, (NONZERO,)),
    (scalar_arith, SCALAR2, (ANY, NONZERO)),
    (matmul_op, MATMUL, (ANY, ANY)),
    (matmul_vecvec, VECVEC, (ANY, ANY)),
    # math
    (math_sin, SCALAR1, (ANY,)),
    (math_cos, SCALAR1, (ANY,)),
    (math_tan, SCALAR1, (SMALL,)),
    (math_exp, SCALAR1, (ANY,)),
    (math_log, SCALAR1, (POS,)),
    (math_log1p, SCALAR1, (POS,)),
    (math_sqrt, SCALAR1, (POS,)),
    (math_tanh, SCALAR1, (ANY,)),
    (math_atan, SCALAR1, (ANY,)),
    (math_pow, SCALAR2, (POS, ANY)),
    (math_pow_const, SCALAR1, (ANY,)),
    (math_mixed, SCALAR2, (POS, ANY)),
    # numpy elementwise
    (np_exp, UNARY, (ANY,)),
    (np_log, UNARY, (POS,)),
    (np_sin, UNARY, (ANY,)),
    (np_cos, UNARY, (ANY,)),
    (np_tan, UNARY, (SMALL,)),
    (np_tanh, UNARY, (ANY,)),
    (np_sqrt, UNARY, (POS,)),
    (np_abs, UNARY, (ALT,)),
    (np_square, UNARY, (ANY,)),
    (np_maximum, BINARY, (ALT, NEAR0)),
    (np_minimum, BINARY, (ALT, NEAR0)),
    (relu, UNARY, (ALT,)),
    (np_where, BINARY, (ALT, NEAR0)),
    (leaky_relu, UNARY, (ALT,)),
    (sigmoid, UNARY, (ANY,)),
    (softplus, UNARY, (ANY,)),
    (chain, BINARY, (ANY, ANY)),
    # reductions
    (sum_all, UNARY, (ANY,)),
    (sum_axis_none, UNARY, (ANY,)),
    (sum_axis0, {"vec": [(3,)], "mat": [(2, 3)]}, (ANY,)),
    (sum_axis1, MAT, (ANY,)),
    (sum_axis_neg1, {"vec": [(3,)], "mat": [(2, 3)]}, (ANY,)),
    (sum_keepdims, MAT, (ANY,)),
    (mean_all, UNARY, (ANY,)),
    (mean_axis_none, UNARY, (ANY,)),
    (mean_axis0, {"vec": [(3,)], "mat": [(2, 3)]}, (ANY,)),
    (mean_axis1, MAT, (ANY,)),
    (mean_axis_neg1, {"vec": [(3,)], "mat": [(2, 3)]}, (ANY,)),
    (mean_keepdims, MAT, (ANY,)),
    (sum_keepdims_axis_none, {"vec": [(3,)], "mat": [(2, 3)]}, (ANY,)),
    # linear algebra
    (np_matmul, MATMUL, (ANY, ANY)),
    (np_dot, MATMUL, (ANY, ANY)),
    (np_dot_vecvec, VECVEC, (ANY, ANY)),
    (transpose_fn, MAT, (ANY,)),
    (dot_T, MAT, (ANY,)),
    (reshape_fn, MAT, (ANY,)),
    (reshape_flat, MAT, (ANY,)),
    (gram, MAT, (ANY,)),
    # reuse, rebinding, tuples, constants
    (reuse, UNARY, (ANY,)),
    (reuse_pair, BINARY, (ANY, ANY)),
    (self_add, UNARY, (ANY,)),
    (rebind, BINARY, (ANY, ANY)),
    (aug_assign, BINARY, (ANY, ANY)),
    (tuple_unpack, BINARY, (ANY, ANY)),
    (tuple_via_name, BINARY, (ANY, ANY)),
    (tuple_swap, BINARY, (ANY, ANY)),
    (with_constants, {"scalar": [()], "vec": [(3,)], "mat": [(2, 3)]}, (ANY,)),
    # inactive arguments, odd outputs
    (ignores_x, BINARY, (ANY, ANY)),
    (x_only_in_condition, BINARY, (ALT, ANY)),
    (constant_output, UNARY, (ANY,)),
    (identity, SCALAR1, (ANY,)),
    (int_literals, BINARY, (ANY, NONZERO)),
    (relu_const_first, UNARY, (ALT,)),
    (where_const_branch, UNARY, (ALT,)),
    (norm, UNARY, (NONZERO,)),
    (sum_axis_tuple, {"3d": [(2, 3, 4)]}, (ANY,)),
    # models
    (mlp_loss, {"mlp": [(3, 4), (4,), (4,), (), (5, 3), (5,)]}, (ANY,) * 6),
    (logreg_loss, {"logreg": [(3,), (), (6, 3), (6,)]}, (ANY, ANY, ANY, "labels")),
]

PARAMS = [
    pytest.param(func, shapes, ranges, wrt, id=f"{func.__name__}-{shape_id}-wrt{wrt}")
    for func, table, ranges in CASES
    for shape_id, shapes in table.items()
    for wrt in range(len(shapes))
]


def draw(rng, shape, kind):
    """A Python float for shape (), else a float64 array, drawn from `kind`."""
    if kind == NONZERO:
        x = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    elif kind == ALT:
        signs = np.where(np.arange(int(np.prod(shape))) % 2 == 0, 1.0, -1.0)
        x = rng.uniform(0.5, 2.0, shape) * np.reshape(signs, shape)
    elif kind == "labels":
        x = rng.integers(0, 2, shape).astype(np.float64)
    else:
        x = rng.uniform(kind[0], kind[1], shape)
    return float(x) if shape == () else x


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("func,shapes,ranges,wrt", PARAMS)
def test_grad_matches_finite_differences(func, shapes, ranges, wrt, mode):
    rng = np.random.default_rng(zlib.crc32(f"{func.__name__}{shapes}".encode()))
    args = [draw(rng, shape, kind) for shape, kind in zip(shapes, ranges)]
    check_grad(func, *args, wrt=wrt, mode=mode)


def test_corpus_covers_every_function():
    """Each corpus function is used by at least one case."""
    tested = {func for func, _, _ in CASES}
    defined = {obj for name, obj in globals().items()
               if callable(obj) and getattr(obj, "__module__", None) == __name__
               and not name.startswith(("test_", "draw"))}
    assert defined <= tested, sorted(f.__name__ for f in defined - tested)
