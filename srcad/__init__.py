"""srcad: source-to-source automatic differentiation for Python and NumPy.

Public names only; see API.md for the contract.
"""
from .api import (grad, hessian, jacobian, jvp, source, value_and_grad,
                  vjp)
from .extend import defrule, defvjp, primitive
from .pipeline import clear_cache
from .runtime import stop_gradient
from .errors import (NoDerivativeRule, NonScalarOutput, SourceUnavailable,
                     SrcadError, UnsupportedSyntax, UsageError)

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian",
           "source", "stop_gradient", "defrule", "defvjp", "primitive",
           "clear_cache",
           "SrcadError", "UnsupportedSyntax", "NoDerivativeRule",
           "NonScalarOutput", "SourceUnavailable", "UsageError"]
