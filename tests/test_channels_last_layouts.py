"""Output layouts of pooling, resizing, padding, pixel (un)shuffle and instance_norm against torch's.

torch's CPU kernels lay these outputs out in the input's suggested memory format (channels-last (3d) in,
channels-last (3d) out; contiguous for any other layout), except instance_norm, circular padding and 3-d
average pooling, which are always contiguous.  Each case runs eagerly, through export (the output node's
fake strides) and ep.module(), and its decomposed program; strides are compared with size-1 dims left out
(torch's choice there is arbitrary).
"""
import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
import minexport.nn.functional as F
from minexport.export import export

torch = pytest.importorskip("torch")
TF = torch.nn.functional

_rng = np.random.default_rng(7)


def _strides(t):
    """A tensor's strides, those of size-1 dims left out."""
    return tuple(st for n, st in zip(t.shape, t.stride()) if n != 1)


def _layouts(x):
    """x contiguous, channels-last (3d) for 4-d (5-d) x, and with its last two dims swapped in memory."""
    yield "contiguous", x
    if x.ndim in (4, 5):
        perm = (0,) + tuple(range(2, x.ndim)) + (1,)
        yield "channels_last", x.transpose(perm).copy().transpose(np.argsort(perm))
    yield "hw_swapped", x.swapaxes(-1, -2).copy().swapaxes(-1, -2)


def _data(shape, dtype=np.float32):
    if np.dtype(dtype).kind == "f":
        return _rng.standard_normal(shape).astype(dtype)
    return _rng.integers(-50, 50, shape).astype(dtype)


class _Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(F, x)


def _output_val(ep):
    """The fake value export recorded for the program's (first) output."""
    return [n for n in ep.graph.nodes if n.op == "output"][0].args[0][0].meta["val"]


def _check(fn, x, exported=True, tol=1e-5):
    """fn's output (its first tensor) eagerly, in export's graph, in ep.module() and decomposed: values and
    strides as torch's."""
    expected = fn(TF, torch.from_numpy(x))
    eager = fn(F, me.from_numpy(x))
    np.testing.assert_allclose(eager.numpy(), expected.numpy(), rtol=tol, atol=tol, equal_nan=True)
    assert _strides(eager) == _strides(expected), "eager"
    if not exported:
        return
    ep = export(_Fn(fn), (me.from_numpy(x),))
    assert _strides(_output_val(ep)) == _strides(expected), "meta"
    got = ep.module()(me.from_numpy(x))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=tol, atol=tol, equal_nan=True)
    assert _strides(got) == _strides(expected), "ep.module()"
    dep = ep.run_decompositions()
    assert _strides(_output_val(dep)) == _strides(expected), "decomposed meta"
    np.testing.assert_allclose(dep.module()(me.from_numpy(x)).numpy(), expected.numpy(), rtol=tol, atol=tol,
                               equal_nan=True)


_OPS_2D = {
    "max_pool2d": lambda F, x: F.max_pool2d(x, 2),
    "max_pool2d_padded": lambda F, x: F.max_pool2d(x, 3, 2, 1),
    "max_pool2d_indices": lambda F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True)[1],
    "avg_pool2d": lambda F, x: F.avg_pool2d(x, 2),
    "avg_pool2d_padded": lambda F, x: F.avg_pool2d(x, 3, 2, 1),
    "avg_pool2d_ceil": lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avg_pool2d_divisor": lambda F, x: F.avg_pool2d(x, 3, 2, 1, divisor_override=3),
    "adaptive_avg_pool2d": lambda F, x: F.adaptive_avg_pool2d(x, 3),
    "adaptive_avg_pool2d_1": lambda F, x: F.adaptive_avg_pool2d(x, 1),
    "adaptive_max_pool2d": lambda F, x: F.adaptive_max_pool2d(x, 3),
    "adaptive_max_pool2d_indices": lambda F, x: F.adaptive_max_pool2d(x, 3, return_indices=True)[1],
    "nearest": lambda F, x: F.interpolate(x, scale_factor=2),
    "nearest_exact": lambda F, x: F.interpolate(x, size=(7, 5), mode="nearest-exact"),
    "bilinear": lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear"),
    "bilinear_corners": lambda F, x: F.interpolate(x, size=(7, 5), mode="bilinear", align_corners=True),
    "bilinear_aa": lambda F, x: F.interpolate(x, size=(5, 4), mode="bilinear", antialias=True),
    "bicubic": lambda F, x: F.interpolate(x, scale_factor=2, mode="bicubic"),
    "area": lambda F, x: F.interpolate(x, size=(5, 5), mode="area"),
    "pad_constant": lambda F, x: F.pad(x, (1, 1, 1, 1)),
    "pad_negative": lambda F, x: F.pad(x, (-1, 1, 0, -2), value=2.0),
    "pad_channels": lambda F, x: F.pad(x, (0, 0, 0, 0, 1, 1)),
    "pad_reflect": lambda F, x: F.pad(x, (1, 1, 1, 1), mode="reflect"),
    "pad_replicate": lambda F, x: F.pad(x, (1, 2, 1, 0), mode="replicate"),
    "pad_circular": lambda F, x: F.pad(x, (1, 1, 1, 1), mode="circular"),
    "pixel_shuffle": lambda F, x: F.pixel_shuffle(x, 2),
    "pixel_unshuffle": lambda F, x: F.pixel_unshuffle(x, 2),
    "instance_norm": lambda F, x: F.instance_norm(x),
}
# the decomposed programs of these gather with index.Tensor, whose kernel lays a gather out otherwise than
# its meta (not this file's concern): their decomposed ep.module() is checked for values only
_INDEX_DECOMPOSED = {"nearest_exact", "pad_reflect", "pad_replicate"}


