"""Records: an outermost loop keeps one tuple per pass (srcad/records.py).

A while loop left only by its test appends one tuple a pass to a list of
its own and the sweep runs `for <names> in reversed(passesN)`, with no trip
counter and no pop; a `for` loop with two or more taped values appends one
tuple to the tape a pass and pops it once at the top of the reversed pass.
Loops that break, continue or return, tape in a nested loop or a branch,
or whose taped values do not fit (a value the sweep reads both before and
after its restore, a value read after the loop, a parameter) keep one push
and one pop per value.

Each function is checked against central finite differences in reverse
mode (and forward mode where cheap), with srcad.value_and_grad's value
equal to the function's own output, for loops that run zero times, once
and many times. The generated code is checked by its structure (what is
appended where, what is popped, what is absent), not by its full text:
names and folding in the sweep may change.

Finite differences only agree with the derivative when a small change of
the input does not change how many times a loop runs, so the inputs of the
loops left by a value test stay away from that boundary.
"""
import concurrent.futures
import math
import re
import threading

import numpy as np
import pytest

import srcad
from fdcheck import check_grad, numeric_grad, numeric_jacobian

W3 = np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6], [0.1, 0.2, 0.3]])
U3 = np.array([[0.2, -0.1], [0.4, 0.3], [-0.3, 0.1]])
V3 = np.array([0.3, -0.5, 0.7])


def xs_rows(n):
    return np.linspace(-1.0, 1.0, 2 * n).reshape(n, 2)


# ======================================================== generated code

def _names(text):
    """The names of `a, b`, `(a, b)` or `a`."""
    return [n.strip() for n in text.strip().strip("()").split(",")
            if n.strip()]


def source_of(f, args, wrt=0):
    """The reverse-mode source a call f(*args) runs."""
    return srcad.source(f, args=args, wrt=wrt)


def sweep_of(source):
    """The generated source from the sweep's first reversed loop on."""
    return source[source.index("in reversed("):]


def while_records(source):
    """Per list of records: (its name, the names each append stores, the
    names each reversed loop over it unpacks)."""
    out = []
    for store in re.findall(r"^\s*(passes\d*) = \[\]$", source, re.M):
        appended = re.findall(rf"^\s*{store}\.append\((.*)\)$", source,
                              re.M)
        unpacked = re.findall(rf"^\s*for (.*) in reversed\({store}\):$",
                              source, re.M)
        out.append((store, [_names(a) for a in appended],
                    [_names(u) for u in unpacked]))
    return out


def tape_records(source):
    """(the names each `tape.append(...)` stores, the targets of each
    `... = tape.pop()`)."""
    appended = re.findall(r"^\s*tape\.append\((.*)\)$", source, re.M)
    popped = re.findall(r"^\s*(.*) = tape\.pop\(\)$", source, re.M)
    return [_names(a) for a in appended], [_names(p) for p in popped]


def assert_while_records(source, loops=1):
    """Each while loop keeps one record a pass in a list of its own,
    read backwards by the sweep: no trip counter, no tape pops."""
    found = while_records(source)
    assert len(found) == loops, source
    for store, appended, unpacked in found:
        assert len(appended) == 1 and len(unpacked) == 1, source
        assert appended == unpacked, (appended, unpacked, source)
    assert "trips" not in source, source
    assert "tape.pop()" not in sweep_of(source), source
    return found


def assert_for_records(source, at_least=2):
    """The `for` loop appends one tuple a pass to the tape and the sweep
    pops it once, into the same names."""
    appended, popped = tape_records(source)
    assert len(appended) == 1 and len(popped) == 1, source
    assert appended == popped, (appended, popped, source)
    assert len(appended[0]) >= at_least, source
    assert "passes" not in source, source
    return appended[0]


def uses_records(source):
    return bool(while_records(source)) or any(
        len(a) > 1 for a in tape_records(source)[0])


def assert_old_form(source):
    """Every taped value its own push and pop: no records."""
    assert "passes" not in source, source
    appended, popped = tape_records(source)
    assert not any(len(a) > 1 for a in appended), source
    assert not any(len(p) > 1 for p in popped), source
    assert popped, source


# ================================================================ checks

def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def check(f, args, wrt, modes=("reverse",), plain=False):
    """srcad.grad against finite differences (fdcheck.check_grad: also
    types, shapes, no aliasing, no modified input) in each mode, and
    value_and_grad's value equal to f's own output, its gradient equal to
    grad's; with `plain`, optimize=False gives the same numbers."""
    for mode in modes:
        check_grad(f, *args, wrt=wrt, mode=mode)
    value, grads = srcad.value_and_grad(f, wrt=wrt)(*args)
    want = f(*[_copy(a) for a in args])
    np.testing.assert_allclose(value, want, rtol=1e-13, atol=1e-15)
    reverse = srcad.grad(f, wrt=wrt)(*args)
    pairs = zip(grads, reverse) if isinstance(wrt, tuple) else \
        [(grads, reverse)]
    for g, r in pairs:
        np.testing.assert_allclose(g, r, rtol=1e-13, atol=1e-15)
    if plain:
        unoptimized = srcad.grad(f, wrt=wrt, optimize=False)(*args)
        pairs = zip(unoptimized, reverse) if isinstance(wrt, tuple) else \
            [(unoptimized, reverse)]
        for g, r in pairs:
            np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)


# ================================== while loops left by their test (records)

def newton(a, x0, tol):
    x = x0
    while abs(x * x - a) > tol:
        x = x - (x * x - a) / (2.0 * x)
    return x


def newton_trips(a, x0, tol):
    x, n = x0, 0
    while abs(x * x - a) > tol:
        x, n = x - (x * x - a) / (2.0 * x), n + 1
    return n


def shrink_bracket(lo, hi, c):
    # bisection-like: the pass computes mid and w, overwrites hi
    while hi - lo > 0.1:
        mid = 0.5 * (lo + hi)
        w = np.sin(mid) * c
        hi = mid + 0.01 * w * lo
    return hi * lo


def shrink_bracket_trips(lo, hi, c):
    n = 0
    while hi - lo > 0.1:
        mid = 0.5 * (lo + hi)
        hi = mid + 0.01 * np.sin(mid) * c * lo
        n += 1
    return n


def fixed_point(a, x0, tol):
    # x = a cos(x), damped: the pass computes cos(x) and overwrites x
    x = x0
    d = 1.0
    while d > tol:
        y = math.cos(x) * a
        d = abs(y - x)
        x = y * 0.5 + x * 0.5
    return x


