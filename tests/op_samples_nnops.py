"""Sample rows for the nn ops of issue 12: pooling, padding, upsampling, grid sampling, folds,
shuffles, embedding bags, fft refusals and the backward ops.

Backward ops get inputs that belong together (indices from the forward max pool, mean/rstd
from the forward norm), so the numerics test compares them against torch's own op on the
same values.
"""
import minexport as me
from minexport.ops import aten
from op_samples import B, L, Sample, T, samples  # noqa: F401


# ------------------------------------------------------------- pooling ----
@samples("aten.max_pool3d_with_indices.default", "aten.max_pool3d.default")
def _maxpool3d():
    return [Sample(T(2, 3, 4, 6, 6), [2, 2, 2]), Sample(T(1, 2, 5, 7, 6), [2, 3, 2], [1, 2, 2], [1, 1, 0]),
            Sample(T(1, 2, 5, 7, 6), [2, 3, 2], [1, 2, 2], [1, 1, 0], [1, 1, 2], True),
            Sample(T(2, 4, 4, 4), [2, 2, 2], [1, 1, 1]), Sample(T(1, 2, 2, 2, 2), [3, 3, 3])]


@samples("aten.max_pool1d_with_indices.default", "aten.max_pool1d.default")
def _maxpool1d():
    return [Sample(T(2, 3, 9), [2]), Sample(T(2, 3, 9), [3], [2], [1]), Sample(T(3, 10), [3], [2], [1], [2], True),
            Sample(T(2, 3, 9, dtype=me.float64), [4], [], [2])]


@samples("aten.avg_pool3d.default")
def _avgpool3d():
    return [Sample(T(2, 3, 4, 6, 6), [2, 2, 2]), Sample(T(1, 2, 5, 7, 6), [2, 3, 2], [1, 2, 2], [1, 1, 0]),
            Sample(T(1, 2, 5, 7, 6), [2, 3, 2], [1, 2, 2], [1, 1, 0], True, False),
            Sample(T(2, 5, 5, 5), [3, 3, 3], [2, 2, 2], [1, 1, 1], True, True),
            Sample(T(1, 1, 4, 4, 4), [2, 2, 2], [2, 2, 2], [0, 0, 0], False, True, 3)]


@samples("aten.avg_pool1d.default")
def _avgpool1d():
    return [Sample(T(2, 3, 9), [2]), Sample(T(2, 3, 9), [3], [2], [1]), Sample(T(3, 10), [3], [2], [1], True, False)]


@samples("aten._adaptive_avg_pool3d.default", "aten.adaptive_avg_pool3d.default")
def _adaptive3d():
    return [Sample(T(2, 3, 4, 6, 6), [1, 1, 1]), Sample(T(1, 2, 5, 7, 6), [2, 3, 4]), Sample(T(2, 3, 3, 3), [3, 3, 3]),
            Sample(T(1, 2, 5, 7, 6, dtype=me.float64), [5, 2, 4])]


@samples("aten.adaptive_avg_pool1d.default")
def _adaptive1d():
    return [Sample(T(2, 3, 9), [4]), Sample(T(3, 7), [7]), Sample(T(2, 3, 5), [1])]


@samples("aten.adaptive_max_pool2d.default")
def _adaptive_max2d():
    return [Sample(T(2, 3, 8, 8), [4, 4]), Sample(T(1, 2, 7, 9), [3, 4]), Sample(T(2, 5, 5), [5, 5])]


@samples("aten.adaptive_max_pool3d.default")
def _adaptive_max3d():
    return [Sample(T(2, 3, 4, 6, 6), [2, 3, 3]), Sample(T(1, 2, 5, 7, 6), [2, 3, 4])]


@samples("aten.adaptive_max_pool1d.default")
def _adaptive_max1d():
    return [Sample(T(2, 3, 9), [3]), Sample(T(3, 7), [4])]


def _unpool(n, shape, k):
    x = T(*shape)
    pool = aten.max_pool2d_with_indices.default if n == 2 else aten.max_pool3d_with_indices.default
    vals, idx = pool(x, [k] * n, [k] * n)
    return vals, idx, [s for s in shape[-n:]]


