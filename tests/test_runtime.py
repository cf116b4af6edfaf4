"""runtime.py: the helpers generated code calls, checked against the NumPy
they stand for."""
import itertools

import numpy as np
import pytest

from srcad import runtime as ad

SHAPES = [(3, 4), (2, 3, 4), (5, 1, 2), (4, 0), (3, 4, 5, 2), (1, 7)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64,
                                   np.complex128, bool])
def test_sum_axes_is_np_sum(shape, dtype):
    g = np.random.default_rng(0).normal(size=shape) * 3
    g = g.astype(dtype)
    for arr in (g, g.T, g[..., ::-1]):
        for r in range(1, arr.ndim + 1):
            for axes in itertools.combinations(range(arr.ndim), r):
                got = ad.sum_axes(arr, axes)
                want = np.sum(arr, axis=axes)
                assert np.shape(got) == np.shape(want)
                assert np.result_type(got) == np.result_type(want)
                # summed in another order: equal up to rounding
                scale = np.sum(np.abs(arr), axis=axes)
                eps = np.finfo(np.float32).eps if arr.dtype == np.float32 \
                    else np.finfo(np.float64).eps
                assert np.all(np.abs(got - want) <= 8 * eps * scale)


def test_sum_axes_keeps_the_ones_read_only():
    g = np.ones((3, 4))
    ad.sum_axes(g, (1,))
    ones = ad._ones(4, "d")
    assert not ones.flags.writeable


@pytest.mark.parametrize("have, like", [
    ((256, 10), (256, 1)), ((256, 10), (10,)), ((2, 3, 4), (3, 1)),
    ((2, 3, 4), ()), ((5, 1, 4), (1, 1, 4)), ((4,), (1,))])
def test_unbroadcast_sums_what_broadcasting_repeated(have, like):
    rng = np.random.default_rng(1)
    g = rng.normal(size=have)
    x = rng.normal(size=like)
    # <g, broadcast(v)> == <unbroadcast(g), v> for every v of x's shape
    v = rng.normal(size=like)
    got = ad.unbroadcast(g, x)
    assert np.shape(got) == like
    np.testing.assert_allclose(np.sum(got * v),
                               np.sum(g * np.broadcast_to(v, have)))


@pytest.mark.parametrize("have, target", [
    ((256, 10), (256, 1)), ((3, 4, 5), (4, 1)), ((3, 4), (3, 4)),
    ((2, 3), (4,)), ((5,), ()), ((2, 3), (1, 3)), ((3,), (2, 3)),
    ((2, 1), (2, 3))])
def test_stretched_axes_are_the_broadcast_axes(have, target):
    full = np.broadcast_shapes(have, target) if all(
        a in (b, 1) or b == 1 for a, b in zip(have[::-1], target[::-1])) \
        else None
    want = ad.broadcast_axes(have, target) if full == have else None
    assert ad._stretched(have, target) == want
    g = np.arange(float(np.prod(have))).reshape(have)
    if want:  # some axes to sum (unbroadcast reshapes for none)
        np.testing.assert_allclose(
            ad.sum_axes(g, want, target),
            np.sum(g, axis=want).reshape(target))


@pytest.mark.parametrize("a, b", [((3,), (2,)), ((2, 3), (3, 2)),
                                  ((4, 2, 3), (3, 3))])
def test_shapes_that_do_not_broadcast_raise_numpys_error(a, b):
    with pytest.raises(ValueError, match="could not be broadcast together"):
        np.ones(a) + np.ones(b)  # NumPy's words
    with pytest.raises(ValueError, match=r"could not be broadcast together "
                       r"with shapes"):
        ad.Like(np.ones(a), np.ones(b))
    with pytest.raises(ValueError, match="could not be broadcast together"):
        ad.unbroadcast(np.ones(a), np.ones(b))


@pytest.mark.parametrize("a, b, want", [((3,), (1,), (3,)),
                                        ((2, 1), (3,), (2, 3)),
                                        ((), (2, 2), (2, 2))])
def test_like_takes_the_broadcast_shape(a, b, want):
    assert ad.Like(np.ones(a), np.ones(b)).shape == want
    assert ad.Like(np.ones(b), np.ones(a)).shape == want
