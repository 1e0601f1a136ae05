"""quantile and nanquantile: a kernel over sorted rows, and the decomposition
torch's run_decompositions() produces (sort, gather around each rank, lerp).
"""
import numpy as np

from .. import dtypes as dt
from ._common import check, dtype_of, fake_like, out_array, wrap_dim
from ._registry import FUNCTION_AND_METHOD, aten, register
from .reductions import reduced_shape
from .sorting import _nan_count, _to_last


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
