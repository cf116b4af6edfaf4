"""jvp, vjp, jacobian, hessian and higher derivatives against closed forms."""
import functools
import math

import numpy as np
import pytest

import srcad
from fdcheck import numeric_jacobian

RNG = np.random.default_rng(7)
A = RNG.normal(size=(4, 3))
B = RNG.normal(size=4)
Q = RNG.normal(size=(3, 3))
Q = Q @ Q.T + np.eye(3)


def affine(x):
    return A @ x + B


def elementwise(x):
    return np.sin(x) * x


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def quadratic(x):
    return 0.5 * x @ Q @ x + np.sum(x)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def matrix_map(W):
    return np.tanh(W) @ W.T


def two_outputs(x, y):
    return x * y, np.sum(x) + y


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_closed_forms(mode):
    x = RNG.normal(size=3)
    np.testing.assert_allclose(srcad.jacobian(affine, mode=mode)(x), A)
    np.testing.assert_allclose(srcad.jacobian(elementwise, mode=mode)(x),
                               np.diag(np.cos(x) * x + np.sin(x)))
    s = softmax(x)
    np.testing.assert_allclose(srcad.jacobian(softmax, mode=mode)(x),
                               np.diag(s) - np.outer(s, s), atol=1e-12)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_matrix_map_has_out_shape_then_in_shape(mode):
    W = RNG.normal(size=(2, 3))
    J = srcad.jacobian(matrix_map, mode=mode)(W)
    assert J.shape == (2, 2, 2, 3)
    np.testing.assert_allclose(J, numeric_jacobian(matrix_map, [W], 0),
                               rtol=1e-6, atol=1e-8)


