"""Errors srcad raises on purpose: the kind, the location, the advice.

Every error must be a subclass of srcad.SrcadError, and its message must
name this file, say "line N" for the offending line, show that line's text
with a caret under it, and give some advice. The offending lines below are
marked with a `# <- name` comment so the tests can find their line numbers.
"""
import os
import re

import numpy as np
import pytest

import srcad
from fdcheck import numeric_jacobian

HERE = os.path.basename(__file__)
IDENT = np.frompyfunc(lambda a: a, 1, 1)   # a callable with no source and no rule
_SINK = None


# --------------------------------------------------- functions that fail

def non_scalar(x):
    y = np.sin(x) * 2.0
    return y  # <- non-scalar


def no_return(x):
    y = np.sin(x)
    y = y * 2.0  # <- no-return


def returns_nothing_at_the_end(x):
    for v in [x, 2.0 * x]:
        if np.sum(v) > 100.0:  # <- loop-no-return
            return np.sum(v)


def uses_with(x):
    with np.errstate(all="ignore"):  # <- with
        y = np.log(x)
    return np.sum(y)


def uses_yield(x):
    y = np.sin(x)
    yield np.sum(y)  # <- yield


def writes_global(x):
    global _SINK  # <- global
    _SINK = x * 2.0  # <- global-write
    return np.sum(x)


def uses_del(x):
    t = x * 2.0
    u = t + 1.0
    del t  # <- del
    return np.sum(u)


def calls_no_rule(x):
    y = x * 2.0
    z = IDENT(y)  # <- no-rule
    return np.sum(z)


_ns = {"np": np}
exec("def from_string(x):\n    return np.sum(x * x)\n", _ns)
from_string = _ns["from_string"]


def calls_from_string(x):
    y = x + 1.0
    z = from_string(y)  # <- calls-exec
    return z


# --------------------------------------------------------------- helpers

def _marked(name):
    """(line number, code text) of the line marked `# <- name` in this file."""
    with open(__file__) as f:
        for number, text in enumerate(f, start=1):
            if text.rstrip().endswith(f"# <- {name}"):
                return number, text.split("#")[0].strip()
    raise LookupError(name)


ADVICE = re.compile(r"\b(instead|use|using|try|rewrite|register|define|move|remove|replace|"
                    r"provide|pass|write|stop|return|give|consider|wrap|call)\b", re.I)


def _raise(func, *args):
    """The message of the SrcadError from building and calling srcad.grad(func)."""
    with pytest.raises(srcad.SrcadError) as info:
        srcad.grad(func)(*args)
    err = info.value
    assert type(err) is not srcad.SrcadError, \
        "errors should be a specific subclass of SrcadError (what kind of problem)"
    return str(err)


def _assert_located(msg, *names):
    """msg names this file, the line of one of the marked lines, its text and a caret."""
    assert HERE in msg, f"file name {HERE!r} missing from:\n{msg}"
    places = [_marked(n) for n in names]
    found = [(n, t) for n, t in places if re.search(rf"\bline {n}\b", msg)]
    assert found, f"expected 'line N' for N in {[n for n, _ in places]} in:\n{msg}"
    number, text = found[0]
    assert text in msg, f"source line {text!r} missing from:\n{msg}"
    lines = msg.splitlines()
    at = next(i for i, line in enumerate(lines) if text in line and "File" not in line)
    assert any(re.fullmatch(r"\s*[~^]*\^[~^]*\s*", line) for line in lines[at + 1:at + 2]), \
        f"no caret line under the source line in:\n{msg}"


def _explanation(msg):
    """The message without the location lines (everything after the caret line)."""
    lines = msg.splitlines()
    carets = [i for i, line in enumerate(lines) if re.fullmatch(r"\s*[~^]*\^[~^]*\s*", line)]
    return "\n".join(lines[carets[0] + 1:] if carets else lines)


def _assert_advice(msg):
    assert ADVICE.search(_explanation(msg)), f"no advice (what to do instead) in:\n{msg}"


# ------------------------------------------------------------------ tests

X = np.array([0.5, 1.0, 1.5])


@pytest.mark.parametrize("arg", [X, np.ones((2, 3))], ids=["vec", "mat"])
def test_non_scalar_output(arg):
    msg = _raise(non_scalar, arg)
    assert "scalar" in _explanation(msg).lower()
    _assert_located(msg, "non-scalar")
    _assert_advice(msg)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_no_return_statement_is_located(mode):
    with pytest.raises(srcad.NonScalarOutput) as info:
        srcad.grad(no_return, mode=mode)(X)
    msg = str(info.value)
    assert "has no return statement" in msg
    _assert_located(msg, "no-return")
    _assert_advice(msg)