def fixed_point_trips(a, x0, tol):
    x, d, n = x0, 1.0, 0
    while d > tol:
        y = math.cos(x) * a
        d = abs(y - x)
        x = y * 0.5 + x * 0.5
        n += 1
    return n


def newton_elementwise(a, x0, tol):
    x = x0 * 1.0
    while np.max(np.abs(x * x - a)) > tol:
        x = x - (x * x - a) / (2.0 * x)
    return np.sum(x * np.arange(1.0, len(x) + 1.0))


def damped_tanh(x, w, n):
    # array state, a counter as test
    k = 0
    while k < n:
        u = np.tanh(x * w)
        x = u * x + 0.5 * x
        k = k + 1
    return np.sum(x * x)


def shrink_one_value(x, rate):
    # one taped value: the record is the value itself
    while x > 1.0:
        x = x * rate + 0.1 * np.sqrt(x)
    return x


def shrink_one_value_trips(x, rate):
    n = 0
    while x > 1.0:
        x = x * rate + 0.1 * np.sqrt(x)
        n += 1
    return n


ROOT2 = (2.0, 1.0, 1e-10)
WHILE_CASES = [
    ("newton-0", newton, (1.0, 1.0, 1e-3), (0, 1)),
    ("newton-1", newton, (1.1, 1.1, 0.1), (0, 1)),
    ("newton-many", newton, ROOT2, (0, 1)),
    ("shrink_bracket-0", shrink_bracket, (0.3, 0.35, 0.5), (0, 1, 2)),
    ("shrink_bracket-1", shrink_bracket, (0.3, 0.45, 0.5), (0, 1, 2)),
    ("shrink_bracket-many", shrink_bracket, (0.3, 4.3, 0.5), (0, 1, 2)),
    ("fixed_point-0", fixed_point, (0.8, 0.7, 2.0), (0, 1)),
    ("fixed_point-1", fixed_point, (0.8, 0.7, 0.5), (0, 1)),
    ("fixed_point-many", fixed_point, (0.8, 0.7, 1e-6), (0, 1)),
    ("newton_elementwise-0", newton_elementwise,
     (np.array([1.0, 4.0]), np.array([1.0, 2.0]), 1e-3), (0, 1)),
    ("newton_elementwise-1", newton_elementwise,
     (np.array([1.1, 1.05]), np.array([1.1, 1.05]), 0.15), (0, 1)),
    ("newton_elementwise-many", newton_elementwise,
     (np.array([2.0, 3.0, 0.5]), np.array([1.0, 1.5, 1.0]), 1e-9), (0, 1)),
    ("damped_tanh-0", damped_tanh, (V3, 0.8, 0), (0, 1)),
    ("damped_tanh-1", damped_tanh, (V3, 0.8, 1), (0, 1)),
    ("damped_tanh-many", damped_tanh, (V3, 0.8, 5), (0, 1)),
    ("shrink_one_value-0", shrink_one_value, (0.5, 0.5), (0, 1)),
    ("shrink_one_value-1", shrink_one_value, (1.5, 0.5), (0, 1)),
    ("shrink_one_value-many", shrink_one_value, (10.0, 0.4), (0, 1)),
]


def test_while_trip_counts_are_as_the_case_ids_say():
    assert newton_trips(1.0, 1.0, 1e-3) == 0
    assert newton_trips(1.1, 1.1, 0.1) == 1
    assert newton_trips(*ROOT2) > 3
    assert shrink_bracket_trips(0.3, 0.35, 0.5) == 0
    assert shrink_bracket_trips(0.3, 0.45, 0.5) == 1
    assert shrink_bracket_trips(0.3, 4.3, 0.5) > 3
    assert fixed_point_trips(0.8, 0.7, 2.0) == 0  # d starts at 1.0
    assert fixed_point_trips(0.8, 0.7, 0.5) == 1
    assert fixed_point_trips(0.8, 0.7, 1e-6) > 3
    assert shrink_one_value_trips(0.5, 0.5) == 0
    assert shrink_one_value_trips(1.5, 0.5) == 1
    assert shrink_one_value_trips(10.0, 0.4) > 2


@pytest.mark.parametrize("name,f,args,wrt", WHILE_CASES,
                         ids=[c[0] for c in WHILE_CASES])
def test_while_records_match_finite_differences(name, f, args, wrt):
    check(f, args, wrt, modes=("reverse", "forward"), plain=True)


@pytest.mark.parametrize("f,args,wrt,taped", [
    (newton, ROOT2, 0, 3),
    (shrink_bracket, (0.3, 4.3, 0.5), (0, 1, 2), 2),
    (fixed_point, (0.8, 0.7, 1e-6), 0, 2),
    (newton_elementwise, (np.array([2.0, 3.0]), np.array([1.0, 1.5]),
                          1e-9), 0, 2),
    (damped_tanh, (V3, 0.8, 5), (0, 1), 2),
], ids=["newton", "shrink_bracket", "fixed_point", "newton_elementwise",
        "damped_tanh"])
def test_while_source_keeps_one_record_per_pass(f, args, wrt, taped):
    source = source_of(f, args, wrt)
    [(store, [appended], _)] = assert_while_records(source)
    assert len(appended) >= taped, source
    assert "tape" not in source, source


def test_while_records_hold_values_computed_and_values_found():
    # Newton's pass computes 2x and the step (read as the pass left them)
    # and overwrites x (read as the pass found it): all three in one
    # record, appended before x is overwritten.
    source = source_of(newton, ROOT2)
    [(store, [appended], _)] = assert_while_records(source)
    assert appended[-1] == "x", appended
    record = f"{store}.append(({', '.join(appended)}))"
    lines = [line.strip() for line in source.splitlines()]
    at = lines.index(record)
    assert re.match(r"x = x - \w+$", lines[at + 1]), lines[at:at + 2]
    # shrink_bracket: the pass's own values only, appended after hi is
    # overwritten (no value the pass found is read by the sweep)
    source = source_of(shrink_bracket, (0.3, 4.3, 0.5), (0, 1, 2))
    [(store, [appended], _)] = assert_while_records(source)
    assert "hi" not in appended and "mid" in appended, source


def test_while_one_value_is_recorded_bare():
    source = source_of(shrink_one_value, (10.0, 0.4))
    [(store, [appended], _)] = assert_while_records(source)
    assert len(appended) == 1, source
    [name] = appended
    assert f"{store}.append({name})" in source, source
    assert f"for {name} in reversed({store}):" in source, source


