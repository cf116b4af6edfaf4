"""Derivative rules for NumPy's linear algebra: products, numpy.linalg.

Products are linear in each operand, so forward mode calls them again;
their transposes are runtime helpers whose own transposes are the product.
The rules of numpy.linalg compose NumPy functions and the linear building
blocks of runtime_linalg.py (`ad.mT`, `ad.sym_from`, ...), so generated
code differentiates again. `y[i]` and `g[i]` are the parts of a tuple
result (eigh: w, v; qr: q, r; svd: u, s, vt) and of its adjoint.
Formulas: M. Giles, "An extended collection of matrix derivative results"
(2008); J. Townsend, "Differentiating the singular value decomposition"
(2016); I. Murray, "Differentiation of the Cholesky decomposition" (2016).

np.einsum takes any number of operands and np.linalg.svd returns a tuple or
an array by its options: `Forms` gives such calls one set of templates a
form.
"""
import gast
import numpy as np

from .. import runtime as ad
from ..build import const
from .operators import MATMUL_BATCHED, MATMUL_BY_NDIMS
from .registry import (LINEAR, RULES, Rule, define, linear, nondiff,
                       returns_sequence)

T = __name__
MAX_OPERANDS = 10  # the most operands an einsum rule takes


class Forms(Rule):
    """A rule whose templates depend on the form of the call.

    The core applies the templates of the parameters a call binds to a
    name. Here `choose(args, keywords)` reads the call (its number of
    operands, or an option's constant value) and returns its form and its
    `{name: node}` bindings, or None if it cannot be differentiated. The
    templates of parameter `p` in form `f` are keyed `p_f`; a call binds
    the keys of its own form to its arguments and every other key to None,
    so the core applies that form's templates only. Templates read the
    plain names (`a`), except a forward template's tangent (`da_f`).
    """

    def __init__(self, fn, signature, choose, forms):
        reverse, forward = {}, {}
        for form, (transposes, tangents) in forms.items():
            reverse.update({f"{p}_{form}": t for p, t in transposes.items()})
            forward.update({f"{p}_{form}": t for p, t in tangents.items()})
        kind = "linear" if set(forward.values()) == {LINEAR} else "define"
        super().__init__(fn, "f()", reverse, forward, kind, owner=T)
        self.name = fn.__name__
        self.signature = signature
        self.choose = choose

    def bind(self, args, keywords):
        chosen = self.choose(args, keywords)
        if chosen is None:
            return None
        form, bound = chosen
        for key in self.reverse:
            param, _, of = key.rpartition("_")
            bound[key] = bound[param] if of == form else const(None)
        return bound


def forms(fn, signature, choose, **templates):
    """Register a Forms rule; `templates` maps each form to a pair of
    {param: transpose} and {param: tangent} dicts."""
    RULES[fn] = Forms(fn, signature, choose, templates)


def by_option(signature, form_of):
    """A `choose` for calls that fit `signature`: `form_of(bound)` names
    the form from the bound arguments, or None."""
    bind = Rule(None, signature).bind

    def choose(args, keywords):
        bound = bind(args, keywords)
        form = form_of(bound) if bound is not None else None
        return None if form is None else (form, bound)
    return choose


def by_operands(*fixed):
    """A `choose` for fn(*fixed, *operands, optimize=...): the form is the
    number of operands, bound to x0, x1, ..."""
    def choose(args, keywords):
        operands = args[len(fixed):]
        if not 1 <= len(operands) <= MAX_OPERANDS or \
                any(key != "optimize" for key, _ in keywords):
            return None
        bound = dict(zip(fixed, args))
        bound.update((f"x{j}", op) for j, op in enumerate(operands))
        return str(len(operands)), bound
    return choose


def einsum_transposes(spec):
    """The transposes of einsum(spec, x0, x1, ...), one form an arity: the
    transpose in xj is einsum with xj's and the output's subscripts
    exchanged and g in xj's place."""
    out = {}
    for n in range(1, MAX_OPERANDS + 1):
        ops = [f"x{j}" for j in range(n)]
        out[str(n)] = ({
            op: f"ad.einsum(ad.einsum_swap({spec}, {j}), {op}, "
                + ", ".join(ops[:j] + ["g"] + ops[j + 1:]) + ")"
            for j, op in enumerate(ops)}, dict.fromkeys(ops, LINEAR))
    return out


