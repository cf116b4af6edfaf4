"""Derivative rules for ndarray methods with no NumPy function of the same
meaning; the normalizer turns `x.flatten()` into `np.ndarray.flatten(x)`."""
import numpy as np

from .registry import linear

T = __name__

linear(np.ndarray.flatten, "flatten(a, order='C')", T,
       a="np.reshape(g, np.shape(a), order=order)")
linear(np.ndarray.astype, "astype(a, dtype)", T, a="ad.cast_like(g, a)")
