"""Derivative rules for srcad's own runtime helpers.

Generated code calls these helpers, so they need rules of their own for
generated code to be differentiated again (grad of grad, hessian). Most are
linear in their first argument; the transposes are each other.
"""
from .. import runtime as ad
from .registry import (define, elementwise, keeps_sequence, linear, nondiff,
                       returns_sequence)

T = __name__

# unbroadcast spreads v to the shape both broadcast to, then sums that
# down to like's; its transpose does the same from like's shape to v's
# (a broadcast_like when v is the larger, a sum when v stands for its
# broadcast, like a scalar a * x made into x's shape)
linear(ad.unbroadcast, "unbroadcast(v, like)", T,
       v="ad.unbroadcast(g, v)",
       batched={"v": "ad.batch_unbroadcast(dv, like)"})
linear(ad.broadcast_like, "broadcast_like(v, like)", T,
       v="ad.unbroadcast(g, v)")
linear(ad.result, "result(v, like)", T, v="ad.unbroadcast(g, v)",
       batched={"v": "ad.batch_result(dv, like)"})
linear(ad.unreduce, "unreduce(v, x, axis=None, keepdims=False)", T,
       v="ad.reshape_like(np.sum(g, axis=axis, keepdims=keepdims), v)",
       batched={"v": "ad.batch_unreduce(dv, x, axis, keepdims)"})
linear(ad.expand, "expand(v, axis=None, keepdims=False)", T,
       v="ad.reshape_like(g, v)",
       batched={"v": "ad.batch_expand(dv, axis, keepdims)"})
linear(ad.unindex, "unindex(v, x, index)", T, v="g[index]")
linear(ad.matmul_grad_a, "matmul_grad_a(v, a, b)", T,
       v="ad.reshape_like(np.matmul(g, b), v)",
       b="ad.matmul_grad_b(v, g, b)")
linear(ad.matmul_grad_b, "matmul_grad_b(v, a, b)", T,
       v="ad.reshape_like(np.matmul(a, g), v)",
       a="ad.matmul_grad_a(v, a, g)")
linear(ad.outer_sum, "outer_sum(a, b)", T,
       a="ad.outer_sum_grads(g, a, b)",
       b="ad.outer_sum_grads(np.transpose(g), b, a)")
linear(ad.outer_sum_grads, "outer_sum_grads(v, a, b)", T, shape_only=("a",),
       v="ad.broadcast_like(ad.outer_sum(g, b), v)",
       b="ad.outer_sum_grads(np.transpose(v), b, g)")
returns_sequence(ad.outer_sum_grads)
linear(ad.dot_grad_a, "dot_grad_a(v, a, b)", T,
       v="ad.reshape_like(np.dot(g, b), v)", b="ad.dot_grad_b(v, g, b)")
linear(ad.dot_grad_b, "dot_grad_b(v, a, b)", T,
       v="ad.reshape_like(np.dot(a, g), v)", a="ad.dot_grad_a(v, a, g)")
linear(ad.own, "own(v)", T, v="g", batched={"v": "ad.own(dv)"})
linear(ad.as_list, "as_list(v)", T, v="ad.as_list(g)")
linear(ad.total, "total(v)", T, v="ad.spread_over(g, v)")
define(ad.through_cast, "through_cast(v, like, dtype)", owner=T,
       reverse={"v": "ad.through_cast(g, v, dtype)"},
       forward={"v": "ad.through_cast(dv, y, dtype)"})
linear(ad.spread_over, "spread_over(v, items)", T, v="ad.sum_like(g, v)")
linear(ad.written, "written(v, index)", T, v="ad.place(g, v, index)")
linear(ad.sum_like, "sum_like(v, like)", T, v="ad.spread_over(g, v)")
linear(ad.place, "place(v, like, index)", T, v="ad.written(g, index)")
linear(ad.cast_like, "cast_like(v, x)", T, v="g")
linear(ad.copy, "copy(v)", T, v="g", batched={"v": "ad.copy(dv)"})
linear(ad.reshape_like, "reshape_like(v, like)", T,
       v="ad.reshape_like(g, v)")
elementwise(ad.log_positive, "log_positive(a)", T,
            a="g / np.where(a > 0, a, np.inf)")
define(ad.plus_at, "plus_at(total, index, v)", owner=T,
       reverse={"total": "g", "v": "ad.unbroadcast(g[index], v)"},
       forward={"total": "dtotal", "v": "ad.unindex(dv, y, index)"})
# checks a defvjp rule's cotangents and passes them on
linear(ad.cotangents, "cotangents(v, rule, args, result=None)", T, v="g",
       batched={"v": "dv"})
linear(ad.pick, "pick(v, k)", T, v="ad.unpick(g, v, k)")
linear(ad.unpick, "unpick(v, items, k)", T, v="ad.pick(g, k)")
# the sum is a list where a is one: b's tangent too, item by item
define(ad.add, "add(a, b)", reverse={"a": "g", "b": "g"},
       forward={"a": "da", "b": "ad.items_like(db, a)"},
       batched={"a": "da", "b": "ad.batch_items_like(db, a)"}, owner=T)

for fn in (ad.zeros_like, ad.check_scalar, ad.reduced_size, ad.inverse_axes,
           ad.shape, ad.extreme_mask, ad.stop_gradient, ad.Like,
           ad.forward_of, ad.backward_of, ad.chosen):
    nondiff(fn, owner=T)

# adjoints of lists are lists: added item by item (ad.add), never with +
returns_sequence(ad.unpick, ad.unstack, ad.unconcatenate, ad.unhstack,
                 ad.unvstack)
keeps_sequence(ad.own, ad.copy, ad.cotangents, ad.add, ad.zeros_like, ad.result,
               ad.spread_over, ad.unarray, ad.unbroadcast)
