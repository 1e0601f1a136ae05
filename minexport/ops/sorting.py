"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median,
nanmedian, mode, quantile, nanquantile, searchsorted, bucketize, the unique
family and randperm.

Every kernel works along the last axis after moving the op's dim there
(`_to_last`), on one stable order of the elements (`_order`): ascending puts
NaN last and descending puts it first, as torch orders NaN above every number;
equal elements keep their input order either way.
"""
import numpy as np

from .. import _random
from .. import dtypes as dt
from .._tensor import make_fake
from ._common import check, dtype_of, fake_like, out_array, promote, torch_type_name, wrap_dim
from ._registry import FUNCTION_AND_METHOD, aten, register
from .indexing import data_dependent_size
from .reductions import KEPT, reduced_shape


# ------------------------------------------------------------- helpers --
def _to_last(xp, a, dim):
    """`a` with `dim` moved last (a 0-d array becomes one element), and the wrapped dim."""
    d = wrap_dim(dim, a.ndim)
    return (a.reshape(1) if a.ndim == 0 else xp.moveaxis(a, d, -1)), d


def _from_last(xp, r, d, ndim, keepdim=True):
    """Undo `_to_last` for a result whose last axis is the op's dim (size 1 unless keepdim is a size)."""
    if ndim == 0:
        return r.reshape(())
    r = xp.moveaxis(r, -1, d)
    return r if keepdim else xp.squeeze(r, axis=d)


def _order(xp, a, descending):
    """Stable argsort along the last axis; NaN last ascending, first descending."""
    if not descending:
        return xp.argsort(a, axis=-1, kind="stable")
    # sort the reversed row ascending, then read that order backwards: equal elements then keep
    # their input order, and NaN (last ascending) comes first
    n = a.shape[-1]
    return (n - 1) - xp.argsort(a[..., ::-1], axis=-1, kind="stable")[..., ::-1]


def _nan_count(xp, s):
    """NaNs per row of the last axis (keepdims); zeros for integer dtypes."""
    if s.dtype.kind != "f":
        return xp.zeros(s.shape[:-1] + (1,), dtype=np.int64)
    return xp.isnan(s).sum(axis=-1, keepdims=True)


def _values_indices(self, shape):
    return fake_like(shape, self.dtype, self), fake_like(shape, dt.int64, self)


def _nonzero_dim(self, d, name):
    check(len(self.shape) == 0 or self.shape[d] != 0,
          lambda: f"{name}(): Expected reduction dim {d} to have non-zero size.", IndexError)


# ------------------------------------------------------------------ sort --
def _sort_meta(self, dim=-1, descending=False, *, stable=None):
    wrap_dim(dim, len(self.shape))
    return _values_indices(self, self.shape)


def _sort_kernel(xp, self, dim=-1, descending=False, *, stable=None):
    a, d = _to_last(xp, self, dim)
    idx = _order(xp, a, descending)
    vals = xp.take_along_axis(a, idx, axis=-1)
    return _from_last(xp, vals, d, self.ndim), _from_last(xp, idx.astype(np.int64), d, self.ndim)


register("sort(Tensor self, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)",
         meta=_sort_meta, kernel=_sort_kernel, tags=("core",), variants=FUNCTION_AND_METHOD)
# every sort here is stable, so `stable=` changes nothing but the overload torch records
register("sort.stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False) -> "
         "(Tensor values, Tensor indices)", meta=_sort_meta, kernel=_sort_kernel, tags=KEPT,
         variants=FUNCTION_AND_METHOD)


def _argsort_meta(self, dim=-1, descending=False, *, stable=False):
    wrap_dim(dim, len(self.shape))
    return fake_like(self.shape, dt.int64, self)


def _argsort_kernel(xp, self, dim=-1, descending=False, *, stable=False):
    return _sort_kernel(xp, self, dim, descending)[1]


register("argsort(Tensor self, int dim=-1, bool descending=False) -> Tensor", meta=_argsort_meta,
         kernel=_argsort_kernel, variants=FUNCTION_AND_METHOD,
         decomposition=lambda self, dim=-1, descending=False: aten.sort.default(self, dim, descending)[1])
register("argsort.stable(Tensor self, *, bool stable, int dim=-1, bool descending=False) -> Tensor",
         meta=_argsort_meta, kernel=_argsort_kernel, variants=FUNCTION_AND_METHOD,
         decomposition=lambda self, *, stable, dim=-1, descending=False:
         aten.sort.stable(self, stable=stable, dim=dim, descending=descending)[1])
