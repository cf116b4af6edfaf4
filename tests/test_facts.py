"""The optimizer's facts: what one walk finds, and facts after a pass's
change walking again only the statements it names (and new ones)."""
import gast
import pytest

from srcad import facts as facts_module
from srcad.build import assign, const, name
from srcad.facts import Changes, Facts, changed_in_place, rebound

from gastcode import parsed

SOURCE = """
def f(x, y):
    a = x * y
    b = ad.unbroadcast(a, x)
    b[0] = 1.0
    c = y[1] + a
    ys.append(c)
    a = c
    return a
"""


def test_one_walk_finds_reads_writes_counts_and_changes():
    facts = Facts(parsed(SOURCE))
    assert facts.names[0] == ({"x", "y"}, {"a"})
    assert facts.names[2] == ({"b"}, set())  # b[0] = ... assigns no name
    assert facts.counts == {"x": 1, "y": 1, "a": 2, "b": 1, "c": 1}
    assert facts.written == {"b", "ys"}
    assert facts.indexed == {"b", "y"}
    assert facts.calls[1] == {("ad", "unbroadcast")}
    assert facts.calls[4] == {("ys", "append")}


def _walked(monkeypatch):
    """The statements walked from now on."""
    seen = []
    scan = facts_module._scan_statement

    def counting(stmt):
        seen.append(stmt)
        return scan(stmt)
    monkeypatch.setattr(facts_module, "_scan_statement", counting)
    return seen


def test_after_a_change_walks_only_named_and_new_statements(monkeypatch):
    monkeypatch.setattr(facts_module, "CHECK", False)
    fdef = parsed(SOURCE)
    facts = Facts(fdef)
    facts.names
    walked = _walked(monkeypatch)
    fdef.body[0].value = name("x")               # changed in place, named
    fresh_stmt = assign("d", const(2.0))         # new: walked unnamed
    fdef.body.insert(1, fresh_stmt)
    del fdef.body[5]                  # ys.append(c) removed: not walked
    after = facts.after(Changes([fdef.body[0]]))
    after.names
    assert walked == [fdef.body[0], fresh_stmt]
    assert after.names == Facts(fdef).names
    assert after.counts == {"x": 1, "y": 1, "a": 2, "b": 1, "c": 1, "d": 1}
    assert after.written == {"b"}


def test_after_true_walks_everything(monkeypatch):
    fdef = parsed(SOURCE)
    facts = Facts(fdef)
    facts.names
    walked = _walked(monkeypatch)
    monkeypatch.setattr(facts_module, "CHECK", False)
    facts.after(True).names
    assert walked == fdef.body


def _changed_unnamed(monkeypatch, check):
    """Facts, and their function with a statement changed in place that
    no pass names."""
    monkeypatch.setattr(facts_module, "CHECK", check)
    fdef = parsed(SOURCE)
    facts = Facts(fdef)
    facts.names
    fdef.body[0].value = name("z")
    return facts, fdef


def test_a_change_not_named_is_caught_by_the_check(monkeypatch):
    facts, _ = _changed_unnamed(monkeypatch, True)
    with pytest.raises(AssertionError, match=r"statements \[0\]"):
        facts.after(Changes())


def test_a_change_not_named_is_stale_without_the_check(monkeypatch):
    # what the check is for: the facts would describe the old statement
    facts, fdef = _changed_unnamed(monkeypatch, False)
    assert facts.after(Changes()).names[0][0] == {"x", "y"}
    assert Facts(fdef).names[0][0] == {"z"}


def test_changes_are_true_even_when_empty():
    assert Changes()
    assert list(Changes([1, 2])) == [1, 2]


@pytest.mark.parametrize("source, expected", [
    ("a = b", {"a"}),
    ("a[i] = b", {"a"}),
    ("a += b", {"a"}),
    ("ad.add_at(g, i, v)", {"g"}),
    ("np.copyto(g, v)", {"g"}),
    ("np.add(a, b, out=c)", {"c"}),
    ("xs.pop()", {"xs"}),
    ("for i in range(n):\n    s, t = t, s", {"i", "s", "t"}),
    ("y = f(x)", {"y"}),
])
def test_rebound_is_stores_and_changes_in_place(source, expected):
    tree = gast.parse(source)
    assert rebound(tree) == expected
    stored = {n.id for n in gast.walk(tree) if type(n) is gast.Name and
              type(n.ctx) is gast.Store}
    assert rebound(tree) == stored | changed_in_place(tree)
