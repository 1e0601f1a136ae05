"""Sample rows for the public surface of internal ATen ops (ops/internal_surface.py): complex ops on real
tensors, sum_to_size, the unsafe splits, the copying twins of views, the strided empty factories, and
native_dropout_backward / _softmax_backward_data."""
import numpy as np

import minexport as me
from op_samples import B, Sample, T, samples


@samples("aten.resolve_conj.default", "aten.resolve_neg.default", "aten.real.default", "aten.imag.default",
         "aten.conj_physical.default", "aten.conj_physical_.default")
def _real_identities():
    return [Sample(T(3, 4)), Sample(T(2, 3, dtype=me.float64, noncontig=True)), Sample(T(4, dtype=me.int64)),
            Sample(B(2, 2)), Sample(T(0, 2)), Sample(T())]


@samples("aten.angle.default")
def _angle():
    x = T(3, 4)
    x[0, 0], x[0, 1], x[0, 2], x[1, 0] = float("nan"), -0.0, float("-inf"), 0.0
    return [Sample(x), Sample(T(2, 3, dtype=me.float64, noncontig=True)), Sample(T(5, dtype=me.int64)),
            Sample(B(3)), Sample(T(0, 2)), Sample(T())]


@samples("aten.mH.default")
def _mH():
    return [Sample(T(3, 4)), Sample(T(2, 3, 4, noncontig=True)), Sample(T(2, 1, 3, 5, dtype=me.int64)),
            Sample(T(4)), Sample(T())]


@samples("aten.matrix_H.default")
def _matrix_H():
    return [Sample(T(3, 4)), Sample(T(2, 5, noncontig=True)), Sample(T(3, 3, dtype=me.int64)), Sample(T(4)),
            Sample(T(2, 3, 4)), Sample(T())]


@samples("aten.sum_to_size.default")
def _sum_to_size():
    return [Sample(T(2, 3, 4), [3, 1]), Sample(T(2, 3, 4), [1, 3, 1]), Sample(T(2, 3, 4), [2, 3, 4]),
            Sample(T(2, 3, 4, dtype=me.int64), [4]), Sample(T(5, noncontig=True), [1]), Sample(T(), []),
            Sample(B(2, 3), [1, 3]), Sample(T(2, 3, 4), [5]), Sample(T(2, 3, 4), [3, 1, 4, 1])]


@samples("aten.unsafe_chunk.default")
def _unsafe_chunk():
    return [Sample(T(5, 4), 2), Sample(T(5, 4), 3, 1), Sample(T(2, 6, dtype=me.int64), 4, -1), Sample(T(0, 3), 2),
            Sample(T(3, 4), 0)]


@samples("aten.unsafe_split.Tensor")
def _unsafe_split():
    return [Sample(T(5, 4), 2), Sample(T(5, 4), 3, 1), Sample(T(2, 6, dtype=me.int64), 4, -1),
            Sample(T(0, 3), 0), Sample(T(3, 4), -1)]


@samples("aten.split_with_sizes_copy.default")
def _split_with_sizes_copy():
    return [Sample(T(5, 4), [2, 3]), Sample(T(5, 4, noncontig=True), [1, 1, 2], 1),
            Sample(T(2, 6, dtype=me.int64), [6], -1), Sample(T(5, 4), [2, 2])]


@samples("aten.unfold_copy.default")
def _unfold_copy():
    return [Sample(T(5, 4), 0, 2, 1), Sample(T(3, 8, noncontig=True), 1, 3, 2),
            Sample(T(6, dtype=me.int64), 0, 6, 1), Sample(T(), 0, 1, 1), Sample(T(3, 4), 1, 5, 1)]


@samples("aten.as_strided_copy.default")
def _as_strided_copy():
    return [Sample(T(3, 3), [2, 2], [1, 2]), Sample(T(3, 3), [2, 2], [1, 2], 1),
            Sample(T(16, dtype=me.int64), [2, 1, 1, 2], [1, 7, 7, 1]), Sample(T(4), [2], [2])]


# uninitialized values: shapes, dtypes (and the strides, through the meta check) only
@samples("aten.new_empty_strided.default", random=True)
def _new_empty_strided():
    return [Sample(T(5, 5), [2, 0], [3, 4]), Sample(T(5), [2, 3], [7, 8], dtype=me.float64),
            Sample(T(2, dtype=me.int64), [1, 1, 12], [5, 20, 10]), Sample(T(), [], []), Sample(T(3), [2], [1, 1])]


@samples("aten.empty_permuted.default", random=True)
def _empty_permuted():
    return [Sample([2, 3, 4], [2, 0, 1]), Sample([1, 3, 5], [0, 2, 1], dtype=me.int64), Sample([], []),
            Sample([0, 2], [1, 0]), Sample([2, 3], [0, 0])]


@samples("aten.native_dropout_backward.default")
def _native_dropout_backward():
    return [Sample(T(3, 4), B(3, 4), 2.0), Sample(T(2, 3, dtype=me.float64, noncontig=True), B(2, 3), 0.5),
            Sample(T(4, dtype=me.int64), B(4), 2.0), Sample(T(3), T(3), 1.0), Sample(T(0, 2), B(0, 2), 1.5)]


def _softmax_of(*shape, dim, dtype=me.float32):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype.numpy_dtype)
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return me.from_numpy(e / e.sum(axis=dim, keepdims=True))


@samples("aten._softmax_backward_data.default")
def _softmax_backward_data():
    return [Sample(T(3, 4), _softmax_of(3, 4, dim=1), 1, me.float32),
            Sample(T(2, 3, 4, dtype=me.float64), _softmax_of(2, 3, 4, dim=0, dtype=me.float64), 0, me.float64),
            Sample(T(5), _softmax_of(5, dim=0), -1, me.float32), Sample(T(3, 4), _softmax_of(3, 4, dim=1), 2,
                                                                          me.float32)]