@samples("aten.max_unpool2d.default")
def _max_unpool2d():
    v, i, size = _unpool(2, (2, 3, 6, 8), 2)
    v2, i2, size2 = _unpool(2, (3, 6, 6), 3)
    return [Sample(v, i, size), Sample(v2, i2, size2), Sample(v, i, [7, 9])]


@samples("aten.max_unpool3d.default")
def _max_unpool3d():
    v, i, size = _unpool(3, (1, 2, 4, 6, 6), 2)
    return [Sample(v, i, size, [2, 2, 2], [0, 0, 0]), Sample(v, i, [5, 7, 6], [2, 2, 2], [0, 0, 0])]


@samples("aten.max_pool2d_with_indices_backward.default")
def _max_pool2d_backward():
    out = []
    for shape, args in (((2, 3, 8, 8), ([2, 2], [2, 2], [0, 0], [1, 1], False)),
                        ((1, 2, 7, 9), ([3, 3], [2, 2], [1, 1], [1, 1], True)),
                        ((2, 7, 7), ([2, 2], [1, 1], [0, 0], [2, 2], False))):
        x = T(*shape)
        vals, idx = aten.max_pool2d_with_indices.default(x, *args)
        out.append(Sample(T(*vals.shape), x, *args, idx))
    return out


@samples("aten.avg_pool2d_backward.default")
def _avg_pool2d_backward():
    out = []
    for shape, args in (((2, 3, 8, 8), ([2, 2], [2, 2], [0, 0], False, True, None)),
                        ((1, 2, 7, 9), ([3, 3], [2, 2], [1, 1], True, False, None)),
                        ((1, 2, 7, 9), ([3, 2], [2, 1], [1, 0], False, True, None)),
                        ((2, 6, 6), ([2, 2], [2, 2], [0, 0], False, True, 3))):
        x = T(*shape)
        y = aten.avg_pool2d.default(x, *args)
        out.append(Sample(T(*y.shape), x, *args))
    return out


@samples("aten._adaptive_avg_pool2d_backward.default")
def _adaptive_avg_pool2d_backward():
    return [Sample(T(2, 3, 3, 4), T(2, 3, 7, 9)), Sample(T(2, 1, 1), T(2, 5, 5)), Sample(T(1, 2, 8, 8), T(1, 2, 8, 8))]


# ------------------------------------------------------------- padding ----
@samples("aten.reflection_pad1d.default", "aten.replication_pad1d.default")
def _pad1d():
    return [Sample(T(2, 3, 6), [2, 1]), Sample(T(3, 5), [0, 4]), Sample(T(2, 3, 4), [4, 1]),
            Sample(T(2, 3, 6), [-1, 2]), Sample(T(2, 3, 6), [-2, -1])]


@samples("aten.reflection_pad2d.default", "aten.replication_pad2d.default")
def _pad2d():
    return [Sample(T(2, 3, 5, 6), [2, 1, 0, 3]), Sample(T(3, 4, 5), [1, 1, 1, 1]), Sample(T(1, 2, 3), [3, 0, 0, 0])]


@samples("aten.reflection_pad3d.default", "aten.replication_pad3d.default")
def _pad3d():
    return [Sample(T(1, 2, 3, 4, 5), [1, 2, 0, 1, 2, 1]), Sample(T(2, 3, 4, 3), [1, 1, 1, 1, 1, 1])]


# ----------------------------------------------------------- upsampling ----
def _upsample_samples(n, align):
    shape = (2, 3) + (4, 5, 3)[:n]
    rows = [([7, 3, 5][:n], None), (None, [2.0, 1.5, 0.7][:n]), ([4, 5, 3][:n], None), (None, [1.7, 2.3, 3.0][:n])]
    out = []
    for size, scales in rows:
        for ac in ((False, True) if align else (None,)):
            middle = (ac,) if align else ()
            out.append(Sample(T(*shape), size, *middle, scales))
    out.append(Sample(T(*shape, dtype=me.float64), [6, 7, 2][:n], *((True,) if align else ()), None))
    return out


