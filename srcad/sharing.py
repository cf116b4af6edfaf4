"""Sharing: a change in place to an array another name holds too.

srcad follows values: `y += v` is differentiated as `y = y + v`, and
`y[i] = v` as a new value of `y`. For a number, or an array no other name
holds, that is what Python does. When another name still read afterwards
holds the same array or a view of it (`b = a`, a slice `r = y[0:2]`, a
row `for row in Y`, a helper returning its argument), Python's change
shows through that name and srcad's would not. Such code is refused with
a located error, but only when it happens: whether a value is an array
sharing memory with another is often known only when the function runs,
so normalize puts `ad.check_unshared(b, site, a)` after the statement
making the second name (`checks` says where). A number (`r = y[i]` of a
vector), or a new array (`b = a * 2`), passes.
"""
import inspect
import types
import weakref

import gast

from . import build, rules
from .build import statements, walk
from .capture import MISSING, capture
from .errors import SrcadError
from .values import VIEWS, resolve

# Calls whose result holds the very items of their arguments.
HOLDERS = {enumerate, zip, reversed, list, tuple, iter}
# Methods whose result may be the array itself or a view of it.
VIEW_METHODS = {"reshape", "ravel", "transpose", "squeeze", "swapaxes",
                "view", "diagonal", "T", "real", "imag"}
# Methods of lists whose result is, or holds, the very items the list held
# (`a = ys.pop()`, `zs = ys.copy()`). An array's copy() is new: the check
# made where it is bound finds no shared memory.
ITEM_METHODS = {"pop", "copy"}


def checks(fdef, captured):
    """Two tables of checks normalize puts in. After: {id(stmt): [(names,
    sources, others, update), ...]}: after user statement `stmt` (an
    assignment, or a `for` whose target it names) none of `names` may
    share memory with what `sources` hold, because `update` may change
    that array in place while `others`, read after it, hold it too.
    Before: {id(stmt): [(name, others, update), ...]}: before a call that
    changes argument `name` in place (`update`, in the callee), `name`
    may hold no array, because `others` read it after the call."""
    captured.locals = set(captured.params) | build.stores(fdef)
    updates = _updates(fdef)
    calls = list(_changing_calls(fdef, captured))
    if not updates and not calls:
        return {}, {}
    bindings = list(_bindings(fdef, captured))
    origins = _origins(bindings, captured)
    flow = _Flow(fdef)
    after = {}
    for stmt, targets, sources in bindings:
        bound = set().union(*(origins.get(n, set()) for n in sources))
        if not bound:
            continue
        changes = sorted(((u, n) for n in updates
                          if origins.get(n, set()) & bound
                          for u in updates[n]),
                         key=lambda un: flow.order[id(un[0])])
        for update, changed in changes:
            # a binding of `changed` that may give it this array again
            # (`a = ys.pop()`) leaves it holding the array
            keeping = {flow.order[id(b)] for b, names, held in bindings
                       if changed in names and
                       bound & set().union(*(origins[n] for n in held))}
            if not flow.may_follow(update, stmt) or \
                    flow.rebound(changed, stmt, update, keeping) or \
                    flow.made_anew(changed, stmt, bindings):
                continue
            # the other names that may hold the array, read once it changed
            shared = bound & origins[changed]
            others = sorted(n for n, held in origins.items()
                            if n != changed and held & shared and
                            flow.read_after(update, n))
            if others:
                after.setdefault(id(stmt), []).append(
                    (sorted(targets), sorted(sources), others, update))
                break
    before = {}
    for stmt, arg, update in calls:
        held = origins.get(arg) or {("outside", arg)}
        rebound = {t for targets, _ in _pairs(stmt) for t in targets} \
            if isinstance(stmt, gast.Assign) else set()
        others = sorted(n for n, kinds in origins.items()
                        if kinds & held and n not in rebound and
                        flow.read_after(stmt, n))
        if others:
            before.setdefault(id(stmt), []).append((arg, others, update))
    return after, before


