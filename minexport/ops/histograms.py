"""Counting ops: bincount, histc, histogram (int bins or explicit edges), histogramdd (with the
private ops its decomposition uses) and nonzero_static.

Binning follows torch's CPU kernel so that values on a bin edge land where
torch puts them: with evenly spaced edges the bin is found by linear
interpolation computed in the input's dtype (histogram then corrects it by
one against the actual edges), with explicit edges by binary search; the last
bin is closed on the right and values outside the edges are dropped.
bincount's length depends on the values (a data-dependent size in a trace,
as in torch); nonzero_static's does not.

On CUDA the histograms bin on the host (an explicit `to_host` round trip, see
spec/tensors.md "CUDA"): their sequential, in-dtype accumulation is what makes
edge values and float sums match torch's; bincount runs on the device.
"""
import math

import numpy as np

from .. import dtypes as dt
from ._common import check, dtype_of, fake_like, torch_type_name
from ._registry import FUNCTION_AND_METHOD, aten, register
from .indexing import data_dependent_size
from ..runtime.backends import to_host

_FN = ("function",)


def _host(xp, arr):
    return arr if xp is np else xp.asarray(arr)


def _float_check(d, name):
    check(d.is_floating_point, lambda: f'"{name}" not implemented for \'{torch_type_name(d)}\'', NotImplementedError)


# ------------------------------------------------------------- bincount --
def _bincount_check(self, weights, minlength):
    d = dtype_of(self)
    check(not d.is_floating_point and d is not dt.bool,
          lambda: f'"bincount_cpu" not implemented for \'{torch_type_name(d)}\'', NotImplementedError)
    check(minlength >= 0, "minlength should be >= 0")
    check(len(self.shape) == 1, "bincount only supports 1-d non-negative integral inputs.")
    if weights is not None:
        check(len(weights.shape) == 1 and weights.shape[0] == self.shape[0],
              "weights should be 1-d and have the same length as input")


def _bincount_dtype(weights):
    # unweighted counts are int64; float weights keep float32, every other weight dtype counts in float64
    if weights is None:
        return dt.int64
    return dt.float32 if dtype_of(weights) is dt.float32 else dt.float64


def _bincount_meta(self, weights=None, minlength=0):
    _bincount_check(self, weights, minlength)
    data = getattr(self, "_data", None)
    if data is not None:
        n = max(int(data.max()) + 1 if data.size else 0, minlength)
    else:
        n = data_dependent_size(None, "bincount")
    return fake_like((n,), _bincount_dtype(weights), self)


def _bincount_kernel(xp, self, weights=None, minlength=0):
    _bincount_check(self, weights, minlength)
    check(self.size == 0 or int(self.min()) >= 0, "bincount only supports 1-d non-negative integral inputs.")
    d = _bincount_dtype(weights)
    w = None if weights is None else weights.astype(np.float64)
    counts = xp.bincount(self.astype(np.int64), weights=w, minlength=minlength)
    return counts.astype(d.numpy_dtype)


register("bincount(Tensor self, Tensor? weights=None, SymInt minlength=0) -> Tensor", meta=_bincount_meta,
         kernel=_bincount_kernel, tags=("dynamic_output_shape",), variants=FUNCTION_AND_METHOD)


# --------------------------------------------------------- binning core --
def _outer_edges(x, ranges, n_dims, widen):
    """(left, right) per dim: the range given, else the data's min and max (0, 0 when empty);
    an empty range is widened by `widen` each side (torch: 0.5, histc: 1)."""
    out = []
    for k in range(n_dims):
        if ranges is not None:
            lo, hi = float(ranges[2 * k]), float(ranges[2 * k + 1])
        elif x.shape[0]:
            lo, hi = float(x[:, k].min()), float(x[:, k].max())
        else:
            lo, hi = 0.0, 1.0     # no data: torch's default range
        check(math.isfinite(lo) and math.isfinite(hi),
              lambda: f"torch.histogramdd: dimension {k}'s range [{lo:g}, {hi:g}] is not finite")
        check(lo <= hi, lambda: f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} "
                                f"for dimension {k}")
        if lo == hi:
            lo, hi = lo - widen, hi + widen
        out.append((lo, hi))
    return out


def _linear_edges(lo, hi, bins, npd):
    return aten.linspace.default.kernel(np, lo, hi, bins + 1, dtype=dt.from_numpy_dtype(np.dtype(npd)))


