"""Calls, closures, methods and builtins, written the way users write them.

Every function below is ordinary module-level code: helpers in this module
and in tests/helpers_mod.py, functions passed as arguments or kept in
globals, recursion, closures, lambdas, ndarray methods and attributes, and
Python builtins. Each case is checked with srcad.grad in reverse and in
forward mode against central finite differences; a representative subset
is also checked to second order (srcad.hessian against finite differences
of srcad.grad). Then: functions whose derivative is zero or undefined,
errors for calls srcad can neither read nor find a rule for, and caching
(no recompiles, live globals, redefined helpers, clear_cache).
"""
import functools
import os

import numpy as np
import pytest

import helpers_mod
import srcad
from fdcheck import assert_like, check_grad, numeric_grad, numeric_jacobian
from helpers_mod import moments, scaled_sin

HERE = os.path.basename(__file__)
MODES = ["reverse", "forward"]

rng = np.random.default_rng(20240611)
V3 = rng.uniform(-1, 1, 3)
W3 = rng.uniform(-1, 1, 3)
V4 = rng.uniform(0.2, 1.2, 4)
M23 = rng.uniform(-1, 1, (2, 3))
M32 = rng.uniform(-1, 1, (3, 2))

# ================================================================ helpers


def square_sum(x):
    return np.sum(x * x)


def cube(x):
    return x * x * x


def helper_of_helper(x):
    return cube(np.sin(x)) + x


def calls_helper(x):
    return square_sum(np.tanh(x)) + 0.5 * square_sum(x)


def calls_helper_of_helper(x):
    return np.sum(helper_of_helper(x) * x)


def weighted(x, w):
    return np.sum(w * np.sin(x))


def calls_two_arg_helper(x, w):
    # the argument positions swap on the way in
    return weighted(w * x, x) + weighted(x, 2.0)


# ---------------------------------------------------------- other module

def other_module_attribute(x):
    return np.sum(helpers_mod.two_level(x)) + np.sum(helpers_mod.scaled_sin(x, 3.0))


def other_module_imported(x):
    return np.sum(scaled_sin(x) * scaled_sin(x, k=0.5))


def other_module_tuple(x):
    s, ss = moments(x)
    return ss - s * s / 3.0


# ---------------------------------------------------- functions as values

def apply(f, x):
    return f(x)


def apply_user_function(x):
    return np.sum(apply(cube, x)) + np.sum(apply(helper_of_helper, x))


def apply_numpy_function(x):
    return np.sum(apply(np.sin, x) * x)


def apply_shadowing(cube, x):
    # the parameter has the name of a module-level function
    return cube(x)


def apply_shadowing_global(x):
    return np.sum(apply_shadowing(np.sin, x))


def apply_twice(f, x):
    return f(f(x))


def apply_twice_user(x):
    return np.sum(apply_twice(np.tanh, x)) + np.sum(apply_twice(cube, x))


ACT = np.tanh
ACT2 = cube


def global_activation(x, w):
    h = ACT(w * x)
    return np.sum(ACT2(h) + h)


def global_function_table(x):
    total = 0.0
    for fn in (np.sin, cube, np.exp):
        total = total + np.sum(fn(x))
    return total


# ------------------------------------------------------------- recursion

def rec(x, depth):
    if depth == 0:
        return x
    return np.sin(rec(x, depth - 1)) + 0.1 * x


def recursive(x):
    return np.sum(rec(x, 3))


def power_rec(x, n):
    if n == 0:
        return 1.0
    return x * power_rec(x, n - 1)


def recursive_scalar(x):
    return power_rec(x, 4) + power_rec(x, 0)


def star_helper(*xs):
    return xs[0] * xs[1]


def calls_star_args_helper(x):
    return np.sum(star_helper(x, np.sin(x)))


# ---------------------------------------------------------------- tuples

def split(x):
    return np.sin(x), np.cos(x), x * x


def unpack_tuple(x):
    s, c, q = split(x)
    return np.sum(s * c + q)


def tuple_indexed(x):
    parts = split(x)
    return np.sum(parts[0] * parts[2]) + np.sum(parts[1])


def swap(a, b):
    return b, a


