"""Augmented assignments into arrays another name holds (sharing.py), and
calls run for what they change (analysis._effect): refused with a located
error where Python's in-place change would differ from srcad's values;
left alone, and differentiated right, where it would not."""
import numpy as np
import pytest

import srcad
from fdcheck import check_grad

MODES = ["reverse", "forward"]


# -- refused: another name reads the array after the in-place change ------

def second_name(x):
    a = x * 1.0
    b = a
    b *= 3.0
    return np.sum(a)


def view_of_argument(x):
    y = x[:2]
    y += 1.0
    return np.sum(x ** 2)


def slice_of_copy(x):
    y = x.copy()
    r = y[0:2]
    r *= 3.0
    return np.sum(y)


def rows_in_place(x):
    y = x.copy()
    for row in y:
        row *= 2.0
    return np.sum(y)


def source_updated(x):
    a = x * 2.0
    z = a
    a += 1.0
    return np.sum(z * x)


def through_two_names(x):
    a = x * 2.0
    z = a
    w = z
    w -= x
    return np.sum(a)


def argument_read_in_loop(h0, n):
    h = h0
    for _ in range(n):
        h += 0.1 * h0
    return np.sum(h)


def reshaped(x):
    y = x.copy()
    r = y.reshape(-1)
    r *= 2.0
    return np.sum(y * y)


def base_written(x):
    a = x * 1.0
    b = a
    a[0] = 5.0
    return np.sum(b * x)


def row_swap(Y):
    Y = Y * 1.0
    r = Y[0]
    Y[0] = Y[1]
    Y[1] = r
    return np.sum(Y * np.arange(4.0).reshape(2, 2))


def first_two(a):
    return a[:2]


def through_a_helper(x):
    y = x * 1.0
    v = first_two(y)
    v[0] = 0.0
    return np.sum(y ** 2)


def transposed(A):
    B = A * 1.0
    C = B.T
    B[0, 1] = 7.0
    return np.sum(C * A)


def held_by_a_list(x):
    a = x * 1.0
    pair = [a, x]
    a[0] = 5.0
    return np.sum(pair[0] * x)


def rows_appended(Y):
    Y = Y * 1.0
    rows = []
    for i in range(2):
        rows.append(Y[i])
    Y[0] = Y[1] * 2.0
    return np.sum(np.stack(rows) * Y)


def wave(u0):
    cur = u0 * 1.0
    for t in range(3):
        old = cur
        cur[1:-1] = cur[1:-1] + 0.1 * (cur[2:] - cur[:-2])
        cur = cur + 0.01 * old
    return np.sum(cur * cur)


def enumerated_rows(X):
    Y = X * 1.0
    for i, row in enumerate(Y):
        row += 1.0
    return np.sum(Y ** 2)


def zipped_rows(X):
    Y = X * 1.0
    for row, z in zip(Y, X):
        row *= z
    return np.sum(Y ** 2)


def popped_from_a_list(x):
    b = x * 2.0
    ys = [b]
    a = ys.pop()
    a[0] = a[0] * a[1]
    return np.sum(b * x)


def popped_while_an_item_is_held(x):
    b = x * 2.0
    ys = [b]
    c = ys[0]
    a = ys.pop()
    a *= 3.0
    return np.sum(c * x)


def copied_list_written(x):
    b = x * 2.0
    ys = [b, b + 1.0]
    zs = ys.copy()
    zs[0][0] = 7.0
    return np.sum(ys[0] * x)


REFUSED = [(second_name, (np.array([0.5, -0.3, 0.8]),), "'b *= 3.0' changes"),
           (view_of_argument, (np.array([0.5, -0.3, 0.8]),), "'y += 1.0' changes"),
           (slice_of_copy, (np.array([1.0, 2.0, 3.0]),), "'r *= 3.0' changes"),
           (rows_in_place, (np.ones((2, 3)),), "'row *= 2.0' changes"),
           (source_updated, (np.array([1.0, 2.0]),), "'a += 1.0' changes"),
           (through_two_names, (np.array([1.0, 2.0]),), "'w -= x' changes"),
           (argument_read_in_loop, (np.array([1.0, 2.0]), 3), "'h += 0.1 * h0' changes"),
           (reshaped, (np.ones((2, 2)),), "'r *= 2.0' changes"),
           (base_written, (np.array([1.0, 2.0, 3.0]),), "'a[0] = 5.0' changes"),
           (row_swap, (np.array([[1.0, 2.0], [3.0, 4.0]]),),
            "'Y[0] = Y[1]' changes"),
           (through_a_helper, (np.array([1.0, 2.0, 3.0]),),
            "'v[0] = 0.0' changes"),
           (transposed, (np.ones((2, 2)),), "'B[0, 1] = 7.0' changes"),
           (held_by_a_list, (np.ones(3),), "'a[0] = 5.0' changes"),
           (rows_appended, (np.ones((2, 2)),), "'Y[0] = Y[1] * 2.0' changes"),
           (wave, (np.linspace(0.0, 1.0, 5),), "'cur[1:-1] = cur[1:-1]"),
           (enumerated_rows, (np.ones((2, 3)),), "'row += 1.0' changes"),
           (zipped_rows, (np.ones((2, 3)),), "'row *= z' changes"),
           (popped_from_a_list, (np.array([0.3, 0.5, 0.9]),),
            "'a[0] = a[0] * a[1]' changes"),
           (popped_while_an_item_is_held, (np.array([0.3, 0.5, 0.9]),),
            "'a *= 3.0' changes"),
           (copied_list_written, (np.array([0.3, 0.5, 0.9]),),
            "may share memory")]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args, said", REFUSED,
                         ids=[f.__name__ for f, _, _ in REFUSED])
