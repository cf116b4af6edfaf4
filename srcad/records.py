"""Records: an outermost loop keeps one tuple per pass instead of pushing
and popping each value it overwrites.

    passes1 = []                          for t9, t10, x in reversed(passes1):
    while abs(x * x - a) > t4:                bt8 = bx / t9
        t9 = 2.0 * x                          ...
        t10 = (x * x - a) / t9
        passes1.append((t9, t10, x))
        x = x - t10

The sweep reads each taped value either only before its restore (a value
the pass computes, read as this pass left it: t9) or only after it (a
value the pass is about to overwrite, read as the pass found it: x). Both
kinds fit in one tuple, appended where the first kind is computed and the
second not yet overwritten, and unpacked first thing in the sweep's pass:
one append and no pop a pass for a while loop (its own list, read
backwards; the records count the passes, so no trip count), one append
and one pop for a `for` loop (on the tape: the sweep keeps its reversed
range, which the optimizer reasons about). A loop that breaks, continues
or returns, pushes in a nested loop or branch, or whose tape operations
do not fit, keeps them as they are.
"""
import gast

from . import build
from .build import assign, attr, call, name, statements
from .tape import is_compound, is_pop


def one_record_per_pass(loop, back, forward, sweep, tape, namer, reversed_,
                        params):
    """Rewrite `loop` (in statement list `forward`) and its reversed loop
    `back` (in `sweep`) in place when the pattern holds. Returns the taped
    names that nothing outside the two loops reads (they need no value
    before the loop), else an empty set."""
    plan = _plan(loop, back, sweep, tape, params)
    if plan is None:
        return set()
    body, taped, computed, at = plan
    values = build.tuple_([name(v) for v in taped])
    unpack = build.tuple_([name(v, store=True) for v in taped], store=True)
    if len(taped) == 1:
        values, unpack = values.elts[0], unpack.elts[0]
    if isinstance(loop, gast.For):  # the range stays: index reasoning
        store = tape
        back.body.insert(0, assign(unpack, call(attr(tape, "pop"), [])))
    else:
        store = namer.fresh("passes")
        namer.private.add(store)
        back.target, back.iter = unpack, call(name(reversed_), [name(store)])
        forward.insert(forward.index(loop), assign(
            store, gast.List(elts=[], ctx=gast.Load())))
    push = gast.Expr(value=call(attr(store, "append"), [values]))
    body.insert(at, build.located(push, body[min(at, len(body) - 1)]))
    body[:] = [s for s in body if not _is_push(s, tape)]
    back.body[:] = [s for s in back.body if not _is_pop(s, tape)] or \
        [gast.Pass()]
    if isinstance(loop, gast.While):
        _drop_count(loop, forward, sweep)
    return {v for v in computed if _bound_before_read(v, loop, body, forward,
                                                      sweep, back)}


def _plan(loop, back, sweep, tape, params):
    """(the pass's statements, the taped names in push order, those the
    pass computes, where the record goes), or None if the loop keeps its
    tape operations."""
    body = _pass_body(loop, tape)
    if body is None:
        return None
    pushes = [(i, s.value.args[0].id) for i, s in enumerate(body)
              if _is_push(s, tape)]
    pops = [(i, s.targets[0].id) for i, s in enumerate(back.body)
            if _is_pop(s, tape)]
    taped = [v for _, v in pushes]
    if isinstance(loop, gast.For) and len(pushes) < 2:
        return None  # a pop a pass either way
    if not pushes or [v for _, v in reversed(pops)] != taped or \
            len(set(taped)) != len(taped) or \
            _touches_tape(body, [i for i, _ in pushes], tape) or \
            _touches_tape(back.body, [i for i, _ in pops], tape) or \
            not all(_assigned_once_after(v, i, loop, body)
                    for i, v in pushes):
        return None
    kinds = _kinds(back.body, {v: i for i, v in pops})
    if kinds is None:
        return None
    computed = [v for v in taped if kinds[v] == "computed"]
    later = set().union(*map(build.loads, _after(sweep, back)))
    at = _record_position(body, pushes, kinds)
    if at is None or later & set(computed) or set(computed) & set(params):
        return None
    return body, taped, computed, at


