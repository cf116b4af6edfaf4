"""Every derivative rule, swept over shapes in both modes and to second
order, against central finite differences (specs in specs.py)."""
import importlib
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import srcad
from srcad import rules, runtime
from fdcheck import numeric_jacobian
from specs import SPECS, draw

NAMESPACE = {"np": np, "math": math, "ad": runtime}


def _module():
    """The spec calls as ordinary functions in a module with source."""
    lines = ["import math", "import numpy as np",
             "from srcad import runtime as ad", ""]
    for i, spec in enumerate(SPECS):
        params = ", ".join("abc"[:len(spec.domains)])
        *statements, result = _parts(spec.call)
        lines.append(f"def f{i}({params}, w):")
        lines.extend(f"    {s}" for s in statements)
        lines.append(f"    return np.sum(({result}) * w)")
        lines.append("")
        # the plain sum: its adjoint is one number the optimizer spreads
        lines.append(f"def s{i}({params}):")
        lines.extend(f"    {s}" for s in statements)
        lines.append(f"    return np.sum({result})")
        lines.append("")
    folder = Path(tempfile.mkdtemp(prefix="srcad_specs_"))
    (folder / "spec_functions.py").write_text("\n".join(lines))
    sys.path.insert(0, str(folder))
    return importlib.import_module("spec_functions")


def _parts(call):
    """A spec call `"p, q = np.split(a, 2); p * q"`: its statements, then
    the expression whose value is tested."""
    return [part.strip() for part in call.split(";")]


def _evaluate(call, names):
    *statements, result = _parts(call)
    names = dict(names)
    for statement in statements:
        exec(statement, dict(NAMESPACE), names)
    return eval(result, dict(NAMESPACE), names)


FUNCTIONS = _module()
# "unoptimized" runs the naive generated code, with the shape stand-ins
# and zero adjoints the optimizer would otherwise remove.
MODES = ("reverse", "forward", "reverse-unoptimized")


def _cases(checks):
    """One pytest case a spec, shape set and check; a check a spec lists in
    `bugs` is expected to fail (strictly, so a fix is noticed)."""
    cases = []
    for i, spec in enumerate(SPECS):
        for shapes in spec.shapes:
            for check in checks:
                bug = spec.bugs.get(check)
                marks = [pytest.mark.xfail(reason=bug, strict=True)] \
                    if bug else []
                label = f"{spec.call}-{shapes}" + \
                    (f"-{check}" if len(checks) > 1 else "")
                cases.append(pytest.param(i, shapes, check, id=label,
                                          marks=marks))
    return cases


def _inputs(spec, shapes, seed):
    rng = np.random.default_rng(seed)
    args = []
    for domain, shape in zip(spec.domains, shapes):
        value = draw(domain, shape, rng)
        args.append(float(value) if shape == () else value)
    out = _evaluate(spec.call, zip("abc", args))
    weight = rng.uniform(0.5, 1.5, size=np.shape(out))
    args.append(float(weight) if np.shape(out) == () else weight)
    return args


