"""Shapes: what can be known about array shapes before run time.

Nothing about the arguments' shapes is known when code is generated, but
relations are: an elementwise result has its operands' shape when they share
one, a copy has its source's, `math` functions and full reductions return
scalars. `Shapes(ops, captured)` groups names into classes that surely share
a shape at run time, which lets the framework leave out `unbroadcast` and
`broadcast_like`, skip the scalar check of a surely scalar output, and read
a shape from a value that is computed anyway (`representative`).

Only names assigned once take part; anything else is its own class.
"""
import numbers

import gast
import numpy as np


SCALAR = "<scalar>"
FULL_REDUCTIONS = {np.sum, np.mean, np.max, np.min, np.amax, np.amin}
MATH_TABLE = "srcad.rules.math"


class Shapes:
    def __init__(self, ops, captured):
        self.parent = {}
        self.first = {}  # class root -> earliest name in it
        counts = {}
        order = list(captured.params)
        for op in ops:
            for t in op.targets:
                counts[t] = counts.get(t, 0) + 1
                order.append(t)
        local = set(order)
        for op in ops:
            if len(op.targets) == 1 and counts[op.targets[0]] == 1:
                self._relate(op, op.targets[0], captured, local)
        for name_ in order:
            self.first.setdefault(self.find(name_), name_)

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        self.parent[self.find(a)] = self.find(b)

    def same(self, a, b):
        return self.find(a) == self.find(b)

    def is_scalar(self, name_):
        return self.same(name_, SCALAR)

    def representative(self, name_):
        """The earliest-defined name with the shape of `name_`."""
        return self.first.get(self.find(name_), name_)

    def _relate(self, op, target, captured, local):
        if op.kind == "copy":
            self.union(target, op.sources[0][1].id)
        elif op.kind != "rule":
            return
        elif op.rule.owner == MATH_TABLE:
            # math functions take and return scalars (a size-1 array
            # converts, and srcad.result gives its gradient its shape back)
            self.union(target, SCALAR)
            for node in op.bound.values():
                if isinstance(node, gast.Name) and node.id in local:
                    self.union(node.id, SCALAR)
        elif _full_reduction(op):
            self.union(target, SCALAR)
        elif op.rule.elementwise or op.rule.fn in (gast.USub, gast.UAdd):
            operands = self._operands(op, captured, local)
            if operands is None:
                return
            arrays = [n for n in operands if not self.is_scalar(n)]
            if not arrays:
                self.union(target, SCALAR)
            elif len({self.find(n) for n in arrays}) == 1:
                self.union(target, arrays[0])

    def _operands(self, op, captured, local):
        """Names whose shapes broadcast together to the result's; scalar
        constants and free numbers broadcast away. None if unknowable."""
        names = []
        for node in op.bound.values():
            if isinstance(node, gast.Constant):
                if not isinstance(node.value, numbers.Number):
                    return None
            elif node.id in local:
                names.append(node.id)
            elif not isinstance(captured.resolve(node.id), numbers.Number):
                return None
        return names or [SCALAR]


def _full_reduction(op):
    if op.rule.fn not in FULL_REDUCTIONS:
        return False
    axis, keepdims = op.bound.get("axis"), op.bound.get("keepdims")
    return _constant(axis, None) and _constant(keepdims, False)


def _constant(node, value):
    return isinstance(node, gast.Constant) and node.value is value
