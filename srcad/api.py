"""The public transforms: grad, value_and_grad, vjp, jvp, jacobian, hessian,
source.

Each transform is built lazily: the first call (or `.source`) runs the
pipeline, so a decorated function may use helpers defined further down its
module. Later calls go straight to the cached compiled function.
"""
import functools
import inspect

import numpy as np

from . import pipeline
from .kinds import kinds
from . import runtime as ad
from .errors import UsageError
from .rules.registry import nondiff, undifferentiable
from .runtime_batch import output_shape


class Transformed:
    """A compiled derivative of `fn`, called like `fn`."""

    def __init__(self, fn, kind, wrt, mode, optimize):
        if not callable(fn):
            raise UsageError(f"expected a function to differentiate, got "
                             f"{fn!r}")
        _check_mode(mode)
        self.fn = fn
        self.kind = kind
        self.wrt = _freeze(wrt)
        self.mode = mode
        self.optimize = optimize
        functools.update_wrapper(self, fn, updated=())

    def _generated(self):
        return pipeline.cached(self.fn, self.kind, self.wrt, self.mode,
                               self.optimize)

    def __call__(self, *args, **kwargs):
        if pipeline.loops(self.fn):
            # a derivative of a function with loops is compiled once per
            # kind of arguments (shapes known equal cost no helper call per
            # iteration); the version checks the kinds it assumes first and
            # hands other calls to theirs (kinds.guard)
            entry = pipeline.cached(self.fn, self.kind, self.wrt, self.mode,
                                    self.optimize, kinds(args, kwargs)).entry
        else:
            entry = self._generated().entry
        # From now on calls go straight to that function: a class whose
        # __call__ is it costs no Python frame of ours.
        self.__class__ = _direct_class(entry)
        return entry(*args, **kwargs)

    def _srcad_function(self):
        """The generated function, for capturing it again."""
        return self._generated().entry

    @property
    def source(self):
        """The generated Python source of this derivative."""
        return self._generated().source

    def __repr__(self):
        return (f"<srcad {self.kind} of {getattr(self.fn, '__qualname__', self.fn)}"
                f" wrt={self.wrt!r} mode={self.mode}>")

    # Two transforms of one function with the same options are the same
    # derivative: srcad.grad(f) made anew inside a function that is
    # differentiated finds the derivatives built for the first (they are
    # cached by it), rather than building them again on every call.
    def _key(self):
        return self.fn, self.kind, self.wrt, self.mode, self.optimize

    def __eq__(self, other):
        return isinstance(other, Transformed) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())


_DIRECT = {}


def _direct_class(entry):
    cls = _DIRECT.get(entry)
    if cls is None:
        cls = _DIRECT[entry] = type(
            "Transformed", (Transformed,), {"__call__": staticmethod(entry)})
    return cls


def forget_compiled():
    """Send every Transformed back through the cache on its next call."""
    for cls in _DIRECT.values():
        del cls.__call__
    _DIRECT.clear()


def _freeze(wrt):
    return tuple(wrt) if isinstance(wrt, list) else wrt


def _check_mode(mode):
    if mode not in ("reverse", "forward"):
        raise UsageError(f"mode must be 'reverse' or 'forward', not {mode!r}")


def _transform(kind, f, wrt, mode, optimize):
    if f is None:
        return lambda fn: Transformed(fn, kind, wrt, mode, optimize)
    return Transformed(f, kind, wrt, mode, optimize)


def grad(f=None, wrt=0, mode="reverse", optimize=True):
    """The gradient of scalar-valued `f` with respect to argument(s) `wrt`.

    Usable as `grad(f)`, `@grad` or `@grad(wrt="w")`. With a tuple `wrt`
    the result is a tuple of gradients, one per argument.
    """
    return _transform("grad", f, wrt, mode, optimize)


def value_and_grad(f=None, wrt=0, mode="reverse", optimize=True):
    """Like grad, but returns `(f(*args), gradient)` from one pass."""
    return _transform("value_and_grad", f, wrt, mode, optimize)


