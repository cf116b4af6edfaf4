"""Optimize: two algebraic rewrites of derivative statements (never of the
primal's, whose values the user sees exactly as their function computes
them).

- `reciprocals`: `e / b` where `r = 1 / b` is computed anyway becomes
  `e * r`: a product costs NumPy about half what a quotient does. The
  adjoint of `p = 1 / t` is `g * p / t`; it becomes `g * p * p`.
- `cancel`: a sum with terms divided by `p`, used once as a factor of a
  product with `p`, takes the `p` in: `v = a / p - b` then `w = v * p * q`
  becomes `v = a - b * p` then `w = v * q`. The adjoint of `log(p)` meets
  the derivative of `p` this way whenever `p` takes itself in it
  (sigmoids, `exp`), and one pass over the array goes.

- `quotients`: a quotient `g * y / b` where `q = g / b` is computed
  already in the same block is `q * y`: the adjoints of `a / b` are
  `g / b` and `-g * y / b`, and the second takes the first in (one
  division a pass less where both operands are active).

`reciprocals` and `cancel` rewrite top-level straight-line statements
only, `quotients` every block; all work between names assigned once, and
change results by rounding only (and `a / p * p`, nan where p is 0,
becomes `a`).
"""
import gast

from .build import blocks, name, simple_assign, transform, walk
from .facts import facts_of, rebound


def reciprocals(info):
    primal = info.shapes.names

    def run(fdef, facts=None):
        facts = facts_of(fdef, facts)
        counts = facts.counts
        inverse = {}  # b -> r, for r = 1 / b
        changed = []

        def swap(node):
            if type(node) is gast.BinOp and type(node.op) is gast.Div and \
                    type(node.right) is gast.Name and \
                    node.right.id in inverse:
                changed.append(node)
                return gast.BinOp(left=node.left, op=gast.Mult(),
                                  right=name(inverse[node.right.id]))
            return node
        for stmt, (reads, _) in zip(fdef.body, facts.names):
            if not simple_assign(stmt):
                continue
            target = stmt.targets[0].id
            if target not in primal:
                if not inverse.keys().isdisjoint(reads):
                    transform(stmt, swap)
            elif counts.get(target) == 1:
                divisor = _reciprocal_of(stmt.value)
                if divisor is not None and counts.get(divisor, 1) == 1:
                    inverse.setdefault(divisor, target)
        return bool(changed)
    return run


def _reciprocal_of(value):
    """`b` when value is `1 / b` (b a name), else None."""
    if type(value) is gast.BinOp and type(value.op) is gast.Div and \
            type(value.left) is gast.Constant and value.left.value == 1 and \
            type(value.left.value) in (int, float) and \
            type(value.right) is gast.Name:
        return value.right.id
    return None


def cancel(info):
    primal = info.shapes.names

    def run(fdef, facts=None):
        facts = facts_of(fdef, facts)
        body = fdef.body
        readers = {}  # name -> how many statements read it
        for reads, _ in facts.names:
            for id_ in reads:
                readers[id_] = readers.get(id_, 0) + 1
        defined = {}  # name -> index of its top-level assignment
        for i, stmt in enumerate(body):
            if not simple_assign(stmt):
                continue
            target = stmt.targets[0].id
            if target not in primal and _cancel_into(
                    i, body, defined, facts, primal, readers):
                return True
            defined[target] = i
        return False
    return run


def _cancel_into(i, body, defined, facts, primal, readers):
    """Take a factor `p` of the product statement `i` assigns into a sum it
    multiplies (`v` in `v * p`); True if done."""
    stmt = body[i]
    factors = _factors(stmt.value)
    if factors is None:
        return False
    names = [f.id for f, times in factors if times and type(f) is gast.Name]
    for v in names:
        j = defined.get(v)
        if j is None or v in primal or facts.counts.get(v) != 1 or \
                readers.get(v) != 1 or _loads_of(stmt, v) != 1:
            continue
        terms = _terms(body[j].value)
        for p in names:
            if p == v or facts.counts.get(p) != 1:
                continue  # p one value wherever it is read
            divided = [t for _, t in terms if _divides(t, p)]
            if divided and 2 * len(divided) >= len(terms):
                body[j].value = _sum([
                    (sign, t.left if _divides(t, p) else
                     gast.BinOp(left=t, op=gast.Mult(), right=name(p)))
                    for sign, t in terms])
                factors.remove(next(f for f in factors
                                    if f[1] and type(f[0]) is gast.Name
                                    and f[0].id == p))
                stmt.value = _product(factors)
                return True
    return False


