"""shapes.py: what is known about shapes before run time, and derivatives of
functions with loops specialized to their arguments' ndims (pipeline.kinds).

A specialization leaves out `ad.unbroadcast` between values it proves
scalar; each test that checks a derivative checks it against finite
differences, with arguments whose shapes make a wrong proof show.
"""
import math

import gast
import numpy as np
import pytest

import srcad
from srcad import pipeline
from srcad.analysis import analyse
from srcad.capture import capture
from srcad.naming import Namer, names_in
from srcad.normalize import normalize
from srcad.structure import structure

from fdcheck import check_grad


def ndims_of(fn, **known):
    captured = capture(fn)
    namer = Namer(names_in(captured.tree))
    fdef = structure(normalize(captured, namer), namer)
    info = analyse(fdef, captured, (captured.params[0],), known)
    return info.shapes.ndims


# -- the ndim inference -------------------------------------------------------

def horner(c, x):
    p = 0.0
    for i in range(len(c)):
        p = p * x + c[i]
    return p


def test_loop_carried_scalar_from_known_arguments():
    dims = ndims_of(horner, c=1, x=0)
    assert dims["p"] == 0 and dims["i"] == 0


def test_nothing_known_about_unknown_arguments():
    dims = ndims_of(horner)
    assert "p" not in dims  # c[i] may be a row


def test_a_row_of_a_matrix_is_a_vector():
    dims = ndims_of(horner, c=2, x=0)
    assert "p" not in dims  # 0 at first, then 1: no single ndim


def iir(x, a):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = a * y[i - 1] + x[i]
    return np.sum(y)


def test_constructors_and_item_writes_keep_ndim():
    dims = ndims_of(iir, x=1, a=0)
    assert dims["y"] == 1