def _close(actual, expected, rtol):
    np.testing.assert_allclose(np.asarray(actual, dtype=float),
                               np.asarray(expected, dtype=float),
                               rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("index, shapes, mode", _cases(MODES))
def test_first_order(index, shapes, mode):
    spec, f = SPECS[index], getattr(FUNCTIONS, f"f{index}")
    args = _inputs(spec, shapes, index)
    wrt = tuple(range(len(spec.domains)))
    grads = srcad.grad(f, wrt=wrt, mode=mode.split("-")[0],
                       optimize=not mode.endswith("unoptimized"))(*args)
    for k in wrt:
        expected = numeric_jacobian(f, args, k)
        assert np.shape(grads[k]) == np.shape(args[k])
        assert isinstance(grads[k], float) == isinstance(args[k], float)
        _close(grads[k], expected, spec.rtol)


@pytest.mark.parametrize("index, shapes, check", _cases(["summed"]))
def test_summed(index, shapes, check):
    """np.sum(call) unweighted, optimized: the passes that keep the
    adjoint of a full sum a scalar see every rule's templates."""
    spec, f = SPECS[index], getattr(FUNCTIONS, f"s{index}")
    args = _inputs(spec, shapes, index)[:-1]
    wrt = tuple(range(len(spec.domains)))
    grads = srcad.grad(f, wrt=wrt)(*args)
    for k in wrt:
        assert np.shape(grads[k]) == np.shape(args[k])
        _close(grads[k], numeric_jacobian(f, args, k), spec.rtol)


@pytest.mark.parametrize("index, shapes, mode",
                         _cases(["float32-reverse", "float32-forward"]))
def test_float32_gradients_stay_float32(index, shapes, mode):
    """A gradient has its argument's type: float64 constants in the
    derivative (1.0 / size, 2.5 * g) must not promote it."""
    spec, f = SPECS[index], getattr(FUNCTIONS, f"f{index}")
    args = _inputs(spec, shapes, index)
    wrt = tuple(range(len(spec.domains)))
    single = [np.float32(a) if isinstance(a, float) else a.astype(np.float32)
              for a in args]
    grads = srcad.grad(f, wrt=wrt, mode=mode.split("-")[1])(*single)
    expected = srcad.grad(f, wrt=wrt)(*args)
    for k in wrt:
        assert np.asarray(grads[k]).dtype == np.float32
        np.testing.assert_allclose(grads[k], expected[k], rtol=2e-3,
                                   atol=2e-3)


@pytest.mark.parametrize("index, shapes, check", _cases(["second_order"]))
def test_second_order(index, shapes, check):
    spec, f = SPECS[index], getattr(FUNCTIONS, f"f{index}")
    if not spec.second_order:
        pytest.skip("not twice differentiable")
    args = _inputs(spec, shapes, index)
    gradient = srcad.grad(f, wrt=0)
    expected = numeric_jacobian(gradient, args, 0)
    _close(srcad.hessian(f, wrt=0)(*args), expected, 1e-4)
    reverse = srcad.jacobian(gradient, wrt=0, mode="reverse")(*args)
    _close(reverse, expected, 1e-4)


def test_every_rule_has_a_spec():
    specced = {id(spec.fn) for spec in SPECS}
    missing = [rule.signature for fn, rule in rules.RULES.items()
               if rule.differentiable and id(fn) not in specced]
    assert not missing, f"rules without a test spec: {missing}"


def _max_rows(x):
    return np.sum(np.max(x, axis=1) * np.array([1.0, 2.0]))


def _max_all(x):
    return np.max(x) * 3.0


def _min_rows_keepdims(x):
    return np.sum(np.min(x, axis=1, keepdims=True) * np.array([[1.0], [2.0]]))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_max_and_min_share_the_gradient_between_ties(mode):
    # finite differences cannot see this: at a tie the one-sided
    # derivatives differ, and srcad splits the adjoint evenly
    x = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]])
    got = srcad.grad(_max_rows, mode=mode)(x)
    assert np.allclose(got, [[0, 0.5, 0.5], [2, 0, 0]])
    got = srcad.grad(_max_all, mode=mode)(np.array([2.0, 2.0, 1.0, 2.0]))
    assert np.allclose(got, [1, 1, 0, 1])
    y = np.array([[0.0, 0.0, 5.0], [4.0, 1.0, 2.0]])
    got = srcad.grad(_min_rows_keepdims, mode=mode)(y)
    assert np.allclose(got, [[0.5, 0.5, 0], [0, 2, 0]])


