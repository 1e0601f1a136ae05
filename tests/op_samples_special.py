"""Sample rows for the special functions (gamma family) and the remaining nn ops (issue 12)."""
import minexport as me
from op_samples import Sample, T, samples


def _with_poles(lo, hi):
    """A float32 tensor in [lo, hi) holding the poles 0, -1 and -2, +-inf and NaN too."""
    x = T(3, 4, low=lo, high=hi)
    for i, v in enumerate((0.0, -1.0, -2.0, float("inf"), float("-inf"), float("nan"))):
        x[i // 4, i % 4] = v
    return x


def _gamma_unary():
    return [Sample(T(3, 4, low=-6.0, high=8.0)), Sample(_with_poles(-5.0, 5.0)),
            Sample(T(2, 3, 4, dtype=me.float64, low=-9.0, high=30.0, noncontig=True)),
            Sample(T(0, 3)), Sample(T(dtype=me.float64, low=0.1, high=4.0)),
            Sample(T(5, dtype=me.float16, low=0.5, high=4.0)),
            Sample(T(6, dtype=me.int64, low=-3, high=6)), Sample(T(4, dtype=me.bool))]


samples("aten.lgamma.default", "aten.lgamma_.default", "aten.digamma.default", "aten.digamma_.default",
        "aten.i0.default", "aten.i0_.default")(_gamma_unary)


@samples("aten.polygamma.default")
def _polygamma():
    out = []
    for n in range(5):
        out += [Sample(n, T(3, 4, low=-6.0, high=8.0)), Sample(n, _with_poles(-4.0, 4.0)),
                Sample(n, T(2, 3, dtype=me.float64, low=-5.0, high=20.0, noncontig=True))]
    return out + [Sample(1, T(5, dtype=me.int64, low=-3, high=6)), Sample(3, T(0, 2)),
                  Sample(2, T(dtype=me.float64, low=0.5, high=3.0))]


@samples("aten.polygamma_.default")
def _polygamma_():
    return [Sample(T(3, 4, low=-6.0, high=8.0), n) for n in range(4)] + \
        [Sample(T(2, 3, dtype=me.float64, low=0.1, high=9.0, noncontig=True), 2)]


@samples("aten.mvlgamma.default", "aten.mvlgamma_.default")
def _mvlgamma():
    return [Sample(T(3, 4, low=2.5, high=9.0), 1), Sample(T(3, 4, low=2.5, high=9.0), 3),
            Sample(T(2, 5, dtype=me.float64, low=3.0, high=20.0, noncontig=True), 5), Sample(T(0, 2), 2),
            Sample(T(dtype=me.float64, low=1.0, high=4.0), 2)]


@samples("aten.igamma.default", "aten.igamma_.default", "aten.igammac.default", "aten.igammac_.default")
def _igamma():
    a, x = T(3, 4, low=0.0, high=12.0), T(3, 4, low=0.0, high=20.0)
    a[0, 0], x[0, 1], a[0, 2], x[0, 3], a[1, 0] = 0.0, 0.0, float("inf"), float("inf"), -1.0
    return [Sample(a, x), Sample(T(3, 4, low=0.1, high=5.0), T(4, low=0.1, high=5.0)),
            Sample(T(2, 3, dtype=me.float64, low=0.5, high=40.0, noncontig=True),
                   T(2, 3, dtype=me.float64, low=0.5, high=40.0)),
            Sample(T(0, 3), T(3)), Sample(T(4, low=0.5, high=3.0), T(dtype=me.float64, low=0.5, high=3.0))]


@samples("aten.segment_reduce.default")
def _segment_reduce():
    lengths, offsets = me.tensor([0, 1, 2, 2]), me.tensor([0, 0, 1, 3, 5])
    out = []
    for reduce in ("sum", "mean", "prod", "max", "min"):
        out += [Sample(T(5), reduce, lengths=lengths), Sample(T(5, 3), reduce, offsets=offsets, initial=1.5),
                Sample(T(4, 5, 2, dtype=me.float64), reduce, lengths=me.tensor([[2, 3, 0]] * 4), axis=1)]
    return out + [Sample(T(6, 2), "max", lengths=me.tensor([1, 2]), unsafe=True),
                  Sample(T(5, dtype=me.float16), "mean", offsets=offsets),
                  Sample(T(4, 5), "sum", lengths=me.tensor([[5]] * 4), axis=-1, initial=2)]


@samples("aten.multilabel_margin_loss.default")
def _multilabel_margin_loss():
    rows = me.tensor([[3, 0, -1, 1, 2], [1, 1, 4, -1, -1], [-1, 2, 0, 0, 0], [4, 3, 2, 1, 0]])
    return [Sample(T(4, 5), rows), Sample(T(4, 5, dtype=me.float64), rows, 0), Sample(T(4, 5), rows, 2),
            Sample(T(5), me.tensor([1, 1, 0, 1, 4])), Sample(T(5), me.tensor([2, -1, 0, 3, 3]), 0),
            Sample(T(), me.tensor(0)), Sample(T(2, 5, noncontig=True), rows[:2], 0)]


def _u(*shape, dtype=me.float32):
    """Random samples in [0, 1) for the fractional pools."""
    return T(*shape, dtype=dtype, low=0.0, high=1.0)


@samples("aten.fractional_max_pool2d.default")
def _fractional_max_pool2d():
    x = T(2, 3, 9, 8)
    x[0, 0, 1, 1] = float("nan")
    return [Sample(x, [3, 2], [4, 5], _u(2, 3, 2)), Sample(T(3, 9, 9), [3, 3], [2, 3], _u(1, 3, 2)),
            Sample(T(2, 3, 9, 8), [2, 2], [1, 1], _u(2, 3, 2)),
            Sample(T(1, 2, 17, 13, dtype=me.float64), [2, 3], [8, 11], _u(1, 2, 2, dtype=me.float64)),
            Sample(T(0, 2, 5, 5), [2, 2], [2, 2], _u(0, 2, 2)),
            Sample(T(1, 2, 9, 9, noncontig=True), [3, 3], [7, 7], _u(1, 2, 2))]


@samples("aten.fractional_max_pool3d.default")
def _fractional_max_pool3d():
    return [Sample(T(2, 3, 6, 7, 8), [2, 2, 3], [3, 4, 5], _u(2, 3, 3)),
            Sample(T(3, 6, 7, 8), [2, 3, 2], [4, 4, 4], _u(1, 3, 3)),
            Sample(T(1, 2, 5, 5, 5, dtype=me.float64), [1, 2, 2], [5, 1, 3], _u(1, 2, 3, dtype=me.float64))]


def _log_probs(steps, batch, classes, dtype=me.float32):
    return T(steps, batch, classes, dtype=dtype).log_softmax(2)


@samples("aten.ctc_loss.IntList")
def _ctc_loss_intlist():
    rows = me.tensor([[1, 3, 3, 2], [2, 1, 0, 0], [4, 4, 1, 3]])
    return [Sample(_log_probs(10, 3, 5), rows, [10, 8, 10], [4, 2, 3]),
            Sample(_log_probs(10, 3, 5), rows, [10, 8, 10], [4, 0, 3], 0, 0),
            Sample(_log_probs(10, 3, 5, me.float64), rows, [10, 9, 7], [4, 2, 4], 0, 2, True),
            Sample(_log_probs(5, 2, 5), rows[:2], [5, 5], [4, 2], 0, 0),      # an impossible alignment: inf
            Sample(_log_probs(5, 2, 5), rows[:2], [5, 5], [4, 2], 0, 1, True),
            Sample(_log_probs(8, 3, 6), me.tensor([1, 2, 2, 5, 3, 1]), [8, 6, 8], [3, 1, 2], 0, 0),
            Sample(_log_probs(8, 2, 5)[:, 0], me.tensor([1, 2, 2]), [8], [3], 0, 0)]


@samples("aten.ctc_loss.Tensor")
def _ctc_loss_tensor():
    rows = me.tensor([[1, 3, 3, 2], [2, 1, 0, 0], [4, 4, 1, 3]])
    return [Sample(_log_probs(10, 3, 5), rows, me.tensor([10, 8, 10]), me.tensor([4, 2, 3])),
            Sample(_log_probs(10, 3, 5), rows, me.tensor([10, 8, 10]), me.tensor([4, 0, 3]), 0, 0, True),
            Sample(_log_probs(8, 2, 5)[:, 0], me.tensor([1, 2, 2]), me.tensor(8), me.tensor(3), 0, 2)]
