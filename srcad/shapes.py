"""Shapes: what can be known about array shapes before run time.

Nothing about the arguments' shapes is known when code is generated, but
relations are. Every name gets the set of *base* names whose shapes,
broadcast together, give its shape: an argument or the result of a
non-elementwise operation is its own base; an elementwise result has the
union of its operands' sets; a copy has its source's; scalars (numbers,
`math` results and arguments, full reductions) have the empty set. Two
names with equal sets surely have one shape at run time.

Two more facts join sets. Slices that trim the same number of items
from each end's total (`x[1:]`, `x[:-1]`: n - 1 rows either way) share
one base. A reduction with `keepdims=True` broadcasts into its operand's
shape without changing it, so beside its operand's bases it drops out of
a set (`z - np.max(z, axis=1, keepdims=True)` has `z`'s shape).

This lets the framework leave out `unbroadcast` and `broadcast_like`
between values of one shape, skip the scalar check of a surely scalar
output, and read a shape from values computed anyway (`shape_source`)
rather than keep a value alive only for its shape.

Only names assigned once take part; any other name is its own base, and a
value computed from one (in a loop, `t = p * x` then `p = t + c[i]`) gets
a base of its own: the name's base stands for several values, of shapes
that may differ from pass to pass.

`steady` names the values a loop assigns whose shape is the same in every
pass (`W @ h` for a matrix W no loop changes): the sweep reads those for
their shape as the primal left them, neither taped nor recomputed.

`ndims` adds what a call's arguments tell (`known`: each argument's ndim,
0 for a number; see pipeline.kinds): the ndim of every name that surely
has one, overwritten names included, so that a value a loop overwrites is
known scalar when every assignment to it is.
"""
import numbers

import gast
import numpy as np

from .values import resolve

FULL_REDUCTIONS = {np.sum, np.mean, np.max, np.min, np.amax, np.amin,
                   np.prod, np.nansum, np.nanmean, np.var, np.std, np.ptp,
                   np.average}
MATH_TABLE = "srcad.rules.math"
LIKE_MAKERS = {np.zeros_like, np.ones_like, np.empty_like, np.full_like}
SHAPE_MAKERS = {np.zeros, np.ones, np.empty, np.full}
PRODUCTS = {gast.MatMult, np.matmul, np.dot}