@samples("aten._chunk_cat.default")
def _chunk_cat():
    return [Sample([T(1, 2, 3), T(1, 2, 3)], -1, 5), Sample([T(3, 3, 2, 1), T(1, 4, 2, 2), T(2, 1, 3, 3)], 0, 2),
            Sample([T(2, 3, 3), T(2, 3, 1, 2), T(2, 3)], 1, 3), Sample([T(2, 3, dtype=me.int64)], 1, 2),
            Sample([T(2, 3), T(2, 3, dtype=me.float64)], 1, 2), Sample([T(2, 3), T(0, 3)], 1, 2),
            Sample([T(2, 3), T(3, 3)], 1, 2), Sample([T(2, 3)], 1, 0)]


def _grid(*sizes, bounds):
    """Broadcasting index tensors over a grid of `sizes`, running 0, 1, ... past `bounds` (the indexed sizes),
    and a mask that keeps a random half of the in-range positions (torch leaves out-of-range ones undefined
    unless masked)."""
    n = len(sizes)
    grid = [np.arange(s, dtype=np.int64).reshape((1,) * i + (s,) + (1,) * (n - i - 1)) for i, s in enumerate(sizes)]
    inside = np.ones(sizes, dtype=bool)
    for g, b in zip(grid, bounds):
        inside &= g < b
    mask = inside & (np.random.default_rng(len(sizes)).random(sizes) > 0.5)
    return me.from_numpy(mask), [me.from_numpy(g) for g in grid]


@samples("aten._unsafe_masked_index.default")
def _unsafe_masked_index():
    def row(x, sizes, fill, drop=None):
        mask, idx = _grid(*sizes, bounds=x.shape)
        if drop is not None:
            idx[drop] = None
        return Sample(x, mask, idx, fill)
    return [row(T(5, 5), (7, 7), -2.5), row(T(5, 5, 5), (3, 6, 2), 0), row(T(4, 3, dtype=me.int64), (4, 3), 7),
            row(T(0, 3), (2, 3), 1.5), row(T(5, 5), (5, 2), 1.0, drop=0)]


@samples("aten._unsafe_masked_index_put_accumulate.default")
def _unsafe_masked_index_put_accumulate():
    def row(x, sizes, values):
        mask, idx = _grid(*sizes, bounds=x.shape)
        return Sample(x, mask, idx, values)
    return [row(T(5, 5), (7, 7), T(7, 7)), row(T(5, 5, 5), (3, 6, 2), T(3, 6, 2)),
            row(T(4, 3, dtype=me.int64), (4, 3), T(4, 3, dtype=me.int64)), row(T(0, 3), (2, 3), T(2, 3)),
            row(T(3, 3), (2, 2), T(2, 2, dtype=me.float64))]


def _stats(c, dtype=me.float32):
    """Fresh running statistics (mean, var) for c channels."""
    return T(c, dtype=dtype), T(c, dtype=dtype, low=0.5, high=2.0)


@samples("aten.native_batch_norm.default")
def _native_batch_norm():
    return [Sample(T(4, 3, 5), T(3), T(3), *_stats(3), True, 0.1, 1e-5),
            Sample(T(4, 3, 5), None, None, *_stats(3), False, 0.1, 1e-5),
            Sample(T(4, 3, 2, 2, dtype=me.float64), T(3, dtype=me.float64), None, *_stats(3, me.float64), True, 0.5,
                   0.6),
            Sample(T(4, 3), T(3), T(3), None, None, True, 0.1, 1e-5),
            Sample(T(4, 3), None, None, _stats(3)[0], None, True, 0.1, 1e-5),
            Sample(T(4, 3, 5), T(3), T(3), *_stats(3), False, -1.2, 1e-5)]


@samples("aten._batch_norm_with_update.default", "aten._batch_norm_with_update_functional.default")
def _batch_norm_with_update():
    return [Sample(T(4, 3, 5), T(3), T(3), *_stats(3), 0.1, 1e-5),
            Sample(T(4, 3, 5), None, None, *_stats(3), 0.1, 1e-5),
            Sample(T(4, 3, 2, 2, dtype=me.float64), T(3, dtype=me.float64), None, *_stats(3, me.float64), 0.5, 0.6)]


@samples("aten._upsample_bilinear2d_aa.default")
def _upsample_bilinear2d_aa():
    return [Sample(T(2, 3, 10, 20), [5, 7], False), Sample(T(1, 2, 10, 20), [17, 18], False, 1.7, 0.9),
            Sample(T(2, 3, 6, 8), [12, 3], True), Sample(T(1, 1, 5, 5, dtype=me.float64), [2, 9], False),
            Sample(T(1, 2, 4, 4), [4, 4], False), Sample(T(1, 1, 4, 4, dtype=me.int64), [2, 2], False),
            Sample(T(2, 4, 4), [2, 2], False), Sample(T(1, 1, 4, 4), [0, 2], False),
            Sample(T(1, 3, 13, 17, dtype=me.uint8, low=0, high=255), [5, 30], False)]


@samples("aten._upsample_bilinear2d_aa.vec")
def _upsample_bilinear2d_aa_vec():
    return [Sample(T(2, 3, 10, 20), [5, 7], False, None), Sample(T(1, 2, 10, 20), None, False, [1.7, 0.9]),
            Sample(T(2, 3, 6, 8), None, True, [0.5, 2.0]), Sample(T(1, 1, 4, 4), [2, 2], False, [0.5, 0.5])]
