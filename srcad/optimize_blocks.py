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
"""
import gast

from .build import (clone, loads, mentions, simple_assign, stores,
                    transform, walk)
from .facts import facts_of

LOOPS = (gast.For, gast.While)


def dead_code(is_pure):
    def run(fdef, facts=None):
        names = facts_of(fdef, facts).names
        sweep = _Liveness(is_pure, drop=True)
        sweep.body(fdef.body, set(), names)
        return sweep.dropped
    return run


class _Liveness:
    """Names live before a statement list, given those live after it;
    with `drop`, dead assignments are taken out on the way."""

    def __init__(self, is_pure, drop):
        self.is_pure = is_pure
        self.drop = drop
        self.dropped = False
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
                before = self.statement(stmt, live,
                                        names[k][0] if names else None)
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
            stmt.target.id not in after and pure(stmt.iter, self.is_pure)

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
        assigned = {stmt.target.id} if type(stmt) is gast.For else set()
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
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if inner:
                changed |= _copies(inner)
    return changed


def _copies(stmts):
    changed = False
    for stmt in stmts:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if inner:
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
