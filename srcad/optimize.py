"""Optimize: clean-up passes over a generated function.

`optimize(fdef, is_pure)` applies, in turn until each has run once since
the last change:

- `first_contribution`: `bx = ad.zeros_like(x)` followed by `bx = bx + e`
  becomes `bx = e`;
- `propagate`: a name assigned once from another name or a constant is
  replaced by that name or constant where it is read, folding as it goes;
- `constants`: the same for constants assigned once inside loops and
  branches (also run on the primal before differentiating);
- `fold`: arithmetic on constants, `-(-e)`, `x ** 1`;
- `subtract`: `v = -a` then `v = v + b` becomes `v = b - a`, and
  `v = -a` then `y[i] += v` becomes `y[i] -= a`;
- `owns`: a private copy of an adjoint that is private already goes;
- `likes`: a shape stand-in `ad.Like(a, b)` becomes a value of that shape
  that is computed anyway;
- `ones`: the adjoint of a full sum seeded with a constant, used only in
  products with values of the summed shape, becomes that constant;
- `dead_code` (optimize_blocks.py): assignments whose value is never read,
  in loops and branches too, when the value has no side effects
  (`is_pure(call)` says whether a call may be dropped);
- `block_copies` (optimize_blocks.py): inside loops and branches, `a = b`
  lets the statements after it read `b`;
- `first_items` (optimize_blocks.py): the first `bc[idx] += e` into fresh
  zeros, or `bc[i] += e` in a loop whose index never repeats, is
  `bc[...] = e`.
- `spent_items` (optimize_items.py): `by[i] = 0.0` that nothing reads
  again (a recurrence's sweep reads only smaller indices after it).

- `reciprocals`, `cancel` (optimize_algebra.py): `e / b` is `e * r` where
  `r = 1 / b` is computed anyway; `v = a / p - b; w = v * p * q` is
  `v = a - b * p; w = v * q`.

- `defer_scales` (optimize_scales.py): scalar factors of the adjoint
  sweep (a mean's `1 / n`, a negation's sign) ride along to where they are
  read, often a smaller array, where signs may cancel.

After them, once, on the final form: `quotients` (optimize_algebra.py),
`g * y / b` is `q * y` where `q = g / b` is computed already; `signs`
(optimize_signs.py, for functions with loops), negations in derivative
statements pass through products and settle in sums (`a + -b` is
`a - b`), a temporary's adjoint assigned a negation once keeps its value
without the sign and its readers take it; `number_zeros`,
`bx = ad.zeros_like(x)` for an x known to be a number (a specialized
version's argument, a scalar a loop carries) is `bx = 0.0`, unless bx is
written into in place; and `scale_first` (folding.py): `2.0 * (s * A)`
is `(2.0 * s) * A`.

The pipeline then runs `outer_sums` (optimize_products.py): outer
products a loop adds up, `bW += np.outer(g, h)`, are kept as rows and
summed after the loop in one matrix product.

Last, `release` deletes each local after its last use (`del t3, bt2`):
large temporaries go back while the derivative runs, which matters for
arrays of more than about 100k elements.

The other passes only rewrite top-level straight-line statements and
treat any nested block as reading and writing everything it mentions, so
they stay correct for code with loops and branches.
"""
import gast

from .build import (blocks, clone, fingerprint, is_runtime_call, loads,
                    mentions, simple_assign, statements, stores, transform)
from .facts import Changes, Facts, facts_of
from .folding import fold, folded as _folded, scale_first
from .optimize_algebra import cancel, quotients, reciprocals
from .optimize_blocks import block_copies, dead_code, first_items, pure
from .optimize_items import spent_items
from .optimize_scales import defer_scales
from .optimize_signs import signs
from .optimize_shapes import likes, ones, stand_ins

ZERO_INIT = "zeros_like"


