"""Control flow: branches, loops, subscripts and lists, in both modes.

Every function below is written the way people write numerical code, at
module level. Each case is checked with srcad.grad in reverse and in forward
mode against central finite differences, for every differentiable argument,
with `optimize=False` giving the same numbers and no input modified. Loop
cases are parametrized so that each loop runs zero times, once and many
times, and branch cases so that every branch is taken.

Finite differences only agree with the derivative when a small change of
the input does not change which branch is taken or how many times a loop
runs, so the inputs stay away from those boundaries.
"""
import concurrent.futures
import math
import os
import re
import threading

import numpy as np
import pytest

import srcad
from fdcheck import assert_like, check_grad, numeric_grad, numeric_jacobian

HERE = os.path.basename(__file__)
_SINK = None


# ================================================================ branches

def branch_scalar(x, y):
    if x > 1.0:
        r = x * y
    elif x < -1.0:
        r = math.sin(x) * y
    else:
        r = x * x + y
    return r * y


def branch_on_sum(x):
    if np.sum(x) > 0:
        y = np.sum(x ** 2)
    else:
        y = np.sum(np.exp(x))
    return y


def branch_on_elements(x):
    if x[0] > x[1]:
        y = x * x[0]
    else:
        y = x * x[1] + 1.0
    return np.sum(y * y)


def branch_without_else(x, a):
    y = a * x
    if np.sum(y) < 0:
        y = -y
    return np.sum(y * x)


def conditional_expression(x, a):
    r = a * x if x > 0 else a - x
    return r * (x if a > 1 else 2.0 * a)


def bool_and_or_not(x, y):
    if x > 0 and y > 0:
        r = x * y
    elif x < -1 or not y < 1:
        r = x + y * y
    else:
        r = x * x * y
    return r


def chained_comparison(x, lo, hi):
    if lo < x < hi:
        r = (x - lo) * (hi - x)
    else:
        r = x * lo + hi
    return r


def value_and_or(x, w):
    scale = w or 1.0
    k = x > 1.0 and w
    return scale * x + k * x


def return_from_branch(x):
    if x > 0:
        return x * x
    elif x < -1:
        return math.exp(x)
    return -x


# =================================================================== loops

def sum_squares(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] ** 2
    return s


def range_step(x, start, stop, step):
    s = 1.0
    for i in range(start, stop, step):
        s = s * x[i] + x[i - 1]
    return s


def range_shape(a):
    s = 0.0
    for i in range(a.shape[0]):
        s = s + (i + 1) * np.sum(a[i] * a[i])
    return s


def range_reversed_len(c, x):
    p = 0.0
    for i in range(len(c) - 1, -1, -1):
        p = p * x + c[i]
    return p


def over_rows(a, w):
    s = 0.0
    for row in a:
        s = s + np.tanh(row @ w)
    return s


def over_list(x, y):
    s = 0.0
    for v in [x, y, x * y]:
        s = s + np.sum(np.sin(v))
    return s


def over_zip(x, w):
    s = 0.0
    for a, b in zip(x, w):
        s = s + a * b * b
    return s


def over_enumerate(x):
    s = 0.0
    for i, v in enumerate(x):
        s = s + (i + 1.0) * v * v
    return s


def enumerate_zip(x, w):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, w)):
        s = s + i * a * b
    return s


def swap_in_loop(x, n):
    a, b = 1.0, x
    for i in range(n):
        a, b = b, a * b + 0.1
    return a + b


def conditional_expression_in_loop(x):
    s = 0.0
    for v in x:
        s = s + (v * v if v > 0 else -v)
    return s


def nested_triangle(a, x):
    s = 0.0
    for i in range(len(x)):
        for j in range(i):
            s = s + a[i, j] * x[i] * x[j]
    return s


def nested_rows_and_columns(a):
    s = 0.0
    for row in a:
        t = 1.0
        for v in row:
            t = t * v + 1.0
        s = s + t
    return s


# ================================================================== while

def newton_sqrt(a, x0, tol):
    x = x0
    while abs(x * x - a) > tol:
        x = 0.5 * (x + a / x)
    return x


def newton_sqrt_trips(a, x0, tol):
    x, n = x0, 0
    while abs(x * x - a) > tol:
        x, n = 0.5 * (x + a / x), n + 1
    return n


def cubic_root(p, q):
    """The real root of x**3 + p*x - q by Newton's method (p > 0)."""
    x = 1.0
    it = 0
    while True:
        fx = x ** 3 + p * x - q
        if abs(fx) < 1e-13:
            break
        x = x - fx / (3 * x * x + p)
        it += 1
        if it >= 50:
            break
    return x


def while_counter(x, n):
    i = 0
    s = 0.0
    while i < n:
        s = np.sin(s) + x[i % len(x)]
        i += 1
    return s


def while_vector_norm(x, tol):
    # halve x until its norm is below tol, with a while on an array value
    y = x
    while np.sqrt(np.sum(y * y)) > tol:
        y = 0.5 * y + 0.01 * np.sin(y)
    return np.sum(y * x)


# ======================================== break, continue, return in loops

def break_continue(x, thr):
    s = 0.0
    for i in range(len(x)):
        if x[i] > thr:
            break
        if x[i] < 0:
            continue
        s = s + x[i] ** 2 * thr
    return s


def return_in_loop(x, thr):
    for i in range(len(x)):
        if x[i] > thr:
            return x[i] * np.sum(x[: i + 1])
    return -np.sum(x * x) * thr


def return_in_nested_loops(a, thr):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if a[i, j] > thr:
                return s * a[i, j]
            s = s + a[i, j] ** 2
    return s + thr


def break_inner_loop(a):
    s = 0.0
    for i in range(a.shape[0]):
        t = 0.0
        for j in range(a.shape[1]):
            if a[i, j] < 0:
                break
            t = t + np.sin(a[i, j])
        s = s + t * t
    return s


def while_with_break_and_continue(x, tol):
    i = 0
    s = 0.0
    while True:
        i += 1
        if i > len(x):
            break
        v = x[i - 1]
        if v < 0:
            continue
        s = s + v * s + v
        if s > tol:
            return s * 2.0
    return s


# ======================================== values overwritten in long loops

def rnn(w, u, x, h0):
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(w @ h + u @ x[t])
    return np.sum(h * h)


def rk4(k, y0, n):
    dt = 0.01
    t = 0.0
    y = y0
    for i in range(n):
        k1 = -k * y + math.sin(t)
        k2 = -k * (y + 0.5 * dt * k1) + math.sin(t + 0.5 * dt)
        k3 = -k * (y + 0.5 * dt * k2) + math.sin(t + 0.5 * dt)
        k4 = -k * (y + dt * k3) + math.sin(t + dt)
        y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        t = t + dt
    return y


def horner(c, x):
    p = 0.0
    for a in c:
        p = p * x + a
    return p


