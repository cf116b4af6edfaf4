"""Shapes: what can be known about array shapes before run time.

Nothing about the arguments' shapes is known when code is generated, but
relations are. Every name gets the set of *base* names whose shapes,
broadcast together, give its shape: an argument or the result of a
non-elementwise operation is its own base; an elementwise result has the
union of its operands' sets; a copy has its source's; scalars (numbers,
`math` results and arguments, full reductions) have the empty set. Two
names with equal sets surely have one shape at run time.

This lets the framework leave out `unbroadcast` and `broadcast_like`
between values of one shape, skip the scalar check of a surely scalar
output, and read a shape from values computed anyway (`shape_source`)
rather than keep a value alive only for its shape.

Only names assigned once take part; any other name is its own base.
"""
import numbers

import gast
import numpy as np

FULL_REDUCTIONS = {np.sum, np.mean, np.max, np.min, np.amax, np.amin,
                   np.prod, np.nansum, np.nanmean, np.var, np.std, np.ptp,
                   np.average}
MATH_TABLE = "srcad.rules.math"


class Shapes:
    def __init__(self, ops, captured, overwritten=()):
        self.overwritten = set(overwritten)
        counts = {}
        self.order = list(captured.params)
        for op in ops:
            for t in op.targets:
                counts[t] = counts.get(t, 0) + 1
                self.order.append(t)
        local = set(self.order)
        self.sets = {}
        declared = set()  # names math functions take, so scalars
        for op in ops:
            for t in op.targets:
                if counts[t] == 1 and len(op.targets) == 1:
                    self.sets[t] = self._set_of(op, captured, local,
                                                declared)
        self.scalar = set()
        for name_ in declared:
            self.scalar |= self._raw(name_)
        self.first = {}  # bases -> the earliest name with exactly those
        for name_ in self.order:
            self.first.setdefault(self.bases(name_), name_)

    def _raw(self, name_):
        return self.sets.get(name_, frozenset([name_]))

    def bases(self, name_):
        """The bases of `name_`, scalars left out."""
        return frozenset(b for b in self._raw(name_) if b not in self.scalar)

    def names_with(self, bases):
        """Names whose bases are `bases` and whose value never changes,
        earliest first."""
        return [n for n in self.order if self.bases(n) == bases and
                n not in self.overwritten]

    def same(self, a, b):
        return self.bases(a) == self.bases(b)

    def is_scalar(self, name_):
        return not self.bases(name_)

    def shape_source(self, name_):
        """Names whose broadcast shape is `name_`'s, chosen among values
        computed anyway: one name, or one per base."""
        bases = self.bases(name_)
        if bases & self.overwritten or name_ in self.overwritten:
            # values that change may not have this shape when it is read
            return [name_]
        if len(bases) <= 1:
            return [self.first.get(bases, name_)]
        return [self.first.get(frozenset([b]), b)
                for b in sorted(bases, key=self.order.index)]

    def _set_of(self, op, captured, local, declared):
        target = op.targets[0]
        if op.kind == "copy":
            return self._raw(op.sources[0][1].id)
        if op.kind != "rule":
            return frozenset([target])
        if op.rule.owner == MATH_TABLE:
            # math functions take and return scalars (a size-1 array
            # converts, and ad.result gives its gradient its shape back)
            declared.update(n.id for n in op.bound.values()
                          if isinstance(n, gast.Name) and n.id in local)
            return frozenset()
        if _full_reduction(op):
            return frozenset()
        if op.rule.elementwise or op.rule.fn in (gast.USub, gast.UAdd):
            union = set()
            for node in op.bound.values():
                if isinstance(node, gast.Constant):
                    if not isinstance(node.value, numbers.Number):
                        return frozenset([target])
                elif node.id in local:
                    union |= self._raw(node.id)
                elif not isinstance(captured.resolve(node.id),
                                    numbers.Number):
                    return frozenset([target])
            return frozenset(union)
        return frozenset([target])


def _full_reduction(op):
    if op.rule.fn not in FULL_REDUCTIONS:
        return False
    axis, keepdims = op.bound.get("axis"), op.bound.get("keepdims")
    return _constant(axis, None) and _constant(keepdims, False)


def _constant(node, value):
    return isinstance(node, gast.Constant) and node.value is value
