"""The normal-form verifier: which statements break normalize's promise.

`verify(fdef)` returns the statements of a normalized function that are not
in one of the forms normalize.py's docstring lists (empty if none); tests
run it over the whole corpus.
"""
import gast

from .normalize import is_atom


def verify(fdef):
    """Statements of `fdef` that break the normal form (empty if none)."""
    bad = []
    assigned = set()
    for stmt in fdef.body:
        if not _normal_statement(stmt):
            bad.append(stmt)
        for target in getattr(stmt, "targets", []):
            for n in gast.walk(target):
                if isinstance(n, gast.Name):
                    if n.id in assigned:
                        bad.append(stmt)  # not SSA
                    assigned.add(n.id)
    return bad


def _normal_statement(stmt):
    if isinstance(stmt, gast.Return):
        return is_atom(stmt.value)
    if isinstance(stmt, gast.Assert):
        return is_atom(stmt.test)
    if isinstance(stmt, gast.Raise):
        return stmt.exc is None or is_atom(stmt.exc)
    if isinstance(stmt, gast.Expr):
        return _normal_call(stmt.value)
    if not isinstance(stmt, gast.Assign) or len(stmt.targets) != 1:
        return False
    target = stmt.targets[0]
    if isinstance(target, gast.Tuple):
        return all(isinstance(t, gast.Name) for t in target.elts) and \
            isinstance(stmt.value, gast.Name)
    return isinstance(target, gast.Name) and _normal_value(stmt.value)


def _normal_value(value):
    if is_atom(value):
        return True
    if isinstance(value, gast.BinOp):
        return is_atom(value.left) and is_atom(value.right)
    if isinstance(value, gast.UnaryOp):
        return is_atom(value.operand)
    if isinstance(value, gast.Compare):
        return is_atom(value.left) and len(value.comparators) == 1 and \
            is_atom(value.comparators[0])
    if isinstance(value, gast.BoolOp):
        return all(is_atom(v) for v in value.values)
    if isinstance(value, (gast.Tuple, gast.List)):
        return all(is_atom(e) for e in value.elts)
    if isinstance(value, gast.JoinedStr):
        return all(is_atom(v.value) for v in value.values
                   if isinstance(v, gast.FormattedValue))
    if isinstance(value, gast.Subscript):
        return is_atom(value.value) and _normal_index(value.slice)
    if isinstance(value, gast.Attribute):
        return is_atom(value.value)
    return _normal_call(value)


def _normal_call(value):
    if not isinstance(value, gast.Call):
        return False
    func = value.func
    while isinstance(func, gast.Attribute):
        func = func.value
    return isinstance(func, gast.Name) and \
        all(is_atom(a) for a in value.args) and \
        all(is_atom(k.value) for k in value.keywords)


def _normal_index(index):
    if isinstance(index, gast.Slice):
        return all(p is None or is_atom(p)
                   for p in (index.lower, index.upper, index.step))
    if isinstance(index, gast.Tuple):
        return all(_normal_index(e) for e in index.elts)
    return is_atom(index)
