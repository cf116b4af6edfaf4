"""Reverse mode: the primal sweep that keeps what it overwrites, then the
adjoint sweep that runs the statements backwards applying each one's rule.

`reverse(fdef, info, captured, namer, wrt)` returns `Parts`: the primal
statements, the returned atom, and the adjoint sweep. The adjoint of `x` is
`bx`. Every active adjoint starts as `ad.zeros_like(x)` and each
contribution is added (`bx = bx + ...`); the optimizer turns a first
contribution into a plain assignment, so the naive form is what
`optimize=False` shows.

Control flow (see structure.py for the shape it is in):

- a name assigned in a loop or branch (`info.overwritten`) whose value the
  adjoint reads is pushed on the tape before each assignment and popped
  back after the adjoint of that assignment; `y[i] = v` keeps the old
  `y[i]`; only values the adjoint sweep reads are kept;
- an `if` pushes which branch ran (at every exit of the branch, so a
  trailing `break` cannot skip it) and the sweep pops it to pick a branch;
- a `for` over a range is reversed as `for k in reversed(r)` (cut to the
  trip count if it can break); a `while` pushes its trip count;
- the adjoint of a value assigned in a loop restarts from zero after its
  assignment is reversed, since the earlier value is a different one.

Adjoints written in place (`bx[i] += g` for a read `x[i]`, `by[i] = 0` for
a write `y[i] = v`) are first made private copies with `ad.own`, once,
before the outermost loop or branch that writes them.
"""
import math

import gast
import numpy as np

from . import build, runtime
from .build import assign, attr, call, clone, const, name, statements
from .errors import NoDerivativeRule, located
from .records import one_record_per_pass
from .rules.registry import NO_DERIVATIVE
from .tape import (absorbed, block_locals, exit_by_test, is_compound, mark,
                   marked, needed_values, own_before_writes,
                   recomputations, value_loads)
from .template import expand
from .values import VIEWS


class Parts:
    def __init__(self, primal, returned, cotangent, adjoint, grads, modules,
                 tape):
        self.primal = primal          # statements
        self.returned = returned      # the primal's return statement
        self.output = returned.value  # the atom it returns
        self.cotangent = cotangent    # name of the incoming cotangent
        self.adjoint = adjoint        # statements
        self.grads = grads            # one adjoint name per wrt parameter
        self.modules = modules        # template module -> generated name
        self.tape = tape              # the tape's name, or None if unused
        self.surely_scalar = False    # the output is known to be scalar


def reverse(fdef, info, captured, namer, wrt, optimized=True):
    """The parts of the reverse-mode derivative of `fdef`; `optimized`
    says whether the optimizer will run on them."""
    return Reverse(info, captured, namer, optimized).parts(fdef, wrt)


class Modules(dict):
    """Template module names, bound in the generated namespace on use."""

    def __init__(self, captured, namer):
        super().__init__()
        self.captured = captured
        self.namer = namer

    def __missing__(self, key):
        obj = {"np": np, "ad": runtime, "math": math, "range": range,
               "reversed": reversed, "slice": slice}[key]
        self[key] = self.captured.bind_module(obj, key, self.namer)
        return self[key]

    def get(self, key, default=None):
        return self[key]






