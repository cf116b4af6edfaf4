"""Templates: derivative rules written as Python expressions.

A template is a string such as `"g * np.cos(x)"`. Its free names are
placeholders (the rule's parameters, `y` for the result, `g` for the
adjoint of the result) or module names (`np`, `math`, `ad` for
srcad.runtime). `expand(text, bindings, modules)` parses it once and returns
a fresh gast expression with the placeholders replaced by the given nodes
and the module names replaced by whatever names the generated code reaches
those modules under.
"""
import functools
import math

import gast
import numpy as np

from . import runtime
from .build import clone, transform

# Modules a template may use, by the name templates spell them with.
MODULES = {"np": np, "math": math, "ad": runtime}


@functools.lru_cache(maxsize=None)
def parse(text):
    tree = gast.parse(text.strip(), mode="eval")
    return tree.body


def placeholders(text):
    """The names in template `text` that are not module names."""
    return {n.id for n in gast.walk(parse(text))
            if isinstance(n, gast.Name) and n.id not in MODULES}


def expand(text, bindings, modules=None):
    """Template `text` with its names replaced by nodes from `bindings`.

    `modules` maps a template module name (`np`) to the name generated code
    uses for it; names missing from both are a bug in the rule.
    """
    modules = {} if modules is None else modules

    def substitute(node):
        if type(node) is not gast.Name:
            return node
        if node.id in bindings:
            return clone(bindings[node.id])
        if node.id in MODULES:
            node.id = modules.get(node.id, node.id)
            return node
        raise KeyError(f"template name {node.id!r} is not bound")
    return transform(clone(parse(text)), substitute)
