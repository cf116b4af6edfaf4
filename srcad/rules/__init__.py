"""Derivative rules: one table a library, and the registry they fill.

Importing this package loads every table. `lookup(obj)` finds the rule for a
callable or an operator class.
"""
from . import (builtins, linalg, math, methods, numpy, operators,  # noqa
               runtime)
from .registry import RULES, Rule, lookup  # noqa: F401
