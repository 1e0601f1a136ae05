"""Resampling ops: upsample_* (nearest, nearest-exact, linear, bilinear, bicubic, trilinear),
grid_sampler_2d / grid_sampler_3d / grid_sampler and affine_grid_generator.

Interpolation is separable: along each spatial dim an output position reads a few input
positions ("taps") with weights, and one helper (`_taps`) says which and how much for
every mode, from torch's rules:
  * scale: with align_corners, (in - 1) / (out - 1); otherwise 1 / scale_factor when the
    caller gave one, else in / out (computed in float32 for nearest, as torch does);
  * nearest reads floor(dst * scale), nearest-exact floor((dst + 0.5) * scale);
  * linear and cubic read around src = dst * scale (align_corners) or
    (dst + 0.5) * scale - 0.5 (clamped at 0 for linear), cubic with A = -0.75.
The kernels apply the taps per dim with NumPy gathers; the decompositions of the ops torch
does not keep in its core set build the same taps from aten ops: nearest and linear as
torch's default table does (one index.Tensor gather per corner), cubic per dim with
index_select.
"""
import itertools

import numpy as np

from .. import dtypes as dt
from ._common import check, dtype_of, fake_like, fmt_shape, out_array
from .._sym_functions import sym_int
from .._tensor import CONTIGUOUS
from ._input_format import fake_like_input, format_like_input, input_format
from ._factory_kw import api_arange
from ._registry import aten, register

_CUBIC_A = -0.75


# ---------------------------------------------------------------- sizes --
def _out_size(shape, n, output_size, scale_factors, name):
    """Output spatial sizes from exactly one of output_size / scale_factors."""
    check(len(shape) == n + 2 and all(s > 0 for s in shape[1:]),
          lambda: f"{name}: Non-empty {n + 2}D data tensor expected but got a tensor with sizes {fmt_shape(shape)}")
    check((output_size is None) != (scale_factors is None),
          "Must specify exactly one of output_size and scale_factors")
    if output_size is not None:
        check(len(output_size) == n, lambda: f"{name}: It is expected output_size equals to {n}, but got size "
                                             f"{len(output_size)}")
        out = list(output_size)
    else:
        check(len(scale_factors) == n, lambda: f"{name}: It is expected scale_factors equals to {n}, but got size "
                                               f"{len(scale_factors)}")
        out = [scaled_size(shape[2 + i], scale_factors[i]) for i in range(n)]
    check(all(o > 0 for o in out), lambda: f"{name}: Input and output sizes should be greater than 0, but got "
                                           f"input ({'x'.join(map(str, shape[2:]))}) and output "
                                           f"({'x'.join(map(str, out))})")
    return out


def scaled_size(size, scale):
    """An input size times a scale factor, rounded down, as torch computes it: exactly `size * k` for a whole
    scale k (a symbolic size stays a plain multiple), else the truncated product (symbolic without a guard)."""
    if float(scale).is_integer():
        return size * int(scale)
    return sym_int(size * scale)


