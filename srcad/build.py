"""Small constructors for the gast nodes that generated code is made of."""
import gast

COMMENT = "#srcad# "


def name(id_, store=False):
    # made field by field, with one shared context each (as Python's own
    # parser shares them): gast's checking constructor costs 4x as much,
    # and generated code makes thousands of names a build
    node = _new(gast.Name)
    node.id, node.ctx = id_, _STORE if store else _LOAD
    node.annotation = node.type_comment = None
    return node


_new = gast.AST.__new__
_LOAD, _STORE = gast.Load(), gast.Store()


def const(value):
    return gast.Constant(value=value, kind=None)


def assign(target, value, like=None):
    if isinstance(target, str):
        target = name(target, store=True)
    stmt = gast.Assign(targets=[target], value=value, type_comment=None)
    return located(stmt, like)


def attr(owner, attribute):
    if isinstance(owner, str):
        owner = name(owner)
    return gast.Attribute(value=owner, attr=attribute, ctx=gast.Load())


def call(func, args, keywords=()):
    return gast.Call(func=func, args=list(args),
                     keywords=[gast.keyword(arg=k, value=v)
                               for k, v in keywords])


def tuple_(elts, store=False):
    ctx = gast.Store() if store else gast.Load()
    return gast.Tuple(elts=list(elts), ctx=ctx)


def ret(value):
    return gast.Return(value=value)


def function(fn_name, params, body, like=None):
    args = gast.arguments(args=[gast.Name(id=p, ctx=gast.Param(),
                                          annotation=None, type_comment=None)
                                for p in params],
                          posonlyargs=[], vararg=None, kwonlyargs=[],
                          kw_defaults=[], kwarg=None, defaults=[])
    fdef = gast.FunctionDef(name=fn_name, args=args, body=body,
                            decorator_list=[], returns=None,
                            type_comment=None, type_params=[])
    return located(fdef, like)


def comment(text, like=None):
    """A statement that emit turns into the comment `# text`."""
    return located(gast.Expr(value=const(COMMENT + text)), like)


def is_comment(stmt):
    return isinstance(stmt, gast.Expr) and \
        isinstance(stmt.value, gast.Constant) and \
        isinstance(stmt.value.value, str) and \
        stmt.value.value.startswith(COMMENT)


def is_number(node):
    """True for a numeric constant (not a bool)."""
    return isinstance(node, gast.Constant) and \
        isinstance(node.value, (int, float)) and \
        not isinstance(node.value, bool)


def located(node, like):
    """`node` with the source position of `like` (gast.copy_location's
    work, written out: generated code locates hundreds of nodes a build)."""
    if like is not None:
        where = like.__dict__
        if "lineno" in where:
            node.lineno, node.end_lineno = where["lineno"], \
                where.get("end_lineno")
            node.col_offset, node.end_col_offset = \
                where.get("col_offset"), where.get("end_col_offset")
    return node


_SKIP = {"ctx", "type_comment", "kind", "annotation", "returns"}


class _Fields(dict):
    """Node class -> the fields that may hold child nodes, worked out on
    first use (a dict lookup in the walks' inner loops)."""

    def __init__(self, skip=()):
        super().__init__()
        self.skip = dict(skip)

    def __missing__(self, cls):
        skip = self.skip.get(cls, ())
        fields = self[cls] = tuple(f for f in cls._fields
                                   if f not in _SKIP and f not in skip)
        return fields


CHILDREN = _Fields()  # the fields fingerprint compares
# the fields the walks follow: a name's id, a constant's value, an
# attribute's and a keyword's name are never nodes (one getattr less for
# each of the most common nodes)
BRANCHES = _Fields({gast.Name: ("id",), gast.Constant: ("value",),
                    gast.Attribute: ("attr",), gast.keyword: ("arg",)})


def walk_children(node):
    """The child nodes of `node`, expression contexts left out."""
    out = []
    for field in BRANCHES[node.__class__]:
        value = getattr(node, field, None)
        if type(value) is list:
            out.extend(v for v in value if isinstance(v, gast.AST))
        elif isinstance(value, gast.AST):
            out.append(value)
    return out


def walk(tree):
    """Every node in `tree` but expression contexts (like gast.walk, in
    another order, faster)."""
    stack = [tree]
    pop, push, extend = stack.pop, stack.append, stack.extend
    AST = gast.AST
    while stack:
        node = pop()
        if node is None:  # a missing key in {**d}
            continue
        yield node
        for field in BRANCHES[node.__class__]:
            value = getattr(node, field, None)
            if type(value) is list:
                if value and isinstance(value[0], AST):
                    extend(value)
            elif isinstance(value, AST):
                push(value)


