"""Sample rows for the elementwise breadth ops and the activations (issue 12)."""
import minexport as me
from op_samples import SAMPLES, TOLERANCE, B, Sample, T, samples


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


# ------------------------------------------------------ elementwise breadth --
samples(*_both("deg2rad"), *_both("rad2deg"), *_both("exp2"), *_both("erfc"), *_both("sinc"), *_both("sgn"),
        *_both("fix"), *_both("square"), *_both("frac"))(_unary())
samples(*_both("erfinv"))(_unary(-1.1, 1.1, int_lo=-1, int_hi=2))


@samples("aten.signbit.default", "aten.isfinite.default", "aten.isposinf.default", "aten.isneginf.default",
         "aten.isreal.default")
def _predicates():
    x = T(3, 4)
    x[0, 0], x[0, 1], x[1, 1], x[2, 2] = float("inf"), float("-inf"), float("nan"), -0.0
    return [Sample(x), Sample(T(5, dtype=me.int64)), Sample(B(3)), Sample(T(0, 2, dtype=me.float64)),
            Sample(T(4, dtype=me.float16))]


@samples(*_both("nan_to_num"))
def _nan_to_num():
    x = T(3, 4)
    x[0, 0], x[0, 1], x[1, 1] = float("inf"), float("-inf"), float("nan")
    y = T(4, dtype=me.float64)
    y[0], y[1], y[2] = float("inf"), float("-inf"), float("nan")
    return [Sample(x), Sample(x.clone(), 1.0, 2.0, -2.0), Sample(y, neginf=-7.0), Sample(T(3, dtype=me.int64)),
            Sample(T(2, dtype=me.float16))]


@samples(*_both("logit"))
def _logit():
    return [Sample(T(3, 4, low=0.01, high=0.99)), Sample(T(3, 4, low=-0.5, high=1.5), 0.01),
            Sample(T(5, dtype=me.float64, low=0, high=1), 1e-6), Sample(T(4, dtype=me.int64, low=0, high=2))]


@samples("aten.frexp.Tensor")
def _frexp():
    return [Sample(T(3, 4, low=-100, high=100)), Sample(T(5, dtype=me.float64)), Sample(T(3, dtype=me.int64))]


def _binary_float(ints=True):
    def fn():
        out = [Sample(T(3, 4), T(4)), Sample(T(2, 1, 4, noncontig=True), T(3, 1, dtype=me.float64)),
               Sample(T(0, 3), T(3)), Sample(T(3, dtype=me.float16), T(3, dtype=me.float16)),
               Sample(T(3, 2), me.tensor(0.5))]
        if ints:
            out += [Sample(T(3, dtype=me.int64, low=-4, high=5), T(3, dtype=me.int32, low=-4, high=5)),
                    Sample(B(3), B(3))]
        return out
    return fn


samples("aten.hypot.default", "aten.hypot_.default", "aten.nextafter.default", "aten.nextafter_.default",
        "aten.copysign.Tensor", "aten.copysign_.Tensor", "aten.fmax.default", "aten.fmin.default",
        "aten.logaddexp.default", "aten.logaddexp2.default")(_binary_float())


@samples("aten.fmax.default", "aten.fmin.default")
@samples("aten.logaddexp.default", "aten.logaddexp2.default", tol=(1e-3, 1e-3))   # float16's rounding
def _nan_inf_pairs():
    a = me.tensor([float("nan"), 1.0, float("inf"), float("-inf"), float("inf"), 2.0, float("-inf")])
    b = me.tensor([1.0, float("nan"), float("inf"), float("-inf"), float("-inf"), 2.0, 0.0])
    return _binary_float()() + [Sample(a, b)]


@samples("aten.copysign.Scalar", "aten.copysign_.Scalar")
def _copysign_s():
    return [Sample(T(3, 4), -1.0), Sample(T(3), 2), Sample(T(3, dtype=me.int64), -0.0)]


@samples("aten.ldexp.Tensor", "aten.ldexp_.default")
def _ldexp():
    return [Sample(T(3, 4), T(4, dtype=me.int64, low=-3, high=4)), Sample(T(3, dtype=me.float64), T(3, low=-2, high=2)),
            Sample(T(3, dtype=me.int64), T(3, dtype=me.int64, low=0, high=4))]


