"""Ops that move elements between channels, space and patches: im2col / col2im (F.unfold /
F.fold), pixel_shuffle / pixel_unshuffle, channel_shuffle, and one_hot.

im2col views the padded input as its sliding windows (nn_ops' `_windows`); col2im is its
adjoint: each kernel offset adds its column block into a strided slab of the padded output.
"""
import numpy as np

from .. import dtypes as dt
from .._tensor import CONTIGUOUS
from ._common import check, dtype_of, fake_like, fmt_shape, out_array
from ._input_format import fake_like_input, in_input_format, input_format
from ._factory_kw import api_arange
from ._registry import aten, register
from .nn_ops import _pair, _windows, conv_out_size


# --------------------------------------------------------- im2col / col2im --
def _fold_params(kernel_size, dilation, padding, stride, name):
    k, d, p, s = (_pair(v, 2) for v in (kernel_size, dilation, padding, stride))
    check(all(v > 0 for v in k), lambda: f"{name}: kernel size should be greater than zero, but got "
                                         f"kernel_height: {k[0]} kernel_width: {k[1]}")
    check(all(v > 0 for v in d), lambda: f"{name}: dilation should be greater than zero, but got "
                                         f"dilation_height: {d[0]} dilation_width: {d[1]}")
    check(all(v >= 0 for v in p), lambda: f"{name}: padding should be non-negative, but got pad_height: {p[0]} "
                                          f"pad_width: {p[1]}")
    check(all(v > 0 for v in s), lambda: f"{name}: stride should be greater than zero, but got stride_height: "
                                         f"{s[0]} stride_width: {s[1]}")
    return k, d, p, s


