"""Sample rows for minexport/ops/model_surface.py: outer/ger, triu_/tril_, Python's bit-operator overloads."""
import minexport as me
from op_samples import B, Sample, T, samples


@samples("aten.outer.default", "aten.ger.default")
def _outer():
    return [Sample(T(3), T(4)), Sample(T(2, dtype=me.int64), T(3)), Sample(T(0), T(2))]


@samples("aten.triu_.default", "aten.tril_.default")
def _tri_inplace():
    return [Sample(T(4, 4)), Sample(T(3, 5), 1), Sample(T(2, 3, 3), -1)]


@samples("aten.__and__.Tensor", "aten.__iand__.Tensor", "aten.__or__.Tensor", "aten.__ior__.Tensor",
         "aten.__ixor__.Tensor")
def _bit_tensor():
    return [Sample(T(3, 4, dtype=me.int64, high=100), T(4, dtype=me.int64, high=100)), Sample(B(3, 4), B(4))]


@samples("aten.__and__.Scalar", "aten.__iand__.Scalar", "aten.__or__.Scalar", "aten.__ior__.Scalar",
         "aten.__ixor__.Scalar")
def _bit_scalar():
    return [Sample(T(3, dtype=me.int32, high=50), 6), Sample(B(3), True)]


@samples("aten.__lshift__.Tensor", "aten.__ilshift__.Tensor", "aten.__rshift__.Tensor", "aten.__irshift__.Tensor")
def _shift_tensor():
    return [Sample(T(3, 4, dtype=me.int64, low=0, high=100), T(4, dtype=me.int64, low=0, high=5))]


@samples("aten.__lshift__.Scalar", "aten.__ilshift__.Scalar", "aten.__rshift__.Scalar", "aten.__irshift__.Scalar")
def _shift_scalar():
    return [Sample(T(3, dtype=me.int32, low=0, high=50), 2)]
