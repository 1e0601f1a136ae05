"""Derive an in-place op (`add_.Tensor`) from its functional twin (`add.Tensor`).

The in-place op computes the functional result, then writes it into `self`.
torch's two rules for in-place ops are checked by both meta and kernel: the
result dtype must be castable to self's dtype (no float result into an int
tensor), and the broadcast result shape must equal self's shape.
"""
from .. import dtypes as dt
from .._tensor import Tensor
from ._common import check, dtype_of, fmt_shape, shape_of, torch_type_name
from ._registry import pair_inplace, register
from ..runtime.narrowing import assign


def _check_inplace(self_dtype, self_shape, out_dtype, out_shape, op_name):
    check(dt.can_cast(out_dtype, self_dtype),
          lambda: f"{op_name}: result type {torch_type_name(out_dtype)} can't be cast to "
                  f"the desired output type {torch_type_name(self_dtype)}")
    check(tuple(out_shape) == tuple(self_shape),
          lambda: f"{op_name}: output with shape {fmt_shape(self_shape)} doesn't match the "
                  f"broadcast shape {fmt_shape(out_shape)}")


def write_into(xp, dst, value):
    """Copy `value` into array `dst` in place, broadcasting and casting like torch."""
    try:
        if hasattr(value, "shape") and value.shape == dst.shape and value.dtype == dst.dtype:
            xp.copyto(dst, value)
        else:
            assign(dst, value)
    except ValueError as e:
        if "read-only" in str(e):
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location (it is an expand()ed view). Please clone() the "
                "tensor before performing the operation.") from None
        raise
    return dst


def _writeable(array):
    """Whether an array says it may be written (NumPy's flags; an array without them is not trusted)."""
    return getattr(getattr(array, "flags", None), "writeable", False)


def register_inplace(functional, schema, *, check_shape=True, variants=None, decomposition=None, into_self=None):
    """Register the in-place op for `functional` under `schema`; returns it.

    `into_self(xp, self, *args)`: computes the result into self where it can (default: the functional
    twin's donating kernel; see `kernel` below).

    The in-place op is a Tensor method (`x.add_(y)`) when its functional twin is
    one, unless `variants` says otherwise.
    """
    if variants is None:
        variants = ("method",) if "method" in functional.variants else ()
    name = schema.split("(", 1)[0]

    def meta(self, *args, **kwargs):
        out = functional.meta(self, *args, **kwargs)
        _check_inplace(self.dtype, self.shape, out.dtype,
                       out.shape if check_shape else self.shape, name)
        return self

    donating = into_self or functional.donating_kernel

    # With a donating twin (relu_, sigmoid_, gelu_, ...; add_, sub_, mul_ through their ufunc) eager mode
    # computes into self as the plan of ep.module() does: that kernel writes into its argument only when
    # the result has the argument's dtype and shape (so torch's two rules hold) and returns a fresh result
    # otherwise, which is checked and copied in as every in-place op's is.  A read-only self (an expanded
    # view) takes the general path, whose copy raises torch's error.
    def kernel(xp, self, *args, **kwargs):
        if donating is not None and _writeable(self):
            out = donating(xp, self, *args, **kwargs)
            if out is self:
                return self
        else:
            out = functional.kernel(xp, self, *args, **kwargs)
        _check_inplace(dtype_of(self), self.shape, dtype_of(out),
                       shape_of(out) if check_shape else self.shape, name)
        return write_into(xp, self, out)

    op = register(schema, meta=meta, kernel=kernel, tags=("inplace",), variants=variants,
                  decomposition=decomposition)
    if functional.specialize is not None:
        op.specialize = _inplace_specializer(functional, name, check_shape, kernel)
    pair_inplace(functional, op)
    return op


def _inplace_specializer(functional, op_name, check_shape, eager_kernel):
    """`specialize` for the in-place op: the functional twin's specialized kernel, written into self, or,
    where the twin can compute into self, the in-place op's own kernel (`eager_kernel`).

    torch's two in-place rules are checked here, once, from the fake values;
    so every size involved must be static (else no specialization).
    """
    def specialize(args, kwargs, donate, strides_known=False):
        self = args[0]
        if not isinstance(self, Tensor):
            return None
        try:
            out = functional.meta(*args, **kwargs)
            _check_inplace(self.dtype, self.shape, out.dtype, out.shape if check_shape else self.shape, op_name)
        except (RuntimeError, TypeError, ValueError):
            return None
        if not all(type(d) is int for d in tuple(self.shape) + tuple(out.shape)):
            return None
        # (strides taken as known: the twin's result is copied into self, so its own layout does not matter)
        special = functional.specialize(args, kwargs, False, True)
        if special is None:
            return None
        fn, spec_args = special

        def kernel(xp, self, *rest, **kw):
            return write_into(xp, self, fn(xp, self, *rest, **kw))
        if functional.donating_kernel is None or out.dtype is not self.dtype \
                or tuple(out.shape) != tuple(self.shape):
            return kernel, spec_args
        # When the functional twin can compute into its first argument (its donating kernel) and the
        # result has self's dtype and shape, the in-place op is the eager in-place kernel, which runs
        # that kernel on self itself: no fresh result and no copy back (relu_, hardtanh_, silu_ of a
        # conv net); a fresh result or a read-only self take its general path.
        return eager_kernel, args
    return specialize
