"""Sample rows for the vector products (dot, mv, addmv, addr, addbmm, inner, tensordot), whole-tensor
comparisons, the numeric composites (diff, trapezoid, gradient, cov, logspace), histograms, the random
samplers and resize_."""

import minexport as me
from op_samples import B, Sample, T, samples


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


# ------------------------------------------------------------- samplers --
def _P(*shape):
    """Probabilities in [0, 1)."""
    return T(*shape, low=0.0, high=1.0)


_DIST_SAMPLES = {
    "uniform": [(), (-2.0, 3.0), (2.0, 1.0)],
    "normal_": [(), (1.0, 0.5), (0.0, -1.0)],
    "cauchy": [(), (1.0, 2.0), (0.0, -1.0)],
    "exponential": [(), (2.5,), (-1.0,)],
    "log_normal": [(), (0.0, 0.5), (1.0, -1.0)],
    "geometric": [(0.3,), (0.9,), (1.5,)],
}


def _distribution_rows(name):
    def rows():
        first = _DIST_SAMPLES[name][0]
        out = [Sample(T(3, 4), *params) for params in _DIST_SAMPLES[name]]
        return out + [Sample(T(0, 2), *first), Sample(T(2, 3, dtype=me.float64), *first), Sample(Ti(3), *first),
                      Sample(T(2, 4, noncontig=True), *first)]
    return rows


for _name in _DIST_SAMPLES:
    _inplace = _name if _name == "normal_" else _name + "_"
    _functional = "normal_functional" if _name == "normal_" else _name
    samples(f"aten.{_functional}.default", f"aten.{_inplace}.default", random=True)(_distribution_rows(_name))


@samples("aten.bernoulli.default", random=True)
def _bernoulli():
    # (out-of-range probabilities are a data-dependent error: only the kernel can see them)
    return [Sample(_P(3, 4)), Sample(_P(0)), Sample(T(2, 3, dtype=me.float64, low=0.0, high=1.0)),
            Sample(Ti(3))]


@samples("aten.bernoulli.p", "aten.bernoulli_.float", random=True)
def _bernoulli_p():
    return [Sample(T(3, 4), 0.3), Sample(Ti(3), 0.5), Sample(T(2, dtype=me.bool), 0.5), Sample(T(3), 1.5),
            Sample(T(0, 3), 0.0)]


@samples("aten.bernoulli.Tensor", "aten.bernoulli_.Tensor", random=True)
def _bernoulli_tensor():
    return [Sample(T(3, 4), _P(3, 4)), Sample(T(2, 3), _P(3)), Sample(Ti(3), _P(3)), Sample(T(3), _P(2, 3))]


@samples("aten.normal.Tensor_float", random=True)
def _normal_tf():
    return [Sample(T(3, 4)), Sample(T(3), 2.0), Sample(T(3), -1.0), Sample(Ti(3)), Sample(T(0))]


@samples("aten.normal.float_Tensor", random=True)
def _normal_ft():
    return [Sample(1.0, _P(3, 4)), Sample(0.0, _P(0)), Sample(1.0, Ti(3, low=0))]


@samples("aten.normal.Tensor_Tensor", random=True)
def _normal_tt():
    return [Sample(T(3, 4), _P(3, 4)), Sample(T(2, 1), _P(3)), Sample(T(3, dtype=me.float64), _P(3)),
            Sample(T(3), Ti(3, low=0)), Sample(Ti(3), _P(3)), Sample(T(3), T(2))]


@samples("aten.normal.float_float", random=True)
def _normal_ff():
    return [Sample(0.0, 1.0, [2, 3]), Sample(1.0, 2.0, [4], dtype=me.float64), Sample(0.0, -1.0, [2]),
            Sample(0.0, 1.0, [0, 2]), Sample(0.0, 1.0, [2], dtype=me.int64)]


