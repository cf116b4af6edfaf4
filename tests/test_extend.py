"""The extension API, used exactly as srcad/extend.py documents it.

    srcad.defrule(fn, "fn(x)", x="...", elementwise=True)
    srcad.defrule(fn, "fn(x, w)", x="...", w="...", forward={...}, names={...})
    srcad.defvjp(fn, vjp=..., jvp=...)
    @srcad.primitive + @fn.defvjp / @fn.defjvp

The functions given rules live in tests/ext_funcs.py; their bodies go
through `np.frompyfunc` ufuncs that srcad cannot differentiate, so a correct
gradient can only come from the registered rule. Every rule is checked in
reverse and forward mode against central finite differences, and to second
order (srcad.hessian against finite differences of srcad.grad). Then the
errors: a primitive with no derivative, a template naming an unknown name,
forward mode of a rule with no forward templates.
"""
import os

import numpy as np
import pytest

import ext_funcs
import srcad
from ext_funcs import expit, hypot, logsumexp, wnorm
from fdcheck import assert_like, numeric_grad, numeric_jacobian

try:
    import scipy.special as scipy_special
    from scipy.special import expit as sp_expit
except ImportError:  # the scipy tests skip
    scipy_special = sp_expit = None

HERE = os.path.basename(__file__)
MODES = ["reverse", "forward"]

# ======================================================= the registrations
#
# Rules are global state: they are registered when this module's tests
# start and removed when they end, so that other test modules (which walk
# the rule registry, e.g. test_rules.py and test_coverage.py) never see them.

# the primitives, defined (with the decorators) by the fixture below
softplus = scaled_exp = no_derivative = None


def _register():
    global softplus, scaled_exp, no_derivative

    # 1. elementwise templates: forward mode follows from the same template
    srcad.defrule(expit, "expit(x)", x="g * y * (1 - y)", elementwise=True)

    # 2. not elementwise: forward templates, and an object passed in names=
    srcad.defrule(logsumexp, "logsumexp(x)", x="g * SOFTMAX(x)",
                  forward={"x": "np.sum(SOFTMAX(x) * dx)"},
                  names={"SOFTMAX": ext_funcs.softmax})
    srcad.defrule(wnorm, "wnorm(x, w)",
                  x="g * w * x / y", w="g * x * x / (2 * y)",
                  forward={"x": "np.sum(w * x * dx) / y",
                           "w": "np.sum(x * x * dw) / (2 * y)"})
    srcad.defrule(ext_funcs.wnorm_no_forward, "wnorm_no_forward(x, w)",
                  x="g * w * x / y", w="g * x * x / (2 * y)")

    # 3. a pair of Python functions for a two-argument function
    srcad.defvjp(hypot, vjp=ext_funcs.hypot_vjp, jvp=ext_funcs.hypot_jvp)

    # 4. primitives of the user's own, with the decorators
    @srcad.primitive
    def softplus(x):
        return ext_funcs.softplus(x)   # srcad never looks inside

    @softplus.defvjp
    def softplus_vjp(g, y, x):
        return g / (1.0 + np.exp(-x))

    @softplus.defjvp
    def softplus_jvp(args, tangents):
        (x,), (dx,) = args, tangents
        return dx / (1.0 + np.exp(-x))

    @srcad.primitive
    def scaled_exp(x, scale=2.0):
        return ext_funcs.scaled_exp(x, scale)

    @scaled_exp.defvjp
    def scaled_exp_vjp(g, y, x, scale=2.0):
        return g * scale * np.exp(x)

    @scaled_exp.defjvp
    def scaled_exp_jvp(args, tangents):
        x, scale = args
        return tangents[0] * scale * np.exp(x)

    @srcad.primitive
    def no_derivative(x):
        return ext_funcs.softplus_no_vjp(x)

    return [expit, logsumexp, wnorm, ext_funcs.wnorm_no_forward, hypot,
            softplus, scaled_exp, no_derivative]


@pytest.fixture(scope="module", autouse=True)
def registered_rules():
    from srcad.rules import registry
    registered = _register()
    yield
    for fn in registered:
        registry.RULES.pop(fn, None)
    srcad.clear_cache()


# ====================================================== the user functions

rng = np.random.default_rng(7)
X4 = rng.uniform(-1.5, 1.5, 4)
W4 = rng.uniform(0.5, 1.5, 4)
A3 = rng.uniform(0.5, 1.5, 3)
B3 = rng.uniform(-1.5, -0.5, 3)


