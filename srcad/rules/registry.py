"""The derivative rule registry and the helpers that fill it.

A rule is keyed by the object it differentiates (`np.exp`, `math.sin`, or an
operator's gast class such as `gast.Mult`) and has a signature written like a
call, `"sum(x, axis=None, keepdims=False)"`: the names without defaults are
the parameters a derivative can flow through, the others are options passed
through to the templates.

Templates are expressions (see template.py) in the parameters, `y` (the
result) and `g` (the adjoint of the result). Helpers are named for the kind
of rule, as in JAX:

- `elementwise(fn, sig, x="g * np.cos(x)")`: the derivative is diagonal, so
  one template per parameter serves both modes: reverse uses it as written,
  forward substitutes the parameter's tangent for `g`. The framework undoes
  (reverse) or applies (forward) broadcasting around it.
- `linear(fn, sig, x="transpose of fn applied to g")`: fn is linear in each
  listed parameter; forward mode calls fn itself on the tangent.
  `by_ndims={(2, 1): {...}}` gives plainer transposes for operands of
  those ndims (`np.outer(g, b)` for a matrix times a vector).
  `shape_only=("x",)` says the transpose reads only x's shape, so the
  framework may pass any value of that shape (one computed anyway).
- `define(fn, sig, reverse={...}, forward={...})`: anything else; forward
  templates use `dx` for the tangent of parameter `x`.
- `batched={...}` (linear and define): forward templates for tangents with
  a leading axis of directions (forward-mode `grad` in one pass); a rule
  without them (elementwise ones need none) runs its forward template one
  direction at a time inside that pass.
- `NO_DERIVATIVE` as a parameter's template (reverse): the function has
  a derivative in it, but srcad has no rule for it; a call where that
  parameter carries a derivative is refused with a located error (never a
  silent zero, as for a parameter with no template).
- `nondiff(fn, ...)`: the result carries no derivative (floor, sign, shape,
  constructors, comparisons).
- kind "function" (made by srcad.defvjp / srcad.primitive): Python
  functions `vjp(g, y, *args)` and `jvp(args, tangents)` give the
  derivative; see extend.py.
"""
import inspect
import itertools

import gast

REQUIRED = object()
LINEAR = "linear"
NO_DERIVATIVE = None  # see the module docstring

RULES = {}
# Functions whose result is a tuple or list of arrays: their derivatives
# are added element by element (ad.add), never with +.
SEQUENCES = set()
# Functions whose result is a tuple or list when an argument is one (the
# runtime helpers generated code passes adjoints of lists through).
KEEPS_SEQUENCE = set()


# Functions with no derivative, by design: why, and what to write instead
# (the message of the error a call needing their derivative raises).
UNDIFFERENTIABLE = {}


def undifferentiable(fn, advice):
    UNDIFFERENTIABLE[fn] = advice


def returns_sequence(*fns):
    SEQUENCES.update(fns)


def keeps_sequence(*fns):
    KEEPS_SEQUENCE.update(fns)


