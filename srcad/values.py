"""Values: facts about names that the analysis and the transforms need.

- `sequences`: names that may hold a tuple or list (derivatives added
  element by element);
- `overwritten`: names whose value changes while the function runs;
- `views`: names that may share memory with an array written in place;
- `ints_of`: names surely holding Python ints (never differentiated);
- `check_writes`: writing in place is allowed only into arrays the
  function made itself;
- `resolve`: the object a callee expression refers to.
"""
import builtins
import math

import gast
import numpy as np

from . import build, rules
from .build import statements
from .capture import MISSING
from .errors import UnsupportedSyntax, located

VIEWS = {np.reshape, np.transpose, np.ravel, np.swapaxes, np.moveaxis,
         np.expand_dims, np.squeeze, np.broadcast_to, np.diagonal,
         np.asarray, np.atleast_1d, np.atleast_2d, np.atleast_3d,
         np.asanyarray, np.real, np.imag}


# Parameters of rules whose adjoint is a list where the argument is one
# (np.stack(xs), xs a list of arrays, even an argument of the function).
TAKES_SEQUENCE = {np.stack: "arrays", np.concatenate: "arrays",
                  np.hstack: "tup", np.vstack: "tup", np.array: "object",
                  np.asarray: "a", np.asanyarray: "a",
                  np.ascontiguousarray: "a", builtins.sum: "a",
                  builtins.list: "a", builtins.tuple: "a", math.fsum: "a"}


def sequences(order):
    """Names that may hold a tuple or list, whose derivatives are added
    element by element (ad.add) rather than with `+`."""
    names = {t for op in order if op.kind in ("pack", "append", "unpack",
                                              "call", "pop")
             or op.kind == "rule" and op.rule.fn in rules.registry.SEQUENCES
             for t in op.targets}
    for op in order:
        param = TAKES_SEQUENCE.get(op.rule.fn) if op.kind == "rule" else None
        if param is not None and isinstance(op.bound.get(param), gast.Name):
            names.add(op.bound[param].id)
    # ws[0][0]: ws may hold lists (an argument too), whose items' adjoints
    # are lists to add item by item
    picked = {op.targets[0]: op.sources[0][1].id for op in order
              if op.kind == "subscript" and op.sources}
    names |= {picked[t] for t in picked.values() if t in picked}
    names |= {n.id for op in order if op.kind == "unpack"
              for _, n in op.sources}
    changed = True
    while changed:
        changed = False
        for op in order:
            if not set(op.targets) <= names and \
                    (op.kind in ("copy", "subscript") and
                     op.sources[0][1].id in names or
                     _keeps_sequence(op, names)):
                names |= set(op.targets)
                changed = True
    return names


def displays(order, params):
    """Names that surely hold a tuple or list: every assignment a tuple or
    list display (appends and item writes keep it one), and no argument."""
    kinds = {}
    for op in order:
        for t in op.targets:
            kinds.setdefault(t, set()).add(op.kind)
    return {t for t, found in kinds.items() if "pack" in found and
            found <= {"pack", "append", "setitem"} and t not in params}


def _keeps_sequence(op, names):
    """Whether op is a call of a helper that gives a list for a list
    (`bl1 = ad.own(bl)`, `bl = ad.zeros_like(l)`) with such an argument."""
    return op.rule is not None and \
        op.rule.fn in rules.registry.KEEPS_SEQUENCE and \
        any(type(a) is gast.Name and a.id in names
            for a in op.stmt.value.args)


def views(order):
    """Names that may share memory with an array written in place (a slice
    of it, another name for it): reading one reads that array."""
    views = {t: t for op in order if op.kind == "setitem"
             for t in op.targets}
    changed = True
    while changed:
        changed = False
        for op in order:
            if op.kind in ("copy", "subscript") or \
                    (op.kind == "rule" and op.rule.fn in VIEWS):
                for _, source in op.sources[:1]:
                    for t in op.targets:
                        if source.id in views and t not in views:
                            views[t] = views[source.id]
                            changed = True
    return {t: base for t, base in views.items() if t != base}


def overwritten(fdef, order):
    counts = {}
    for op in order:
        for t in op.targets:
            counts[t] = counts.get(t, 0) + 1
    names = {t for t, n in counts.items() if n > 1}
    names |= {t for op in order if op.kind in ("setitem", "append")
              for t in op.targets}
    names |= {n.id for op in order if op.kind == "pop"
              for _, n in op.sources}
    for stmt in statements(fdef.body):
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            for inner in statements(stmt.body + stmt.orelse):
                if not isinstance(inner, (gast.If, gast.While)):
                    names |= set(describe_targets(inner))
    return names


def describe_targets(stmt):
    if isinstance(stmt, gast.For):
        return [stmt.target.id]
    if isinstance(stmt, gast.Assign):
        target = stmt.targets[0]
        if isinstance(target, gast.Tuple):
            return [t.id for t in target.elts]
        if isinstance(target, gast.Name):
            return [target.id]
    return []