class Reverse:
    def __init__(self, info, captured, namer, optimized=True):
        self.info = info
        self.captured = captured
        self.namer = namer
        self.optimized = optimized  # zeros first_contribution drops: untaped
        self.modules = Modules(captured, namer)
        self.tape = None
        self.depth = 0            # how many loops and branches we are in
        self.whiles = []          # (while loop, its reversed loop)
        self.outermost = []       # (loop, its reversed loop) at depth 0
        self.assigned = set()     # names assigned so far, in program order
        self.local = set()        # names living within one loop iteration
        self.block_locals = {}    # id(statement list) -> its local names
        self.loop_targets = []    # indices of the loops we are in
        self.loops = []           # names assigned in each loop we are in
        self.recomputed = set()   # locals recomputed instead of taped
        self.bound_at_top = set(captured.params)  # surely bound names

    def adj(self, id_):
        return self.namer.adjoint(id_)

    def helper(self, fn_name):
        return attr(self.modules["ad"], fn_name)

    def tape_name(self):
        if self.tape is None:
            self.tape = self.namer.reserve("tape")
            self.namer.private.add(self.tape)
        return self.tape

    def push(self, value):
        call_ = call(attr(self.tape_name(), "append"), [value])
        return gast.Expr(value=call_)

    def pop(self):
        return call(attr(self.tape_name(), "pop"), [])

    # -- the whole function ------------------------------------------------

    def parts(self, fdef, wrt):
        primal, returned = split_return(fdef)
        output = returned.value
        # a parameter holds the argument first: never a block's own
        params = set(self.captured.params)
        self.block_locals = {k: v - params
                             for k, v in block_locals(primal).items()}
        self.local = set().union(*self.block_locals.values())
        self.checked = self.checked_names(fdef)
        sweep = self.initial_zeros(fdef, primal, wrt)
        forward, backward = self.block(primal)
        cotangent = self.namer.reserve("bout")
        if isinstance(output, gast.Name) and output.id in self.info.active:
            sweep.append(self.contribute(output.id, name(cotangent),
                                         returned))
        sweep += backward
        needed = needed_values(sweep, self.info.overwritten, self.info.views)
        forward = self.resolve(forward, needed)
        sweep = own_before_writes(self.resolve(sweep, needed),
                                   self.helper("own"))
        for loop, again in self.whiles:
            exit_by_test(loop, again, self.tape)
        unset = set()  # taped names the loop's records alone carry
        for loop, back in self.outermost:
            unset |= one_record_per_pass(
                loop, back, forward, sweep, self.tape, self.namer,
                self.modules["reversed"], self.captured.params)
        forward = comment_all(forward, self.captured)
        if self.tape and not _uses(forward + sweep, self.tape):
            self.tape = None
        primal = self.preamble(fdef, needed, sweep, unset) + forward
        parts = Parts(primal, returned, cotangent, sweep,
                      [self.adj(p) for p in wrt], self.modules, self.tape)
        parts.surely_scalar = build.is_number(output) or (
            isinstance(output, gast.Name) and
            self.info.shapes.is_scalar(output.id))
        return parts

    def preamble(self, fdef, needed, sweep, unset=frozenset()):
        """A fresh tape, and None for names that the tape, the sweep or the
        backward function may read where the primal never assigned them
        (a loop that did not run, a branch not taken)."""
        out = []
        if self.tape is not None:
            out.append(assign(self.tape, gast.List(elts=[], ctx=gast.Load()),
                              fdef))
        reads = set()
        for stmt in sweep:
            build.collect(stmt, reads, None)
        zeros = self.info.active - self.local
        early = (self.info.overwritten & (needed | reads | zeros)) - \
            self.bound_at_top - self.recomputed - \
            (self.local - needed) - unset  # assigned before read
        for id_ in sorted(early):
            out.append(assign(id_, const(None), fdef))
        return out

    def initial_zeros(self, fdef, primal, wrt):
        order = list(wrt)
        for stmt in statements(primal):
            order.extend(self.info.op(stmt).targets)
        inits = []
        seen = set()
        for id_ in order:
            if id_ in seen or id_ in self.local or (
                    id_ not in self.info.active and id_ not in wrt):
                continue
            seen.add(id_)
            inits.append(mark(self.zero(id_), "zero"))
        return inits

    def zero(self, id_):
        like = name(id_)
        shapes = self.info.shapes
        if id_ in shapes.steady or shapes.ndims.get(id_) == 0:
            # any pass's value will do (see shape_of); else the zero reads
            # the value of its pass, whose shape may differ from the last
            like.shape_only = True
        return assign(self.adj(id_), call(self.helper("zeros_like"), [like]))

    def contribute(self, id_, expr, like):
        total = self.adj(id_)
        if id_ in self.info.tuples:
            value = call(self.helper("add"), [name(total), expr])
        elif self.loops and id_ not in self.loops[-1]:
            # a value from outside the loop collects a contribution each
            # pass: add in place rather than allocate a new sum
            step = gast.AugAssign(target=name(total, store=True),
                                  op=gast.Add(), value=expr)
            return mark(build.located(step, like), "inplace", total)
        else:
            value = gast.BinOp(left=name(total), op=gast.Add(), right=expr)
        return assign(total, value, like)

    # -- blocks --------------------------------------------------------------

    def nested(self, stmts):
        self.depth += 1
        try:
            return self.block(stmts)
        finally:
            self.depth -= 1

    def block(self, stmts):
        """(primal statements with saves, adjoint statements) of a block."""
        forward, backward = [], []
        locals_ = self.block_locals.get(id(stmts), set())
        again = self.recomputable(stmts, locals_)
        local = locals_ & self.info.active
        for stmt in stmts:
            fwd, bwd = getattr(self, "block_" + type(stmt).__name__,
                               self.simple)(stmt)
            forward += fwd
            backward[:0] = bwd
        backward = commented(backward, self.captured, "grad of: ")
        if backward:  # each pass over the block starts its locals at zero
            backward[:0] = [mark(self.zero(t), "zero", self.adj(t),
                                 *(() if self.optimized and
                                   absorbed(backward, self.adj(t))
                                   else ("read",)))
                            for t in sorted(local)]
            if again:
                backward.insert(0, mark(gast.Pass(), "recompute", again))
        return forward, backward

    def recomputable(self, stmts, locals_):
        """Statements of this block that the sweep can run again, rather
        than keep their values on the tape: they assign a local of the block
        from values that do not change meanwhile (arguments, names assigned
        once, the indices of the loops we are in, locals recomputed
        earlier)."""
        found = []
        stable = set(self.loop_targets)
        for stmt in stmts:
            if not isinstance(stmt, gast.Assign) or \
                    not isinstance(stmt.targets[0], gast.Name) or \
                    stmt.targets[0].id not in locals_:
                continue
            op = self.info.op(stmt)
            if op.kind not in ("rule", "subscript", "copy", "nondiff"):
                continue
            reads = build.loads(stmt.value)
            if all(n in stable or n not in self.info.overwritten
                   for n in reads):
                found.append(stmt)
                stable.add(stmt.targets[0].id)
                self.recomputed.add(stmt.targets[0].id)
        return found

    def block_If(self, stmt):
        body_f, body_b = self.nested(stmt.body)
        else_f, else_b = self.nested(stmt.orelse)
        # a branch that raises never reaches the sweep: the other one was
        # taken whenever the sweep runs, and nothing records which
        raising = _raises(body_f) or _raises(else_f)
        if _raises(body_f):
            body_b, body_f = [], _up_to_raise(body_f)
        if _raises(else_f):
            else_b, else_f = [], _up_to_raise(else_f)
        if raising or not (body_b or else_b):
            stmt.body, stmt.orelse = body_f or [gast.Pass()], else_f
            return [stmt], body_b or else_b
        stmt.body = _at_exits(body_f, lambda: self.push(const(True)))
        stmt.orelse = _at_exits(else_f, lambda: self.push(const(False)))
        back = gast.If(test=self.pop(), body=body_b or [gast.Pass()],
                       orelse=else_b)
        return [stmt], [build.located(back, stmt)]

    def in_loop(self, stmt):
        self.loops.append({t for s in statements(stmt.body)
                           if not is_compound(s)
                           for t in self.info.op(s).targets})
        try:
            return self.nested(stmt.body)
        finally:
            self.loops.pop()

    def block_For(self, stmt):
        self.loop_targets.append(stmt.target.id)
        body_f, body_b = self.in_loop(stmt)
        self.loop_targets.pop()
        stmt.body = body_f
        if not body_b:
            return [stmt], []
        steps = stmt.iter
        forward = [stmt]
        backward = []
        if _breaks(stmt.body):
            trips = self.namer.fresh("trips")
            stmt.body = [assign(trips, _plus_one(trips))] + stmt.body
            forward, backward = self.counted(trips, stmt)
            steps = gast.Subscript(value=steps, slice=gast.Slice(
                lower=None, upper=name(trips), step=None), ctx=gast.Load())
        back = gast.For(target=clone(stmt.target),
                        iter=call(name(self.modules["reversed"]),
                                  [clone(steps)]),
                        body=body_b, orelse=[], type_comment=None)
        if self.depth == 0 and steps is stmt.iter:
            self.outermost.append((stmt, back))
        backward = backward + [build.located(back, stmt)]
        index = stmt.target.id
        if index in self.info.overwritten:
            # the reversed loop binds the index again: a value it had
            # before the loop, which the sweep may read after, comes back
            forward = [self.note(stmt, "save", index)] + forward
            backward.append(self.note(stmt, "restore", index))
        return forward, backward

    @staticmethod
    def note(stmt, *what):
        """A mark for the tape pass, located at `stmt`."""
        return build.located(mark(gast.Expr(value=const(None)), *what), stmt)

    def block_While(self, stmt):
        body_f, body_b = self.in_loop(stmt)
        stmt.body = body_f
        if not body_b:
            return [stmt], []
        trips = self.namer.fresh("trips")
        stmt.body = [assign(trips, _plus_one(trips))] + stmt.body
        forward, backward = self.counted(trips, stmt)
        again = gast.For(target=name(self.namer.fresh("_"), store=True),
                         iter=call(name(self.modules["range"]),
                                   [name(trips)]),
                         body=body_b, orelse=[], type_comment=None)
        self.whiles.append((stmt, again))
        if self.depth == 0:
            self.outermost.append((stmt, again))
        return forward, backward + [build.located(again, stmt)]

    def counted(self, trips, loop):
        """The primal loop counting its passes into `trips`, and what the
        sweep runs first to know them: a loop inside another loop or a
        branch keeps each count on the tape, an outermost one in a local
        the sweep reads."""
        forward = [assign(trips, const(0)), loop]
        if self.depth == 0:
            return forward, []
        return forward + [self.push(name(trips))], [assign(trips,
                                                           self.pop())]

    def block_Break(self, stmt):
        return [stmt], []

    block_Continue = block_Break

    def block_Pass(self, stmt):
        return [], []

    def checked_names(self, fdef):
        """Names sharing.py checks when the function runs, and the names
        whose values they take in (`rows.append(t)`, `rows = [t, u]`):
        kept as views, so a check can see the memory they share."""
        checked = {node.args[0].id for node in build.walk(fdef)
                   if type(node) is gast.Call and
                   type(node.func) is gast.Attribute and
                   node.func.attr == "check_unshared" and node.args and
                   type(node.args[0]) is gast.Name}
        ops = [self.info.ops.get(id(s)) for s in statements(fdef.body)]
        grew = True
        while grew:
            grew = False
            for op in ops:
                if op is not None and op.kind in HOLDING and \
                        set(op.targets) & checked:
                    taken = {n.id for _, n in op.sources} - checked
                    checked |= taken
                    grew |= bool(taken)
        return checked

    def snapshot(self, stmt, op):
        """`t = y[a:b]` (or y.T, a reshape) as a copy where y is written
        in place later: the derivative keeps t, and a view would show y as
        a later restore leaves it, in a copy (a vjp's backward half) or
        not (a tangent view left behind when its array is made private,
        in Hessians).
        The same values: a view read after a write into its array is
        refused (sharing.py), so t is read before any; a name sharing.py
        checks when the function runs stays a view for the check."""
        viewing = op.kind == "subscript" or \
            op.kind == "rule" and op.rule.fn in VIEWS
        if not viewing or len(op.targets) != 1 or \
                op.targets[0] not in self.info.views or \
                op.targets[0] in self.checked:
            return stmt
        return build.located(assign(op.targets[0], call(
            self.helper("copy"), [clone(stmt.value)])), stmt)

    def simple(self, stmt):
        """A statement that is not compound: saves, adjoint, restores."""
        op = self.info.op(stmt)
        first = self.depth == 0 and not set(op.targets) & self.assigned
        self.assigned |= set(op.targets)
        if first:  # bound here before any loop or branch could read it
            self.bound_at_top |= set(op.targets)
        overwritten = [t for t in op.targets
                       if t in self.info.overwritten and op.kind != "append"
                       and t not in self.recomputed
                       and not (first and t not in self.captured.params)]
        def note(*what):
            return self.note(stmt, *what)
        if op.kind == "call" and set(op.targets) & self.info.active:
            stmt, saved = self.call_forward(op)
            if self.depth:
                self.info.overwritten.add(saved)
                overwritten.append(saved)
        if op.kind == "setitem":
            forward = [mark(stmt, "save_item")]  # saves y[i], then writes
        else:
            forward = [note("save", t) for t in overwritten] + \
                [self.snapshot(stmt, op)]
        backward = []
        if self.info.differentiates(op):
            backward += [build.located(s, stmt) for s in
                         getattr(self, "adjoint_" + op.kind)(op)]
        if op.kind == "setitem":
            backward.append(note("restore_item", stmt))
        elif op.kind == "append":
            backward.append(note("restore_append", op.targets[0]))
        else:
            if op.kind == "pop":
                backward.append(note("restore_pop", op.sources[0][1].id,
                                     op.targets[0]))
            for t in reversed(overwritten):  # the tape is last in, first out
                backward.append(note("restore", t))
                if t in self.info.active and t not in self.local:
                    backward.append(build.located(mark(self.zero(t), "zero"),
                                                  stmt))
        return forward, backward

    # -- the tape: only what the sweep reads -------------------------------------

    def resolve(self, stmts, needed):
        """Turn save and restore marks into tape operations for the names
        in `needed`, and drop the others."""
        out = []
        for stmt in stmts:
            for field in ("body", "orelse"):
                if hasattr(stmt, field):
                    setattr(stmt, field, self.resolve(getattr(stmt, field),
                                                      needed))
            mark_ = marked(stmt)
            kind = mark_[0] if mark_ else None
            if kind == "recompute":
                reads = set().union(*(value_loads(s) for s in stmts))
                out += recomputations(mark_[1], reads)
                continue
            if kind in ("save", "restore", "restore_append", "restore_pop"):
                if mark_[1] in needed:
                    out.append(build.located(self.tape_op(*mark_), stmt))
                continue
            if kind in ("save_item", "restore_item"):
                item = mark_[1] if kind == "restore_item" else stmt
                owner = item.targets[0].value.id
                if owner in needed:
                    out.append(build.located(self.item_op(kind, item), item))
                if kind == "restore_item":
                    continue
            if hasattr(stmt, "body") and not stmt.body:
                stmt.body = [gast.Pass()]
            out.append(stmt)
        return out

    def tape_op(self, kind, id_, value=None):
        if kind == "save":
            return self.push(name(id_))
        if kind == "restore":
            return assign(id_, self.pop())
        if kind == "restore_pop":  # put back what v = ys.pop() took
            return gast.Expr(value=call(attr(id_, "append"), [name(value)]))
        return gast.Expr(value=call(attr(id_, "pop"), []))

    def item_op(self, kind, stmt):
        place = clone(stmt.targets[0])
        if kind == "save_item":
            place.ctx = gast.Load()
            if self.info.shapes.scalar_item(place):
                return self.push(place)  # a number: nothing shares it
            return self.push(call(self.helper("copy"), [place]))
        return assign(place, self.pop())

    # -- one statement each ------------------------------------------------

    def active_sources(self, op):
        return [(p, n) for p, n in op.sources if n.id in self.info.active]

    def bindings(self, op):
        """Template bindings of a rule: its arguments, `y`, and the objects
        a user rule names."""
        y = op.targets[0]
        bindings = dict(op.bound, y=name(y))
        for key, obj in op.rule.objects.items():
            bindings[key] = name(self.captured.bind_module(obj, key,
                                                           self.namer))
        return bindings

    def adjoint_rule(self, op):
        if op.rule.kind == "function":
            yield from self.adjoint_function(op)
            return
        y = op.targets[0]
        bindings = dict(self.bindings(op), g=name(self.adj(y)))
        for param in op.rule.shape_only:
            if isinstance(bindings[param], gast.Name):
                bindings[param] = self.shape_of(bindings[param].id)
        templates = op.rule.by_ndims.get(self.ndims(op), op.rule.reverse) \
            if op.rule.by_ndims else op.rule.reverse
        refuse_underived(op, self.active_sources(op), self.captured)
        parts = {}  # one contribution a name: x * x gives 2.0 * (g * x)
        for param, node in self.active_sources(op):
            parts.setdefault(node.id, []).append(
                expand(templates[param], bindings, self.modules))
        for id_, exprs in parts.items():
            if id_ not in self.info.tuples:  # lists add item by item
                exprs = [build.summed(exprs)]
            for expr in exprs:
                if op.rule.elementwise and not self.info.fills(op, id_):
                    expr = call(self.helper("unbroadcast"),
                                [expr, self.shape_of(id_)])
                yield self.contribute(id_, expr, op.stmt)

    def ndims(self, op):
        """The ndims of the operands a rule's transposes are for, in
        order; None for one not known."""
        known = self.info.shapes.ndims
        return tuple(known.get(op.bound[p].id)
                     if isinstance(op.bound[p], gast.Name) else None
                     for p in op.rule.reverse)

    def user_function(self, op, which):
        """The name generated code calls a function rule's `vjp` or `jvp`
        by; a located error if the rule has none."""
        rule = op.rule
        fn = getattr(rule, which)
        if fn is None:
            mode = "reverse" if which == "vjp" else "forward"
            raise located(NoDerivativeRule, (
                f"{rule.name} is a srcad primitive with no {mode}-mode "
                f"derivative; give one with @{rule.name}.def{which} or "
                f"srcad.defvjp({rule.name}, {which}=...)"), op.stmt,
                self.captured)
        return self.captured.bind_module(fn, fn.__name__, self.namer)

    def adjoint_function(self, op):
        """A rule given as Python functions: `cotangents = vjp(g, y,
        *args)` (options too), one per argument without a default (a bare
        value when there is one)."""
        rule = op.rule
        y = op.targets[0]
        vjp = self.user_function(op, "vjp")
        args = [clone(op.bound[p]) for p, _ in rule.params]
        given = self.namer.fresh("b" + y)
        yield assign(given, call(name(vjp), [name(self.adj(y)), name(y)]
                                 + args))
        # checked: a wrong count or shape is an error naming the rule
        result = self.namer.fresh("b" + y)
        yield assign(result, call(self.helper("cotangents"), [
            name(given), const(rule.signature),
            build.tuple_([clone(op.bound[p]) for p in rule.reverse]),
            name(y)]))
        several = len(rule.reverse) > 1
        for i, param in enumerate(rule.reverse):
            node = op.bound[param]
            if isinstance(node, gast.Name) and node.id in self.info.active:
                part = gast.Subscript(value=name(result), slice=const(i),
                                      ctx=gast.Load()) if several \
                    else name(result)
                yield self.contribute(node.id, call(
                    self.helper("unbroadcast"),
                    [part, self.shape_of(node.id)]), op.stmt)

    def shape_of(self, id_):
        """Something with the shape of `id_`, made of values computed
        anyway, so a value needed only for its shape need not be kept."""
        shapes = self.info.shapes
        names = shapes.shape_source(id_)
        if len(names) == 1:
            node = name(names[0])
            if names[0] in shapes.steady:
                # any pass's value will do: neither tape nor recompute
                node.shape_only = True
            return node
        self.info.likes_used = True  # the optimizer looks for these
        return call(self.helper("Like"), [name(n) for n in names])

    def call_forward(self, op):
        """`y = h(a, b)` becomes `y, saved = ad.call_forward(h, wrt, a, b)`:
        h's own derivative runs its forward half and keeps what its
        backward half needs."""
        y = op.targets[0]
        saved = self.namer.reserve(y + "_saved")
        op.saved = saved
        func, args, keywords = callee(op, self.captured, self.namer)
        wrt = const(tuple(p for p, n in self.active_sources(op)))
        forward = call(self.helper("call_forward"), [func, wrt] + args)
        forward.keywords = keywords
        targets = build.tuple_([name(y, store=True), name(saved, store=True)],
                               store=True)
        return build.located(assign(targets, forward), op.stmt), saved

    def adjoint_call(self, op):
        sources = self.active_sources(op)
        wrt = const(tuple(p for p, n in sources))
        parts = [self.namer.fresh(self.adj(n.id)) for _, n in sources]
        func = callee(op, self.captured, self.namer)[0]
        back = call(self.helper("call_backward"), [
            func, wrt, name(op.saved), name(self.adj(op.targets[0]))])
        yield assign(build.tuple_([name(p, store=True) for p in parts],
                                  store=True), back)
        for part, (_, node) in zip(parts, sources):
            yield self.contribute(node.id, name(part), op.stmt)

    def adjoint_nondiff(self, op):
        return ()  # s = 0.0 where s is active elsewhere: nothing flows back

    def adjoint_copy(self, op):
        for _, node in self.active_sources(op):
            yield self.contribute(node.id, name(self.adj(op.targets[0])),
                                  op.stmt)

    def adjoint_subscript(self, op):
        index = op.stmt.value.slice
        g = name(self.adj(op.targets[0]))
        tuples = self.info.tuples
        for _, node in self.active_sources(op):
            # an item that is a tuple or list adds item by item, in a list
            # or an array of them
            yield mark(self.add_into(self.adj(node.id), index, g,
                                     node.id in tuples or
                                     op.targets[0] in tuples),
                       "inplace", self.adj(node.id))

    def add_into(self, total, index, g, sequence=False):
        """`total[index] += g`, or ad.add_at where the index may repeat
        elements (integer arrays)."""
        if _basic_index(index, self.info.ints):
            place = gast.Subscript(value=name(total), slice=clone(index),
                                   ctx=gast.Store())
            if sequence:
                # an item of a list of adjoints: added, not concatenated
                read = gast.Subscript(value=name(total), slice=clone(index),
                                      ctx=gast.Load())
                return assign(place, call(self.helper("add"), [read, g]))
            return gast.AugAssign(target=place, op=gast.Add(), value=g)
        return gast.Expr(value=call(self.helper("add_at"), [
            name(total), _as_value(index, self.modules["slice"]), g]))

    def adjoint_setitem(self, op):
        place = op.stmt.targets[0]
        y = place.value.id
        read = gast.Subscript(value=name(self.adj(y)),
                              slice=clone(place.slice), ctx=gast.Load())
        if not _basic_index(place.slice, self.info.ints):
            # y[idx] = v with idx an integer array: a position written twice
            # keeps only its last value
            read = call(self.helper("written"), [
                name(self.adj(y)), _as_value(place.slice,
                                             self.modules["slice"])])
        scalars = self.info.shapes.scalar_item(place)
        if not scalars and isinstance(read, gast.Subscript):
            # y's adjoint is zeroed there next, and by[i] may be a view
            read = call(self.helper("copy"), [read])
        for param, node in self.active_sources(op):
            if param == "v":
                if not (scalars and self.info.shapes.is_scalar(node.id)):
                    read = call(self.helper("unbroadcast"),
                                [read, self.shape_of(node.id)])
                yield self.contribute(node.id, read, op.stmt)
        cleared = gast.Subscript(value=name(self.adj(y)),
                                 slice=clone(place.slice), ctx=gast.Store())
        zero = const(0.0)
        if y in self.info.tuples and isinstance(place.slice, gast.Slice):
            # a list's slice takes a list of as many zeros
            zero = call(self.helper("zeros_like"), [gast.Subscript(
                value=name(self.adj(y)), slice=clone(place.slice),
                ctx=gast.Load())])
        yield mark(assign(cleared, zero), "inplace", self.adj(y))

    def adjoint_append(self, op):
        owner = op.targets[0]
        taken = call(attr(self.adj(owner), "pop"), [])
        value = op.stmt.value.args[0]
        if isinstance(value, gast.Name) and value.id in self.info.active:
            stmt = self.contribute(value.id, taken, op.stmt)
        else:
            stmt = gast.Expr(value=taken)
        yield mark(stmt, "inplace", self.adj(owner))

    def adjoint_pop(self, op):
        """v = ys.pop(): the adjoint of v goes back on the adjoint of ys."""
        (_, owner), = op.sources
        v = op.targets[0]
        g = name(self.adj(v)) if v in self.info.active else \
            call(self.helper("zeros_like"), [name(v)])
        grow = call(attr(self.adj(owner.id), "append"), [g])
        yield mark(gast.Expr(value=grow), "inplace", self.adj(owner.id))

    def adjoint_pack(self, op):
        g = name(self.adj(op.targets[0]))
        for i, node in self.active_sources(op):
            item = gast.Subscript(value=g, slice=const(i), ctx=gast.Load())
            yield self.contribute(node.id, item, op.stmt)

    def adjoint_unpack(self, op):
        parts = []
        for t in op.targets:
            if t in self.info.active:
                parts.append(name(self.adj(t)))
            else:
                parts.append(call(self.helper("zeros_like"), [name(t)]))
        for _, node in self.active_sources(op):
            yield self.contribute(node.id, build.tuple_(parts), op.stmt)


