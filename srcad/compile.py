"""Compile: generated source -> Python function objects.

`compile_source(source, filename, namespace)` executes the source in
`namespace` and registers it with `linecache` under `filename`, so
tracebacks, pdb and `inspect` show the generated lines. Each function it
defines carries its module source in `__srcad_source__`, which lets srcad
capture generated code again (grad of grad).
"""
import linecache
import types


def compile_source(source, filename, namespace):
    linecache.cache[filename] = (len(source), None,
                                 source.splitlines(True), filename)
    code = compile(source, filename, "exec")
    exec(code, namespace)
    functions = {}
    for key, value in namespace.items():
        if isinstance(value, types.FunctionType) and \
                value.__code__.co_filename == filename:
            value.__srcad_source__ = source
            functions[key] = value
    return functions
