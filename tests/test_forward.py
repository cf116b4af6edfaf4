"""forward: golden test of tangent code, and jvp against reverse mode."""
import textwrap

import numpy as np
import pytest

import srcad


def affine(W, x, b):
    return np.mean(np.tanh(W @ x + b))


def test_tangent_beside_each_statement():
    source = srcad.source(affine, mode="forward", kind="jvp", wrt=(0, 2))
    assert source[source.index("def "):] == textwrap.dedent("""
        def affine_jvp(W, x, b, dW, db):
            # return np.mean(np.tanh(W @ x + b))
            t2 = W @ x + b
            dt2 = ad.broadcast_like(dW @ x, t2) + ad.broadcast_like(db, t2)
            t3 = np.tanh(t2)
            del t2
            return np.mean(t3), np.mean(dt2 * (1 - t3 * t3))
        """).lstrip()


def bilinear(A, B):
    return A @ B + np.sum(A * 2.0)


def test_jvp_equals_vjp_transposed():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    dA, dB = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    out, dout = srcad.jvp(bilinear, (A, B), (dA, dB))
    np.testing.assert_allclose(out, bilinear(A, B))
    ct = rng.normal(size=(2, 2))
    _, pullback = srcad.vjp(bilinear, A, B)
    bA, bB = pullback(ct)
    # <ct, J d> == <J^T ct, d>
    np.testing.assert_allclose(np.sum(ct * dout),
                               np.sum(bA * dA) + np.sum(bB * dB))


def test_forward_grad_of_float_is_float():
    g = srcad.grad(lambda_free, mode="forward")(0.4)
    assert isinstance(g, float)
    np.testing.assert_allclose(g, np.cos(0.4) * 3)


def lambda_free(x):
    return np.sin(x) * 3.0


# -- forward-mode grad in one batched pass --------------------------------------

from fdcheck import check_grad, numeric_grad, numeric_jacobian  # noqa: E402


def scaled_rows(W, x, b):
    h = np.tanh(W @ x + b)
    return np.sum(np.max(h * x[0], axis=0)) + np.mean(h.T[1:] ** 2)


def filled(x, a):
    y = np.zeros((len(x), 2))
    for i in range(len(x)):
        y[i] = x[i] * a
        y[i, 1] = y[i, 0] * x[i]
    rows = [y[0], y[-1]]
    return np.sum(np.reshape(y, (-1,), order="F") * 2.0) + \
        np.sum(rows[1] * rows[0])


def helper(v):
    return v * v


def calls(x):
    return np.sum(helper(x))


def test_one_batched_pass_for_every_function():
    for f, wrt in ((scaled_rows, (0, 1, 2)), (filled, (0, 1)),
                   (calls, 0)):
        assert "grad_by_batch" in srcad.source(f, mode="forward", wrt=wrt)
    # a call runs the callee's batched jvp; a rule with no batched form
    # runs one direction at a time inside the pass
    assert "ad.call_jvps(" in srcad.source(calls, mode="forward")
    check_grad(calls, np.array([1.0, -2.0]), mode="forward")
    source = srcad.source(uses_diff, mode="forward")
    assert "ad.each(batch, lambda" in source
    check_grad(uses_diff, np.array([1.0, -2.0, 0.5]), mode="forward")


def uses_diff(x):
    return np.sum(np.diff(x) ** 2)


@pytest.mark.parametrize("shapes", [((2, 3), (3,), (2,)),
                                    ((2, 3), (3,), ()),
                                    ((4, 2), (2,), (4,))])
def test_batched_broadcasting_against_finite_differences(shapes):
    rng = np.random.default_rng(7)
    args = [rng.normal(size=s) if s else 0.3 for s in shapes]
    check_grad(scaled_rows, *args, wrt=(0, 1, 2), mode="forward")


@pytest.mark.parametrize("n", [1, 4])
def test_batched_item_writes_and_lists_against_finite_differences(n):
    x = np.random.default_rng(8).normal(size=n)
    check_grad(filled, x, 0.7, wrt=(0, 1), mode="forward")
    check_grad(filled, x, np.array([0.7, -1.2]), wrt=(0, 1), mode="forward")


