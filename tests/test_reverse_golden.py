"""Golden tests: the reverse-mode source srcad generates for two small loops.

What to look for when one of these changes: the primal loop runs first and
pushes on `tape` only what the adjoint sweep reads back (the old value of an
overwritten variable, the branch a while loop took, its trip count); the
sweep then runs the loop backwards (`reversed(range)` for a `for`, the
popped trip count for a `while`), popping in the opposite order, with each
block under a `# grad of: <user line>` comment.
"""
import textwrap

import numpy as np

import srcad


def body(source):
    """The generated source without its header comment line."""
    first, rest = source.split("\n", 1)
    assert first.startswith("# srcad grad of "), first
    return rest


def same(actual, expected):
    assert body(actual) == textwrap.dedent(expected).lstrip()


def sum_of_squares(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] ** 2
    return s


def test_for_loop_over_range_len():
    # s is overwritten each pass and the sweep reads it, so the old s is
    # pushed before `s = s + t4` and popped in the reversed loop; x[i] and its
    # square are recomputed there rather than kept (x may be a list, whose
    # items need not share a shape).
    same(srcad.source(sum_of_squares), """
        def sum_of_squares_grad(x):
            tape = []
            # s = 0.0
            s = 0.0
            # for i in range(len(x)):
            t2 = range(len(x))
            for i in t2:
                # s = s + x[i] ** 2
                t3 = x[i]
                t4 = t3 ** 2
                tape.append(s)
                s = s + t4
            ad.check_scalar(s, return_site)
            bx = ad.zeros_like(x)
            bs = 1.0
            for i in reversed(t2):
                t3 = x[i]
                t4 = t3 ** 2
                # grad of: s = s + x[i] ** 2
                bt5 = bs
                s = tape.pop()
                bs = ad.unbroadcast(bs, s)
                bx[i] = ad.unbroadcast(bt5, t4) * 2 * t3
            del bs, s, t2, tape
            return ad.result(bx, x)
        """)
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcad.grad(sum_of_squares)(x), 2 * x)
    assert srcad.grad(sum_of_squares)(np.zeros(0)).shape == (0,)


def test_for_loop_specialized_to_a_vector():
    # Called with a vector, x[i] is a number, so s is one in every pass:
    # no unbroadcast, and since the sweep needs no value of s, neither
    # the tape nor the primal loop is left; x[i] ** 2, whose shape is the
    # same in every pass, is not recomputed for its adjoint's zeros. The
    # version checks first that it was given a vector.
    x = np.array([0.5, -1.0, 2.0])
    same(srcad.source(sum_of_squares, args=(x,)), """
        def sum_of_squares_grad(x):
            # a version for other kinds of arguments
            if type(x) is not ndarray or x.ndim != 1:
                return other_kinds(x)
            # for i in range(len(x)):
            bx = ad.zeros_like(x)
            for i in reversed(range(len(x))):
                t3 = x[i]
                # grad of: s = s + x[i] ** 2
                bx[i] = 2.0 * t3
            return ad.result(bx, x)
        """)
    np.testing.assert_allclose(srcad.grad(sum_of_squares)(x), 2 * x)


def shrink(x, rate):
    while x > 1.0:
        x = x * rate
    return x


def test_while_loop():
    # Each pass records the old x (the adjoint of rate reads it) in a list
    # of its own. The loop is left only by its test, so every pass but the
    # last ran the body: the sweep runs the body's adjoint once per record,
    # backwards, with no flag per pass and no trip count; the test, one
    # expression once fused, is the loop's own again.
    same(srcad.source(shrink, wrt=(0, 1)), """
        def shrink_grad(x, rate):
            x_in = x
            passes1 = []
            while x > 1.0:
                # x = x * rate
                passes1.append(x)
                x = x * rate
            ad.check_scalar(x, return_site)
            brate = ad.zeros_like(rate)
            bx = 1.0
            for x in reversed(passes1):
                # grad of: x = x * rate
                bt3 = bx
                bx = ad.unbroadcast(bx * rate, x)
                brate += ad.unbroadcast(bt3 * x, rate)
            del passes1
            return ad.result(bx, x_in), ad.result(brate, rate)
        """)
    # 10 -> 5 -> 2.5 -> 1.25 -> 0.625: four passes, so x * rate ** 4
    assert srcad.grad(shrink, wrt=(0, 1))(10.0, 0.5) == (0.0625, 5.0)
    assert srcad.grad(shrink, wrt=(0, 1))(0.5, 0.5) == (1.0, 0.0)


def halve_until(x, floor):
    while x > 1.0:
        x = x * 0.5
        if x < floor:
            break
    return x


def test_while_loop_with_break_keeps_its_flags():
    # left by its test or by the break: the sweep must know which pass
    # ran how far, so the flags stay
    source = srcad.source(halve_until, wrt=0)
    assert "tape.append(True)" in source and "range(trips1 - 1)" not in source
    g = srcad.grad(halve_until)
    assert g(10.0, 3.0) == 0.25   # 10 -> 5 -> 2.5: broke after two passes
    assert g(10.0, 0.1) == 0.0625  # left by its test after four
    assert g(0.5, 0.1) == 1.0      # never ran
