"""Scales: a pass of optimize.py that applies scalar factors late.

An adjoint sweep is linear in its seed, so a scalar factor such as the
`-1 / n` of a mean or the sign of a negation can ride along instead of being
multiplied into each array on the way:

    bt8 = ad.unbroadcast(bt10 * t6, z)      bt8 = ad.unbroadcast(t6, z)
    bt7 = bt8 / t7                     ->   bt7 = bt8 / t7
    ...                                     ...
    bz = -bt1                               bz = bt1
    bw = ad.matmul_grad_b(bz, X, w)         bw = ad.matmul_grad_b(bz, X, w)
    return ad.result(bw, w)                 return ad.result(-bt10 * bw, w)

`defer_scales(runtime_name, info)` walks the top-level statements once,
tracking for each derivative name (not the primal's, which may hold
integers) assigned once its pending factor (a number times
scalar names). A statement linear in the names it reads passes their common
factor on to its target; anywhere else a pending name is read as
`factor * name`, so the factor lands on the array where it is read, often a
smaller one (a gradient rather than a batch) and sometimes cancelling
(two negations).
"""
import gast

from .build import (is_number, is_runtime_call, loads, name, simple_assign,
                    transform, walk)
from .folding import folded
from .facts import Changes, facts_of

# runtime helpers linear in their first argument
LINEAR = ("unbroadcast", "unreduce", "matmul_grad_a", "matmul_grad_b",
          "dot_grad_a", "dot_grad_b", "expand")


class _Factor:
    """A number times a product of scalar names."""

    def __init__(self, number=1.0, names=()):
        self.number = number
        self.names = tuple(sorted(names))

    def __mul__(self, other):
        return _Factor(self.number * other.number, self.names + other.names)

    def __eq__(self, other):
        return self.number == other.number and self.names == other.names

    def is_one(self):
        return self.number == 1 and not self.names

    def times(self, expr):
        """`expr` scaled by this factor, as an expression."""
        for id_ in self.names:
            expr = gast.BinOp(left=name(id_), op=gast.Mult(), right=expr)
        if self.number == -1:
            return gast.UnaryOp(op=gast.USub(), operand=expr)
        if self.number != 1:
            expr = gast.BinOp(left=gast.Constant(value=self.number,
                                                 kind=None),
                              op=gast.Mult(), right=expr)
        return expr


ONE = _Factor()


def defer_scales(runtime_name, info):
    def run(fdef, facts=None):
        return _Scales(fdef, runtime_name, info, facts_of(fdef, facts)).run()
    return run


