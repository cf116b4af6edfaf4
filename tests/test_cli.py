"""The ``srcad show`` command line, run as ``python -m srcad``."""

import importlib.util
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

import srcad

ROOT = pathlib.Path(__file__).resolve().parent.parent

MODULE = """\
import math
import numpy as np


def f(x, y):
    return math.sin(x * y) + x / y


def vec(w, v):
    return np.sum(np.tanh(w * v))


if __name__ == "__main__":
    raise RuntimeError("the CLI must not run the module as a script")
"""


def run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "srcad", *map(str, args)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


def write(tmp_path, text, name="mod.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def load(path, name):
    spec = importlib.util.spec_from_file_location(f"_t_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def assert_ok(result):
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    compile(result.stdout, "x", "exec")
    assert "def " in result.stdout


def assert_clean_failure(result, status=None):
    assert result.returncode != 0
    if status is not None:
        assert result.returncode == status, result.stderr
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) <= 12, result.stderr


# ---- success -------------------------------------------------------------

def test_show_prints_compilable_source(tmp_path):
    path = write(tmp_path, MODULE)
    result = run("show", f"{path}:f")
    assert_ok(result)
    want = srcad.source(load(path, "f"))
    assert result.stdout.rstrip("\n") == want.rstrip("\n")


def test_show_with_relative_path(tmp_path):
    write(tmp_path, MODULE)
    assert_ok(run("show", "mod.py:f", cwd=tmp_path))


def test_show_sigmoid_example():
    result = run("show", "examples/sigmoid.py:sigmoid", cwd=ROOT)
    assert_ok(result)


@pytest.mark.parametrize("wrt, expected", [
    ("y", "y"),
    ("1", 1),
    ("x,y", ("x", "y")),
    ("0,1", (0, 1)),
])
def test_wrt(tmp_path, wrt, expected):
    path = write(tmp_path, MODULE)
    result = run("show", f"{path}:f", "--wrt", wrt)
    assert_ok(result)
    want = srcad.source(load(path, "f"), wrt=expected)
    assert result.stdout.rstrip("\n") == want.rstrip("\n")


def test_no_optimize(tmp_path):
    path = write(tmp_path, MODULE)
    result = run("show", f"{path}:vec", "--no-optimize")
    assert_ok(result)
    want = srcad.source(load(path, "vec"), optimize=False)
    assert result.stdout.rstrip("\n") == want.rstrip("\n")


def test_forward_mode(tmp_path):
    path = write(tmp_path, MODULE)
    result = run("show", f"{path}:f", "--mode", "forward", "--wrt", "y")
    assert_ok(result)
    want = srcad.source(load(path, "f"), mode="forward", wrt="y")
    assert result.stdout.rstrip("\n") == want.rstrip("\n")


def test_imports_next_to_the_module_work(tmp_path):
    write(tmp_path, "SCALE = 3.0\n", name="helper_consts.py")
    path = write(tmp_path, """\
        from helper_consts import SCALE

        def f(x):
            return SCALE * x * x
        """)
    assert_ok(run("show", f"{path}:f"))


def test_module_output_goes_to_stderr(tmp_path):
    path = write(tmp_path, """\
        print("hello from the module")

        def f(x):
            return x * x
        """)
    result = run("show", f"{path}:f")
    assert_ok(result)
    assert "hello" not in result.stdout
    assert "hello from the module" in result.stderr


def test_dump_after_each_stage(tmp_path):
    from srcad import pipeline

    path = write(tmp_path, MODULE)
    assert pipeline.STAGES
    for stage in pipeline.STAGES:
        result = run("show", f"{path}:f", "--dump-after", stage)
        assert result.returncode == 0, (stage, result.stderr)
        assert result.stdout.strip(), stage


def test_help_exits_zero():
    result = run("show", "--help")
    assert result.returncode == 0
    assert "--wrt" in result.stdout


# ---- bad input -----------------------------------------------------------

def test_missing_file(tmp_path):
    result = run("show", f"{tmp_path / 'nope.py'}:f")
    assert_clean_failure(result, status=2)
    assert "nope.py" in result.stderr


def test_missing_function(tmp_path):
    path = write(tmp_path, MODULE)
    result = run("show", f"{path}:nope")
    assert_clean_failure(result, status=2)
    assert "nope" in result.stderr


def test_target_without_function(tmp_path):
    path = write(tmp_path, MODULE)
    assert_clean_failure(run("show", str(path)), status=2)


def test_not_a_function(tmp_path):
    path = write(tmp_path, "VALUE = 3\n")
    assert_clean_failure(run("show", f"{path}:VALUE"), status=2)


def test_file_with_syntax_error(tmp_path):
    path = write(tmp_path, "def f(x):\n    return x +\n")
    result = run("show", f"{path}:f")
    assert_clean_failure(result, status=1)
    assert "SyntaxError" in result.stderr


def test_file_raising_on_import(tmp_path):
    path = write(tmp_path, """\
        def f(x):
            return x

        raise ValueError("broken module")
        """)
    result = run("show", f"{path}:f")
    assert_clean_failure(result, status=1)
    assert "broken module" in result.stderr


def test_file_exiting_on_import(tmp_path):
    path = write(tmp_path, "import sys\nsys.exit(3)\n")
    assert_clean_failure(run("show", f"{path}:f"), status=1)


@pytest.mark.parametrize("body", [
    """\
    def f(x):
        with open("a") as handle:
            y = x * 2
        return y
    """,
    """\
    def f(x):
        yield x * 2
    """,
])
def test_unsupported_syntax(tmp_path, body):
    path = write(tmp_path, body)
    result = run("show", f"{path}:f")
    assert_clean_failure(result, status=1)
    assert "mod.py" in result.stderr


def test_bad_mode(tmp_path):
    path = write(tmp_path, MODULE)
    assert_clean_failure(run("show", f"{path}:f", "--mode", "sideways"), 2)


def test_bad_wrt(tmp_path):
    path = write(tmp_path, MODULE)
    assert_clean_failure(run("show", f"{path}:f", "--wrt", "x,,y"), 2)


def test_unknown_stage(tmp_path):
    path = write(tmp_path, MODULE)
    result = run("show", f"{path}:f", "--dump-after", "no-such-stage")
    assert_clean_failure(result, status=2)


def test_no_command():
    assert_clean_failure(run(), status=2)


HORNER = """
def horner(c, x):
    p = 0.0
    for i in range(len(c)):
        p = p * x + c[i]
    return p
"""


def test_ndims_shows_the_specialized_version(tmp_path):
    path = write(tmp_path, HORNER)
    result = run("show", f"{path}:horner", "--wrt", "c,x", "--ndims",
                 "c=1,x=0")
    assert_ok(result)
    assert "for c 1-d, x a number" in result.stdout.splitlines()[0]
    assert "unbroadcast" not in result.stdout
    general = run("show", f"{path}:horner", "--wrt", "c,x")
    assert "unbroadcast" in general.stdout
    dumped = run("show", f"{path}:horner", "--ndims", "c=1,x=0",
                 "--dump-after", "optimize")
    assert_ok(dumped)
    assert "unbroadcast" not in dumped.stdout


@pytest.mark.parametrize("ndims", ["q=1", "c=a", "c"])
def test_bad_ndims(tmp_path, ndims):
    path = write(tmp_path, HORNER)
    assert_clean_failure(run("show", f"{path}:horner", "--ndims", ndims), 2)