@pytest.mark.parametrize("chunk", [1, 5, 1 << 22])
def test_batched_passes_of_bounded_size(chunk, monkeypatch):
    from srcad import runtime_batch
    monkeypatch.setattr(runtime_batch, "CHUNK", chunk)
    rng = np.random.default_rng(9)
    args = rng.normal(size=(2, 3)), rng.normal(size=3), 0.4
    got = srcad.grad(scaled_rows, wrt=(0, 1, 2), mode="forward")(*args)
    want = srcad.grad(scaled_rows, wrt=(0, 1, 2))(*args)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b)
    assert srcad.grad(tanh_dot, mode="forward")(np.zeros(0)).shape == (0,)


def tanh_dot(x):
    return np.sum(np.tanh(x) * x)


# -- a tangent written in place is private ------------------------------------


def copied_in_loop(x, n):
    s = 0.0
    y = x * 1.0
    for k in range(n):
        y = x.copy()  # dy = dx in the jvp: written below, it is owned first
        y[0] = 0.0
        s = s + np.sum(y) + np.sum(x[0]) * k
    return s + np.sum(y * x)


def copied_in_branch(x, n):
    y = x * 1.0
    for k in range(n):
        if k % 2:
            y = x.copy()
        y[0] = y[0] * 2.0
    return np.sum(y * x)


def copied_then_read_after(x):
    for k in range(2):
        y = x.copy()
        y[0] = 0.0
    return np.sum(y)


@pytest.mark.parametrize("shape", [(1,), (3,), (2, 3)])
@pytest.mark.parametrize("n", [0, 1, 4])
@pytest.mark.parametrize("f", [copied_in_loop, copied_in_branch])
def test_tangent_copied_and_written_in_a_loop(f, n, shape):
    x = np.random.default_rng(10).normal(size=shape)
    for mode in ("forward", "reverse"):
        check_grad(f, x, n, mode=mode)
    dx = np.ones(shape)
    _, dout = srcad.jvp(lambda x: f(x, n), (x,), (dx,))
    np.testing.assert_array_equal(dx, np.ones(shape))  # the caller's
    want = np.sum(srcad.grad(f)(x, n) * dx)
    np.testing.assert_allclose(dout, want)


def test_tangent_copied_in_a_loop_and_read_after_it():
    x = np.array([1.0, 2.0, 3.0])
    for mode in ("forward", "reverse"):
        check_grad(copied_then_read_after, x, mode=mode)


# -- a gradient with respect to a tuple or list ---------------------------------
# The batched directions of a tuple or list argument are per item, each in
# its item's shape; the gradient is rebuilt as the same container.


def layer_loss(params, x):
    W, b = params
    return np.sum(np.tanh(x @ W + b) ** 2)


def items_poly(xs):
    return np.sum(xs[0] * xs[1] + xs[2] ** 2)


def nested_items(p, y):
    (a, b), c = p
    return np.sum(a * b) * c + np.sum(y * c)


def items_loop(xs):
    s = 0.0
    for v in xs:
        s = s + np.sum(v ** 3)
    return s


def _numeric_items(f, args, wrt, eps=1e-6):
    """Central differences for every number of the (nested) tuple or list
    args[wrt], in the same structure."""
    def flat(v):
        if isinstance(v, (tuple, list)):
            return [n for item in v for n in flat(item)]
        return list(np.ravel(v))

    def rebuilt(v, numbers):
        if isinstance(v, (tuple, list)):
            items = [rebuilt(item, numbers) for item in v]
            return items if isinstance(v, list) else tuple(items)
        if isinstance(v, np.ndarray):
            return np.array([next(numbers) for _ in range(v.size)]
                            ).reshape(v.shape)
        return float(next(numbers))

    base = np.array(flat(args[wrt]), dtype=float)
    grad = np.zeros_like(base)
    for k in range(base.size):
        step = np.zeros_like(base)
        step[k] = eps
        at = [list(args) for _ in range(2)]
        for sign, a in zip((1, -1), at):
            a[wrt] = rebuilt(args[wrt], iter(base + sign * step))
        grad[k] = (f(*at[0]) - f(*at[1])) / (2 * eps)
    return rebuilt(args[wrt], iter(grad))