class Shapes:
    def __init__(self, ops, captured, overwritten=(), ints=(), known=None):
        self.overwritten = set(overwritten)
        self.ndims = ndims(ops, captured, ints, known or {})
        self._ops, self._steady = ops, None
        self._captured, self._ints = captured, ints
        counts = {}
        self.order = list(captured.params)
        for op in ops:
            for t in op.targets:
                counts[t] = counts.get(t, 0) + 1
                self.order.append(t)
        self.names = local = set(self.order)  # every name the primal binds
        # names bound more than once: their base stands for no one value,
        # so what is computed from them gets a base of its own
        self.rebound = {t for t, n in counts.items()
                        if n > 1 or t in captured.params}
        self.sets = {}
        self.within = {}  # a keepdims reduction -> its operand's bases
        self._trims = {}  # (source's bases, trim per axis) -> first slice
        declared = set()  # names math functions take, so scalars
        for op in ops:
            for t in op.targets:
                if counts[t] == 1 and len(op.targets) == 1 and \
                        t not in captured.params:  # holds the argument too
                    self.sets[t] = self._set_of(op, captured, local,
                                                declared)
        self.scalar = {n for n, d in self.ndims.items() if d == 0}
        for name_ in declared:
            self.scalar |= self._raw(name_)
        self._joined = {}  # memo of joined, now that scalars are known
        # bases -> the earliest name with exactly those, among names
        # surely bound once set (not a loop's index, not a branch's value)
        self.first = {}
        unsure = self.overwritten | {t for op in ops if isinstance(
            op.stmt, gast.For) for t in op.targets}
        for name_ in self.order:
            if name_ not in unsure:
                self.first.setdefault(self.bases(name_), name_)

    @property
    def steady(self):
        """Names, assigned once, whose shape is the same in every pass of
        the loops around them: computed from names no loop changes (and
        ints), by elementwise operations, int indexing of arrays of known
        ndim (not lists), reductions, or products whose result's shape the
        unchanging operand tells (`W @ h` for a matrix W and a vector h). The sweep may read such a name
        for its shape without the tape (a pass's value has every pass's
        shape)."""
        if self._steady is None:
            self._steady = _steady(self._ops, self)
        return self._steady

    def _raw(self, name_):
        return self.sets.get(name_, frozenset([name_]))

    def bases(self, name_):
        """The bases of `name_`, scalars left out."""
        return self.joined(self._raw(name_))

    def joined(self, bases):
        """The bases of values of `bases` broadcast together: scalars and
        keepdims reductions beside their operand left out."""
        try:
            return self._joined[bases]
        except KeyError:
            pass
        found = {b for b in bases if b not in self.scalar}
        for b in sorted(found & self.within.keys(), key=self.order.index):
            if self.joined(self.within[b]) <= found - {b}:
                found.discard(b)
        self._joined[bases] = found = frozenset(found)
        return found

    def names_with(self, bases):
        """Names whose bases are `bases` and whose value never changes,
        earliest first."""
        return [n for n in self.order if self.bases(n) == bases and
                n not in self.overwritten]

    def scalar_item(self, subscript):
        """Whether `y[idx]` (a gast Subscript) surely picks one number."""
        return _indexed(subscript, self.ndims, self._captured,
                        self._ints) == 0

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
            source = op.sources[0][1].id
            if source in self.rebound:
                return frozenset([target])
            return self._raw(source)
        if op.kind == "subscript":
            return self._sliced(op, target, local)
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
        if _keepdims_reduction(op):
            source = op.bound.get("a")
            if isinstance(source, gast.Name) and source.id in local and \
                    source.id not in self.rebound:
                self.within[target] = self._raw(source.id)
            return frozenset([target])
        if op.rule.elementwise or op.rule.fn in (gast.USub, gast.UAdd):
            union = set()
            for node in op.bound.values():
                if isinstance(node, gast.Constant):
                    if not isinstance(node.value, numbers.Number):
                        return frozenset([target])
                elif node.id in self.rebound:
                    return frozenset([target])
                elif node.id in local:
                    union |= self._raw(node.id)
                elif not isinstance(captured.resolve(node.id),
                                    numbers.Number):
                    return frozenset([target])
            return frozenset(union)
        return frozenset([target])

    def _sliced(self, op, target, local):
        """`x[1:]` and `x[:-1]`, `x[2:, :]` and `x[1:-1]`: one base for
        slices of one value that trim as many items per axis."""
        source = op.stmt.value.value
        trim = _trim(op.stmt.value.slice)
        if trim is None or not isinstance(source, gast.Name) or \
                source.id not in local or source.id in self.rebound:
            return frozenset([target])
        if not trim:  # x[:], x[:, :]
            return self._raw(source.id)
        key = (self._raw(source.id), trim)
        return frozenset([self._trims.setdefault(key, target)])


def _trim(index):
    """How many items slice `index` leaves out per axis, counted from
    both ends, when that alone gives its length: a start of 0 or more,
    a stop below 0 or none, no step. None otherwise."""
    items = index.elts if isinstance(index, gast.Tuple) else [index]
    trim = []
    for item in items:
        if not isinstance(item, gast.Slice) or item.step is not None:
            return None
        start = 0 if item.lower is None else _int(item.lower)
        stop = 0 if item.upper is None else _int(item.upper)
        if start is None or stop is None or start < 0 or \
                (item.upper is not None and stop >= 0):
            return None
        trim.append(start - stop)
    while trim and trim[-1] == 0:
        trim.pop()
    return tuple(trim)


