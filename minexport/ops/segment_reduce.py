"""aten.segment_reduce: reduce consecutive runs ("segments") of `data` along one axis.

The segments are given by their `lengths` or by their start `offsets` (one more
than there are segments), both batched over the dimensions before `axis`.  Each
segment reduces to one value (sum, prod, mean, max, min); `initial`, when given,
joins every segment (and is the value of an empty one).  The result has the
segment count in place of the data's `axis` size, so its shape depends only on
the shape of lengths/offsets.  Not core ATen; torch keeps it in a core graph.
"""
import math

import numpy as np

from ._common import check, dtype_of, make_fake, torch_type_name
from ._registry import register
from ..runtime.backends import ufunc_at

# reduce name -> (NumPy ufunc scattering a value in, its identity: an empty segment's value without `initial`)
_REDUCTIONS = {
    "sum": ("add", 0.0), "mean": ("add", 0.0), "prod": ("multiply", 1.0),
    "max": ("maximum", -math.inf), "min": ("minimum", math.inf),
}


def _check_args(data, reduce, lengths, indices, offsets, axis):
    """The normalized axis, after torch's argument checks."""
    check(reduce in _REDUCTIONS, lambda: f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    check(indices is None, "segment_reduce(): indices based reduction is not supported yet.")
    check(lengths is not None or offsets is not None, "segment_reduce(): Either lengths or offsets must be defined.")
    d = dtype_of(data)
    check(d.is_floating_point, lambda: f'"_segment_reduce_cpu" not implemented for \'{torch_type_name(d)}\'',
          NotImplementedError)
    ndim = len(data.shape)
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                         f"{max(ndim, 1) - 1}], but got {axis})")
    axis = axis % max(ndim, 1)
    bounds = lengths if lengths is not None else offsets
    check(len(bounds.shape) == axis + 1 and tuple(bounds.shape[:axis]) == tuple(data.shape[:axis]),
          lambda: f"segment_reduce(): Expected {'lengths' if lengths is not None else 'offsets'} to have the "
                  f"data's leading sizes {list(data.shape[:axis])} plus one segment dimension, got "
                  f"{list(bounds.shape)}")
    check(not dtype_of(bounds).is_floating_point,
          lambda: f'"_segment_reduce_lengths_cpu_kernel1" not implemented for \'{torch_type_name(dtype_of(bounds))}\'',
          NotImplementedError)
    return axis


def _segments(bounds, lengths_given):
    """The segment count of lengths (S,) or offsets (S + 1,) along their last dimension."""
    return bounds.shape[-1] if lengths_given else bounds.shape[-1] - 1


def _meta(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0, unsafe=False, initial=None):
    axis = _check_args(data, reduce, lengths, indices, offsets, axis)
    bounds = lengths if lengths is not None else offsets
    shape = tuple(data.shape[:axis]) + (_segments(bounds, lengths is not None),) + tuple(data.shape[axis + 1:])
    return make_fake(shape, data.dtype, data.device)


def _kernel(xp, data, reduce, *, lengths=None, indices=None, offsets=None, axis=0, unsafe=False, initial=None):
    axis = _check_args(data, reduce, lengths, indices, offsets, axis)
    ufunc, identity = _REDUCTIONS[reduce]
    pre, n, post = data.shape[:axis], data.shape[axis], data.shape[axis + 1:]
    rows = int(np.prod(pre, dtype=np.int64))
    flat = data.reshape((rows, n) + post)
    if lengths is not None:
        lens = lengths.reshape(rows, -1).astype(np.int64)
        check(not bool((lens < 0).any()), "lengths contains negative value!")
        check(unsafe or bool((lens.sum(axis=1) == n).all()),
              "segment_reduce(): Expected all rows of lengths along axis to sum to data.size(lengths.dim()-1) "
              "when !unsafe.")
        zeros = xp.zeros((rows, 1), dtype=np.int64)
        offs = xp.concatenate([zeros, xp.cumsum(lens, axis=1)], axis=1)
    else:
        offs = offsets.reshape(rows, -1).astype(np.int64)
    segments = offs.shape[1] - 1
    # each element's segment: how many segment ends lie at or before it, per row (rows x n x segments)
    pos = xp.arange(n, dtype=np.int64)
    seg = (offs[:, None, 1:] <= pos[None, :, None]).sum(axis=2)
    inside = (pos[None, :] >= offs[:, :1]) & (seg < segments)
    row_idx, elem_idx = xp.nonzero(inside)
    seg_idx = seg[row_idx, elem_idx]
    work = np.float64 if data.dtype == np.float64 else np.float32     # half types accumulate in float
    # `initial` joins every segment as its first value
    out = xp.full((rows, segments) + post, identity if initial is None else float(initial), dtype=work)
    ufunc_at(xp, ufunc, out, (row_idx, seg_idx), flat[row_idx, elem_idx].astype(work))
    if reduce == "mean":
        counts = xp.diff(offs, axis=1).astype(work).reshape((rows, segments) + (1,) * len(post))
        with np.errstate(all="ignore"):
            out = xp.where(counts > 0, out / counts, math.nan if initial is None else float(initial))
    return out.astype(data.dtype).reshape(tuple(pre) + (segments,) + tuple(post))


register("segment_reduce(Tensor data, str reduce, *, Tensor? lengths=None, Tensor? indices=None, "
         "Tensor? offsets=None, int axis=0, bool unsafe=False, Scalar? initial=None) -> Tensor",
         meta=_meta, kernel=_kernel, variants=("function",))
