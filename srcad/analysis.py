"""Analyse: what each statement computes, and which values are active.

`describe(stmt, captured)` reads one normal-form statement as an `Op`: its
targets, the rule that differentiates it and which operands a derivative
can flow through. `analyse(fdef, captured, wrt, known)` returns an
`Analysis` (`known` maps parameters to the ndims a specialized derivative
may assume, see shapes.ndims):

- `ops`: the Op of every statement, keyed by `id(stmt)`;
- `active`: names that depend on a wrt input through differentiable
  operations AND reach the returned value; only these get derivatives
  (a max subtracted for stability whose derivative cancels, shifts.py,
  passes none on);
- `same_shape(a, b)`: True when a and b surely have one shape at run time
  (elementwise results share their operands' shape class), so the
  framework can leave out `unbroadcast` between them; `fills(op, a)` says
  the same of an operand and the result of one elementwise statement;
- `tuples`: names that may hold a tuple or list of values; `displays`:
  those that surely do (made by a tuple or list display);
- `overwritten`: names whose value changes while the function runs
  (assigned in a loop or branch, more than once, or written in place);
  the reverse sweep restores their earlier values from the tape;
- `ints`: names surely holding Python ints (loop indices, lengths).

Writing into an array in place (`y[i] = v`, `ys.append(v)`) is allowed
only into arrays the function made itself: an argument, or a name that may
share memory with another value (a view or a copy of a name), is an
error, since the derivative would have to follow the other name too.

Calls are resolved here, so a call with an active argument and no rule is
reported (with its location) before any code is generated. The facts about
names (sequences, displays, overwritten, views, ints) come from values.py,
the shape relations from shapes.py.
"""
import inspect

import gast

from . import build, rules, runtime
from .capture import MISSING, capture, readable
from .fence import fence
from .errors import (NoDerivativeRule, SourceUnavailable, SrcadError,
                     UnsupportedSyntax, located)
from .shapes import Shapes
from .shifts import cancelling
from .values import (check_writes, displays, ints_of, overwritten,
                     resolve, sequences, views)

SHAPE_ATTRS = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}


class Op:
    """One normal-form statement, read for differentiation.

    kind is one of: "rule" (a call or operator with a rule), "copy",
    "subscript", "pack" (tuple or list display), "unpack", "nondiff",
    "unknown" (a call with no rule), "setitem" (y[i] = v), "append"
    (ys.append(v)), "pop" (v = ys.pop()), "call" (a function srcad
    differentiates in turn), "return", "effect" (no value: if, while...).
    """

    def __init__(self, stmt, kind, targets=(), rule=None, bound=None,
                 sources=(), func=None):
        self.stmt = stmt
        self.kind = kind
        self.targets = list(targets)
        self.rule = rule
        self.bound = bound or {}
        # (param, Name node) pairs a derivative can flow through
        self.sources = list(sources)
        self.func = func  # the resolved callee, for error messages


def describe(stmt, captured):
    if isinstance(stmt, gast.Return):
        return Op(stmt, "return", sources=_names([("value", stmt.value)]))
    if isinstance(stmt, gast.For):
        return Op(stmt, "nondiff", [stmt.target.id])
    if _is_append(stmt):
        owner = stmt.value.func.value
        return Op(stmt, "append", [owner.id],
                  sources=_names([("v", stmt.value.args[0]), ("y", owner)]))
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
        return _effect(stmt, captured)
    if not isinstance(stmt, gast.Assign):
        return Op(stmt, "effect")
    target = stmt.targets[0]
    value = stmt.value
    if isinstance(target, gast.Subscript):
        owner = target.value
        return Op(stmt, "setitem", [owner.id],
                  sources=_names([("v", value), ("y", owner)]))
    if isinstance(target, gast.Tuple):
        names = [t.id for t in target.elts]
        return Op(stmt, "unpack", names, sources=_names([("value", value)]))
    if _is_method(value, "pop", 0):
        return Op(stmt, "pop", [target.id],
                  sources=_names([("y", value.func.value)]))
    return _describe_value(stmt, [target.id], value, captured)


