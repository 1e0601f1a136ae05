"""Sample rows for the OpInfo agreement fixes of issue 12.

Rows here either extend an op's existing rows with the cases torch's OpInfos
exercise (integer aranges with float bounds, negative pads, ...) or cover the
ops these fixes add (grid_sampler_3d, embedding_renorm_).
"""
import numpy as np
import op_samples_nnops  # noqa: F401  (these files sort after this one; their rows are extended below)
import op_samples_sorting  # noqa: F401

import minexport as me
from op_samples import SAMPLES, Sample, T, samples


def _extend(name, rows):
    """Register `name`'s existing rows plus `rows()` (a later file adds cases, it does not replace them)."""
    before = SAMPLES[name]
    samples(name)(lambda: before() + rows())


# integer dtypes: torch truncates float bounds and step before it counts the elements
_extend("aten.arange.start_step", lambda: [
    Sample(1.0, 5.000001, 2.0, dtype=me.int64), Sample(-0.9, 2.1, 2.0, dtype=me.int64),
    Sample(0.0, -8.000001, -4.0, dtype=me.int32)])

# an empty dim list squeezes nothing
_extend("aten.squeeze.dims", lambda: [Sample(T(1, 1, 1), [])])

# empty inputs: batch_norm copies them (a 1-d [0] input too), group_norm normalizes an empty batch
_extend("aten.batch_norm.default", lambda: [
    Sample(T(0), None, None, T(0), T(0), True, 0.1, 1e-5, False),
    Sample(T(0, 3), T(3), T(3), None, None, True, 0.1, 1e-5, False)])
_extend("aten.group_norm.default", lambda: [Sample(T(0, 2), 1, T(2), T(2))])
_extend("aten.native_group_norm.default", lambda: [Sample(T(0, 4, 3), None, None, 0, 4, 3, 2, 1e-5)])

# negative pads crop: reflect/replicate read through the original edges, circular wraps what is left
_extend("aten.pad.default", lambda: [
    Sample(T(1, 3, 4, 4), [-1, 1, -2, 1], "reflect"), Sample(T(1, 3, 4, 4), [-1, 1, -2, 1], "replicate"),
    Sample(T(1, 3, 4, 4), [-1, 1, -2, 1], "circular"), Sample(T(5, 3, 4, 4), [-4, 5, 0, 0], "replicate"),
    Sample(T(2, 3, 5), [-3, 2], "reflect"), Sample(T(1, 2, 4, 4), [-5, 1, 2, 0], "replicate"),
    Sample(T(2, 2, 3, 4, 4), [-1, 1, 0, 2, -2, 1], "circular")])
_extend("aten.constant_pad_nd.default", lambda: [Sample(T(2, 3), [-3, 2]), Sample(T(3), [-1, 2], 7.0)])
_extend("aten.reflection_pad2d.default", lambda: [Sample(T(1, 3, 4, 4), [-1, 2, 3, -3])])
_extend("aten.replication_pad1d.default", lambda: [Sample(T(2, 3, 4), [-5, 2]), Sample(T(2, 3, 4), [3, -1])])

# integer powers with negative tensor exponents: 1 -> 1, -1 -> +-1, anything else -> 0
_extend("aten.pow.Tensor_Tensor", lambda: [
    Sample(me.tensor([[-3], [-1], [0], [1], [2]]), me.tensor([-3, -2, -1, 0, 1, 2]))])
_extend("aten.pow.Scalar", lambda: [Sample(2, me.tensor([-2, -1, 0, 3])), Sample(-1, me.tensor([-3, -2, 0, 1]))])


# ------------------------------------------------------- embedding max_norm --
@samples("aten.embedding_renorm.default", "aten.embedding_renorm_.default")
def _embedding_renorm():
    idx = me.tensor([[0, 1], [1, 4]])
    return [Sample(T(5, 3, low=-3, high=3), idx, 1.0, 2.0), Sample(T(5, 3), idx, 1.5, 1.0),
            Sample(T(6, 4), me.tensor([5, 0, 5], dtype=me.int32), 0.5, float("inf")),
            Sample(T(4, 2), me.tensor([3, 2]), 10.0, 2.0)]


# ------------------------------------------------------- volumetric grid sampling --
def _grid3d():
    rows = []
    for mode in (0, 1):                         # trilinear, nearest (bicubic is 2-D only)
        for padding in (0, 1, 2):               # zeros, border, reflection
            for align in (False, True):
                rows.append(Sample(T(2, 3, 4, 5, 3), T(2, 2, 3, 4, 3, low=-1.3, high=1.3), mode, padding, align))
    rows.append(Sample(T(1, 2, 1, 3, 2), T(1, 2, 2, 2, 3), 0, 2, False))   # a one-element spatial dim
    return rows


samples("aten.grid_sampler_3d.default")(_grid3d)
_extend("aten.grid_sampler.default", lambda: [Sample(T(2, 3, 4, 5, 3), T(2, 2, 3, 4, 3), 0, 0, False),
                                              Sample(T(1, 2, 3, 3, 3), T(1, 2, 2, 2, 3), 1, 2, True)])


# kthvalue among ties: the index torch's quickselect lands on
_extend("aten.kthvalue.default", lambda: [
    Sample(me.tensor([[1, 0, 1, 2, 1, 0, 1], [3, 3, 3, 3, 3, 3, 3]]), 3),
    Sample(me.from_numpy(np.random.default_rng(7).integers(0, 3, (4, 9, 5))), 4, 1),
    Sample(me.tensor([float("nan"), 1.0, float("nan"), 0.0, 1.0]), 4)])
_extend("aten.topk.default", lambda: [
    Sample(me.from_numpy(np.random.default_rng(8).integers(0, 4, (5, 10, 5))), 3, 1),
    Sample(me.from_numpy(np.random.default_rng(9).integers(0, 3, (3, 200))), 2),        # partial_sort path
    Sample(me.from_numpy(np.random.default_rng(10).integers(0, 3, (4, 30))), 7, -1, False),
    Sample(me.tensor([[1.0, float("nan"), 1.0, 2.0, float("nan")]]), 3, -1, True, True)])
_extend("aten.mode.default", lambda: [
    Sample(me.from_numpy(np.random.default_rng(11).integers(0, 50, (3000,)))),
    Sample(me.from_numpy(np.random.default_rng(12).integers(0, 4, (6, 40))), 1),
    Sample(me.tensor([float("nan"), float("nan"), 0.0, float("nan"), 2.0]))])