def combined(a, w):
    out = np.zeros(a.shape[0])
    for i, row in enumerate(a):
        z = row @ w
        if z > 0.5:
            v = z * z
        elif z < -0.5 and i % 2 == 0:
            v = -z
        else:
            v = np.sin(z) if i > 0 else z
        k = 0
        while v > 0.1 and k < 3:
            v = v * 0.5
            k += 1
        out[i] = v
    return np.sum(out * out)


# ================================================================ subscripts

IDX = np.array([0, 2, 2, 0, 3])


def subscript_reads(x, a):
    s = x[1] * a[1, 2] + x[-1] * a[-1, -2]
    s = s + np.sum(x[1:-1] * a[:, 0]) + np.sum(x[::2] ** 2)
    s = s + np.sum(x[IDX] * x[IDX]) + np.sum(a[0][IDX[:3]])
    s = s + np.sum(np.exp(x[x > 0.0]))
    return s


def write_zeros(x):
    n = len(x)
    y = np.zeros(n)
    for i in range(n):
        y[i] = x[i] ** 2
        y[i] += x[i] * 3.0
    return np.sum(y * y)


def write_empty(x):
    y = np.empty(len(x))
    for i in range(len(x)):
        y[i] = np.sin(x[i]) * x[-1 - i]
    return np.sum(y * x)


def write_zeros_like_slice(x):
    y = np.zeros_like(x)
    y[1:3] = x[:2] * 2.0
    y[3:] = np.cos(x[3:])
    y[0] += x[4] * x[0]
    return np.sum(y * y)


def write_copy(x, a):
    y = x.copy()
    y[0] = y[0] * a
    y[2] += a * x[1]
    y[1:3] = y[1:3] * y[0]
    return np.sum(y * y)


def write_slice_from_itself(x):
    y = np.zeros(len(x) + 1)
    y[0:2] = x[:2]
    y[0:2] = y[0:2] * y[0:2]
    return np.sum(y * x[0])


def write_np_copy(x, a):
    y = np.copy(x)
    for i in range(1, len(x)):
        y[i] = y[i - 1] * a + y[i]
    return np.sum(y ** 2)


def write_matrix(x):
    n = len(x)
    m = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            m[i, j] = x[i] * x[j] + i
        m[i, i] += 1.0
    m[:, 0] = x * 2.0
    return np.sum(m @ x)


def write_repeatedly(x):
    y = np.zeros(2)
    for i in range(len(x)):
        y[0] = y[0] * x[i] + 1.0
        y[1] = y[1] + y[0] * x[i]
    return y[0] + y[1] * y[1]


def write_int_array_index(x):
    # NumPy keeps the last of repeated writes: y[2] ends up x[2] ** 2 here
    y = np.zeros(4)
    y[IDX[:3]] = x[:3] ** 2
    y[IDX[3:]] += x[3:] * 2.0
    return np.sum(y * np.arange(1.0, 5.0))


def write_mask(x):
    y = x.copy()
    y[x > 0] = np.sqrt(x[x > 0])
    return np.sum(y * y * y)


def iir_filter(x, a):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = a * y[i - 1] + x[i]
    return np.sum(y * y)


# ===================================================================== lists

def append_sum_scalars(x, n):
    vals = []
    for i in range(n):
        vals.append(x[i % len(x)] ** 2 * (i + 1))
    return sum(vals) + np.sum(x)


def append_sum_arrays(x, n):
    hs = []
    h = x
    for i in range(n):
        h = np.sin(h) * 1.5
        hs.append(h)
    return np.sum(sum(hs)) + np.sum(x * x)


def append_np_array(x):
    vals = []
    for i in range(len(x)):
        vals.append(x[i] * x[i - 1])
    v = np.array(vals)
    return np.sum(v * np.arange(len(vals)))


def append_np_stack(x, n):
    hs = []
    h = x
    for i in range(n):
        h = np.tanh(2.0 * h + 0.1)
        hs.append(h)
    m = np.stack(hs)
    return np.sum(m * m)


def pop_dropped(x, n):
    # what a bare vals.pop() takes is dropped; its derivative list must
    # drop the same item
    vals = [x[0] ** 3]
    for i in range(n):
        vals.append(x[i % len(x)] * (i + 1))
        vals.append(x[1] ** 2)
        vals.pop()
    vals.append(np.sin(x[2]))
    vals.pop()
    s = np.sum(x)
    for i in range(n + 1):
        s = s + vals.pop() * x[i % len(x)]
    return s


def write_after_update_in_loop(x, n):
    # a = a + ... in a loop hands a new array to a: a[k] = ... may write it
    a = np.zeros(len(x))
    s = 0.0
    for i in range(n):
        a = a + x * (i + 1)
        a[i % len(x)] = a[i % len(x)] * x[0]
        s = s + np.sum(a * x)
    return s


def reassigned_after_loop(x, n):
    # m lives in the loop and is bound again after it: the primal saves
    # m before each binding, also before the loop or branch ever bound it
    for t in range(n):
        m = x * 2.0
        x = np.sin(m)
    m = 3.0
    return np.sum(x * m)


def reassigned_after_branch(x, c):
    if c > 0:
        m = x * 2.0
        x = np.sin(m)
    m = 3.0
    return np.sum(x * m)


def stable_hmm(logp, trans, n):
    # the scaled forward pass: m = max(alpha) in the loop and after it
    alpha = logp
    total = 0.0
    for t in range(n):
        m = np.max(alpha)
        alpha = np.log(trans @ np.exp(alpha - m)) + logp
        total = total + m
    m = np.max(alpha)
    return total + m + np.log(np.sum(np.exp(alpha - m)))


# ==================================================================== cases

def _rng(seed=0):
    return np.random.default_rng(seed)


def vec(*values):
    return np.array(values, dtype=float)


_r = _rng(1)
RNN_W = _r.normal(scale=0.4, size=(8, 8))
RNN_U = _r.normal(scale=0.5, size=(8, 3))
RNN_H0 = _r.normal(size=8)
RNN_X = {n: _r.normal(size=(n, 3)) for n in (0, 1, 50)}
MAT = _r.normal(size=(4, 3))
SQUARE = _r.normal(size=(4, 4))
# rows whose z = row @ (1, .5, -.5) take each branch of `combined`
COMB = np.array([[-0.6, -0.3, 0.1], [0.6, 0.3, -0.1], [0.2, 0.1, 0.0],
                 [-0.5, -0.3, 0.1]])
X5 = vec(0.3, -0.7, 1.1, 0.4, -0.2)