def test_jacobian_of_tuple_wrt():
    x, y = RNG.normal(size=3), RNG.normal(size=3)
    f = lambda_free_product
    jx, jy = srcad.jacobian(f, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(jx, np.diag(y))
    np.testing.assert_allclose(jy, np.diag(x))


def lambda_free_product(x, y):
    return x * y


def test_hessians_closed_forms():
    x = RNG.normal(size=3)
    np.testing.assert_allclose(srcad.hessian(quadratic)(x), Q, rtol=1e-12)
    z = np.array([-1.2, 1.0, 0.5, 0.8])
    H = srcad.hessian(rosenbrock)(z)
    expected = np.zeros((4, 4))
    for i in range(3):
        expected[i, i] += 1200 * z[i] ** 2 - 400 * z[i + 1] + 2
        expected[i + 1, i + 1] += 200
        expected[i, i + 1] -= 400 * z[i]
        expected[i + 1, i] -= 400 * z[i]
    np.testing.assert_allclose(H, expected, rtol=1e-10)
    p = softmax(x)
    np.testing.assert_allclose(srcad.hessian(logsumexp)(x),
                               np.diag(p) - np.outer(p, p), atol=1e-12)


def test_hessian_reverse_over_reverse_agrees():
    z = np.array([-1.2, 1.0, 0.5, 0.8])
    forward_over_reverse = srcad.hessian(rosenbrock)(z)
    reverse_over_reverse = srcad.jacobian(srcad.grad(rosenbrock))(z)
    np.testing.assert_allclose(reverse_over_reverse, forward_over_reverse,
                               rtol=1e-12)


def cubic(x):
    return x ** 3 * math.sin(x)


def test_third_derivative():
    x = 0.7
    third = srcad.grad(srcad.grad(srcad.grad(cubic)))(x)
    # d3/dx3 of x^3 sin x
    expected = (6 * math.sin(x) + 18 * x * math.cos(x)
                - 9 * x ** 2 * math.sin(x) - x ** 3 * math.cos(x))
    assert isinstance(third, float)
    assert math.isclose(third, expected, rel_tol=1e-9)


def looped(x):
    s = 0.0
    for k in range(1, 4):
        if x > 0:
            s = s + math.sin(k * x)
        else:
            s = s - x ** k
    return s


@pytest.mark.parametrize("x", [0.6, -0.8])
def test_second_and_third_derivatives_through_loops_and_branches(x):
    second = srcad.grad(srcad.grad(looped))(x)
    third = srcad.grad(srcad.grad(srcad.grad(looped)))(x)
    if x > 0:
        want2 = sum(-k * k * math.sin(k * x) for k in range(1, 4))
        want3 = sum(-k ** 3 * math.cos(k * x) for k in range(1, 4))
    else:
        want2 = -(2 + 6 * x)
        want3 = -6.0
    assert math.isclose(second, want2, rel_tol=1e-9)
    assert math.isclose(third, want3, rel_tol=1e-9, abs_tol=1e-12)


def test_jvp_and_vjp_of_tuple_outputs():
    x, y = RNG.normal(size=3), 0.7
    dx, dy = RNG.normal(size=3), 0.3
    (p, q), (dp, dq) = srcad.jvp(two_outputs, (x, y), (dx, dy))
    np.testing.assert_allclose(p, x * y)
    np.testing.assert_allclose(dp, dx * y + x * dy)
    assert math.isclose(dq, np.sum(dx) + dy)
    out, pullback = srcad.vjp(two_outputs, x, y)
    cp, cq = RNG.normal(size=3), 0.9
    bx, by = pullback((cp, cq))
    np.testing.assert_allclose(bx, cp * y + cq)
    assert math.isclose(by, np.sum(cp * x) + cq)


def inner(x):
    return np.sum(np.cos(x) * x)


def calls_grad(x):
    return np.sum(srcad.grad(inner)(x) ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_function_that_calls_grad_is_differentiable(mode):
    x = RNG.normal(size=3)
    np.testing.assert_allclose(srcad.grad(calls_grad, mode=mode)(x),
                               numeric_jacobian(calls_grad, [x], 0),
                               rtol=1e-6, atol=1e-8)



def scaled_potential(x, a):
    return np.sum(a * x ** 4)


def calls_grad_of_scaled(x, a):
    return np.sum(srcad.grad(scaled_potential)(x, a) ** 2)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_second_order_with_respect_to_a_broadcast_scale(shape):
    # a is spread over x's shape inside grad(scaled_potential): the
    # derivative with respect to a sums it back (unbroadcast's transpose)
    x, a = RNG.normal(size=shape), 0.7
    if not shape:
        x = float(x)
    g = srcad.grad(scaled_potential)
    want = numeric_jacobian(g, [x, a], 1)
    out, pullback = srcad.vjp(g, x, a)
    ct = RNG.normal(size=shape)
    np.testing.assert_allclose(pullback(ct)[1], np.sum(ct * want),
                               rtol=1e-6)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(
            srcad.jacobian(g, wrt=1, mode=mode)(x, a), want, rtol=1e-6)
        got = srcad.grad(calls_grad_of_scaled, wrt=(0, 1), mode=mode)(x, a)
        for w in (0, 1):
            np.testing.assert_allclose(
                got[w], numeric_jacobian(calls_grad_of_scaled, [x, a], w),
                rtol=1e-6, atol=1e-8)


def calls_value_and_grad(x):
    v, g = srcad.value_and_grad(inner)(x)
    return v * np.sum(g ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_function_that_calls_value_and_grad_is_differentiable(mode):
    x = RNG.normal(size=3)
    np.testing.assert_allclose(
        srcad.grad(calls_value_and_grad, mode=mode)(x),
        numeric_jacobian(calls_value_and_grad, [x], 0), rtol=1e-6,
        atol=1e-8)


def calls_vjp(x):
    out, pullback = srcad.vjp(elementwise, x)
    (gx,) = pullback(np.ones(3))
    return np.sum(gx ** 2)


def calls_jvp(x):
    out, t = srcad.jvp(elementwise, (x,), (np.ones(3),))
    return np.sum(t ** 2)


def calls_jacobian(x):
    return np.sum(srcad.jacobian(elementwise)(x) ** 2)


def calls_jacobian_by_name(x):
    J = srcad.jacobian(elementwise, mode="forward")
    K = J
    return np.sum(K(x) ** 2)


def calls_hessian(x):
    return np.sum(srcad.hessian(inner)(x) ** 2)


def calls_partial(x):
    # a function value made from x by a call srcad has no rule for
    p = functools.partial(elementwise, x)
    return np.sum(p())


def calls_jacobian_of_a_constant(x):
    return np.sum(srcad.jacobian(elementwise)(np.ones(3)) @ x)


# each line: the function, the line its error points at, the advice
NOT_DIFFERENTIABLE_INSIDE = [
    (calls_vjp, "out, pullback = srcad.vjp", r"gradient of np.sum\(F\(x\) "
     r"\* ct\).*srcad.grad"),
    (calls_jvp, "out, t = srcad.jvp", r"srcad.grad\(F\)\(x\) \* v"),
    (calls_jacobian, "srcad.jacobian(elementwise)(x)",
     "srcad.jacobian.*compute the jacobian outside.*srcad.grad"),
    (calls_jacobian_by_name, "np.sum(K(x) ** 2)",
     "srcad.jacobian.*compute the jacobian outside"),
    (calls_hessian, "srcad.hessian(inner)(x)",
     "srcad.hessian.*compute the hessian outside.*srcad.grad"),
    (calls_partial, "p = functools.partial", "functools.partial"),
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, line, advice", NOT_DIFFERENTIABLE_INSIDE)
def test_vjp_jvp_jacobian_hessian_inside_are_located_errors(f, line, advice,
                                                            mode):
    # their results hold or are computed by code srcad does not follow:
    # an error at the user's line, never zeros (vjp's pullback gave them)
    with pytest.raises(srcad.NoDerivativeRule, match=advice) as caught:
        srcad.grad(f, mode=mode)(RNG.normal(size=3))
    assert caught.value.filename == __file__
    assert line in caught.value.line


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_inside_of_values_not_differentiated_is_fine(mode):
    x = RNG.normal(size=3)
    f = calls_jacobian_of_a_constant
    np.testing.assert_allclose(srcad.grad(f, mode=mode)(x),
                               numeric_jacobian(f, [x], 0), rtol=1e-6)


def test_forward_grad_of_matrix_equals_reverse():
    W = RNG.normal(size=(2, 3))
    f = frobenius_tanh
    np.testing.assert_allclose(srcad.grad(f, mode="forward")(W),
                               srcad.grad(f)(W), rtol=1e-12)


def frobenius_tanh(W):
    return np.sum(np.tanh(W) ** 2)


def _cube(x):
    return x ** 3


def test_forward_grad_differentiated_again_is_a_clear_error():
    g2 = srcad.grad(srcad.grad(_cube, mode="forward"))
    with pytest.raises(srcad.SrcadError, match="reverse mode"):
        g2(2.0)
    # the other way round works
    assert srcad.grad(srcad.grad(_cube), mode="forward")(2.0) == 12.0


# -- parameters left to their defaults, arguments by keyword ------------------

W0 = np.array([1.0, -2.0, 0.5])


def weighted(x, w=W0, scale=2.0):
    return scale * np.tanh(w * x)


def weighted_sum(x, w=W0, scale=2.0):
    s = 0.0
    for k in range(2):  # a loop: a version compiled per kind of argument
        s = s + scale * np.sum(np.tanh(w * x) ** 2)
    return s


@pytest.mark.parametrize("f", [weighted, weighted_sum])
def test_jvp_with_parameters_left_to_their_defaults(f):
    x, dx, dw = RNG.normal(size=3), RNG.normal(size=3), RNG.normal(size=3)
    out, dout = srcad.jvp(f, (x,), (dx,))
    np.testing.assert_allclose(out, f(x))
    np.testing.assert_allclose(
        dout, numeric_jacobian(f, [x, W0, 2.0], 0) @ dx, rtol=1e-6)
    _, dout = srcad.jvp(f, (x, W0), (dx, dw))
    want = numeric_jacobian(f, [x, W0, 2.0], 0) @ dx + \
        numeric_jacobian(f, [x, W0, 2.0], 1) @ dw
    np.testing.assert_allclose(dout, want, rtol=1e-6)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_with_defaults_and_keywords(mode):
    x = RNG.normal(size=3)
    for kwargs, full in (({}, [x, W0, 2.0]),
                         ({"scale": 3.0}, [x, W0, 3.0]),
                         ({"w": -W0, "scale": 0.5}, [x, -W0, 0.5])):
        for wrt in (0, "w", -2):
            got = srcad.jacobian(weighted, wrt=wrt, mode=mode)(x, **kwargs)
            np.testing.assert_allclose(
                got, numeric_jacobian(weighted, full, wrt % 3 if
                                      isinstance(wrt, int) else 1),
                rtol=1e-6, atol=1e-9)
    # all positional
    np.testing.assert_allclose(
        srcad.jacobian(weighted, mode=mode)(x, W0, 1.5),
        numeric_jacobian(weighted, [x, W0, 1.5], 0), rtol=1e-6, atol=1e-9)


def test_hessian_with_defaults_and_keywords():
    x = RNG.normal(size=3)
    for kwargs, full in (({}, [x, W0, 2.0]), ({"scale": 3.0}, [x, W0, 3.0]),
                         ({"w": -W0}, [x, -W0, 2.0])):
        for wrt in (0, "w"):
            k = 0 if wrt == 0 else 1
            g = srcad.grad(weighted_sum, wrt=wrt)
            got = srcad.hessian(weighted_sum, wrt=wrt)(x, **kwargs)
            np.testing.assert_allclose(got, numeric_jacobian(g, full, k),
                                       rtol=1e-5, atol=1e-8)
    assert math.isclose(srcad.hessian(_scaled_square)(1.3), 4.0)
    assert math.isclose(srcad.hessian(_scaled_square)(1.3, scale=3.0), 6.0)


def _scaled_square(x, scale=2.0):
    return scale * x ** 2


# -- the Jacobian of a tuple or list of outputs: that of their stack -----------

def sum_and_prod(x):
    return np.sum(x), np.prod(x)


def three_numbers(x):
    return np.sum(x), np.prod(x), np.max(x) * 2.0


def listed_maps(x):
    return [x * 2.0, np.sin(x)]


def carried_pair(x, n):
    t = (np.sum(x), np.prod(x))
    for k in range(n):
        t = (t[1] * 0.5, t[0] + np.sum(x ** 2))
    return t


def ragged(x):
    return x * 2.0, np.sum(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("shape", [(1,), (3,), (2, 2)])
def test_jacobian_of_tuple_outputs_is_that_of_their_stack(mode, shape):
    x = RNG.uniform(0.5, 1.5, size=shape)
    for f, args in ((sum_and_prod, [x]), (three_numbers, [x]),
                    (listed_maps, [x]), (carried_pair, [x, 1]),
                    (carried_pair, [x, 3])):
        J = srcad.jacobian(f, mode=mode)(*args)
        want = numeric_jacobian(f, args, 0)
        assert J.shape == np.shape(f(*args)) + shape
        np.testing.assert_allclose(J, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_tuple_carried_by_a_loop_that_does_not_run(mode):
    x = RNG.uniform(0.5, 1.5, size=3)
    np.testing.assert_allclose(
        srcad.jacobian(carried_pair, mode=mode)(x, 0),
        numeric_jacobian(carried_pair, [x, 0], 0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_outputs_of_different_shapes_is_an_error(mode):
    with pytest.raises(srcad.SrcadError, match=r"one shape.*\(3,\), \(\)"):
        srcad.jacobian(ragged, mode=mode)(RNG.normal(size=3))


# -- second derivatives through lists and tuples the function builds ---------
# (the adjoint of a list is a list: its contributions add item by item, in
# the generated derivative and in the derivative of that)

def list_display(x):
    items = [x, x * 2]
    return np.sum(items[0] * items[1] * items[0])


def list_appended(x):
    items = [x]
    items.append(np.sin(x))
    return np.sum(items[0] * items[1])


def tuple_reused(x):
    pair = (x, 2 * x)
    u = pair[0] + pair[1]
    return np.sum(u * pair[0] * pair[0])


def _two(x):
    return x, x * x


def tuple_helper(x):
    return np.sum(_two(x)[0] * _two(x)[1])


def list_loop(x):
    items = [x, np.sin(x), x * x]
    s = 0.0
    for v in items:
        s = s + np.sum(v * v * x)
    return s


def stacked(x):
    items = [x, np.cos(x)]
    return np.sum(np.stack(items) ** 3)


@pytest.mark.parametrize("f", [list_display, list_appended, tuple_reused,
                               tuple_helper, list_loop, stacked])
@pytest.mark.parametrize("shape", [(), (3,)])
def test_second_derivatives_through_built_lists(f, shape):
    x = RNG.uniform(0.2, 1.0, size=shape)
    x = float(x) if shape == () else x
    for optimize in (True, False):
        gradient = srcad.grad(f, optimize=optimize)
        expected = numeric_jacobian(gradient, [x], 0)
        hessian = srcad.hessian(f)(x)
        np.testing.assert_allclose(hessian, expected, rtol=1e-5, atol=1e-7)
        again = srcad.jacobian(gradient)(x) if shape else \
            srcad.grad(gradient, optimize=optimize)(x)
        np.testing.assert_allclose(again, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", [list_display, list_appended, tuple_reused,
                               tuple_helper, list_loop, stacked])
@pytest.mark.parametrize("optimize", [True, False])
def test_third_derivatives_through_built_lists(f, optimize):
    x = 0.7
    grad = functools.partial(srcad.grad, optimize=optimize)
    third = grad(grad(grad(f)))(x)
    second = grad(grad(f))
    assert math.isclose(third, numeric_jacobian(second, [x], 0),
                        rel_tol=1e-5, abs_tol=1e-7)
    if f is tuple_helper:  # x ** 3 in all
        assert math.isclose(third, 6.0, rel_tol=1e-9)


def mlp_loss(W, X):
    return np.mean((X @ W) ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_float32_in_float32_out(mode):
    W = RNG.normal(size=(3, 2)).astype(np.float32)
    X = RNG.normal(size=(4, 3)).astype(np.float32)
    g = srcad.grad(mlp_loss, wrt=(0, 1), mode=mode)(W, X)
    assert [d.dtype for d in g] == [np.float32, np.float32]
    J = srcad.jacobian(elementwise, mode=mode)(W[:, 0])
    assert J.dtype == np.float32
    np.testing.assert_allclose(
        J, srcad.jacobian(elementwise, mode=mode)(W[:, 0].astype(float)),
        rtol=1e-5)
    assert srcad.hessian(mlp_loss)(W, X).dtype == np.float32
    _, pullback = srcad.vjp(mlp_loss, W, X)
    assert pullback(np.float32(1.0))[0].dtype == np.float32
    # and float64 stays float64
    assert srcad.jacobian(elementwise, mode=mode)(W[:, 0].astype(float)) \
        .dtype == np.float64


# -- second order through repeated positions (ad.add_at in generated code) ---

def picked_twice(x):
    return np.sum(x[[0, 0, 1]] ** 3)


def picked_in_loop(x):
    s = 0.0
    idx = np.array([0, 0, 1])
    for k in range(3):
        s = s + np.sum(x[idx] ** 3) * (k + 1)
    return s


def counted_while(x):
    s = 0.0
    i = 0
    while i < x.shape[0]:
        s = s + x[i] ** 3
        i += 1
    return s


@pytest.mark.parametrize("f", [picked_twice, picked_in_loop, counted_while])
def test_second_order_through_positions_added_at(f):
    x = np.array([0.5, -0.7, 1.1])
    want = numeric_jacobian(srcad.grad(f), [x], 0)
    np.testing.assert_allclose(srcad.hessian(f)(x), want, rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(srcad.jacobian(srcad.grad(f))(x), want,
                               rtol=1e-5, atol=1e-7)
    assert np.abs(want).max() > 1.0  # not a zero Hessian by accident


# -- second order through items written in a loop ---------------------------
# The gradient reads by[i] and then zeroes by[i]; its batched tangent must
# read the directions of by[i] as numbers, not as a view zeroed with them.

def scaled_items(x, n):
    y = np.zeros(x.shape[0])
    for i in range(n):
        y[i] = x[i] * 3.0
    return np.sum(y ** 2) + np.sum(x ** 3)


def summed_items(x, n):
    y = np.zeros(x.shape[0])
    for i in range(n):
        y[i] = np.sum(x) * (i + 1)
    return np.sum(y ** 2) + np.sum(x ** 3)


def neighbour_items(x, n):
    y = np.zeros(x.shape[0])
    for i in range(n):
        y[i] = x[i] * x[i - 1]
    return np.sum(np.sin(y)) + np.sum(x ** 3)


def overwritten_items(x, n):  # old items go on the tape
    y = np.ones(2)
    for i in range(n):
        y[i % 2] = y[i % 2] * x[i] + x[(i + 1) % 4]
    return np.sum(y ** 3) + np.sum(x ** 3)


def matrix_items(x, n):
    y = np.zeros((2, 2))
    for i in range(n):
        y[i % 2, (i + 1) % 2] = np.tanh(x[i]) * y[(i + 1) % 2, i % 2] + x[i]
    return np.sum(y ** 3) + np.sum(x ** 3)


@pytest.mark.parametrize("f", [scaled_items, summed_items, neighbour_items,
                               overwritten_items, matrix_items])
@pytest.mark.parametrize("n", [0, 1, 4])
def test_second_order_through_items_written_in_a_loop(f, n):
    _second_order_three_ways(f, np.array([0.3, -0.7, 0.5, 1.1]), n)


def _second_order_three_ways(f, x, n):
    """hessian and both modes of jacobian(grad) against finite differences
    of the gradient, which must not be zero by accident."""
    want = numeric_jacobian(srcad.grad(f), [x, n], 0)
    assert np.abs(want).max() > 1.0  # not a zero Hessian by accident
    for transform in (srcad.hessian(f),
                      srcad.jacobian(srcad.grad(f), mode="forward"),
                      srcad.jacobian(srcad.grad(f))):
        np.testing.assert_allclose(transform(x, n), want, rtol=1e-5,
                                   atol=1e-6)


# -- third order through branches and loops ---------------------------------
# A gradient's sweep drops what it pops for a constant it pushed (the
# branch flag: bys.pop()); differentiated again, that pop must be followed.

def branch_then_loop(x, n):
    if x > 0.5:
        r = x * x
    else:
        r = x
    for i in range(n):
        r = r * x
    return r


def breaking_loop(x, n):
    s = x
    acc = 0.0
    for i in range(n):
        if s > 3.0:
            break
        s = s * 1.5 + math.sin(x)
        acc = acc + s * x
    return acc


@pytest.mark.parametrize("f", [branch_then_loop, breaking_loop])
@pytest.mark.parametrize("n", [0, 1, 6])
@pytest.mark.parametrize("x", [0.3, 0.8, 1.3])
def test_third_order_through_branches_and_loops(f, n, x):
    g1 = srcad.grad(f)
    g2 = srcad.grad(g1)
    want2 = numeric_jacobian(g1, [x, n], 0)
    want3 = numeric_jacobian(g2, [x, n], 0)
    assert math.isclose(g2(x, n), want2, rel_tol=1e-6, abs_tol=1e-6)
    assert math.isclose(srcad.grad(g2)(x, n), want3, rel_tol=1e-5,
                        abs_tol=1e-5)
    assert math.isclose(srcad.grad(g2, mode="forward")(x, n), want3,
                        rel_tol=1e-5, abs_tol=1e-5)
    if n > 1:  # not a zero derivative by accident
        assert abs(want3) > 0.5


# -- second order through arrays made and written in a loop ------------------
# The gradient accumulates bnew = bnew + bu and then writes bnew[0] = 0.0;
# differentiated again, that handover of a new array is no second name.

def rebuilt_each_pass(x, n):
    u = x
    for t in range(n):
        new = np.zeros(2)
        new[0] = u[1] * u[0]
        new[1] = u[0]
        u = new
    return np.sum(u) + np.sum(x ** 3)


def heat_steps(x, n):
    u = x
    for t in range(n):
        new = np.zeros(len(u))
        new[1:-1] = u[1:-1] + 0.2 * (u[2:] - 2.0 * u[1:-1] + u[:-2]) \
            - 0.1 * u[1:-1] ** 3
        new[0] = u[0]
        new[-1] = u[-1] * u[-2]
        u = new
    return np.sum(u ** 2) + np.sum(x ** 3)


def heat_of_number(x, n):
    return heat_steps(np.array([x, 1.0 - x, x * x, 0.5]), n)


@pytest.mark.parametrize("f,x", [
    (rebuilt_each_pass, np.array([0.3, -0.5])),
    (heat_steps, np.array([0.3, -0.5, 0.9, 0.2, -0.4]))])
@pytest.mark.parametrize("n", [0, 1, 5])
def test_second_order_through_arrays_made_in_a_loop(f, x, n):
    _second_order_three_ways(f, x, n)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_second_derivative_through_arrays_made_in_a_loop(n):
    g = srcad.grad(heat_of_number)
    want = numeric_jacobian(g, [0.3, n], 0)
    assert abs(want) > 1.0
    for mode in ("reverse", "forward"):
        assert math.isclose(srcad.grad(g, mode=mode)(0.3, n), want,
                            rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_items_of_different_shapes_is_a_usage_error(mode):
    def layer(params, x):
        W, b = params
        return np.tanh(x @ W + b)
    params = (np.full((3, 2), 0.1), np.array([1.0, 2.0]))
    with pytest.raises(srcad.UsageError, match="'params'.*different shapes"):
        srcad.jacobian(layer, mode=mode)(params, np.ones((4, 3)))


# -- second derivatives mixing interp's x and fp, trapezoid's y and x ---------

def interp_of_itself(v):
    xp = np.array([0.0, 1.0, 2.0])
    return np.sum(np.interp(v, xp, v * 2.0 + 1.0) ** 2)


def trapezoid_moving(y, x):
    return np.trapezoid(y * y, x) + np.trapezoid(np.sin(y), x=x ** 2)


def trapezoid_rows(Y, x):
    return np.sum(np.trapezoid(Y ** 2, x, axis=0))


def test_hessian_through_interp_with_x_and_fp_moving():
    v = np.array([0.3, 0.5, 1.5])
    expected = numeric_jacobian(srcad.grad(interp_of_itself), [v], 0)
    np.testing.assert_allclose(srcad.hessian(interp_of_itself)(v), expected,
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f, y, x", [
    (trapezoid_moving, np.array([0.3, 0.5, 0.9, -0.4]),
     np.array([0.0, 0.4, 1.1, 1.3])),
    (trapezoid_rows, np.array([[0.3, 0.5], [0.9, -0.4], [1.2, 0.1]]),
     np.array([0.0, 0.4, 1.1]))])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_second_derivatives_through_trapezoid_with_y_and_x_moving(f, y, x,
                                                                   mode):
    for first, second in ((0, 1), (1, 0), (0, 0), (1, 1)):
        gradient = srcad.grad(f, wrt=first)
        np.testing.assert_allclose(
            srcad.jacobian(gradient, wrt=second, mode=mode)(y, x),
            numeric_jacobian(gradient, [y, x], second), rtol=1e-5,
            atol=1e-7)


def _while_power(x):
    y = x
    k = 0
    while k < 2:
        y = y * x
        k += 1
    return y


def _list_slice_written(x):
    ys = [x, 2.0 * x, x * x]
    ys[::-1] = [ys[0] * ys[1], ys[2], ys[0]]
    ys[1:] = [ys[1] * x, ys[2]]
    return ys[0] + ys[1] * ys[2]


def test_third_derivative_of_a_while_loop():
    # the second derivative writes the adjoint of the loop's records by an
    # extended slice; the third zeroes that slice with a list
    x = 0.7
    second = srcad.grad(srcad.grad(_while_power))
    assert math.isclose(srcad.grad(second)(x), 6.0, rel_tol=1e-9)  # x ** 3


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_list_written_by_an_extended_slice(mode):
    # its adjoint's slice is zeroed with a list of zeros (a raw TypeError
    # before)
    x = 0.7
    first = srcad.grad(_list_slice_written, mode=mode)
    assert math.isclose(first(x), numeric_jacobian(_list_slice_written,
                                                   [x], 0), rel_tol=1e-6)
    assert math.isclose(srcad.grad(srcad.grad(_list_slice_written))(x),
                        numeric_jacobian(first, [x], 0), rel_tol=1e-5)


@pytest.mark.parametrize("optimize", [True, False])
def test_higher_orders_through_a_list_written_by_a_slice(optimize):
    # ad.unbroadcast of a list's adjoint is a list: added item by item
    # (concatenated before: a ValueError at second order unoptimized, and
    # 39.2 for 58.8 at third order)
    grad = functools.partial(srcad.grad, optimize=optimize)
    x = 0.7
    second = grad(grad(_list_slice_written))
    assert math.isclose(second(x), numeric_jacobian(
        grad(_list_slice_written), [x], 0), rel_tol=1e-5)
    assert math.isclose(grad(second)(x), numeric_jacobian(second, [x], 0),
                        rel_tol=1e-5)


# -- views of arrays written in place, kept by the derivative ----------------
# (a vjp's backward half restores a copy of the array; a Hessian's tangent
# views are left behind when their array is made private)

def _slice_times_slice(x):
    y = x.copy()
    y[:2] *= y[2:]
    return y


def _slices_in_a_loop(x):
    y = x.copy()
    for k in range(2):
        y[:2] *= y[2:]
    return y


def _heat(u0):
    u = u0.copy()
    for _ in range(3):
        u[1:-1] = u[1:-1] + 0.1 * (u[2:] - 2 * u[1:-1] + u[:-2])
    return u


def _reversed_product(x):
    y = x.copy()
    y[:] = y[::-1] * y
    return y


def _shift_by_a_copy(x):
    y = x * 1.0
    prev = y.copy()
    y[1:] = y[1:] * prev[:-1]
    return prev * y


@pytest.mark.parametrize("f", [_slice_times_slice, _slices_in_a_loop, _heat,
                               _reversed_product, _shift_by_a_copy])
def test_views_of_arrays_written_in_place(f):
    x = np.array([1.0, 2.0, 3.0, 4.0])
    expected = numeric_jacobian(f, [x], 0)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(srcad.jacobian(f, mode=mode)(x),
                                   expected, rtol=1e-6, atol=1e-8)
    _, pullback = srcad.vjp(f, x)
    ct = np.array([0.5, -1.0, 2.0, 1.5])
    for _ in range(2):  # the pullback runs again alike
        np.testing.assert_allclose(pullback(ct)[0], ct @ expected, rtol=1e-6)

    def total(v):
        return np.sum(f(v) ** 2)
    np.testing.assert_allclose(srcad.hessian(total)(x), numeric_jacobian(
        srcad.grad(total), [x], 0), rtol=1e-5, atol=1e-6)


def _transposed_into_itself(A):
    B = A.copy()
    for k in range(2):
        B[:, :] = B.T * B + 0.1
    return B


def test_a_transposed_view_of_an_array_written_in_place():
    A = np.array([[1.0, 0.4, 0.2], [0.3, 0.9, 0.5], [0.7, 0.1, 1.3]])
    expected = numeric_jacobian(_transposed_into_itself, [A], 0)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(
            srcad.jacobian(_transposed_into_itself, mode=mode)(A), expected,
            rtol=1e-6, atol=1e-8)


def _rows_built_by_append(x):
    row = []
    row.append(x[0])
    row.append(x[1] * x[2])
    G = np.array([row])
    return np.sum(G ** 2)


def test_hessian_through_a_nested_list_built_by_append():
    # the gradient adds an array's adjoint into a list's: its tangent is
    # taken item by item too (a raw AttributeError before)
    x = np.array([0.7, 1.1, -0.4])
    np.testing.assert_allclose(srcad.hessian(_rows_built_by_append)(x),
                               numeric_jacobian(srcad.grad(
                                   _rows_built_by_append), [x], 0),
                               rtol=1e-5, atol=1e-6)


def _squaring_steps(w, n):
    for t in range(1, n):
        w = w * w * t
    return w


def _through_squaring_steps(w0):
    return np.sum(_squaring_steps(w0, 3))


def test_hessian_through_a_helper_whose_loop_counter_enters_the_sums():
    # the helper's backward half keeps the range it ran over; its tangent
    # is zeros, indexed as zeros (a raw IndexError before)
    x = np.array([0.5, 0.7, 0.9])
    np.testing.assert_allclose(srcad.hessian(_through_squaring_steps)(x),
                               numeric_jacobian(srcad.grad(
                                   _through_squaring_steps), [x], 0),
                               rtol=1e-5, atol=1e-6)