def test_while_records_primal_pass():
    # the one small golden: one pass of Newton's iteration in the primal,
    # its temporaries' numbers left out
    source = source_of(newton, ROOT2)
    lines = [re.sub(r"\bt\d+\b", "t#", line.strip())
             for line in source.splitlines()
             if not line.strip().startswith("#")]
    start = lines.index("t# = 2.0 * x")
    assert lines[start:start + 4] == [
        "t# = 2.0 * x",
        "t# = (x * x - a) / t#",
        "passes1.append((t#, t#, x))",
        "x = x - t#",
    ], source
    assert lines.count("passes1 = []") == 1, source


# ============================================== for loops over range (records)

def rk4_stages(y, k, n):
    t = 0.0
    h = 0.1
    for i in range(n):
        k1 = -k * y + math.sin(t)
        k2 = -k * (y + 0.5 * h * k1) + math.sin(t + 0.5 * h)
        k3 = -k * (y + 0.5 * h * k2) + math.sin(t + 0.5 * h)
        k4 = -k * (y + h * k3) + math.sin(t + h)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        t = t + h
    return y


def two_state(a, b, n):
    for i in range(n):
        a, b = b, a + b * np.sin(a)
    return np.sum(a * b)


def two_state_product(a, b, n):
    for i in range(n):
        a, b = b, a * b + 0.5
    return np.sum(a + b)


def gated_rnn(W, U, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t]) * h + 0.1
    return np.sum(h)


def rnn_preactivation(W, h, n):
    for i in range(n):
        a = W @ h + 0.1
        h = np.tanh(a) * h + 0.2
    return np.sum(h * h)


def exp_times_self(x, n):
    # the sweep reads exp(x) (kept as a value of the pass) and the old x:
    # both fit one record
    for i in range(n):
        x = np.exp(x) * x * 0.1
    return np.sum(x)


FOR_CASES = []
for _n in (0, 1, 4):
    _id = {0: "0", 1: "1", 4: "many"}[_n]
    FOR_CASES += [
        (f"rk4_stages-{_id}", rk4_stages, (1.0, 0.7, _n), (0, 1)),
        (f"two_state-{_id}", two_state, (0.3, -0.4, _n), (0, 1)),
        (f"two_state-array-{_id}", two_state, (V3, V3[::-1] * 0.5, _n),
         (0, 1)),
        (f"two_state_product-{_id}", two_state_product, (0.3, 0.8, _n),
         (0, 1)),
        (f"gated_rnn-{_id}", gated_rnn, (W3, U3, xs_rows(_n), V3), (0, 1, 3)),
        (f"rnn_preactivation-{_id}", rnn_preactivation, (W3, V3, _n), (0, 1)),
        (f"exp_times_self-{_id}", exp_times_self, (0.5, _n), 0),
        (f"exp_times_self-array-{_id}", exp_times_self, (V3, _n), 0),
    ]


@pytest.mark.parametrize("name,f,args,wrt", FOR_CASES,
                         ids=[c[0] for c in FOR_CASES])
def test_for_records_match_finite_differences(name, f, args, wrt):
    modes = ("reverse", "forward") if not name.startswith("gated") else \
        ("reverse",)
    check(f, args, wrt, modes=modes, plain=True)


@pytest.mark.parametrize("f,args,wrt,taped", [
    (rk4_stages, (1.0, 0.7, 4), (0, 1), 4),
    (two_state, (0.3, -0.4, 4), (0, 1), 2),
    (two_state_product, (0.3, 0.8, 4), (0, 1), 2),
    (gated_rnn, (W3, U3, xs_rows(3), V3), (0, 3), 2),
    (rnn_preactivation, (W3, V3, 4), (0, 1), 2),
    (exp_times_self, (0.5, 4), 0, 2),
], ids=["rk4_stages", "two_state", "two_state_product", "gated_rnn",
        "rnn_preactivation", "exp_times_self"])
def test_for_source_pushes_and_pops_one_tuple_per_pass(f, args, wrt, taped):
    source = source_of(f, args, wrt)
    names = assert_for_records(source, at_least=taped)
    # the tuple is popped first thing in the reversed pass
    sweep = sweep_of(source).splitlines()
    assert sweep[1].strip() == f"{', '.join(names)} = tape.pop()", sweep
    assert sweep_of(source).count("tape.pop()") == 1
    # and the reversed loop is still over the loop's range
    assert re.search(r"for \w+ in reversed\(\w+\):", source), source


def test_records_without_the_optimizer():
    # records come from the reverse transform itself, not a clean-up pass
    source = srcad.source(newton, args=ROOT2, optimize=False)
    assert_while_records(source)
    source = srcad.source(rk4_stages, args=(1.0, 0.7, 4), wrt=(0, 1),
                          optimize=False)
    assert_for_records(source, at_least=4)


def test_rk4_record_holds_the_stage_sums_and_the_old_state():
    source = source_of(rk4_stages, (1.0, 0.7, 4), (0, 1))
    names = assert_for_records(source, at_least=4)
    assert names[-1] == "y", names  # found: appended before y = ...
    lines = [line.strip() for line in source.splitlines()]
    at = lines.index(f"tape.append(({', '.join(names)}))")
    assert lines[at + 1].startswith("y = y + "), lines[at:at + 2]


# ============================== loops that keep one push and pop per value

def breaks_out(x, n):
    for i in range(n):
        t = x * x
        if np.sum(t) > 100.0:
            break
        x = t * 0.5 + x
    return np.sum(x)


def continues(x, n):
    for i in range(n):
        t = x * x
        if i == 1:
            continue
        x = t * x * 0.5 + x
    return np.sum(x)


def returns_inside(x, n):
    for i in range(n):
        t = x * x
        x = t * x * 0.5
        if i == 2:
            return np.sum(x) * 2.0
    return np.sum(x)


def while_breaks(x, n):
    k = 0
    while k < n:
        t = x * x
        if np.sum(t) > 50.0:
            break
        x = t * 0.5 + np.sin(x)
        k = k + 1
    return np.sum(x)


def while_continues(x, n):
    k = 0
    while k < n:
        k = k + 1
        t = x * x
        if k == 2:
            continue
        x = t * 0.5 + np.sin(x)
    return np.sum(x)


def while_returns(x, n):
    k = 0
    while k < n:
        t = x * x
        x = t * x * 0.5 + 0.1
        if k == 1:
            return x * 2.0
        k = k + 1
    return x


def branch_assigns_taped(x, n):
    for i in range(n):
        if i % 2 == 0:
            t = x * x
        else:
            t = np.sin(x)
        x = t * x
    return np.sum(x)


