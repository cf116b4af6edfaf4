"""Normalize: break every expression into single-operation statements.

`normalize(captured, namer)` returns a new `gast.FunctionDef` whose body uses
only these statement forms, where an *atom* is a `Name` or a `Constant`:

    t = atom                      t = a OP b          t = OP a
    t = f(atom, ..., k=atom)      t = a[index]        t = a.attr
    t = (atom, ...)               t = [atom, ...]     t = a CMP b
    a, b = t                      t = a and b         assert atom
    f(atom, ...)                  a[index] = atom     return atom
    if atom: ... else: ...        for k in atom: ...  while True: ...
    break                         continue            raise atom
    t = f"...{atom}..."

`for` loops run over a `range`: `for x in X` becomes `for k in range(len(X))`
with `x = X[k]` first in the body (likewise `zip` and `enumerate`), and
`while c:` becomes `while True:` whose body recomputes c and breaks when it
is false. Conditional expressions and `and` / `or` become `if` statements,
so their operands are evaluated only when Python would.

`f` is a name, or a dotted attribute chain rooted at a free name
(`np.linalg.norm`); `index` is an atom, a slice of atoms or a tuple of those.
Straight-line code is in SSA form: a user variable assigned a second time
gets a fresh name (`x` then `x1`), so no value is ever overwritten. A
variable assigned inside a branch or loop keeps its name everywhere (the
reverse sweep restores its earlier values from the tape).
Temporaries are `t1, t2, ...`; user variables keep their names.

Sugar is lowered here so later passes see a small core: augmented
assignment (with `ad.check_unshared` where Python's in-place change could
show through another name, see sharing.py), chained comparisons, `x.T`,
and array methods such as `x.sum(axis=0)` (which become the NumPy
function, `np.sum(x, axis=0)`).
Every statement carries the location of the user's expression it computes.
"""
import builtins
import math

import gast
import numpy as np

from . import build, runtime, sharing
from .build import const, name
from .loops import Loop
from .errors import UnsupportedSyntax, located

# Array methods that mean the NumPy function of the same name with the
# array as first argument.
NUMPY_METHODS = {
    "sum", "mean", "prod", "max", "min", "std", "var", "dot", "reshape",
    "transpose", "ravel", "cumsum", "cumprod", "squeeze", "swapaxes",
    "clip", "trace", "diagonal", "round", "argmax", "argmin", "all", "any",
    "copy", "repeat", "take", "nonzero", "conj", "argsort", "ptp",
}
# Methods with no NumPy function of the same meaning: srcad's runtime has a
# function for each (with a rule in rules/methods.py) that calls the method.
# (x.sort() sorts in place and stays a method call.)
ARRAY_METHODS = {"flatten", "astype", "item", "tolist"}
# Methods whose NumPy function takes the shape as one tuple argument.
VARARG_METHODS = {"reshape": "newshape", "transpose": "axes"}


def normalize(captured, namer):
    """The captured function in single-operation, SSA form."""
    return Normalizer(captured, namer).function()


def is_atom(node):
    return isinstance(node, (gast.Name, gast.Constant))


