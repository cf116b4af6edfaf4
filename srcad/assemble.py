"""Assemble: reverse-mode Parts -> the functions of a transform.

`program(fdef, info, captured, namer, wrt, kind, as_tuple)` returns a
`Program`: for grad (and value_and_grad) one function that runs the primal
and the adjoint sweep in one body; for vjp the split pair, a forward
function returning `(output, residuals)` and a backward function taking
`(residuals, cotangent)`. Residuals are exactly the primal names the
backward function reads, worked out again after optimization.
"""
import gast

from . import build
from .build import assign, attr, call, clone, const, name
from .errors import NonScalarOutput, located
from .optimize import release
from .reverse import reverse, split_return
from .runtime import non_scalar_message


class Program:
    """The generated functions of one transform, before emitting."""

    def __init__(self, functions, entry, runtime_name, residuals=None):
        self.functions = functions
        self.entry = entry
        self.runtime_name = runtime_name
        self.residuals = residuals  # for vjp: (fwd, bwd, primal names)

    def optimize(self, clean_up, numbers=frozenset()):
        if self.residuals is None:
            self.functions = [release(clean_up(f), numbers)
                              for f in self.functions]
            return
        fwd, bwd, defined = self.residuals
        clean_up(bwd)
        set_residuals(fwd, bwd, defined, self.runtime_name)
        clean_up(fwd)
        release(fwd, numbers)
        release(bwd, numbers)


def program(fdef, info, captured, namer, wrt, kind, as_tuple,
            optimized=True):
    """Reverse-mode functions for transform `kind` of `fdef` (`optimized`:
    whether the optimizer will run on them)."""
    parts = reverse(fdef, info, captured, namer, wrt, optimized)
    params = captured.params
    runtime_name = parts.modules["ad"]
    _keep_arguments(parts, wrt, namer)
    if kind in ("grad", "value_and_grad"):
        check_scalar_output(fdef, info, captured)
        fn_name = namer.reserve(f"{fdef.name}_{kind}")
        fn = grad_function(fn_name, params, parts, wrt, captured, namer,
                           kind == "value_and_grad", as_tuple)
        fn.args.defaults = captured.defaults(namer)
        return Program([fn], fn_name, runtime_name)
    fwd, bwd = vjp_functions(fdef.name, params, parts, wrt, namer)
    fwd.args.defaults = captured.defaults(namer)
    defined = set(params) | build.stores(build.function("f", [], parts.primal))
    set_residuals(fwd, bwd, defined, runtime_name)
    return Program([fwd, bwd], fwd.name, runtime_name, (fwd, bwd, defined))


def check_scalar_output(fdef, info, captured):
    """grad of a function that surely returns a tuple or list fails here,
    at the return, before any code is generated: the sweep would index
    the seed 1.0 (`(1.0)[0]`, which Python warns about)."""
    returned = split_return(fdef)[1]
    output = returned.value
    if isinstance(output, gast.Name) and output.id in info.displays:
        raise located(NonScalarOutput, non_scalar_message("a tuple or list"),
                      returned, captured)


def grad_function(fn_name, params, parts, wrt, captured, namer,
                  with_value=False, as_tuple=False):
    """One function: primal, a scalar check, the sweep, the gradients."""
    ad = parts.modules["ad"]
    site = captured.bind_module(return_site(captured, parts.returned),
                                "return_site", namer)
    body = list(parts.primal)
    if not parts.surely_scalar:
        check = call(attr(ad, "check_scalar"),
                     [clone(parts.output), name(site)])
        body.append(build.located(gast.Expr(value=check), parts.returned))
    value = clone(parts.output)
    if with_value:
        value = _kept_value(value, parts, namer, body)
    body.append(assign(parts.cotangent, const(1.0)))
    body.extend(parts.adjoint)
    grads = _results(parts, wrt, as_tuple)
    if with_value:
        grads = build.tuple_([value, grads])
    body.append(build.ret(grads))
    return build.function(fn_name, params, body)


def _kept_value(output, parts, namer, body):
    """The output as the primal left it: the sweep restores a name
    assigned in a loop or branch to its earlier values from the tape (and
    the old items of an array written by item), so a name it assigns is
    kept under another name before the sweep runs."""
    if not isinstance(output, gast.Name):
        return output
    sweep = build.function("f", [], parts.adjoint)
    if output.id in _written_items(parts.adjoint):
        kept = namer.reserve(output.id + "_out")
        body.append(assign(kept, call(attr(parts.modules["ad"], "copy"),
                                      [output])))
        return name(kept)
    if output.id in build.stores(sweep):
        kept = namer.reserve(output.id + "_out")
        body.append(assign(kept, output))
        return name(kept)
    return output


def _keep_arguments(parts, wrt, namer):
    """A wrt argument the function assigns anew (`x = np.concatenate([x,
    x])` in a loop) is kept under another name first: its gradient takes
    the argument's shape and type, not those of what x held last."""
    parts.arguments = {}
    assigned = build.stores(build.function("f", [], parts.primal))
    for p in sorted(set(wrt) & assigned, reverse=True):
        kept = parts.arguments[p] = namer.reserve(p + "_in")
        parts.primal.insert(0, assign(kept, name(p)))