def _effect(stmt, captured):
    """A call run for what it does, its result unused. srcad follows no
    change it makes to what it is given (np.copyto(y, x), np.add.at,
    out=y, y.fill(v), y.put(i, v)): given local values, it is an unknown
    operation that may change them, an error when that matters to the
    derivative."""
    value = stmt.value
    func = resolve(value.func, captured)
    module = getattr(func, "__module__", None) or ""
    if func is print or module.startswith("srcad"):
        return Op(stmt, "effect")
    nodes = list(value.args) + [k.value for k in value.keywords]
    if isinstance(value.func, gast.Attribute):  # a method changes its owner
        nodes.append(value.func.value)
    held = _names([("arg", n) for n in nodes
                   if isinstance(n, gast.Name) and n.id in captured.locals])
    if not held:
        return Op(stmt, "effect")
    label = _spelled(value.func)
    owner = value.func.value if isinstance(value.func, gast.Attribute) \
        else None
    what = owner.id if isinstance(owner, gast.Name) and \
        owner.id in captured.locals else "its arguments"
    op = Op(stmt, "unknown", [n.id for _, n in held], sources=held,
            func=func)
    op.error = located(UnsupportedSyntax, (
        f"srcad does not follow what {label}(...) does to {what}: its "
        f"result is unused, so it runs for what it changes, and a change "
        f"it makes gets no derivative. Assign the new value instead "
        f"(y = ...), or, if it changes nothing that matters, pass "
        f"srcad.stop_gradient(...) of the values."), stmt, captured)
    return op


def _describe_value(stmt, targets, value, captured):
    if isinstance(value, gast.Name):
        return Op(stmt, "copy", targets, sources=[("x", value)])
    if isinstance(value, gast.Constant):
        return Op(stmt, "nondiff", targets)
    if isinstance(value, (gast.Tuple, gast.List)):
        pairs = [(i, e) for i, e in enumerate(value.elts)]
        return Op(stmt, "pack", targets, sources=_names(pairs))
    if isinstance(value, gast.Subscript):
        if isinstance(value.value, gast.Constant):
            # (0.5, 1.5)[k], a loop over a tuple of constants once the
            # constants pass has put the tuple in place
            return Op(stmt, "nondiff", targets)
        return Op(stmt, "subscript", targets,
                  sources=_names([("x", value.value)]))
    if isinstance(value, gast.Attribute):
        if value.attr in SHAPE_ATTRS or \
                resolve(value, captured) is not MISSING:
            # x.shape; np.inf, math.pi, np.float64, a module's array: a
            # module's names carry no derivative, as globals do not
            return Op(stmt, "nondiff", targets)
        return Op(stmt, "unknown", targets,
                  sources=_names([("x", value.value)]), func=value)
    if isinstance(value, (gast.Compare, gast.BoolOp, gast.JoinedStr)):
        return Op(stmt, "nondiff", targets)  # booleans; an f-string
    if isinstance(value, gast.BinOp):
        if isinstance(value.op, gast.Mod) and \
                isinstance(value.left, gast.Constant) and \
                isinstance(value.left.value, str):
            return Op(stmt, "nondiff", targets)  # "%.2f" % x: a string
        return _with_rule(stmt, targets, type(value.op),
                          [value.left, value.right], [], value)
    if isinstance(value, gast.UnaryOp):
        return _with_rule(stmt, targets, type(value.op), [value.operand],
                          [], value)
    if isinstance(value, gast.Call):
        func = resolve(value.func, captured)
        keywords = [(k.arg, k.value) for k in value.keywords]
        if func in (runtime.call_forward, runtime.call_backward):
            return _derivative_call(stmt, targets, func, value, captured)
        local = isinstance(value.func, gast.Name) and \
            value.func.id in captured.locals
        return _with_rule(stmt, targets, func, value.args, keywords, value,
                          local)
    raise AssertionError(f"not in normal form: {gast.dump(value)}")


def _with_rule(stmt, targets, func, args, keywords, node, local=False):
    rule = rules.lookup(func) if func is not MISSING else None
    operands = [("arg", a) for a in args] + list(keywords)
    if rule is None and (local or _has_source(func)):
        return _call(stmt, targets, func, args, keywords, local,
                     node.func if local else None)
    if rule is None:
        if isinstance(node.func, gast.Attribute):  # obj.method(...)
            operands.append(("self", node.func.value))
        return Op(stmt, "unknown", targets, sources=_names(operands),
                  func=func if func is not MISSING else node)
    if not rule.differentiable:
        return Op(stmt, "nondiff", targets, rule=rule, func=func)
    bound = rule.bind(list(args), keywords)
    if bound is None:
        return Op(stmt, "unknown", targets, rule=rule,
                  sources=_names(operands), func=func)
    sources = _names([(p, bound[p]) for p in rule.reverse])
    return Op(stmt, "rule", targets, rule=rule, bound=bound, sources=sources,
              func=func)