def _scale(in_size, out_size, align_corners, scale_factor):
    """torch's source-per-destination scale along one dim (a Python float)."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    if scale_factor is not None and scale_factor > 0:
        return 1.0 / scale_factor
    return in_size / out_size


# ----------------------------------------------------------------- taps --
def _taps(mode, in_size, out_size, align_corners, scale_factor, dtype):
    """[(index [out], weight [out] or None)] for one dim: which input positions each output reads."""
    dst = np.arange(out_size)
    if mode in ("nearest", "nearest-exact"):
        scale = np.float32(_scale(in_size, out_size, False, scale_factor))
        pos = dst.astype(np.float32) + np.float32(0.5) if mode == "nearest-exact" else dst.astype(np.float32)
        idx = np.minimum(np.floor(pos * scale).astype(np.int64), in_size - 1)
        return [(idx, None)]
    scale = dtype.type(_scale(in_size, out_size, align_corners, scale_factor))
    d = dst.astype(dtype)
    src = d * scale if align_corners else (d + dtype.type(0.5)) * scale - dtype.type(0.5)
    if mode == "linear":
        src = np.maximum(src, 0) if not align_corners else src
        i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
        i1 = np.minimum(i0 + 1, in_size - 1)
        t = (src - i0).astype(dtype)
        return [(i0, (1 - t).astype(dtype)), (i1, t)]
    f = np.floor(src)
    t = (src - f).astype(dtype)
    base = f.astype(np.int64)
    return [(np.clip(base - 1 + k, 0, in_size - 1), w.astype(dtype)) for k, w in enumerate(_cubic_weights(t))]


def _cubic_weights(t):
    """The four cubic convolution weights (A = -0.75) for fractional offsets t (arrays or tensors)."""
    a = _CUBIC_A

    def near(x):      # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):       # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return far(t + 1), near(t), near(1 - t), far(2 - t)


# torch resizes a channels-last (3d) input into a channels-last (3d) output, any other input into a
# contiguous one.  The kernel gathers along the spatial axes of the input viewed in that memory order
# ((N, *spatial, C) for channels-last): each gather's result is C-contiguous in that order, so the view
# back to (N, C, *spatial) is already torch's layout and needs no copy.
def _upsample_kernel(xp, a, n, mode, output_size, align_corners, scale_factors, name):
    out = _out_size(a.shape, n, output_size, scale_factors, name)
    work = a.dtype if a.dtype.kind == "f" else np.dtype(np.float32)
    last = format_like_input(a.shape, a) is not None
    first = 1 if last else 2
    if last:
        a = a.transpose((0,) + tuple(range(2, a.ndim)) + (1,))
    for i in range(n):
        axis = first + i
        sf = None if scale_factors is None else scale_factors[i]
        taps = _taps(mode, a.shape[axis], out[i], align_corners, sf, work)
        if taps[0][1] is None:
            a = xp.take(a, xp.asarray(taps[0][0]), axis=axis)
            continue
        shape = [1] * a.ndim
        shape[axis] = out[i]
        acc = None
        for idx, w in taps:
            part = xp.take(a, xp.asarray(idx), axis=axis) * xp.asarray(w).reshape(shape)
            acc = part if acc is None else acc + part
        a = acc
    a = out_array(xp, xp.ascontiguousarray(a), dtype_of(a))
    return a.transpose((0, a.ndim - 1) + tuple(range(1, a.ndim - 1))) if last else a


# ---------------------------------------------------- decompositions --
# nearest and linear are written as torch's default table writes them (their core graphs hold the same ops):
# per dim, source positions from an arange, truncated to int64 by _to_copy, viewed to broadcast against the
# later dims; then one index.Tensor gather per corner. Cubic still gathers one dim at a time (index_select).
def _broadcast_shape(out_size, i, n):
    """[out, 1, ...]: dim i's positions shaped to broadcast against the n - 1 - i dims after it."""
    return [out_size] + [1] * (n - 1 - i)


def _nearest_decomp(x, sizes, out, mode, scale_factors):
    """One index.Tensor with floor((dst + offset) * scale) per dim."""
    n = len(out)
    indices = []
    for i in range(n):
        sf = None if scale_factors is None else scale_factors[i]
        pos = api_arange(out[i], dtype=dt.float32, device=x.device)
        pos = aten.add.Tensor(pos, 0.5 if mode == "nearest-exact" else 0.0)
        scale = float(np.float32(_scale(sizes[i], out[i], False, sf)))
        idx = aten._to_copy.default(aten.mul.Tensor(pos, scale), dtype=dt.int64)
        for _ in range(n - 1 - i):
            idx = aten.unsqueeze.default(idx, -1)
        indices.append(idx)
    return aten.index.Tensor(x, [None, None] + indices)


