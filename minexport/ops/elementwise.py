"""Elementwise ops beyond the core set, as torch's OpInfo database exercises them:
angle conversions, frac/fix/sgn/square, the is* predicates, nan_to_num, logit,
sinc, exp2/erfc/erfinv, hypot, copysign, nextafter, ldexp, gcd/lcm, fmax/fmin,
bit shifts, xlogy, float_power, lerp, addcmul/addcdiv, heaviside, logaddexp(2),
isclose, isin, frexp, positive.

None is core ATen.  Ops torch's run_decompositions() rewrites carry the same
rewrite (`decomposition`, defined just above each registration, emitting torch's
ops in torch's order); the rest (hypot, copysign, gcd, the shifts, ...) have none,
so they stay in a core graph as they stay in torch's.
"""
import math

import numpy as np

from .. import dtypes as dt
from ..runtime.backends import erfc as _erfc
from ..runtime.backends import erfinv as _erfinv
from ._common import (broadcast_shapes, cast, check, dtype_of, fake_like, out_array, promote, shape_of,
                      torch_type_name)
from ._inplace import register_inplace
from ._registry import FUNCTION_AND_METHOD, ViewRule, aten, register
from ._view_rules import keeps_layout, same_value
from .pointwise import (_float_only_as, _scalar_first_decomp, _scalar_tensor, _sign, binary, int_to_float, same,
                        to_bool, unary)


def _quietly(f):
    """f with NumPy's floating-point warnings silenced (NaN and inf results are torch's too)."""
    def g(xp, *args, **kwargs):
        with np.errstate(all="ignore"):
            return f(xp, *args, **kwargs)
    return g


def _ints_only_as(kernel_name):
    """Integer dtypes only (not bool), with torch's kernel name in the refusal."""
    def rule(d, name):
        check(not d.is_floating_point and d is not dt.bool,
              lambda: f'"{kernel_name}" not implemented for \'{torch_type_name(d)}\'', NotImplementedError)
        return d, d
    return rule


def _no_bool_as(kernel_name):
    def rule(d, name):
        check(d is not dt.bool, lambda: f'"{kernel_name}" not implemented for \'Bool\'', NotImplementedError)
        return d, d
    return rule


def _unary_pair(name, fn, rule, **kwargs):
    """A unary op `name(Tensor self)` and its in-place twin `name_`."""
    return unary(f"{name}(Tensor self) -> Tensor", fn, rule, f"{name}_(Tensor(a!) self) -> Tensor(a!)", **kwargs)


def _is_float(t):
    return t.dtype.is_floating_point


def _as_default_float(self):
    """self converted to the default float dtype when it is not floating (as torch's decompositions do)."""
    return self if _is_float(self) else aten._to_copy.default(self, dtype=dt.get_default_dtype())


# ----------------------------------------------------------------- unary --
def _scale_decomp(factor):
    def decomp(self):
        return aten.mul.Tensor(_as_default_float(self), factor)
    return decomp


_DEG = math.pi / 180.0
_unary_pair("deg2rad", lambda xp, a: a * _DEG, int_to_float, variants=FUNCTION_AND_METHOD,
      inplace_variants=FUNCTION_AND_METHOD, decomposition=_scale_decomp(_DEG), layout="preserve")
_unary_pair("rad2deg", lambda xp, a: a * (180.0 / math.pi), int_to_float, variants=FUNCTION_AND_METHOD,
      inplace_variants=FUNCTION_AND_METHOD, decomposition=_scale_decomp(180.0 / math.pi), layout="preserve")
_unary_pair("frac", lambda xp, a: a - xp.trunc(a), _float_only_as("frac_cpu"), variants=FUNCTION_AND_METHOD,
      inplace_variants=FUNCTION_AND_METHOD,
      decomposition=lambda self: aten.sub.Tensor(self, aten.trunc.default(self)))
_unary_pair("fix", lambda xp, a: xp.trunc(a), _no_bool_as("trunc_vml_cpu"), int_identity=True,
      variants=FUNCTION_AND_METHOD, inplace_variants=FUNCTION_AND_METHOD,
      decomposition=lambda self: aten.trunc.default(self))
