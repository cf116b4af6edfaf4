"""Structure: control flow with one way in and one way out of every block.

`structure(fdef, namer)` rewrites a normalized function so that

- no statement follows a `break`, `continue` or `return` in its block:
  what followed an `if` one of whose branches jumps moves into the
  branches that fall through (so "did the statement run?" is answered by
  the branch taken, which the tape records);
- a `return` inside a loop sets a flag and a value and breaks out, and the
  code after the loop returns when the flag is set;
- there is one `return`, the last statement: every other return assigns
  the result instead.

The reverse sweep relies on this: it reverses a block statement by
statement and a loop by its trip count, with no jumps to account for.
"""
import gast

from .build import assign, clone, const, name, ret, walk


def structure(fdef, namer):
    flags = _Flags(namer)
    body = _loop_returns(fdef.body, flags, in_loop=False)
    body = _lift(body)
    single_exit = body and isinstance(body[-1], gast.Return) and \
        not _returns(body[:-1])
    if not single_exit:
        result = namer.reserve("result")
        exit_ = ret(name(result))
        if body and not _returns(body, flags):
            # no return at all: None after the last line, which is where
            # an error about that output points (a caret under all of it)
            exit_.lineno = exit_.end_lineno = getattr(body[-1], "lineno",
                                                      None)
            exit_.col_offset, exit_.end_col_offset = 0, 10 ** 6
            exit_.implicit = True
        else:  # one of several returns, or the end: the def line
            gast.copy_location(exit_, fdef)
        body = [assign(result, const(None), fdef)] + \
            _assign_returns(body, result) + [exit_]
    if flags.used:
        body = [assign(flags.flag, const(False), fdef),
                assign(flags.value, const(None), fdef)] + body
    fdef.body = body
    return fdef


class _Flags:
    def __init__(self, namer):
        self.namer = namer
        self.used = False

    def names(self):
        if not self.used:
            self.flag = self.namer.reserve("returned")
            self.value = self.namer.reserve("returning")
            self.used = True
        return self.flag, self.value


def _loop_returns(stmts, flags, in_loop):
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.Return) and in_loop:
            flag, value = flags.names()
            out += [assign(value, stmt.value, stmt),
                    assign(flag, const(True), stmt), gast.Break()]
            continue
        if isinstance(stmt, gast.If):
            stmt.body = _loop_returns(stmt.body, flags, in_loop)
            stmt.orelse = _loop_returns(stmt.orelse, flags, in_loop)
        elif isinstance(stmt, (gast.For, gast.While)):
            stmt.body = _loop_returns(stmt.body, flags, in_loop=True)
            out.append(stmt)
            if flags.used and _returns(stmt.body, flags):
                flag, value = flags.names()
                leave = [gast.Break()] if in_loop else [ret(name(value))]
                out.append(gast.copy_location(
                    gast.If(test=name(flag), body=leave, orelse=[]), stmt))
            continue
        out.append(stmt)
    return out


def _lift(stmts):
    """`stmts` with whatever follows a possible jump moved into the
    branches that fall through."""
    out = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, (gast.Break, gast.Continue, gast.Return)):
            out.append(stmt)
            return out  # the rest never runs
        if isinstance(stmt, gast.If):
            rest = stmts[i + 1:]
            if rest and (_jumps(stmt.body) or _jumps(stmt.orelse)):
                stmt.body = _lift(stmt.body + clone(rest))
                stmt.orelse = _lift(stmt.orelse + clone(rest))
                out.append(stmt)
                return out
            stmt.body = _lift(stmt.body)
            stmt.orelse = _lift(stmt.orelse)
        elif isinstance(stmt, (gast.For, gast.While)):
            stmt.body = _lift(stmt.body)
        out.append(stmt)
    return out


def _jumps(stmts):
    """Whether a break, continue or return may leave `stmts` early (jumps
    inside nested loops stay inside them)."""
    for stmt in stmts:
        if isinstance(stmt, (gast.Break, gast.Continue, gast.Return)):
            return True
        if isinstance(stmt, gast.If) and \
                (_jumps(stmt.body) or _jumps(stmt.orelse)):
            return True
    return False


def _returns(stmts, flags=None):
    """Whether `stmts` contain a return (or set the loop-return flag)."""
    for stmt in stmts:
        for node in walk(stmt):
            if isinstance(node, gast.Return):
                return True
            if flags is not None and isinstance(node, gast.Name) and \
                    node.id == getattr(flags, "flag", None):
                return True
    return False


def _assign_returns(stmts, result):
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.Return):
            out.append(gast.copy_location(
                assign(result, stmt.value), stmt))
            continue
        if isinstance(stmt, gast.If):
            stmt.body = _assign_returns(stmt.body, result)
            stmt.orelse = _assign_returns(stmt.orelse, result)
        out.append(stmt)
    return out
