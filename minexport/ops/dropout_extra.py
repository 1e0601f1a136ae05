"""The dropout family beyond dropout itself: dropout_, feature_dropout(_), alpha_dropout(_),
feature_alpha_dropout(_), as torch records them.

F.dropout(inplace=True) records dropout_; Dropout1d/2d/3d record feature_dropout
(feature_dropout_ in place), which zeroes whole channels; AlphaDropout and
FeatureAlphaDropout record alpha_dropout / feature_alpha_dropout (in place too:
torch records the functional op for them), which keep a SELU network's mean
and variance: a dropped element becomes -selu_alpha*selu_scale, then the
whole is scaled and shifted back.

Each decomposes, when training, into a keep-mask drawn by native_dropout (as
minexport's dropout does; torch draws it with bernoulli) over ones of the
noise shape (the input's for element-wise, (N, C, 1, ...) per channel), then
mul/add; when not training (or p == 0) into nothing: the input itself.
"""
import math

from ._common import check, dtype_of, fake_like, out_array
from ._inplace import register_inplace
from ._registry import aten, register
from .nn_ops import _dropout_check, _keep_mask

_ALPHA = 1.6732632423543772848170429916717 * 1.0507009873554804934193349852946   # selu's alpha * scale


def _noise_shape(shape, feature):
    """Per element, or per (sample, channel) for the feature variants."""
    if not feature:
        return tuple(shape)
    check(len(shape) >= 2, lambda: "Feature dropout requires at least 2 dimensions in the input")
    return (shape[0], shape[1]) + (1,) * (len(shape) - 2)


def _alpha_coefficients(p):
    """(a, b): a kept element x becomes a*x + b, a dropped one b - a*alpha... as torch's alpha dropout."""
    a = 1.0 / math.sqrt((_ALPHA ** 2 * p + 1) * (1 - p))
    return a, _ALPHA * a


def _family_kernel(feature, alpha):
    def kernel(xp, input, p, train):
        _dropout_check(p)
        if not train or p == 0:
            return input
        keep = _keep_mask(xp, _noise_shape(input.shape, feature), p).astype(input.dtype)
        if not alpha:
            value = input * keep * (0.0 if p == 1 else 1 / (1 - p))
        elif p == 1:
            value = input * 0
        else:
            a, b = _alpha_coefficients(p)
            # kept: a*x + b*p ; dropped: (-1)*b + b*p  (torch's noise.add(-1)*(alpha*a) + alpha*a*p)
            value = input * (keep * a) + ((keep - 1) * b + b * p)
        return out_array(xp, value, dtype_of(input))
    return kernel


def _family_meta(feature):
    def meta(input, p, train):
        _dropout_check(p)
        _noise_shape(input.shape, feature)
        return fake_like(input.shape, input.dtype, input)
    return meta


def _family_decomp(feature, alpha):
    def decomp(input, p, train):
        if not train or p == 0:
            return input
        ones = aten.ones.default(list(_noise_shape(input.shape, feature)), dtype=input.dtype)
        scaled = aten.native_dropout.default(ones, p, True)[0]        # keep / (1 - p)
        if not alpha:
            return aten.mul.Tensor(input, scaled)
        if p == 1:
            return aten.mul.Scalar(input, 0)
        a, b = _alpha_coefficients(p)
        keep = aten.mul.Scalar(scaled, 1 - p)
        shift = aten.add.Scalar(aten.mul.Scalar(aten.add.Scalar(keep, -1), b), b * p)
        return aten.add.Tensor(aten.mul.Tensor(input, aten.mul.Scalar(keep, a)), shift)
    return decomp


def _functional_of(op):
    # what torch's functionalization leaves of the in-place op: the op's value, or self when it is a no-op
    def functional(self, p, train):
        return op(self, p, train) if train and p > 0 else self
    return functional


register_inplace(aten.dropout.default, "dropout_(Tensor(a!) self, float p, bool train) -> Tensor(a!)",
                 variants=("function",))
aten.dropout_.default.functional = _functional_of(aten.dropout.default)

for _name, _feature, _alpha in (("feature_dropout", True, False), ("alpha_dropout", False, True),
                                ("feature_alpha_dropout", True, True)):
    _op = register(f"{_name}(Tensor input, float p, bool train) -> Tensor", meta=_family_meta(_feature),
                   kernel=_family_kernel(_feature, _alpha), decomposition=_family_decomp(_feature, _alpha),
                   tags=("may_alias",), variants=("function",))
    register_inplace(_op, f"{_name}_(Tensor(a!) self, float p, bool train) -> Tensor(a!)", variants=("function",))
    getattr(aten, _name + "_").default.functional = _functional_of(_op)