@samples("aten.multinomial.default", random=True)
def _multinomial():
    return [Sample(_P(5), 3), Sample(_P(4, 5), 2, True), Sample(_P(5), 8, True), Sample(_P(5), 6),
            Sample(Ti(5, low=0), 2), Sample(_P(2, 3, 4), 1), Sample(_P(5), 0), Sample(_P(0, 3), 2)]


@samples("aten.randint_like.default", random=True)
def _randint_like():
    return [Sample(T(3, 4), 10), Sample(Ti(2, 3), 5, dtype=me.int32), Sample(T(0), 3), Sample(T(3), 0)]


@samples("aten.randint_like.low_dtype", random=True)
def _randint_like_low():
    return [Sample(T(3, 4), -3, 10), Sample(Ti(2, 3), 2, 5, dtype=me.float64), Sample(T(3), 5, 2)]


@samples("aten.randint_like.Tensor", random=True)
def _randint_like_tensor():
    return [Sample(T(3, 4), me.tensor(10)), Sample(Ti(2, 3), me.tensor(4), dtype=me.int16)]


# ---------------------------------------------------- numeric composites --
@samples("aten.diff.default")
def _diff():
    return [Sample(T(3, 5)), Sample(T(4, 3), 2, 0), Sample(T(5), 0), Sample(T(3), 5), Sample(Ti(2, 5), 1, -1),
            Sample(T(4, dtype=me.bool)), Sample(T(3, 4), 1, 1, T(3, 2), T(3, 1)), Sample(Ti(3, 4), 1, -1, T(3, 1)),
            Sample(T(3, 4), 1, 0, None, T(1, 4)), Sample(T()), Sample(T(3), -1), Sample(T(3, 4), 1, 1, T(2, 2)),
            Sample(T(3, 4, noncontig=True), 2, 1)]


@samples("aten.trapezoid.dx", "aten.cumulative_trapezoid.dx")
def _trapezoid_dx():
    return [Sample(T(3, 5)), Sample(T(3, 5), dx=0.5, dim=0), Sample(Ti(4), dx=2), Sample(Ti(2, 3)),
            Sample(T(0, 3)), Sample(T(3, 0)), Sample(T(4, 1), dim=-2)]


@samples("aten.trapz.dx")
def _trapz_dx():
    return [Sample(T(3, 5)), Sample(T(3, 5), dx=0.5, dim=0), Sample(Ti(4), dx=2.0), Sample(T(3, 0))]


@samples("aten.trapezoid.x", "aten.trapz.x", "aten.cumulative_trapezoid.x")
def _trapezoid_x():
    return [Sample(T(3, 5), T(5)), Sample(T(3, 5), T(3), dim=0), Sample(T(2, 3), T(1, 3)), Sample(T(3, 3), T(3, 3)),
            Sample(Ti(4), Ti(4)), Sample(T(4), T(4, dtype=me.float64)), Sample(T(2, 3), T(2)),
            Sample(T(2, 3), T(2, 2, 3))]


_GRADIENT_ROWS = {
    "scalarint": lambda: [Sample(T(5)), Sample(T(5), spacing=2.0), Sample(T(4, 5), edge_order=2),
                          Sample(T(4, 5), spacing=0.5, dim=1), Sample(Ti(4, 3)), Sample(T(1)),
                          Sample(T(2), edge_order=2), Sample(T(3), edge_order=3)],
    "scalararray": lambda: [Sample(T(4, 5), spacing=2.0, dim=[0, 1]), Sample(T(3, 4, 5), spacing=1, dim=[-1])],
    "array": lambda: [Sample(T(4, 5), dim=[1]), Sample(T(3, 4, 5), dim=[0, 2], edge_order=2)],
    "scalarrayint": lambda: [Sample(T(4, 5), spacing=[2.0, 0.5]), Sample(T(4, 5), spacing=[3.0], dim=0),
                             Sample(T(4, 5), spacing=[1.0])],
    "scalarrayarray": lambda: [Sample(T(4, 4, 4), spacing=[2.0, 1.0], dim=[0, 1], edge_order=2)],
    "tensorarrayint": lambda: [Sample(T(3, 4), spacing=[me.tensor([0.0, 1.0, 3.0]), me.tensor([0.0, 0.5, 1.0, 3.0])]),
                               Sample(T(4, 3), spacing=[me.tensor([0.0, 1.0, 3.0])], dim=1)],
    "tensorarray": lambda: [Sample(T(3, 3, 3), spacing=[me.tensor([0.0, 1.0, 3.0]), me.tensor([1.0, 2.0, 2.5])],
                                   dim=[0, -1]),
                            Sample(T(4, 3, 3), spacing=[me.tensor([0.0, 1.0, 3.0, 4.0]), me.tensor([1.0, 2.0, 2.5])],
                                   dim=[0, 1], edge_order=2),
                            Sample(Ti(3, 4), spacing=[me.tensor([0, 1, 3])], dim=[0])],
}
for _overload, _rows in _GRADIENT_ROWS.items():
    samples(f"aten.gradient.{_overload}")(_rows)