def callee(op, captured, namer):
    """(function, args, keywords) of a call op, as nodes to emit: the
    user's own spelling, or for a call into generated code being
    differentiated again, a name bound to that generated function."""
    call_args = getattr(op, "call_args", None)
    if call_args is None:
        value = clone(op.stmt.value)
        return value.func, value.args, value.keywords
    args, keywords = call_args
    derivative_of = getattr(op, "derivative_of", None)
    if derivative_of is not None:  # of a function held in a local name
        held, wrt, half = derivative_of
        ad = captured.bind_module(runtime, "ad", namer)
        getter = "forward_of" if half is runtime.call_forward \
            else "backward_of"
        return (call(attr(ad, getter), [clone(held), const(wrt)]),
                clone(args), clone(keywords))
    bound = captured.bind_module(op.func, op.func.__name__, namer)
    return name(bound), clone(args), clone(keywords)


def split_return(fdef):
    """The statements before the return, and the return statement."""
    for i, stmt in enumerate(fdef.body):
        if isinstance(stmt, gast.Return):
            return fdef.body[:i], stmt
    return list(fdef.body), build.located(build.ret(const(None)), fdef)


def commented(statements, captured, prefix=""):
    """`statements` with a comment naming the user's line above each group
    of statements that comes from one line."""
    if not prefix and captured.filename.startswith("<srcad"):
        return list(statements)  # generated code names its own lines
    out = []
    last = None
    for stmt in statements:
        line = getattr(stmt, "lineno", None)
        compound = isinstance(stmt, (gast.If, gast.For, gast.While))
        if line is not None and line != last and not compound and \
                not marked(stmt) and not build.is_comment(stmt):
            text = captured.line_text(line).strip()
            out.append(build.comment(prefix + text, stmt))
            last = line
        out.append(stmt)
    return out