def _factors(expr):
    """A product chain as [(factor, multiplies?)], or None if `expr` is not
    a product of two or more factors."""
    if type(expr) is not gast.BinOp or \
            type(expr.op) not in (gast.Mult, gast.Div):
        return None
    found = []

    def chain(node):
        if type(node) is gast.BinOp and type(node.op) is gast.Mult:
            chain(node.left)
            chain(node.right)
        elif type(node) is gast.BinOp and type(node.op) is gast.Div:
            chain(node.left)
            found.append((node.right, False))
        else:
            found.append((node, True))
    chain(expr)
    return found


def _product(factors):
    expr = factors[0][0]
    for factor, times in factors[1:]:
        expr = gast.BinOp(left=expr, op=gast.Mult() if times else gast.Div(),
                          right=factor)
    return expr


def _terms(expr, sign=1):
    """A sum as [(sign, term)]."""
    if type(expr) is gast.BinOp and type(expr.op) in (gast.Add, gast.Sub):
        other = sign if type(expr.op) is gast.Add else -sign
        return _terms(expr.left, sign) + _terms(expr.right, other)
    if type(expr) is gast.UnaryOp and type(expr.op) is gast.USub:
        return _terms(expr.operand, -sign)
    return [(sign, expr)]


def _sum(terms):
    (sign, expr), rest = terms[0], terms[1:]
    if sign < 0:
        expr = gast.UnaryOp(op=gast.USub(), operand=expr)
    for sign, term in rest:
        expr = gast.BinOp(left=expr, op=gast.Add() if sign > 0 else gast.Sub(),
                          right=term)
    return expr


def _divides(term, p):
    return type(term) is gast.BinOp and type(term.op) is gast.Div and \
        type(term.right) is gast.Name and term.right.id == p


def _loads_of(tree, id_):
    """How many times `tree` reads `id_`."""
    return sum(1 for node in walk(tree) if type(node) is gast.Name and
               node.id == id_ and type(node.ctx) is gast.Load)


def quotients(info):
    primal = info.shapes.names

    def run(fdef, facts=None):
        divisions = (n for n in walk(fdef) if type(n) is gast.BinOp and
                     type(n.op) is gast.Div)
        if next(divisions, None) is None or next(divisions, None) is None:
            return False  # not one to share and one to share it
        counts = facts_of(fdef, facts).counts
        changed = []
        for block in _blocks(fdef.body):
            _quotients(block, primal, counts, changed)
        return bool(changed)
    return run


def _blocks(body):
    """`body` and every statement list inside it."""
    yield body
    for stmt in body:
        for inner in blocks(stmt):
            yield from _blocks(inner)


def _quotients(block, primal, counts, changed):
    known = {}  # (numerator, denominator) -> the name holding their quotient

    def take(node):
        factors = _factors(node) if type(node) is gast.BinOp and \
            type(node.op) is gast.Div else None
        if not factors:
            return node
        divisors = [f.id for f, times in factors
                    if not times and type(f) is gast.Name]
        for i, (factor, times) in enumerate(factors):
            negated = type(factor) is gast.UnaryOp and \
                type(factor.op) is gast.USub
            inner = factor.operand if negated else factor
            if not times or type(inner) is not gast.Name:
                continue
            for d in divisors:
                q = known.get((inner.id, d))
                if q:
                    changed.append(node)
                    factors[i] = (gast.UnaryOp(op=gast.USub(),
                                               operand=name(q))
                                  if negated else name(q), True)
                    factors.remove(next(f for f in factors if not f[1] and
                                        type(f[0]) is gast.Name and
                                        f[0].id == d))
                    return _product(factors)
        return node
    for stmt in block:
        kind = type(stmt)
        derivative = (kind is gast.Assign and simple_assign(stmt) and
                      stmt.targets[0].id not in primal) or \
            (kind is gast.AugAssign and type(stmt.target) is gast.Name and
             stmt.target.id not in primal)
        if derivative and known and any(
                type(n) is gast.BinOp and type(n.op) is gast.Div
                for n in walk(stmt.value)):
            stmt.value = transform(stmt.value, take)
        if known:
            bound = rebound(stmt)
            for key, q in list(known.items()):
                if bound & {key[0], key[1], q}:
                    del known[key]
        if kind is gast.Assign and derivative and \
                counts.get(stmt.targets[0].id) == 1:
            value = stmt.value
            if type(value) is gast.BinOp and type(value.op) is gast.Div and \
                    type(value.left) is gast.Name and \
                    type(value.right) is gast.Name and \
                    stmt.targets[0].id not in (value.left.id, value.right.id):
                known[(value.left.id, value.right.id)] = stmt.targets[0].id