def slices(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(x[1:, i]) + x[i, 0] * x[0, i]
    return s


def test_slices_keep_and_ints_take_dimensions():
    dims = ndims_of(slices, x=2)
    assert dims["s"] == 0
    named = {n: d for n, d in dims.items() if n.startswith("t")}
    assert 1 in named.values()  # x[1:, i]


def masked(x):
    s = 0.0
    for i in range(2):
        s = s + x[x > 0]
    return np.sum(s)


def test_masks_are_not_followed():
    assert "s" not in ndims_of(masked, x=1)


def reassigned(x):
    for i in range(2):
        x = np.stack([x, x])
    return np.sum(x)


def test_a_parameter_assigned_again_joins_both():
    assert "x" not in ndims_of(reassigned, x=0)


# -- specialized derivatives, checked against finite differences ---------------

def grows(c, x):
    """A loop-carried value that starts scalar and becomes an array: no
    scalar may be assumed for it."""
    p = 0.0
    for i in range(len(c)):
        p = p * x + c[i]
    return np.sum(p)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("shape", [(5,), (4, 3), (3, 1, 2)])
def test_loop_value_whose_shape_grows(shape, mode):
    rng = np.random.default_rng(0)
    c = rng.normal(size=shape)
    check_grad(grows, c, 0.7, wrt=(0, 1), mode=mode)
    check_grad(grows, c, rng.normal(size=shape[1:]), wrt=(0, 1), mode=mode)


def grows_from(c, x, p0):
    """The same with an active start: its adjoint must be summed back to
    the start's shape, though `p * x` (x a number) has p's shape in each
    pass."""
    p = p0
    for i in range(len(c)):
        p = p * x + c[i]
    return np.sum(p)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("shape", [(3, 2), (2, 4, 1)])
def test_loop_value_grown_from_an_active_start(shape, mode):
    c = np.random.default_rng(6).normal(size=shape)
    check_grad(grows_from, c, 0.7, 0.5, wrt=(0, 1, 2), mode=mode)
    check_grad(grows_from, c, np.array(0.7), np.ones(shape[-1]),
               wrt=(0, 1, 2), mode=mode)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_one_gradient_for_floats_and_for_arrays(mode):
    g = srcad.grad(grows, wrt=(0, 1), mode=mode)
    c = np.array([1.0, -2.0, 0.5])
    for x in (0.7, np.float64(0.7), np.array(0.7), np.array([0.7, 0.3, 1.1]),
              np.array([[0.7], [0.2]])):
        gc, gx = g(c, x)
        assert np.shape(gx) == np.shape(x) and np.shape(gc) == c.shape
        check_grad(grows, c, x, wrt=(0, 1), mode=mode)


def scaled(x, k, n):
    y = x
    for i in range(n):
        y = y * k + math.sin(i)
    return np.sum(y)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_int_and_keyword_arguments(mode):
    g = srcad.grad(scaled, wrt=(0, 1), mode=mode)
    expected = g(np.array([1.0, 2.0]), 0.5, 3)
    got = g(np.array([1.0, 2.0]), k=0.5, n=3)
    for a, b in zip(expected, got):
        np.testing.assert_allclose(a, b)
    check_grad(scaled, 2, 0.5, 3, wrt=(0, 1), mode=mode)
    check_grad(scaled, np.array([1.0, 2.0]), 0.5, 3, wrt=(0, 1), mode=mode)


def powered(x, n=3, scale=2.0):
    y = x
    for _ in range(n):
        y = y * scale
    return np.sum(y)


def named_like_the_dispatcher(entry, _entries, _key):
    s = entry
    for i in range(_key):
        s = s * _entries
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_calls_with_defaults_and_keywords(mode):
    """The dispatcher made for a function's signature takes every call the
    function takes, and runs the version for the arguments given."""
    x = np.array([1.0, -2.0])
    g = srcad.grad(powered, mode=mode)
    np.testing.assert_allclose(g(x), [8.0, 8.0])
    np.testing.assert_allclose(g(x, 2), [4.0, 4.0])
    np.testing.assert_allclose(g(x, scale=3.0, n=1), [3.0, 3.0])
    np.testing.assert_allclose(g(x=x, n=0), [1.0, 1.0])
    assert g(0.5, 2) == 4.0
    d = srcad.grad(named_like_the_dispatcher, wrt=(0, 1), mode=mode)
    assert d(2.0, 3.0, 2) == (9.0, 12.0)
    with pytest.raises(TypeError):
        g(x, 1, 2.0, 4)


def test_iir_filter_against_finite_differences():
    x = np.random.default_rng(1).normal(size=7)
    check_grad(iir, x, 0.9, wrt=(0, 1))
    check_grad(iir, x, 0.9, wrt=(0, 1), mode="forward")


def test_specialized_code_leaves_out_unbroadcast():
    c = np.array([1.0, 2.0])
    srcad.grad(horner, wrt=(0, 1))(c, 0.5)
    general = pipeline.cached(horner, "grad", (0, 1)).source
    special = pipeline.cached(horner, "grad", (0, 1), "reverse", True,
                              pipeline.kinds((c, 0.5), {})).source
    assert "unbroadcast" in general
    assert "unbroadcast" not in special
    assert "the general version" in general.splitlines()[0]
    assert "general" not in special.splitlines()[0]


def test_one_build_per_kind_of_arguments():
    def f(x):
        s = 0.0
        for i in range(3):
            s = s + x * i
        return np.sum(s)
    g = srcad.grad(f)
    n = pipeline.stats["compiles"]
    g(1.0)
    g(2.0)
    g(np.float64(3.0))
    assert pipeline.stats["compiles"] == n + 1
    g(np.ones(3))
    g(np.ones(5))
    assert pipeline.stats["compiles"] == n + 2


def test_source_for_given_arguments_is_the_version_they_run():
    c = np.array([1.0, 2.0])
    special = srcad.source(horner, wrt=(0, 1), args=(c, 0.5))
    assert "for c 1-d, x a number" in special.splitlines()[0]
    assert "unbroadcast" not in special
    assert special != srcad.source(horner, wrt=(0, 1))


def test_tracebacks_show_the_specialized_source():
    def f(x):
        s = 0.0
        for i in range(2):
            s = s + np.log(x)
        return np.sum(s)
    g = srcad.grad(f)
    import linecache
    g(2.0)
    g(np.array([2.0, 3.0]))
    key = (f, "grad", 0, "reverse", True)
    names = [gen.entry.__code__.co_filename
             for k, gen in pipeline._cache.items() if k[:5] == key]
    assert len(set(names)) == len(names) >= 2
    for filename in names:
        assert linecache.getlines(filename)


# -- plainer transposes where ndims are known ----------------------------------

def _rules_with_plain_transposes():
    from srcad.rules.registry import RULES
    seen = []
    for rule in RULES.values():
        if rule.by_ndims and rule not in seen:
            seen.append(rule)
    return seen


@pytest.mark.parametrize("rule", _rules_with_plain_transposes(),
                         ids=lambda r: f"{r.owner}.{r.name}")
def test_plain_transposes_agree_with_the_rule(rule):
    from srcad import runtime as ad
    rng = np.random.default_rng(3)
    sizes = {1: (4,), 2: (3, 4)}
    for (da, db), plain in rule.by_ndims.items():
        a = rng.normal(size=sizes[da] if da == 1 else (3, 4))
        b = rng.normal(size=(4,) if db == 1 else (4, 5))
        g = rng.normal(size=np.shape(a @ b))
        env = {"np": np, "ad": ad, "a": a, "b": b, "g": g}
        for param, template in plain.items():
            want = eval(rule.reverse[param], env)
            np.testing.assert_allclose(eval(template, env), want,
                                       err_msg=f"{(da, db)} {param}")


def products(W, v, M, steps):
    h = v
    s = 0.0
    for i in range(steps):
        h = np.tanh(W @ h) + np.dot(v, M) @ M.T
        s = s + v @ h + np.sum(np.matmul(M.T, W) @ M)
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_products_in_a_loop_against_finite_differences(mode):
    rng = np.random.default_rng(4)
    W, v, M = rng.normal(size=(3, 3)), rng.normal(size=3), \
        rng.normal(size=(3, 2))
    check_grad(products, W, v, M, 2, wrt=(0, 1, 2), mode=mode)
    source = srcad.source(products, wrt=(0, 1, 2), args=(W, v, M, 2))
    assert "matmul_grad" not in source and "dot_grad" not in source


def test_products_to_second_order():
    rng = np.random.default_rng(5)
    W, v, M = rng.normal(size=(3, 3)), rng.normal(size=3), \
        rng.normal(size=(3, 2))
    got = srcad.grad(dv_in_file)(v, W, M)
    from fdcheck import numeric_grad
    np.testing.assert_allclose(got, numeric_grad(dv_in_file, (v, W, M), 0),
                               rtol=1e-5, atol=1e-6)


def dv_in_file(v, W, M):
    return np.sum(srcad.grad(products, wrt=1)(W, v, M, 2))


def scaled_tanh(x, n):
    y = x
    for i in range(n):
        y = np.tanh(y) * 2.0 + 1.0
    return np.sum(y)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("x", [0.3, np.array([0.3, -0.2]),
                               np.array([[0.1], [0.5]])])
def test_an_operand_with_numbers_has_the_result_shape(x, mode):
    check_grad(scaled_tanh, x, 3, mode=mode)
    assert "unbroadcast" not in srcad.source(scaled_tanh, args=(x, 3))


def _loop_cases():
    import test_control_flow as flow
    return [pytest.param(f, args, id=label) for label, f, args, _ in
            flow.CASES if pipeline.loops(f)]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, args", _loop_cases())
def test_general_version_agrees_with_the_specialized_one(f, args, mode):
    """The general version runs for arguments of no known kind (a list,
    say); loops that run zero times included, it gives the same numbers."""
    general = pipeline.cached(f, "grad", 0, mode).entry(*args)
    special = srcad.grad(f, mode=mode)(*args)
    assert np.shape(general) == np.shape(special)
    np.testing.assert_allclose(general, special, rtol=1e-7, atol=1e-9)


def _while_loop(x):
    while x > 1.0:
        x = x * 0.5
    return x


def _while_with_break(x):
    while True:
        x = x * 0.5
        if x < 1.0:
            break
    return x


def _straight(x):
    y = x * 2 if x > 0 else -x
    return y + sum([1.0, 2.0])


def test_which_functions_have_loops():
    assert pipeline.loops(horner) and pipeline.loops(iir)
    assert pipeline.loops(_while_loop) and pipeline.loops(_while_with_break)
    assert not pipeline.loops(_straight)
    assert pipeline.loops(srcad.grad(horner))  # its generated code loops


# -- shape relations: trimmed slices, keepdims reductions, shape ints ---------

def shapes_of(fn):
    captured = capture(fn)
    namer = Namer(names_in(captured.tree))
    fdef = structure(normalize(captured, namer), namer)
    return analyse(fdef, captured, (captured.params[0],)).shapes, fdef


def assigned(fdef, text):
    """The name assigned `text` (source of the right-hand side)."""
    import astor
    for stmt in fdef.body:
        value = getattr(stmt, "value", None)
        if value is not None and hasattr(stmt, "targets") and \
                astor.to_source(gast.gast_to_ast(value)).strip() == text:
            return stmt.targets[0].id
    raise AssertionError(f"nothing assigns {text}")


def trimmed(x):
    a = x[1:]
    b = x[:-1]
    c = x[2:]
    d = x[1:-1]
    e = x[:-2]
    f = x[1:, 1:]
    g = x[:-1, :-1]
    h = x[:]
    return np.sum(a * b + c * d + e + f * g + h)


def test_slices_trimming_as_many_items_share_a_shape():
    shapes, _ = shapes_of(trimmed)
    assert shapes.same("a", "b")
    assert shapes.same("c", "d") and shapes.same("d", "e")
    assert shapes.same("f", "g")
    assert shapes.same("h", "x")
    assert not shapes.same("a", "c") and not shapes.same("a", "f")


def untrimmed(x):
    a = x[1:]
    b = x[-1:]  # from the end: its length is not n - 1
    c = x[:1]   # a positive stop
    d = x[::2]  # a step
    return np.sum(a) + np.sum(b) + np.sum(c) + np.sum(d)


def test_slices_not_told_by_their_trim_keep_their_own_shape():
    shapes, _ = shapes_of(untrimmed)
    assert not {shapes.bases(n) for n in "bcd"} & {shapes.bases("a")}
    assert len({shapes.bases(n) for n in "abcd"}) == 4


def softmax_like(z, w):
    m = np.max(z, axis=1, keepdims=True)
    s = z - m
    e = np.exp(s)
    t = np.log(np.sum(e, axis=1, keepdims=True))
    u = s - t
    v = m * w  # w's shape is not known: m stays
    return np.sum(u) + np.sum(v)


def test_keepdims_reductions_drop_out_beside_their_operand():
    shapes, _ = shapes_of(softmax_like)
    assert shapes.same("s", "z") and shapes.same("u", "z")
    assert not shapes.same("t", "z")
    assert shapes.bases("v") == shapes.bases("m") | shapes.bases("w")


def shape_ints(x):
    n = x.shape[0]
    k = x.shape[-1]
    s = x.size
    return np.sum(x) / n + k * s


def test_shape_items_and_sizes_are_ints():
    captured = capture(shape_ints)
    namer = Namer(names_in(captured.tree))
    fdef = structure(normalize(captured, namer), namer)
    info = analyse(fdef, captured, ("x",))
    assert {"n", "k", "s"} <= info.ints


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rows_trimmed(x):
    return np.sum(x[2:, :] * x[1:-1] - x[:-2] ** 2 * x[1:-1, :])


def xent(z, y):
    z = z - np.max(z, axis=-1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return -np.sum(y * logp) / z.shape[0]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, args", [
    (rosen, (np.array([0.5]),)),  # empty slices
    (rosen, (np.linspace(-1.0, 1.5, 7),)),
    (rosen, (np.linspace(-1.0, 1.5, 12).reshape(4, 3),)),
    (rows_trimmed, (np.linspace(-1.0, 1.5, 12).reshape(6, 2),)),
    (rows_trimmed, (np.linspace(-1.0, 1.5, 24).reshape(4, 3, 2),)),
    (xent, (np.linspace(-2.0, 2.0, 12).reshape(3, 4), np.eye(4)[[0, 3, 1]])),
    (xent, (np.linspace(-2.0, 2.0, 4), np.array([0.0, 0.0, 1.0, 0.0]))),
    (xent, (np.linspace(-2.0, 2.0, 12).reshape(3, 4), 0.25)),
    (xent, (np.linspace(-2.0, 2.0, 8).reshape(2, 4),
            np.ones((3, 2, 4)) / 4)),  # y broadcasts z up
])
def test_shape_relations_against_finite_differences(f, args, mode):
    check_grad(f, *args, mode=mode)