def unpack_swapped(x, y):
    p, q = swap(x * 2.0, y)
    return np.sum(p * np.exp(q))


# ------------------------------------------------------ keywords, defaults

def scaled_power(x, k=2.0, p=2):
    return k * np.sum(x ** p)


def keywords_and_defaults(x):
    return (scaled_power(x) + scaled_power(x, k=3.0) + scaled_power(x, 0.5, p=3)
            + scaled_power(p=1, x=x) + scaled_power(x, k=x[0]))


def keyword_is_the_variable(x, k):
    return scaled_power(V3, k=k) + scaled_power(x, k=k * k)


# --------------------------------------------------------- helper in loop

def step(h, w):
    return np.tanh(w * h + 0.1)


def helper_in_loop(h, w):
    for _ in range(4):
        h = step(h, w)
    return np.sum(h)


def helper_in_loop_accumulate(x):
    total = 0.0
    for i in range(3):
        total = total + square_sum(x * (i + 1))
    return total


# ================================================================ closures

def make(a, c):
    def f(x):
        return np.sum(a * np.sin(x)) + c * np.sum(x * x)
    return f


CLOSED = make(np.array([0.5, -1.0, 2.0]), 0.25)


def uses_closure(x):
    return CLOSED(x) + CLOSED(2.0 * x)


def make_projector(a):
    def project(x):
        return np.sum(a.dot(x) ** 2)   # a method of the captured array
    return project


closure_method_dot = make_projector(M23)


def make_scaler(c):
    return lambda v: c * v * v


SCALE_BY_3 = make_scaler(3.0)
SHIFT = np.array([0.1, 0.2, 0.3])
GAIN = 1.5


def module_constants(x):
    return GAIN * np.sum((x - SHIFT) ** 2)


sq = lambda v: v * v  # noqa: E731
soft = lambda v, t=2.0: np.log(1.0 + np.exp(t * v)) / t  # noqa: E731


def lambda_helpers(x):
    return np.sum(sq(x) + soft(x)) + np.sum(SCALE_BY_3(x))


# =========================================================== array methods

def method_sum_axis(a):
    return np.sum(a.sum(axis=0) ** 2) + a.sum()


def method_mean(a):
    return a.mean() * a.mean(axis=1).sum()


def attribute_T(a, b):
    return np.sum(a.T * b)


def method_reshape_tuple(a):
    return np.sum(a.reshape((3, 2)) * M32)


def method_reshape_varargs(a):
    return np.sum(a.reshape(3, 2) * M32) + np.sum(a.reshape(-1) ** 2)


def method_dot(x, y):
    return x.dot(y) + (2.0 * x).dot(y * y)


def method_dot_on_global_array(x, y):
    # the method is called on a module-level constant array
    return M23.dot(x).dot(M23.dot(y))


def method_max_axis(a):
    return np.sum(a.max(axis=1) ** 2) + a.max()


def shape_attributes(a):
    n, m = a.shape
    return np.sum(a) / (n * m) + np.sum(a * a) / a.size + a.ndim * np.sum(a)


def method_copy(x):
    y = x.copy()
    y[0] = 2.0 * y[0]
    return np.sum(y * x)


def method_astype(x):
    return np.sum(x.astype(float) ** 3)


def method_flatten(a):
    return np.sum(a.flatten() * np.arange(6.0))


def method_item(x):
    return x[1].item() * x[0]


def method_tolist(x):
    return sum(x.tolist()) * x[0]


# ================================================================ builtins

def builtin_sum_of_list(x):
    return np.sum(sum([x, 2.0 * x, x * x]))


def builtin_sum_of_array(x):
    return sum(x * x)


def builtin_abs(x):
    return abs(x[0]) + np.sum(abs(x))


def builtin_min_max(x, y):
    return min(x, y) * 3.0 + max(x * x, y) - min(2.0, x)


def builtin_len_range(x):
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] * (i + 1)
    return total / len(x)


def builtin_float(x):
    return float(np.sum(x)) * float(x[0])


def builtin_int_constant(x):
    n = int(x * 2.0)  # no derivative: flows as a constant
    return n * x


def builtin_zip_enumerate(x, w):
    total = 0.0
    for i, (a, b) in enumerate(zip(x, w)):
        total = total + i * a * b + a * a
    return total


