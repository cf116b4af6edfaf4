"""spent_items (optimize_items.py): item stores nothing reads again go;
those something may read stay. Gradients against finite differences in
both modes, over loops that run 0, 1 and many times."""
import textwrap

import gast
import numpy as np
import pytest

import srcad
from fdcheck import check_grad
from srcad.build import statements
from srcad.optimize_items import spent_items
from test_optimize import run
from test_shapes import iir

MODES = ["reverse", "forward"]


def second_order_recurrence(x, a):
    y = np.zeros_like(x)
    y[0] = x[0]
    y[1] = x[1] * a
    for i in range(2, len(x)):
        y[i] = a * y[i - 1] - 0.5 * y[i - 2] + x[i]
    return np.sum(y * y)


def reads_before_start(x, a):
    y = np.zeros_like(x)
    for i in range(1, len(x)):  # y[i - 2] is y[-1] when i is 1
        y[i] = a * y[i - 2] + x[i]
    return np.sum(y * y)


def reads_own_item(x, a):
    y = x * 1.0
    for i in range(1, len(x)):
        y[i] = a * y[i] + y[i - 1]
    return np.sum(y * y)


def returns_the_array_summed_later(x, a):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = a * y[i - 1] + x[i]
    z = y * 1.0
    return np.sum(z * y)


def recurrence_twice(x, a):
    y = np.zeros_like(x)
    for rep in range(2):
        y[0] = x[0] * rep
        for i in range(1, len(x)):
            y[i] = a * y[i - 1] + x[i]
    return np.sum(y * y)


CASES = [iir, second_order_recurrence, reads_before_start, reads_own_item,
         returns_the_array_summed_later, recurrence_twice]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", CASES)
@pytest.mark.parametrize("n", [3, 4, 9])
def test_recurrences_against_finite_differences(f, n, mode):
    x = np.linspace(-1.0, 1.3, n)
    check_grad(f, x, 0.7, wrt=(0, 1), mode=mode)


@pytest.mark.parametrize("f", [iir, second_order_recurrence])
def test_zeros_nothing_reads_go(f):
    source = srcad.source(f, wrt=(0, 1), args=(np.ones(5), 0.7))
    assert "= 0.0\n" not in source.replace("ba = 0.0\n", "")


@pytest.mark.parametrize("f", [reads_before_start, reads_own_item])
def test_zeros_read_later_stay(f):
    source = srcad.source(f, wrt=(0, 1), args=(np.ones(5), 0.7))
    assert "by[i] = 0.0" in source


def _run(source):
    return run(spent_items("ad"), source)


SWEEP = """
def f(x, by):
    r = range(1, n)
    by = ad.own(by)
    for i in reversed(r):
        t = i - 1
        g = by[i]
        by[i] = 0.0
        by[t] += g * a
    h = by[0]
    return h
"""


def test_golden_sweep():
    after = _run(SWEEP.replace("    return h", """    by = ad.own(by)
    by[0] = 0.0
    del by
    return h"""))
    assert "by[i] = 0.0" not in after and "by[0] = 0.0" not in after
    assert "by[t] += g * a" in after


@pytest.mark.parametrize("change", [
    ("r = range(1, n)", "r = range(k, n)"),         # start unknown
    ("r = range(1, n)", "r = range(0, n)"),         # by[-1] after i = 0
    ("    h = by[0]", "    h = by[1]"),             # read at the start
    ("    h = by[0]", "    h = by[0] + np.sum(by)"),  # read whole
    ("        by[t] += g * a", "        by[i] += g * a"),  # read again
    ("    for i in reversed(r):", "    for i in r:"),     # upwards
    ("        t = i - 1", "        t = i + 1"),
])
def test_golden_cases_left_alone(change):
    after = _run(SWEEP.replace(*change))
    assert "by[i] = 0.0" in after


def test_alias_before_the_loop_keeps_the_zero():
    before = """
def f(x, by):
    r = range(1, n)
    keep = by
    for i in reversed(r):
        t = i - 1
        g = by[i]
        by[i] = 0.0
        by[t] += g * a
    return keep
"""
    assert "by[i] = 0.0" in _run(before)


def test_nested_loop_is_left_alone():
    before = """
def f(x, by):
    r = range(1, n)
    for k in range(3):
        for i in reversed(r):
            g = by[i]
            by[i] = 0.0
    return g
"""
    fdef = gast.parse(textwrap.dedent(before)).body[0]
    assert not spent_items("ad")(fdef)
    assert any(isinstance(s, gast.Assign) and
               isinstance(s.value, gast.Constant)
               for s in statements(fdef.body))


def test_top_level_zero_read_at_its_index_stays():
    before = """
def f(by):
    by[1] = 0.0
    g = by[0]
    h = by[1]
    return g + h
"""
    assert "by[1] = 0.0" in _run(before)
    assert "by[1] = 0.0" not in _run(before.replace("h = by[1]", "h = 2"))
