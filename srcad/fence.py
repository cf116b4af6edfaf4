"""Fence: reject what srcad does not differentiate, before anything else runs.

`fence(captured)` returns nothing; it raises `UnsupportedSyntax` at the first
node outside the supported subset, with advice on what to write instead.
What passes the fence is something every later pass handles.
"""
import gast

from .build import walk
from .errors import UnsupportedSyntax, located

# Node types every later pass understands.
ALLOWED = (
    gast.Assign, gast.AugAssign, gast.Return, gast.Expr, gast.Pass,
    gast.Assert, gast.If, gast.For, gast.While, gast.Break, gast.Continue,
    gast.Raise, gast.JoinedStr, gast.FormattedValue,
    gast.BinOp, gast.UnaryOp, gast.Call, gast.Name, gast.Constant,
    gast.Attribute, gast.Subscript, gast.Slice, gast.Tuple, gast.List,
    gast.Compare, gast.keyword, gast.IfExp, gast.BoolOp,
    gast.Load, gast.Store, gast.operator, gast.unaryop, gast.cmpop,
    gast.boolop,
)

ADVICE = {
    gast.FunctionDef: "functions defined inside the differentiated function "
                      "are not supported; define the helper at module level",
    gast.Lambda: "lambda inside the differentiated function is not "
                 "supported; define the helper at module level",
    gast.With: "'with' blocks are not supported; move them out of the "
               "differentiated function",
    gast.Try: "'try' is not supported; move error handling out of the "
              "differentiated function",
    gast.Global: "'global' is not supported; pass the value as an argument",
    gast.Nonlocal: "'nonlocal' is not supported; pass the value as an "
                   "argument and return the new one",
    gast.Delete: "'del' is not supported; simply stop using the name",
    gast.Yield: "generators are not supported; return a value instead",
    gast.YieldFrom: "generators are not supported; return a value instead",
    gast.Await: "async code is not supported",
    gast.AsyncFunctionDef: "async functions are not supported",
    gast.ListComp: "comprehensions are not supported yet; use array "
                   "operations",
    gast.Starred: "star-unpacking is not supported; name each value",
}


def fence(captured):
    """Raise a located UnsupportedSyntax for the first unsupported node."""
    tree = captured.tree
    args = tree.args
    if args.vararg or args.kwarg or args.posonlyargs or args.kwonlyargs:
        message = "*args, **kwargs, keyword-only and positional-only " \
            "parameters are not supported; use plain parameters"
        inner = getattr(captured.fn, "__wrapped__", None)
        if inner is not None:  # functools.wraps
            message = (
                f"this is the wrapper a decorator put around "
                f"{getattr(inner, '__qualname__', inner)!s}, and it changes "
                f"the arguments or the result (srcad reads through a "
                f"wrapper that passes both on unchanged): {message}, or "
                f"differentiate the undecorated function")
        raise located(UnsupportedSyntax, message, tree, captured)
    generated = captured.filename.startswith("<srcad")
    for stmt in tree.body:
        for node in walk(stmt):
            if generated and isinstance(node, (gast.Delete, gast.Del)):
                continue  # srcad's own `del` of dead temporaries
            if not isinstance(node, ALLOWED):
                raise located(UnsupportedSyntax, _message(node), node,
                              captured)
        for node in walk(stmt):
            _check_node(node, captured)


def _message(node):
    kind = type(node).__name__
    advice = ADVICE.get(type(node))
    if advice is None:
        advice = "rewrite it with plain assignments, calls and operators"
    return f"srcad does not support '{kind}' here: {advice}."


def _check_node(node, captured):
    if isinstance(node, gast.Assign):
        for target in node.targets:
            _check_target(target, captured)
    elif isinstance(node, gast.AugAssign):
        _check_target(node.target, captured)
    elif isinstance(node, gast.Expr):
        if not isinstance(node.value, (gast.Constant, gast.Call)):
            raise located(UnsupportedSyntax,
                          "an expression whose value is thrown away does "
                          "nothing; assign it to a name or remove it",
                          node, captured)


def _check_target(target, captured):
    if isinstance(target, gast.Name):
        return
    if isinstance(target, (gast.Tuple, gast.List)):
        for elt in target.elts:
            _check_target(elt, captured)
        return
    if isinstance(target, gast.Subscript):
        return
    raise located(UnsupportedSyntax,
                  "srcad only assigns to plain names and tuples of names; "
                  "assign to a local name instead", target, captured)
