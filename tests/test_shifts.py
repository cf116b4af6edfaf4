"""shifts: a maximum subtracted to keep exp finite carries no derivative.
Functions whose result does not depend on the subtracted value lose the
max's derivative (no mask in the generated code); those where it matters
keep it. Both checked against finite differences in both modes."""
import numpy as np
import pytest

import srcad

from fdcheck import check_grad, numeric_jacobian


def log_softmax_loss(z, y):
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / z.shape[0]


def softmax_weighted(z, w):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return np.sum(w * p)


def logsumexp(z):
    m = np.amax(z, axis=None, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(z - m), axis=None, keepdims=True)))


def tempered(z, t):
    m = np.max(z, axis=0, keepdims=True)
    s = (z - m) / 2.0
    e = np.exp(-(-s))
    p = e / np.mean(e, axis=0, keepdims=True)
    return np.sum(np.sin(p * t))


def min_shift(z):
    m = np.min(z, axis=1, keepdims=True)
    e = np.exp(m - z)
    return np.sum(np.log(e / np.sum(e, axis=1, keepdims=True)) ** 2)


def twice(z):
    z1 = z - np.max(z, axis=-1, keepdims=True)
    z2 = z1 - np.max(z1, axis=-1, keepdims=True)
    return np.sum(z2 - np.log(np.sum(np.exp(z2), axis=-1, keepdims=True)))


def max_before_a_loop(z, n):
    m = np.max(z, axis=1, keepdims=True)
    s = z - m
    total = 0.0
    for i in range(n):
        p = np.exp(s) / np.sum(np.exp(s), axis=1, keepdims=True)
        total = total + np.sum(p * p) * i
    return total


CANCELS = [
    (log_softmax_loss, lambda r: (r.normal(size=(4, 3)),
                                  np.eye(3)[[0, 2, 1, 1]])),
    (softmax_weighted, lambda r: (r.normal(size=(2, 3, 4)),
                                  r.normal(size=4))),
    (softmax_weighted, lambda r: (r.normal(size=5), r.normal(size=5))),
    (logsumexp, lambda r: (r.normal(size=(3, 2)),)),
    (tempered, lambda r: (r.normal(size=(3, 4)), 0.7)),
    (min_shift, lambda r: (r.normal(size=(2, 5)),)),
    (twice, lambda r: (r.normal(size=(3, 4)),)),
    (max_before_a_loop, lambda r: (r.normal(size=(2, 3)), 3)),
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, make", CANCELS)
def test_max_that_cancels_has_no_derivative_code(f, make, mode):
    args = make(np.random.default_rng(0))
    check_grad(f, *args, mode=mode)
    assert "extreme_mask" not in srcad.source(f, mode=mode)


def test_ties_in_a_row():
    z = np.array([[1.0, 3.0, 3.0], [0.5, 0.5, 0.5]])
    check_grad(log_softmax_loss, z, np.eye(3)[[1, 2]])


def test_second_order():
    z = np.random.default_rng(1).normal(size=(2, 3))
    w = np.array([0.3, -1.0, 2.0])
    hessian = srcad.hessian(softmax_weighted)(z, w)
    want = numeric_jacobian(srcad.grad(softmax_weighted), (z, w), 0)
    np.testing.assert_allclose(hessian, want, rtol=1e-5, atol=1e-7)


# the max matters: it keeps its derivative


def shifted_sum(z):
    return np.sum(z - np.max(z, axis=1, keepdims=True))


def exp_sum(z):
    return np.sum(np.exp(z - np.max(z, axis=1, keepdims=True)))


def other_axis(z):
    s = z - np.max(z, axis=1, keepdims=True)
    return np.sum(np.log(np.sum(np.exp(s), axis=0, keepdims=True)) - s)


def squared(z):
    s = z - np.max(z, axis=1, keepdims=True)
    return np.sum(np.log(np.sum(np.exp(s * s), axis=1, keepdims=True)))


def max_returned(z):
    m = np.max(z, axis=1, keepdims=True)
    s = z - m
    lse = np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return np.sum(s - lse) + np.sum(m)


def not_kept(z):
    m = np.max(z, axis=1)
    e = np.exp(z - m[:, None])
    return np.sum(np.log(e / np.sum(e, axis=1, keepdims=True)))


def carried(z, n):
    # e is read before the pass assigns it: the previous pass's value, on
    # purpose (a linter reports it as undefined)
    total = 0.0
    for i in range(n):
        if i > 0:
            total = total + np.sum(e)
        e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return total


def carried_after(z, n):
    # e is read after the max but before the pass assigns it: the previous
    # pass's value, paired with this pass's max
    total = 0.0
    for i in range(n):
        m = np.max(z, axis=1, keepdims=True)
        if i > 0:
            total = total + np.sum(e)
        e = np.exp(z - m)
    return total


def in_a_branch(z, flags):
    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    for f in flags:
        if f > 0:
            e = np.exp(z - m)
    return np.sum(np.log(np.sum(e, axis=1, keepdims=True)) + m)


def summed_shift(z):
    m = np.max(z, axis=1, keepdims=True)
    return np.sum(np.sum(z - m, axis=1, keepdims=True) + m)


def other_base(z, u):
    s = u - np.max(z, axis=1, keepdims=True)
    return np.sum(s - np.log(np.sum(np.exp(s), axis=1, keepdims=True)))


KEEPS = [
    (shifted_sum, (np.arange(6.0).reshape(2, 3) ** 1.5,)),
    (exp_sum, (np.arange(6.0).reshape(2, 3) ** 1.5,)),
    (other_axis, (np.arange(6.0).reshape(2, 3) ** 1.5,)),
    (squared, (np.arange(6.0).reshape(2, 3) ** 1.5 / 4,)),
    (max_returned, (np.arange(6.0).reshape(2, 3) ** 1.5,)),
    (not_kept, (np.arange(6.0).reshape(2, 3) ** 1.5,)),
    (carried, (np.arange(6.0).reshape(2, 3) ** 1.5, 3)),
    (summed_shift, (np.arange(6.0).reshape(2, 3) ** 1.5,)),
    (carried_after, (np.arange(6.0).reshape(2, 3) ** 1.5, 3)),
    (in_a_branch, (np.arange(6.0).reshape(2, 3) ** 1.5, np.array([1.0, -1.0]))),
    (other_base, (np.arange(6.0).reshape(2, 3) ** 1.5,
                  np.arange(3.0) / 2)),
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, args", KEEPS)
def test_max_that_matters_keeps_its_derivative(f, args, mode):
    check_grad(f, *args, mode=mode)
    assert "extreme_mask" in srcad.source(f, mode=mode)