def comment_all(statements, captured):
    """commented(), inside loops and branches too."""
    for stmt in statements:
        for field in ("body", "orelse"):
            if getattr(stmt, field, None):
                setattr(stmt, field,
                        comment_all(getattr(stmt, field), captured))
    return commented(statements, captured)


# -- helpers -----------------------------------------------------------------------


def _uses(stmts, id_):
    return any(id_ in build.loads(s) for s in stmts)


def _at_exits(stmts, make):
    """`stmts` with `make()` run last on every path through them (before a
    trailing break or continue, inside the branches of a trailing if that
    may jump)."""
    if stmts and isinstance(stmts[-1], (gast.Break, gast.Continue)):
        return stmts[:-1] + [make(), stmts[-1]]
    if stmts and isinstance(stmts[-1], gast.If) and _jumps(stmts[-1]):
        last = stmts[-1]
        last.body = _at_exits(last.body, make)
        last.orelse = _at_exits(last.orelse, make)
        return stmts
    return stmts + [make()]


def _jumps(stmt):
    return any(isinstance(s, (gast.Break, gast.Continue))
               for s in statements([stmt])
               if not isinstance(s, (gast.For, gast.While)))


# what a checked name may hold the very values of: appended, packed,
# another name for
HOLDING = ("append", "pack", "copy")