def builtin_isinstance(x):
    if isinstance(x, np.ndarray):
        return np.sum(x * x)
    return x * x * x


def builtin_isinstance_scalar(x):
    if isinstance(x, float):
        return x * x * x
    return np.sum(x)


# ============================================ zero or undefined derivatives

def zero_floor(x):
    return np.sum(np.floor(x) * x)


def zero_round(x):
    return np.sum(np.round(x * 3.0) * x)


def zero_sign(x):
    return np.sum(np.sign(x) * x * x)


def zero_argmax_index(x):
    return x[np.argmax(x)] * 2.0 + np.sum(x)


def zero_comparison(x):
    mask = x > 0.0
    return np.sum(mask * x) + np.sum((x < 0.5) * x * x)


def zero_int(x):
    return int(x) * x + x


# ================================================================== cases

X_ROUND = np.array([0.2, 1.3, -0.7])     # away from 1/3 steps
X_FLOOR = np.array([0.3, 1.6, -0.4])     # away from integers

CASES = [
    (calls_helper, (V3,), 0),
    (calls_helper_of_helper, (V3,), 0),
    (calls_two_arg_helper, (V3, W3), 0),
    (calls_two_arg_helper, (V3, W3), 1),
    (other_module_attribute, (V3,), 0),
    (other_module_imported, (V3,), 0),
    (other_module_tuple, (V3,), 0),
    (apply_user_function, (V3,), 0),
    (apply_numpy_function, (V3,), 0),
    (apply_shadowing_global, (V3,), 0),
    (apply_twice_user, (V3,), 0),
    (global_activation, (V3, W3), 0),
    (global_activation, (V3, W3), 1),
    (global_function_table, (V3,), 0),
    (recursive, (V3,), 0),
    (recursive_scalar, (0.7,), 0),
    (unpack_tuple, (V3,), 0),
    (tuple_indexed, (V3,), 0),
    (unpack_swapped, (V3, W3), 0),
    (unpack_swapped, (V3, W3), 1),
    (keywords_and_defaults, (V3,), 0),
    (keyword_is_the_variable, (V3, 0.8), 1),
    (helper_in_loop, (V3, W3), 0),
    (helper_in_loop, (V3, W3), 1),
    (helper_in_loop_accumulate, (V3,), 0),
    (uses_closure, (V3,), 0),
    (closure_method_dot, (V3,), 0),
    (module_constants, (V3,), 0),
    (lambda_helpers, (V3,), 0),
    (method_sum_axis, (M23,), 0),
    (method_mean, (M23,), 0),
    (attribute_T, (M23, M32), 0),
    (attribute_T, (M23, M32), 1),
    (method_reshape_tuple, (M23,), 0),
    (method_reshape_varargs, (M23,), 0),
    (method_dot, (V3, W3), 0),
    (method_dot, (V3, W3), 1),
    (method_dot_on_global_array, (V3, W3), 0),
    (method_dot_on_global_array, (V3, W3), 1),
    (method_max_axis, (M23,), 0),
    (shape_attributes, (M23,), 0),
    (method_copy, (V3,), 0),
    (method_astype, (V3,), 0),
    (method_flatten, (M23,), 0),
    (method_item, (V3,), 0),
    (method_tolist, (V3,), 0),
    (builtin_sum_of_list, (V3,), 0),
    (builtin_sum_of_array, (V3,), 0),
    (builtin_abs, (V3,), 0),
    (builtin_min_max, (0.3, 0.7), 0),
    (builtin_min_max, (0.3, 0.7), 1),
    (builtin_min_max, (0.9, 0.2), 0),
    (builtin_min_max, (0.9, 0.2), 1),
    (builtin_len_range, (V3,), 0),
    (builtin_float, (V3,), 0),
    (builtin_int_constant, (1.3,), 0),
    (builtin_zip_enumerate, (V3, W3), 0),
    (builtin_zip_enumerate, (V3, W3), 1),
    (builtin_isinstance, (V3,), 0),
    (builtin_isinstance_scalar, (0.6,), 0),
    (zero_floor, (X_FLOOR,), 0),
    (zero_round, (X_ROUND,), 0),
    (zero_sign, (V3,), 0),
    (zero_argmax_index, (V3,), 0),
    (zero_comparison, (np.array([-0.3, 0.2, 0.9]),), 0),
    (zero_int, (2.4,), 0),
]