def test_relations_leave_out_unbroadcast():
    assert "unbroadcast" not in srcad.source(rosen)
    code = srcad.source(xent)
    # y's and the keepdims sum's (the max's derivative cancels: shifts.py)
    assert code.count("ad.unbroadcast") == 2


# -- shapes the same in every pass of a loop ---------------------------------


def shape_facts(fn, **known):
    captured = capture(fn)
    namer = Namer(names_in(captured.tree))
    fdef = structure(normalize(captured, namer), namer)
    return analyse(fdef, captured, (captured.params[0],), known).shapes


def step_rnn(W, U, xs, b, h):
    for t in range(xs.shape[0]):
        a = W @ h
        u = U @ xs[t]
        h = np.tanh(a + u + b)
    return np.sum(h * h)


def growing(x, n):
    s = 0.0
    for i in range(1, n):
        head = x[:i]
        s = s + np.sum(head * head) * s
        s = s + 1.0
    return s


def kept_by_mask(x, n):
    s = 0.0
    for i in range(n):
        m = x > 0.2 * i
        kept = x[m]
        s = s + np.sum(kept * kept)
    return s


def test_steady_shapes():
    shapes = shape_facts(step_rnn, W=2, U=2, xs=2, b=1, h=1)
    steady = shapes.steady
    assert "a" in steady and "u" in steady  # W's rows, U's rows
    assert "h" not in steady  # h0's shape may differ from the rest
    assert "head" not in shape_facts(growing).steady
    assert "kept" not in shape_facts(kept_by_mask).steady
    # unknown ndims: a product's shape is not told
    assert "a" not in shape_facts(step_rnn).steady


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("b_shape, h_shape", [((3,), (3,)), ((1,), (3,)),
                                              ((3,), (1,)), ((1,), (1,))])