def release(fdef, numbers=frozenset()):
    """`del` each local after the top-level statement that last mentions it,
    so big temporaries are freed while the derivative still runs (NumPy
    hands large freed arrays back to the system; fewer alive at once means
    fewer fresh pages to fault in). Names known to hold `numbers` are
    small: no `del` for them."""
    last = {}
    locals_ = set()  # names surely bound: by a top-level simple statement
    for i, (read, wrote) in enumerate(Facts(fdef).names):
        for id_ in read | wrote:
            last[id_] = i
        if not isinstance(fdef.body[i], (gast.If, gast.For, gast.While)):
            locals_ |= wrote
    locals_ -= {a.id for a in fdef.args.args}
    dying = {}
    for id_, i in last.items():
        if id_ in locals_ and id_ not in numbers and \
                not isinstance(fdef.body[i], gast.Return):
            dying.setdefault(i, []).append(id_)
    for i in sorted(dying, reverse=True):
        gone = gast.Delete(targets=[gast.Name(id=n, ctx=gast.Del(),
                                              annotation=None,
                                              type_comment=None)
                                    for n in sorted(dying[i])])
        fdef.body.insert(i + 1, gone)
    return fdef


def optimize(fdef, is_pure, runtime_name, info=None, temporaries=()):
    passes = [first_contribution(runtime_name), propagate,  # folds too
              block_copies, first_items(runtime_name), constants, subtract,
              owns(runtime_name), spent_items(runtime_name)]
    passes.append(dead_code(is_pure))
    if info is not None:  # after dead code: only values still needed count
        passes += [ones(runtime_name, info), likes(runtime_name, info),
                   stand_ins(runtime_name, info),
                   reciprocals(info), cancel(info)]
        # after first contributions make sums single assignments, before
        # propagate takes up the copies it leaves
        passes.insert(1, defer_scales(runtime_name, info))
    fold(fdef, runtime_name)  # later, passes fold what they rewrite
    facts = Facts(fdef)
    # the passes in turn, round and round, until each has run once since
    # the last change (a pass that ran on the final form has nothing left)
    quiet, k = 0, 0
    while quiet < len(passes):
        changed = passes[k](fdef, facts)
        if changed:
            quiet = 0
            facts = facts.after(changed)
        else:
            quiet += 1
        k = (k + 1) % len(passes)
    if info is not None:  # once, on the final form
        if quotients(info)(fdef, facts):
            facts = Facts(fdef)
        if any(type(s) in (gast.For, gast.While) for s in fdef.body):
            changed, copied = signs(fdef, info.shapes.names, temporaries)
            if copied and bool(propagate(fdef)) | block_copies(fdef):
                dead_code(is_pure)(fdef)
            if changed:
                facts = Facts(fdef)
        number_zeros(fdef, runtime_name, info, facts)
    scale_first(fdef)
    return fdef


def number_zeros(fdef, runtime_name, info, facts):
    """A zero adjoint of a number is the number 0.0 (no helper call), where
    nothing writes into it in place. Last, since the passes above know
    zeros by their `ad.zeros_like` call."""
    ndims = info.shapes.ndims
    for stmt in statements(fdef.body):
        if simple_assign(stmt) and \
                is_runtime_call(stmt.value, runtime_name, ZERO_INIT) and \
                stmt.targets[0].id not in facts.written:
            of = stmt.value.args[0]
            if type(of) is gast.Name and ndims.get(of.id) == 0:
                stmt.value = gast.Constant(value=0.0, kind=None)


# -- first contribution --------------------------------------------------------

def first_contribution(runtime_name):
    def run(fdef, facts=None):
        facts = facts_of(fdef, facts)
        return _first_contribution(fdef.body, runtime_name, facts.written,
                                   [r | w for r, w in facts.names])
    return run


def _first_contribution(body, runtime_name, written, named=None,
                        nested=False):
    """The pass on one statement list, then on the lists inside it:
    `Changes` naming the statements of `body` changed in place, or False.
    In a nested list a zero nobody mentions later is kept: a loop may read
    it in its next pass."""
    changed = []
    for stmt in body:
        if any([_first_contribution(inner, runtime_name, written,
                                    nested=True) for inner in blocks(stmt)]):
            changed.append(stmt)
    if changed or named is None:  # nested lists changed: names did too
        named = [mentions(s) for s in body]
    drop = set()
    for i, stmt in enumerate(body):
        target = _zero_init(stmt, runtime_name)
        if target in written:  # keep the fresh zeros, but copy them not
            _absorb(body, named, i, target, runtime_name, drop, changed,
                    unused=False, absorb=False)
            continue
        if target and _absorb(body, named, i, target, runtime_name,
                              drop, changed, unused=not nested):
            drop.add(i)
    body[:] = [s for i, s in enumerate(body) if i not in drop]
    return Changes(changed) if changed or drop else False


