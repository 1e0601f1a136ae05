"""Activation ops torch records for torch.nn.functional's activations: selu, celu,
hardswish, hardsigmoid, mish, softplus, softshrink, hardshrink, threshold, glu,
prelu, rrelu (and rrelu_with_noise_functional), log_sigmoid, relu6, with their
in-place twins.

None of them is core ATen; each carries the decomposition torch's
run_decompositions() applies, written over core ops so that minexport's core
graph lists the same ops as torch's (elu, relu, gelu, leaky_relu, hardtanh and
silu live in `pointwise.py`).
"""
import numpy as np

from .. import _random
from .. import dtypes as dt
from .._tensor import wrap_dim
from ..runtime.special import map_chunks
from ._common import check, dtype_of, fake_like, out_array, torch_type_name
from ._inplace import register_inplace
from ._registry import FUNCTION_AND_METHOD, aten, register
from .pointwise import (_clamped, _clamped_into, _elu, _fast_clip, _float_only_as, _scalar_tensor, _sigmoid,
                        float_only, same, unary)

# selu's constants: elu's alpha and scale (Klambauer et al.)
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _selu_decomp(self):
    return aten.elu.default(self, SELU_ALPHA, SELU_SCALE)


unary("selu(Tensor self) -> Tensor", lambda xp, a: _elu(xp, a, SELU_ALPHA, SELU_SCALE), _float_only_as("elu_cpu"),
      "selu_(Tensor(a!) self) -> Tensor(a!)", variants=("function",), decomposition=_selu_decomp,
      inplace_variants=("function",))


def _celu(xp, a, alpha=1.0):
    check(alpha != 0, "ZeroDivisionError")
    return _elu(xp, a, alpha, 1.0, 1.0 / alpha)


def _celu_decomp(self, alpha=None):
    # torch's decomposition skips the scaling when alpha is left at its default
    if alpha is None:
        neg = aten.expm1.default(self)
    else:
        neg = aten.mul.Tensor(aten.expm1.default(aten.div.Tensor(self, alpha)), alpha)
    return aten.where.self(aten.gt.Scalar(self, 0), self, neg)


unary("celu(Tensor self, Scalar alpha=1.) -> Tensor", _celu, _float_only_as("elu_cpu"),
      "celu_(Tensor(a!) self, Scalar alpha=1.) -> Tensor(a!)", variants=("function",), decomposition=_celu_decomp,
      inplace_variants=("function",))


def _relu6_kernel(xp, a):
    return _clamped(xp, a, 0, 6)


# hardsigmoid and hardswish on float32/float64 NumPy arrays: a + 3 into one fresh array, then the
# clamp (the clip ufunc, see _fast_clip in pointwise.py), product and quotient in place on it:
# three or four SIMD passes where the max/min against scalars ran NumPy's scalar loops.  The
# hardswish takes torch's order, (a * clamp) / 6, which gives torch's bits (a * (clamp / 6),
# the former form, was an ulp off for a fifth of the inputs).
def _hard_gate(xp, a, times_a):
    """min(max(a + 3, 0), 6), times a when `times_a`, over 6."""
    t = a + 3
    if _fast_clip(t, 0, 6, out=t) is None:
        t = xp.minimum(xp.maximum(t, 0), 6) / 6        # (the former path, for the other dtypes)
        return a * t if times_a else t
    if times_a:
        t *= a
    t /= 6
    return t


def _hardsigmoid(xp, a):
    return _hard_gate(xp, a, False)


def _hardswish(xp, a):
    return _hard_gate(xp, a, True)


def _clamp_0_6_of_x_plus_3(self):
    return aten.clamp.default(aten.clamp.default(aten.add.Tensor(self, 3), 0), None, 6)


def _hardswish_decomp(self):
    return aten.div.Tensor(aten.mul.Tensor(self, _clamp_0_6_of_x_plus_3(self)), 6)


def _hardsigmoid_decomp(self):
    return aten.div.Tensor(_clamp_0_6_of_x_plus_3(self), 6)


unary("hardswish(Tensor self) -> Tensor", _hardswish, _float_only_as("hardswish_cpu"),
      "hardswish_(Tensor(a!) self) -> Tensor(a!)", decomposition=_hardswish_decomp)
unary("hardsigmoid(Tensor self) -> Tensor", _hardsigmoid, _float_only_as("hardsigmoid_cpu"),
      "hardsigmoid_(Tensor(a!) self) -> Tensor(a!)", decomposition=_hardsigmoid_decomp)


