"""optimize_products: outer products a loop adds up become one matrix
product after it. Golden source in, source out; the cases it must leave
alone; the derivatives of loops it rewrites against finite differences."""
import textwrap

import gast
import numpy as np
import pytest

import srcad
from srcad import pipeline, runtime, values
from srcad.emit import emit
from srcad.naming import Namer, names_in
from srcad.optimize_products import outer_sums

from fdcheck import check_grad
from test_optimize import same


class _Globals:
    locals = ()

    def resolve(self, id_):
        return {"np": np, "range": range, "reversed": reversed}.get(id_)


def run(source):
    fdef = gast.parse(textwrap.dedent(source)).body[0]
    outer_sums(fdef, "ad", Namer(names_in(fdef)),
               lambda node: values.resolve(node, _Globals()))
    return emit([fdef])


def test_outer_products_a_loop_adds_become_rows_and_one_product():
    same(run("""
        def f(W, hs, gs):
            bW = ad.zeros_like(W)
            for t in reversed(range(3)):
                h = hs[t]
                bW += np.outer(gs[t], h)
                if t > 0:
                    bW += np.outer(h, h)
            return bW
        """), """
        def f(W, hs, gs):
            bW = ad.zeros_like(W)
            t1 = []
            t2 = []
            for t in reversed(range(3)):
                h = hs[t]
                t1.append(gs[t])
                t2.append(h)
                if t > 0:
                    t1.append(h)
                    t2.append(h)
            bW += ad.outer_sum(t1, t2)
            return bW
        """)


def test_rows_are_copied_where_the_loop_writes_in_place():
    same(run("""
        def f(W, h, gs):
            bW = ad.zeros_like(W)
            for t in range(3):
                bW += np.outer(gs[t], h)
                h[0] = 1.0
            return bW
        """), """
        def f(W, h, gs):
            bW = ad.zeros_like(W)
            t1 = []
            t2 = []
            for t in range(3):
                t1.append(ad.copy(gs[t]))
                t2.append(ad.copy(h))
                h[0] = 1.0
            bW += ad.outer_sum(t1, t2)
            return bW
        """)


def test_rows_are_copied_where_the_loop_calls_unknown_code():
    source = run("""
        def f(W, h, gs):
            bW = ad.zeros_like(W)
            for t in range(3):
                bW += np.outer(gs[t], h)
                g = helper(h)
            return bW
        """)
    assert "t1.append(ad.copy(gs[t]))" in source
    unchanged = run("""
        def f(W, h, gs):
            bW = ad.zeros_like(W)
            for t in range(3):
                bW += np.outer(gs[t], h)
                g = np.exp(h)
            return bW
        """)
    assert "t1.append(gs[t])" in unchanged


@pytest.mark.parametrize("source", [
    # read in the loop besides the sum
    """
    def f(W, h):
        bW = ad.zeros_like(W)
        for t in range(3):
            bW += np.outer(h, h)
            h = bW[0]
        return bW
    """,
    # read before the loop: something else may hold it
    """
    def f(W, h):
        bW = ad.zeros_like(W)
        keep = bW
        for t in range(3):
            bW += np.outer(h, h)
        return keep
    """,
    # not fresh zeros
    """
    def f(W, h):
        bW = W
        for t in range(3):
            bW += np.outer(h, h)
        return bW
    """,
    # an outer product written into an argument
    """
    def f(W, h, out):
        bW = ad.zeros_like(W)
        for t in range(3):
            bW += np.outer(h, h, out=out)
        return bW
    """,
    # not numpy's outer
    """
    def f(W, h):
        bW = ad.zeros_like(W)
        for t in range(3):
            bW += outer(h, h)
        return bW
    """,
])
def test_sums_something_else_may_see_stay(source):
    same(run(source), source)


def test_outer_sum_stacks_rows_and_falls_back_for_ragged_ones():
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=3) for _ in range(4)]
    ys = [rng.normal(size=(2, 2)) for _ in range(4)]
    want = sum(np.outer(x, y) for x, y in zip(xs, ys))
    np.testing.assert_allclose(runtime.outer_sum(xs, ys), want)
    assert runtime.outer_sum([], []) == 0.0
    np.testing.assert_allclose(runtime.outer_sum([2.0, 3.0], [1.0, 4.0]),
                               [[14.0]])
    ragged = [np.ones(1), np.ones(3)]  # the first broadcasts into the sum
    total = np.zeros((3, 2)) + runtime.outer_sum(ragged, [np.ones(2)] * 2)
    np.testing.assert_allclose(total, np.full((3, 2), 2.0))


