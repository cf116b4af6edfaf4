"""Fuse: a temporary that one statement assigns and one later statement
of the same block reads is written into that statement.

    t1 = x * x                  while abs(x * x - a) > t4:
    t2 = t1 - a          ->         ...
    t3 = abs(t2) ...

Last of the optimizer's passes (the others match single operations).
Only the normalizer's temporaries go (`Namer.temporaries`: t1, bt1, dt1);
the user's names and their adjoints stay, so the code still reads line by
line like the user's. A name's value that only its next assignment reads
goes into that assignment too (`bx = bx + a; ...; bx = bx - b` is
`bx = bx + a - b`). What runs computes the same values: the expression
moved calls nothing that may have effects (`movable`); what it moves
past rebinds nothing it reads and changes nothing but srcad's own lists
(`private`: the tape, a loop's records), which it does not read, or a
number (`ba += g` where ba holds one); and nothing in the receiving
statement that runs before it calls anything or is evaluated only
sometimes (the later operands of `and`, `or`, a chained comparison, a
conditional expression). Pure expressions may swap places (`c * d +
a * b` for two temporaries read in that order): the same values, only
which of two errors is raised first could differ. Lines stay under
about `WIDTH` characters; `while True: if not c: break` becomes
`while c:` once c is one expression; a negation joined to a product
goes on its number (`-(-1.0 * e)` is `1.0 * e`, exact). A temporary
saves a store and a load: in loops over Python numbers that is 15 - 20%
of the derivative's time (newton's loop test, rk4's stages).
"""
import gast

from . import build
from .build import blocks, collect, is_comment, walk, walk_children
from .folding import negations_inward


def fuse(fdef, temporaries, movable, private=frozenset(),
         numbers=frozenset()):
    """Fuse `fdef`'s single-use temporaries into their readers, in every
    block. `movable(call)` says whether a call has no effects; `private`
    names the lists only srcad's code touches; `numbers` the names known
    to hold numbers (`ba += g` changes no array there)."""
    counts = _counts(fdef)
    once = {id_ for id_ in temporaries
            if counts.get(id_) == (1, 1)}  # (loads, stores)
    _Fuser(once, movable, private, numbers).block(fdef.body)
    return fdef


def _counts(fdef):
    """name -> (loads, stores); a `del` counts as many loads as it takes
    to keep the name."""
    loads, stores = {}, {}
    for node in walk(fdef):
        if type(node) is gast.Name:
            ctx = type(node.ctx)
            table = stores if ctx in (gast.Store, gast.Param) else loads
            table[node.id] = table.get(node.id, 0) + (
                2 if ctx is gast.Del else 1)
    return {id_: (loads.get(id_, 0), stores.get(id_, 0))
            for id_ in loads.keys() | stores.keys()}


class _Fuser:
    """The fusing of one function: its single-use temporaries (`once`),
    which calls may move, srcad's own lists, the names holding numbers."""

    def __init__(self, once, movable, private, numbers):
        self.once, self.movable = once, movable
        self.private, self.numbers = private, numbers

    def block(self, body):
        out = []    # the statements kept so far
        candidates = 0
        notes = []  # for each: (name it assigns or None, chained (see
        #             _candidate), what an expression moving past it must
        #             not read or None if nothing may, what it reads: for
        #             a candidate, what its value reads)
        for stmt in body:
            for inner in blocks(stmt):
                self.block(inner)
            read, wrote = set(), set()
            collect(stmt, read, wrote)
            fused = False
            while candidates and _fuse_one(out, notes, stmt, read):
                fused = True
                candidates -= 1
            if fused:  # `-bt1` taking `bt1 = -1.0 * e` is `1.0 * e`
                negations_inward(stmt)
            if type(stmt) is gast.While:
                _test_on_top(stmt)
            out.append(stmt)
            pure = type(stmt) in (gast.Assign, gast.AugAssign) and \
                _pure(stmt.value, self.movable)
            target, chained = _candidate(stmt, self.once) \
                if pure and type(stmt) is gast.Assign else (None, False)
            passing = self.passable(stmt, pure)
            notes.append((target, chained,
                          None if passing is None else wrote | passing,
                          read))
            candidates += target is not None
        body[:] = out

    def passable(self, stmt, pure):
        """What an expression moving past `stmt` must not read (the names
        it binds aside), or None if nothing may move past it. A push or
        pop of one of srcad's own lists (`tape.append(t9)`,
        `x = tape.pop()`) changes that list; a name bound to a `pure`
        expression, or a number's `+=` of one, nothing else."""
        kind = type(stmt)
        if kind is gast.Expr:
            value = stmt.value
            pushed = _list_method(value, "append", self.private) and \
                len(value.args) == 1 and \
                all(type(a) in (gast.Name, gast.Constant) for a in (
                    value.args[0].elts if type(value.args[0]) is gast.Tuple
                    else value.args))
            return {value.func.value.id} if pushed else None
        if kind is gast.AugAssign:
            target = stmt.target
            return set() if pure and type(target) is gast.Name and \
                target.id in self.numbers else None
        if kind is not gast.Assign or len(stmt.targets) != 1 or \
                type(stmt.targets[0]) is not gast.Name:
            return None
        value = stmt.value
        if _list_method(value, "pop", self.private) and not value.args:
            return {value.func.value.id}
        return set() if pure else None