register("msort(Tensor self) -> Tensor", meta=lambda self: fake_like(self.shape, self.dtype, self),
         kernel=lambda xp, self: _sort_kernel(xp, self, 0)[0], variants=FUNCTION_AND_METHOD,
         decomposition=lambda self: aten.sort.default(self, 0)[0])


# ------------------------------------------------------- topk, kthvalue --
def _topk_check(self, k, d):
    size = self.shape[d] if len(self.shape) else 1
    check(0 <= k <= size, "selected index k out of range")


def _topk_meta(self, k, dim=-1, largest=True, sorted=True):
    d = wrap_dim(dim, len(self.shape))
    _topk_check(self, k, d)
    shape = list(self.shape)
    if shape:
        shape[d] = k
    return _values_indices(self, tuple(shape))


def _topk_kernel(xp, self, k, dim=-1, largest=True, sorted=True):
    # the k first of the stable order: ties come out in input order (torch's order among ties, and
    # its order when sorted=False, are its algorithm's and not reproduced)
    a, d = _to_last(xp, self, dim)
    _topk_check(self, k, d)
    idx = _order(xp, a, largest)[..., :k]
    vals = xp.take_along_axis(a, idx, axis=-1)
    return _from_last(xp, vals, d, self.ndim), _from_last(xp, idx.astype(np.int64), d, self.ndim)


register("topk(Tensor self, SymInt k, int dim=-1, bool largest=True, bool sorted=True) -> "
         "(Tensor values, Tensor indices)", meta=_topk_meta, kernel=_topk_kernel, tags=("core",),
         variants=FUNCTION_AND_METHOD)


def _kth_check(self, k, d):
    size = self.shape[d] if len(self.shape) else 1
    check(1 <= k <= size, lambda: f"kthvalue(): selected number k out of range for dimension {d}")


def _kthvalue_meta(self, k, dim=-1, keepdim=False):
    d = wrap_dim(dim, len(self.shape))
    _kth_check(self, k, d)
    return _values_indices(self, reduced_shape(self.shape, (d,), keepdim))


def _kthvalue_kernel(xp, self, k, dim=-1, keepdim=False):
    a, d = _to_last(xp, self, dim)
    _kth_check(self, k, d)
    idx = _order(xp, a, False)[..., k - 1:k]
    vals = xp.take_along_axis(a, idx, axis=-1)
    return (_from_last(xp, vals, d, self.ndim, keepdim),
            _from_last(xp, idx.astype(np.int64), d, self.ndim, keepdim))


register("kthvalue(Tensor self, SymInt k, int dim=-1, bool keepdim=False) -> (Tensor values, Tensor indices)",
         meta=_kthvalue_meta, kernel=_kthvalue_kernel, tags=KEPT, variants=FUNCTION_AND_METHOD)


