"""Tape: which values the reverse sweep must keep, and which adjoints
must be made private before they are written in place.

The reverse transform first emits its sweeps with *marks* (`mark`) where a
value may need saving or restoring; `needed_values` then works out which
overwritten names the sweep really reads after their restore, and only
those are kept. Locals that live within one pass over a loop's body
(`block_locals`) start from zero in each reversed pass, and those whose
inputs do not change are recomputed (`recomputations`) rather than taped.
`own_before_writes` puts `b = ad.own(b)` before the outermost statement that
writes into an adjoint (or forward mode's tangent) in place, or inside the
loop or branch that binds it anew.
"""
import gast

from . import build
from .build import assign, call, clone, const, name, statements


def mark(stmt, *what):
    """Tag a statement for the tape pass: ("save", y), ("restore", y),
    ("zero",) for a zero adjoint (("zero", by) for a block local's that
    reads nothing, see absorbed), ("inplace", by) for an in-place write."""
    stmt.srcad_mark = what
    return stmt


def marked(stmt):
    return getattr(stmt, "srcad_mark", None)


def recomputations(stmts, needed):
    """Of the statements a block may run again, those whose values the
    sweep reads, with what they read in turn."""
    keep = []
    wanted = set(needed)
    for stmt in reversed(stmts):
        if stmt.targets[0].id in wanted:
            keep.insert(0, build.located(clone(stmt), stmt))
            wanted |= build.loads(stmt.value)
    return keep


def needed_values(sweep, overwritten, views):
    """The overwritten names whose earlier values the sweep reads: read at
    a point that comes after the restore of one of its assignments (in a
    loop, a restore anywhere in the loop comes before the next pass).
    Reading a view of an array written in place reads that array."""
    needed = set()
    _scan(sweep, set(), overwritten, needed, views)
    return needed


def _scan(stmts, restored, overwritten, needed, views):
    """Walk the sweep in order; `restored` holds the names a restore mark
    has been passed for. Returns the names restored by `stmts`."""
    restored = set(restored)
    for stmt in stmts:
        mark_ = marked(stmt)
        kind = mark_[0] if mark_ else None
        if kind in ("restore", "restore_append", "restore_pop"):
            restored.add(mark_[1])
            continue
        if kind == "restore_item":
            restored.add(mark_[1].targets[0].value.id)
            continue
        if kind in ("save", "save_item", "recompute") or \
                kind == "zero" and len(mark_) == 2:
            continue  # a zero the optimizer drops: see absorbed
        if isinstance(stmt, (gast.For, gast.While)):
            inside = _restores(stmt.body) | restored
            if isinstance(stmt, gast.For):  # its body reads its own index
                inside -= build.stores(stmt.target)
            reads = build.loads(stmt.iter)
            restored |= _scan(stmt.body, inside, overwritten, needed, views)
        elif isinstance(stmt, gast.If):
            reads = build.loads(stmt.test)
            restored |= _scan(stmt.body, restored, overwritten, needed, views)
            restored |= _scan(stmt.orelse, restored, overwritten, needed,
                              views)
        else:
            reads = value_loads(stmt)
        reads |= {views[n] for n in reads if n in views}
        needed |= reads & restored & overwritten
    return restored


def absorbed(sweep, adjoint):
    """Whether the zero of a block local's `adjoint`, put first in the
    block's `sweep`, only starts a sum (`b = b + e` is the first statement
    mentioning b, and nothing writes into b by item): the optimizer makes
    that sum the assignment `b = e`, so the zero reads the local for
    nothing. Any other zero reads the local's value in this pass, which
    has this pass's shape where the final value may not."""
    first = None
    for stmt in sweep:
        if first is None and adjoint in build.mentions(stmt):
            first = stmt
        if any(marked(s) == ("inplace", adjoint) for s in statements([stmt])):
            return False
    if not (isinstance(first, gast.Assign) and
            isinstance(first.targets[0], gast.Name) and
            first.targets[0].id == adjoint):
        return False
    value = first.value
    if isinstance(value, gast.Call) and len(value.args) == 2 and \
            isinstance(value.func, gast.Attribute) and \
            value.func.attr == "add":  # ad.add(b, e), for a list
        left, rest = value.args
    elif isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add):
        left, rest = value.left, value.right
    else:
        return False
    return isinstance(left, gast.Name) and left.id == adjoint and \
        adjoint not in build.loads(rest)


