"""Neural-network ops: convolution, pooling, normalization, dropout, attention.

Convolution and pooling share one helper that views an input as its sliding
windows (`_windows`, via as_strided: no copy until the product), so the output
size formula lives in one place (`conv_out_size`) for meta and kernel.
"""
import math

import numpy as np

from .. import dtypes as dt
from .. import _random
from .._tensor import format_strides, make_fake, shape_numel, suggest_memory_format, sure
from ..runtime import buffers
from ..runtime.backends import device_of_array
from ._common import (array_strides, byte_strides, check, dense_strides, dtype_of, fake_like, fmt_shape, geometry_memo,
                      out_array, relayout, remembered, static_key, static_operands, torch_type_name)
from ._registry import aten, register
from . import conv_kernels
from ._input_format import fake_like_input, format_like_input, full_like_input, in_input_format

from .pointwise import float_only
from .reductions import _softmax_array, _softmax_shifted, float_required


def _pair(v, n):
    if isinstance(v, (list, tuple)):
        v = list(v)
        return v * n if len(v) == 1 else v
    return [v] * n


def conv_out_size(size, k, stride, pad, dil, ceil_mode=False):
    """Output length of a window sweep (torch's formula, with pooling's ceil_mode rule)."""
    eff = dil * (k - 1) + 1
    num = size + 2 * pad - eff
    if ceil_mode:
        out = -(-num // stride) + 1
        if (out - 1) * stride >= size + pad:
            out -= 1
        return out
    return num // stride + 1


def _windows(xp, a, ks, strides, dils):
    """View the last len(ks) dims of `a` as (out..., k...) sliding windows."""
    n = len(ks)
    spatial = a.shape[-n:]
    outs = [(spatial[i] - dils[i] * (ks[i] - 1) - 1) // strides[i] + 1 for i in range(n)]
    st = a.strides
    shape = a.shape[:-n] + tuple(outs) + tuple(ks)
    strides_ = st[:-n] + tuple(st[-n + i] * strides[i] for i in range(n)) + \
        tuple(st[-n + i] * dils[i] for i in range(n))
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides_)


# ------------------------------------------------------------ convolution --
def _conv_shape(inp, weight, stride, padding, dilation, groups, name):
    n = len(weight) - 2
    check(len(inp) in (n + 1, n + 2), lambda: f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) "
          f"input to {name}, but got input of size: {fmt_shape(inp)}")
    batched = len(inp) == n + 2
    shape = tuple(inp) if batched else (1,) + tuple(inp)
    check(shape[1] == weight[1] * groups,
          lambda: f"Given groups={groups}, weight of size {fmt_shape(weight)}, expected "
                  f"input{fmt_shape(shape)} to have {weight[1] * groups} channels, but got "
                  f"{shape[1]} channels instead")
    check(weight[0] % groups == 0, lambda: f"Given groups={groups}, expected weight to be divisible "
                                           f"by {groups} at dimension 0, but got weight of size {fmt_shape(weight)}")
    out = [conv_out_size(shape[2 + i], weight[2 + i], stride[i], padding[i], dilation[i]) for i in range(n)]
    check(all(o > 0 for o in out),
          lambda: f"Given input size per channel: ({' x '.join(str(s) for s in shape[2:])}). Calculated "
                  f"output size: ({' x '.join(str(o) for o in out)}). Output size is too small")
    res = (shape[0], weight[0]) + tuple(out)
    return res if batched else res[1:]


def _conv_array(xp, x, w, b, stride, padding, dilation, groups):
    """convolution's forward output (contiguous): a fast path of conv_kernels where one applies (2-d and
    1-d float32/float64), else the general im2col kernel."""
    batched = x.ndim == w.ndim
    out = conv_kernels.forward_fast(xp, x if batched else x[None], w, b, stride, padding, dilation, groups)
    if out is None:
        return _conv_general(xp, x, w, b, stride, padding, dilation, groups)
    return out if batched else out[0]


def _conv_general(xp, x, w, b, stride, padding, dilation, groups):
    """The general forward kernel: every window gathered into one (N*out, C*k) matrix, one batched GEMM."""
    n = w.ndim - 2
    batched = x.ndim == n + 2
    if not batched:
        x = x[None]
    if any(padding):
        x = xp.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    win = _windows(xp, x, w.shape[2:], stride, dilation)       # N, C, out..., k...
    N, C = x.shape[:2]
    outs = win.shape[2:2 + n]
    out_channels = w.shape[0]
    g, og = groups, out_channels // groups
    # im2col: (g, N*out, cg*k) @ (g, cg*k, og)
    perm = (0,) + tuple(range(2, 2 + n)) + (1,) + tuple(range(2 + n, 2 + 2 * n))
    cols = xp.transpose(win, perm).reshape((N * int(np.prod(outs)), g, -1))
    cols = xp.transpose(cols, (1, 0, 2))
    wm = xp.transpose(w.reshape((g, og, -1)), (0, 2, 1))
    out = xp.matmul(cols, wm)                                   # g, N*out, og
    out = xp.transpose(out, (1, 0, 2)).reshape((N,) + tuple(outs) + (out_channels,))
    out = xp.moveaxis(out, -1, 1)
    if b is not None:
        out = out + b.reshape((1, out_channels) + (1,) * n)
    out = xp.ascontiguousarray(out)
    return out if batched else out[0]