# (function name, wrt, mode) -> reason, for known srcad bugs
XFAIL = {}


def _id(case):
    f, args, wrt = case
    return f"{f.__name__}-wrt{wrt}"


def _params(cases, modes=MODES):
    out = []
    for case in cases:
        for mode in modes:
            marks = []
            reason = XFAIL.get((case[0].__name__, case[2], mode))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            out.append(pytest.param(*case, mode, marks=marks,
                                    id=f"{_id(case)}-{mode}"))
    return out


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


@pytest.mark.parametrize("f,args,wrt,mode", _params(CASES))
def test_grad_matches_finite_differences(f, args, wrt, mode):
    before = [_copy(a) for a in args]
    got = srcad.grad(f, wrt=wrt, mode=mode)(*args)
    for a, b in zip(args, before):
        assert np.array_equal(a, b), "an input was modified"
    assert_like(got, args[wrt])
    np.testing.assert_allclose(got, numeric_grad(f, args, wrt),
                               rtol=1e-5, atol=1e-7)


SECOND_ORDER = [
    (calls_helper_of_helper, (V3,), 0),
    (calls_two_arg_helper, (V3, W3), 1),
    (other_module_attribute, (V3,), 0),
    (other_module_tuple, (V3,), 0),
    (apply_user_function, (V3,), 0),
    (apply_numpy_function, (V3,), 0),
    (apply_shadowing_global, (V3,), 0),
    (global_activation, (V3, W3), 0),
    (recursive, (V3,), 0),
    (unpack_tuple, (V3,), 0),
    (keywords_and_defaults, (V3,), 0),
    (helper_in_loop, (V3, W3), 1),
    (uses_closure, (V3,), 0),
    (lambda_helpers, (V3,), 0),
    (method_mean, (M23,), 0),
    (method_dot, (V3, W3), 0),
    (method_max_axis, (M23,), 0),
    (builtin_sum_of_list, (V3,), 0),
    (builtin_zip_enumerate, (V3, W3), 0),
    (zero_sign, (V3,), 0),
]

_DYNAMIC_CALL = ("srcad bug: second order through ad.call_forward whose "
                 "target is not a plain global name (a module attribute "
                 "helpers_mod.f, or a function-valued parameter) raises "
                 "'no derivative rule for srcad.runtime.call_forward'")
XFAIL_HESSIAN = {}


def _hessian_params():
    out = []
    for case in SECOND_ORDER:
        marks = []
        reason = XFAIL_HESSIAN.get(case[0].__name__)
        if reason:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        out.append(pytest.param(*case, marks=marks, id=_id(case)))
    return out


@pytest.mark.parametrize("f,args,wrt", _hessian_params())
def test_hessian_matches_finite_differences_of_grad(f, args, wrt):
    H = srcad.hessian(f, wrt=wrt)(*args)
    expected = numeric_jacobian(srcad.grad(f, wrt=wrt), args, wrt)
    n = np.size(args[wrt])
    np.testing.assert_allclose(np.reshape(H, (n, n)),
                               np.reshape(expected, (n, n)),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_apply_differentiated_directly_with_function_argument(mode):
    """grad of `apply` itself, by its array argument, with a user function
    and with a NumPy function as the (non-differentiated) first argument."""
    g = srcad.grad(lambda x: np.sum(apply(cube, x)), mode=mode)
    np.testing.assert_allclose(g(V3), 3 * V3 ** 2, rtol=1e-10)
    g = srcad.grad(apply, wrt=1, mode=mode)
    np.testing.assert_allclose(g(np.sin, 0.4), np.cos(0.4), rtol=1e-10)
    np.testing.assert_allclose(g(cube, 0.4), 3 * 0.4 ** 2, rtol=1e-10)


# ================================================================== errors

PYFUNC = np.frompyfunc(lambda v: v * 2.0, 1, 1)
_namespace = {}
exec("def made_by_exec(v):\n    return v * 2.0\n", _namespace)
MADE_BY_EXEC = _namespace["made_by_exec"]


def calls_pyfunc(x):
    y = x * 2.0
    return np.sum(PYFUNC(y))


def calls_exec_function(x):
    y = x * 2.0
    return np.sum(MADE_BY_EXEC(y))


def _line_of(fn, text):
    import inspect
    lines, start = inspect.getsourcelines(fn)
    for k, line in enumerate(lines):
        if text in line:
            return start + k
    raise AssertionError(text)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn,name", [(calls_pyfunc, "PYFUNC"),
                                     (calls_exec_function, "MADE_BY_EXEC")],
                         ids=["frompyfunc", "exec"])
