"""Small constructors for the gast nodes that generated code is made of."""
import gast

COMMENT = "#srcad# "


def name(id_, store=False):
    ctx = gast.Store() if store else gast.Load()
    return gast.Name(id=id_, ctx=ctx, annotation=None, type_comment=None)


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


def located(node, like):
    if like is not None and hasattr(like, "lineno"):
        gast.copy_location(node, like)
    return node


def loads(tree):
    """Names read anywhere in `tree`."""
    return {n.id for n in gast.walk(tree)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def stores(tree):
    """Names assigned anywhere in `tree`."""
    return {n.id for n in gast.walk(tree)
            if isinstance(n, gast.Name) and
            isinstance(n.ctx, (gast.Store, gast.Param))}