@pytest.mark.parametrize("name", sorted(_OPS_2D))
def test_4d_ops_lay_out_their_output_as_torch(name):
    x = _data((2, 8, 6, 6))
    for layout, a in _layouts(x):
        _check(_OPS_2D[name], a, exported=True)


@pytest.mark.parametrize("name", ["max_pool2d_padded", "max_pool2d_indices", "adaptive_max_pool2d", "nearest",
                                  "pad_constant", "pad_reflect", "pixel_shuffle", "pixel_unshuffle"])
@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.uint8])
def test_other_dtypes(name, dtype):
    x = _data((2, 4, 6, 6), dtype)
    for layout, a in _layouts(x):
        try:
            _OPS_2D[name](TF, torch.from_numpy(a))
        except NotImplementedError:
            # (torch has no integer adaptive max pooling, nor integer channels-last nearest resizing, where
            # minexport computes them: a known difference, not a layout one)
            continue
        _check(_OPS_2D[name], a, exported=False, tol=1e-3)


@pytest.mark.parametrize("shape", [(2, 1, 6, 6), (2, 8, 1, 1), (1, 8, 6, 6), (2, 4, 6, 6)])
def test_ambiguous_shapes_eagerly_and_in_ep_module(shape):
    """Inputs where channels-last and contiguous coincide in some dims (C == 1, H == W == 1, N == 1, an
    output with one channel): eager and ep.module() follow torch (export fakes such an input contiguous, so
    its graph's fake strides may differ where torch's heuristic reads the size-1 dims' strides)."""
    x = _data(shape)
    for name, fn in _OPS_2D.items():
        for layout, a in _layouts(x):
            try:
                expected = fn(TF, torch.from_numpy(a))
            except (RuntimeError, ValueError):
                continue
            eager = fn(F, me.from_numpy(a))
            assert _strides(eager) == _strides(expected), (name, layout)
            got = export(_Fn(fn), (me.from_numpy(a),)).module()(me.from_numpy(a))
            assert _strides(got) == _strides(expected), (name, layout)
            np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


_OPS_3D = {
    "max_pool3d": lambda F, x: F.max_pool3d(x, 2),
    "max_pool3d_indices": lambda F, x: F.max_pool3d(x, 2, return_indices=True)[1],
    "avg_pool3d": lambda F, x: F.avg_pool3d(x, 2),
    "adaptive_avg_pool3d": lambda F, x: F.adaptive_avg_pool3d(x, 2),
    "adaptive_max_pool3d": lambda F, x: F.adaptive_max_pool3d(x, 2),
    "nearest3d": lambda F, x: F.interpolate(x, scale_factor=2),
    "trilinear": lambda F, x: F.interpolate(x, scale_factor=2, mode="trilinear"),
    "pad_constant": lambda F, x: F.pad(x, (1, 1, 1, 1, 1, 1)),
    "pad_reflect": lambda F, x: F.pad(x, (1, 1, 1, 1, 1, 1), mode="reflect"),
    "pad_replicate": lambda F, x: F.pad(x, (1, 1, 1, 1, 1, 1), mode="replicate"),
    "pad_circular": lambda F, x: F.pad(x, (1, 1, 1, 1, 1, 1), mode="circular"),
    "instance_norm": lambda F, x: F.instance_norm(x),
}


@pytest.mark.parametrize("name", sorted(_OPS_3D))
def test_5d_ops_channels_last_3d(name):
    x = _data((2, 4, 4, 5, 6))
    for layout, a in _layouts(x):
        _check(_OPS_3D[name], a, exported=False)
        expected = _OPS_3D[name](TF, torch.from_numpy(a))
        got = export(_Fn(_OPS_3D[name]), (me.from_numpy(a),)).module()(me.from_numpy(a))
        assert _strides(got) == _strides(expected), layout