@samples("aten.gcd.default", "aten.gcd_.default", "aten.lcm.default", "aten.lcm_.default")
def _gcd():
    return [Sample(T(3, 4, dtype=me.int64, low=-20, high=20), T(4, dtype=me.int64, low=-20, high=20)),
            Sample(T(3, dtype=me.int32, low=0, high=30), T(3, dtype=me.int32, low=1, high=30)),
            Sample(T(3), T(3)), Sample(B(2), B(2))]


def _shift_samples(scalar):
    def fn():
        a = T(3, 4, dtype=me.int64, low=-50, high=50)
        if scalar:
            return [Sample(a, 2), Sample(T(3, dtype=me.int32, low=-9, high=9), 31), Sample(T(3, dtype=me.uint8), 3),
                    Sample(T(3), 1)]
        return [Sample(a, T(4, dtype=me.int64, low=0, high=8)),
                Sample(T(3, dtype=me.int32, low=-9, high=9), me.tensor([0, 31, 5], dtype=me.int32)),
                Sample(T(3, dtype=me.uint8, high=200), T(3, dtype=me.uint8, high=9)), Sample(T(3), T(3))]
    return fn


for _n in ("bitwise_left_shift", "bitwise_right_shift"):
    samples(f"aten.{_n}.Tensor", f"aten.{_n}_.Tensor")(_shift_samples(False))
    samples(f"aten.{_n}.Tensor_Scalar", f"aten.{_n}_.Tensor_Scalar")(_shift_samples(True))
for _n in ("__lshift__", "__rshift__"):
    samples(f"aten.{_n}.Tensor")(_shift_samples(False))
    samples(f"aten.{_n}.Scalar")(_shift_samples(True))


@samples("aten.bitwise_left_shift.Scalar_Tensor", "aten.bitwise_right_shift.Scalar_Tensor")
def _shift_st():
    return [Sample(5, T(4, dtype=me.int64, low=0, high=8)), Sample(-9, T(3, dtype=me.int64, low=0, high=4))]


samples("aten.__and__.Tensor", "aten.__or__.Tensor", "aten.__xor__.Tensor")(_xor)
samples("aten.__and__.Scalar", "aten.__or__.Scalar", "aten.__xor__.Scalar")(_xor_scalar)


@samples("aten.xlogy.Tensor", "aten.xlogy_.Tensor")
def _xlogy():
    x = T(3, 4)
    x[0, :2] = 0.0
    y = T(4, low=0.1)
    y[1] = float("nan")
    return [Sample(x, y), Sample(T(3, dtype=me.int64, low=0, high=3), T(3, dtype=me.int64, low=0, high=4)),
            Sample(T(2, 3, dtype=me.float64), T(3, low=0.5))]


@samples("aten.xlogy.Scalar_Other", "aten.xlogy_.Scalar_Other")
def _xlogy_so():
    return [Sample(T(3, 4), 2.5), Sample(T(3, dtype=me.int64, low=0, high=3), 3)]


@samples("aten.xlogy.Scalar_Self")
def _xlogy_ss():
    return [Sample(2.0, T(3, 4, low=0.1)), Sample(0, T(3, dtype=me.int64, low=0, high=3))]


@samples("aten.float_power.Tensor_Tensor")
def _fpow_tt():
    return [Sample(T(3, 4, low=0.1), T(4)), Sample(T(3, dtype=me.int64, low=0, high=4), T(3, dtype=me.int64, high=3)),
            Sample(T(3, dtype=me.float64, low=0.5), T(3, dtype=me.float64))]


@samples("aten.float_power.Tensor_Scalar")
def _fpow_ts():
    return [Sample(T(3, 4), 2), Sample(T(3, dtype=me.int64, low=0, high=4), 0.5), Sample(T(3, dtype=me.float64), 3.0)]


@samples("aten.float_power.Scalar")
def _fpow_s():
    return [Sample(2, T(3, 4)), Sample(1.5, T(3, dtype=me.int64, low=-2, high=4))]


@samples(*_both("heaviside"))
def _heaviside():
    x = T(3, 4)
    x[0, :2] = 0.0
    x[1, 0] = float("nan")
    return [Sample(x, T(4)), Sample(T(4, dtype=me.int64, low=-2, high=3), T(4, dtype=me.int64)),
            Sample(T(3), T(3, dtype=me.float64)), Sample(T(2, 3), T(4))]