def _results(parts, wrt, always_tuple=False):
    ad = parts.modules["ad"]
    results = [call(attr(ad, "result"),
                    [name(g), name(parts.arguments.get(p, p))])
               for g, p in zip(parts.grads, wrt)]
    if len(results) == 1 and not always_tuple:
        return results[0]
    return build.tuple_(results)


def vjp_functions(fn_name, params, parts, wrt, namer):
    """The split pair: forward -> (output, residuals); backward."""
    fwd_body = list(parts.primal)
    fwd_body.append(build.ret(build.tuple_(
        [clone(parts.output), build.tuple_([])])))
    fwd = build.function(namer.reserve(fn_name + "_fwd"), params, fwd_body)
    residuals = namer.reserve("residuals")
    bwd_body = [assign(build.tuple_([], store=True), name(residuals))]
    if parts.tape:
        # the pullback may be called many times: each call pops its own copy
        bwd_body.append(assign(parts.tape, call(name("list"),
                                                [name(parts.tape)])))
    bwd_body.extend(parts.adjoint)
    bwd_body.append(build.ret(_results(parts, wrt, always_tuple=True)))
    bwd = build.function(namer.reserve(fn_name + "_bwd"),
                         [residuals, parts.cotangent], bwd_body)
    return fwd, bwd


def set_residuals(fwd, bwd, defined, runtime_name):
    """Pass from fwd to bwd exactly the primal names bwd reads. An array
    bwd writes back into (restoring y[i]) is copied first: the pullback
    may run again, and the array may be the output the caller holds. A
    name fwd may leave unbound starts as None."""
    bwd.body[:] = [s for s in bwd.body if not getattr(s, "srcad_copy", 0)]
    fwd.body[:] = [s for s in fwd.body if not getattr(s, "srcad_copy", 0)]
    needed = sorted(_free_names(bwd.body[1:])[0] & defined)
    # an array bwd writes into comes last, copied out of the residuals
    # rather than unpacked: bound once, to a copy, it provably shares no
    # memory, so bwd can be differentiated again (values.check_writes)
    written = sorted(_written_items(bwd.body[1:]) & set(needed))
    kept = [n for n in needed if n not in written]
    needed = kept + written
    fwd.body[-1].value.elts[1].elts = [name(n) for n in needed]
    params = {a.id for a in fwd.args.args}
    bound = _free_names(fwd.body[:-1], params)[1]
    for id_ in reversed([n for n in needed if n not in bound]):
        # assigned only in a loop that may run no times or a branch that
        # may not be taken: then bwd does not read it, but fwd returns it
        unset = assign(id_, const(None))
        unset.srcad_copy = True
        fwd.body.insert(0, unset)
    residuals = bwd.args.args[0].id
    if kept:
        targets = build.tuple_([name(n, store=True) for n in kept],
                               store=True)
        source = name(residuals) if not written else gast.Subscript(
            value=name(residuals), ctx=gast.Load(), slice=gast.Slice(
                lower=None, upper=const(len(kept)), step=None))
        bwd.body[0] = assign(targets, source)
    else:
        bwd.body[0] = build.comment("nothing was saved by the forward pass"
                                    if not written else
                                    "what the forward pass saved, copied")
    copies = []
    for k, id_ in enumerate(written, start=len(kept)):
        item = gast.Subscript(value=name(residuals), slice=const(k),
                              ctx=gast.Load())
        copy = assign(id_, call(attr(runtime_name, "copy"), [item]))
        copy.srcad_copy = True
        copies.append(copy)
    bwd.body[1:1] = copies


def _written_items(statements):
    """Names written into by item (y[i] = v) in `statements`."""
    names = set()
    for stmt in statements:
        for node in build.walk(stmt):
            if isinstance(node, gast.Subscript) and \
                    isinstance(node.ctx, gast.Store) and \
                    isinstance(node.value, gast.Name):
                names.add(node.value.id)
    return names


def _free_names(statements, bound=frozenset()):
    """Names some path through `statements` may read before anything
    assigns them. A loop may run no times and a branch may not be taken,
    so what they assign binds nothing after them that was not bound
    already, or bound by both arms of an `if`; a loop's target is bound
    in its body."""
    free, bound = set(), set(bound)
    for stmt in statements:
        if isinstance(stmt, (gast.For, gast.While)):
            head = stmt.iter if isinstance(stmt, gast.For) else stmt.test
            free |= build.loads(head) - bound
            inner = bound | (build.stores(stmt.target)
                             if isinstance(stmt, gast.For) else set())
            free |= _free_names(stmt.body, inner)[0]
            free |= _free_names(stmt.orelse, bound)[0]
        elif isinstance(stmt, gast.If):
            free |= build.loads(stmt.test) - bound
            body, after_body = _free_names(stmt.body, bound)
            orelse, after_else = _free_names(stmt.orelse, bound)
            free |= body | orelse
            bound |= after_body & after_else
        else:
            free |= build.loads(stmt) - bound
            bound |= build.stores(stmt)
    return free, bound


def return_site(captured, node):
    """A callable making an error located at `node`, the return."""
    from .errors import located

    def where(kind, message):
        if getattr(node, "implicit", False):
            message = (f"{captured.name} has no return statement, so it "
                       f"returns None; grad needs a scalar output (a float "
                       f"or a 0-d array): return it.")
        return located(kind, message, node, captured)
    return where
