"""reverse: golden tests of generated adjoint code, and the split form."""
import math
import textwrap

import numpy as np
import pytest

import srcad


def body(source):
    """The generated source without its header comment."""
    return source[source.index("def "):]


def same(actual, expected):
    assert body(actual) == textwrap.dedent(expected).lstrip()


def twice(x, b):
    y = x * x + b
    return np.sum(y * x)


def test_uses_are_summed_and_broadcasting_undone():
    # x is used three times: in y * x, and twice in x * x, whose two
    # contributions are one
    same(srcad.source(twice, wrt=(0, 1)), """
        def twice_grad(x, b):
            # y = x * x + b
            y = x * x + b
            # grad of: return np.sum(y * x)
            bt2 = ad.unreduce(1.0, y, None, False)
            by = bt2 * x
            bx = ad.unbroadcast(bt2 * y, x)
            del bt2, y
            # grad of: y = x * x + b
            bb = ad.unbroadcast(by, b)
            bx = bx + 2.0 * ad.unbroadcast(by, x) * x
            del by
            return ad.result(bx, x), ad.result(bb, b)
        """)


def test_surely_scalar_output_is_not_computed_for_grad():
    # np.sum without axis is scalar: no check, so nothing computes it
    assert "t3 = np.sum" not in srcad.source(twice)
    assert "check_scalar" not in srcad.source(math_sigmoid)
    assert "check_scalar" in srcad.source(sigmoid)  # np.exp keeps shapes


def math_sigmoid(x):
    return 1 / (1 + math.exp(-x))


def tanh_dot(x):
    return np.sum(np.tanh(x) * x)


def test_adjoint_of_a_sum_folds_into_its_products():
    same(srcad.source(tanh_dot), """
        def tanh_dot_grad(x):
            # return np.sum(np.tanh(x) * x)
            t1 = np.tanh(x)
            # grad of: return np.sum(np.tanh(x) * x)
            bx = t1 + x * (1 - t1 * t1)
            del t1
            return ad.result(bx, x)
        """)


def test_unoptimized_form_accumulates_into_zeros():
    source = body(srcad.source(twice, optimize=False))
    assert "bx = ad.zeros_like(x)" in source
    assert "bt3 = bt3 + bout" in source
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcad.grad(twice, optimize=False)(x, 0.3),
                               srcad.grad(twice)(x, 0.3))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_same_shapes_need_no_unbroadcast():
    source = srcad.source(sigmoid)
    assert "unbroadcast" not in source


def affine(W, x, b):
    return np.mean(np.tanh(W @ x + b))


def test_vjp_split_form_saves_only_what_backward_reads():
    same(srcad.source(affine, kind="vjp", wrt=(0, 1, 2)), """
        def affine_fwd(W, x, b):
            # return np.mean(np.tanh(W @ x + b))
            t1 = W @ x
            t3 = np.tanh(t1 + b)
            return np.mean(t3), (W, b, t1, t3, x)


        def affine_bwd(residuals, bout):
            W, b, t1, t3, x = residuals
            # grad of: return np.mean(np.tanh(W @ x + b))
            bt3 = ad.unreduce(bout / ad.reduced_size(t3, None), t3, None, False)
            bt2 = bt3 * (1 - t3 * t3)
            del bt3, t3
            bt1 = ad.unbroadcast(bt2, t1)
            del t1
            bb = ad.unbroadcast(bt2, b)
            del bt2
            bW = ad.matmul_grad_a(bt1, W, x)
            bx = ad.matmul_grad_b(bt1, W, x)
            del bt1
            return ad.result(bW, W), ad.result(bx, x), ad.result(bb, b)
        """)


def unused(x, y):
    return np.sum(x * 2.0)


def test_argument_that_does_not_matter_gets_zeros():
    g = srcad.grad(unused, wrt=(0, 1))(np.ones(3), np.ones((2, 2)))
    np.testing.assert_array_equal(g[1], np.zeros((2, 2)))
    assert g[1].flags.writeable


def total(x):
    return np.sum(x)


def test_gradient_is_a_fresh_writeable_array():
    x = np.ones(4)
    g = srcad.grad(total)(x)
    g[0] = 5.0  # must not raise: no read-only broadcast view escapes
    np.testing.assert_array_equal(x, np.ones(4))


def squares_list(x):
    parts = [x, x * 2.0]
    both = np.add(parts, parts)
    return np.sum(both * x * x)


def test_one_operand_twice_is_one_contribution():
    assert "2.0 * ad.unbroadcast(by, x) * x" in srcad.source(twice)
    tangent = srcad.source(twice, mode="forward", kind="jvp")
    assert "dx * x + dx * x" not in tangent and "2.0 *" in tangent
    x = np.array([0.5, -1.5])
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(srcad.grad(squares_list, mode=mode)(x),
                                   18.0 * x ** 2)


# -- an argument that is a list: its adjoints add item by item --------------

def stacked_and_picked(xs):
    return np.sum(np.stack(xs) * 2.0) + np.sum(xs[0] * xs[1])


def made_array_and_picked(xs):
    return np.sum(np.array(xs) ** 2) + xs[0] * xs[2]


def summed_and_picked(xs):
    return sum(xs) * xs[1]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_list_argument_used_whole_and_by_item(mode):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25, 4.0])
    got = srcad.grad(stacked_and_picked, mode=mode)([a, b])
    assert isinstance(got, list) and len(got) == 2
    np.testing.assert_allclose(got[0], 2.0 + b)
    np.testing.assert_allclose(got[1], 2.0 + a)
    got = srcad.grad(made_array_and_picked, mode=mode)([1.0, 2.0, 3.0])
    np.testing.assert_allclose(got, [5.0, 4.0, 7.0])
    got = srcad.grad(summed_and_picked, mode=mode)([1.0, 2.0, 3.0])
    np.testing.assert_allclose(got, [2.0, 8.0, 2.0])


def nested_picks(ws):
    return ws[0][0] * ws[1][1] + ws[0][1] * ws[0][0]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_nested_list_argument_picked_twice(mode):
    got = srcad.grad(nested_picks, mode=mode)([[0.3, 0.4], [0.6, 0.5]])
    np.testing.assert_allclose(got[0], [0.5 + 0.4, 0.3])
    np.testing.assert_allclose(got[1], [0.0, 0.3])
