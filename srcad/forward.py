"""Forward mode: a tangent statement right after each active statement.

`program(fdef, info, captured, namer, wrt, kind)` returns the functions of a
forward-mode transform. The core is the jvp function `f_jvp(x, ..., dx,
...)`, returning `(output, doutput)`: the tangent of `x` is `dx`, and each
active primal statement is followed by the statement computing the tangent
of its target from the tangents of its operands.

- elementwise rules reuse their reverse template with the operand's tangent
  in place of `g`, broadcast to the result's shape where it may differ;
- linear rules call the function itself on the tangent (once per active
  operand, so bilinear `a @ b` gives `da @ b + a @ db`);
- other rules give a forward template per operand in `dx`.

`grad(mode="forward")` and `jacobian(mode="forward")` push all basis
directions through one pass of a batched jvp (kind "jvps",
`ad.grad_by_batch`): each tangent carries a leading axis of directions
(runtime_batch.py). Elementwise rules need nothing more (a tangent of
fewer dimensions is lifted), other rules give `batched` templates, and a
rule without them runs its forward template one direction at a time
(`ad.each(batch, lambda dx: ..., dx)`) inside the one pass.
"""
import copy

import gast

from . import build
from .build import assign, attr, call, const, name
from .errors import NoDerivativeRule, located
from .values import TAKES_SEQUENCE
from .assemble import Program, check_scalar_output, return_site
from .reverse import (Modules, Reverse, _as_value, callee, comment_all,
                      refuse_underived, split_return)
from .tape import mark, own_before_writes
from .rules.registry import LINEAR
from .template import expand


def program(fdef, info, captured, namer, wrt, kind, as_tuple,
            optimized=True):
    """Forward-mode functions for transform `kind` of `fdef` (the same
    whether optimized or not)."""
    tangent = Forward(info, captured, namer, batched=kind != "jvp")
    jvp = tangent.jvp_function(fdef, wrt)
    runtime_name = tangent.modules["ad"]
    if kind in ("jvp", "jvps"):
        return Program([jvp], jvp.name, runtime_name)
    check_scalar_output(fdef, info, captured)
    fn_name = namer.reserve(f"{fdef.name}_{kind}")
    site = captured.bind_module(return_site(captured, split_return(fdef)[1]),
                                "return_site", namer)
    driver = call(attr(runtime_name, "grad_by_batch"), [
        name(jvp.name),
        build.tuple_([name(p) for p in captured.params]),
        build.tuple_([build.const(captured.params.index(p)) for p in wrt]),
        build.const(kind == "value_and_grad"), build.const(as_tuple),
        name(site), build.tuple_([build.const(captured.params.index(p))
                                  for p in wrt if p in info.tuples])])
    wrapper = build.function(fn_name, captured.params, [build.ret(driver)])
    wrapper.args.defaults = captured.defaults(namer)
    return Program([jvp, wrapper], fn_name, runtime_name)


