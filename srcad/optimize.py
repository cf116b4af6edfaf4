"""Optimize: clean-up passes over a generated function.

`optimize(fdef, is_pure)` applies, until nothing changes:

- `first_contribution`: `bx = ad.zeros_like(x)` followed by `bx = bx + e`
  becomes `bx = e`;
- `propagate`: a name assigned once from another name or a constant is
  replaced by that name or constant where it is read;
- `fold`: arithmetic on constants, `-(-e)`;
- `dead_code`: assignments whose target is never read, when the value has
  no side effects (`is_pure(call)` says whether a call may be dropped).

Each pass only rewrites top-level straight-line statements and treats any
nested block as reading and writing everything it mentions, so it stays
correct for code with loops and branches.
"""
import copy
import operator

import gast

from .build import is_comment, loads, stores

ZERO_INIT = "zeros_like"


def optimize(fdef, is_pure, runtime_name):
    passes = (first_contribution(runtime_name), propagate, fold,
              dead_code(is_pure))
    changed = True
    while changed:
        changed = False
        for run in passes:
            changed |= run(fdef)
    return fdef


# -- first contribution --------------------------------------------------------

def first_contribution(runtime_name):
    def run(fdef):
        body = fdef.body
        changed = False
        i = 0
        while i < len(body):
            target = _zero_init(body[i], runtime_name)
            if target and _absorb(body, i, target, runtime_name):
                del body[i]
                changed = True
                continue
            i += 1
        return changed
    return run


def _zero_init(stmt, runtime_name):
    if not _simple_assign(stmt):
        return None
    value = stmt.value
    if _is_runtime_call(value, runtime_name, ZERO_INIT):
        return stmt.targets[0].id
    return None


def _absorb(body, i, target, runtime_name):
    """Make the first later use of `target` an assignment; True if done."""
    for stmt in body[i + 1:]:
        if is_comment(stmt):
            continue
        mentioned = target in loads(stmt) or target in stores(stmt)
        if not mentioned:
            continue
        if not _simple_assign(stmt) or stmt.targets[0].id != target:
            return False
        rest = _added_to(stmt.value, target, runtime_name)
        if rest is None or target in loads(rest):
            return False
        stmt.value = rest
        return True
    return False


def _added_to(value, target, runtime_name):
    """`e` when value is `target + e` or `ad.add(target, e)`."""
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add):
        left = value.left
        if isinstance(left, gast.Name) and left.id == target:
            return value.right
    if _is_runtime_call(value, runtime_name, "add"):
        first = value.args[0]
        if isinstance(first, gast.Name) and first.id == target:
            return value.args[1]
    return None


def _is_runtime_call(value, runtime_name, fn_name):
    return isinstance(value, gast.Call) and \
        isinstance(value.func, gast.Attribute) and \
        value.func.attr == fn_name and \
        isinstance(value.func.value, gast.Name) and \
        value.func.value.id == runtime_name


def _simple_assign(stmt):
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
        isinstance(stmt.targets[0], gast.Name)


# -- copy and constant propagation ---------------------------------------------

def propagate(fdef):
    counts = _assignment_counts(fdef)
    body = fdef.body
    for i, stmt in enumerate(body):
        if not _simple_assign(stmt):
            continue
        target = stmt.targets[0].id
        value = stmt.value
        if counts.get(target) != 1:
            continue
        if isinstance(value, gast.Name) and counts.get(value.id, 0) <= 1:
            pass
        elif not isinstance(value, gast.Constant):
            continue
        for later in body[i + 1:]:
            _Replace(target, value).visit(later)
        del body[i]
        return True
    return False


def _assignment_counts(fdef):
    counts = {}
    for node in gast.walk(fdef):
        if isinstance(node, gast.Name) and \
                isinstance(node.ctx, (gast.Store, gast.Param)):
            counts[node.id] = counts.get(node.id, 0) + 1
    return counts


class _Replace(gast.NodeTransformer):
    def __init__(self, target, value):
        self.target = target
        self.value = value

    def visit_Name(self, node):
        if node.id == self.target and isinstance(node.ctx, gast.Load):
            return copy.deepcopy(self.value)
        return node


# -- constant folding -------------------------------------------------------------

BINARY = {gast.Add: operator.add, gast.Sub: operator.sub,
          gast.Mult: operator.mul, gast.Div: operator.truediv,
          gast.Pow: operator.pow}


def fold(fdef):
    folder = _Fold()
    folder.visit(fdef)
    return folder.changed


def _number(node):
    return isinstance(node, gast.Constant) and \
        isinstance(node.value, (int, float)) and \
        not isinstance(node.value, bool)


class _Fold(gast.NodeTransformer):
    changed = False

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if not isinstance(node.op, gast.USub):
            return node
        if _number(node.operand):
            self.changed = True
            return gast.Constant(value=-node.operand.value, kind=None)
        inner = node.operand
        if isinstance(inner, gast.UnaryOp) and isinstance(inner.op, gast.USub):
            self.changed = True
            return inner.operand
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        fn = BINARY.get(type(node.op))
        if fn and _number(node.left) and _number(node.right):
            try:
                value = fn(node.left.value, node.right.value)
            except (ArithmeticError, ValueError):
                return node
            if isinstance(value, (int, float)):
                self.changed = True
                return gast.Constant(value=value, kind=None)
        return node


# -- dead code ------------------------------------------------------------------------

def dead_code(is_pure):
    def run(fdef):
        used = loads(fdef)
        keep = []
        for stmt in fdef.body:
            if _simple_assign(stmt) and stmt.targets[0].id not in used and \
                    _pure(stmt.value, is_pure):
                continue
            keep.append(stmt)
        changed = len(keep) != len(fdef.body)
        fdef.body[:] = keep
        return changed
    return run


def _pure(value, is_pure):
    return all(is_pure(node) for node in gast.walk(value)
               if isinstance(node, gast.Call))
