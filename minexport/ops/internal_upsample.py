"""Antialiased bilinear resizing: `_upsample_bilinear2d_aa` (what `interpolate(..., mode="bilinear",
antialias=True)` calls).

Each output pixel averages the input pixels under a triangle filter stretched by the downscale factor
(so shrinking an image blurs it instead of skipping pixels), separately along height and width, with the
weights of each output normalized to sum to one.  When upscaling the filter is plain bilinear.  torch
keeps the op whole in the core program; its `.vec` overload decomposes to it.
"""
import numpy as np

from ._common import check, copy_array, dtype_of, out_array, torch_type_name
from ._input_format import fake_like_input, in_input_format, input_format
from ._registry import aten, register
from .upsample import _out_size, _scale

_NAME = "_upsample_bilinear2d_aa"


def _aa_taps(in_size, out_size, align_corners, scale_factor, npd):
    """(index, weight), each (out_size, taps): the input positions each output of one dim reads and their
    normalized filter weights (weight 0 pads a short row).

    The arithmetic follows torch's CPU kernel step by step in the input's float type (float32 for
    float32), so that the results agree to the last bits torch's float32 sums leave.
    """
    f = npd.type
    scale = f(_scale(in_size, out_size, align_corners, scale_factor))
    # the triangle's half-width and the factor that maps input distances onto it
    support = f(float(scale)) if scale >= 1.0 else f(1.0)
    invscale = f(1.0 / float(scale)) if scale >= 1.0 else f(1.0)
    center = (float(scale) * (np.arange(out_size) + 0.5)).astype(npd)
    lo = np.maximum(np.trunc((center - support).astype(np.float64) + 0.5), 0).astype(np.int64)
    hi = np.minimum(np.trunc((center + support).astype(np.float64) + 0.5), in_size).astype(np.int64)
    taps = max(int((hi - lo).max()), 1)
    index = lo[:, None] + np.arange(taps)
    valid = index < hi[:, None]
    dist = ((index - center[:, None].astype(np.float64) + 0.5) * float(invscale)).astype(npd)
    w = np.where(valid, np.maximum(f(0), (1.0 - np.abs(dist.astype(np.float64))).astype(npd)), f(0))
    # the row total summed tap by tap, as torch's loop sums it
    total = np.zeros(out_size, npd)
    for k in range(taps):
        total = (total + w[:, k]).astype(npd)
    w = np.where(total[:, None] != 0, w / np.where(total == 0, f(1), total)[:, None], w).astype(npd)
    return np.minimum(index, in_size - 1), w, valid


def _resample(xp, a, axis, index, weight, valid):
    """One dim resampled: output i = sum over taps k of weight[i, k] * a[index[i, k]], summed tap by tap."""
    moved = xp.moveaxis(a, axis, -1)
    out = None
    # a loop over the filter taps (a few positions): each step is one vectorized gather-multiply-add
    for k in range(index.shape[1]):
        term = xp.where(xp.asarray(valid[:, k]), moved[..., xp.asarray(index[:, k])] * xp.asarray(weight[:, k]), 0)
        out = term.astype(a.dtype) if out is None else (out + term).astype(a.dtype)
    return xp.moveaxis(out, -1, axis)


def _sizes(shape, output_size):
    check(len(shape) == 4, lambda: f"{_NAME}: expected a 4-D input (N, C, H, W), got {len(shape)}-D")
    return _out_size(tuple(shape), 2, list(output_size), None, _NAME)


def _dtype_check(d):
    check(d.is_floating_point or d.name == "uint8",
          lambda: f'"{_NAME}" not implemented for \'{torch_type_name(d)}\'', NotImplementedError)


def _aa_meta(self, output_size, align_corners, scales_h=None, scales_w=None):
    _dtype_check(self.dtype)
    out = _sizes(tuple(self.shape), output_size)
    return fake_like_input(tuple(self.shape[:2]) + tuple(out), self.dtype, self)


def _aa_kernel(xp, self, output_size, align_corners, scales_h=None, scales_w=None):
    d = dtype_of(self)
    _dtype_check(d)
    oh, ow = _sizes(self.shape, output_size)
    out = self
    # width first, then height, each skipped when its size does not change (as torch's kernel does)
    for axis, size, scale in ((3, ow, scales_w), (2, oh, scales_h)):
        if out.shape[axis] == size:
            continue
        if d.is_floating_point:
            out = _resample(xp, out, axis, *_aa_taps(out.shape[axis], size, align_corners, scale, d.numpy_dtype))
        else:
            out = _resample_uint8(xp, out, axis, *_aa_taps(out.shape[axis], size, align_corners, scale,
                                                           np.dtype(np.float64)))
    # the output is laid out in the input's suggested memory format (channels-last in, channels-last out);
    # a new tensor even when no size changes
    if out is self:
        return copy_array(xp, self, input_format(self))
    return in_input_format(xp, out_array(xp, out, d), self)


def _resample_uint8(xp, a, axis, index, weight, valid):
    """One dim of a uint8 image resampled in fixed point, as torch's (and PIL's) uint8 kernel: the weights as
    int16 with as many fraction bits as the largest allows, integer sums rounded half up, back to uint8."""
    bits = 0
    while bits < 22 and int(0.5 + weight.max() * (1 << (bits + 1))) < (1 << 15):
        bits += 1
    fixed = np.where(weight < 0, np.trunc(-0.5 + weight * (1 << bits)), np.trunc(0.5 + weight * (1 << bits)))
    total = _resample(xp, a.astype(np.int64), axis, index, fixed.astype(np.int64), valid)
    return xp.clip((total + (1 << (bits - 1))) >> bits, 0, 255).astype(np.uint8)


def _aa_vec_sizes(input, output_size, scale_factors):
    return _out_size(tuple(input.shape), 2, output_size, scale_factors, _NAME)


def _aa_vec_decomp(input, output_size, align_corners, scale_factors):
    out = _aa_vec_sizes(input, output_size, scale_factors)
    scales = (None, None) if scale_factors is None else tuple(scale_factors)
    return aten._upsample_bilinear2d_aa.default(input, out, align_corners, *scales)


register(f"{_NAME}(Tensor self, SymInt[2] output_size, bool align_corners, float? scales_h=None, "
         "float? scales_w=None) -> Tensor", meta=_aa_meta, kernel=_aa_kernel)
register(f"{_NAME}.vec(Tensor input, SymInt[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor",
         meta=lambda input, output_size, align_corners, scale_factors:
         _aa_meta(input, _aa_vec_sizes(input, output_size, scale_factors), align_corners),
         kernel=lambda xp, input, output_size, align_corners, scale_factors:
         _aa_kernel(xp, input, _aa_vec_sizes(input, output_size, scale_factors), align_corners,
                    *((None, None) if scale_factors is None else scale_factors)),
         decomposition=_aa_vec_decomp)