def uses_expit(x, w):
    return np.sum(w * expit(x * w)) + expit(x[0]) * 2.0


def uses_expit_as_attribute(x):
    h = ext_funcs.expit(x)
    return np.sum(h * h)


def uses_logsumexp(x, w):
    return logsumexp(w * x) + 0.5 * logsumexp(np.sin(x))


def uses_wnorm(x, w):
    return wnorm(np.tanh(x), w) * wnorm(x, w * w)


def uses_hypot(a, b):
    return np.sum(hypot(a, b) * a) + np.sum(hypot(a * b, 2.0))


def uses_softplus(x, w):
    return np.sum(softplus(w * x) * w) + softplus(x[1])


def uses_everything(x, w):
    h = expit(w * x) + softplus(x)
    return logsumexp(h) + wnorm(h, w) + np.sum(hypot(h, w))


CASES = [
    (uses_expit, (X4, W4), 0),
    (uses_expit, (X4, W4), 1),
    (uses_expit_as_attribute, (X4,), 0),
    (uses_logsumexp, (X4, W4), 0),
    (uses_logsumexp, (X4, W4), 1),
    (uses_wnorm, (X4, W4), 0),
    (uses_wnorm, (X4, W4), 1),
    (uses_hypot, (A3, B3), 0),
    (uses_hypot, (A3, B3), 1),
    (uses_softplus, (X4, W4), 0),
    (uses_softplus, (X4, W4), 1),
    (uses_everything, (X4, W4), 0),
    (uses_everything, (X4, W4), 1),
]

# (function name, wrt, mode) -> reason, for srcad bugs (see the report)
XFAIL = {}
XFAIL_HESSIAN = {}


def _params(cases, modes=MODES, xfail=XFAIL):
    out = []
    for f, args, wrt in cases:
        for mode in modes:
            reason = xfail.get((f.__name__, wrt, mode))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] \
                if reason else []
            out.append(pytest.param(f, args, wrt, mode, marks=marks,
                                    id=f"{f.__name__}-wrt{wrt}-{mode}"))
    return out


@pytest.mark.parametrize("f,args,wrt,mode", _params(CASES))
def test_grad_through_rule_matches_finite_differences(f, args, wrt, mode):
    got = srcad.grad(f, wrt=wrt, mode=mode)(*args)
    assert_like(got, args[wrt])
    np.testing.assert_allclose(got, numeric_grad(f, args, wrt),
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f,args,wrt", [
    pytest.param(f, args, wrt, id=f"{f.__name__}-wrt{wrt}",
                 marks=[pytest.mark.xfail(strict=True, reason=XFAIL_HESSIAN[
                     (f.__name__, wrt)])]
                 if (f.__name__, wrt) in XFAIL_HESSIAN else [])
    for f, args, wrt in CASES])
def test_hessian_through_rule_matches_finite_differences(f, args, wrt):
    H = srcad.hessian(f, wrt=wrt)(*args)
    expected = numeric_jacobian(srcad.grad(f, wrt=wrt), args, wrt)
    np.testing.assert_allclose(H, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H, np.transpose(H), rtol=1e-6, atol=1e-8)


def uses_option(x):
    return np.sum(scaled_exp(x, scale=5.0)) + np.sum(scaled_exp(x, 0.5))