@samples("aten.lerp.Scalar", "aten.lerp_.Scalar")
def _lerp_s():
    return [Sample(T(3, 4), T(4), 0.3), Sample(T(3, 4), T(3, 4), 0.75),
            Sample(T(3, dtype=me.float64), T(3, dtype=me.float64), 1),
            Sample(T(3), T(3, dtype=me.float64), 0.5), Sample(T(3, dtype=me.int64), T(3, dtype=me.int64), 0)]


@samples("aten.lerp.Tensor", "aten.lerp_.Tensor")
def _lerp_t():
    return [Sample(T(3, 4), T(4), T(3, 1, low=-1, high=2)), Sample(T(3), T(3), T(3, dtype=me.float64))]


@samples("aten.addcmul.default", "aten.addcmul_.default", "aten.addcdiv.default", "aten.addcdiv_.default")
def _addc():
    return [Sample(T(3, 4), T(4), T(3, 1, low=0.5)), Sample(T(3, 4), T(3, 4), T(3, 4, low=0.5), value=0.5),
            Sample(T(3, dtype=me.int64), T(3, dtype=me.int64), T(3, dtype=me.int64, low=1, high=4), value=2),
            Sample(T(3, dtype=me.int64), T(3, dtype=me.int64), T(3, low=1), value=2),
            Sample(T(3, dtype=me.int64), T(3, dtype=me.int64), T(3, dtype=me.int64, low=1, high=4), value=0.5),
            Sample(T(2, 3, dtype=me.float64), T(3), T(2, 1, low=0.5))]


@samples("aten.isclose.default")
def _isclose():
    a = T(3, 4)
    b = a + me.from_numpy(T(3, 4).numpy() * 1e-6)
    c = me.tensor([float("nan"), float("inf"), 1.0, float("-inf")])
    d = me.tensor([float("nan"), float("inf"), 1.1, float("inf")])
    return [Sample(a, b), Sample(a, b, 1e-9, 0.0), Sample(c, d),
            Sample(c, c.clone(), equal_nan=True), Sample(T(3, dtype=me.int64), T(3, dtype=me.int64), 0.0, 1.0),
            Sample(T(3), T(3, dtype=me.float64))]


@samples("aten.isin.Tensor_Tensor")
def _isin():
    return [Sample(T(3, 4, dtype=me.int64, high=5), T(3, dtype=me.int64, high=5)),
            Sample(T(3, 4, dtype=me.int64, high=5), T(2, 2, dtype=me.int64, high=5), invert=True),
            Sample(T(5, dtype=me.int64, high=5), T(2, dtype=me.int32, high=5))]


@samples("aten.isin.Tensor_Scalar")
def _isin_ts():
    return [Sample(T(3, 4, dtype=me.int64, high=5), 2), Sample(T(5, dtype=me.int64, high=3), 1, invert=True)]


@samples("aten.isin.Scalar_Tensor")
def _isin_st():
    return [Sample(2, T(3, 4, dtype=me.int64, high=5)), Sample(7, T(3, dtype=me.int64), invert=True)]


@samples("aten.positive.default")
def _positive():
    return [Sample(T(3, 4)), Sample(T(3, dtype=me.int64)), Sample(B(2)), Sample(T(2, 3, noncontig=True))]


# ---------------------------------------------------------------- aliases --
def _alias_samples():
    """Each alias op (multiply.Tensor, clip_.default, ...) takes its target's sample rows."""
    from minexport.ops.aliases import ALIASES
    for alias, (target, overloads, _) in ALIASES.items():
        for overload in overloads:
            for suffix in ("", "_"):
                src = f"aten.{target}{suffix}.{overload}"
                if src in SAMPLES:
                    samples(f"aten.{alias}{suffix}.{overload}", tol=TOLERANCE.get(src))(SAMPLES[src])


_alias_samples()


@samples(*_both("sgn"))
def _sgn():
    x = T(3, 4)
    x[0, 0], x[0, 1], x[1, 1] = float("nan"), -0.0, float("-inf")
    return _unary()() + [Sample(x)]
