"""kinds.py: a derivative of a function with loops is compiled per kind of
arguments; the version a call made is the transform's own __call__ and
checks the kinds it assumes first, handing other calls to their version."""
import numpy as np
import pytest

import srcad
from srcad import pipeline
from srcad.kinds import kinds

from fdcheck import check_grad


def running_sum(x, scale):
    s = 0.0
    for i in range(len(x)):
        s = s + scale * x[i] ** 2
    return s


def power_loop(a, n=3):
    x = a
    for _ in range(n):
        x = x * a
    return x


def sum_grad(x, scale):
    return 2.0 * scale * np.asarray(x, dtype=float)


def test_a_version_checks_its_kinds_first():
    source = srcad.source(running_sum, args=(np.ones(3), 2.0), wrt=0)
    assert "if type(x) is not ndarray or x.ndim != 1:" in source
    assert "if type(scale) not in numbers" in source
    assert "return other_kinds(x, scale)" in source
    # the general version assumes nothing and checks nothing
    assert "other_kinds" not in srcad.source(running_sum)


# (x, scale) in the order the calls come: each call after the first has
# other kinds than the version the one before made __call__
KIND_CHANGES = [
    [(np.ones(3), 2.0), (np.arange(4.0), 3), ([1.0, 2.0], 0.5)],
    [([1.0, 2.0], 0.5), (np.ones(3), 2.0), (np.arange(3.0), np.array(2.0))],
    [(np.ones(3), np.array(1.5)), (np.ones(3), np.float64(2.0)),
     ((1.0, 2.0), 2), (np.ones(3), np.array(3.0))],
]


@pytest.mark.parametrize("calls", KIND_CHANGES)
def test_calls_of_other_kinds_get_their_version(calls):
    g = srcad.grad(running_sum)
    for x, scale in calls:
        got = g(x, scale)
        np.testing.assert_allclose(got, sum_grad(x, np.sum(scale)))
        assert np.shape(got) == np.shape(x)


def test_numbers_of_every_kind_share_one_version():
    g = srcad.grad(power_loop)
    for a in (1.5, 2, np.float64(1.5), np.float32(1.5), np.int64(2),
              np.array(1.5)):
        np.testing.assert_allclose(g(a), 4 * float(a) ** 3, rtol=1e-6)
    compiled = [key for key in pipeline._cache if key[0] is power_loop]
    assert len(compiled) == 1  # (a number,) for all of them


def test_keywords_and_defaults_are_checked_by_name():
    g = srcad.grad(power_loop)
    assert g(2.0, n=2) == pytest.approx(12.0)
    assert g(a=2.0) == pytest.approx(32.0)
    np.testing.assert_allclose(g(np.array(2.0), n=1), 4.0)
    assert g(2.0) == pytest.approx(32.0)


def test_an_array_subclass_gets_the_general_version():
    class Tagged(np.ndarray):
        pass
    x = np.arange(3.0).view(Tagged)
    assert kinds((x,), {}) == (None,)
    g = srcad.grad(running_sum)
    g(np.ones(3), 1.0)  # __call__ is the 1-d version now
    np.testing.assert_allclose(g(x, 1.0), 2 * np.arange(3.0))


def numbers(ndarray, other_kinds, type):  # the guard's own names
    s = 0.0
    for i in range(3):
        s = s + ndarray * other_kinds * type
    return s


def test_guard_names_do_not_collide_with_parameters():
    g = srcad.grad(numbers, wrt=(0, 1, 2))
    assert g(1.0, 2.0, 3.0) == pytest.approx((18.0, 9.0, 6.0))
    assert "other_kinds_" in srcad.source(numbers, args=(1.0, 2.0, 3.0))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_value_and_grad_and_forward_mode_versions(mode):
    vg = srcad.value_and_grad(running_sum, mode=mode)
    for x, scale in KIND_CHANGES[0][:2]:
        value, grad = vg(x, scale)
        assert value == pytest.approx(running_sum(x, scale))
        np.testing.assert_allclose(grad, sum_grad(x, scale))
    check_grad(running_sum, np.ones(3), 2.0, mode=mode)
