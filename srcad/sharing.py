"""Sharing: an augmented assignment into an array another name holds.

srcad follows values: `y += v` is differentiated as `y = y + v`. For a
number, or an array no other name holds, that is what Python does. When
`y` is an array some other live name also holds (`b = a`, a slice
`r = y[0:2]`, a row `for row in y`), Python changes that array in place and
the other name sees the change; srcad would not. Such code is refused with
a located error, but only when it happens: whether `y` is an array or a
number is often known only when the function runs, so normalize puts
`ad.check_unshared(y, site)` after the statement that makes the second
name (`checks` says where). A name made that way but never updated in
place, or whose other holders are never read again, costs nothing.
"""
import gast

from . import build, rules
from .build import statements, walk
from .capture import MISSING
from .values import VIEWS, resolve

# Methods whose result may be the array itself or a view of it.
VIEW_METHODS = {"reshape", "ravel", "transpose", "squeeze", "swapaxes",
                "view", "diagonal", "T", "real", "imag"}


def checks(fdef, captured):
    """{id(stmt): (names, others, update)}: after user statement `stmt`
    (an assignment, or a `for` whose target it names) each of `names` must
    not hold an array, because `update` (an AugAssign) may change in place
    what `others`, read after it, hold too."""
    augmented = {}
    for node in walk(fdef):
        if isinstance(node, gast.AugAssign) and \
                isinstance(node.target, gast.Name):
            augmented.setdefault(node.target.id, []).append(node)
    if not augmented:
        return {}
    captured.locals = set(captured.params) | build.stores(fdef)
    links = [(stmt, targets, sources) for stmt, targets, sources in
             _links(fdef, captured) if sources]
    groups = _groups(links)
    order, reads, loops = _positions(fdef)
    found = {}
    for stmt, targets, sources in links:
        group = groups[next(iter(targets))]
        for update in sorted((a for n in group for a in augmented.get(n, ())),
                             key=lambda a: (a.lineno, a.col_offset)):
            # the other names holding the array, read once it changed
            others = sorted(n for n in group - {update.target.id}
                            if _read_after(update, n, order, reads, loops))
            if others:
                found[id(stmt)] = (sorted(targets), others, update)
                break
    return found


def _links(fdef, captured):
    """(statement, names it binds, names whose arrays they may then hold)."""
    for stmt in statements(fdef.body):
        if isinstance(stmt, gast.For):
            yield stmt, _names(stmt.target), _sources(stmt.iter, captured)
        elif isinstance(stmt, gast.Assign):
            targets = set()
            for target in stmt.targets:
                targets |= _names(target)
            if targets:
                yield stmt, targets, _sources(stmt.value, captured)


def _names(target):
    if isinstance(target, gast.Name):
        return {target.id}
    if isinstance(target, (gast.Tuple, gast.List)):
        return set().union(*(_names(e) for e in target.elts))
    return set()


def _sources(value, captured):
    """Names whose arrays `value` may be (or be a view of)."""
    if isinstance(value, gast.Name):
        return {value.id}
    if isinstance(value, (gast.Subscript, gast.Attribute)):
        if isinstance(value, gast.Attribute) and \
                value.attr not in VIEW_METHODS:
            return set()  # x.shape, x.size: not arrays it holds
        return _sources(value.value, captured)
    if isinstance(value, (gast.Tuple, gast.List)):
        return set().union(*(_sources(e, captured) for e in value.elts))
    if isinstance(value, gast.IfExp):
        return _sources(value.body, captured) | \
            _sources(value.orelse, captured)
    if isinstance(value, gast.Call):
        func = value.func
        fn = resolve(func, captured)
        if isinstance(func, gast.Attribute) and fn is MISSING:
            # a method of a local value: x.copy() is new, x.reshape() not
            if func.attr not in VIEW_METHODS:
                return set()
            return _sources(func.value, captured)
        if rules.lookup(fn) is not None and fn not in VIEWS:
            return set()
        found = set()
        for arg in list(value.args) + [k.value for k in value.keywords]:
            found |= _sources(arg, captured)
        return found
    return set()  # arithmetic, comparisons, constants: new values


def _groups(links):
    """Each name to the set of names that may come to hold one array."""
    group = {}
    for _, targets, sources in links:
        merged = set(targets) | sources
        for n in list(merged):
            merged |= group.get(n, set())
        for n in merged:
            group[n] = merged
    return group


def _positions(fdef):
    order = {}
    reads = {}
    loops = {}  # id(stmt) -> (first, last) positions of enclosing loops
    flat = list(statements(fdef.body))
    for i, stmt in enumerate(flat):
        order[id(stmt)] = i
    for stmt in flat:
        if isinstance(stmt, (gast.For, gast.While)):
            inner = [order[id(s)] for s in statements(stmt.body)]
            span = (order[id(stmt)], max(inner, default=order[id(stmt)]))
            for s in statements(stmt.body):
                loops.setdefault(id(s), []).append(span)
            loops.setdefault(id(stmt), []).append(span)
        for node in _own_nodes(stmt):
            if isinstance(node, gast.Name) and \
                    isinstance(node.ctx, gast.Load):
                reads.setdefault(node.id, []).append(order[id(stmt)])
    return order, reads, loops


def _own_nodes(stmt):
    """The nodes of a statement, without the statements nested in it."""
    if isinstance(stmt, gast.For):
        return walk(stmt.iter)
    if isinstance(stmt, (gast.If, gast.While)):
        return walk(stmt.test)
    return walk(stmt)


def _read_after(stmt, name_, order, reads, loops):
    """Whether `name_` may be read after `stmt` runs: later in the
    function, or anywhere in a loop around it (its next pass)."""
    here = order[id(stmt)]
    spans = loops.get(id(stmt), [])
    return any(at > here or any(lo <= at <= hi for lo, hi in spans)
               for at in reads.get(name_, ()))


def site(captured, others, augmented, stmt):
    """A callable making the error for an array bound by `stmt` that
    `augmented` may change in place while `others` hold it too."""
    from .errors import UnsupportedSyntax, located
    target = augmented.target.id
    op = _SYMBOLS.get(type(augmented.op), "?")
    held = " and ".join(f"'{n}'" for n in others)
    code = captured.line_text(stmt.lineno).split("#")[0].strip()
    message = (
        f"'{target} {op}= ...' changes an array in place that {held} "
        f"also holds (line {stmt.lineno}: {code}); srcad follows values, "
        f"so it would not see the change there. Write "
        f"'{target} = {target} {op} ...' to make a new array, or make a "
        f"copy first (np.copy(...)).")

    def where():
        return located(UnsupportedSyntax, message, augmented, captured)
    return where


_SYMBOLS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/",
            gast.FloorDiv: "//", gast.Mod: "%", gast.Pow: "**",
            gast.MatMult: "@", gast.BitAnd: "&", gast.BitOr: "|",
            gast.BitXor: "^", gast.LShift: "<<", gast.RShift: ">>"}
