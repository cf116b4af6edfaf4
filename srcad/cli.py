"""The ``srcad`` command line: a thin client of the public API.

    srcad show path/to/module.py:func [--mode reverse|forward] [--wrt x,y]
                                      [--no-optimize] [--ndims c=1,x=0]
                                      [--dump-after STAGE]

``show`` loads the module from its file (with the file's directory put first
on ``sys.path`` so its own imports work), looks the function up and prints
``srcad.source(func, ...)``; with ``--dump-after STAGE`` it prints the
program after that pipeline stage instead (``srcad.pipeline.source_after``).
Stdout holds only the generated source: whatever the module prints while it
is imported goes to stderr.

Every problem with the input is reported as one short paragraph on stderr,
never as a traceback. Exit status: 0 on success, 2 for usage errors (bad
arguments, no such file, no such function), 1 when the file cannot be
imported or srcad cannot compile the function.
"""

import argparse
import contextlib
import importlib.util
import os
import sys
import traceback

import srcad

EXIT_OK = 0
EXIT_COMPILE = 1
EXIT_USAGE = 2

MODES = ("reverse", "forward")


class CliError(Exception):
    """A problem with the user's input, reported without a traceback."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


def main(argv=None):
    """Run the command line with ``argv`` (default ``sys.argv[1:]``)."""
    parser = _make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        # argparse has printed its usage message already (or --help).
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_usage(sys.stderr)
        _error("missing command (try: srcad show path/to/module.py:func)")
        return EXIT_USAGE
    try:
        return args.run(args)
    except CliError as err:
        _error(str(err))
        return err.status


def _make_parser():
    parser = argparse.ArgumentParser(
        prog="srcad",
        description="Source-to-source automatic differentiation for "
        "Python and NumPy.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    show = commands.add_parser(
        "show",
        help="print the generated derivative source of a function",
        description="Print the generated derivative source of a function.",
    )
    show.add_argument(
        "target",
        metavar="path/to/module.py:func",
        help="the file that defines the function, a colon, and its name",
    )
    show.add_argument(
        "--mode", choices=MODES, default="reverse",
        help="reverse (default) or forward mode",
    )
    show.add_argument(
        "--wrt", metavar="x,y",
        help="parameter names or positions to differentiate with respect "
        "to, comma-separated (default: the first parameter)",
    )
    show.add_argument(
        "--no-optimize", dest="optimize", action="store_false",
        help="skip the clean-up passes",
    )
    show.add_argument(
        "--ndims", metavar="c=1,x=0",
        help="print the version a call with arguments of these ndims runs "
        "(0 for a number; a function with loops has one per kind of "
        "arguments)",
    )
    stages = _stage_names()
    show.add_argument(
        "--dump-after", metavar="STAGE",
        help="print the program after this pipeline stage instead"
        + (f" (one of: {', '.join(stages)})" if stages else ""),
    )
    show.set_defaults(run=_show)
    return parser


def _show(args):
    """``srcad show``: print the derivative source of one function."""
    path, name = _split_target(args.target)
    options = {"mode": args.mode, "optimize": args.optimize}
    if args.wrt is not None:
        options["wrt"] = _parse_wrt(args.wrt)
    stage = args.dump_after
    if stage is not None and stage not in _stage_names():
        raise CliError(
            f"unknown stage {stage!r} for --dump-after; "
            f"choose one of: {', '.join(_stage_names())}",
            EXIT_USAGE,
        )
    module = _load_module(path)
    func = _find_function(module, path, name)
    if args.ndims is not None:
        options["args"] = _stand_ins(func, args.ndims)
    try:
        if stage is None:
            text = srcad.source(func, **options)
        else:
            from srcad import pipeline

            text = pipeline.source_after(func, stage, **options)
    except srcad.SrcadError as err:
        raise CliError(
            f"cannot differentiate {name!r}:\n{err}", EXIT_COMPILE
        ) from None
    except Exception as err:  # a bug in srcad: still no traceback
        where = _last_frame(err)
        raise CliError(
            f"internal error in srcad while compiling {name!r}: "
            f"{_describe(err)}{where}. This is a bug in srcad; please report "
            "it with the function that triggers it.",
            EXIT_COMPILE,
        ) from None
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def _stand_ins(func, text):
    """Arguments with the ndims `text` gives (`c=1,x=0`), to pick the
    version of a derivative that such a call runs."""
    import inspect

    import numpy as np

    params = list(inspect.signature(func).parameters)
    ndims = {}
    for item in text.split(","):
        key, _, value = item.strip().partition("=")
        if key not in params or not value.strip().isdigit():
            raise CliError(
                f"--ndims wants name=ndim pairs for parameters of the "
                f"function ({', '.join(params)}), like x=0,c=1; got "
                f"{item.strip()!r}", EXIT_USAGE)
        ndims[key] = int(value)
    return tuple(
        None if p not in ndims else 0.0 if ndims[p] == 0
        else np.zeros((1,) * ndims[p]) for p in params)


def _stage_names():
    try:
        from srcad import pipeline

        return tuple(pipeline.STAGES) + tuple(pipeline.ALIASES)
    except Exception:  # the help text just leaves the list out
        return ()


def _split_target(target):
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise CliError(
            f"expected path/to/module.py:func, got {target!r}", EXIT_USAGE
        )
    return path, name


def _parse_wrt(text):
    """``"x"`` -> ``"x"``, ``"0"`` -> ``0``, ``"x,1"`` -> ``("x", 1)``."""
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise CliError(
            f"--wrt expects comma-separated parameter names or positions, "
            f"got {text!r}",
            EXIT_USAGE,
        )
    parsed = tuple(int(item) if item.isdigit() else item for item in items)
    for item in parsed:
        if isinstance(item, str) and not item.isidentifier():
            raise CliError(
                f"--wrt: {item!r} is neither a parameter name nor a position",
                EXIT_USAGE,
            )
    return parsed[0] if len(parsed) == 1 else parsed


def _load_module(path):
    """Import the file at ``path`` as a module, reporting failures plainly."""
    if not os.path.exists(path):
        raise CliError(f"no such file: {path}", EXIT_USAGE)
    if os.path.isdir(path):
        raise CliError(f"{path} is a directory, not a Python file", EXIT_USAGE)
    abspath = os.path.abspath(path)
    directory = os.path.dirname(abspath)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    name = _module_name(abspath)
    spec = importlib.util.spec_from_file_location(name, abspath)
    if spec is None or spec.loader is None:
        raise CliError(
            f"cannot import {path}: not a Python source file", EXIT_USAGE
        )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        # Whatever the module prints goes to stderr: stdout is the source.
        with contextlib.redirect_stdout(sys.stderr):
            spec.loader.exec_module(module)
    except SyntaxError as err:
        sys.modules.pop(name, None)
        line = f", line {err.lineno}" if err.lineno else ""
        text = f": {err.text.strip()}" if err.text and err.text.strip() else ""
        raise CliError(
            f"cannot import {path}{line}: {type(err).__name__}: "
            f"{err.msg}{text}",
            EXIT_COMPILE,
        ) from None
    except (Exception, SystemExit) as err:
        sys.modules.pop(name, None)
        raise CliError(
            f"importing {path} raised {_describe(err)}"
            f"{_last_frame(err, abspath, shown=path)}",
            EXIT_COMPILE,
        ) from None
    return module


def _module_name(abspath):
    stem = os.path.splitext(os.path.basename(abspath))[0]
    name = stem if stem.isidentifier() else "_srcad_show_module"
    if name in sys.modules:
        name = f"_srcad_show_{name}"
    return name


def _find_function(module, path, name):
    obj = module
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise CliError(
                f"{path} has no function named {name!r}", EXIT_USAGE
            ) from None
    if not callable(obj):
        raise CliError(
            f"{path}:{name} is a {type(obj).__name__}, not a function",
            EXIT_USAGE,
        )
    return obj


def _describe(err):
    message = str(err)
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def _last_frame(err, filename=None, shown=None):
    """`` (at FILE, line N)`` for the innermost frame (in ``filename``)."""
    frames = traceback.extract_tb(err.__traceback__)
    if filename is not None:
        frames = [f for f in frames if f.filename == filename]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (at {shown or frame.filename}, line {frame.lineno})"


def _error(message):
    print(f"srcad: error: {message}", file=sys.stderr)
