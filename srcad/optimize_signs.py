"""Signs: negations in derivative statements go where they cost nothing.

    bt10 = -bx                            bt8 = bx / t9
    bt8 = bt10 / t9                 ->    bx = bx + bx * t10 / t9 * 2.0
    bx = bx + -bt10 * t10 / t9 * 2.0      ba += bt8
    ba += -bt8                            bx = bx - 2.0 * bt8 * x
    bx = bx + 2.0 * bt8 * x

A negation passes through products and quotients, and a sum or a
difference absorbs it (`a + -b` is `a - b`, `-a - b` is `-(a + b)`), as
does an augmented `+=` or `-=`. A temporary's adjoint assigned a negated
value once (`bt8 = -(bx / t9)`) may keep the value without its sign when
every statement reading it computes something new from it (an operand of
`+ - * /` or of a negation): those reads take the sign on. What is left
is written once, where it settles. Every rewrite is exact in floating
point (a negation rounds nothing; only a zero's sign may differ), and the
primal's statements are never touched: the user sees their own values.
Run once, after the optimizer's rounds and before fusing, on functions
with loops (optimize.py: in straight-line code `defer_scales` takes
scalar factors and signs along already, and the work would cost build
time for little).
"""
import gast

from .build import clone, fingerprint, loads, stores, transform, walk
from .facts import note_change
from .folding import signed_factor

_ADD, _SUB, _MUL, _DIV = gast.Add, gast.Sub, gast.Mult, gast.Div


def signs(fdef, primal, temporaries):
    """Settle the negations of `fdef`'s derivative statements (those that
    assign no name in `primal`). Temporaries' adjoints (in `temporaries`)
    may carry theirs to where they are read. Returns (whether anything
    changed, whether a name is now bound to another name: `bt = -bx`
    become `bt = bx`, a copy to propagate)."""
    survey = _Survey(fdef, primal, temporaries)
    if not survey.negations and not survey.negative:
        return False, False  # no sign to settle
    before = clone(fdef.body)
    settled = _Signs(primal, survey)
    settled.block(fdef.body)
    if settled.shared or _negations(fdef) > survey.negations:
        # an array two names would now share, one changed in place; or
        # reads that could not take the sign on: all as it was
        fdef.body[:] = before
        return False, False
    return settled.changed, settled.copied


def _negations(tree):
    return sum(type(n) is gast.UnaryOp and type(n.op) is gast.USub
               for n in walk(tree))


class _Survey:
    """One walk over the function: its negations, whether it has negative
    numbers, the names changed in place, and the temporaries' adjoints
    that may carry their sign (assigned once, every read an operand of
    `+ - * /` or of a negation, or what `+=` or `-=` adds)."""

    def __init__(self, fdef, primal, temporaries):
        self.negations, self.negative = 0, False
        self.in_place = set()
        stores, operands, elsewhere = {}, set(), set()
        for node in walk(fdef):
            kind = type(node)
            note_change(node, self.in_place)
            children = ()
            if kind is gast.Name:
                if type(node.ctx) is not gast.Load:
                    stores[node.id] = stores.get(node.id, 0) + 1
                continue
            if kind is gast.Constant:
                self.negative |= type(node.value) in (int, float) and \
                    node.value < 0
                continue
            if kind is gast.BinOp and type(node.op) in (_ADD, _SUB, _MUL,
                                                        _DIV):
                children = (node.left, node.right)
            elif kind is gast.UnaryOp and type(node.op) is gast.USub:
                self.negations += 1
                children = (node.operand,)
            elif kind is gast.AugAssign and type(node.op) in (_ADD, _SUB):
                children = (node.value,)
            else:
                elsewhere.update(_child_names(node))
            operands.update(c.id for c in children if type(c) is gast.Name)
        self.may_flip = {id_ for id_ in operands - elsewhere
                         if id_ in temporaries and id_ not in primal and
                         stores.get(id_) == 1}


