"""Emit: gast functions -> Python source text.

`emit(functions, header)` converts through `ast` and astor and turns the
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
        tree = gast.gast_to_ast(gast.Module(body=[fdef], type_ignores=[]))
        ast.fix_missing_locations(tree)
        chunks.append(_comments(astor.to_source(tree)))
    text = "\n\n".join(chunks)
    if header:
        text = "".join(f"# {line}\n" for line in header.splitlines()) + text
    return text


def _drop_empty_comments(fdef):
    body = fdef.body
    keep = []
    for i, stmt in enumerate(body):
        if is_comment(stmt):
            nxt = body[i + 1] if i + 1 < len(body) else None
            if nxt is None or is_comment(nxt) or isinstance(nxt, gast.Return):
                continue
        keep.append(stmt)
    body[:] = keep


def _comments(source):
    lines = []
    for line in source.splitlines():
        match = _MARK.match(line)
        if match:
            text = ast.literal_eval(line.strip())[len(COMMENT):]
            line = f"{match.group(1)}# {text}"
        lines.append(line)
    return "\n".join(lines) + "\n"
