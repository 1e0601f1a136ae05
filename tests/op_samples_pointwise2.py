"""Sample rows for the elementwise breadth ops and the activations (issue 12)."""
import minexport as me
from op_samples import B, Sample, T, samples


def _unary(lo=-3.0, hi=3.0, ints=True, int_lo=-3, int_hi=4):
    """Float32/float64 (non-contiguous, empty, 0-d) samples in [lo, hi), plus an int64 and a bool one."""
    def fn():
        out = [Sample(T(3, 4, low=lo, high=hi)), Sample(T(2, 3, 4, dtype=me.float64, low=lo, high=hi, noncontig=True)),
               Sample(T(0, 3, low=lo, high=hi)), Sample(T(dtype=me.float64, low=lo, high=hi)),
               Sample(T(4, dtype=me.float16, low=lo, high=hi))]
        if ints:
            out += [Sample(T(5, dtype=me.int64, low=int_lo, high=int_hi)), Sample(B(4))]
        return out
    return fn


def _both(name):
    """The functional overload and its in-place twin."""
    return f"aten.{name}.default", f"aten.{name}_.default"


# ----------------------------------------------------------- core unary --
samples(*_both("acos"), *_both("asin"), *_both("atanh"))(_unary(-1.2, 1.2, int_lo=-1, int_hi=2))
samples(*_both("acosh"))(_unary(0.5, 4.0, int_lo=0, int_hi=4))
samples(*_both("asinh"), *_both("atan"), *_both("cosh"), *_both("sinh"), *_both("tan"), *_both("expm1"),
        *_both("trunc"))(_unary())
samples(*_both("log2"), *_both("log10"))(_unary(-0.5, 8.0, int_lo=0, int_hi=9))


@samples("aten.isinf.default")
def _isinf():
    x = T(3, 4)
    x[0, 1], x[1, 2], x[2, 0] = float("inf"), float("-inf"), float("nan")
    return [Sample(x), Sample(T(3, dtype=me.int64)), Sample(B(2)), Sample(T(0, 2, dtype=me.float64))]


# ---------------------------------------------------------- core binary --
@samples("aten.atan2.default", "aten.atan2_.default")
def _atan2():
    return [Sample(T(3, 4), T(4)), Sample(T(2, 1, 4, noncontig=True), T(3, 1, dtype=me.float64)),
            Sample(T(3, dtype=me.int64), T(3, dtype=me.int32)), Sample(T(0, 3), T(3)),
            Sample(T(3, 2), me.tensor(0.0)), Sample(T(2, 3, dtype=me.int32), T(3))]


@samples("aten.atan2.out")
def _atan2_out():
    return [Sample(T(3, 4), T(4), out=me.empty(3, 4)), Sample(T(3), T(3), out=me.empty(3, dtype=me.float64)),
            Sample(T(3), T(3), out=me.empty(3, dtype=me.int64)), Sample(T(3), T(2, 1), out=me.empty(2, 3))]


@samples("aten.bitwise_xor.Tensor", "aten.bitwise_xor_.Tensor")
def _xor():
    return [Sample(T(3, 4, dtype=me.int64, high=100), T(4, dtype=me.int64, high=100)), Sample(B(3, 4), B(4)),
            Sample(T(3, dtype=me.int32, high=50), T(dtype=me.int64, high=50)), Sample(T(3), T(3))]


@samples("aten.bitwise_xor.Scalar", "aten.bitwise_xor_.Scalar")
def _xor_scalar():
    return [Sample(T(3, dtype=me.int32, high=50), 6), Sample(B(3), True), Sample(T(2, dtype=me.uint8, high=9), 3)]


@samples("aten.bitwise_xor.Scalar_Tensor")
def _xor_st():
    return [Sample(6, T(4, dtype=me.int64, high=100)), Sample(True, B(3))]


@samples("aten.logical_xor.default", "aten.logical_xor_.default")
def _lxor():
    return [Sample(B(3, 4), B(4)), Sample(T(3, dtype=me.int64, low=0, high=2), T(3)), Sample(T(2, 3), B(2, 3))]