def _assert_same_structure(got, want):
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _assert_same_structure(g, w)
    else:
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


_R = np.random.default_rng(11)
ITEM_CASES = [
    (layer_loss, ((_R.normal(size=(3, 2)), _R.normal(size=2)),
                  _R.normal(size=(4, 3)))),
    (layer_loss, ([_R.normal(size=(3, 2)), _R.normal(size=2)],
                  _R.normal(size=(4, 3)))),
    (layer_loss, ((_R.normal(size=(3, 1)), 0.4), _R.normal(size=(4, 3)))),
    (items_poly, ([1.0, 2.0, 3.0],)),
    (items_poly, ((1.0, 2.0, 3.0),)),
    (items_poly, ([_R.normal(size=2), _R.normal(size=2), _R.normal(size=2)],)),
    (items_poly, ([_R.normal(size=2), 1.5, _R.normal(size=(3, 2))],)),
    (nested_items, (((_R.normal(size=2), _R.normal(size=2)), 0.7),
                    _R.normal(size=3))),
    (items_loop, ([],)),
    (items_loop, ([0.5],)),
    (items_loop, ((_R.normal(size=3), _R.normal(size=(2, 2)), 0.5),)),
]


@pytest.mark.parametrize("f, args", ITEM_CASES)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradient_of_a_tuple_or_list_is_one(f, args, mode):
    want = _numeric_items(f, args, 0)
    _assert_same_structure(srcad.grad(f, mode=mode)(*args), want)
    value, got = srcad.value_and_grad(f, mode=mode)(*args)
    assert value == f(*args)
    _assert_same_structure(got, want)
    if len(args) > 1:
        both = srcad.grad(f, wrt=(0, 1), mode=mode)(*args)
        _assert_same_structure(both[0], want)
        np.testing.assert_allclose(both[1], numeric_jacobian(f, args, 1),
                                   rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("chunk", [1, 4])
def test_tuple_directions_split_over_passes(chunk, monkeypatch):
    from srcad import runtime_batch
    monkeypatch.setattr(runtime_batch, "CHUNK", chunk)
    f, args = ITEM_CASES[0]
    _assert_same_structure(srcad.grad(f, mode="forward")(*args),
                           srcad.grad(f)(*args))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_lists_given_to_a_numpy_function_taking_arrays(mode):
    def table(x):
        return np.sum(np.interp(np.array([0.2, 0.9, 0.6]), [0.0, 0.5, 1.0],
                                [x[0], 2.0, x[1]]))

    def queries(x):
        return np.sum(np.interp([0.1, x[2]], [0.0, 1.0], [x[0], x[1]]))
    for f in (table, queries):
        check_grad(f, np.array([0.2, 0.9, 0.6]), mode=mode)


def swapped_sum(y):
    return np.sum(y + np.array([y[1], y[0]]))


def cos_sum(x):
    return np.sum(np.cos(x))


def items_sum(xs):
    total = 0.0
    for v in xs:
        total = total + v * v
    return total


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("f, args, want", [
    (swapped_sum, [1.0, 0.5], [2.0, 2.0]),
    (cos_sum, [0.3, -0.7], list(-np.sin([0.3, -0.7]))),
    (items_sum, [0.5, -1.5], [1.0, -3.0]),
])
def test_a_list_argument_used_as_an_array_or_by_item(f, args, want,
                                                     optimize):
    # forward mode gave a list of tangents where the code uses the list as
    # an array (AttributeError / TypeError inside the batched jvp); the
    # tangent of a list is a list only where the code takes its items
    got = srcad.grad(f, mode="forward", optimize=optimize)(args)
    np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(srcad.grad(f, optimize=optimize)(args), want)


def swapped_cos(y):
    return np.cos(y) * np.array([y[1], y[0]])


def test_forward_jacobian_of_a_list_used_as_an_array():
    # the jacobian's batched jvp takes the list's tangent as an array's too
    y = [0.3, -0.7]
    want = np.array([[-np.sin(0.3) * -0.7, np.cos(0.3)],
                     [np.cos(-0.7), -np.sin(-0.7) * 0.3]])
    np.testing.assert_allclose(srcad.jacobian(swapped_cos, mode="forward")(y),
                               want)
    np.testing.assert_allclose(srcad.jacobian(swapped_cos)(y), want)


# -- unpacking an array in a batched pass ----------------------------------
# (the directions come first in a batched tangent: the items unpacking
# takes lie along its second axis)

W32 = np.array([[1.0, 2.0], [0.0, 3.0], [1.5, -1.0]])


def unpacked_product(x):
    a, b, c = W32 @ x
    return a + 10.0 * b * c


def unpacked_rows(x):
    r0, r1 = np.outer(x, x)
    return np.sum(r0 * 2.0 + r1 ** 2)


def _pair(v):
    a, b = v
    return a * b, a + b


def unpacked_in_a_helper(x):
    p, s = _pair(W32[:2] @ x)
    return p * s


def unpacked_cubic(x):
    a, b = W32[1:] @ x
    return a ** 2 * b + b ** 3


@pytest.mark.parametrize("f", [unpacked_product, unpacked_rows,
                               unpacked_in_a_helper, unpacked_cubic])
def test_unpacking_an_array_in_forward_mode(f):
    x = np.array([0.5, 2.0])
    expected = numeric_grad(f, (x,), 0)
    for optimize in (True, False):
        np.testing.assert_allclose(
            srcad.grad(f, mode="forward", optimize=optimize)(x), expected,
            rtol=1e-6)
    hessian = srcad.hessian(f)(x)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        hessian, numeric_jacobian(srcad.grad(f), [x], 0), rtol=1e-5,
        atol=1e-7)