@samples("aten.logspace.default")
def _logspace():
    return [Sample(0, 2, 5), Sample(-1, 1, 4, 2.0), Sample(1, 1.2, 3, dtype=me.int64), Sample(0, 2, 4, dtype=me.int64),
            Sample(0, 1, 1), Sample(0, 1, 0), Sample(2, 0, 3, 3.0, dtype=me.float64), Sample(0, 1, -1)]


@samples("aten.logspace.Tensor_Tensor")
def _logspace_tt():
    return [Sample(me.tensor(0.0), me.tensor(2.0), 5), Sample(me.tensor(1), me.tensor(3), 3, 2.0, dtype=me.int64)]


@samples("aten.logspace.Tensor_Scalar")
def _logspace_ts():
    return [Sample(me.tensor(0.0), 2, 5), Sample(me.tensor(4.3), -3, 4, dtype=me.int64)]


@samples("aten.logspace.Scalar_Tensor")
def _logspace_st():
    return [Sample(0, me.tensor(2.0), 5), Sample(1.5, me.tensor(3), 3, 5.0)]


@samples("aten.cov.default")
def _cov():
    return [Sample(T(3, 5)), Sample(T(5)), Sample(T(1, 4)), Sample(T(2, 4), correction=0),
            Sample(T(2, 4), fweights=Ti(4, low=0, high=3) + 1), Sample(T(2, 4), aweights=T(4, low=0.5, high=2.0)),
            Sample(T(2, 3), correction=2, fweights=Ti(3, low=1, high=3), aweights=T(3, low=0.5, high=2.0)),
            Sample(Ti(3, 4)), Sample(T(2, 3, 4)), Sample(T(2, 4), fweights=T(4)), Sample(T(1))]


@samples("aten.corrcoef.default")
def _corrcoef():
    return [Sample(T(3, 5)), Sample(T(5)), Sample(T(1, 4)), Sample(Ti(2, 6)), Sample(T(2, 3, 4))]


# ------------------------------------------------------------ histograms --
@samples("aten.bincount.default")
def _bincount():
    return [Sample(Ti(8, low=0, high=5)), Sample(Ti(6, low=0, high=4), T(6)), Sample(Ti(5, low=0, high=3), minlength=7),
            Sample(Ti(5, low=0, high=3), T(5, dtype=me.float64)), Sample(Ti(5, low=0, high=3), Ti(5)),
            Sample(Ti(0)), Sample(Ti(4, dtype=me.int32, low=0, high=3)), Sample(T(4)), Sample(Ti(2, 3, low=0)),
            Sample(Ti(4, low=0), T(3)), Sample(Ti(4, low=0), minlength=-1)]


@samples("aten.histc.default")
def _histc():
    return [Sample(T(20)), Sample(T(4, 5), 5, -1, 1), Sample(T(10), 3, 0, 0), Sample(T(0), 4),
            Sample(me.tensor([1.0, 1.0, 1.0]), 2), Sample(T(10, dtype=me.float64), 7, -2.5, 2.5), Sample(Ti(5)),
            Sample(T(5), 0), Sample(T(5), 5, 2, 1), Sample(me.tensor([0.0, 0.5, 1.0, 2.0]), 2, 0, 1)]