def _installed(func):
    """Whether `func` comes from an installed package, not the user's code."""
    filename = getattr(getattr(func, "__code__", None), "co_filename", "")
    return "site-packages" in filename or "dist-packages" in filename


def _label(func):
    """How an error names a callee: module.name, or its spelling."""
    if isinstance(func, gast.AST):
        return _spelled(func)
    name_ = getattr(func, "__qualname__", None) or getattr(
        func, "__name__", None)
    if not name_:
        return repr(func)
    module = getattr(func, "__module__", None)
    return f"{module}.{name_}" if module else name_


def _has_source(func):
    """A function srcad reads and differentiates itself (srcad's own
    functions excepted: they have rules or are not differentiable)."""
    module = getattr(func, "__module__", None) or ""
    if module.startswith("srcad.") or module == "srcad":
        return False
    return readable(func)


def _call(stmt, targets, func, args, keywords, local, held=None):
    """A call to a Python function srcad differentiates in turn (its own
    derivative, compiled and cached), or to a function held in a local
    name, whose derivative is found when the call runs."""
    if local:
        bound = {i: a for i, a in enumerate(args)}
        bound.update(keywords)
    else:
        try:
            target = func._srcad_function() \
                if hasattr(func, "_srcad_function") else func
            fence(capture(target))  # fails now, at the call, if it has
            # no source or uses what srcad does not differentiate
            signature = inspect.signature(target)
            bound = dict(signature.bind(*args, **dict(keywords)).arguments)
        except (TypeError, SrcadError) as error:
            op = Op(stmt, "unknown", targets, func=func,
                    sources=_names([("arg", a) for a in args] + keywords))
            # the callee's own problem (*args, no source), shown if the
            # call turns out to need a derivative
            op.error = error if isinstance(error, SrcadError) else None
            if op.error is not None and _installed(target):
                # a library's function: the user's call is what to change
                op.error = NoDerivativeRule(
                    f"srcad cannot differentiate {_label(func)}, a library's "
                    f"function: it reads its source and cannot follow it "
                    f"({str(error).splitlines()[-1]}) Give it a rule with "
                    f"srcad.defrule (see the README, 'Extending'), or write "
                    f"what it computes with NumPy.")
                op.error.at_call = True
            return op
    op = Op(stmt, "call", targets, bound=bound,
            sources=_names(list(bound.items())), func=func)
    op.dynamic = local
    if local:
        # the function value itself: what it holds (a pullback's saved
        # values) may depend on the arguments. No derivative flows through
        # it, but activity does, so that the call that made it is
        # reported if it has no rule (_fixpoint)
        op.held = held.id if isinstance(held, gast.Name) else None
    return op


def _derivative_call(stmt, targets, func, value, captured):
    """`ad.call_forward(h, wrt, ...)` in generated code being differentiated
    again: a call to the generated forward (or backward) function of h."""
    from . import pipeline
    callee = resolve(value.args[0], captured)
    wrt = value.args[1]
    if not isinstance(wrt, gast.Constant):
        return Op(stmt, "unknown", targets, func=func,
                  sources=_names([("arg", a) for a in value.args]))
    wrt = wrt.value
    args = value.args[2:]
    if callee is MISSING:  # a function held in a local: found at run time
        op = _call(stmt, targets, None, args, [(k.arg, k.value) for k in
                                               value.keywords], True,
                   value.args[0])
        op.derivative_of = (value.args[0], wrt, func)
        op.call_args = (args, value.keywords)
        return op
    generated = pipeline.cached(callee, "vjp", wrt)
    target = generated.entry if func is runtime.call_forward \
        else generated.backward
    keywords = [(k.arg, k.value) for k in value.keywords]
    op = _with_rule(stmt, targets, target, args, keywords, value)
    op.call_args = (args, value.keywords)
    return op


def _is_append(stmt):
    return isinstance(stmt, gast.Expr) and _is_method(stmt.value, "append", 1)


def _is_method(value, method, nargs):
    """`value` is `name.method(...)` with `nargs` plain arguments."""
    return isinstance(value, gast.Call) and \
        isinstance(value.func, gast.Attribute) and \
        value.func.attr == method and \
        isinstance(value.func.value, gast.Name) and \
        len(value.args) == nargs and not value.keywords


def _names(pairs):
    return [(p, n) for p, n in pairs if isinstance(n, gast.Name)]


