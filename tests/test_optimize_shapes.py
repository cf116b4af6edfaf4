"""optimize_shapes: a full mean's adjoint added at positions stays one
number; a value computed only to be read for its shape is read from one
there anyway. Generated sources checked for what they leave out, and the
derivatives against finite differences in both modes."""
import numpy as np
import pytest

import srcad

from fdcheck import check_grad


def pick(z, labels):
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(z.shape[0]), labels])


def pick_sum(z, labels):
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return np.sum(logp[np.arange(z.shape[0]), labels] * 2.0)


def pick_slice(x):
    return np.mean(np.exp(x)[1:3])


def pick_rows(x):
    return np.mean(np.sin(x)[1:], axis=0)[0]


def mixed(z, w):
    logp = z * w - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return np.mean(logp[np.arange(z.shape[0]), 1])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("shape", [(1, 3), (4, 3), (5, 2)])
def test_picked_log_softmax(shape, mode):
    rng = np.random.default_rng(shape[0])
    z = rng.normal(size=shape)
    labels = rng.integers(0, shape[1], shape[0])
    check_grad(pick, z, labels, mode=mode)
    check_grad(pick_sum, z, labels, mode=mode)


def code(f):
    """The generated source of grad(f) without its comments."""
    return "\n".join(line for line in srcad.source(f).splitlines()
                     if not line.lstrip().startswith("#"))


def test_picked_values_are_never_computed():
    for f in (pick, pick_sum):
        source = code(f)
        assert "np.log(" not in source and " logp =" not in source
        assert "ad.unreduce(" not in source  # one number, added as it is
    assert "ad.zeros_like(z)" in code(pick)


def test_labels_repeating_a_position_add_up():
    z = np.random.default_rng(2).normal(size=(3, 4))
    check_grad(lambda_free_pick, z)


def lambda_free_pick(z):
    rows = np.array([0, 0, 2, 0])
    cols = np.array([1, 1, 3, 1])
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[rows, cols])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, shape", [(pick_slice, (5,)), (pick_slice, (4, 2)),
                                      (pick_rows, (3, 2))])
def test_basic_index_of_a_spread(f, shape, mode):
    x = np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape)
    check_grad(f, x, mode=mode)


def test_float32_keeps_its_type():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(4, 3)).astype(np.float32)
    labels = np.array([0, 2, 1, 1])
    g = srcad.grad(pick)(z, labels)
    assert g.dtype == np.float32 == srcad.grad(pick, optimize=False)(
        z, labels).dtype
    want = srcad.grad(pick)(z.astype(np.float64), labels)
    np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)


def test_zeros_keep_a_value_computed_from_more_than_one_array():
    # logp's float type may be wider than z's: its zeros are not z's
    assert "ad.zeros_like(logp)" in code(mixed)
    rng = np.random.default_rng(4)
    z = rng.normal(size=(3, 2)).astype(np.float32)
    w = rng.normal(size=(3, 2))
    g = srcad.grad(mixed)(z, w)
    # computed in float64, returned in z's type (API.md)
    assert g.dtype == np.float32 == srcad.grad(mixed, optimize=False)(
        z, w).dtype
    np.testing.assert_allclose(g, srcad.grad(mixed)(z.astype(float), w),
                               rtol=1e-5, atol=1e-6)
    check_grad(mixed, z.astype(np.float64), w)