_unary_pair("sgn", _sign, same,
      variants=FUNCTION_AND_METHOD, decomposition=lambda self: aten.sign.default(self))


def _square(xp, a):
    return a * a


def _square_rule(d, name):
    # square is pow(x, 2): a bool tensor computes (and returns) int64, as pow does with an int exponent
    r = dt.int64 if d is dt.bool else d
    return r, r


_unary_pair("square", _square, _square_rule, variants=FUNCTION_AND_METHOD, inplace_variants=FUNCTION_AND_METHOD,
      decomposition=lambda self: aten.pow.Tensor_Scalar(self, 2))
_unary_pair("exp2", _quietly(lambda xp, a: xp.exp2(a)), int_to_float, variants=FUNCTION_AND_METHOD,
      inplace_variants=FUNCTION_AND_METHOD)
_unary_pair("erfc", lambda xp, a: _erfc(xp, a), int_to_float, variants=FUNCTION_AND_METHOD,
      inplace_variants=FUNCTION_AND_METHOD)
_unary_pair("erfinv", _quietly(lambda xp, a: _erfinv(xp, a)), int_to_float, variants=FUNCTION_AND_METHOD)
unary("signbit(Tensor self) -> Tensor",
      lambda xp, a: xp.signbit(a) if a.dtype.kind == "f" else (a < 0) if a.dtype.kind == "i"
      else xp.zeros(a.shape, dtype=bool), to_bool, variants=FUNCTION_AND_METHOD)


def _all_like(value):
    def decomp(self):
        return aten.full_like.default(self, value, dtype=dt.bool, pin_memory=False)
    return decomp


def _isfinite_decomp(self):
    if not _is_float(self):
        return _all_like(True)(self)
    finite_abs = aten.ne.Scalar(aten.abs.default(self), math.inf)
    return aten.mul.Tensor(aten.eq.Tensor(self, self), finite_abs)


def _isinf_signed_decomp(value):
    def decomp(self):
        if not _is_float(self):
            return _all_like(False)(self)
        return aten.eq.Scalar(self, value)
    return decomp


def _float_test(f):
    """A bool predicate that is False for every integer and bool element."""
    def fn(xp, a):
        return f(xp, a) if a.dtype.kind == "f" else xp.zeros(a.shape, dtype=bool)
    return fn


unary("isfinite(Tensor self) -> Tensor", lambda xp, a: xp.isfinite(a), to_bool, variants=FUNCTION_AND_METHOD,
      decomposition=_isfinite_decomp)
unary("isposinf(Tensor self) -> Tensor", _float_test(lambda xp, a: a == math.inf), to_bool,
      variants=FUNCTION_AND_METHOD, decomposition=_isinf_signed_decomp(math.inf))
unary("isneginf(Tensor self) -> Tensor", _float_test(lambda xp, a: a == -math.inf), to_bool,
      variants=FUNCTION_AND_METHOD, decomposition=_isinf_signed_decomp(-math.inf))
unary("isreal(Tensor self) -> Tensor", lambda xp, a: xp.ones(a.shape, dtype=bool), to_bool,
      variants=FUNCTION_AND_METHOD, decomposition=_all_like(True))


def _nan_to_num_values(d, nan, posinf, neginf):
    """(nan, posinf, neginf) replacements in dtype d: 0 and the dtype's extremes by default."""
    info = np.finfo(d.numpy_dtype) if d is not dt.bfloat16 else None
    big = float(info.max) if info is not None else 3.3895313892515355e38
    return (0.0 if nan is None else nan, big if posinf is None else posinf, -big if neginf is None else neginf)


def _nan_to_num(xp, a, nan=None, posinf=None, neginf=None):
    if a.dtype.kind != "f":
        return a.copy()
    n, p, m = _nan_to_num_values(dtype_of(a), nan, posinf, neginf)
    with np.errstate(over="ignore"):
        r = xp.where(xp.isnan(a), n, a)
        r = xp.where(a == -math.inf, m, r)
        return xp.where(a == math.inf, p, r)