def test_in_place_change_seen_elsewhere_is_refused(f, args, said, mode):
    with pytest.raises(srcad.UnsupportedSyntax) as info:
        srcad.grad(f, mode=mode)(*args)
    message = str(info.value)
    assert said in message and "test_sharing.py" in message
    assert "copy" in message  # what to do instead


def test_refused_in_value_and_grad_and_vjp():
    x = np.array([0.5, -0.3, 0.8])
    with pytest.raises(srcad.UnsupportedSyntax):
        srcad.value_and_grad(view_of_argument)(x)
    with pytest.raises(srcad.UnsupportedSyntax):
        srcad.vjp(second_name, x)
    assert np.array_equal(x, [0.5, -0.3, 0.8])


# -- allowed: numbers, or no other name reads the array afterwards --------

def number_copy(x):
    y = x
    y += x * x
    return np.sum(y)


def rebinding_alone(x):
    y = x
    y *= 3.0
    return np.sum(y * y)


def scalar_items(x):
    s = x[0]
    for i in range(1, x.shape[0]):
        s += x[i] * s
    return s


def integrator(y0, k):
    y = y0
    for _ in range(20):
        y += 0.05 * (-k * y)
    return np.sum(y * y)


def rows_of_vector(x):
    total = 0.0
    for v in x:
        v *= 2.0
        total = total + v * v
    return total


def previous_row(X):
    H = np.zeros_like(X)
    H[0] = X[0]
    for t in range(1, X.shape[0]):
        prev = H[t - 1]
        H[t] = np.tanh(prev * 0.5 + X[t])
    return np.sum(H)


def copy_helper(a):
    return a * 1.0


def fresh_from_a_helper(x):
    y = copy_helper(x)
    y[0] = 0.0
    return np.sum(y * x)


def item_then_write(x):
    y = x * 1.0
    s = y[0]
    y[0] = 4.0
    return s * np.sum(y)


def items_appended(y):
    y = y * 1.0
    picked = []
    for i in range(2):
        picked.append(y[i])
    y[0] = 3.0
    return np.sum(y) * picked[0] + picked[1]


def new_each_pass(x):
    u = x
    for t in range(3):
        new = np.zeros(2)
        new[0] = u[1] * u[0]
        new[1] = u[0]
        u = new
    return np.sum(u) + np.sum(x)


def fibonacci_pairs(x):
    a = x * 1.0
    b = x * 2.0
    for i in range(3):
        a, b = b, a + b
        b *= 0.5
    return np.sum(a * b)


def swapped(x):
    u = np.zeros(3)
    v = x * 1.0
    u, v = v, u
    u[1] = u[1] * x[0]
    return np.sum(u * v) + np.sum(u)


def array_copy_written(x):
    c = x.copy()
    c[0] = 0.0
    return np.sum(c * x)


def popped_and_written_alone(x):
    ys = [x * 2.0, x * 3.0]
    a = ys.pop()
    a[0] = 1.0
    return np.sum(a * x)


def popped_then_made_anew(x):
    b = x * 2.0
    ys = [b]
    a = ys.pop()
    a = a * 3.0
    a[0] = 1.0
    return np.sum(a * x + b)


