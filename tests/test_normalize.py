"""normalize: golden source-in/source-out tests, and the normal-form
verifier run over the whole test corpus."""
import inspect
import textwrap

import numpy as np
import pytest

import test_corpus
from srcad.capture import capture
from srcad.emit import emit
from srcad.naming import Namer, names_in
from srcad.normalize import normalize
from srcad.verify import verify


def normalized(fn):
    captured = capture(fn)
    return normalize(captured, Namer(names_in(captured.tree)))


def golden(fn, expected):
    assert emit([normalized(fn)]) == textwrap.dedent(expected).lstrip()


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_sigmoid_is_four_single_operations():
    golden(sigmoid, """
        def sigmoid(x):
            t1 = -x
            t2 = np.exp(t1)
            t3 = 1 + t2
            t4 = 1 / t3
            return t4
        """)


def reassigned(x, y):
    x = x * 2.0
    x += y
    z = x ** 2
    return z


def test_reassignment_is_ssa_and_user_names_are_kept():
    golden(reassigned, """
        def reassigned(x, y):
            x1 = x * 2.0
            x2 = x1 + y
            z = x2 ** 2
            return z
        """)


def swap(a, b):
    a, b = b * 2, a
    return a - b


def test_tuple_assignment_reads_before_it_writes():
    golden(swap, """
        def swap(a, b):
            a1 = b * 2
            b1 = a
            t1 = a1 - b1
            return t1
        """)


def methods(x, w):
    return x.T.dot(w).sum(axis=0) + x.reshape(2, 3).mean()


def test_methods_become_numpy_calls():
    golden(methods, """
        def methods(x, w):
            t1 = np.transpose(x)
            t2 = np.dot(t1, w)
            t3 = np.sum(t2, axis=0)
            t4 = 2, 3
            t5 = np.reshape(x, t4)
            t6 = np.mean(t5)
            t7 = t3 + t6
            return t7
        """)


def chained(x):
    c = 0 < x < 1
    return x[1:-1, 0] * c


def test_chained_comparison_and_subscripts():
    golden(chained, """
        def chained(x):
            t1 = 0 < x
            t2 = x < 1
            c = t1 and t2
            t3 = x[1:-1, 0]
            t4 = t3 * c
            return t4
        """)


def unpack_nested(p):
    (a, b), c = p
    return a * b * c


def test_nested_unpacking():
    golden(unpack_nested, """
        def unpack_nested(p):
            t1, c = p
            a, b = t1
            t2 = a * b
            t3 = t2 * c
            return t3
        """)


CORPUS = [f for _, f in inspect.getmembers(test_corpus, inspect.isfunction)
          if f.__module__ == test_corpus.__name__ and
          not f.__name__.startswith(("test_", "_")) and f.__name__ != "draw"]


@pytest.mark.parametrize("fn", CORPUS, ids=lambda f: f.__name__)
def test_corpus_is_in_normal_form(fn):
    assert verify(normalized(fn)) == []


def test_verifier_rejects_nested_expressions():
    import gast
    tree = gast.parse("def f(x):\n    y = x * (x + 1)\n    return y\n")
    assert len(verify(tree.body[0])) == 1
