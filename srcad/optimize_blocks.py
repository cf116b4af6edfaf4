"""Blocks: passes of optimize.py that also clean up inside loops and
branches, where a name is assigned in every pass of a loop.

- `dead_code`: an assignment whose value has no side effects goes when
  nothing reads the name before it is assigned again. Liveness follows the
  control flow: what a loop's body reads before assigning it is live at
  the end of the body too (the next pass reads it), `break` and `continue`
  keep alive whatever the loop's exit and head need. A `for` loop left
  with an empty body goes too.
- `block_copies`: in a statement list inside a loop or branch, `a = b`
  lets later statements of the same list read `b` for `a`, up to the first
  that assigns either name (or a nested block); the copy itself then often
  dies. `a = a` goes.
- `first_items`: the first `bc[idx] += e` into fresh zeros, or `bc[i] +=
  e` in a loop whose index i never repeats, is `bc[...] = e`.
- `block_subexpressions` (run on the primal, before differentiating):
  arithmetic computed twice in one pass of a loop becomes a copy.
- `hoist_invariants` (the primal too): `+ - *` on values a loop never
  changes is computed once, before the loop.
"""
import gast

from .build import (blocks, clone, fingerprint, is_runtime_call, loads,
                    mentions, name, simple_assign, stores, transform, walk)
from .facts import Changes, facts_of

LOOPS = (gast.For, gast.While)


def dead_code(is_pure):
    def run(fdef, facts=None):
        names = facts_of(fdef, facts).names
        sweep = _Liveness(is_pure, drop=True)
        sweep.body(fdef.body, set(), names)
        return sweep.dropped and Changes(sweep.emptied)
    return run


class _Liveness:
    """Names live before a statement list, given those live after it;
    with `drop`, dead assignments are taken out on the way."""

    def __init__(self, is_pure, drop):
        self.is_pure = is_pure
        self.drop = drop
        self.dropped = False
        self.emptied = []  # top-level statements with statements dropped
        self.loop_live = None  # live at a break or continue

    def body(self, stmts, live, names=None):
        keep = []
        for k in range(len(stmts) - 1, -1, -1):
            stmt = stmts[k]
            if simple_assign(stmt):
                target = stmt.targets[0].id
                if target not in live and pure(stmt.value, self.is_pure):
                    if self.drop:
                        self.dropped = True
                        continue
                else:
                    reads = names[k][0] if names else loads(stmt.value)
                    live = (live - {target}) | reads
            else:
                dropped, self.dropped = self.dropped, False
                before = self.statement(stmt, live,
                                        names[k][0] if names else None)
                if self.dropped and names:  # the top level: names given
                    self.emptied.append(stmt)
                self.dropped |= dropped
                if self.drop and self.idle(stmt, live):
                    self.dropped = True
                    continue
                live = before
            keep.append(stmt)
        if self.drop and len(keep) < len(stmts):
            keep.reverse()
            stmts[:] = keep or [gast.Pass()]
        return live

    def idle(self, stmt, after):
        """A for loop left with nothing to do (its body all dropped but
        comments)."""
        return type(stmt) is gast.For and not stmt.orelse and \
            all(type(s) is gast.Pass or type(s) is gast.Expr and
                type(s.value) is gast.Constant for s in stmt.body) and \
            not stores(stmt.target) & after and pure(stmt.iter, self.is_pure)

    def statement(self, stmt, live, reads):
        kind = type(stmt)
        if kind in LOOPS:
            return self.loop(stmt, live)
        if kind is gast.If:
            after = set(live)
            return self.body(stmt.body, set(after)) | \
                self.body(stmt.orelse, set(after)) | loads(stmt.test)
        if kind in (gast.Break, gast.Continue):
            return live | self.loop_live
        if reads is None or kind is gast.Delete:
            reads = mentions(stmt)  # `del x` needs x bound
        if kind is gast.AugAssign and type(stmt.target) is gast.Name:
            reads = reads | {stmt.target.id}
        if kind is gast.Return:
            return set(reads)
        return live | reads

    def loop(self, stmt, after):
        """The body's live-out is what follows the loop plus what the body
        reads first (the next pass); worked out until it stops growing,
        and only then is anything dropped."""
        head = loads(stmt.test) if type(stmt) is gast.While else set()
        assigned = stores(stmt.target) if type(stmt) is gast.For else set()
        outer, drop = self.loop_live, self.drop
        self.drop = False
        end = after | head
        while True:
            self.loop_live = end
            start = self.body(stmt.body, set(end)) - assigned
            if start | after | head <= end:
                break
            end |= start
        self.drop = drop
        if drop:
            self.body(stmt.body, set(end))
        self.loop_live = outer
        live = end | (self.body(stmt.orelse, set(after)) if stmt.orelse
                      else set())
        if type(stmt) is gast.For:
            live |= loads(stmt.iter)
        return live