def _nan_to_num_decomp(self, nan=None, posinf=None, neginf=None):
    if not _is_float(self):
        return aten.clone.default(self)
    n, p, m = _nan_to_num_values(self.dtype, nan, posinf, neginf)
    r = aten.where.self(aten.isnan.default(self), _scalar_tensor(n, self, self.dtype), self)
    r = aten.where.self(aten.eq.Scalar(self, -math.inf), _scalar_tensor(m, self, self.dtype), r)
    return aten.where.self(aten.eq.Scalar(self, math.inf), _scalar_tensor(p, self, self.dtype), r)


unary("nan_to_num(Tensor self, float? nan=None, float? posinf=None, float? neginf=None) -> Tensor", _nan_to_num, same,
      "nan_to_num_(Tensor(a!) self, float? nan=None, float? posinf=None, float? neginf=None) -> Tensor(a!)",
      variants=FUNCTION_AND_METHOD, inplace_variants=FUNCTION_AND_METHOD, decomposition=_nan_to_num_decomp,
      layout="preserve")


def _logit_bounds(eps):
    # no eps: bounds that never clamp a probability (torch's decomposition uses -1 and 2)
    lo = -1.0 if eps is None else eps
    return lo, 1.0 - lo


def _logit(xp, a, eps=None):
    lo, hi = _logit_bounds(eps)
    x = xp.where(a < lo, lo, xp.where(a > hi, hi, a)).astype(a.dtype) if eps is not None else a
    with np.errstate(all="ignore"):
        return xp.log(x / (1 - x))


def _logit_decomp(self, eps=None):
    self = _as_default_float(self)
    lo, hi = _logit_bounds(eps)
    below, above = aten.lt.Scalar(self, lo), aten.gt.Scalar(self, hi)
    x = aten.where.self(above, _scalar_tensor(hi, self, self.dtype), self)
    x = aten.where.self(below, _scalar_tensor(lo, self, self.dtype), x)
    return aten.log.default(aten.div.Tensor(x, aten.sub.Tensor(1, x)))


unary("logit(Tensor self, float? eps=None) -> Tensor", _logit, int_to_float,
      "logit_(Tensor(a!) self, float? eps=None) -> Tensor(a!)", variants=FUNCTION_AND_METHOD,
      inplace_variants=FUNCTION_AND_METHOD, decomposition=_logit_decomp)


def _sinc(xp, a):
    x = a * math.pi
    with np.errstate(all="ignore"):
        return xp.where(x == 0, 1, xp.sin(x) / x).astype(a.dtype)


def _sinc_decomp(self):
    x = aten.mul.Tensor(_as_default_float(self), math.pi)
    zero = aten.eq.Scalar(x, 0)
    ratio = aten.div.Tensor(aten.sin.default(x), x)
    return aten.where.self(zero, _scalar_tensor(1, x, x.dtype), ratio)


_unary_pair("sinc", _sinc, int_to_float, variants=FUNCTION_AND_METHOD, inplace_variants=FUNCTION_AND_METHOD,
      decomposition=_sinc_decomp)


def _frexp_check(d):
    check(d.is_floating_point, lambda: "torch.frexp() only supports floating-point dtypes")


def _frexp_meta(self):
    _frexp_check(self.dtype)
    return fake_like(self.shape, self.dtype, self), fake_like(self.shape, dt.int32, self)


def _frexp_kernel(xp, self):
    _frexp_check(dtype_of(self))
    mantissa, exponent = xp.frexp(self)
    return mantissa, exponent.astype(np.int32)


register("frexp.Tensor(Tensor self) -> (Tensor mantissa, Tensor exponent)", meta=_frexp_meta, kernel=_frexp_kernel,
         tags=("pointwise",), variants=FUNCTION_AND_METHOD)


# ---------------------------------------------------------------- binary --
_hypot = binary("hypot(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.hypot(a, b),
                _float_only_as("hypot_cpu"), "hypot_(Tensor(a!) self, Tensor other) -> Tensor(a!)")
binary("nextafter(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.nextafter(a, b),
       _float_only_as("nextafter_cpu"), "nextafter_(Tensor(a!) self, Tensor other) -> Tensor(a!)")
