"""Pooling beyond nn_ops' 2-D forward ops: 1-D/3-D pools, adaptive pools, max_unpool, and the
pooling backward ops.

Every pool here works on the last `n` dims of a batched or unbatched input; one n-d
window helper (`_pool_windows`, a strided view of the padded input) serves max and
average pooling of every rank, and the output length is `conv_out_size`, the one
formula nn_ops' 2-D pools use too.  Adaptive pools average (or take the max) over
torch's bins [floor(i*L/o), ceil((i+1)*L/o)); average pooling applies them as one
averaging matrix per dim, so its backward op is the transposed product.
"""
import numpy as np

from .. import dtypes as dt
from ._common import check, dtype_of, fake_like, fmt_shape, out_array
from ._registry import aten, register
from ._input_format import fake_like_input, in_input_format
from .nn_ops import _pair, _windows, conv_out_size
from .pointwise import float_only
from ..runtime.backends import ufunc_at


# ------------------------------------------------------------ parameters --
def _params(n, kernel_size, stride, padding, dilation=1):
    """kernel, stride (default: the kernel), padding, dilation as n-lists; pads at most half a kernel."""
    k = _pair(kernel_size, n)
    s = _pair(stride, n) if stride not in (None, [], ()) else list(k)
    p, d = _pair(padding, n), _pair(dilation, n)
    check(len(k) == n and len(s) == n and len(p) == n and len(d) == n,
          lambda: f"pooling: kernel_size, stride, padding and dilation must have {n} values each")
    check(all(v > 0 for v in k), "kernel size should be greater than zero")
    check(all(v > 0 for v in s), "stride should be greater than zero")
    for i in range(n):
        check(p[i] * 2 <= k[i], lambda: f"pad should be at most half of effective kernel size, but got "
                                        f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    return k, s, p, d


def _out_shape(shape, n, k, s, p, d, ceil_mode, name):
    """Pooled shape of a batched or unbatched input; refuses an empty result as torch does."""
    check(len(shape) in (n + 1, n + 2), lambda: f"{name}: Expected {n + 1}D or {n + 2}D (batch mode) tensor "
                                                f"for input, but got: {fmt_shape(shape)}")
    out = [conv_out_size(shape[-n + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(n)]
    check(all(o > 0 for o in out),
          lambda: f"Given input size: ({'x'.join(map(str, shape[-n - 1:]))}). Calculated output size: "
                  f"({'x'.join(map(str, [shape[-n - 1]] + out))}). Output size is too small")
    return tuple(shape[:-n]) + tuple(out)


def _pool_windows(xp, a, n, k, s, p, d, out, fill):
    """Pad the last n dims (plus the right overhang ceil_mode needs) and view them as windows."""
    size = a.shape[-n:]
    extra = [max(0, (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (size[i] + 2 * p[i])) for i in range(n)]
    widths = [(0, 0)] * (a.ndim - n) + [(p[i], p[i] + extra[i]) for i in range(n)]
    padded = xp.pad(a, widths, constant_values=fill) if any(map(any, widths)) else a
    w = _windows(xp, padded, k, s, d)
    return w[(Ellipsis,) + tuple(slice(0, o) for o in out) + (slice(None),) * n]


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


# ------------------------------------------------------------ max pooling --
def _max_pool_nd(xp, a, n, kernel_size, stride, padding, dilation, ceil_mode, name):
    """(values, flat spatial indices) of n-d max pooling; NaN wins, the first maximum otherwise."""
    k, s, p, d = _params(n, kernel_size, stride, padding, dilation)
    out = _out_shape(a.shape, n, k, s, p, d, ceil_mode, name)[-n:]
    w = _pool_windows(xp, a, n, k, s, p, d, out, _lowest(a.dtype))
    flat = w.reshape(w.shape[:-n] + (-1,))
    am = xp.argmax(flat, axis=-1)
    if a.dtype.kind == "f":
        nan = xp.isnan(flat)
        am = xp.where(nan.any(axis=-1), xp.argmax(nan, axis=-1), am)
    vals = xp.take_along_axis(flat, am[..., None], axis=-1)[..., 0]
    # window offset -> input coordinate per dim, then the flat index over the input's n dims
    offs = np.unravel_index(np.arange(int(np.prod(k))), k)
    index = 0
    for i in range(n):
        grid_shape = [1] * n
        grid_shape[i] = out[i]
        start = (xp.arange(out[i]) * s[i] - p[i]).reshape(grid_shape)
        coord = start + xp.asarray(offs[i])[am] * d[i]
        index = index * a.shape[-n + i] + coord
    return in_input_format(xp, vals, a), in_input_format(xp, index.astype(np.int64), a)


# Max pooling (values and indices) lays its outputs out in the input's suggested memory format (channels-last
# 3d in, channels-last 3d out); average pooling over 3 dims (plain and adaptive) is always contiguous on
# torch's CPU, and so is adaptive max pooling over 3 dims.
def _max_pool_meta(n, name):
    def meta(self, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
        k, s, p, d = _params(n, kernel_size, stride, padding, dilation)
        shape = _out_shape(tuple(self.shape), n, k, s, p, d, ceil_mode, name)
        return fake_like_input(shape, self.dtype, self), fake_like_input(shape, dt.int64, self)
    return meta


def _max_pool_kernel(n, name):
    def kernel(xp, self, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
        return _max_pool_nd(xp, self, n, kernel_size, stride, padding, dilation, ceil_mode, name)
    return kernel


def _max_pool1d_with_indices_decomp(self, kernel_size, stride=(), padding=(0,), dilation=(1,), ceil_mode=False):
    vals, idx = aten.max_pool2d_with_indices.default(
        aten.unsqueeze.default(self, -2), [1] + _pair(kernel_size, 1),
        [] if stride in (None, [], ()) else [1] + _pair(stride, 1), [0] + _pair(padding, 1),
        [1] + _pair(dilation, 1), ceil_mode)
    return aten.squeeze.dims(vals, [-2]), aten.squeeze.dims(idx, [-2])


register("max_pool3d_with_indices(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, "
         "int[3] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)",
         meta=_max_pool_meta(3, "max_pool3d"), kernel=_max_pool_kernel(3, "max_pool3d"), tags=("core",))
register("max_pool3d(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, int[3] dilation=1, "
         "bool ceil_mode=False) -> Tensor",
         meta=lambda *a, **kw: _max_pool_meta(3, "max_pool3d")(*a, **kw)[0],
         kernel=lambda xp, *a, **kw: _max_pool_kernel(3, "max_pool3d")(xp, *a, **kw)[0],
         decomposition=lambda *a, **kw: aten.max_pool3d_with_indices.default(*a, **kw)[0], variants=("function",))
register("max_pool1d_with_indices(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=[0], "
         "int[1] dilation=[1], bool ceil_mode=False) -> (Tensor, Tensor)",
         meta=_max_pool_meta(1, "max_pool1d"), kernel=_max_pool_kernel(1, "max_pool1d"),
         decomposition=_max_pool1d_with_indices_decomp, variants=("function",))
register("max_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=[0], int[1] dilation=[1], "
         "bool ceil_mode=False) -> Tensor",
         meta=lambda *a, **kw: _max_pool_meta(1, "max_pool1d")(*a, **kw)[0],
         kernel=lambda xp, *a, **kw: _max_pool_kernel(1, "max_pool1d")(xp, *a, **kw)[0],
         decomposition=lambda *a, **kw: _max_pool1d_with_indices_decomp(*a, **kw)[0], variants=("function",))


def _max_pool2d_backward_kernel(xp, grad_output, self, kernel_size, stride, padding, dilation, ceil_mode,
                                indices):
    _params(2, kernel_size, stride, padding, dilation)
    check(tuple(indices.shape) == tuple(grad_output.shape),
          lambda: f"max_pool2d_with_indices_backward: indices {fmt_shape(indices.shape)} and grad_output "
                  f"{fmt_shape(grad_output.shape)} must have the same shape")
    return _scatter_to_input(xp, grad_output, indices, self.shape, 2)


def _scatter_to_input(xp, values, indices, shape, n):
    """Sum `values` into a zero tensor of `shape` at the flat spatial `indices` of each plane."""
    plane = int(np.prod(shape[-n:]))
    planes = int(np.prod(shape[:-n]))
    v = values.reshape(planes, -1)
    idx = indices.reshape(planes, -1) + (xp.arange(planes) * plane)[:, None]
    out = xp.zeros(planes * plane, dtype=np.float64 if values.dtype.kind == "f" else values.dtype)
    ufunc_at(xp, "add", out, idx.reshape(-1), v.reshape(-1))
    return out_array(xp, out.reshape(shape), dtype_of(values))


register("max_pool2d_with_indices_backward(Tensor grad_output, Tensor self, int[2] kernel_size, int[2] stride, "
         "int[2] padding, int[2] dilation, bool ceil_mode, Tensor indices) -> Tensor",
         meta=lambda grad_output, self, *a: fake_like(self.shape, grad_output.dtype, grad_output),
         kernel=_max_pool2d_backward_kernel, tags=("core",))


# -------------------------------------------------------- average pooling --
def _avg_divisor(xp, n, size, out, k, s, p, count_include_pad):
    """torch's per-window divisor: the window clipped to the padded input (or to the input alone)."""
    count = 1
    for i in range(n):
        start = xp.arange(out[i]) * s[i] - p[i]
        if count_include_pad:
            c = xp.minimum(start + k[i], size[i] + p[i]) - start
        else:
            c = xp.minimum(start + k[i], size[i]) - xp.maximum(start, 0)
        shape = [1] * n
        shape[i] = out[i]
        count = count * c.reshape(shape)
    return count


def _avg_pool_nd(xp, a, n, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, name):
    k, s, p, d = _params(n, kernel_size, stride, padding)
    out = _out_shape(a.shape, n, k, s, p, d, ceil_mode, name)[-n:]
    check(divisor_override is None or divisor_override != 0, "divisor must be not zero")
    total = xp.sum(_pool_windows(xp, a, n, k, s, p, d, out, 0), axis=tuple(range(-n, 0)))
    if divisor_override:
        return xp.ascontiguousarray(out_array(xp, total / divisor_override, dtype_of(a)))
    count = _avg_divisor(xp, n, a.shape[-n:], out, k, s, p, count_include_pad)
    return xp.ascontiguousarray(out_array(xp, total / count, dtype_of(a)))


def _avg_pool_meta(n, name):
    def meta(self, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None):
        k, s, p, d = _params(n, kernel_size, stride, padding)
        return fake_like(_out_shape(tuple(self.shape), n, k, s, p, d, ceil_mode, name), self.dtype, self)
    return meta


def _avg_pool1d_decomp(self, kernel_size, stride=(), padding=(0,), ceil_mode=False, count_include_pad=True):
    """avg_pool1d as avg_pool2d over a unit height (torch's composite): an empty stride is the kernel size."""
    kernel = _pair(kernel_size, 1)
    stride = kernel if stride in (None, [], ()) else _pair(stride, 1)
    out = aten.avg_pool2d.default(aten.unsqueeze.default(self, -2), [1] + kernel, [1] + stride,
                                  [0] + _pair(padding, 1), ceil_mode, count_include_pad)
    return aten.squeeze.dims(out, [-2])


register("avg_pool3d(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, bool ceil_mode=False, "
         "bool count_include_pad=True, int? divisor_override=None) -> Tensor",
         meta=_avg_pool_meta(3, "avg_pool3d"),
         kernel=lambda xp, self, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True,
         divisor_override=None: _avg_pool_nd(xp, self, 3, kernel_size, stride, padding, ceil_mode,
                                             count_include_pad, divisor_override, "avg_pool3d"),
         tags=("core",))
register("avg_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=[0], bool ceil_mode=False, "
         "bool count_include_pad=True) -> Tensor",
         meta=lambda self, kernel_size, stride=(), padding=(0,), ceil_mode=False, count_include_pad=True:
         _avg_pool_meta(1, "avg_pool1d")(self, kernel_size, stride, padding, ceil_mode),
         kernel=lambda xp, self, kernel_size, stride=(), padding=(0,), ceil_mode=False, count_include_pad=True:
         _avg_pool_nd(xp, self, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None, "avg_pool1d"),
         decomposition=_avg_pool1d_decomp, tags=("core",), variants=("function",))


def _avg_pool2d_backward_kernel(xp, grad_output, self, kernel_size, stride, padding, ceil_mode,
                                count_include_pad, divisor_override):
    n = 2
    k, s, p, d = _params(n, kernel_size, stride, padding)
    out = _out_shape(self.shape, n, k, s, p, d, ceil_mode, "avg_pool2d_backward")[-n:]
    check(tuple(grad_output.shape[-n:]) == tuple(out),
          lambda: f"avg_pool2d_backward: expected grad_output of spatial size {fmt_shape(out)}, got "
                  f"{fmt_shape(grad_output.shape)}")
    check(divisor_override is None or divisor_override != 0, "divisor must be not zero")
    if divisor_override:
        g = grad_output / divisor_override
    else:
        g = grad_output / _avg_divisor(xp, n, self.shape[-n:], out, k, s, p, count_include_pad)
    H, W = self.shape[-2:]
    # each kernel offset sends every output cell's share to one strided slab of the padded input
    ph = max(H + 2 * p[0], (out[0] - 1) * s[0] + k[0])
    pw = max(W + 2 * p[1], (out[1] - 1) * s[1] + k[1])
    grad = xp.zeros(self.shape[:-2] + (ph, pw), dtype=g.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            grad[..., i: i + (out[0] - 1) * s[0] + 1: s[0], j: j + (out[1] - 1) * s[1] + 1: s[1]] += g
    return out_array(xp, grad[..., p[0]: p[0] + H, p[1]: p[1] + W], dtype_of(grad_output))


register("avg_pool2d_backward(Tensor grad_output, Tensor self, int[2] kernel_size, int[2] stride, int[2] padding, "
         "bool ceil_mode, bool count_include_pad, int? divisor_override) -> Tensor",
         meta=lambda grad_output, self, *a: fake_like(self.shape, grad_output.dtype, grad_output),
         kernel=_avg_pool2d_backward_kernel, tags=("core",))


# ------------------------------------------------------- adaptive pooling --
def _bins(size, out):
    """torch's adaptive bins of `size` cells into `out`: (starts, ends)."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _averaging_matrix(xp, size, out, dtype):
    """[out, size] matrix whose row i averages bin i."""
    start, end = _bins(size, out)
    cols = np.arange(size)
    m = ((cols >= start[:, None]) & (cols < end[:, None])) / (end - start)[:, None]
    return xp.asarray(m.astype(dtype))


def _adaptive_shape(shape, n, output_size, name):
    check(len(shape) in (n + 1, n + 2), lambda: f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got "
                                                f"{fmt_shape(shape)}")
    check(all(s > 0 for s in shape[-n:]),
          lambda: f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                  f"sizes {fmt_shape(shape)} with dimension {len(shape) - n} being empty")
    o = [shape[-n + i] if v is None else v for i, v in enumerate(_pair(output_size, n))]
    check(len(o) == n and all(v >= 0 for v in o),
          lambda: f"{name}(): output_size must be {n} non-negative values, got {output_size}")
    return tuple(shape[:-n]) + tuple(o)


def _apply_per_dim(xp, a, mats):
    """Contract each of the last len(mats) dims of `a` with its [out, in] matrix."""
    n = len(mats)
    for i, m in enumerate(mats):
        a = xp.moveaxis(xp.tensordot(a, m, axes=([a.ndim - n + i], [1])), -1, a.ndim - n + i)
    return a


# the CPU kernel each adaptive pooling runs (1-d goes through 2-d), by number of pooled dims: torch names it
# when refusing an integer or bool input
_AVG_KERNEL = {1: "adaptive_avg_pool2d", 3: "adaptive_avg_pool3d_cpu"}
_MAX_KERNEL = {1: "adaptive_max_pool2d", 2: "adaptive_max_pool2d", 3: "adaptive_max_pool3d_cpu"}


def _adaptive_avg_nd(xp, a, n, output_size, name):
    out = _adaptive_shape(a.shape, n, output_size, name)[-n:]
    float_only(dtype_of(a), _AVG_KERNEL[n])
    work = a.dtype if a.dtype.kind == "f" else np.float64
    mats = [_averaging_matrix(xp, a.shape[-n + i], out[i], work) for i in range(n)]
    return out_array(xp, xp.ascontiguousarray(_apply_per_dim(xp, a, mats)), dtype_of(a))


def _adaptive_avg_meta(n, name):
    return lambda self, output_size: fake_like(_adaptive_shape(tuple(self.shape), n, output_size, name),
                                               self.dtype, self)


def _adaptive_avg_pool1d_decomp(self, output_size):
    """adaptive_avg_pool1d as adaptive_avg_pool2d over a unit height (torch's composite)."""
    out = aten.adaptive_avg_pool2d.default(aten.unsqueeze.default(self, -2), [1] + _pair(output_size, 1))
    return aten.squeeze.dims(out, [-2])


for _schema, _n, _facts in (
        ("_adaptive_avg_pool3d(Tensor self, SymInt[3] output_size) -> Tensor", 3, {"tags": ("core",)}),
        ("adaptive_avg_pool3d(Tensor self, SymInt[3] output_size) -> Tensor", 3,
         {"decomposition": lambda self, output_size: aten._adaptive_avg_pool3d.default(self, output_size)}),
        ("adaptive_avg_pool1d(Tensor self, int[1] output_size) -> Tensor", 1,
         {"tags": ("core",), "variants": ("function",), "decomposition": _adaptive_avg_pool1d_decomp})):
    _name = _schema.split("(")[0].lstrip("_")
    register(_schema, meta=_adaptive_avg_meta(_n, _name),
             kernel=(lambda n, name: lambda xp, self, output_size: _adaptive_avg_nd(xp, self, n, output_size,
                                                                                    name))(_n, _name),
             **_facts)


def _adaptive_avg2d_backward_kernel(xp, grad_output, self):
    check(grad_output.ndim == self.ndim and grad_output.shape[:-2] == self.shape[:-2],
          lambda: f"adaptive_avg_pool2d_backward(): grad_output {fmt_shape(grad_output.shape)} does not match "
                  f"input {fmt_shape(self.shape)}")
    work = grad_output.dtype if grad_output.dtype.kind == "f" else np.float64
    mats = [_averaging_matrix(xp, self.shape[-2 + i], grad_output.shape[-2 + i], work).T for i in range(2)]
    return out_array(xp, xp.ascontiguousarray(_apply_per_dim(xp, grad_output, mats)), dtype_of(grad_output))


register("_adaptive_avg_pool2d_backward(Tensor grad_output, Tensor self) -> Tensor",
         meta=lambda grad_output, self: fake_like(self.shape, grad_output.dtype, grad_output),
         kernel=_adaptive_avg2d_backward_kernel, tags=("core",))


def _adaptive_max_nd(xp, a, n, output_size, name):
    """(values, flat spatial indices) of the max over each adaptive bin (NaN wins, first maximum otherwise)."""
    out = _adaptive_shape(a.shape, n, output_size, name)[-n:]
    float_only(dtype_of(a), _MAX_KERNEL[n])
    lead = a.ndim - n
    # gather every bin as a fixed-width window: a short bin repeats its last cell, which cannot change the max
    cells = []
    w = a
    for i in range(n):
        start, end = _bins(a.shape[lead + i], out[i])
        width = int((end - start).max()) if out[i] else 1
        cell = np.minimum(start[:, None] + np.arange(width), end[:, None] - 1)
        cells.append(cell)
        w = xp.take(w, xp.asarray(cell.reshape(-1)), axis=lead + 2 * i)
        w = w.reshape(w.shape[:lead + 2 * i] + cell.shape + w.shape[lead + 2 * i + 1:])
    # (..., o1, k1, o2, k2, ...) -> (..., o1, o2, ..., k1 * k2 * ...)
    perm = tuple(range(lead)) + tuple(lead + 2 * i for i in range(n)) + tuple(lead + 2 * i + 1 for i in range(n))
    w = xp.transpose(w, perm)
    widths = tuple(c.shape[1] for c in cells)
    flat = w.reshape(w.shape[:lead + n] + (-1,))
    am = xp.argmax(flat, axis=-1)
    if a.dtype.kind == "f":
        nan = xp.isnan(flat)
        am = xp.where(nan.any(axis=-1), xp.argmax(nan, axis=-1), am)
    vals = xp.take_along_axis(flat, am[..., None], axis=-1)[..., 0]
    offs = np.unravel_index(np.arange(int(np.prod(widths))), widths)
    index = 0
    for i in range(n):
        shape = [1] * n
        shape[i] = out[i]
        row = xp.asarray(np.arange(out[i]).reshape(shape))
        coord = xp.asarray(cells[i])[row, xp.asarray(offs[i])[am]]
        index = index * a.shape[lead + i] + coord
    flat = n != 2       # (see _adaptive_max_meta)
    return in_input_format(xp, vals, a, flat), in_input_format(xp, index.astype(np.int64), a, flat)


def _adaptive_max_meta(n, name):
    """Adaptive max pooling's (values, indices): over 2 dims in the input's suggested memory format, over 3
    contiguous (torch's CPU kernels)."""
    fake = fake_like_input if n == 2 else (lambda shape, dtype, self: fake_like(shape, dtype, self))

    def meta(self, output_size):
        shape = _adaptive_shape(tuple(self.shape), n, output_size, name)
        return fake(shape, self.dtype, self), fake(shape, dt.int64, self)
    return meta


def _adaptive_max1d_decomp(self, output_size):
    vals, idx = aten.adaptive_max_pool2d.default(aten.unsqueeze.default(self, -2), [1] + _pair(output_size, 1))
    return aten.squeeze.dims(vals, [-2]), aten.squeeze.dims(idx, [-2])


# torch keeps adaptive_max_pool2d/3d in its decomposed graphs (no default decomposition): so do we.
for _schema, _n, _decomp in (
        ("adaptive_max_pool2d(Tensor self, int[2] output_size) -> (Tensor, Tensor)", 2, None),
        ("adaptive_max_pool3d(Tensor self, int[3] output_size) -> (Tensor, Tensor)", 3, None),
        ("adaptive_max_pool1d(Tensor self, int[1] output_size) -> (Tensor, Tensor)", 1, _adaptive_max1d_decomp)):
    _name = _schema.split("(")[0]
    register(_schema, meta=_adaptive_max_meta(_n, _name),
             kernel=(lambda n, name: lambda xp, self, output_size: _adaptive_max_nd(xp, self, n, output_size,
                                                                                    name))(_n, _name),
             decomposition=_decomp, variants=("function",) if _n == 1 else ())


# ------------------------------------------------------------ max_unpool --
def _unpool_shape(self_shape, indices_shape, n, output_size, name):
    check(tuple(self_shape) == tuple(indices_shape),
          lambda: f"Expected shape of indices to be same as that of the input tensor ({fmt_shape(self_shape)}) "
                  f"but got indices tensor with shape: {fmt_shape(indices_shape)}")
    check(len(output_size) == n, lambda: f"There should be exactly {n} elements but got {len(output_size)} elements")
    check(len(self_shape) in (n + 1, n + 2),
          lambda: f"Input to {name} should be a {n + 1}d or {n + 2}d Tensor, but got a tensor with "
                  f"{len(self_shape)} dimensions.")
    return tuple(self_shape[:-n]) + tuple(output_size)


def _unpool_kernel(n, name):
    def kernel(xp, self, indices, output_size, stride=None, padding=None):
        shape = _unpool_shape(self.shape, indices.shape, n, output_size, name)
        plane = int(np.prod(output_size))
        check(indices.size == 0 or (int(indices.min()) >= 0 and int(indices.max()) < plane),
              lambda: f"Found an invalid max index: {int(indices.max())} (output volumes are of size "
                      f"{'x'.join(map(str, output_size))})")
        planes = int(np.prod(shape[:-n]))
        out = xp.zeros((planes, plane), dtype=self.dtype)
        rows = xp.arange(planes)[:, None]
        out[rows, indices.reshape(planes, -1)] = self.reshape(planes, -1)
        return out.reshape(shape)
    return kernel


def _unpool_decomp(self, indices, output_size, *rest):
    n = len(output_size)
    lead = list(self.shape[:-n])
    planes = 1
    for s in lead:
        planes = planes * s
    plane = 1
    for s in output_size:
        plane = plane * s
    flat_idx = aten.view.default(indices, [planes, -1])
    rows = aten.view.default(aten.arange.start_step(0, planes, 1, dtype=dt.int64, device=self.device), [planes, 1])
    flat_idx = aten.add.Tensor(flat_idx, aten.mul.Tensor(rows, plane))
    out = aten.full.default([planes * plane], 0, dtype=self.dtype, device=self.device)
    out = aten.index_put.default(out, [aten.view.default(flat_idx, [-1])], aten.view.default(self, [-1]))
    return aten.view.default(out, lead + list(output_size))


register("max_unpool2d(Tensor self, Tensor indices, SymInt[2] output_size) -> Tensor",
         meta=lambda self, indices, output_size: fake_like(
             _unpool_shape(tuple(self.shape), tuple(indices.shape), 2, output_size, "max_unpool2d"), self.dtype, self),
         kernel=_unpool_kernel(2, "max_unpool2d"), decomposition=_unpool_decomp)
register("max_unpool3d(Tensor self, Tensor indices, SymInt[3] output_size, int[3] stride, int[3] padding) -> Tensor",
         meta=lambda self, indices, output_size, stride, padding: fake_like(
             _unpool_shape(tuple(self.shape), tuple(indices.shape), 3, output_size, "max_unpool3d"), self.dtype, self),
         kernel=_unpool_kernel(3, "max_unpool3d"), decomposition=_unpool_decomp)