def pure(value, is_pure):
    """Whether `value` may be dropped: it calls only pure functions."""
    return all(is_pure(node) for node in walk(value)
               if isinstance(node, gast.Call))


def block_copies(fdef, facts=None):
    changed = False
    for stmt in fdef.body:
        for inner in blocks(stmt):
            changed |= _copies(inner)
    return changed


def _copies(stmts):
    changed = False
    for stmt in stmts:
        for inner in blocks(stmt):
            changed |= _copies(inner)
    selves = [s for s in stmts if simple_assign(s) and
              type(s.value) is gast.Name and s.targets[0].id == s.value.id]
    if selves:  # a = a
        stmts[:] = [s for s in stmts if s not in selves] or [gast.Pass()]
        changed = True
    for i, stmt in enumerate(stmts):
        if not (simple_assign(stmt) and type(stmt.value) is gast.Name):
            continue
        copy, source = stmt.targets[0].id, stmt.value.id
        for later in stmts[i + 1:]:
            if hasattr(later, "body"):
                break
            if copy in loads(later):
                transform(later, lambda node: clone(stmt.value)
                          if type(node) is gast.Name and node.id == copy and
                          type(node.ctx) is gast.Load else node)
                changed = True
            if {copy, source} & stores(later):
                break
    return changed


def first_items(runtime_name):
    """`bc = ad.zeros_like(c)`, then `bc[idx] += e` as the first statement
    to mention bc, or a loop over a range whose body adds to `bc[i]` once,
    i the loop's index (every pass adds to another item): each item added
    to is still zero, so `bc[...] += e` becomes `bc[...] = e`."""
    def run(fdef, facts=None):
        facts = facts_of(fdef, facts)
        counts, names = facts.counts, facts.names
        changed = False
        body = fdef.body
        for k, stmt in enumerate(body):
            if not (simple_assign(stmt) and is_runtime_call(
                    stmt.value, runtime_name, "zeros_like")):
                continue
            target = stmt.targets[0].id
            for j in range(k + 1, len(body)):
                reads, writes = names[j]
                if target not in reads and target not in writes:
                    continue
                later = body[j]
                write = later if _adds_to_item(later, target) else \
                    _only_item_write(later, target, body, counts)
                if write is not None:
                    _replace(body, write, gast.Assign(
                        targets=[write.target], value=write.value,
                        type_comment=None))
                    changed = True
                break
        return changed
    return run


def _only_item_write(loop, target, body, counts):
    """The one `target[i] += e` of `loop`, i its index over a range of
    distinct non-negative ints, if nothing else in it mentions target."""
    if type(loop) is not gast.For or loop.orelse or \
            type(loop.target) is not gast.Name or \
            not _distinct_indices(loop.iter, body, counts):
        return None
    index = loop.target.id
    found = []
    for stmt in _branches(loop.body):
        if target not in mentions(stmt):
            continue
        if not (_adds_to_item(stmt, target) and
                type(stmt.target.slice) is gast.Name and
                stmt.target.slice.id == index):
            return None  # a nested loop, too, may repeat an index
        found.append(stmt)
    if len(found) != 1 or any(index in stores(s) for s in loop.body):
        return None
    return found[0]


def _adds_to_item(stmt, target):
    """`target[...] += e`, target read nowhere else in it."""
    return type(stmt) is gast.AugAssign and type(stmt.op) is gast.Add and \
        type(stmt.target) is gast.Subscript and \
        type(stmt.target.value) is gast.Name and \
        stmt.target.value.id == target and \
        target not in loads(stmt.value) | loads(stmt.target.slice)


def _branches(stmts):
    """Statements of a loop body, branches entered, nested loops whole."""
    for stmt in stmts:
        if type(stmt) is gast.If:
            yield from _branches(stmt.body)
            yield from _branches(stmt.orelse)
        else:
            yield stmt


def _replace(stmts, old, new):
    for k, stmt in enumerate(stmts):
        if stmt is old:
            stmts[k] = new
            return
        for field in ("body", "orelse"):
            _replace(getattr(stmt, field, ()), old, new)


def _distinct_indices(iter_, body, counts):
    """`r` or `reversed(r)`, r assigned once at the top level to
    `range(n)`, `range(a, n)` or `range(a, n, s)` with constants a >= 0
    and s > 0: no index comes twice, none is negative."""
    found = range_of(iter_, body, counts)
    if found is None:
        return False
    args = found[1].args
    return (len(args) == 1 or _int_at_least(args[0], 0)) and \
        (len(args) < 3 or _int_at_least(args[2], 1))


