"""runtime_batch.py: every helper of batched tangents against the same
done one direction at a time."""
import numpy as np
import pytest

from srcad import runtime as ad

RNG = np.random.default_rng(0)
K = 3  # directions


def per_direction(fn, d, *rest):
    return np.stack([fn(v, *rest) for v in d])


@pytest.mark.parametrize("index", [
    2, -1, slice(1, None), (1, slice(None)), (slice(None), 0),
    (Ellipsis, 1), (None, 1), np.array([0, 2, 2]), (np.array([0, 1]),),
    (np.array([0, 1]), np.array([1, 0])), (np.array([0, 2]), slice(None)),
    (slice(None), np.array([1, 0])), np.array([True, False, True, True])])
def test_batch_index(index):
    d = RNG.normal(size=(K, 4, 3))
    np.testing.assert_array_equal(ad.batch_index(d, index),
                                  per_direction(lambda v: v[index], d))


@pytest.mark.parametrize("index", [
    1, slice(0, 2), (1, slice(None)), (slice(None), 2), np.array([0, 3]),
    (np.array([0, 1]), np.array([1, 2])), (np.array([0, 2]), slice(None))])
@pytest.mark.parametrize("active", [True, False])
def test_batch_assign(index, active):
    d = RNG.normal(size=(K, 4, 3))
    item = d[0][index]
    v = RNG.normal(size=(K,) + np.shape(item)[1:]) if active else 0.0
    want = d.copy()
    for k in range(K):
        want[k][index] = v[k] if active else 0.0
    ad.batch_assign(d, index, v)
    np.testing.assert_array_equal(d, want)


@pytest.mark.parametrize("index", [1, (2, 0), (-1, 1)])
def test_batch_index_of_a_number_is_no_view(index):
    # x[i] of numbers is a number, which nothing shares: generated code
    # reads by[i] and then zeroes by[i], so the directions read must not
    # change with it
    d = RNG.normal(size=(K, 4, 3))[..., 0] if index == 1 else \
        RNG.normal(size=(K, 4, 3))
    item = ad.batch_index(d, index)
    want = item.copy()
    ad.batch_assign(d, index, 0.0)
    np.testing.assert_array_equal(item, want)


def test_index_and_assign_on_lists_of_tangents():
    items = [RNG.normal(size=(K, 2)), RNG.normal(size=(K,))]
    assert ad.batch_index(items, 1) is items[1]
    ad.batch_assign(items, 0, 0.0)
    np.testing.assert_array_equal(items[0], np.zeros((K,)))


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (-1, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_past_the_batch_axis(axis, keepdims):
    x = RNG.normal(size=(2, 3, 4))
    d = RNG.normal(size=(K, 2, 3, 4))
    got = np.sum(d, axis=ad.batch_axis(axis, x), keepdims=keepdims)
    want = per_direction(lambda v: np.sum(v, axis=axis, keepdims=keepdims),
                         d)
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1), (-1, 0, 1)])
def test_batch_transpose(axes):
    d = RNG.normal(size=(K, 2, 3, 4))
    np.testing.assert_array_equal(
        ad.batch_transpose(d, axes),
        per_direction(lambda v: np.transpose(v, axes), d))


@pytest.mark.parametrize("order", ["C", "F"])
def test_batch_reshape(order):
    d = RNG.normal(size=(K, 2, 6))
    y = np.zeros((3, 4))
    np.testing.assert_array_equal(
        ad.batch_reshape(d, y, order),
        per_direction(lambda v: np.reshape(v, (3, 4), order=order), d))


@pytest.mark.parametrize("sa, sb", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((), (4,)), ((3,), ())])
@pytest.mark.parametrize("product", [np.matmul, np.dot])
def test_products_from_either_tangent(sa, sb, product):
    if product is np.matmul and (sa == () or sb == ()):
        pytest.skip("matmul takes no scalars")
    if product is np.dot and (len(sa) > 2 or len(sb) > 2):
        pytest.skip("dot of stacks is another product")
    a, b = RNG.normal(size=sa), RNG.normal(size=sb)
    da, db = RNG.normal(size=(K,) + sa), RNG.normal(size=(K,) + sb)
    np.testing.assert_allclose(
        ad.batch_matmul_a(da, b, product),
        per_direction(lambda v: product(v, b), da))
    np.testing.assert_allclose(
        ad.batch_matmul_b(a, db, product),
        per_direction(lambda v: product(a, v), db))


def test_lift_and_broadcast_keep_the_directions_in_front():
    d = RNG.normal(size=(K, 4))
    like = np.zeros((2, 4))
    assert ad.lift(d, like).shape == (K, 1, 4)
    out = ad.batch_broadcast(d, like)
    assert out.shape == (K, 2, 4)
    np.testing.assert_array_equal(out[:, 1], d)
    scalar = RNG.normal(size=(K,))
    assert ad.batch_broadcast(scalar, like).shape == (K, 2, 4)
    assert ad.batch_zeros(1.5, K).shape == (K,)
    assert [z.shape for z in ad.batch_zeros([1.0, like], K)] == \
        [(K,), (K, 2, 4)]


@pytest.mark.parametrize("have, like", [
    ((4,), (4,)), ((2, 4), (4,)), ((2, 4), (1, 4)), ((2, 4), ()),
    ((3, 1, 4), (2, 1)), ((4,), (2, 4))])
def test_batch_unbroadcast(have, like):
    d = RNG.normal(size=(K,) + have)
    x = RNG.normal(size=like) if like else 0.5
    got = ad.batch_unbroadcast(d, x)
    want = np.stack([np.broadcast_to(ad.unbroadcast(v, x), like)
                     for v in d])
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False),
                                            (-1, False), ((0, 2), False),
                                            (1, True)])
def test_batch_unreduce_and_expand(axis, keepdims):
    x = RNG.normal(size=(2, 3, 4))
    y = np.sum(x, axis=axis, keepdims=keepdims)
    d = RNG.normal(size=(K,) + np.shape(y))
    np.testing.assert_allclose(
        ad.batch_unreduce(d, x, axis, keepdims),
        per_direction(lambda v: ad.unreduce(v, x, axis, keepdims), d))
    np.testing.assert_allclose(
        ad.batch_expand(d, axis, keepdims),
        per_direction(lambda v: ad.expand(v, axis, keepdims), d))


@pytest.mark.parametrize("like", [1.5, np.ones(3), np.ones((2, 3))])
def test_batch_result(like):
    d = RNG.normal(size=(K,) + np.shape(like)).astype(np.float32)
    got = ad.batch_result(d, like)
    assert got.shape == (K,) + np.shape(like) and got.flags.writeable
    np.testing.assert_allclose(got, d)


def test_batch_array_puts_the_directions_first():
    items = [RNG.normal(size=(K, 2)), RNG.normal(size=(K, 2))]
    got = ad.batch_array(items)
    assert got.shape == (K, 2, 2)
    np.testing.assert_array_equal(got[:, 1], items[1])
    nested = [[RNG.normal(size=(K,))] * 3] * 2
    assert ad.batch_array(nested).shape == (K, 2, 3)
