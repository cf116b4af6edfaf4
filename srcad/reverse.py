"""Reverse mode: the primal statements, then the adjoint sweep.

`reverse(fdef, info, captured, namer, wrt)` returns `Parts`: the primal
statements, the returned atom, and the adjoint sweep that runs the
statements backwards applying each one's rule. The adjoint of `x` is `bx`.
Every active adjoint starts as `ad.zeros_like(x)` and each contribution is
added (`bx = bx + ...`); the optimizer turns a first contribution into a
plain assignment, so the naive form is what `optimize=False` shows.

`grad_function` and the split pair `vjp_functions` assemble Parts into
functions: grad runs the primal and the sweep in one body; vjp has a forward
function returning `(output, residuals)` and a backward function taking
`(residuals, cotangent)`.
"""
import copy
import math

import gast
import numpy as np

from . import build, runtime
from .build import assign, attr, call, const, name
from .template import expand


class Parts:
    def __init__(self, primal, returned, cotangent, adjoint, grads,
                 modules):
        self.primal = primal          # statements
        self.returned = returned      # the primal's return statement
        self.output = returned.value  # the atom it returns
        self.cotangent = cotangent    # name of the incoming cotangent
        self.adjoint = adjoint        # statements
        self.grads = grads            # one adjoint name per wrt parameter
        self.modules = modules        # template module -> generated name
        self.surely_scalar = False    # the output is known to be scalar


def reverse(fdef, info, captured, namer, wrt):
    return Reverse(info, captured, namer).parts(fdef, wrt)


class Modules(dict):
    """Template module names, bound in the generated namespace on use."""

    def __init__(self, captured, namer):
        super().__init__()
        self.captured = captured
        self.namer = namer

    def __missing__(self, key):
        obj = {"np": np, "ad": runtime, "math": math}[key]
        self[key] = self.captured.bind_module(obj, key, self.namer)
        return self[key]

    def get(self, key, default=None):
        return self[key]


class Reverse:
    def __init__(self, info, captured, namer):
        self.info = info
        self.captured = captured
        self.namer = namer
        self.modules = Modules(captured, namer)

    def adj(self, id_):
        return self.namer.adjoint(id_)

    def helper(self, fn_name):
        return attr(self.modules["ad"], fn_name)

    # -- the sweep ---------------------------------------------------------

    def parts(self, fdef, wrt):
        primal, returned = split_return(fdef)
        output = returned.value
        active = self.info.active
        out_active = isinstance(output, gast.Name) and output.id in active
        cotangent = self.namer.reserve("bout")
        sweep = self.initial_zeros(fdef, primal, wrt)
        if out_active:
            sweep.append(self.contribute(output.id, name(cotangent), output))
        adjoints = []
        for stmt in reversed(primal):
            op = self.info.op(stmt)
            if set(op.targets) & active:
                for adjoint in getattr(self, "adjoint_" + op.kind)(op):
                    adjoints.append(build.located(adjoint, stmt))
        sweep.extend(commented(adjoints, self.captured, "grad of: "))
        grads = [self.adj(p) for p in wrt]
        parts = Parts(primal, returned, cotangent, sweep, grads, self.modules)
        parts.surely_scalar = build.is_number(output) or (
            isinstance(output, gast.Name) and
            self.info.shapes.is_scalar(output.id))
        return parts

    def initial_zeros(self, fdef, primal, wrt):
        order = list(wrt)
        for stmt in primal:
            order.extend(self.info.op(stmt).targets)
        inits = []
        seen = set()
        for id_ in order:
            if id_ in seen or (id_ not in self.info.active and
                               id_ not in wrt):
                continue
            seen.add(id_)
            zero = call(self.helper("zeros_like"), [name(id_)])
            inits.append(assign(self.adj(id_), zero, fdef))
        return inits

    def contribute(self, id_, expr, like):
        total = self.adj(id_)
        if id_ in self.info.tuples:
            value = call(self.helper("add"), [name(total), expr])
        else:
            value = gast.BinOp(left=name(total), op=gast.Add(), right=expr)
        return assign(total, value, like)

    # -- one statement each ------------------------------------------------

    def active_sources(self, op):
        return [(p, n) for p, n in op.sources if n.id in self.info.active]

    def adjoint_rule(self, op):
        y = op.targets[0]
        bindings = dict(op.bound, y=name(y), g=name(self.adj(y)))
        for param in op.rule.shape_only:
            if isinstance(bindings[param], gast.Name):
                bindings[param] = self.shape_of(bindings[param].id)
        for param, node in self.active_sources(op):
            expr = expand(op.rule.reverse[param], bindings, self.modules)
            if op.rule.elementwise and not self.info.same_shape(node.id, y):
                expr = call(self.helper("unbroadcast"),
                            [expr, self.shape_of(node.id)])
            yield self.contribute(node.id, expr, op.stmt)

    def shape_of(self, id_):
        """Something with the shape of `id_`, made of values computed
        anyway, so a value needed only for its shape need not be kept."""
        names = self.info.shapes.shape_source(id_)
        if len(names) == 1:
            return name(names[0])
        return call(self.helper("Like"), [name(n) for n in names])

    def adjoint_copy(self, op):
        for _, node in self.active_sources(op):
            yield self.contribute(node.id, name(self.adj(op.targets[0])),
                                  op.stmt)

    def adjoint_subscript(self, op):
        value = op.stmt.value
        index = gast.Subscript(value=attr(self.modules["np"], "s_"),
                               slice=copy.deepcopy(value.slice),
                               ctx=gast.Load())
        for _, node in self.active_sources(op):
            g = name(self.adj(op.targets[0]))
            expr = call(self.helper("unindex"), [g, name(node.id), index])
            yield self.contribute(node.id, expr, op.stmt)

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


