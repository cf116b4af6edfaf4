"""Derivative rules for array methods with no NumPy function of the same
meaning: the normalizer turns `x.flatten()` into `ad.flatten(x)`, a runtime
function that calls the method."""
from .. import runtime as ad
from .registry import define, linear, returns_sequence

T = __name__

linear(ad.flatten, "flatten(a, order='C')", T,
       a="np.reshape(g, np.shape(a), order=order)",
       batched={"a": "ad.batch_reshape(da, y, order)"})
define(ad.astype, "astype(a, dtype)", owner=T,
       reverse={"a": "ad.through_cast(g, a, dtype)"},
       forward={"a": "ad.own(ad.through_cast(da, y, dtype))"})  # new, as y
linear(ad.item, "item(a)", T, a="np.reshape(g, np.shape(a))")
linear(ad.tolist, "tolist(a)", T,
       a="np.reshape(np.asarray(g, dtype=np.float64), np.shape(a))")

returns_sequence(ad.tolist, ad.as_list)
