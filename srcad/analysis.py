"""Analyse: what each statement computes, and which values are active.

`describe(stmt, captured)` reads one normal-form statement as an `Op`: its
targets, the rule that differentiates it and which operands a derivative
can flow through. `analyse(fdef, captured, wrt)` returns an `Analysis`:

- `ops`: the Op of every statement, keyed by `id(stmt)`;
- `active`: names that depend on a wrt input through differentiable
  operations AND reach the returned value; only these get derivatives;
- `same_shape(a, b)`: True when a and b surely have one shape at run time
  (elementwise results share their operands' shape class), so the
  framework can leave out `unbroadcast` between them;
- `tuples`: names that hold a tuple of values.

Calls are resolved here, so a call with an active argument and no rule is
reported (with its location) before any code is generated.
"""
import gast

from . import rules
from .capture import MISSING
from .errors import NoDerivativeRule, located
from .shapes import Shapes

SHAPE_ATTRS = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}


class Op:
    """One normal-form statement, read for differentiation.

    kind is one of: "rule" (a call or operator with a rule), "copy",
    "subscript", "pack" (tuple or list display), "unpack", "nondiff",
    "unknown" (a call with no rule), "return", "effect".
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
    if not isinstance(stmt, gast.Assign):
        return Op(stmt, "effect")
    target = stmt.targets[0]
    value = stmt.value
    if isinstance(target, gast.Tuple):
        names = [t.id for t in target.elts]
        return Op(stmt, "unpack", names, sources=_names([("value", value)]))
    return _describe_value(stmt, [target.id], value, captured)


def _describe_value(stmt, targets, value, captured):
    if isinstance(value, gast.Name):
        return Op(stmt, "copy", targets, sources=[("x", value)])
    if isinstance(value, gast.Constant):
        return Op(stmt, "nondiff", targets)
    if isinstance(value, (gast.Tuple, gast.List)):
        pairs = [(i, e) for i, e in enumerate(value.elts)]
        return Op(stmt, "pack", targets, sources=_names(pairs))
    if isinstance(value, gast.Subscript):
        return Op(stmt, "subscript", targets,
                  sources=_names([("x", value.value)]))
    if isinstance(value, gast.Attribute):
        if value.attr in SHAPE_ATTRS:
            return Op(stmt, "nondiff", targets)
        return Op(stmt, "unknown", targets,
                  sources=_names([("x", value.value)]), func=value)
    if isinstance(value, (gast.Compare, gast.BoolOp)):
        return Op(stmt, "nondiff", targets)
    if isinstance(value, gast.BinOp):
        return _with_rule(stmt, targets, type(value.op),
                          [value.left, value.right], [], value)
    if isinstance(value, gast.UnaryOp):
        return _with_rule(stmt, targets, type(value.op), [value.operand],
                          [], value)
    if isinstance(value, gast.Call):
        func = resolve(value.func, captured)
        keywords = [(k.arg, k.value) for k in value.keywords]
        return _with_rule(stmt, targets, func, value.args, keywords, value)
    raise AssertionError(f"not in normal form: {gast.dump(value)}")


def _with_rule(stmt, targets, func, args, keywords, node):
    rule = rules.lookup(func) if func is not MISSING else None
    operands = [("arg", a) for a in args] + list(keywords)
    if rule is None:
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


def _names(pairs):
    return [(p, n) for p, n in pairs if isinstance(n, gast.Name)]


def resolve(func, captured):
    """The object a callee expression (name or dotted chain) refers to."""
    if isinstance(func, gast.Name):
        return captured.resolve(func.id)
    if isinstance(func, gast.Attribute):
        owner = resolve(func.value, captured)
        if owner is MISSING:
            return MISSING
        return getattr(owner, func.attr, MISSING)
    return MISSING


class Analysis:
    def __init__(self, ops, active, shapes, tuples):
        self.ops = ops
        self.active = active
        self.shapes = shapes
        self.tuples = tuples

    def op(self, stmt):
        return self.ops[id(stmt)]

    def same_shape(self, a, b):
        return self.shapes.same(a, b)


def analyse(fdef, captured, wrt):
    ops = {}
    order = []
    for stmt in statements(fdef.body):
        op = describe(stmt, captured)
        ops[id(stmt)] = op
        order.append(op)
    varied = _fixpoint(order, set(wrt), forward=True)
    useful = _fixpoint(order, set(), forward=False)
    active = varied & useful
    for op in order:
        if op.kind == "unknown" and set(op.targets) & active:
            raise _no_rule(op, captured)
    tuples = {t for op in order if op.kind == "pack" for t in op.targets}
    tuples |= {n.id for op in order if op.kind == "unpack"
               for _, n in op.sources}
    return Analysis(ops, active, Shapes(order, captured), tuples)


def statements(body):
    """Every statement in `body`, nested ones included, in source order."""
    for stmt in body:
        yield stmt
        for field in ("body", "orelse"):
            yield from statements(getattr(stmt, field, []))


def _fixpoint(order, seeds, forward):
    marked = set(seeds)
    changed = True
    while changed:
        changed = False
        for op in order:
            flows = op.kind in ("rule", "copy", "subscript", "pack", "unpack",
                                "unknown", "return")
            if not flows:
                continue
            sources = {n.id for _, n in op.sources}
            targets = set(op.targets) or {"<return>"}
            if forward and sources & marked and not targets <= marked:
                marked |= targets
                changed = True
            if not forward and (targets & marked or op.kind == "return") \
                    and not sources <= marked:
                marked |= sources
                changed = True
    return marked


def _no_rule(op, captured):
    func = op.func
    name = getattr(func, "__qualname__", None) or getattr(
        func, "__name__", None)
    module = getattr(func, "__module__", None)
    if name and module:
        label = f"{module}.{name}"
    elif name:
        label = name
    elif isinstance(func, gast.AST):
        label = _spelled(func)
    else:
        label = repr(func)
    if op.rule is not None:
        message = (f"srcad's rule for {label} ({op.rule.signature}) does not "
                   f"accept these arguments; pass only the arguments it "
                   f"lists, or give your own rule with srcad.defrule.")
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
    from . import runtime

    def pure(call):
        func = call.func
        if isinstance(func, gast.Attribute) and \
                isinstance(func.value, gast.Name) and \
                captured.extras.get(func.value.id) is runtime:
            return func.attr != "check_scalar"
        obj = resolve(func, captured)
        if obj is MISSING:
            obj = _resolve_extra(func, captured)
        rule = rules.lookup(obj)
        return rule is not None and obj is not print
    return pure


def _resolve_extra(func, captured):
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
        owner = captured.extras.get(func.value.id, MISSING)
        return getattr(owner, func.attr, MISSING)
    return MISSING
