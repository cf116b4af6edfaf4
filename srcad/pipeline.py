"""The pipeline, one stage a line, and the cache in front of it.

    capture -> fence -> normalize -> structure -> analyse
            -> differentiate (reverse or forward) -> optimize -> emit
            -> compile

`generate(fn, kind, wrt, mode, optimize)` runs it and returns a `Generated`
(the source and the compiled functions); `cached(...)` does the same once
per (function, kind, wrt, mode, optimize). `source_after(fn, stage)` prints
the program as it stands after any stage, for reading and debugging.
"""
import dis
import os

from . import forward as forward_mode
from . import assemble
from .analysis import analyse, is_movable, is_pure
from .capture import capture
from .compile import compile_source
from .emit import emit
from .errors import UsageError
from .facts import Facts
from .kinds import by_name, guard, kinds
from .fence import fence
from .naming import Namer, names_in
from .normalize import normalize
from .structure import structure
from .optimize import common_subexpressions, constants, optimize as clean_up
from .optimize_blocks import block_subexpressions, hoist_invariants
from .optimize_fuse import fuse
from .optimize_products import outer_sums
from .values import resolve

STAGES = ("capture", "normalize", "analyse", "differentiate", "optimize",
          "emit")
ALIASES = {"reverse": "differentiate", "forward": "differentiate"}
KINDS = {"reverse": ("grad", "value_and_grad", "vjp"),
         "forward": ("grad", "value_and_grad", "jvp", "jvps")}

stats = {"compiles": 0}
_cache = {}


class Generated:
    def __init__(self, source, functions, entry, params):
        self.source = source
        self.functions = functions
        self.entry = entry        # the function a transform calls
        self.params = params      # the wrt parameter names
        # vjp: the backward function; jvp: the names of the tangent params
        self.backward = next((f for n, f in functions.items()
                              if f is not entry and n.endswith("_bwd")), None)
        code = entry.__code__
        self.tangents = code.co_varnames[code.co_argcount - len(params):
                                         code.co_argcount]


def cached(fn, kind, wrt=0, mode="reverse", optimize=True, known=None):
    """`generate`, once per (function, kind, wrt, mode, optimize, known).
    `known` specializes the derivative to its arguments' ndims (see
    `kinds`); None gives the general derivative."""
    key = (fn, kind, wrt, mode, optimize, known)
    try:
        return _cache[key]
    except KeyError:
        pass
    _cache[key] = generated = generate(fn, kind, wrt, mode, optimize,
                                       known=known)
    return generated


def clear_cache():
    """Forget every compiled derivative: the next call builds afresh (after
    redefining a function srcad resolved when it built a derivative)."""
    from . import api
    _cache.clear()
    _loops.clear()
    api.forget_compiled()


def generate(fn, kind, wrt=0, mode="reverse", optimize=True, trace=None,
             known=None):
    trace = trace or _no_trace
    captured = capture(fn)
    trace("capture", [captured.tree])
    fence(captured)
    namer = Namer(names_in(captured.tree))
    fdef = structure(normalize(captured, namer), namer)
    facts = Facts(fdef)
    if constants(fdef, facts):
        facts = Facts(fdef)  # true for all three: they change values only
    common_subexpressions(fdef, is_pure(captured), facts)
    block_subexpressions(fdef, is_pure(captured), facts)
    hoist_invariants(fdef, facts)
    trace("normalize", [fdef])
    params = wrt_params(captured, wrt)
    assumed = by_name(captured.params, known)
    info = analyse(fdef, captured, params, assumed)
    trace("analyse", [fdef], info)
    program = _differentiate(mode, kind)(fdef, info, captured, namer,
                                         params, kind, isinstance(wrt, tuple),
                                         optimize)
    trace("differentiate", program.functions)
    if optimize:
        pure, movable = is_pure(captured), is_movable(captured)
        numbers = _numbers(info, namer)

        def clean(f):
            clean_up(f, pure, program.runtime_name, info, namer.temporaries)
            outer_sums(f, program.runtime_name, namer,
                       lambda node: resolve(node, captured))
            return fuse(f, namer.temporaries, movable, namer.private,
                        numbers)
        program.optimize(clean, numbers)
    if known is not None and kind in ("grad", "value_and_grad"):
        def again(*args):
            return cached(fn, kind, wrt, mode, optimize,
                          kinds(args, {})).entry(*args)
        entry = next(f for f in program.functions if f.name == program.entry)
        guard(entry, assumed,
              lambda obj, name: captured.bind_module(obj, name, namer), again)
    trace("optimize", program.functions)
    header = _header(captured, kind, params, assumed)
    if known is None and kind in ("grad", "value_and_grad") and loops(fn):
        header += "; the general version: a call runs one compiled for " \
            "its arguments' kinds"
    source = emit(program.functions, header)
    trace("emit", source)
    stats["compiles"] += 1
    functions = compile_source(source,
                               _filename(captured, kind, params, assumed),
                               captured.globals, captured.cells(),
                               captured.closure_cells)
    generated = Generated(source, functions, functions[program.entry],
                          params)
    # the wrt arguments the code takes item by item (a forward tangent of
    # a list is a list there, an array's where the list is used as one)
    generated.sequences = [p for p in params if p in info.tuples]
    return generated


