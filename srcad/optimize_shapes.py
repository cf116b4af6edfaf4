"""Shape-aware clean-ups of generated code, passes of optimize.py.

- `ones`: the adjoint of a full sum, a scalar spread over the summed shape,
  stays a scalar where every use is a factor that `ad.unbroadcast` sums
  down, or folds into products with values of the summed shape;
- `likes`: a shape stand-in `ad.Like(a, b)` becomes a value of that shape
  that is computed anyway;
- `stand_ins`: a value computed only to be read for its shape is read
  from a value of that shape that is there anyway.
"""
import gast

from .build import (clone, is_number as _number, is_runtime_call, loads,
                    name, simple_assign, transform, walk, walk_children)
from .facts import Changes, facts_of


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
                             runtime_name, info) or \
                    _full(stmt.value) and \
                    _only_scattered(readers, target, runtime_name):
                stmt.value = compact  # broadcast where it is read
                return Changes([stmt])
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
            return Changes(readers)
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


def _full(spread):
    """Whether `ad.unreduce(g, v, None, False)` spreads a full sum's one
    number."""
    axis, keepdims = spread.args[2:]
    return axis.value is None and keepdims.value is False


def _only_scattered(readers, target, runtime_name):
    """Whether every use of spread `target` is in the value put at positions
    of an array (`ad.add_at(b, idx, v)`, `b[idx] += v`, `b[idx] = v`),
    arithmetic on it and numbers: one number broadcasts there just as
    well."""
    uses = scattered = 0
    for stmt in readers:
        value = None
        if type(stmt) in (gast.AugAssign, gast.Assign) and \
                type(getattr(stmt, "target", None) or stmt.targets[0]) is \
                gast.Subscript:
            value = stmt.value
        elif type(stmt) is gast.Expr and \
                is_runtime_call(stmt.value, runtime_name, "add_at") and \
                len(stmt.value.args) == 3:
            value = stmt.value.args[2]
        if value is not None and _arithmetic_on(value, target):
            scattered += sum(type(n) is gast.Name for n in walk(value))
        uses += sum(type(n) is gast.Name and n.id == target
                    for n in walk(stmt))
    return uses == scattered


def _arithmetic_on(expr, target):
    """Whether `expr` is arithmetic on the name `target` and numbers."""
    allowed = (gast.BinOp, gast.UnaryOp, gast.Constant, gast.operator,
               gast.unaryop, gast.Load)
    return all(type(n) is gast.Name and n.id == target or
               isinstance(n, allowed) for n in walk(expr))


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
                # a side whose shape is not known (a call) adds nothing
                bases = (_bases(other, runtime_name, info) or frozenset()) \
                    | (_bases(shape_of, runtime_name, info) or frozenset())
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
        changed, rewritten = [], Changes()

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
                rewritten.append(stmt)
            bound |= names[i][1]
        return bool(changed) and rewritten
    return run


def stand_ins(runtime_name, info):
    """A value computed only to be read for its shape (an argument in
    SHAPE_ARGS, `.shape`, or a gather `v = x[idx]` whose v is read only
    so) or for its shape and float type (`ad.zeros_like(x)`) is read from a
    value of its shape that is there anyway: an argument, or a value read
    for itself elsewhere. For `zeros_like`, only a value x is computed from
    alone, so that its float type is no narrower than x's. Then x need not
    be computed (a log-softmax picked at the labels only to count them)."""
    def run(fdef, facts=None):
        uses = _Uses(fdef, facts_of(fdef, facts), runtime_name)
        for x, at in uses.defined.items():
            if not uses.candidate(x) or uses.for_value(x):
                continue
            zeroed = any(x in uses.reads(j).zeros for j in uses.readers[x])
            y = _stand_in(x, at, info.shapes, uses, zeroed and
                          _origins(x, fdef.body, uses.defined, {}))
            if y is not None:
                readers = Changes(fdef.body[j] for j in uses.readers[x])
                for stmt in readers:
                    transform(stmt, _renamed(x, y))
                return readers
        return False
    return run