for _name, _n, _align in (("upsample_nearest1d", 1, False), ("upsample_nearest2d", 2, False),
                          ("upsample_nearest3d", 3, False), ("_upsample_nearest_exact1d", 1, False),
                          ("_upsample_nearest_exact2d", 2, False), ("_upsample_nearest_exact3d", 3, False),
                          ("upsample_linear1d", 1, True), ("upsample_bilinear2d", 2, True),
                          ("upsample_trilinear3d", 3, True), ("upsample_bicubic2d", 2, True)):
    samples(f"aten.{_name}.vec", tol=(1e-4, 1e-5))((lambda n, a: lambda: _upsample_samples(n, a))(_n, _align))


# -------------------------------------------------------- grid sampling ----
@samples("aten.grid_sampler_2d.default", "aten.grid_sampler.default", tol=(1e-4, 1e-5))
def _grid_sampler():
    x = T(2, 3, 5, 6)
    grid = T(2, 4, 7, 2, low=-1.3, high=1.3)
    return [Sample(x, grid, mode, pad, ac) for mode in (0, 1, 2) for pad in (0, 1, 2) for ac in (False, True)] + \
        [Sample(x, T(2, 4, 7, 3), 0, 0, False)]


@samples("aten.affine_grid_generator.default")
def _affine_grid():
    return [Sample(T(2, 2, 3), [2, 3, 4, 5], False), Sample(T(2, 2, 3), [2, 3, 4, 5], True),
            Sample(T(2, 3, 4), [2, 1, 3, 1, 4], False), Sample(T(1, 2, 3), [1, 3, 1, 5], True)]


# -------------------------------------------------- folds and shuffles ----
@samples("aten.im2col.default")
def _im2col():
    return [Sample(T(2, 3, 6, 7), [3, 3], [1, 1], [0, 0], [1, 1]),
            Sample(T(2, 3, 6, 7), [3, 2], [2, 1], [1, 1], [2, 3]),
            Sample(T(3, 5, 5), [2, 2], [1, 1], [1, 0], [1, 2])]


@samples("aten.col2im.default")
def _col2im():
    return [Sample(T(2, 27, 20), [6, 7], [3, 3], [1, 1], [0, 0], [1, 1]),
            Sample(T(2, 18, 12), [6, 7], [3, 2], [2, 1], [1, 1], [2, 3]),
            Sample(T(12, 12), [5, 5], [2, 2], [1, 1], [1, 0], [1, 2]),
            Sample(T(2, 27, 19), [6, 7], [3, 3], [1, 1], [0, 0], [1, 1])]


@samples("aten.pixel_shuffle.default")
def _pixel_shuffle():
    return [Sample(T(1, 8, 3, 3), 2), Sample(T(2, 2, 18, 2, 3), 3), Sample(T(9, 2, 2), 3), Sample(T(1, 7, 3, 3), 2)]


@samples("aten.pixel_unshuffle.default")
def _pixel_unshuffle():
    return [Sample(T(1, 2, 6, 6), 2), Sample(T(2, 2, 2, 6, 9), 3), Sample(T(1, 5, 5), 2)]


@samples("aten.channel_shuffle.default", "aten.native_channel_shuffle.default")
def _channel_shuffle():
    return [Sample(T(1, 6, 2, 2), 3), Sample(T(2, 8, 5), 2), Sample(T(2, 4, 2, 2, 3), 4), Sample(T(1, 5, 2, 2), 2)]


@samples("aten.one_hot.default")
def _one_hot():
    return [Sample(L(3, 4, high=5), 5), Sample(L(6, high=4)), Sample(L(2, high=3), 7), Sample(L(3, high=5), 3)]


# ----------------------------------------------------------------- fft ----
@samples("aten._fft_r2c.default")
def _fft_r2c():
    # minexport has no complex dtype: only the inputs torch refuses too can be compared
    return [Sample(T(4, dtype=me.int64), [0], 0, True)]


@samples("aten._fft_c2r.default")
def _fft_c2r():
    return [Sample(T(4, 3), [1], 0, 4)]