def value_loads(tree):
    """Names read in `tree`, but those read only for a shape that is the
    same in every pass (marked `shape_only` by Reverse.shape_of): the
    sweep may read those as the primal left them."""
    found, calls = set(), []
    build.collect(tree, found, None, calls)
    if not any(getattr(a, "shape_only", False) for c in calls
               if type(c) is gast.Call for a in c.args):
        return found  # the common case, one fast walk
    found = set()
    for node in build.walk(tree):
        if type(node) is gast.Name and type(node.ctx) is gast.Load and \
                not getattr(node, "shape_only", False):
            found.add(node.id)
    return found


def _restores(stmts):
    names = set()
    for stmt in statements(stmts):
        mark_ = marked(stmt)
        if mark_ and mark_[0] in ("restore", "restore_append", "restore_pop"):
            names.add(mark_[1])
        elif mark_ and mark_[0] == "restore_item":
            names.add(mark_[1].targets[0].value.id)
    return names


def is_compound(stmt):
    return isinstance(stmt, (gast.If, gast.For, gast.While))


def block_locals(body):
    """For each statement list inside a loop, the names that live within
    it: assigned first directly in the list, and mentioned nowhere else in
    the function than later in that list. No value of such a name crosses
    an iteration, so its adjoint can start from zero in each reversed pass
    over the list. Keyed by id() of the list."""
    blocks = list(_loop_blocks(body))
    if not blocks:  # straight-line code
        return {}
    mentions, assignments = {}, {}
    for stmt in statements(body):
        if not is_compound(stmt):
            read, wrote = set(), set()
            build.collect(stmt, read, wrote)
            for id_ in read | wrote:
                mentions[id_] = mentions.get(id_, 0) + 1
            for id_ in wrote:
                assignments[id_] = assignments.get(id_, 0) + 1
        elif isinstance(stmt, gast.For):
            mentions[stmt.target.id] = mentions.get(stmt.target.id, 0) + 1
            assignments[stmt.target.id] = 2
    found = {}
    for block in blocks:
        seen = {}
        for i, stmt in enumerate(block):
            for inner in statements([stmt]):
                names = build.loads(inner) | build.stores(inner) \
                    if not is_compound(inner) else set()
                for id_ in names:
                    seen[id_] = seen.get(id_, 0) + 1
        for stmt in block:
            if is_compound(stmt) or not isinstance(stmt, gast.Assign) or \
                    isinstance(stmt.targets[0], gast.Subscript):
                continue
            for id_ in build.stores(stmt) - build.loads(stmt):
                if assignments.get(id_) == 1 and \
                        seen.get(id_) == mentions.get(id_) and \
                        _first_mention(block, id_) is stmt:
                    found.setdefault(id(block), set()).add(id_)
    return found


def _loop_blocks(body, in_loop=False):
    for stmt in body:
        if isinstance(stmt, (gast.For, gast.While)):
            yield stmt.body
            yield from _loop_blocks(stmt.body, True)
        elif isinstance(stmt, gast.If):
            for branch in (stmt.body, stmt.orelse):
                if in_loop:
                    yield branch
                yield from _loop_blocks(branch, in_loop)


def _first_mention(block, id_):
    for stmt in statements(block):
        if not is_compound(stmt) and \
                id_ in build.loads(stmt) | build.stores(stmt):
            return stmt
    return None