def _test_on_top(loop):
    """`while True: if not c: break else: ...` is `while c: ...` once
    the test is one expression (comments above it go: the loop's line
    shows the test)."""
    code = [s for s in loop.body if not is_comment(s)]
    if loop.orelse or len(code) != 1 or type(code[0]) is not gast.If or \
            not (type(loop.test) is gast.Constant and loop.test.value is True):
        return
    test = code[0]
    if len(test.body) != 1 or type(test.body[0]) is not gast.Break:
        return
    stop = test.test
    if type(stop) is gast.UnaryOp and type(stop.op) is gast.Not:
        loop.test = stop.operand
    else:
        loop.test = gast.UnaryOp(op=gast.Not(), operand=stop)
    loop.body = test.orelse or [gast.Pass()]


def _fuse_one(before, notes, stmt, wanted):
    """Move the nearest temporary `stmt` can take into it, from the
    statements `before` it (`notes` says what each assigns, reads and
    lets pass), passing statements that neither rebind what it reads nor
    may change anything (tape pushes and pops, pure assignments to
    names). Whether one moved; `wanted`, what `stmt` reads, follows (the
    name moved in was read once, its value's reads come with it)."""
    rebound, read = set(), set()
    for k in range(len(before) - 1, -1, -1):
        target, chained, passing, reads = notes[k]
        if target in wanted and not rebound & reads and (
                not chained or _continues(stmt, target, read | rebound)):
            slot = _slot(stmt, target)
            value = before[k].value
            if slot and _width(stmt) + _width(value) <= WIDTH:
                parent, field, index = slot
                if index is None:
                    setattr(parent, field, value)
                else:
                    getattr(parent, field)[index] = value
                wanted.discard(target)
                wanted |= reads
                del before[k], notes[k]
                return True
        if passing is None:
            return False
        rebound |= passing
        read |= reads
    return False


def _continues(stmt, name_, between):
    """Whether `stmt` assigns `name_` anew from its value (read once), and
    nothing `between` the two reads or binds it: `bx = bx + a` then
    `bx = bx - b` is `bx = bx + a - b`, the same operations in the same
    order, one store and load less."""
    return build.simple_assign(stmt) and stmt.targets[0].id == name_ and \
        name_ not in between and \
        sum(type(n) is gast.Name and n.id == name_ and
            type(n.ctx) is gast.Load for n in walk(stmt.value)) == 1


def _list_method(value, method, private):
    return type(value) is gast.Call and \
        type(value.func) is gast.Attribute and \
        value.func.attr == method and type(value.func.value) is gast.Name \
        and value.func.value.id in private


WIDTH = 76  # about the characters a fused statement may take


def _width(node):
    """About how many characters `node` takes written out (a fused
    statement stays a line a person can read)."""
    kind = type(node)
    if kind is gast.Name:
        return len(node.id)
    if kind is gast.Constant:
        return len(repr(node.value))
    if kind is gast.Attribute:
        return _width(node.value) + 1 + len(node.attr)
    if kind is gast.keyword:
        return len(node.arg or "**") + 1 + _width(node.value)
    if kind is gast.If:  # its test line only
        return 4 + _width(node.test)
    if kind is gast.For:
        return 9 + _width(node.target) + _width(node.iter)
    if kind is gast.UnaryOp:
        return _width(node.operand) + (4 if type(node.op) is gast.Not else 1)
    parts = [_width(child) for child in walk_children(node)
             if not isinstance(child, _OPS)]
    # the separators between parts (" + ", ", "), then brackets and words
    return sum(parts) + _GAP.get(kind, 2) * max(len(parts) - 1, 0) + \
        _AROUND.get(kind, 2)


_GAP = {gast.BinOp: 3, gast.Compare: 3, gast.BoolOp: 5, gast.Assign: 3,
        gast.AugAssign: 4, gast.IfExp: 5, gast.Slice: 1}
_AROUND = {gast.BinOp: 0, gast.Compare: 0, gast.BoolOp: 0, gast.Assign: 0,
           gast.AugAssign: 0, gast.Return: 7, gast.Expr: 0, gast.Starred: 1}


