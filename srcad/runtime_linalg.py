"""Runtime helpers for the linear algebra rules (reached as `ad.`).

Three kinds, each with a rule in rules/linalg.py:

- linear building blocks for stacks of matrices (the last two axes): the
  matrix transpose, diagonals, triangles, block matrices. The rules of
  numpy.linalg are written as compositions of these and NumPy functions,
  so generated code differentiates again to any order;
- the adjoints of products whose axes depend on the operands' ndims
  (tensordot, kron, cross, trace), each linear, the transposes of each
  other and of the NumPy product;
- `einsum`, np.einsum generalised so that transposing it gives it again,
  and the few non-differentiable pieces of np.linalg.norm.
"""
import string

import numpy as np

from .errors import SrcadError
from .runtime import shape, unbroadcast

__all__ = [
    "mT", "mT_if", "diag_part", "diag_embed", "sandwich", "sandwich_t",
    "sym_from", "sym_from_t", "half_lower", "eig_gaps", "as_column",
    "from_column", "block", "top_right", "block_sum", "tensordot_grad_a",
    "tensordot_grad_b", "inner_axes", "kron_grad_a", "kron_grad_b",
    "cross_grad", "trace_grad", "svd_checked", "qr_checked", "einsum",
    "einsum_swap", "norm_exponent", "norm_mask", "norm_svd_direction",
    "norm_svd_curvature",
]


# -- building blocks for stacks of matrices -----------------------------------

def mT(x):
    """The transpose of each matrix in `x` (its last two axes swapped)."""
    return np.swapaxes(x, -1, -2)


def mT_if(x, flag):
    """mT(x) if `flag`, else `x` (cholesky's factor when `upper`)."""
    return mT(x) if flag else x


def diag_part(x):
    """The diagonal of each matrix in `x`."""
    return np.diagonal(x, axis1=-2, axis2=-1)


def diag_embed(v, like=None):
    """Matrices of `like`'s shape (square if None) with diagonals `v`, zero
    elsewhere: the transpose of diag_part."""
    v = np.asarray(v)
    rows, cols = shape(like)[-2:] if like is not None else v.shape[-1:] * 2
    out = np.zeros(v.shape[:-1] + (rows, cols), np.result_type(v, 1.0))
    index = np.arange(v.shape[-1])
    out[..., index, index] = v
    return out


def sandwich(v, d):
    """v @ diag(d) @ v.T for each matrix v and vector d."""
    return (v * np.expand_dims(d, -2)) @ mT(v)


def sandwich_t(v, s):
    """diag(v.T @ s @ v): the transpose of sandwich(v, d) in d."""
    return np.sum(v * (s @ v), axis=-2)


def _upper(uplo):
    """True if `uplo` names the upper triangle: eigh's UPLO ('L' or 'U') or
    cholesky's `upper` (a bool)."""
    if isinstance(uplo, str):
        return uplo.upper() == "U"
    return bool(uplo)


def sym_from(x, uplo="L"):
    """The symmetric matrix made of the lower (or upper) triangle of `x`:
    what eigh and cholesky read of their argument."""
    if _upper(uplo):
        return np.triu(x) + mT(np.triu(x, 1))
    return np.tril(x) + mT(np.tril(x, -1))


def sym_from_t(g, uplo="L"):
    """The transpose of sym_from: `g` folded onto the triangle read."""
    if _upper(uplo):
        return np.triu(g) + np.triu(mT(g), 1)
    return np.tril(g) + np.tril(mT(g), -1)


def half_lower(x):
    """The lower triangle of `x` with its diagonal halved (self-adjoint)."""
    n = np.shape(x)[-1]
    return np.tril(x) * (1.0 - 0.5 * np.eye(n))


def eig_gaps(w):
    """F[..., i, j] = 1 / (w[j] - w[i]), and 0 where w[i] == w[j] (the
    diagonal, and exactly repeated eigenvalues)."""
    w = np.asarray(w)
    gaps = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    tie = gaps == 0
    return np.where(tie, 0.0, 1.0 / np.where(tie, 1.0, gaps))


