"""Derivative rules for NumPy's linear algebra: products, numpy.linalg."""
import numpy as np  # noqa: F401

from .registry import define, linear, nondiff  # noqa: F401

T = __name__
