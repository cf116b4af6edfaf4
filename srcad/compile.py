"""Compile: generated source -> Python function objects.

`compile_source(source, filename, globals_, cells)` runs the generated
functions with the user's module globals as theirs, so every global name
(data, constants, helper functions) is looked up when the derivative runs,
just as the user's own function looks it up: rebinding `X = new_data`
between calls is seen by both. The names srcad adds (`ad`, module aliases,
the user function's closure values) are closure cells of the generated
functions, made by a small factory around the source, so nothing is
written into the user's module.

Names the user's function reads from an enclosing function are that
function's own cells (`live`): the generated functions share them, so a
value the enclosing function rebinds later (`nonlocal w; w = v`) is seen
by both, as a rebound global is.

The text compiled is registered with `linecache` under `filename`, so
tracebacks, pdb and `inspect` show the generated lines; each function
carries it in `__srcad_source__`, which lets srcad capture generated code
again (grad of grad).
"""
import linecache
import re
import textwrap
import types

FACTORY = "srcad_factory"


def compile_source(source, filename, globals_, cells, live=None):
    names = sorted(cells)
    defined = re.findall(r"^def (\w+)\(", source, flags=re.M)
    text = (f"def {FACTORY}({', '.join(names)}):\n"
            + textwrap.indent(source, "    ")
            + f"    return {{{', '.join(f'{d!r}: {d}' for d in defined)}}}\n")
    linecache.cache[filename] = (len(text), None, text.splitlines(True),
                                 filename)
    scope = {}
    exec(compile(text, filename, "exec"), globals_, scope)
    functions = scope[FACTORY](**cells)
    if live:
        shared = {key: _sharing(fn, live) for key, fn in functions.items()}
        for fn in shared.values():  # they call each other through cells
            for v, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
                if v in shared and cell.cell_contents is functions[v]:
                    cell.cell_contents = shared[v]
        functions = shared
    for fn in functions.values():
        fn.__srcad_source__ = text
    return functions


def _sharing(fn, live):
    """`fn` reading the cells `live` names (the user's) instead of the
    factory's copies of their values."""
    code = fn.__code__
    if not live.keys() & set(code.co_freevars):
        return fn
    closure = tuple(live.get(v, cell)
                    for v, cell in zip(code.co_freevars, fn.__closure__))
    shared = types.FunctionType(code, fn.__globals__, fn.__name__,
                                fn.__defaults__, closure)
    shared.__qualname__ = fn.__qualname__
    shared.__kwdefaults__ = fn.__kwdefaults__
    return shared