_OPS_UNBATCHED = {
    "max_pool2d": lambda F, x: F.max_pool2d(x, 2),
    "avg_pool2d": lambda F, x: F.avg_pool2d(x, 3, 2, 1),
    "adaptive_avg_pool2d": lambda F, x: F.adaptive_avg_pool2d(x, 3),
    "adaptive_max_pool2d": lambda F, x: F.adaptive_max_pool2d(x, 3),
    "nearest1d": lambda F, x: F.interpolate(x, scale_factor=2),
    "linear1d": lambda F, x: F.interpolate(x, scale_factor=2, mode="linear"),
    "pad_constant": lambda F, x: F.pad(x, (1, 1, 1, 1)),
    "pad_reflect": lambda F, x: F.pad(x, (1, 1), mode="reflect"),
    "pixel_shuffle": lambda F, x: F.pixel_shuffle(x, 2),
    "instance_norm": lambda F, x: F.instance_norm(x),
}


@pytest.mark.parametrize("name", sorted(_OPS_UNBATCHED))
def test_3d_inputs_are_contiguous(name):
    x = _data((8, 6, 6))
    for layout, a in _layouts(x):
        _check(_OPS_UNBATCHED[name], a, exported=False)


def test_constant_pad_without_padding_keeps_the_input_strides():
    """torch clones the input when nothing is padded (preserve_format: a permuted input stays permuted)."""
    x = _data((2, 3, 4, 5))
    for layout, a in _layouts(x):
        expected = TF.pad(torch.from_numpy(a), (0, 0, 0, 0))
        got = me.ops.aten.constant_pad_nd.default(me.from_numpy(a), [0, 0, 0, 0])
        assert _strides(got) == _strides(expected), layout
        assert not np.shares_memory(got.numpy(), a)
        ep = export(_Fn(lambda F, x: F.pad(x, (0, 0, 0, 0))), (me.from_numpy(a),))
        assert _strides(_output_val(ep)) == _strides(expected), layout


def test_negative_padding_gives_a_dense_output():
    x = _data((2, 3, 8, 8))
    for layout, a in _layouts(x):
        got = F.pad(me.from_numpy(a), (-1, 1, -2, 0))
        expected = TF.pad(torch.from_numpy(a), (-1, 1, -2, 0))
        assert got.stride() == expected.stride(), layout
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_instance_norm_exports_a_channels_last_input():
    """The decomposition views the input as one sample of N*C channels: a channels-last input is first
    copied contiguous (it used to fail to view)."""
    x = next(a for layout, a in _layouts(_data((2, 4, 6, 6))) if layout == "channels_last")
    fn = _OPS_2D["instance_norm"]
    _check(fn, x, exported=True)
    weight = _data(4)
    expected = TF.instance_norm(torch.from_numpy(x), weight=torch.from_numpy(weight))
    got = F.instance_norm(me.from_numpy(x), weight=me.from_numpy(weight))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    assert _strides(got) == _strides(expected)


@pytest.mark.parametrize("name", ["nearest", "bilinear", "bicubic", "pad_reflect", "pad_replicate",
                                  "pixel_shuffle", "pixel_unshuffle"])
def test_decomposed_graph_strides_match_torchs_decomposed_program(name):
    fn = _OPS_2D[name]
    x = next(a for layout, a in _layouts(_data((2, 8, 6, 6))) if layout == "channels_last")

    class Theirs(torch.nn.Module):
        def forward(self, x):
            return fn(TF, x)
    theirs = torch.export.export(Theirs(), (torch.from_numpy(x),)).run_decompositions()
    ours = export(_Fn(fn), (me.from_numpy(x),)).run_decompositions()
    assert _strides(_output_val(ours)) == _strides(_output_val(theirs))
    assert _strides(ours.module()(me.from_numpy(x))) == _strides(theirs.module()(torch.from_numpy(x)))


@pytest.mark.parametrize("shape", [(2, 6, 6, 1), (2, 1, 1, 3), (1, 5, 5, 3)], ids=["C=1", "H=W=1", "N=1"])
def test_export_keeps_an_ambiguous_input_layout(shape):
    """An input whose strides NumPy's C-contiguous flag cannot tell from contiguous ones (a size-1 dim) is
    faked with its own strides, as torch fakes it: the exported placeholder, the convolution it feeds and
    the module's output all have torch's strides."""
    x = torch.randn(*shape).permute(0, 3, 1, 2)
    c = x.shape[1]

    def model(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = lib.nn.Conv2d(c, 4, 1)

            def forward(self, x):
                return self.conv(x)
        return M()
    m, t = model(me), model(torch)
    m.load_state_dict({k: me.from_numpy(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    theirs = torch.export.export(t, (x,))
    ours = me.export.export(m, (me.from_numpy(x.numpy()),))

    def strides(ep):
        return [(n.name, tuple(n.meta["val"].stride())) for n in ep.graph.nodes
                if hasattr(n.meta.get("val"), "stride")]
    assert strides(ours) == strides(theirs)
    got = ours.module()(me.from_numpy(x.numpy()))
    assert tuple(got.stride()) == tuple(theirs.module()(x).stride())