def _linear_decomp(x, sizes, out, align_corners, scale_factors):
    """Gather the 2**n corners with index.Tensor, then lerp them pairwise, last dim first."""
    n = len(out)
    fdt = x.dtype if x.dtype.is_floating_point else dt.float32
    lows, highs, fracs = [], [], []
    for i in range(n):
        sf = None if scale_factors is None else scale_factors[i]
        scale = _scale(sizes[i], out[i], align_corners, sf)
        src = aten._to_copy.default(api_arange(out[i], device=x.device), dtype=fdt)
        src = aten.mul.Tensor(src, scale) if align_corners else aten.sub.Tensor(
            aten.mul.Tensor(aten.add.Tensor(src, 0.5), scale), 0.5)
        src = aten.view.default(aten.clamp.default(src, 0.0), _broadcast_shape(out[i], i, n))
        low = aten._to_copy.default(src, dtype=dt.int64)
        lows.append(low)
        highs.append(aten.clamp.default(aten.add.Tensor(low, 1), None, sizes[i] - 1))
        fracs.append((src, low))
    # corners in binary order of (dim 0, ..., dim n-1), last dim fastest
    corners = [aten.index.Tensor(x, [None, None] + [highs[i] if (c >> (n - 1 - i)) & 1 else lows[i]
                                                    for i in range(n)]) for c in range(2 ** n)]
    for i in reversed(range(n)):
        src, low = fracs[i]
        t = aten.clamp.default(aten.sub.Tensor(src, low), 0.0, 1.0)
        corners = [aten.add.Tensor(a, aten.mul.Tensor(aten.sub.Tensor(b, a), t))
                   for a, b in zip(corners[0::2], corners[1::2])]
    return corners[0]


def _cubic_dim(x, axis, in_size, out_size, align_corners, scale_factor):
    """One dim of bicubic resampling in aten ops: taps from arange/floor/clamp, gathers by index_select."""
    fdt = x.dtype if x.dtype.is_floating_point else dt.float32
    shape = [1] * x.ndim
    shape[axis] = out_size
    scale = _scale(in_size, out_size, align_corners, scale_factor)
    src = aten.arange.start_step(0, out_size, 1, dtype=fdt, device=x.device)
    src = aten.mul.Tensor(src, scale) if align_corners else aten.sub.Tensor(aten.mul.Tensor(
        aten.add.Tensor(src, 0.5), scale), 0.5)
    floor = aten.floor.default(src)
    t = aten.sub.Tensor(src, floor)
    base = aten._to_copy.default(floor, dtype=dt.int64)

    def gather(offset):
        idx = aten.clamp.default(aten.add.Tensor(base, offset), 0, in_size - 1)
        return aten.index_select.default(x, axis, idx)

    weights = [aten.view.default(w, shape) for w in _cubic_weights_aten(t)]
    acc = None
    for k, w in enumerate(weights):
        part = aten.mul.Tensor(gather(k - 1), w)
        acc = part if acc is None else aten.add.Tensor(acc, part)
    return acc


def _cubic_weights_aten(t):
    a = _CUBIC_A

    def near(x):
        return aten.add.Tensor(aten.mul.Tensor(aten.mul.Tensor(aten.sub.Tensor(aten.mul.Tensor(x, a + 2), a + 3),
                                                               x), x), 1)

    def far(x):
        inner = aten.add.Tensor(aten.mul.Tensor(aten.sub.Tensor(aten.mul.Tensor(x, a), 5 * a), x), 8 * a)
        return aten.sub.Tensor(aten.mul.Tensor(inner, x), 4 * a)
    neg = aten.neg.default(t)
    return far(aten.add.Tensor(t, 1)), near(t), near(aten.add.Tensor(neg, 1)), far(aten.add.Tensor(neg, 2))


def _upsample_decomp(n, mode, has_align):
    def resample(input, output_size, *rest):
        align, scale_factors = (rest[0], rest[1]) if has_align else (False, rest[0])
        shape = [int(s) for s in input.shape]
        out = _out_size(tuple(shape), n, output_size, scale_factors, "upsample")
        if mode in ("nearest", "nearest-exact"):
            return _nearest_decomp(input, shape[2:], out, mode, scale_factors)
        if mode == "linear":
            return _linear_decomp(input, shape[2:], out, align, scale_factors)
        x = input
        for i in range(n):
            sf = None if scale_factors is None else scale_factors[i]
            x = _cubic_dim(x, 2 + i, shape[2 + i], out[i], align, sf)
        return x

    def decomp(input, output_size, *rest):
        # as torch's: the result copied into the input's memory format where that is channels-last (3d)
        x = resample(input, output_size, *rest)
        fmt = input_format(input)
        return x if fmt == CONTIGUOUS else aten.clone.default(x, memory_format=fmt)
    return decomp


