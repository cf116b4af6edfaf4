"""Finite-difference checks for srcad gradients (a test helper, not a test).

    numeric_grad(f, args, wrt)      central differences for one argument
    numeric_jacobian(f, args, wrt)  the same for a vector-valued f
    check_grad(f, *args, wrt=0)     srcad.grad(f, wrt=wrt)(*args) against
                                    numeric_grad, plus type, shape, no
                                    aliasing and no modified inputs
"""
import inspect

import numpy as np

import srcad


def position(f, wrt):
    """The argument index of `wrt` (an int, or a parameter name of f)."""
    if isinstance(wrt, str):
        return list(inspect.signature(f).parameters).index(wrt)
    return wrt


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def numeric_jacobian(f, args, wrt, eps=1e-6):
    """d f(*args) / d args[wrt], with shape f(*args).shape + args[wrt].shape.

    The result is a float when both the output and the argument are scalars.
    """
    i = position(f, wrt)
    x = args[i]
    base = np.asarray(x, dtype=np.float64)

    def f_at(value):
        a = [_copy(v) for v in args]
        a[i] = value if isinstance(x, np.ndarray) else float(value)
        return np.asarray(f(*a), dtype=np.float64)

    out_shape = f_at(base.copy()).shape
    jac = np.zeros(out_shape + base.shape)
    for idx in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[idx] += eps
        minus[idx] -= eps
        jac[(...,) + idx] = (f_at(plus) - f_at(minus)) / (2 * eps)
    if jac.ndim == 0:
        return float(jac)
    return jac


def numeric_grad(f, args, wrt, eps=1e-6):
    """Central-difference gradient of scalar f w.r.t. args[wrt].

    A float for a float argument, an array of the argument's shape for an
    ndarray argument.
    """
    return numeric_jacobian(f, args, wrt, eps)


def assert_like(g, arg, what="gradient"):
    """g has the type of arg: float for a float, same-shape array for an
    array, a NumPy float scalar of the same type for one."""
    if isinstance(arg, np.floating) and not isinstance(arg, float):
        assert type(g) is type(arg), \
            f"{what} of a {type(arg).__name__} should be one, got {type(g).__name__}"
    elif isinstance(arg, np.ndarray):
        assert isinstance(g, np.ndarray), \
            f"{what} should be an ndarray of shape {arg.shape}, got {type(g).__name__}: {g!r}"
        assert g.shape == arg.shape, f"{what} has shape {g.shape}, argument has {arg.shape}"
        assert np.issubdtype(g.dtype, np.floating), f"{what} has dtype {g.dtype}"
    else:
        assert isinstance(g, float), \
            f"{what} of a float argument should be a float, got {type(g).__name__}: {g!r}"


def check_grad(f, *args, wrt=0, rtol=1e-5, atol=1e-7, mode="reverse"):
    """Compare srcad.grad(f, wrt=wrt, mode=mode)(*args) with finite
    differences.

    wrt is a position, a parameter name, or a tuple of those (then srcad
    returns a tuple). Also checks that no input was modified and that no
    gradient is (a view of) an input array. Returns srcad's result.
    """
    before = [_copy(a) for a in args]
    got = srcad.grad(f, wrt=wrt, mode=mode)(*args)
    for k, (a, b) in enumerate(zip(args, before)):
        assert type(a) is type(b) and np.array_equal(a, b), f"argument {k} was modified"

    if isinstance(wrt, tuple):
        assert isinstance(got, tuple) and len(got) == len(wrt), \
            f"wrt={wrt!r} should give a tuple of {len(wrt)} gradients, got {got!r}"
        pairs = list(zip(wrt, got))
    else:
        pairs = [(wrt, got)]

    for w, g in pairs:
        arg = args[position(f, w)]
        what = f"gradient of {f.__name__} w.r.t. {w!r}"
        assert_like(g, arg, what)
        for other in args:
            if isinstance(g, np.ndarray) and isinstance(other, np.ndarray):
                assert not np.shares_memory(g, other), f"{what} shares memory with an input"
        expected = numeric_grad(f, args, w)
        np.testing.assert_allclose(g, expected, rtol=rtol, atol=atol, err_msg=what)
    return got
