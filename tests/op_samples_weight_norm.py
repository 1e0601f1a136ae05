"""Sample rows for minexport/ops/weight_norm.py: _weight_norm and norm_except_dim."""
import minexport as me
from op_samples import Sample, T, samples


@samples("aten._weight_norm.default")
def _weight_norm():
    v = T(4, 3, 5)
    return [Sample(v, T(4, 1, 1), 0), Sample(v, T(1, 3, 1), 1), Sample(v, T(1, 1, 5), 2), Sample(v, T(), -1),
            Sample(v, T(4, 1, 1)),                        # dim 0 by default
            Sample(T(4, 3, 5, noncontig=True), T(1, 3, 1), 1),
            # (no 1-d v: torch's core graph norms it whole, where its kernel takes |v| per element)
            Sample(T(4, 3, dtype=me.float16), T(1, 3, dtype=me.float16), 1),
            Sample(T(4, 3, dtype=me.float64), T(4, 1), 0),   # the fused form wants g of v's dtype
            Sample(T(4, 3, 5, dtype=me.float64), T(1, 3, 1), 1),   # the other form promotes
            Sample(T(4, 3, dtype=me.int64), T(4, 1), 0), Sample(T(4, 3, 5, dtype=me.int64), T(1, 3, 1), 1),
            Sample(T(4, 3), T(4, 1, dtype=me.int64), 0)]  # integers have no norm


@samples("aten.norm_except_dim.default")
def _norm_except_dim():
    v = T(4, 3, 5)
    return [Sample(v), Sample(v, 2, 1), Sample(v, 2, 2), Sample(v, 2, -1), Sample(v, 3, 0), Sample(v, 1, 1),
            Sample(T(4, 3, 5, noncontig=True), 2, 1), Sample(T(6), 2, 0), Sample(v, 2, -2),
            Sample(T(4, 3, dtype=me.int64))]
