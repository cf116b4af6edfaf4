"""Emit: gast functions -> Python source text.

`emit(functions, header)` converts through `ast` and astor (one statement
a line: astor's line wrapping splits calls in odd places) and turns the
comment statements made by `build.comment` into real `# ...` lines; a
comment with nothing under it (its statements optimized away) is dropped.
"""
import ast
import re

import astor
import gast

from .build import COMMENT, is_comment

_MARK = re.compile(r"^(\s*)[rbu]*(\"\"\"|'''|'|\")" + re.escape(COMMENT))


def emit(functions, header=""):
    chunks = []
    for fdef in functions:
        _drop_empty_comments(fdef)
        tree = to_ast(fdef)
        texts = _number_comments(tree, [])
        source = astor.to_source(tree, pretty_source="".join)
        chunks.append(_comments(source, texts))
    text = "\n\n".join(chunks)
    if header:
        text = "".join(f"# {line}\n" for line in header.splitlines()) + text
    return text


def to_ast(node):
    """The standard-library `ast` form of a gast tree (what gast's own
    converter does, for the node types srcad generates, much faster)."""
    if type(node) is list:
        return [to_ast(n) for n in node]
    if not isinstance(node, gast.AST):
        return node
    if isinstance(node, gast.arguments):
        return ast.arguments(
            posonlyargs=[_arg(a) for a in node.posonlyargs],
            args=[_arg(a) for a in node.args], vararg=_arg(node.vararg),
            kwonlyargs=[_arg(a) for a in node.kwonlyargs],
            kw_defaults=to_ast(node.kw_defaults), kwarg=_arg(node.kwarg),
            defaults=to_ast(node.defaults))
    if type(node) is gast.Constant and type(node.value) in (int, float) \
            and (node.value < 0 or str(node.value)[0] == "-"):
        # written `-c`, so `(-1.0) ** k` keeps its brackets (astor would
        # write the number's text as it is: `-1.0 ** k`)
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(
            value=-node.value, kind=None))
    kind = type(node)
    if kind is gast.Name:
        return ast.Name(id=node.id, ctx=_CONTEXTS[type(node.ctx)])
    target, fields = _KINDS.get(kind) or _kind(kind)
    new = target()
    for field in fields:
        value = getattr(node, field, None)
        setattr(new, field, value if value is None or type(value) in _PLAIN
                else to_ast(value))
    return new


_PLAIN = {str, int, float, bool}
# shared, as Python's own parser shares them
_CONTEXTS = {gast.Load: ast.Load(), gast.Store: ast.Store(),
             gast.Del: ast.Del()}
_KINDS = {}  # gast class -> (ast class, its fields)


def _kind(kind):
    target = getattr(ast, kind.__name__)
    found = _KINDS[kind] = target, target._fields
    return found


def _arg(name):
    return None if name is None else ast.arg(arg=name.id, annotation=None)


def _drop_empty_comments(node):
    """Comments with nothing under them go; a block left empty gets
    `pass`. Inside nested blocks too."""
    for field in ("body", "orelse"):
        body = getattr(node, field, None)
        if body is None:
            continue
        keep = []
        for i, stmt in enumerate(body):
            _drop_empty_comments(stmt)
            if is_comment(stmt):
                nxt = body[i + 1] if i + 1 < len(body) else None
                if nxt is None or is_comment(nxt) or \
                        isinstance(nxt, gast.Return):
                    continue
            keep.append(stmt)
        if not keep and (field == "body" or body):
            keep = [gast.Pass()]
        body[:] = keep


def _number_comments(node, texts):
    """Number the comment statements of an `ast` tree in place, their texts
    into `texts` (returned): no quoting stands between a text and the
    line emitted for it."""
    for field in ("body", "orelse"):
        for stmt in getattr(node, field, ()):
            value = getattr(stmt, "value", None)
            if type(stmt) is ast.Expr and type(value) is ast.Constant and \
                    type(value.value) is str and \
                    value.value.startswith(COMMENT):
                texts.append(value.value[len(COMMENT):])
                value.value = f"{COMMENT}{len(texts) - 1}"
            _number_comments(stmt, texts)
    return texts


def _comments(source, texts):
    lines = []
    for line in source.splitlines():
        match = _MARK.match(line)
        if match:
            number = int(line[match.end():].rstrip("\"'"))
            line = f"{match.group(1)}# {texts[number]}"
        lines.append(line)
    return "\n".join(lines) + "\n"