def _softplus(xp, a, beta=1, threshold=20):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    scaled = a * beta
    with np.errstate(over="ignore", invalid="ignore"):
        if type(scaled) is np.ndarray and scaled.dtype == np.float32 and scaled.ndim and scaled.flags.c_contiguous:
            soft = map_chunks(_log1p_exp32_step, scaled, np.empty_like(scaled), n_scratch=3, scratch_dtype=np.float64)
        elif getattr(scaled, "dtype", None) == np.float16:
            # in float32 as torch computes half precision: exp(z) of float16 overflows from z = 11.1 on,
            # below the threshold, and log1p(inf) gave inf where the result is z
            soft = xp.log1p(xp.exp(scaled.astype(np.float32))).astype(np.float16)
        else:
            soft = xp.log1p(xp.exp(scaled))
        soft = soft / beta if beta != 1 else soft
    return xp.where(scaled > threshold, a, soft)


# log1p(exp(z)) on float32: NumPy's log1p calls the C library per element (10 ns an element,
# five times its float32 exp).  u = exp(z) in float32 as before, then log1p(u) in float64 as
# u * log(1 + u) / ((1 + u) - 1) (Kahan's form: the rounding of 1 + u cancels), rounded once to
# float32: as close to torch's as the former log1pf (both within 3 ulp), twice as fast, per
# cache-sized chunk.  Where 1 + u rounds to 1 (z below -36.7), the factor is 0 / 0 and fmin
# takes 1 for it (log1p(u) = u there); u = inf (z past 88, kept only where the threshold
# already replaced it) gives inf.
def _log1p_exp32_step(z, out, u, log_w, w_minus_1):
    np.exp(z, out=out)
    np.copyto(u, out, casting="safe")
    np.add(u, 1, out=w_minus_1)
    np.log(w_minus_1, out=log_w)
    w_minus_1 -= 1
    np.divide(log_w, w_minus_1, out=log_w)
    np.fmin(log_w, 1.0, out=log_w)
    log_w *= u
    np.copyto(out, log_w, casting="same_kind")


def _softplus_decomp(self, beta=None, threshold=20):
    # torch's decomposition skips the scaling when beta is left at its default
    scaled = self if beta is None else aten.mul.Tensor(self, beta)
    soft = aten.log1p.default(aten.exp.default(scaled))
    if beta is not None:
        soft = aten.div.Tensor(soft, beta)
    return aten.where.self(aten.gt.Scalar(scaled, threshold), self, soft)


unary("softplus(Tensor self, Scalar beta=1, Scalar threshold=20) -> Tensor", _softplus,
      _float_only_as("softplus_cpu"), decomposition=_softplus_decomp)


def _mish_decomp(self):
    soft = aten.log1p.default(aten.exp.default(self))
    soft = aten.where.self(aten.gt.Scalar(self, 20), self, soft)
    return aten.mul.Tensor(self, aten.tanh.default(soft))


unary("mish(Tensor self) -> Tensor", lambda xp, a: a * xp.tanh(_softplus(xp, a)), _float_only_as("mish_cpu"),
      "mish_(Tensor(a!) self) -> Tensor(a!)", decomposition=_mish_decomp)


def _check_lambd(lambd):
    check(lambd >= 0, lambda: f"lambda must be greater or equal to 0, but found to be {float(lambd)}.")


def _softshrink(xp, a, lambd=0.5):
    _check_lambd(lambd)
    return xp.where(a > lambd, a - lambd, xp.where(a < -lambd, a + lambd, a * 0))


def _softshrink_decomp(self, lambd=0.5):
    _check_lambd(lambd)
    outside = aten.gt.Scalar(aten.abs.default(self), lambd)
    shrunk = aten.sub.Tensor(self, aten.mul.Tensor(aten.sign.default(self), lambd))
    return aten.where.self(outside, shrunk, aten.mul.Tensor(self, 0))


def _softshrink_meta(self, lambd=0.5):
    _check_lambd(lambd)
    float_only(dtype_of(self), "softshrink_cpu")
    return fake_like(self.shape, self.dtype, self)


def _softshrink_kernel(xp, self, lambd=0.5):
    _softshrink_meta(self, lambd)
    return _softshrink(xp, self, lambd)


register("softshrink(Tensor self, Scalar lambd=0.5) -> Tensor", meta=_softshrink_meta, kernel=_softshrink_kernel,
         tags=("pointwise",), decomposition=_softshrink_decomp)


def _hardshrink_decomp(self, lambd=0.5):
    return aten.where.self(aten.le.Scalar(aten.abs.default(self), lambd), _scalar_tensor(0, self, self.dtype), self)


unary("hardshrink(Tensor self, Scalar lambd=0.5) -> Tensor",
      lambda xp, a, lambd=0.5: xp.where(xp.abs(a) <= lambd, a * 0, a), _float_only_as("hardshrink_cpu"),
      variants=FUNCTION_AND_METHOD, decomposition=_hardshrink_decomp)