def _formatted(x):
    return x * float("%.1f" % x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_string_formatting_is_no_remainder(mode):
    # "%.1f" % x makes a string: no derivative, not a // b
    assert srcad.grad(_formatted, mode=mode)(1.23) == 1.2


def _max_of_list(a, b):
    return max([a, b, a * 1.0]) + 2.0 * min(a, b, 3.0)


def _max_of_array(x):
    return max(x) - 0.5 * min(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_builtin_max_and_min_give_a_tie_to_the_last_item(mode):
    # max(a, b) gives a tie to b; max(items) and max(a, b, c) to the last
    # of the tied items likewise (finite differences cannot see this)
    got = srcad.grad(_max_of_list, wrt=(0, 1), mode=mode)(1.0, 1.0)
    assert got == (1.0, 2.0)  # max: a * 1.0 (last); min: b, times 2
    got = srcad.grad(_max_of_array, mode=mode)(np.array([2.0, -1.0, 2.0,
                                                         -1.0]))
    assert np.array_equal(got, [0.0, 0.0, 1.0, -0.5])


def _max_with_key(xs):
    return max(xs, key=abs)


def test_builtin_max_with_key_has_no_rule():
    with pytest.raises(srcad.SrcadError, match=r"max\(xs\) or max\(a, b"):
        srcad.grad(_max_with_key)([1.0, -2.0])


def _median_of_ties(x):
    return np.median(x)


def _quantile_in_x(x):
    return np.quantile(x, x[0] * 0.1 + 0.5)


def _nearest(x):
    return np.percentile(x, 40.0, method="nearest")


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_quantiles_at_ties_and_what_they_refuse(mode):
    # the order statistics are a stable argsort's: of tied values the
    # first in the array takes the lower one's weight
    got = srcad.grad(_median_of_ties, mode=mode)(np.array([2.0, 1.0, 2.0,
                                                           0.0]))
    assert np.array_equal(got, [0.5, 0.5, 0.0, 0.0])
    got = srcad.grad(_median_of_ties, mode=mode)(np.array([3.0, 3.0, 3.0]))
    assert np.array_equal(got, [0.0, 1.0, 0.0])
    # no rule in q: refused where q carries a derivative
    with pytest.raises(srcad.NoDerivativeRule, match="respect to q"):
        srcad.grad(_quantile_in_x, mode=mode)(np.array([1.0, 2.0, 4.0]))
    with pytest.raises(srcad.NoDerivativeRule, match="method='linear'"):
        srcad.grad(_nearest, mode=mode)(np.array([1.0, 2.0, 4.0]))


def _interp(x, xp, fp):
    return np.sum(np.interp(x, xp, fp) * np.array([1.0, 2.0, 3.0, 4.0]))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_interp_at_knots_and_in_xp(mode):
    # a knot takes the slope on its right; past the ends np.interp clamps
    # (slope 0, and the end value's weight 1), at xp[-1] too
    xp, fp = np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 3.0])
    x = np.array([-1.0, 1.0, 3.0, 4.0])
    got = srcad.grad(_interp, wrt=(0, 2), mode=mode)(x, xp, fp)
    assert np.array_equal(got[0], [0.0, 1.0, 0.0, 0.0])
    assert np.array_equal(got[1], [1.0, 2.0, 7.0])
    with pytest.raises(srcad.NoDerivativeRule, match="respect to xp"):
        srcad.grad(_interp, wrt=1, mode=mode)(x, xp, fp)


def _trapezoid_dx(y, h):
    return np.trapezoid(y, dx=h * 2.0)


def test_trapezoid_refuses_a_spacing_dx_that_carries_a_derivative():
    y = np.array([1.0, 2.0, 4.0])
    assert np.allclose(srcad.grad(_trapezoid_dx)(y, 0.5), [0.5, 1.0, 0.5])
    for mode in ("reverse", "forward"):
        with pytest.raises(srcad.NoDerivativeRule, match="respect to dx"):
            srcad.grad(_trapezoid_dx, wrt=1, mode=mode)(y, 0.5)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_values_given_to_options_without_a_derivative_are_refused(mode):
    def padded(x, c):
        return np.sum(np.pad(x, 1, constant_values=c) ** 2)

    def clamped(x, c):
        return np.sum(np.interp(x, np.array([0.0, 1.0]),
                                np.array([1.0, 2.0]), left=c))
    for f in (padded, clamped):
        with pytest.raises(srcad.NoDerivativeRule, match="with respect to"):
            srcad.grad(f, wrt=1, mode=mode)(np.array([-0.5, 0.5]), 0.3)
        # a constant there is fine
        srcad.grad(f, mode=mode)(np.array([-0.5, 0.5]), 0.3)


def test_out_given_by_position_is_no_option():
    def summed_into(x, o):
        return np.sum(x, 0, None, o) * 1.0

    def summed(x):
        return np.sum(x, 0, None) + np.mean(x, 0)
    with pytest.raises(srcad.NoDerivativeRule, match="does not accept"):
        srcad.grad(summed_into)(np.ones(3), np.zeros(()))
    np.testing.assert_allclose(srcad.grad(summed)(np.ones(3)), [4 / 3] * 3)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_options_the_templates_do_not_hold_for_are_located(mode):
    def nearest(x):
        return np.quantile(x, 0.3, method="nearest") ** 2

    def periodic(x):
        return np.sum(np.interp(x, np.array([0.0, 0.5]),
                                np.array([1.0, 2.0]), period=1.0) ** 2)

    def overwritten(x):
        return np.median(x * 1.0, overwrite_input=True)
    for f in (nearest, periodic, overwritten):
        with pytest.raises(srcad.NoDerivativeRule, match="only with") as info:
            srcad.grad(f, mode=mode)(np.array([0.1, 0.7, 0.4]))
        assert "test_rules.py" in str(info.value)


