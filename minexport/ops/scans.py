"""Scans along one dim: cumsum, cumprod (and their in-place forms), cummax,
cummin and logcumsumexp.
"""
import numpy as np

from .. import dtypes as dt
from ._common import check, dtype_of, fake_like, out_array, torch_type_name, wrap_dim
from ._inplace import register_inplace
from ._registry import FUNCTION_AND_METHOD, register
from ..runtime.backends import ufunc_accumulate
from .reductions import sum_like


# ------------------------------------------------------ cumsum, cumprod --
def _accumulating(name, accumulate):
    """(meta, kernel) of a scan whose dtype follows sum's rule (integers and bools accumulate int64)."""
    def meta(self, dim, *, dtype=None):
        wrap_dim(dim, len(self.shape))
        _, out = sum_like(self.dtype, dtype, name)
        return fake_like(self.shape, out, self)

    def kernel(xp, self, dim, *, dtype=None):
        d = wrap_dim(dim, self.ndim)
        compute, out = sum_like(dtype_of(self), dtype, name)
        # torch's CPU scans of float32 accumulate in float64 and round each result once (bit for bit:
        # a float32 running sum drifts, 1e-3 off after 100K terms)
        a = self.astype(compute.numpy_dtype, copy=False)
        if compute is dt.float32:
            a = a.astype(np.float64)
        return out_array(xp, accumulate(xp, a, d) if self.ndim else a.copy(), out)
    return meta, kernel


for _name, _fn, _core in (("cumsum", lambda xp, a, d: xp.cumsum(a, axis=d, dtype=a.dtype), True),
                          ("cumprod", lambda xp, a, d: xp.cumprod(a, axis=d, dtype=a.dtype), False)):
    _meta, _kernel = _accumulating(_name, _fn)
    _op = register(f"{_name}(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor", meta=_meta,
                   kernel=_kernel, tags=("core",) if _core else (), variants=FUNCTION_AND_METHOD)
    register_inplace(_op, f"{_name}_(Tensor(a!) self, int dim, *, ScalarType? dtype=None) -> Tensor(a!)")


# ------------------------------------------------------- cummax, cummin --
def _running(name, ufunc):
    """cummax / cummin: the running extreme, NaN sticking once seen, and where it was last reached."""
    def meta(self, dim):
        wrap_dim(dim, len(self.shape))
        return fake_like(self.shape, self.dtype, self), fake_like(self.shape, dt.int64, self)

    def kernel(xp, self, dim):
        d = wrap_dim(dim, self.ndim)
        if self.ndim == 0:
            return self.copy(), xp.zeros((), dtype=np.int64)
        vals = ufunc_accumulate(xp, ufunc, self, d)   # maximum/minimum propagate NaN
        # position j "reaches" the running extreme when it equals it (ties: the later one wins, as
        # torch's >= / <=) or is a NaN (a later NaN takes over the index); each output takes the
        # last reaching position so far
        reach = self == vals
        if self.dtype.kind == "f":
            reach |= xp.isnan(self)
        shape = [1] * self.ndim
        shape[d] = self.shape[d]
        pos = xp.arange(self.shape[d]).reshape(shape)
        idx = ufunc_accumulate(xp, "maximum", xp.where(reach, pos, 0), d)
        return vals, idx.astype(np.int64)

    register(f"{name}(Tensor self, int dim) -> (Tensor values, Tensor indices)", meta=meta, kernel=kernel,
             variants=FUNCTION_AND_METHOD)


_running("cummax", "maximum")
_running("cummin", "minimum")


# --------------------------------------------------------- logcumsumexp --
def _logcumsumexp_dtype(d):
    check(d.is_floating_point, lambda: f'"logcumsumexp_out_cpu" not implemented for \'{torch_type_name(d)}\'',
          NotImplementedError)
    return d


def _logcumsumexp_meta(self, dim):
    wrap_dim(dim, len(self.shape))
    return fake_like(self.shape, _logcumsumexp_dtype(self.dtype), self)


def _logcumsumexp_kernel(xp, self, dim):
    d = wrap_dim(dim, self.ndim)
    out = _logcumsumexp_dtype(dtype_of(self))
    if self.ndim == 0:
        return self.copy()
    # log(exp(a) + exp(b)) pairwise, stable for -inf and large values; float16 runs in float32
    a = self.astype(np.float32) if self.dtype == np.float16 else self
    with np.errstate(invalid="ignore"):
        return out_array(xp, ufunc_accumulate(xp, "logaddexp", a, d), out)


register("logcumsumexp(Tensor self, int dim) -> Tensor", meta=_logcumsumexp_meta, kernel=_logcumsumexp_kernel,
         variants=FUNCTION_AND_METHOD)