def test_unreadable_call_without_rule_is_located_srcad_error(fn, name, mode):
    with pytest.raises(srcad.SrcadError) as info:
        srcad.grad(fn, mode=mode)(V3)
    message = str(info.value)
    assert name in message or ("made_by_exec" in message
                               if name == "MADE_BY_EXEC" else False), message
    assert "srcad.defrule" in message, message
    assert HERE in message, message
    line = _line_of(fn, name + "(")
    assert f"line {line}" in message, message


# ================================================================= caching

def _compiles():
    return srcad.pipeline.stats["compiles"]


def cache_me(x):
    return np.sum(np.sin(x) * x)


@pytest.mark.parametrize("mode", MODES)
def test_calling_a_gradient_twice_does_not_recompile(mode):
    g = srcad.grad(cache_me, mode=mode)
    first = g(V3)
    n = _compiles()
    second = g(V3 + 0.0)
    third = srcad.grad(cache_me, mode=mode)(W3)   # a new wrapper, same key
    assert _compiles() == n
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(third, numeric_grad(cache_me, (W3,), 0),
                               rtol=1e-6)


SCALE = 2.0


def uses_scale(x):
    return SCALE * np.sum(x * x)


def uses_scale_via_helper(x):
    return np.sum(scale_helper(x))


def scale_helper(x):
    return SCALE * np.sin(x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn,expected", [
    (uses_scale, lambda s, x: 2 * s * x),
    (uses_scale_via_helper, lambda s, x: s * np.cos(x)),
], ids=["direct", "in-helper"])
def test_rebinding_a_data_global_is_seen(fn, expected, mode):
    global SCALE
    g = srcad.grad(fn, mode=mode)
    try:
        SCALE = 2.0
        np.testing.assert_allclose(g(V3), expected(2.0, V3), rtol=1e-10)
        n = _compiles()
        SCALE = 3.0
        np.testing.assert_allclose(g(V3), expected(3.0, V3), rtol=1e-10)
        assert _compiles() == n
    finally:
        SCALE = 2.0


@pytest.mark.parametrize("mode", MODES)
def test_rebinding_a_global_of_another_module_is_seen(mode):
    g = srcad.grad(other_module_attribute, mode=mode)
    try:
        before = g(V3)
        helpers_mod.OFFSET = 1.5     # read by helpers_mod.two_level
        np.testing.assert_allclose(g(V3) - before, np.ones(3), rtol=1e-10)
    finally:
        helpers_mod.OFFSET = 0.5


def swappable(x):
    return np.sin(x)


def _swappable_cos(x):
    return np.cos(x)


def uses_swappable(x):
    return np.sum(swappable(x))


@pytest.mark.parametrize("mode", MODES)
def test_redefining_a_helper_is_seen(mode):
    global swappable
    original = swappable
    g = srcad.grad(uses_swappable, mode=mode)
    try:
        np.testing.assert_allclose(g(V3), np.cos(V3), rtol=1e-10)
        swappable = _swappable_cos          # a new function object
        np.testing.assert_allclose(g(V3), -np.sin(V3), rtol=1e-10)
        swappable = original
        np.testing.assert_allclose(g(V3), np.cos(V3), rtol=1e-10)
    finally:
        swappable = original


