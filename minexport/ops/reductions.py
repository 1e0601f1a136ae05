"""Reductions: sum, mean, prod, amax/amin, max/min, argmax/argmin, var/std,
var_mean/std_mean, any/all, logsumexp, nansum/nanmean, aminmax, count_nonzero,
linalg_vector_norm, softmax and log_softmax (scans such as cumsum are in `scans`).

`reduction()` registers an op whose output drops (or keeps as size 1) the
reduced dims; a row gives its array function and its dtype rule.
"""
import numpy as np

from .. import dtypes as dt
from ..runtime.backends import array_namespace
from .._tensor import shape_numel
from ._common import c_order, check, dtype_of, fake_like, out_array, torch_type_name, wrap_dim, wrap_dims
from ._registry import FUNCTION_AND_METHOD, aten, register


def reduced_shape(shape, dims, keepdim):
    """Shape after reducing `dims` (already normalized)."""
    if keepdim:
        return tuple(1 if i in dims else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims)


# dtype rules: (input dtype, requested dtype, op name) -> (compute dtype, output dtype)
def sum_like(d, requested, name):
    """Integers and bools accumulate (and return) int64."""
    if requested is not None:
        return requested, requested
    r = d if d.is_floating_point else dt.int64
    return r, r


def float_required(d, requested, name):
    """Floating inputs only, unless a floating dtype is requested."""
    if requested is not None:
        d = requested
    check(d.is_floating_point, lambda: f"{name}(): could not infer output dtype. Input dtype must "
          f"be either a floating point or complex dtype. Got: {torch_type_name(d)}")
    return d, d


def keep(d, requested, name):
    """Output dtype equals the input dtype."""
    return d, d


def boolean(d, requested, name):
    """any/all: bool (uint8 stays uint8, as in torch)."""
    return d, (dt.uint8 if d is dt.uint8 else dt.bool)


def to_float(d, requested, name):
    """Integers compute in the default float dtype."""
    r = d if d.is_floating_point else dt.get_default_dtype()
    return r, r


def _dims_arg(ndim, dim):
    return wrap_dims(dim, ndim)


