"""Sample rows for the indexing ops: scatter_add, masked_scatter/select, index_add/copy/fill/reduce,
take/put/take_along_dim, and gather/scatter with int32 indices."""
import minexport as me
from op_samples import B, L, Sample, T, samples


def _i32(*values):
    return me.tensor(list(values), dtype=me.int32)


@samples("aten.gather.default")
def _gather():
    return [Sample(T(3, 4), 1, L(3, 2, high=4)), Sample(T(3, 4), 0, L(2, 4, high=3)),
            Sample(T(3, 4), 1, L(3, 2, high=4).to(me.int32)), Sample(T(3, 4), 0, L(0, 4).to(me.uint8)),
            Sample(T(3, 4), 0, L(2, 4).to(me.uint8)), Sample(T(3, 4, dtype=me.int64), -1, L(3, 5, high=4))]


@samples("aten.scatter_add.default", "aten.scatter_add_.default")
def _scatter_add():
    idx = me.tensor([[0, 0], [2, 2], [1, 0]])
    return [Sample(T(3, 4), 1, idx, T(3, 2)), Sample(T(3, 4), 0, me.tensor([[0, 1, 2, 0], [0, 0, 0, 0]]), T(2, 4)),
            Sample(T(3, 4, dtype=me.int64), 1, idx.to(me.int32), T(3, 3, dtype=me.int64)),
            Sample(T(3, 4), 1, idx, T(3, 2, dtype=me.float64)), Sample(T(3, 4), 1, idx.to(me.float32), T(3, 2))]


@samples("aten.masked_scatter.default")
def _masked_scatter():
    return [Sample(T(3, 4), B(3, 4), T(12)), Sample(T(3, 4), B(4), T(3, 5)), Sample(T(4), B(3, 4), T(12)),
            Sample(T(3, 4, dtype=me.int64), B(3, 4), T(12, dtype=me.int64)),
            Sample(T(3, 4), B(3, 4).to(me.uint8), T(12)),
            Sample(T(3, 4), B(3, 4), T(12, dtype=me.float64))]


@samples("aten.masked_scatter_.default")
def _masked_scatter_():
    return [Sample(T(3, 4), B(3, 4), T(12)), Sample(T(3, 4), B(4), T(3, 5)), Sample(T(4), B(3, 4), T(12))]


@samples("aten.masked_select.default")
def _masked_select():
    return [Sample(T(3, 4), B(3, 4)), Sample(T(3, 4), B(4)), Sample(T(4), B(2, 4)),
            Sample(T(3, dtype=me.int64), B(3)), Sample(T(0, 2), B(2)), Sample(T(3, 4), B(3, 4).to(me.uint8))]


@samples("aten.index_add.default", "aten.index_add_.default")
def _index_add():
    return [Sample(T(5, 3), 0, me.tensor([0, 4, 0]), T(3, 3)), Sample(T(5, 3), 1, _i32(2, 0), T(5, 2), alpha=2),
            Sample(T(4, 3, dtype=me.int64), -1, me.tensor([1, 1]), T(4, 2, dtype=me.int64), alpha=3),
            Sample(T(), 0, me.tensor([0]), T()), Sample(T(5, 3), 0, me.tensor([0, 1]), T(3, 3)),
            Sample(T(5, 3), 0, me.tensor([0, 1]), T(2, 3, dtype=me.float64)),
            Sample(T(5, 3), 0, me.tensor([0.0]), T(1, 3))]


@samples("aten.index_copy.default", "aten.index_copy_.default")
def _index_copy():
    return [Sample(T(5, 3), 0, me.tensor([0, 4, 2]), T(3, 3)), Sample(T(5, 3), 1, _i32(2, 0), T(5, 2)),
            Sample(T(4, 3, dtype=me.int64), -1, me.tensor([1, 0]), T(4, 2, dtype=me.int64)),
            Sample(T(5, 3), 0, me.tensor([1]), T(1, 3, dtype=me.float64))]


@samples("aten.index_fill.int_Scalar", "aten.index_fill_.int_Scalar")
def _index_fill():
    return [Sample(T(5, 3), 0, me.tensor([0, 4]), 2.5), Sample(T(5, 3, dtype=me.int64), 1, _i32(2), -7),
            Sample(T(), 0, me.tensor([0]), 1.0)]


@samples("aten.index_fill.int_Tensor", "aten.index_fill_.int_Tensor")
def _index_fill_t():
    return [Sample(T(5, 3), 0, me.tensor([0, 4]), me.tensor(2.5)),
            Sample(T(5, 3), -1, me.tensor([1]), me.tensor(3, dtype=me.int64)),
            Sample(T(5, 3), 0, me.tensor([0]), T(2))]


@samples("aten.index_reduce.default", "aten.index_reduce_.default")
def _index_reduce():
    idx = me.tensor([0, 4, 0, 2])
    out = [Sample(T(5, 3), 0, idx, T(4, 3), r) for r in ("prod", "mean", "amax", "amin")]
    out += [Sample(T(5, 3), 0, idx, T(4, 3), r, include_self=False) for r in ("prod", "mean", "amax", "amin")]
    return out + [Sample(T(3, 5, dtype=me.int64, high=9), 1, idx, T(3, 4, dtype=me.int64, high=9), "mean"),
                  Sample(T(3, 5, dtype=me.int64), 1, idx, T(3, 4, dtype=me.int64), "amax", include_self=False),
                  Sample(T(5, 3), 0, idx, T(4, 3), "sum")]


@samples("aten.take.default")
def _take():
    return [Sample(T(3, 4), L(2, 3, high=12)), Sample(T(3, 4), me.tensor([-1, 0])), Sample(T(5), L(0)),
            Sample(T(3, 4), _i32(1))]


@samples("aten.put.default", "aten.put_.default")
def _put():
    return [Sample(T(3, 4), me.tensor([0, -1, 5]), T(3)), Sample(T(3, 4), me.tensor([1, 1, 5]), T(3), True),
            Sample(T(3, 4, dtype=me.int64), me.tensor([[2, 3]]), T(2, dtype=me.int64)),
            Sample(T(3, 4), me.tensor([0, 1]), T(3)), Sample(T(3, 4), me.tensor([0]), T(1, dtype=me.float64)),]


@samples("aten.take_along_dim.default")
def _take_along_dim():
    return [Sample(T(3, 4), L(3, 2, high=4), 1), Sample(T(3, 4), L(2, 1, high=3), 0), Sample(T(3, 4), L(5, high=12)),
            Sample(T(3, 4), me.tensor([[-1], [0], [2]]), 1), Sample(T(3, 1), L(3, 5, high=1), 1),
            Sample(T(3, 4), L(2, high=4), 0), Sample(T(3, 4), _i32(1), None)]