def _register_upsample(name, n, mode, has_align, core):
    align_arg = "bool align_corners, " if has_align else ""

    def split(rest):
        return (rest[0], rest[1]) if has_align else (False, rest[0])

    def meta(input, output_size, *rest):
        align, scales = split(rest)
        out = _out_size(tuple(input.shape), n, output_size, scales, name)
        return fake_like_input(tuple(input.shape[:2]) + tuple(out), input.dtype, input)

    def kernel(xp, input, output_size, *rest):
        align, scales = split(rest)
        return _upsample_kernel(xp, input, n, mode, output_size, align, scales, name)

    facts = {"tags": ("core",)} if core else {"decomposition": _upsample_decomp(n, mode, has_align)}
    register(f"{name}.vec(Tensor input, SymInt[]? output_size, {align_arg}float[]? scale_factors) -> Tensor",
             meta=meta, kernel=kernel, **facts)


# name, spatial dims, tap mode, has align_corners, core
for _row in (("upsample_nearest1d", 1, "nearest", False, False), ("upsample_nearest2d", 2, "nearest", False, True),
             ("upsample_nearest3d", 3, "nearest", False, False),
             ("_upsample_nearest_exact1d", 1, "nearest-exact", False, False),
             ("_upsample_nearest_exact2d", 2, "nearest-exact", False, False),
             ("_upsample_nearest_exact3d", 3, "nearest-exact", False, False),
             ("upsample_linear1d", 1, "linear", True, False), ("upsample_bilinear2d", 2, "linear", True, True),
             ("upsample_trilinear3d", 3, "linear", True, False), ("upsample_bicubic2d", 2, "cubic", True, False)):
    _register_upsample(*_row)


# ---------------------------------------------------------- grid sampling --
_INTERPOLATION = {0: "bilinear", 1: "nearest", 2: "bicubic"}
_PADDING = {0: "zeros", 1: "border", 2: "reflection"}


# the sampler of each number of spatial dims: how its own check words a wrong rank
_GRID_RANK = {2: "grid_sampler_2d(): expected 4D input and grid with same number of dimensions",
              3: "grid_sampler_3d(): expected 5D input and grid with same number of dimensions"}


def _grid_check(input, grid, interpolation_mode, padding_mode, k):
    """Output shape of grid_sampler_{k}d; torch's checks."""
    check(interpolation_mode in _INTERPOLATION, lambda: f"grid_sampler(): unknown interpolation mode "
                                                        f"{interpolation_mode}")
    check(padding_mode in _PADDING, lambda: f"grid_sampler(): unknown padding mode {padding_mode}")
    check(len(input) == k + 2 and len(grid) == k + 2,
          lambda: f"{_GRID_RANK[k]}, but got input with sizes {fmt_shape(input)} and grid with sizes "
                  f"{fmt_shape(grid)}")
    check(k == 2 or _INTERPOLATION[interpolation_mode] != "bicubic",
          "grid_sampler(): bicubic interpolation only supports 4D input")
    check(input[0] == grid[0], lambda: f"grid_sampler(): expected grid and input to have same batch size, but got "
                                       f"input with sizes {fmt_shape(input)} and grid with sizes {fmt_shape(grid)}")
    check(grid[-1] == k, lambda: f"grid_sampler(): expected grid to have size {k} in last dimension, but got grid "
                                 f"with sizes {fmt_shape(grid)}")
    return (input[0], input[1]) + tuple(grid[1:-1])


def _reflect(xp, coord, twice_low, twice_high):
    """Reflect coordinates into [twice_low / 2, twice_high / 2] (torch's reflect_coordinates)."""
    if twice_low == twice_high:
        return xp.zeros_like(coord)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = xp.abs(coord - lo)
    extra = xp.fmod(c, span)
    flips = xp.floor(c / span)
    return xp.where(flips % 2 == 0, extra + lo, span - extra + lo)


