"""One table of sample inputs per op overload (in the spirit of thunder's OpInfos).

`SAMPLES[name]` is a function returning a list of `Sample(args, kwargs)`
built from fresh minexport tensors; `name` is the overload's str()
("aten.add.Tensor").  Samples cover broadcasting, negative dims, keepdim,
non-contiguous inputs, dtype mixes and empty tensors where the op allows.
`RANDOM` ops are compared by shape and dtype only; `TOLERANCE` loosens the
comparison for ops whose float rounding legitimately differs.
"""
import math

import numpy as np

import minexport as me

_rng = np.random.default_rng(1234)


class Sample:
    """Positional and keyword arguments for one call."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def __repr__(self):
        def show(a):
            if isinstance(a, me.Tensor):
                return f"T{list(a.shape)}:{a.dtype.name}{'' if a.is_contiguous() else ':nc'}"
            if isinstance(a, (list, tuple)):
                return "[" + ", ".join(show(x) for x in a) + "]"
            return repr(a)
        parts = [show(a) for a in self.args] + [f"{k}={show(v)}" for k, v in self.kwargs.items()]
        return "(" + ", ".join(parts) + ")"


def T(*shape, dtype=me.float32, low=-3.0, high=3.0, noncontig=False):
    """A random tensor; noncontig gives a strided view with the same shape."""
    npd = dtype.numpy_dtype
    full_shape = shape[:-1] + (shape[-1] * 2,) if (noncontig and shape) else shape
    if dtype is me.bool:
        arr = _rng.random(full_shape) > 0.5
    elif dtype.is_floating_point:
        arr = _rng.uniform(low, high, full_shape).astype(npd)
    else:
        lo = max(int(low), 0) if dtype is me.uint8 else int(low)
        arr = _rng.integers(lo, max(int(high), lo + 1), full_shape).astype(npd)
    if noncontig and shape:
        arr = arr[..., ::2]
    return me.from_numpy(np.asarray(arr))


def L(*shape, high=3, low=0):
    """A long (int64) index tensor in [low, high)."""
    return me.from_numpy(_rng.integers(low, high, shape).astype(np.int64))


def B(*shape):
    """A random bool tensor."""
    return T(*shape, dtype=me.bool)


SAMPLES = {}
RANDOM = set()
TOLERANCE = {}


def samples(*names, random=False, tol=None):
    """Register one sample function for several op overloads."""
    def deco(fn):
        for n in names:
            SAMPLES[n] = fn
            if random:
                RANDOM.add(n)
            if tol:
                TOLERANCE[n] = tol
        return fn
    return deco


# ------------------------------------------------------------- pointwise ----
def _unary_float(positive=False, ints=True):
    lo = 0.1 if positive else -3.0

    def fn():
        out = [Sample(T(3, 4, low=lo)), Sample(T(2, 3, 4, dtype=me.float64, low=lo, noncontig=True)),
               Sample(T(0, 3, low=lo)), Sample(T(dtype=me.float64, low=lo))]
        if ints:
            out.append(Sample(T(5, dtype=me.int64, low=1 if positive else -3, high=6)))
        return out
    return fn


for _n in ("exp", "sin", "cos", "tanh", "sigmoid", "erf"):
    samples(f"aten.{_n}.default", f"aten.{_n}_.default")(_unary_float())
for _n in ("log", "log1p", "sqrt", "rsqrt", "reciprocal"):
    samples(f"aten.{_n}.default", f"aten.{_n}_.default")(_unary_float(positive=True))
samples("aten.silu.default", "aten.silu_.default", "aten.gelu.default", "aten.gelu_.default")(
    _unary_float(ints=False))


@samples("aten.abs.default", "aten.abs_.default", "aten.neg.default", "aten.neg_.default",
         "aten.relu.default", "aten.relu_.default", "aten.sign.default", "aten.sign_.default",
         "aten.floor.default", "aten.floor_.default", "aten.ceil.default", "aten.ceil_.default",
         "aten.round.default", "aten.round_.default")
def _same_dtype_unary():
    return [Sample(T(3, 4)), Sample(T(2, 3, dtype=me.float64, noncontig=True)), Sample(T(4, dtype=me.int64)),
            Sample(T(2, 2, dtype=me.int32)), Sample(T(0, 2)), Sample(T())]


@samples("aten.round.decimals", "aten.round_.decimals")
def _round_decimals():
    return [Sample(T(3, 4, high=100), decimals=2), Sample(T(5, dtype=me.float64, high=1000), decimals=-1)]


@samples("aten.gelu.default", "aten.gelu_.default")
def _gelu():
    return _unary_float(ints=False)() + [Sample(T(3, 4), approximate="tanh")]


@samples("aten.leaky_relu.default", "aten.leaky_relu_.default")
def _leaky():
    return [Sample(T(3, 4)), Sample(T(2, 5, dtype=me.float64), 0.2), Sample(T(0, 3))]


@samples("aten.hardtanh.default", "aten.hardtanh_.default")
def _hardtanh():
    return [Sample(T(3, 4)), Sample(T(2, 5, dtype=me.float64), -0.5, 2.0), Sample(T(4, dtype=me.int64), -1, 1)]


@samples("aten.isnan.default")
def _isnan():
    x = T(3, 4)
    x[0, 1] = float("nan")
    return [Sample(x), Sample(T(3, dtype=me.int64))]


@samples("aten.logical_not.default", "aten.logical_not_.default")
def _lnot():
    return [Sample(B(3, 4)), Sample(T(3, dtype=me.int64))]


@samples("aten.bitwise_not.default", "aten.bitwise_not_.default")
def _bnot():
    return [Sample(B(3, 4)), Sample(T(3, dtype=me.int64)), Sample(T(2, 2, dtype=me.uint8, high=200))]


def _binary_samples(ints=True, floats=True, nonzero_rhs=False, positive_lhs=False, scalar_only=False,
                    tensor_only=False):
    lo_r = 0.5 if nonzero_rhs else -3.0
    lo_l = 0.5 if positive_lhs else -3.0

    def fn():
        if scalar_only:
            return [s for s in fn_all() if not isinstance(s.args[1], me.Tensor)]
        if tensor_only:
            return [s for s in fn_all() if isinstance(s.args[1], me.Tensor)]
        return fn_all()

    def fn_all():
        out = []
        if floats:
            out += [Sample(T(3, 4, low=lo_l), T(4, low=lo_r)),
                    Sample(T(2, 1, 4, low=lo_l, noncontig=True), T(3, 1, dtype=me.float64, low=lo_r)),
                    Sample(T(0, 3, low=lo_l), T(3, low=lo_r)),
                    Sample(T(3, dtype=me.float16, low=lo_l), T(dtype=me.float64, low=lo_r)),
                    Sample(T(3, 2, low=lo_l), 2.5)]
        if ints:
            out += [Sample(T(3, 4, dtype=me.int64, low=-5, high=6),
                           T(4, dtype=me.int32, low=1 if nonzero_rhs else -5, high=6)),
                    Sample(T(2, 3, dtype=me.int32, low=0 if positive_lhs else -5, high=6), 3)]
            if floats:
                out.append(Sample(T(3, dtype=me.int32, low=1, high=6), T(3, low=lo_r)))
                out.append(Sample(T(2, 3, dtype=me.int64, low=1, high=6), 1.5))
        return out
    return fn


def _tensor_and_scalar(names, **kw):
    """Scalar overloads take the samples with a Python scalar; Tensor overloads the others
    (add/sub/mul/div.Tensor also accept a Python scalar, as torch's do)."""
    for n in names:
        lenient = n in ("add", "sub", "mul", "div")
        samples(f"aten.{n}.Tensor", f"aten.{n}_.Tensor")(_binary_samples(tensor_only=not lenient, **kw))
        samples(f"aten.{n}.Scalar", f"aten.{n}_.Scalar")(_binary_samples(scalar_only=True, **kw))


_tensor_and_scalar(("add", "sub", "mul", "eq", "ne", "lt", "le", "gt", "ge"))
_tensor_and_scalar(("div", "remainder", "fmod"), nonzero_rhs=True)
samples("aten.floor_divide.default", "aten.floor_divide_.Tensor")(_binary_samples(nonzero_rhs=True, tensor_only=True))
samples("aten.floor_divide.Scalar", "aten.floor_divide_.Scalar")(_binary_samples(nonzero_rhs=True, scalar_only=True))
samples("aten.maximum.default", "aten.minimum.default", "aten.max.other", "aten.min.other")(
    _binary_samples(tensor_only=True))
samples("aten.rsub.Tensor")(_binary_samples(tensor_only=True))
samples("aten.rsub.Scalar")(_binary_samples(scalar_only=True))


@samples("aten.add.Tensor", "aten.sub.Tensor", "aten.add_.Tensor", "aten.sub_.Tensor")
def _add_alpha():
    return _binary_samples()() + [Sample(T(3, 4), T(4), alpha=2),
                                  Sample(T(2, dtype=me.int64), T(2, dtype=me.int64), alpha=3)]


@samples("aten.div.Scalar_mode", "aten.div_.Scalar_mode")
def _div_mode_scalar():
    return [s for s in _div_mode() if not isinstance(s.args[1], me.Tensor)]


@samples("aten.div.Tensor_mode", "aten.div_.Tensor_mode")
def _div_mode():
    out = []
    for mode in ("trunc", "floor"):
        out += [Sample(T(3, 4), T(4, low=0.5), rounding_mode=mode),
                Sample(T(3, 4, dtype=me.int64, low=-9, high=9), T(4, dtype=me.int64, low=1, high=4),
                       rounding_mode=mode),
                Sample(T(5, dtype=me.int32, low=-9, high=9), 2, rounding_mode=mode)]
    out.append(Sample(T(3), T(3, low=0.5), rounding_mode=None))
    return out


@samples("aten.pow.Tensor_Tensor", "aten.pow_.Tensor")
def _pow_tt():
    return [Sample(T(3, 4, low=0.5), T(4)),
            Sample(T(3, dtype=me.int64, low=0, high=4), T(3, dtype=me.int64, low=0, high=3)),
            Sample(T(2, 3, dtype=me.float64, low=0.5), T(3, low=-2, high=2))]


@samples("aten.pow.Tensor_Scalar", "aten.pow_.Scalar")
def _pow_ts():
    return [Sample(T(3, 4), 2), Sample(T(3, 4, low=0.5), 0.5), Sample(T(3, dtype=me.int64, low=0, high=4), 3)]


@samples("aten.pow.Scalar")
def _pow_s():
    return [Sample(2.0, T(3, 4)), Sample(2, T(3, dtype=me.int64, low=0, high=5)), Sample(3, T(2, 2))]


@samples("aten.remainder.Scalar_Tensor")
def _rem_st():
    return [Sample(5.0, T(3, low=0.5)), Sample(7, T(4, dtype=me.int64, low=1, high=5))]


@samples("aten.bitwise_and.Tensor", "aten.bitwise_and_.Tensor", "aten.bitwise_or.Tensor", "aten.bitwise_or_.Tensor")
def _bitwise():
    return [Sample(T(3, 4, dtype=me.int64, high=100), T(4, dtype=me.int64, high=100)),
            Sample(B(3, 4), B(4)), Sample(T(3, dtype=me.int32, high=50), T(dtype=me.int64, high=50))]


@samples("aten.bitwise_and.Scalar", "aten.bitwise_and_.Scalar", "aten.bitwise_or.Scalar", "aten.bitwise_or_.Scalar")
def _bitwise_scalar():
    return [Sample(T(3, dtype=me.int32, high=50), 6), Sample(B(3), True)]


@samples("aten.bitwise_and.Scalar_Tensor", "aten.bitwise_or.Scalar_Tensor")
def _bitwise_st():
    return [Sample(6, T(4, dtype=me.int64, high=100))]


@samples("aten.logical_and.default", "aten.logical_and_.default", "aten.logical_or.default", "aten.logical_or_.default")
def _logical():
    return [Sample(B(3, 4), B(4)), Sample(T(3, dtype=me.int64), T(3)), Sample(B(2, 3), B(2, 3))]


@samples("aten.where.self")
def _where():
    return [Sample(B(3, 4), T(3, 4), T(4)), Sample(B(2, 1), T(3, dtype=me.int64), T(2, 3, dtype=me.float64))]


@samples("aten.where.ScalarOther")
def _where_so():
    return [Sample(B(3, 4), T(3, 4), 0.0), Sample(B(3), T(3, dtype=me.int64), 2)]


@samples("aten.where.ScalarSelf")
def _where_ss():
    return [Sample(B(3, 4), 1.0, T(4))]


@samples("aten.where.Scalar")
def _where_s():
    return [Sample(B(3, 4), 1.0, 0.0), Sample(B(3), 1, 0)]


@samples("aten.masked_fill.Scalar", "aten.masked_fill_.Scalar")
def _masked_fill():
    return [Sample(T(3, 4), B(3, 4), -1.0), Sample(T(3, 4, dtype=me.int64), B(4), 7)]


@samples("aten.masked_fill.Tensor", "aten.masked_fill_.Tensor")
def _masked_fill_t():
    return [Sample(T(3, 4), B(3, 4), me.tensor(2.5))]


@samples("aten.clamp.default", "aten.clamp_.default")
def _clamp():
    return [Sample(T(3, 4), -1.0, 1.0), Sample(T(3, 4), None, 0.5), Sample(T(5, dtype=me.int64), 0, 2),
            Sample(T(5, dtype=me.float64, noncontig=True), -0.5)]


@samples("aten.clamp.Tensor", "aten.clamp_.Tensor")
def _clamp_t():
    return [Sample(T(3, 4), T(4, low=-2, high=-1), T(3, 1, low=1, high=2)), Sample(T(3, 4), None, T(4))]


@samples("aten.clamp_min.default", "aten.clamp_min_.default", "aten.clamp_max.default", "aten.clamp_max_.default")
def _clamp_one():
    return [Sample(T(3, 4), 0.5), Sample(T(4, dtype=me.int64), 1)]


@samples("aten.clamp_min.Tensor", "aten.clamp_min_.Tensor", "aten.clamp_max.Tensor", "aten.clamp_max_.Tensor")
def _clamp_one_t():
    return [Sample(T(3, 4), T(4))]


# ------------------------------------------------------------ reductions ----
def _full_reduction(float_only=False):
    def fn():
        out = [Sample(T(3, 4)), Sample(T(2, 3, 4, dtype=me.float64, noncontig=True)), Sample(T())]
        if not float_only:
            out += [Sample(T(3, 4, dtype=me.int32)), Sample(B(5))]
        return out
    return fn


samples("aten.sum.default", "aten.prod.default")(_full_reduction())
samples("aten.mean.default")(_full_reduction(float_only=True))
samples("aten.max.default", "aten.min.default")(_full_reduction())
samples("aten.any.default", "aten.all.default")(_full_reduction())


@samples("aten.sum.dim_IntList", "aten.mean.dim")
def _sum_dim():
    return [Sample(T(3, 4), [1]), Sample(T(2, 3, 4, noncontig=True), [0, -1], True), Sample(T(3, 4), None),
            Sample(T(0, 3), [0]), Sample(T(3, 4, dtype=me.float64), [-2], False),
            Sample(T(2, 3), [1], dtype=me.float64)]


@samples("aten.sum.dim_IntList")
def _sum_dim_int():
    return _sum_dim() + [Sample(T(3, 4, dtype=me.int32), [1]), Sample(B(3, 4), [0], True)]


@samples("aten.prod.dim_int")
def _prod_dim():
    return [Sample(T(3, 4), 1), Sample(T(2, 3, 4), -1, True), Sample(T(3, 4, dtype=me.int32, high=4), 0)]


@samples("aten.amax.default", "aten.amin.default")
def _amax():
    return [Sample(T(3, 4), [1]), Sample(T(2, 3, 4, noncontig=True), [0, 2], True), Sample(T(3, 4)),
            Sample(T(3, 4, dtype=me.int64), [-1])]


@samples("aten.max.dim", "aten.min.dim")
def _max_dim():
    return [Sample(T(3, 4), 1), Sample(T(2, 3, 4, noncontig=True), -1, True), Sample(T(3, 4, dtype=me.int64), 0)]


@samples("aten.argmax.default", "aten.argmin.default")
def _argmax():
    return [Sample(T(3, 4)), Sample(T(3, 4), 1), Sample(T(2, 3, 4), -1, True), Sample(T(3, 4), None, True)]


@samples("aten.var.correction", "aten.std.correction")
def _var():
    return [Sample(T(3, 4)), Sample(T(3, 4), [1]), Sample(T(2, 3, 4), [0, 2], correction=0, keepdim=True),
            Sample(T(5, dtype=me.float64), None, correction=2)]


@samples("aten.var.dim", "aten.std.dim")
def _var_dim():
    return [Sample(T(3, 4), [1]), Sample(T(3, 4), [0], False, True)]


@samples("aten.var.default", "aten.std.default")
def _var_default():
    return [Sample(T(3, 4)), Sample(T(3, 4), False)]


@samples("aten.any.dim", "aten.all.dim")
def _any_dim():
    return [Sample(B(3, 4), 1), Sample(T(3, 4, dtype=me.int64, low=0, high=2), 0, True)]


@samples("aten.any.dims", "aten.all.dims")
def _any_dims():
    return [Sample(B(3, 4), [1]), Sample(B(2, 3, 4), [0, 2], True), Sample(B(3, 4))]


@samples("aten.cumsum.default")
def _cumsum():
    return [Sample(T(3, 4), 1), Sample(T(3, 4, dtype=me.int32), 0), Sample(T(5), -1, dtype=me.float64)]


@samples("aten.logsumexp.default")
def _lse():
    return [Sample(T(3, 4), [1]), Sample(T(2, 3, 4), [0, 2], True), Sample(T(3, 4, dtype=me.int64), [0])]


@samples("aten.softmax.int", "aten.log_softmax.int")
def _softmax():
    return [Sample(T(3, 4), 1), Sample(T(2, 3, 4, noncontig=True), 0), Sample(T(3, 4), -1, me.float64)]


@samples("aten._softmax.default", "aten._log_softmax.default")
def _softmax_():
    return [Sample(T(3, 4), 1, False), Sample(T(2, 3, 4, dtype=me.float64), -1, False)]


# ----------------------------------------------------------------- linalg ----
@samples("aten.mm.default")
def _mm():
    return [Sample(T(3, 4), T(4, 5)), Sample(T(4, 3, noncontig=True), T(3, 2)),
            Sample(T(2, 3, dtype=me.int64), T(3, 2, dtype=me.int64)), Sample(T(0, 3), T(3, 2))]


@samples("aten.bmm.default")
def _bmm():
    return [Sample(T(2, 3, 4), T(2, 4, 5))]


@samples("aten.matmul.default")
def _matmul():
    return [Sample(T(3), T(3)), Sample(T(2, 3), T(3)), Sample(T(3), T(3, 4)), Sample(T(2, 3), T(3, 4)),
            Sample(T(5, 2, 3), T(3, 4)), Sample(T(3), T(5, 3, 4)), Sample(T(2, 1, 2, 3), T(5, 3, 4)),
            Sample(T(5, 2, 3), T(3)),
            # a batch whose rows do not merge without a copy takes bmm (torch does not fold it)
            Sample(T(2, 5, 3).transpose(0, 1), T(3, 4)), Sample(T(5, 3, 2).transpose(1, 2), T(3)),
            Sample(T(2, 3, 4, 3).transpose(1, 2), T(3, 2)), Sample(T(2, 3), T(5, 3, 4))]


@samples("aten.addmm.default")
def _addmm():
    return [Sample(T(5), T(3, 4), T(4, 5)), Sample(T(3, 5), T(3, 4), T(4, 5), beta=0.5, alpha=2.0)]


@samples("aten.baddbmm.default")
def _baddbmm():
    return [Sample(T(2, 3, 5), T(2, 3, 4), T(2, 4, 5)), Sample(T(3, 5), T(2, 3, 4), T(2, 4, 5), beta=0, alpha=0.5)]


@samples("aten.linear.default")
def _linear():
    return [Sample(T(3, 4), T(5, 4), T(5)), Sample(T(2, 3, 4), T(5, 4)), Sample(T(4), T(5, 4), T(5)),
            Sample(T(2, 3, 4), T(5, 4), T(5)), Sample(T(3, 2, 4).transpose(0, 1), T(5, 4), T(5)),
            Sample(T(2, 3, 2, 4).transpose(1, 2), T(5, 4), T(5)), Sample(T(4), T(5, 4))]


# ------------------------------------------------------------------ shape ----
@samples("aten.view.default", "aten.reshape.default", "aten._unsafe_view.default")
def _view():
    return [Sample(T(3, 4), [12]), Sample(T(3, 4), [2, -1]), Sample(T(2, 3, 4), [-1, 4]), Sample(T(), [1])]


@samples("aten.reshape.default")
def _reshape():
    return _view() + [Sample(T(3, 4, noncontig=True), [12]), Sample(T(3, 4).t(), [2, 6])]


@samples("aten.permute.default")
def _permute():
    return [Sample(T(2, 3, 4), [2, 0, 1]), Sample(T(3, 4), [-1, 0])]


@samples("aten.transpose.int")
def _transpose():
    return [Sample(T(2, 3, 4), 0, 2), Sample(T(3, 4), -1, -2)]


@samples("aten.numpy_T.default")
def _numpy_t():
    return [Sample(T(2, 3, 4)), Sample(T(3)), Sample(T())]


@samples("aten.mT.default")
def _mt():
    return [Sample(T(2, 3, 4)), Sample(T(3, 5))]


@samples("aten.expand_as.default")
def _expand_as():
    return [Sample(T(3, 1), T(3, 4)), Sample(T(4), T(2, 4))]


@samples("aten.view_as.default", "aten.reshape_as.default")
def _view_as():
    return [Sample(T(3, 4), T(12)), Sample(T(2, 6), T(4, 3))]


@samples("aten.type_as.default")
def _type_as():
    return [Sample(T(3, 4), T(2, dtype=me.float64)), Sample(T(3, low=-4, high=4), T(1, dtype=me.int32))]


@samples("aten._assert_tensor_metadata.default")
def _assert_md():
    return [Sample(T(3, 4), dtype=me.float32), Sample(T(3, 4), [3, 4])]


@samples("aten.t.default")
def _t():
    return [Sample(T(3, 4)), Sample(T(3))]


@samples("aten.unsqueeze.default")
def _unsqueeze():
    return [Sample(T(3, 4), 0), Sample(T(3, 4), -1), Sample(T(), 0)]


@samples("aten.squeeze.default")
def _squeeze():
    return [Sample(T(1, 3, 1, 4)), Sample(T(3))]


@samples("aten.squeeze.dim")
def _squeeze_dim():
    return [Sample(T(1, 3, 1), 0), Sample(T(1, 3, 1), -1), Sample(T(2, 3), 0)]


@samples("aten.squeeze.dims")
def _squeeze_dims():
    return [Sample(T(1, 3, 1), [0, 2]), Sample(T(1, 3), [1])]


@samples("aten.expand.default")
def _expand():
    return [Sample(T(3, 1), [3, 4]), Sample(T(4), [2, 3, 4]), Sample(T(3, 1), [-1, 5])]


@samples("aten.slice.Tensor")
def _slice():
    return [Sample(T(5, 4), 0, 1, 3), Sample(T(5, 4), 1, 0, 9223372036854775807, 2), Sample(T(5, 4), -1, -3),
            Sample(T(5, 4), 0, 4, 2), Sample(T(5, 4))]


@samples("aten.select.int")
def _select():
    return [Sample(T(5, 4), 0, 2), Sample(T(5, 4), 1, -1), Sample(T(3), 0, 1)]


@samples("aten.narrow.default")
def _narrow():
    return [Sample(T(5, 4), 0, 1, 3), Sample(T(5, 4), -1, -2, 2)]


@samples("aten.split.Tensor")
def _split():
    return [Sample(T(5, 4), 2), Sample(T(5, 4), 3, 1), Sample(T(4, 4), 2, -1)]


@samples("aten.split_with_sizes.default")
def _split_ws():
    return [Sample(T(5, 4), [2, 3]), Sample(T(5, 4), [1, 1, 2], 1)]


@samples("aten.chunk.default")
def _chunk():
    return [Sample(T(5, 4), 2), Sample(T(5, 4), 3, 1), Sample(T(6), 3)]


@samples("aten.unbind.int")
def _unbind():
    return [Sample(T(3, 4)), Sample(T(3, 4), 1)]


@samples("aten.flatten.using_ints")
def _flatten():
    return [Sample(T(2, 3, 4)), Sample(T(2, 3, 4), 1), Sample(T(2, 3, 4, noncontig=True), 0, 1), Sample(T())]


@samples("aten.unflatten.int")
def _unflatten():
    return [Sample(T(6, 4), 0, [2, 3]), Sample(T(6, 4), -1, [2, -1])]


@samples("aten.alias.default", "aten.detach.default", "aten.clone.default", "aten.contiguous.default",
         "aten.lift_fresh_copy.default")
def _alias():
    return [Sample(T(3, 4)), Sample(T(3, 4, noncontig=True))]


@samples("aten.cat.default")
def _cat():
    return [Sample([T(2, 3), T(4, 3)]), Sample([T(2, 3), T(2, 1, dtype=me.float64)], 1),
            Sample([T(2, 3, dtype=me.int64), T(1, 3)], -2), Sample([T(0), T(2, 3)])]


@samples("aten.stack.default")
def _stack():
    return [Sample([T(2, 3), T(2, 3)]), Sample([T(2, 3), T(2, 3)], -1), Sample([T(2), T(2, dtype=me.int64)], 1)]


@samples("aten.repeat.default")
def _repeat():
    return [Sample(T(2, 3), [2, 1]), Sample(T(3), [2, 2])]


@samples("aten.flip.default")
def _flip():
    return [Sample(T(3, 4), [0]), Sample(T(2, 3, 4), [0, -1])]


@samples("aten.roll.default")
def _roll():
    return [Sample(T(3, 4), [1], [0]), Sample(T(3, 4), [2]), Sample(T(3, 4), [1, -1], [0, 1])]


@samples("aten.tril.default", "aten.triu.default")
def _tri():
    return [Sample(T(4, 4)), Sample(T(3, 5), 1), Sample(T(2, 3, 3), -1)]


@samples("aten.constant_pad_nd.default")
def _cpad():
    return [Sample(T(3, 4), [1, 2]), Sample(T(2, 3, 4), [1, 1, 2, 0], 1.5), Sample(T(3, 4), [-1, 1])]


@samples("aten.pad.default")
def _pad():
    return [Sample(T(1, 3, 4), [1, 2], "reflect"), Sample(T(1, 2, 3, 4), [1, 1, 2, 0], "replicate"),
            Sample(T(1, 3, 4), [1, 2], "circular"), Sample(T(3, 4), [1, 2], "constant", 2.0)]


# --------------------------------------------------------------- indexing ----
@samples("aten.index.Tensor")
def _index():
    return [Sample(T(5, 4), [L(3, high=5)]), Sample(T(5, 4), [None, L(2, 2, high=4)]),
            Sample(T(5, 4, 3), [L(2, high=5), None, L(2, high=3)]), Sample(T(5, 4), [B(5, 4)]),
            Sample(T(5, 4, 3), [None, L(3, high=4), L(3, high=3)])]


@samples("aten.index_put.default", "aten.index_put_.default")
def _index_put():
    return [Sample(T(5, 4), [L(3, high=5)], T(3, 4)), Sample(T(5, 4), [L(2, high=5), L(2, high=4)], T(2)),
            Sample(T(5, 4), [me.tensor([0, 2, 0])], T(3, 4), True)]


@samples("aten.gather.default")
def _gather():
    return [Sample(T(3, 4), 1, L(3, 2, high=4)), Sample(T(3, 4), 0, L(2, 4, high=3))]


@samples("aten.scatter.src", "aten.scatter_.src")
def _scatter_src():
    return [Sample(T(3, 4), 1, me.tensor([[0, 1], [2, 3], [1, 0]]), T(3, 2)),
            Sample(T(3, 4), 0, me.tensor([[0, 1, 2, 0]]), T(2, 4))]


@samples("aten.scatter.value", "aten.scatter_.value")
def _scatter_value():
    return [Sample(T(3, 4), 1, me.tensor([[0, 1], [2, 3], [1, 0]]), 9.0)]


@samples("aten.scatter.reduce", "aten.scatter_.reduce")
def _scatter_reduce():
    return [Sample(T(3, 4), 1, me.tensor([[0, 0], [2, 2], [1, 0]]), T(3, 2), reduce="add"),
            Sample(T(3, 4), 1, me.tensor([[0, 0], [2, 2], [1, 0]]), T(3, 2), reduce="multiply")]


@samples("aten.scatter.value_reduce", "aten.scatter_.value_reduce")
def _scatter_vreduce():
    return [Sample(T(3, 4), 1, me.tensor([[0, 0], [2, 2], [1, 0]]), 2.0, reduce="add")]


@samples("aten.scatter_reduce.two")
def _scatter_reduce_two():
    idx = me.tensor([[0, 0], [2, 2], [1, 0]])
    return [Sample(T(3, 4), 1, idx, T(3, 2), reduce) for reduce in ("sum", "prod", "amax", "amin", "mean")] + \
        [Sample(T(3, 4), 1, idx, T(3, 2), "sum", include_self=False),
         Sample(T(3, 4), 1, idx, T(3, 2), "amax", include_self=False)]


@samples("aten.select_scatter.default")
def _select_scatter():
    return [Sample(T(3, 4), T(4), 0, 1), Sample(T(3, 4), T(3), 1, -1)]


@samples("aten.slice_scatter.default")
def _slice_scatter():
    return [Sample(T(5, 4), T(2, 4), 0, 1, 3), Sample(T(5, 4), T(5, 2), 1, 0, 9223372036854775807, 2),
            Sample(T(5, 4), T(5, 4))]


@samples("aten.index_select.default")
def _index_select():
    return [Sample(T(5, 4), 0, L(3, high=5)), Sample(T(5, 4), -1, L(6, high=4))]


@samples("aten.embedding.default")
def _embedding():
    return [Sample(T(10, 3), L(2, 4, high=10)), Sample(T(10, 3), L(5, high=10), 0)]


@samples("aten.copy_.default", "aten.copy.default")
def _copy():
    return [Sample(T(3, 4), T(3, 4)), Sample(T(3, 4), T(4, dtype=me.float64)), Sample(T(3, 4, dtype=me.int64), T(3, 4))]


@samples("aten.fill_.Scalar")
def _fill():
    return [Sample(T(3, 4), 2.5), Sample(T(3, dtype=me.int64), 7)]


@samples("aten.fill_.Tensor")
def _fill_t():
    return [Sample(T(3, 4), me.tensor(2.5))]


@samples("aten.zero_.default")
def _zero():
    return [Sample(T(3, 4)), Sample(T(3, dtype=me.int64))]


# ----------------------------------------------------------------------- nn ----
@samples("aten.conv2d.default", tol=(1e-4, 1e-5))
def _conv2d():
    return [Sample(T(2, 3, 8, 8), T(4, 3, 3, 3), T(4)),
            Sample(T(1, 4, 9, 7), T(6, 2, 3, 2), None, [2, 1], [1, 0], [1, 2], 2),
            Sample(T(3, 5, 5), T(2, 3, 1, 1))]


@samples("aten.conv1d.default", tol=(1e-4, 1e-5))
def _conv1d():
    return [Sample(T(2, 3, 10), T(4, 3, 3), T(4)), Sample(T(2, 4, 10), T(4, 2, 3), None, [2], [1], [2], 2)]


@samples("aten.conv2d.padding", tol=(1e-4, 1e-5))
def _conv2d_padding():
    return [Sample(T(2, 3, 8, 8), T(4, 3, 3, 3), T(4), [1, 1], "same"),
            Sample(T(2, 3, 8, 8), T(4, 3, 4, 2), None, [1, 1], "same", [2, 1]),
            Sample(T(2, 3, 8, 8), T(4, 3, 3, 3), None, [2, 2], "valid")]


@samples("aten.conv1d.padding", tol=(1e-4, 1e-5))
def _conv1d_padding():
    return [Sample(T(2, 3, 10), T(4, 3, 3), T(4), [1], "same")]


@samples("aten.convolution.default", tol=(1e-4, 1e-5))
def _convolution():
    return [Sample(T(2, 3, 8, 8), T(4, 3, 3, 3), T(4), [1, 1], [1, 1], [1, 1], False, [0, 0], 1),
            Sample(T(2, 4, 10), T(4, 1, 3), None, [2], [0], [1], False, [0], 4)]


@samples("aten.max_pool2d.default", "aten.max_pool2d_with_indices.default")
def _maxpool():
    return [Sample(T(2, 3, 8, 8), [2, 2]), Sample(T(1, 2, 7, 9), [3, 3], [2, 2], [1, 1]),
            Sample(T(1, 2, 7, 9), [3, 2], [2, 2], [0, 1], [1, 1], True),
            Sample(T(2, 7, 7), [2, 2], [1, 1], [0, 0], [2, 2])]


@samples("aten.avg_pool2d.default")
def _avgpool():
    return [Sample(T(2, 3, 8, 8), [2, 2]), Sample(T(1, 2, 7, 9), [3, 3], [2, 2], [1, 1]),
            Sample(T(1, 2, 7, 9), [3, 3], [2, 2], [1, 1], True, False),
            Sample(T(1, 2, 7, 9), [3, 2], [2, 2], [1, 1], True, True),
            Sample(T(1, 2, 6, 6), [2, 2], [2, 2], [0, 0], False, True, 3)]


@samples("aten.adaptive_avg_pool2d.default", "aten._adaptive_avg_pool2d.default")
def _adaptive():
    return [Sample(T(2, 3, 8, 8), [1, 1]), Sample(T(1, 2, 7, 9), [3, 4]), Sample(T(2, 5, 5), [5, 5])]


def _bn_inputs(training):
    x = T(4, 3, 5, 5)
    return x, T(3), T(3), T(3), T(3, low=0.5, high=2.0)


@samples("aten.batch_norm.default")
def _batch_norm():
    x, w, b, rm, rv = _bn_inputs(False)
    x2, w2, b2, rm2, rv2 = _bn_inputs(True)
    return [Sample(x, w, b, rm, rv, False, 0.1, 1e-5, False), Sample(x2, w2, b2, rm2, rv2, True, 0.1, 1e-5, False),
            Sample(T(6, 3), None, None, T(3), T(3, low=0.5, high=2.0), True, 0.3, 1e-3, False)]


@samples("aten._native_batch_norm_legit_no_training.default")
def _bn_nt():
    x, w, b, rm, rv = _bn_inputs(False)
    return [Sample(x, w, b, rm, rv, 0.1, 1e-5)]


@samples("aten._native_batch_norm_legit.default")
def _bn_legit():
    x, w, b, rm, rv = _bn_inputs(True)
    return [Sample(x, w, b, rm, rv, True, 0.1, 1e-5)]


@samples("aten._native_batch_norm_legit.no_stats")
def _bn_legit_ns():
    return [Sample(T(4, 3, 5), T(3), T(3), True, 0.1, 1e-5)]


@samples("aten._native_batch_norm_legit_functional.default")
def _bn_func():
    x, w, b, rm, rv = _bn_inputs(True)
    return [Sample(x, w, b, rm, rv, True, 0.1, 1e-5)]


@samples("aten.layer_norm.default")
def _layer_norm():
    return [Sample(T(2, 3, 4), [4], T(4), T(4)), Sample(T(2, 3, 4), [3, 4]), Sample(T(2, 3, 4), [4], T(4), None, 1e-3)]


@samples("aten.native_layer_norm.default")
def _native_ln():
    return [Sample(T(2, 3, 4), [4], T(4), T(4), 1e-5), Sample(T(2, 3, 4), [3, 4], None, None, 1e-5)]


@samples("aten.group_norm.default")
def _group_norm():
    return [Sample(T(2, 6, 4), 3, T(6), T(6)), Sample(T(2, 4, 3, 3), 2), Sample(T(2, 4), 4, None, None, 1e-3)]


@samples("aten.native_group_norm.default")
def _native_gn():
    return [Sample(T(2, 6, 4), T(6), T(6), 2, 6, 4, 3, 1e-5)]


@samples("aten.dropout.default")
def _dropout():
    return [Sample(T(3, 4), 0.5, False), Sample(T(3, 4), 0.0, True)]


@samples("aten.dropout.default", "aten.native_dropout.default", random=True)
def _dropout_train():
    return [Sample(T(30, 40), 0.5, True), Sample(T(3, 4), 0.5, False)]


@samples("aten.scaled_dot_product_attention.default", tol=(1e-4, 1e-5))
def _sdpa():
    mask = B(5, 6)
    mask[:, 0] = True
    return [Sample(T(2, 3, 5, 4), T(2, 3, 6, 4), T(2, 3, 6, 7)),
            Sample(T(2, 3, 5, 4), T(2, 3, 5, 4), T(2, 3, 5, 4), None, 0.0, True),
            Sample(T(2, 3, 5, 4), T(2, 3, 6, 4), T(2, 3, 6, 4), mask),
            Sample(T(2, 3, 5, 4), T(2, 3, 6, 4), T(2, 3, 6, 4), T(5, 6), scale=0.3),
            Sample(T(1, 4, 5, 4), T(1, 2, 6, 4), T(1, 2, 6, 4), enable_gqa=True)]


# --------------------------------------------------------------- creation ----
@samples("aten.zeros.default", "aten.ones.default", "aten.empty.memory_format")
def _zeros():
    return [Sample([2, 3]), Sample([4], dtype=me.int64), Sample([], dtype=me.float64), Sample([0, 2])]


@samples("aten.empty.memory_format", random=True)
def _empty():
    return _zeros()


@samples("aten.full.default")
def _full():
    return [Sample([2, 3], 1.5), Sample([2], 7), Sample([2], True), Sample([3], 2, dtype=me.float64)]


@samples("aten.zeros_like.default", "aten.ones_like.default")
def _zeros_like():
    return [Sample(T(2, 3)), Sample(T(4, dtype=me.int64), dtype=me.float32)]


@samples("aten.empty_like.default", "aten.rand_like.default", "aten.randn_like.default", random=True)
def _rand_like():
    return [Sample(T(2, 3)), Sample(T(4, dtype=me.float64))]


@samples("aten.new_zeros.default", "aten.new_ones.default")
def _new_zeros():
    return [Sample(T(2, 3), [4]), Sample(T(2, dtype=me.int64), [2, 2], dtype=me.float64)]


@samples("aten.new_empty.default", random=True)
def _new_empty():
    return [Sample(T(2, 3), [4])]


@samples("aten.new_full.default")
def _new_full():
    return [Sample(T(2, 3), [4], 2.5), Sample(T(2, dtype=me.int64), [3], 7)]


@samples("aten.detach_.default")
def _detach_():
    return [Sample(T(2, 3))]


@samples("aten.full_like.default")
def _full_like():
    return [Sample(T(2, 3), 4.0), Sample(T(4, dtype=me.int64), 3)]


@samples("aten.arange.default")
def _arange():
    return [Sample(5), Sample(5.5), Sample(4, dtype=me.float64), Sample(0)]


@samples("aten.arange.start")
def _arange_start():
    return [Sample(2, 7), Sample(-1.5, 2.0), Sample(3, 3)]


@samples("aten.arange.start_step")
def _arange_step():
    return [Sample(0, 10, 3), Sample(10, 0, -3), Sample(0.0, 1.0, 0.25), Sample(0, 1, 0.1)]


@samples("aten.linspace.default")
def _linspace():
    return [Sample(0.0, 1.0, 5), Sample(-2, 3, 7), Sample(1.0, 1.0, 1), Sample(0, 10, 4, dtype=me.float64)]


@samples("aten.eye.default")
def _eye():
    return [Sample(3), Sample(2, dtype=me.int64)]


@samples("aten.eye.m")
def _eye_m():
    return [Sample(2, 4)]


@samples("aten.rand.default", "aten.randn.default", random=True)
def _rand():
    return [Sample([2, 3]), Sample([4], dtype=me.float64)]


@samples("aten.randint.default", random=True)
def _randint():
    return [Sample(10, [2, 3])]


@samples("aten.randint.low", random=True)
def _randint_low():
    return [Sample(-5, 5, [4]), Sample(0, 3, [2, 2], dtype=me.int32)]


@samples("aten.scalar_tensor.default")
def _scalar_tensor():
    return [Sample(2.5), Sample(3), Sample(1, dtype=me.int64)]


@samples("aten._to_copy.default")
def _to_copy():
    return [Sample(T(3, 4), dtype=me.float64), Sample(T(3, 4, dtype=me.int64)), Sample(T(3), dtype=me.int32)]


@samples("aten.to.dtype")
def _to_dtype():
    return [Sample(T(3, 4), me.float64), Sample(T(3, 4), me.float32), Sample(T(3, 4, low=-5, high=5), me.int64)]


@samples("aten.to.device")
def _to_device():
    return [Sample(T(3, 4), me.device("cpu"), me.float64)]


@samples("aten.to.other")
def _to_other():
    return [Sample(T(3, 4), T(2, dtype=me.float64))]


@samples("aten._assert_scalar.default")
def _assert_scalar():
    return [Sample(True, "holds"), Sample(1, "holds"), Sample(False, "Runtime assertion failed: u0 >= 3")]


@samples("aten.nonzero.default")
def _nonzero():
    x = T(3, 4)
    x[0] = 0
    return [Sample(x), Sample(B(2, 3)), Sample(T(5, dtype=me.int64, low=0, high=2))]


@samples("aten.sym_size.int")
def _sym_size():
    return [Sample(T(3, 4), 0), Sample(T(3, 4), -1)]


@samples("aten.item.default", "aten._local_scalar_dense.default")
def _item():
    return [Sample(T(1)), Sample(T(dtype=me.int64)), Sample(B(1, 1))]


__all__ = ["SAMPLES", "RANDOM", "TOLERANCE", "Sample", "T", "L", "B", "math"]


# Each family of later ops keeps its sample rows in its own `op_samples_<family>.py`
# beside this file; those modules import `samples`, `Sample`, `T`, `L`, `B` from here.
def _load_family_samples():
    import importlib
    import pathlib
    for path in sorted(pathlib.Path(__file__).parent.glob("op_samples_*.py")):
        importlib.import_module(path.stem)


_load_family_samples()
