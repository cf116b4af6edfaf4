"""Write docs/coverage.md: every function srcad has a derivative rule for.

    python scripts/coverage.py          # refresh docs/coverage.md
    python scripts/coverage.py --check  # exit 1 if it is out of date

The page is generated from the rule registry (`srcad.rules.RULES`): one
section a rule table (the rule's `owner` module), one table a kind of rule,
and for each function whether reverse and forward mode are available.
tests/test_coverage.py checks the committed page is what `render()` gives.
"""
import sys
from pathlib import Path

import gast

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from srcad import rules  # noqa: E402

PAGE = ROOT / "docs" / "coverage.md"

# Rule tables in page order: owner module -> title.
TABLES = {
    "srcad.rules.numpy": "NumPy",
    "srcad.rules.linalg": "NumPy linear algebra",
    "srcad.rules.math": "math",
    "srcad.rules.builtins": "Python builtins",
    "srcad.rules.operators": "Python operators",
    "srcad.rules.runtime": "srcad runtime helpers",
}
KINDS = {
    "elementwise": "Elementwise",
    "linear": "Linear",
    "define": "Other differentiable",
    "nondiff": "No derivative",
}
HELPERS = "srcad.rules.runtime"  # srcad's own helpers get one section
# How a function is spelled, by the module it lives in.
PREFIXES = {"numpy": "np.", "numpy.linalg": "np.linalg.", "math": "math.",
            "builtins": "", "srcad.runtime": "ad."}
OPERATORS = {
    gast.Add: "a + b", gast.Sub: "a - b", gast.Mult: "a * b",
    gast.Div: "a / b", gast.Pow: "a ** b", gast.MatMult: "a @ b",
    gast.USub: "-a", gast.UAdd: "+a", gast.FloorDiv: "a // b",
    gast.Mod: "a % b", gast.Not: "not a", gast.Invert: "~a",
    gast.BitAnd: "a & b", gast.BitOr: "a | b", gast.BitXor: "a ^ b",
    gast.LShift: "a << b", gast.RShift: "a >> b", gast.Eq: "a == b",
    gast.NotEq: "a != b", gast.Lt: "a < b", gast.LtE: "a <= b",
    gast.Gt: "a > b", gast.GtE: "a >= b", gast.Is: "a is b",
    gast.IsNot: "a is not b", gast.In: "a in b", gast.NotIn: "a not in b",
    gast.And: "a and b", gast.Or: "a or b",
}


def spellings(fn):
    """How users write `fn`: every public name it has in its module
    (`np.abs` and `np.absolute` are one function), best known first."""
    if fn in OPERATORS:
        return [OPERATORS[fn]]
    module = getattr(fn, "__module__", None) or ""
    if module.startswith("srcad.runtime"):
        module = "srcad.runtime"
    name = getattr(fn, "__name__", repr(fn))
    prefix = PREFIXES.get(module)
    if prefix is None:
        return [f"{module}.{name}"]
    namespace = sys.modules[module]
    aliases = sorted(n for n in dir(namespace) if not n.startswith("_")
                     and getattr(namespace, n) is fn and n != name)
    return [prefix + n for n in [name] + aliases]


def modes(rule):
    """(reverse, forward) availability of a differentiable rule."""
    if rule.kind in ("elementwise", "linear"):
        return True, True
    return True, all(p in rule.forward for p in rule.reverse)


def _mark(available):
    return "yes" if available else "no"


def _section(title, by_kind):
    owners = sorted({rule.owner for entries in by_kind.values()
                     for _, rule in entries})
    files = ", ".join(f"`{_path(o)}`" for o in owners)
    lines = [f"## {title}", "", f"Rules in {files}.", ""]
    for kind, heading in KINDS.items():
        entries = sorted(by_kind.get(kind, []), key=lambda e: e[0][0])
        if not entries:
            continue
        lines += [f"### {heading} ({len(entries)})", ""]
        if kind == "nondiff":
            names = ", ".join(f"`{spelled[0]}`" for spelled, _ in entries)
            lines += [names, ""]
            continue
        lines += ["| function | signature | reverse | forward |",
                  "|---|---|---|---|"]
        for spelled, rule in entries:
            also = "".join(f" (`{n}`)" for n in spelled[1:])
            reverse, forward = modes(rule)
            lines.append(f"| `{spelled[0]}`{also} | `{rule.signature}` | "
                         f"{_mark(reverse)} | {_mark(forward)} |")
        lines.append("")
    return lines


def _path(owner):
    return owner.replace(".", "/") + ".py"


def _table_of(fn, rule):
    """The section `fn` is listed in: its rule table, except that srcad's
    own runtime helpers are listed together wherever their rules live."""
    module = getattr(fn, "__module__", None) or ""
    return HELPERS if module.startswith("srcad.runtime") else \
        rule.owner or "unknown"


def _counts(by_kind):
    rules_ = [rule for entries in by_kind.values() for _, rule in entries]
    differentiable = [r for r in rules_ if r.differentiable]
    return (len(differentiable), sum(all(modes(r)) for r in differentiable),
            len(rules_) - len(differentiable))


def render():
    """The text of docs/coverage.md, from the registry as loaded now."""
    tables = {}
    for fn, rule in rules.RULES.items():
        tables.setdefault(_table_of(fn, rule), {}).setdefault(
            rule.kind, []).append((spellings(fn), rule))
    owners = [o for o in TABLES if o in tables]
    owners += sorted(o for o in tables if o not in TABLES)
    user = [_counts(tables[o]) for o in owners if o != HELPERS]
    lines = [
        "# Coverage: what srcad can differentiate",
        "",
        "Generated by `python scripts/coverage.py` from the rule registry; "
        "do not edit by hand.",
        "",
        f"**{sum(c[0] for c in user)}** functions and operators have a "
        f"derivative rule, **{sum(c[1] for c in user)}** of them in both "
        f"reverse and forward mode; **{sum(c[2] for c in user)}** more have "
        f"no derivative (shapes, comparisons, rounding, constructors): "
        f"values flow through them and derivatives stop there.",
        "",
        "| table | with a derivative | both modes | no derivative |",
        "|---|---|---|---|",
    ]
    for owner in owners:
        counts = _counts(tables[owner])
        lines.append(f"| {TABLES.get(owner, owner)} | {counts[0]} | "
                     f"{counts[1]} | {counts[2]} |")
    lines += [
        "",
        "Elementwise and linear rules work in both modes by construction; "
        "other rules in forward mode when they give a forward template for "
        "every parameter. A signature lists the arguments srcad accepts; "
        "any other argument is an error at compile time. The runtime "
        "helpers are what generated code calls; their rules let it be "
        "differentiated again.",
        "",
    ]
    for owner in owners:
        lines += _section(TABLES.get(owner, owner), tables[owner])
    return "\n".join(lines).rstrip() + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        current = PAGE.read_text() if PAGE.exists() else ""
        if current != text:
            print(f"{PAGE.relative_to(ROOT)} is out of date; run "
                  f"python scripts/coverage.py")
            return 1
        return 0
    PAGE.parent.mkdir(exist_ok=True)
    PAGE.write_text(text)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