def _bound_before_read(v, loop, body, forward, sweep, back):
    """Whether every read of `v` comes after the pass assigns it, or in the
    reversed loop: then the name needs no value before the loop."""
    outside = [s for s in forward + sweep if s is not loop and s is not back]
    if isinstance(loop, gast.While):  # its test, before the pass
        outside += loop.body[:-1]
    if any(v in build.loads(s) for s in outside):
        return False
    for stmt in body:
        if v in build.stores(stmt):
            return True
        if v in build.loads(stmt):
            return False
    return False


def _pass_body(loop, tape):
    """The statements one full pass runs: a `for`'s body, or the else
    part of a while loop's exit test (`if stop: break else: ...`), which
    must follow nothing that touches the tape. None if the loop may leave
    a pass early."""
    if isinstance(loop, gast.For):
        body = loop.body
    else:
        test = loop.body[-1] if loop.body else None
        if not (isinstance(test, gast.If) and len(test.body) == 1 and
                isinstance(test.body[0], gast.Break)):
            return None
        if any(tape in build.loads(s) for s in loop.body[:-1]):
            return None
        body = test.orelse
    if any(isinstance(s, (gast.Break, gast.Continue, gast.Return))
           for s in statements(body)):
        return None
    return body


def _is_push(stmt, tape):
    return isinstance(stmt, gast.Expr) and \
        build.is_runtime_call(stmt.value, tape, "append") and \
        len(stmt.value.args) == 1 and \
        isinstance(stmt.value.args[0], gast.Name)


def _is_pop(stmt, tape):
    return build.simple_assign(stmt) and is_pop(stmt.value, tape)


def _touches_tape(stmts, allowed, tape):
    """Whether statements other than those at indices `allowed` mention
    the tape (a nested loop's or branch's tape operations, say)."""
    return any(tape in build.mentions(s) for k, s in enumerate(stmts)
               if k not in allowed)


def _assigned_once_after(v, i, loop, body):
    """Whether the loop binds `v` once, in a statement of the pass after
    its push at index `i`."""
    sites = [s for s in statements(loop.body) if v in _binds(s)]
    return len(sites) == 1 and any(s is sites[0] for s in body[i + 1:])


def _binds(stmt):
    if isinstance(stmt, gast.For):
        return build.stores(stmt.target)
    return set() if is_compound(stmt) else build.stores(stmt)


def _kinds(stmts, popped_at):
    """Per taped name: "computed" if the sweep's pass reads it only before
    its pop (the value this pass left), "found" if only after (the value
    the pass found, also what the name must hold once the loop is done).
    None if one is read on both sides or assigned other than by its pop."""
    kinds = {}
    for v, at in popped_at.items():
        before = after = False
        for k, stmt in enumerate(stmts):
            if k == at:
                continue
            if v in build.stores(stmt):
                return None
            if v in build.loads(stmt):
                before |= k < at
                after |= k > at
        if before and after:
            return None
        kinds[v] = "computed" if before else "found"
    return kinds


def _after(sweep, back):
    """The statements of the sweep after `back` (at its level)."""
    for i, stmt in enumerate(sweep):
        if stmt is back:
            return sweep[i + 1:]
    return []


def _record_position(body, pushes, kinds):
    """Where the record goes in the pass: after every computed value's
    assignment, at the push of the first found value (not yet
    overwritten). None if a computed value is assigned later."""
    found = [i for i, v in pushes if kinds[v] == "found"]
    at = found[0] if found else len(body)
    for i, v in pushes:
        if kinds[v] == "computed" and not any(
                v in build.stores(s) for s in body[:at]):
            return None
    return at


def _drop_count(loop, forward, sweep):
    """A while loop's trip counter goes once nothing reads it: the records
    count the passes."""
    first = loop.body[0]
    if not (build.simple_assign(first) and
            isinstance(first.value, gast.BinOp) and
            isinstance(first.value.left, gast.Name) and
            first.value.left.id == first.targets[0].id):
        return
    trips = first.targets[0].id
    loop.body.remove(first)
    if any(trips in build.loads(s) for s in forward + sweep):
        loop.body.insert(0, first)
        return
    forward[:] = [s for s in forward if not (
        build.simple_assign(s) and s.targets[0].id == trips)]