def ints_of(order, captured):
    """Names every assignment of which surely gives a Python int."""
    candidates = {}
    for op in order:
        for t in op.targets:
            candidates.setdefault(t, []).append(op)
    shapes = {t for t, ops in candidates.items()
               if all(_attribute(op, ("shape",)) for op in ops)}
    # The largest such set: a counter (i = 0, then i = i + 1 in a loop)
    # is an int because every assignment to it is, given it is one. An
    # argument may hold anything at first, so it is never assumed.
    ints = set(candidates) - set(captured.params)
    changed = True
    while changed:
        changed = False
        for t in sorted(ints):
            if not all(_gives_int(op, ints, shapes, captured)
                       for op in candidates[t]):
                ints.discard(t)
                changed = True
    return ints


def _attribute(op, attrs):
    """Whether `op` assigns `x.attr` for one of `attrs`."""
    value = getattr(op.stmt, "value", None)
    return op.kind == "nondiff" and isinstance(value, gast.Attribute) and \
        value.attr in attrs


def _gives_int(op, ints, shapes, captured):
    stmt = op.stmt
    if isinstance(stmt, gast.For):
        return True  # loops run over ranges after normalize
    if op.kind in ("setitem", "append", "unpack") or \
            not isinstance(stmt, gast.Assign):
        return False
    value = stmt.value

    def int_atom(node):
        if isinstance(node, gast.Constant):
            return type(node.value) is int
        if isinstance(node, gast.UnaryOp):
            return isinstance(node.op, gast.USub) and int_atom(node.operand)
        return isinstance(node, gast.Name) and node.id in ints
    if isinstance(value, gast.Call):
        fn = resolve(value.func, captured)
        return fn in (len, int) or fn in (min, max) and \
            all(int_atom(a) for a in value.args)
    if isinstance(value, gast.BinOp):
        return isinstance(value.op, (gast.Add, gast.Sub, gast.Mult,
                                     gast.FloorDiv, gast.Mod)) and \
            int_atom(value.left) and int_atom(value.right)
    if isinstance(value, gast.Subscript):  # x.shape[0]
        return isinstance(value.value, gast.Name) and \
            value.value.id in shapes and int_atom(value.slice)
    return int_atom(value) or _attribute(op, ("ndim", "size"))


# Functions whose result may share memory with an argument.


def check_writes(order, captured, fdef):
    written = {t: op for op in order if op.kind in ("setitem", "append")
               for t in op.targets}
    handed = _handovers(order, fdef) if written else set()
    for target, write in written.items():
        if target in captured.params:
            raise located(UnsupportedSyntax, (
                f"this writes into the argument '{target}'; srcad never "
                f"modifies your inputs. Write into a copy instead "
                f"({target} = {target}.copy() first)."), write.stmt, captured)
        for op in order:
            if target in op.targets and _may_alias(op) and \
                    id(op.stmt) not in handed:
                # a name of the user's, or one normalize made (t5, u1)
                mine = target in build.stores(captured.tree)
                what = f"'{target}'" if mine else "the array written here"
                copy = f"{target} = np.copy(...)" if mine else "np.copy(...)"
                raise located(UnsupportedSyntax, (
                    f"{what} may share memory with another array or list "
                    f"(it is a view, an item, or a second name for one), "
                    f"so writing into it would change that one too; make "
                    f"it a copy first ({copy}, or list(...) for a list)."),
                    write.stmt, captured)


def _handovers(order, fdef):
    """The statements `a = t` that take over a new array no other name
    holds: `t` is assigned once, by the statement just before in the same
    block, with no view or second name of anything, and read nowhere
    else. Normalize writes `a = a + x` in a loop so (t = a + x; a = t),
    and so do gradients differentiated again (bx = bx + g)."""
    reads = {}
    for node in build.walk(fdef):
        if type(node) is gast.Name and type(node.ctx) is gast.Load:
            reads[node.id] = reads.get(node.id, 0) + 1
    assigned = {}
    for op in order:
        for t in op.targets:
            assigned[t] = assigned.get(t, 0) + 1
    ops = {id(op.stmt): op for op in order}
    handed = set()
    for block in _blocks(fdef):
        for before, stmt in zip(block, block[1:]):
            op, made = ops.get(id(stmt)), ops.get(id(before))
            if op is None or made is None or op.kind != "copy" or \
                    made.kind not in ("rule", "nondiff", "pack") or \
                    _may_alias(made):
                continue
            (_, source), = op.sources
            if made.targets == [source.id] and \
                    assigned[source.id] == 1 and reads[source.id] == 1:
                handed.add(id(stmt))
    return handed


def _blocks(fdef):
    yield fdef.body
    for stmt in statements(fdef.body):
        yield from build.blocks(stmt)


def _may_alias(op):
    if op.kind in ("copy", "subscript", "unpack", "unknown"):
        return True
    return op.kind == "rule" and op.rule.fn in VIEWS


def resolve(func, captured):
    """The object a callee expression (name or dotted chain) refers to."""
    if isinstance(func, gast.Name):
        if func.id in getattr(captured, "locals", ()):
            return MISSING  # a local value: known only when the call runs
        return captured.resolve(func.id)
    if isinstance(func, gast.Attribute):
        owner = resolve(func.value, captured)
        if owner is MISSING:
            return MISSING
        return getattr(owner, func.attr, MISSING)
    return MISSING
