"""Facts about a generated function that the optimizer's passes ask for:
what each top-level statement reads, assigns and calls, how often each
name is assigned, which names are changed in place or indexed. Worked out in one
walk, kept while no pass changes the function, and after a change walked
again only where the change was.
"""
import gast

from .build import collect, walk


class Facts:
    """Facts about a function the passes ask for, worked out on first use
    in one walk and kept while nothing changes:

    - `names`: (reads, writes) of each top-level statement;
    - `counts`: how many times each name is assigned, anywhere;
    - `written`: names whose value is changed in place (x[i] = v,
      x[i] += v, x.pop(), x.append(v), ...): an adjoint's zeros stay
      there, so they never share memory with another value, and nothing
      computed from them before is reused after;
    - `calls`: the `name.attr` callees of each top-level statement
      (`ad.unbroadcast`), as (name, attr) pairs;
    - `indexed`: names read as `x[...]`: a number put there would make
      code Python warns about (`1.0[0]`), even where it never runs.

    A pass that changes the function says so, and the next pass gets the
    facts `after` the change: where the pass named the top-level
    statements it changed in place, only those and the statements new to
    the function are walked again."""

    FOUND = ("names", "counts", "written", "calls", "indexed")

    def __init__(self, fdef, rows=None):
        self.fdef = fdef
        self._rows = {} if rows is None else rows  # id(stmt) -> findings

    def after(self, changed):
        """The facts once a pass changed the function: `changed` holds the
        top-level statements it changed in place (`Changes`), or is True
        when the pass does not say which."""
        rows = {}
        if changed is not True:
            rows, self._rows = self._rows, {}
            for stmt in changed:
                rows.pop(id(stmt), None)
        fresh = Facts(self.fdef, rows)
        if CHECK:
            _check(fresh, changed)
        return fresh

    def __getattr__(self, attr):
        """The first look at any of FOUND walks for all of them (later
        looks find plain attributes: the passes look thousands of times
        a build)."""
        if attr not in Facts.FOUND:
            raise AttributeError(attr)
        names, counts, written, calls, indexed = [], {}, set(), [], set()
        for arg in self.fdef.args.args:
            counts[arg.id] = counts.get(arg.id, 0) + 1
        known, rows = self._rows, {}
        for stmt in self.fdef.body:
            row = known.get(id(stmt))
            if row is None or row[0] is not stmt:
                row = _scan_statement(stmt)
            rows[id(stmt)] = row
            _, read, wrote, called, changed, subscripted = row
            for id_ in wrote:
                counts[id_] = counts.get(id_, 0) + 1
            names.append((read, set(wrote)))
            calls.append(called)
            written |= changed
            indexed |= subscripted
        self._rows = rows
        self.names, self.counts, self.written = names, counts, written
        self.calls, self.indexed = calls, indexed
        return getattr(self, attr)


class Changes(list):
    """What a pass that changed the function returns: the top-level
    statements it changed in place (those it removed or added need no
    naming). True even when empty: the function did change."""

    def __bool__(self):
        return True


# set by the tests: every `after` is compared with the facts of a new walk
CHECK = False


def _check(facts, changed):
    whole = Facts(facts.fdef)
    if any(getattr(facts, f) != getattr(whole, f) for f in Facts.FOUND):
        stale = [i for i, (a, b) in enumerate(zip(facts.names, whole.names))
                 if a != b]
        raise AssertionError(f"facts after {changed!r} differ from a new "
                             f"walk (statements {stale})")


def _scan_statement(stmt):
    """The findings about top-level statement `stmt`: (stmt, what it reads,
    the names it assigns (a name as often as assigned), its `name.attr`
    callees, the names it changes in place, the names it indexes)."""
    read, wrote, noted = set(), _Names(), []
    calls, written, indexed = set(), set(), set()
    collect(stmt, read, wrote, noted)
    for node in noted:
        if type(node) is gast.Call:
            func = node.func
            if type(func) is gast.Attribute and type(func.value) is gast.Name:
                calls.add((func.value.id, func.attr))
        elif type(node.value) is gast.Name:  # a subscript
            indexed.add(node.value.id)
        _note_in_place(node, written)
    return stmt, read, wrote, calls, written, indexed


class _Names(list):
    """Names in the order collected, repeats kept (to count assignments)."""
    add = list.append


def facts_of(fdef, facts=None):
    """`facts` if given, else fresh facts about `fdef`."""
    return facts if facts is not None else Facts(fdef)


def changed_in_place(tree):
    """Names whose value `tree` changes in place: written by item,
    augmented (`b += g` changes an array), or changed by a method."""
    names = set()
    for node in walk(tree):
        note_change(node, names)
    return names


def rebound(tree):
    """Names `tree` assigns or changes in place (`stores` and
    `changed_in_place` in one walk)."""
    names = set()
    for node in walk(tree):
        if type(node) is gast.Name:
            if type(node.ctx) not in (gast.Load, gast.Param):
                names.add(node.id)
        else:
            note_change(node, names)
    return names


def note_change(node, names):
    """Add to `names` the name `node` itself changes in place, if any."""
    _note_in_place(node, names)
    if type(node) is gast.AugAssign and type(node.target) is gast.Name:
        names.add(node.target.id)
    elif type(node) is gast.Call:  # ad.add_at(b, ...), np.add.at(b, ...)
        func = node.func
        if type(func) is gast.Attribute and \
                func.attr in ("add_at", "at", "copyto") and node.args \
                and type(node.args[0]) is gast.Name:
            names.add(node.args[0].id)
        for keyword in node.keywords:
            if keyword.arg == "out" and type(keyword.value) is gast.Name:
                names.add(keyword.value.id)


def _note_in_place(node, names):
    kind = type(node)
    if kind is gast.Subscript and type(node.ctx) is gast.Store and \
            type(node.value) is gast.Name:
        names.add(node.value.id)
    elif kind is gast.Call and type(node.func) is gast.Attribute and \
            node.func.attr in CHANGING and type(node.func.value) is gast.Name:
        names.add(node.func.value.id)


# methods of lists and arrays that change their owner
CHANGING = {"append", "extend", "insert", "pop", "remove", "clear", "sort",
            "reverse", "fill", "put", "resize", "itemset"}
