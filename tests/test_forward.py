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
            t1 = W @ x
            dt1 = dW @ x
            t2 = t1 + b
            del t1
            dt2 = ad.broadcast_like(dt1, t2) + ad.broadcast_like(db, t2)
            del dt1
            t3 = np.tanh(t2)
            del t2
            dt3 = dt2 * (1 - t3 * t3)
            del dt2
            t4 = np.mean(t3)
            del t3
            dt4 = np.mean(dt3)
            del dt3
            return t4, dt4
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

from fdcheck import check_grad  # noqa: E402


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