def _threshold(xp, a, threshold, value):
    return xp.where(a <= threshold, value, a)


def _threshold_decomp(self, threshold, value):
    return aten.where.self(aten.le.Scalar(self, threshold), _scalar_tensor(value, self, self.dtype), self)


def _threshold_rule(d, name):
    check(d is not dt.bool, '"threshold_cpu" not implemented for \'Bool\'', NotImplementedError)
    return d, d


unary("threshold(Tensor self, Scalar threshold, Scalar value) -> Tensor", _threshold, _threshold_rule,
      "threshold_(Tensor(a!) self, Scalar threshold, Scalar value) -> Tensor(a!)", variants=("function",),
      decomposition=_threshold_decomp, inplace_variants=("function",))


def _log_sigmoid(xp, a):
    with np.errstate(over="ignore"):
        return xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))


def _log_sigmoid_decomp(self):
    zero = aten.full.default([], 0, dtype=self.dtype, device=self.device, pin_memory=False)
    return aten.sub.Tensor(aten.minimum.default(zero, self),
                           aten.log1p.default(aten.exp.default(aten.neg.default(aten.abs.default(self)))))


unary("log_sigmoid(Tensor self) -> Tensor", _log_sigmoid, _float_only_as("log_sigmoid_cpu"),
      decomposition=_log_sigmoid_decomp)


def _relu6_decomp(self):
    return aten.hardtanh.default(self, 0, 6)


unary("relu6(Tensor self) -> Tensor", _relu6_kernel, same, "relu6_(Tensor(a!) self) -> Tensor(a!)",
      decomposition=_relu6_decomp, donate=lambda xp, a: _clamped_into(xp, a, 0, 6), layout="preserve")


