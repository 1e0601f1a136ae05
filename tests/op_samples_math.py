"""Sample rows for the vector products (dot, mv, addmv, addr, addbmm, inner, tensordot), whole-tensor
comparisons, the numeric composites (diff, trapezoid, gradient, cov, logspace), histograms, the random
samplers and resize_."""

import minexport as me
from op_samples import Sample, T, samples


def Ti(*shape, dtype=me.int64, low=-3, high=4):
    """Small integers."""
    return T(*shape, dtype=dtype, low=low, high=high)


# ------------------------------------------------------ vector products --
@samples("aten.dot.default", "aten.vdot.default")
def _dot():
    return [Sample(T(5), T(5)), Sample(Ti(4), Ti(4)), Sample(T(0), T(0)), Sample(T(5, noncontig=True), T(5)),
            Sample(Ti(3, dtype=me.int32), Ti(3, dtype=me.int32)), Sample(T(3), T(4)), Sample(T(3, 1), T(3)),
            Sample(T(3), Ti(3))]


@samples("aten.mv.default")
def _mv():
    return [Sample(T(3, 4), T(4)), Sample(Ti(2, 5), Ti(5)), Sample(T(0, 3), T(3)), Sample(T(3, 0), T(0)),
            Sample(T(4, 3, noncontig=True), T(3)), Sample(T(3, 4), T(3)), Sample(T(3), T(3)),
            Sample(T(3, 4), Ti(4))]


@samples("aten.addmv.default", "aten.addmv_.default")
def _addmv():
    return [Sample(T(3), T(3, 4), T(4)), Sample(T(1), T(3, 4), T(4), beta=0.5, alpha=2),
            Sample(T(3), T(3, 4), T(4), beta=0), Sample(Ti(3), Ti(3, 2), Ti(2), alpha=3, beta=2),
            Sample(T(), T(2, 5), T(5)), Sample(T(2), T(3, 4), T(4)), Sample(T(3), T(3, 4), T(4, dtype=me.float64))]


@samples("aten.addr.default", "aten.addr_.default")
def _addr():
    return [Sample(T(3, 4), T(3), T(4)), Sample(T(4), T(3), T(4), beta=2, alpha=0.5),
            Sample(T(3, 4), T(3), T(4), beta=0), Sample(Ti(3, 2), Ti(3), Ti(2), alpha=2),
            Sample(T(3, 4, dtype=me.bool), T(3, dtype=me.bool), T(4, dtype=me.bool)),
            Sample(T(3, 1), T(3), T(4)), Sample(T(2, 4), T(3), T(4)), Sample(T(3, 4), T(3, 1), T(4))]


@samples("aten.addbmm.default", "aten.addbmm_.default")
def _addbmm():
    return [Sample(T(3, 5), T(2, 3, 4), T(2, 4, 5)), Sample(T(5), T(2, 3, 4), T(2, 4, 5), beta=0.5, alpha=2),
            Sample(T(3, 5), T(0, 3, 4), T(0, 4, 5)), Sample(Ti(2, 2), Ti(3, 2, 2), Ti(3, 2, 2), alpha=2, beta=0),
            Sample(T(3, 5), T(2, 3, 4), T(3, 4, 5)), Sample(T(3, 5), T(3, 4), T(2, 4, 5))]


@samples("aten.inner.default")
def _inner():
    return [Sample(T(3, 4), T(2, 4)), Sample(T(4), T(4)), Sample(T(2, 3, 4), T(4)), Sample(T(3), T()),
            Sample(Ti(2, 3), Ti(3)), Sample(T(3, 4), T(2, 5))]


@samples("aten.tensordot.default")
def _tensordot():
    return [Sample(T(3, 4), T(4, 5), [1], [0]), Sample(T(2, 3, 4), T(3, 4, 5), [1, 2], [0, 1]),
            Sample(T(3, 4), T(5, 6), [], []), Sample(Ti(2, 3), Ti(3, 2), [-1], [0]),
            Sample(T(3, 4), T(5, 4), [1], [0]), Sample(T(3, 1), T(4, 2), [1], [0])]


@samples("aten.allclose.default")
def _allclose():
    a = T(3, 4)
    return [Sample(a, a), Sample(a, T(3, 4)), Sample(a, a + 1e-6), Sample(a, a + 1e-3, rtol=0.1, atol=0.1),
            Sample(T(3, 4), T(4)), Sample(Ti(3), Ti(3)), Sample(T(3), Ti(3))]


@samples("aten.equal.default")
def _equal():
    a = T(3, 4)
    return [Sample(a, a), Sample(a, T(3, 4)), Sample(a, T(4)), Sample(Ti(3), Ti(3)), Sample(T(0), T(0))]