def _int(node):
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        value = _int(node.operand)
        return None if value is None else -value
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    return None


def _keepdims_reduction(op):
    return op.rule.fn in FULL_REDUCTIONS and \
        _constant(op.bound.get("keepdims"), True)


def _full_reduction(op):
    if op.rule.fn not in FULL_REDUCTIONS:
        return False
    axis, keepdims = op.bound.get("axis"), op.bound.get("keepdims")
    return _constant(axis, None) and _constant(keepdims, False)


def _constant(node, value):
    return isinstance(node, gast.Constant) and node.value is value


def ndims(ops, captured, ints, known):
    """The number of dimensions of every name that surely has one, from
    `known` (parameter -> ndim, 0 for a number, as seen at a call). A name
    assigned several times (in a loop, say) has an ndim only if every
    assignment gives the same one; the data flow is followed until nothing
    changes. Used to find scalars among values a loop overwrites."""
    found = {}
    for param in captured.params:
        if known.get(param) is None:
            found[param] = _UNKNOWN
        else:
            found[param] = known[param]
    changed = True
    while changed:
        changed = False
        for op in ops:
            if not op.targets:
                continue
            value = _ndim_of(op, found, captured, ints)
            if value is None:  # an operand not reached yet
                continue
            for t in op.targets:
                old = found.get(t)
                new = value if old is None or old == value else _UNKNOWN
                if new != old:
                    found[t] = new
                    changed = True
    return {n: d for n, d in found.items() if d is not _UNKNOWN}


class _Unknown:
    def __repr__(self):
        return "UNKNOWN"


_UNKNOWN = _Unknown()  # the top of the lattice: any ndim, or not an array


def _ndim_of(op, found, captured, ints):
    """The ndim `op` gives its target(s); None while an operand has none
    yet, _UNKNOWN when it cannot be told."""
    stmt = op.stmt
    if isinstance(stmt, gast.For):
        return 0 if op.targets[0] in ints else _UNKNOWN
    if op.kind in ("setitem", "append"):
        return found.get(op.targets[0])  # the array keeps its shape
    if len(op.targets) != 1 or not isinstance(stmt, gast.Assign):
        return _UNKNOWN
    if op.targets[0] in ints:
        return 0
    value = stmt.value
    if op.kind == "copy":
        return _operand(value, found, captured)
    if isinstance(value, gast.Constant):
        return 0 if _is_number(value.value) else _UNKNOWN
    if op.kind == "subscript":
        return _indexed(value, found, captured, ints)
    if op.kind == "nondiff" and isinstance(value, gast.Call):
        return _made(value, found, captured, ints)
    if op.kind != "rule":
        return _UNKNOWN
    if op.rule.owner == MATH_TABLE or _full_reduction(op):
        return 0
    if op.rule.fn is np.transpose:
        return _operand(op.bound["a"], found, captured)
    if op.rule.fn in PRODUCTS:  # vectors and matrices only
        dims = [_operand(op.bound[p], found, captured) for p in ("a", "b")]
        if None in dims:
            return None
        if all(d in (1, 2) for d in dims):
            return dims[0] + dims[1] - 2
        return _UNKNOWN
    if op.rule.elementwise or op.rule.fn in (gast.USub, gast.UAdd):
        dims = [_operand(node, found, captured)
                for node in op.bound.values()
                if not (isinstance(node, gast.Constant) and
                        node.value is None)]
        if _UNKNOWN in dims:
            return _UNKNOWN
        if None in dims:
            return None
        return max(dims, default=0)
    return _UNKNOWN