# Each case: (id, function, args, positions to differentiate). "0", "1",
# "many" in an id is how many times the loop runs; "if", "elif", "else"
# which branch is taken.
CASES = [
    ("branch_scalar-if", branch_scalar, (1.5, 0.7), (0, 1)),
    ("branch_scalar-elif", branch_scalar, (-2.0, 0.7), (0, 1)),
    ("branch_scalar-else", branch_scalar, (0.3, -0.7), (0, 1)),
    ("branch_on_sum-if", branch_on_sum, (vec(1.0, -0.5, 0.3),), (0,)),
    ("branch_on_sum-else", branch_on_sum, (vec(-1.0, 0.5, 0.3),), (0,)),
    ("branch_on_elements-if", branch_on_elements, (vec(0.9, 0.2, -0.4),), (0,)),
    ("branch_on_elements-else", branch_on_elements, (vec(0.1, 0.8, -0.4),), (0,)),
    ("branch_without_else-if", branch_without_else, (vec(0.5, -2.0), 1.3), (0, 1)),
    ("branch_without_else-else", branch_without_else, (vec(0.5, 2.0), 1.3), (0, 1)),
    ("conditional_expression-if-if", conditional_expression, (0.5, 1.5), (0, 1)),
    ("conditional_expression-else-else", conditional_expression, (-0.5, 0.5), (0, 1)),
    ("bool_and-if", bool_and_or_not, (0.5, 2.0), (0, 1)),
    ("bool_or-elif-left", bool_and_or_not, (-2.0, 0.5), (0, 1)),
    ("bool_not-elif-right", bool_and_or_not, (-0.5, 1.5), (0, 1)),
    ("bool_and_or_not-else", bool_and_or_not, (-0.5, 0.5), (0, 1)),
    ("bool_and-short-else", bool_and_or_not, (0.5, -0.5), (0, 1)),
    ("chained_comparison-if", chained_comparison, (0.5, -1.0, 2.0), (0, 1, 2)),
    ("chained_comparison-else-low", chained_comparison, (-1.5, -1.0, 2.0), (0, 1, 2)),
    ("chained_comparison-else-high", chained_comparison, (2.5, -1.0, 2.0), (0, 1, 2)),
    ("value_and_or-true", value_and_or, (1.5, 2.0), (0, 1)),
    ("value_and_or-false", value_and_or, (0.5, 2.0), (0, 1)),
    ("value_or-default", value_and_or, (0.5, 0.0), (0,)),
    ("return_from_branch-if", return_from_branch, (0.7,), (0,)),
    ("return_from_branch-elif", return_from_branch, (-1.5,), (0,)),
    ("return_from_branch-else", return_from_branch, (-0.5,), (0,)),

    ("sum_squares-0", sum_squares, (np.zeros(0),), (0,)),
    ("sum_squares-1", sum_squares, (vec(0.7),), (0,)),
    ("sum_squares-many", sum_squares, (X5,), (0,)),
    ("range_step-0", range_step, (X5, 3, 3, 1), (0,)),
    ("range_step-0-negative", range_step, (X5, 0, 4, -1), (0,)),
    ("range_step-1", range_step, (X5, 2, 3, 1), (0,)),
    ("range_step-many-step2", range_step, (X5, 1, 5, 2), (0,)),
    ("range_step-many-negative", range_step, (X5, 4, 0, -1), (0,)),
    ("range_step-many-negative2", range_step, (X5, 4, -1, -2), (0,)),
    ("range_step-1-negative", range_step, (X5, 4, 3, -3), (0,)),
    ("range_shape-0", range_shape, (np.zeros((0, 3)),), (0,)),
    ("range_shape-1", range_shape, (MAT[:1].copy(),), (0,)),
    ("range_shape-many", range_shape, (MAT,), (0,)),
    ("range_reversed_len-0", range_reversed_len, (np.zeros(0), 0.7), (0, 1)),
    ("range_reversed_len-1", range_reversed_len, (vec(1.5), 0.7), (0, 1)),
    ("range_reversed_len-many", range_reversed_len, (vec(1.0, -2.0, 0.5, 3.0), 0.7), (0, 1)),
    ("over_rows-0", over_rows, (np.zeros((0, 3)), vec(0.3, -0.2, 0.5)), (0, 1)),
    ("over_rows-1", over_rows, (MAT[:1].copy(), vec(0.3, -0.2, 0.5)), (0, 1)),
    ("over_rows-many", over_rows, (MAT, vec(0.3, -0.2, 0.5)), (0, 1)),
    ("over_list-many", over_list, (vec(0.3, -1.0), vec(2.0, 0.5)), (0, 1)),
    ("over_zip-0", over_zip, (np.zeros(0), np.zeros(0)), (0, 1)),
    ("over_zip-1", over_zip, (vec(0.5), vec(0.3, 9.0)), (0, 1)),
    ("over_zip-many", over_zip, (X5, X5[::-1] + 1.0), (0, 1)),
    ("over_enumerate-0", over_enumerate, (np.zeros(0),), (0,)),
    ("over_enumerate-1", over_enumerate, (vec(0.5),), (0,)),
    ("over_enumerate-many", over_enumerate, (X5,), (0,)),
    ("enumerate_zip-many", enumerate_zip, (X5, X5 * 2.0 - 1.0), (0, 1)),
    ("swap_in_loop-0", swap_in_loop, (1.3, 0), (0,)),
    ("swap_in_loop-1", swap_in_loop, (1.3, 1), (0,)),
    ("swap_in_loop-many", swap_in_loop, (1.3, 5), (0,)),
    ("conditional_expression_in_loop-many", conditional_expression_in_loop,
     (vec(0.5, -2.0, 1.0),), (0,)),
    ("nested_triangle-0", nested_triangle, (SQUARE[:0, :0].copy(), np.zeros(0)), (0, 1)),
    ("nested_triangle-1-0", nested_triangle, (SQUARE[:1, :1].copy(), vec(0.4)), (0, 1)),
    ("nested_triangle-many", nested_triangle, (SQUARE, X5[:4].copy()), (0, 1)),
    ("nested_rows_and_columns-0", nested_rows_and_columns, (np.zeros((0, 3)),), (0,)),
    ("nested_rows_and_columns-inner0", nested_rows_and_columns, (np.zeros((3, 0)),), (0,)),
    ("nested_rows_and_columns-many", nested_rows_and_columns, (MAT,), (0,)),

    ("newton_sqrt-0", newton_sqrt, (1.0, 1.0, 1e-3), (0, 1)),
    ("newton_sqrt-1", newton_sqrt, (1.0, 1.1, 0.1), (0, 1)),
    ("newton_sqrt-many", newton_sqrt, (2.0, 2.0, 1e-10), (0, 1)),
    ("cubic_root-many", cubic_root, (2.0, 5.0), (0, 1)),
    ("while_counter-0", while_counter, (X5, 0), (0,)),
    ("while_counter-1", while_counter, (X5, 1), (0,)),
    ("while_counter-many", while_counter, (X5, 12), (0,)),
    ("while_vector_norm-0", while_vector_norm, (vec(0.1, -0.2), 1.0), (0,)),
    ("while_vector_norm-many", while_vector_norm, (vec(3.0, -2.0), 0.1), (0,)),

    ("break_continue-0", break_continue, (np.zeros(0), 1.0), (0, 1)),
    ("break_continue-break-first", break_continue, (vec(2.0, 0.5), 1.0), (0, 1)),
    ("break_continue-continue", break_continue, (vec(-0.5, 0.5, -0.3, 0.2), 1.0), (0, 1)),
    ("break_continue-break-later", break_continue, (vec(0.5, -0.5, 0.7, 3.0, 0.1), 1.0), (0, 1)),
    ("return_in_loop-0", return_in_loop, (np.zeros(0), 1.0), (0, 1)),
    ("return_in_loop-first", return_in_loop, (vec(2.0, 0.5), 1.0), (0, 1)),
    ("return_in_loop-later", return_in_loop, (vec(0.5, -0.3, 2.0, 0.1), 1.0), (0, 1)),
    ("return_in_loop-never", return_in_loop, (vec(0.5, -0.3, 0.2), 1.0), (0, 1)),
    ("return_in_nested_loops-later", return_in_nested_loops, (MAT, 0.6), (0, 1)),
    ("return_in_nested_loops-never", return_in_nested_loops, (MAT, 5.0), (0, 1)),
    ("return_in_nested_loops-0", return_in_nested_loops, (np.zeros((0, 3)), 5.0), (0, 1)),
    ("break_inner_loop-many", break_inner_loop, (MAT,), (0,)),
    ("break_inner_loop-none", break_inner_loop, (np.abs(MAT),), (0,)),
    ("while_break_continue-0", while_with_break_and_continue, (np.zeros(0), 10.0), (0, 1)),
    ("while_break_continue-break", while_with_break_and_continue,
     (vec(0.5, -0.2, 0.3), 10.0), (0, 1)),
    ("while_break_continue-return", while_with_break_and_continue,
     (vec(0.5, -0.2, 2.0, 3.0), 1.5), (0, 1)),

    ("rnn-0", rnn, (RNN_W, RNN_U, RNN_X[0], RNN_H0), (0, 1, 2, 3)),
    ("rnn-1", rnn, (RNN_W, RNN_U, RNN_X[1], RNN_H0), (0, 1, 2, 3)),
    ("rnn-50", rnn, (RNN_W, RNN_U, RNN_X[50], RNN_H0), (0, 1, 2, 3)),
    ("rk4-0", rk4, (0.8, 1.5, 0), (0, 1)),
    ("rk4-1", rk4, (0.8, 1.5, 1), (0, 1)),
    ("rk4-100", rk4, (0.8, 1.5, 100), (0, 1)),
    ("horner-0", horner, (np.zeros(0), 0.7), (0, 1)),
    ("horner-1", horner, (vec(1.5), 0.7), (0, 1)),
    ("horner-many", horner, (vec(1.0, -2.0, 0.5, 3.0, 0.25, -1.0), 0.7), (0, 1)),

    ("combined-many", combined, (COMB, vec(1.0, 0.5, -0.5)), (0, 1)),
    ("combined-1", combined, (COMB[2:3].copy(), vec(1.0, 0.5, -0.5)), (0, 1)),
    ("combined-0", combined, (np.zeros((0, 3)), vec(1.0, 0.5, -0.5)), (0, 1)),
    ("subscript_reads", subscript_reads, (X5, SQUARE[:3].copy()), (0, 1)),
    ("write_zeros-0", write_zeros, (np.zeros(0),), (0,)),
    ("write_zeros-1", write_zeros, (vec(0.5),), (0,)),
    ("write_zeros-many", write_zeros, (X5,), (0,)),
    ("write_empty-1", write_empty, (vec(0.5),), (0,)),
    ("write_empty-many", write_empty, (X5,), (0,)),
    ("write_zeros_like_slice", write_zeros_like_slice, (X5,), (0,)),
    ("write_copy", write_copy, (X5, 1.7), (0, 1)),
    ("write_slice_from_itself", write_slice_from_itself, (vec(1.0, 2.0, 0.5),), (0,)),
    ("write_np_copy-0", write_np_copy, (vec(0.5), 0.9), (0, 1)),
    ("write_np_copy-many", write_np_copy, (X5, 0.9), (0, 1)),
    ("write_matrix-many", write_matrix, (X5[:3].copy(),), (0,)),
    ("write_repeatedly-0", write_repeatedly, (np.zeros(0),), (0,)),
    ("write_repeatedly-1", write_repeatedly, (vec(0.5),), (0,)),
    ("write_repeatedly-many", write_repeatedly, (X5,), (0,)),
    ("write_int_array_index", write_int_array_index, (X5,), (0,)),
    ("write_mask", write_mask, (X5,), (0,)),
    ("iir_filter-0", iir_filter, (vec(0.5), 0.9), (0, 1)),
    ("iir_filter-1", iir_filter, (vec(0.5, -0.3), 0.9), (0, 1)),
    ("iir_filter-many", iir_filter, (_r.normal(size=20), 0.9), (0, 1)),

    ("append_sum_scalars-0", append_sum_scalars, (X5, 0), (0,)),
    ("append_sum_scalars-1", append_sum_scalars, (X5, 1), (0,)),
    ("append_sum_scalars-many", append_sum_scalars, (X5, 7), (0,)),
    ("append_sum_arrays-0", append_sum_arrays, (X5, 0), (0,)),
    ("append_sum_arrays-1", append_sum_arrays, (X5, 1), (0,)),
    ("append_sum_arrays-many", append_sum_arrays, (X5, 6), (0,)),
    ("append_np_array-0", append_np_array, (np.zeros(0),), (0,)),
    ("append_np_array-1", append_np_array, (vec(0.5),), (0,)),
    ("append_np_array-many", append_np_array, (X5,), (0,)),
    ("append_np_stack-1", append_np_stack, (X5, 1), (0,)),
    ("append_np_stack-many", append_np_stack, (X5, 5), (0,)),
    ("write_after_update_in_loop-0", write_after_update_in_loop, (X5, 0), (0,)),
    ("write_after_update_in_loop-1", write_after_update_in_loop, (X5, 1), (0,)),
    ("write_after_update_in_loop-many", write_after_update_in_loop, (X5, 7), (0,)),
    ("pop_dropped-0", pop_dropped, (X5, 0), (0,)),
    ("pop_dropped-1", pop_dropped, (X5, 1), (0,)),
    ("pop_dropped-many", pop_dropped, (X5, 6), (0,)),
    ("reassigned_after_loop-0", reassigned_after_loop, (0.4, 0), (0,)),
    ("reassigned_after_loop-1", reassigned_after_loop, (0.4, 1), (0,)),
    ("reassigned_after_loop-many", reassigned_after_loop, (0.4, 4), (0,)),
    ("reassigned_after_loop-0-array", reassigned_after_loop, (X5, 0), (0,)),
    ("reassigned_after_loop-1-array", reassigned_after_loop, (X5, 1), (0,)),
    ("reassigned_after_loop-many-array", reassigned_after_loop, (X5, 4), (0,)),
    ("reassigned_after_branch-if", reassigned_after_branch, (X5, 1.0), (0,)),
    ("reassigned_after_branch-else", reassigned_after_branch, (X5, -1.0), (0,)),
    ("stable_hmm-0", stable_hmm, (X5[:3] - 1.0, np.abs(SQUARE[:3, :3]), 0), (0, 1)),
    ("stable_hmm-1", stable_hmm, (X5[:3] - 1.0, np.abs(SQUARE[:3, :3]), 1), (0, 1)),
    ("stable_hmm-many", stable_hmm, (X5[:3] - 1.0, np.abs(SQUARE[:3, :3]), 6), (0, 1)),
]

