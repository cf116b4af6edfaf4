"""optimize_algebra: reciprocals and cancelled factors in derivative code.

The passes read the analysis (which names are the primal's), so they are
tested through srcad.source; every function is also checked against finite
differences in both modes, over shapes that broadcast.
"""
import numpy as np
import pytest

import srcad
from fdcheck import check_grad


def sweep(f, **options):
    """The generated lines after the primal's (the derivative's own)."""
    lines = srcad.source(f, **options).splitlines()
    first = next(i for i, line in enumerate(lines) if "# grad of" in line)
    return [line.strip() for line in lines[first:]
            if not line.strip().startswith(("#", "del "))]


def log_sigmoid(x, c):
    p = 1 / (1 + np.exp(-x))
    return np.sum(c * np.log(p))


def logistic_loss(w, X, y):
    p = 1 / (1 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def log_exp(x, c):
    return np.sum(np.log(np.exp(x * c)))


def reciprocal(x):
    r = 1 / x
    q = np.sin(x) / x  # the primal keeps its quotient
    return np.sum(r * q)


def read_twice(x, w):
    p = np.exp(x) * w  # the adjoint of p is read for x and for w
    return np.sum(np.log(p))


def mostly_undivided(x, a, b):
    p = np.exp(x)
    return np.sum(a * np.log(p) + b * p + np.sin(p))


def test_reciprocal_adjoint_multiplies():
    code = sweep(reciprocal)
    assert "q = t1 / x" in srcad.source(reciprocal).replace("np.sin(x)", "t1")
    assert not any("/ x" in line for line in code)


def test_log_of_sigmoid_takes_p_in():
    code = sweep(log_sigmoid)
    assert not any("/" in line for line in code)


def test_logistic_loss_divides_only_by_one_minus_p():
    code = sweep(logistic_loss, wrt="w")
    assert "\n".join(code).count(" / ") == 2  # 1 - p's log, the mean's 1/n
    bp = next(line for line in code if line.startswith("bp = "))
    assert bp.endswith(" * p")


def test_log_of_exp_is_the_identity():
    code = "\n".join(sweep(log_exp))
    assert "np.exp" not in code and " / " not in code


def test_a_value_read_twice_keeps_its_division():
    assert any("/ p" in line for line in sweep(read_twice, wrt=(0, 1)))


def test_mostly_undivided_sums_stay():
    code = "\n".join(sweep(mostly_undivided))
    assert "/ p" in code


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, args", [
    (log_sigmoid, (0.3, 2.0)),
    (log_sigmoid, (np.linspace(-2.0, 2.0, 5), 1.5)),
    (log_sigmoid, (np.linspace(-2.0, 2.0, 6).reshape(3, 2),
                   np.array([1.0, -0.5]))),
    (log_sigmoid, (np.linspace(-2.0, 2.0, 3).reshape(3, 1),
                   np.linspace(0.5, 1.5, 8).reshape(2, 1, 4))),
    (logistic_loss, (np.array([0.2, -0.4, 0.1]),
                     np.linspace(-1.0, 1.0, 12).reshape(4, 3),
                     np.array([1.0, 0.0, 1.0, 1.0]))),
    (logistic_loss, (np.array([0.2, -0.4, 0.1]),
                     np.linspace(-1.0, 1.0, 12).reshape(4, 3), 0.25)),
    (log_exp, (np.linspace(-1.0, 1.0, 4), np.array([[1.0], [2.0]]))),
    (reciprocal, (np.linspace(0.5, 2.0, 5),)),
    (reciprocal, (1.3,)),
    (read_twice, (np.linspace(-1.0, 1.0, 4), np.array([[1.5], [2.0]]))),
    (mostly_undivided, (np.linspace(-1.0, 1.0, 4), 2.0,
                        np.array([[1.0], [0.5]]))),
])
def test_against_finite_differences(f, args, mode):
    check_grad(f, *args, mode=mode)


@pytest.mark.parametrize("f, args", [
    (log_sigmoid, (np.linspace(-2.0, 2.0, 5), 1.5)),
    (logistic_loss, (np.array([0.2, -0.4, 0.1]),
                     np.linspace(-1.0, 1.0, 12).reshape(4, 3),
                     np.array([1.0, 0.0, 1.0, 1.0]))),
])
def test_second_order(f, args):
    """The rewritten gradient, differentiated again (forward over reverse)
    against finite differences of the gradient."""
    g = srcad.grad(f)
    h = srcad.jacobian(g, mode="forward")(*args)
    x, eps = args[0], 1e-6
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = eps
        column = (g(x + step, *args[1:]) - g(x - step, *args[1:])) / (2 * eps)
        np.testing.assert_allclose(h[..., i], column, rtol=1e-5, atol=1e-7)


def divided_again(x, c):
    p = np.exp(x)
    u = np.log(p) * c
    return np.sum(u / p)  # the adjoint of u is read beside p twice


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_factor_read_twice_in_its_product(mode):
    check_grad(divided_again, np.linspace(-1.0, 1.0, 5), 2.0, mode=mode)