def _conv_decomp(n):
    def decomp(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        stride, dilation = _pair(stride, n), _pair(dilation, n)
        unbatched = input.ndim == n + 1
        if unbatched:
            input = aten.unsqueeze.default(input, 0)
        if isinstance(padding, str):
            pads = [0] * n
            if padding == "same":
                extra = []
                for i in range(n):
                    total = dilation[i] * (weight.shape[2 + i] - 1)
                    pads[i] = total // 2
                    extra = [0, total - 2 * (total // 2)] + extra
                if any(extra):
                    input = aten.constant_pad_nd.default(input, extra)
            padding = pads
        out = aten.convolution.default(input, weight, bias, stride, _pair(padding, n), dilation, False,
                                       [0] * n, groups)
        return aten.squeeze.dims(out, [0]) if unbatched else out
    return decomp


def _conv_register(schema, n, name, transposed_arg=False, **facts):
    def norm(stride, padding, dilation):
        return _pair(stride, n), _pair(padding, n), _pair(dilation, n)

    def parse(weight, args, kwargs):
        names = ["stride", "padding", "dilation", "transposed", "output_padding", "groups"] if transposed_arg \
            else ["stride", "padding", "dilation", "groups"]
        vals = dict(zip(names, args))
        vals.update(kwargs)
        check(not vals.get("transposed", False),
              "convolution with transposed=True (conv_transpose) is not supported by minexport yet")
        nn = len(weight.shape) - 2
        stride, padding, dilation = (_pair(vals.get(k, d), nn) for k, d in
                                     (("stride", 1), ("padding", 0), ("dilation", 1)))
        return stride, padding, dilation, vals.get("groups", 1)

    def meta(input, weight, bias=None, *args, **kwargs):
        stride, padding, dilation, groups = parse(weight, args, kwargs)
        _check_dtypes(input, weight)
        shape = _conv_shape(tuple(input.shape), tuple(weight.shape), stride, padding, dilation, groups, name)
        return make_fake(shape, input.dtype, input.device, strides=_conv_strides(input, weight, shape))

    def kernel(xp, input, weight, bias=None, *args, **kwargs):
        stride, padding, dilation, groups = parse(weight, args, kwargs)
        _check_dtypes(input, weight)
        _conv_shape(input.shape, weight.shape, stride, padding, dilation, groups, name)
        out = out_array(xp, _conv_array(xp, input, weight, bias, stride, padding, dilation, groups),
                        dtype_of(input))
        return relayout(xp, out, _conv_strides(input, weight, out.shape))

    def specialize(args, kwargs, donating):
        return _conv_specializer(args, kwargs, parse, name, kernel)

    op = register(schema, meta=meta, kernel=kernel, **facts)
    if n in (1, 2):         # (conv_kernels' fast path is 1-d and 2-d)
        op.specialize = specialize


# In the plan ep.module() runs, a conv1d/conv2d whose operands have static shapes and one float32 or
# float64 dtype had its arguments parsed and checked by its meta function at export: the specialized
# kernel is conv_kernels' fast path alone (per call that was ~25 us of parsing, shape and layout checks
# around a product of a few us on small images).  The plan trusts the inputs' shapes and dtypes, not their
# strides, so the output layout is the one worked out at compile time only while the input and weight
# arrays keep the exported strides; otherwise it is worked out again, as the general kernel does.
def _conv_specializer(args, kwargs, parse, name, general):
    """(kernel, args) of a conv1d/conv2d call with static float32/float64 operands, or None."""
    input, weight = args[0], args[1]
    bias = args[2] if len(args) > 2 else None
    if kwargs or not static_operands(input, weight, bias) or input.dtype.numpy_dtype not in conv_kernels.FAST_DTYPES \
            or weight.ndim not in (3, 4) or 0 in tuple(input.shape)[-weight.ndim + 1:] or 0 in tuple(weight.shape):
        return None
    try:
        stride, padding, dilation, groups = parse(weight, args[3:], {})
        shape = _conv_shape(tuple(input.shape), tuple(weight.shape), stride, padding, dilation, groups, name)
    except Exception:   # the general kernel raises the error at run time
        return None
    batched = input.ndim == weight.ndim
    exported = (byte_strides(input), byte_strides(weight))
    layout = _conv_strides(input, weight, shape)

    def kernel(xp, input, weight, bias=None, *rest):
        if xp is not np:
            return general(xp, input, weight, bias, *rest)
        out = conv_kernels.forward_fast(np, input if batched else input[None], weight, bias, stride, padding,
                                        dilation, groups)
        if not batched:
            out = out[0]
        strides = layout if (input.strides, weight.strides) == exported else \
            _conv_strides(input, weight, out.shape)
        return out if strides is None else relayout(xp, out, strides)
    return kernel, args


def _conv_strides(input, weight, shape):
    """A 4-D convolution's output is channels-last when its input or weight is laid out so (torch's CPU
    convolutions); None (contiguous) otherwise."""
    if len(shape) != 4 or len(input.shape) != 4:
        return None
    layouts = [(tuple(t.shape), tuple(s // t.itemsize for s in t.strides) if hasattr(t, "strides") else t.stride())
               for t in (input, weight)]
    if any(suggest_memory_format(s, st) == "channels_last" for s, st in layouts):
        return format_strides(tuple(shape), "channels_last")
    return None


def _check_dtypes(input, weight):
    a, b = dtype_of(input), dtype_of(weight)
    check(a == b, lambda: f"Input type ({torch_type_name(a)}) and weight type ({torch_type_name(b)}) "
                          "should be the same")


_conv_register("conv1d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[1] stride=[1], "
               "SymInt[1] padding=[0], SymInt[1] dilation=[1], SymInt groups=1) -> Tensor", 1, "conv1d",
               decomposition=_conv_decomp(1))
_conv_register("conv2d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=[1, 1], "
               "SymInt[2] padding=[0, 0], SymInt[2] dilation=[1, 1], SymInt groups=1) -> Tensor", 2, "conv2d",
               decomposition=_conv_decomp(2))
_conv_register("conv3d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[3] stride=[1, 1, 1], "
               "SymInt[3] padding=[0, 0, 0], SymInt[3] dilation=[1, 1, 1], SymInt groups=1) -> Tensor", 3,
               "conv3d", decomposition=_conv_decomp(3))
register("convolution(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, SymInt[] padding, "
         "SymInt[] dilation, bool transposed, SymInt[] output_padding, SymInt groups) -> Tensor",
         **conv_kernels.convolution_facts(_conv_shape, _conv_array, _check_dtypes), tags=("core",))
conv_kernels.register_conv_transpose_ops(_check_dtypes)


def _same_padding(xp, input, weight, dilation, n):
    """'same' padding: total d*(k-1) per dim, the odd extra going right (as torch)."""
    pads = []
    for i in range(n):
        total = dilation[i] * (weight.shape[2 + i] - 1)
        pads.append((total // 2, total - total // 2))
    return pads


def _conv_padding_register(schema, n, name, **facts):
    def resolve(weight, stride, padding, dilation):
        stride, dilation = _pair(stride, n), _pair(dilation, n)
        check(padding in ("same", "valid"),
              lambda: f"Invalid padding string: '{padding}'")
        if padding == "same":
            check(all(s == 1 for s in stride), "padding='same' is not supported for strided convolutions")
        return stride, dilation

    def meta(input, weight, bias=None, stride=1, padding="valid", dilation=1, groups=1):
        stride, dilation = resolve(weight, stride, padding, dilation)
        if padding == "same":
            return fake_like(tuple(input.shape[:-n - 1]) + (weight.shape[0],) + tuple(input.shape[-n:]),
                             input.dtype, input)
        return fake_like(_conv_shape(tuple(input.shape), tuple(weight.shape), stride, [0] * n, dilation,
                                     groups, name), input.dtype, input)

    def kernel(xp, input, weight, bias=None, stride=1, padding="valid", dilation=1, groups=1):
        stride, dilation = resolve(weight, stride, padding, dilation)
        if padding == "same":
            pads = _same_padding(xp, input, weight, dilation, n)
            input = xp.pad(input, [(0, 0)] * (input.ndim - n) + pads)
        _conv_shape(input.shape, weight.shape, stride, [0] * n, dilation, groups, name)
        return out_array(xp, _conv_array(xp, input, weight, bias, stride, [0] * n, dilation, groups),
                         dtype_of(input))

    register(schema, meta=meta, kernel=kernel, **facts)


_conv_padding_register('conv1d.padding(Tensor input, Tensor weight, Tensor? bias=None, SymInt[1] stride=[1], '
                       'str padding="valid", SymInt[1] dilation=[1], SymInt groups=1) -> Tensor', 1, "conv1d",
                       decomposition=_conv_decomp(1))
_conv_padding_register('conv2d.padding(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=[1, 1], '
                       'str padding="valid", SymInt[2] dilation=[1, 1], SymInt groups=1) -> Tensor', 2, "conv2d",
                       decomposition=_conv_decomp(2))
_conv_padding_register('conv3d.padding(Tensor input, Tensor weight, Tensor? bias=None, SymInt[3] stride=[1, 1, 1], '
                       'str padding="valid", SymInt[3] dilation=[1, 1, 1], SymInt groups=1) -> Tensor', 3, "conv3d",
                       decomposition=_conv_decomp(3))


# ---------------------------------------------------------------- pooling --
def _pool_params(kernel_size, stride, padding, dilation):
    k = _pair(kernel_size, 2)
    s = _pair(stride, 2) if stride not in (None, [], ()) else list(k)
    p, d = _pair(padding, 2), _pair(dilation, 2)
    for i in range(2):
        check(p[i] * 2 <= k[i], lambda: f"pad should be at most half of effective kernel size, but got "
                                        f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    return k, s, p, d


def _pool_shape(shape, k, s, p, d, ceil_mode, name):
    check(len(shape) in (3, 4), lambda: f"{name}: Expected 3D or 4D (batch mode) tensor for input, "
                                        f"but got: {fmt_shape(shape)}")
    out = [conv_out_size(shape[-2 + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(2)]
    check(all(o > 0 for o in out),
          lambda: f"Given input size: ({'x'.join(map(str, shape[-3:]))}). Calculated output size: "
                  f"({shape[-3]}x{out[0]}x{out[1]}). Output size is too small")
    return tuple(shape[:-2]) + tuple(out)


def _padded_windows(xp, a, k, s, p, d, out, fill):
    """Pad (with the extra right padding ceil_mode needs) and view as windows."""
    extra = [max(0, (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (a.shape[-2 + i] + 2 * p[i])) for i in range(2)]
    widths = [(0, 0)] * (a.ndim - 2) + [(p[i], p[i] + extra[i]) for i in range(2)]
    padded = xp.pad(a, widths, constant_values=fill) if any(map(any, widths)) else a
    w = _windows(xp, padded, k, s, d)
    return w[..., : out[0], : out[1], :, :]


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


# Pooling by whole-output passes.  Reducing a window view (N, C, Ho, Wo, kh, kw) makes NumPy loop over
# every window with a kh*kw-long inner loop (and max pooling padded a copy of the input first).  Instead
# each kernel tap (i, j) is one strided view of the input, and one ufunc pass folds it into the output
# (np.maximum propagates NaN as torch's max pooling does; np.add sums the taps in the window's row-major
# order, starting from 0 as torch does).  A tap that falls into the padding for some outputs folds into
# the rectangle of outputs where it reads real input, so no padded copy is needed.
_MAX_POOL_DTYPES = tuple(np.dtype(t) for t in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
                                                np.int64, np.uint8))
_AVG_POOL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _tap_span(size, n_out, s, p, off):
    """(first, end) of the outputs whose tap at input offset `off` (from the window start) lies inside
    [0, size) along one dim, and the input index the first of them reads."""
    first = max(0, -(-(p - off) // s))
    end = min(n_out, (size - 1 + p - off) // s + 1)
    return first, end, first * s - p + off


def _taps(a, k, s, p, d, out_hw):
    """For every window tap (i, j) in row-major order that reads real input for some outputs: (the
    rectangle of those outputs as a slice pair, the input view they read, its flat h*W + w indices)."""
    H, W = a.shape[-2:]
    for i in range(k[0]):
        r0, r1, h = _tap_span(H, out_hw[0], s[0], p[0], i * d[0])
        for j in range(k[1]):
            c0, c1, w = _tap_span(W, out_hw[1], s[1], p[1], j * d[1])
            if r0 < r1 and c0 < c1:
                rows, cols = slice(h, h + (r1 - r0 - 1) * s[0] + 1, s[0]), slice(w, w + (c1 - c0 - 1) * s[1] + 1, s[1])
                yield (slice(r0, r1), slice(c0, c1)), a[..., rows, cols], \
                    lambda rows=rows, cols=cols: (np.arange(H)[rows, None] * W + np.arange(W)[cols])


def _fold_taps(a, k, s, p, d, out, fold):
    """out = fold(out, tap) for every window tap (i, j) of a's last two dims, in row-major tap order,
    each over the outputs whose tap reads real input; `out` starts as the fold's identity."""
    for rect, src, _ in _taps(a, k, s, p, d, out.shape[-2:]):
        dst = out[(Ellipsis,) + rect]
        fold(dst, src, out=dst)
    return out


def _has_negative_zero(a):
    """Whether a float array holds a -0.0 (its bits: the sign bit alone), in one integer comparison pass."""
    bits = a.view(np.dtype(f"i{a.itemsize}"))
    return bool((bits == np.iinfo(bits.dtype).min).any())


# torch keeps the first tap (row-major) holding the window's maximum, except that a NaN always replaces
# the running maximum: a window with NaNs gives its last NaN (value and index).  The values come from
# the np.maximum fold, which may keep either of two equal values (the SIMD and scalar loops differ, and
# +0.0 == -0.0) and the first NaN: where the maximum is a zero (and the input holds a -0.0, else every
# zero is +0.0 and the fold is right), one pass per tap in reverse order writes
# each tap where it equals the maximum (the first such tap writes last), and windows with NaNs take their
# last one in a forward pass; both only when there are such outputs.  The indices are found the same way.
def _max_pool_fast(a, k, s, p, d, out_hw, with_indices):
    """max_pool2d (with its indices when asked) of a NumPy array, as torch computes them."""
    shape = a.shape[:-2] + out_hw
    vals = _fold_taps(a, k, s, p, d, full_like_input(np, shape, _lowest(a.dtype), a.dtype, a), np.maximum)
    taps = list(_taps(a, k, s, p, d, out_hw))
    signed_zeros = a.dtype.kind == "f" and bool((vals == 0).any()) and _has_negative_zero(a)
    idx = full_like_input(np, shape, 0, np.int64, a) if with_indices else None
    if signed_zeros or with_indices:
        for rect, src, flat in reversed(taps):
            best = vals[(Ellipsis,) + rect]
            first = src == best
            if signed_zeros:
                np.copyto(best, src, where=first)
            if with_indices:
                np.copyto(idx[(Ellipsis,) + rect], flat(), where=first)
    if a.dtype.kind == "f" and bool(np.isnan(vals).any()):
        for rect, src, flat in taps:
            nan = np.isnan(src)
            np.copyto(vals[(Ellipsis,) + rect], src, where=nan)
            if with_indices:
                np.copyto(idx[(Ellipsis,) + rect], flat(), where=nan)
    return (vals, idx) if with_indices else vals


def _max_pool(xp, a, kernel_size, stride, padding, dilation, ceil_mode, with_indices):
    k, s, p, d = _pool_params(kernel_size, stride, padding, dilation)
    out = _pool_shape(a.shape, k, s, p, d, ceil_mode, "max_pool2d")[-2:]
    if xp is np and a.dtype in _MAX_POOL_DTYPES and a.size > 0:
        return _max_pool_fast(a, k, s, p, d, out, with_indices)
    w = _padded_windows(xp, a, k, s, p, d, out, _lowest(a.dtype))
    flat = w.reshape(w.shape[:-2] + (-1,))
    if not with_indices:
        vals = xp.max(flat, axis=-1)
        if a.dtype.kind == "f":
            vals = xp.where(xp.isnan(flat).any(axis=-1), np.nan, vals)
        return in_input_format(xp, vals, a)
    am = xp.argmax(flat, axis=-1)
    if a.dtype.kind == "f":
        nan = xp.isnan(flat)
        am = xp.where(nan.any(axis=-1), xp.argmax(nan, axis=-1), am)
    vals = xp.take_along_axis(flat, am[..., None], axis=-1)[..., 0]
    ki, kj = am // k[1], am % k[1]
    oh = xp.arange(out[0]).reshape(-1, 1)
    ow = xp.arange(out[1]).reshape(1, -1)
    h = oh * s[0] - p[0] + ki * d[0]
    wcol = ow * s[1] - p[1] + kj * d[1]
    return in_input_format(xp, vals, a), in_input_format(xp, (h * a.shape[-1] + wcol).astype(np.int64), a)


# Every 2-d pooling op lays its output (and indices) out in the input's suggested memory format, as torch's CPU
# kernels do (see _input_format); the fast kernels fold straight into an output so laid out.
def _max_pool_meta(self, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    k, s, p, d = _pool_params(kernel_size, stride, padding, dilation)
    return fake_like_input(_pool_shape(tuple(self.shape), k, s, p, d, ceil_mode, "max_pool2d"), self.dtype, self)


def _repeat_heads(t, rep):
    shape = list(t.shape)
    expanded = aten.expand.default(aten.unsqueeze.default(t, -3), shape[:-2] + [rep] + shape[-2:])
    dense = aten.clone.default(expanded, memory_format="contiguous_format")
    return aten.view.default(dense, shape[:-3] + [shape[-3] * rep] + shape[-2:])


def _max_pool2d_decomp(self, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return aten.max_pool2d_with_indices.default(self, kernel_size, stride, padding, dilation, ceil_mode)[0]


register("max_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, int[2] dilation=1, "
         "bool ceil_mode=False) -> Tensor", meta=_max_pool_meta,
         kernel=lambda xp, self, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False:
         _max_pool(xp, self, kernel_size, stride, padding, dilation, ceil_mode, False),
         decomposition=_max_pool2d_decomp)
register("max_pool2d_with_indices(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, "
         "int[2] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)",
         meta=lambda *a, **k: (_max_pool_meta(*a, **k),
                               fake_like_input(_max_pool_meta(*a, **k).shape, dt.int64, a[0])),
         kernel=lambda xp, self, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False:
         _max_pool(xp, self, kernel_size, stride, padding, dilation, ceil_mode, True), tags=("core",))


def _avg_pool_meta(self, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True,
                   divisor_override=None):
    k, s, p, d = _pool_params(kernel_size, stride, padding, 1)
    return fake_like_input(_pool_shape(tuple(self.shape), k, s, p, d, ceil_mode, "avg_pool2d"), self.dtype, self)


def _avg_pool_sums(xp, a, k, s, p, d, out_hw):
    """The window sums of avg_pool2d by the tap fold (into an output in the input's suggested memory
    format), or None where the general kernel runs."""
    if not (xp is np and a.dtype in _AVG_POOL_DTYPES and a.size > 0):
        return None
    zeros = full_like_input(np, a.shape[:-2] + tuple(out_hw), 0, a.dtype, a)
    return _fold_taps(a, k, s, p, d, zeros, np.add)


def _avg_pool_kernel(xp, self, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True,
                     divisor_override=None):
    k, s, p, d = _pool_params(kernel_size, stride, padding, 1)
    out = _pool_shape(self.shape, k, s, p, d, ceil_mode, "avg_pool2d")[-2:]
    check(divisor_override is None or divisor_override != 0, "divisor must be not zero")
    total = _avg_pool_sums(xp, self, k, s, p, d, out)
    fast = total is not None
    if not fast:
        total = xp.sum(_padded_windows(xp, self, k, s, p, d, out, 0), axis=(-2, -1))
    if divisor_override:
        return in_input_format(xp, out_array(xp, total / divisor_override, dtype_of(self)), self)
    H, W = self.shape[-2:]
    # torch's window size: clipped to the padded area, or to the real input without count_include_pad
    hs = xp.arange(out[0]) * s[0] - p[0]
    ws = xp.arange(out[1]) * s[1] - p[1]
    if count_include_pad:
        ch = xp.minimum(hs + k[0], H + p[0]) - hs
        cw = xp.minimum(ws + k[1], W + p[1]) - ws
    else:
        ch = xp.minimum(hs + k[0], H) - xp.maximum(hs, 0)
        cw = xp.minimum(ws + k[1], W) - xp.maximum(ws, 0)
    count = ch.reshape(-1, 1) * cw.reshape(1, -1)
    if fast:            # (a float32 quotient rounds as the float64 one rounded to float32 did)
        return np.divide(total, count.astype(total.dtype), out=total)
    return in_input_format(xp, out_array(xp, total / count, dtype_of(self)), self)


register("avg_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, bool ceil_mode=False, "
         "bool count_include_pad=True, int? divisor_override=None) -> Tensor",
         meta=_avg_pool_meta, kernel=_avg_pool_kernel, tags=("core",))


def _adaptive_shape(shape, output_size):
    check(len(shape) in (3, 4), lambda: f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                                        f"{fmt_shape(shape)}")
    o = [shape[-2 + i] if v is None else v for i, v in enumerate(_pair(output_size, 2))]
    return tuple(shape[:-2]) + tuple(o)


# A global average pool (output 1x1, the classifier head of most conv nets) reduced as two means over
# strided axes costs NumPy a pass per axis with short inner loops.  Over C-contiguous input it is one
# sum per H*W row.  BLAS sums rows as a matrix-vector product with a ones vector, four times faster than
# NumPy's row reduction but in order, whose float32 error grows with the row: so BLAS sums pieces of at
# most _GAP_PIECE elements and NumPy adds up each row's pieces (the error then stays below torch's).
# Rows that do not split into such pieces get NumPy's pairwise row sum.
_GAP_PIECE = 128


def _global_avg(self):
    """adaptive_avg_pool2d(self, 1) of a C-contiguous float32/float64 NumPy array, or None."""
    hw = self.shape[-2] * self.shape[-1]
    if not (self.dtype in _BLAS_DTYPES and self.flags.c_contiguous and self.size > 0):
        return None
    if hw <= _GAP_PIECE:
        sums = self.reshape(-1, hw) @ np.ones(hw, self.dtype)
    elif hw % _GAP_PIECE == 0:
        pieces = self.reshape(-1, _GAP_PIECE) @ np.ones(_GAP_PIECE, self.dtype)
        sums = np.add.reduce(pieces.reshape(-1, hw // _GAP_PIECE), axis=1)
    else:
        sums = np.add.reduce(self.reshape(-1, hw), axis=1)
    sums /= hw
    return sums.reshape(self.shape[:-2] + (1, 1))


def _adaptive_kernel(xp, self, output_size):
    oh, ow = _adaptive_shape(self.shape, output_size)[-2:]
    float_only(dtype_of(self), "adaptive_avg_pool2d")
    H, W = self.shape[-2:]
    if xp is np and (oh, ow) == (1, 1):
        out = _global_avg(self)
        if out is not None:
            return in_input_format(xp, out, self)
    # a channels-last input is averaged on its (N, H, W, C) view: the result comes out channels-last
    last = self.ndim == 4 and format_like_input(self.shape, self) is not None
    x = self.transpose(0, 2, 3, 1) if last else self
    hax, wax = (1, 2) if last else (x.ndim - 2, x.ndim - 1)
    rows = [xp.mean(_cut(x, hax, (i * H) // oh, -(-((i + 1) * H) // oh)), axis=hax) for i in range(oh)]
    a = xp.stack(rows, axis=hax)
    cols = [xp.mean(_cut(a, wax, (j * W) // ow, -(-((j + 1) * W) // ow)), axis=wax) for j in range(ow)]
    out = out_array(xp, xp.stack(cols, axis=wax), dtype_of(self))
    return out.transpose(0, 3, 1, 2) if last else in_input_format(xp, out, self)


def _cut(a, axis, start, stop):
    """a[start:stop] along axis."""
    return a[(slice(None),) * axis + (slice(start, stop),)]


def _adaptive_composite_kernel(xp, self, output_size):
    """adaptive_avg_pool2d: torch's composite takes a 1x1 output as the mean over (H, W), whose dtype rule
    refuses a non-floating input first; otherwise it is _adaptive_avg_pool2d."""
    if tuple(_adaptive_shape(self.shape, output_size)[-2:]) == (1, 1):
        float_required(dtype_of(self), None, "mean")
    return _adaptive_kernel(xp, self, output_size)


for _s, _kernel, _facts in (
        ("adaptive_avg_pool2d(Tensor self, SymInt[2] output_size) -> Tensor", _adaptive_composite_kernel,
         {"decomposition": lambda self, output_size: aten._adaptive_avg_pool2d.default(self, output_size)}),
        ("_adaptive_avg_pool2d(Tensor self, SymInt[2] output_size) -> Tensor", _adaptive_kernel,
         {"tags": ("core",)})):
    register(_s, meta=lambda self, output_size: fake_like_input(_adaptive_shape(tuple(self.shape), output_size),
                                                                self.dtype, self),
             kernel=_kernel, **_facts)


# ---------------------------------------------------------- normalization --
def _bn_axes(ndim):
    return (0,) + tuple(range(2, ndim))


def _in_place(xp, out, other, op):
    """out = op(out, other), in out's own buffer when that keeps the promoted dtype."""
    if xp.result_type(out, other) == out.dtype:
        op(out, other, out=out)
        return out
    return op(out, other)


def _scale_shift(xp, out, weight, bias, shape=None):
    """out * weight + bias (each reshaped to `shape` when given), written into out."""
    if weight is not None:
        out = _in_place(xp, out, weight if shape is None else weight.reshape(shape), xp.multiply)
    if bias is not None:
        out = _in_place(xp, out, bias if shape is None else bias.reshape(shape), xp.add)
    return out


def _bn_compute(xp, x, weight, bias, mean, var, eps, centered=None):
    """(normalized output, rstd); `centered` (x - mean, a buffer we own) becomes the output when given."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    rstd = 1 / xp.sqrt(var + eps)
    out = xp.subtract(x, mean.reshape(shape)) if centered is None else centered
    out = _in_place(xp, out, rstd.reshape(shape), xp.multiply)
    return _scale_shift(xp, out, weight, bias, shape), rstd


def _centered_stats(xp, x, axes):
    """(mean kept over axes, x - mean, biased variance): the mean is computed once and the
    centered buffer is reused as the output by the callers."""
    if _rowwise(xp, x, axes):
        return _row_stats(x, len(axes))
    mean = x.mean(axis=axes, keepdims=True)
    centered = xp.subtract(x, mean)
    var = xp.square(centered).mean(axis=axes, keepdims=True)
    return mean, centered, var


def _rowwise(xp, x, axes):
    """Whether the statistics are over short trailing rows of a BLAS dtype (layer and group norm)."""
    if not (xp is np and x.dtype in _BLAS_DTYPES and x.size > 0
            and tuple(a % x.ndim for a in axes) == tuple(range(x.ndim - len(axes), x.ndim))):
        return False
    row = 1
    for a in axes:
        row *= x.shape[a]
    return row <= _BLAS_ROW_MAX


_BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# BLAS and einsum add a row up in order, without NumPy's pairwise summation: fine for
# short rows (float32 error like torch's), too inaccurate for long ones (1e-4 at 1M).
_BLAS_ROW_MAX = 8192


# NumPy reduces short rows one row at a time; as a matrix-vector product (BLAS) the
# row sums cost a quarter as much, and the sum of squares is one vecdot (a BLAS dot per
# row: 0.6x einsum's time at [1024, 256] float32) without the squared temporary.
def _row_stats(x, k):
    """_centered_stats over the last k axes of a float32/float64 NumPy array, row by row."""
    lead = x.shape[:x.ndim - k]
    rows = x.reshape(shape_numel(lead), -1)
    n = rows.shape[1]
    mean = rows @ np.ones(n, x.dtype)
    mean /= n
    # (the centered rows become the caller's output: a buffer from the running graph's pool, if any)
    centered = np.subtract(rows, mean[:, None], out=buffers.recycled(np, rows.shape, rows.dtype))
    var = _row_dots(centered, centered)
    var /= n
    stat = lead + (1,) * k
    return mean.reshape(stat), centered.reshape(x.shape), var.reshape(stat)


_row_dots = getattr(np, "vecdot", None) or (lambda a, b: np.einsum("ij,ij->i", a, b))    # (vecdot: NumPy 2)


def _batch_stats(xp, x):
    axes = _bn_axes(x.ndim)
    n = x.size // x.shape[1]
    check(n > 1, lambda: f"Expected more than 1 value per channel when training, got input size {fmt_shape(x.shape)}")
    mean, centered, var = _centered_stats(xp, x, axes)
    return mean.reshape(-1), var.reshape(-1), n, centered


def _update_running(xp, rm, rv, mean, var, n, momentum):
    if rm is not None:
        rm[...] = (1 - momentum) * rm + momentum * mean
    if rv is not None:
        rv[...] = (1 - momentum) * rv + momentum * var * (n / (n - 1))


def _bn_kernel(xp, input, weight, bias, running_mean, running_var, training, momentum, eps):
    """Shared body: returns (out, save_mean, save_rstd); updates running stats in training."""
    d = dtype_of(input)
    centered = None
    if training:
        mean, var, n, centered = _batch_stats(xp, input)
        _update_running(xp, running_mean, running_var, mean, var, n, momentum)
    else:
        check(running_mean is not None and running_var is not None,
              "running_mean and running_var must be defined in evaluation mode")
        mean, var = running_mean, running_var
        fast = _bn_eval_fast(xp, input, weight, bias, mean, var, eps)
        if fast is not None:
            out, rstd = fast
            return _in_norm_layout(xp, out, input), mean, rstd
    out, rstd = _bn_compute(xp, input, weight, bias, mean, var, eps, centered)
    return _in_norm_layout(xp, out_array(xp, out, d), input), out_array(xp, mean, d), out_array(xp, rstd, d)


# Eval-mode batch norm is an affine map per channel.  The general path makes four passes over the input
# ((x - mean) * rstd * weight + bias); torch's CPU kernel folds the statistics into one scale and one
# shift per channel (scale = weight * rstd with rstd = 1 / sqrt(var + eps) in the input's dtype, shift =
# bias - mean * scale as one fused multiply-add) and applies x * scale + shift with a fused multiply-add.
# NumPy has no fused multiply-add: the shift is computed in float64 (one rounding, as the fused one) and
# the output in two passes, x * scale then + shift, one rounding more than torch's (half the old path's).
def _bn_eval_fast(xp, x, weight, bias, mean, var, eps):
    """(output, rstd) of eval batch norm as x * scale + shift per channel, for float32/float64 NumPy
    inputs whose parameters share their dtype; None otherwise (the general path runs)."""
    dtype = x.dtype
    params = [t for t in (weight, bias, mean, var) if t is not None]
    if not (xp is np and dtype in _BLAS_DTYPES and all(t.dtype == dtype for t in params)):
        return None
    rstd = 1 / np.sqrt(var + eps)
    scale = rstd if weight is None else rstd * weight
    wide = np.float64
    shift = (0.0 if bias is None else bias.astype(wide)) - mean.astype(wide) * scale
    shape = (1, -1) + (1,) * (x.ndim - 2)
    out = buffers.empty(np, x.shape, dtype) if x.flags.c_contiguous else None
    out = np.multiply(x, scale.reshape(shape), out=out)
    out += shift.astype(dtype).reshape(shape)
    return out, rstd


# torch's CPU batch and group norm lay their output out in the input's suggested memory format (the rule of
# `_input_format`): channels-last (3d) when the input is laid out so, contiguous otherwise (another permuted
# input included).  The output is given exactly those strides, size-1 dims' too.
def _norm_output_fake(input):
    """A batch or group norm's fake output, laid out as torch's kernel lays it out."""
    return fake_like_input(input.shape, input.dtype, input)


def _in_norm_layout(xp, out, input):
    """The output array `out` (any layout, input's shape) laid out in the input array's suggested format."""
    return _laid_out(xp, out, format_like_input(out.shape, input))


def _laid_out(xp, out, strides):
    """The array `out` with element strides `strides` (None: C-contiguous), copied only if it has others."""
    if strides is None:
        return xp.ascontiguousarray(out)
    return out if array_strides(out) == strides else relayout(xp, out, strides)


def _bn_check(input, weight, running_mean):
    check(len(input.shape) >= 2, lambda: f"batch_norm: input must have at least 2 dims, got {fmt_shape(input.shape)}")
    c = input.shape[1]
    for t, what in ((weight, "weight"), (running_mean, "running_mean")):
        if t is not None:
            check(tuple(t.shape) == (c,), lambda: f"batch_norm: expected {what} of shape [{c}], got "
                                                  f"{fmt_shape(t.shape)}")


def _bn_meta_outputs(input, stats):
    c = input.shape[1]
    shape = (c,) if stats else (0,)
    return (_norm_output_fake(input), fake_like(shape, input.dtype, input), fake_like(shape, input.dtype, input))


def _bn_empty(input):
    """Whether a batch_norm input has no elements: torch then returns a copy (scaled by weight[0], shifted by
    bias[0]) without checking the channel dim, so a 1-d `[0]` input is accepted."""
    return any(isinstance(s, int) and s == 0 for s in input.shape)


def _batch_norm_kernel(xp, input, weight, bias, running_mean, running_var, training, momentum, eps,
                       cudnn_enabled):
    if _bn_empty(input):
        return input.copy()
    _bn_check(input, weight, running_mean)
    return _bn_kernel(xp, input, weight, bias, running_mean, running_var, training, momentum, eps)[0]


def _batch_norm_meta(input, weight, bias, running_mean, *rest):
    if not _bn_empty(input):
        _bn_check(input, weight, running_mean)
    return _norm_output_fake(input)


def _batch_norm_decomp(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    if _bn_empty(input):
        out = aten.clone.default(input)
        if weight is not None:
            out = aten.mul.Tensor(out, aten.select.int(weight, 0, 0))
        if bias is not None:
            out = aten.add.Tensor(out, aten.select.int(bias, 0, 0))
        return out
    if not training:
        return aten._native_batch_norm_legit_no_training.default(input, weight, bias, running_mean, running_var,
                                                                  momentum, eps)[0]
    if running_mean is None:
        return aten._native_batch_norm_legit.no_stats(input, weight, bias, True, momentum, eps)[0]
    return aten._native_batch_norm_legit.default(input, weight, bias, running_mean, running_var, True, momentum,
                                                 eps)[0]


# In the plan ep.module() runs, an eval-mode batch_norm whose tensors have static shapes and one float32 or
# float64 dtype had its checks done by its meta function: its specialized kernel is `_bn_eval_fast` alone,
# laid out as worked out at compile time while the input keeps its exported strides (the plan trusts shapes
# and dtypes, not strides; see _conv_specializer).  On small feature maps the checks and the layout test
# cost as much as the two passes over the data.
def _bn_specializer(args, kwargs, donating):
    """(kernel, args) of an eval-mode batch_norm call with static float32/float64 tensors, or None."""
    if kwargs or len(args) != 9 or args[5] is not False:
        return None
    input, weight, bias, mean, var, eps = args[0], args[1], args[2], args[3], args[4], args[7]
    if mean is None or var is None or not static_operands(input, weight, bias, mean, var) \
            or input.dtype.numpy_dtype not in _BLAS_DTYPES or input.ndim < 2 or 0 in tuple(input.shape):
        return None
    exported = byte_strides(input)
    layout = format_like_input(input.shape, input)

    def kernel(xp, input, weight, bias, running_mean, running_var, *rest):
        if xp is not np:
            return _batch_norm_kernel(xp, input, weight, bias, running_mean, running_var, *rest)
        out = _bn_eval_fast(np, input, weight, bias, running_mean, running_var, eps)[0]
        return _laid_out(np, out, layout if input.strides == exported else format_like_input(out.shape, input))
    return kernel, args


register("batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, "
         "bool training, float momentum, float eps, bool cudnn_enabled) -> Tensor",
         meta=_batch_norm_meta, kernel=_batch_norm_kernel, decomposition=_batch_norm_decomp
         ).specialize = _bn_specializer


def _bn_no_training_meta(input, weight, bias, running_mean, running_var, momentum, eps):
    _bn_check(input, weight, running_mean)
    return _bn_meta_outputs(input, False)


def _bn_no_training_kernel(xp, input, weight, bias, running_mean, running_var, momentum, eps):
    _bn_check(input, weight, running_mean)
    out, _, _ = _bn_kernel(xp, input, weight, bias, running_mean, running_var, False, momentum, eps)
    empty = xp.zeros((0,), dtype=input.dtype)
    return out, empty, empty.copy()


register("_native_batch_norm_legit_no_training(Tensor input, Tensor? weight, Tensor? bias, "
         "Tensor running_mean, Tensor running_var, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
         meta=_bn_no_training_meta, kernel=_bn_no_training_kernel, tags=("core",))


def _bn_legit_meta(input, weight, bias, running_mean, running_var, training, momentum, eps):
    _bn_check(input, weight, running_mean)
    return _bn_meta_outputs(input, training)


def _bn_legit_kernel(xp, input, weight, bias, running_mean, running_var, training, momentum, eps):
    _bn_check(input, weight, running_mean)
    out, mean, rstd = _bn_kernel(xp, input, weight, bias, running_mean, running_var, training, momentum, eps)
    if not training:
        empty = xp.zeros((0,), dtype=input.dtype)
        return out, empty, empty.copy()
    return out, mean, rstd


register("_native_batch_norm_legit(Tensor input, Tensor? weight, Tensor? bias, Tensor(a!) running_mean, "
         "Tensor(b!) running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
         meta=_bn_legit_meta, kernel=_bn_legit_kernel, tags=("core",), variants=("function",),
         functional=lambda *args, **kwargs: aten._native_batch_norm_legit_functional.default(*args, **kwargs))
register("_native_batch_norm_legit.no_stats(Tensor input, Tensor? weight, Tensor? bias, bool training, "
         "float momentum, float eps) -> (Tensor, Tensor, Tensor)",
         meta=lambda input, weight, bias, training, momentum, eps: _bn_meta_outputs(input, True),
         kernel=lambda xp, input, weight, bias, training, momentum, eps:
         _bn_kernel(xp, input, weight, bias, None, None, True, momentum, eps), tags=("core",), variants=("function",))


def _bn_functional_kernel(xp, input, weight, bias, running_mean, running_var, training, momentum, eps):
    rm, rv = running_mean.copy(), running_var.copy()
    out, mean, rstd = _bn_legit_kernel(xp, input, weight, bias, rm, rv, training, momentum, eps)
    return out, mean, rstd, rm, rv


register("_native_batch_norm_legit_functional(Tensor input, Tensor? weight, Tensor? bias, Tensor running_mean, "
         "Tensor running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor, "
         "Tensor running_mean_out, Tensor running_var_out)",
         meta=lambda input, weight, bias, rm, rv, training, momentum, eps:
         _bn_meta_outputs(input, training) + (fake_like(rm.shape, rm.dtype, rm), fake_like(rv.shape, rv.dtype, rv)),
         kernel=_bn_functional_kernel)


def _ln_check(shape, normalized_shape):
    k = len(normalized_shape)
    check(k > 0 and len(shape) >= k and tuple(shape[-k:]) == tuple(normalized_shape),
          lambda: f"Given normalized_shape={fmt_shape(normalized_shape)}, expected input with shape "
                  f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{fmt_shape(shape)}")
    return tuple(range(len(shape) - k, len(shape)))


def _standardize(xp, x, axes, eps):
    """(x - mean) * rstd over `axes` in one output buffer, with the statistics kept (keepdims)."""
    mean, out, var = _centered_stats(xp, x, axes)
    var += eps                  # var is a fresh array: rstd = 1 / sqrt(var + eps) is computed in it
    rstd = xp.reciprocal(xp.sqrt(var, out=var), out=var)
    return _in_place(xp, out, rstd, xp.multiply), mean, rstd


def _ln_arrays(xp, input, normalized_shape, weight, bias, eps):
    axes = _ln_check(input.shape, normalized_shape)
    out, mean, rstd = _standardize(xp, input, axes, eps)
    out = _scale_shift(xp, out, weight, bias)
    d = dtype_of(input)
    return out_array(xp, out, d), out_array(xp, mean, d), out_array(xp, rstd, d)


def _ln_stat_shape(shape, normalized_shape):
    k = len(normalized_shape)
    return tuple(shape[:-k]) + (1,) * k


def _layer_norm_meta(input, normalized_shape, *rest, **kwargs):
    _ln_check(tuple(input.shape), normalized_shape)
    return fake_like(input.shape, input.dtype, input)


def _native_layer_norm_meta(input, normalized_shape, weight, bias, eps):
    _ln_check(tuple(input.shape), normalized_shape)
    stats = _ln_stat_shape(input.shape, normalized_shape)
    return (fake_like(input.shape, input.dtype, input), fake_like(stats, input.dtype, input),
            fake_like(stats, input.dtype, input))


def _layer_norm_decomp(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return aten.native_layer_norm.default(input, normalized_shape, weight, bias, eps)[0]


register("layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, Tensor? bias=None, "
         "float eps=1.0000000000000001e-05, bool cudnn_enable=True) -> Tensor",
         meta=_layer_norm_meta,
         kernel=lambda xp, input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True:
         _ln_arrays(xp, input, normalized_shape, weight, bias, eps)[0], decomposition=_layer_norm_decomp)
register("native_layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight, Tensor? bias, float eps) "
         "-> (Tensor, Tensor, Tensor)",
         meta=_native_layer_norm_meta,
         kernel=lambda xp, input, normalized_shape, weight, bias, eps:
         _ln_arrays(xp, input, normalized_shape, weight, bias, eps), tags=("core",), variants=("function",))


def _gn_check(shape, num_groups):
    check(len(shape) >= 2, lambda: f"group_norm: expected at least 2D input, got {fmt_shape(shape)}")
    check(num_groups > 0 and shape[1] % num_groups == 0,
          lambda: f"Expected number of channels in input to be divisible by num_groups, but got input "
                  f"of shape {fmt_shape(shape)} and num_groups={num_groups}")


def _gn_arrays(xp, input, weight, bias, group, eps):
    _gn_check(input.shape, group)
    N, C = input.shape[:2]
    # the group size is spelled out: reshape cannot infer a -1 when the batch is empty
    out, mean, rstd = _standardize(xp, input.reshape((N, group, shape_numel(input.shape[1:]) // group)), (-1,), eps)
    out = _scale_shift(xp, out.reshape(input.shape), weight, bias, (1, C) + (1,) * (input.ndim - 2))
    d = dtype_of(input)
    out = _in_norm_layout(xp, out_array(xp, out, d), input)
    return out, out_array(xp, mean.reshape(N, group), d), out_array(xp, rstd.reshape(N, group), d)


def _group_norm_meta(input, num_groups, *rest, **kwargs):
    _gn_check(tuple(input.shape), num_groups)
    return _norm_output_fake(input)


def _native_group_norm_meta(input, weight, bias, N, C, HxW, group, eps):
    _gn_check(tuple(input.shape), group)
    return (_norm_output_fake(input), fake_like((N, group), input.dtype, input),
            fake_like((N, group), input.dtype, input))


def _group_norm_decomp(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    n, c = input.shape[0], input.shape[1]
    hw = 1
    for s in input.shape[2:]:
        hw = hw * s
    return aten.native_group_norm.default(input, weight, bias, n, c, hw, num_groups, eps)[0]


register("group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, "
         "float eps=1.0000000000000001e-05, bool cudnn_enabled=True) -> Tensor",
         meta=_group_norm_meta,
         kernel=lambda xp, input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True:
         _gn_arrays(xp, input, weight, bias, num_groups, eps)[0], decomposition=_group_norm_decomp)
register("native_group_norm(Tensor input, Tensor? weight, Tensor? bias, SymInt N, SymInt C, SymInt HxW, "
         "int group, float eps) -> (Tensor, Tensor, Tensor)",
         meta=_native_group_norm_meta,
         kernel=lambda xp, input, weight, bias, N, C, HxW, group, eps: _gn_arrays(xp, input, weight, bias, group, eps),
         tags=("core",), variants=("function",))


# ---------------------------------------------------------------- dropout --
def _dropout_check(p):
    check(0 <= p <= 1, lambda: f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(xp, shape, p):
    mask = _random.uniform(shape) >= p
    return xp.asarray(mask) if xp is not np else mask


def _dropout_kernel(xp, input, p, train):
    _dropout_check(p)
    if not train or p == 0:
        return input
    if p == 1:
        return xp.zeros_like(input)
    return out_array(xp, input * _keep_mask(xp, input.shape, p) * (1 / (1 - p)), dtype_of(input))


def _dropout_meta(input, p, train):
    _dropout_check(p)
    return fake_like(input.shape, input.dtype, input)


def _dropout_decomp(input, p, train):
    if train and p > 0:
        return aten.native_dropout.default(input, p, train)[0]
    return aten.clone.default(input)


register("dropout(Tensor input, float p, bool train) -> Tensor",
         meta=_dropout_meta,
         kernel=_dropout_kernel, tags=("may_alias",),
         decomposition=_dropout_decomp)   # returns its input when not training, as torch


def _native_dropout_kernel(xp, input, p, train):
    _dropout_check(p)
    if not train:
        return input.copy(), xp.ones(input.shape, dtype=bool)
    mask = _keep_mask(xp, input.shape, p)
    scale = 0.0 if p == 1 else 1 / (1 - p)
    return out_array(xp, input * mask * scale, dtype_of(input)), mask


register("native_dropout(Tensor input, float p, bool? train) -> (Tensor, Tensor)",
         meta=lambda input, p, train: (fake_like(input.shape, input.dtype, input),
                                       fake_like(input.shape, dt.bool, input)),
         kernel=_native_dropout_kernel, tags=("core",))


# -------------------------------------------------------------- attention --
def _sdpa_shape(q, k, v, enable_gqa):
    check(len(q) >= 2 and len(k) >= 2 and len(v) >= 2, "scaled_dot_product_attention: inputs must be at least 2-D")
    check(q[-1] == k[-1], lambda: f"scaled_dot_product_attention: query and key must have the same embedding "
                                  f"size, got {q[-1]} and {k[-1]}")
    check(k[-2] == v[-2], lambda: f"scaled_dot_product_attention: key and value must have the same sequence "
                                  f"length, got {k[-2]} and {v[-2]}")
    if enable_gqa and len(q) >= 3:
        check(q[-3] % k[-3] == 0, "number of heads in key/value must divide the number of heads in query")
    return tuple(q[:-1]) + (v[-1],)


# The causal masks depend only on sizes, dtype and device, and a model asks for the
# same ones in every layer of every call: keep the few most recently used, read-only.
_CAUSAL_MASKS = {}
_CAUSAL_MASKS_MAX = 8


def _remembered_mask(xp, key, build):
    """The cached mask under `key`, built by build() on a miss (least recently used dropped first)."""
    mask = _CAUSAL_MASKS.pop(key, None)
    if mask is None:
        if len(_CAUSAL_MASKS) >= _CAUSAL_MASKS_MAX:
            _CAUSAL_MASKS.pop(next(iter(_CAUSAL_MASKS)))
        mask = build()
        if xp is np:
            mask.flags.writeable = False
    _CAUSAL_MASKS[key] = mask          # (re)inserted last: the least recently used goes first
    return mask


def _causal_hidden(xp, L, S, like):
    """The cached bool [L, S] mask of the positions causal attention hides (above the diagonal)."""
    return _remembered_mask(xp, (L, S, device_of_array(like)),
                            lambda: xp.triu(xp.ones((L, S), dtype=bool), 1))


# Up to this many elements the corner mask is stored at full size (a plain add, 4x faster
# than one broadcast over the batch dims); above it, broadcast.  (The GPT benchmark's is
# 31K; the cap bounds what the cache holds: 8 masks of at most 512 KiB.)
_CORNER_FULL_MAX = 1 << 16


def _causal_corner(xp, step, lead, like):
    """The additive mask (0 seen, -inf hidden) of a causal block's corner, keys-first
    [step - 1, *lead, step]: key a+1+r is hidden from query a+i when i <= r."""
    full = (step - 1) * shape_numel(lead) * step <= _CORNER_FULL_MAX
    shape = (step - 1,) + (lead if full else (1,) * len(lead)) + (step,)

    def build():
        tri = xp.tri(step - 1, step, 0, dtype=bool).reshape((step - 1,) + (1,) * len(lead) + (step,))
        return xp.ascontiguousarray(xp.broadcast_to(xp.where(tri, -np.inf, 0).astype(like.dtype), shape))
    return _remembered_mask(xp, ("corner", step, shape, like.dtype, device_of_array(like)), build)


def _sdpa_kernel(xp, query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, scale=None,
                 enable_gqa=False):
    _sdpa_shape(query.shape, key.shape, value.shape, enable_gqa)
    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key, value = xp.repeat(key, rep, axis=-3), xp.repeat(value, rep, axis=-3)
    s = (1 / math.sqrt(E)) if scale is None else scale
    if attn_mask is None and dropout_p == 0:
        if _blockable(query, key, value):
            return _sdpa_blocks(xp, query, key, value, s, is_causal)
        return _sdpa_keys_first(xp, query, key, value, s, is_causal)
    # scores is a fresh buffer owned here: scaling, masking and softmax all write into it
    scores = xp.matmul(query, xp.swapaxes(key, -1, -2))
    scores *= s
    if is_causal:
        check(attn_mask is None, "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                                 "is_causal=True")
        xp.copyto(scores, -np.inf, where=_causal_hidden(xp, L, S, scores))
    hidden_rows = None
    if attn_mask is not None:
        if attn_mask.dtype == np.bool_:
            scores = xp.where(attn_mask, scores, -np.inf)
        else:
            scores = scores + attn_mask
        # a query whose every key is masked out attends to nothing: torch gives it zeros, not NaN
        # (causal masking alone always leaves key 0 visible)
        hidden_rows = scores.max(axis=-1, keepdims=True) == -np.inf
    w = _softmax_array(xp, scores.astype(query.dtype, copy=False), -1, False, inplace=True)
    if hidden_rows is not None and hidden_rows.any():
        w = xp.where(hidden_rows, xp.zeros((), w.dtype), w)
    if dropout_p > 0:
        w = w * _keep_mask(xp, w.shape, dropout_p) * (1 / (1 - dropout_p))
        return out_array(xp, xp.matmul(w, value), dtype_of(query))
    return _attention_output(xp, w, value, query)


def _blockable(query, key, value):
    """Whether `_sdpa_blocks` takes these: q, k, v share their batch dims and dtype (no broadcasting or
    promotion in the products), there is a key to attend to, and the scores are wide and many enough."""
    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    if L < 2 or S < 1 or E < 1:
        return False
    wide = query.size // E          # batch * L
    if wide < _WIDE_MIN or wide * S < _BLOCKS_MIN_SCORES:
        return False
    lead = query.shape[:-2]
    return key.shape[:-2] == lead and value.shape[:-2] == lead and query.dtype == key.dtype == value.dtype


# `_sdpa_blocks` reduces rows of batch * L scores; narrower ones (and one query, whose
# [*batch, S, 1] scores `_sdpa_keys_first` reduces along contiguous keys) go the
# keys-first way, measured as fast or faster there (1.2-1.7x at L = 1), and so do
# fewer scores than _BLOCKS_MIN_SCORES, where its ~10 us more of Python per call is
# more than it saves (measured even at [1, 4, 64, 64]).
_WIDE_MIN = 16
_BLOCKS_MIN_SCORES = 1 << 15


# A causal block takes at least _BLOCK_MIN queries (smaller products lose BLAS speed), and
# enough that its rows of scores (batch * queries elements) are _BLOCK_ROW long: each
# block costs ~10 NumPy calls, which short rows do not repay.  (Measured best or within
# 3% of the best block size at batch*heads 1..128, L 32..1024.)
_BLOCK_MIN = 16
_BLOCK_ROW = 512


def _query_block(L, rows, is_causal):
    """How many queries each block of `_sdpa_blocks` takes (all of them: one block)."""
    if not is_causal:
        return L
    return min(L, max(_BLOCK_MIN, -(-_BLOCK_ROW // max(rows, 1))))


# Without a mask or dropout the scores are laid out keys-first as [S, *batch, L]: the
# product key @ query^T writes them there itself (out=), and every softmax step (max,
# shift, exp, sum, scale over axis 0) is then one pass over contiguous rows of
# batch * L elements, which NumPy vectorizes fully (measured at [16, 8, 64, 32]
# float32: 3-5x faster steps than reducing the 64-long rows of [*batch, L, S] or
# [*batch, S, L]).  Causal attention runs in blocks of queries, each against only the
# keys it can see (top-left aligned: query i sees keys 0..i), so the fully hidden part
# of the scores (up to half) is never computed and only the block's diagonal corner
# needs masking.  Each block's output is written in place (out=) into the output,
# laid out as torch lays it out.
def _sdpa_blocks(xp, query, key, value, s, is_causal):
    """softmax(q k^T * s [causal]) v for q, k, v with the same batch dims, block by block."""
    L, S = query.shape[-2], key.shape[-2]
    lead = tuple(query.shape[:-2])
    rows = shape_numel(lead)
    out = _attention_empty(xp, lead + (L, value.shape[-1]), query)
    step = _query_block(L, rows, is_causal)
    buf = buffers.empty(xp, (S * rows * step,), query.dtype)
    corner = _causal_corner(xp, step, lead, query) if is_causal and min(L, S) > 1 else None
    query_t = xp.swapaxes(query, -1, -2)
    batch = tuple(range(1, len(lead) + 1))
    as_scores, as_weights = batch + (0, len(lead) + 1), batch + (len(lead) + 1, 0)   # transposes of a block
    with np.errstate(invalid="ignore"):     # (non-finite scores: the exact path's NaNs, without warnings)
        for a in range(0, L, step):
            b = min(a + step, L)
            seen = min(b, S) if is_causal else S
            scores = buf[:seen * rows * (b - a)].reshape((seen,) + lead + (b - a,))
            xp.matmul(key[..., :seen, :], query_t[..., a:b], out=scores.transpose(as_scores))
            scores *= s
            if is_causal and seen > a + 1:
                # keys a+1 .. seen-1 are hidden from the block's first queries (its diagonal corner).
                # Adding -inf there equals writing -inf unless a score there is +inf or NaN, which
                # makes its column's max non-finite: that block is then redone with the exact mask
                hidden = scores[a + 1:seen]
                xp.add(hidden, corner[:seen - a - 1, ..., :b - a], out=hidden)
            m = scores.max(axis=0, keepdims=True)
            if xp.isfinite(m).all():
                w = _softmax_shifted(xp, scores, m, 0, False, True)
            else:
                w = _exact_block(xp, key, query_t, scores, s, is_causal, a, b, seen, as_scores)
            xp.matmul(w.transpose(as_weights), value[..., :seen, :], out=out[..., a:b, :])
    return out


def _exact_block(xp, key, query_t, scores, s, is_causal, a, b, seen, as_scores):
    """The softmax of one block's scores, recomputed with the causal mask written (non-finite scores)."""
    xp.matmul(key[..., :seen, :], query_t[..., a:b], out=scores.transpose(as_scores))
    scores *= s
    if is_causal:
        hidden = _causal_hidden(xp, query_t.shape[-1], key.shape[-2], scores).T[:seen, a:b]
        xp.copyto(scores, -np.inf, where=hidden.reshape(hidden.shape[:1] + (1,) * (scores.ndim - 2)
                                                        + hidden.shape[1:]))
    return _softmax_array(xp, scores, 0, False, inplace=True)


# Attention's rows are short (S keys), and NumPy reduces along the last axis one row
# at a time.  Laid out keys-first ([..., S, L], from key @ query^T) the softmax
# reduces along axis -2, which NumPy vectorizes across the contiguous L queries:
# twice as fast.  The scores are a fresh buffer owned here, so scaling, masking
# and the softmax all write into it, and the second product reads it transposed.
def _sdpa_keys_first(xp, query, key, value, s, is_causal):
    """softmax(q k^T * s [causal]) v, without an attention mask or dropout."""
    L, S = query.shape[-2], key.shape[-2]
    scores = xp.matmul(key, xp.swapaxes(query, -1, -2))
    scores *= s
    if is_causal:
        xp.copyto(scores, -np.inf, where=_causal_hidden(xp, L, S, scores).T)
    w = _softmax_array(xp, scores, -2, False, inplace=True)
    return _attention_output(xp, xp.swapaxes(w, -1, -2), value, query)


# torch's CPU attention kernel (used when there is no dropout) writes its output densely
# in the query's order of dims when the query has a unit last stride: for a 4-D
# query viewed from a [B, L, H, E] tensor (as `x.view(B, L, H, E).transpose(1, 2)`
# makes), the output is laid out [B, L, H, Ev] too, so transpose(1, 2) of it is
# contiguous.  Programs torch exported rely on it: they view() that transpose
# without a copy.
def _attention_strides(shape, query_shape, query_strides):
    """The attention output's strides (None: contiguous) for a query of that shape and strides."""
    if not _fused_layout(shape, query_shape) or not sure(query_strides[-1] == 1, False):
        return None
    # dense, in the query's order of dims (a symbolic stride by its example value: an order must not guard)
    order = sorted(range(4), key=lambda d: (getattr(query_strides[d], "hint", query_strides[d]), -d))
    return dense_strides(tuple(shape), order)


def _fused_layout(shape, query_shape):
    """Whether torch's fused CPU kernel makes an attention output of `shape` for this query (4-D, and the
    value's head size equal to the query's): only its output follows the query's layout; otherwise the
    output is contiguous."""
    return len(shape) == 4 and len(query_shape) == 4 and sure(shape[-1] == query_shape[-1], False)


def _attention_order(query, shape):
    """The order of dims (fastest first) torch lays a 4-D attention output of `shape` out in; None:
    contiguous."""
    if not _fused_layout(shape, query.shape) or query.flags.c_contiguous or query.strides[-1] != query.itemsize:
        return None
    st = query.strides
    return sorted(range(4), key=lambda d: (st[d], -d))


def _attention_empty(xp, shape, query):
    """An uninitialized attention output of `shape` (the query's dtype), laid out as torch lays it out."""
    order = _attention_order(query, shape)
    if order is None:
        return buffers.empty(xp, tuple(shape), query.dtype)
    return _dense_in_order(xp, shape, order, query.dtype)


def _dense_in_order(xp, shape, order, dtype):
    """An uninitialized 4-D array of `shape`, dense with dims `order` from the fastest-moving."""
    # a dense array in that order is a contiguous one with its dims permuted (cheaper than as_strided)
    outer = order[::-1]
    return buffers.empty(xp, tuple(shape[d] for d in outer), dtype).transpose([outer.index(d) for d in range(4)])


def _attention_output(xp, weights, value, query):
    """weights @ value, in the memory layout torch gives the attention output for this query."""
    shape = tuple(weights.shape[:-1]) + (value.shape[-1],)
    order = _attention_order(query, shape) if weights.dtype == query.dtype and len(shape) == 4 else None
    if order is None:
        return out_array(xp, xp.matmul(weights, value), dtype_of(query))
    out = _dense_in_order(xp, shape, order, query.dtype)
    xp.matmul(weights, value, out=out)
    return out


def _sdpa_decomp(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, scale=None,
                 enable_gqa=False):
    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = _repeat_heads(key, rep)
        value = _repeat_heads(value, rep)
    # as torch's math attention: q and k^T each scaled by sqrt(scale), a bool (or causal) mask made additive
    # (in torch's order: a given bool mask converted first, the causal one after q is scaled)
    root = math.sqrt((1 / math.sqrt(E)) if scale is None else scale)
    mask = attn_mask
    if mask is not None and mask.dtype is dt.bool:
        mask = _additive_mask(mask, query.dtype)
    query = aten.mul.Scalar(query, root)
    if is_causal:
        mask = _additive_mask(aten.tril.default(aten.full.default([L, S], True, dtype=dt.bool, device=query.device)),
                              query.dtype)
    scores = aten.matmul.default(query, aten.mul.Scalar(aten.transpose.int(key, -2, -1), root))
    if mask is not None:
        scores = aten.add.Tensor(scores, mask)
    weights = aten._softmax.default(scores, -1, False)
    # torch's safe softmax: a row whose every score is -inf (a query with every key masked out) gets zeros
    hidden = aten.logical_not.default(aten.any.dim(aten.logical_not.default(aten.eq.Scalar(scores, float("-inf"))),
                                                   -1, True))
    weights = aten.where.self(hidden, aten.full_like.default(weights, 0), weights)
    if dropout_p > 0:
        weights = aten.native_dropout.default(weights, dropout_p, True)[0]
        return aten.matmul.default(weights, value)
    out = aten.matmul.default(weights, value)
    if not _fused_layout(tuple(out.shape), tuple(query.shape)):
        return out
    # torch decomposes 4-D attention without dropout through its fused CPU kernel, whose
    # output is laid out [L, B, H, Ev]; the program records that layout as a
    # permute / contiguous clone / permute tail, and later views rely on it
    laid_out = aten.clone.default(aten.permute.default(out, [2, 0, 1, 3]), memory_format="contiguous_format")
    return aten.permute.default(laid_out, [1, 2, 0, 3])


def _additive_mask(mask, dtype):
    """A bool attention mask as torch's math attention adds it: 0 where attended, -inf where masked out."""
    hidden = aten.scalar_tensor.default(float("-inf"), dtype=dtype, device=mask.device)
    return aten.where.self(mask, aten.scalar_tensor.default(0.0, dtype=dtype, device=mask.device), hidden)


_SDPA_KNOWN = geometry_memo()     # static key -> the output's geometry (see `static_key`)


def _sdpa_meta(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, scale=None,
               enable_gqa=False):
    """The output's shape, and the layout `_attention_output` gives it (the query's order of heads/positions)."""
    # the output's geometry depends on the three geometries, whether dropout_p is 0 and whether enable_gqa
    # is set, and nothing else (dtype and device are the query's); static ones are remembered
    static = static_key((query, key, value), (), (dropout_p == 0, bool(enable_gqa)))
    return remembered(_SDPA_KNOWN, static, query, lambda: _sdpa_fake(query, key, value, dropout_p, enable_gqa))


def _sdpa_fake(query, key, value, dropout_p, enable_gqa):
    shape = _sdpa_shape(tuple(query.shape), tuple(key.shape), tuple(value.shape), enable_gqa)
    strides = None
    if dropout_p == 0 and query._strides is not None:
        strides = _attention_strides(shape, query.shape, query.stride())
    return make_fake(shape, query.dtype, query.device, strides=strides)


register("scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None, "
         "float dropout_p=0., bool is_causal=False, *, float? scale=None, bool enable_gqa=False) -> Tensor",
         meta=_sdpa_meta, kernel=_sdpa_kernel, decomposition=_sdpa_decomp)