def _zero_init(stmt, runtime_name):
    if not simple_assign(stmt):
        return None
    value = stmt.value
    if is_runtime_call(value, runtime_name, ZERO_INIT):
        return stmt.targets[0].id
    return None


def _absorb(body, named, i, target, runtime_name, drop, changed,
            unused=True, absorb=True):
    """Make the first later use of `target` an assignment (noted in
    `changed`); True if done (also when nothing uses the zero at all). A
    private copy made of the fresh zeros (`b = ad.own(b)`) is dropped
    instead."""
    for j in range(i + 1, len(body)):
        if target not in named[j]:
            continue
        stmt = body[j]
        if not simple_assign(stmt) or stmt.targets[0].id != target:
            return False
        if is_runtime_call(stmt.value, runtime_name, "own"):
            drop.add(j)
            return False
        rest = _added_to(stmt.value, target, runtime_name) if absorb \
            else None
        if rest is None or target in loads(rest):
            return False
        stmt.value = rest
        changed.append(stmt)
        return True
    return unused


def _added_to(value, target, runtime_name):
    """`e` when value is `target + e` or `ad.add(target, e)`."""
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add):
        left = value.left
        if isinstance(left, gast.Name) and left.id == target:
            return value.right
    if is_runtime_call(value, runtime_name, "add"):
        first = value.args[0]
        if isinstance(first, gast.Name) and first.id == target:
            return value.args[1]
    return None


# -- subtraction -------------------------------------------------------------------------

def subtract(fdef, facts=None):
    changed = _subtract(fdef.body)
    return bool(changed) and Changes(changed)


def _subtract(body):
    """The statements of `body` the pass changed (or changed inside)."""
    changed = []
    for stmt in body:
        if any([_subtract(inner) for inner in blocks(stmt)]):
            changed.append(stmt)
    for i, stmt in enumerate(body):
        if not (simple_assign(stmt) and type(stmt.value) is gast.UnaryOp
                and isinstance(stmt.value.op, gast.USub)):
            continue
        target, negated = stmt.targets[0].id, stmt.value.operand
        reads = loads(negated)
        for j in range(i + 1, len(body)):
            later = body[j]
            if target not in mentions(later):
                if stores(later) & reads:
                    break  # what -a reads changes first
                continue
            if _adds_only(later, target) and not any(
                    target in loads(s) for s in body[j + 1:]):
                # v = -a; y[i] += v  ->  y[i] -= a
                later.op = gast.Sub()
                later.value = negated
                del body[i]
                return changed + [later]
            value = later.value if simple_assign(later) and \
                later.targets[0].id == target else None
            if isinstance(value, gast.BinOp) and \
                    isinstance(value.op, gast.Add) and \
                    type(value.left) is gast.Name and \
                    value.left.id == target and \
                    target not in loads(value.right):
                later.value = gast.BinOp(left=value.right, op=gast.Sub(),
                                         right=negated)
                del body[i]
                return changed + [later]
            break
    return changed


def _adds_only(stmt, name_):
    """`... += name_` with name_ read nowhere else in the statement."""
    return type(stmt) is gast.AugAssign and isinstance(stmt.op, gast.Add) \
        and type(stmt.value) is gast.Name and stmt.value.id == name_ \
        and name_ not in loads(stmt.target)


# -- private copies ---------------------------------------------------------------------

def owns(runtime_name):
    """`b = ad.own(b)` is dropped where the last statement to touch b wrote
    into it in place (or made it private): b is private already."""
    def run(fdef, facts=None):
        return _owns(fdef.body, runtime_name)
    return run


def _owns(body, runtime_name):
    for i, stmt in enumerate(body):
        if not (simple_assign(stmt) and
                is_runtime_call(stmt.value, runtime_name, "own")):
            continue
        target = stmt.targets[0].id
        for before in reversed(body[:i]):
            if target not in mentions(before):
                continue
            if _writes_into(before, target) or (
                    simple_assign(before) and
                    is_runtime_call(before.value, runtime_name, "own")):
                del body[i]
                return True
            break
    return False