@pytest.mark.parametrize("mode", MODES)
def test_redefining_a_helper_in_another_module_is_seen(mode):
    original = helpers_mod.scaled_sin
    g = srcad.grad(other_module_attribute, mode=mode)
    try:
        base = g(V3)
        helpers_mod.scaled_sin = lambda x, k=2.0: k * x * x
        got = g(V3)
        expected = numeric_grad(other_module_attribute, (V3,), 0)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
        assert not np.allclose(got, base)
    finally:
        helpers_mod.scaled_sin = original


def clear_me(x):
    return np.sum(np.exp(x) * x)


def test_clear_cache_forces_a_rebuild():
    g = srcad.grad(clear_me)
    h = srcad.grad(clear_me, mode="forward")
    a, b = g(V3), h(V3)
    n = _compiles()
    g(V3)
    h(V3)
    assert _compiles() == n
    srcad.clear_cache()
    np.testing.assert_allclose(g(V3), a, rtol=1e-12)
    assert _compiles() > n
    m = _compiles()
    np.testing.assert_allclose(h(V3), b, rtol=1e-12)
    assert _compiles() > m
    k = _compiles()
    g(V3)
    h(V3)
    assert _compiles() == k


def test_star_args_helper_is_a_located_error():
    with pytest.raises(srcad.SrcadError) as info:
        srcad.grad(calls_star_args_helper)(V3)
    assert "*args" in str(info.value)


# ====================================== helpers with loops, through vjp
# A helper runs as the split pair: its forward half must return the value
# the primal computed, and must not save names of a loop that ran no
# times or a branch not taken.
def loop_helper(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
    return s


def calls_loop_helper(x, n):
    y = loop_helper(x, n)
    return y * y + x ** 2


def early_return_helper(x):
    for i in range(len(x)):
        if x[i] < 0:
            return np.sum(x[:i] ** 2)
    return np.sum(x)


def calls_early_return_helper(x):
    return early_return_helper(x) * 2.0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", [0, 1, 3])
def test_helper_with_a_loop_running_n_times(mode, n):
    g = srcad.grad(calls_loop_helper, mode=mode)(1.5, n)
    np.testing.assert_allclose(
        g, numeric_grad(calls_loop_helper, (1.5, n), 0), rtol=1e-6)
    value, _ = srcad.value_and_grad(calls_loop_helper, mode=mode)(1.5, n)
    assert value == calls_loop_helper(1.5, n)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x", [[1.0, 2.0, 3.0], [1.0, -2.0, 3.0],
                               [-1.0, 2.0], []])
def test_helper_returning_from_a_loop(mode, x):
    x = np.array(x)
    g = srcad.grad(calls_early_return_helper, mode=mode)(x)
    np.testing.assert_allclose(
        g, numeric_grad(calls_early_return_helper, (x,), 0), atol=1e-7)
    out, pullback = srcad.vjp(early_return_helper, x)
    assert out == early_return_helper(x)
    np.testing.assert_allclose(pullback(1.0)[0], g / 2.0)


# -- decorated helpers: read through a wrapper only if it passes through -----