def nested_loops(x, n):
    for i in range(n):
        for j in range(2):
            t = x * x
            x = t * x * 0.5 + 0.1
    return np.sum(x)


def while_in_for(x, n):
    for i in range(n):
        k = 0
        while k < 2:
            t = x * x
            x = t * 0.5 + np.sin(x)
            k = k + 1
    return x


def old_and_new_x(x, y, n):
    # the sweep reads the new x (for y * x) before restoring x and the old
    # x (for sin's derivative) after
    for i in range(n):
        x = np.sin(x) + 0.5
        y = y * x
    return x + y


def old_and_new_x_while(x, y, n):
    k = 0
    while k < n:
        x = np.sin(x) + 0.5
        y = y * x
        k = k + 1
    return x + y


def single_taped(x, n):
    for i in range(n):
        x = np.sin(x) + 0.5
    return x


def loop_in_branch(x, n, flag):
    if flag > 0:
        for i in range(n):
            t = x * x
            x = t * x * 0.5
    else:
        x = x * 2.0
    return np.sum(x)


def while_in_branch(x, n, flag):
    if flag > 0:
        k = 0
        while k < n:
            t = x * x
            x = t * x * 0.5 + 0.1
            k = k + 1
    return x


def parameter_assigned(x, t, n):
    # t, a parameter, is a value the pass computes
    for i in range(n):
        t = x * x
        x = t * x * 0.5 + np.sin(t)
    return np.sum(x)


def parameter_assigned_while(x, t, n):
    k = 0
    while k < n:
        t = x * x
        x = t * x * 0.5 + np.sin(t)
        k = k + 1
    return np.sum(x)


def read_after_loop(x, n):
    t = 0.0
    for i in range(n):
        t = x * 2
        x = t * x
    return t + x


def read_after_loop_while(x, n):
    t = x
    k = 0
    while k < n:
        t = np.sin(x)
        x = t * x
        k += 1
    return t


def carried_value(x, n):
    # t is read by the next pass before it is assigned again: the sweep
    # reads the new t (for y * t) and the old one (for t * x)
    t = x * 0.5
    for i in range(n):
        y = t * x
        t = np.sin(y)
        x = y * t + x
    return x


def carried_value_while(x, n):
    t = x * 0.5
    k = 0
    while k < n:
        y = t * x
        t = np.sin(y)
        x = y * t + x
        k = k + 1
    return x


def computed_after_found(x, y, n):
    # tanh(x), a value of the pass, comes after y, a value the pass
    # overwrites: no one place in the pass holds both (old form today;
    # only its derivative is checked)
    for i in range(n):
        y = y * x
        x = np.tanh(x)
    return x + y


OLD_FORM = [
    (breaks_out, (V3, "n"), 0),
    (continues, (V3, "n"), 0),
    (returns_inside, (V3, "n"), 0),
    (while_breaks, (V3, "n"), 0),
    (while_continues, (V3, "n"), 0),
    (while_returns, (0.3, "n"), 0),
    (branch_assigns_taped, (V3, "n"), 0),
    (nested_loops, (V3, "n"), 0),
    (while_in_for, (0.3, "n"), 0),
    (old_and_new_x, (0.3, 0.4, "n"), (0, 1)),
    (old_and_new_x_while, (0.3, 0.4, "n"), (0, 1)),
    (carried_value, (0.3, "n"), 0),
    (carried_value_while, (0.3, "n"), 0),
    (single_taped, (0.3, "n"), 0),
    (loop_in_branch, (V3, "n", 1.0), 0),
    (while_in_branch, (0.3, "n", 1.0), 0),
    (parameter_assigned, (0.3, 0.1, "n"), 0),
    (parameter_assigned_while, (0.3, 0.1, "n"), 0),
    (read_after_loop, (0.3, "n"), 0),
    (read_after_loop_while, (0.3, "n"), 0),
]


def _with_trips(args, n):
    return tuple(n if isinstance(a, str) and a == "n" else a for a in args)


def _old_form_params():
    out = []
    for f, args, wrt in OLD_FORM + [(computed_after_found, (0.3, 0.4, "n"),
                                     (0, 1))]:
        for n in (0, 1, 4):
            ids = f"{f.__name__}-{ {0: '0', 1: '1', 4: 'many'}[n] }"
            out.append(pytest.param(f, _with_trips(args, n), wrt, id=ids))
    return out


@pytest.mark.parametrize("f,args,wrt", _old_form_params())
def test_loops_without_records_match_finite_differences(f, args, wrt):
    check(f, args, wrt, modes=("reverse", "forward"))


@pytest.mark.parametrize("f,args,wrt", [
    pytest.param(f, _with_trips(args, 4), wrt, id=f.__name__)
    for f, args, wrt in OLD_FORM])
def test_loops_without_records_keep_one_push_and_pop_per_value(f, args, wrt):
    source = source_of(f, args, wrt)
    assert_old_form(source)


# ============================================================ second order

def test_second_derivative_through_while_records():
    # d2/da2 of sqrt(a) = -a**-1.5 / 4
    assert_while_records(source_of(newton, ROOT2))
    g = srcad.grad(newton)
    gg = srcad.grad(g)(*ROOT2)
    np.testing.assert_allclose(gg, -2.0 ** -1.5 / 4, rtol=1e-6)
    np.testing.assert_allclose(gg, numeric_grad(g, ROOT2, 0, eps=1e-5),
                               rtol=1e-5)
    # the first derivative's own generated code, differentiated in
    # forward mode (records are a list of tuples there)
    np.testing.assert_allclose(srcad.grad(g, mode="forward")(*ROOT2), gg,
                               rtol=1e-9)


@pytest.mark.parametrize("f,args,wrt", [
    (fixed_point, (0.8, 0.7, 1e-6), 0),
    (fixed_point, (0.8, 0.7, 0.5), 0),
    (shrink_bracket, (0.3, 4.3, 0.5), 2),
    (shrink_bracket, (0.3, 4.3, 0.5), 0),
    (rk4_stages, (1.0, 0.7, 4), 1),
    (rk4_stages, (1.0, 0.7, 0), 1),
    (two_state, (0.3, -0.4, 4), 0),
    (two_state_product, (0.3, 0.8, 4), 1),
    (exp_times_self, (0.5, 3), 0),
    (damped_tanh, (0.4, 0.8, 3), 1),
], ids=["fixed_point-many", "fixed_point-1", "shrink_bracket-c",
        "shrink_bracket-lo", "rk4-many", "rk4-0", "two_state",
        "two_state_product", "exp_times_self", "damped_tanh"])
