"""Test specs for the builtins, array methods and runtime helpers that the
control-flow and call machinery relies on (format: see specs.py)."""
import builtins
import math

import numpy as np

from specs import Spec, binary, unary
from srcad import runtime as ad

SPECS = [
    unary(builtins.list, "np.array(list(a))", shapes=[(3,), (2, 3)]),
    unary(builtins.tuple, "np.array(tuple(a))", shapes=[(3,), (2, 3)]),
    unary(builtins.tuple, "tuple(a)[0] * tuple(a)[2]", shapes=[(3,)]),
    unary(builtins.sum, "sum(a)", shapes=[(3,), (2, 3)]),
    unary(math.fsum, "math.fsum(a)", shapes=[(3,)]),
    unary(math.fsum, "math.fsum([a, a * a])", shapes=[()]),
    binary(builtins.max, "max(a, b)", shapes=[((), ())], second_order=False),
    binary(builtins.min, "min(a, b)", shapes=[((), ())], second_order=False),
    unary(ad.flatten, "a.flatten()", shapes=[(2, 3)]),
    unary(ad.astype, "a.astype(float)", shapes=[(3,), (2, 3)]),
    unary(ad.item, "a[0].item()", shapes=[(2,)]),
    unary(ad.tolist, "np.array(a.tolist())", shapes=[(3,), (2, 3)]),
    Spec(ad.spread_over, "ad.spread_over(a, b)", "r r", [((3,), (2, 3))]),
    unary(ad.written, "ad.written(a, np.array([0, 2, 2]))", shapes=[(4,)]),
    Spec(ad.sum_like, "ad.sum_like(a, b)", "r r", [((2, 3), (3,))]),
    unary(ad.place, "ad.place(a, np.zeros(4), np.array([0, 2]))",
          shapes=[(2,)]),
    Spec(ad.cast_like, "ad.cast_like(a, b)", "r r", [((3,), (3,))]),
]
SPECS.append(unary(ad.log_positive, "ad.log_positive(a)", "p"))
SPECS += [
    unary(ad.as_list, "np.array(ad.as_list(a))", shapes=[(3,)]),
    unary(ad.total, "ad.total(a)", shapes=[(3,), (2, 3)]),
    Spec(ad.through_cast, "ad.through_cast(a, b, float)", "r r",
         [((3,), (3,))]),
    Spec(ad.outer_sum, "ad.outer_sum(list(a), list(b))", "r r",
         [((4, 3), (4, 2)), ((2, 3), (2,)), ((3, 2, 2), (3, 2))]),
    Spec(ad.outer_sum_grads,
         "np.array(ad.outer_sum_grads(a, list(np.ones((4, 3))), list(b)))",
         "r r", [((3, 2), (4, 2)), ((3, 1), (4,))]),
]
SPECS += [
    # max(xs), min(xs) and max(a, b, c): ad.largest, ad.smallest, chained
    unary(ad.largest, "max(a)", shapes=[(1,), (4,)], second_order=False),
    unary(ad.largest, "max(list(a))", shapes=[(3,)], second_order=False),
    Spec(ad.largest, "max([a, b, 2 * a])", "r r", [((), ()), ((1,), ())],
         second_order=False),
    unary(ad.smallest, "min(a)", shapes=[(4,)], second_order=False),
    Spec(ad.smallest, "min((a, b))", "r r", [((), ())], second_order=False),
    Spec(builtins.max, "max(a, b, -a, 0.5 * b)", "r r", [((), ())],
         second_order=False),
    Spec(builtins.min, "min(a, b, 1.0)", "r r", [((), ())],
         second_order=False),
    Spec(ad.pick, "ad.pick([a, b], 1)", "r r", [((), ()), ((3,), (2,))]),
    unary(ad.pick, "ad.pick(a, 2)", shapes=[(3,), (4, 2)]),
    Spec(ad.unpick, "np.array(ad.unpick(a, [b, b], 0))", "r r",
         [((), ())]),
    unary(ad.unpick, "ad.unpick(a, np.ones((3, 2)), 1)", shapes=[(2,)]),
]