def test_read_for_a_steady_shape_from_any_pass(b_shape, h_shape, mode):
    rng = np.random.default_rng(len(b_shape) + h_shape[0])
    W = rng.normal(size=(3, h_shape[0])) / 2
    U = rng.normal(size=(3, 2)) / 2
    xs = rng.normal(size=(4, 2))
    args = (W if h_shape == (3,) else rng.normal(size=(3, 1)) / 2, U, xs,
            rng.normal(size=b_shape), rng.normal(size=h_shape))
    if h_shape == (1,):  # the first pass broadcasts h up to 3
        args = (rng.normal(size=(3, 1)) / 2,) + args[1:]
        with pytest.raises(ValueError):
            step_rnn(*args)  # W @ h needs h of length 1, then of 3
        return
    check_grad(step_rnn, *args, wrt=(0, 1, 3, 4), mode=mode)


def test_steady_values_are_neither_taped_nor_recomputed():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(3, 3)), rng.normal(size=(3, 2)),
            rng.normal(size=(4, 2)), rng.normal(size=1), rng.normal(size=3))
    source = srcad.source(step_rnn, wrt=(0, 1), args=args)
    code = [line for line in source.splitlines()
            if not line.lstrip().startswith("#")]
    assert sum("U @" in line for line in code) == 1  # not recomputed
    assert "tape.append(a)" not in code
    check_grad(step_rnn, *args, wrt=(0, 1, 3))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, args", [
    (growing, (np.linspace(0.1, 0.5, 5), 5)),
    (kept_by_mask, (np.linspace(-0.45, 1.05, 6), 4)),
])
def test_shapes_that_change_pass_to_pass(f, args, mode):
    check_grad(f, *args, mode=mode)


