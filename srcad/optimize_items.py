"""Items: a pass of optimize.py for item stores nothing reads again.

The adjoint of `y[i] = v` zeroes `by[i]` (the old item is overwritten, so
it gets no derivative). In a recurrence swept backwards,

    for i in reversed(range(1, n)):
        bt = by[i]
        by[i] = 0.0
        ...
        by[i - 1] += bt * a

later passes read only smaller indices (`i` and `i - 1` of a smaller `i`),
and after the loop only items below the range's start, so the zero is
never read: `spent_items` drops it. The reasoning asks little: `by` is
read whole nowhere but in `by = ...` before the loop (it makes a new
array or owns the old one) and `by = ad.own(by)` after it, which keeps
its items; every item read is `by[i]` or `by[t]` with `t = i - c` in the
loop, and a constant index below the start after it; the loop is at the
top level, over `range(a, n)` with a constant `a`, swept downwards.
A top-level `by[k] = 0.0` (k a constant) that nothing reads after, or
only at other constant indices, is dropped too.
"""
import gast

from .build import is_runtime_call, loads, simple_assign, statements
from .facts import facts_of
from .optimize_blocks import range_of


def spent_items(runtime_name):
    def run(fdef, facts=None):
        counts = facts_of(fdef, facts).counts
        changed = False
        body = fdef.body
        for k, stmt in enumerate(body):
            array = _zero_store(stmt)
            if type(stmt) is gast.For:
                changed |= _in_sweep(body, k, runtime_name, counts)
            elif array is not None and \
                    _whole_reads_allowed(body, k, array) and \
                    _unread_after(body, k, array, runtime_name):
                body[k] = gast.Pass()
                changed = True
        if changed:
            fdef.body[:] = [s for s in body if type(s) is not gast.Pass] \
                or [gast.Pass()]
        return changed
    return run


def _zero_store(stmt):
    """The array of `b[index] = <number>`, else None."""
    if type(stmt) is gast.Assign and len(stmt.targets) == 1 and \
            type(stmt.targets[0]) is gast.Subscript and \
            type(stmt.targets[0].value) is gast.Name and \
            type(stmt.value) is gast.Constant and \
            type(stmt.value.value) in (int, float):
        return stmt.targets[0].value.id
    return None


def _in_sweep(body, k, runtime_name, counts):
    loop = body[k]
    start = _downward_start(loop, body, counts)
    if start is None or type(loop.target) is not gast.Name:
        return False
    index = loop.target.id
    if any(index in _stored(s) for s in statements(loop.body)):
        return False
    changed = False
    for j, stmt in enumerate(loop.body):
        array = _zero_store(stmt)
        if array is None or not _at(stmt.targets[0], index) or \
                not _whole_reads_allowed(body, k, array):
            continue
        offsets = _offsets(loop.body, index, array)
        items = _item_reads(loop.body, array)
        if items is None:
            continue
        after_store = _item_reads(loop.body[j + 1:], array)
        # every pass reads at i - c, c >= 0; this pass after the store only
        # at c >= 1; a c larger than the start could wrap around to -1
        if any(c is None or c > start for c in _cs(items, index, offsets)):
            continue
        if any(c < 1 for c in _cs(after_store, index, offsets)):
            continue
        if not _constant_reads_below(body[k + 1:], array, start,
                                     runtime_name):
            continue
        loop.body[j] = gast.Pass()
        changed = True
    if changed:
        loop.body[:] = [s for s in loop.body if type(s) is not gast.Pass] \
            or [gast.Pass()]
    return changed


def _downward_start(loop, body, counts):
    """a, for a loop `for i in reversed(r)`, r = range(a, n) (a constant
    int >= 0, no step) assigned once at the top level."""
    found = None if loop.orelse else range_of(loop.iter, body, counts)
    if found is None or not found[0] or len(found[1].args) > 2:
        return None
    args = found[1].args
    if len(args) == 1:
        return 0
    first = args[0]
    if type(first) is gast.Constant and type(first.value) is int and \
            first.value >= 0:
        return first.value
    return None


