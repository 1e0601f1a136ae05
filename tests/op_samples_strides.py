"""Sample rows for the stride ops: as_strided, diagonal and their scatters, empty_strided, sym_stride & co."""
import minexport as me
from op_samples import Sample, T, samples


@samples("aten.as_strided.default")
def _as_strided():
    return [Sample(T(4, 5), [3, 2], [1, 5]), Sample(T(4, 5), [2, 2], [5, 1], 3),
            Sample(T(4, 5, noncontig=True), [2, 3], [10, 2]), Sample(T(6), [0, 3], [1, 1]),
            Sample(T(6), [2, 2], [0, 1], 1)]


@samples("aten.as_strided_scatter.default")
def _as_strided_scatter():
    return [Sample(T(4, 5), T(3, 2), [3, 2], [1, 5]), Sample(T(4, 5), T(2, 2), [2, 2], [5, 1], 3)]


@samples("aten.diagonal.default")
def _diagonal():
    return [Sample(T(4, 5)), Sample(T(4, 5), 1), Sample(T(4, 5), -2), Sample(T(2, 3, 4), 0, 1, 2),
            Sample(T(2, 3, 4), -1, -1, 0), Sample(T(3, 3), 5), Sample(T(3, 4, noncontig=True), 1)]


@samples("aten.diagonal_scatter.default")
def _diagonal_scatter():
    return [Sample(T(4, 5), T(4)), Sample(T(4, 5), T(4), 1), Sample(T(2, 3, 4), T(2, 3), -1, 1, 2)]


@samples("aten.empty_strided.default", random=True)
def _empty_strided():
    return [Sample([2, 3], [1, 2]), Sample([2, 3, 4], [12, 1, 3], dtype=me.int64), Sample([0, 3], [3, 1])]


@samples("aten.sym_stride.int")
def _sym_stride():
    return [Sample(T(3, 4), 0), Sample(T(3, 4, noncontig=True), -1), Sample(T(3, 4).t(), 1)]


@samples("aten.sym_storage_offset.default")
def _sym_storage_offset():
    # (a view's offset in its storage is compared with torch's in test_strides.py: this test's torch copy of
    # an input keeps its strides, not its storage)
    return [Sample(T(3, 4)), Sample(T(3, 4, noncontig=True))]


@samples("aten.sym_numel.default")
def _sym_numel():
    return [Sample(T(3, 4)), Sample(T(0, 2)), Sample(T())]


@samples("aten.sym_is_contiguous.default")
def _sym_is_contiguous():
    nhwc = T(2, 3, 4, 5).contiguous(memory_format=me.channels_last)
    return [Sample(T(3, 4)), Sample(T(3, 4, noncontig=True)), Sample(T(4, 3).t()), Sample(T(0, 2)),
            Sample(nhwc), Sample(nhwc, memory_format=me.channels_last), Sample(T(2, 3, 4, 5), me.channels_last)]


@samples("aten.movedim.int", "aten.moveaxis.int")
def _movedim():
    return [Sample(T(2, 3, 4), 0, 2), Sample(T(2, 3, 4), -1, 0), Sample(T(2, 3, 4, noncontig=True), 1, 1)]


@samples("aten.movedim.intlist", "aten.moveaxis.intlist")
def _movedim_list():
    return [Sample(T(2, 3, 4), [0, 1], [2, 0]), Sample(T(2, 3, 4), [], []), Sample(T(2, 3, 4), [0], [-1])]


@samples("aten.unfold.default")
def _unfold():
    return [Sample(T(2, 6), 1, 2, 1), Sample(T(2, 6), -1, 3, 3), Sample(T(7), 0, 2, 2),
            Sample(T(3, 4, noncontig=True), 0, 2, 1), Sample(T(), 0, 1, 1), Sample(T(2, 3), 1, 4, 1)]


@samples("aten.to.dtype_layout")
def _to_dtype_layout():
    return [Sample(T(2, 3, 4, 5), memory_format=me.channels_last), Sample(T(2, 3), dtype=me.float64),
            Sample(T(2, 3).t(), memory_format=me.contiguous_format), Sample(T(2, 3), copy=True)]
