"""Loops: how normalize turns every `for` into a loop over a range.

`for x in X` becomes `for k in range(len(X))` with `x = X[k]` first in the
body (X made a list first if it comes from a class or builtin srcad has no
rule for, such as `np.ndindex(shape)`); `zip`, `enumerate` (also of a zip)
and `reversed` likewise; a loop over `range(...)`, or over a name holding
a range, keeps its index. The reverse sweep can then run any loop
backwards as `reversed(r)`.
"""
import types

import gast

from . import build
from .build import const, name


class Loop:
    """How a `for` statement becomes a loop over a range: the range atom,
    the index name, and the statements that bind the user's target."""

    def __init__(self, normalizer, stmt):
        self.n = normalizer
        self.stmt = stmt
        self.binds = []  # (target node, value expression) for the body head
        iterable = stmt.iter
        kind = self.builtin(iterable)
        if isinstance(iterable, gast.Name) and \
                normalizer.current.get(iterable.id) in normalizer.ranges:
            kind = range  # a name holding a range, as generated code has
        if kind is range and isinstance(stmt.target, gast.Name) and \
                any(stmt.target.id in build.stores(s) for s in stmt.body):
            # the body changes the index: a name of the loop's own, the
            # user's name bound to it first (the sweep's reversed loop
            # binds the index, not what the body made of it)
            self.range = normalizer.atom(iterable)
            self.index = normalizer.namer.fresh("k")
            self.binds.append((stmt.target, name(self.index)))
        elif kind is range and isinstance(stmt.target, gast.Name):
            self.range = normalizer.atom(iterable)
            self.index = normalizer.new_name(stmt.target.id)
        elif kind in (zip, enumerate):
            self.over_builtin(kind, iterable, stmt.target)
        elif kind is reversed and len(iterable.args) == 1:
            sequence = normalizer.atom(iterable.args[0])
            backwards = normalizer.atom_of(gast.Subscript(
                value=sequence,
                slice=gast.Slice(lower=None, upper=None, step=const(-1)),
                ctx=gast.Load()), iterable)
            if isinstance(stmt.target, gast.Name) and \
                    sequence.id in normalizer.ranges:
                self.range = backwards  # a reversed range is a range
                self.index = normalizer.new_name(stmt.target.id)
            else:
                self.over_sequences([backwards], stmt.target)
        else:
            if self.iterator(iterable):  # np.ndindex(...): no len, no items
                iterable = build.call(self.builtin_name(list), [iterable])
            self.over_sequences([normalizer.atom(iterable)], stmt.target)

    def iterator(self, node):
        """A call of a class or builtin srcad has no rule for, whose result
        may have no len or items (np.ndindex, itertools.product, map):
        listed first. (A Python function's result is what it returns.)"""
        from . import rules
        from .values import resolve
        if not isinstance(node, gast.Call):
            return False
        found = resolve(node.func, self.n.captured)
        return rules.lookup(found) is None and \
            isinstance(found, (type, types.BuiltinFunctionType))

    @staticmethod
    def is_range(normalizer, expr):
        return isinstance(expr, gast.Call) and \
            isinstance(expr.func, gast.Name) and not expr.keywords and \
            normalizer.captured.resolve(expr.func.id) is range

    def builtin(self, node):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
                and node.func.id not in self.n.current:
            found = self.n.captured.resolve(node.func.id)
            if found in (range, zip, enumerate, reversed) and \
                    [k.arg for k in node.keywords] in \
                    ([], ["start"] if found is enumerate else []):
                return found
        return None

    def over_builtin(self, kind, call, target):
        if kind is enumerate:
            if len(call.args) + len(call.keywords) not in (1, 2) or \
                    not isinstance(target, gast.Tuple) or \
                    len(target.elts) != 2:
                self.n.fail("srcad supports 'for i, x in enumerate(xs)' "
                            "and 'enumerate(xs, start)'", self.stmt)
            inner = call.args[0]
            given = call.args[1:] + [k.value for k in call.keywords]
            start = self.n.atom(given[0]) if given else None
            if self.builtin(inner) is zip:  # enumerate(zip(xs, ys))
                self.over_builtin(zip, inner, target.elts[1])
            else:
                self.over_sequences([self.n.atom(inner)], target.elts[1])
            count = name(self.index) if start is None else gast.BinOp(
                left=name(self.index), op=gast.Add(), right=start)
            self.binds.insert(0, (target.elts[0], count))
            return
        sequences = [self.n.atom(a) for a in call.args]
        self.over_sequences(sequences, target, unpack=True)

    def over_sequences(self, sequences, target, unpack=False):
        n = self.n
        lengths = [n.atom_of(build.call(self.builtin_name(len), [s]),
                             self.stmt) for s in sequences]
        count = lengths[0] if len(lengths) == 1 else n.atom_of(
            build.call(self.builtin_name(min), lengths), self.stmt)
        self.range = n.atom_of(build.call(self.builtin_name(range), [count]),
                               self.stmt)
        self.index = n.namer.fresh("k")
        items = [gast.Subscript(value=s, slice=name(self.index),
                                ctx=gast.Load()) for s in sequences]
        if unpack and isinstance(target, gast.Tuple) and \
                len(target.elts) == len(items):
            self.binds.extend(zip(target.elts, items))
        elif len(items) == 1:
            self.binds.append((target, items[0]))
        else:
            self.binds.append((target, gast.Tuple(elts=items,
                                                  ctx=gast.Load())))

    def builtin_name(self, fn):
        return name(self.n.captured.bind_module(fn, fn.__name__,
                                                self.n.namer))

    def head(self):
        saved, self.n.out = self.n.out, []
        for target, value in self.binds:
            self.n.where = self.stmt
            self.n.assign(target, value)
        head, self.n.out = self.n.out, saved
        return head
