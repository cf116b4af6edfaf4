"""Shape-aware clean-ups of generated code, passes of optimize.py.

- `ones`: the adjoint of a full sum, a scalar spread over the summed shape,
  stays a scalar where every use is a factor that `ad.unbroadcast` sums
  down, or folds into products with values of the summed shape;
- `likes`: a shape stand-in `ad.Like(a, b)` becomes a value of that shape
  that is computed anyway.
"""
import gast

from .build import (clone, is_number as _number, is_runtime_call, loads,
                    simple_assign, transform, walk, walk_children)
from .facts import facts_of


# -- multiplying by a broadcast constant ------------------------------------------

def ones(runtime_name, info):
    """`b = ad.unreduce(g, v, axis, keepdims)` (the adjoint of a sum: g
    spread over v's shape) where g broadcasts to that spread by itself (a
    full sum, or keepdims): b stays g where every use is a factor that
    `ad.unbroadcast` sums down, or a factor `b * e` with e surely of v's
    shape, holding floats. `1 * e` is `e`."""
    def run(fdef, facts=None):
        body = fdef.body
        for i, stmt in enumerate(body):
            spread = _spread(stmt, runtime_name)
            if spread is None:
                continue
            target, compact, like = spread
            facts = facts_of(fdef, facts)
            readers = [s for s, (reads, _) in zip(body[i + 1:],
                                                  facts.names[i + 1:])
                       if target in reads]
            if _only_reduced(readers, target, stmt.value.args[1],
                             runtime_name, info):
                stmt.value = compact  # broadcast by unbroadcast itself
                return True
            if not (_number(compact) or type(compact) is gast.Name):
                continue  # an expression: not to be copied into each use
            others = _factors_with(readers, target)
            if not others or not all(_floats_shaped_like(e, like, info)
                                     for e in others) or \
                    not _unchanged_until(compact, target, body, facts, i):
                continue
            for later in readers:
                _ScaleBy(target, compact).visit(later)
            del body[i]
            return True
        return False
    return run


def _spread(stmt, runtime_name):
    """(target, g, shape name or None) for `b = ad.unreduce(g, like, axis,
    keepdims)` where g broadcasts to the spread: a full sum or keepdims."""
    if not simple_assign(stmt) or \
            not is_runtime_call(stmt.value, runtime_name, "unreduce"):
        return None
    args = stmt.value.args
    if len(args) != 4 or \
            not all(isinstance(a, gast.Constant) for a in args[2:]):
        return None
    if not (args[2].value is None and args[3].value is False) and \
            args[3].value is not True:
        return None
    like = args[1].id if isinstance(args[1], gast.Name) else None
    return stmt.targets[0].id, args[0], like


def _unchanged_until(compact, target, body, facts, i):
    """Whether the name `compact` (if it is one) keeps its value from
    statement i to the last that reads `target`."""
    if type(compact) is not gast.Name:
        return True
    last = max(j for j, (reads, _) in enumerate(facts.names) if
               target in reads)
    return not any(compact.id in writes
                   for _, writes in facts.names[i + 1:last + 1])


def _only_reduced(later, target, like, runtime_name, info):
    """Whether every use of spread `target` is a factor of a product that
    ad.unbroadcast sums down to a shape which, with the other factor's,
    covers the spread's: then the scalar serves, broadcast by unbroadcast
    itself."""
    spread = _bases(like, runtime_name, info)
    uses = []
    sums = []
    for stmt in later:
        for node in walk(stmt):
            if type(node) is gast.Name:
                if node.id == target:
                    uses.append(node)
            elif is_runtime_call(node, runtime_name, "unbroadcast"):
                sums.append(node)
    covered = []
    for node in sums:
        product, shape_of = node.args
        if type(product) is not gast.BinOp or \
                not isinstance(product.op, gast.Mult):
            continue
        for mine, other in ((product.left, product.right),
                            (product.right, product.left)):
            if type(mine) is gast.Name and mine.id == target and \
                    target not in loads(other):
                bases = _bases(other, runtime_name, info) | \
                    _bases(shape_of, runtime_name, info)
                if spread is not None and spread <= bases:
                    covered.append(mine)
    return bool(uses) and len(covered) == len(uses) and \
        all(any(u is c for c in covered) for u in uses)


def _bases(expr, runtime_name, info):
    """The shape bases of an arithmetic expression on names (None if not
    known)."""
    found = frozenset()
    for node in walk(expr):
        if type(node) is gast.Name:
            if node.id == runtime_name:
                continue
            found |= info.shapes.bases(node.id)
        elif type(node) is gast.Call and \
                not is_runtime_call(node, runtime_name, "Like"):
            return None
    return found