class Forward:
    def __init__(self, info, captured, namer, batched=False):
        self.info = info
        self.captured = captured
        self.namer = namer
        self.modules = Modules(captured, namer)
        # tangents carry a leading axis of `self.batch` directions
        self.batched = batched
        self.batch = namer.reserve("batch") if batched else None
        self.tangent_names = set()  # every tangent name made so far

    def index(self, index):
        """An index as a value: `1:n, i` -> `(slice(1, n), i)`."""
        return _as_value(index, self.modules["slice"])

    def each(self, term):
        """`term`, a tangent for one direction, made batched: run for each
        direction by `ad.each` (a rule with no batched template)."""
        if not self.batched:
            return term
        tangents = sorted(build.loads(term) & self.tangent_names)
        # parameters of names of their own, which no pass renames: the
        # optimizer may replace the tangents passed in by copies of them
        own = {t: self.namer.fresh("one_" + t) for t in tangents}
        body = build.transform(term, lambda node: name(own[node.id])
                               if type(node) is gast.Name and
                               node.id in own else node)
        params = gast.arguments(
            args=[gast.Name(id=own[t], ctx=gast.Param(), annotation=None,
                            type_comment=None) for t in tangents],
            posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
            kwarg=None, defaults=[])
        return call(self.helper("each"), [
            name(self.batch), gast.Lambda(args=params, body=body)] +
            [name(t) for t in tangents])

    def zeros(self, node):
        """A zero tangent for the value of `node`."""
        if self.batched:
            return call(self.helper("batch_zeros"), [node, name(self.batch)])
        return call(self.helper("zeros_like"), [node])

    def tan(self, id_):
        tangent = self.namer.tangent(id_)
        self.tangent_names.add(tangent)
        return tangent

    def helper(self, fn_name):
        return attr(self.modules["ad"], fn_name)

    def jvp_function(self, fdef, wrt):
        primal, returned = split_return(fdef)
        body = own_before_writes(self.block(primal), self.helper("own"))
        # an argument outside wrt that a loop or branch makes active starts
        # with a zero tangent
        body[:0] = [assign(self.tan(p), self.zeros(name(p)))
                    for p in self.captured.params
                    if p in self.info.active and p not in wrt]
        if self.batched:
            body.insert(0, assign(self.batch, call(
                self.helper("batch_size"), [name(self.tan(p)) for p in wrt])))
        output = returned.value
        if isinstance(output, gast.Name) and output.id in self.info.active:
            dout = name(self.tan(output.id))
        else:
            dout = self.zeros(copy.deepcopy(output))
        body = comment_all(body, self.captured)
        body.append(build.located(
            build.ret(build.tuple_([copy.deepcopy(output), dout])),
            returned))
        params = list(self.captured.params) + [self.tan(p) for p in wrt]
        fn = build.function(self.namer.reserve(fdef.name + "_jvp"), params,
                            body, fdef)
        if fdef.args.defaults:  # tangents follow: they need defaults too
            fn.args.defaults = self.captured.defaults(self.namer) + \
                [build.const(None) for _ in wrt]
        return fn

    def block(self, stmts):
        """`stmts` with the tangent statements beside them."""
        out = []
        for stmt in stmts:
            out.append(stmt)
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                stmt.body = self.block(stmt.body)
                stmt.orelse = self.block(stmt.orelse)
                continue
            op = self.info.op(stmt)
            if self.info.differentiates(op):
                if op.kind == "call":  # the jvp computes the value too
                    out.pop()
                for tangent in getattr(self, "tangent_" + op.kind)(op):
                    out.append(build.located(tangent, stmt))
        return out

    def tangent_call(self, op):
        """`y = h(a, b)` becomes `y, dy = ad.call_jvp(h, wrt, (da, db), a,
        b)`: h's own forward-mode derivative (`call_jvps`, batched)."""
        y = op.targets[0]
        sources = self.active_sources(op)
        wrt = build.const(tuple(p for p, n in sources))
        tangents = build.tuple_([name(self.tan(n.id)) for _, n in sources])
        func, args, keywords = callee(op, self.captured, self.namer)
        jvp = call(self.helper("call_jvps" if self.batched else "call_jvp"),
                   [func, wrt, tangents] + args)
        jvp.keywords = keywords
        yield assign(build.tuple_([name(y, store=True),
                                   name(self.tan(y), store=True)],
                                  store=True), jvp)

    def active_sources(self, op):
        return [(p, n) for p, n in op.sources if n.id in self.info.active]

    def total(self, target, terms):
        if not terms:
            return self.zeros(name(target))
        if target not in self.info.tuples:
            return build.summed(terms)
        result = terms[0]
        for term in terms[1:]:  # lists add item by item
            result = call(self.helper("add"), [result, term])
        return result

    # -- one statement each ------------------------------------------------

    def tangent_rule(self, op):
        y = op.targets[0]
        rule = op.rule
        if rule.kind == "function":
            yield self.tangent_function(op)
            return
        refuse_underived(op, self.active_sources(op), self.captured)
        terms = []
        for param, node in self.active_sources(op):
            dnode = name(self.tan(node.id))
            if rule.elementwise:
                if node.id in self.info.tuples:  # np.add(xs, ys) of lists
                    dnode = self.as_array(dnode)
                fills = self.info.fills(op, node.id)
                if self.batched and not fills:  # directions stay in front
                    dnode = call(self.helper("lift"), [dnode, name(y)])
                bindings = dict(self.bindings(op), g=dnode)
                term = expand(rule.reverse[param], bindings, self.modules)
                if not fills:
                    spread = "batch_broadcast" if self.batched \
                        else "broadcast_like"
                    term = call(self.helper(spread), [term, name(y)])
            elif self.batched and param in rule.batched:
                term = expand(rule.batched[param], self.with_tangents(op),
                              self.modules)
            elif rule.forward.get(param) == LINEAR:
                term = _replace_operand(op.stmt.value, op.bound[param], dnode)
                if rule.fn not in (gast.USub, gast.UAdd):
                    term = self.each(term)
            elif param in rule.forward:
                term = self.each(expand(rule.forward[param],
                                        self.with_tangents(op), self.modules))
            else:
                raise located(NoDerivativeRule,
                              f"the rule for {rule.signature} has no forward "
                              f"mode; use mode='reverse'", op.stmt,
                              self.captured)
            terms.append(term)
        yield assign(self.tan(y), self.total(y, terms))

    bindings = Reverse.bindings

    def with_tangents(self, op):
        """A forward template's bindings: the rule's, and `dx` for the
        tangent of each active parameter `x`."""
        bindings = self.bindings(op)
        for p, n in self.active_sources(op):
            d = name(self.tan(n.id))
            if n.id in self.info.tuples and \
                    op.rule.owner == "srcad.rules.numpy" and \
                    op.rule.fn not in TAKES_SEQUENCE:
                d = self.as_array(d)  # for a NumPy function taking an array
            bindings["d" + p] = d
        return bindings

    def as_array(self, d):
        """A list's tangent (a list of tangents) as one array, the
        directions first."""
        return call(self.helper("batch_array") if self.batched
                    else attr(self.modules["np"], "asarray"), [d])
    user_function = Reverse.user_function

    def tangent_function(self, op):
        """A rule given as Python functions: dy = jvp(args, tangents)."""
        rule = op.rule
        jvp = self.user_function(op, "jvp")
        args, tangents = [], []
        for param, _ in rule.params:  # options too, with zero tangents
            node = op.bound[param]
            args.append(copy.deepcopy(node))
            if isinstance(node, gast.Name) and node.id in self.info.active:
                tangents.append(name(self.tan(node.id)))
            else:  # one direction's zeros
                tangents.append(call(self.helper("zeros_like"),
                                     [copy.deepcopy(node)]))
        # checked: a tangent of a wrong shape is an error naming the rule
        given = call(name(jvp), [build.tuple_(args), build.tuple_(tangents)])
        return assign(self.tan(op.targets[0]), self.each(call(
            self.helper("tangent"), [given, const(rule.signature),
                                     name(op.targets[0])])))

    def tangent_nondiff(self, op):
        for t in op.targets:
            yield assign(self.tan(t), self.zeros(name(t)))

    def tangent_setitem(self, op):
        place = op.stmt.targets[0]
        y = place.value.id
        value = op.stmt.value
        if isinstance(value, gast.Name) and value.id in self.info.active:
            dvalue = name(self.tan(value.id))
        else:
            dvalue = build.const(0.0)
        if self.batched:
            write = call(self.helper("batch_assign"), [
                name(self.tan(y)), self.index(place.slice), dvalue])
            yield mark(gast.Expr(value=write), "inplace", self.tan(y))
            return
        target = gast.Subscript(value=name(self.tan(y)),
                                slice=copy.deepcopy(place.slice),
                                ctx=gast.Store())
        yield mark(assign(target, dvalue), "inplace", self.tan(y))

    def tangent_append(self, op):
        y = op.targets[0]
        value = op.stmt.value.args[0]
        if isinstance(value, gast.Name) and value.id in self.info.active:
            dvalue = name(self.tan(value.id))
        else:
            dvalue = self.zeros(copy.deepcopy(value))
        grow = call(attr(self.tan(y), "append"), [dvalue])
        yield mark(gast.Expr(value=grow), "inplace", self.tan(y))

    def tangent_pop(self, op):
        (_, owner), = op.sources
        took = call(attr(self.tan(owner.id), "pop"), [])
        if op.targets[0] in self.info.active:
            stmt = assign(self.tan(op.targets[0]), took)
        else:  # the derivative list keeps in step
            stmt = gast.Expr(value=took)
        yield mark(stmt, "inplace", self.tan(owner.id))

    def inactive(self, op):
        """The tangent of a target all of whose sources are constant."""
        return [assign(self.tan(t), self.zeros(name(t)))
                for t in op.targets]

    def tangent_copy(self, op):
        if not self.active_sources(op):
            return self.inactive(op)
        (_, node), = op.sources
        return [assign(self.tan(op.targets[0]), name(self.tan(node.id)))]

    def tangent_subscript(self, op):
        if not self.active_sources(op):
            return self.inactive(op)
        (_, node), = op.sources
        if self.batched:
            value = call(self.helper("batch_index"), [
                name(self.tan(node.id)), self.index(op.stmt.value.slice)])
        else:
            value = _replace_operand(op.stmt.value, op.stmt.value.value,
                                     name(self.tan(node.id)))
        return [assign(self.tan(op.targets[0]), value)]

    def tangent_pack(self, op):
        elts = []
        for elt in op.stmt.value.elts:
            if isinstance(elt, gast.Name) and elt.id in self.info.active:
                elts.append(name(self.tan(elt.id)))
            else:
                elts.append(self.zeros(copy.deepcopy(elt)))
        display = type(op.stmt.value)(elts=elts, ctx=gast.Load())
        yield assign(self.tan(op.targets[0]), display)

    def tangent_unpack(self, op):
        if not self.active_sources(op):
            return self.inactive(op)
        (_, node), = op.sources
        targets = [name(self.tan(t), store=True) for t in op.targets]
        value = name(self.tan(node.id))
        if self.batched:  # an array's items lie behind the directions
            value = call(self.helper("batch_items"), [value])
        return [assign(build.tuple_(targets, store=True), value)]


def _replace_operand(value, operand, replacement):
    """A copy of expression `value` with the child node `operand` (by
    identity) replaced by `replacement`."""
    new = copy.copy(value)
    for field, old in gast.iter_fields(value):
        if old is operand:
            setattr(new, field, replacement)
        elif isinstance(old, list):
            items = []
            for item in old:
                if item is operand:
                    items.append(replacement)
                elif isinstance(item, gast.keyword) and item.value is operand:
                    items.append(gast.keyword(arg=item.arg,
                                              value=replacement))
                else:
                    items.append(copy.deepcopy(item))
            setattr(new, field, items)
        else:
            setattr(new, field, copy.deepcopy(old))
    return new