def _candidate(stmt, once):
    """(name, chained): the temporary assignment `stmt` (whose value is
    pure) makes, which may move into a later statement; or another name,
    chained: its value may move only into that name's next assignment
    (`_continues`)."""
    if len(stmt.targets) != 1 or type(stmt.targets[0]) is not gast.Name:
        return None, False
    target = stmt.targets[0].id
    return target, target not in once


def _pure(value, movable):
    return all(movable(node) if type(node) is gast.Call else
               type(node) in _EXPRESSIONS or isinstance(node, _OPS)
               for node in walk(value))


_EXPRESSIONS = {gast.BinOp, gast.UnaryOp, gast.Compare, gast.BoolOp,
                gast.IfExp, gast.Call, gast.Name, gast.Constant,
                gast.Attribute, gast.Subscript, gast.Slice, gast.Tuple,
                gast.List, gast.keyword, gast.Starred, gast.JoinedStr,
                gast.FormattedValue}
_OPS = (gast.operator, gast.unaryop, gast.cmpop, gast.boolop)


class _Stop(Exception):
    """Past this point the statement calls something, or runs only
    sometimes: the temporary may not move there."""


def _slot(stmt, id_):
    """(parent, field, index or None) of the read of `id_` in `stmt` if it
    comes before anything in `stmt` that calls or runs only sometimes."""
    try:
        for parent, field, index in _parts(stmt):
            found = _find(parent, field, index, id_)
            if found:
                return found
    except _Stop:
        pass
    return None


def _parts(stmt):
    """The expressions a statement evaluates, in order."""
    kind = type(stmt)
    if kind is gast.Assign:
        yield stmt, "value", None
        if len(stmt.targets) > 1:  # assigned in turn: a later one may read
            raise _Stop            # what an earlier one binds
        yield from _target_parts(stmt.targets[0])
    elif kind is gast.AugAssign:
        yield from _target_parts(stmt.target)
        yield stmt, "value", None
    elif kind in (gast.Expr, gast.Return) and stmt.value is not None:
        yield stmt, "value", None
    elif kind is gast.Raise and stmt.exc is not None:
        yield stmt, "exc", None
    elif kind is gast.Assert:
        yield stmt, "test", None
        raise _Stop  # the message is made only when the test fails
    elif kind is gast.If:
        yield stmt, "test", None
    elif kind is gast.For:
        yield stmt, "iter", None


def _target_parts(target):
    kind = type(target)
    if kind is gast.Subscript:
        yield target, "value", None
        yield target, "slice", None
    elif kind is gast.Attribute:
        yield target, "value", None
    elif kind is not gast.Name and not (
            kind is gast.Tuple and
            all(type(e) is gast.Name for e in target.elts)):
        raise _Stop  # nested or starred unpacking: left alone


def _find(parent, field, index, id_):
    """Walk the expression at parent.field[index] in evaluation order."""
    node = getattr(parent, field)
    if index is not None:
        node = node[index]
    kind = type(node)
    if kind is gast.Name:
        if node.id == id_ and type(node.ctx) is gast.Load:
            return parent, field, index
        return None
    if kind is gast.Constant:
        return None
    order = _ORDER.get(kind)
    if order is None:
        raise _Stop
    for child in order(node):
        found = _find(*child, id_)
        if found:
            return found
    if kind is gast.Call:
        raise _Stop  # the call runs after its arguments, before the rest
    return None


def _fields(*names):
    """The children of the given fields, in that order."""
    def order(node):
        for f in names:
            value = getattr(node, f)
            if type(value) is list:
                for i in range(len(value)):
                    yield node, f, i
            elif value is not None:
                yield node, f, None
    return order


def _call(node):
    yield from _fields("func", "args")(node)
    for keyword in node.keywords:
        yield keyword, "value", None


def _first_only(field, index=None):
    """Only the first operand surely runs (`and`, `or`, `a if c else b`,
    a chained comparison past its first link)."""
    def order(node):
        yield node, field, index
        if type(node) is not gast.Compare or len(node.comparators) > 1:
            raise _Stop
        yield node, "comparators", 0
    return order


_ORDER = {
    gast.BinOp: _fields("left", "right"),
    gast.UnaryOp: _fields("operand"),
    gast.Compare: _first_only("left"),
    gast.BoolOp: _first_only("values", 0),
    gast.IfExp: _first_only("test"),
    gast.Attribute: _fields("value"),
    gast.Subscript: _fields("value", "slice"),
    gast.Slice: _fields("lower", "upper", "step"),
    gast.Tuple: _fields("elts"),
    gast.List: _fields("elts"),
    gast.Starred: _fields("value"),
    gast.Call: _call,
}