def test_falling_off_the_end_is_located():
    # it may also return from inside the loop: the def line, then
    msg = _raise(returns_nothing_at_the_end, X)
    assert "NoneType" in msg and "def returns_nothing_at_the_end" in msg


@pytest.mark.parametrize("fn, args", [
    (np.sum, (np.ones((2, 3)),)), (np.mean, (np.ones(3),)),
    (np.prod, (np.arange(1.0, 4.0),)), (np.linalg.det, (2 * np.eye(2),))])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_grad_of_a_numpy_function_uses_its_rule(fn, args, mode):
    # np.sum & co. are Python functions wrapped by NumPy's dispatcher:
    # their rule, not NumPy's source, which srcad cannot read
    got = srcad.grad(fn, mode=mode)(*args)
    want = numeric_jacobian(fn, list(args), 0)
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("func,marks,word", [
    (uses_with, ["with"], "with"),
    (uses_yield, ["yield"], "yield|generator"),
    (writes_global, ["global", "global-write"], "global"),
    (uses_del, ["del"], "del"),
], ids=["with", "yield", "global", "del"])
def test_unsupported_syntax(func, marks, word):
    msg = _raise(func, X)
    assert re.search(rf"\b({word})\b", _explanation(msg), re.I), \
        f"the explanation does not say what is unsupported ({word!r}):\n{msg}"
    _assert_located(msg, *marks)
    _assert_advice(msg)


def test_call_without_source_or_rule():
    msg = _raise(calls_no_rule, X)
    assert "IDENT" in msg or "lambda" in msg, f"the callable is not named in:\n{msg}"
    _assert_located(msg, "no-rule")
    assert re.search(r"rule|derivative", _explanation(msg), re.I), msg
    _assert_advice(msg)


def test_function_without_source():
    msg = _raise(from_string, X)
    assert "from_string" in msg, f"the function is not named in:\n{msg}"
    assert "source" in msg.lower()
    _assert_advice(msg)


class _Model:
    def looped(self, x):
        s = 0.0
        for i in range(3):
            s = s + x * i
        return s

    def straight(self, x):
        return x * 2.0


@pytest.mark.parametrize("method", ["looped", "straight"])
def test_bound_method_is_refused_with_advice(method):
    with pytest.raises(srcad.SrcadError) as info:
        srcad.grad(getattr(_Model(), method))(2.0)
    msg = str(info.value)
    assert "source" in msg.lower() and "bound method" in msg
    _assert_advice(msg)


def test_call_to_function_without_source():
    msg = _raise(calls_from_string, X)
    assert "from_string" in msg, f"the callee is not named in:\n{msg}"
    _assert_located(msg, "calls-exec")
    _assert_advice(msg)



def uses_convolve(x):
    return np.sum(np.convolve(x, x))  # <- convolve


def test_numpy_function_without_a_rule_is_named():
    from srcad import rules
    assert rules.lookup(np.convolve) is None
    with pytest.raises(srcad.NoDerivativeRule) as info:
        srcad.grad(uses_convolve)(np.ones(3))
    message = str(info.value)
    assert "numpy.convolve" in message and "srcad.defrule" in message
    assert "np.convolve(x, x)" in message


# -- + and * on lists and tuples: joined and repeated, not added ------------

def joined_lists(a, b):
    items = [a] + [b * b]
    return items[0] + items[1]


def joined_in_place(a, b):
    items = [a]
    items += [b * b]
    return items[0] * items[1]


def joined_tuples(a, b):
    pair = (a,) + (b * b,)
    return pair[0] * pair[1]


def repeated(a, b):
    items = [a * b] * 3
    return items[0] * items[1] * items[2]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, said", [(joined_lists, "'+' joins"),
                                     (joined_in_place, "'+' joins"),
                                     (joined_tuples, "'+' joins"),
                                     (repeated, "'*' repeats")])
def test_joining_or_repeating_a_list_is_refused(f, said, mode):
    with pytest.raises(srcad.UnsupportedSyntax) as info:
        srcad.grad(f, wrt=(0, 1), mode=mode)(2.0, 3.0)
    assert said in str(info.value) and "test_errors.py" in str(info.value)


def test_a_repeated_list_of_constants_still_works():
    def f(x):
        ys = [0.0] * 3
        for i in range(3):
            ys[i] = x * i
        return ys[1] + ys[2]
    assert srcad.grad(f)(1.5) == 3.0


