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

A malformed rule is a UsageError naming the function, raised here where it
can be told (a signature or template that does not parse, a vjp that
cannot take its arguments), else when the rule runs (a vjp returning the
wrong number or shape of cotangents, checked by `ad.cotangents`).
"""
import inspect

import gast

from .errors import UsageError
from .rules import registry
from .template import parse


def defrule(fn, signature, *, elementwise=False, forward=None, names=None,
            **reverse):
    """Register templates for `fn`'s derivative (see the module doc)."""
    label = _label(fn, "defrule")
    if not reverse:
        raise UsageError(f"defrule({label}) needs a template for at least "
                         f"one argument, e.g. x=\"g * np.cos(x)\"")
    _check_signature(label, "defrule", signature)
    if forward is not None and not isinstance(forward, dict):
        raise UsageError(f"defrule({label}): forward= maps each argument "
                         f"to its forward template, e.g. forward={{\"x\": "
                         f"\"dx * np.cos(x)\"}}, not {forward!r}")
    if names is not None and not isinstance(names, dict):
        raise UsageError(f"defrule({label}): names= maps the names the "
                         f"templates use to objects, e.g. names={{\"F\": "
                         f"F}}, not {names!r}")
    for param, text in list(reverse.items()) + list((forward or {}).items()):
        _check_template(label, param, text)
    rule = registry.Rule(fn, signature, reverse=reverse, forward=forward,
                         kind="elementwise" if elementwise else "define",
                         owner="user")
    _check_names(rule, reverse, forward, names)
    rule.objects = dict(names or {})
    return registry.register(fn, rule)


def defvjp(fn, vjp=None, jvp=None, signature=None):
    """Register Python functions computing `fn`'s derivative."""
    label = _label(fn, "defvjp")
    if signature is not None:
        _check_signature(label, "defvjp", signature)
    rule = registry.lookup(fn)
    if rule is None or rule.kind != "function":
        rule = registry.Rule(fn, signature or _signature(fn),
                             kind="function", owner="user")
    if vjp is not None:
        _check_takes(label, "vjp", vjp, ["g", "y"] + [p for p, _ in
                                                       rule.params])
    if jvp is not None:
        _check_takes(label, "jvp", jvp, ["args", "tangents"])
    registry.register(fn, rule)  # checked: a malformed rule is not kept
    rule.vjp = vjp if vjp is not None else rule.vjp
    rule.jvp = jvp if jvp is not None else rule.jvp
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


def _label(fn, who):
    if not callable(fn):
        raise UsageError(f"{who}: expected the function to give a "
                         f"derivative for, got {fn!r}")
    return getattr(fn, "__name__", None) or repr(fn)


def _check_signature(label, who, signature):
    """A signature is a call of plain names, then options with literal
    defaults: what registry.parse_signature reads."""
    advice = (f"write it like a call, \"{label}(x, w, axis=None)\": the "
              f"arguments a derivative flows through, then any options "
              f"with their default values")
    if not isinstance(signature, str):
        raise UsageError(f"{who}({label}): the signature must be a string; "
                         f"{advice}. Got {signature!r}")
    try:
        call = gast.parse(signature, mode="eval").body
    except SyntaxError as error:
        raise UsageError(f"{who}({label}): the signature {signature!r} is "
                         f"not valid Python ({error.msg}); {advice}") \
            from None
    plain = isinstance(call, gast.Call) and \
        isinstance(call.func, (gast.Name, gast.Attribute)) and \
        all(isinstance(a, gast.Name) for a in call.args) and \
        all(k.arg is not None for k in call.keywords)
    try:
        for k in call.keywords if plain else ():
            registry.literal(k.value)
    except ValueError:
        plain = False
    if not plain:
        raise UsageError(f"{who}({label}): the signature {signature!r} is "
                         f"not a call of plain argument names (no *args, "
                         f"**kwargs or computed defaults); {advice}")


def _check_template(label, param, text):
    example = f"{param}=\"g * np.cos({param})\""
    if not isinstance(text, str):
        raise UsageError(f"defrule({label}): the template for {param} must "
                         f"be a string holding a Python expression, e.g. "
                         f"{example}, not {text!r}; to give the derivative "
                         f"as a Python function, use srcad.defvjp")
    try:
        parse(text)
    except SyntaxError as error:
        raise UsageError(f"defrule({label}): the template for {param}, "
                         f"{text!r}, is not a Python expression "
                         f"({error.msg}); write one expression in g (the "
                         f"adjoint of the result), y (the result) and the "
                         f"arguments, e.g. {example}") from None


def _check_takes(label, role, fn, names):
    """`fn` can be called as `fn(*names)`, positionally, as generated
    code calls it."""
    if not callable(fn):
        raise UsageError(f"defvjp({label}): {role} must be a function "
                         f"{role}({', '.join(names)}), not {fn!r}")
    try:
        inspect.signature(fn).bind(*names)
    except ValueError:  # no signature to read (a builtin): found out later
        return
    except TypeError:
        own = getattr(fn, "__name__", role)
        raise UsageError(
            f"defvjp({label}): {role} {own}{inspect.signature(fn)} cannot "
            f"be called as {role}({', '.join(names)}); "
            + ("a vjp takes the adjoint g of the result, the result y, "
               f"then every argument of {label}" if role == "vjp" else
               "a jvp takes the arguments (a tuple) and their tangents")) \
            from None


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
