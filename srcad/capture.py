"""Capture: from a Python function object to a gast tree we can transform.

`capture(fn)` returns a `Captured` whose `tree` is the function's
`gast.FunctionDef` with decorators removed and every node's `lineno` and
`col_offset` pointing into the user's real file, and whose `resolve(name)`
looks a free name up the way Python would at call time: closure cells, then
the function's globals, then builtins.
"""
import builtins
import inspect
import linecache
import textwrap
import types

import gast

from . import build
from .build import walk
from .errors import SourceUnavailable, UnsupportedSyntax

MISSING = object()


class Captured:
    """A user function with its parsed source and the names it can see."""

    def __init__(self, fn, tree, filename):
        self.fn = fn
        self.tree = tree
        self.filename = filename
        self.name = tree.name
        self.params = [a.id for a in tree.args.args]
        self.closure = _closure_vars(fn)
        # the cells themselves: generated code reads them as fn does, so
        # a value the enclosing function rebinds later is seen
        self.closure_cells = dict(zip(fn.__code__.co_freevars,
                                      fn.__closure__ or ()))
        self.globals = getattr(fn, "__globals__", {})
        self.extras = {}  # names generated code adds: modules, helpers
        self._bound = None

    def bind_module(self, obj, preferred, namer):
        """A name under which generated code reaches `obj`, preferring the
        one the user's own code already uses."""
        for bound, value in self.extras.items():
            if value is obj:
                return bound
        if not preferred.isidentifier():  # "<lambda>"
            preferred = "function"
        if preferred not in self.bound_inside() and \
                self.resolve(preferred) is obj:
            return preferred
        bound = namer.reserve(preferred)
        self.extras[bound] = obj
        return bound

    def defaults(self, namer):
        """The function's own default values (worked out once, when it was
        defined, as Python does) as nodes for a generated function with
        its parameters: numbers, strings and None written out, anything
        else under a bound name. Writing the default expressions again
        would evaluate them anew, where a name may mean something else."""
        values = getattr(self.fn, "__defaults__", None) or ()
        params = self.params[len(self.params) - len(values):]
        nodes = []
        for param, value in zip(params, values):
            if value is None or type(value) in (int, float, bool, str):
                nodes.append(build.const(value))
            else:
                nodes.append(build.name(self.bind_module(
                    value, f"default_{param}", namer)))
        return nodes

    def bound_inside(self):
        """Names the function binds itself (its parameters, its locals):
        there they are not the globals or builtins of the same name."""
        if self._bound is None:
            self._bound = set(self.params) | build.stores(self.tree)
        return self._bound

    def cells(self):
        """The names generated code reaches beside the user's globals: the
        user function's closure values and what srcad adds."""
        return {**self.closure, **self.extras}

    def line_text(self, lineno):
        return linecache.getline(self.filename, lineno).rstrip("\n")

    def resolve(self, name):
        """The object bound to free name `name`, or MISSING."""
        if name in self.closure:
            return self.closure[name]
        if name in self.extras:
            return self.extras[name]
        if name in self.globals:
            return self.globals[name]
        return getattr(builtins, name, MISSING)


def readable(fn):
    """Whether srcad can read `fn`'s source: a Python function, a
    derivative srcad generated, or functools' cache around a Python
    function (a library's own wrappers, such as NumPy's dispatchers, are
    not read: their functions have rules or are refused by name)."""
    return isinstance(fn, types.FunctionType) or \
        hasattr(fn, "_srcad_function") or \
        _functools_cache(fn) and \
        isinstance(getattr(fn, "__wrapped__", None), types.FunctionType)


def _functools_cache(obj):
    """Whether `obj` is functools' lru_cache / cache around a function
    (an object of a class of one's own may do anything in its __call__)."""
    return type(obj).__module__ == "functools"