def constant(node, *values):
    """True if `node` is a constant with one of `values`."""
    return isinstance(node, gast.Constant) and any(
        node.value is v or (type(node.value) is type(v) and node.value == v)
        for v in values)


# -- products -----------------------------------------------------------------
linear(np.vdot, "vdot(a, b)", T,
       a="g * np.reshape(b, np.shape(a))", b="g * np.reshape(a, np.shape(b))")
linear(np.inner, "inner(a, b)", T,
       a="ad.tensordot_grad_a(g, a, b, ad.inner_axes(a, b))",
       b="ad.tensordot_grad_b(g, a, b, ad.inner_axes(a, b))")
linear(np.outer, "outer(a, b)", T,
       a="np.reshape(np.dot(g, np.reshape(b, -1)), np.shape(a))",
       b="np.reshape(np.dot(np.reshape(a, -1), g), np.shape(b))")
linear(np.tensordot, "tensordot(a, b, axes=2)", T,
       a="ad.tensordot_grad_a(g, a, b, axes)",
       b="ad.tensordot_grad_b(g, a, b, axes)")
linear(np.kron, "kron(a, b)", T,
       a="ad.kron_grad_a(g, a, b)", b="ad.kron_grad_b(g, a, b)")
linear(np.cross, "cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None)", T,
       a="ad.cross_grad(g, a, b, axisa, axisb, axisc, axis)",
       b="ad.cross_grad(-g, b, a, axisb, axisa, axisc, axis)")
linear(np.trace, "trace(a, offset=0, axis1=0, axis2=1)", T, shape_only="a",
       a="ad.trace_grad(g, a, offset, axis1, axis2)")
forms(np.einsum, "einsum(subscripts, *operands, optimize=False)",
      by_operands("subscripts"), **einsum_transposes("subscripts"))
if hasattr(np.linalg, "vecdot"):  # NumPy 2's array API spellings
    linear(np.linalg.matmul, "matmul(a, b)", T, by_ndims=MATMUL_BY_NDIMS,
           a="ad.matmul_grad_a(g, a, b)", b="ad.matmul_grad_b(g, a, b)",
           batched=MATMUL_BATCHED)
    linear(np.linalg.matrix_transpose, "matrix_transpose(x)", T,
           x="ad.mT(g)")
    linear(np.linalg.vecdot, "vecdot(a, b, axis=-1)", T,
           a="ad.unbroadcast(ad.unreduce(g, ad.Like(a, b), axis) * b, a)",
           b="ad.unbroadcast(ad.unreduce(g, ad.Like(a, b), axis) * a, b)")
    linear(np.linalg.outer, "outer(a, b)", T, a="g @ b", b="a @ g")
    linear(np.linalg.tensordot, "tensordot(a, b, axes=2)", T,
           a="ad.tensordot_grad_a(g, a, b, axes)",
           b="ad.tensordot_grad_b(g, a, b, axes)")
    linear(np.linalg.cross, "cross(a, b, axis=-1)", T,
           a="ad.cross_grad(g, a, b, axis=axis)",
           b="ad.cross_grad(-g, b, a, axis=axis)")
    linear(np.linalg.trace, "trace(a, offset=0)", T, shape_only="a",
           a="ad.trace_grad(g, a, offset, -2, -1)")

# -- inverses and determinants ------------------------------------------------
define(np.linalg.inv, "inv(a)", owner=T,
       reverse={"a": "-ad.mT(y) @ g @ ad.mT(y)"},
       forward={"a": "-y @ da @ y"})
define(np.linalg.pinv, "pinv(a, rcond=None, hermitian=False)", owner=T,
       reverse={"a": "-ad.mT(y) @ g @ ad.mT(y)"
                     " + (ad.mT(g) - a @ y @ ad.mT(g)) @ y @ ad.mT(y)"
                     " + ad.mT(y) @ y @ (ad.mT(g) - ad.mT(g) @ y @ a)"},
       forward={"a": "-y @ da @ y"
                     " + y @ ad.mT(y) @ (ad.mT(da) - ad.mT(da) @ a @ y)"
                     " + (ad.mT(da) - y @ a @ ad.mT(da)) @ ad.mT(y) @ y"})
