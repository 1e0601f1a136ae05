"""Array helpers copied, function by function, into generated modules (they import only `xp`).

Each function here is self-contained: it uses only `xp` (NumPy or CuPy, bound
at the top of the generated file), `math`, and the other helpers it names in
`NEEDS`, and `_erf` (the generator inlines `minexport/runtime/special.py`,
itself pure NumPy, on CPU and binds CuPy's erf on CUDA; `_gelu` calls that
file's `gelu32` only when `xp` is NumPy).  The generator
copies the source of the helpers a program uses with `inspect.getsource`, so
this file is the one source of truth for them and its functions run here as
ordinary NumPy code.
"""
import math

import numpy as xp

from ..runtime.special import erf as _erf, gelu32   # the generator inlines runtime/special.py (or CuPy's erf)

__all__ = ["NEEDS"]

# helper -> helpers its body calls (copied along with it)
NEEDS = {"_max_pool": ("_windows",), "_conv": ("_windows",), "_gelu": ("_erf",),
         "_conv_transpose": ("_conv", "_pad"), "_avg_pool": ("_windows",),
         "_upsample_bilinear": ("_src_index",)}


def _windows(x, kernel, stride, dilation):
    """A read-only view (N, C, *out, *kernel) of x's sliding windows over its trailing len(kernel) dims."""
    nd = len(kernel)
    sp = x.shape[2:]
    out = [(sp[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    st = x.strides
    shape = tuple(x.shape[:2]) + tuple(out) + tuple(kernel)
    strides = tuple(st[:2]) + tuple(st[2 + i] * stride[i] for i in range(nd)) + \
        tuple(st[2 + i] * dilation[i] for i in range(nd))
    return xp.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def _conv(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    """aten.convolution (not transposed): im2col windows times the weight as one batched matmul per group."""
    nd = w.ndim - 2
    stride, padding, dilation = ([v[0]] * nd if len(v) == 1 else list(v) for v in (stride, padding, dilation))
    if any(padding):
        x = xp.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    n, c = x.shape[:2]
    o, k = w.shape[0], tuple(w.shape[2:])
    cols = _windows(x, k, stride, dilation)
    out_sp = cols.shape[2:2 + nd]
    p, kk, cg, og = math.prod(out_sp), math.prod(k), c // groups, o // groups
    # (N, G, Cg, *out, *k) -> (N, G, P, Cg*K): the copy that im2col needs
    cols = cols.reshape((n, groups, cg) + tuple(out_sp) + k)
    cols = xp.moveaxis(cols.reshape(n, groups, cg, p, kk), 3, 2).reshape(n, groups, p, cg * kk)
    wg = w.reshape(groups, og, cg * kk)
    y = xp.matmul(cols, xp.swapaxes(wg, 1, 2))            # (N, G, P, Og)
    y = xp.swapaxes(y, 2, 3).reshape((n, o) + tuple(out_sp))
    if b is not None:
        y += b.reshape((o,) + (1,) * nd)
    return xp.ascontiguousarray(y)


def _conv_transpose(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    """aten.convolution with transposed=True: zeros between the input's elements (stride), padding of
    dilation*(k-1)-padding (output_padding more on the right), then a plain convolution with the weight's
    in/out channels swapped per group and its window flipped."""
    nd = w.ndim - 2
    stride, padding, dilation, output_padding = ([v[0]] * nd if len(v) == 1 else list(v)
                                                 for v in (stride, padding, dilation, output_padding))
    n, cin = x.shape[:2]
    k = w.shape[2:]
    spread = xp.zeros((n, cin) + tuple((x.shape[2 + i] - 1) * stride[i] + 1 for i in range(nd)), dtype=x.dtype)
    spread[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)] = x
    pad = []
    for i in reversed(range(nd)):        # constant_pad_nd order: last dim first
        edge = dilation[i] * (k[i] - 1) - padding[i]
        pad += [edge, edge + output_padding[i]]
    spread = _pad(spread, pad, 0)
    cout_g = w.shape[1]
    wg = w.reshape((groups, cin // groups, cout_g) + tuple(k))
    wg = xp.swapaxes(wg, 1, 2).reshape((groups * cout_g, cin // groups) + tuple(k))
    wg = xp.flip(wg, axis=tuple(range(2, 2 + nd)))
    return _conv(spread, xp.ascontiguousarray(wg), b, [1] * nd, [0] * nd, dilation, False, [0] * nd, groups)


def _max_pool(x, kernel, stride, padding, dilation, ceil_mode):
    """aten.max_pool{1,2,3}d_with_indices: (values, int64 indices into each plane's flattened input)."""
    nd = len(kernel)
    squeeze = x.ndim == nd + 1
    if squeeze:
        x = x[None]
    stride = (list(stride) if not isinstance(stride, int) else [stride]) or list(kernel)
    kernel, stride, padding, dilation = ([v] * nd if isinstance(v, int) else [v[0]] * nd if len(v) == 1 else list(v)
                                         for v in (kernel, stride, padding, dilation))
    sp = x.shape[2:]
    out = []
    for i in range(nd):
        span = sp[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1
        o = (-(-span // stride[i]) if ceil_mode else span // stride[i]) + 1
        if ceil_mode and (o - 1) * stride[i] >= sp[i] + padding[i]:
            o -= 1
        out.append(o)
    right = [max(padding[i], (out[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - sp[i] - padding[i])
             for i in range(nd)]
    fill = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
    xpad = xp.pad(x, [(0, 0), (0, 0)] + [(padding[i], right[i]) for i in range(nd)], constant_values=fill)
    win = _windows(xpad, kernel, stride, dilation)
    win = win.reshape(win.shape[:2 + nd] + (-1,))
    arg = xp.argmax(win, axis=-1)
    values = xp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    # window position -> input coordinate per dim, then the flat index in the unpadded plane
    ks = xp.unravel_index(arg, kernel)
    flat = xp.zeros(arg.shape, dtype=xp.int64)
    for i in range(nd):
        shape = [1] * (2 + nd)
        shape[2 + i] = out[i]
        start = (xp.arange(out[i]) * stride[i] - padding[i]).reshape(shape)
        flat = flat * sp[i] + start + ks[i] * dilation[i]
    if squeeze:
        return values[0], flat[0]
    return values, flat


def _adaptive_avg_pool(x, size):
    """aten._adaptive_avg_pool{1,2,3}d: each output cell averages [floor(i*n/o), ceil((i+1)*n/o))."""
    nd = len(size)
    for i in range(nd):
        axis = x.ndim - nd + i
        n, o = x.shape[axis], size[i]
        if n % o == 0:
            shape = x.shape[:axis] + (o, n // o) + x.shape[axis + 1:]
            x = x.reshape(shape).mean(axis=axis + 1)
            continue
        parts = [xp.take(x, xp.arange((j * n) // o, -(-((j + 1) * n) // o)), axis=axis).mean(axis=axis, keepdims=True)
                 for j in range(o)]
        x = xp.concatenate(parts, axis=axis)
    return x


def _softmax(x, dim):
    """softmax along dim, shifted by the max for stability."""
    e = xp.exp(x - x.max(axis=dim, keepdims=True))
    e /= e.sum(axis=dim, keepdims=True)
    return e


def _log_softmax(x, dim):
    """log_softmax along dim."""
    s = x - x.max(axis=dim, keepdims=True)
    return s - xp.log(xp.exp(s).sum(axis=dim, keepdims=True))


def _layer_norm(x, normalized_shape, w, b, eps):
    """aten.native_layer_norm: (out, mean, rstd) over the trailing len(normalized_shape) dims."""
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    d = x - mean
    var = (d * d).mean(axis=axes, keepdims=True)
    rstd = 1 / xp.sqrt(var + eps)
    out = d * rstd
    if w is not None:
        out *= w
    if b is not None:
        out += b
    return out, mean, rstd


def _group_norm(x, w, b, n, c, hw, group, eps):
    """aten.native_group_norm: (out, mean, rstd), statistics per (sample, group)."""
    g = x.reshape(n, group, (c // group) * hw)
    mean = g.mean(axis=2, keepdims=True)
    d = g - mean
    rstd = 1 / xp.sqrt((d * d).mean(axis=2, keepdims=True) + eps)
    out = (d * rstd).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if w is not None:
        out = out * w.reshape(shape)
    if b is not None:
        out = out + b.reshape(shape)
    return out, mean.reshape(n, group), rstd.reshape(n, group)


def _batch_norm_eval(x, w, b, mean, var, eps):
    """aten._native_batch_norm_legit_no_training: normalize by the running statistics."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    scale = 1 / xp.sqrt(var + eps)
    if w is not None:
        scale = scale * w
    out = (x - mean.reshape(shape)) * scale.reshape(shape)
    if b is not None:
        out += b.reshape(shape)
    empty = xp.zeros((0,), dtype=x.dtype)
    return out, empty, empty


def _batch_norm_batch_stats(x, w, b, eps):
    """aten._native_batch_norm_legit.no_stats: normalize by the batch's statistics; (out, mean, rstd)."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes)
    d = x - mean.reshape(shape)
    rstd = 1 / xp.sqrt((d * d).mean(axis=axes) + eps)
    out = d * rstd.reshape(shape)
    if w is not None:
        out *= w.reshape(shape)
    if b is not None:
        out += b.reshape(shape)
    return out, mean, rstd


def _gelu(x, approximate):
    """x * Phi(x), exact (erf) or with the tanh approximation."""
    if xp.__name__ == "numpy" and x.dtype == xp.float32 and x.flags.c_contiguous:
        # the interpreter's chunked float32 kernel (gelu32, inlined with runtime/special.py on CPU)
        return gelu32(x, xp.empty(x.shape, xp.float32), approximate)
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + xp.tanh(inner))
    return (0.5 * x * (1 + _erf(x * (1 / math.sqrt(2))))).astype(x.dtype)


def _sigmoid(x):
    """1 / (1 + exp(-x)) without overflow warnings for large |x|."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def _index(x, indices):
    """aten.index.Tensor: NumPy's advanced indexing, a None index keeping its dim whole."""
    return x[tuple(slice(None) if i is None else i for i in indices)]


def _squeeze(x, dims):
    """aten.squeeze.dims: drop the listed dims that have size 1 (others stay, as torch does)."""
    dims = tuple(d % x.ndim for d in dims if x.ndim and x.shape[d % x.ndim] == 1)
    return xp.squeeze(x, axis=dims) if dims else x


def _expand(x, size):
    """aten.expand: broadcast to size, -1 keeping a dim."""
    lead = len(size) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(size))
    return xp.broadcast_to(x, shape)


def _split(x, sizes, dim):
    """aten.split_with_sizes: views of x along dim."""
    cuts, at = [], 0
    for s in sizes[:-1]:
        at += s
        cuts.append(at)
    return xp.split(x, cuts, axis=dim)


def _pad(x, pad, value):
    """aten.constant_pad_nd: pad pairs from the last dim backwards; negative pads crop."""
    pairs = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        pairs[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
    y = xp.pad(x, grow, constant_values=value)
    crop = tuple(slice(-lo if lo < 0 else 0, y.shape[i] + hi if hi < 0 else None)
                 for i, (lo, hi) in enumerate(pairs))
    return y[crop]


def _src_index(n_in, n_out, scale, align_corners):
    """Source coordinates (float64) of the n_out output positions for linear interpolation."""
    i = xp.arange(n_out, dtype=xp.float64)
    if align_corners:
        return i * ((n_in - 1) / (n_out - 1)) if n_out > 1 else i * 0
    s = (1 / scale) if scale else n_in / n_out
    return xp.maximum((i + 0.5) * s - 0.5, 0)


def _upsample_bilinear(x, output_size, align_corners, scale_factors):
    """aten.upsample_bilinear2d.vec."""
    h, w = x.shape[-2:]
    sf = list(scale_factors) if scale_factors else [None, None]
    oh, ow = output_size if output_size else (int(h * sf[0]), int(w * sf[1]))
    y = x
    for axis, n_in, n_out, s in ((-2, h, oh, sf[0]), (-1, w, ow, sf[1])):
        src = _src_index(n_in, n_out, s, align_corners)
        i0 = xp.minimum(xp.floor(src).astype(xp.int64), n_in - 1)
        i1 = xp.minimum(i0 + 1, n_in - 1)
        lam = (src - i0).astype(x.dtype)
        shape = [1] * x.ndim
        shape[axis] = n_out
        lam = lam.reshape(shape)
        y = xp.take(y, i0, axis=axis) * (1 - lam) + xp.take(y, i1, axis=axis) * lam
    return y


def _upsample_nearest(x, output_size, scale_factors):
    """aten.upsample_nearest{1,2,3}d.vec: source index floor(i * in / out), clamped."""
    nd = len(output_size) if output_size else len(scale_factors)
    y = x
    for k in range(nd):
        axis = x.ndim - nd + k
        n_in = x.shape[axis]
        if output_size:
            n_out, scale = output_size[k], n_in / output_size[k]
        else:
            n_out, scale = int(n_in * scale_factors[k]), 1 / scale_factors[k]
        src = xp.minimum(xp.floor(xp.arange(n_out) * scale).astype(xp.int64), n_in - 1)
        y = xp.take(y, src, axis=axis)
    return y


def _var(x, dim, correction, keepdim):
    """Variance over dim (None or [] = all) with the given correction."""
    axes = tuple(dim) if dim else None
    n = x.size if axes is None else math.prod(x.shape[d] for d in axes)
    m = x.mean(axis=axes, keepdims=True)
    d = x - m
    s = (d * d).sum(axis=axes, keepdims=keepdim)
    return s / max(n - correction, 0) if n - correction > 0 else s * xp.nan


def _vector_norm(x, ord, dim, keepdim):
    """The ord-norm of x over dim (None or [] = all): max/min |x| at +-inf, the nonzero count at 0."""
    axes = tuple(dim) if dim else None
    a = xp.abs(x)
    if ord == math.inf:
        return a.max(axis=axes, keepdims=keepdim)
    if ord == -math.inf:
        return a.min(axis=axes, keepdims=keepdim)
    if ord == 0:
        return (a != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
    if ord == 1:
        return a.sum(axis=axes, keepdims=keepdim)
    if ord == 2:
        return xp.sqrt((a * a).sum(axis=axes, keepdims=keepdim))
    return (a ** ord).sum(axis=axes, keepdims=keepdim) ** (1.0 / ord)


def _scatter_assign(x, index, src, dim):
    """A copy of x with src written where index points along dim (aten.scatter.src)."""
    out = x.copy()
    src = src[tuple(slice(0, s) for s in index.shape)]     # only the part of src the index covers
    xp.put_along_axis(out, index, src, axis=dim)
    return out


def _int_pow(a, b):
    """Integer power as torch takes it: a negative exponent gives 1 for base 1, +-1 for base -1, else 0."""
    a, b = xp.broadcast_arrays(xp.asarray(a), xp.asarray(b))
    neg = b < 0
    r = xp.power(a, xp.where(neg, 0, b).astype(b.dtype))
    alt = xp.where(a == 1, 1, xp.where(a == -1, xp.where(b % 2 == 0, 1, -1), 0))
    return xp.where(neg, alt, r).astype(r.dtype)


def _cat(tensors, dim):
    """aten.cat: 1-d empty tensors are skipped (torch's legacy rule), the rest joined along dim."""
    kept = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or list(tensors)
    return xp.concatenate(kept, axis=dim)


def _arange(start, end, step, dtype):
    """aten.arange.start_step as torch computes it: the length is ceil((end - start) / step) in float64
    (for int64, of the bounds and step truncated to ints first); an integer dtype's values are the truncated
    start plus i times the truncated step, a float dtype's start + i*step in float64, then cast."""
    dtype = xp.dtype(dtype)
    if dtype.kind in "iub":
        s, e, st = int(start), int(end), int(step)
        n = math.ceil((e - s) / st) if dtype == xp.int64 else math.ceil((end - start) / step)
        return (s + xp.arange(max(n, 0), dtype=xp.int64) * st).astype(dtype)
    n = max(math.ceil((end - start) / step), 0)
    return (start + xp.arange(n, dtype=xp.float64) * step).astype(dtype)


def _avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """aten.avg_pool{1,2,3}d: window sums over zero padding, divided as torch divides (the window's
    extent inside the padded input, or inside the input alone, or divisor_override)."""
    nd = len(kernel) if not isinstance(kernel, int) else 1
    squeeze = x.ndim == nd + 1
    if squeeze:
        x = x[None]
    kernel, padding = ([v] * nd if isinstance(v, int) else [v[0]] * nd if len(v) == 1 else list(v)
                       for v in (kernel, padding))
    stride = ([stride] * nd if isinstance(stride, int) else list(stride)) or list(kernel)
    stride = [stride[0]] * nd if len(stride) == 1 else stride
    sp = x.shape[2:]
    out, right = [], []
    for i in range(nd):
        span = sp[i] + 2 * padding[i] - kernel[i]
        o = (-(-span // stride[i]) if ceil_mode else span // stride[i]) + 1
        if ceil_mode and (o - 1) * stride[i] >= sp[i] + padding[i]:
            o -= 1
        out.append(o)
        right.append(max(padding[i], (o - 1) * stride[i] + kernel[i] - sp[i] - padding[i]))
    pads = [(0, 0), (0, 0)] + [(padding[i], right[i]) for i in range(nd)]
    total = _windows(xp.pad(x, pads), kernel, stride, [1] * nd).sum(axis=tuple(range(-nd, 0)))
    if divisor_override:
        return (total / divisor_override).astype(x.dtype)
    # the divisor counts the window cells inside the input (+ its padding when count_include_pad)
    inside = xp.zeros((1, 1) + tuple(sp[i] + padding[i] + right[i] for i in range(nd)), dtype=x.dtype)
    if count_include_pad:
        inside[(slice(None), slice(None)) + tuple(slice(0, sp[i] + 2 * padding[i]) for i in range(nd))] = 1
    else:
        inside[(slice(None), slice(None)) + tuple(slice(padding[i], padding[i] + sp[i]) for i in range(nd))] = 1
    count = _windows(inside, kernel, stride, [1] * nd).sum(axis=tuple(range(-nd, 0)))
    y = (total / count).astype(x.dtype)
    return y[0] if squeeze else y


def _pad_mode(x, pad, mode):
    """reflection_pad / replication_pad: pad pairs from the last dim backwards, NumPy's 'reflect' / 'edge';
    a negative pad crops the padded result (as torch's index mapping does)."""
    pairs = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        pairs[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    y = xp.pad(x, [(max(lo, 0), max(hi, 0)) for lo, hi in pairs], mode=mode)
    crop = (slice(-lo if lo < 0 else 0, y.shape[i] + hi if hi < 0 else None) for i, (lo, hi) in enumerate(pairs))
    return y[tuple(crop)]


def _scatter_value(x, index, value, dim):
    """aten.scatter.value: a copy of x with value written where index points along dim."""
    out = x.copy()
    xp.put_along_axis(out, index, xp.asarray(value, dtype=x.dtype), axis=dim)
    return out


def _scatter_add(x, index, src, dim):
    """aten.scatter_add: a copy of x with src's covered part added where index points (repeats add up)."""
    out = x.copy()
    where = list(xp.indices(index.shape, sparse=True))
    where[dim] = index
    xp.add.at(out, tuple(where), src[tuple(slice(0, s) for s in index.shape)])
    return out


def _select_scatter(x, src, dim, index):
    """aten.select_scatter: a copy of x with src written at position index of dim."""
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (index,)] = src
    return out


def _slice_scatter(x, src, dim, start, end, step):
    """aten.slice_scatter: a copy of x with src written over x[start:end:step] along dim."""
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (slice(start, end, step),)] = src
    return out


def _sort(x, dim, descending):
    """aten.sort: (values, int64 indices), stable; descending puts NaN first, as torch does."""
    if x.ndim == 0:
        return x.copy(), xp.zeros((), dtype=xp.int64)
    key = x
    if descending:
        # reverse, stable-sort ascending, reverse back: equal keys keep their order, NaN leads
        rev = xp.flip(x, axis=dim)
        idx = xp.flip(xp.argsort(rev, axis=dim, kind="stable"), axis=dim)
        idx = x.shape[dim] - 1 - idx
    else:
        idx = xp.argsort(key, axis=dim, kind="stable")
    return xp.take_along_axis(x, idx, axis=dim), idx.astype(xp.int64)