def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def _unchanged(args, before):
    for k, (a, b) in enumerate(zip(args, before)):
        assert type(a) is type(b) and np.array_equal(a, b), \
            f"argument {k} was modified"


def _grads(f, args, wrt, mode, optimize=True):
    before = [_copy(a) for a in args]
    got = srcad.grad(f, wrt=wrt, mode=mode, optimize=optimize)(*args)
    _unchanged(args, before)
    assert isinstance(got, tuple) and len(got) == len(wrt), got
    for w, g in zip(wrt, got):
        assert_like(g, args[w], f"gradient w.r.t. argument {w}")
        for a in args:
            if isinstance(g, np.ndarray) and isinstance(a, np.ndarray):
                assert not np.shares_memory(g, a)
    return got


def _assert_same(got, want, rtol=1e-10, atol=1e-12, what=""):
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol,
                                   err_msg=f"{what} argument {k}")


def _params(kind):
    out = []
    for case in CASES:
        modes = (None,) if kind == "agree" else ("reverse", "forward")
        if kind == "alone" and len(case[3]) == 1:
            continue
        for mode in modes:
            ids = case[0] if mode is None else f"{case[0]}-{mode}"
            out.append(pytest.param(*case[1:], mode, id=ids))
    return out


@pytest.mark.parametrize("f,args,wrt,mode", _params("grad"))
def test_grad_matches_finite_differences(f, args, wrt, mode):
    got = _grads(f, args, wrt, mode)
    for w, g in zip(wrt, got):
        expected = numeric_grad(f, args, w)
        np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-7,
                                   err_msg=f"d {f.__name__} / d arg {w}")
    plain = _grads(f, args, wrt, mode, optimize=False)
    _assert_same(plain, got, what="optimize=False differs,")