def _apply_padding(xp, coord, size, padding, align_corners):
    """Bring source coordinates inside the input for border / reflection padding."""
    if padding == "border":
        return xp.clip(coord, 0, size - 1)
    if padding == "reflection":
        coord = _reflect(xp, coord, 0, 2 * (size - 1)) if align_corners else _reflect(xp, coord, -1, 2 * size - 1)
        return xp.clip(coord, 0, size - 1)
    return coord


def _grid_rank(input_shape, k):
    """The sampler's spatial rank: its own (grid_sampler_2d/_3d) or, for grid_sampler, the input's."""
    if k is not None:
        return k
    return len(input_shape) - 2 if len(input_shape) - 2 in _GRID_RANK else 2


def _grid_kernel(xp, input, grid, interpolation_mode, padding_mode, align_corners, k=None):
    """grid_sampler_{k}d: each output position reads the input at its grid coordinates (x, y[, z],
    normalized to [-1, 1]) with bilinear/trilinear, nearest or bicubic weights."""
    k = _grid_rank(input.shape, k)
    _grid_check(input.shape, grid.shape, interpolation_mode, padding_mode, k)
    mode, padding = _INTERPOLATION[interpolation_mode], _PADDING[padding_mode]
    sizes = input.shape[2:]
    g = grid.astype(input.dtype)

    def unnormalize(c, size):
        return (c + 1) / 2 * (size - 1) if align_corners else ((c + 1) * size - 1) / 2

    # the grid's last axis lists x (the last spatial dim) first: coords[d] is spatial dim d's source coordinate
    coords = [unnormalize(g[..., k - 1 - d], sizes[d]) for d in range(k)]
    batch = xp.arange(input.shape[0]).reshape((-1,) + (1,) * k)

    def fetch(idx):
        """input[n, :, *idx] as [N, C, *out], zero where idx lies outside."""
        inside = True
        clipped = []
        for i, size in zip(idx, sizes):
            inside = inside & (i >= 0) & (i < size)
            clipped.append(xp.clip(i, 0, size - 1).astype(np.int64))
        v = input[(batch, slice(None)) + tuple(clipped)] * inside[..., None]
        return xp.moveaxis(v, -1, 1)

    if mode == "bicubic":
        (fy, fx) = (xp.floor(c) for c in coords)
        wy, wx = _cubic_weights(coords[0] - fy), _cubic_weights(coords[1] - fx)
        out = 0
        for i in range(4):
            yy = _apply_padding(xp, fy - 1 + i, sizes[0], padding, align_corners)
            for j in range(4):
                xx = _apply_padding(xp, fx - 1 + j, sizes[1], padding, align_corners)
                out = out + fetch((yy, xx)) * (wy[i] * wx[j])[:, None]
        return out_array(xp, out, dtype_of(input))
    coords = [_apply_padding(xp, c, size, padding, align_corners) for c, size in zip(coords, sizes)]
    if mode == "nearest":
        return out_array(xp, fetch([xp.rint(c) for c in coords]), dtype_of(input))
    low = [xp.floor(c) for c in coords]
    frac = [(c - f)[:, None] for c, f in zip(coords, low)]
    out = 0
    # every corner of the cell around the point (2 ** k of them), weighted by the opposite sub-volume
    for corner in itertools.product((0, 1), repeat=k):
        weight = 1
        for d in reversed(range(k)):
            weight = weight * (frac[d] if corner[d] else 1 - frac[d])
        out = out + fetch([f + c for f, c in zip(low, corner)]) * weight
    return out_array(xp, out, dtype_of(input))


def _grid_meta(input, grid, interpolation_mode, padding_mode, align_corners, k=None):
    return fake_like(_grid_check(tuple(input.shape), tuple(grid.shape), interpolation_mode, padding_mode,
                                 _grid_rank(tuple(input.shape), k)), input.dtype, input)


def _grid_op(k):
    """(meta, kernel) of grid_sampler_{k}d."""
    return (lambda *args: _grid_meta(*args, k=k)), (lambda xp, *args: _grid_kernel(xp, *args, k=k))


def _grid_sampler_decomp(input, grid, interpolation_mode, padding_mode, align_corners):
    op = aten.grid_sampler_3d if input.ndim == 5 else aten.grid_sampler_2d
    return op.default(input, grid, interpolation_mode, padding_mode, align_corners)


