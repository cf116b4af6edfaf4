"""The extension API: derivatives for functions srcad does not know.

Three ways, from shortest to most general:

    srcad.defrule(expit, "expit(x)", x="g * y * (1 - y)", elementwise=True)

a template per argument, written like srcad's own rules: `g` is the adjoint
of the result, `y` the result, the argument names the arguments; `np`,
`math` and any object passed in `names={...}` may be used. With
`elementwise=True` forward mode follows from the same templates; otherwise
give `forward={"x": "dx * ..."}` (a tangent `dx` per argument, summed).

    srcad.defvjp(fn, vjp, jvp=None)

a pair of functions: `vjp(g, y, *args)` returns the cotangent of each
argument without a default (a tuple for several, a bare value for one),
`jvp(args, tangents)` the tangent of the result, with `args` all the
arguments (options included) and `tangents` theirs (zeros where constant).
Both run as ordinary Python, and srcad differentiates them in turn for
higher orders.

    @srcad.primitive
    def softplus(x): ...

    @softplus.defvjp
    def softplus_vjp(g, y, x): ...

marks a function of your own as a primitive: srcad calls it as it is and
never looks inside; its derivative is what `defvjp` / `defjvp` give.
"""
import inspect

from .errors import UsageError
from .rules import registry


def defrule(fn, signature, *, elementwise=False, forward=None, names=None,
            **reverse):
    """Register templates for `fn`'s derivative (see the module doc)."""
    if not reverse:
        raise UsageError("defrule needs a template for at least one "
                         "argument, e.g. x=\"g * np.cos(x)\"")
    rule = registry.Rule(fn, signature, reverse=reverse, forward=forward,
                         kind="elementwise" if elementwise else "define",
                         owner="user")
    _check_names(rule, reverse, forward, names)
    rule.objects = dict(names or {})
    return registry.register(fn, rule)


def defvjp(fn, vjp=None, jvp=None, signature=None):
    """Register Python functions computing `fn`'s derivative."""
    rule = registry.lookup(fn)
    if rule is None or rule.kind != "function":
        rule = registry.register(fn, registry.Rule(
            fn, signature or _signature(fn), kind="function", owner="user"))
    if vjp is not None:
        rule.vjp = vjp
    if jvp is not None:
        rule.jvp = jvp
    return fn


def primitive(fn):
    """Mark `fn` as a primitive: srcad does not look inside it; give its
    derivative with `@fn.defvjp` and `@fn.defjvp`."""
    defvjp(fn)

    def give_vjp(vjp):
        defvjp(fn, vjp=vjp)
        return vjp

    def give_jvp(jvp):
        defvjp(fn, jvp=jvp)
        return jvp
    fn.defvjp = give_vjp
    fn.defjvp = give_jvp
    return fn


def _signature(fn):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        raise UsageError(f"cannot read the parameters of {fn!r}; pass "
                         f"signature=\"name(x, y)\"") from None
    required = [p.name for p in params.values() if p.default is p.empty]
    options = [f"{p.name}={p.default!r}" for p in params.values()
               if p.default is not p.empty]
    name = getattr(fn, "__name__", "f")
    return f"{name}({', '.join(required + options)})"


def _check_names(rule, reverse, forward, names):
    from .template import placeholders
    params = {p for p, _ in rule.params}
    known = params | {"g", "y"} | set(names or {})
    tangents = {"d" + p for p in params}
    for param, text in reverse.items():
        if param not in params:
            raise UsageError(f"defrule: {param!r} is not an argument of "
                             f"{rule.signature}")
        _unknown(placeholders(text) - known, text)
    for param, text in (forward or {}).items():
        _unknown(placeholders(text) - known - tangents, text)


def _unknown(names, text):
    if names:
        raise UsageError(f"defrule: template {text!r} uses {sorted(names)}, "
                         f"which are neither arguments, g, y, nor names= "
                         f"given")