# -- a copy's tangent is a copy: the tangent it came from is written later --

def copied_each_pass(x):
    y = x.copy()
    for i in range(2):
        prev = y.copy()
        y[0] = y[0] * 3.0
    return prev[0] + np.sum(prev * x)


def history_of_copies(x):
    y = x.copy()
    hist = []
    for i in range(3):
        hist.append(y.copy())
        y[1] = y[1] * y[0]
    return np.sum(np.stack(hist) ** 2)


def copied_slice(x):
    y = x.copy()
    for i in range(2):
        z = y[1:3].copy()
        y[1] = y[1] * 2.0 + y[2]
    return np.sum(z * x[1:3])


def cast_each_pass(x):
    y = x.astype(float)
    for i in range(2):
        old = y.astype(np.float64)
        y[0] = y[0] * y[1]
    return np.sum(old * y)


def array_each_pass(x):
    y = np.array(x)
    for i in range(2):
        p = np.array(y)
        y[0] = y[0] * 2.0 + y[1]
    return np.sum(p * y)


def jacobi_sweeps(x):
    u = x.copy()
    i = 0
    while i < 3:
        old = np.copy(u)
        u[1:-1] = 0.5 * (old[:-2] + old[2:])
        i += 1
    return np.sum(u ** 2)


@pytest.mark.parametrize("f", [copied_each_pass, history_of_copies,
                               copied_slice, cast_each_pass, array_each_pass,
                               jacobi_sweeps])
def test_copies_keep_their_tangents_when_the_source_is_written(f):
    x = np.array([1.2, 0.7, 1.5, 0.4])
    expected = numeric_grad(f, (x,), 0)
    for optimize in (True, False):
        np.testing.assert_allclose(
            srcad.grad(f, mode="forward", optimize=optimize)(x), expected,
            rtol=1e-6)
    _, tangent = srcad.jvp(f, (x,), (np.ones(4),))
    assert tangent == pytest.approx(np.sum(expected), rel=1e-6)
    np.testing.assert_allclose(srcad.hessian(f)(x), numeric_jacobian(
        srcad.grad(f), [x], 0), rtol=1e-5, atol=1e-6)