def _offsets(stmts, index, array):
    """Names assigned `t = i - c` (c a constant int) in the loop body, the
    only assignment to them in it, before anything mentions `array`."""
    found, seen = {}, set()
    for stmt in statements(stmts):
        if array in loads(stmt) | _stored(stmt):
            break
        for n in _stored(stmt):
            if n in seen:
                found.pop(n, None)
                continue
            seen.add(n)
            value = getattr(stmt, "value", None)
            if simple_assign(stmt) and type(value) is gast.BinOp and \
                    type(value.op) is gast.Sub and \
                    type(value.left) is gast.Name and \
                    value.left.id == index and \
                    type(value.right) is gast.Constant and \
                    type(value.right.value) is int:
                found[n] = value.right.value
    return found


def _at(place, index):
    return type(place.slice) is gast.Name and place.slice.id == index


def _cs(places, index, offsets):
    for place in places:
        slice_ = place.slice
        if type(slice_) is not gast.Name:
            yield None
        elif slice_.id == index:
            yield 0
        else:
            yield offsets.get(slice_.id)


def _item_reads(stmts, array):
    """The `array[...]` subscripts read in `stmts`, nested blocks too (`+=`
    into one reads it), or None if `array` is read whole."""
    places = []
    for stmt in stmts:
        added = {id(n.target) for n in gast.walk(stmt)
                 if type(n) is gast.AugAssign}
        items = whole = 0
        for node in gast.walk(stmt):
            if type(node) is gast.Subscript and \
                    type(node.value) is gast.Name and node.value.id == array:
                items += 1
                if type(node.ctx) is gast.Load or id(node) in added:
                    places.append(node)
            elif type(node) is gast.Name and node.id == array and \
                    type(node.ctx) is gast.Load:
                whole += 1
        if whole > items:
            return None  # read whole (a call's argument, a copy)
    return places


def _whole_reads_allowed(body, k, array):
    """Before the loop, `array` is read whole only to assign it anew;
    after it, only by `array = ad.own(array)`."""
    return all(simple_assign(stmt) and stmt.targets[0].id == array or
               _item_reads([stmt], array) is not None for stmt in body[:k])


def _constant_reads_below(stmts, array, start, runtime_name):
    """After the loop: `array` read only at constant indices below
    `start`, owned again, or deleted."""
    for stmt in stmts:
        if _owns(stmt, array, runtime_name):
            continue
        if type(stmt) is gast.Delete:
            continue
        if array not in loads(stmt) and array not in _stored(stmt):
            continue
        if simple_assign(stmt) and stmt.targets[0].id == array:
            return False  # a new value of the name: not followed further
        places = _item_reads([stmt], array)
        if places is None:
            return False
        if any(not _constant_index(p.slice) or p.slice.value >= start
               for p in places):
            return False
    return True


def _unread_after(body, k, array, runtime_name):
    """Nothing reads the item top-level statement k stores into `array`
    after it: other constant items only (it may be owned again or
    deleted)."""
    slice_ = body[k].targets[0].slice
    stored = slice_.value if _constant_index(slice_) else None
    for stmt in body[k + 1:]:
        if _owns(stmt, array, runtime_name) or type(stmt) is gast.Delete or \
                array not in loads(stmt):
            continue
        places = _item_reads([stmt], array)
        if places is None or stored is None or any(
                not _constant_index(p.slice) or p.slice.value == stored
                for p in places):
            return False
    return True


def _constant_index(slice_):
    return type(slice_) is gast.Constant and type(slice_.value) is int and \
        slice_.value >= 0


def _owns(stmt, array, runtime_name):
    return simple_assign(stmt) and stmt.targets[0].id == array and \
        is_runtime_call(stmt.value, runtime_name, "own") and \
        len(stmt.value.args) == 1 and \
        type(stmt.value.args[0]) is gast.Name and \
        stmt.value.args[0].id == array


def _stored(stmt):
    if type(stmt) is gast.For:
        return {n.id for n in gast.walk(stmt.target) if type(n) is gast.Name}
    targets = getattr(stmt, "targets", None) or \
        ([stmt.target] if type(stmt) is gast.AugAssign else [])
    return {t.id for t in targets if type(t) is gast.Name}
