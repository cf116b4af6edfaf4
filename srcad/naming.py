"""Deterministic names for generated code.

Temporaries are `t1, t2, ...`; the adjoint of `x` is `bx`, its tangent `dx`.
The namer remembers its temporaries and their adjoints and tangents
(`temporaries`): the last optimizer pass writes those read once into
their reader (optimize_fuse.py), and keeps the user's names.
A name that would collide with one the user wrote gets a suffix, always the
same one for the same input, so generated source is stable across runs.
"""
import gast

from .build import walk


def names_in(tree):
    """Every identifier spelled in `tree`."""
    out = set()
    for node in walk(tree):
        if isinstance(node, gast.Name):
            out.add(node.id)
        elif isinstance(node, gast.FunctionDef):
            out.add(node.name)
    return out


class Namer:
    """Hands out fresh names that collide with nothing already taken."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self.counters = {}
        self.derived = {}
        self.temporaries = set()
        self.private = set()  # lists only generated code touches: tapes

    def fresh(self, base="t"):
        n = self.counters.get(base, 0)
        while True:
            n += 1
            name = f"{base}{n}"
            if name not in self.taken:
                self.counters[base] = n
                return self.take(name)

    def temporary(self):
        """A fresh `t<n>` for a value the normalizer splits out."""
        name = self.fresh()
        self.temporaries.add(name)
        return name

    def take(self, name):
        self.taken.add(name)
        return name

    def reserve(self, name):
        """`name` if it is free, else a fresh variant of it; then taken."""
        if name not in self.taken:
            return self.take(name)
        return self.fresh(name + "_")

    def derive(self, prefix, name):
        """The name `prefix + name` (e.g. the adjoint `bx` of `x`), stable."""
        key = (prefix, name)
        if key not in self.derived:
            self.derived[key] = self.reserve(prefix + name)
            if name in self.temporaries:
                self.temporaries.add(self.derived[key])
        return self.derived[key]

    def adjoint(self, name):
        return self.derive("b", name)

    def tangent(self, name):
        return self.derive("d", name)