def test_second_derivative_against_differences_of_the_first(f, args, wrt):
    assert uses_records(source_of(f, args, wrt))
    g = srcad.grad(f, wrt=wrt)
    gg = srcad.grad(g, wrt=wrt)(*args)
    np.testing.assert_allclose(gg, numeric_grad(g, args, wrt, eps=1e-5),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_hessian_through_for_records(n):
    assert_for_records(source_of(rnn_preactivation, (W3, V3, n), (0, 1)))
    g = srcad.grad(rnn_preactivation, wrt=1)
    H = srcad.hessian(rnn_preactivation, wrt=1)(W3, V3, n)
    np.testing.assert_allclose(H, numeric_jacobian(g, (W3, V3, n), 1,
                                                   eps=1e-5),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-12)


def test_hessian_through_while_records():
    args = (np.array([2.0, 3.0]), np.array([1.0, 1.5]), 1e-9)
    H = srcad.hessian(newton_elementwise, wrt=0)(*args)
    g = srcad.grad(newton_elementwise, wrt=0)
    np.testing.assert_allclose(H, numeric_jacobian(g, args, 0, eps=1e-5),
                               rtol=1e-5, atol=1e-6)
    # sum_i i * sqrt(a_i): diagonal -i a_i**-1.5 / 4
    np.testing.assert_allclose(
        H, np.diag(-np.array([1.0, 2.0]) * args[0] ** -1.5 / 4),
        rtol=1e-6, atol=1e-9)


# ============================================== vjp, jacobian and jvp

def newton_vector(a, tol):
    x = a * 1.0
    while np.max(np.abs(x * x - a)) > tol:
        x = x - (x * x - a) / (2.0 * x)
    return x


def rnn_states(W, h, n):
    for i in range(n):
        a = W @ h + 0.1
        h = np.tanh(a) * h + 0.2
    return h


@pytest.mark.parametrize("f,args,wrt", [
    (newton, ROOT2, (0, 1)),
    (newton, (1.0, 1.0, 1e-3), (0, 1)),
    (fixed_point, (0.8, 0.7, 1e-6), (0, 1)),
    (rk4_stages, (1.0, 0.7, 4), (0, 1)),
    (rk4_stages, (1.0, 0.7, 0), (0, 1)),
    (two_state, (V3, V3 * 0.5, 3), (0, 1)),
    (damped_tanh, (V3, 0.8, 3), (0, 1)),
], ids=["newton", "newton-0", "fixed_point", "rk4", "rk4-0", "two_state",
        "damped_tanh"])
def test_vjp_pullback_twice(f, args, wrt):
    before = [_copy(a) for a in args]
    out, pullback = srcad.vjp(f, *args)
    for a, b in zip(args, before):
        assert np.array_equal(a, b), "an argument was modified"
    np.testing.assert_allclose(out, f(*args), rtol=1e-13)
    first = pullback(1.0)
    second = pullback(1.0)
    third = pullback(-2.0)
    for w in wrt:
        np.testing.assert_array_equal(first[w], second[w])
        np.testing.assert_allclose(third[w], -2.0 * first[w], rtol=1e-12)
        np.testing.assert_allclose(first[w], numeric_grad(f, args, w),
                                   rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_vjp_and_jacobian_of_array_output(n):
    assert_for_records(source_of(rnn_preactivation, (W3, V3, n), (0, 1)))
    out, pullback = srcad.vjp(rnn_states, W3, V3, n)
    np.testing.assert_allclose(out, rnn_states(W3, V3, n), rtol=1e-13)
    ct = np.array([1.0, -2.0, 0.5])
    bW1, bh1, _ = pullback(ct)
    bW2, bh2, _ = pullback(ct)
    np.testing.assert_array_equal(bW1, bW2)
    np.testing.assert_array_equal(bh1, bh2)
    jh = numeric_jacobian(rnn_states, (W3, V3, n), 1)
    jW = numeric_jacobian(rnn_states, (W3, V3, n), 0)
    np.testing.assert_allclose(bh1, ct @ jh, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(bW1, np.tensordot(ct, jW, 1), rtol=1e-5,
                               atol=1e-7)
    for mode in ("reverse", "forward"):
        J = srcad.jacobian(rnn_states, wrt=(0, 1), mode=mode)(W3, V3, n)
        np.testing.assert_allclose(J[0], jW, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(J[1], jh, rtol=1e-5, atol=1e-7)
    dW, dh = np.full((3, 3), 0.1), np.array([1.0, -0.5, 0.25])
    value, tangent = srcad.jvp(rnn_states, (W3, V3, n), (dW, dh, 0.0))
    np.testing.assert_allclose(value, out, rtol=1e-13)
    np.testing.assert_allclose(tangent, np.tensordot(jW, dW, 2) + jh @ dh,
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("a,tol", [
    (np.array([1.0, 4.0]), 1e-3),
    (np.array([1.1, 1.05]), 0.15),
    (np.array([2.0, 3.0, 0.5]), 1e-10),
], ids=["0", "1", "many"])
def test_jacobian_of_while_records(a, tol):
    assert_while_records(source_of(newton_elementwise, (a, a, tol)))
    want = numeric_jacobian(newton_vector, (a, tol), 0)
    for mode in ("reverse", "forward"):
        J = srcad.jacobian(newton_vector, mode=mode)(a, tol)
        np.testing.assert_allclose(J, want, rtol=1e-5, atol=1e-7)
    out, pullback = srcad.vjp(newton_vector, a, tol)
    ct = np.arange(1.0, len(a) + 1.0)
    np.testing.assert_array_equal(pullback(ct)[0], pullback(ct)[0])
    np.testing.assert_allclose(pullback(ct)[0], ct @ want, rtol=1e-5,
                               atol=1e-7)


# =========================================================== thread safety

@pytest.mark.parametrize("f,inputs", [
    (newton, [(2.0 + k, 1.0, 1e-10) for k in range(4)]),
    (rk4_stages, [(1.0 + 0.1 * k, 0.7, 3 + 2 * k) for k in range(4)]),
    (damped_tanh, [(V3 * (1 + 0.1 * k), 0.8, k + 1) for k in range(4)]),
], ids=["while", "for", "while-array"])
def test_one_gradient_called_from_two_threads(f, inputs):
    g = srcad.grad(f, wrt=0)
    want = [g(*args) for args in inputs]
    for args, w in zip(inputs, want):
        np.testing.assert_allclose(w, numeric_grad(f, args, 0), rtol=1e-5,
                                   atol=1e-7)
    start = threading.Barrier(2)

    def work(k):
        start.wait()
        return [g(*inputs[(k + j) % len(inputs)]) for j in range(40)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(work, range(2)))
    for k, got in enumerate(results):
        for j, r in enumerate(got):
            np.testing.assert_array_equal(r, want[(k + j) % len(inputs)])


# ============================= loops that once gave wrong derivatives

def overwritten_parameter(x, t, n):
    for i in range(n):
        t = x * 2.0
        x = x + t
    return x


@pytest.mark.parametrize("n", [0, 1, 3])
def test_gradient_of_parameter_overwritten_in_loop(n):
    # the loop's first pass replaces t before reading it: f does not
    # depend on t
    assert srcad.grad(overwritten_parameter, wrt=1)(0.3, 0.1, n) == 0.0


def parameter_replaced_unread(x, y, n):
    for i in range(n):
        x = y  # replaced and never read: the case (pyflakes says so too)
    return y * 2.0


def test_gradient_of_parameter_replaced_in_loop_and_unread():
    bx, by = srcad.grad(parameter_replaced_unread, wrt=(0, 1))(V3, -0.4, 1)
    np.testing.assert_array_equal(bx, np.zeros(3))
    assert by == 2.0


def float_parameter_becomes_array(x, y, n):
    u = x + y
    for i in range(n):
        y = u * 2.0
    return np.sum(y)


@pytest.mark.parametrize("n", [0, 1])
def test_float_parameter_rebound_to_an_array_in_loop(n):
    check(float_parameter_becomes_array, (V3, -0.4, n), 1)


def index_reuses_a_name(x, n):
    i = 2.0
    z = x * i
    for i in range(n):
        z = z * x
    return z


@pytest.mark.parametrize("n", [1, 3])
def test_loop_index_reusing_a_name_read_before_the_loop(n):
    check(index_reuses_a_name, (0.3, n), 0)


# ======================================================= adversarial sweep
# Short loops written the way people write them, each with records in its
# generated code. Varied: while or for, how many values are taped, the
# order of assignments, array or float state, loops after other loops,
# two loops sharing variables, loop variables used after the loop.

def w_sin_of_square(x, n):
    k = 0
    while k < n:
        t = x * x
        x = np.sin(t) + x * 0.5
        k = k + 1
    return np.sum(x)


def w_cos_twice(x, n):
    k = 0
    while k < n:
        u = np.cos(x)
        v = u * x
        x = v * u + 0.1
        k += 1
    return np.sum(x)


def w_two_states(x, y, n):
    k = 0
    while k < n:
        p = x * y
        x = np.tanh(p) + y
        y = p * 0.5 + np.sin(y)
        k = k + 1
    return np.sum(x * y)


def w_sqrt_shrink(x, c):
    while x > c:
        r = x * 0.5
        x = r * r / x + np.sqrt(r)
    return x


def w_count_down(x, n):
    k = n
    while k > 0:
        a = np.exp(-x)
        x = x + a * x
        k = k - 1
    return np.sum(x)


def w_swap(a, b, n):
    k = 0
    while k < n:
        a, b = b * a, a + np.sin(b)
        k = k + 1
    return np.sum(a + b)


def w_follows_x(x, n):
    k = 0
    y = x
    while k < n:
        z = y * x
        y = np.sin(z) * y
        k = k + 1
    return np.sum(y) + np.sum(x)


def w_two_loops(x, n):
    k = 0
    while k < n:
        x = x / (1.0 + x * x)
        k = k + 1
    k = 0
    while k < n:
        t = x * 3.0
        x = x * t + np.cos(t)
        k = k + 1
    return np.sum(x)


def w_counter_after(x, n):
    i = 0
    while i < n:
        h = x * x
        g = h * x
        x = g - h * 0.3 + x
        i = i + 1
    return np.sum(x) * (i + 1)


def w_share_state(x, n):
    k = 0
    while k < n:
        x = x * x * 0.5 + 0.3
        k = k + 1
    y = x
    j = 0
    while j < n:
        q = y * x
        y = q * y
        j = j + 1
    return np.sum(y)


def w_float_counter_taped(x, n):
    k = 1.0
    while k < n:
        x = x * k + np.sin(x)
        k = k + 1.0
    return x


def w_helper_test(x, c):
    while square(x) > c:
        t = np.sqrt(x)
        x = t * x * 0.3
    return x


def square(v):
    return v * v


def w_calls_helper(x, c, n):
    k = 0
    while k < n:
        t = x * x
        x = scaled_sin(t, c) + x * 0.5
        k = k + 1
    return np.sum(x)


def scaled_sin(v, c):
    w = np.sin(v) * c
    return w * v


def w_then_for(x, n):
    k = 0
    while k < n:
        t = x * x
        x = t * x * 0.3 + 0.5
        k = k + 1
    for i in range(n):
        u = x * x
        x = u * np.cos(x)
    return np.sum(x)


def w_shared_temp(x, n):
    k = 0
    t = x
    while k < n:
        t = x * x
        x = t * 0.5 + np.sin(x)
        k += 1
    k = 0
    while k < n:
        u = t * x
        t = np.cos(u) * x
        x = u * t
        k += 1
    return np.sum(x + t)


def w_inner_for_untaped(x, c, n):
    k = 0
    while k < n:
        acc = 0.0
        for j in range(3):
            acc = acc + c * j
        t = np.sin(x) + acc
        x = t * x
        k = k + 1
    return x


def f_sin_of_square(x, n):
    for i in range(n):
        t = x * x
        x = np.sin(t) + x * 0.5
    return np.sum(x)


def f_swap_product(a, b, n):
    for i in range(n):
        a, b = b, a * b
    return np.sum(a + b)


def f_euler2(y, k, n):
    h = 0.1
    for i in range(n):
        k1 = -k * y
        k2 = -k * (y + 0.5 * h * k1) * k1
        y = y + h * (k1 + k2) * y
    return np.sum(y)


def f_cos_sin(x, n):
    for i in range(n):
        u = np.cos(x)
        v = np.sin(u * x)
        x = u * v + x * 0.5
    return np.sum(x)


def f_index_scaled(x, n):
    for i in range(n):
        p = x * (i + 1.0) * 0.3
        x = np.exp(-p) * p
    return np.sum(x)


def f_two_loops(x, n):
    for i in range(n):
        t = x * x
        x = t * x * 0.5
    for j in range(n):
        u = x * 2.0
        x = u * x * 0.25
    return np.sum(x)


def f_index_after(x, n):
    y = x * 1.0
    i = 0
    for i in range(n):
        z = np.sin(y) * x
        y = z * y
    return np.sum(y) * (i + 1)


def f_cubic(x, c, n):
    for i in range(n):
        a = x * c
        b = a * a
        x = b * x - a
    return np.sum(x)


def f_from_one(x, n):
    for i in range(1, n + 1):
        t = x / i
        x = x * t + np.tanh(t)
    return np.sum(x)


def f_accumulate(x, n):
    acc = x * 0.0
    for i in range(n):
        acc = acc * x + np.sin(acc + i)
    return np.sum(acc)


def f_pow_then(x, n):
    z = x
    for i in range(n):
        z = z * x
    w = z
    for i in range(n):
        m = w * z
        w = m * w * 0.5
    return np.sum(w)


def f_rows(h, W, xs):
    for t in range(xs.shape[0]):
        a = W @ h + xs[t] @ U3.T
        h = np.tanh(a) * h
    return np.sum(h)


def f_cos_sin_state(x, n):
    for i in range(n):
        c = np.cos(x)
        s = np.sin(x)
        x = c * s + x * c
    return np.sum(x)


def f_running_product(x, n):
    r = 1.0
    for i in range(n):
        r = r * x
        x = x + r * 0.1
    return np.sum(r * x)


def f_times_sin(x, n):
    for i in range(n):
        x = x * np.sin(x)
    return np.sum(x)


def f_over_rows(X, v):
    s = v
    for row in X:
        t = np.tanh(row * s)
        s = t * s + 0.1
    return np.sum(s)


def f_enumerate(xs, a):
    for i, v in enumerate(xs):
        t = np.sin(a * v)
        a = t * a + i
    return a


def f_index_used_after(x, n):
    i = 0
    for i in range(n):
        t = x * x
        x = t * x * 0.5 + 0.2 * i
    return x * i


def f_shared_temp(x, n):
    for i in range(n):
        t = x * x
        x = t * 0.5 + np.sin(x)
    for i in range(n):
        u = t * x
        t = np.cos(u) * x
        x = u * t
    return x + t if n > 0 else x


def f_tuple_state(x, y, n):
    p = (x, y)
    for i in range(n):
        a, b = p
        t = np.sin(a * b)
        p = (t * b, a + t)
    return p[0] * p[1]


def f_list_param(ws, x):
    for w in ws:
        t = np.tanh(w * x)
        x = t * x + w
    return np.sum(x)


def f_global_scale(x, n):
    for i in range(n):
        t = x * SCALE
        x = np.sin(t) * x
    return x


SCALE = 0.7


def f_mean_state(x, n):
    for i in range(n):
        m = np.mean(x)
        d = x - m
        x = d * d + 0.1
    return np.sum(x)


def f_matrix_state(A, n):
    B = A * 1.0
    for i in range(n):
        C = B @ A
        B = np.tanh(C) @ B * 0.5
    return np.sum(B)


def f_indexed_state(x, n):
    y = x * 1.0
    for i in range(n):
        t = y[i % 3] * x
        y = np.sin(t) * y
    return np.sum(y)


def f_maximum(x, n):
    for i in range(n):
        m = np.maximum(x, 0.1)
        x = m * x - 0.05
    return np.sum(x)


def f_powers(x, n):
    for i in range(n):
        p = x ** 2
        x = p ** 0.5 * 0.9 + p * 0.1
    return np.sum(x)


def f_where(x, n):
    for i in range(n):
        t = np.where(x > 0, x * x, -x)
        x = t * x + 0.1
    return np.sum(x)


def f_augmented(x, n):
    y = x * 1.0
    s = x * 0.0
    for i in range(n):
        t = np.sin(y)
        s += t * y
        y *= t
    return np.sum(s + y)


def f_calls_helper_twice(x, c, n):
    for i in range(n):
        u = scaled_sin(x, c)
        x = scaled_sin(u, c) * 0.9 + 0.1
    return np.sum(x)


def f_list_of_states(x, n):
    xs = [x]
    for i in range(n):
        t = xs[-1] * x
        u = np.sin(t)
        xs.append(u * t)
    return xs[-1]


def f_int_and_float(x, n):
    s = 0
    for i in range(n):
        t = x * s
        s = s + 1
        x = t * x + np.cos(x)
    return x


def f_inner_for_untaped(x, c, n):
    for i in range(n):
        acc = 0.0
        for j in range(3):
            acc = acc + c * j
        t = np.sin(x) + acc
        x = t * x
    return x


def f_pre_read(a, n):
    x = a * 1.0
    y = x * x
    for k in range(n):
        t = np.sin(x)
        x = t * x
    return np.sum(x + y)


def w_pre_read(a, n):
    x = a * 1.0
    y = x * x
    k = 0
    while k < n:
        t = np.sin(x)
        x = t * x
        k = k + 1
    return np.sum(x + y)


def f_state_grows(x, n):
    # s is a float before the first pass, an array after it
    s = 0.0
    for i in range(n):
        t = np.sin(s + x)
        s = t * s + x
    return np.sum(s)


def w_state_grows(x, n):
    s = 0.0
    k = 0
    while k < n:
        t = np.sin(s + x)
        s = t * s + x
        k = k + 1
    return np.sum(s)


def f_state_broadcasts(x, n):
    # a row times a column: s is (3,) before, (3, 3) after the first pass
    s = np.zeros(3)
    for i in range(n):
        t = np.tanh(s * x)
        s = t * s + x
    return np.sum(s)


# (function, arguments with "n" for the trip count, wrt)
SWEEP = [
    (w_sin_of_square, ("x", "n"), 0),
    (w_cos_twice, ("x", "n"), 0),
    (w_two_states, ("x", "y", "n"), (0, 1)),
    (w_count_down, ("x", "n"), 0),
    (w_swap, ("x", "y", "n"), (0, 1)),
    (w_follows_x, ("x", "n"), 0),
    (w_two_loops, ("x", "n"), 0),
    (w_counter_after, ("x", "n"), 0),
    (w_share_state, ("x", "n"), 0),
    (w_calls_helper, ("x", 0.7, "n"), (0, 1)),
    (w_then_for, ("x", "n"), 0),
    (w_shared_temp, ("x", "n"), 0),
    (w_pre_read, ("x", "n"), 0),
    (f_sin_of_square, ("x", "n"), 0),
    (f_swap_product, ("x", "y", "n"), (0, 1)),
    (f_euler2, ("x", 0.7, "n"), (0, 1)),
    (f_cos_sin, ("x", "n"), 0),
    (f_index_scaled, ("x", "n"), 0),
    (f_two_loops, ("x", "n"), 0),
    (f_cubic, ("x", 0.7, "n"), (0, 1)),
    (f_from_one, ("x", "n"), 0),
    (f_accumulate, ("x", "n"), 0),
    (f_pow_then, ("x", "n"), 0),
    (f_cos_sin_state, ("x", "n"), 0),
    (f_running_product, ("x", "n"), 0),
    (f_times_sin, ("x", "n"), 0),
    (f_mean_state, ("x", "n"), 0),
    (f_maximum, ("x", "n"), 0),
    (f_powers, ("x", "n"), 0),
    (f_where, ("x", "n"), 0),
    (f_augmented, ("x", "n"), 0),
    (f_calls_helper_twice, ("x", 0.7, "n"), (0, 1)),
    (f_pre_read, ("x", "n"), 0),
]
# floats only: a scalar result, or a float state the code relies on
SWEEP_FLOATS = [
    (w_float_counter_taped, (0.3, "n"), 0),
    (w_inner_for_untaped, (0.3, 0.2, "n"), (0, 1)),
    (f_index_after, (0.3, "n"), 0),
    (f_index_used_after, (0.3, "n"), 0),
    (f_shared_temp, (0.3, "n"), 0),
    (f_tuple_state, (0.3, 0.4, "n"), (0, 1)),
    (f_global_scale, (0.3, "n"), 0),
    (f_list_of_states, (0.3, "n"), 0),
    (f_int_and_float, (0.3, "n"), 0),
    (f_inner_for_untaped, (0.3, 0.2, "n"), (0, 1)),
]
# their own arguments
SWEEP_OWN = [
    ("w_sqrt_shrink-0", w_sqrt_shrink, (0.5, 1.0), (0, 1)),
    ("w_sqrt_shrink-1", w_sqrt_shrink, (1.5, 1.0), (0, 1)),
    ("w_sqrt_shrink-many", w_sqrt_shrink, (30.0, 1.0), (0, 1)),
    ("w_helper_test-0", w_helper_test, (0.5, 1.0), (0, 1)),
    ("w_helper_test-1", w_helper_test, (1.5, 1.0), (0, 1)),
    ("w_helper_test-many", w_helper_test, (9.0, 1.0), (0, 1)),
    ("f_rows-0", f_rows, (V3, W3, xs_rows(0)), (0, 1)),
    ("f_rows-1", f_rows, (V3, W3, xs_rows(1)), (0, 1)),
    ("f_rows-many", f_rows, (V3, W3, xs_rows(4)), (0, 1)),
    ("f_over_rows-0", f_over_rows, (W3[:0], V3), (0, 1)),
    ("f_over_rows-1", f_over_rows, (W3[:1], V3), (0, 1)),
    ("f_over_rows-many", f_over_rows, (W3, V3), (0, 1)),
    ("f_enumerate-0", f_enumerate, (np.zeros(0), 0.3), (0, 1)),
    ("f_enumerate-1", f_enumerate, (np.array([0.5]), 0.3), (0, 1)),
    ("f_enumerate-many", f_enumerate, (np.array([0.5, -0.2, 0.9]), 0.3),
     (0, 1)),
    ("f_list_param-0", f_list_param, ([], 0.3), 1),
    ("f_list_param-1", f_list_param, ([0.5], 0.3), 1),
    ("f_list_param-many", f_list_param, ([0.5, -0.2, 0.7], 0.3), 1),
    ("f_matrix_state-0", f_matrix_state, (W3, 0), 0),
    ("f_matrix_state-1", f_matrix_state, (W3, 1), 0),
    ("f_matrix_state-many", f_matrix_state, (W3, 3), 0),
    ("f_state_grows-0", f_state_grows, (V3, 0), 0),
    ("f_state_grows-1", f_state_grows, (V3, 1), 0),
    ("f_state_grows-many", f_state_grows, (V3, 3), 0),
    ("w_state_grows-0", w_state_grows, (V3, 0), 0),
    ("w_state_grows-1", w_state_grows, (V3, 1), 0),
    ("w_state_grows-many", w_state_grows, (V3, 3), 0),
    ("f_state_broadcasts-0", f_state_broadcasts, (V3[:, None], 0), 0),
    ("f_state_broadcasts-1", f_state_broadcasts, (V3[:, None], 1), 0),
    ("f_state_broadcasts-many", f_state_broadcasts, (V3[:, None], 3), 0),
    ("f_indexed_state-0", f_indexed_state, (V3, 0), 0),
    ("f_indexed_state-1", f_indexed_state, (V3, 1), 0),
    ("f_indexed_state-many", f_indexed_state, (V3, 4), 0),
]

_STATE = {"x": (0.3, V3), "y": (-0.4, np.array([0.1, 0.4, -0.3]))}


def _sweep_params():
    out = []
    for f, args, wrt in SWEEP:
        for kind in (0, 1):
            for n in (0, 1, 3):
                values = tuple(_STATE[a][kind] if a in _STATE else a
                               for a in _with_trips(args, n))
                ids = f"{f.__name__}-{('float', 'array')[kind]}-" \
                      f"{ {0: '0', 1: '1', 3: 'many'}[n] }"
                out.append(pytest.param(f, values, wrt, id=ids))
    for f, args, wrt in SWEEP_FLOATS:
        for n in (0, 1, 3):
            ids = f"{f.__name__}-{ {0: '0', 1: '1', 3: 'many'}[n] }"
            out.append(pytest.param(f, _with_trips(args, n), wrt, id=ids))
    for ids, f, args, wrt in SWEEP_OWN:
        out.append(pytest.param(f, args, wrt, id=ids))
    return out


@pytest.mark.parametrize("f,args,wrt", _sweep_params())
def test_sweep_matches_finite_differences(f, args, wrt):
    check(f, args, wrt)


def _sweep_functions():
    by_name = {}
    for p in _sweep_params():
        f, args, wrt = p.values
        by_name.setdefault(f.__name__, []).append((f, args, wrt))
    return by_name


@pytest.mark.parametrize("cases", list(_sweep_functions().values()),
                         ids=list(_sweep_functions()))
def test_sweep_functions_use_records(cases):
    # the table is about records: each of its functions gets them for
    # some kind of argument (array state may need more values than fit
    # one record: their shapes, read on both sides of a restore)
    assert any(uses_records(source_of(f, args, wrt))
               for f, args, wrt in cases)
