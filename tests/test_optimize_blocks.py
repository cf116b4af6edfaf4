"""optimize_blocks: dead code and copies inside loops and branches, golden
source in, source out, and the derivatives of loops it cleans checked
against finite differences."""
import numpy as np
import pytest

import srcad
from srcad import optimize_blocks

from fdcheck import check_grad
from test_optimize import run, same

dead_code = optimize_blocks.dead_code(lambda call: call.func.id != "effect")


def test_value_read_in_the_next_pass_stays():
    source = """
        def f(x, n):
            s = 0.0
            for i in range(n):
                t = s * 2
                s = t + x
            return s
        """
    same(run(dead_code, source), source)


def test_value_assigned_again_before_any_read_goes():
    same(run(dead_code, """
        def f(x, n):
            for i in range(n):
                t = x[i]
                u = x * 2
                t = u + 1
                x = t
            return x
        """), """
        def f(x, n):
            for i in range(n):
                u = x * 2
                t = u + 1
                x = t
            return x
        """)


def test_value_read_after_the_loop_stays_and_others_go():
    same(run(dead_code, """
        def f(x, n):
            for i in range(n):
                a = x + i
                b = x * i
            return a
        """), """
        def f(x, n):
            for i in range(n):
                a = x + i
            return a
        """)


def test_break_keeps_what_follows_the_loop():
    source = """
        def f(x):
            while True:
                y = x * 2
                if y > 1:
                    break
                x = y - 3
            return y
        """
    same(run(dead_code, source), source)


def test_continue_keeps_what_the_next_pass_reads():
    source = """
        def f(x, n):
            s = 0.0
            for i in range(n):
                s = s + x
                if i > 2:
                    continue
                x = x * 2
            return s
        """
    same(run(dead_code, source), source)


def test_effects_branches_and_empty_loops():
    same(run(dead_code, """
        def f(x, n):
            for i in range(n):
                u = x + i
            for j in range(n):
                v = effect(x)
            if x > 0:
                w = x * 2
                z = x
            else:
                w = x * 3
            return w
        """), """
        def f(x, n):
            for j in range(n):
                v = effect(x)
            if x > 0:
                w = x * 2
            else:
                w = x * 3
            return w
        """)


def test_in_place_and_augmented_writes_read_their_target():
    source = """
        def f(x, n):
            y = x * 0
            b = 0.0
            for i in range(n):
                y[i] += x[i]
                b += x[i]
            return y, b
        """
    same(run(dead_code, source), source)


def test_copies_in_a_loop_body():
    same(run(optimize_blocks.block_copies, """
        def f(x, n):
            for i in range(n):
                a = x
                b = a * 2
                x = a + b
                c = a
                c = c
                y = c * x
            return y
        """), """
        def f(x, n):
            for i in range(n):
                a = x
                b = x * 2
                x = x + b
                c = a
                y = a * x
            return y
        """)


def test_copies_stop_at_a_nested_block():
    source = """
        def f(x, n):
            for i in range(n):
                a = x
                if i > 1:
                    x = x * 2
                y = a * x
            return y
        """
    same(run(optimize_blocks.block_copies, source), source)


def recurrence(x, a):
    y = np.zeros_like(x)
    for i in range(1, len(x)):
        t = y[i - 1]
        u = t
        y[i] = a * u + x[i]
        if np.sum(y[i]) > 2.0:
            continue
        y[i] = y[i] * 0.5
    return np.sum(y * y)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("x", [np.array([0.5, 3.0, -1.0, 2.5, 0.2]),
                               np.array([1.0]),
                               np.array([[0.3, 0.1], [2.0, 4.0]])])
def test_cleaned_loops_against_finite_differences(x, mode):
    check_grad(recurrence, x, 0.8, wrt=(0, 1), mode=mode)
    check_grad(recurrence, x, np.full(x.shape[1:], 0.8), wrt=(0, 1),
               mode=mode)


first_items = optimize_blocks.first_items("ad")


def test_first_item_contributions_assign():
    same(run(first_items, """
        def f(x, g):
            bx = ad.zeros_like(x)
            by = ad.zeros_like(x)
            r = range(1, len(x))
            for i in reversed(r):
                if g > 0:
                    bx[i] += g * i
                by[i] += g
            return bx, by
        """), """
        def f(x, g):
            bx = ad.zeros_like(x)
            by = ad.zeros_like(x)
            r = range(1, len(x))
            for i in reversed(r):
                if g > 0:
                    bx[i] = g * i
                by[i] = g
            return bx, by
        """)


@pytest.mark.parametrize("loop", [
    "for i in range(-2, len(x)):",         # x[-2] is x[n - 2]
    "for i in range(len(x), 0, -1):",      # a step that is not a constant > 0
    "for i in q:",                         # not a range
])
def test_indices_that_may_repeat_keep_adding(loop):
    source = f"""
        def f(x, g, q):
            bx = ad.zeros_like(x)
            {loop}
                bx[i] += g
            return bx
        """
    same(run(first_items, source), source)


@pytest.mark.parametrize("body", [
    "bx[i] += g\n                bx[i] += g",  # twice a pass
    "bx[i] += g\n                i = 0",       # the index changes
    "bx[i] += bx[i] * g",                     # reads the item
    "for j in range(2):\n                    bx[i] += g",  # a nested loop
    "bx[i - 1] += g",                         # not the index itself
])
def test_items_written_otherwise_keep_adding(body):
    source = f"""
        def f(x, g):
            bx = ad.zeros_like(x)
            for i in range(len(x)):
                {body}
            return bx
        """
    same(run(first_items, source), source)