def test_keywords_by_the_functions_own_names():
    from srcad.rules.registry import lookup
    assert lookup(np.trapezoid).renamed() == {"y": "a"}
    # np.sum's out, which the rule leaves out, is not a renaming of keepdims
    assert lookup(np.sum).renamed() == {}
    assert lookup(np.where).renamed() == {}  # positional only


@pytest.mark.parametrize("x", [[0.0, 2.0, 3.0], [1.5, 0.0, 3.0, 0.0],
                               [0.0, 0.0, 3.0, 2.0], [2.0, 3.0, 0.0]])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_cumprod_is_exact_at_zeros(x, mode):
    # a zero's own derivative is the product of the others before each
    # position (d/dx0 of cumprod([0, 2, 3]) . [1, 2, 3] is 1 + 2*2 + 3*6)
    x = np.array(x)
    weights = np.arange(1.0, 1.0 + x.size)

    def f(v):
        return np.sum(np.cumprod(v) * weights)
    got = srcad.grad(f, mode=mode)(x)
    want = [np.sum(weights[j:] * [np.prod(np.delete(x[:k + 1], j))
                                  for k in range(j, x.size)])
            for j in range(x.size)]
    np.testing.assert_allclose(got, want)
    assert np.all(np.isfinite(srcad.jvp(f, (x,), (np.ones_like(x),))[1]))


def _logs_with_bases(x, b):
    return math.log(x, 2.0) + math.log(x * x, b) + math.log(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_math_log_with_a_base(mode):
    # normalize writes log(x, base) as log(x) / log(base)
    args = (1.5, 3.0)
    got = srcad.grad(_logs_with_bases, wrt=(0, 1), mode=mode)(*args)
    for k in (0, 1):
        assert got[k] == pytest.approx(
            numeric_jacobian(_logs_with_bases, list(args), k), rel=1e-6)
    assert srcad.grad(srcad.grad(_logs_with_bases))(*args) == pytest.approx(
        numeric_jacobian(srcad.grad(_logs_with_bases), list(args), 0),
        rel=1e-5)


def _slogdet_fields(m):
    r = np.linalg.slogdet(m)
    return r.logabsdet * r.sign + np.linalg.slogdet(m * 2.0).logabsdet


def _eigh_fields(a):
    res = np.linalg.eigh(a @ a.T + np.eye(2))
    return np.sum(res.eigenvalues ** 2) + np.sum(res.eigenvectors[0] ** 2)


def _qr_and_svd_fields(a):
    return np.sum(np.linalg.qr(a).R ** 2) + np.sum(np.linalg.svd(a).S)


@pytest.mark.parametrize("f", [_slogdet_fields, _eigh_fields,
                               _qr_and_svd_fields])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_named_fields_of_linalg_results(f, mode):
    # r.logabsdet is r[1]: the named tuples np.linalg returns
    m = np.array([[2.0, 0.3], [0.1, 1.5]])
    np.testing.assert_allclose(srcad.grad(f, mode=mode)(m),
                               numeric_jacobian(f, [m], 0).reshape(2, 2),
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("x", [[0.5, 0.0, 2.0], [0.0, 0.0, 3.0, 2.0],
                               [0.5, 1.5, 2.0]])
def test_cumprod_second_derivatives_at_zeros(x):
    # NaN before: the derivative of uncumprod divided by the element
    x = np.array(x)
    weights = np.arange(1.0, 1.0 + x.size)

    def f(v):
        return np.sum(np.cumprod(v) * weights)
    expected = numeric_jacobian(srcad.grad(f), [x], 0)
    np.testing.assert_allclose(srcad.hessian(f)(x), expected, atol=1e-6)
    np.testing.assert_allclose(
        srcad.jacobian(srcad.grad(f), mode="reverse")(x), expected,
        atol=1e-6)