class Rule:
    def __init__(self, fn, signature, reverse=None, forward=None,
                 kind="define", owner=None, shape_only=(), by_ndims=None,
                 batched=None):
        self.fn = fn
        self.name, self.params = parse_signature(signature)
        self.signature = signature
        self.reverse = dict(reverse or {})
        self.forward = dict(forward or {})
        self.kind = kind
        self.owner = owner  # the table module that defined the rule
        # parameters the reverse templates read only the shape of
        self.shape_only = set(shape_only)
        self.objects = {}   # template names for objects (user rules)
        self.vjp = self.jvp = None  # Python functions ("function" rules)
        # nondiff rules of transforms: why a call of the function they
        # return cannot be differentiated, None if it can
        self.opaque = None
        self.only = {}  # option -> the values the templates hold for
        # (ndim, ...) -> reverse templates for operands of those ndims
        self.by_ndims = dict(by_ndims or {})
        # forward templates on batched tangents (see runtime_batch.py);
        # elementwise rules need none
        self.batched = dict(batched or {})
        if kind == "function":  # every argument may carry a derivative
            self.reverse = {p: None for p, d in self.params
                            if d is REQUIRED}

    @property
    def elementwise(self):
        return self.kind == "elementwise"

    @property
    def differentiable(self):
        return self.kind != "nondiff"

    def bind(self, args, keywords):
        """Map call arguments (nodes) to parameter names; None if they do
        not fit, else {param: node}. Missing options get their defaults."""
        names = [p for p, _ in self.params]
        if len(args) > len(names) or \
                len(args) > self.positional_before_out():
            return None
        bound = dict(zip(names, args))
        renamed = self.renamed()
        for key, value in keywords:
            key = renamed.get(key, key)
            if key not in names or key in bound:
                return None
            bound[key] = value
        for param, default in self.params:
            if param not in bound:
                if default is REQUIRED:
                    return None
                bound[param] = gast.Constant(value=default, kind=None)
        return bound

    def renamed(self):
        """The function's own names for parameters the rule names
        otherwise (templates name the result `y`, so np.trapezoid's `y`
        is `a` in its rule): {its name: the rule's}, for keywords."""
        found = getattr(self, "_renamed", None)
        if found is None:
            found = self._renamed = {}
            try:
                real = inspect.signature(self.fn).parameters.values()
            except (TypeError, ValueError):
                real = []
            by_keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          inspect.Parameter.KEYWORD_ONLY)
            real = list(itertools.takewhile(
                lambda p: p.kind in by_keyword, real))
            real = [p.name for p in real]
            names = [p for p, _ in self.params]
            for theirs, ours in zip(real, names):
                if theirs == ours:
                    continue
                if theirs in names or ours in real:
                    break  # not a renaming: the two lists part here
                found[theirs] = ours
        return found

    def positional_before_out(self):
        """How many arguments may come by position: the function's own
        `out` parameter, which rules leave out, ends them (np.sum(a, 0,
        None, o) gives o as out, not as keepdims)."""
        limit = getattr(self, "_positional", None)
        if limit is None:
            try:
                real = list(inspect.signature(self.fn).parameters)
            except (TypeError, ValueError):
                real = []
            names = {p for p, _ in self.params}
            limit = real.index("out") if "out" in real and \
                "out" not in names else len(self.params)
            self._positional = limit
        return limit

    def __repr__(self):
        return f"<rule {self.signature}>"


def parse_signature(signature):
    call = gast.parse(signature, mode="eval").body
    params = [(a.id, REQUIRED) for a in call.args]
    for kw in call.keywords:
        params.append((kw.arg, literal(kw.value)))
    return call.func.id if isinstance(call.func, gast.Name) else \
        call.func.attr, params


def literal(node):
    import ast
    return ast.literal_eval(gast.gast_to_ast(node))


def lookup(fn):
    """The rule for `fn`, or None."""
    try:
        return RULES.get(fn)
    except TypeError:  # unhashable callables have no rule
        return None


def register(fn, rule):
    RULES[fn] = rule
    return rule


def elementwise(fn, signature, owner=None, **templates):
    return register(fn, Rule(fn, signature, reverse=templates,
                              kind="elementwise", owner=owner))


def linear(fn, signature, owner=None, shape_only=(), by_ndims=None,
           batched=None, **transposes):
    """`by_ndims` maps the ndims of the parameters with transposes (in
    order) to plainer transposes for those ndims, used where generated
    code knows them (a derivative specialized to its arguments)."""
    forward = {p: LINEAR for p in transposes}
    return register(fn, Rule(fn, signature, reverse=transposes,
                             forward=forward, kind="linear", owner=owner,
                             shape_only=shape_only, by_ndims=by_ndims,
                             batched=batched))


def define(fn, signature, reverse, forward=None, owner=None, batched=None,
           only=None):
    """`only`: options the templates hold for these values only
    ({"method": ("linear",)}); another constant there is refused where
    the call is, another value when it runs."""
    rule = Rule(fn, signature, reverse=reverse, forward=forward,
                owner=owner, batched=batched)
    rule.only = dict(only or {})
    return register(fn, rule)


def nondiff(fn, signature=None, owner=None):
    name = signature or getattr(fn, "__name__", repr(fn))
    rule = Rule(fn, "f()", kind="nondiff", owner=owner)
    rule.name = name
    rule.signature = name
    return register(fn, rule)
