"""aten.fractional_max_pool2d / fractional_max_pool3d: max pooling over windows placed pseudo-randomly.

Each (sample, channel) plane has one random number u in [0, 1) per pooled
dimension (`random_samples`, shape (N, C, 2 or 3); see _SAMPLE_OF for their order).  Along a dimension of input
size n pooled by windows of size k into m outputs, with alpha = (n - k) / (m - 1),
window i starts at floor((i + u) alpha) - floor(u alpha), and the last window ends
the input (starts at n - k).  torch evaluates those starts in the input's float
type, so the kernel does too (the floors must agree).  The op returns the maxima
and their flat positions in the input plane; a NaN in a window wins (the last
one), else the first maximum.  Not core ATen, no decomposition (as in torch).
"""
import numpy as np

from .. import dtypes as dt
from ._common import check, fmt_shape, make_fake
from ._registry import register


def _check(name, self, kernel_size, output_size, random_samples, dims):
    """(batched?, input spatial sizes) after torch's checks."""
    shape = tuple(self.shape)
    check(len(shape) in (dims + 1, dims + 2),
          lambda: f"{name}(): Expected {dims + 1}D or {dims + 2}D tensor, but got: {fmt_shape(shape)}")
    check(len(kernel_size) == dims and len(output_size) == dims,
          lambda: f"{name}(): kernel_size and output_size must have {dims} elements each")
    sizes = shape[-dims:]
    # torch lets the 2-d pool's windows reach the input's end, but not the 3-d pool's
    reach, where = (0, f"{name}()") if dims == 2 else (1, f"{name}_out()")
    for axis, (n, k, m) in enumerate(zip(sizes, kernel_size, output_size)):
        side = ("time", "height", "width")[3 - dims + axis]
        check(m + k - 1 + reach <= n, lambda: f"{where}: pool {side} {k} too large relative to input {side} {n}")
    rs = tuple(random_samples.shape)
    check(len(rs) == 3 and rs[2] == dims, lambda: f"Expect _random_samples.size(2) equals to {dims}; got "
                                                  f"{rs[2] if len(rs) == 3 else fmt_shape(rs)}.")
    batch = shape[0] if len(shape) == dims + 2 else 1
    check(rs[0] == batch and rs[1] == shape[-dims - 1],
          lambda: f"Expect _random_samples to have shape ({batch}, {shape[-dims - 1]}, {dims}); got {fmt_shape(rs)}")
    return sizes


def _meta_for(name, dims):
    def meta(self, kernel_size, output_size, random_samples):
        _check(name, self, kernel_size, output_size, random_samples, dims)
        shape = tuple(self.shape[:-dims]) + tuple(output_size)
        return make_fake(shape, self.dtype, self.device), make_fake(shape, dt.int64, self.device)
    return meta


def _starts(xp, u, n, k, m):
    """Window starts (..., m) along one dimension for the per-plane samples u (...), in u's float type."""
    starts = xp.full(u.shape + (m,), n - k, dtype=np.int64)
    if m > 1:
        ftype = u.dtype.type
        alpha = ftype(n - k) / ftype(m - 1)
        i = xp.arange(m - 1).astype(u.dtype)
        first = ((i + u[..., None]) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)[..., None]
        starts[..., :m - 1] = first
    return starts


# which of a plane's random numbers places the windows of each pooled dimension: torch's 2-d pool reads
# (width, height), its 3-d pool (time, height, width)
_SAMPLE_OF = {2: (1, 0), 3: (0, 1, 2)}


def _kernel_for(name, dims):
    def kernel(xp, self, kernel_size, output_size, random_samples):
        sizes = _check(name, self, kernel_size, output_size, random_samples, dims)
        batched = self.ndim == dims + 2
        x = self if batched else self[None]
        # torch evaluates the interval arithmetic of half types in float
        u = random_samples if random_samples.dtype in (np.float32, np.float64) else random_samples.astype(np.float32)
        # per dimension: positions (N, C, m, k) of each output's window
        positions = []
        for axis in range(dims):
            start = _starts(xp, u[:, :, _SAMPLE_OF[dims][axis]], sizes[axis], kernel_size[axis], output_size[axis])
            positions.append(start[..., None] + xp.arange(kernel_size[axis]))
        n, c = x.shape[:2]
        # broadcast the per-dimension positions to (N, C, m1, .., md, k1, .., kd) and gather
        index = [xp.arange(n).reshape((n,) + (1,) * (1 + 2 * dims)),
                 xp.arange(c).reshape((1, c) + (1,) * (2 * dims))]
        flat = xp.zeros((1,) * (2 + 2 * dims), dtype=np.int64)
        for axis, pos in enumerate(positions):
            shape = [n, c] + [1] * (2 * dims)
            shape[2 + axis], shape[2 + dims + axis] = pos.shape[2], pos.shape[3]
            pos = pos.reshape(shape)
            index.append(pos)
            flat = flat * sizes[axis] + pos
        windows = x[tuple(index)]
        lead = windows.shape[:2 + dims]
        window = int(np.prod(kernel_size))
        windows = windows.reshape(lead + (window,))
        flat = xp.broadcast_to(flat, lead + tuple(kernel_size)).reshape(lead + (window,))
        # the last NaN of a window wins, else its first maximum
        nan = xp.isnan(windows)
        last_nan = windows.shape[-1] - 1 - xp.argmax(nan[..., ::-1], axis=-1)
        pick = xp.where(nan.any(axis=-1), last_nan, xp.argmax(windows, axis=-1))
        values = xp.take_along_axis(windows, pick[..., None], -1)[..., 0]
        indices = xp.take_along_axis(flat, pick[..., None], -1)[..., 0]
        if not batched:
            values, indices = values[0], indices[0]
        return values, indices.astype(np.int64)
    return kernel


for _dims in (2, 3):
    _name = f"fractional_max_pool{_dims}d"
    register(f"{_name}(Tensor self, int[{_dims}] kernel_size, int[{_dims}] output_size, Tensor random_samples) "
             "-> (Tensor, Tensor)", meta=_meta_for(_name, _dims), kernel=_kernel_for(_name, _dims))