# -- derivatives ----------------------------------------------------------------


def rnn(W, U, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def rows(W, X):
    s = 0.0
    for x in X:
        y = W @ x
        if np.sum(y) > 0:
            s = s + np.sum(np.sin(y))
    return s


def nested(W, X):
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s = s + np.sum(np.tanh(W @ X[i, j]))
    return s


def written(W, x):
    y = np.zeros(x.shape[0])
    for i in range(1, x.shape[0]):
        y[i] = np.sum(W @ (x[i] * y[i - 1] + x[i]))
    return np.sum(y * y)


def _rnn_args(rng, hidden, steps, inputs):
    return (rng.normal(size=(hidden, hidden)) / 2,
            rng.normal(size=(hidden, inputs)) / 2,
            rng.normal(size=(steps, inputs)), rng.normal(size=hidden))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("hidden,steps,inputs", [
    (1, 3, 1), (3, 0, 2), (3, 1, 2), (5, 6, 3), (4, 5, 1)])
def test_rnn(mode, hidden, steps, inputs):
    args = _rnn_args(np.random.default_rng(hidden + steps), hidden, steps,
                     inputs)
    check_grad(rnn, *args, wrt=(0, 1, 3), mode=mode)


def test_rnn_gradient_sums_rows_after_the_sweep():
    args = _rnn_args(np.random.default_rng(1), 4, 3, 2)
    source = srcad.source(rnn, wrt=(0, 1), args=args)
    assert "ad.outer_sum(" in source and "np.outer" not in source
    assert "ad.copy" not in source


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("shape", [(0, 3), (1, 3), (5, 3), (4, 1)])
def test_rows_of_a_matrix_some_skipped(mode, shape):
    rng = np.random.default_rng(3)
    W = rng.normal(size=(2, shape[1]))
    X = rng.normal(size=shape)
    check_grad(rows, W, X, wrt=(0, 1), mode=mode)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("shape", [(0, 2, 3), (2, 0, 3), (2, 3, 4)])
def test_nested_loops(mode, shape):
    rng = np.random.default_rng(4)
    W = rng.normal(size=(3, shape[2]))
    X = rng.normal(size=shape)
    check_grad(nested, W, X, wrt=(0, 1), mode=mode)
    source = srcad.source(nested, wrt=0, args=(W, X))
    assert "ad.outer_sum(" in source


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("n", [1, 2, 6])
def test_loop_writing_in_place(mode, n):
    rng = np.random.default_rng(n)
    W = rng.normal(size=(3, 2)) / 2
    x = rng.normal(size=(n, 2))
    check_grad(written, W, x, wrt=(0, 1), mode=mode)


def test_second_order_through_summed_rows():
    args = _rnn_args(np.random.default_rng(5), 3, 4, 2)

    def first(W, U, xs, h0):
        return np.sum(srcad.grad(rnn, wrt=0)(W, U, xs, h0) ** 2)

    check_grad(first, *args, wrt=(0, 3))


def rnn_states(W, U, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return h


def test_pullback_and_value_and_grad_sum_rows_too():
    W, U, xs, h0 = _rnn_args(np.random.default_rng(6), 4, 5, 2)
    ct = np.array([0.5, -1.0, 2.0, 0.25])
    out, pullback = srcad.vjp(rnn_states, W, U, xs, h0)
    np.testing.assert_allclose(out, rnn_states(W, U, xs, h0))
    got = pullback(ct)

    def weighted(W, U, xs, h0):
        return np.sum(rnn_states(W, U, xs, h0) * ct)

    for k in (0, 1, 3):
        want = srcad.grad(weighted, wrt=k, optimize=False)(W, U, xs, h0)
        np.testing.assert_allclose(got[k], want, rtol=1e-10, atol=1e-12)
    value, grads = srcad.value_and_grad(rnn, wrt=(0, 1))(W, U, xs, h0)
    assert np.isclose(value, rnn(W, U, xs, h0))
    check = check_grad(rnn, W, U, xs, h0, wrt=(0, 1))
    np.testing.assert_allclose(grads[0], check[0])
    np.testing.assert_allclose(grads[1], check[1])
    split = pipeline.cached(rnn_states, "vjp", (0, 1, 2, 3), "reverse", True,
                            pipeline.known_for(rnn_states, (W, U, xs, h0)))
    assert "ad.outer_sum(" in split.source
