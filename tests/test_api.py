"""The public API surface of srcad (see API.md), on straight-line functions."""
import importlib
import warnings

import numpy as np
import pytest

import srcad
from fdcheck import assert_like, check_grad, numeric_grad, numeric_jacobian


def f_xy(x, y):
    return np.sum(np.tanh(x * y))


def loss(w, X, y):
    r = X @ w - y
    return np.mean(r ** 2)


def vec_out(A, v):
    return np.tanh(A @ v)


def with_default(x, scale=2.0):
    return np.sum(scale * x ** 2)


rng = np.random.default_rng(1234)
X3 = rng.uniform(-1, 1, 3)
Y3 = rng.uniform(-1, 1, 3)
W = rng.uniform(-1, 1, 3)
XM = rng.uniform(-1, 1, (5, 3))
YV = rng.uniform(-1, 1, 5)
A23 = rng.uniform(-1, 1, (2, 3))


# ---------------------------------------------------------------- wrt forms

def test_default_wrt_is_first_argument():
    g = srcad.grad(f_xy)(X3, Y3)
    assert_like(g, X3)
    np.testing.assert_allclose(g, numeric_grad(f_xy, (X3, Y3), 0), rtol=1e-6)


def test_wrt_position():
    check_grad(f_xy, X3, Y3, wrt=1)


def test_wrt_name():
    by_name = check_grad(f_xy, X3, Y3, wrt="y")
    np.testing.assert_allclose(by_name, srcad.grad(f_xy, wrt=1)(X3, Y3))


def test_wrt_name_of_later_parameter():
    check_grad(loss, W, XM, YV, wrt="X")


def test_wrt_tuple_returns_tuple():
    gx, gy = check_grad(f_xy, X3, Y3, wrt=(0, 1))
    np.testing.assert_allclose(gx, srcad.grad(f_xy, wrt=0)(X3, Y3))
    np.testing.assert_allclose(gy, srcad.grad(f_xy, wrt=1)(X3, Y3))


def test_wrt_tuple_of_three():
    g = check_grad(loss, W, XM, YV, wrt=(0, 1, 2))
    assert len(g) == 3


def test_wrt_tuple_float_arguments():
    def h(a, b):
        return a * b + b ** 2
    ga, gb = srcad.grad(h, wrt=(0, 1))(1.5, -0.5)
    assert isinstance(ga, float) and isinstance(gb, float)
    assert ga == pytest.approx(-0.5) and gb == pytest.approx(1.5 - 1.0)


def test_tuple_gradients_are_independent_arrays():
    def h(a, b):
        return np.sum(a + b)
    ga, gb = srcad.grad(h, wrt=(0, 1))(A23, A23 * 2.0)
    assert not np.shares_memory(ga, gb)
    ga *= 5.0
    np.testing.assert_array_equal(gb, np.ones((2, 3)))


def test_gradient_types_follow_argument_types():
    def h(x):
        return np.sum(x * x)
    g = srcad.grad(h)
    assert isinstance(g(1.5), float) and g(1.5) == pytest.approx(3.0)
    assert isinstance(g(np.float64(1.5)), float)
    zero_d = g(np.array(1.5))
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == ()
    assert g(np.ones((2, 3, 4))).shape == (2, 3, 4)


def test_mode_reverse_explicit():
    g = srcad.grad(f_xy, wrt=0, mode="reverse")(X3, Y3)
    np.testing.assert_allclose(g, numeric_grad(f_xy, (X3, Y3), 0), rtol=1e-6)


# --------------------------------------------------------------- decorators

def test_bare_decorator():
    @srcad.grad
    def dloss(w, X):
        return np.sum((X @ w) ** 2)

    g = dloss(W, XM)
    assert_like(g, W)
    np.testing.assert_allclose(g, 2 * XM.T @ (XM @ W), rtol=1e-10)
    assert isinstance(dloss.source, str)


def test_decorator_with_wrt_name():
    @srcad.grad(wrt="w")
    def dloss(X, w):
        return np.sum((X @ w) ** 2)

    g = dloss(XM, W)
    assert_like(g, W)
    np.testing.assert_allclose(g, 2 * XM.T @ (XM @ W), rtol=1e-10)