def _made(call, found, captured, ints):
    """Arrays made by a constructor: `np.zeros_like(x)` has x's ndim,
    `np.zeros(n)` one, `np.zeros((n, m))` two."""
    fn = resolve(call.func, captured)
    if not call.args or any(k.arg == "shape" for k in call.keywords):
        return _UNKNOWN
    first = call.args[0]
    if fn in LIKE_MAKERS:
        return _operand(first, found, captured)
    if fn in SHAPE_MAKERS:
        if isinstance(first, gast.Tuple):
            return len(first.elts)
        if isinstance(first, gast.Name) and first.id in ints or \
                isinstance(first, gast.Constant) and type(first.value) is int:
            return 1
    return _UNKNOWN


def _operand(node, found, captured):
    if isinstance(node, gast.Constant):
        return 0 if _is_number(node.value) else _UNKNOWN
    if not isinstance(node, gast.Name):
        return _UNKNOWN
    if node.id in captured.locals:
        return found.get(node.id)
    return 0 if _is_number(captured.resolve(node.id)) else _UNKNOWN


def _indexed(value, found, captured, ints):
    """`x[i]`, `x[i, j]`, `x[a:b, i]`: an int index takes a dimension
    away, a slice keeps it; anything else (arrays, masks, None) is not
    followed."""
    dims = _operand(value.value, found, captured)
    if dims is None or dims is _UNKNOWN:
        return dims
    index = value.slice
    items = index.elts if isinstance(index, gast.Tuple) else [index]
    if len(items) > dims:
        return _UNKNOWN
    for item in items:
        if isinstance(item, gast.Slice):
            continue
        if isinstance(item, gast.Constant) and type(item.value) is int or \
                isinstance(item, gast.Name) and item.id in ints:
            dims -= 1
            continue
        return _UNKNOWN
    return dims


def _is_number(value):
    """A number, NumPy's scalars too (they register as numbers), not a
    bool."""
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _steady(ops, shapes):
    """See Shapes.steady."""
    counts = dict.fromkeys(shapes._captured.params, 1)  # bound at the call
    for op in ops:
        for t in op.targets:
            counts[t] = counts.get(t, 0) + 1
    found = set()

    def unchanged(node):  # the same value in every pass
        return isinstance(node, gast.Constant) or \
            isinstance(node, gast.Name) and (
                node.id in shapes._ints or node.id not in shapes.overwritten)

    def fixed(node):  # the same shape in every pass
        return unchanged(node) or \
            isinstance(node, gast.Name) and node.id in found
    changed = True
    while changed:
        changed = False
        for op in ops:
            if len(op.targets) != 1 or op.targets[0] in found or \
                    counts[op.targets[0]] != 1 or \
                    not isinstance(op.stmt, gast.Assign):
                continue
            if _steady_op(op, fixed, unchanged, shapes.ndims):
                found.add(op.targets[0])
                changed = True
    return found


def _steady_op(op, fixed, unchanged, dims):
    value = op.stmt.value
    target = op.targets[0]
    if dims.get(target) == 0 or op.kind == "copy" and fixed(value):
        return True
    if op.kind == "subscript":  # of an array: a list's items may differ
        index = value.slice
        items = index.elts if isinstance(index, gast.Tuple) else [index]
        return fixed(value.value) and \
            dims.get(getattr(value.value, "id", None), 0) > 0 and all(
            unchanged(item) if not isinstance(item, gast.Slice) else
            all(part is None or isinstance(part, gast.Constant)
                for part in (item.lower, item.upper, item.step))
            for item in items)
    if op.kind != "rule":
        return False
    rule, bound = op.rule, op.bound
    if rule.fn in PRODUCTS:
        a, b = bound.get("a"), bound.get("b")
        ab = tuple(dims.get(n.id) if isinstance(n, gast.Name) else None
                   for n in (a, b))
        tells = {(2, 1): (a,), (1, 2): (b,), (2, 2): (a, b)}.get(ab)
        return tells is not None and all(fixed(n) for n in tells)
    if rule.elementwise or rule.fn in FULL_REDUCTIONS:
        return all(fixed(n) for n in bound.values())
    return False