class Analysis:
    def __init__(self, ops, active, shapes, tuples, overwritten, ints,
                 views=None):
        self.ops = ops
        self.views = views or {}  # name -> the written array it may view
        self.active = active
        self.shapes = shapes
        self.tuples = tuples
        self.displays = set()  # names that surely hold a tuple or list
        self.overwritten = overwritten
        self.ints = ints

    def op(self, stmt):
        return self.ops[id(stmt)]

    def differentiates(self, op):
        """Whether statement `op` needs derivative code: it assigns an
        active value, or takes from an active list (whose derivative
        list must take in step, whatever it took)."""
        if set(op.targets) & self.active:
            return True
        return op.kind == "pop" and op.sources[0][1].id in self.active

    def same_shape(self, a, b):
        return self.shapes.same(a, b)

    def fills(self, op, operand):
        """Whether `operand` of elementwise `op` surely has the result's
        shape: by the shape relations, or because every other operand
        is a number (then no broadcasting happens, in any pass of a
        loop)."""
        if self.shapes.same(operand, op.targets[0]):
            return True
        for node in op.bound.values():
            if isinstance(node, gast.Name):
                if node.id != operand and \
                        not self.shapes.is_scalar(node.id):
                    return False
            elif not build.is_number(node):
                return False
        return True


def analyse(fdef, captured, wrt, known=None):
    captured.locals = set(captured.params) | build.stores(fdef)
    ops = {}
    order = []
    for stmt in build.statements(fdef.body):
        op = describe(stmt, captured)
        ops[id(stmt)] = op
        order.append(op)
    ints = ints_of(order, captured)
    # a max subtracted for stability: its derivative cancels (shifts.py)
    constant = ints | cancelling(order, {id(s) for s in fdef.body})
    varied = _fixpoint(order, set(wrt) - ints, forward=True, never=constant)
    useful = _fixpoint(order, set(), forward=False)
    active = varied & useful
    for op in order:
        if op.kind == "unknown" and set(op.targets) & active:
            error = getattr(op, "error", None)
            if isinstance(error, SourceUnavailable) or error is None:
                raise _no_rule(op, captured)
            if getattr(error, "at_call", False):
                raise located(NoDerivativeRule, str(error), op.stmt, captured)
            raise error
    _check_held(order, active, captured)
    tuples = sequences(order)
    check_writes(order, captured, fdef)
    changing = overwritten(fdef, order)
    shapes = Shapes(order, captured, changing, ints, known)
    # a number picked out of an array (y[i], y a vector) is no view of it
    shared = {n: v for n, v in views(order).items()
              if shapes.ndims.get(n) != 0}
    info = Analysis(ops, active, shapes, tuples, changing, ints, shared)
    info.displays = displays(order, captured.params)
    _check_joins(order, active, info.displays, captured)
    _check_keys(order, active, captured)
    return info


def _check_keys(order, active, captured):
    """`p["w"]`, a value read by key where a derivative flows: srcad
    differentiates through numbers, arrays, lists and tuples, not dicts
    (whose adjoint would be a dict)."""
    for op in order:
        index = getattr(op.stmt.value, "slice", None) \
            if op.kind == "subscript" else None
        if isinstance(index, gast.Constant) and \
                isinstance(index.value, str) and set(op.targets) & active:
            raise located(UnsupportedSyntax, (
                f"this reads {op.sources[0][1].id}[{index.value!r}] by key, "
                f"and a derivative flows through it: srcad differentiates "
                f"numbers, arrays, lists and tuples, not dicts. Pass the "
                f"values as arguments of their own, or as a tuple or list."),
                op.stmt, captured)


def _check_joins(order, active, lists, captured):
    """`+` and `*` on a tuple or list join or repeat it: refused where a
    derivative flows through (the rules are those of numbers)."""
    for op in order:
        if op.kind == "rule" and op.rule.fn in (gast.Add, gast.Mult) and \
                any(n.id in lists and n.id in active
                    for n in op.bound.values() if isinstance(n, gast.Name)):
            joins = op.rule.fn is gast.Add
            raise located(UnsupportedSyntax, (
                f"'{'+' if joins else '*'}' {'joins' if joins else 'repeats'}"
                f" a list or tuple here, and srcad differentiates it only "
                f"on numbers and arrays. Write the items out in one list "
                f"([a, b * b]), or build it with append."), op.stmt, captured)