ALLOWED = [(number_copy, (0.7,)), (number_copy, (np.array([0.5, 2.0]),)),
           (rebinding_alone, (np.array([0.5, -1.0]),)),
           (scalar_items, (np.array([0.5, -1.0, 2.0]),)),
           (scalar_items, (np.array([0.5]),)),
           (integrator, (1.3, 0.4)), (integrator, (np.array([1.0, 2.0]), 0.4)),
           (rows_of_vector, (np.array([0.5, -1.0, 2.0]),)),
           (previous_row, (np.linspace(-1.0, 1.0, 6).reshape(3, 2),)),
           (previous_row, (np.linspace(-1.0, 1.0, 3),)),
           (fresh_from_a_helper, (np.array([0.5, -1.0, 2.0]),)),
           (item_then_write, (np.array([0.5, -1.0, 2.0]),)),
           (items_appended, (np.array([0.5, -1.0, 2.0]),)),
           (new_each_pass, (np.array([0.5, -1.0]),)),
           (fibonacci_pairs, (np.array([0.5, -1.0, 2.0]),)),
           (swapped, (np.array([0.5, -1.0, 2.0]),)),
           (array_copy_written, (np.array([0.5, -1.0, 2.0]),)),
           (popped_and_written_alone, (np.array([0.5, -1.0, 2.0]),)),
           (popped_then_made_anew, (np.array([0.5, -1.0, 2.0]),))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args", ALLOWED,
                         ids=[f"{f.__name__}-{i}" for i, (f, _)
                              in enumerate(ALLOWED)])
def test_updates_python_does_not_see_elsewhere(f, args, mode):
    for wrt in range(len(args)):
        check_grad(f, *args, wrt=wrt, mode=mode)


def test_no_check_where_nothing_is_updated_in_place():
    def f(x):
        y = x
        z = y[0:2]
        return np.sum(z * y[1:3])
    assert "check_unshared" not in srcad.source(f)


def test_check_runs_once_for_a_loop_after_a_copy():
    source = srcad.source(argument_read_in_loop, args=(np.ones(2), 3))
    loop = source.index("\n    for ")
    assert 0 < source.index("check_unshared") < loop


# -- calls run for what they change ---------------------------------------

def out_keyword(x):
    y = np.zeros(3)
    np.multiply(x, x, out=y)
    return np.sum(y)


def add_at(x):
    y = np.zeros(2)
    np.add.at(y, np.array([0, 1, 1]), x)
    return np.sum(y ** 2)


def copyto(x):
    y = np.zeros(3)
    np.copyto(y, x)
    return np.sum(y ** 2)


def put(x):
    y = np.zeros(3)
    np.put(y, [0, 2], x[:2])
    return np.sum(y ** 2)


def fills(y, x):
    y[0] = x[0]


def user_helper(x):
    y = np.zeros(3)
    fills(y, x)
    return np.sum(y ** 2)


def fill_method(x):
    y = np.zeros(3)
    y.fill(x[0])
    return np.sum(y)


def put_method(x):
    y = np.zeros(3)
    y.put([0, 2], x[:2])
    return np.sum(y ** 2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [out_keyword, add_at, copyto, put,
                               user_helper, fill_method, put_method])
def test_call_changing_its_arguments_is_refused(f, mode):
    with pytest.raises(srcad.UnsupportedSyntax) as info:
        srcad.grad(f, mode=mode)(np.array([1.0, 2.0, 3.0]))
    message = str(info.value)
    assert "does not follow what" in message and "y" in message
    assert "test_sharing.py" in message


def test_calls_for_effect_on_values_without_derivative_run():
    seen = []

    def log(*values):
        seen.append(values)

    def f(x, idx):
        print("x is", x)  # noqa: T201
        rng = np.random.default_rng(0)
        idx = idx.copy()
        rng.shuffle(idx)
        log(idx)
        return np.sum(x[idx] ** 2)
    x = np.array([1.0, 2.0, 3.0])
    for mode in MODES:
        check_grad(f, x, np.array([0, 1, 1]), mode=mode)
    assert seen


# -- a helper changing its argument in place --------------------------------

def doubled_in_place(v):
    v *= 2.0
    return 0.0


def through_a_second_name(v):
    w = v
    w += 1.0
    return w * 2.0


def made_new_first(v):
    v = v * 2.0
    v += 1.0
    return v


def caller_reads_after(x):
    a = x * 1.0
    z = doubled_in_place(a)
    return np.sum(a) + z


def caller_reads_second_name(x):
    a = x * 1.0
    b = through_a_second_name(a)
    return np.sum(a * b)


def caller_rebinds(x):
    a = x * 1.0
    a = through_a_second_name(a)
    return np.sum(a * a)


def caller_of_a_new_array(x):
    a = x * 1.0
    b = made_new_first(a)
    return np.sum(a * b)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [caller_reads_after, caller_reads_second_name])
def test_helper_changing_an_argument_read_after_is_refused(f, mode):
    with pytest.raises(srcad.UnsupportedSyntax) as info:
        srcad.grad(f, mode=mode)(np.array([0.5, -1.0, 2.0]))
    assert "this call changes the array 'a' holds in place" in \
        str(info.value)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [caller_rebinds, caller_of_a_new_array])
def test_helper_changes_python_does_not_see_elsewhere(f, mode):
    check_grad(f, np.array([0.5, -1.0, 2.0]), mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_helper_changing_a_number_argument(mode):
    def f(x):
        a = x * 1.0
        z = doubled_in_place(a)
        return a * 3.0 + z
    check_grad(f, 0.7, mode=mode)