def test_decorator_with_several_options():
    @srcad.grad(wrt=(0, 1), mode="reverse", optimize=False)
    def dprod(a, b):
        return np.sum(a * b * b)

    ga, gb = dprod(X3, Y3)
    np.testing.assert_allclose(ga, Y3 * Y3, rtol=1e-12)
    np.testing.assert_allclose(gb, 2 * X3 * Y3, rtol=1e-12)


# ---------------------------------------------------------- value_and_grad

def test_value_and_grad():
    value, g = srcad.value_and_grad(loss, wrt=0)(W, XM, YV)
    assert isinstance(value, float)
    assert value == pytest.approx(loss(W, XM, YV), rel=1e-12)
    np.testing.assert_allclose(g, srcad.grad(loss, wrt=0)(W, XM, YV), rtol=1e-12)
    np.testing.assert_allclose(g, numeric_grad(loss, (W, XM, YV), 0), rtol=1e-5, atol=1e-8)


def test_value_and_grad_default_wrt_and_floats():
    def h(a, b):
        return a * a * b
    value, g = srcad.value_and_grad(h)(3.0, 2.0)
    assert value == pytest.approx(18.0)
    assert isinstance(g, float) and g == pytest.approx(12.0)


def test_value_and_grad_tuple_wrt():
    value, (gx, gy) = srcad.value_and_grad(f_xy, wrt=(0, 1))(X3, Y3)
    assert value == pytest.approx(f_xy(X3, Y3), rel=1e-12)
    np.testing.assert_allclose(gx, numeric_grad(f_xy, (X3, Y3), 0), rtol=1e-6)
    np.testing.assert_allclose(gy, numeric_grad(f_xy, (X3, Y3), 1), rtol=1e-6)


# --------------------------------------------------------------------- vjp

def _jt_times(ct, jac):
    """J^T ct for a Jacobian of shape out.shape + arg.shape."""
    ct = np.asarray(ct)
    return np.tensordot(ct, jac, axes=ct.ndim)


def test_vjp_matches_jacobian_transpose():
    out, pullback = srcad.vjp(vec_out, A23, X3)
    np.testing.assert_allclose(out, vec_out(A23, X3), rtol=1e-12)
    ct = np.array([0.7, -1.3])
    cts = pullback(ct)
    assert isinstance(cts, tuple) and len(cts) == 2
    dA, dv = cts
    assert_like(dA, A23, "cotangent of A")
    assert_like(dv, X3, "cotangent of v")
    np.testing.assert_allclose(dA, _jt_times(ct, numeric_jacobian(vec_out, (A23, X3), 0)),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dv, _jt_times(ct, numeric_jacobian(vec_out, (A23, X3), 1)),
                               rtol=1e-6, atol=1e-9)