# ------------------------------------------------------ embedding bags ----
@samples("aten._embedding_bag.default", "aten.embedding_bag.padding_idx")
def _embedding_bag():
    w, idx, offs = T(10, 3), me.tensor([1, 2, 4, 5, 4, 3, 2, 9]), me.tensor([0, 2, 2, 5])
    last = me.tensor([0, 2, 2, 5, 8])
    out = []
    for mode in (0, 1, 2):
        for pidx in (-1, 2):
            out.append(Sample(w, idx, offs, False, mode, False, None, False, pidx))
        out.append(Sample(w, idx, last, False, mode, False, None, True, -1))
    out.append(Sample(w, idx, offs, False, 0, False, T(8), False, -1))
    out.append(Sample(w, idx, offs, False, 1, False, T(8), False, -1))
    return out


@samples("aten.embedding_dense_backward.default")
def _embedding_dense_backward():
    idx = me.tensor([[1, 2, 2], [0, 4, 1]])
    return [Sample(T(2, 3, 5), idx, 6, -1, False), Sample(T(2, 3, 5), idx, 6, 2, True),
            Sample(T(2, 3, 5, dtype=me.float64), idx, 5, 1, False)]


# --------------------------------------------------------- backward ops ----
@samples("aten.convolution_backward.default", tol=(1e-4, 1e-5))
def _convolution_backward():
    out = []
    for xs, ws, s, p, d, g, mask in (((2, 4, 7, 8), (6, 2, 3, 2), [2, 1], [1, 0], [1, 2], 2, [True, True, True]),
                                     ((2, 3, 9), (4, 3, 3), [2], [1], [1], 1, [True, True, True]),
                                     ((1, 2, 4, 5, 5), (2, 2, 2, 2, 3), [1, 2, 1], [0, 1, 1], [1, 1, 1], 1,
                                      [True, True, True]),
                                     ((2, 3, 6, 6), (4, 3, 3, 3), [1, 1], [1, 1], [1, 1], 1, [False, False, False])):
        x, w = T(*xs), T(*ws)
        y = aten.convolution.default(x, w, None, s, p, d, False, [0] * len(s), g)
        out.append(Sample(T(*y.shape), x, w, [ws[0]], s, p, d, False, [0] * len(s), g, mask))
    # a transposed convolution: its output gradient has the transposed output's shape
    x, w = T(2, 4, 5, 6), T(4, 3, 3, 3)
    out.append(Sample(T(2, 3, 10, 13), x, w, [3], [2, 2], [1, 0], [1, 1], True, [1, 0], 1, [True, True, True]))
    return out


@samples("aten.native_layer_norm_backward.default", tol=(1e-4, 1e-5))
def _layer_norm_backward():
    out = []
    for shape, norm in (((2, 3, 4), [3, 4]), ((4, 5), [5]), ((2, 3, 6), [6])):
        x, w, b = T(*shape), T(*norm), T(*norm)
        _, mean, rstd = aten.native_layer_norm.default(x, norm, w, b, 1e-5)
        out.append(Sample(T(*shape), x, norm, mean, rstd, w, b, [True, True, True]))
    return out


@samples("aten.native_group_norm_backward.default", tol=(1e-4, 1e-5))
def _group_norm_backward():
    out = []
    # (torch's CPU kernel cannot run without a weight: "tensor does not have a device")
    for (n, c, hw), g in (((2, 6, 5), 3), ((3, 4, 3), 2), ((2, 4, 6), 4)):
        x = T(n, c, hw)
        w = T(c)
        _, mean, rstd = aten.native_group_norm.default(x, w, None, n, c, hw, g, 1e-5)
        out.append(Sample(T(n, c, hw), x, mean, rstd, w, n, c, hw, g, [True, True, True]))
    return out


@samples("aten.instance_norm.default", tol=(1e-4, 1e-5))
def _instance_norm():
    return [Sample(T(2, 3, 5, 4), None, None, None, None, True, 0.1, 1e-5, False),
            Sample(T(2, 3, 6), T(3), T(3), None, None, True, 0.1, 1e-5, False),
            Sample(T(2, 3, 6), T(3), T(3), T(3), T(3, low=0.5, high=2.0), True, 0.2, 1e-5, False),
            Sample(T(2, 3, 4, 4), None, None, T(3), T(3, low=0.5, high=2.0), False, 0.1, 1e-5, False),
            Sample(T(2, 3, 4), None, None, None, None, False, 0.1, 1e-5, False)]