def vjp(f, *primals, optimize=True):
    """`(f(*primals), pullback)`; `pullback(ct)` returns one cotangent per
    primal, as a tuple, from the saved forward pass (no recomputation)."""
    wrt = tuple(range(len(primals)))
    generated = pipeline.cached(f, "vjp", wrt, "reverse", optimize,
                                pipeline.known_for(f, primals))
    fwd = generated.entry
    bwd = generated.backward
    out, residuals = fwd(*primals)

    def pullback(cotangent):
        return bwd(residuals, cotangent)
    return out, pullback


def source(f, mode="reverse", wrt=0, optimize=True, kind="grad", args=None):
    """The generated source of `kind` (grad by default) of `f`; given
    `args`, the version a call with those arguments runs (for a function
    with loops, specialized to their kinds)."""
    _check_mode(mode)
    known = None if args is None else pipeline.known_for(f, args)
    return pipeline.cached(f, kind, _freeze(wrt), mode, optimize,
                           known).source


def jvp(f, primals, tangents, optimize=True):
    """`(f(*primals), tangent of the output)` for input `tangents`, in
    forward mode. A tangent None is zeros (that input held still)."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise UsageError(f"jvp needs one tangent per primal; got "
                         f"{len(primals)} primals and {len(tangents)} "
                         f"tangents")
    tangents = tuple(ad.zeros_like(p) if t is None else t
                     for p, t in zip(primals, tangents))
    for k, (p, t) in enumerate(zip(primals, tangents)):
        if not isinstance(p, (list, tuple)) and np.shape(t) != np.shape(p):
            raise UsageError(f"jvp: the tangent of primal {k} has shape "
                             f"{np.shape(t)}, the primal {np.shape(p)}; a "
                             f"tangent has its primal's shape")
    wrt = tuple(range(len(primals)))
    generated = pipeline.cached(f, "jvp", wrt, "forward", optimize,
                                pipeline.known_for(f, primals))
    # by name: a parameter left to its default comes between the primals
    # and the tangents
    return generated.entry(*primals, **dict(zip(generated.tangents,
                                                tangents)))


def jacobian(f, wrt=0, mode="reverse"):
    """A function returning the Jacobian of `f`, shape out.shape + in.shape
    (a tuple of them for a tuple `wrt`). A tuple or list of outputs of one
    shape counts as their stack, `np.asarray(out)`: out.shape is
    (len(out),) + the outputs' shape."""
    _check_mode(mode)
    columns = _jacobian_forward if mode == "forward" else _jacobian_reverse

    def jac(*args, **kwargs):
        args = _complete(f, args, kwargs)
        positions = _positions(f, wrt, len(args))
        for p in positions:
            _check_one_shape(f, args[p], p)
        blocks = columns(f, args, positions)
        return blocks if isinstance(wrt, tuple) else blocks[0]
    jac._srcad_not_again = (
        "the function srcad.jacobian (or srcad.hessian) returns is not "
        "differentiated again: differentiate srcad.grad instead, whose "
        "result is (srcad.grad(srcad.grad(f)) for a scalar's second "
        "derivative, srcad.jacobian(srcad.grad(f)) for a Hessian, "
        "srcad.jacobian of a function returning srcad.grad(F)(x) for the "
        "derivative of a gradient)")
    return jac


def hessian(f, wrt=0):
    """A function returning the Hessian of scalar `f`, forward over
    reverse: the forward-mode Jacobian of the reverse-mode gradient."""
    if isinstance(wrt, tuple):
        raise UsageError("hessian takes one argument to differentiate by; "
                         "pass wrt as a position or a name")
    return jacobian(grad(f, wrt=wrt), wrt=wrt, mode="forward")


def _check_one_shape(f, arg, position):
    """A Jacobian's columns are indexed by the argument's shape: a tuple or
    list of items of different shapes has none."""
    if isinstance(arg, (list, tuple)) and \
            len({np.shape(item) for item in arg}) > 1:
        name = list(_signature(f).parameters)[position]
        raise UsageError(
            f"jacobian with respect to '{name}', a {type(arg).__name__} of "
            f"items of different shapes, has no one shape for its columns; "
            f"pass the items as separate arguments and take the Jacobian "
            f"with respect to each (wrt=(...)), or use srcad.vjp / "
            f"srcad.jvp")