def _positions(col, edges, linear, local_search):
    """Bin index of each value (-1: outside), from evenly spaced or explicit edges."""
    nbins = edges.shape[0] - 1
    lo, hi = edges[0], edges[-1]
    inside = (col >= lo) & (col <= hi)
    if linear:
        # torch's interpolation: (x - left) * bins / (right - left), in the input's dtype, truncated
        npd = col.dtype.type
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            pos = ((col - npd(lo)) * npd(nbins) / (npd(hi) - npd(lo)))
        pos = np.where(inside, pos, 0).astype(np.int64)
        pos = np.minimum(pos, nbins - 1)
        if local_search:
            up = (pos + 1 < nbins) & (col >= edges[np.minimum(pos + 1, nbins)])
            pos = pos + up - ((~up) & (pos > 0) & (col < edges[pos]))
    else:
        pos = np.minimum(np.searchsorted(edges, col, side="right") - 1, nbins - 1)
    return np.where(inside, pos, -1)


def _histdd(x, edges, weight, density, linear, local_search, npd):
    """The D-dimensional histogram of the rows of x (N, D) over per-dim edges."""
    nbins = [e.shape[0] - 1 for e in edges]
    pos = [_positions(x[:, k], edges[k], linear, local_search) for k in range(len(edges))]
    keep = np.ones(x.shape[0], dtype=bool)
    for p in pos:
        keep &= p >= 0
    flat = np.ravel_multi_index(tuple(p[keep] for p in pos), nbins) if len(nbins) else np.zeros(0, np.int64)
    # accumulated in the input's dtype, in order, as torch's kernel adds them
    hist = np.zeros(int(np.prod(nbins)), dtype=npd)
    w = np.ones(1, dtype=npd) if weight is None else np.asarray(to_host(weight), dtype=npd).reshape(-1)[keep]
    np.add.at(hist, flat, w if weight is not None else w[0])
    hist = hist.reshape(nbins)
    if density:
        with np.errstate(divide="ignore", invalid="ignore"):
            hist = hist / hist.sum(dtype=npd)
            for k, e in enumerate(edges):
                hist = hist / np.diff(e.astype(npd)).reshape([-1 if i == k else 1 for i in range(len(edges))])
    return hist.astype(npd)


def _as_rows(self, n_dims):
    return to_host(self).reshape(-1, n_dims)