def _writes_into(stmt, name_):
    """Whether `stmt` only writes into `name_` in place (y[i] += v)."""
    if type(stmt) in (gast.AugAssign, gast.Assign):
        target = stmt.target if type(stmt) is gast.AugAssign \
            else stmt.targets[0]
        return type(target) is gast.Subscript and \
            type(target.value) is gast.Name and target.value.id == name_ \
            and name_ not in loads(stmt.value) | loads(target.slice)
    return False


# -- copy and constant propagation ---------------------------------------------

def propagate(fdef, facts=None):
    facts = facts_of(fdef, facts)
    counts = facts.counts
    replace = _Replace({})
    keep, rewritten = [], Changes()
    for stmt, (reads, _) in zip(fdef.body, facts.names):
        if replace.values and not replace.values.keys().isdisjoint(reads):
            replace.visit(stmt)
            rewritten.append(stmt)
        if simple_assign(stmt) and counts.get(stmt.targets[0].id) == 1 and (
                isinstance(stmt.value, gast.Constant) and
                stmt.targets[0].id not in facts.indexed or (
                    isinstance(stmt.value, gast.Name) and
                    counts.get(stmt.value.id, 0) <= 1)):
            replace.values[stmt.targets[0].id] = stmt.value
            continue
        keep.append(stmt)
    changed = len(keep) != len(fdef.body)
    fdef.body[:] = keep
    return changed and rewritten


def constants(fdef, facts=None):
    """Names assigned a constant once, anywhere (in a loop too: the value is
    the same every time), replaced by that constant, folding as it goes;
    until nothing changes. Returns whether anything did."""
    changed = False
    while True:
        facts = facts_of(fdef, facts)
        counts, indexed = facts.counts, facts.indexed
        facts = None  # after a change, count again
        values = {}
        for stmt in statements(fdef.body):
            if simple_assign(stmt) and \
                    isinstance(stmt.value, gast.Constant) and \
                    counts.get(stmt.targets[0].id) == 1 and \
                    stmt.targets[0].id not in indexed:
                values[stmt.targets[0].id] = stmt.value
        if not values:
            return changed
        changed = True
        _drop_assignments(fdef.body, values)
        _Replace(values).visit(fdef)


def common_subexpressions(fdef, is_pure, facts=None):
    """A top-level statement computing what an earlier one computed, from
    names assigned once, becomes a copy of it (x[:-1] twice, say). It
    changes values only, so `facts` (counts, writes) stay true after it."""
    facts = facts_of(fdef, facts)
    counts = facts.counts
    changing = facts.written  # y[i] = v changes what y[j] reads
    seen = {}
    for stmt in fdef.body:
        if not simple_assign(stmt) or counts.get(stmt.targets[0].id) != 1 \
                or stmt.targets[0].id in changing:
            continue  # two arrays written in place must stay two
        value = stmt.value
        if type(value) not in (gast.BinOp, gast.UnaryOp, gast.Subscript,
                               gast.Call, gast.Attribute) or \
                not pure(value, is_pure) or \
                any(counts.get(n, 0) > 1 or n in changing
                    for n in loads(value)):
            continue
        key = fingerprint(value)
        if key in seen:
            stmt.value = gast.Name(id=seen[key], ctx=gast.Load(),
                                   annotation=None, type_comment=None)
        else:
            seen[key] = stmt.targets[0].id


def _drop_assignments(stmts, values):
    stmts[:] = [s for s in stmts if not (
        simple_assign(s) and s.targets[0].id in values)]
    for stmt in stmts:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if inner is not None:
                _drop_assignments(inner, values)
                if not inner and field == "body":
                    inner.append(gast.Pass())


class _Replace:
    """Replaces names read by the nodes given for them in `values`."""

    def __init__(self, values):
        self.values = values

    def visit(self, tree):
        values = self.values

        def replace(node):
            if type(node) is gast.Name and node.id in values and \
                    type(node.ctx) is gast.Load:
                return clone(values[node.id])
            return _folded(node)  # so a folded constant propagates at once
        return transform(tree, replace)
