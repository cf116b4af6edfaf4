"""Functions for tests/test_extend.py whose derivatives come from the
extension API (srcad.defrule, srcad.defvjp, @srcad.primitive).

Their bodies go through a `np.frompyfunc` ufunc, which srcad can neither
read nor differentiate: a gradient through them can only come from the
registered rule, never from srcad looking inside. test_extend.py registers
the rules; this module only defines the functions.
"""
import math

import numpy as np

_EXP = np.frompyfunc(math.exp, 1, 1)
_LOG1P = np.frompyfunc(math.log1p, 1, 1)
_SQRT = np.frompyfunc(math.sqrt, 1, 1)


def _float(v):
    out = np.asarray(v, dtype=float)
    return float(out) if out.ndim == 0 else out


def expit(x):
    """The logistic function 1 / (1 + exp(-x)), elementwise."""
    return _float(1.0 / (1.0 + _EXP(-np.asarray(x, dtype=float))))


def expit_unregistered(x):
    """The same function, with no rule: srcad must refuse it."""
    return _float(1.0 / (1.0 + _EXP(-np.asarray(x, dtype=float))))


def logsumexp(x):
    """log(sum(exp(x))) of a 1-d array: a scalar, not elementwise."""
    m = np.max(x)
    return float(m + math.log(float(np.sum(_float(_EXP(x - m))))))


def softmax(x):
    """Ordinary NumPy code (srcad reads it): the derivative of logsumexp."""
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def wnorm(x, w):
    """sqrt(sum(w * x**2)): two arguments, scalar result."""
    return float(_float(_SQRT(float(np.sum(w * x * x)))))


def wnorm_no_forward(x, w):
    """The same, registered without forward templates."""
    return float(_float(_SQRT(float(np.sum(w * x * x)))))


def hypot(a, b):
    """sqrt(a**2 + b**2), elementwise, two arguments."""
    return _float(_SQRT(np.asarray(a * a + b * b, dtype=float)))


def hypot_vjp(g, y, a, b):
    return g * a / y, g * b / y


def hypot_jvp(args, tangents):
    a, b = args
    da, db = tangents
    return (a * da + b * db) / hypot(a, b)


def softplus(x):
    """log(1 + exp(x)), elementwise: made a primitive by the tests."""
    return _float(_LOG1P(_EXP(np.asarray(x, dtype=float))))


def softplus_no_vjp(x):
    """Made a primitive with no derivative given."""
    return _float(_LOG1P(_EXP(np.asarray(x, dtype=float))))


def cube_root(x):
    """Registered with a template naming an unknown name."""
    return _float(np.cbrt(x))


def scaled_exp(x, scale=2.0):
    """scale * exp(x), elementwise, with an option argument."""
    return _float(scale * _EXP(np.asarray(x, dtype=float)))
