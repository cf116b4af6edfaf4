"""Facts about a generated function that the optimizer's passes ask for:
what each top-level statement reads and assigns, how often each name is
assigned, which names are changed in place. Worked out in one walk, kept
while no pass changes the function.
"""
import gast

from .build import walk


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
        x.pop()): an adjoint's zeros stay there, so they never share
        memory with another value."""
        return self._scan()[2]

    @property
    def names(self):
        """(reads, writes) of each top-level statement."""
        return self._scan()[0]

    def _scan(self):
        if self._memo is None:  # one walk for all three
            names, counts, written = [], {}, set()
            for arg in self.fdef.args.args:
                counts[arg.id] = counts.get(arg.id, 0) + 1
            for stmt in self.fdef.body:
                read, wrote = set(), set()
                for node in walk(stmt):
                    if type(node) is gast.Name:
                        if type(node.ctx) is gast.Load:
                            read.add(node.id)
                        else:
                            wrote.add(node.id)
                            counts[node.id] = counts.get(node.id, 0) + 1
                    else:
                        _note_in_place(node, written)
                names.append((read, wrote))
            self._memo = names, counts, written
        return self._memo


def facts_of(fdef, facts=None):
    """`facts` if given, else fresh facts about `fdef`."""
    return facts if facts is not None else Facts(fdef)


def _note_in_place(node, names):
    kind = type(node)
    if kind is gast.Subscript and type(node.ctx) is gast.Store and \
            type(node.value) is gast.Name:
        names.add(node.value.id)
    elif kind is gast.Call and type(node.func) is gast.Attribute and \
            node.func.attr == "pop" and type(node.func.value) is gast.Name:
        names.add(node.func.value.id)
