"""Derivative rules for Python builtins."""
import builtins
import math

from .. import runtime as ad

from .registry import (define, elementwise, linear, lookup, nondiff,
                       returns_sequence)

T = __name__

elementwise(builtins.abs, "abs(x)", T, x="g * np.sign(x)")
elementwise(builtins.float, "float(x)", T, x="g")
linear(builtins.list, "list(a)", T, a="ad.as_list(g)")
linear(builtins.tuple, "tuple(a)", T, a="ad.as_list(g)")
# pow(a, b) is a ** b (three arguments, a modulus, have no rule)
elementwise(builtins.pow, "pow(base, exp)", T,
            base="g * exp * base ** (exp - 1)",
            exp="g * y * ad.log_positive(base)")
define(builtins.sum, "sum(a, start=0)", owner=T,
       reverse={"a": "ad.spread_over(g, a)",
                "start": "ad.unbroadcast(g, start)"},
       forward={"a": "ad.total(da)", "start": "dstart"})
# math.fsum(xs): sum's derivative (only the rounding differs); in this
# table, as the math table's functions are elementwise
define(math.fsum, "fsum(a)", owner=T, reverse={"a": "ad.spread_over(g, a)"},
       forward={"a": "ad.total(da)"})
# at a tie the second argument takes the derivative (relu: 0 at 0)
elementwise(builtins.max, "max(a, b)", T, a="g * (a > b)", b="g * (b >= a)")
elementwise(builtins.min, "min(a, b)", T, a="g * (a < b)", b="g * (b <= a)")
# normalize turns max(xs) and max(a, b, c) into calls this rule takes
for fn in (builtins.max, builtins.min):
    lookup(fn).forms = (f"{fn.__name__}(xs) or {fn.__name__}(a, b, ...), "
                        f"with no key= or default=")
# max(xs) and min(xs) of one list, tuple or 1-d array (the normalizer
# writes them so, and max(a, b, c) as max(max(a, b), c)): the derivative
# goes to one item, the last of tied ones, as max(a, b) gives it to b
for fn, largest in ((ad.largest, True), (ad.smallest, False)):
    define(fn, fn.__name__ + "(items)", owner=T,
           reverse={"items": f"ad.unpick(g, items, ad.chosen(items, "
                             f"{largest}))"},
           forward={"items": f"ad.pick(ditems, ad.chosen(items, {largest}))"},
           batched={"items": f"ad.batch_index(ditems, ad.chosen(items, "
                             f"{largest}))"})

for fn in (builtins.len, builtins.range, builtins.int, builtins.bool,
           builtins.round, builtins.isinstance, builtins.print,
           builtins.type, builtins.str, builtins.repr, builtins.reversed,
           builtins.slice, builtins.zip, builtins.enumerate):
    nondiff(fn, owner=T)

returns_sequence(builtins.list, builtins.tuple)