# solve(a, b) reads a 1-d b as a vector, any other b as a stack of matrices
define(np.linalg.solve, "solve(a, b)", owner=T, reverse={
    "a": "ad.unbroadcast(-np.linalg.solve(ad.mT(a), ad.as_column(g, b))"
         " @ ad.mT(ad.as_column(y, b)), a)",
    "b": "ad.unbroadcast(ad.from_column("
         "np.linalg.solve(ad.mT(a), ad.as_column(g, b)), b), b)"},
    forward={"a": "-ad.from_column(np.linalg.solve(a, da"
                  " @ ad.as_column(y, b)), b)",
             "b": "np.linalg.solve(a, db)"})
define(np.linalg.det, "det(a)", owner=T,
       reverse={"a": "ad.unreduce(g * y, a, (-2, -1))"
                     " * ad.mT(np.linalg.inv(a))"},
       forward={"a": "y * np.trace(np.linalg.solve(a, da), 0, -2, -1)"})
define(np.linalg.slogdet, "slogdet(a)", owner=T,
       reverse={"a": "ad.unreduce(g[1], a, (-2, -1))"
                     " * ad.mT(np.linalg.inv(a))"},
       forward={"a": "(np.zeros_like(y[0]),"
                     " np.trace(np.linalg.solve(a, da), 0, -2, -1))"})
# the top right block of [[a, da], [0, a]]**n is the derivative of a**n
define(np.linalg.matrix_power, "matrix_power(a, n)", owner=T,
       reverse={"a": "ad.top_right(np.linalg.matrix_power("
                     "ad.block(ad.mT(a), g), n))"},
       forward={"a": "ad.top_right(np.linalg.matrix_power("
                     "ad.block(a, da), n))"})

# -- decompositions -----------------------------------------------------------
# eigh and cholesky read one triangle of a: ad.sym_from(a, UPLO) is what
# they see. eig_gaps(w)[i, j] = 1 / (w[j] - w[i]).
define(np.linalg.eigh, "eigh(a, UPLO='L')", owner=T,
       reverse={"a": "ad.sym_from_t(ad.sandwich(y[1], g[0]) + y[1] @ ("
                     "ad.eig_gaps(y[0]) * (ad.mT(y[1]) @ g[1]))"
                     " @ ad.mT(y[1]), UPLO)"},
       forward={"a": "(ad.sandwich_t(y[1], ad.sym_from(da, UPLO)), y[1] @ ("
                     "ad.eig_gaps(y[0]) * (ad.mT(y[1])"
                     " @ ad.sym_from(da, UPLO) @ y[1])))"})
define(np.linalg.eigvalsh, "eigvalsh(a, UPLO='L')", owner=T,
       reverse={"a": "ad.sym_from_t(ad.sandwich("
                     "np.linalg.eigh(a, UPLO)[1], g), UPLO)"},
       forward={"a": "ad.sandwich_t(np.linalg.eigh(a, UPLO)[1],"
                     " ad.sym_from(da, UPLO))"})

LOWER = "ad.mT_if(y, upper)"  # cholesky's lower triangular factor
define(np.linalg.cholesky, "cholesky(a, upper=False)", owner=T,
       reverse={"a": f"ad.sym_from_t(ad.mT(np.linalg.solve(ad.mT({LOWER}),"
                     f" ad.mT(np.linalg.solve(ad.mT({LOWER}), ad.half_lower("
                     f"ad.mT({LOWER}) @ ad.mT_if(g, upper)))))), upper)"},
       forward={"a": f"ad.mT_if({LOWER} @ ad.half_lower(np.linalg.solve("
                     f"{LOWER}, ad.mT(np.linalg.solve({LOWER},"
                     f" ad.sym_from(da, upper))))), upper)"})

# qr of a square or tall a: with C = da @ inv(r) and U = q.T @ C folded onto
# its upper triangle, dr = U @ r and dq = C - q @ U
def qr_form(bound):
    return "qr" if constant(bound["mode"], "reduced") else None


R = "ad.qr_checked(y[1])"
C = f"ad.mT(np.linalg.solve(ad.mT({R}), ad.mT(da_qr)))"
U = f"ad.sym_from_t(ad.mT(y[0]) @ {C}, 'U')"
QR_SIGNATURE = "qr(a, mode='reduced')"
forms(np.linalg.qr, QR_SIGNATURE, by_option(QR_SIGNATURE, qr_form),
      qr=({"a": f"ad.mT(np.linalg.solve({R}, ad.mT(g[0] + y[0] @ ad.sym_from("
                f"y[1] @ ad.mT(g[1]) - ad.mT(g[0]) @ y[0]))))"},
          {"a": f"({C} - y[0] @ {U}, {U} @ y[1])"}))


