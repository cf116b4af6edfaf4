"""Derivative rules for Python builtins."""
import builtins

from .registry import define, elementwise, linear, nondiff, returns_sequence

T = __name__

elementwise(builtins.abs, "abs(x)", T, x="g * np.sign(x)")
elementwise(builtins.float, "float(x)", T, x="g")
linear(builtins.list, "list(a)", T, a="ad.as_list(g)")
define(builtins.sum, "sum(a, start=0)", owner=T,
       reverse={"a": "ad.spread_over(g, a)",
                "start": "ad.unbroadcast(g, start)"},
       forward={"a": "ad.total(da)", "start": "dstart"})
# at a tie the second argument takes the derivative (relu: 0 at 0)
elementwise(builtins.max, "max(a, b)", T, a="g * (a > b)", b="g * (b >= a)")
elementwise(builtins.min, "min(a, b)", T, a="g * (a < b)", b="g * (b <= a)")

for fn in (builtins.len, builtins.range, builtins.int, builtins.bool,
           builtins.round, builtins.isinstance, builtins.print,
           builtins.type, builtins.str, builtins.repr, builtins.reversed,
           builtins.slice, builtins.zip, builtins.enumerate):
    nondiff(fn, owner=T)

returns_sequence(builtins.list)