def _doubling(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return 2.0 * fn(*args, **kwargs)
    return wrapper


def _logging(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        result = fn(*args, **kwargs)
        _calls.append(fn.__name__)
        return result
    return wrapper


_calls = []


@_doubling
def _doubled_sine(v):
    return np.sin(v)


@_logging
def _logged_sine(v):
    return np.sin(v)


@functools.lru_cache(maxsize=None)
def _cached_power(k):
    return float(k) ** 2


def _uses_doubled(x):
    return np.sum(_doubled_sine(x))


def _uses_logged(x):
    return np.sum(_logged_sine(x)) * _cached_power(3)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_decorators_that_pass_through_are_read_through(mode):
    check_grad(_uses_logged, np.array([0.3, 0.7]), mode=mode)
    assert _calls


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_decorator_changing_the_result_is_not_skipped(mode):
    with pytest.raises(srcad.UnsupportedSyntax, match="plain parameters"):
        srcad.grad(_uses_doubled, mode=mode)(np.array([0.3, 0.7]))


def _setting_k(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        kwargs["k"] = 5.0
        return fn(*args, **kwargs)
    return wrapper


def _updating_k(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        kwargs.update(k=5.0)
        return fn(*args, **kwargs)
    return wrapper


def _tripling_x(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = (args[0] * 3.0,)
        return fn(*args, **kwargs)
    return wrapper


def _reading_arguments(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _calls.append((len(args), kwargs.get("k")))
        return fn(*args, **kwargs)
    return wrapper


def _square_k(x, k=1.0):
    return k * x * x


@pytest.mark.parametrize("decorator", [_setting_k, _updating_k, _tripling_x])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_decorator_changing_the_arguments_is_not_skipped(decorator, mode):
    # read through, the wrapper's change would be lost: 1.4 for 7.0
    decorated = decorator(_square_k)

    def uses(x):
        return decorated(x)
    with pytest.raises(srcad.UnsupportedSyntax,
                       match="wrapper a decorator put around _square_k"):
        srcad.grad(uses, mode=mode)(0.7)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_decorator_reading_the_arguments_is_read_through(mode):
    decorated = _reading_arguments(_square_k)

    def uses(x):
        return decorated(x) + decorated(x, k=2.0)
    assert srcad.grad(uses, mode=mode)(0.7) == pytest.approx(4.2)


# -- defaults are the function's own values; closures are read live ----------

_K = 2.0


def _k_default(x, k=_K):
    return k * x * x


_K = 5.0  # rebound after the def: the default stays 2.0, as in Python


def _array_default(x, a=np.array([1.0, 2.0]) * 2.0):
    return np.sum(a * x)


def _enclosing(c):
    def inner(x, k=c):  # a default naming the enclosing function's local
        return k * x * x
    return inner


def _settable():
    w = 1.0

    def f(x):
        return w * x ** 2

    def set_w(v):
        nonlocal w
        w = v
    return f, set_w


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_defaults_are_the_functions_own_values(mode):
    assert srcad.grad(_k_default, mode=mode)(1.0) == 4.0
    assert srcad.value_and_grad(_k_default, mode=mode)(1.0) == (2.0, 4.0)
    assert srcad.grad(_k_default, mode=mode)(1.0, 3.0) == 6.0
    np.testing.assert_allclose(
        srcad.grad(_array_default, mode=mode)(np.ones(2)), [2.0, 4.0])
    assert srcad.grad(_enclosing(3.0), mode=mode)(1.0) == 6.0
    lambdas = [lambda x, i=i: i * x * x for i in range(3)]
    assert srcad.grad(lambdas[2], mode=mode)(1.0) == 4.0

    def calls(x):
        return _k_default(x) + _enclosing(3.0)(x)
    assert srcad.grad(calls, mode=mode)(1.0) == 10.0


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_closure_values_the_enclosing_function_rebinds_are_seen(mode):
    f, set_w = _settable()
    g = srcad.grad(f, mode=mode)
    assert g(1.0) == 2.0
    set_w(4.0)
    assert g(1.0) == 8.0

    def uses(x):
        return f(x) + x
    assert srcad.grad(uses, mode=mode)(1.0) == 9.0
    set_w(0.5)
    assert srcad.grad(uses, mode=mode)(1.0) == 2.0


@functools.lru_cache(maxsize=None)
def _cached_cube(x):
    return x ** 3


def _uses_cached(x):
    return _cached_cube(x) * 2.0 + _cached_cube(0.5)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_cached_helper_is_read_through(mode):
    # functools.lru_cache: a wrapper with no source around the function
    assert srcad.grad(_uses_cached, mode=mode)(0.5) == pytest.approx(1.5)
    assert srcad.grad(srcad.grad(_uses_cached))(0.5) == pytest.approx(6.0)


class _Doubling:
    """A decorator class: its __call__ may do anything."""

    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self.fn = fn

    def __call__(self, *args, **kwargs):
        return 2.0 * self.fn(*args, **kwargs)


@_Doubling
def _doubled_by_a_class(x):
    return np.sum(np.sin(x) ** 2)


def _uses_doubled_by_a_class(x):
    return _doubled_by_a_class(x)


@pytest.mark.parametrize("f", [_doubled_by_a_class, _uses_doubled_by_a_class])
def test_an_object_wrapping_a_function_is_not_read_through(f):
    # read through, its factor 2 was lost (a silent wrong gradient)
    with pytest.raises(srcad.SrcadError):
        srcad.grad(f)(np.array([0.3, 0.5]))