class _Signs:
    def __init__(self, primal, survey):
        self.primal = primal
        self.flipped = set()   # names holding the negation of their value
        self.may_flip = survey.may_flip
        # `v = -b` flipped is `v = b`, the same array: not if b changes
        self.in_place = survey.in_place
        self.read = set()      # names read so far, in program order
        self.changed = False
        self.shared = False    # see shares
        self.copied = False    # a negated name lost its sign: a copy

    def block(self, stmts):
        for stmt in stmts:
            self.statement(stmt)

    def statement(self, stmt):
        kind = type(stmt)
        signed = kind in (gast.Assign, gast.AugAssign) and \
            self.has_signs(stmt.value)
        if signed:
            before, fresh = fingerprint(stmt), _makes_new(stmt.value)
        self.rewrite(stmt, kind)
        if signed and fresh:
            self.shared |= self.shares(stmt)
            self.copied |= type(stmt.value) is gast.Name
        if signed and fingerprint(stmt) != before:
            self.changed = True
        self.block(getattr(stmt, "body", []))
        self.block(getattr(stmt, "orelse", []))

    def shares(self, stmt):
        """Whether `stmt`, whose negation made a new value, now binds its
        target to an array another name holds (a name, an item, a view a
        call returns), and either is changed in place."""
        if type(stmt) is not gast.Assign or _makes_new(stmt.value):
            return False
        return bool((loads(stmt.value) | stores(stmt.targets[0]) |
                     loads(stmt.targets[0])) & self.in_place)

    def has_signs(self, value):
        """Whether `value` holds a negation, a negative number or a name
        whose sign was moved: only then may settling change it."""
        for node in walk(value):
            kind = type(node)
            if kind is gast.UnaryOp and type(node.op) is gast.USub or \
                    kind is gast.Constant and \
                    type(node.value) in (int, float) and node.value < 0 or \
                    kind is gast.Name and node.id in self.flipped:
                return True
        return False

    def rewrite(self, stmt, kind):
        if kind is gast.Assign and len(stmt.targets) == 1 and \
                self.derivative(stmt.targets[0]):
            negated, value = self.settle(stmt.value)
            target = stmt.targets[0]
            free = signed_factor(value) if negated else None
            if free is not None:  # a constant factor takes the sign
                negated, value = False, free
            aliased = type(value) is gast.Name and value.id in self.in_place
            if negated and type(target) is gast.Name and \
                    target.id in self.may_flip and \
                    target.id not in self.read and not aliased:
                self.flipped.add(target.id)
                stmt.value = value
            else:
                stmt.value = _negated(value) if negated else value
        elif kind is gast.AugAssign and type(stmt.op) in (_ADD, _SUB) and \
                self.derivative(stmt.target):
            negated, value = self.settle(stmt.value)
            stmt.value = value
            if negated:
                stmt.op = _SUB() if type(stmt.op) is _ADD else _ADD()
            self.note(stmt.target)
        elif kind is not gast.Delete:
            for field in ("test", "iter", "value", "targets", "target"):
                part = getattr(stmt, field, None)
                if part is not None and not isinstance(part, list):
                    setattr(stmt, field, self.plain(part))
                elif part:
                    setattr(stmt, field, [self.plain(p) for p in part])

    def derivative(self, target):
        while type(target) in (gast.Subscript, gast.Attribute):
            target = target.value
        return type(target) is gast.Name and target.id not in self.primal

    def note(self, node):
        for inner in walk(node):
            if type(inner) is gast.Name:
                self.read.add(inner.id)

    def plain(self, node):
        """`node` with every flipped name read as its negation."""
        self.note(node)
        if not self.flipped:
            return node

        def negate(inner):
            if type(inner) is gast.Name and inner.id in self.flipped and \
                    type(inner.ctx) is gast.Load:
                self.changed = True
                return _negated(inner)
            return inner
        return transform(node, negate)

    def settle(self, node):
        """(negated, expression): `node` is the expression, negated if
        the flag says so; negations inside pass up as far as they go."""
        kind = type(node)
        if kind is gast.Name:
            self.read.add(node.id)
            return node.id in self.flipped, node
        if kind is gast.Constant and type(node.value) in (int, float) and \
                node.value < 0:
            return True, gast.Constant(value=-node.value, kind=None)
        if kind is gast.UnaryOp and type(node.op) is gast.USub:
            negated, inner = self.settle(node.operand)
            return not negated, inner
        if kind is gast.BinOp and type(node.op) in (_MUL, _DIV):
            left_neg, left = self.settle(node.left)
            right_neg, right = self.settle(node.right)
            node.left, node.right = left, right
            return left_neg != right_neg, node
        if kind is gast.BinOp and type(node.op) in (_ADD, _SUB):
            left_neg, left = self.settle(node.left)
            right_neg, right = self.settle(node.right)
            return _sum(type(node.op) is _ADD, left_neg, left, right_neg,
                        right)
        return False, self.plain(node)


def _makes_new(value):
    """Whether `value` surely makes a new value (arithmetic does)."""
    return type(value) in (gast.BinOp, gast.UnaryOp, gast.Constant)


def _sum(adding, left_neg, left, right_neg, right):
    """`(+-left) + (+-right)` or `(+-left) - (+-right)`, its sign out."""
    def op(kind, a, b):
        return gast.BinOp(left=a, op=kind(), right=b)
    if not adding:  # a - b is a + (-b)
        right_neg = not right_neg
    if not left_neg and not right_neg:
        return False, op(_ADD, left, right)
    if left_neg and right_neg:
        return True, op(_ADD, left, right)
    if right_neg:
        return False, op(_SUB, left, right)
    return False, op(_SUB, right, left)


def _negated(node):
    signed = signed_factor(node)
    if signed is not None:
        return signed
    return gast.UnaryOp(op=gast.USub(), operand=node)


def _child_names(node):
    """Names read directly as children of `node` (not through a deeper
    expression)."""
    for field in getattr(node, "_fields", ()):
        value = getattr(node, field, None)
        items = value if type(value) is list else [value]
        for item in items:
            if type(item) is gast.Name and type(item.ctx) is gast.Load:
                yield item.id