@pytest.mark.parametrize("f,args,wrt,mode", _params("agree"))
def test_reverse_and_forward_agree(f, args, wrt, mode):
    reverse = srcad.grad(f, wrt=wrt, mode="reverse")(*args)
    forward = srcad.grad(f, wrt=wrt, mode="forward")(*args)
    _assert_same(forward, reverse, what="forward and reverse differ,")


@pytest.mark.parametrize("f,args,wrt,mode", _params("alone"))
def test_each_argument_alone(f, args, wrt, mode):
    together = srcad.grad(f, wrt=wrt, mode=mode)(*args)
    for w, want in zip(wrt, together):
        before = [_copy(a) for a in args]
        got = srcad.grad(f, wrt=w, mode=mode)(*args)
        _unchanged(args, before)
        assert_like(got, args[w], f"gradient w.r.t. argument {w} alone")
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_while_trip_counts_are_as_the_case_ids_say():
    assert newton_sqrt_trips(1.0, 1.0, 1e-3) == 0
    assert newton_sqrt_trips(1.0, 1.1, 0.1) == 1
    assert newton_sqrt_trips(2.0, 2.0, 1e-10) > 3


def test_every_case_is_checked_in_loops_run_0_1_and_many_times():
    ids = [case[0] for case in CASES]
    for f in (sum_squares, range_step, range_shape, over_rows, over_zip,
              over_enumerate, newton_sqrt, while_counter, rnn, rk4, horner,
              write_zeros, write_repeatedly, iir_filter, append_sum_scalars,
              append_sum_arrays, combined, nested_triangle):
        mine = [i for i in ids if i.startswith(f.__name__ + "-")]
        for count in ("0", "1"):
            assert any(re.search(rf"-{count}(-|$)", i) for i in mine), \
                (f.__name__, count)
        assert any(re.search(r"-(many|50|100)", i) for i in mine), f.__name__


# ================================================================== errors

def writes_argument(x):
    y = np.sin(x)
    x[0] = 1.0  # <- write-argument
    return np.sum(x * y)


def writes_argument_in_loop(x):
    for i in range(len(x)):
        x[i] = x[i] * 2.0  # <- write-argument-in-loop
    return np.sum(x)


def writes_through_second_name(x):
    a = np.sin(x)
    b = a
    b[0] = 2.0  # <- alias
    return np.sum(a * x)


def writes_through_second_name_in_loop(x):
    a = x * 2.0
    b = a
    for i in range(len(x)):
        b[i] = b[i] * x[i]  # <- alias-in-loop
    return np.sum(a)


def writes_into_new_array_read_again(x):
    a = np.zeros(len(x))
    for i in range(2):
        t = a + x
        a = t
        a[0] = 1.0  # <- handed-and-read
        a = a + np.sum(t)
    return np.sum(a * x)


def writes_into_array_made_in_a_branch(x):
    for i in range(2):
        if i == 0:
            t = x * 2.0
        a = t
        a[0] = 1.0  # <- handed-in-branch
    return np.sum(a * x)


def writes_into_view(x):
    v = x[1:3]
    v[0] = 1.0  # <- view
    return np.sum(v * x[0])


def writes_into_view_of_local(x):
    y = np.cos(x)
    v = y[1:3]
    v[0] = 1.0  # <- view-of-local
    return np.sum(y * x)


def uses_yield(x):
    for i in range(3):
        yield np.sum(x) * i  # <- yield


async def uses_async(x):  # <- async
    return np.sum(x * x)


def uses_global(x):
    global _SINK  # <- global
    _SINK = np.sum(x)  # <- global-write
    return _SINK * 2.0


def uses_try(x):
    try:  # <- try
        y = np.log(x)
    except FloatingPointError:
        y = x
    return np.sum(y)


def uses_del(x):
    y = x * 2.0
    z = np.sum(y)
    del y  # <- del
    return z


def uses_with(x):
    with np.errstate(divide="ignore"):  # <- with
        y = np.log(x)
    return np.sum(y)


def _marked_line(marker):
    with open(__file__) as f:
        for number, text in enumerate(f, start=1):
            if text.rstrip().endswith(f"# <- {marker}"):
                return number
    raise LookupError(marker)


ERRORS = [
    (writes_argument, ["write-argument"]),
    (writes_argument_in_loop, ["write-argument-in-loop"]),
    (writes_through_second_name, ["alias"]),
    (writes_through_second_name_in_loop, ["alias-in-loop"]),
    (writes_into_view, ["view"]),
    (writes_into_new_array_read_again, ["handed-and-read"]),
    (writes_into_array_made_in_a_branch, ["handed-in-branch"]),
    (writes_into_view_of_local, ["view-of-local"]),
    (uses_yield, ["yield"]),
    (uses_async, ["async"]),
    (uses_global, ["global", "global-write"]),
    (uses_try, ["try"]),
    (uses_del, ["del"]),
    (uses_with, ["with"]),
]
def _error_params():
    out = []
    for f, markers in ERRORS:
        for mode in ("reverse", "forward"):
            out.append(pytest.param(f, markers, mode,
                                    id=f"{f.__name__}-{mode}"))
    return out