def capture(fn):
    """Parse `fn`'s source into a `Captured`."""
    from . import rules
    if rules.lookup(fn) is None:  # np.sum has the rule, not what it wraps
        fn = inspect.unwrap(fn, stop=lambda f: hasattr(f, "_srcad_function")
                            or not _passes_through(f))
    if hasattr(fn, "_srcad_not_again"):  # srcad.jacobian's result
        from .errors import UsageError
        raise UsageError(fn._srcad_not_again)
    if hasattr(fn, "_srcad_function"):  # a derivative srcad generated
        fn = fn._srcad_function()
    fn = _through_rule(fn)
    if not inspect.isfunction(fn):
        raise SourceUnavailable(
            f"srcad can only differentiate Python functions with source; got "
            f"{fn!r}. Wrap it in a def, or register a derivative rule for it "
            f"with srcad.defrule.")
    filename = fn.__code__.co_filename
    lines, first = _source_lines(fn, filename)
    text = "".join(lines)
    indent = len(lines[0]) - len(lines[0].lstrip())
    try:
        module = gast.parse(textwrap.dedent(text))
    except SyntaxError:
        try:
            module = gast.parse(_wrap_fragment(textwrap.dedent(text)))
        except SyntaxError:
            raise SourceUnavailable(
                f"srcad cannot read the source of {fn.__qualname__} apart "
                f"from the code around it ({filename}, line {first}): a "
                f"lambda in the middle of a statement that spans lines. "
                f"Define it with def, or give it a line of its own.") \
                from None
        first -= 1
    _shift(module, first - 1, indent)
    tree = _find_def(module, fn)
    tree.decorator_list = []
    return Captured(fn, tree, filename)


def _passes_through(wrapper):
    """Whether a decorator's wrapper (functools.wraps) returns what the
    function it wraps returns for the same arguments, so srcad may read
    that function instead: a wrapper without Python source (lru_cache),
    or one whose every return is `fn(*args, **kwargs)` or a name bound
    once to that (a timer, a logger), with args and kwargs as given. A
    wrapper that changes the result or the arguments is read itself (and
    refused for its *args)."""
    if not inspect.isfunction(wrapper):
        return _functools_cache(wrapper)
    try:
        source = inspect.getsource(wrapper.__code__)  # not what it wraps
        tree = gast.parse(textwrap.dedent(source))
    except (OSError, TypeError, SyntaxError):
        return False
    fdef = next((n for n in gast.walk(tree)
                 if isinstance(n, gast.FunctionDef) and
                 n.name == wrapper.__code__.co_name), None)
    if fdef is None:
        return False
    args = fdef.args
    star = args.vararg.id if args.vararg else None
    stars = args.kwarg.id if args.kwarg else None
    inner = wrapper.__wrapped__
    cells = dict(zip(wrapper.__code__.co_freevars,
                     (c.cell_contents for c in wrapper.__closure__ or ())))

    def forwards(call):
        return isinstance(call, gast.Call) and \
            isinstance(call.func, gast.Name) and \
            cells.get(call.func.id, wrapper.__globals__.get(
                call.func.id)) is inner and \
            [type(a) for a in call.args] == [gast.Starred] * bool(star) and \
            all(a.value.id == star for a in call.args) and \
            [k.arg for k in call.keywords] == [None] * bool(stars) and \
            all(getattr(k.value, "id", None) == stars for k in call.keywords)
    bound = {}
    for node in gast.walk(fdef):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            bound[node.id] = bound.get(node.id, 0) + 1
    results = {n.targets[0].id for n in gast.walk(fdef)
               if isinstance(n, gast.Assign) and len(n.targets) == 1 and
               isinstance(n.targets[0], gast.Name) and forwards(n.value) and
               bound[n.targets[0].id] == 1}
    returns = [n for n in gast.walk(fdef) if isinstance(n, gast.Return)]
    return bool(returns) and all(
        forwards(r.value) or isinstance(r.value, gast.Name) and
        r.value.id in results for r in returns) and \
        not _changes(fdef, {star, stars} - {None})