register("grid_sampler_2d(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners) "
         "-> Tensor", meta=_grid_op(2)[0], kernel=_grid_op(2)[1], tags=("core",), variants=("function",))
register("grid_sampler_3d(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners) "
         "-> Tensor", meta=_grid_op(3)[0], kernel=_grid_op(3)[1], variants=("function",))
register("grid_sampler(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners) "
         "-> Tensor", meta=_grid_meta, kernel=_grid_kernel, decomposition=_grid_sampler_decomp,
         variants=("function",))


# ------------------------------------------------------------ affine grid --
def _base_coords(size, align_corners):
    """torch's normalized coordinates of `size` positions (one position sits at 0)."""
    if size <= 1:
        return np.zeros(max(size, 0))
    i = np.arange(size, dtype=np.float64)
    return -1 + 2 * i / (size - 1) if align_corners else (2 * i + 1) / size - 1


def _affine_check(theta, size):
    check(len(size) in (4, 5), lambda: f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                                       f"transforms, respectively. Got size {fmt_shape(size)}.")
    k = len(size) - 2
    check(len(theta) == 3 and tuple(theta[1:]) == (k, k + 1),
          lambda: f"Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} for size {fmt_shape(size)}. "
                  f"Got {fmt_shape(theta)}.")
    check(theta[0] == size[0], lambda: f"affine_grid: theta batch {theta[0]} does not match size {fmt_shape(size)}")
    return (size[0],) + tuple(size[2:]) + (k,)


def _base_grid(xp, size, align_corners, dtype):
    """[*spatial, k + 1] grid of (x, y[, z], 1) with x along the last dim."""
    spatial = list(size[2:])
    axes = [_base_coords(s, align_corners) for s in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")
    coords = [mesh[i] for i in reversed(range(len(spatial)))] + [np.ones(spatial)]
    return xp.asarray(np.stack(coords, axis=-1).astype(dtype))


def _affine_kernel(xp, theta, size, align_corners):
    out = _affine_check(theta.shape, size)
    base = _base_grid(xp, size, align_corners, theta.dtype)
    k = len(size) - 2
    flat = base.reshape(-1, k + 1)
    grid = xp.einsum("pj,nij->npi", flat, theta)
    return out_array(xp, grid.reshape(out), dtype_of(theta))


def _affine_decomp(theta, size, align_corners):
    k = len(size) - 2
    spatial = [int(s) for s in size[2:]]
    count = 1
    for s in spatial:
        count *= s
    parts = []
    # coordinate of each flattened position along each spatial dim, built with arange
    for d in reversed(range(k)):
        s = spatial[d]
        i = aten.arange.start_step(0, s, 1, dtype=theta.dtype, device=theta.device)
        if s <= 1:
            c = aten.mul.Tensor(i, 0.0)
        elif align_corners:
            c = aten.sub.Tensor(aten.mul.Tensor(i, 2.0 / (s - 1)), 1.0)
        else:
            c = aten.sub.Tensor(aten.div.Tensor(aten.add.Tensor(aten.mul.Tensor(i, 2.0), 1.0), float(s)), 1.0)
        view = [1] * k
        view[d] = s
        c = aten.clone.default(aten.expand.default(aten.view.default(c, view), spatial))
        parts.append(aten.view.default(c, [count, 1]))
    parts.append(aten.full.default([count, 1], 1.0, dtype=theta.dtype, device=theta.device))
    base = aten.cat.default(parts, 1)                                          # [P, k + 1]
    base = aten.expand.default(aten.unsqueeze.default(base, 0), [theta.shape[0], count, k + 1])
    grid = aten.bmm.default(base, aten.permute.default(theta, [0, 2, 1]))      # [N, P, k]
    return aten.view.default(grid, [theta.shape[0]] + spatial + [k])


register("affine_grid_generator(Tensor theta, SymInt[] size, bool align_corners) -> Tensor",
         meta=lambda theta, size, align_corners: fake_like(_affine_check(tuple(theta.shape), size), theta.dtype,
                                                           theta),
         kernel=_affine_kernel, decomposition=_affine_decomp, variants=("function",))
