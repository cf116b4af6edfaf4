"""optimize_scales: scalar factors applied late, on whole functions.

The pass needs the analysis (which names are scalars, which are the
primal's), so it is tested through srcad.source, and every function here is
also checked against finite differences in both modes.
"""
import numpy as np
import pytest

import srcad
from fdcheck import check_grad


def logistic_loss(w, X, y):
    z = X @ w
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def negated_twice(x, a):
    u = -(x * a)
    v = np.exp(u) * 3.0
    return -np.sum(v * 0.5)


def factors_differ(x, a):
    # the two terms reach x with different factors: each keeps its own
    return np.mean(x * a) - 2.0 * np.sum(np.sin(x))


def minus_product(x, y):
    # the gradient wrt x is y, up to signs that cancel: it must still be a
    # fresh array, not y itself
    return -np.sum(-(x * y))


def integer_primal(x):
    # scaled integers index: the primal is left alone
    k = x.shape[0] // 2 * 1
    return np.sum(x[:k] * 3.0) + np.sum(x[2 * k - k:] * -1.0)


def in_loop(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(-x * i)
    return -s / 4.0


rng = np.random.default_rng(3)
X = rng.normal(size=(20, 5))
Y = (rng.random(20) < 0.5).astype(float)
CASES = [
    (logistic_loss, (rng.normal(size=5) * 0.3, X, Y), 0),
    (negated_twice, (rng.normal(size=4), rng.normal(size=4)), 0),
    (negated_twice, (rng.normal(size=(2, 3)), rng.normal(size=3)), 1),
    (factors_differ, (rng.normal(size=6), rng.normal(size=6)), 0),
    (factors_differ, (rng.normal(size=(2, 3)), rng.normal(size=3)), 1),
    (minus_product, (rng.normal(size=4), rng.normal(size=4)), 0),
    (minus_product, (1.5, rng.normal(size=4)), 1),
    (integer_primal, (rng.normal(size=6),), 0),
    (in_loop, (rng.normal(size=4),), 0),
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, args, wrt", CASES,
                         ids=[f"{c[0].__name__}-{i}"
                              for i, c in enumerate(CASES)])
def test_matches_finite_differences(f, args, wrt, mode):
    check_grad(f, *args, wrt=wrt, mode=mode)


def test_mean_factor_lands_on_the_gradient_and_signs_cancel():
    source = srcad.source(logistic_loss)
    sweep = [line for line in source.split("# grad of", 1)[1].splitlines()[2:]
             if not line.strip().startswith("#")]  # code after bt10 = ...
    # no negation and no multiplication by the mean's factor on the way:
    # the one scaling left is of the gradient, at the return
    assert not any("= -" in line or "-b" in line or "bt10" in line
                   for line in sweep[:-1])
    assert sweep[-1].strip() == "return ad.result(bt10 * bw, w)"


def test_second_order_through_deferred_factors():
    x = rng.normal(size=3)
    a = rng.normal(size=3)
    hess = srcad.hessian(negated_twice)(x, a)
    # f = -1.5 * sum(exp(-x a)): d2f/dx2 = diag(-1.5 a^2 exp(-x a))
    assert np.allclose(hess, np.diag(-1.5 * a * a * np.exp(-x * a)))


def log_softmax_pick(z, labels):
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(z.shape[0]), labels])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_log_softmax_matches_finite_differences(mode):
    z = rng.normal(size=(4, 3))
    check_grad(log_softmax_pick, z, np.array([0, 2, 1, 2]), mode=mode)


def test_sign_on_a_keepdims_spread_keeps_it_compact():
    # the sum's adjoint (bt3, one per row) multiplies exp(z) by broadcasting
    # rather than being spread to a full array first, negation and all
    source = srcad.source(log_softmax_pick)
    assert "bz1 = blogp - ad.unbroadcast(blogp, t3) / t3 * t2" in source
    # the mean's adjoint stays one number, added at the labels as it is
    assert "ad.unreduce(" not in source
