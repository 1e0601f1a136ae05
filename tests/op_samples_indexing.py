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


# ------------------------------------------------------------- shape_extra ----
@samples("aten.movedim.int", "aten.moveaxis.int")
def _movedim_int():
    return [Sample(T(2, 3, 4), 0, 2), Sample(T(2, 3, 4), -1, 0), Sample(T(), 0, 0), Sample(T(2, 3), 0, 2)]


@samples("aten.movedim.intlist", "aten.moveaxis.intlist")
def _movedim_list():
    return [Sample(T(2, 3, 4), [0, 1], [2, 0]), Sample(T(2, 3, 4, dtype=me.int64), [-1], [0]),
            Sample(T(2, 3), [0, 0], [1, 0]), Sample(T(2, 3), [0], [1, 0])]


@samples("aten.ravel.default")
def _ravel():
    return [Sample(T(2, 3)), Sample(T(2, 3, noncontig=True)), Sample(T())]


@samples("aten.atleast_1d.default", "aten.atleast_2d.default", "aten.atleast_3d.default")
def _atleast():
    return [Sample(T()), Sample(T(3)), Sample(T(2, 3)), Sample(T(2, 3, 4, dtype=me.int64))]


@samples("aten.atleast_1d.Sequence", "aten.atleast_2d.Sequence", "aten.atleast_3d.Sequence")
def _atleast_seq():
    return [Sample([T(), T(3), T(2, 3)]), Sample([T(2, 3, 4)])]


@samples("aten.hstack.default", "aten.vstack.default", "aten.row_stack.default", "aten.dstack.default",
         "aten.column_stack.default")
def _stacks():
    return [Sample([T(2, 3), T(2, 3)]), Sample([T(3), T(3, dtype=me.float64)]), Sample([T(), T()]),
            Sample([T(2, 3, dtype=me.int64), T(2, 3)]), Sample([]), Sample([T(2, 3), T(4, 5)])]


@samples("aten.tile.default")
def _tile():
    return [Sample(T(2, 3), [2]), Sample(T(2, 3), [2, 1, 3]), Sample(T(3, dtype=me.int64), [2, 2]), Sample(T(), [3])]


@samples("aten.rot90.default")
def _rot90():
    return [Sample(T(2, 3), k) for k in (0, 1, 2, 3, -1, 5)] + [
        Sample(T(2, 3, 4), 1, [2, 0]), Sample(T(3), 1), Sample(T(2, 3), 1, [0, 0]), Sample(T(2, 3), 1, [0])]


@samples("aten.flipud.default", "aten.fliplr.default")
def _flip_lr_ud():
    return [Sample(T(2, 3)), Sample(T(4)), Sample(T(2, 3, 4, dtype=me.int64))]


@samples("aten.diagonal.default")
def _diagonal():
    return [Sample(T(3, 4)), Sample(T(3, 4), 1), Sample(T(3, 4), -2), Sample(T(2, 3, 4), 0, 2, 0),
            Sample(T(3, 4), 5), Sample(T(3, 4), 0, 1, 1), Sample(T(3, 4, noncontig=True), 1)]


@samples("aten.diagonal_scatter.default")
def _diagonal_scatter():
    return [Sample(T(3, 4), T(3)), Sample(T(3, 4), T(3), 1), Sample(T(3, 4), T(1), -2),
            Sample(T(2, 3, 4), T(3, 2), 0, 2, 0), Sample(T(3, 4), T(2))]


@samples("aten.diag_embed.default")
def _diag_embed():
    return [Sample(T(3)), Sample(T(2, 3), 1), Sample(T(2, 3), -2, 0, 2), Sample(T(2, 3, dtype=me.int64), 0, 1, 0),
            Sample(T(3), 0, 0, 0)]


@samples("aten.diag.default")
def _diag():
    return [Sample(T(3)), Sample(T(3), 2), Sample(T(3), -1), Sample(T(3, 4)), Sample(T(3, 4), 1),
            Sample(T(3, 4, dtype=me.int64), -2), Sample(T(2, 2, 2))]


@samples("aten.diagflat.default")
def _diagflat():
    return [Sample(T(3)), Sample(T(2, 2), 1), Sample(T(), -1)]


@samples("aten.trace.default")
def _trace():
    return [Sample(T(3, 4)), Sample(T(3, 3, dtype=me.int64)), Sample(T(3, 3, dtype=me.int32)), Sample(T(3))]


@samples("aten.tril_indices.default", "aten.triu_indices.default")
def _tri_indices():
    return [Sample(3, 3), Sample(4, 3, 1), Sample(3, 5, -1), Sample(0, 3), Sample(3, 3, dtype=me.int32)]


@samples("aten.kron.default")
def _kron():
    return [Sample(T(2, 3), T(3, 2)), Sample(T(2), T(2, 3, dtype=me.float64)), Sample(T(2, dtype=me.int64), T(3))]


@samples("aten.block_diag.default")
def _block_diag():
    return [Sample([T(2, 3), T(2), T()]), Sample([T(2, 2, dtype=me.int64), T(1, 3)]), Sample([T(2, 2, 2)])]


@samples("aten.cross.default")
def _cross():
    return [Sample(T(4, 3), T(4, 3)), Sample(T(3, 4), T(3, 4), 0), Sample(T(2, 3), T(1, 3), -1),
            Sample(T(4, 3, dtype=me.int64), T(4, 3, dtype=me.int64)), Sample(T(4, 2), T(4, 2), 1)]


@samples("aten.meshgrid.default")
def _meshgrid():
    return [Sample([T(3), T(2)]), Sample([T(3), T(), T(4)]), Sample([T(2, 2)])]


