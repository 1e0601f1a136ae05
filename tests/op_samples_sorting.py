"""Sample rows for sorting, order statistics, scans, NaN-aware reductions and distances.

Rows whose indices torch picks by its algorithm among equal values (topk,
kthvalue, median) use values without ties: a permutation for integers,
random floats otherwise.  sort is stable in both, so its rows keep ties.
"""
import numpy as np

import minexport as me
from op_samples import Sample, T, samples

_rng = np.random.default_rng(4321)


def P(*shape, dtype=me.int64):
    """Distinct integers (a shuffled range) of the given shape: no ties."""
    n = int(np.prod(shape)) if shape else 1
    return me.from_numpy(_rng.permutation(n).reshape(shape).astype(dtype.numpy_dtype) - n // 2)


def N(*shape, dtype=me.float32, every=3):
    """Random floats with a NaN at every `every`-th element."""
    t = T(*shape, dtype=dtype)
    flat = t.numpy().reshape(-1)
    flat[::every] = np.nan
    return me.from_numpy(flat.reshape(shape).copy())


def Ti(*shape, high=3, dtype=me.int64):
    """Small integers: many ties."""
    return T(*shape, dtype=dtype, low=0, high=high)


# ------------------------------------------------------------------ sort --
@samples("aten.sort.default")
def _sort():
    return [Sample(T(3, 5)), Sample(T(3, 5), 0), Sample(T(2, 3, 4, noncontig=True), 1, True),
            Sample(N(4, 5)), Sample(N(4, 5), 1, True), Sample(Ti(3, 6), 1), Sample(Ti(3, 6), -1, True),
            Sample(T(3, dtype=me.float64)), Sample(T()), Sample(T(0, 3), 0), Sample(T(2, 2, dtype=me.bool), 0),
            Sample(T(3), 1)]


@samples("aten.sort.stable")
def _sort_stable():
    return [Sample(T(3, 5), stable=True), Sample(Ti(4, 6), stable=True, dim=0),
            Sample(Ti(4, 6, dtype=me.int32), stable=True, dim=1, descending=True),
            Sample(N(6), stable=False, descending=True), Sample(T(), stable=None)]


@samples("aten.argsort.default")
def _argsort():
    return [Sample(T(3, 5)), Sample(Ti(3, 6), 0, True), Sample(N(7)), Sample(T(2, 3, 4, noncontig=True), -2)]


@samples("aten.argsort.stable")
def _argsort_stable():
    return [Sample(Ti(3, 6), stable=True), Sample(Ti(3, 6), stable=True, dim=0, descending=True),
            Sample(N(2, 7), stable=True, descending=True)]


@samples("aten.msort.default")
def _msort():
    return [Sample(T(4, 3)), Sample(Ti(5, 2)), Sample(N(5)), Sample(T())]


# ---------------------------------------------------------- topk, kthvalue --
@samples("aten.topk.default")
def _topk():
    return [Sample(T(3, 6), 2), Sample(T(3, 6), 3, 0), Sample(T(4, 5), 2, largest=False),
            Sample(P(3, 5), 5, 1), Sample(P(4, 3, dtype=me.int32), 2, 0, False), Sample(T(5), 0),
            Sample(T(), 1), Sample(T(4), 5), Sample(N(9, every=9), 2),
            Sample(T(2, 3, 4, noncontig=True), 2, -1, True, True)]


@samples("aten.kthvalue.default")
def _kthvalue():
    return [Sample(T(3, 6), 2), Sample(T(3, 6), 3, 0, True), Sample(P(4, 5), 5), Sample(T(), 1),
            Sample(T(4), 5), Sample(T(4), 0), Sample(N(9, every=9), 9)]


# ----------------------------------------------------- median, nanmedian --
@samples("aten.median.default", "aten.nanmedian.default")
def _median():
    return [Sample(T(3, 5)), Sample(T(4, 2, dtype=me.float64)), Sample(P(7)), Sample(P(6, dtype=me.int32)),
            Sample(N(4, 3)), Sample(T()), Sample(T(0))]


@samples("aten.median.dim", "aten.nanmedian.dim")
def _median_dim():
    return [Sample(T(3, 5), 1), Sample(T(4, 6), 0, True), Sample(P(4, 5), -1), Sample(N(4, 5, every=2), 1),
            Sample(N(5, 4, every=3), 0), Sample(T(), 0), Sample(T(3, 0), 1), Sample(T(0, 3), 1)]


@samples("aten.mode.default")
def _mode():
    return [Sample(Ti(4, 7)), Sample(Ti(5, 3), 0, True), Sample(T(3, 4)), Sample(Ti(3, 5, high=4, dtype=me.int32), 1),
            Sample(T()), Sample(T(3, 0), 1)]


# -------------------------------------------------- quantile, nanquantile --
def _q(*values, dtype=me.float32):
    return me.tensor(list(values), dtype=dtype)


@samples("aten.quantile.scalar", "aten.nanquantile.scalar")
def _quantile_scalar():
    out = [Sample(T(3, 5), 0.3), Sample(T(3, 5), 0.5, 1), Sample(T(4, 5, dtype=me.float64), 1.0, 0, True),
           Sample(N(4, 5), 0.25, 1), Sample(N(12), 0.7), Sample(T(3, 4), 0.6, None, True), Sample(T(), 0.2),
           Sample(T(3, 4), 1.5), Sample(T(0), 0.5), Sample(T(3, dtype=me.int64), 0.5),
           Sample(T(3, 5), 0.4, 1, interpolation="bogus")]
    out += [Sample(T(3, 5), 0.35, 1, interpolation=m) for m in ("lower", "higher", "midpoint", "nearest")]
    return out


@samples("aten.quantile.default", "aten.nanquantile.default")
def _quantile():
    out = [Sample(T(3, 5), _q(0.1, 0.5, 0.9)), Sample(T(3, 5), _q(0.25), 1, True),
           Sample(T(4, 5, dtype=me.float64), _q(0.0, 1.0, dtype=me.float64), 0),
           Sample(N(4, 6), _q(0.3, 0.6), 1), Sample(T(3, 4), me.tensor(0.4), 0),
           Sample(T(3, 4), _q(0.5, dtype=me.float64)), Sample(T(3, 4), _q(0.5, 1.2))]
    out += [Sample(T(3, 6), _q(0.2, 0.5, 0.7), 1, interpolation=m) for m in ("lower", "higher", "midpoint", "nearest")]
    return out


# ------------------------------------------------ searchsorted, bucketize --
def _sorted(*shape, dtype=me.float32):
    return me.sort(T(*shape, dtype=dtype), -1).values


@samples("aten.searchsorted.Tensor")
def _searchsorted():
    seq = me.tensor([-2.0, -1.0, 0.0, 0.0, 1.0, 2.5])
    vals = me.tensor([[-3.0, 0.0, 0.5], [1.0, 2.5, 9.0]])
    unsorted = me.tensor([2.0, -1.0, 0.5, 0.0])
    return [Sample(seq, vals), Sample(seq, vals, right=True), Sample(seq, vals, side="right"),
            Sample(seq, vals, side="left", out_int32=True), Sample(_sorted(2, 5), T(2, 3)),
            Sample(_sorted(2, 5), T(2, 3), right=True), Sample(unsorted, vals, sorter=me.argsort(unsorted)),
            Sample(me.tensor([1, 2, 3, 5]), me.tensor([2.5, 5.0])), Sample(seq, vals, side="left", right=True),
            Sample(seq, vals, side="middle"), Sample(_sorted(2, 5), T(3, 3))]


@samples("aten.searchsorted.Scalar")
def _searchsorted_scalar():
    seq = me.tensor([-2.0, -1.0, 0.0, 0.0, 1.0, 2.5])
    return [Sample(seq, 0.0), Sample(seq, 0.0, right=True), Sample(me.tensor([1, 3, 5]), 3, out_int32=True)]


@samples("aten.bucketize.Tensor")
def _bucketize():
    b = me.tensor([-1.0, 0.0, 0.0, 2.0])
    return [Sample(T(3, 4), b), Sample(T(3, 4), b, right=True), Sample(me.tensor([0, 2, 5]), b, out_int32=True),
            Sample(T(3), _sorted(2, 3))]


@samples("aten.bucketize.Scalar")
def _bucketize_scalar():
    b = me.tensor([-1.0, 0.0, 0.0, 2.0])
    return [Sample(0.0, b), Sample(0.0, b, right=True), Sample(3, me.tensor([1, 3, 5]), out_int32=True)]


# ---------------------------------------------------------------- unique --
@samples("aten._unique2.default")
def _unique2():
    return [Sample(Ti(4, 5)), Sample(Ti(4, 5), True, True, True), Sample(Ti(6, dtype=me.int32), True, False, True),
            Sample(N(3, 4), True, True, True), Sample(T(2, 3), False, True), Sample(T(0, 3), True, True, True),
            Sample(T(), True, True, True), Sample(T(4, dtype=me.bool), True, True, True)]


@samples("aten.unique_dim.default")
def _unique_dim():
    rows = me.tensor([[1, 2, 3], [0, 5, 1], [1, 2, 3], [0, 5, 0]])
    return [Sample(rows, 0), Sample(rows, 1, True, True, True), Sample(rows, -2, True, False, True),
            Sample(Ti(2, 5, 2, high=2), 1, True, True, True), Sample(rows.float(), 0), Sample(T(), 0)]


@samples("aten.unique_consecutive.default")
def _unique_consecutive():
    runs = me.tensor([[1, 1, 2, 2], [1, 1, 2, 3], [0, 0, 2, 2]])
    return [Sample(Ti(12, high=2)), Sample(Ti(3, 4, high=2), True, True), Sample(runs, True, True, 0),
            Sample(runs, False, False, 1), Sample(N(7, every=2), True, True), Sample(T(0, 2), True, True),
            Sample(T(), True, True), Sample(runs.float(), False, True, -1), Sample(T(), True, True, 0)]


# -------------------------------------------------------------- randperm --
@samples("aten.randperm.default", random=True)
def _randperm():
    return [Sample(6), Sample(0), Sample(5, dtype=me.int32), Sample(4, dtype=me.float32), Sample(-1)]


# ----------------------------------------------------------------- scans --
@samples("aten.cumsum_.default", "aten.cumprod_.default")
def _cum_inplace():
    return [Sample(T(3, 4), 1), Sample(T(3, 4, dtype=me.int32, high=4), 0), Sample(T(4, dtype=me.float64), -1)]


@samples("aten.cumprod.default")
def _cumprod():
    return [Sample(T(3, 4), 1), Sample(T(3, 4, dtype=me.int32, high=4), 0), Sample(T(5), -1, dtype=me.float64),
            Sample(T(4, dtype=me.bool), 0), Sample(T(), 0), Sample(T(0, 3), 0), Sample(T(3), 2)]


@samples("aten.cummax.default", "aten.cummin.default")
def _cummax():
    return [Sample(T(3, 6), 1), Sample(Ti(5, 4), 0), Sample(N(2, 7), 1), Sample(T(4, dtype=me.bool), 0),
            Sample(T(), 0), Sample(T(0, 3), 1), Sample(T(2, 3, 4, noncontig=True), -1)]


@samples("aten.logcumsumexp.default")
def _logcumsumexp():
    x = me.tensor([-float("inf"), -float("inf"), 1.0, 80.0, -3.0])
    return [Sample(T(3, 6), 1), Sample(T(4, 3, dtype=me.float64), 0), Sample(x, 0), Sample(T(), 0),
            Sample(T(3, dtype=me.int64), 0)]


# ------------------------------------------------------ NaN-aware reductions --
@samples("aten.nansum.default")
def _nansum():
    return [Sample(N(3, 4)), Sample(N(3, 4), [1]), Sample(N(3, 4), 0, True), Sample(T(3, 4, dtype=me.int32), [0]),
            Sample(N(2, 3, 4), [0, 2], dtype=me.float64), Sample(T(4, dtype=me.bool)), Sample(T(0, 3), [1])]


@samples("aten.nanmean.default")
def _nanmean():
    return [Sample(N(3, 4)), Sample(N(3, 4), [1]), Sample(N(3, 4, every=4), 0, True),
            Sample(N(2, 3, 4, dtype=me.float64), [0, 2]), Sample(T(3, dtype=me.int64))]


@samples("aten.var_mean.correction", "aten.std_mean.correction")
def _var_mean():
    return [Sample(T(3, 4)), Sample(T(3, 4), [1]), Sample(T(2, 3, 4), [0, 2], correction=0, keepdim=True),
            Sample(T(5, dtype=me.float64), None, correction=2), Sample(T(3, dtype=me.int64))]


@samples("aten.var_mean.dim", "aten.std_mean.dim")
def _var_mean_dim():
    return [Sample(T(3, 4), [1]), Sample(T(3, 4), [0], False, True)]


@samples("aten.var_mean.default", "aten.std_mean.default")
def _var_mean_default():
    return [Sample(T(3, 4)), Sample(T(3, 4), False)]


@samples("aten.aminmax.default")
def _aminmax():
    return [Sample(T(3, 4)), Sample(T(3, 4), dim=1), Sample(T(3, 4), dim=0, keepdim=True),
            Sample(T(3, 4), keepdim=True), Sample(Ti(3, 4), dim=-1), Sample(T(), dim=0), Sample(N(3, 4), dim=1),
            Sample(T(0, 3), dim=1), Sample(T(0, 3), dim=0), Sample(T(0, 3))]


@samples("aten.count_nonzero.default")
def _count_nonzero():
    return [Sample(Ti(3, 4)), Sample(Ti(3, 4), 1), Sample(T(3, 4, dtype=me.bool), -1), Sample(T(0, 3))]


@samples("aten.count_nonzero.dim_IntList")
def _count_nonzero_dims():
    return [Sample(Ti(3, 4), [0, 1]), Sample(Ti(2, 3, 4), [2]), Sample(Ti(3, 4), [1, 1])]


@samples("aten.linalg_vector_norm.default", tol=(1e-4, 1e-5))
def _vector_norm():
    return [Sample(T(3, 4)), Sample(T(3, 4), 1, [1]), Sample(T(3, 4), float("inf"), [0], True),
            Sample(T(3, 4), -float("inf")), Sample(T(3, 4), 0, [1]), Sample(T(3, 4), 3.5, [0, 1]),
            Sample(T(3, 4), 2, dtype=me.float64), Sample(T(3, 4, dtype=me.float64), 2, dtype=me.float32),
            Sample(T(3, dtype=me.int64)), Sample(T(0, 3), -1), Sample(T(0, 3), float("inf"), [1])]


# ------------------------------------------------------------- distances --
@samples("aten.dist.default", tol=(1e-4, 1e-5))
def _dist():
    return [Sample(T(3, 4), T(3, 4)), Sample(T(3, 4), T(4), 1), Sample(T(3, 4), T(3, 4), 0),
            Sample(T(5), T(5, dtype=me.float64), float("inf")), Sample(T(3, dtype=me.int64), T(3), 3),
            Sample(T(3, dtype=me.int64), T(3, dtype=me.int64)), Sample(T(3), T(2))]


@samples("aten.cdist.default", "aten._cdist_forward.default", tol=(1e-4, 1e-4))
def _cdist():
    return [Sample(T(4, 3), T(5, 3), 2.0, None), Sample(T(4, 3), T(5, 3), 1.0, None),
            Sample(T(2, 4, 3), T(2, 5, 3), 0.0, None), Sample(T(4, 3), T(5, 3), float("inf"), None),
            Sample(T(2, 1, 4, 3), T(3, 5, 3), 3.0, None), Sample(T(30, 3), T(5, 3), 2.0, None),
            Sample(T(4, 3), T(5, 3), 2.0, 1), Sample(T(30, 3), T(5, 3), 2.0, 2),
            Sample(T(2, 30, 3, dtype=me.float64), T(1, 6, 3, dtype=me.float64), 2.0, None),
            Sample(T(0, 3), T(2, 3), 2.0, None), Sample(T(3, 0), T(2, 0), 2.0, None),
            Sample(T(3, 2), T(3, 3), 2.0, None), Sample(T(3), T(3), 2.0, None),
            Sample(T(3, 2, dtype=me.int64), T(3, 2, dtype=me.int64), 2.0, None),
            Sample(T(3, 2), T(3, 2), -1.0, None), Sample(T(3, 2), T(3, 2), 2.0, 3)]


@samples("aten._pdist_forward.default", tol=(1e-4, 1e-5))
def _pdist_forward():
    # torch's _pdist_forward leaves the checks to pdist: wrong ranks or p give it unchecked results
    return [Sample(T(5, 3)), Sample(T(5, 3), 1.0), Sample(T(4, 2, dtype=me.float64), 0.0),
            Sample(T(4, 3), float("inf")), Sample(T(4, 3), 0.5), Sample(T(1, 3))]


@samples("aten.pdist.default", tol=(1e-4, 1e-5))
def _pdist():
    return _pdist_forward() + [Sample(T(3, 2, 1)), Sample(T(3, 2), -1.0), Sample(T(3, 2, dtype=me.int64))]


@samples("aten.pairwise_distance.default", tol=(1e-4, 1e-5))
def _pairwise():
    return [Sample(T(4, 3), T(4, 3)), Sample(T(4, 3), T(1, 3), 1.0), Sample(T(4, 3), T(4, 3), 3.0, 1e-3, True),
            Sample(T(3), T(3)), Sample(T(3, dtype=me.int64), T(3, dtype=me.int64)), Sample(T(4, 3), T(4, 3), 0.0),
            Sample(T(2, 4, 3, dtype=me.float64), T(4, 3), float("inf"))]


@samples("aten.cosine_similarity.default", tol=(1e-4, 1e-5))
def _cosine():
    return [Sample(T(4, 3), T(4, 3)), Sample(T(4, 3), T(1, 3)), Sample(T(3, 4), T(3, 4), 0),
            Sample(T(2, 3, 4, dtype=me.float64), T(2, 3, 4, dtype=me.float64), -1, 1e-6),
            Sample(T(3), T(3), 0), Sample(me.zeros(2, 3), T(2, 3)),
            Sample(T(3, 2, dtype=me.int64), T(3, 2, dtype=me.int64)), Sample(T(3, 2), T(2, 3))]


@samples("aten.renorm.default", "aten.renorm_.default", tol=(1e-4, 1e-5))
def _renorm():
    return [Sample(T(3, 4), 2, 0, 1.0), Sample(T(3, 4), 1, 1, 2.5), Sample(T(2, 3, 4), 3, -1, 0.5),
            Sample(T(3, 4, dtype=me.float64), float("inf"), 0, 1.0), Sample(T(3, 4), 2, 0, 100.0),
            Sample(T(3), 2, 0, 1.0), Sample(T(3, 4), -1, 0, 1.0), Sample(T(3, 4), 2, 0, -1.0),
            Sample(T(3, 4, dtype=me.int64), 2, 0, 1.0)]