def known_for(fn, args):
    """The kinds a call of `fn`'s derivative with `args` specializes to:
    `kinds(args)` for a function with loops, else None (one version)."""
    return kinds(tuple(args), {}) if loops(fn) else None


def loops(fn):
    """Whether `fn` has a loop: its derivatives are specialized to the
    kinds of their arguments (per-iteration helper calls for shapes that
    turn out equal cost more than compiling once per kind). Read from the
    bytecode, a jump backwards, so a call costs no parse."""
    try:
        return _loops[fn]
    except KeyError:
        pass
    target = fn._srcad_function() if hasattr(fn, "_srcad_function") else fn
    code = getattr(target, "__code__", None)
    if code is None:
        found = False
    elif _BACKWARD:  # Python 3.11+: opcodes that jump only backwards
        found = not _BACKWARD.isdisjoint(code.co_code[::2])
    else:
        found = any(ins.opcode in _JUMPS and ins.argval <= ins.offset
                    for ins in dis.get_instructions(code))
    _loops[fn] = found
    return found


_JUMPS = set(dis.hasjrel) | set(dis.hasjabs)
_BACKWARD = {code for op, code in dis.opmap.items() if "BACKWARD" in op}
_loops = {}


def _differentiate(mode, kind):
    if kind not in KINDS.get(mode, ()):
        raise UsageError(f"no {kind} in mode {mode!r}; modes and their "
                         f"transforms: {KINDS}")
    return assemble.program if mode == "reverse" else forward_mode.program


def wrt_params(captured, wrt):
    """Parameter names for `wrt`: a position, a name, or a tuple of them."""
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    params = captured.params
    names = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            if not -len(params) <= item < len(params):
                raise UsageError(
                    f"wrt={item} is out of range: {captured.name} has "
                    f"{len(params)} parameter(s) {tuple(params)}")
            names.append(params[item])
        elif isinstance(item, str) and item in params:
            names.append(item)
        else:
            raise UsageError(
                f"wrt={item!r} names no parameter of {captured.name}; its "
                f"parameters are {tuple(params)}")
    if not names:
        raise UsageError("wrt names no parameter")
    return tuple(names)


def _numbers(info, namer):
    """Names known to hold numbers, and their adjoints and tangents."""
    found = {n for n, d in info.shapes.ndims.items() if d == 0}
    return found | {v for (_, n), v in namer.derived.items() if n in found}


def _header(captured, kind, params, assumed):
    where = captured.filename
    if not where.startswith("<"):
        where = f"{os.path.basename(where)}:{captured.tree.lineno}"
    return (f"srcad {kind} of {captured.name} ({where}) with respect to "
            f"{', '.join(params)}{_for(assumed)}")


def _filename(captured, kind, params, assumed):
    return (f"<srcad {kind} of {captured.name} wrt {','.join(params)}"
            f"{_for(assumed)} from {captured.filename}:"
            f"{captured.tree.lineno}>")


def _for(assumed):
    """What a specialized derivative assumes, as words."""
    kinds = [f"{n} a number" if d == 0 else f"{n} {d}-d"
             for n, d in assumed.items() if d is not None]
    return ", for " + ", ".join(kinds) if kinds else ""


class _Stop(Exception):
    def __init__(self, text):
        self.text = text


def _no_trace(stage, program, info=None):
    pass


def source_after(fn, stage, kind="grad", wrt=0, mode="reverse",
                 optimize=True, args=None):
    """The program as text after pipeline stage `stage` (see STAGES;
    "reverse" and "forward" name the differentiate stage too); with
    `args`, of the version a call with them runs."""
    known = None if args is None else known_for(fn, args)
    stage = ALIASES.get(stage, stage)
    if stage not in STAGES:
        raise UsageError(f"unknown stage {stage!r}; stages are "
                         f"{', '.join(STAGES)}")

    def trace(name, program, info=None):
        if name != stage:
            return
        if isinstance(program, str):
            raise _Stop(program)
        text = emit(program)
        if info is not None:
            text += "# active: " + ", ".join(sorted(info.active)) + "\n"
        raise _Stop(text)
    try:
        generate(fn, kind, wrt, mode, optimize, trace, known)
    except _Stop as stop:
        return stop.text
    raise AssertionError("stage not reached")