def test_a_library_function_it_cannot_follow_is_located_at_the_call(tmp_path):
    import importlib.util
    folder = tmp_path / "site-packages"
    folder.mkdir()
    (folder / "somelib.py").write_text(
        "import numpy as np\n\n\n"
        "def smooth_max(x):\n"
        "    with np.errstate(over='ignore'):\n"
        "        return np.log(np.sum(np.exp(x)))\n")
    spec = importlib.util.spec_from_file_location("somelib",
                                                  folder / "somelib.py")
    somelib = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(somelib)
    scope = {"np": np, "smooth_max": somelib.smooth_max}
    (tmp_path / "user.py").write_text(
        "def f(x):\n    return smooth_max(x * 2.0)\n")
    code = compile((tmp_path / "user.py").read_text(),
                   str(tmp_path / "user.py"), "exec")
    exec(code, scope)
    with pytest.raises(srcad.NoDerivativeRule) as info:
        srcad.grad(scope["f"])(np.ones(3))
    message = str(info.value)
    assert "user.py" in message and "smooth_max(x * 2.0)" in message
    assert "srcad.defrule" in message


def test_a_lambda_inside_a_statement_over_several_lines():
    with pytest.raises(srcad.SourceUnavailable, match="line of its own"):
        print(max(1.0,
                  srcad.grad(lambda s: s ** 3)(2.0)))


class _Ops:
    @staticmethod
    def square(v):
        return v * v

    @classmethod
    def cube(cls, v):
        return v ** 3


def test_a_classmethod_call_says_it_is_a_method():
    def f(x):
        return np.sum(_Ops.cube(x)) + np.sum(_Ops.square(x))
    with pytest.raises(srcad.NoDerivativeRule, match="is a method") as info:
        srcad.grad(f)(np.array([0.3, 0.7]))
    assert "staticmethod" in str(info.value)


# -- the user's own broadcasting error ---------------------------------------
# (the derivative raises what the function raises, in NumPy's words, also
# where only the shape of the failing operation was needed)

def mismatched_mean(x, y):
    return np.mean(x + y)


def mismatched_loss(x, y):
    return -np.mean(y * np.log(x) + (1 - y) * np.log(1 - x))


@pytest.mark.parametrize("f", [mismatched_mean, mismatched_loss])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_shapes_that_do_not_broadcast_raise_as_the_function_does(f, mode):
    x, y = np.array([0.3, 0.5, 0.9]), np.array([1.0, 0.0])
    with pytest.raises(ValueError, match="could not be broadcast together"):
        f(x, y)
    with pytest.raises(ValueError, match="could not be broadcast together "
                       r"with shapes \((3|2),\) \((2|3),\)"):
        srcad.grad(f, mode=mode)(x, y)


def params_by_key(p, x):
    return np.sum(p["w"] * x) + p["b"] ** 2


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_dict_read_by_key_is_refused_where_a_derivative_flows(mode):
    p, x = {"w": np.ones(2), "b": 0.5}, np.array([1.0, 2.0])
    with pytest.raises(srcad.UnsupportedSyntax,
                       match=r"reads p\['w'\] by key.*not dicts") as info:
        srcad.grad(params_by_key, wrt=0, mode=mode)(p, x)
    assert "test_errors.py" in str(info.value)
    # a dict of constants is fine
    np.testing.assert_allclose(
        srcad.grad(params_by_key, wrt=1, mode=mode)(p, x), [1.0, 1.0])


def _complex_square(z):
    return z * z


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_complex_output_says_srcad_differentiates_real_functions(mode):
    with pytest.raises(srcad.SrcadError, match="returned a complex number: "
                       "srcad differentiates functions of real numbers"):
        srcad.grad(_complex_square, mode=mode)(1 + 2j)


def _cubic_sum(x):
    return np.sum(x ** 3)


@pytest.mark.parametrize("make", [
    lambda: srcad.jacobian(srcad.hessian(_cubic_sum)),
    lambda: srcad.grad(srcad.jacobian(_cubic_sum)),
    lambda: srcad.hessian(srcad.hessian(_cubic_sum))])
def test_differentiating_a_jacobian_says_what_to_write(make):
    with pytest.raises(srcad.UsageError,
                       match="srcad.jacobian .* is not differentiated "
                       "again: differentiate srcad.grad instead") as info:
        make()(np.ones(2))
    assert "srcad/api.py" not in str(info.value)