def _changing_calls(fdef, captured):
    """(statement, argument, update): a call in `stmt` of a function whose
    body changes the parameter given local `argument` in place (`v *= 2`
    in a helper changes the caller's array)."""
    for stmt in statements(fdef.body):
        value = getattr(stmt, "value", None)
        if not isinstance(stmt, (gast.Assign, gast.Expr)) or \
                not isinstance(value, gast.Call):
            continue
        fn = resolve(value.func, captured)
        changed = _changed_params(fn) if _is_user_function(fn) else {}
        if not changed:
            continue
        try:
            bound = inspect.signature(fn).bind(
                *value.args, **{k.arg: k.value for k in value.keywords
                                if k.arg is not None})
        except TypeError:
            continue
        for param, node in bound.arguments.items():
            if param in changed and isinstance(node, gast.Name) and \
                    node.id in captured.locals:
                yield stmt, node.id, changed[param]


def _is_user_function(fn):
    module = getattr(fn, "__module__", None) or ""
    return isinstance(fn, types.FunctionType) and \
        not module.startswith(("srcad", "numpy"))


def _changed_params(fn):
    """Each parameter of `fn` that its body changes in place (`v += 1`
    while v still holds the argument), to the statement doing it. Read
    once per function: every caller built asks."""
    found = _CHANGED.get(fn)
    if found is None:
        found = _CHANGED[fn] = _read_changed_params(fn)
    return found


_CHANGED = weakref.WeakKeyDictionary()


def _read_changed_params(fn):
    try:
        callee = capture(fn)
    except SrcadError:
        return {}
    tree = callee.tree
    augmented = [s for s in statements(tree.body)
                 if isinstance(s, gast.AugAssign) and
                 isinstance(s.target, gast.Name)]
    if not augmented:
        return {}
    callee.locals = set(callee.params) | build.stores(tree)
    bindings = list(_bindings(tree, callee))
    origins = _origins(bindings, callee)
    flow = _Flow(tree)
    found = {}
    for update in augmented:
        n = update.target.id
        if flow.made_anew(n, update, bindings):
            continue
        for p in callee.params:
            if ("outside", p) in origins.get(n, ()):
                found.setdefault(p, update)
    return found


def _bindings(fdef, captured):
    """(statement, names it binds, names whose arrays they may then hold:
    none for a new value)."""
    for stmt in statements(fdef.body):
        if isinstance(stmt, gast.For):
            yield stmt, _names(stmt.target), _sources(stmt.iter, captured)
        elif isinstance(stmt, gast.Assign):
            for targets, value in _pairs(stmt):
                yield stmt, targets, _sources(value, captured)
        elif isinstance(stmt, gast.Expr) and \
                isinstance(stmt.value, gast.Call) and \
                isinstance(stmt.value.func, gast.Attribute) and \
                stmt.value.func.attr == "append" and \
                isinstance(stmt.value.func.value, gast.Name):
            # the list holds what it is given, besides what it held
            held = set().union(*(_sources(a, captured)
                                 for a in stmt.value.args))
            if held:
                yield stmt, {stmt.value.func.value.id}, held


def _origins(bindings, captured):
    """Each name to where the arrays it may hold were made: statements
    making new values, or ("outside", n) for an argument's or a global's
    own array."""
    made = set().union(*(targets for _, targets, _ in bindings))
    origins = {p: {("outside", p)} for p in captured.params}
    for stmt, targets, sources in bindings:
        for n in sources - made:
            origins.setdefault(n, {("outside", n)})
        for t in targets:
            origins.setdefault(t, set())
            if not sources:
                origins[t].add(id(stmt))
    changed = True
    while changed:
        changed = False
        for stmt, targets, sources in bindings:
            held = set().union(*(origins[n] for n in sources))
            for t in targets:
                if not held <= origins[t]:
                    origins[t] |= held
                    changed = True
    return origins