def ragged(xs, w):
    s = 0.0
    for t in range(len(xs)):
        v = xs[t]
        s = s + np.sum(np.sin(v + w))
    return s


@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_items_of_a_list_may_differ_in_shape(wrt):
    xs = [np.array([0.1, 0.2, 0.3]), np.array([0.5]), np.array([0.7, 0.9])]
    w = np.array([0.3])
    got = srcad.grad(ragged, wrt=wrt)(xs, w)
    want_w = np.sum(np.concatenate([np.cos(x + w) for x in xs]))
    want_xs = [np.cos(x + w) for x in xs]
    if wrt == 1:
        np.testing.assert_allclose(got, [want_w])
        return
    parts = got if wrt == 0 else got[0]
    for a, b in zip(parts, want_xs):
        np.testing.assert_allclose(a, b)
    if wrt == (0, 1):
        np.testing.assert_allclose(got[1], [want_w])


def first_pass_differs(h, v, w, n):
    s = 0.0
    for i in range(n):
        c = np.sum(h * w)
        s = s + c
        h = np.tanh(v * c)  # the same shape in every pass but the first
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_argument_a_loop_assigns_again_is_not_steady(mode):
    h, v, w = np.array([0.3]), np.array([0.5, -0.2, 0.1]), \
        np.array([1.0, 2.0, -1.0])
    assert "h" not in shape_facts(first_pass_differs, h=1, v=1, w=1,
                                  n=0).steady
    check_grad(first_pass_differs, h, v, w, 3, mode=mode)