def range_of(iter_, body, counts):
    """(backwards, the `range(...)` call) of a loop over `r` or
    `reversed(r)`, r a range call or a name assigned one once at the top
    level of `body`; else None."""
    backwards = type(iter_) is gast.Call and \
        type(iter_.func) is gast.Name and iter_.func.id == "reversed" and \
        len(iter_.args) == 1
    if backwards:
        iter_ = iter_.args[0]
    if type(iter_) is gast.Name:
        made = [s.value for s in body if simple_assign(s) and
                s.targets[0].id == iter_.id]
        if len(made) != 1 or counts.get(iter_.id) != 1:
            return None
        iter_ = made[0]
    if not (type(iter_) is gast.Call and type(iter_.func) is gast.Name and
            iter_.func.id == "range" and 1 <= len(iter_.args) <= 3 and
            not iter_.keywords):
        return None
    return backwards, iter_


def _int_at_least(node, low):
    return type(node) is gast.Constant and type(node.value) is int and \
        node.value >= low


def block_subexpressions(fdef, is_pure, facts=None):
    """Inside loops and branches: a statement computing, by arithmetic,
    what an earlier statement of the same list computed, from names not
    changed since, becomes a copy of it (`-k` four times in a loop body,
    say; `block_copies` then reads the first for the copy). Each list
    starts afresh: reaching into a branch from before it would make a
    loop's exit test carry derivatives (the test's `x * x` reused by the
    body) and cost the sweep more than it saves. Values change, not what
    is assigned: `facts` stay true after it."""
    written = facts_of(fdef, facts).written  # written in place: kept apart
    for stmt in fdef.body:
        for inner in blocks(stmt):
            _subexpressions(inner, is_pure, written)


def _subexpressions(stmts, is_pure, written):
    available = {}  # fingerprint -> (holder, names read)
    for stmt in stmts:
        if type(stmt) in (gast.If,) + LOOPS:
            for inner in blocks(stmt):
                _subexpressions(inner, is_pure, written)
        elif simple_assign(stmt) and _arithmetic(stmt.value) and \
                pure(stmt.value, is_pure) and \
                stmt.targets[0].id not in written:
            target = stmt.targets[0].id
            reads = loads(stmt.value)
            key = fingerprint(stmt.value)
            hit = available.get(key)
            _forget(available, {target})
            if hit is not None:
                stmt.value = name(hit[0])
            elif target not in reads:
                available[key] = (target, reads)
            continue
        _forget(available, stores(stmt) | _written_into(stmt))


def _arithmetic(value):
    """An operator on names and numbers."""
    return type(value) in (gast.BinOp, gast.UnaryOp) and all(
        type(node) in (gast.Name, gast.Constant) for node in
        ((value.left, value.right) if type(value) is gast.BinOp
         else (value.operand,)))


def _written_into(stmt):
    """Names a statement changes in place (y[i] = v, ys.append(v))."""
    found = set()
    for node in walk(stmt):
        if type(node) is gast.Subscript and type(node.ctx) is gast.Store \
                and type(node.value) is gast.Name:
            found.add(node.value.id)
        elif type(node) is gast.Call and \
                type(node.func) is gast.Attribute and \
                type(node.func.value) is gast.Name:
            found.add(node.func.value.id)  # a method may change its owner
    return found


def _forget(available, changed):
    if not changed:
        return
    for key, (holder, reads) in list(available.items()):
        if holder in changed or not changed.isdisjoint(reads):
            del available[key]


def hoist_invariants(fdef, facts=None):
    """A statement of a loop's body computing `+`, `-` or `*` from values
    the loop never changes, into a name assigned nowhere else, moves in
    front of the loop (`t2 = -k` of `-k * y` in an integrator's step): the
    loop and its sweep no longer compute it each pass, and the sweep adds
    up its adjoint to apply once. Division and powers stay, as they may
    raise where a loop that never runs would not."""
    facts = facts_of(fdef, facts)
    _hoist(fdef.body, facts.counts, facts.written)


def _hoist(stmts, counts, written):
    out = []
    for stmt in stmts:
        for inner in blocks(stmt):
            _hoist(inner, counts, written)
        if type(stmt) in LOOPS:
            changed = stores(stmt) | (written & mentions(stmt))
            for inner in list(stmt.body):
                if simple_assign(inner) and _arithmetic(inner.value) and \
                        type(inner.value.op) in _SAFE and \
                        counts.get(inner.targets[0].id) == 1 and \
                        not loads(inner.value) & changed:
                    stmt.body.remove(inner)
                    out.append(inner)
                    changed.discard(inner.targets[0].id)
            if not stmt.body:
                stmt.body.append(gast.Pass())
        out.append(stmt)
    stmts[:] = out


_SAFE = (gast.Add, gast.Sub, gast.Mult, gast.USub, gast.UAdd)