class _Scales:
    def __init__(self, fdef, runtime_name, info, facts):
        self.fdef = fdef
        self.runtime_name = runtime_name
        self.info = info
        self.counts = facts.counts
        self.reads = [reads for reads, _ in facts.names]
        self.primal = info.shapes.names
        self.params = {a.id for a in fdef.args.args}
        self.pending = {}   # name -> its _Factor
        self.scalars = set()
        self.rewritten = []  # every statement assign or settle rewrote

    def run(self):
        body = self.fdef.body
        for i, stmt in enumerate(body):
            self.at = i
            if simple_assign(stmt) and \
                    self.counts.get(stmt.targets[0].id) == 1:
                self.assign(stmt)
            elif not self.pending.keys().isdisjoint(self.reads[i]):
                self.settle(stmt)
        # settle has work only after assign has rewritten one
        return bool(self.rewritten) and Changes(self.rewritten)

    def assign(self, stmt):
        target = stmt.targets[0].id
        if target in self.primal:  # may hold integers: left as it is
            self.settle(stmt)
            return
        if self.is_scalar(stmt.value):
            self.scalars.add(target)
            self.settle(stmt)
            return
        found = self.linear(stmt.value)
        if found is None:
            self.settle(stmt)
            return
        factor, value = found
        if (self.aliases_param(value) and not self.only_operand(target)) or (
                factor.is_one() and not self.reads_pending(stmt.value)):
            self.settle(stmt)  # keep the copy a factor made, or nothing to do
            return
        stmt.value = value
        if not factor.is_one():
            self.pending[target] = factor
        self.rewritten.append(stmt)

    def settle(self, stmt):
        """Read each pending name in `stmt` with its factor applied."""
        if not self.pending:
            return
        self.rewritten.append(stmt)

        def apply(node):
            if type(node) is gast.Name and type(node.ctx) is gast.Load and \
                    node.id in self.pending:
                return self.pending[node.id].times(node)
            return folded(node)  # a factor may meet a constant
        transform(stmt, apply)

    def is_scalar(self, expr):
        """Whether `expr` is surely one number, computed from numbers."""
        if is_number(expr):
            return True
        if type(expr) is gast.Name:
            return expr.id in self.scalars or (
                expr.id not in self.pending and
                self.counts.get(expr.id, 0) <= 1 and
                self.info.shapes.is_scalar(expr.id))
        if type(expr) is gast.UnaryOp:
            return self.is_scalar(expr.operand)
        if type(expr) is gast.BinOp:
            return self.is_scalar(expr.left) and self.is_scalar(expr.right)
        return is_runtime_call(expr, self.runtime_name, "reduced_size")

    def scale_of(self, expr):
        """The factor a scalar expression stands for, if it is a number or
        a name assigned once."""
        if is_number(expr) and isinstance(expr.value, (int, float)):
            return _Factor(float(expr.value))
        if type(expr) is gast.Name and self.counts.get(expr.id, 0) == 1 \
                and self.is_scalar(expr):
            return _Factor(names=(expr.id,))
        return None

    def linear(self, expr):
        """(factor, expr without it) when `expr` is linear in the pending
        names it reads and their factors agree; None otherwise. `expr`
        itself is left as it is."""
        kind = type(expr)
        if kind is gast.Name:
            return self.pending.get(expr.id, ONE), expr
        if kind is gast.UnaryOp and type(expr.op) is gast.USub:
            inner = self.linear(expr.operand)
            if inner is None:
                return None
            return inner[0] * _Factor(-1.0), inner[1]
        if kind is gast.BinOp:
            return self.binary(expr)
        if self.linear_call(expr) and not expr.keywords:
            inner = self.linear(expr.args[0])
            if inner is None or any(self.reads_pending(a)
                                    for a in expr.args[1:]):
                return None
            call = gast.Call(func=expr.func, args=[inner[1]] + expr.args[1:],
                             keywords=[])
            return inner[0], call
        if self.reads_pending(expr):
            return None
        return ONE, expr

    def binary(self, expr):
        op = type(expr.op)
        if op is gast.Mult:
            for scalar, other in ((expr.left, expr.right),
                                  (expr.right, expr.left)):
                scale = self.scale_of(scalar)
                if scale is not None and not self.is_scalar(other):
                    inner = self.linear(other)
                    if inner is not None:
                        return scale * inner[0], inner[1]
            left, right = self.linear(expr.left), self.linear(expr.right)
            if left is None or right is None:
                return None
            return left[0] * right[0], _binop(left[1], expr.op, right[1])
        if op is gast.Div:
            left = self.linear(expr.left)
            if left is None or self.reads_pending(expr.right):
                return None
            return left[0], _binop(left[1], expr.op, expr.right)
        if op in (gast.Add, gast.Sub):
            left, right = self.linear(expr.left), self.linear(expr.right)
            if left is None or right is None or not left[0] == right[0]:
                return None
            return left[0], _binop(left[1], expr.op, right[1])
        if self.reads_pending(expr):
            return None
        return ONE, expr

    def aliases_param(self, expr):
        """Whether `expr` may be an argument itself or a view of one (a
        gradient must be a fresh array)."""
        while True:
            if type(expr) is gast.Name:
                return expr.id in self.params
            if type(expr) is gast.Subscript:
                expr = expr.value
            elif self.linear_call(expr):
                expr = expr.args[0]
            else:
                return False

    def only_operand(self, id_):
        """Whether every later read of `id_` is an operand of arithmetic
        that makes a new array (so `id_` may share an argument's memory);
        not of a sum, which first_contribution may turn into a copy."""
        reads = operands = 0
        for stmt in self.fdef.body[self.at + 1:]:
            for node in walk(stmt):
                if type(node) is gast.Name and node.id == id_:
                    reads += 1
                elif type(node) is gast.BinOp and \
                        type(node.op) is not gast.Add:  # 0 + v may become v
                    operands += sum(type(n) is gast.Name and n.id == id_
                                    for n in (node.left, node.right))
                elif type(node) is gast.UnaryOp:
                    operands += type(node.operand) is gast.Name and \
                        node.operand.id == id_
        return reads == operands

    def linear_call(self, expr):
        """Whether `expr` calls a runtime helper linear in its first
        argument."""
        return type(expr) is gast.Call and bool(expr.args) and any(
            is_runtime_call(expr, self.runtime_name, fn) for fn in LINEAR)

    def reads_pending(self, expr):
        return any(n in self.pending for n in loads(expr))


def _binop(left, op, right):
    return gast.BinOp(left=left, op=op, right=right)