# svd: a = u @ diag(s) @ vt, with F = eig_gaps(s * s), J = u.T @ gu,
# K = vt @ gvt.T, P = u.T @ da @ v; the terms divided by s are those of
# the columns of u (rows of vt) outside the span of the other factor.
def svd_form(bound):
    if not constant(bound["hermitian"], False):
        return None
    if constant(bound["compute_uv"], True):
        return "uv"
    return "values" if constant(bound["compute_uv"], False) else None


def singular_values(da):
    """The templates of the singular values alone, tangent `da`: they
    recompute u and vt."""
    thin = "np.linalg.svd(a, full_matrices=False)"
    return ({"a": f"({thin}[0] * g[..., None, :]) @ {thin}[2]"},
            {"a": f"ad.diag_part(ad.mT({thin}[0]) @ {da}"
                  f" @ ad.mT({thin}[2]))"})


F = "ad.eig_gaps(y[1] * y[1])"
J = "(ad.mT(y[0]) @ g[0])"
K = "(y[2] @ ad.mT(g[2]))"
P = "(ad.mT(y[0]) @ da_uv @ ad.mT(y[2]))"
ROW, COL = "y[1][..., None, :]", "y[1][..., :, None]"
SVD_SIGNATURE = "svd(a, full_matrices=True, compute_uv=True, hermitian=False)"
forms(np.linalg.svd, SVD_SIGNATURE, by_option(SVD_SIGNATURE, svd_form),
      uv=({"a": f"ad.svd_checked(y[0], y[2]) @ (ad.diag_embed(g[1])"
                f" + {F} * ({J} - ad.mT({J})) * {ROW}"
                f" + {COL} * ({F} * ({K} - ad.mT({K})))) @ y[2]"
                f" + (g[0] - y[0] @ {J}) / {ROW} @ y[2]"
                f" + y[0] @ ((g[2] - ad.mT({K}) @ y[2]) / {COL})"},
          {"a": f"(ad.svd_checked(y[0], y[2]) @ ({F} * ({P} * {ROW}"
                f" + {COL} * ad.mT({P})))"
                f" + (da_uv @ ad.mT(y[2]) - y[0] @ {P}) / {ROW},"
                f" ad.diag_part({P}),"
                f" -({F} * ({COL} * {P} + ad.mT({P}) * {ROW})) @ y[2]"
                f" + (ad.mT(y[0]) @ da_uv - {P} @ y[2]) / {COL})"}),
      values=singular_values("da_values"))
if hasattr(np.linalg, "svdvals"):  # NumPy 2
    svdvals_reverse, svdvals_forward = singular_values("da")
    define(np.linalg.svdvals, "svdvals(a)", owner=T,
           reverse=svdvals_reverse, forward=svdvals_forward)


# -- norms --------------------------------------------------------------------
def norm_form(bound):
    return "l2" if constant(bound["ord"], None, "fro") else "any"


# The 2- and Frobenius norms have derivative x / norm; any other norm
# sign(x) (|x| / norm)**(p - 1) on a mask, or one of singular values.
NORM_SIGNATURE = "norm(x, ord=None, axis=None, keepdims=False)"
SPREAD = "ad.unreduce({}, x, axis, keepdims)"
DIRECTION = (f"(np.sign(x) * (np.abs(x) / {SPREAD.format('y')})"
             " ** ad.norm_exponent(x, ord, axis) * ad.norm_mask(x, ord, axis)"
             " + ad.norm_svd_direction(x, ord, axis))")
forms(np.linalg.norm, NORM_SIGNATURE, by_option(NORM_SIGNATURE, norm_form),
      l2=({"x": f"x * {SPREAD.format('g / y')}"},
          {"x": "np.sum(x * dx_l2, axis=axis, keepdims=keepdims) / y"}),
      any=({"x": f"{SPREAD.format('g')} * {DIRECTION}"},
           {"x": f"np.sum(dx_any * {DIRECTION}, axis=axis,"
                 f" keepdims=keepdims)"}))

# -- the runtime helpers the rules above call ---------------------------------
linear(ad.mT, "mT(x)", T, x="ad.mT(g)")
linear(ad.mT_if, "mT_if(x, flag)", T, x="ad.mT_if(g, flag)")
linear(ad.diag_part, "diag_part(x)", T, shape_only="x",
       x="ad.diag_embed(g, x)")