def as_column(v, like):
    """`v` as a stack of one-column matrices if `like` is a vector (as
    np.linalg.solve reads a 1-d right-hand side), else `v` itself."""
    return np.expand_dims(v, -1) if len(shape(like)) == 1 else v


def from_column(v, like):
    """The transpose of as_column: one-column matrices back to vectors."""
    return v[..., 0] if len(shape(like)) == 1 else v


def block(a, v):
    """The block matrix [[a, v], [0, a]], whose n-th power has the
    derivative of a**n along v as its top right block."""
    zero = np.zeros_like(a)
    return np.concatenate([np.concatenate([a, v], -1),
                           np.concatenate([zero, a], -1)], -2)


def top_right(m):
    """The top right quarter of each matrix in `m`."""
    n = np.shape(m)[-1] // 2
    return m[..., :n, n:]


def block_sum(m):
    """The sum of the two diagonal quarters of each matrix in `m`."""
    n = np.shape(m)[-1] // 2
    return m[..., :n, :n] + m[..., n:, n:]


# -- adjoints of products -----------------------------------------------------

def _tensordot_axes(axes, nda, ndb):
    """np.tensordot's `axes` as two lists of non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        return list(range(nda - axes, nda)), list(range(axes))
    left, right = axes
    left = [left] if isinstance(left, (int, np.integer)) else list(left)
    right = [right] if isinstance(right, (int, np.integer)) else list(right)
    return [i % nda for i in left], [i % ndb for i in right]


def tensordot_grad_a(g, a, b, axes=2):
    """Adjoint of `a` in np.tensordot(a, b, axes)."""
    left, right = _tensordot_axes(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in left]
    free_b = [i for i in range(np.ndim(b)) if i not in right]
    out = np.tensordot(g, b, axes=(list(range(len(free_a), np.ndim(g))),
                                   free_b))
    # out's axes: a's free axes, then b's summed axes in b's order
    source = free_a + [left[i] for i in np.argsort(right)]
    return np.transpose(out, np.argsort(source))


def tensordot_grad_b(g, a, b, axes=2):
    """Adjoint of `b` in np.tensordot(a, b, axes)."""
    left, right = _tensordot_axes(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in left]
    free_b = [i for i in range(np.ndim(b)) if i not in right]
    out = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    # out's axes: a's summed axes in a's order, then b's free axes
    source = [right[i] for i in np.argsort(left)] + free_b
    return np.transpose(out, np.argsort(source))


def inner_axes(a, b):
    """The tensordot axes that np.inner(a, b) sums over."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return 0
    return [-1], [-1]


def _kron_shapes(a, b):
    """a's and b's shapes padded with ones to one length, as np.kron does,
    and the shape of the result with their axes interleaved."""
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + np.shape(a)
    sb = (1,) * (nd - np.ndim(b)) + np.shape(b)
    return nd, sa, sb, [n for pair in zip(sa, sb) for n in pair]


def kron_grad_a(g, a, b):
    """Adjoint of `a` in np.kron(a, b)."""
    nd, sa, sb, both = _kron_shapes(a, b)
    g = np.reshape(g, both)
    out = np.tensordot(g, np.reshape(b, sb),
                       axes=(list(range(1, 2 * nd, 2)), list(range(nd))))
    return np.reshape(out, np.shape(a))


def kron_grad_b(g, a, b):
    """Adjoint of `b` in np.kron(a, b)."""
    nd, sa, sb, both = _kron_shapes(a, b)
    g = np.reshape(g, both)
    out = np.tensordot(np.reshape(a, sa), g,
                       axes=(list(range(nd)), list(range(0, 2 * nd, 2))))
    return np.reshape(out, np.shape(b))


