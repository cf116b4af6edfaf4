"""forward: golden test of tangent code, and jvp against reverse mode."""
import textwrap

import numpy as np

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