@samples("aten.elu.default", "aten.elu_.default")
def _elu():
    return [Sample(T(3, 4)), Sample(T(2, 3, dtype=me.float64, noncontig=True), 0.5),
            Sample(T(5), 1.0, 1.0507, 1.6733), Sample(T(0, 2)), Sample(T(4, dtype=me.int64))]


@samples("aten.fill.Scalar")
def _fill():
    return [Sample(T(3, 4), 2.5), Sample(T(3, dtype=me.int64), 7), Sample(B(2), 0), Sample(T(0, 3), -1.0)]


@samples("aten.fill.Tensor")
def _fill_t():
    return [Sample(T(3, 4), me.tensor(2.5)), Sample(T(3, dtype=me.int64), me.tensor(3)),
            Sample(T(3), T(2))]


# ---------------------------------------------------------- activations --
def _act(*extra):
    """Float samples (with values around the kinks) plus the op's extra argument rows and an int refusal."""
    def fn():
        kink = me.tensor([-25.0, -3.0, -0.5, -0.3, 0.0, 0.3, 0.5, 3.0, 25.0])
        out = [Sample(T(3, 4)), Sample(T(2, 3, 4, dtype=me.float64, noncontig=True)), Sample(T(0, 3)),
               Sample(kink), Sample(T(4, dtype=me.int64))]
        return out + [Sample(T(3, 4, low=-30, high=30), *args) for args in extra]
    return fn


samples(*_both("selu"), *_both("hardswish"), *_both("hardsigmoid"), *_both("mish"), "aten.log_sigmoid.default")(_act())
samples(*_both("celu"))(_act((0.5,), (2.0,)))
samples("aten.softplus.default")(_act((2,), (0.5, 3.0), (1, 5)))
samples("aten.softshrink.default")(_act((0.3,), (0.0,), (-1.0,)))
samples("aten.hardshrink.default")(_act((0.3,), (2,)))


@samples(*_both("threshold"))
def _threshold():
    return [Sample(T(3, 4), 0.1, 20.0), Sample(T(2, 3, dtype=me.float64, noncontig=True), -0.5, 0.0),
            Sample(T(5, dtype=me.int64), 1, 7), Sample(T(0, 2), 0.0, 1.0), Sample(B(3), 0, 1)]


@samples(*_both("relu6"))
def _relu6():
    return [Sample(T(3, 4, low=-9, high=9)), Sample(T(5, dtype=me.int64, low=-9, high=9)), Sample(T(0, 2))]


@samples("aten.glu.default")
def _glu():
    return [Sample(T(3, 4)), Sample(T(4, 3, 2, dtype=me.float64), 0), Sample(T(2, 6, noncontig=True), 1),
            Sample(T(3, 3)), Sample(T()), Sample(T(2, 4, dtype=me.int64)), Sample(T(2, 4, 6), -2)]


@samples("aten.prelu.default")
def _prelu():
    return [Sample(T(2, 3, 4, 5), T(3)), Sample(T(2, 3), T(1)), Sample(T(4), T(1)), Sample(T(), T(1)),
            Sample(T(2, 3, 4, dtype=me.float64), T(3, dtype=me.float64)), Sample(T(2, 3), T(4)),
            Sample(T(2, 3), T(3, dtype=me.float64)), Sample(T(3, 4), me.tensor(0.1)), Sample(T(5), T(5))]


@samples("aten.rrelu.default", "aten.rrelu_.default")
def _rrelu():
    return [Sample(T(3, 4)), Sample(T(2, 3, dtype=me.float64), 0.1, 0.2), Sample(T(0, 2)),
            Sample(T(5, dtype=me.int64)), Sample(T(3), 0.3, 0.1)]


@samples("aten.rrelu_with_noise_functional.default", random=True)
def _rrelu_noise():
    return [Sample(T(3, 4), T(3, 4), training=True), Sample(T(3, 4), T(3, 4)),
            Sample(T(2, 3, dtype=me.float64), T(2, 3, dtype=me.float64), 0.1, 0.2, True)]