@pytest.mark.parametrize("f,markers,mode", _error_params())
def test_unsupported_raises_located_srcad_error(f, markers, mode):
    x = vec(0.5, 1.5, 2.5, 3.5)
    before = x.copy()
    with pytest.raises(srcad.SrcadError) as info:
        srcad.grad(f, mode=mode)(x)
    assert np.array_equal(x, before), "the argument was modified"
    msg = str(info.value)
    assert HERE in msg, msg
    lines = [_marked_line(m) for m in markers]
    assert any(re.search(rf"\bline {n}\b", msg) for n in lines), \
        f"none of lines {lines} named in:\n{msg}"


# =========================================================== thread safety

def threaded_filter(x, a):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = a * y[i - 1] + np.sin(x[i])
    s = 0.0
    k = 0
    while k < len(y):
        s = s + y[k] * y[k]
        k += 1
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("warm", [True, False], ids=["compiled", "cold"])
def test_one_gradient_called_from_many_threads(mode, warm):
    # Cold: the first calls, from several threads at once, compile
    # concurrently (optimize=False is a cache key no other test uses).
    # Compiled: every call shares one compiled function. Each thread uses
    # inputs of its own, so a shared tape would mix them up.
    g = srcad.grad(threaded_filter, wrt=(0, 1), mode=mode, optimize=warm)
    inputs = [(_rng(k).normal(size=12 + k), 0.5 + 0.1 * k)
              for k in range(4)]
    if warm:
        g(*inputs[0])
    start = threading.Barrier(4)

    def work(k):
        start.wait()
        return [g(*inputs[k]) for _ in range(60)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(4)))
    for k, got in enumerate(results):
        want = g(*inputs[k])
        for r in got:
            assert np.array_equal(r[0], want[0]) and r[1] == want[1]
        np.testing.assert_allclose(want[0], numeric_grad(
            threaded_filter, inputs[k], 0), rtol=1e-5, atol=1e-7)


# ===================================================================== vjp

def iir_output(x, a):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = a * y[i - 1] + x[i]
    return y


@pytest.mark.parametrize("f,args,wrt", [
    (iir_filter, (X5, 0.9), (0, 1)),
    (newton_sqrt, (2.0, 2.0, 1e-10), (0, 1)),
    (rk4, (0.8, 1.5, 100), (0, 1)),
    (return_in_loop, (vec(0.5, -0.3, 2.0, 0.1), 1.0), (0, 1)),
    (append_np_stack, (X5, 5), (0,)),
], ids=["iir", "while", "rk4", "return-in-loop", "list"])
def test_vjp_pullback_can_be_called_twice(f, args, wrt):
    before = [_copy(a) for a in args]
    out, pullback = srcad.vjp(f, *args)
    _unchanged(args, before)
    assert out == f(*args)
    first = pullback(1.0)
    second = pullback(1.0)
    third = pullback(2.0)
    for w in wrt:
        np.testing.assert_array_equal(first[w], second[w])
        np.testing.assert_allclose(third[w], 2.0 * first[w], rtol=1e-12)
        np.testing.assert_allclose(first[w], numeric_grad(f, args, w),
                                   rtol=1e-5, atol=1e-7)


def test_vjp_of_loop_with_vector_output_twice():
    x, a = _rng(3).normal(size=6), 0.7
    out, pullback = srcad.vjp(iir_output, x, a)
    np.testing.assert_allclose(out, iir_output(x, a))
    ct = _rng(4).normal(size=6)
    bx1, ba1 = pullback(ct)
    bx2, ba2 = pullback(ct)
    np.testing.assert_array_equal(bx1, bx2)
    assert ba1 == ba2
    jx = numeric_jacobian(iir_output, (x, a), 0)
    ja = numeric_jacobian(iir_output, (x, a), 1)
    np.testing.assert_allclose(bx1, ct @ jx, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ba1, ct @ ja, rtol=1e-5, atol=1e-7)


def doubles(x):
    for i in range(2):
        x = np.concatenate([x, x])
    return np.sum(x * x)


def folds(x, n):
    while n > 0:
        x = np.sum(x * 1.5)
        n = n - 1
    return x


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_argument_assigned_a_new_shape_in_a_loop(mode):
    # the gradient has the argument's shape, not that of x's last value
    check_grad(doubles, np.array([1.0, -2.0]), mode=mode)
    check_grad(folds, np.array([1.0, -2.0, 0.5]), 2, mode=mode)
    check_grad(folds, 1.5, 1, mode=mode)


def row_written_twice(x):
    y = np.zeros((2, 2))
    y[0] = x * 2
    y[0] = y[0] * 3
    return np.sum(y * y)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_row_written_from_its_old_value(mode):
    # the adjoint of the row is read, then zeroed in place: it must not
    # be a view of the adjoint of y
    check_grad(row_written_twice, np.array([1.0, 2.0]), mode=mode)


def two_fresh_arrays(x):
    a = np.zeros(3)
    b = np.zeros(3)
    a[0] = x
    b[1] = x * 2.0
    return np.sum(a * 3.0) + np.sum(b)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_equal_constructors_make_two_arrays(mode):
    # np.zeros(3) twice is not one array: each is written in place
    assert srcad.grad(two_fresh_arrays, mode=mode)(1.5) == 5.0


# ============================================= values the sweep restores
# The sweep restores a name a loop or branch assigns to its earlier values,
# so value_and_grad must return the output as the primal left it; the split
# form must not save names a loop that ran no times never bound.
def power_loop(a, n):
    x = a
    for _ in range(n):
        x = x * a
    return x