def test_vjp_elementwise_and_pullback_reusable():
    def h(x, y):
        return np.sin(x) * y + x ** 2
    out, pullback = srcad.vjp(h, X3, Y3)
    np.testing.assert_allclose(out, h(X3, Y3), rtol=1e-12)
    for ct in (np.ones(3), np.array([2.0, -1.0, 0.5])):
        dx, dy = pullback(ct)
        np.testing.assert_allclose(dx, _jt_times(ct, numeric_jacobian(h, (X3, Y3), 0)),
                                   rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(dy, _jt_times(ct, numeric_jacobian(h, (X3, Y3), 1)),
                                   rtol=1e-6, atol=1e-9)


def test_vjp_scalar_function_of_floats():
    def h(a, b):
        return a * b + a ** 3
    out, pullback = srcad.vjp(h, 2.0, 5.0)
    assert out == pytest.approx(18.0)
    da, db = pullback(1.5)
    assert isinstance(da, float) and isinstance(db, float)
    assert da == pytest.approx(1.5 * (5.0 + 12.0)) and db == pytest.approx(1.5 * 2.0)


# ------------------------------------------------------------------ source

def _assert_python_source(src):
    assert isinstance(src, str)
    compile(src, "<srcad generated>", "exec")
    assert "def" in src


def test_gradient_source_attribute():
    _assert_python_source(srcad.grad(f_xy).source)
    _assert_python_source(srcad.grad(loss, wrt=(0, 2), optimize=False).source)


def test_source_function():
    _assert_python_source(srcad.source(f_xy))
    _assert_python_source(srcad.source(f_xy, mode="reverse", wrt=0, optimize=True))
    _assert_python_source(srcad.source(loss, mode="reverse", wrt="w", optimize=False))


# ---------------------------------------------------------------- optimize

@pytest.mark.parametrize("func,args,wrt", [
    (f_xy, (X3, Y3), (0, 1)),
    (loss, (W, XM, YV), (0, 1, 2)),
], ids=["f_xy", "loss"])
def test_optimize_false_gives_same_numbers(func, args, wrt):
    fast = srcad.grad(func, wrt=wrt, optimize=True)(*args)
    slow = srcad.grad(func, wrt=wrt, optimize=False)(*args)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------- scalar output

@pytest.mark.parametrize("arg", [X3, A23], ids=["vec", "mat"])
def test_grad_of_non_scalar_output_raises(arg):
    def h(x):
        return np.sin(x)
    with pytest.raises(srcad.SrcadError, match="(?i)scalar"):
        srcad.grad(h)(arg)


# ------------------------------------------------------ keyword arguments

def test_keyword_arguments_at_call_time():
    g = srcad.grad(loss, wrt="w")
    expected = g(W, XM, YV)
    np.testing.assert_allclose(expected, numeric_grad(loss, (W, XM, YV), 0), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(g(W, XM, y=YV), expected, rtol=1e-12)
    np.testing.assert_allclose(g(W, X=XM, y=YV), expected, rtol=1e-12)
    np.testing.assert_allclose(g(y=YV, X=XM, w=W), expected, rtol=1e-12)


def test_keyword_arguments_with_positional_wrt():
    g = srcad.grad(loss, wrt=1)
    np.testing.assert_allclose(g(w=W, X=XM, y=YV), g(W, XM, YV), rtol=1e-12)
    value, gw = srcad.value_and_grad(loss)(w=W, y=YV, X=XM)
    assert value == pytest.approx(loss(W, XM, YV), rel=1e-12)
    np.testing.assert_allclose(gw, srcad.grad(loss)(W, XM, YV), rtol=1e-12)


def test_default_argument_values():
    g = srcad.grad(with_default)
    np.testing.assert_allclose(g(X3), 4.0 * X3, rtol=1e-12)
    np.testing.assert_allclose(g(X3, scale=3.0), 6.0 * X3, rtol=1e-12)
    np.testing.assert_allclose(g(X3, 0.5), 1.0 * X3, rtol=1e-12)


# ----------------------------------------------------------------- caching

def _compile_count():
    pipeline = importlib.import_module("srcad.pipeline")
    stats = getattr(pipeline, "stats", None)
    if not isinstance(stats, dict) or "compiles" not in stats:
        pytest.fail('srcad.pipeline.stats["compiles"] (a compilation counter) does not exist')
    return stats["compiles"]


def test_gradient_is_compiled_once():
    def fresh(x, y):
        return np.sum(x * y + np.sin(x))

    before = _compile_count()
    g = srcad.grad(fresh)
    first = g(X3, Y3)
    compiled = _compile_count()
    assert compiled > before, "building and calling a new gradient should compile it"

    second = g(X3, Y3)
    assert _compile_count() == compiled, "calling a gradient again recompiled it"
    np.testing.assert_array_equal(first, second)

    again = srcad.grad(fresh)
    np.testing.assert_array_equal(again(X3, Y3), first)
    assert _compile_count() == compiled, "building srcad.grad(f) again recompiled it"


def test_cached_gradient_works_for_new_shapes_and_values():
    def fresh2(x, y):
        return np.sum(np.exp(x) * y)

    g = srcad.grad(fresh2, wrt=(0, 1))
    for x, y in [(X3, Y3), (A23, A23 * 2.0), (0.3, 1.7), (A23, X3)]:
        gx, gy = g(x, y)
        assert_like(gx, x)
        assert_like(gy, y)
        np.testing.assert_allclose(gx, numeric_grad(fresh2, (x, y), 0), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(gy, numeric_grad(fresh2, (x, y), 1), rtol=1e-6, atol=1e-9)


# ---------------------------------------------- tuples and lists as outputs

def _sum_and_prod(x):
    return np.sum(x), np.prod(x)


def _pair(x):
    return x, x


def _sin_and_x(x):
    return np.sin(x), x


def _listed(x):
    out = []
    out.append(np.sum(x))
    out.append(np.max(x))
    return out


def _tuple_or_number(x, c):
    if c:
        t = (np.sum(x), np.max(x))
    else:
        t = np.sum(x * x)
    return t


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f", [_sum_and_prod, _pair, _sin_and_x, _listed])
@pytest.mark.parametrize("arg", [0.7, X3], ids=["float", "vec"])
def test_grad_of_tuple_or_list_output_is_a_located_error(f, arg, mode):
    for transform in (srcad.grad, srcad.value_and_grad):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no SyntaxWarning either
            with pytest.raises(srcad.errors.NonScalarOutput,
                               match=r"(?s)test_api\.py.*return.*tuple"):
                transform(f, mode=mode)(arg)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_grad_of_output_tuple_in_one_branch_only(mode):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no SyntaxWarning
        check_grad(_tuple_or_number, X3, False, mode=mode)
        with pytest.raises(srcad.errors.NonScalarOutput,
                           match="(?s)return t.*tuple"):
            srcad.grad(_tuple_or_number, mode=mode)(X3, True)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("z", [np.array([0.3 + 0.4j, 1.0 - 2.0j]), 0.5 + 1j])
def test_complex_arguments_are_refused(z, mode):
    def f(z):
        return np.sum(np.real(z) ** 2 + np.imag(z) ** 2)
    with pytest.raises(srcad.UsageError, match="complex"):
        srcad.grad(f, mode=mode)(z)


def test_jvp_takes_none_for_a_zero_tangent():
    def product(a, b):
        return a * b

    def items(xs, y):
        return np.sum(xs[0] * y) + xs[1]
    assert srcad.jvp(product, (1.0, 2.0), (None, 1.0)) == (2.0, 1.0)
    out, tangent = srcad.jvp(items, ([np.ones(2), 3.0], np.array([1.0, 2.0])),
                             (None, np.ones(2)))
    assert (out, tangent) == (6.0, 2.0)


def test_jvp_tangent_of_another_shape_is_a_usage_error():
    def scaled(x, s):
        return np.sum(x * s)
    with pytest.raises(srcad.UsageError, match=r"tangent of primal 0 has "
                       r"shape \(4,\), the primal \(3,\)"):
        srcad.jvp(scaled, (np.ones(3), 2.0), (np.ones(4), None))


def _inner_loss(w, X, y):
    return np.mean((X @ w - y) ** 2)


def _meta_loss(lr, w0, X, y):
    w = w0
    for i in range(3):
        w = w - lr * srcad.grad(_inner_loss)(w, X, y)
    return np.mean((X @ w - y) ** 2)


def test_a_transform_made_inside_a_differentiated_function_is_built_once():
    from srcad import pipeline
    assert srcad.grad(_inner_loss) == srcad.grad(_inner_loss)
    assert hash(srcad.grad(_inner_loss)) == hash(srcad.grad(_inner_loss))
    assert srcad.grad(_inner_loss) != srcad.grad(_inner_loss, wrt=1)
    rng = np.random.default_rng(0)
    X, y, w0 = rng.normal(size=(20, 3)), rng.normal(size=20), np.zeros(3)
    g = srcad.grad(_meta_loss)
    first = g(0.1, w0, X, y)
    before = pipeline.stats["compiles"]
    assert g(0.1, w0, X, y) == first
    assert pipeline.stats["compiles"] == before  # nothing built again
    eps = 1e-6
    assert first == pytest.approx((_meta_loss(0.1 + eps, w0, X, y) -
                                   _meta_loss(0.1 - eps, w0, X, y)) / 2 / eps,
                                  rel=1e-6)
