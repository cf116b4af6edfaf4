"""Compile: generated source -> Python function objects.

`compile_source(source, filename, globals_, cells)` runs the generated
functions with the user's module globals as theirs, so every global name
(data, constants, helper functions) is looked up when the derivative runs,
just as the user's own function looks it up: rebinding `X = new_data`
between calls is seen by both. The names srcad adds (`ad`, module aliases,
the user function's closure values) are closure cells of the generated
functions, made by a small factory around the source, so nothing is
written into the user's module.

The text compiled is registered with `linecache` under `filename`, so
tracebacks, pdb and `inspect` show the generated lines; each function
carries it in `__srcad_source__`, which lets srcad capture generated code
again (grad of grad).
"""
import linecache
import re
import textwrap

FACTORY = "srcad_factory"


def compile_source(source, filename, globals_, cells):
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
    for fn in functions.values():
        fn.__srcad_source__ = text
    return functions
