"""Helper functions for tests/test_calls.py, defined in a module of their own.

User code calls these as `helpers_mod.fn(x)` and after
`from helpers_mod import fn`; srcad must find and differentiate them through
this module's globals, not the caller's.
"""
import numpy as np

OFFSET = 0.5


def softplus(x):
    return np.log(1.0 + np.exp(x))


def scaled_sin(x, k=2.0):
    return k * np.sin(x)


def two_level(x):
    # calls helpers of this module, and reads a global of this module
    return softplus(x) * scaled_sin(x) + OFFSET * x


def moments(x):
    return np.sum(x), np.sum(x * x)