# ------------------------------------------------------------------ glu --
def _glu_halves(shape, dim):
    check(len(shape) > 0, "glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, len(shape))
    n = shape[d]
    check(n % 2 == 0, lambda: f"Halving dimension must be even, but dimension {d} is size {n}")
    return d, n // 2


def _glu_meta(self, dim=-1):
    check(self.dtype.is_floating_point, lambda: f"\"glu\" not implemented for '{torch_type_name(self.dtype)}'",
          NotImplementedError)
    d, half = _glu_halves(self.shape, dim)
    shape = list(self.shape)
    shape[d] = half
    return fake_like(tuple(shape), self.dtype, self)


def _glu_kernel(xp, self, dim=-1):
    check(self.dtype.kind == "f", lambda: f"\"glu\" not implemented for '{torch_type_name(dtype_of(self))}'",
          NotImplementedError)
    d, half = _glu_halves(self.shape, dim)
    first, second = xp.split(self, 2, axis=d)
    return out_array(xp, first * _sigmoid(xp, second), dtype_of(self))


def _glu_decomp(self, dim=-1):
    d, half = _glu_halves(self.shape, dim)
    first = aten.slice.Tensor(self, d, 0, half)
    second = aten.slice.Tensor(self, d, half, 2 * half)
    return aten.mul.Tensor(first, aten.sigmoid.default(second))


register("glu(Tensor self, int dim=-1) -> Tensor", meta=_glu_meta, kernel=_glu_kernel, decomposition=_glu_decomp)


# ---------------------------------------------------------------- prelu --
def _prelu_weight_shape(self_shape, self_dtype, weight_shape, weight_dtype):
    """Check prelu's arguments as torch does; the shape weight is viewed as to broadcast over self
    (None when it already has self's rank)."""
    check(self_dtype is weight_dtype, lambda: "prelu: Type promoting not supported. Got "
          f"{torch_type_name(self_dtype)} and {torch_type_name(weight_dtype)}")
    numel = 1
    for s in weight_shape:
        numel *= s
    ndim = len(self_shape)
    if numel != 1:
        check(ndim > 0, "Not allow zero-dim input tensor.")
        channels = self_shape[1] if ndim > 1 else 1
        check(channels == numel, lambda: "Mismatch of parameter numbers and input channel size. Found "
              f"parameter numbers = {numel} and channel size = {channels}.")
    check(len(weight_shape) <= 1, lambda: "prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
          f"ndim = {len(weight_shape)}")
    if ndim == len(weight_shape):
        return None
    # weight lies along the channel dim (dim 1) of self
    return [1] * ndim if ndim < 2 else [1, numel] + [1] * (ndim - 2)


def _prelu_meta(self, weight):
    check(self.dtype.is_floating_point, lambda: f"\"prelu_cpu\" not implemented for "
          f"'{torch_type_name(self.dtype)}'", NotImplementedError)
    _prelu_weight_shape(self.shape, self.dtype, weight.shape, weight.dtype)
    return fake_like(self.shape, self.dtype, self)


def _prelu_kernel(xp, self, weight):
    d = dtype_of(self)
    check(d.is_floating_point, lambda: f"\"prelu_cpu\" not implemented for '{torch_type_name(d)}'",
          NotImplementedError)
    shape = _prelu_weight_shape(self.shape, d, weight.shape, dtype_of(weight))
    w = weight if shape is None else weight.reshape(shape)
    return out_array(xp, xp.where(self > 0, self, w * self), d)


def _prelu_decomp(self, weight):
    shape = _prelu_weight_shape(self.shape, self.dtype, weight.shape, weight.dtype)
    if shape is not None:
        weight = aten.reshape.default(weight, shape)
    return aten.where.self(aten.gt.Scalar(self, 0), self, aten.mul.Tensor(weight, self))


register("prelu(Tensor self, Tensor weight) -> Tensor", meta=_prelu_meta, kernel=_prelu_kernel,
         variants=FUNCTION_AND_METHOD, decomposition=_prelu_decomp)


# ---------------------------------------------------------------- rrelu --
# rrelu scales negative inputs by a slope drawn uniformly from [lower, upper) per
# element while training, and by the mean slope (lower + upper) / 2 otherwise.
# rrelu_with_noise_functional also returns the slopes it used (`noise`: 1 where
# the input is positive); in eval mode noise comes back as it went in.
_RRELU_ARGS = "Scalar lower=0.125, Scalar upper=0.33333333333333331, bool training=False, Generator? generator=None"


def _rrelu_check(d, lower, upper):
    check(d.is_floating_point, lambda: f"\"rrelu_with_noise_cpu\" not implemented for '{torch_type_name(d)}'",
          NotImplementedError)
    check(lower <= upper, lambda: "Lower bound should be less than or equal to the upper bound")


def _rrelu_arrays(xp, self, lower, upper, training):
    """(output, slopes or None) for array `self`."""
    if not training:
        slope = (lower + upper) / 2
        return xp.where(self >= 0, self, self * slope), None
    slopes = _random.uniform(self.shape, lower, upper).astype(self.dtype)
    if xp is not np:
        slopes = xp.asarray(slopes)
    slopes = xp.where(self <= 0, slopes, 1).astype(self.dtype)
    return self * slopes, slopes


def _rrelu_meta(self, lower=0.125, upper=1 / 3, training=False, generator=None):
    _rrelu_check(self.dtype, lower, upper)
    return fake_like(self.shape, self.dtype, self)


def _rrelu_kernel(xp, self, lower=0.125, upper=1 / 3, training=False, generator=None):
    _rrelu_check(dtype_of(self), lower, upper)
    return _rrelu_arrays(xp, self, lower, upper, training)[0]


def _rrelu_noise_meta(self, noise, lower=0.125, upper=1 / 3, training=False, generator=None):
    _rrelu_check(self.dtype, lower, upper)
    return fake_like(self.shape, self.dtype, self), fake_like(noise.shape, noise.dtype, noise)


def _rrelu_noise_kernel(xp, self, noise, lower=0.125, upper=1 / 3, training=False, generator=None):
    _rrelu_check(dtype_of(self), lower, upper)
    out, slopes = _rrelu_arrays(xp, self, lower, upper, training)
    return out, (noise.copy() if slopes is None else slopes.reshape(noise.shape).astype(noise.dtype))


register(f"rrelu_with_noise_functional(Tensor self, Tensor noise, {_RRELU_ARGS}) -> (Tensor, Tensor noise_out)",
         meta=_rrelu_noise_meta, kernel=_rrelu_noise_kernel, tags=("nondeterministic_seeded",))


def _rrelu_decomp(self, lower=0.125, upper=1 / 3, training=False, generator=None):
    noise = aten.empty.memory_format(list(self.shape), dtype=self.dtype, device=self.device, pin_memory=False)
    kw = {"training": training} if training else {}
    if (lower, upper) != (0.125, 1 / 3):
        kw.update(lower=lower, upper=upper)
    return aten.rrelu_with_noise_functional.default(self, noise, **kw)[0]


_rrelu = register(f"rrelu(Tensor self, {_RRELU_ARGS}) -> Tensor", meta=_rrelu_meta, kernel=_rrelu_kernel,
                  tags=("nondeterministic_seeded",), variants=("function",), decomposition=_rrelu_decomp)
register_inplace(_rrelu, f"rrelu_(Tensor(a!) self, {_RRELU_ARGS}) -> Tensor(a!)", variants=("function",))