@pytest.mark.parametrize("mode", MODES)
def test_primitive_option_argument_reaches_vjp_and_jvp(mode):
    got = srcad.grad(uses_option, mode=mode)(X4)
    np.testing.assert_allclose(got, 5.5 * np.exp(X4), rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("which", ["primitive", "defrule"])
def test_grad_of_the_ruled_function_itself_uses_the_rule(which, mode):
    fn = softplus if which == "primitive" else expit
    got = srcad.grad(fn, mode=mode)(0.3)
    np.testing.assert_allclose(got, numeric_grad(fn, (0.3,), 0), rtol=1e-6)


def test_functions_really_are_opaque_without_a_rule():
    """The same body with no rule is refused: the gradients above came from
    the rules, not from srcad reading the functions."""
    def uses_unregistered(x):
        return np.sum(ext_funcs.expit_unregistered(x))
    with pytest.raises(srcad.SrcadError) as info:
        srcad.grad(uses_unregistered)(X4)
    assert "srcad.defrule" in str(info.value)


def test_rule_is_used_for_scalars_too():
    g = srcad.grad(lambda v: expit(v) * v)
    y = expit(0.3)
    assert_like(g(0.3), 0.3)
    np.testing.assert_allclose(g(0.3), y + 0.3 * y * (1 - y), rtol=1e-12)


# ================================================================== scipy

@pytest.fixture
def scipy_expit_rule():
    special = pytest.importorskip("scipy.special")
    from srcad.rules import registry
    before = registry.lookup(special.expit)
    srcad.defrule(special.expit, "expit(x)", x="g * y * (1 - y)",
                  elementwise=True)
    yield special.expit
    # leave the global registry as this test found it
    if before is None:
        registry.RULES.pop(special.expit, None)
    else:
        registry.RULES[special.expit] = before


def scipy_logistic_loss(w, x):
    return np.sum(np.log(sp_expit(x * w)))


def scipy_logistic_attr(w, x):
    return np.sum(scipy_special.expit(w) * x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [scipy_logistic_loss, scipy_logistic_attr])
def test_scipy_expit_with_a_rule(scipy_expit_rule, f, mode):
    args = (W4, X4)
    got = srcad.grad(f, mode=mode)(*args)
    np.testing.assert_allclose(got, numeric_grad(f, args, 0),
                               rtol=1e-5, atol=1e-7)


def test_scipy_expit_second_order(scipy_expit_rule):
    f = scipy_logistic_loss
    args = (W4, X4)
    H = srcad.hessian(f)(*args)
    expected = numeric_jacobian(srcad.grad(f), args, 0)
    np.testing.assert_allclose(H, expected, rtol=1e-5, atol=1e-6)


# ================================================================== errors

def calls_no_derivative(x):
    y = 2.0 * x
    return np.sum(no_derivative(y))


@pytest.mark.parametrize("mode,how", [("reverse", "defvjp"),
                                      ("forward", "defjvp")])
def test_primitive_without_derivative_says_how_to_give_one(mode, how):
    with pytest.raises(srcad.SrcadError) as info:
        srcad.grad(calls_no_derivative, mode=mode)(X4)
    message = str(info.value)
    assert "no_derivative" in message, message
    assert f"@no_derivative.{how}" in message, message
    assert HERE in message and "no_derivative(y)" in message, message


def test_defrule_template_with_unknown_name_is_usage_error():
    with pytest.raises(srcad.UsageError) as info:
        srcad.defrule(ext_funcs.cube_root, "cube_root(x)",
                      x="g / (3 * z * z)")
    assert "z" in str(info.value)
    with pytest.raises(srcad.UsageError):
        srcad.defrule(ext_funcs.cube_root, "cube_root(x)",
                      x="g * y / (3 * x)", elementwise=False,
                      forward={"x": "dz * y / (3 * x)"})
    with pytest.raises(srcad.UsageError):   # a template for no argument
        srcad.defrule(ext_funcs.cube_root, "cube_root(x)",
                      v="g * y / (3 * v)")
    assert issubclass(srcad.UsageError, srcad.SrcadError)


def calls_wnorm_no_forward(x, w):
    return ext_funcs.wnorm_no_forward(x, w) * 2.0


def test_rule_without_forward_templates_reverse_works():
    args = (X4, W4)
    got = srcad.grad(calls_wnorm_no_forward)(*args)
    np.testing.assert_allclose(got, numeric_grad(calls_wnorm_no_forward,
                                                 args, 0), rtol=1e-5)


def test_rule_without_forward_templates_in_forward_mode_is_clear_error():
    with pytest.raises(srcad.SrcadError) as info:
        srcad.grad(calls_wnorm_no_forward, mode="forward")(X4, W4)
    message = str(info.value)
    assert "wnorm_no_forward" in message, message
    assert "forward" in message, message
    assert HERE in message, message


# ---------------------------------------- malformed rules: UsageError, with advice
#
# Rules for two functions of this module, registered by each test and
# removed after it.

def opaque_one(x):
    return np.log1p(np.exp(x))


def opaque_two(a, b):
    return a * b


def uses_one(x):
    return np.sum(opaque_one(x))


def uses_two(a, b):
    return np.sum(opaque_two(a, b))


@pytest.fixture
def scratch_rules():
    from srcad.rules import registry
    yield
    for fn in (opaque_one, opaque_two):
        registry.RULES.pop(fn, None)
    srcad.clear_cache()


def _sig(g, y, x):
    return g / (1 + np.exp(-x))


MALFORMED_AT_DEFINITION = [
    # (what is registered, a part of the advice)
    (lambda: srcad.defrule(opaque_one, "opaque_one(x)", x="g * (1 +",
                           elementwise=True),
     r"template for x, 'g \* \(1 \+', is not a Python expression.*e\.g\."),
    (lambda: srcad.defrule(opaque_one, "opaque_one(x)", x="y = g"),
     "template for x, 'y = g', is not a Python expression"),
    (lambda: srcad.defrule(opaque_one, "opaque_one(x)", x=lambda g, x: g),
     "template for x must be a string.*use srcad.defvjp"),
    (lambda: srcad.defrule(opaque_one, "opaque_one(x)", x="g",
                           forward={"x": "dx * (2"}),
     "template for x, 'dx \\* \\(2', is not a Python expression"),
    (lambda: srcad.defrule(opaque_one, "opaque_one(x", x="g"),
     "signature 'opaque_one\\(x' is not valid Python.*like a call"),
    (lambda: srcad.defrule(opaque_one, "x + 1", x="g"),
     "signature 'x \\+ 1' is not a call of plain argument names"),
    (lambda: srcad.defrule(opaque_one, None, x="g"),
     "signature must be a string.*opaque_one\\(x, w, axis=None\\)"),
    (lambda: srcad.defrule(opaque_one, "opaque_one(*x)", x="g"),
     "not a call of plain argument names \\(no \\*args"),
    (lambda: srcad.defrule(opaque_one, "opaque_one(x, k=len)", x="g"),
     "not a call of plain argument names"),
    (lambda: srcad.defrule(opaque_one, "opaque_one(x)", x="g * F(x)",
                           names=["F"]),
     "names= maps the names the templates use to objects"),
    (lambda: srcad.defrule(3, "f(x)", x="g"),
     "expected the function to give a derivative for, got 3"),
    (lambda: srcad.defvjp(opaque_one, vjp=lambda g, x: g),
     r"vjp <lambda>\(g, x\) cannot be called as vjp\(g, y, x\).*adjoint g"),
    (lambda: srcad.defvjp(opaque_two, vjp=_sig),
     r"vjp _sig\(g, y, x\) cannot be called as vjp\(g, y, a, b\)"),
    (lambda: srcad.defvjp(opaque_one, jvp=lambda args: args),
     r"cannot be called as jvp\(args, tangents\)"),
    (lambda: srcad.defvjp(opaque_one, vjp=3),
     r"vjp must be a function vjp\(g, y, x\), not 3"),
    (lambda: srcad.defvjp(opaque_one, vjp=_sig, signature="opaque_one("),
     "signature 'opaque_one\\(' is not valid Python"),
]


@pytest.mark.parametrize("register, advice", MALFORMED_AT_DEFINITION)
def test_malformed_rule_is_a_usage_error_when_given(scratch_rules, register,
                                                    advice):
    from srcad.rules import registry
    with pytest.raises(srcad.UsageError, match=advice) as info:
        register()
    assert "(opaque_" in str(info.value) or "got 3" in str(info.value)
    assert registry.lookup(opaque_one) is registry.lookup(opaque_two) is None


MALFORMED_AT_CALL = [
    # (function, vjp, the user function, its arguments, the message)
    (opaque_one, lambda g, y, x: (g / (1 + np.exp(-x)), 10 * g), uses_one,
     (X4,), r"vjp of opaque_one\(x\) returned 2 cotangents, but it has 1 "
     r"argument without a default \(x\).*a bare value for one"),
    (opaque_one, lambda g, y, x: (), uses_one, (X4,),
     "returned 0 cotangents, but it has 1 argument"),
    (opaque_two, lambda g, y, a, b: g * b, uses_two, (X4, W4),
     r"vjp of opaque_two\(a, b\) returned a bare ndarray, but it has 2 "
     r"arguments without a default \(a, b\).*a tuple for several"),
    (opaque_two, lambda g, y, a, b: (g * b, g * a, g), uses_two, (X4, W4),
     "returned 3 cotangents, but it has 2 arguments"),
    (opaque_one, lambda g, y, x: np.ones(5), uses_one, (X4,),
     r"vjp of opaque_one\(x\) returned a cotangent of shape \(5,\) for x, "
     r"of shape \(4,\)"),
    (opaque_two, lambda g, y, a, b: (g * b, np.ones((4, 2))), uses_two,
     (X4, W4), r"shape \(4, 2\) for b, of shape \(4,\)"),
]


@pytest.mark.parametrize("fn, vjp, f, args, message", MALFORMED_AT_CALL)
def test_vjp_returning_wrong_cotangents_is_a_usage_error(
        scratch_rules, fn, vjp, f, args, message):
    # once summed or broadcast into a wrong gradient, or a raw NumPy error
    srcad.defvjp(fn, vjp=vjp)
    with pytest.raises(srcad.UsageError, match=message):
        srcad.grad(f)(*args)


@pytest.mark.parametrize("shapes", [((4,), (4,)), ((2, 3), (3,)),
                                    ((3,), ()), ((), (2, 3))])
def test_vjp_cotangents_of_the_broadcast_shape_are_summed(scratch_rules,
                                                          shapes):
    # a cotangent of the result's (broadcast) shape is fine: the framework
    # sums it down to its argument's shape
    srcad.defvjp(opaque_two, vjp=lambda g, y, a, b: (g * b, g * a))
    args = tuple(rng.uniform(0.5, 1.5, s) if s else 0.7 for s in shapes)
    for wrt in (0, 1):
        np.testing.assert_allclose(srcad.grad(uses_two, wrt=wrt)(*args),
                                   numeric_grad(uses_two, args, wrt),
                                   rtol=1e-6)


# -- None for "no derivative here", and tangents of a wrong shape ----------

def scaled_two(a, b):
    return np.sum(opaque_two(a, b) * a)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_none_from_a_vjp_or_jvp_is_a_zero(scratch_rules, mode):
    # the rule says the function is constant: what is left is the rest
    srcad.defvjp(opaque_one, vjp=lambda g, y, x: None,
                 jvp=lambda args, tangents: None)
    np.testing.assert_allclose(srcad.grad(uses_one, mode=mode)(X4), 0.0)
    np.testing.assert_allclose(srcad.grad(lambda x: np.sum(opaque_one(x) * x),
                                          mode=mode)(X4), opaque_one(X4))


def test_none_for_one_of_several_arguments_is_a_zero(scratch_rules):
    # constant in a: only the outer `* a` carries a's derivative
    srcad.defvjp(opaque_two, vjp=lambda g, y, a, b: (None, g * a))
    got = srcad.grad(scaled_two, wrt=(0, 1))(X4, W4)
    np.testing.assert_allclose(got[0], X4 * W4)
    np.testing.assert_allclose(got[1], X4 * X4)


@pytest.mark.parametrize("transform", [
    lambda: srcad.grad(uses_one, mode="forward")(X4),
    lambda: srcad.jacobian(lambda x: opaque_one(x), mode="forward")(X4),
    lambda: srcad.jvp(uses_one, (X4,), (np.ones(4),)),
])
def test_jvp_returning_a_wrong_shape_is_a_usage_error(scratch_rules,
                                                      transform):
    srcad.defvjp(opaque_one, jvp=lambda args, tangents: np.ones(5))
    with pytest.raises(srcad.UsageError, match=r"jvp of opaque_one\(x\) "
                       r"returned a tangent of shape \(5,\) for its result, "
                       r"of shape \(4,\)"):
        transform()


def test_jvp_tangent_broadcasting_to_the_result_is_fine(scratch_rules):
    # one number for every element: a tangent that broadcasts is taken
    srcad.defvjp(opaque_one, jvp=lambda args, tangents: np.sum(tangents[0]))
    np.testing.assert_allclose(srcad.grad(uses_one, mode="forward")(X4),
                               np.full(4, 4.0))


def test_vjp_cotangent_broadcasting_only_with_its_argument_is_refused(
        scratch_rules):
    # (3, 1) against an argument and result of shape (3,) would be summed
    # into a wrong gradient
    srcad.defvjp(opaque_one, vjp=lambda g, y, x: np.ones((3, 1)))
    with pytest.raises(srcad.UsageError, match=r"cotangent of shape "
                       r"\(3, 1\) for x, of shape \(3,\)"):
        srcad.grad(uses_one)(np.array([0.3, 0.5, 0.9]))