def _jacobian_reverse(f, args, positions):
    # a pullback with respect to the wrt arguments only, run once per
    # element of the output from one forward pass
    generated = pipeline.cached(f, "vjp", tuple(positions), "reverse", True,
                                pipeline.known_for(f, args))
    out, saved = generated.entry(*args)
    shape = output_shape(out)
    rows = []
    for i in range(int(np.prod(shape))):
        ct = np.zeros(shape)
        ct.flat[i] = 1.0
        rows.append(generated.backward(saved, ct if shape else 1.0))
    return [_stack([r[k] for r in rows], shape, np.shape(args[p]),
                   ad.jacobian_dtype(out, args[p]))
            for k, p in enumerate(positions)]


def _jacobian_forward(f, args, positions):
    # every column at once: the batched jvp, one direction per element
    generated = pipeline.cached(f, "jvps", tuple(positions), "forward",
                                True, pipeline.known_for(f, args))
    sequences = [p for p, name in zip(positions, generated.params)
                 if name in generated.sequences]
    return ad.jacobian_by_batch(generated.entry, args, positions, sequences)


def _stack(parts, lead, trail, dtype):
    stacked = np.stack([np.asarray(p, dtype=dtype) for p in parts]) \
        if parts else np.zeros((0,) + tuple(trail), dtype)
    return stacked.reshape(tuple(lead) + tuple(trail))


_SIGNATURES = {}  # function -> its signature (inspect is slow)


def _signature(f):
    sig = _SIGNATURES.get(f)
    if sig is None:
        sig = _SIGNATURES[f] = inspect.signature(f)
    return sig


def _complete(f, args, kwargs):
    """The arguments of a call `f(*args, **kwargs)` as one tuple, with the
    defaults of those not given: the generated functions take tangents
    after all of f's parameters."""
    sig = _signature(f)
    if not kwargs and len(args) == len(sig.parameters):
        return args
    bound = sig.bind(*args, **kwargs)  # a TypeError as f itself gives
    bound.apply_defaults()
    return bound.args


def _positions(f, wrt, nargs):
    params = list(_signature(f).parameters)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    out = []
    for w in items:
        if isinstance(w, str):
            if w not in params:
                raise UsageError(f"wrt={w!r} names no parameter of {f!r}")
            out.append(params.index(w))
        else:
            out.append(w % nargs)
    return out


# Building a transform inside a differentiated function carries no
# derivative; calling the transform it returns is differentiated in turn,
# except the plain Python functions jacobian and hessian return.
for _builder in (grad, value_and_grad, jacobian, hessian):
    nondiff(_builder, owner="srcad.api")
for _builder, _row in ((jacobian, "F(x)[i]"),
                       (hessian, "srcad.grad(F)(x)[i]")):
    _name = _builder.__name__
    nondiff(_builder, owner="srcad.api").opaque = (
        f"the result of srcad.{_name}(...) cannot be differentiated from "
        f"inside a function: compute the {_name} outside the function being "
        f"differentiated, or write what you need with srcad.grad, whose "
        f"result is differentiated in turn (row i of the {_name} of F is "
        f"the gradient of {_row}).")
undifferentiable(vjp, (
    "srcad.vjp cannot be differentiated from inside a function: its "
    "pullback holds values srcad does not follow. The pullback of F at x "
    "applied to ct is the gradient of np.sum(F(x) * ct): write that as a "
    "function and call srcad.grad of it here, which is differentiated in "
    "turn."))
undifferentiable(jvp, (
    "srcad.jvp cannot be differentiated from inside a function: a "
    "forward-mode result is not differentiated again. The tangent of a "
    "scalar F at x along v is np.sum(srcad.grad(F)(x) * v), which is "
    "differentiated in turn; or call srcad.jvp outside the function."))
