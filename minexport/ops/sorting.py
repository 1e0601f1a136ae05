"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median,
nanmedian, mode, searchsorted, bucketize and randperm (quantiles are in
`quantiles`, the unique family in `uniques`).

Every kernel works along the last axis after moving the op's dim there
(`_to_last`), on one stable order of the elements (`_order`): ascending puts
NaN last and descending puts it first, as torch orders NaN above every number;
equal elements keep their input order either way.  Where torch's CPU kernels
pick among equal elements by their algorithm (kthvalue's quickselect, topk's and
mode's C++ standard-library sorts), the rows with such ties replay it.
"""
import numpy as np

from .. import _random
from .. import dtypes as dt
from .._tensor import make_fake
from . import _std_algorithms as std
from ._common import c_order, check, fake_like, out_array, promote, torch_type_name, wrap_dim
from ._registry import FUNCTION_AND_METHOD, aten, register
from .reductions import reduced_shape
from ..runtime.backends import ufunc_accumulate


# ------------------------------------------------------------- helpers --
def _to_last(xp, a, dim):
    """`a` with `dim` moved last (a 0-d array becomes one element), and the wrapped dim."""
    d = wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return a.reshape(1), d
    return (a if d == a.ndim - 1 else xp.moveaxis(a, d, -1)), d     # (moveaxis costs microseconds)


def _from_last(xp, r, d, ndim, keepdim=True):
    """Undo `_to_last` for a result whose last axis is the op's dim (size 1 unless keepdim is a size)."""
    if ndim == 0:
        return r.reshape(())
    if d != ndim - 1:
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
         "(Tensor values, Tensor indices)", meta=_sort_meta, kernel=_sort_kernel,
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


def _same(xp, x, y):
    """Elementwise equality with NaN equal to NaN."""
    return (x == y) | ((x != x) & (y != y))


# torch's topk order on CPU: NaN above every number (largest) or after every number (smallest)
_TOPK_LESS = {True: lambda x, y: (x[0] != x[0] and y[0] == y[0]) or x[0] > y[0],
              False: lambda x, y: (x[0] == x[0] and y[0] != y[0]) or x[0] < y[0]}


def _topk_row(row, k, largest, sorted):
    """The input positions torch's CPU topk returns for one row: it keeps (value, position) pairs and runs
    std::partial_sort when k is small next to the row (k * 64 <= n), else std::nth_element and, when
    sorted, std::sort of the k - 1 first."""
    q, n, less = [(v, i) for i, v in enumerate(row)], len(row), _TOPK_LESS[largest]
    if k * 64 <= n:
        std.partial_sort(q, 0, k, n, less)
    else:
        std.nth_element(q, 0, k - 1, n, less)
        if sorted:
            std.sort(q, 0, k - 1, less)
    return [i for _, i in q[:k]]


def _topk_stable(xp, a, k, largest, sorted):
    """topk's positions along the last axis of `a` (any leading shape) from one full stable sort: the k
    first of the stable order; rows where equal values decide which elements or which order (a tie among
    the k + 1 first) replay torch's algorithm. Without ties and sorted=False torch's order is its
    algorithm's too; there the sorted order is kept: for k * 64 <= n that is torch's (partial_sort), for
    larger k torch returns libstdc++ nth_element's arrangement, which only a replay of its steps gives
    (a Python loop per element, so not done for every row)."""
    order = _order(xp, a, largest)
    idx = order[..., :k]
    if 0 < k and a.size:
        head = xp.take_along_axis(a, order[..., :k + 1], axis=-1)
        tied = _same(xp, head[..., 1:], head[..., :-1]).any(axis=-1).reshape(-1)
        if bool(tied.any()):
            rows, flat = a.reshape(-1, a.shape[-1]), idx.reshape(-1, k).copy()
            for r in xp.flatnonzero(tied).tolist():
                flat[r] = xp.asarray(_topk_row(rows[r].tolist(), k, largest, sorted))
            idx = flat.reshape(idx.shape)
    return idx


def _topk_selected(rows, k, largest, sorted):
    """`_topk_stable` for a 2-d NumPy array of real numbers with k < row length, without sorting rows.

    A stable sort of every row (what `_topk_stable` does) costs n log n per row where only the k + 1
    extreme elements matter.  np.partition finds each row's (k+1)-th extreme value `thr` in linear time
    (values only: argpartition is three times slower); the elements on the right side of `thr` are then
    the k + 1 first of the stable order exactly when a row has k + 1 of them, i.e. `thr` is not repeated
    outside them and (largest) the row has no NaN, which sorts above every number but fails every
    comparison.  Those few candidates are sorted; the rows where they tie, as the stable path does, replay
    torch's algorithm, and the rows with fewer or more candidates take the stable path.  Without ties
    the k first are unique and in one order, so every row gets what `_topk_stable` gives it.
    """
    m, n = rows.shape
    kth = n - k - 1 if largest else k
    part = np.partition(rows, kth, axis=-1)
    thr = part[:, kth:kth + 1]
    flat = np.flatnonzero(rows >= thr if largest else rows <= thr)
    row_of = flat // n
    ok = np.bincount(row_of, minlength=m) == k + 1
    if largest and rows.dtype.kind == "f":
        ok &= part[:, -1] == part[:, -1]          # NaN sorts last: a row with one ends in it
    if ok.all():
        return _topk_sort_candidates(rows, flat, k, largest, sorted, None)
    idx = np.empty((m, k), dtype=np.int64)
    rest = ~ok
    idx[rest] = _topk_stable(np, rows[rest], k, largest, sorted)
    ok_rows = np.flatnonzero(ok)
    if ok_rows.size:
        idx[ok_rows] = _topk_sort_candidates(rows, flat[ok[row_of]], k, largest, sorted, ok_rows)
    return idx


def _topk_sort_candidates(rows, flat, k, largest, sorted, row_ids):
    """The k first positions of each row's k + 1 candidates (`flat`: their flat positions in `rows`, row
    after row, k + 1 a row; `row_ids`: the rows they are in, None for all), best first; rows whose
    candidates tie replay torch's algorithm."""
    n = rows.shape[1]
    cand = rows.reshape(-1)[flat].reshape(-1, k + 1)
    s = np.argsort(cand, axis=-1)
    if largest:
        s = s[:, ::-1]
    s += np.arange(0, cand.size, k + 1)[:, None]
    c = cand.reshape(-1)[s]
    cols = flat[s[:, :k]] % n
    for r in np.flatnonzero((c[:, 1:] == c[:, :-1]).any(axis=-1)).tolist():
        cols[r] = _topk_row(rows[r if row_ids is None else row_ids[r]].tolist(), k, largest, sorted)
    return cols


# `_topk_selected` costs some twenty NumPy calls: it pays off from rows of 128 and 2048 elements in all
_SELECT_MIN_ROW, _SELECT_MIN_SIZE = 128, 2048


def _topk_kernel(xp, self, k, dim=-1, largest=True, sorted=True):
    a, d = _to_last(xp, self, dim)
    _topk_check(self, k, d)
    n = a.shape[-1]
    if (xp is np and a.dtype.kind in "fiu" and 0 < k < n and n >= _SELECT_MIN_ROW
            and a.size >= _SELECT_MIN_SIZE):
        rows = np.ascontiguousarray(a.reshape(-1, n))
        idx = _topk_selected(rows, k, largest, sorted).reshape(a.shape[:-1] + (k,))
    else:
        idx = _topk_stable(xp, a, k, largest, sorted)
    vals = xp.take_along_axis(a, idx, axis=-1)
    # torch's results are contiguous whichever dim was selected along
    return c_order(xp, _from_last(xp, vals, d, self.ndim)), \
        c_order(xp, _from_last(xp, idx.astype(np.int64), d, self.ndim))


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


def _above(x, y):
    """The selection's order: NaN above every number."""
    return (x != x and y == y) or x > y


def _selected_position(row, k):
    """The input position of the element torch's CPU kthvalue reports as the (k+1)-th smallest of `row`.

    torch selects in place with a median-of-three quickselect (Hoare partitions around the median of the
    first, middle and last elements) and reports where the k-th slot's element came from; among equal
    values that position is the algorithm's, so the same steps are replayed here on a list.
    """
    vals, pos = list(row), list(range(len(row)))

    def swap(a, b):
        vals[a], vals[b] = vals[b], vals[a]
        pos[a], pos[b] = pos[b], pos[a]

    lo, hi = 0, len(vals) - 1
    while hi > lo:
        if hi == lo + 1:
            if _above(vals[lo], vals[hi]):
                swap(lo, hi)
            break
        # order the first, middle (moved next to the first) and last: the median becomes the pivot at lo
        swap(lo + (hi - lo) // 2, lo + 1)
        for a, b in ((lo + 1, hi), (lo, hi), (lo + 1, lo)):
            if _above(vals[a], vals[b]):
                swap(a, b)
        i, j, pivot = lo + 1, hi, vals[lo]
        while True:
            i += 1
            while _above(pivot, vals[i]):
                i += 1
            j -= 1
            while _above(vals[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return pos[k]


def _kthvalue_kernel(xp, self, k, dim=-1, keepdim=False):
    a, d = _to_last(xp, self, dim)
    _kth_check(self, k, d)
    idx = _order(xp, a, False)[..., k - 1:k]
    vals = xp.take_along_axis(a, idx, axis=-1)
    # the value is the same either way; where it occurs more than once in a row, the reported index is the
    # one torch's selection lands on: replay it for those rows only
    tied = (_same(xp, a, vals).sum(axis=-1) > 1).reshape(-1)
    if bool(tied.any()):
        rows, flat = a.reshape(-1, a.shape[-1]), idx.reshape(-1).copy()
        for r in xp.flatnonzero(tied).tolist():
            flat[r] = _selected_position(rows[r].tolist(), k - 1)
        idx = flat.reshape(idx.shape)
    return (_from_last(xp, vals, d, self.ndim, keepdim),
            _from_last(xp, idx.astype(np.int64), d, self.ndim, keepdim))


register("kthvalue(Tensor self, SymInt k, int dim=-1, bool keepdim=False) -> (Tensor values, Tensor indices)",
         meta=_kthvalue_meta, kernel=_kthvalue_kernel, variants=FUNCTION_AND_METHOD)


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
             kernel=_median_all(_ignore), variants=FUNCTION_AND_METHOD)
    _meta, _kernel = _median_dim(_name, _ignore)
    register(f"{_name}.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
             meta=_meta, kernel=_kernel, variants=FUNCTION_AND_METHOD)


# ------------------------------------------------------------------ mode --
def _mode_meta(self, dim=-1, keepdim=False):
    d = wrap_dim(dim, len(self.shape))
    _nonzero_dim(self, d, "mode")
    return _values_indices(self, reduced_shape(self.shape, (d,), keepdim))


def _mode_row(row):
    """(value, position) torch's CPU mode reports for one row: it std::sorts (value, position) pairs by
    value, then takes the first longest run of equal values and the position of its last pair."""
    q = [(v, i) for i, v in enumerate(row)]
    std.sort(q, 0, len(q), lambda x, y: x[0] < y[0])
    best, longest, run = q[0], 0, 0
    for i, pair in enumerate(q):
        run += 1
        if i == len(q) - 1 or pair[0] != q[i + 1][0]:
            if run > longest:
                best, longest = pair, run
            run = 0
    return best


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
    starts = ufunc_accumulate(xp, "maximum", xp.where(xp.concatenate([edge, differs], -1), pos, 0), -1)
    ends = xp.flip(ufunc_accumulate(xp, "minimum", xp.flip(xp.where(xp.concatenate([differs, edge], -1), pos, n - 1),
                                                           -1), -1), -1)
    # the longest run, the smallest value among equally long ones; its index is its value's last
    # occurrence in the input (the run's last element, the order being stable)
    best = xp.argmax(ends - starts, axis=-1)[..., None]
    vals = xp.take_along_axis(s, best, axis=-1)
    idx = xp.take_along_axis(order, xp.take_along_axis(ends, best, axis=-1), axis=-1)
    # torch sorts each row with std::sort, stable only below 17 elements (insertion sort): longer rows
    # with a repeated value, and rows with a NaN (which that sort leaves where its steps put it), replay it
    replay = (a != a).any(axis=-1)
    if n > 16:
        replay = replay | (xp.take_along_axis(ends - starts, best, axis=-1) > 0)[..., 0]
    replay = replay.reshape(-1)
    if bool(replay.any()):
        rows, fv, fi = a.reshape(-1, n), vals.reshape(-1).copy(), idx.reshape(-1).copy()
        for r in xp.flatnonzero(replay).tolist():
            fv[r], fi[r] = _mode_row(rows[r].tolist())
        vals, idx = fv.reshape(vals.shape), fi.reshape(idx.shape)
    return (_from_last(xp, vals, d, self.ndim, keepdim),
            _from_last(xp, idx.astype(np.int64), d, self.ndim, keepdim))


register("mode(Tensor self, int dim=-1, bool keepdim=False) -> (Tensor values, Tensor indices)",
         meta=_mode_meta, kernel=_mode_kernel, variants=FUNCTION_AND_METHOD)


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
             kernel=_searchsorted_kernel, variants=("function",))


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
         meta=_bucketize_meta, kernel=_bucketize_kernel, variants=("function",))
register("bucketize.Scalar(Scalar self, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor",
         meta=_bucketize_meta, kernel=_bucketize_kernel, variants=("function",))


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