def reduction(schema, fn, rule, *, dims_param=True, single_dim=False, empty_ok=True, tags=(),
              decomposition=None):
    """Register a reduction (a `minexport.<name>` function and Tensor method).

    `fn(xp, a, axis, keepdims, **extra)` returns an array.
    """
    name = schema.split("(", 1)[0].split(".")[0]

    def resolve(self, args, kwargs):
        dim, keepdim = None, False
        if dims_param:
            dim = args[0] if args else kwargs.pop("dim", None)
            keepdim = args[1] if len(args) > 1 else kwargs.pop("keepdim", False)
        requested = kwargs.pop("dtype", None)
        ndim = len(self.shape)
        dims = (wrap_dim(dim, ndim),) if single_dim and dim is not None else _dims_arg(ndim, dim)
        return dims, keepdim, requested

    def meta(self, *args, **kwargs):
        kwargs = dict(kwargs)
        dims, keepdim, requested = resolve(self, args, kwargs)
        _, out = rule(self.dtype, requested, name)
        return fake_like(reduced_shape(self.shape, dims, keepdim), out, self)

    def kernel(xp, self, *args, **kwargs):
        if kwargs:
            kwargs = dict(kwargs)
        dims, keepdim, requested = resolve(self, args, kwargs)
        compute, out = rule(dtype_of(self), requested, name)
        a = self.astype(compute.numpy_dtype, copy=False)
        if not empty_ok:
            check(all(self.shape[d] != 0 for d in dims if self.ndim) and (self.size != 0 or dims),
                  lambda: f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        axis = dims if self.ndim else None
        return out_array(xp, fn(xp, a, axis, keepdim, **kwargs), out)

    return register(schema, meta=meta, kernel=kernel, tags=("reduction",) + tuple(tags),
                    variants=FUNCTION_AND_METHOD, decomposition=decomposition)


def _dtype_kw(dtype):
    return {"dtype": dtype} if dtype is not None else {}


# NumPy sums a C-contiguous array's trailing axes one row at a time (pairwise, with a fixed cost a row);
# einsum's "ij->i" sums all rows in one pass of its unrolled loop at 2-4x the speed (as fast as a BLAS
# product with a ones vector, without BLAS's threads, which stall when the cores are busy).  It adds a row
# up in order over a few accumulators: for rows up to 8192 elements the float32 error stays within a few
# units of the last place, like torch's (NumPy's pairwise sums are kept for longer rows).  No products
# are taken, so NaN, infinities and signed zeros sum as they do elementwise.
_ROW_SUM_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_ROW_SUM_MAX = 8192
# einsum's set-up pays off from 64K elements, or from 8K elements in at least 256 rows (NumPy's cost a row)
_ROW_SUM_MIN_SIZE, _ROW_SUM_MIN_ROWS, _ROW_SUM_MIN_ROWS_SIZE = 1 << 16, 256, 1 << 13


def _fast_row_sums(xp, a, axis, keepdims):
    """The sums over the trailing axes `axis` of a C-contiguous float32/float64 NumPy array in one einsum
    pass; None where that does not apply (other dtypes, layouts or axes, long rows, few rows)."""
    if not axis or xp is not np:
        return None
    size = a.size      # (fewer than 256 rows of at least the last dim's length: rejected first, cheaply)
    small = size < _ROW_SUM_MIN_SIZE
    if small and (size < _ROW_SUM_MIN_ROWS_SIZE or size < a.shape[-1] * _ROW_SUM_MIN_ROWS) \
            or a.dtype not in _ROW_SUM_DTYPES or not a.flags.c_contiguous:
        return None
    k, nd = len(axis), a.ndim
    n = shape_numel(a.shape[nd - k:])
    if n > _ROW_SUM_MAX or small and size < n * _ROW_SUM_MIN_ROWS or sorted(axis) != list(range(nd - k, nd)):
        return None
    r = np.einsum("ij->i", a.reshape(-1, n))
    lead = a.shape[:nd - k]
    return r.reshape(lead + (1,) * k if keepdims else lead)


def _sum(xp, a, axis, keepdims):
    r = _fast_row_sums(xp, a, axis, keepdims)
    return a.sum(axis=axis, keepdims=keepdims, dtype=a.dtype) if r is None else r


def _mean(xp, a, axis, keepdims):
    n = a.size if axis is None else shape_numel([a.shape[d] for d in axis])
    if n == 0:  # torch gives NaN for an empty mean, without NumPy's warning
        return xp.full(_reduced(a.shape, axis, keepdims), np.nan, dtype=a.dtype)
    r = _fast_row_sums(xp, a, axis, keepdims)
    if r is None:
        return a.mean(axis=axis, keepdims=keepdims)
    return np.true_divide(r, n, out=r)     # NumPy's mean: the sum in a's dtype, divided by the count


def _reduced(shape, axis, keepdims):
    return reduced_shape(shape, range(len(shape)) if axis is None else axis, keepdims)


def _prod(xp, a, axis, keepdims):
    return xp.prod(a, axis=axis, keepdims=keepdims, dtype=a.dtype)


def _amax(xp, a, axis, keepdims):
    return a.max(axis=axis, keepdims=keepdims)


def _amin(xp, a, axis, keepdims):
    return a.min(axis=axis, keepdims=keepdims)


def _any(xp, a, axis, keepdims):
    return xp.any(a, axis=axis, keepdims=keepdims)


def _all(xp, a, axis, keepdims):
    return xp.all(a, axis=axis, keepdims=keepdims)


def _logsumexp(xp, a, axis, keepdims):
    with np.errstate(all="ignore"):
        m = xp.max(a, axis=axis, keepdims=True) if a.size else xp.zeros((1,) * a.ndim, a.dtype)
        m = xp.where(xp.isfinite(m), m, 0)
        s = xp.log(xp.sum(xp.exp(a - m), axis=axis, keepdims=True)) + m
        return s if keepdims else xp.squeeze(s, axis=axis)


reduction("sum(Tensor self, *, ScalarType? dtype=None) -> Tensor", _sum, sum_like, dims_param=False,
          decomposition=lambda self, *, dtype=None: aten.sum.dim_IntList(self, [], **_dtype_kw(dtype)))
reduction("sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
          _sum, sum_like, tags=("core",))
reduction("mean(Tensor self, *, ScalarType? dtype=None) -> Tensor", _mean, float_required, dims_param=False,
          tags=("core",))
reduction("mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
          _mean, float_required, tags=("core",))
reduction("prod(Tensor self, *, ScalarType? dtype=None) -> Tensor", _prod, sum_like, dims_param=False,
          tags=("core",))
reduction("prod.dim_int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
          _prod, sum_like, single_dim=True, tags=("core",))
reduction("amax(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor", _amax, keep, empty_ok=False,
          tags=("core",))
reduction("amin(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor", _amin, keep, empty_ok=False,
          tags=("core",))
reduction("max(Tensor self) -> Tensor", _amax, keep, dims_param=False, empty_ok=False)
reduction("min(Tensor self) -> Tensor", _amin, keep, dims_param=False, empty_ok=False)
reduction("any(Tensor self) -> Tensor", _any, boolean, dims_param=False, tags=("core",))
reduction("any.dim(Tensor self, int dim, bool keepdim=False) -> Tensor", _any, boolean, single_dim=True,
          tags=("core",))
reduction("any.dims(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor", _any, boolean, tags=("core",))


# all(x) is not(any(not(x))), for each of its overloads
def _all_decomp(self):
    return aten.logical_not.default(aten.any.dims(aten.logical_not.default(self)))


def _all_dim_decomp(self, dim, keepdim=False):
    return aten.logical_not.default(aten.any.dim(aten.logical_not.default(self), dim, keepdim))


def _all_dims_decomp(self, dim=None, keepdim=False):
    return aten.logical_not.default(aten.any.dims(aten.logical_not.default(self), dim, keepdim))


reduction("all(Tensor self) -> Tensor", _all, boolean, dims_param=False, decomposition=_all_decomp)
reduction("all.dim(Tensor self, int dim, bool keepdim=False) -> Tensor", _all, boolean, single_dim=True,
          decomposition=_all_dim_decomp)
reduction("all.dims(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor", _all, boolean,
          decomposition=_all_dims_decomp)


def _logsumexp_decomp(self, dim, keepdim=False):
    if not self.dtype.is_floating_point:
        self = aten._to_copy.default(self, dtype=dt.get_default_dtype())
    # torch's order of ops: the infinite maxima zeroed, then squeezed, then the shifted sum
    m = aten.amax.default(self, dim, True)
    infinite = aten.eq.Scalar(aten.abs.default(m), float("inf"))
    m = aten.where.self(infinite, aten.scalar_tensor.default(0.0, dtype=self.dtype), m)
    m_out = m if keepdim else aten.squeeze.dims(m, list(dim))
    s = aten.log.default(aten.sum.dim_IntList(aten.exp.default(aten.sub.Tensor(self, m)), dim, keepdim))
    return aten.add.Tensor(s, m_out)


reduction("logsumexp(Tensor self, int[1] dim, bool keepdim=False) -> Tensor", _logsumexp, to_float,
          decomposition=_logsumexp_decomp)


# ------------------------------------------------------------- var / std --
def _var_args(ndim, dim, correction, unbiased):
    if correction is None:
        correction = 1 if unbiased else 0
    return wrap_dims(dim, ndim), correction


def _moment(sqrt):
    def fn(xp, a, axis, keepdims, correction):
        with np.errstate(all="ignore"):
            r = xp.var(a, axis=axis, keepdims=keepdims, ddof=correction)
            return xp.sqrt(r) if sqrt else r
    return fn


def _register_moment(name, sqrt):
    fn = _moment(sqrt)

    def make(schema, parse, tags=(), decomposition=None):
        def meta(self, *args, **kwargs):
            dims, _, keepdim = parse(len(self.shape), *args, **kwargs)
            _, out = float_required(self.dtype, None, name)
            return fake_like(reduced_shape(self.shape, dims, keepdim), out, self)

        def kernel(xp, self, *args, **kwargs):
            dims, correction, keepdim = parse(self.ndim, *args, **kwargs)
            d, out = float_required(dtype_of(self), None, name)
            return out_array(xp, fn(xp, self, dims if self.ndim else None, keepdim, correction), out)

        register(schema, meta=meta, kernel=kernel, tags=("reduction",) + tags, variants=FUNCTION_AND_METHOD,
                 decomposition=decomposition)

    # var is core (but its .default form); std is sqrt(var)
    var_then = (lambda v: aten.sqrt.default(v)) if sqrt else (lambda v: v)
    make(f"{name}(Tensor self, bool unbiased=True) -> Tensor",
         lambda nd, unbiased=True: (*_var_args(nd, None, None, unbiased), False),
         decomposition=lambda self, unbiased=True:
         var_then(aten.var.correction(self, None, correction=1 if unbiased else 0)))
    make(f"{name}.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> Tensor",
         lambda nd, dim, unbiased=True, keepdim=False: (*_var_args(nd, dim, None, unbiased), keepdim),
         tags=() if sqrt else ("core",),
         decomposition=lambda self, dim, unbiased=True, keepdim=False: var_then(
             aten.var.correction(self, dim, correction=1 if unbiased else 0, keepdim=keepdim)))
    make(f"{name}.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, bool keepdim=False) -> Tensor",
         lambda nd, dim=None, *, correction=None, keepdim=False:
         (*_var_args(nd, dim, correction, True), keepdim),
         tags=() if sqrt else ("core",),
         decomposition=(lambda self, dim=None, *, correction=None, keepdim=False: aten.sqrt.default(
             aten.var.correction(self, dim, correction=correction, keepdim=keepdim))) if sqrt else None)


_register_moment("var", False)
_register_moment("std", True)


# ------------------------------------------------------ max/min with dim --
def _register_arg_reduction(name, arg_fn):
    def meta(self, dim, keepdim=False):
        d = wrap_dim(dim, len(self.shape))
        shape = reduced_shape(self.shape, (d,), keepdim)
        return fake_like(shape, self.dtype, self), fake_like(shape, dt.int64, self)

    def kernel(xp, self, dim, keepdim=False):
        d = wrap_dim(dim, self.ndim)
        if self.ndim == 0:
            return self.copy(), xp.zeros((), dtype=np.int64)
        check(self.shape[d] != 0, lambda: f"{name}(): Expected reduction dim {d} to have non-zero size.")
        idx = arg_fn(self, axis=d, keepdims=True)
        vals = xp.take_along_axis(self, idx, axis=d)
        if not keepdim:
            idx, vals = xp.squeeze(idx, axis=d), xp.squeeze(vals, axis=d)
        return vals, idx.astype(np.int64)

    register(f"{name}.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
             meta=meta, kernel=kernel, tags=("reduction", "core"), variants=FUNCTION_AND_METHOD)

    def arg_meta(self, dim=None, keepdim=False):
        if dim is None:
            shape = (1,) * len(self.shape) if keepdim else ()
        else:
            shape = reduced_shape(self.shape, (wrap_dim(dim, len(self.shape)),), keepdim)
        return fake_like(shape, dt.int64, self)

    def arg_kernel(xp, self, dim=None, keepdim=False):
        check(self.size != 0 or (dim is not None and self.shape[wrap_dim(dim, self.ndim)] != 0),
              lambda: f"arg{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        if dim is None:
            r = arg_fn(self.reshape(-1), axis=0)
            r = xp.asarray(r).reshape((1,) * self.ndim if keepdim else ())
        elif self.ndim == 0:
            r = xp.zeros((), dtype=np.int64)
        else:
            r = arg_fn(self, axis=wrap_dim(dim, self.ndim), keepdims=keepdim)
        return out_array(xp, r, dt.int64)

    register(f"arg{name}(Tensor self, int? dim=None, bool keepdim=False) -> Tensor",
             meta=arg_meta, kernel=arg_kernel, tags=("reduction", "core"), variants=FUNCTION_AND_METHOD)


def _nan_first(arg):
    """argmax/argmin that, like torch, pick the first NaN when there is one."""
    def fn(a, axis, keepdims=False):
        r = arg(a, axis=axis, keepdims=keepdims)
        if a.dtype.kind == "f":
            xp = array_namespace(a)
            nan = xp.isnan(a)
            if nan.any():
                r = xp.where(nan.any(axis=axis, keepdims=keepdims),
                             xp.argmax(nan, axis=axis, keepdims=keepdims), r)
        return r
    return fn


_register_arg_reduction("max", _nan_first(np.argmax))
_register_arg_reduction("min", _nan_first(np.argmin))


# --------------------------------------------------------------- softmax --
def _softmax_array(xp, a, d, log, *, inplace=False):
    """softmax (or log_softmax) of `a` along `d`.

    `inplace=True` says the caller owns `a` (a fresh intermediate such as
    attention scores): the result is computed in a's own buffer.  Otherwise one
    output buffer is allocated and every later step writes into it.
    """
    if a.ndim == 0:
        return xp.zeros_like(a) if log else xp.ones_like(a)
    if a.shape[d] == 0:
        return a if inplace else a.copy()
    if d == a.ndim - 1 and xp is np:
        out = _softmax_rows(a, log, inplace)
        if out is not None:
            return out
    m = a.max(axis=d, keepdims=True)
    if not xp.isfinite(m).all():
        # rows holding inf/NaN: torch's NaN results (a row's +inf, -inf or NaN maximum makes the whole
        # row NaN), without NumPy's warnings
        with np.errstate(all="ignore"):
            return _softmax_shifted(xp, a, m, d, log, inplace)
    return _softmax_shifted(xp, a, m, d, log, inplace)


def _softmax_shifted(xp, a, m, d, log, inplace):
    """softmax of `a - m` along d: exp and the division happen in the shifted buffer."""
    z = xp.subtract(a, m, out=a if inplace else None)
    if log:
        s = xp.exp(z).sum(axis=d, keepdims=True)
        z -= xp.log(s)
        return z
    xp.exp(z, out=z)
    total = z.sum(axis=d, keepdims=True)
    if z.dtype in _RECIPROCAL_DTYPES and z.size >= _RECIPROCAL_MIN:
        # one division per row and a product per element (a divide costs twice a product here);
        # a row's sum is >= 1 (its max gives exp(0)) or 0, inf or NaN, whose reciprocals give the
        # same 0, NaN or inf results as the division
        z *= xp.reciprocal(total, out=total)
    else:
        z /= total          # (float16's reciprocal of a large sum would be subnormal)
    return z


_RECIPROCAL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_RECIPROCAL_MIN = 1 << 14     # elements: below, the extra call costs more than the cheaper products save

# softmax over the last axis of a C-contiguous float32/float64 array: the row sums in one einsum pass
# (`_fast_row_sums`'s reasoning: rows up to 8192 elements), 2x faster than NumPy's row by row sums
# (softmax's time is mostly exp's, which no reformulation here avoids).  Every other step is the general
# path's, so rows with inf or NaN give the same results.
_SOFTMAX_FAST_MIN = 1 << 15


def _softmax_rows(a, log, inplace):
    """softmax (log: log_softmax) along the last axis of NumPy array `a` with einsum row sums; None where
    that does not apply (other dtypes or layouts, small arrays, long rows)."""
    n = a.shape[-1]
    if a.size < _SOFTMAX_FAST_MIN or n > _ROW_SUM_MAX or a.dtype not in _ROW_SUM_DTYPES or \
            not a.flags.c_contiguous:
        return None
    x = a.reshape(-1, n)
    z = x if inplace else np.empty_like(x)
    m = x.max(axis=1, keepdims=True)
    with np.errstate(all="ignore"):      # (rows with a non-finite maximum come out NaN, as in torch)
        np.subtract(x, m, out=z)
        if log:
            z -= np.log(np.einsum("ij->i", np.exp(z)))[:, None]
        else:
            np.exp(z, out=z)
            total = np.einsum("ij->i", z)[:, None]
            z *= np.reciprocal(total, out=total)    # (a.size >= _RECIPROCAL_MIN: the general path's choice)
    return z.reshape(a.shape)


def _softmax_family(name, log):
    def out_dtype(d, dtype, half_to_float=False):
        if dtype is not None:
            d = dtype
        check(d.is_floating_point, lambda: f'"{name}_lastdim_kernel_impl" not implemented for '
                                            f"'{torch_type_name(d)}'")
        if half_to_float and d is dt.float16:
            d = dt.float32
        return d

    def meta(self, dim, dtype=None):
        wrap_dim(dim, len(self.shape))
        return fake_like(self.shape, out_dtype(self.dtype, dtype), self)

    def kernel(xp, self, dim, dtype=None):
        d = out_dtype(dtype_of(self), dtype)
        a = c_order(xp, self.astype(d.numpy_dtype, copy=False))     # (torch's results are contiguous)
        return out_array(xp, _softmax_array(xp, a, wrap_dim(dim, self.ndim), log), d)

    # softmax.int is _softmax after an optional cast
    def decomp(self, dim, dtype=None):
        if dtype is not None:
            self = aten._to_copy.default(self, dtype=dtype)
        return getattr(aten, f"_{name}").default(self, dim, False)

    register(f"{name}.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
             meta=meta, kernel=kernel, variants=FUNCTION_AND_METHOD, decomposition=decomp)

    def meta_(self, dim, half_to_float):
        wrap_dim(dim, len(self.shape))
        return fake_like(self.shape, out_dtype(self.dtype, None, half_to_float), self)

    def kernel_(xp, self, dim, half_to_float):
        d = out_dtype(dtype_of(self), None, half_to_float)
        a = c_order(xp, self.astype(d.numpy_dtype, copy=False))
        return out_array(xp, _softmax_array(xp, a, wrap_dim(dim, self.ndim), log), d)

    register(f"_{name}(Tensor self, int dim, bool half_to_float) -> Tensor", meta=meta_, kernel=kernel_,
             tags=("core",))


_softmax_family("softmax", False)
_softmax_family("log_softmax", True)


# ------------------------------------------------------ nansum, nanmean --
def _nan_to_zero(xp, a):
    return xp.where(xp.isnan(a), 0, a) if a.dtype.kind == "f" else a


def _nansum(xp, a, axis, keepdims):
    return _sum(xp, _nan_to_zero(xp, a), axis, keepdims)


def _nanmean(xp, a, axis, keepdims):
    count = (~xp.isnan(a)).sum(axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):   # a slice of NaNs only is NaN, as in torch
        return (_nansum(xp, a, axis, keepdims) / count).astype(a.dtype)


def _nan_float_required(d, requested, name):
    check(d.is_floating_point, lambda: f"{name}(): expected input to have floating point or complex dtype but "
                                       f"got {torch_type_name(d)}")
    return float_required(d, requested, name)


def _nansum_decomp(self, dim=None, keepdim=False, *, dtype=None):
    nan = aten.isnan.default(self)
    clean = aten.where.self(nan, aten.scalar_tensor.default(0, dtype=self.dtype), self)
    return aten.sum.dim_IntList(clean, dim, keepdim, **_dtype_kw(dtype))


# nanmean is the NaN-free sum over the count of non-NaN elements (x != x marks the NaNs)
def _nanmean_decomp(self, dim=None, keepdim=False, *, dtype=None):
    same = aten.alias.default(self)
    count = aten.sum.dim_IntList(aten.logical_not.default(aten.ne.Tensor(same, same)), dim, keepdim)
    return aten.div.Tensor(_nansum_decomp(self, dim, keepdim, dtype=dtype), count)


reduction("nansum(Tensor self, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
          _nansum, sum_like, decomposition=_nansum_decomp)
reduction("nanmean(Tensor self, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
          _nanmean, _nan_float_required, decomposition=_nanmean_decomp, tags=())


# --------------------------------------------------- var_mean, std_mean --
def _register_moment_mean(name, sqrt):
    """var_mean / std_mean: (var or std, mean) in one op; torch decomposes all to var_mean.correction."""
    def make(schema, parse, decomposition=None):
        def meta(self, *args, **kwargs):
            dims, _, keepdim = parse(len(self.shape), *args, **kwargs)
            check(self.dtype.is_floating_point, f"{name} only support floating point and complex dtypes")
            out = fake_like(reduced_shape(self.shape, dims, keepdim), self.dtype, self)
            return out, fake_like(out.shape, self.dtype, self)

        def kernel(xp, self, *args, **kwargs):
            dims, correction, keepdim = parse(self.ndim, *args, **kwargs)
            check(dtype_of(self).is_floating_point, f"{name} only support floating point and complex dtypes")
            axis = dims if self.ndim else None
            return _moment(sqrt)(xp, self, axis, keepdim, correction), _mean(xp, self, axis, keepdim)

        register(schema, meta=meta, kernel=kernel, variants=("function",), decomposition=decomposition,
                 tags=("reduction",))

    def via_correction(dim, correction, keepdim, self):
        var, mean = aten.var_mean.correction(self, dim, correction=correction, keepdim=keepdim)
        return (aten.sqrt.default(var) if sqrt else var), mean

    make(f"{name}(Tensor self, bool unbiased=True) -> (Tensor, Tensor)",
         lambda nd, unbiased=True: (*_var_args(nd, None, None, unbiased), False),
         decomposition=lambda self, unbiased=True: via_correction(None, 1 if unbiased else 0, False, self))
    make(f"{name}.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> (Tensor, Tensor)",
         lambda nd, dim, unbiased=True, keepdim=False: (*_var_args(nd, dim, None, unbiased), keepdim),
         decomposition=lambda self, dim, unbiased=True, keepdim=False:
         via_correction(dim, 1 if unbiased else 0, keepdim, self))
    make(f"{name}.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, bool keepdim=False) -> "
         "(Tensor, Tensor)",
         lambda nd, dim=None, *, correction=None, keepdim=False: (*_var_args(nd, dim, correction, True), keepdim),
         decomposition=None if not sqrt else lambda self, dim=None, *, correction=None, keepdim=False:
         via_correction(dim, correction, keepdim, self))


_register_moment_mean("var_mean", False)
_register_moment_mean("std_mean", True)


# --------------------------------------------------------------- aminmax --
def _aminmax_dims(self, dim):
    ndim = len(self.shape)
    if dim is None:
        check(shape_numel(self.shape) != 0, "aminmax(): cannot compute aminmax over an empty dimension as the "
                                            "operation has no identity.")
        return tuple(range(ndim))
    d = wrap_dim(dim, ndim)
    check(ndim == 0 or self.shape[d] != 0,
          lambda: f"aminmax: Expected reduction dim {d} to have non-zero size.", IndexError)
    return (d,)


def _aminmax_meta(self, *, dim=None, keepdim=False):
    shape = reduced_shape(self.shape, _aminmax_dims(self, dim), keepdim)
    return fake_like(shape, self.dtype, self), fake_like(shape, self.dtype, self)


def _aminmax_kernel(xp, self, *, dim=None, keepdim=False):
    dims = _aminmax_dims(self, dim)
    axis = dims if self.ndim else None
    if self.ndim == 0 and keepdim is False:
        return self.copy(), self.copy()
    return out_array(xp, _amin(xp, self, axis, keepdim), dtype_of(self)), \
        out_array(xp, _amax(xp, self, axis, keepdim), dtype_of(self))


def _aminmax_decomp(self, *, dim=None, keepdim=False):
    if dim is None and not keepdim:
        return aten.amin.default(self), aten.amax.default(self)
    dims = [] if dim is None else [dim]
    return aten.amin.default(self, dims, keepdim), aten.amax.default(self, dims, keepdim)


register("aminmax(Tensor self, *, int? dim=None, bool keepdim=False) -> (Tensor min, Tensor max)",
         meta=_aminmax_meta, kernel=_aminmax_kernel, tags=("reduction",), variants=FUNCTION_AND_METHOD,
         decomposition=_aminmax_decomp)


# --------------------------------------------------------- count_nonzero --
def _count_nonzero(xp, a, axis, keepdims):
    return xp.count_nonzero(a, axis=axis)


def _count_nonzero_decomp(self, dim=None):
    dims = None if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    return aten.sum.dim_IntList(aten.ne.Scalar(self, 0), dims)


def _int64(d, requested, name):
    return d, dt.int64


reduction("count_nonzero(Tensor self, int? dim=None) -> Tensor", _count_nonzero, _int64, single_dim=True,
          decomposition=_count_nonzero_decomp)
reduction("count_nonzero.dim_IntList(Tensor self, int[] dim) -> Tensor", _count_nonzero, _int64,
          decomposition=_count_nonzero_decomp)


# ---------------------------------------------------- linalg_vector_norm --
def _norm_dtype(d, requested):
    check(d.is_floating_point, lambda: "linalg.vector_norm: Expected a floating point or complex tensor as input. "
                                       f"Got {torch_type_name(d)}")
    if requested is None:
        return d
    check(dt.promote_types(d, requested) is requested,
          lambda: f"linalg.vector_norm: the dtype of the input ({torch_type_name(d)}) should be convertible "
                  f"without narrowing to the specified dtype ({torch_type_name(requested)})")
    return requested


def _ord_text(ord):
    return "inf" if ord == float("inf") else "-inf" if ord == -float("inf") else str(ord)


def _norm_check_empty(shape, dims, ord):
    check(ord >= 0 and ord != float("inf") or all(shape[d] != 0 for d in dims),
          lambda: f"linalg.vector_norm cannot compute the {_ord_text(ord)} norm on an empty tensor because the "
                  "operation does not have an identity")


def vector_norm_array(xp, a, ord, axis, keepdims):
    """The `ord`-norm of `a` over `axis` (None: all): max/min |a| at +-inf, the nonzero count at 0."""
    if a.dtype == np.float16:     # half precision accumulates in float32, as torch's kernels do
        return vector_norm_array(xp, a.astype(np.float32), ord, axis, keepdims).astype(np.float16)
    x = xp.abs(a)
    if ord == float("inf"):
        return x.max(axis=axis, keepdims=keepdims)
    if ord == -float("inf"):
        return x.min(axis=axis, keepdims=keepdims)
    if ord == 0:
        return (x != 0).sum(axis=axis, keepdims=keepdims).astype(a.dtype)
    if ord == 1:
        return x.sum(axis=axis, keepdims=keepdims)
    with np.errstate(divide="ignore", over="ignore"):
        if ord == 2:
            return xp.sqrt((x * x).sum(axis=axis, keepdims=keepdims))
        return (x ** ord).sum(axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _vector_norm_meta(self, ord=2, dim=None, keepdim=False, *, dtype=None):
    out = _norm_dtype(self.dtype, dtype)
    dims = wrap_dims(dim, len(self.shape))
    _norm_check_empty(self.shape, dims, ord)
    return fake_like(reduced_shape(self.shape, dims, keepdim), out, self)


def _vector_norm_kernel(xp, self, ord=2, dim=None, keepdim=False, *, dtype=None):
    out = _norm_dtype(dtype_of(self), dtype)
    dims = wrap_dims(dim, self.ndim)
    _norm_check_empty(self.shape, dims, ord)
    a = self.astype(out.numpy_dtype, copy=False)
    return out_array(xp, vector_norm_array(xp, a, ord, dims if self.ndim else None, keepdim), out)


register("linalg_vector_norm(Tensor self, Scalar ord=2, int[1]? dim=None, bool keepdim=False, *, "
         "ScalarType? dtype=None) -> Tensor", meta=_vector_norm_meta, kernel=_vector_norm_kernel,
         tags=("reduction",))