def split_return(fdef):
    """The statements before the return, and the return statement."""
    for i, stmt in enumerate(fdef.body):
        if isinstance(stmt, gast.Return):
            return fdef.body[:i], stmt
    return list(fdef.body), build.located(build.ret(const(None)), fdef)


# -- assembling functions ------------------------------------------------------

def grad_function(fn_name, params, parts, wrt, captured, namer,
                  with_value=False, as_tuple=False):
    """One function: primal, a scalar check, the sweep, the gradients."""
    ad = parts.modules["ad"]
    site = captured.bind_module(return_site(captured, parts.returned),
                                "return_site", namer)
    check = call(attr(ad, "check_scalar"),
                 [copy.deepcopy(parts.output), name(site)])
    body = commented(parts.primal, captured)
    if not parts.surely_scalar:
        body.append(build.located(gast.Expr(value=check), parts.returned))
    body.append(assign(parts.cotangent, const(1.0)))
    body.extend(parts.adjoint)
    grads = _results(parts, wrt, as_tuple)
    if with_value:
        grads = build.tuple_([copy.deepcopy(parts.output), grads])
    body.append(build.ret(grads))
    return build.function(fn_name, params, body)


def _results(parts, wrt, always_tuple=False):
    ad = parts.modules["ad"]
    results = [call(attr(ad, "result"), [name(g), name(p)])
               for g, p in zip(parts.grads, wrt)]
    if len(results) == 1 and not always_tuple:
        return results[0]
    return build.tuple_(results)


def vjp_functions(fn_name, params, parts, wrt, namer, captured):
    """The split pair: forward -> (output, residuals); backward."""
    fwd_body = commented(parts.primal, captured)
    fwd_body.append(build.ret(build.tuple_(
        [copy.deepcopy(parts.output), build.tuple_([])])))
    fwd = build.function(namer.reserve(fn_name + "_fwd"), params, fwd_body)
    residuals = namer.reserve("residuals")
    bwd_body = [assign(build.tuple_([], store=True), name(residuals))]
    bwd_body.extend(parts.adjoint)
    bwd_body.append(build.ret(_results(parts, wrt, always_tuple=True)))
    bwd = build.function(namer.reserve(fn_name + "_bwd"),
                         [residuals, parts.cotangent], bwd_body)
    return fwd, bwd


def commented(statements, captured, prefix=""):
    """`statements` with a comment naming the user's line above each group
    of statements that comes from one line."""
    if not prefix and captured.filename.startswith("<srcad"):
        return list(statements)  # generated code names its own lines
    out = []
    last = None
    for stmt in statements:
        line = getattr(stmt, "lineno", None)
        if line is not None and line != last:
            text = captured.line_text(line).strip()
            out.append(build.comment(prefix + text, stmt))
            last = line
        out.append(stmt)
    return out


def set_residuals(fwd, bwd, defined):
    """Pass from fwd to bwd exactly the primal names bwd reads."""
    rest = build.function("f", [], bwd.body[1:])
    needed = sorted((build.loads(rest) - build.stores(rest)) & defined)
    fwd.body[-1].value.elts[1].elts = [name(n) for n in needed]
    residuals = bwd.args.args[0].id
    if needed:
        targets = build.tuple_([name(n, store=True) for n in needed],
                               store=True)
        bwd.body[0] = assign(targets, name(residuals))
    else:
        bwd.body[0] = build.comment("nothing was saved by the forward pass")


def return_site(captured, node):
    """A callable making an error located at `node`, the return."""
    from .errors import located

    def where(kind, message):
        return located(kind, message, node, captured)
    return where


class Program:
    """The generated functions of one transform, before emitting."""

    def __init__(self, functions, entry, runtime_name, residuals=None):
        self.functions = functions
        self.entry = entry
        self.runtime_name = runtime_name
        self.residuals = residuals  # for vjp: (fwd, bwd, primal names)

    def optimize(self, clean_up):
        if self.residuals is None:
            self.functions = [clean_up(f) for f in self.functions]
            return
        fwd, bwd, defined = self.residuals
        clean_up(bwd)
        set_residuals(fwd, bwd, defined)
        clean_up(fwd)


def program(fdef, info, captured, namer, wrt, kind, as_tuple):
    """Reverse-mode functions for transform `kind` of `fdef`."""
    parts = reverse(fdef, info, captured, namer, wrt)
    params = captured.params
    runtime_name = parts.modules["ad"]
    if kind in ("grad", "value_and_grad"):
        fn_name = namer.reserve(f"{fdef.name}_{kind}")
        fn = grad_function(fn_name, params, parts, wrt, captured, namer,
                           kind == "value_and_grad", as_tuple)
        _copy_defaults(fn, fdef)
        return Program([fn], fn_name, runtime_name)
    fwd, bwd = vjp_functions(fdef.name, params, parts, wrt, namer, captured)
    _copy_defaults(fwd, fdef)
    defined = set(params) | build.stores(build.function("f", [], parts.primal))
    set_residuals(fwd, bwd, defined)
    return Program([fwd, bwd], fwd.name, runtime_name, (fwd, bwd, defined))


def _copy_defaults(fn, fdef):
    fn.args.defaults = copy.deepcopy(fdef.args.defaults)