@samples("aten.histogram.bin_ct")
def _histogram_ct():
    return [Sample(T(20)), Sample(T(4, 5), 5, range=[-1.0, 1.0]), Sample(T(10), 3, weight=T(10)),
            Sample(T(10), 4, density=True), Sample(T(0), 2), Sample(me.tensor([1.0, 1.0]), 2),
            Sample(T(3, 4), 3, weight=T(3, 4), density=True), Sample(Ti(5), 2), Sample(T(5), 0),
            Sample(me.tensor([0.0, 0.5, 1.0, 2.0]), 2, range=[0.0, 1.0])]


@samples("aten.histogram.bins_tensor")
def _histogram_tensor():
    edges = me.tensor([-2.0, -0.5, 0.0, 1.0, 2.5])
    return [Sample(T(20), edges), Sample(T(4, 5), edges, weight=T(4, 5)), Sample(T(10), edges, density=True),
            Sample(me.tensor([-0.5, 0.0, 2.5, 3.0]), edges), Sample(T(0), edges),
            Sample(T(5, dtype=me.float64), edges)]


def _histogramdd_valid():
    return [Sample(T(10, 2), [2, 3]), Sample(T(4, 5, 3), [1, 2, 3], range=[-1.0, 1.0, -2.0, 2.0, 0.0, 3.0]),
            Sample(T(10, 2), [2, 2], weight=T(10)), Sample(T(10, 2), [3, 2], density=True),
            Sample(T(0, 2), [2, 2]), Sample(T(10, 2), [2])]


samples("aten._histogramdd_bin_edges.default")(_histogramdd_valid)


@samples("aten.histogramdd.default", "aten._histogramdd_from_bin_cts.default")
def _histogramdd():
    return _histogramdd_valid() + [Sample(T(10, 2), [0, 2])]


@samples("aten.histogramdd.int_bins")
def _histogramdd_int():
    return [Sample(T(10, 2), 3), Sample(T(10, 3), 2, weight=T(10), density=True), Sample(T(10, 2), 0)]


@samples("aten.histogramdd.TensorList_bins", "aten._histogramdd_from_bin_tensors.default")
def _histogramdd_tensors():
    a, b = me.tensor([-2.0, 0.0, 2.0]), me.tensor([-1.0, 0.0, 0.5, 3.0])
    return [Sample(T(10, 2), [a, b]), Sample(T(10, 2), [a, b], weight=T(10), density=True),
            Sample(T(10, 2), [a])]


@samples("aten.nonzero_static.default")
def _nonzero_static():
    m = T(3, 4)
    m.numpy()[m.numpy() < 0] = 0
    return [Sample(m, size=4), Sample(m, size=20), Sample(m, size=0), Sample(m, size=6, fill_value=7),
            Sample(T(0, 3), size=2), Sample(T(), size=2), Sample(B(5), size=3), Sample(m, size=-1)]


# ---------------------------------------------------------------- resize --
# (only shrinking or same-size resizes: the elements a growing resize_ adds are uninitialized in torch)
@samples("aten.resize_.default", "aten.resize.default")
def _resize():
    return [Sample(T(5, 5, 5), [25, 5]), Sample(T(), []), Sample(T(), [1, 1, 1]), Sample(T(3, 4), [5]),
            Sample(Ti(2, 3), [3, 2]), Sample(T(4), [0]),
            Sample(T(2, 3, 4, 5), [2, 3, 4, 5], memory_format="channels_last"), Sample(T(3), [-1]),
            Sample(T(4), [2, 2], memory_format="channels_last")]


@samples("aten.resize_as_.default")
def _resize_as():
    return [Sample(T(5, 5, 5), T(25, 5)), Sample(T(), T()), Sample(T(3, 4), Ti(2, 2)), Sample(T(4), T(0, 3))]
