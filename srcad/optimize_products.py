"""Products: outer products a loop adds up become one matrix product.

The adjoint of `W @ h` in a loop (an RNN's step) is `bW += np.outer(g, h)`
each pass: a fresh matrix and a matrix-sized add per pass. Kept as rows
instead, the sum is `G.T @ H` once after the loop, which BLAS does many
times faster (50 passes, 64 units: the whole gradient takes half the time).

`outer_sums(fdef, runtime_name, namer, resolve)` rewrites a top-level loop
in which an accumulator `b` appears only in statements `b += np.outer(x,
y)` (at any depth, any number of them), where `b` holds fresh zeros that
no earlier statement reads, so nothing else can see `b` before the sum:

    t8 = []
    t9 = []
    for t in reversed(t3):
        ...
        t8.append(g)
        t9.append(h)
    bW += ad.outer_sum(t8, t9)

A row is copied as it is appended when something in the loop may change
an array in place (it could be that row, changed before the sum).
"""
import gast
import numpy as np

from . import rules
from .build import (assign, attr, blocks, call, is_runtime_call, mentions,
                    name, simple_assign, statements, walk)
from .optimize_blocks import LOOPS

SUM = "outer_sum"
_LOOP_BUILTINS = (range, reversed, len, zip, enumerate)
_LIST_METHODS = ("append", "pop")
# helpers that write into an argument, or run derivative code that may
_RUNTIME_IN_PLACE = ("add_at", "call_forward", "call_backward", "call_jvp",
                     "call_jvps")


def outer_sums(fdef, runtime_name, namer, resolve):
    """`resolve(node)` is the object a callee expression refers to."""
    if not any(type(stmt) in LOOPS for stmt in fdef.body):
        return fdef
    out = []
    zeros = set()  # fresh zeros nothing has read yet
    for stmt in fdef.body:
        if type(stmt) in LOOPS:
            found = _sums(stmt, zeros, resolve)
            if found:
                out += _batched(stmt, found, runtime_name, namer, resolve)
                zeros -= mentions(stmt) | set(found)
                continue
        if zeros:
            zeros -= mentions(stmt)
        if simple_assign(stmt) and \
                is_runtime_call(stmt.value, runtime_name, "zeros_like"):
            zeros.add(stmt.targets[0].id)
        out.append(stmt)
    fdef.body[:] = out
    return fdef


def _batched(loop, found, runtime_name, namer, resolve):
    """The lists, the loop appending to them, the sums after it."""
    copy = _may_change_arrays(loop, found, runtime_name, resolve)
    before, after = [], []
    for acc, adds in found.items():
        rows = namer.fresh(), namer.fresh()
        before += [assign(r, gast.List(elts=[], ctx=gast.Load()))
                   for r in rows]
        for add in adds:
            add.appends = _appends(add, rows, runtime_name, copy)
        after.append(_total(acc, rows, runtime_name))
    for inner in blocks(loop):
        inner[:] = _substituted(inner)
    return before + [loop] + after


def _sums(loop, zeros, resolve):
    """accumulator -> its `b += np.outer(x, y)` statements, for the fresh
    zeros `loop` mentions in no other way."""
    adds = {}
    for stmt in statements([loop]):
        if type(stmt) is gast.AugAssign and type(stmt.op) is gast.Add and \
                type(stmt.target) is gast.Name and \
                stmt.target.id in zeros and _is_outer(stmt.value, resolve):
            adds.setdefault(stmt.target.id, []).append(stmt)
    if not adds:
        return {}
    seen = dict.fromkeys(adds, 0)
    for node in walk(loop):
        if type(node) is gast.Name and node.id in seen:
            seen[node.id] += 1
    return {acc: stmts for acc, stmts in adds.items()
            if seen[acc] == len(stmts)}


def _is_outer(value, resolve):
    return type(value) is gast.Call and len(value.args) == 2 and \
        not value.keywords and \
        not any(type(a) is gast.Starred for a in value.args) and \
        resolve(value.func) is np.outer


def _appends(add, rows, runtime_name, copy):
    """`rows[0].append(x)`, `rows[1].append(y)` for `b += np.outer(x, y)`."""
    out = []
    for row, value in zip(rows, add.value.args):
        if copy and type(value) is not gast.Constant:
            value = call(attr(runtime_name, "copy"), [value])
        out.append(gast.copy_location(
            gast.Expr(value=call(attr(row, "append"), [value])), add))
    return out


def _substituted(stmts):
    """`stmts` with each sum marked by `_appends` replaced by its appends,
    in nested blocks too."""
    out = []
    for stmt in stmts:
        appends = getattr(stmt, "appends", None)
        if appends is not None:
            out += appends
            continue
        for inner in blocks(stmt):
            inner[:] = _substituted(inner)
        out.append(stmt)
    return out


def _total(acc, rows, runtime_name):
    return gast.AugAssign(target=name(acc, store=True), op=gast.Add(),
                          value=call(attr(runtime_name, SUM),
                                     [name(rows[0]), name(rows[1])]))


def _may_change_arrays(loop, found, runtime_name, resolve):
    """Whether a statement of `loop` other than the sums may write into an
    array: an augmented or subscript assignment, or a call that may."""
    sums = {id(s) for stmts in found.values() for s in stmts}
    for node in walk(loop):
        kind = type(node)
        if kind is gast.AugAssign:
            if id(node) not in sums:
                return True
        elif kind in (gast.Subscript, gast.Attribute) and \
                type(node.ctx) is gast.Store:
            return True
        elif kind is gast.Call and _may_change(node, runtime_name, resolve):
            return True
    return False


def _may_change(node, runtime_name, resolve):
    """Calls that leave arrays alone: functions with a rule of srcad's own
    (no `out=`; a user's rule may run anything), runtime helpers but those
    that add in place or run other derivatives, a list's append and pop,
    range and its kin."""
    if any(k.arg == "out" for k in node.keywords):
        return True
    func = node.func
    if type(func) is gast.Attribute and type(func.value) is gast.Name:
        if func.value.id == runtime_name:
            return func.attr in _RUNTIME_IN_PLACE
        if func.attr in _LIST_METHODS:
            return False
    obj = resolve(func)
    if obj in _LOOP_BUILTINS:
        return False
    rule = rules.lookup(obj)  # srcad's own tables: functions without effects
    return rule is None or rule.owner == "user"