def _updates(fdef):
    """Each name to the statements changing its array in place: `y += v`,
    `y[...] = v`, `y[...] += v`."""
    found = {}
    for stmt in statements(fdef.body):
        if isinstance(stmt, gast.AugAssign):
            target = stmt.target
        elif isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Subscript):
            target = stmt.targets[0]
        else:
            continue
        while isinstance(target, gast.Subscript):
            target = target.value
        if isinstance(target, gast.Name):
            found.setdefault(target.id, []).append(stmt)
    return found


def _pairs(stmt):
    """(names, value) bound by an assignment: `a, b = b, a + b` pairs each
    name with its own value."""
    for target in stmt.targets:
        value = stmt.value
        if isinstance(target, (gast.Tuple, gast.List)) and \
                isinstance(value, (gast.Tuple, gast.List)) and \
                len(target.elts) == len(value.elts) and \
                not any(isinstance(e, gast.Starred) for e in target.elts):
            for t, v in zip(target.elts, value.elts):
                if _names(t):
                    yield _names(t), v
        elif _names(target):
            yield _names(target), value


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
            # a method of a local value: x * 2 is new, x.reshape() not
            if func.attr not in VIEW_METHODS | ITEM_METHODS:
                return set()
            return _sources(func.value, captured)
        if rules.lookup(fn) is not None and fn not in VIEWS and \
                fn not in HOLDERS:
            return set()
        found = set()
        for arg in list(value.args) + [k.value for k in value.keywords]:
            found |= _sources(arg, captured)
        return found
    return set()  # arithmetic, comparisons, constants: new values


class _Flow:
    """Where each statement is, and where names are read and bound."""

    def __init__(self, fdef):
        flat = self.flat = list(statements(fdef.body))
        self.order = {id(s): i for i, s in enumerate(flat)}
        self.reads, self.binds = {}, {}
        self.loops = {}  # id(stmt) -> spans (first, last) of loops around it
        self.blocks = {}  # id(stmt) -> ids of the statement lists around it
        self._nest(fdef.body, (), ())
        for stmt in flat:
            at = self.order[id(stmt)]
            for node in _own_nodes(stmt):
                if isinstance(node, gast.Name):
                    table = self.reads if isinstance(node.ctx, gast.Load) \
                        else self.binds
                    table.setdefault(node.id, []).append(at)

    def _nest(self, stmts, blocks, spans):
        blocks = blocks + (id(stmts),)
        for stmt in stmts:
            self.blocks[id(stmt)] = blocks
            self.loops[id(stmt)] = spans
            inner = spans
            if isinstance(stmt, (gast.For, gast.While)):
                last = max((self.order[id(s)] for s in
                            statements(stmt.body)),
                           default=self.order[id(stmt)])
                inner = spans + ((self.order[id(stmt)], last),)
            for field in ("body", "orelse"):
                nested = getattr(stmt, field, None)
                if nested:
                    self._nest(nested, blocks, inner)

    def rebound(self, name_, stmt, update, keeping=()):
        """Whether `name_` is surely bound again after `stmt` runs and
        before `update` does (then `update` changes another array); the
        bindings at positions `keeping` do not count."""
        here, there = self.order[id(stmt)], self.order[id(update)]
        if there > here:
            return self._bound_before(there, name_, here, keeping)
        common = set(self.loops[id(stmt)]) & set(self.loops[id(update)])
        return any(self._bound_before(there, name_, lo, keeping)
                   for lo, _ in common)

    def made_anew(self, name_, stmt, bindings):
        """Whether `name_` surely holds a new array when `stmt` runs, one
        no other name was given since (a loop's `new = np.zeros(n)` before
        `t = u[1:-1]`, where u holds the last pass's `new`)."""
        here = self.order[id(stmt)]
        made = [self.order[id(b)] for b, targets, sources in bindings
                if name_ in targets and not sources and
                self._surely_before(self.order[id(b)], here)]
        if not made:
            return False
        last = max(made)
        return not any(last < self.order[id(b)] <= here and name_ in sources
                       for b, _, sources in bindings) and \
            not any(last < at < here for at in self.binds.get(name_, ()))

    def may_follow(self, later, earlier):
        """Whether statement `later` may run after `earlier` does."""
        return self.order[id(later)] > self.order[id(earlier)] or \
            bool(set(self.loops[id(later)]) & set(self.loops[id(earlier)]))

    def read_after(self, stmt, name_):
        """Whether `name_` may be read after `stmt` runs, before a binding
        that surely comes first: later in the function, or in a loop
        around it (its next pass)."""
        here = self.order[id(stmt)]
        spans = self.loops[id(stmt)]
        for at in self.reads.get(name_, ()):
            if at > here:
                if not self._bound_before(at, name_, here):
                    return True
            elif any(lo <= at <= hi and not self._bound_before(at, name_, lo)
                     for lo, hi in spans):
                return True
        return False

    def _bound_before(self, at, name_, start, keeping=()):
        """A binding of `name_` after position `start` that any run
        reaching position `at` from there passes: before it, in a
        statement list around it (break and continue only jump to a
        loop's end or start). Bindings at positions `keeping` aside."""
        return any(start < bound < at and bound not in keeping and
                   self._surely_before(bound, at)
                   for bound in self.binds.get(name_, ()))

    def _surely_before(self, first, then):
        """Position `first` comes before `then` in a list around it."""
        return first < then and \
            self.blocks[id(self.flat[first])][-1] in \
            self.blocks[id(self.flat[then])]