def sum_loop(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * x[i]
    return s


def both_arms_then_if(a):
    if a > 0:
        r = a * 2.0
    else:
        r = a
    if a < 0:
        r = r - 1.0
    if not (a > 5):
        r = r * a
    return r


@pytest.mark.parametrize("n", [0, 1, 4])
def test_value_and_grad_value_after_a_loop(n):
    value, g = srcad.value_and_grad(power_loop)(1.5, n)
    assert value == power_loop(1.5, n)
    np.testing.assert_allclose(g, numeric_grad(power_loop, (1.5, n), 0))
    out, pullback = srcad.vjp(power_loop, 1.5, n)
    assert out == power_loop(1.5, n)
    np.testing.assert_allclose(pullback(1.0)[0], g)


@pytest.mark.parametrize("n", [0, 1, 4])
@pytest.mark.parametrize("x", [0.4, X5], ids=["float", "array"])
def test_value_and_grad_and_vjp_of_a_name_bound_again_after_a_loop(x, n):
    value, g = srcad.value_and_grad(reassigned_after_loop)(x, n)
    assert value == reassigned_after_loop(x, n)
    np.testing.assert_allclose(
        g, numeric_grad(reassigned_after_loop, (x, n), 0), rtol=1e-6)
    out, pullback = srcad.vjp(reassigned_after_loop, x, n)
    assert out == value
    np.testing.assert_allclose(pullback(2.0)[0], 2.0 * g)


@pytest.mark.parametrize("size", [0, 1, 5])
def test_value_and_grad_and_vjp_of_a_loop_over_items(size):
    x = np.linspace(0.5, 2.0, size)
    value, g = srcad.value_and_grad(sum_loop)(x)
    assert value == sum_loop(x)
    np.testing.assert_allclose(g, 2 * x)
    out, pullback = srcad.vjp(sum_loop, x)
    assert out == sum_loop(x)
    np.testing.assert_allclose(pullback(1.0)[0], 2 * x)
    np.testing.assert_allclose(pullback(2.0)[0], 4 * x)


@pytest.mark.parametrize("a", [-1.5, 0.7, 6.0])
def test_value_and_grad_value_after_branches(a):
    for optimize in (True, False):
        value, g = srcad.value_and_grad(both_arms_then_if,
                                        optimize=optimize)(a)
        assert value == both_arms_then_if(a)
        np.testing.assert_allclose(
            g, numeric_grad(both_arms_then_if, (a,), 0), rtol=1e-6)
    assert srcad.vjp(both_arms_then_if, a)[0] == both_arms_then_if(a)


# ======================================= loops over a tuple of constants
def over_constants(a):
    s = 0.0
    for c in (0.5, 1.5, 2.5):
        s = s + a ** c
    return s


def over_pairs(x):
    s = 0.0
    for c in ((1.0, 2.0), (3.0, 4.0)):
        s = s + np.sum(x * c[0]) + c[1] * x[0]
    return s


def enumerate_constants(a):
    s = 0.0
    for i, c in enumerate((0.5, 1.5)):
        s = s + a ** c * i
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_loop_over_a_tuple_of_constants(mode):
    check_grad(over_constants, 0.7, mode=mode)
    check_grad(enumerate_constants, 0.7, mode=mode)
    check_grad(over_pairs, np.array([1.0, 2.0, 3.0]), mode=mode)
    value, g = srcad.value_and_grad(over_constants, mode=mode)(0.7)
    assert value == over_constants(0.7)


# =========================================== arrays that grow in a loop
# Each reversed pass needs the adjoint zeros of that pass's shape, not of
# the shape the primal left.
def grow(x, n):
    out = x
    for _ in range(n):
        out = np.concatenate([out, out[-1:] * x[0]])
    return np.sum(out ** 2)


def grow_read_by_item(x, n):
    out = x
    s = 0.0
    for _ in range(n):
        t = out * 2.0
        s = s + t[0]
        out = np.concatenate([out, out[-1:]])
    return s + np.sum(out ** 2)


def grow_in_a_branch(x):
    out = x
    if x[0] > 0:
        out = np.concatenate([out, out])
    return np.sum(out * out)


def grow_while(x):
    out = x
    while out.shape[0] < 6:
        out = np.concatenate([out, np.sin(out[:1])])
    return np.sum(out ** 3)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("n", [0, 1, 3])
def test_array_growing_in_a_loop(mode, n):
    x = np.array([1.0, 2.0, 3.0])
    check_grad(grow, x, n, mode=mode)
    check_grad(grow_read_by_item, x, n, mode=mode)
    value, g = srcad.value_and_grad(grow, mode=mode)(x, n)
    assert value == grow(x, n)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_array_growing_in_a_branch_or_while(mode):
    for x in (np.array([1.0, 2.0, 3.0]), np.array([-1.0, 2.0])):
        check_grad(grow_in_a_branch, x, mode=mode)
    for x in (np.array([0.5, 2.0, 3.0]), np.array([0.5]),
              np.linspace(0.1, 0.7, 7)):
        check_grad(grow_while, x, mode=mode)


# -- counters: ints because every assignment to them is, given they are -----

def counted_reads(x):
    s = 0.0
    i = 0
    while i < x.shape[0]:
        s = s + x[i] ** 3 * i
        i += 1
    return s


def counter_from_argument(x, n):
    s = 0.0
    while n < 3:  # n may be a float: never assumed an int
        s = s + x * n
        n = n + 1
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_while_counter_is_an_int(mode):
    for size in (0, 1, 4):
        check_grad(counted_reads, np.linspace(-1.0, 1.5, size), mode=mode)
    source = srcad.source(counted_reads, args=(np.ones(3),))
    assert "bx[i] += " in source and "add_at" not in source


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_counter_started_by_an_argument(mode):
    for n in (0.5, 2.5, 5.5):
        check_grad(counter_from_argument, 1.3, n, wrt=(0, 1), mode=mode)
    check_grad(counter_from_argument, 1.3, 1, mode=mode)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_module_constants_start_a_value_a_loop_updates(mode):
    def running_min(x):
        s = 0.0
        for i in range(x.shape[0]):
            best = np.inf
            best = min(best, x[i])
            lead = math.pi
            lead = lead * x[i]
            s = s + best + lead
        return s
    check_grad(running_min, np.array([1.0, 2.0, 3.0]), mode=mode)


def _rows_of(x):
    return x * 2.0


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_loops_over_iterators_without_len(mode):
    def over_ndindex(x):
        s = 0.0
        for idx in np.ndindex(x.shape):
            s = s + np.sin(x[idx]) * x[idx]
        return s

    def over_a_helper(x):
        s = 0.0
        for row in _rows_of(x):
            s = s + np.sum(row ** 2)
        return s
    for x in (np.array([0.3, 0.7, 1.1]), np.linspace(-1, 1, 6).reshape(2, 3),
              np.zeros(0)):
        check_grad(over_ndindex, x, mode=mode)
        check_grad(over_a_helper, x, mode=mode)


def index_changed_in_the_body(x, n=3):
    s = 0.0
    for i in range(n):
        i = i * 2
        s = s + x ** i
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("n", [0, 1, 3])
def test_a_loop_index_the_body_changes(mode, n):
    # the reversed loop binds the index; what the body made of it (2i)
    # comes from the tape (reverse mode once read the index itself)
    value, grad = srcad.value_and_grad(index_changed_in_the_body,
                                       mode=mode)(0.7, n)
    assert value == index_changed_in_the_body(0.7, n)
    assert grad == pytest.approx(sum(2 * i * 0.7 ** (2 * i - 1)
                                     for i in range(1, n)))
    check_grad(index_changed_in_the_body, 0.7, n, mode=mode)


# -- a loop local whose shape changes between passes, not optimized ---------
# (a float argument becomes an array after the first pass; the zero that
# starts a local's adjoint sum must not read the last pass's value)

def grows_in_loop(a, y, n):
    for i in range(n):
        y = a * y / (1 + y * y)
    return np.sum(y)


def grows_through_a_local(a, y, n):
    for i in range(n):
        u = y * y
        y = a * y / (1 + u)
    return np.sum(y)


def grows_in_while(a, y):
    i = 0
    while i < 3:
        v = a * y
        y = v / (1 + v * v)
        i += 1
    return np.sum(y)


@pytest.mark.parametrize("f", [grows_in_loop, grows_through_a_local,
                               grows_in_while])
@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
@pytest.mark.parametrize("optimize", [True, False])
def test_loop_local_changing_shape_between_passes(f, wrt, optimize):
    a, y = np.array([0.3, 0.5, 0.9]), 0.7
    args = (a, y) if f is grows_in_while else (a, y, 3)
    got = srcad.grad(f, wrt=wrt, optimize=optimize)(*args)
    for w, g in zip(wrt if isinstance(wrt, tuple) else (wrt,),
                    got if isinstance(wrt, tuple) else (got,)):
        assert_like(g, args[w], f"gradient wrt {w}")
        np.testing.assert_allclose(g, numeric_grad(f, args, w), rtol=1e-6,
                                   atol=1e-9)


# -- NumPy's float types in loops: as conversions, and as dtypes -------------

def numpy_float_accumulator(x):
    s = np.float64(0.0)
    for v in x:
        s = s + v * v * np.float32(0.5)
    return s


def dtype_in_a_loop(x):
    y = x.astype(float)
    for i in range(2):
        old = y.astype(np.float64)
        y = y * old[0]
    return np.sum(old * y)


@pytest.mark.parametrize("f", [numpy_float_accumulator, dtype_in_a_loop])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_numpy_float_types_in_loops(f, mode):
    x = np.array([1.2, 0.7, -0.4])
    check_grad(f, x, mode=mode)
    np.testing.assert_allclose(srcad.hessian(f)(x), numeric_jacobian(
        srcad.grad(f), [x], 0), rtol=1e-5, atol=1e-6)


# -- raise and f-strings --------------------------------------------------------

def checked_power_sum(x, n):
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    s = 0.0
    for i in range(n):
        if np.any(np.abs(x) > 100.0):
            raise RuntimeError("diverged")
        s = s + np.sum(x ** i)
        label = f"step {i}: s = {s:.3f}"
    return s


def raises_in_else(x):
    if np.all(x > 0.0):
        y = np.log(x)
    else:
        raise ValueError("x must be positive") from None
    return np.sum(y * y)


def raises_in_both_but_one(x, k):
    if k == 0:
        y = np.sin(x)
    elif k == 1:
        y = np.cos(x) * x
    else:
        raise ValueError(f"no mode {k!r}")
    return np.sum(y)


@pytest.mark.parametrize("f, args", [
    (checked_power_sum, (np.array([1.2, -0.7]), 3)),
    (raises_in_else, (np.array([0.4, 1.5]),)),
    (raises_in_both_but_one, (np.array([0.4, 1.5]), 0)),
    (raises_in_both_but_one, (np.array([0.4, 1.5]), 1))])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_raise_and_f_strings(f, args, mode):
    for optimize in (True, False):
        np.testing.assert_allclose(
            srcad.grad(f, mode=mode, optimize=optimize)(*args),
            numeric_grad(f, args, 0), rtol=1e-6)
    hessian = srcad.hessian(f)(*args)
    np.testing.assert_allclose(hessian, numeric_jacobian(
        srcad.grad(f), list(args), 0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_the_derivative_raises_what_the_function_raises(mode):
    with pytest.raises(ValueError, match="n must be non-negative, got -1"):
        srcad.grad(checked_power_sum, mode=mode)(np.ones(2), -1)
    with pytest.raises(RuntimeError, match="diverged"):
        srcad.grad(checked_power_sum, mode=mode)(np.array([500.0, 1.0]), 2)
    with pytest.raises(ValueError, match="no mode 5"):
        srcad.grad(raises_in_both_but_one, mode=mode)(np.ones(2), 5)


def test_a_branch_that_raises_records_nothing_for_the_sweep():
    source = srcad.source(raises_in_else)
    assert "raise ValueError('x must be positive') from None" in source
    assert "tape" not in source


def enumerated_from_one(x):
    s = 0.0
    for i, v in enumerate(x, 1):
        s = s + i * v * v
    return s


def enumerated_by_keyword(x):
    s = 0.0
    for i, v in enumerate(x, start=2):
        s = s + i * v * v
    return s


def enumerated_pairs_from(x, k):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, x[::-1]), k):
        s = s + i * a * b
    return s


@pytest.mark.parametrize("f, args", [
    (enumerated_from_one, (np.array([1.5, 2.0, -0.5]),)),
    (enumerated_by_keyword, (np.array([1.5, 2.0, -0.5]),)),
    (enumerated_pairs_from, (np.array([1.5, 2.0, -0.5]), 3))])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_enumerate_with_a_start(f, args, mode):
    check_grad(f, *args, mode=mode)


# -- lists of (W, b) pairs --------------------------------------------------------

def _layers(params, x):
    for i, (W, b) in enumerate(params):
        x = np.tanh(W @ x + b)
    return x


def pairs_through_a_helper(W1, b1, W2, b2, x):
    return np.sum(_layers([(W1, b1), (W2, b2)], x) ** 2)


def pairs_by_index(params):
    total = 0.0
    for i in range(len(params)):
        W, b = params[i]
        total = total + np.sum(W * b)
    return total


def pairs_by_loop(params):
    total = 0.0
    for W, b in params:
        total = total + np.sum(W * b)
    return total


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("optimize", [True, False])
def test_unpacking_pairs_from_a_list(mode, optimize):
    # each pair's adjoint added item by item (a tuple's += concatenated:
    # zero gradients)
    rng = np.random.default_rng(3)
    args = (rng.normal(size=(3, 2)), rng.normal(size=3),
            rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=2))
    got = srcad.grad(pairs_through_a_helper, wrt=(0, 1, 2, 3), mode=mode,
                     optimize=optimize)(*args)
    for k in range(4):
        np.testing.assert_allclose(
            got[k], numeric_grad(pairs_through_a_helper, args, k), rtol=1e-5,
            atol=1e-7)
    pairs = [(np.array([1.0, 2.0]), np.array([0.5, -1.0])),
             (np.array([3.0, 1.0]), np.array([2.0, 0.3]))]
    for f in (pairs_by_index, pairs_by_loop):
        got = srcad.grad(f, mode=mode, optimize=optimize)(pairs)
        for (gW, gb), (W, b) in zip(got, pairs):
            np.testing.assert_allclose(gW, b)
            np.testing.assert_allclose(gb, W)
        pulled, = srcad.vjp(f, pairs)[1](1.0)
        np.testing.assert_allclose(pulled[1][0], pairs[1][1])