class _Uses:
    """How the top-level statements read each name, worked out as asked."""

    def __init__(self, fdef, facts, runtime_name):
        self.body, self.facts, self.runtime_name = fdef.body, facts, \
            runtime_name
        self.params = {a.id for a in fdef.args.args}
        self.readers = {}
        for j, (read, _) in enumerate(facts.names):
            for id_ in read:
                self.readers.setdefault(id_, []).append(j)
        self.defined = {}  # name -> position of its one assignment
        for i, stmt in enumerate(self.body):
            if simple_assign(stmt) and \
                    facts.counts.get(stmt.targets[0].id) == 1:
                self.defined[stmt.targets[0].id] = i
        self._reads = {}
        self.zeros = (runtime_name, "zeros_like")
        self.shape_calls = {(runtime_name, a) for a in SHAPE_ARGS} | \
            {self.zeros}

    def reads(self, j):
        if j not in self._reads:
            self._reads[j] = _Reads(self.body[j], self.runtime_name)
        return self._reads[j]

    def candidate(self, x):
        """Whether x, assigned once, is read only by statements that may
        read it for its shape, one of them a gather or `ad.zeros_like` (a
        cheap first look: other shape reads take names there anyway when
        they are generated, see Reverse.shape_of)."""
        if x in self.params or x in self.facts.written or \
                x not in self.readers:
            return False
        gathered = False
        for j in self.readers[x]:
            stmt = self.body[j]
            calls = self.facts.calls[j]
            gather = simple_assign(stmt) and \
                type(stmt.value) in (gast.Subscript, gast.Attribute)
            if not (calls & self.shape_calls or gather):
                return False
            gathered = gathered or gather or self.zeros in calls
        return gathered

    def for_value(self, x):
        """Whether some statement reads x for its value."""
        return any(x in self.reads(j).values and self.gathered(j) != x
                   for j in self.readers.get(x, ()))

    def needed(self, y):
        return y in self.params or self.for_value(y)

    def gathered(self, j):
        """x, for a gather `v = x[idx]` at j whose v is read only for its
        shape (then x is too)."""
        stmt = self.body[j]
        if not (simple_assign(stmt) and type(stmt.value) is gast.Subscript
                and type(stmt.value.value) is gast.Name):
            return None
        v, x = stmt.targets[0].id, stmt.value.value.id
        if self.facts.counts.get(v) != 1 or v in self.facts.written or \
                x in loads(stmt.value.slice) or \
                any(v in self.reads(k).values or v in self.reads(k).zeros
                    for k in self.readers.get(v, ())):
            return None
        return x


class _Reads:
    """The names a statement reads for their value (`values`: not as an
    argument in SHAPE_ARGS, nor `v.shape`, `v.size`, `v.ndim`), and those
    it reads for shape and float type (`zeros`: `ad.zeros_like(v)`)."""

    def __init__(self, stmt, runtime_name):
        self.zeros = set()

        def inside(node):
            kind = type(node)
            if kind is gast.Attribute and type(node.value) is gast.Name \
                    and node.attr in ("shape", "size", "ndim"):
                return ()
            func = getattr(node, "func", None)
            if kind is not gast.Call or type(func) is not gast.Attribute or \
                    type(func.value) is not gast.Name or \
                    func.value.id != runtime_name:
                return None
            attr = func.attr
            if attr == "zeros_like" and len(node.args) == 1 and \
                    type(node.args[0]) is gast.Name:
                self.zeros.add(node.args[0].id)
                return ()
            if attr not in SHAPE_ARGS:
                return None
            skip = SHAPE_ARGS[attr]
            return [a for k, a in enumerate(node.args)
                    if skip is not None and k not in skip or
                    type(a) is not gast.Name] + \
                [k.value for k in node.keywords]
        self.values = _loads_but(stmt, inside)


def _loads_but(tree, inside):
    """Names read in `tree`, looking into only the children `inside(node)`
    gives of each call and attribute (all of them where it gives None)."""
    found = set()
    stack = [tree]
    Name, Call, Attribute = gast.Name, gast.Call, gast.Attribute
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is Name:
            if type(node.ctx) is gast.Load:
                found.add(node.id)
            continue
        children = inside(node) if kind is Call or kind is Attribute \
            else None
        stack.extend(walk_children(node) if children is None else children)
    return found


# runtime helpers reading only the shape of the arguments at these positions
SHAPE_ARGS = {"Like": None, "reduced_size": (0,), "unreduce": (1,),
              "unbroadcast": (1,)}


def _stand_in(x, at, shapes, uses, origins):
    """A name of x's shape there anyway before statement `at`; when
    `origins` is given (x is read for its float type), the one name x is
    computed from."""
    for y in shapes.names_with(shapes.bases(x)):
        if y == x or y in uses.defined and uses.defined[y] >= at or \
                y not in uses.defined and y not in uses.params or \
                not uses.needed(y):
            continue
        if origins is False or origins == {y}:
            return y
    return None


def _origins(id_, body, defined, memo):
    """The names `id_` is computed from that no top-level statement
    assigns once (arguments, globals); None where not known."""
    if id_ not in defined:
        return {id_}
    if id_ not in memo:
        memo[id_] = None  # a cycle is not known
        found = set()
        for read in _operands(body[defined[id_]].value):
            more = _origins(read, body, defined, memo)
            if more is None:
                return None
            found |= more
        memo[id_] = found
    return memo[id_]


def _operands(value):
    """The names an expression reads, but a callee's module (`np` of
    `np.exp(x)`)."""
    def inside(node):
        if type(node) is gast.Call and type(node.func) is gast.Attribute \
                and type(node.func.value) is gast.Name:
            return node.args + [k.value for k in node.keywords]
        return None
    return _loads_but(value, inside)


def _renamed(old, new):
    def rename(node):
        if type(node) is gast.Name and node.id == old:
            return name(new)
        return node
    return rename


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
        used |= _loads_but(stmt, lambda node: () if is_runtime_call(
            node, runtime_name, "Like") else None)
    return used, with_likes