# ------------------------------------------------- median, nanmedian --
def _median_position(xp, a, n_nan, ignore_nan):
    """Where the median sits in the ascending stable order of each row.

    median: the lower middle, or the first NaN when a row has one (torch
    returns NaN and that NaN's index); nanmedian: the lower middle of the
    non-NaN values (a row of NaNs only gives its first NaN).
    """
    n = a.shape[-1]
    if ignore_nan:
        return xp.maximum((n - n_nan - 1) // 2, 0)
    return xp.where(n_nan > 0, n - n_nan, (n - 1) // 2)


def _median_rows(xp, a, ignore_nan):
    order = _order(xp, a, False)
    s = xp.take_along_axis(a, order, axis=-1)
    pos = _median_position(xp, s, _nan_count(xp, s), ignore_nan)
    return xp.take_along_axis(s, pos, axis=-1), xp.take_along_axis(order, pos, axis=-1)


def _median_all(ignore_nan):
    def kernel(xp, self):
        if self.size == 0:   # torch's median of nothing is NaN
            return xp.full((), np.nan, dtype=self.dtype)
        return _median_rows(xp, self.reshape(1, -1), ignore_nan)[0].reshape(())
    return kernel


def _median_dim(name, ignore_nan):
    def meta(self, dim, keepdim=False):
        d = wrap_dim(dim, len(self.shape))
        _nonzero_dim(self, d, name)
        return _values_indices(self, reduced_shape(self.shape, (d,), keepdim))

    def kernel(xp, self, dim, keepdim=False):
        a, d = _to_last(xp, self, dim)
        _nonzero_dim(self, d, name)
        vals, idx = _median_rows(xp, a, ignore_nan)
        return (_from_last(xp, vals, d, self.ndim, keepdim),
                _from_last(xp, idx.astype(np.int64), d, self.ndim, keepdim))
    return meta, kernel


for _name, _ignore in (("median", False), ("nanmedian", True)):
    register(f"{_name}(Tensor self) -> Tensor", meta=lambda self: fake_like((), self.dtype, self),
             kernel=_median_all(_ignore), tags=KEPT, variants=FUNCTION_AND_METHOD)
    _meta, _kernel = _median_dim(_name, _ignore)
    register(f"{_name}.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
             meta=_meta, kernel=_kernel, tags=KEPT, variants=FUNCTION_AND_METHOD)


# ------------------------------------------------------------------ mode --
def _mode_meta(self, dim=-1, keepdim=False):
    d = wrap_dim(dim, len(self.shape))
    _nonzero_dim(self, d, "mode")
    return _values_indices(self, reduced_shape(self.shape, (d,), keepdim))


def _mode_kernel(xp, self, dim=-1, keepdim=False):
    a, d = _to_last(xp, self, dim)
    _nonzero_dim(self, d, "mode")
    order = _order(xp, a, False)
    s = xp.take_along_axis(a, order, axis=-1)
    n = s.shape[-1]
    # runs of equal values in the sorted row (NaN != NaN: each NaN is a run of its own)
    pos = xp.arange(n)
    differs = s[..., 1:] != s[..., :-1]
    edge = xp.ones(s.shape[:-1] + (1,), dtype=bool)
    starts = xp.maximum.accumulate(xp.where(xp.concatenate([edge, differs], -1), pos, 0), axis=-1)
    ends = xp.flip(xp.minimum.accumulate(xp.flip(xp.where(xp.concatenate([differs, edge], -1), pos, n - 1), -1),
                                         axis=-1), -1)
    # the longest run, the smallest value among equally long ones; its index is its value's last
    # occurrence in the input (the run's last element, the order being stable)
    best = xp.argmax(ends - starts, axis=-1)[..., None]
    vals = xp.take_along_axis(s, best, axis=-1)
    idx = xp.take_along_axis(order, xp.take_along_axis(ends, best, axis=-1), axis=-1)
    return (_from_last(xp, vals, d, self.ndim, keepdim),
            _from_last(xp, idx.astype(np.int64), d, self.ndim, keepdim))


register("mode(Tensor self, int dim=-1, bool keepdim=False) -> (Tensor values, Tensor indices)",
         meta=_mode_meta, kernel=_mode_kernel, tags=KEPT, variants=FUNCTION_AND_METHOD)


# -------------------------------------------------- quantile, nanquantile --
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_checks(name, self_dtype, q_dtype, q_ndim, numel, interpolation):
    check(numel != 0, lambda: f"{name}() input tensor must be non-empty")
    check(q_ndim <= 1, lambda: f"{name}() q must be a scalar or 1D tensor")
    check(self_dtype in (dt.float32, dt.float64),
          lambda: f"{name}() input tensor must be either float or double dtype")
    check(q_dtype is None or q_dtype is self_dtype,
          lambda: f"{name}() q tensor must be same dtype as the input tensor")
    check(interpolation in _INTERPOLATIONS,
          lambda: f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                  f"Got {interpolation}")


def _q_range_check(name, qa, q):
    check(bool(((qa >= 0) & (qa <= 1)).all()),
          lambda: f"{name}() q values must be in the range [0, 1]" if hasattr(q, "shape") else
          f"{name}() q must be in the range [0, 1] but got {q}")


def _quantile_shape(shape, q_shape, dim, keepdim):
    if dim is None:
        out = (1,) * len(shape) if keepdim else ()
    else:
        out = reduced_shape(shape, (wrap_dim(dim, len(shape)),), keepdim)
    return tuple(q_shape) + out


def _lerp(xp, lo, hi, w):
    # torch's two-sided lerp: exact at both ends
    return xp.where(w < 0.5, lo + w * (hi - lo), hi - (hi - lo) * (1 - w))


def _quantile_rows(xp, s, q, interpolation, ignore_nan):
    """Quantiles `q` (1-D) of each ascending-sorted row of `s` -> (..., len(q))."""
    n = s.shape[-1]
    n_nan = _nan_count(xp, s)
    valid = (n - n_nan) if ignore_nan else xp.full_like(n_nan, n)
    rank = q * (valid - 1).astype(s.dtype)
    lo_i = xp.clip(xp.floor(rank), 0, n - 1).astype(np.int64)
    hi_i = xp.clip(xp.ceil(rank), 0, n - 1).astype(np.int64)
    lo, hi = xp.take_along_axis(s, lo_i, -1), xp.take_along_axis(s, hi_i, -1)
    if interpolation == "lower":
        r = lo
    elif interpolation == "higher":
        r = hi
    elif interpolation == "nearest":
        r = xp.take_along_axis(s, xp.clip(xp.round(rank), 0, n - 1).astype(np.int64), -1)
    else:
        w = xp.asarray(0.5, dtype=s.dtype) if interpolation == "midpoint" else rank - xp.floor(rank)
        r = _lerp(xp, lo, hi, w)
    # quantile: any NaN makes the row's quantiles NaN; nanquantile: only a row of NaNs does
    bad = (valid == 0) if ignore_nan else (n_nan > 0)
    return xp.where(bad, xp.asarray(np.nan, dtype=s.dtype), r)


def _quantile_family(name, ignore_nan):
    def parse(self, q):
        q_dtype = dtype_of(q) if hasattr(q, "shape") else None
        q_shape = tuple(q.shape) if hasattr(q, "shape") else ()
        return q_dtype, q_shape

    def meta(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        q_dtype, q_shape = parse(self, q)
        numel = 1
        for s in self.shape:
            numel = numel * s
        _quantile_checks(name, self.dtype, q_dtype, len(q_shape), numel, interpolation)
        q_data = getattr(q, "_data", None) if q_dtype else np.asarray(q)
        if q_data is not None:      # a real q (a number, or a tensor with values): its range is known
            _q_range_check(name, q_data.reshape(-1), q)
        return fake_like(_quantile_shape(self.shape, q_shape, dim, keepdim), self.dtype, self)

    def kernel(xp, self, q, dim=None, keepdim=False, *, interpolation="linear"):
        q_dtype, q_shape = parse(self, q)
        _quantile_checks(name, dtype_of(self), q_dtype, len(q_shape), self.size, interpolation)
        qa = xp.asarray(q, dtype=self.dtype).reshape(-1)
        _q_range_check(name, qa, q)
        a = self.reshape(-1) if dim is None else _to_last(xp, self, dim)[0]
        r = _quantile_rows(xp, xp.sort(a, axis=-1), qa, interpolation, ignore_nan)
        r = xp.moveaxis(r, -1, 0).reshape(_quantile_shape(self.shape, q_shape, dim, keepdim))
        return out_array(xp, r, dtype_of(self))

    def decomposition(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        meta(self, q, dim, keepdim, interpolation=interpolation)       # the same checks, on fakes too
        return _quantile_decomp(self, q, dim, keepdim, interpolation, ignore_nan)

    for schema in (f"{name}(Tensor self, Tensor q, int? dim=None, bool keepdim=False, *, "
                   f"str interpolation=\"linear\") -> Tensor",
                   f"{name}.scalar(Tensor self, float q, int? dim=None, bool keepdim=False, *, "
                   f"str interpolation=\"linear\") -> Tensor"):
        register(schema, meta=meta, kernel=kernel, variants=FUNCTION_AND_METHOD, decomposition=decomposition)


def _lerp_decomp(lo, hi, w):
    # torch's two-sided lerp in ops: from hi backwards when the weight is at least 1/2
    upper = aten.ge.Scalar(aten.abs.default(w), 0.5)
    coeff = aten.where.self(upper, aten.sub.Tensor(w, 1), w)
    base = aten.where.self(upper, hi, lo)
    return aten.add.Tensor(aten.mul.Tensor(coeff, aten.sub.Tensor(hi, lo)), base)


def _quantile_ranks(s, q, ignore_nan):
    """Fractional positions (..., len(q) or 1) of the quantiles in each sorted row of s (NaN sorted last).

    quantile: a row with a NaN ranks at its last element, a NaN; nanquantile: among the non-NaN
    values, a row of NaNs only at its first element, a NaN.
    """
    n = s.shape[-1]
    rows = list(s.shape[:-1]) + [q.shape[0] if len(q.shape) else 1]
    if not ignore_nan:
        ranks = aten.mul.Scalar(q, n - 1)
        has_nan = aten.any.dim(aten.isnan.default(s), -1, True)
        ranks = aten.expand.default(ranks, rows)
        if len(q.shape) and len(rows) > 1:    # as torch's trace shows (where broadcasts it otherwise)
            has_nan = aten.expand.default(has_nan, rows)
        return aten.where.self(has_nan, aten.scalar_tensor.default(n - 1, dtype=s.dtype), ranks)
    last = aten.sub.Scalar(aten.sum.dim_IntList(aten.logical_not.default(aten.isnan.default(s)), [-1], True), 1)
    ranks = aten.mul.Tensor(q, last)
    return aten.where.self(aten.lt.Scalar(last, 0), aten.scalar_tensor.default(0, dtype=s.dtype), ranks)


def _gather_at(s, ranks):
    """The sorted values at integer positions `ranks` (float, truncated) and those positions."""
    at = aten._to_copy.default(ranks, dtype=dt.int64)
    return aten.gather.default(s, -1, at), at


# interpolation -> its values from (sorted rows, ranks), in torch's order of ops
def _interpolate_linear(s, ranks, weight=None):
    below, at = _gather_at(s, ranks)
    w = aten.sub.Tensor(ranks, at) if weight is None else weight(ranks)
    above, _ = _gather_at(s, aten.ceil.default(ranks))
    return _lerp_decomp(below, above, w)


_INTERPOLATE = {
    "linear": _interpolate_linear,
    "midpoint": lambda s, ranks: _interpolate_linear(s, ranks, lambda r: aten.full_like.default(r, 0.5)),
    "lower": lambda s, ranks: _gather_at(s, aten.floor.default(ranks))[0],
    "higher": lambda s, ranks: _gather_at(s, aten.ceil.default(ranks))[0],
    "nearest": lambda s, ranks: _gather_at(s, aten.round.default(ranks))[0],
}


def _quantile_decomp(self, q, dim, keepdim, interpolation, ignore_nan):
    """quantile in ops, as torch's: sort the reduced dim moved last (left as size 1 in its place),
    view the rows in the output's shape, gather around each rank, interpolate, move q's dim first."""
    ndim = len(self.shape)
    qt = aten.scalar_tensor.default(q, dtype=self.dtype) if not hasattr(q, "shape") else q
    if dim is None or ndim == 0:
        a, dims = aten.view.default(self, [-1]), tuple(range(ndim))
    else:
        d = wrap_dim(dim, ndim)
        a, dims = self, (d,)
        if d != ndim - 1:
            perm = list(range(ndim + 1))
            perm[d], perm[-1] = perm[-1], perm[d]
            a = aten.permute.default(aten.unsqueeze.default(self, -1), perm)
    s = aten.sort.default(a, -1)[0]
    s = aten.view.default(s, list(reduced_shape(self.shape, dims, keepdim)) + [s.shape[-1]])
    r = _INTERPOLATE[interpolation](s, _quantile_ranks(s, qt, ignore_nan))
    if len(qt.shape):     # (..., q) -> (q, ..., 1): q's dim first
        r = aten.unsqueeze.default(r, 0)
        perm = list(range(len(r.shape)))
        perm[0], perm[-1] = perm[-1], perm[0]
        r = aten.permute.default(r, perm)
    return aten.squeeze.dims(r, [-1])


_quantile_family("quantile", False)
_quantile_family("nanquantile", True)


# ------------------------------------------------ searchsorted, bucketize --
def _search_side(right, side):
    check(side in (None, "left", "right"),
          lambda: f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
    check(not (side == "left" and right),
          "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True")
    return "right" if right or side == "right" else "left"


def _search_checks(seq_shape, self_shape, sorter_shape):
    check(len(seq_shape) >= 1, "torch.searchsorted(): boundaries tensor should have positive dimension, "
                               "but got 0 dimension")
    check(len(seq_shape) == 1 or tuple(seq_shape[:-1]) == tuple(self_shape[:-1]),
          lambda: "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                  f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
                  f"{list(seq_shape)} and input value tensor {list(self_shape)}")
    check(sorter_shape is None or tuple(sorter_shape) == tuple(seq_shape),
          lambda: "torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor "
                  f"{list(seq_shape)} and got sorter tensor {list(sorter_shape)}")


def _searchsorted_meta(sorted_sequence, self, *, out_int32=False, right=False, side=None, sorter=None):
    _search_side(right, side)
    shape = tuple(self.shape) if hasattr(self, "shape") else ()
    _search_checks(sorted_sequence.shape, shape, None if sorter is None else sorter.shape)
    return fake_like(shape, dt.int32 if out_int32 else dt.int64, sorted_sequence)


def _searchsorted_kernel(xp, sorted_sequence, self, *, out_int32=False, right=False, side=None, sorter=None):
    how = _search_side(right, side)
    values = self if hasattr(self, "shape") else xp.asarray(self)
    _search_checks(sorted_sequence.shape, values.shape, None if sorter is None else sorter.shape)
    seq = sorted_sequence if sorter is None else xp.take_along_axis(sorted_sequence, sorter, axis=-1)
    common = promote(sorted_sequence, self).numpy_dtype
    seq, values = seq.astype(common, copy=False), values.astype(common, copy=False)
    if seq.ndim == 1:
        r = xp.searchsorted(seq, values, side=how)
    else:
        # one boundary row per value row: count the boundaries below (or not above) each value
        below = (seq[..., None, :] <= values[..., :, None]) if how == "right" else \
            (seq[..., None, :] < values[..., :, None])
        r = below.sum(axis=-1)
    return out_array(xp, r, dt.int32 if out_int32 else dt.int64)


for _kind in ("Tensor", "Scalar"):
    register(f"searchsorted.{_kind}(Tensor sorted_sequence, {_kind} self, *, bool out_int32=False, bool right=False, "
             "str? side=None, Tensor? sorter=None) -> Tensor", meta=_searchsorted_meta,
             kernel=_searchsorted_kernel, tags=KEPT, variants=("function",))


def _bucketize_check(boundaries):
    check(len(boundaries.shape) == 1,
          lambda: f"boundaries tensor must be 1 dimension, but got dim({len(boundaries.shape)})")


def _bucketize_meta(self, boundaries, *, out_int32=False, right=False):
    _bucketize_check(boundaries)
    return _searchsorted_meta(boundaries, self, out_int32=out_int32, right=right)


def _bucketize_kernel(xp, self, boundaries, *, out_int32=False, right=False):
    _bucketize_check(boundaries)
    return _searchsorted_kernel(xp, boundaries, self, out_int32=out_int32, right=right)


register("bucketize.Tensor(Tensor self, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor",
         meta=_bucketize_meta, kernel=_bucketize_kernel, tags=KEPT, variants=("function",))
register("bucketize.Scalar(Scalar self, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor",
         meta=_bucketize_meta, kernel=_bucketize_kernel, tags=KEPT, variants=("function",))


# ---------------------------------------------------------------- unique --
# Their output sizes depend on the values: on a fake input the number of distinct
# values (or runs) is a new unbacked size, shared by the values and the counts.
def _numel(shape):
    n = 1
    for s in shape:
        n = n * s
    return n


def _distinct(self, count, upper, what):
    """Number of distinct entries: `count(array)` on a real tensor, else a data-dependent size."""
    if getattr(self, "_data", None) is not None:
        return int(count(self._data))
    return data_dependent_size(upper, what)


def _flat_runs(xp, a):
    """Start flags of the runs of equal neighbours along axis 0 (rows compared whole)."""
    differs = a[1:] != a[:-1]
    if a.ndim > 1:
        differs = differs.reshape(differs.shape[0], -1).any(axis=1)
    return xp.concatenate([xp.ones(min(a.shape[0], 1), dtype=bool), differs])


def _unique2_kernel(xp, self, sorted=True, return_inverse=False, return_counts=False):
    # always sorted, as torch's CPU kernel; NaNs are each distinct
    vals, inv, counts = np.unique(self.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
    return (vals, inv.reshape(self.shape).astype(np.int64) if return_inverse else np.zeros(0, np.int64),
            counts.astype(np.int64) if return_counts else np.zeros(0, np.int64))


def _unique2_meta(self, sorted=True, return_inverse=False, return_counts=False):
    u = _distinct(self, lambda a: _unique2_kernel(np, a)[0].shape[0], _numel(self.shape), "unique")
    return (fake_like((u,), self.dtype, self), fake_like(self.shape if return_inverse else (0,), dt.int64, self),
            fake_like((u,) if return_counts else (0,), dt.int64, self))


register("_unique2(Tensor self, bool sorted=True, bool return_inverse=False, bool return_counts=False) -> "
         "(Tensor, Tensor, Tensor)", meta=_unique2_meta, kernel=_unique2_kernel,
         tags=("dynamic_output_shape",) + KEPT)     # torch._unique2 is private: minexport.unique calls it


def _slice_dim(shape, dim):
    """unique's dim: a 0-d tensor has none to take slices along."""
    check(len(shape) > 0, lambda: f"Dimension specified as {dim} but tensor has no dimensions", IndexError)
    return wrap_dim(dim, len(shape))


def _unique_dim_kernel(xp, self, dim, sorted=True, return_inverse=False, return_counts=False):
    # inverse and counts come back whatever the flags say, as torch's
    d = _slice_dim(self.shape, dim)
    vals, inv, counts = np.unique(self, return_inverse=True, return_counts=True, axis=d, equal_nan=False)
    return vals, inv.reshape(-1).astype(np.int64), counts.astype(np.int64)


def _unique_dim_meta(self, dim, sorted=True, return_inverse=False, return_counts=False):
    d = _slice_dim(self.shape, dim)
    u = _distinct(self, lambda a: _unique_dim_kernel(np, a, d)[2].shape[0], self.shape[d], "unique")
    shape = list(self.shape)
    shape[d] = u
    return (fake_like(tuple(shape), self.dtype, self), fake_like((self.shape[d],), dt.int64, self),
            fake_like((u,), dt.int64, self))


register("unique_dim(Tensor self, int dim, bool sorted=True, bool return_inverse=False, "
         "bool return_counts=False) -> (Tensor, Tensor, Tensor)", meta=_unique_dim_meta, kernel=_unique_dim_kernel,
         tags=("dynamic_output_shape",) + KEPT)


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
        u = _distinct(self, lambda a: _unique_consecutive_kernel(np, a)[0].shape[0], _numel(self.shape),
                      "unique_consecutive")
        return (fake_like((u,), self.dtype, self),
                fake_like(self.shape if return_inverse else (0,), dt.int64, self),
                fake_like((u,) if return_counts else (0,), dt.int64, self))
    d = _slice_dim(self.shape, dim)
    u = _distinct(self, lambda a: _unique_consecutive_kernel(np, a, dim=d)[2].shape[0], self.shape[d],
                  "unique_consecutive")
    shape = list(self.shape)
    shape[d] = u
    return fake_like(tuple(shape), self.dtype, self), fake_like((self.shape[d],), dt.int64, self), \
        fake_like((u,), dt.int64, self)


register("unique_consecutive(Tensor self, bool return_inverse=False, bool return_counts=False, int? dim=None) -> "
         "(Tensor, Tensor, Tensor)", meta=_unique_consecutive_meta, kernel=_unique_consecutive_kernel,
         tags=("dynamic_output_shape",) + KEPT, variants=FUNCTION_AND_METHOD)


# -------------------------------------------------------------- randperm --
def _randperm_check(n, dtype):
    check(n >= 0, lambda: f"n must be non-negative, got{n}")
    check(dtype is not dt.bool, lambda: f"randperm is not implemented for {torch_type_name(dtype)}")


def _randperm_meta(n, *, dtype=dt.int64, layout=None, device=None, pin_memory=None):
    dtype = dtype or dt.int64
    _randperm_check(n, dtype)
    return make_fake((n,), dtype, device)


def _randperm_kernel(xp, n, *, dtype=dt.int64, layout=None, device=None, pin_memory=None):
    dtype = dtype or dt.int64
    _randperm_check(n, dtype)
    perm = _random.generator().permutation(n).astype(dtype.numpy_dtype)
    return perm if xp is np else xp.asarray(perm)


register("randperm(SymInt n, *, ScalarType? dtype=4, Layout? layout=None, Device? device=None, "
         "bool? pin_memory=None) -> Tensor", meta=_randperm_meta, kernel=_randperm_kernel,
         tags=("core", "factory"), variants=("function",))