def _floats_shaped_like(expr, like, info):
    """True if `expr` is arithmetic on active names of `like`'s shape."""
    names = [n for n in walk(expr) if isinstance(n, gast.Name)]
    allowed = (gast.BinOp, gast.UnaryOp, gast.Name, gast.Constant,
               gast.operator, gast.unaryop, gast.Load)
    return bool(names) and \
        all(isinstance(n, allowed) for n in walk(expr)) and \
        all(n.id in info.active and info.same_shape(n.id, like)
            for n in names)


def _factors_with(stmts, target):
    """The other factors of every product `target * e` or `e * target` in
    `stmts`; None if `target` is read anywhere else."""
    factors, counted = [], []
    uses = 0
    for stmt in stmts:
        for node in walk(stmt):
            if type(node) is gast.Name and node.id == target:
                uses += 1
            elif type(node) is gast.BinOp and type(node.op) is gast.Mult:
                for mine, other in ((node.left, node.right),
                                    (node.right, node.left)):
                    if _sign_of(mine, target):
                        factors.append(other)
                        counted.append(mine)
                        break
    return factors if uses == len(counted) else None


def _sign_of(node, target):
    """1 when `node` is the name `target`, -1 when it is `-target`, else
    0."""
    if type(node) is gast.UnaryOp and type(node.op) is gast.USub:
        return -_sign_of(node.operand, target)
    return int(type(node) is gast.Name and node.id == target)


class _ScaleBy(gast.NodeTransformer):
    """`target * e` -> `compact * e` (just `e` when compact is 1), and
    `-target * e` -> `-(compact * e)`."""

    def __init__(self, target, compact):
        self.target = target
        self.compact = compact

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if type(node.op) is gast.Add and type(node.right) is gast.UnaryOp \
                and type(node.right.op) is gast.USub:  # a + -b made here
            return gast.BinOp(left=node.left, op=gast.Sub(),
                              right=node.right.operand)
        if not isinstance(node.op, gast.Mult):
            return node
        for mine, other in ((node.left, node.right), (node.right, node.left)):
            sign = _sign_of(mine, self.target)
            if not sign:
                continue
            if not (_number(self.compact) and self.compact.value == 1):
                other = gast.BinOp(left=clone(self.compact), op=gast.Mult(),
                                   right=other)
            return other if sign == 1 else \
                gast.UnaryOp(op=gast.USub(), operand=other)
        return node


# -- shapes from values computed anyway --------------------------------------------

def likes(runtime_name, info):
    """`ad.Like(a, b)` stands for a value of the broadcast shape of a and b
    that was never computed; where such a value is computed anyway (read
    elsewhere, and assigned before this use), use it instead."""
    def run(fdef, facts=None):
        if not getattr(info, "likes_used", False):
            return False
        facts = facts_of(fdef, facts)
        used, with_likes = _outside_likes(fdef.body, runtime_name, facts)
        if not with_likes:
            return False
        changed = []

        def replace(node):
            if not is_runtime_call(node, runtime_name, "Like") or \
                    not all(isinstance(a, gast.Name) for a in node.args):
                return node
            bases = info.shapes.joined(frozenset().union(
                *(info.shapes.bases(a.id) for a in node.args)))
            for candidate in info.shapes.names_with(bases):
                if candidate in used and candidate in bound:
                    changed.append(candidate)
                    return gast.Name(id=candidate, ctx=gast.Load(),
                                     annotation=None, type_comment=None)
            return node
        bound = {a.id for a in fdef.args.args}
        names = facts.names
        for i, stmt in enumerate(fdef.body):  # only values computed before
            if i in with_likes:
                transform(stmt, replace)
            bound |= names[i][1]
        return bool(changed)
    return run


def _outside_likes(body, runtime_name, facts):
    """The names read outside `ad.Like(...)` calls, and the positions of
    the statements holding such calls."""
    used, with_likes = set(), set()
    like = (runtime_name, "Like")
    for i, stmt in enumerate(body):
        if like not in facts.calls[i]:
            used |= facts.names[i][0]
            continue
        with_likes.add(i)
        stack = [stmt]
        while stack:
            node = stack.pop()
            if type(node) is gast.Name:
                if type(node.ctx) is gast.Load:
                    used.add(node.id)
            elif not is_runtime_call(node, runtime_name, "Like"):
                stack.extend(walk_children(node))
    return used, with_likes