def own_before_writes(sweep, own, only=None):
    """Insert `by = ad.own(by)` before each top-level statement that writes
    into adjoint `by` in place (at any depth inside it), unless `by` is
    made afresh inside it (the zero of a block's local). A loop or branch
    that also binds `by` to what may be another's value (a forward-mode
    `dy = dx` in a loop's body) gets the own inside, before the write:
    owned before the loop, `by` would be unbound there, or bound to another
    value than the one written. `only` limits the work to those names."""
    out = []
    for stmt in sweep:
        inner = [marked(s) for s in statements([stmt]) if marked(s)]
        fresh = {m[1] for m in inner if m[0] == "zero" and len(m) > 1}
        written = sorted({m[1] for m in inner if m[0] == "inplace"} - fresh)
        if only is not None:
            written = [id_ for id_ in written if id_ in only]
        rebound = {id_ for id_ in written
                   if is_compound(stmt) and _rebinds(stmt, id_, own)}
        for id_ in written:
            if id_ not in rebound:
                out.append(assign(id_, call(clone(own), [name(id_)]), stmt))
        for block in build.blocks(stmt) if rebound else ():
            block[:] = own_before_writes(block, own, rebound)
        out.append(stmt)
    return out


def _rebinds(stmt, id_, own):
    """Whether a statement inside compound `stmt` binds name `id_` to what
    may be another's value: not to a fresh zero, nor to a sum `b = b + e`
    (a new array, or a new list for an owned list b)."""
    for inner in statements(stmt.body + stmt.orelse):
        if isinstance(inner, gast.For):
            targets = [inner.target]
        elif isinstance(inner, gast.Assign) and not (
                marked(inner) and marked(inner)[0] == "zero" or
                _accumulates(inner, id_, own.value.id)):
            targets = inner.targets
        else:
            continue
        for target in targets:
            elts = target.elts if isinstance(target, gast.Tuple) else [target]
            if any(isinstance(e, gast.Name) and e.id == id_ for e in elts):
                return True
    return False


def _accumulates(stmt, id_, runtime_name):
    """Whether `stmt` is `id_ = id_ + e` or `id_ = ad.add(id_, e)`."""
    if not (build.simple_assign(stmt) and stmt.targets[0].id == id_):
        return False
    value = stmt.value
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add):
        first = value.left
    elif build.is_runtime_call(value, runtime_name, "add") and value.args:
        first = value.args[0]
    else:
        return False
    return isinstance(first, gast.Name) and first.id == id_


def exit_by_test(loop, again, tape):
    """A while loop left only by its test needs no branch flags: every pass
    but the last took the body, so the sweep runs the body's adjoint
    `trips - 1` times. `loop` is the primal `while True:` (its test made
    `if stop: break` by normalize), `again` the sweep's loop over its trip
    count; both are changed in place when the pattern holds."""
    test = _exit_test(loop.body, tape)
    if test is None or len(again.body) != 1:
        return
    back = again.body[0]
    if not (isinstance(back, gast.If) and is_pop(back.test, tape) and
            all(isinstance(s, gast.Pass) for s in back.body)):
        return
    test.body = test.body[1:]  # the flag pushed before break
    test.orelse = test.orelse[:-1] or [gast.Pass()]
    again.body = back.orelse
    trips = again.iter.args[0]
    again.iter.args[0] = gast.BinOp(left=trips, op=gast.Sub(),
                                    right=const(1))


def _exit_test(body, tape):
    """The `if stop: push(True); break / else: ...; push(False)` that ends
    `body`, if nothing before it touches the tape and nothing in its else
    branch may jump."""
    if not body or not isinstance(body[-1], gast.If):
        return None
    test = body[-1]
    for stmt in body[:-1]:
        if is_compound(stmt) or tape in build.loads(stmt):
            return None
    if len(test.body) != 2 or not isinstance(test.body[1], gast.Break) or \
            not _is_push(test.body[0], tape, True):
        return None
    if not test.orelse or not _is_push(test.orelse[-1], tape, False):
        return None
    for stmt in statements(test.orelse):
        if isinstance(stmt, (gast.Break, gast.Continue, gast.Return)):
            return None
    return test


def _is_push(stmt, tape, value):
    """`tape.append(value)` as a statement, value True or False."""
    return isinstance(stmt, gast.Expr) and \
        build.is_runtime_call(stmt.value, tape, "append") and \
        len(stmt.value.args) == 1 and \
        isinstance(stmt.value.args[0], gast.Constant) and \
        stmt.value.args[0].value is value


def is_pop(expr, tape):
    return build.is_runtime_call(expr, tape, "pop") and not expr.args