def cross_grad(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Adjoint of `a` in np.cross(a, b, axisa, axisb, axisc, axis): b x g
    (2-vectors taken as 3-vectors with a zero third component)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a_ = np.moveaxis(a, axisa, -1)
    b_ = np.moveaxis(b, axisb, -1)
    if a_.shape[-1] == 2 and b_.shape[-1] == 2:  # the result is scalar
        g_ = np.stack(np.broadcast_arrays(0.0, 0.0, g), -1)
    else:
        g_ = np.moveaxis(g, axisc, -1)
    out = np.cross(_three(b_), _three(g_))[..., :a_.shape[-1]]
    return np.moveaxis(unbroadcast(out, a_), -1, axisa)


def _three(v):
    """Vectors (last axis) of length 2 or 3 as 3-vectors."""
    if v.shape[-1] == 3:
        return v
    return np.concatenate([v, np.zeros(v.shape[:-1] + (1,))], -1)


def trace_grad(g, like, offset=0, axis1=0, axis2=1):
    """Adjoint of np.trace(a, offset, axis1, axis2): `g` on the diagonals,
    in an array of `like`'s shape."""
    out = np.zeros(shape(like), dtype=np.result_type(g, 1.0))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    rows, cols = view.shape[-2:]
    n = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    index = np.arange(n)
    view[..., index - min(offset, 0), index + max(offset, 0)] = \
        np.expand_dims(g, -1)
    return out


def svd_checked(u, vt):
    """`u`, after checking that u and vt are the thin factors of an SVD:
    srcad differentiates svd(full_matrices=True) of square matrices only."""
    if np.shape(u)[-1] != np.shape(vt)[-2]:
        raise SrcadError(
            "srcad differentiates np.linalg.svd(a) of a non-square matrix "
            "only with full_matrices=False")
    return u


def qr_checked(r):
    """`r`, after checking that it is square: srcad differentiates the QR
    decomposition of square and tall matrices only."""
    if np.shape(r)[-1] != np.shape(r)[-2]:
        raise SrcadError(
            "srcad differentiates np.linalg.qr(a) only for matrices with at "
            "least as many rows as columns")
    return r


# -- einsum -------------------------------------------------------------------

def einsum(spec, like, *operands):
    """np.einsum(spec, *operands), generalised so that its transposes are
    einsums again: the output may repeat a letter (the result is zero off
    that diagonal) or name letters no operand has, or has with a size
    other than the result's (the result repeats along them, or sums them
    to size 1); sizes come from `like`, which has the result's shape."""
    target = shape(like)
    inputs, output = _explicit(spec, [np.ndim(x) for x in operands],
                               len(target))
    fresh = iter(c for c in string.ascii_letters
                 if c not in "".join(inputs) + output)
    sizes = {}
    for term, x in zip(inputs, operands):
        for c, n in zip(term, np.shape(x)):
            sizes[c] = max(sizes.get(c, 1), n)
    # a size-1 axis broadcast against a longer one is a letter of its own
    inputs = ["".join(c if n == sizes[c] else next(fresh)
                      for c, n in zip(term, np.shape(x)))
              for term, x in zip(inputs, operands)]
    output = "".join(c if sizes.get(c, n) == n else next(fresh)
                     for c, n in zip(output, target))
    kept = "".join(dict.fromkeys(c for c in output if c in sizes))
    result = np.einsum(",".join(inputs) + "->" + kept, *operands)
    if kept == output:
        return result
    out = np.zeros(target, dtype=result.dtype)
    letters = "".join(dict.fromkeys(output))
    strides = [sum(s for c, s in zip(output, out.strides) if c == u)
               for u in letters]
    view = np.lib.stride_tricks.as_strided(
        out, [target[output.index(u)] for u in letters], strides)
    view[...] = np.reshape(result, [sizes[u] if u in kept else 1
                                    for u in letters])
    return out


def einsum_swap(spec, k):
    """The subscripts of operand `k` and of the output of einsum `spec`
    exchanged: the spec of the transpose in operand k."""
    if not isinstance(spec, str):
        raise SrcadError("srcad differentiates np.einsum with its "
                         "subscripts given as a string, such as 'ij,jk'")
    inputs, output = _split(spec)
    inputs[k], output = output, inputs[k]
    return ",".join(inputs) + "->" + output


def _split(spec):
    """Input and output subscripts of `spec`, the implicit output made
    explicit; ellipses left as they are."""
    spec = spec.replace(" ", "")
    if "->" in spec:
        left, output = spec.split("->")
        return left.split(","), output
    inputs = spec.split(",")
    letters = "".join(inputs).replace(".", "")
    once = sorted(c for c in set(letters) if letters.count(c) == 1)
    dots = "..." if "..." in spec else ""
    return inputs, dots + "".join(once)


def _explicit(spec, ndims, out_ndim):
    """Input and output subscripts of `spec` with every ellipsis spelled
    out in letters; the output has `out_ndim` axes."""
    inputs, output = _split(spec)
    terms = inputs + [output]
    dims = [len(t.replace("...", "")) for t in terms]
    spans = [n - d for n, d in zip(list(ndims) + [out_ndim], dims)]
    longest = max([s for t, s in zip(terms, spans) if "..." in t] + [0])
    unused = [c for c in string.ascii_letters if c not in "".join(terms)]
    dots = unused[:longest]
    return [t.replace("...", "".join(dots[longest - s:]))
            for t, s in zip(inputs, spans)], \
        output.replace("...", "".join(dots[longest - spans[-1]:]))


# -- pieces of np.linalg.norm -------------------------------------------------

def _norm_kind(x, ord, axis):
    """'vector' or 'matrix' as np.linalg.norm reads (x, ord, axis), and the
    axes it reduces (None: all)."""
    if axis is None:
        if ord is None or np.ndim(x) == 1:
            return "vector", None
        return "matrix", (0, 1)
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        return "matrix", tuple(axis)
    return "vector", axis


def norm_exponent(x, ord=None, axis=None):
    """p - 1 for the p-norm np.linalg.norm(x, ord, axis) is, whose
    derivative is sign(x) (|x| / norm)**(p - 1); 0 where the derivative is a
    mask (max, min, and the matrix 1- and inf-norms)."""
    kind, _ = _norm_kind(x, ord, axis)
    if ord is None or ord == "fro" or (kind == "vector" and ord == 2):
        return 1.0
    if kind == "vector" and ord not in (0, np.inf, -np.inf):
        return float(ord) - 1.0
    return 0.0


def norm_mask(x, ord=None, axis=None):
    """Which elements the norm's derivative reaches: 1 for p-norms, the
    elements (vector) or the columns or rows (matrix) attaining the max or
    min, ties sharing equally; 0 for ord=0 and the norms of singular
    values."""
    kind, axes = _norm_kind(x, ord, axis)
    if ord is None or ord == "fro" or kind == "vector" and \
            ord not in (0, np.inf, -np.inf):
        return 1.0
    size = np.abs(x)
    if kind == "matrix":
        if ord not in (1, -1, np.inf, -np.inf):
            return 0.0
        rows, cols = axes
        along = rows if ord in (1, -1) else cols
        size = np.sum(size, axis=along, keepdims=True)
        axes = cols if ord in (1, -1) else rows
    elif ord == 0:
        return 0.0
    pick = np.max if ord > 0 else np.min
    hits = size == pick(size, axis=axes, keepdims=True)
    return hits / np.sum(hits, axis=axes, keepdims=True)


def norm_svd_direction(x, ord=None, axis=None):
    """The derivative of the nuclear norm (u @ vt) or of the matrix 2- or
    -2-norm (the first or last singular vectors' outer product); 0 for
    every other norm."""
    kind, axes = _norm_kind(x, ord, axis)
    if kind != "matrix" or ord not in ("nuc", 2, -2):
        return 0.0
    matrices = np.moveaxis(x, axes, (-2, -1))
    u, s, vt = np.linalg.svd(matrices, full_matrices=False)
    if ord != "nuc":
        pick = 0 if ord == 2 else -1
        keep = slice(pick, pick + 1 or None)
        u, vt = u[..., keep], vt[..., keep, :]
    return np.moveaxis(u @ vt, (-2, -1), axes)


def norm_svd_curvature(v, x, ord=None, axis=None):
    """The derivative of norm_svd_direction along `v`: zero where that is
    zero; second derivatives of the nuclear and matrix 2-norms are not
    supported."""
    kind, _ = _norm_kind(x, ord, axis)
    if kind == "matrix" and ord in ("nuc", 2, -2):
        raise SrcadError(
            f"srcad has no second derivative of np.linalg.norm with "
            f"ord={ord!r} (a norm of singular values); differentiate "
            f"np.linalg.svd(x, compute_uv=False) instead")
    return 0.0