@samples("aten.meshgrid.indexing")
def _meshgrid_ix():
    return [Sample([T(3), T(2)], indexing="xy"), Sample([T(3), T(2), T(4)], indexing="xy"),
            Sample([T(3), T(2)], indexing="ij"), Sample([T(3)], indexing="xy"), Sample([T(3)], indexing="ab")]


@samples("aten.broadcast_tensors.default")
def _broadcast_tensors():
    return [Sample([T(3, 1), T(4)]), Sample([T(2, 3)]), Sample([T(2), T(3)])]


@samples("aten.cartesian_prod.default")
def _cartesian_prod():
    return [Sample([T(3), T(2)]), Sample([T(2), T(2), T(2)]), Sample([T(3)])]


@samples("aten.combinations.default")
def _combinations():
    return [Sample(T(4)), Sample(T(4), 3), Sample(T(3), 2, True), Sample(T(3), 0), Sample(T(2, 2))]


@samples("aten.tensor_split.sections")
def _tensor_split_sections():
    return [Sample(T(7, 3), 3), Sample(T(2, 7), 3, 1), Sample(T(2, 3), 5, -1), Sample(T(3), 0)]


@samples("aten.tensor_split.indices")
def _tensor_split_indices():
    return [Sample(T(7, 3), [1, 4]), Sample(T(2, 7), [5, 2, 9], 1), Sample(T(6), [-2]), Sample(T(6), [])]


@samples("aten.tensor_split.tensor_indices_or_sections")
def _tensor_split_tensor():
    return [Sample(T(7, 3), me.tensor(3)), Sample(T(7, 3), me.tensor([1, 4])), Sample(T(2, 7), me.tensor([2]), 1)]


@samples("aten.hsplit.int", "aten.vsplit.int", "aten.dsplit.int")
def _dir_split_int():
    return [Sample(T(4, 6, 2), 2), Sample(T(6, 4, 4), 1), Sample(T(4, 6, 2), 4), Sample(T(6), 3)]


@samples("aten.hsplit.array", "aten.vsplit.array", "aten.dsplit.array")
def _dir_split_array():
    return [Sample(T(4, 6, 2), [1, 3]), Sample(T(6, 4, 4), [2]), Sample(T(6), [1])]


@samples("aten.narrow_copy.default")
def _narrow_copy():
    return [Sample(T(5, 3), 0, 1, 3), Sample(T(5, 3), -1, -2, 2), Sample(T(5, 3), 0, 4, 3)]


@samples("aten.repeat_interleave.Tensor")
def _repeat_interleave_t():
    return [Sample(me.tensor([1, 0, 3])), Sample(me.tensor([2, 2]), output_size=4), Sample(me.tensor(2))]


@samples("aten.repeat_interleave.self_int")
def _repeat_interleave_int():
    return [Sample(T(2, 3), 2), Sample(T(2, 3), 2, 0), Sample(T(2, 3, dtype=me.int64), 3, -1), Sample(T(), 2, 0),
            Sample(T(2, 3), 0, 1)]


@samples("aten.repeat_interleave.self_Tensor")
def _repeat_interleave_self_t():
    return [Sample(T(3, 2), me.tensor([1, 0, 2]), 0), Sample(T(3, 2), me.tensor([2])), Sample(T(3, 2), me.tensor(2), 1),
            Sample(T(3, 2), me.tensor([1, 2]), 1, output_size=3), Sample(T(3, 2), me.tensor([1, 2]), 0)]


@samples("aten.permute_copy.default")
def _permute_copy():
    return [Sample(T(2, 3, 4), [2, 0, 1]), Sample(T(2, 3, noncontig=True), [1, 0]), Sample(T(2, 3), [0])]


@samples("aten.t_copy.default", "aten.alias_copy.default", "aten.squeeze_copy.default")
def _t_copy():
    return [Sample(T(2, 3)), Sample(T(3, dtype=me.int64)), Sample(T(1, 3, 1)), Sample(T())]


@samples("aten.expand_copy.default")
def _expand_copy():
    return [Sample(T(1, 3), [4, 3]), Sample(T(3), [2, -1]), Sample(T(2, 3), [3, 3])]


@samples("aten.view_copy.default")
def _view_copy():
    return [Sample(T(2, 6), [3, 4]), Sample(T(2, 6), [-1]), Sample(T(2, 6), [5])]


@samples("aten.unsqueeze_copy.default")
def _unsqueeze_copy():
    return [Sample(T(2, 3), 0), Sample(T(2, 3), -1), Sample(T(2, 3), 4)]


@samples("aten.squeeze_copy.dim")
def _squeeze_copy_dim():
    return [Sample(T(1, 3), 0), Sample(T(2, 1), -1), Sample(T(2, 3), 1)]


@samples("aten.squeeze_copy.dims")
def _squeeze_copy_dims():
    return [Sample(T(1, 3, 1), [0, 2]), Sample(T(2, 1), [-1])]


@samples("aten.transpose_copy.int")
def _transpose_copy():
    return [Sample(T(2, 3, 4), 0, 2), Sample(T(2, 3), -1, 0)]


@samples("aten.diagonal_copy.default")
def _diagonal_copy():
    return [Sample(T(3, 4)), Sample(T(3, 4), 1), Sample(T(2, 3, 4), -1, 2, 0)]


@samples("aten.unbind_copy.int")
def _unbind_copy():
    return [Sample(T(3, 2)), Sample(T(3, 2), 1), Sample(T(3, 0), 1)]


@samples("aten.argwhere.default")
def _argwhere():
    return [Sample(B(3, 4)), Sample(T(5, dtype=me.int64, low=0, high=2)), Sample(T())]