def _im2col_shape(shape, k, d, p, s):
    check(len(shape) in (3, 4) and all(v > 0 for v in shape[-3:]),
          lambda: f"Expected 3D or 4D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                  f"dimensions for input, but got: {fmt_shape(shape)}")
    out = [conv_out_size(shape[-2 + i], k[i], s[i], p[i], d[i]) for i in range(2)]
    check(all(o > 0 for o in out),
          lambda: f"Given input with spatial size ({shape[-2]}, {shape[-1]}), kernel_size=({k[0]}, {k[1]}), "
                  f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array of sliding "
                  f"blocks as ({out[0]}, {out[1]}), but its components must be at least one.")
    return tuple(shape[:-3]) + (shape[-3] * k[0] * k[1], out[0] * out[1]), out


def _im2col_kernel(xp, self, kernel_size, dilation, padding, stride):
    k, d, p, s = _fold_params(kernel_size, dilation, padding, stride, "im2col")
    shape, out = _im2col_shape(self.shape, k, d, p, s)
    a = xp.pad(self, [(0, 0)] * (self.ndim - 2) + [(p[0], p[0]), (p[1], p[1])]) if any(p) else self
    win = _windows(xp, a, k, s, d)[..., : out[0], : out[1], :, :]        # [..., C, oh, ow, kh, kw]
    lead = win.ndim - 5
    perm = tuple(range(lead)) + (lead, lead + 3, lead + 4, lead + 1, lead + 2)
    return out_array(xp, xp.ascontiguousarray(xp.transpose(win, perm)).reshape(shape), dtype_of(self))


def _im2col_decomp(self, kernel_size, dilation, padding, stride):
    """One strided slice of the padded input per kernel offset, concatenated along the channels."""
    k, d, p, s = _fold_params(kernel_size, dilation, padding, stride, "im2col")
    shape, out = _im2col_shape(tuple(self.shape), k, d, p, s)
    a = aten.constant_pad_nd.default(self, [p[1], p[1], p[0], p[0]], 0) if any(p) else self
    blocks = []
    for i in range(k[0]):
        for j in range(k[1]):
            b = aten.slice.Tensor(a, -2, i * d[0], i * d[0] + (out[0] - 1) * s[0] + 1, s[0])
            b = aten.slice.Tensor(b, -1, j * d[1], j * d[1] + (out[1] - 1) * s[1] + 1, s[1])
            blocks.append(aten.unsqueeze.default(b, -3))                     # [..., C, 1, oh, ow]
    cols = aten.cat.default(blocks, -3)                                       # [..., C, kh*kw, oh, ow]
    return aten.view.default(aten.clone.default(cols, memory_format="contiguous_format"), list(shape))


register("im2col(Tensor self, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride) -> Tensor",
         meta=lambda self, kernel_size, dilation, padding, stride: fake_like(
             _im2col_shape(tuple(self.shape), *_fold_params(kernel_size, dilation, padding, stride, "im2col"))[0],
             self.dtype, self),
         kernel=_im2col_kernel, decomposition=_im2col_decomp)


def _col2im_shape(shape, output_size, k, d, p, s):
    check(len(shape) in (2, 3) and all(v > 0 for v in shape[-2:]),
          lambda: f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                  f"dimensions for input, but got: {fmt_shape(shape)}")
    o = _pair(output_size, 2)
    cols = shape[-2]
    check(cols % (k[0] * k[1]) == 0,
          lambda: f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
                  f"input.size(1)={cols} and kernel_size=({k[0]}, {k[1]})")
    blocks = [conv_out_size(o[i], k[i], s[i], p[i], d[i]) for i in range(2)]
    check(blocks[0] * blocks[1] == shape[-1],
          lambda: f"Given output_size=({o[0]}, {o[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
                  f"padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's dimension 2 to match "
                  f"the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but "
                  f"got input.size(2)={shape[-1]}.")
    return tuple(shape[:-2]) + (cols // (k[0] * k[1]), o[0], o[1]), blocks


def _col2im_kernel(xp, self, output_size, kernel_size, dilation, padding, stride):
    k, d, p, s = _fold_params(kernel_size, dilation, padding, stride, "col2im")
    shape, blocks = _col2im_shape(self.shape, output_size, k, d, p, s)
    H, W = shape[-2:]
    lead = shape[:-3]
    C = shape[-3]
    cols = self.reshape(lead + (C, k[0], k[1], blocks[0], blocks[1]))
    out = xp.zeros(lead + (C, H + 2 * p[0], W + 2 * p[1]), dtype=self.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            out[..., i * d[0]: i * d[0] + (blocks[0] - 1) * s[0] + 1: s[0],
                j * d[1]: j * d[1] + (blocks[1] - 1) * s[1] + 1: s[1]] += cols[..., i, j, :, :]
    return out_array(xp, xp.ascontiguousarray(out[..., p[0]: p[0] + H, p[1]: p[1] + W]), dtype_of(self))


def _col2im_decomp(self, output_size, kernel_size, dilation, padding, stride):
    """One accumulating index_put of every column into the padded output, then the padding cropped off with a
    negative constant_pad_nd: torch's default table's ops. Row index of (kernel row i, block row b) is
    b * stride + i * dilation (an outer sum of two aranges), and likewise for columns."""
    k, d, p, s = _fold_params(kernel_size, dilation, padding, stride, "col2im")
    shape, blocks = _col2im_shape(tuple(self.shape), output_size, k, d, p, s)
    batched = self.ndim == 3
    cols = self if batched else aten.unsqueeze.default(self, 0)
    n, c = cols.shape[0], shape[-3]
    cols = aten.permute.default(aten.view.default(cols, [n, c, k[0], k[1], blocks[0], blocks[1]]),
                                [0, 1, 2, 4, 3, 5])                      # [N, C, kh, bh, kw, bw]

    def positions(i):
        starts = api_arange(0, blocks[i] * s[i], s[i], dtype=dt.int64, device=self.device)
        offsets = api_arange(0, k[i] * d[i], d[i], dtype=dt.int64, device=self.device)
        return aten.add.Tensor(aten.unsqueeze.default(starts, 0), aten.unsqueeze.default(offsets, -1))

    rows = aten.unsqueeze.default(aten.unsqueeze.default(positions(0), -1), -1)   # [kh, bh, 1, 1]
    out = aten.full.default([n, c, shape[-2] + 2 * p[0], shape[-1] + 2 * p[1]], 0, dtype=self.dtype,
                            device=self.device)
    out = aten.index_put.default(out, [None, None, rows, positions(1)], cols, True)
    out = aten.constant_pad_nd.default(out, [-p[1], -p[1], -p[0], -p[0]], 0.0)
    return out if batched else aten.squeeze.dims(out, [0])


register("col2im(Tensor self, SymInt[2] output_size, int[2] kernel_size, int[2] dilation, int[2] padding, "
         "int[2] stride) -> Tensor",
         meta=lambda self, output_size, kernel_size, dilation, padding, stride: fake_like(
             _col2im_shape(tuple(self.shape), output_size,
                           *_fold_params(kernel_size, dilation, padding, stride, "col2im"))[0], self.dtype, self),
         kernel=_col2im_kernel, tags=("core",), decomposition=_col2im_decomp)


# ------------------------------------------------------------ pixel shuffle --
def _shuffle_shape(shape, r, up):
    name = "pixel_shuffle" if up else "pixel_unshuffle"
    what = "upscale_factor" if up else "downscale_factor"
    check(len(shape) >= 3, lambda: f"{name} expects input to have at least 3 dimensions, but got input with "
                                   f"{len(shape)} dimension(s)")
    check(r > 0, lambda: f"{name} expects a positive {what}, but got {r}")
    c, h, w = shape[-3:]
    if up:
        check(c % (r * r) == 0, lambda: f"pixel_shuffle expects its input's 'channel' dimension to be divisible by "
                                        f"the square of upscale_factor, but input.size(-3)={c} is not divisible by "
                                        f"{r * r}")
        return tuple(shape[:-3]) + (c // (r * r), h * r, w * r)
    check(h % r == 0, lambda: f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                              f"input.size(-2)={h} is not divisible by {r}")
    check(w % r == 0, lambda: f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                              f"input.size(-1)={w} is not divisible by {r}")
    return tuple(shape[:-3]) + (c * r * r, h // r, w // r)


def _shuffle_plan(shape, r, up):
    """(split shape, permutation, output shape) that pixel_(un)shuffle is a reshape-permute-reshape of."""
    lead = tuple(shape[:-3])
    c, h, w = shape[-3:]
    n = len(lead)
    if up:
        split = lead + (c // (r * r), r, r, h, w)
        perm = tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2)
    else:
        split = lead + (c, h // r, r, w // r, r)
        perm = tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3)
    return split, perm, _shuffle_shape(shape, r, up)


def _shuffle_nhwc(a, r, up):
    """pixel_(un)shuffle of a 4-d channels-last array, computed on its (N, H, W, C) memory-order view: one
    copy whose result, viewed back as (N, C, H, W), is channels-last as torch's output is."""
    m = a.transpose(0, 2, 3, 1)
    n, h, w, c = m.shape
    if up:
        moved = m.reshape(n, h, w, c // (r * r), r, r).transpose(0, 1, 4, 2, 5, 3)
        out = moved.reshape(n, h * r, w * r, c // (r * r))
    else:
        moved = m.reshape(n, h // r, r, w // r, r, c).transpose(0, 1, 3, 5, 2, 4)
        out = moved.reshape(n, h // r, w // r, c * r * r)
    return out.transpose(0, 3, 1, 2)


# torch lays pixel_(un)shuffle's output out in the input's suggested memory format.  A 4-d channels-last
# input is shuffled in its own memory order (_shuffle_nhwc), so that case costs one copy as the contiguous
# one does; a channels-last-3d input (rare) is shuffled contiguously and relaid.
def _shuffle_kernel(up):
    def kernel(xp, self, r):
        if self.ndim == 4 and input_format(self) != CONTIGUOUS:
            _shuffle_shape(self.shape, r, up)
            return in_input_format(xp, _shuffle_nhwc(self, r, up), self)
        split, perm, out = _shuffle_plan(self.shape, r, up)
        return in_input_format(xp, xp.ascontiguousarray(xp.transpose(self.reshape(split), perm)).reshape(out),
                               self)
    return kernel


def _shuffle_decomp(up):
    def decomp(self, r):
        split, perm, out = _shuffle_plan(tuple(self.shape), r, up)
        moved = aten.permute.default(aten.view.default(self, list(split)), list(perm))
        out = aten.view.default(aten.clone.default(moved, memory_format="contiguous_format"), list(out))
        # torch's decomposition returns a fresh tensor in the input's suggested memory format, not a view of
        # the permuted copy
        return aten.clone.default(out, memory_format=input_format(self))
    return decomp


for _name, _arg, _up in (("pixel_shuffle", "upscale_factor", True), ("pixel_unshuffle", "downscale_factor", False)):
    register(f"{_name}(Tensor self, int {_arg}) -> Tensor",
             meta=(lambda up: lambda self, r: fake_like_input(_shuffle_shape(tuple(self.shape), r, up),
                                                              self.dtype, self))(_up),
             kernel=_shuffle_kernel(_up), decomposition=_shuffle_decomp(_up), variants=("function",))


def _channel_shuffle_check(shape, groups):
    check(len(shape) >= 3, lambda: f"channel_shuffle expects input to have at least 3 dimensions, but got input "
                                   f"with {len(shape)} dimension(s)")
    check(groups > 0, lambda: f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    check(shape[1] % groups == 0, lambda: f"Number of channels must be divisible by groups. Got {shape[1]} channels "
                                          f"and {groups} groups.")


def _channel_shuffle_kernel(xp, self, groups):
    _channel_shuffle_check(self.shape, groups)
    n, c = self.shape[:2]
    split = self.reshape((n, groups, c // groups) + self.shape[2:])
    return xp.ascontiguousarray(xp.swapaxes(split, 1, 2)).reshape(self.shape)


def _channel_shuffle_decomp(self, groups):
    n, c = self.shape[0], self.shape[1]
    rest = list(self.shape[2:])
    split = aten.view.default(self, [n, groups, c // groups] + rest)
    moved = aten.permute.default(split, [0, 2, 1] + list(range(3, self.ndim + 1)))
    return aten.view.default(aten.clone.default(moved, memory_format="contiguous_format"), list(self.shape))


for _name in ("channel_shuffle", "native_channel_shuffle"):
    register(f"{_name}(Tensor self, SymInt groups) -> Tensor",
             meta=lambda self, groups: (_channel_shuffle_check(tuple(self.shape), groups),
                                        fake_like(self.shape, self.dtype, self))[1],
             kernel=_channel_shuffle_kernel, decomposition=_channel_shuffle_decomp, variants=("function",))


# ------------------------------------------------------------------ one_hot --
def _one_hot_kernel(xp, self, num_classes=-1):
    check(self.dtype == np.int64, "one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        check(self.size > 0, "Can not infer total number of classes from empty tensor.")
        num_classes = int(self.max()) + 1
    check(self.size == 0 or int(self.min()) >= 0, "Class values must be non-negative.")
    check(self.size == 0 or int(self.max()) < num_classes, "Class values must be smaller than num_classes.")
    return (self[..., None] == xp.arange(num_classes)).astype(np.int64)


def _one_hot_meta(self, num_classes=-1):
    check(self.dtype is dt.int64, "one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        # the class count comes from the values: known for a real tensor, data-dependent for a fake one
        check(getattr(self, "_data", None) is not None,
              "one_hot: the number of classes of a fake tensor is data-dependent; pass num_classes")
        check(self.numel() > 0, "Can not infer total number of classes from empty tensor.")
        num_classes = int(self._data.max()) + 1
    elif getattr(self, "_data", None) is not None and self.numel() > 0:
        check(int(self._data.min()) >= 0, "Class values must be non-negative.")
        check(int(self._data.max()) < num_classes, "Class values must be smaller than num_classes.")
    return fake_like(tuple(self.shape) + (num_classes,), dt.int64, self)


def _one_hot_decomp(self, num_classes=-1):
    if num_classes == -1:
        num_classes = int(aten.max.default(self).item()) + 1     # data-dependent, as in torch
    classes = aten.arange.start_step(0, num_classes, 1, dtype=dt.int64, device=self.device)
    return aten._to_copy.default(aten.eq.Tensor(aten.unsqueeze.default(self, -1), classes), dtype=dt.int64)


register("one_hot(Tensor self, int num_classes=-1) -> Tensor", meta=_one_hot_meta, kernel=_one_hot_kernel,
         decomposition=_one_hot_decomp)