linear(ad.diag_embed, "diag_embed(v, like=None)", T, v="ad.diag_part(g)")
linear(ad.sym_from, "sym_from(x, uplo='L')", T, x="ad.sym_from_t(g, uplo)")
linear(ad.sym_from_t, "sym_from_t(v, uplo='L')", T, v="ad.sym_from(g, uplo)")
linear(ad.half_lower, "half_lower(x)", T, x="ad.half_lower(g)")
linear(ad.as_column, "as_column(v, like)", T, v="ad.from_column(g, like)")
linear(ad.from_column, "from_column(v, like)", T, v="ad.as_column(g, like)")
linear(ad.svd_checked, "svd_checked(u, vt)", T, u="g")
linear(ad.qr_checked, "qr_checked(r)", T, r="g")
define(ad.block, "block(a, v)", owner=T,
       reverse={"a": "ad.block_sum(g)", "v": "ad.top_right(g)"},
       forward={"a": "ad.block(da, np.zeros_like(da))",
                "v": "ad.block(np.zeros_like(dv), dv)"})
linear(ad.top_right, "top_right(m)", T, m="ad.block(np.zeros_like(g), g)")
linear(ad.block_sum, "block_sum(m)", T, m="ad.block(g, np.zeros_like(g))")
define(ad.sandwich, "sandwich(v, d)", owner=T,
       reverse={"v": "(g + ad.mT(g)) @ v * d[..., None, :]",
                "d": "ad.sandwich_t(v, g)"},
       forward={"v": "(dv * d[..., None, :]) @ ad.mT(v)"
                     " + v @ ad.mT(dv * d[..., None, :])",
                "d": "ad.sandwich(v, dd)"})
define(ad.sandwich_t, "sandwich_t(v, s)", owner=T,
       reverse={"v": "(s + ad.mT(s)) @ v * g[..., None, :]",
                "s": "ad.sandwich(v, g)"},
       forward={"v": "np.sum(dv * ((s + ad.mT(s)) @ v), axis=-2)",
                "s": "ad.sandwich_t(v, ds)"})
define(ad.eig_gaps, "eig_gaps(w)", owner=T,
       reverse={"w": "np.sum(g * y * y, axis=-1)"
                     " - np.sum(g * y * y, axis=-2)"},
       forward={"w": "y * y * (dw[..., :, None] - dw[..., None, :])"})
linear(ad.tensordot_grad_a, "tensordot_grad_a(v, a, b, axes=2)", T,
       v="np.tensordot(g, b, axes)", b="ad.tensordot_grad_b(v, g, b, axes)")
linear(ad.tensordot_grad_b, "tensordot_grad_b(v, a, b, axes=2)", T,
       v="np.tensordot(a, g, axes)", a="ad.tensordot_grad_a(v, a, g, axes)")
linear(ad.kron_grad_a, "kron_grad_a(v, a, b)", T,
       v="np.kron(g, b)", b="ad.kron_grad_b(v, g, b)")
linear(ad.kron_grad_b, "kron_grad_b(v, a, b)", T,
       v="np.kron(a, g)", a="ad.kron_grad_a(v, a, g)")
linear(ad.cross_grad,
       "cross_grad(v, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None)", T,
       v="np.cross(g, b, axisa, axisb, axisc, axis)",
       b="ad.cross_grad(-v, b, g, axisb, axisa, axisc, axis)")
linear(ad.trace_grad, "trace_grad(v, like, offset=0, axis1=0, axis2=1)", T,
       v="np.trace(g, offset, axis1, axis2)")
forms(ad.einsum, "einsum(spec, like, *operands)", by_operands("spec", "like"),
      **einsum_transposes("spec"))
define(ad.norm_svd_direction, "norm_svd_direction(x, ord=None, axis=None)",
       owner=T, reverse={"x": "ad.norm_svd_curvature(g, x, ord, axis)"},
       forward={"x": "ad.norm_svd_curvature(dx, x, ord, axis)"})
linear(ad.norm_svd_curvature, "norm_svd_curvature(v, x, ord=None, axis=None)",
       T, v="ad.norm_svd_curvature(g, x, ord, axis)")

for fn in (ad.inner_axes, ad.einsum_swap, ad.norm_exponent, ad.norm_mask):
    nondiff(fn, owner=T)

returns_sequence(np.linalg.slogdet, np.linalg.eigh, np.linalg.qr,
                 np.linalg.svd)