# ---------------------------------------------------------------- histc --
def _histc_check(self, bins, min, max):
    _float_check(dtype_of(self), "histogram_cpu")
    check(bins > 0, lambda: f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    check(not (min > max), "torch.histc: max must be larger than min")


def _histc_meta(self, bins=100, min=0, max=0):
    _histc_check(self, bins, min, max)
    return fake_like((bins,), self.dtype, self)


def _histc_kernel(xp, self, bins=100, min=0, max=0):
    _histc_check(self, bins, min, max)
    npd = self.dtype
    x = _as_rows(self, 1)
    if min == max and x.shape[0]:
        lo, hi = float(x.min()), float(x.max())
        check(math.isfinite(lo) and math.isfinite(hi),
              lambda: f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    else:
        lo, hi = float(min), float(max)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    edges = _linear_edges(lo, hi, bins, npd)
    edges[0], edges[-1] = lo, hi
    return _host(xp, _histdd(x.astype(npd), [edges], None, False, True, False, npd))


register("histc(Tensor self, int bins=100, Scalar min=0, Scalar max=0) -> Tensor", meta=_histc_meta,
         kernel=_histc_kernel, variants=FUNCTION_AND_METHOD)


# ------------------------------------------------------------ histogram --
def _hist_checks(self, weight, bins_count=None):
    _float_check(dtype_of(self), "histogram_cpu")
    if bins_count is not None:
        check(bins_count > 0, lambda: f"torch.histogram(): bins must be > 0, but got {bins_count} for dimension 0")
    if weight is not None:
        check(tuple(weight.shape) == tuple(self.shape),
              "torch.histogramdd: if weight tensor is provided it should have the same shape as the input "
              "tensor excluding its innermost dimension")
        check(dtype_of(weight) == dtype_of(self), "torch.histogramdd: if weight tensor is provided, input tensor "
                                                  "and weight tensor should have the same dtype")


def _range_check(range_, n):
    if range_ is not None:
        check(len(range_) == 2 * n, lambda: f"torch.histogramdd: for a {n}-dimensional histogram range should have "
                                            f"{2 * n} elements, but got {len(range_)}")


def _hist_ct_meta(self, bins=100, *, range=None, weight=None, density=False):
    _hist_checks(self, weight, bins)
    _range_check(range, 1)
    return fake_like((bins,), self.dtype, self), fake_like((bins + 1,), self.dtype, self)


def _hist_ct_kernel(xp, self, bins=100, *, range=None, weight=None, density=False):
    _hist_checks(self, weight, bins)
    _range_check(range, 1)
    npd = self.dtype
    x = _as_rows(self, 1).astype(npd)
    (lo, hi), = _outer_edges(x, range, 1, 0.5)
    edges = _linear_edges(lo, hi, bins, npd)
    hist = _histdd(x, [edges], weight, density, True, True, npd)
    return _host(xp, hist), _host(xp, edges)


def _edges_check(self, bins, n_dims):
    for b in bins:
        check(len(b.shape) == 1 and b.shape[0] > 0,
              "torch.histogramdd(): bins tensors must be 1-dimensional and have at least one element")
        check(dtype_of(b) == dtype_of(self), "torch.histogramdd: input tensor and bins tensors should have the "
                                             "same dtype")
    check(len(bins) == n_dims, lambda: f"torch.histogramdd: expected {n_dims} sequences of bin edges for each of "
                                       f"the {n_dims} dimensions of the input, but got {len(bins)}")


def _hist_t_meta(self, bins, *, weight=None, density=False):
    _hist_checks(self, weight)
    _edges_check(self, [bins], 1)
    return fake_like((bins.shape[0] - 1,), self.dtype, self), fake_like(tuple(bins.shape), self.dtype, self)


def _hist_t_kernel(xp, self, bins, *, weight=None, density=False):
    _hist_checks(self, weight)
    _edges_check(self, [bins], 1)
    npd = self.dtype
    edges = to_host(bins)
    hist = _histdd(_as_rows(self, 1).astype(npd), [edges], weight, density, False, False, npd)
    return _host(xp, hist), bins.copy()


_HIST_RETURNS = "(Tensor hist, Tensor bin_edges)"
register(f"histogram.bins_tensor(Tensor self, Tensor bins, *, Tensor? weight=None, bool density=False) -> "
         f"{_HIST_RETURNS}", meta=_hist_t_meta, kernel=_hist_t_kernel, variants=FUNCTION_AND_METHOD)
register(f"histogram.bin_ct(Tensor self, int bins=100, *, float[]? range=None, Tensor? weight=None, "
         f"bool density=False) -> {_HIST_RETURNS}", meta=_hist_ct_meta, kernel=_hist_ct_kernel,
         variants=FUNCTION_AND_METHOD)


# ---------------------------------------------------------- histogramdd --
def _dd_check(self, weight):
    _float_check(dtype_of(self), "histogramdd")
    check(len(self.shape) >= 2, "torch.histogramdd: input tensor should have at least 2 dimensions")
    n = self.shape[-1]
    if weight is not None:
        check(tuple(weight.shape) == tuple(self.shape[:-1]),
              "torch.histogramdd: if weight tensor is provided it should have the same shape as the input tensor "
              "excluding its innermost dimension")
    return n


def _dd_counts(self, bins):
    n = self.shape[-1]
    counts = [bins] * n if isinstance(bins, int) else list(bins)
    check(len(counts) == n, lambda: f"torch.histogramdd: expected {n} sequences of bin edges for each of the {n} "
                                    f"dimensions of the input, but got {len(counts)}")
    for k, b in enumerate(counts):
        check(b > 0, lambda: f"torch.histogramdd(): bins must be > 0, but got {b} for dimension {k}")
    return counts


def _dd_edges_from_counts(self, counts, range_):
    npd = self.dtype
    x = _as_rows(self, len(counts)).astype(npd)
    return x, [_linear_edges(lo, hi, b, npd) for (lo, hi), b in zip(_outer_edges(x, range_, len(counts), 0.5),
                                                                       counts)]


def _dd_meta(self, bins, range=None, weight=None, density=False):
    _dd_check(self, weight)
    if bins and not isinstance(bins, int) and hasattr(bins[0], "shape"):
        _edges_check(self, bins, self.shape[-1])
        shapes = [b.shape[0] for b in bins]
    else:
        _range_check(range, self.shape[-1])
        shapes = [b + 1 for b in _dd_counts(self, bins)]
    return (fake_like(tuple(s - 1 for s in shapes), self.dtype, self),
            [fake_like((s,), self.dtype, self) for s in shapes])


def _dd_kernel(xp, self, bins, range=None, weight=None, density=False):
    _dd_check(self, weight)
    npd = self.dtype
    if bins and not isinstance(bins, int) and hasattr(bins[0], "shape"):
        _edges_check(self, bins, self.shape[-1])
        edges = [to_host(b) for b in bins]
        hist = _histdd(_as_rows(self, len(edges)).astype(npd), edges, weight, density, False, False, npd)
    else:
        _range_check(range, self.shape[-1])
        x, edges = _dd_edges_from_counts(self, _dd_counts(self, bins), range)
        hist = _histdd(x, edges, weight, density, True, True, npd)
    return _host(xp, hist), [_host(xp, e) for e in edges]


def _dd_decomp(self, bins, range=None, weight=None, density=False):
    if bins and not isinstance(bins, int) and hasattr(bins[0], "shape"):
        hist = aten._histogramdd_from_bin_tensors.default(self, list(bins), weight=weight, density=density)
        return hist, list(bins)
    counts = _dd_counts(self, bins)
    edges = aten._histogramdd_bin_edges.default(self, counts, range=range, weight=weight, density=density)
    hist = aten._histogramdd_from_bin_cts.default(self, counts, range=range, weight=weight, density=density)
    return hist, edges


_DD_TAIL = "float[]? range=None, Tensor? weight=None, bool density=False) -> (Tensor hist, Tensor[] bin_edges)"
register(f"histogramdd(Tensor self, int[] bins, {_DD_TAIL}", meta=_dd_meta, kernel=_dd_kernel,
         decomposition=_dd_decomp, variants=_FN)
register(f"histogramdd.int_bins(Tensor self, int bins, {_DD_TAIL}", meta=_dd_meta, kernel=_dd_kernel,
         decomposition=_dd_decomp, variants=_FN)
register(f"histogramdd.TensorList_bins(Tensor self, Tensor[] bins, {_DD_TAIL}", meta=_dd_meta, kernel=_dd_kernel,
         decomposition=_dd_decomp, variants=_FN)


def _bin_edges_meta(self, bins, *, range=None, weight=None, density=False):
    return _dd_meta(self, bins, range, weight, density)[1]


def _bin_edges_kernel(xp, self, bins, *, range=None, weight=None, density=False):
    return _dd_kernel(xp, self, bins, range, weight, density)[1]


def _from_cts_meta(self, bins, *, range=None, weight=None, density=False):
    return _dd_meta(self, bins, range, weight, density)[0]


def _from_cts_kernel(xp, self, bins, *, range=None, weight=None, density=False):
    return _dd_kernel(xp, self, bins, range, weight, density)[0]


def _from_tensors_meta(self, bins, *, weight=None, density=False):
    return _dd_meta(self, bins, None, weight, density)[0]


def _from_tensors_kernel(xp, self, bins, *, weight=None, density=False):
    return _dd_kernel(xp, self, bins, None, weight, density)[0]


register("_histogramdd_bin_edges(Tensor self, int[] bins, *, float[]? range=None, Tensor? weight=None, "
         "bool density=False) -> Tensor[]", meta=_bin_edges_meta, kernel=_bin_edges_kernel)
register("_histogramdd_from_bin_cts(Tensor self, int[] bins, *, float[]? range=None, Tensor? weight=None, "
         "bool density=False) -> Tensor", meta=_from_cts_meta, kernel=_from_cts_kernel)
register("_histogramdd_from_bin_tensors(Tensor self, Tensor[] bins, *, Tensor? weight=None, bool density=False) "
         "-> Tensor", meta=_from_tensors_meta, kernel=_from_tensors_kernel)


# ------------------------------------------------------- nonzero_static --
def _nonzero_static_meta(self, *, size, fill_value=-1):
    check(size >= 0, lambda: f"nonzero_static: 'size' must be an non-negative integer, but got size: {size}")
    return fake_like((size, len(self.shape)), dt.int64, self)


def _nonzero_static_kernel(xp, self, *, size, fill_value=-1):
    check(size >= 0, lambda: f"nonzero_static: 'size' must be an non-negative integer, but got size: {size}")
    found = xp.stack(xp.nonzero(self), axis=-1).astype(np.int64) if self.ndim else \
        xp.zeros((int(bool(self)), 0), dtype=np.int64)
    out = xp.full((size, self.ndim), fill_value, dtype=np.int64)
    n = min(size, found.shape[0])
    out[:n] = found[:n]
    return out


register("nonzero_static(Tensor self, *, SymInt size, int fill_value=-1) -> Tensor", meta=_nonzero_static_meta,
         kernel=_nonzero_static_kernel, variants=FUNCTION_AND_METHOD)