def _own_nodes(stmt):
    """The nodes of a statement, without the statements nested in it."""
    if isinstance(stmt, gast.For):
        return list(walk(stmt.iter)) + list(walk(stmt.target))
    if isinstance(stmt, (gast.If, gast.While)):
        return walk(stmt.test)
    return walk(stmt)


def site(captured, others, update, stmt):
    """A callable making the error for an array bound by `stmt` that
    `update` may change in place while `others` hold it too."""
    held = " and ".join(f"'{n}'" for n in others)
    changed = captured.line_text(update.lineno).split("#")[0].strip()
    code = captured.line_text(stmt.lineno).split("#")[0].strip()
    if isinstance(update, gast.AugAssign) and \
            isinstance(update.target, gast.Name):
        target = update.target.id
        op = _SYMBOLS.get(type(update.op), "?")
        instead = (f"Write '{target} = {target} {op} ...' to make a new "
                   f"array, or make a copy first (np.copy(...)).")
    else:
        instead = (f"Make a copy first (line {stmt.lineno}: ... = "
                   f"np.copy(...)), so the two names hold two arrays.")
    message = (
        f"'{changed}' changes an array in place that {held} also holds "
        f"(line {stmt.lineno}: {code}); srcad follows values, so it would "
        f"not see the change there. {instead}")
    return _raiser(captured, message, update)


def call_site(captured, name_, others, update, stmt):
    """A callable making the error for a call changing `name_` in place
    (`update`, in the callee's body) while `others` read it after."""
    read = " and ".join(f"'{n}'" for n in others)
    target = update.target.id
    op = _SYMBOLS.get(type(update.op), "?")
    message = (
        f"this call changes the array '{name_}' holds in place "
        f"('{target} {op}= ...' at line {update.lineno} of the function it "
        f"calls), and {read} is read after it; srcad follows values, so it "
        f"would not see the change. In that function write "
        f"'{target} = {target} {op} ...' (a new array), or pass a copy "
        f"(np.copy({name_})).")
    return _raiser(captured, message, stmt)


def _raiser(captured, message, node):
    """What ad.check_unshared calls for its error, located at `node`."""
    from .errors import UnsupportedSyntax, located

    def where():
        return located(UnsupportedSyntax, message, node, captured)
    return where


_SYMBOLS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/",
            gast.FloorDiv: "//", gast.Mod: "%", gast.Pow: "**",
            gast.MatMult: "@", gast.BitAnd: "&", gast.BitOr: "|",
            gast.BitXor: "^", gast.LShift: "<<", gast.RShift: ">>"}
