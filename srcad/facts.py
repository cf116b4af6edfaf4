"""Facts about a generated function that the optimizer's passes ask for:
what each top-level statement reads, assigns and calls, how often each
name is assigned, which names are changed in place or indexed. Worked out in one
walk, kept while no pass changes the function.
"""
import gast

from .build import collect, walk


class Facts:
    """Facts about a function the passes ask for, each worked out once
    while nothing changes (a pass that changes the function reports it,
    and the next pass gets fresh facts)."""

    def __init__(self, fdef):
        self.fdef = fdef
        self._memo = None

    @property
    def counts(self):
        """How many times each name is assigned, anywhere."""
        return self._scan()[1]

    @property
    def written(self):
        """Names whose value is changed in place (x[i] = v, x[i] += v,
        x.pop(), x.append(v), ...): an adjoint's zeros stay there, so they
        never share memory with another value, and nothing computed from
        them before is reused after."""
        return self._scan()[2]

    @property
    def names(self):
        """(reads, writes) of each top-level statement."""
        return self._scan()[0]

    @property
    def indexed(self):
        """Names read as `x[...]`: a number put there would make code
        Python warns about (`1.0[0]`), even where it never runs."""
        return self._scan()[4]

    @property
    def calls(self):
        """The `name.attr` callees of each top-level statement
        (`ad.unbroadcast`), as (name, attr) pairs."""
        return self._scan()[3]

    def _scan(self):
        if self._memo is None:  # one walk for all five
            names, counts, written, calls, indexed = [], {}, set(), [], set()
            for arg in self.fdef.args.args:
                counts[arg.id] = counts.get(arg.id, 0) + 1
            for stmt in self.fdef.body:
                calls.append(set())
                names.append(_scan_statement(stmt, counts, written,
                                             calls[-1], indexed))
            self._memo = names, counts, written, calls, indexed
        return self._memo


def _scan_statement(stmt, counts, written, calls, indexed):
    """(reads, writes) of `stmt`, counting its assignments into `counts`,
    names it changes in place into `written`, its `name.attr` callees
    into `calls` and the names it indexes into `indexed`."""
    read, wrote, noted = set(), _Names(), []
    collect(stmt, read, wrote, noted)
    for id_ in wrote:
        counts[id_] = counts.get(id_, 0) + 1
    for node in noted:
        if type(node) is gast.Call:
            func = node.func
            if type(func) is gast.Attribute and type(func.value) is gast.Name:
                calls.add((func.value.id, func.attr))
        elif type(node.value) is gast.Name:  # a subscript
            indexed.add(node.value.id)
        _note_in_place(node, written)
    return read, set(wrote)


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