def _raises(stmts):
    """Whether a statement list surely raises (a `raise` of its own)."""
    return any(type(s) is gast.Raise for s in stmts)


def _up_to_raise(stmts):
    """The statements up to the first `raise` of the list: what follows
    never runs."""
    first = next(i for i, s in enumerate(stmts) if type(s) is gast.Raise)
    return stmts[:first + 1]


def _breaks(stmts):
    """Whether `stmts` may break out of the loop they are the body of."""
    for stmt in stmts:
        if isinstance(stmt, gast.Break):
            return True
        if isinstance(stmt, gast.If) and \
                (_breaks(stmt.body) or _breaks(stmt.orelse)):
            return True
    return False


def _plus_one(id_):
    return gast.BinOp(left=name(id_), op=gast.Add(), right=const(1))


def _basic_index(index, ints):
    """Whether indexing with `index` picks each element at most once."""
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    for part in parts:
        if isinstance(part, gast.Slice):
            continue
        if isinstance(part, gast.Constant):
            if part.value is None or part.value is Ellipsis or \
                    type(part.value) is int:
                continue
            return False
        if not (isinstance(part, gast.Name) and part.id in ints):
            return False
    return True


def _as_value(index, slice_name):
    """An index as an expression (slices spelled `slice(...)`)."""
    if isinstance(index, gast.Slice):
        return call(name(slice_name), [
            clone(p) if p is not None else const(None)
            for p in (index.lower, index.upper, index.step)])
    if isinstance(index, gast.Tuple):
        return build.tuple_([_as_value(e, slice_name) for e in index.elts])
    return clone(index)


def refuse_underived(op, active, captured):
    """A located error if a parameter whose template is NO_DERIVATIVE
    carries a derivative into the call, or an option is a constant the
    templates do not hold for (both modes)."""
    problem = None
    for param, allowed in getattr(op.rule, "only", {}).items():
        node = op.bound.get(param)
        if isinstance(node, gast.Constant) and node.value not in allowed:
            problem = (f"srcad differentiates {op.rule.signature} only with "
                       f"{param}={' or '.join(repr(v) for v in allowed)}; "
                       f"compute it that way, or wrap the call's arguments "
                       f"in srcad.stop_gradient(...)")
    for param, _ in active:
        if param in op.rule.reverse and \
                op.rule.reverse[param] is NO_DERIVATIVE:
            problem = (f"srcad has no derivative of {op.rule.signature} with "
                       f"respect to {param}, and here {param} depends on "
                       f"what is differentiated; make {param} a constant, "
                       f"or wrap it in srcad.stop_gradient({param})")
    if problem:
        raise located(NoDerivativeRule,
                      problem + " if no derivative should flow through it",
                      op.stmt, captured)