def transform(node, fn, kinds=None):
    """Rebuild `node` bottom-up: each node is replaced by `fn(node)` after
    its children (a lighter NodeTransformer; fn returns the node to keep).
    Given `kinds`, fn sees only nodes of those types (the others stay)."""
    AST = gast.AST
    for field in BRANCHES[node.__class__]:
        value = getattr(node, field, None)
        if type(value) is list:
            value[:] = [transform(v, fn, kinds) if isinstance(v, AST) else v
                        for v in value]
        elif isinstance(value, AST):
            setattr(node, field, transform(value, fn, kinds))
    if kinds is not None and node.__class__ not in kinds:
        return node
    return fn(node)


def fingerprint(node):
    """A hashable value equal for structurally equal trees (what
    gast.dump gives, cheaper)."""
    if type(node) is list:
        return tuple(fingerprint(v) for v in node)
    if not isinstance(node, gast.AST):
        return type(node), node  # 1, 1.0 and True differ
    if type(node) is gast.Name:
        return ("Name", node.id, type(node.ctx))
    return (type(node),) + tuple(fingerprint(getattr(node, f, None))
                                 for f in CHILDREN[node.__class__])


def clone(node):
    """A deep copy of a gast tree (faster than copy.deepcopy)."""
    if type(node) is list:
        return [clone(v) for v in node]
    if not isinstance(node, gast.AST):
        return node
    new = node.__class__.__new__(node.__class__)
    new.__dict__.update(node.__dict__)
    for field in node._fields:
        value = getattr(node, field, None)
        if type(value) is list or isinstance(value, gast.AST):
            setattr(new, field, clone(value))
    return new


def loads(tree):
    """Names read anywhere in `tree`."""
    found = set()
    collect(tree, found, None)
    return found


def stores(tree):
    """Names assigned anywhere in `tree`."""
    found = set()
    collect(tree, None, found)
    return found


def mentions(tree):
    """Names read or assigned anywhere in `tree` (one walk)."""
    found = set()
    collect(tree, found, found)
    return found


def collect(node, read, written, noted=None):
    """Add the names `node` reads to `read` and assigns to `written` (either
    may be None), and the calls and subscripts in it to list `noted`, if
    given. The optimizer's hot path: the walk of `walk` written out again,
    which measures ~20% faster than reading walk's nodes here. The
    parameters of a lambda are its own, neither read nor assigned."""
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    Name, Load, Param, AST = gast.Name, gast.Load, gast.Param, gast.AST
    Call, Subscript = gast.Call, gast.Subscript
    while stack:
        node = pop()
        kind = type(node)
        if kind is Name:
            ctx = type(node.ctx)
            if ctx is Load:
                if read is not None:
                    read.add(node.id)
            elif written is not None and ctx is not Param:
                written.add(node.id)
            continue
        if node is None:  # a missing key in {**d}
            continue
        if noted is not None and (kind is Call or kind is Subscript):
            noted.append(node)
        for field in BRANCHES[kind]:
            value = getattr(node, field, None)
            if type(value) is list:
                if value and isinstance(value[0], AST):
                    extend(value)
            elif isinstance(value, AST):
                push(value)


def is_runtime_call(value, runtime_name, fn_name):
    """`value` is the call `runtime_name.fn_name(...)` (the runtime's
    helpers, or a method of any name, such as `tape.pop()`)."""
    return isinstance(value, gast.Call) and \
        isinstance(value.func, gast.Attribute) and \
        value.func.attr == fn_name and \
        isinstance(value.func.value, gast.Name) and \
        value.func.value.id == runtime_name


def statements(stmts):
    """Every statement in `stmts`, nested ones included, in source order."""
    for stmt in stmts:
        yield stmt
        for field in ("body", "orelse"):
            yield from statements(getattr(stmt, field, []))


def blocks(stmt):
    """The statement lists directly inside `stmt` (a loop's or branch's
    body and else part), the empty ones left out."""
    for field in ("body", "orelse"):
        inner = getattr(stmt, field, None)
        if inner:
            yield inner


def simple_assign(stmt):
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
        isinstance(stmt.targets[0], gast.Name)


def summed(exprs):
    """The sum of expressions; twice the same one is `2.0 * e`."""
    if len(exprs) == 2 and fingerprint(exprs[0]) == fingerprint(exprs[1]):
        return gast.BinOp(left=gast.Constant(value=2.0, kind=None),
                          op=gast.Mult(), right=exprs[0])
    total = exprs[0]
    for expr in exprs[1:]:
        total = gast.BinOp(left=total, op=gast.Add(), right=expr)
    return total
