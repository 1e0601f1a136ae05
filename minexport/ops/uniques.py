"""The unique family: _unique2 (torch.unique), unique_dim and unique_consecutive.

Their output sizes depend on the values: on a fake input the number of distinct
values (or runs) is a new unbacked size, shared by the values and the counts.
"""
import numpy as np

from .. import dtypes as dt
from .._tensor import shape_numel
from ._common import check, fake_like, wrap_dim
from ._registry import FUNCTION_AND_METHOD, register
from .indexing import data_dependent_size
from ..runtime.backends import array_namespace


def _distinct(self, count, upper, what):
    """Number of distinct entries: `count(array)` on a real tensor, else a data-dependent size."""
    if getattr(self, "_data", None) is not None:
        return int(count(self._data))
    if isinstance(upper, int) and upper == 0:     # nothing to count: torch's size is a plain 0 too
        return 0
    return data_dependent_size(upper, what)


def _flat_runs(xp, a):
    """Start flags of the runs of equal neighbours along axis 0 (rows compared whole)."""
    differs = a[1:] != a[:-1]
    if a.ndim > 1:
        differs = differs.any(axis=tuple(range(1, a.ndim)))
    return xp.concatenate([xp.ones(min(a.shape[0], 1), dtype=bool), differs])


def _unique2_kernel(xp, self, sorted=True, return_inverse=False, return_counts=False):
    # always sorted, as torch's CPU kernel; NaNs are each distinct
    vals, inv, counts = xp.unique(self.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
    return (vals, inv.reshape(self.shape).astype(np.int64) if return_inverse else xp.zeros(0, np.int64),
            counts.astype(np.int64) if return_counts else xp.zeros(0, np.int64))


def _unique2_meta(self, sorted=True, return_inverse=False, return_counts=False):
    u = _distinct(self, lambda a: _unique2_kernel(array_namespace(a), a)[0].shape[0], shape_numel(self.shape), "unique")
    return (fake_like((u,), self.dtype, self), fake_like(self.shape if return_inverse else (0,), dt.int64, self),
            fake_like((u,) if return_counts else (0,), dt.int64, self))


register("_unique2(Tensor self, bool sorted=True, bool return_inverse=False, bool return_counts=False) -> "
         "(Tensor, Tensor, Tensor)", meta=_unique2_meta, kernel=_unique2_kernel,
         tags=("dynamic_output_shape",))     # torch._unique2 is private: minexport.unique calls it


def _slice_dim(shape, dim):
    """unique's dim: a 0-d tensor has none to take slices along."""
    check(len(shape) > 0, lambda: f"Dimension specified as {dim} but tensor has no dimensions", IndexError)
    return wrap_dim(dim, len(shape))


def _unique_dim_kernel(xp, self, dim, sorted=True, return_inverse=False, return_counts=False):
    # inverse and counts come back whatever the flags say, as torch's
    d = _slice_dim(self.shape, dim)
    vals, inv, counts = xp.unique(self, return_inverse=True, return_counts=True, axis=d, equal_nan=False)
    return vals, inv.reshape(-1).astype(np.int64), counts.astype(np.int64)


def _unique_dim_meta(self, dim, sorted=True, return_inverse=False, return_counts=False):
    d = _slice_dim(self.shape, dim)
    u = _distinct(self, lambda a: _unique_dim_kernel(array_namespace(a), a, d)[2].shape[0], self.shape[d], "unique")
    shape = list(self.shape)
    shape[d] = u
    return (fake_like(tuple(shape), self.dtype, self), fake_like((self.shape[d],), dt.int64, self),
            fake_like((u,), dt.int64, self))


register("unique_dim(Tensor self, int dim, bool sorted=True, bool return_inverse=False, "
         "bool return_counts=False) -> (Tensor, Tensor, Tensor)", meta=_unique_dim_meta, kernel=_unique_dim_kernel,
         tags=("dynamic_output_shape",))


def _unique_consecutive_kernel(xp, self, return_inverse=False, return_counts=False, dim=None):
    a = self.reshape(-1) if dim is None else xp.moveaxis(self, _slice_dim(self.shape, dim), 0)
    starts = _flat_runs(xp, a)
    where = xp.flatnonzero(starts)
    vals = a[where]
    inv = (xp.cumsum(starts) - 1).astype(np.int64)
    counts = xp.diff(xp.append(where, a.shape[0])).astype(np.int64)
    empty = xp.zeros(0, dtype=np.int64)
    if dim is None:
        return vals, inv.reshape(self.shape) if return_inverse else empty, counts if return_counts else empty
    # with a dim, inverse and counts come back whatever the flags say, as torch's
    return xp.moveaxis(vals, 0, wrap_dim(dim, self.ndim)), inv, counts


def _unique_consecutive_meta(self, return_inverse=False, return_counts=False, dim=None):
    if dim is None:
        u = _distinct(self, lambda a: _unique_consecutive_kernel(array_namespace(a), a)[0].shape[0],
                      shape_numel(self.shape), "unique_consecutive")
        return (fake_like((u,), self.dtype, self),
                fake_like(self.shape if return_inverse else (0,), dt.int64, self),
                fake_like((u,) if return_counts else (0,), dt.int64, self))
    d = _slice_dim(self.shape, dim)
    u = _distinct(self, lambda a: _unique_consecutive_kernel(array_namespace(a), a, dim=d)[2].shape[0], self.shape[d],
                  "unique_consecutive")
    shape = list(self.shape)
    shape[d] = u
    return fake_like(tuple(shape), self.dtype, self), fake_like((self.shape[d],), dt.int64, self), \
        fake_like((u,), dt.int64, self)


register("unique_consecutive(Tensor self, bool return_inverse=False, bool return_counts=False, int? dim=None) -> "
         "(Tensor, Tensor, Tensor)", meta=_unique_consecutive_meta, kernel=_unique_consecutive_kernel,
         tags=("dynamic_output_shape",), variants=FUNCTION_AND_METHOD)