def _fixpoint(order, seeds, forward, never=frozenset()):
    """Names reached from `seeds` along the data flow (forward: what they
    flow into; backward: what flows into them), `never` excepted."""
    marked = set(seeds)
    changed = True
    while changed:
        changed = False
        for op in order:
            flows = op.kind in ("rule", "copy", "subscript", "pack", "unpack",
                                "unknown", "return", "setitem", "append",
                                "call", "pop")
            if not flows:
                continue
            sources = {n.id for _, n in op.sources}
            if getattr(op, "held", None):
                sources.add(op.held)
            targets = set(op.targets) or {"<return>"}
            if forward and sources & marked and \
                    not targets - never <= marked:
                marked |= targets - never
                changed = True
            if not forward and (targets & marked or op.kind == "return") \
                    and not sources <= marked:
                marked |= sources
                changed = True
    return marked


def _check_held(order, active, captured):
    """A call of a function one of srcad's transforms made that srcad
    cannot differentiate (srcad.jacobian's), where its result needs a
    derivative: an error that says what to write instead. (A function
    value made from values that depend on the arguments comes from an
    unknown call, srcad.vjp say, reported already: see Op.held.)"""
    opaque = {}  # name -> the rule of the transform that made it
    for op in order:
        if op.kind == "nondiff" and getattr(op.rule, "opaque", None):
            opaque.update(dict.fromkeys(op.targets, op.rule))
        elif op.kind == "copy" and op.sources[0][1].id in opaque:
            opaque.update(dict.fromkeys(op.targets,
                                        opaque[op.sources[0][1].id]))
    for op in order:
        held = getattr(op, "held", None)
        if held in opaque and set(op.targets) & active:
            raise located(NoDerivativeRule, opaque[held].opaque, op.stmt,
                          captured)


def _no_rule(op, captured):
    func = op.func
    label = _label(func)
    module = getattr(func, "__module__", None)
    advice = rules.registry.UNDIFFERENTIABLE.get(func) \
        if rules.lookup(func) is None else None
    if advice:
        message = advice
    elif module == "srcad.runtime_batch":
        message = ("a forward-mode derivative (grad or jacobian with "
                   "mode='forward') cannot be differentiated again; make "
                   "the inner transform reverse mode (the default), or use "
                   "srcad.hessian or srcad.jacobian of a reverse-mode "
                   "gradient.")
    elif op.rule is not None:
        forms = getattr(op.rule, "forms", None) or op.rule.signature
        message = (f"srcad's rule for {label} ({forms}) does not accept "
                   f"these arguments; pass only the arguments it lists, or "
                   f"give your own rule with srcad.defrule.")
    elif inspect.ismethod(func):
        message = (f"{label} is a method (bound to "
                   f"{type(func.__self__).__name__} "
                   f"{getattr(func.__self__, '__name__', '')}): srcad "
                   f"differentiates plain functions and staticmethods. Make "
                   f"it a staticmethod or a module-level function taking what "
                   f"it needs as arguments, or give it a rule with "
                   f"srcad.defrule.")
    else:
        message = (f"no derivative rule for {label}, and srcad cannot read "
                   f"its source. Give one with srcad.defrule (see the "
                   f"README, 'Extending'), or, if no derivative should flow through "
                   f"it, wrap its argument in srcad.stop_gradient(...).")
    return located(NoDerivativeRule, message, op.stmt, captured)


def _spelled(node):
    import astor
    return astor.to_source(gast.gast_to_ast(node)).strip()


def is_pure(captured):
    """A predicate: may a call in generated code be dropped if unused?"""
    def pure(call):
        func = call.func
        if isinstance(func, gast.Attribute) and \
                resolve(func.value, captured) is runtime:
            return not func.attr.startswith("check_")  # they raise
        obj = resolve(func, captured)
        if isinstance(obj, type) and issubclass(obj, BaseException) and \
                obj.__module__ == "builtins":
            return True  # ValueError(message): made, not yet raised
        return rules.lookup(obj) is not None and obj is not print
    return pure


def is_movable(captured):
    """A predicate: may a call in generated code run a little later (after
    the loads its reader makes first)? A pure one that neither writes into
    its arguments (`ad.add_at`) nor runs the user's code (`ad.call_*`)."""
    pure = is_pure(captured)

    def movable(call):
        func = call.func
        if isinstance(func, gast.Attribute) and \
                resolve(func.value, captured) is runtime and \
                (func.attr == "add_at" or func.attr.startswith("call_")):
            return False
        return pure(call)
    return movable