def _changes(fdef, names):
    """Whether `fdef` rebinds any of `names` or changes it in place
    (`kwargs["k"] = 5`, `kwargs.update(...)`, `args += (2,)`): a
    wrapper doing so does not pass its arguments through. Reading them
    (a logger printing them) is fine."""
    reading = {"get", "keys", "values", "items", "copy", "count", "index"}
    for node in gast.walk(fdef):
        if isinstance(node, gast.Name) and node.id in names and \
                not isinstance(node.ctx, (gast.Load, gast.Param)):
            return True
        target = node.value if isinstance(node, (gast.Subscript,
                                                 gast.Attribute)) else None
        if isinstance(target, gast.Name) and target.id in names and (
                not isinstance(node.ctx, gast.Load) or
                isinstance(node, gast.Attribute) and
                node.attr not in reading):
            return True
    return False


def _through_rule(fn):
    """For a function with a derivative rule (np.sin, a @srcad.primitive),
    a one-line function calling it, so the rule is used, not its body."""
    from . import rules, runtime
    from .rules.registry import REQUIRED
    rule = rules.lookup(fn)
    if rule is None or not rule.differentiable or \
            getattr(fn, "__module__", "") == runtime.__name__:
        return fn
    return runtime._calling(fn, [p for p, _ in rule.params],
                            {p: d for p, d in rule.params if d is not REQUIRED})


def _source_lines(fn, filename):
    generated = getattr(fn, "__srcad_source__", None)
    if generated is not None:
        lines = generated.splitlines(True)
        start = fn.__code__.co_firstlineno
        return inspect.getblock(lines[start - 1:]), start
    try:
        # the code's own lines: getsourcelines(fn) would follow __wrapped__
        # to the function a decorator wraps (capture decides about that)
        return inspect.getsourcelines(fn.__code__)
    except (OSError, TypeError):
        raise SourceUnavailable(
            f"cannot read the source of {fn.__qualname__} (defined in "
            f"{filename}): srcad needs the function's source file. Define the "
            f"function in a .py file, or give it a derivative rule with "
            f"srcad.defrule.") from None


def _wrap_fragment(text):
    # A lambda's source is the statement around it, which may be a fragment
    # such as a keyword argument; wrapping it in a call makes it parse.
    return "(\n" + text + "\n)"


def _shift(module, lines, cols):
    for node in walk(module):
        if hasattr(node, "lineno"):
            node.lineno += lines
            node.col_offset += cols
            if getattr(node, "end_lineno", None) is not None:
                node.end_lineno += lines
                node.end_col_offset += cols


def _find_def(module, fn):
    code = fn.__code__
    want = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    for node in walk(module):
        if isinstance(node, gast.FunctionDef) and node.name == code.co_name:
            return node
        if isinstance(node, gast.AsyncFunctionDef) and \
                node.name == code.co_name:
            line = linecache.getline(code.co_filename, node.lineno)
            raise UnsupportedSyntax(
                "async functions are not supported; differentiate a plain "
                "def that the async code calls", filename=code.co_filename,
                lineno=node.lineno, col=node.col_offset, line=line,
                function=fn.__name__)
    for node in walk(module):
        if isinstance(node, gast.Lambda) and _arg_names(node.args) == want:
            return _lambda_as_def(node)
    raise UnsupportedSyntax(
        f"could not find the definition of {fn.__qualname__} in its source "
        f"file {code.co_filename}; write it as a plain def statement.")


def _arg_names(args):
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


def _lambda_as_def(node):
    ret = gast.Return(value=node.body)
    gast.copy_location(ret, node.body)
    fdef = gast.FunctionDef(name="lambda_", args=node.args, body=[ret],
                            decorator_list=[], returns=None,
                            type_comment=None, type_params=[])
    return gast.copy_location(fdef, node)


def _closure_vars(fn):
    cells = fn.__closure__ or ()
    out = {}
    for name, cell in zip(fn.__code__.co_freevars, cells):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # a cell not yet filled
            pass
    return out
