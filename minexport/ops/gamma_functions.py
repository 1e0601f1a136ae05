"""The gamma family of pointwise ops: lgamma, digamma, polygamma, mvlgamma, i0,
igamma, igammac (and their in-place twins).

The numerics live in `runtime.gamma` (float64 on either backend); a kernel here
widens its operand to float64, evaluates, and rounds to the tensor's dtype.
None is core ATen, and torch's run_decompositions() keeps all but mvlgamma
(a sum of shifted lgammas, decomposed below as torch does).
"""
import math

import numpy as np

from ..runtime import gamma as g
from ._common import check, dtype_of, out_array, pointwise_fake, pointwise_layout, torch_type_name
from ._inplace import _check_inplace, register_inplace, write_into
from ._registry import FUNCTION_AND_METHOD, aten, register
from .pointwise import binary, int_to_float, unary


def _narrow(xp, values, d):
    """float64 values rounded to the result dtype `d` (values beyond its range become inf, as torch's do)."""
    with np.errstate(over="ignore"):
        return out_array(xp, values, d)


def _wide(fn):
    """fn(xp, float64 arrays...) as a kernel body on arrays of any float dtype (the first one's is the result's)."""
    def body(xp, *arrays):
        values = fn(xp, *(xp.asarray(a, dtype="float64") for a in arrays))
        with np.errstate(over="ignore"):
            return values.astype(arrays[0].dtype)
    return body


def _float_only_as(kernel_name):
    """Floating dtypes only, refused with torch's kernel name (igamma has no integer kernel)."""
    def rule(d, name):
        check(d.is_floating_point, lambda: f'"{kernel_name}" not implemented for \'{torch_type_name(d)}\'',
              NotImplementedError)
        return d, d
    return rule


# ---------------------------------------------------------------- unary --
for _name, _fn in (("lgamma", g.lgamma), ("digamma", g.digamma), ("i0", g.i0)):
    unary(f"{_name}(Tensor self) -> Tensor", _wide(_fn), int_to_float, f"{_name}_(Tensor(a!) self) -> Tensor(a!)",
          variants=FUNCTION_AND_METHOD,
          inplace_variants=FUNCTION_AND_METHOD if _name == "i0" else ("method",))


# -------------------------------------------------------------- igamma --
for _name, _fn in (("igamma", g.igamma), ("igammac", g.igammac)):
    binary(f"{_name}(Tensor self, Tensor other) -> Tensor", _wide(_fn), _float_only_as(f"{_name}_cpu"),
           f"{_name}_(Tensor(a!) self, Tensor other) -> Tensor(a!)")


# ----------------------------------------------------------- polygamma --
def _polygamma_values(xp, n, a):
    """psi^(n) of the float array a, in float64."""
    x = xp.asarray(a, dtype="float64")
    if n == 0:
        return g.digamma(xp, x)
    if n == 1:
        # torch evaluates the reflection's sine in the tensor's precision (float for half types)
        low = "float64" if a.dtype == xp.float64 else "float32"
        y = xp.asarray(a, dtype=low)
        with np.errstate(invalid="ignore"):      # sin(+-inf) is NaN, as torch's
            sin_pi_x = xp.sin(xp.asarray(math.pi, dtype=low) * y).astype("float64")
        return g.trigamma(xp, x, sin_pi_x)
    return g.polygamma(xp, n, x)


def _check_n(n):
    check(n >= 0, "polygamma(n, x) does not support negative n.")


def _polygamma_meta(n, self):
    _check_n(n)
    _, out = int_to_float(self.dtype, "polygamma")
    return pointwise_fake(self.shape, out, self)


def _polygamma_kernel(xp, n, self):
    _check_n(n)
    compute, out = int_to_float(dtype_of(self), "polygamma")
    a = self if compute is dtype_of(self) else self.astype(compute.numpy_dtype)
    return pointwise_layout(xp, _narrow(xp, _polygamma_values(xp, n, a), out), self)


def _polygamma_inplace_meta(self, n):
    out = _polygamma_meta(n, self)
    _check_inplace(self.dtype, self.shape, out.dtype, out.shape, "polygamma_")
    return self


def _polygamma_inplace_kernel(xp, self, n):
    out = _polygamma_kernel(xp, n, self)
    _check_inplace(dtype_of(self), self.shape, dtype_of(out), out.shape, "polygamma_")
    return write_into(xp, self, out)


# torch.polygamma(n, x) puts the order first; the method x.polygamma(n) is written by hand in
# _tensor_methods (it replaces the generated one), and the in-place x.polygamma_(n) takes self first,
# so its functional form reorders the arguments
register("polygamma(int n, Tensor self) -> Tensor", meta=_polygamma_meta, kernel=_polygamma_kernel,
         tags=("pointwise",), variants=FUNCTION_AND_METHOD)
register("polygamma_(Tensor(a!) self, int n) -> Tensor(a!)", meta=_polygamma_inplace_meta,
         kernel=_polygamma_inplace_kernel, tags=("inplace",), variants=("method",),
         functional=lambda self, n: aten.polygamma.default(n, self))


# ------------------------------------------------------------ mvlgamma --
def _mvlgamma_check(p):
    check(p >= 1, "p has to be greater than or equal to 1")


def _mvlgamma_meta(self, p):
    _mvlgamma_check(p)
    _, out = int_to_float(self.dtype, "mvlgamma")
    return pointwise_fake(self.shape, out, self)


def _mvlgamma_kernel(xp, self, p):
    _mvlgamma_check(p)
    _, out = int_to_float(dtype_of(self), "mvlgamma")
    x = xp.asarray(self, dtype="float64")
    # log Gamma_p(x) = p (p-1)/4 log(pi) + sum_{i<p} log Gamma(x - i/2)
    shifts = xp.arange(-(p - 1), 1, dtype="float64") * 0.5
    total = g.lgamma(xp, x[..., None] + shifts).sum(axis=-1)
    return pointwise_layout(xp, _narrow(xp, total + p * (p - 1) / 4 * math.log(math.pi), out), self)


def _mvlgamma_decomp(self, p):
    _mvlgamma_check(p)
    _, out = int_to_float(self.dtype, "mvlgamma")
    if self.dtype is not out:
        self = aten._to_copy.default(self, dtype=out)
    shifts = aten.arange.start_step(-p + 1, 1, dtype=out, device=self.device, pin_memory=False)
    halves = aten.mul.Tensor(shifts, 0.5)
    args = aten.add.Tensor(aten.unsqueeze.default(self, -1), halves)
    total = aten.sum.dim_IntList(aten.lgamma.default(args), [-1])
    return aten.add.Tensor(total, p * (p - 1) / 4 * math.log(math.pi))


_mvlgamma = register("mvlgamma(Tensor self, int p) -> Tensor", meta=_mvlgamma_meta, kernel=_mvlgamma_kernel,
                     tags=("pointwise",), variants=FUNCTION_AND_METHOD, decomposition=_mvlgamma_decomp)
register_inplace(_mvlgamma, "mvlgamma_(Tensor(a!) self, int p) -> Tensor(a!)")