class Normalizer:
    def __init__(self, captured, namer):
        self.captured = captured
        self.namer = namer
        self.out = []
        self.where = None
        self.current = {p: p for p in captured.params}
        self.assigned = set(captured.params)
        self.keep_names = assigned_in_blocks(captured.tree)
        self.ranges = set()  # names holding a range (for k in r: ...)
        self.results = {}  # name -> the function of FIELDS that made it
        # srcad's own generated code restores what it wrote over from its
        # tape, through whichever name holds the array: checked for users
        self.shared, self.calls_changing = ({}, {}) \
            if captured.filename.startswith("<srcad") else \
            sharing.checks(captured.tree, captured)

    # -- the function ----------------------------------------------------

    def function(self):
        tree = self.captured.tree
        for stmt in tree.body:
            self.where = stmt
            self.statement(stmt)
        body = self.out or [gast.Pass()]
        fdef = gast.FunctionDef(name=tree.name, args=tree.args, body=body,
                                decorator_list=[], returns=None,
                                type_comment=None, type_params=[])
        return gast.copy_location(fdef, tree)

    def block(self, stmts):
        """The normal form of a nested statement list."""
        saved, self.out = self.out, []
        for stmt in stmts:
            self.where = stmt
            self.statement(stmt)
        body, self.out = self.out, saved
        return body

    def emit(self, stmt, node=None):
        gast.copy_location(stmt, node if node is not None else self.where)
        self.out.append(stmt)
        return stmt

    def fail(self, message, node):
        raise located(UnsupportedSyntax, message, node, self.captured)

    # -- statements --------------------------------------------------------

    def statement(self, stmt):
        method = getattr(self, "stmt_" + type(stmt).__name__)
        self.out.extend(self.unchanged_by_call(stmt))
        method(stmt)
        if not isinstance(stmt, gast.For):
            self.out.extend(self.unshared(stmt))

    def unchanged_by_call(self, stmt):
        """Checks that a call changing an argument in place is given no
        array something reads after it (sharing.py)."""
        return [self.check_unshared(
            arg, sharing.call_site(self.captured, arg, others, update, stmt),
            [arg], stmt)
            for arg, others, update in self.calls_changing.get(id(stmt), ())]

    def unshared(self, stmt):
        """Checks that names `stmt` binds share no memory with what it read
        them from, where a change in place would show through another
        name (sharing.py)."""
        found = self.shared.get(id(stmt), ())
        # a source the statement binds anew no longer holds the array
        bound = set().union(*(names for names, _, _, _ in found))
        checks = []
        for names, sources, others, update in found:
            site = sharing.site(self.captured, others, update, stmt)
            held = [s for s in sources if s not in bound]
            checks += [self.check_unshared(n, site, held, stmt)
                       for n in names]
        return checks

    def check_unshared(self, user_name, site, held, stmt):
        """`ad.check_unshared(value, site, *held)`, names as they are now."""
        ad = self.captured.bind_module(runtime, "ad", self.namer)
        where = self.captured.bind_module(site, "shared_site", self.namer)
        values = [name(self.current.get(n, n)) for n in [user_name] + held]
        return gast.copy_location(gast.Expr(value=build.call(
            build.attr(ad, "check_unshared"),
            [values[0], name(where)] + values[1:])), stmt)

    def stmt_Pass(self, stmt):
        pass

    def stmt_Delete(self, stmt):
        pass  # only in generated code (the fence rejects it elsewhere)

    def stmt_Expr(self, stmt):
        if isinstance(stmt.value, gast.Constant):
            return  # a docstring
        value = stmt.value
        if isinstance(value, gast.Call) and \
                isinstance(value.func, gast.Attribute) and \
                value.func.attr == "sort" and \
                isinstance(value.func.value, gast.Name) and \
                value.func.value.id in self.current:
            # y.sort() sorts in place: the same as y = np.sort(y)
            target = value.func.value
            sorted_ = gast.Call(func=self.module_attr("sort"),
                                args=[build.clone(target)] + value.args,
                                keywords=value.keywords)
            self.assign(gast.Name(id=target.id, ctx=gast.Store(),
                                  annotation=None, type_comment=None),
                        gast.copy_location(sorted_, value))
            return
        if isinstance(value, gast.Call) and value.args and \
                isinstance(value.args[0], gast.Name) and \
                self.resolves_to(value.func, runtime.add_at):
            # ad.add_at(b, idx, g) in generated code differentiated again:
            # followed as the value it leaves in b
            func = build.attr(build.clone(value.func.value), "plus_at")
            self.assign(name(value.args[0].id, store=True),
                        gast.copy_location(gast.Call(
                            func=func, args=value.args, keywords=[]), value))
            return
        if isinstance(value, gast.Call) and not value.args and \
                not value.keywords and \
                isinstance(value.func, gast.Attribute) and \
                value.func.attr == "pop" and \
                isinstance(value.func.value, gast.Name) and \
                value.func.value.id in self.current:
            # ys.pop() dropping what it takes: the same as t = ys.pop(),
            # whose derivative takes from the derivative list in step (as
            # generated code does, bys.pop(), for ys.append(constant))
            self.atom(value)
            return
        call = self.op(stmt.value)
        self.emit(gast.Expr(value=call), stmt.value)

    def resolves_to(self, func, obj):
        return isinstance(func, gast.Attribute) and \
            isinstance(func.value, gast.Name) and \
            self.captured.resolve(func.value.id) is runtime and \
            getattr(runtime, func.attr, None) is obj

    def stmt_Assert(self, stmt):
        test = self.atom(stmt.test)
        msg = self.atom(stmt.msg) if stmt.msg is not None else None
        self.emit(gast.Assert(test=test, msg=msg))

    def stmt_Raise(self, stmt):
        cause = stmt.cause
        if cause is not None and not (isinstance(cause, gast.Constant) and
                                      cause.value is None):
            self.fail("'raise ... from ...' is supported with None only "
                      "(there is no 'except' here to name)", stmt)
        exc = self.atom(stmt.exc) if stmt.exc is not None else None
        self.emit(gast.Raise(exc=exc, cause=cause))

    def stmt_Return(self, stmt):
        value = const(None) if stmt.value is None else self.atom(stmt.value)
        self.emit(gast.Return(value=value))

    def stmt_AugAssign(self, stmt):
        load = build.clone(stmt.target)
        for node in build.walk(load):
            if hasattr(node, "ctx"):
                node.ctx = gast.Load()
        value = gast.copy_location(
            gast.BinOp(left=load, op=stmt.op, right=stmt.value), stmt)
        self.assign(stmt.target, value)

    def stmt_If(self, stmt):
        test = self.atom(stmt.test)
        self.emit(gast.If(test=test, body=self.block(stmt.body),
                          orelse=self.block(stmt.orelse)))

    def stmt_Break(self, stmt):
        self.emit(gast.Break())

    def stmt_Continue(self, stmt):
        self.emit(gast.Continue())

    def stmt_While(self, stmt):
        if stmt.orelse:
            self.fail("'while ... else' is not supported; set a flag before "
                      "'break' and test it after the loop", stmt)
        saved, self.out = self.out, []
        if not (isinstance(stmt.test, gast.Constant) and stmt.test.value):
            test = self.atom(stmt.test)
            stop = self.atom_of(gast.UnaryOp(op=gast.Not(), operand=test),
                                stmt.test)
            self.emit(gast.If(test=stop, body=[gast.Break()], orelse=[]))
        head, self.out = self.out, saved
        body = head + self.block(stmt.body)
        self.emit(gast.While(test=const(True), body=body, orelse=[]))

    def stmt_For(self, stmt):
        if stmt.orelse:
            self.fail("'for ... else' is not supported; set a flag before "
                      "'break' and test it after the loop", stmt)
        loop = Loop(self, stmt)
        body = loop.head() + self.unshared(stmt) + self.block(stmt.body)
        self.emit(gast.For(target=name(loop.index, store=True),
                           iter=loop.range, body=body, orelse=[],
                           type_comment=None), stmt)

    def stmt_Assign(self, stmt):
        if len(stmt.targets) > 1:  # a = b = expr
            first = self.atom(stmt.value)
            for target in stmt.targets:
                self.assign(target, first)
            return
        self.assign(stmt.targets[0], stmt.value)

    def assign(self, target, value):
        if isinstance(target, gast.Name):
            expr = self.op(value)
            self.bind(target.id, expr, value)
            return
        if isinstance(target, gast.Subscript):
            item = self.atom(value)
            owner = self.atom(target.value)
            place = gast.Subscript(value=owner, slice=self.index(target.slice),
                                   ctx=gast.Store())
            self.emit(gast.Assign(targets=[place], value=item,
                                  type_comment=None), target)
            return
        # a, b = ...: evaluate every right-hand value before binding any.
        if isinstance(value, (gast.Tuple, gast.List)) and \
                len(value.elts) == len(target.elts) and \
                all(isinstance(t, gast.Name) for t in target.elts):
            exprs = [self.op(v) for v in value.elts]
            if any(t.id in self.keep_names for t in target.elts):
                # names are not renamed here, so a, b = b, a needs copies
                exprs = [self.atom_of(e, v) for e, v in
                         zip(exprs, value.elts)]
            for t, e, v in zip(target.elts, exprs, value.elts):
                self.bind(t.id, e, v)
            return
        source = self.atom(value)
        names = []
        nested = []
        for t in target.elts:
            if isinstance(t, gast.Name):
                names.append(self.new_name(t.id))
            else:
                tmp = self.namer.temporary()
                names.append(tmp)
                nested.append((t, tmp))
        targets = gast.Tuple(elts=[name(n, store=True) for n in names],
                             ctx=gast.Store())
        self.emit(gast.Assign(targets=[targets], value=source,
                              type_comment=None), value)
        for t, tmp in nested:
            self.assign(t, name(tmp))

    def bind(self, user_name, expr, node):
        new = self.new_name(user_name)
        made = self.resolved(expr.func) if isinstance(expr, gast.Call) \
            else None
        if made in FIELDS and new not in self.keep_names:
            self.results[new] = made
        if Loop.is_range(self, expr) and new not in self.keep_names:
            self.ranges.add(new)
        if new in self.keep_names and new in build.loads(expr):
            # s = s + x in a loop: the old s and the new one are both
            # needed by the derivative, so the new one is made first
            expr = self.atom_of(expr, node)
        self.emit(gast.Assign(targets=[name(new, store=True)], value=expr,
                              type_comment=None), node)

    def new_name(self, user_name):
        """The SSA name for a new assignment to `user_name`."""
        if user_name in self.keep_names:
            self.assigned.add(user_name)
            self.current[user_name] = user_name
            return user_name
        if user_name in self.assigned:
            new = self.namer.fresh(user_name)
        else:
            new = user_name
            self.assigned.add(user_name)
        self.current[user_name] = new
        return new

    # -- expressions -------------------------------------------------------

    def atom(self, node):
        """Statements computing `node`; returns a Name or Constant for it."""
        expr = self.op(node)
        if is_atom(expr):
            return expr
        tmp = self.namer.temporary()
        self.emit(gast.Assign(targets=[name(tmp, store=True)], value=expr,
                              type_comment=None), node)
        return name(tmp)

    def op(self, node):
        """Statements for the operands of `node`; returns one operation."""
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            self.fail(f"srcad does not support '{type(node).__name__}' in "
                      f"an expression here", node)
        return method(node)

    def expr_JoinedStr(self, node):
        """An f-string: each value formatted in it computed first."""
        parts = []
        for part in node.values:
            if isinstance(part, gast.FormattedValue):
                spec = part.format_spec
                if spec is not None:
                    spec = self.op(spec)
                part = gast.FormattedValue(value=self.atom(part.value),
                                           conversion=part.conversion,
                                           format_spec=spec)
            parts.append(part)
        return gast.JoinedStr(values=parts)

    def expr_Name(self, node):
        return name(self.current.get(node.id, node.id))

    def expr_Constant(self, node):
        return const(node.value)

    def expr_BinOp(self, node):
        return gast.BinOp(left=self.atom(node.left), op=node.op,
                          right=self.atom(node.right))

    def expr_UnaryOp(self, node):
        operand = self.atom(node.operand)
        if isinstance(operand, gast.Constant) and \
                isinstance(node.op, (gast.USub, gast.UAdd)) and \
                isinstance(operand.value, (int, float, complex)) and \
                not isinstance(operand.value, bool):
            value = operand.value
            return const(-value if isinstance(node.op, gast.USub) else value)
        return gast.UnaryOp(op=node.op, operand=operand)

    def expr_Compare(self, node):
        left = self.atom(node.left)
        parts = []
        for op, right in zip(node.ops, node.comparators):
            right = self.atom(right)
            parts.append(gast.Compare(left=left, ops=[op],
                                      comparators=[right]))
            left = right
        result = parts[0]
        for part in parts[1:]:
            done = self.atom_of(result, node)
            result = gast.BoolOp(op=gast.And(),
                                 values=[done, self.atom_of(part, node)])
        return result

    def atom_of(self, expr, node):
        tmp = self.namer.temporary()
        if Loop.is_range(self, expr):
            self.ranges.add(tmp)
        self.emit(gast.Assign(targets=[name(tmp, store=True)], value=expr,
                              type_comment=None), node)
        return name(tmp)

    def expr_IfExp(self, node):
        test = self.atom(node.test)
        result = self.namer.temporary()
        body = self.block_assigning(result, node.body)
        orelse = self.block_assigning(result, node.orelse)
        self.emit(gast.If(test=test, body=body, orelse=orelse), node)
        return name(result)

    def expr_BoolOp(self, node):
        # a and b: a if not a else b; a or b: a if a else b
        result = self.namer.temporary()
        self.emit(gast.Assign(targets=[name(result, store=True)],
                              value=self.op(node.values[0]),
                              type_comment=None), node)
        for value in node.values[1:]:
            rest = self.block_assigning(result, value)
            if isinstance(node.op, gast.And):
                branch = gast.If(test=name(result), body=rest, orelse=[])
            else:
                branch = gast.If(test=name(result), body=[gast.Pass()],
                                 orelse=rest)
            self.emit(branch, node)
        return name(result)

    def block_assigning(self, target, node):
        saved, self.out = self.out, []
        self.emit(gast.Assign(targets=[name(target, store=True)],
                              value=self.op(node), type_comment=None), node)
        body, self.out = self.out, saved
        return body

    def expr_Tuple(self, node):
        elts = [self.atom(e) for e in node.elts]
        if all(isinstance(e, gast.Constant) for e in elts):
            return const(tuple(e.value for e in elts))  # an atom
        return gast.Tuple(elts=elts, ctx=gast.Load())

    def expr_List(self, node):
        return gast.List(elts=[self.atom(e) for e in node.elts],
                         ctx=gast.Load())

    def expr_Subscript(self, node):
        value = self.atom(node.value)
        return gast.Subscript(value=value, slice=self.index(node.slice),
                              ctx=gast.Load())

    def index(self, node):
        if isinstance(node, gast.Slice):
            parts = [None if p is None else self.atom(p)
                     for p in (node.lower, node.upper, node.step)]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(node, gast.Tuple):
            return gast.Tuple(elts=[self.index(e) for e in node.elts],
                              ctx=gast.Load())
        return self.atom(node)

    def expr_Attribute(self, node):
        dotted = self.dotted(node)
        if dotted is not None:
            return dotted
        value = self.atom(node.value)
        if node.attr == "T":
            return self.numpy_call("transpose", [value], [])
        made = self.results.get(value.id) if isinstance(value, gast.Name) \
            else None
        if made is None and isinstance(node.value, gast.Call):
            made = self.resolved(node.value.func)
        if made in FIELDS and node.attr in FIELDS[made]:
            # np.linalg.slogdet(m).logabsdet: a named item of the tuple
            return gast.Subscript(value=value, slice=const(
                FIELDS[made].index(node.attr)), ctx=gast.Load())
        return gast.Attribute(value=value, attr=node.attr, ctx=gast.Load())

    def dotted(self, node):
        """`node` unchanged if it is a chain of attributes on a free name."""
        root = node
        while isinstance(root, gast.Attribute):
            root = root.value
        if isinstance(root, gast.Name) and root.id not in self.current:
            if isinstance(self.captured.resolve(root.id), np.ndarray):
                return None  # A.dot(x) on a global array is a method call
            return node
        return None

    def expr_Call(self, node):
        for kw in node.keywords:
            if kw.arg is None:
                self.fail("**kwargs in a call is not supported; pass each "
                          "keyword argument by name", node)
        func = node.func
        if isinstance(func, gast.Attribute) and self.dotted(func) is None:
            return self.method_call(node)
        if isinstance(func, gast.Name):
            func = self.expr_Name(func)
        elif not isinstance(func, gast.Attribute):
            func = self.atom(func)
        args = [self.atom(a) for a in node.args]
        keywords = [gast.keyword(arg=kw.arg, value=self.atom(kw.value))
                    for kw in node.keywords]
        if len(args) == 2 and not keywords and \
                self.resolved(func) is math.log:
            # log(x, base) is log(x) / log(base)
            logs = [self.atom_of(gast.Call(func=func, args=[a], keywords=[]),
                                 node) for a in args]
            return gast.BinOp(left=logs[0], op=gast.Div(), right=logs[1])
        extreme = self.builtin_extreme(node)
        if extreme is not None and len(args) == 1:
            # max(xs): a helper of one parameter, as the rule for max is
            # max(a, b)
            ad = self.captured.bind_module(runtime, "ad", self.namer)
            return gast.Call(func=build.attr(ad, extreme), args=args,
                             keywords=[])
        while extreme is not None and len(args) > 2:
            # max(a, b, c) is max(max(a, b), c), ties going the same way
            args = [self.atom_of(gast.Call(func=func, args=args[:2],
                                           keywords=[]), node)] + args[2:]
        return gast.Call(func=func, args=args, keywords=keywords)

    def resolved(self, func):
        """What a called name or `module.attr` means, or None (a local)."""
        if isinstance(func, gast.Name):
            return None if func.id in self.current or \
                func.id in self.assigned else self.captured.resolve(func.id)
        if isinstance(func, gast.Attribute) and self.dotted(func):
            owner = self.resolved(func.value) if isinstance(
                func.value, (gast.Name, gast.Attribute)) else None
            return getattr(owner, func.attr, None)
        return None

    def builtin_extreme(self, node):
        """"largest" or "smallest" for a call of the builtin max or min
        with no keywords (key= and default= have no rule), else None."""
        if node.keywords or not isinstance(node.func, gast.Name):
            return None
        found = self.resolved(node.func)
        if found is builtins.max:
            return "largest"
        return "smallest" if found is builtins.min else None

    def method_call(self, node):
        method = node.func.attr
        obj = self.atom(node.func.value)
        args = [self.atom(a) for a in node.args]
        keywords = [gast.keyword(arg=kw.arg, value=self.atom(kw.value))
                    for kw in node.keywords]
        if method in ARRAY_METHODS:
            from . import runtime
            ad = self.captured.bind_module(runtime, "ad", self.namer)
            return gast.Call(func=gast.Attribute(value=name(ad), attr=method,
                                                 ctx=gast.Load()),
                             args=[obj] + args, keywords=keywords)
        if method not in NUMPY_METHODS:
            func = gast.Attribute(value=obj, attr=method, ctx=gast.Load())
            return gast.Call(func=func, args=args, keywords=keywords)
        if method in VARARG_METHODS and len(args) > 1:
            # x.reshape(2, 3) means np.reshape(x, (2, 3))
            args = [self.atom_of(gast.Tuple(elts=args, ctx=gast.Load()),
                                 node)]
        return self.numpy_call(method, [obj] + args, keywords)

    def numpy_call(self, fn_name, args, keywords):
        return gast.Call(func=self.module_attr(fn_name), args=args,
                         keywords=keywords)

    def module_attr(self, attr):
        np_name = self.captured.bind_module(np, "np", self.namer)
        return gast.Attribute(value=name(np_name), attr=attr,
                              ctx=gast.Load())


# The named tuples np.linalg returns: a field is read as its item.
FIELDS = {np.linalg.slogdet: ("sign", "logabsdet"),
          np.linalg.eigh: ("eigenvalues", "eigenvectors"),
          np.linalg.eig: ("eigenvalues", "eigenvectors"),
          np.linalg.svd: ("U", "S", "Vh"),
          np.linalg.qr: ("Q", "R")}


def assigned_in_blocks(tree):
    """Names the user assigns inside a branch or loop (never renamed), and
    those generated code adds into there (`ad.add_at(b, ...)`, followed as
    an assignment to b)."""
    names = set()
    for node in build.walk(tree):
        if isinstance(node, (gast.If, gast.For, gast.While)):
            for inner in build.walk(node):
                if isinstance(inner, gast.Name) and \
                        isinstance(inner.ctx, gast.Store):
                    names.add(inner.id)
                elif isinstance(inner, gast.Call) and inner.args and \
                        isinstance(inner.func, gast.Attribute) and \
                        inner.func.attr == "add_at" and \
                        isinstance(inner.args[0], gast.Name):
                    names.add(inner.args[0].id)
    return names