def test_first_write_into_zeros_assigns():
    same(run(first_items, """
        def f(x, g):
            bx = ad.zeros_like(x)
            by = ad.zeros_like(x)
            bx[:-1] += g
            bx[1:] += g
            by[0] += by[1] * g
            return bx, by
        """), """
        def f(x, g):
            bx = ad.zeros_like(x)
            by = ad.zeros_like(x)
            bx[:-1] = g
            bx[1:] += g
            by[0] += by[1] * g
            return bx, by
        """)


def test_zeros_used_before_the_loop_keep_adding():
    source = """
        def f(x, g):
            bx = ad.zeros_like(x)
            bx[0] = g
            for i in range(len(x)):
                bx[i] += g
            return bx
        """
    same(run(first_items, source), source)


def gathers(x, k):
    s = 0.0
    for i in range(1, len(x)):
        s = s + x[i] * x[i] + k * x[i - 1]
    for j in range(len(x)):
        s = s + np.sin(x[j])
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("shape", [(1,), (6,), (3, 2)])
def test_loops_reading_items_against_finite_differences(shape, mode):
    x = np.random.default_rng(2).normal(size=shape)
    if len(shape) == 1:
        check_grad(gathers, x, 0.3, wrt=(0, 1), mode=mode)
    else:
        check_grad(summed_gathers, x, 0.3, wrt=(0, 1), mode=mode)


def summed_gathers(x, k):
    return np.sum(gathers(x, k))


def test_arithmetic_computed_twice_in_a_pass_is_copied():
    from srcad.optimize_blocks import block_subexpressions
    fdef = __import__("gast").parse(__import__("textwrap").dedent("""
        def f(x, k, n):
            for i in range(n):
                a = -k
                b = a * x
                c = -k
                x = x + 1.0
                d = a * x
                if b > 0:
                    e = -k
                y = x + 1.0
            return d
        """)).body[0]
    block_subexpressions(fdef, lambda call: True)
    from srcad.emit import emit
    same(emit([fdef]), """
        def f(x, k, n):
            for i in range(n):
                a = -k
                b = a * x
                c = a
                x = x + 1.0
                d = a * x
                if b > 0:
                    e = -k
                y = x + 1.0
            return d
        """)


def rk4_like(y, k):
    t = 0.0
    for i in range(3):
        k1 = -k * y + np.sin(t)
        k2 = -k * (y + 0.05 * k1) + np.sin(t + 0.05)
        k3 = -k * (y + 0.05 * k2) + np.sin(t + 0.05)
        y = y + 0.1 / 6.0 * (k1 + 2.0 * k2 + k3)
        t = t + 0.1
    return np.sum(y)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_repeated_arithmetic_in_loops_against_finite_differences(mode):
    check_grad(rk4_like, 1.0, 0.7, wrt=(0, 1), mode=mode)
    check_grad(rk4_like, np.array([1.0, -0.5]), np.array([0.7, 0.2]),
               wrt=(0, 1), mode=mode)


def hoisted(source):
    from srcad.optimize_blocks import hoist_invariants
    fdef = __import__("gast").parse(__import__("textwrap").dedent(
        source)).body[0]
    hoist_invariants(fdef)
    from srcad.emit import emit
    return emit([fdef])


def test_invariant_arithmetic_moves_in_front_of_its_loop():
    same(hoisted("""
        def f(x, k, a, n, m):
            y = np.zeros(3)
            for i in range(n):
                b = -k
                c = b * a
                d = c * x
                x = x + d
                e = k / a
                f = y * k
                y[i] = f[0]
                g = k * 2.0
                g = g + x
                for j in range(m):
                    h = a * k
                    u = h * j
                    x = x + u
            return x
        """), """
        def f(x, k, a, n, m):
            y = np.zeros(3)
            b = -k
            c = b * a
            h = a * k
            for i in range(n):
                d = c * x
                x = x + d
                e = k / a
                f = y * k
                y[i] = f[0]
                g = k * 2.0
                g = g + x
                for j in range(m):
                    u = h * j
                    x = x + u
            return x
        """)


def test_a_while_loop_test_hoists_its_tolerance():
    same(hoisted("""
        def f(a):
            x = a
            while True:
                t1 = x * x
                t4 = 1e-12 * a
                t5 = t1 > t4
                if t5:
                    break
                x = x * 0.5
            return x
        """), """
        def f(a):
            x = a
            t4 = 1e-12 * a
            while True:
                t1 = x * x
                t5 = t1 > t4
                if t5:
                    break
                x = x * 0.5
            return x
        """)


def step_with_invariants(y, k, n):
    for i in range(n):
        y = y + 0.1 * (-k * y + k * k)
    return np.sum(y)


def nested_invariants(x, a, n):
    s = 0.0
    for i in range(n):
        for j in range(2):
            s = s + a * 2.0 * x[j] - a * x[i]
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("n", [0, 1, 4])
def test_hoisted_loops_against_finite_differences(n, mode):
    check_grad(step_with_invariants, 1.0, 0.7, n, wrt=(0, 1), mode=mode)
    check_grad(step_with_invariants, np.array([1.0, -0.5]),
               np.array([0.7, 0.2]), n, wrt=(0, 1), mode=mode)
    check_grad(nested_invariants, np.array([0.5, -1.0, 2.0, 0.3]), 1.5,
               min(n, 4), wrt=(0, 1), mode=mode)
    lines = srcad.source(step_with_invariants, wrt=(0, 1)).splitlines()
    loop = next(i for i, line in enumerate(lines)
                if line.startswith("    for "))
    assert any(line.endswith(" = -k") for line in lines[:loop])