for _ov, _typ in (("Tensor", "Tensor"), ("Scalar", "Scalar")):
    binary(f"copysign.{_ov}(Tensor self, {_typ} other) -> Tensor", lambda xp, a, b: xp.copysign(a, b), int_to_float,
           f"copysign_.{_ov}(Tensor(a!) self, {_typ} other) -> Tensor(a!)")
binary("ldexp.Tensor(Tensor self, Tensor other) -> Tensor", _quietly(lambda xp, a, b: a * xp.power(2.0, b)),
       int_to_float, "ldexp_(Tensor(a!) self, Tensor other) -> Tensor(a!)", inplace_variants=FUNCTION_AND_METHOD)
binary("gcd(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.gcd(a, b), _ints_only_as("gcd_cpu"),
       "gcd_(Tensor(a!) self, Tensor other) -> Tensor(a!)", inplace_variants=FUNCTION_AND_METHOD)
binary("lcm(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.lcm(a, b), _ints_only_as("lcm_cpu"),
       "lcm_(Tensor(a!) self, Tensor other) -> Tensor(a!)", inplace_variants=FUNCTION_AND_METHOD)
binary("fmax(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.fmax(a, b), same)
binary("fmin(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.fmin(a, b), same)


# bit shifts: a shift by a negative amount or by the width of the type or more gives 0 (left) or the
# sign fill (right), as torch's kernels do, rather than what the hardware's shift does
def _shift_parts(a, b):
    """(dtype, which shifts are in range) for operands already in their compute dtype."""
    d = (a if hasattr(a, "dtype") else b).dtype
    return d, (b >= 0) & (b < np.dtype(d).itemsize * 8)


def _lshift(xp, a, b):
    d, ok = _shift_parts(a, b)
    r = xp.left_shift(xp.asarray(a, dtype=d), xp.where(ok, b, 0).astype(d))
    return xp.where(ok, r, 0).astype(d)


def _rshift(xp, a, b):
    d, ok = _shift_parts(a, b)
    a = xp.asarray(a, dtype=d)
    r = xp.right_shift(a, xp.where(ok, b, 0).astype(d))
    return xp.where(ok, r, xp.where(a < 0, -1, 0)).astype(d)


for _name, _dunder, _fn, _kname in (("bitwise_left_shift", "__lshift__", _lshift, "lshift_cpu"),
                                    ("bitwise_right_shift", "__rshift__", _rshift, "rshift_cpu")):
    for _ov, _typ in (("Tensor", "Tensor"), ("Tensor_Scalar", "Scalar")):
        binary(f"{_name}.{_ov}(Tensor self, {_typ} other) -> Tensor", _fn, _ints_only_as(_kname),
               f"{_name}_.{_ov}(Tensor(a!) self, {_typ} other) -> Tensor(a!)")
    binary(f"{_name}.Scalar_Tensor(Scalar self, Tensor other) -> Tensor", _fn, _ints_only_as(_kname))
    for _ov in ("Tensor", "Scalar"):
        binary(f"{_dunder}.{_ov}(Tensor self, {_ov} other) -> Tensor", _fn, _ints_only_as(_kname), variants=("method",))


def _bitwise_rule(kernel_name):
    def rule(d, name):
        check(not d.is_floating_point, lambda: f'"{kernel_name}" not implemented for \'{torch_type_name(d)}\'',
              NotImplementedError)
        return d, d
    return rule


# `x & y`, `x | y`, `x ^ y` record torch's dunder ops, which decompose to the bitwise ops
for _dunder, _target, _fn in (("__and__", "bitwise_and", lambda xp, a, b: xp.bitwise_and(a, b)),
                              ("__or__", "bitwise_or", lambda xp, a, b: xp.bitwise_or(a, b)),
                              ("__xor__", "bitwise_xor", lambda xp, a, b: xp.bitwise_xor(a, b))):
    for _ov in ("Tensor", "Scalar"):
        binary(f"{_dunder}.{_ov}(Tensor self, {_ov} other) -> Tensor", _fn, _bitwise_rule(f"{_target}_cpu"),
               variants=("method",),
               decomposition=lambda self, other, _t=_target, _o=_ov: getattr(getattr(aten, _t), _o)(self, other))


# ------------------------------------------------------------------ xlogy --
def _xlogy(xp, a, b):
    # a scalar operand becomes an array of the other's dtype first: log of a Python float would round
    # differently from log of the same value held in float32
    d = (a if hasattr(a, "dtype") else b).dtype
    a, b = xp.asarray(a, dtype=d), xp.asarray(b, dtype=d)
    with np.errstate(all="ignore"):
        r = xp.where(a == 0, 0, a * xp.log(b))
    return xp.where(xp.isnan(b), math.nan, r).astype(r.dtype)


def _xlogy_decomp(self, other):
    rt = promote(self, other)
    rt = rt if rt.is_floating_point else dt.get_default_dtype()
    self, other = (x if x.dtype is rt else aten._to_copy.default(x, dtype=rt) for x in (self, other))
    zero = aten.eq.Scalar(self, 0)
    r = aten.mul.Tensor(self, aten.log.default(other))
    r = aten.where.self(zero, _scalar_tensor(0, r, rt), r)
    return aten.where.self(aten.isnan.default(other), _scalar_tensor(math.nan, r, rt), r)


binary("xlogy.Tensor(Tensor self, Tensor other) -> Tensor", _xlogy, int_to_float,
       "xlogy_.Tensor(Tensor(a!) self, Tensor other) -> Tensor(a!)", inplace_variants=FUNCTION_AND_METHOD,
       decomposition=_xlogy_decomp)
binary("xlogy.Scalar_Other(Tensor self, Scalar other) -> Tensor", _xlogy, int_to_float,
       "xlogy_.Scalar_Other(Tensor(a!) self, Scalar other) -> Tensor(a!)", inplace_variants=FUNCTION_AND_METHOD,
       decomposition=lambda self, other: aten.xlogy.Tensor(self, _scalar_tensor(other, self)))
binary("xlogy.Scalar_Self(Scalar self, Tensor other) -> Tensor", _xlogy, int_to_float,
       decomposition=_scalar_first_decomp(lambda: aten.xlogy.Tensor))


# ------------------------------------------------------------ float_power --
def _double(d, name):
    """float_power computes and returns float64 whatever its operands."""
    return dt.float64, dt.float64


def _to_double(x):
    return x if x.dtype is dt.float64 else aten._to_copy.default(x, dtype=dt.float64)


def _float_power_tt_decomp(self, exponent):
    exponent = _to_double(exponent)
    return aten.pow.Tensor_Tensor(_to_double(self), exponent)


binary("float_power.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor", _quietly(lambda xp, a, b: xp.power(a, b)),
       _double, decomposition=_float_power_tt_decomp)
binary("float_power.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor", _quietly(lambda xp, a, b: xp.power(a, b)),
       _double, decomposition=lambda self, exponent: aten.pow.Tensor_Scalar(_to_double(self), float(exponent)))
binary("float_power.Scalar(Scalar self, Tensor exponent) -> Tensor", _quietly(lambda xp, a, b: xp.power(a, b)),
       _double, decomposition=lambda self, exponent: aten.pow.Scalar(float(self), _to_double(exponent)))


# ------------------------------------------------------------- heaviside --
def _check_same_dtype(a, b):
    check(dtype_of(a) is dtype_of(b),
          "heaviside is not yet implemented for tensors with different dtypes")


def _heaviside(xp, a, b):
    return xp.where(a == 0, b, a > 0).astype(a.dtype)


def _heaviside_meta(self, values):
    _check_same_dtype(self, values)
    return fake_like(broadcast_shapes(self.shape, values.shape, op="heaviside"), self.dtype, self)


def _heaviside_kernel(xp, self, values):
    _check_same_dtype(self, values)
    broadcast_shapes(self.shape, values.shape, op="heaviside")
    return out_array(xp, _heaviside(xp, self, values), dtype_of(self))


def _expand_to_common(a, b):
    """a and b, each expanded to their broadcast shape where it differs (torch's decompositions broadcast first)."""
    shape = list(broadcast_shapes(a.shape, b.shape))
    return tuple(t if list(t.shape) == shape else aten.expand.default(t, shape) for t in (a, b))


def _heaviside_decomp(self, values):
    self, values = _expand_to_common(self, values)
    zero = aten.eq.Scalar(self, 0)
    off = aten.logical_or.default(aten.lt.Scalar(self, 0), aten.isnan.default(self))
    one, nil = _scalar_tensor(1, self), _scalar_tensor(0, self)
    one_or_zero = aten.where.self(off, nil, one)
    return aten.where.self(zero, values, one_or_zero)


register_inplace(register("heaviside(Tensor self, Tensor values) -> Tensor", meta=_heaviside_meta,
                          kernel=_heaviside_kernel, tags=("pointwise",), variants=FUNCTION_AND_METHOD,
                          decomposition=_heaviside_decomp),
                 "heaviside_(Tensor(a!) self, Tensor values) -> Tensor(a!)")


# ------------------------------------------------------- logaddexp(2) --
def _logaddexp_decomp(base2):
    def decomp(self, other):
        self, other = _expand_to_common(self, other)
        bigger = aten.ge.Tensor(self, other)
        hi = aten.where.self(bigger, self, other)
        lo = aten.where.self(bigger, other, self)
        # equal infinities: the result is that infinity (the difference below would be NaN)
        if base2:
            same_inf = aten.logical_and.default(aten.isinf.default(self), aten.eq.Tensor(self, other))
        else:
            same_inf = aten.logical_and.default(aten.logical_not.default(aten.isfinite.default(self)),
                                                aten.eq.Tensor(self, other))
        diff = aten.sub.Tensor(lo, hi)
        if base2:
            tail = aten.mul.Tensor(aten.log1p.default(aten.exp2.default(diff)), 1 / math.log(2))
        else:
            tail = aten.log1p.default(aten.exp.default(diff))
        return aten.where.self(same_inf, self, aten.add.Tensor(hi, tail))
    return decomp


binary("logaddexp(Tensor self, Tensor other) -> Tensor", _quietly(lambda xp, a, b: xp.logaddexp(a, b)),
       _float_only_as("logaddexp_cpu"), decomposition=_logaddexp_decomp(False))
binary("logaddexp2(Tensor self, Tensor other) -> Tensor", _quietly(lambda xp, a, b: xp.logaddexp2(a, b)),
       _float_only_as("logaddexp2_cpu"), decomposition=_logaddexp_decomp(True))


# ----------------------------------------------------------------- lerp --
def _lerp_check(self, end, weight):
    check(dtype_of(self) is dtype_of(end), lambda: f"expected dtype {dtype_of(self).name} for `end` but got dtype "
          f"{dtype_of(end).name}")
    if hasattr(weight, "shape"):
        check(dtype_of(self) is dtype_of(weight), lambda: f"expected dtype {dtype_of(self).name} for `weight` but "
              f"got dtype {dtype_of(weight).name}")
    check(dtype_of(self).is_floating_point, lambda: f'"lerp_kernel_scalar" not implemented for '
          f"'{torch_type_name(dtype_of(self))}'", NotImplementedError)


def _lerp_meta(self, end, weight):
    _lerp_check(self, end, weight)
    return fake_like(broadcast_shapes(shape_of(self), shape_of(end), shape_of(weight), op="lerp"), self.dtype, self)


def _lerp_kernel(xp, self, end, weight):
    _lerp_check(self, end, weight)
    broadcast_shapes(shape_of(self), shape_of(end), shape_of(weight), op="lerp")
    d = dtype_of(self)
    w = cast(xp, weight, d)
    # from the nearer end, so that weight 0 gives self and weight 1 gives end exactly
    with np.errstate(all="ignore"):     # infinite ends give NaN as in torch
        r = xp.where(xp.abs(w) < 0.5, self + w * (end - self), end - (end - self) * (1 - w))
    return out_array(xp, r, d)


def _lerp_decomp(self, end, weight):
    if not hasattr(weight, "shape"):
        weight = aten.full.default([], weight, dtype=self.dtype, device=self.device, pin_memory=False)
    far = aten.ge.Scalar(aten.abs.default(weight), 0.5)
    coeff = aten.where.self(far, aten.sub.Tensor(weight, 1), weight)
    base = aten.where.self(far, end, self)
    return aten.add.Tensor(aten.mul.Tensor(coeff, aten.sub.Tensor(end, self)), base)


for _ov, _typ in (("Scalar", "Scalar"), ("Tensor", "Tensor")):
    register_inplace(register(f"lerp.{_ov}(Tensor self, Tensor end, {_typ} weight) -> Tensor", meta=_lerp_meta,
                              kernel=_lerp_kernel, tags=("pointwise",), variants=FUNCTION_AND_METHOD,
                              decomposition=_lerp_decomp),
                     f"lerp_.{_ov}(Tensor(a!) self, Tensor end, {_typ} weight) -> Tensor(a!)")


# -------------------------------------------------------- addcmul/addcdiv --
def _addc(divide):
    name = "addcdiv" if divide else "addcmul"

    def check_args(self, tensor1, tensor2, value):
        # (an integer result takes a float `value` cast to the integer dtype, as torch does)
        rt = promote(self, tensor1, tensor2)
        if divide:
            check(dtype_of(tensor1).is_floating_point or dtype_of(tensor2).is_floating_point,
                  "Integer division with addcdiv is no longer supported, and in a future release addcdiv will "
                  "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented "
                  "as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
                  "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the "
                  "latter implementation: (input + value * tensor1 / tensor2), for all dtypes.")
        return rt

    def meta(self, tensor1, tensor2, *, value=1):
        rt = check_args(self, tensor1, tensor2, value)
        return fake_like(broadcast_shapes(self.shape, tensor1.shape, tensor2.shape, op=name), rt, self)

    def kernel(xp, self, tensor1, tensor2, *, value=1):
        rt = check_args(self, tensor1, tensor2, value)
        broadcast_shapes(self.shape, tensor1.shape, tensor2.shape, op=name)
        a, b, c = (cast(xp, x, rt) for x in (self, tensor1, tensor2))
        with np.errstate(all="ignore"):
            r = a + (cast(xp, value, rt) * b / c if divide else cast(xp, value, rt) * b * c)
        return out_array(xp, r, rt)

    def decomp(self, tensor1, tensor2, *, value=1):
        rt = promote(self, tensor1, tensor2)
        if not rt.is_floating_point:
            value = int(value)     # as the kernel casts it
        # every operand is computed in the result dtype, as the kernel does (torch casts each with _to_copy)
        self, tensor1, tensor2 = (x if x.dtype is rt else aten._to_copy.default(x, dtype=rt)
                                  for x in (self, tensor1, tensor2))
        scaled = aten.mul.Tensor(tensor1, value)
        term = aten.div.Tensor(scaled, tensor2) if divide else aten.mul.Tensor(scaled, tensor2)
        return aten.add.Tensor(self, term)

    schema = f"{name}(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor"
    op = register(schema, meta=meta, kernel=kernel, tags=("pointwise",), variants=FUNCTION_AND_METHOD,
                  decomposition=decomp)
    register_inplace(op, f"{name}_(Tensor(a!) self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor(a!)")


_addc(False)
_addc(True)


# --------------------------------------------------------------- isclose --
def _isclose_check(self, other, rtol, atol):
    check(dtype_of(self) is dtype_of(other), lambda: "isclose(): expected self and other to have the same dtype, "
          f"but got self.dtype = {dtype_of(self)} and other.dtype = {dtype_of(other)}")
    check(rtol >= 0, lambda: f"rtol must be greater than or equal to zero, but got {rtol}")
    check(atol >= 0, lambda: f"atol must be greater than or equal to zero, but got {atol}")


def _isclose_meta(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _isclose_check(self, other, rtol, atol)
    return fake_like(broadcast_shapes(self.shape, other.shape, op="isclose"), dt.bool, self)


def _isclose_kernel(xp, self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _isclose_check(self, other, rtol, atol)
    broadcast_shapes(self.shape, other.shape, op="isclose")
    if self.dtype == np.bool_:
        return self == other
    with np.errstate(all="ignore"):
        a, b = self.astype(np.float64) if self.dtype.kind != "f" else self, other
        diff = xp.abs(a - b)
        close = (a == b) | (xp.isfinite(diff) & (diff <= atol + rtol * xp.abs(b)))
    if equal_nan and self.dtype.kind == "f":
        close = close | (xp.isnan(self) & xp.isnan(other))
    return close


def _isclose_decomp(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    close = aten.eq.Tensor(self, other)
    if equal_nan and _is_float(self):
        close = aten.bitwise_or.Tensor(close, aten.bitwise_and.Tensor(aten.isnan.default(self),
                                                                       aten.isnan.default(other)))
    allowed = aten.add.Scalar(aten.abs.default(aten.mul.Scalar(other, rtol)), atol)
    diff = aten.abs.default(aten.sub.Tensor(self, other))
    within = aten.bitwise_and.Tensor(aten.isfinite.default(diff), aten.le.Tensor(diff, allowed))
    return aten.bitwise_or.Tensor(close, within)


register("isclose(Tensor self, Tensor other, float rtol=1.0000000000000001e-05, float atol=1e-08, "
         "bool equal_nan=False) -> Tensor", meta=_isclose_meta, kernel=_isclose_kernel, variants=FUNCTION_AND_METHOD,
         decomposition=_isclose_decomp)


# ------------------------------------------------------------------ isin --
def _isin_meta(elements, test, *, assume_unique=False, invert=False):
    return fake_like(shape_of(elements), dt.bool, elements, test)


def _isin_kernel(xp, elements, test, *, assume_unique=False, invert=False):
    r = xp.isin(xp.asarray(elements), xp.asarray(test), invert=invert)
    return out_array(xp, r, dt.bool)


def _isin_tensor_decomp(elements, test, *, assume_unique=False, invert=False):
    # every element against every test element: elements get test's rank of trailing size-1 dims
    n = len(test.shape)
    view = aten.view.default(elements, list(elements.shape) + [1] * n)
    r = aten.any.dims(aten.eq.Tensor(view, test), [-i for i in range(1, n + 1)])
    return aten.bitwise_not.default(r) if invert else r


def _isin_scalar_decomp(elements, test_element, *, assume_unique=False, invert=False):
    return (aten.ne.Scalar if invert else aten.eq.Scalar)(elements, test_element)


def _isin_scalar_tensor_decomp(element, test_elements, *, assume_unique=False, invert=False):
    elements = aten.scalar_tensor.default(element, device=test_elements.device, pin_memory=False)
    return _isin_tensor_decomp(elements, test_elements, invert=invert)


_ISIN_KW = "*, bool assume_unique=False, bool invert=False) -> Tensor"
register(f"isin.Tensor_Tensor(Tensor elements, Tensor test_elements, {_ISIN_KW}", meta=_isin_meta,
         kernel=_isin_kernel, variants=("function",), decomposition=_isin_tensor_decomp)
register(f"isin.Tensor_Scalar(Tensor elements, Scalar test_element, {_ISIN_KW}", meta=_isin_meta,
         kernel=_isin_kernel, variants=("function",), decomposition=_isin_scalar_decomp)
register(f"isin.Scalar_Tensor(Scalar element, Tensor test_elements, {_ISIN_KW}",
         meta=lambda element, test, **kw: fake_like((), dt.bool, test), kernel=_isin_kernel, variants=("function",),
         decomposition=_isin_scalar_tensor_decomp)


# -------------------------------------------------------------- positive --
# positive(x) is x itself (a view of all of it); run_decompositions() removes it
def _positive_meta(self):
    check(self.dtype is not dt.bool, "The `+` operator, on a bool tensor is not supported.")
    return aten.alias.default.meta(self)


def _positive_kernel(xp, self):
    check(self.dtype != np.bool_, "The `+` operator, on a bool tensor is not supported.")
    return self


register("positive(Tensor(a) self) -> Tensor(a)", meta=_positive_meta, kernel=_positive_kernel,
         tags=("view", "returns_self_if_unchanged", "pointwise"), variants=FUNCTION_AND_METHOD,
         view=ViewRule(inverse=same_value, layout=keeps_layout), decomposition=lambda self: self)
