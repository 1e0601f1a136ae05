"""Fast paths of convolution, pooling and eval batch norm against torch 2.13 and against the general kernels
they bypass: values (bit-equal where the path is exact), NaN/inf/-0.0, dtypes, layouts, gated-off inputs,
eager and ep.module()."""
import itertools

import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
import minexport.nn.functional as F
from minexport.export import export
from minexport.ops import conv_kernels, nn_ops

torch = pytest.importorskip("torch")
TF = torch.nn.functional

_rng = np.random.default_rng(0)


def _t(a):
    return None if a is None else torch.from_numpy(np.ascontiguousarray(a) if a.ndim == 0 else a)


def _m(a):
    return None if a is None else me.from_numpy(a)


def _layouts(x):
    """x contiguous, channels-last, with H/W swapped in memory, and sliced (non-dense)."""
    yield "contiguous", x
    if x.ndim == 4:
        yield "channels_last", x.transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2)
        yield "hw_swapped", x.swapaxes(2, 3).copy().swapaxes(2, 3)
    yield "sliced", np.concatenate([x, x], axis=-1)[..., ::2]


def _strides(t):
    """A tensor's strides, those of size-1 dims left out (torch's choice there is arbitrary)."""
    return tuple(st for n, st in zip(t.shape, t.stride()) if n != 1)


def _pair(v):
    return list(v) if isinstance(v, tuple) else [v, v]


def _close(ours, theirs, tol):
    ours = ours.numpy() if hasattr(ours, "numpy") else ours
    theirs = theirs.numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol, equal_nan=True)


# ---------------------------------------------------------------- conv --
_CONV_CASES = [
    # N, C, H, W, C_out, kernel, stride, padding, dilation, groups
    (2, 8, 9, 7, 6, 3, 1, 1, 1, 1),        # im2col, stride 1 (flat runs)
    (2, 8, 9, 7, 8, 3, 1, 1, 1, 8),        # depthwise
    (2, 8, 9, 7, 16, 3, 1, 1, 1, 8),       # depthwise with a channel multiplier
    (2, 8, 9, 7, 8, 3, 2, 1, 1, 8),        # depthwise strided
    (1, 4, 5, 5, 4, 1, 1, 0, 1, 1),        # pointwise
    (2, 6, 8, 8, 4, 1, 1, 0, 1, 2),        # grouped pointwise
    (2, 6, 8, 8, 4, 1, 2, 0, 1, 1),        # 1x1 strided: im2col
    (2, 6, 8, 8, 4, 3, 2, 0, 1, 2),        # grouped strided
    (1, 3, 10, 11, 5, (3, 2), (1, 2), (2, 0), (2, 1), 1),
    (3, 4, 7, 7, 4, (2, 3), 1, (1, 0), (1, 2), 4),
    (2, 5, 6, 6, 7, 3, 1, 0, 1, 1),        # unpadded stride 1 (the input itself is the flat buffer)
    (1, 2, 3, 3, 2, 3, 1, 1, 2, 2),        # dilation reaching the padded border
    (40, 3, 6, 6, 4, 3, 1, 1, 1, 1),       # several im2col chunks over the batch
    (2, 4, 6, 5, 3, (3, 1), 1, (1, 0), 1, 1),   # stride 1 with unpadded rows (no crop)
]


@pytest.mark.parametrize("case", _CONV_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_fast_paths(case, dtype):
    N, C, H, W, n_out, k, s, p, d, g = case
    k2 = k if isinstance(k, tuple) else (k, k)
    x = _rng.standard_normal((N, C, H, W)).astype(dtype)
    x[0, 0, 0, 0], x[-1, -1, -1, -1] = np.nan, np.inf
    w = _rng.standard_normal((n_out, C // g) + k2).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for b in (None, _rng.standard_normal(n_out).astype(dtype)):
        for name, xin in _layouts(x):
            theirs = TF.conv2d(_t(xin), _t(w), _t(b), s, p, d, g)
            ours = F.conv2d(_m(xin), _m(w), _m(b), s, p, d, g)
            _close(ours, theirs, tol)
            assert _strides(ours) == _strides(theirs), name
        new = nn_ops._conv_array(np, x, w, b, _pair(s), _pair(p), _pair(d), g)
        with np.errstate(invalid="ignore"):
            old = nn_ops._conv_general(np, x, w, b, _pair(s), _pair(p), _pair(d), g)
        assert new.flags.c_contiguous and new.dtype == old.dtype
        np.testing.assert_allclose(new, old, rtol=tol, atol=tol, equal_nan=True)


def test_conv1d_and_unbatched_use_the_fast_path():
    x = _rng.standard_normal((3, 6, 20)).astype(np.float32)
    for w, kw in ((_rng.standard_normal((4, 6, 3)).astype(np.float32), dict(padding=2, dilation=2)),
                  (_rng.standard_normal((6, 1, 5)).astype(np.float32), dict(stride=2, groups=6)),
                  (_rng.standard_normal((5, 6, 1)).astype(np.float32), {})):
        assert conv_kernels.forward_fast(np, x, w, None, [kw.get("stride", 1)], [kw.get("padding", 0)],
                                         [kw.get("dilation", 1)], kw.get("groups", 1)) is not None
        _close(F.conv1d(_m(x), _m(w), **kw), TF.conv1d(_t(x), _t(w), **kw), 1e-5)
        _close(F.conv1d(_m(x[0]), _m(w), **kw), TF.conv1d(_t(x[0]), _t(w), **kw), 1e-5)
    x3 = _rng.standard_normal((4, 9, 9)).astype(np.float32)
    w3 = _rng.standard_normal((4, 1, 3, 3)).astype(np.float32)
    _close(F.conv2d(_m(x3), _m(w3), padding=1, groups=4), TF.conv2d(_t(x3), _t(w3), padding=1, groups=4), 1e-5)


def test_conv_gated_off_inputs_keep_the_general_kernel():
    x = _rng.standard_normal((2, 4, 6, 6)).astype(np.float32)
    w = _rng.standard_normal((4, 4, 3, 3)).astype(np.float32)
    for xx, ww in ((x.astype(np.float16), w.astype(np.float16)), (x[:, :, :0], w), (x, w.astype(np.float64))):
        assert conv_kernels.forward_fast(np, xx, ww, None, [1, 1], [1, 1], [1, 1], 1) is None
    assert conv_kernels.forward_fast(np, x[:0], w, None, [1, 1], [1, 1], [1, 1], 1).shape == (0, 4, 6, 6)
    assert conv_kernels.forward_fast(np, x[:, :, None], w[:, :, None], None, [1] * 3, [1] * 3, [1] * 3, 1) is None
    # 3-d convolutions and empty batches still agree with torch
    x5 = _rng.standard_normal((1, 2, 4, 4, 4)).astype(np.float32)
    w5 = _rng.standard_normal((3, 2, 2, 2, 2)).astype(np.float32)
    _close(F.conv3d(_m(x5), _m(w5), padding=1), TF.conv3d(_t(x5), _t(w5), padding=1), 1e-5)
    _close(F.conv2d(_m(x[:0]), _m(w), padding=1), TF.conv2d(_t(x[:0]), _t(w), padding=1), 1e-5)
    with pytest.raises(Exception) as ours:
        F.conv2d(_m(x), _m(w[:, :3]))
    with pytest.raises(Exception) as theirs:
        TF.conv2d(_t(x), _t(w[:, :3]))
    assert str(ours.value).split("\n")[0] == str(theirs.value).split("\n")[0]


# ------------------------------------------------------------- pooling --
_POOL_ARGS = [(k, s, p, d, c) for k, s, p, d, c in itertools.product((1, 2, 3, (2, 3)), (None, 1, 2, (2, 1)), (0, 1),
                                                                          (1, 2), (False, True))
              if p * 2 <= min(k if isinstance(k, tuple) else (k, k))]


def _special(x):
    """NaNs of both signs (two in some windows), -inf, a channel of -inf, +0.0/-0.0 ties."""
    if x.dtype.kind == "f":
        x[0, 0, 1, 1], x[0, 0, 1, 2], x[0, 0, 2, 2] = np.nan, -np.float32("nan"), np.nan
        x[0, 1, 2, 2], x[-1, 0, 0, 0] = -np.inf, -0.0
        x[-1, 1, :3, :3] = 0.0
        x[-1, 1, 1, 1] = x[-1, 1, 0, 2] = -0.0
        x[-1, -1] = -np.inf
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64, np.int32, np.uint8])
def test_max_pool2d_matches_torch_bit_for_bit(dtype):
    x = _special((_rng.standard_normal((2, 3, 7, 9)) * 20).astype(dtype))
    for (k, s, p, d, c), (name, xin) in itertools.product(_POOL_ARGS, _layouts(x)):
        theirs = TF.max_pool2d(_t(xin), k, s, p, d, c)
        ours = F.max_pool2d(_m(xin), k, s, p, d, c)
        o, t = ours.numpy(), theirs.numpy()
        assert o.dtype == t.dtype and np.array_equal(o, t, equal_nan=True), (k, s, p, d, c, name)
        assert np.array_equal(np.signbit(o), np.signbit(t)), (k, s, p, d, c, name)
        ours_v, ours_i = F.max_pool2d(_m(xin), k, s, p, d, c, return_indices=True)
        theirs_v, theirs_i = TF.max_pool2d(_t(xin), k, s, p, d, c, return_indices=True)
        assert np.array_equal(ours_i.numpy(), theirs_i.numpy()), (k, s, p, d, c, name)
        assert np.array_equal(np.signbit(ours_v.numpy()), np.signbit(theirs_v.numpy()))
        gates = nn_ops._MAX_POOL_DTYPES
        try:
            nn_ops._MAX_POOL_DTYPES = ()
            general = nn_ops._max_pool(np, xin, k, s or [], p, d, c, True)
        finally:
            nn_ops._MAX_POOL_DTYPES = gates
        # (the general kernel's values agree up to NaN signs; its indices differ from torch's in windows
        # with two NaNs and in all--inf windows next to the padding)
        assert np.array_equal(o, general[0], equal_nan=True) and o.strides == general[0].strides
        assert ours_i.numpy().strides == general[1].strides
    x3 = x[0]
    assert np.array_equal(F.max_pool2d(_m(x3), 3, 2, 1).numpy(), TF.max_pool2d(_t(x3), 3, 2, 1).numpy(),
                          equal_nan=True)


def test_max_pool2d_bool_and_bad_input_errors_as_before():
    for xx, args in ((np.ones((1, 1, 4, 4), bool), (2,)), (np.ones((1, 1, 4, 4), np.float32), (2, 1, 2)),
                     (np.ones((1, 1, 1, 1), np.float32), (2,))):
        with pytest.raises(Exception) as theirs:
            TF.max_pool2d(_t(xx), *args)
        with pytest.raises(Exception):
            F.max_pool2d(_m(xx), *args)
        del theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool2d_matches_torch_bit_for_bit(dtype):
    x = _special(_rng.standard_normal((2, 3, 7, 9)).astype(dtype))
    x[1, 1] = -0.0
    for (k, s, p, d, c), cip, dov in itertools.product([a for a in _POOL_ARGS if a[3] == 1],
                                                       (True, False), (None, 3)):
        for name, xin in _layouts(x):
            theirs = TF.avg_pool2d(_t(xin), k, s, p, c, cip, dov)
            ours = F.avg_pool2d(_m(xin), k, s, p, c, cip, dov)
            o, t = ours.numpy(), theirs.numpy()
            if name in ("contiguous", "channels_last") or p:   # the fast path: torch's order of summation
                num = ~np.isnan(t)                                # (a NaN's sign: whichever NaN came first)
                assert np.array_equal(o, t, equal_nan=True) and np.array_equal(np.signbit(o[num]), np.signbit(t[num]))
            else:
                np.testing.assert_allclose(o, t, rtol=1e-6, atol=1e-6, equal_nan=True)
            gates = nn_ops._AVG_POOL_DTYPES
            try:
                nn_ops._AVG_POOL_DTYPES = ()
                general = nn_ops._avg_pool_kernel(np, xin, k, s or [], p, c, cip, dov)
            finally:
                nn_ops._AVG_POOL_DTYPES = gates
            assert o.strides == general.strides and o.dtype == general.dtype, (name, k, s, p, c)
            np.testing.assert_allclose(o, general, rtol=1e-6, atol=1e-6, equal_nan=True)


def test_avg_pool2d_layouts_and_gated_off_dtypes():
    x = _rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    assert nn_ops._avg_pool_kernel(np, x, 2).flags.c_contiguous
    # the fold takes any layout now, its output in the input's suggested memory format as torch's
    for xin in (x.swapaxes(2, 3), x.transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2)[:, :, :2, :2]):
        ours, theirs = F.avg_pool2d(_m(xin), 2), TF.avg_pool2d(_t(xin), 2)
        assert _strides(ours) == _strides(theirs)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for dtype in (np.float16, np.int64):
        xx = (x * 10).astype(dtype)
        try:
            theirs = TF.avg_pool2d(_t(xx), 2, 2, 1)
        except Exception:
            with pytest.raises(Exception):
                F.avg_pool2d(_m(xx), 2, 2, 1)
            continue
        _close(F.avg_pool2d(_m(xx), 2, 2, 1), theirs, 1e-3)
    with pytest.raises(Exception, match="divisor must be not zero"):
        F.avg_pool2d(_m(x), 2, divisor_override=0)


@pytest.mark.parametrize("shape", [(16, 8, 32, 32), (2, 3, 7, 5), (3, 1, 1), (2, 4, 14, 14), (1, 2, 64, 64)])
def test_adaptive_avg_pool2d_global(shape):
    for dtype, tol in ((np.float32, 2e-6), (np.float64, 1e-14)):
        x = (_rng.standard_normal(shape) + 3).astype(dtype)
        x.reshape(-1)[:2] = (np.nan, np.inf)
        for name, xin in _layouts(x):
            for out in (1, (1, 1), (2, 3)):
                ours, theirs = F.adaptive_avg_pool2d(_m(xin), out), TF.adaptive_avg_pool2d(_t(xin), out)
                _close(ours, theirs, tol)
        exact = x.astype(np.longdouble).mean(axis=(-2, -1), keepdims=True)
        with np.errstate(invalid="ignore"):
            err = np.abs(F.adaptive_avg_pool2d(_m(x), 1).numpy() - exact)
            terr = np.abs(TF.adaptive_avg_pool2d(_t(x), 1).numpy() - exact)
        ulp = np.nanmax(np.spacing(np.abs(exact.astype(dtype))))
        assert np.nanmax(err) <= 2 * np.nanmax(terr) + ulp      # (both within an ulp or two of exact)
    assert F.adaptive_avg_pool2d(_m(np.zeros((2, 0, 4, 4), np.float32)), 1).shape == (2, 0, 1, 1)


# ---------------------------------------------------------- batch norm --
@pytest.mark.parametrize("shape", [(4, 8, 5, 5), (3, 8), (2, 8, 7), (2, 8, 3, 4, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_eval(shape, dtype):
    C = shape[1]
    x = _rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[:3] = (np.nan, -np.inf, -0.0)
    tol = 4e-6 if dtype == np.float32 else 1e-13
    for hw, hb, (name, xin) in itertools.product((True, False), (True, False), _layouts(x)):
        w = _rng.standard_normal(C).astype(dtype) if hw else None
        b = _rng.standard_normal(C).astype(dtype) if hb else None
        m, v = _rng.standard_normal(C).astype(dtype), (_rng.random(C) + 0.1).astype(dtype)
        m[0] = 0
        theirs = TF.batch_norm(_t(xin), _t(m), _t(v), _t(w), _t(b), False, 0.1, 1e-5)
        ours = F.batch_norm(_m(xin), _m(m), _m(v), _m(w), _m(b), False, 0.1, 1e-5)
        _close(ours, theirs, tol)
        o, t = ours.numpy(), theirs.numpy()
        assert np.array_equal(np.signbit(o[t == 0]), np.signbit(t[t == 0])), name
        assert _strides(ours) == _strides(theirs), name
        general = nn_ops._bn_compute(np, xin, w, b, m, v, 1e-5)[0]
        np.testing.assert_allclose(o, general, rtol=tol, atol=tol, equal_nan=True)


def test_batch_norm_gated_off_inputs():
    x = _rng.standard_normal((2, 4, 3, 3)).astype(np.float32)
    m, v = np.zeros(4, np.float32), np.ones(4, np.float32)
    assert nn_ops._bn_eval_fast(np, x.astype(np.float16), None, None, m.astype(np.float16),
                                v.astype(np.float16), 1e-5) is None
    assert nn_ops._bn_eval_fast(np, x, None, None, m.astype(np.float64), v, 1e-5) is None
    x16 = x.astype(np.float16)
    _close(F.batch_norm(_m(x16), _m(m.astype(np.float16)), _m(v.astype(np.float16)), training=False),
           TF.batch_norm(_t(x16), _t(m.astype(np.float16)), _t(v.astype(np.float16)), training=False), 2e-3)
    # (native op: training=False gives empty saved statistics)
    out, sm, sr = me.ops.aten._native_batch_norm_legit_no_training.default(_m(x), None, None, _m(m), _m(v), 0.1, 1e-5)
    assert tuple(sm.shape) == (0,) and tuple(sr.shape) == (0,)
    _close(out, TF.batch_norm(_t(x), _t(m), _t(v), training=False), 1e-6)


# ---------------------------------------------------------- ep.module() --
def _block(lib, depthwise):
    L = lib.nn
    return L.Sequential(
        L.Conv2d(4, 8, 3, padding=1, bias=False), L.BatchNorm2d(8), L.ReLU(),
        L.Conv2d(8, 8, 3, padding=1, groups=8 if depthwise else 1), L.BatchNorm2d(8), L.ReLU(),
        L.MaxPool2d(3, 2, 1), L.Conv2d(8, 6, 1), L.AvgPool2d(2), L.AdaptiveAvgPool2d(1))


@pytest.mark.parametrize("depthwise", [True, False])
@pytest.mark.parametrize("channels_last", [False, True])
def test_small_convnet_in_ep_module(depthwise, channels_last):
    theirs = _block(torch, depthwise).eval()
    with torch.no_grad():
        for mod in theirs.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-1, 1)
                mod.running_var.uniform_(0.5, 2)
                mod.weight.uniform_(0.5, 2)
                mod.bias.uniform_(-1, 1)
    ours = _block(me, depthwise).eval()
    ours.load_state_dict({k: me.from_numpy(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    x = _rng.standard_normal((2, 4, 16, 16)).astype(np.float32)
    if channels_last:
        x = x.transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2)
    with torch.no_grad():
        expected = theirs(_t(x))
    eager = ours(_m(x))
    mod = export(ours, (_m(x),)).module()
    got = mod(_m(x))
    _close(eager, expected, 1e-5)
    _close(got, expected, 1e-5)
    assert _strides(got) == _strides(eager) == _strides(expected)
    decomposed = export(ours, (_m(x),)).run_decompositions().module()
    _close(decomposed(_m(x)), expected, 1e-5)


class _Conv(nn.Module):
    def __init__(self, fn, **kw):
        super().__init__()
        self.fn, self.kw = fn, kw

    def forward(self, x, w, b):
        return self.fn(x, w, b, **self.kw)


@pytest.mark.parametrize("exported_cl, run_cl", [(False, False), (False, True), (True, False), (True, True)])
def test_conv_in_ep_module_lays_out_its_output_from_the_run_inputs(exported_cl, run_cl):
    """ep.module()'s specialized conv trusts shapes and dtypes, not strides: an input laid out otherwise than
    at export gets the layout torch gives that input (channels-last in, channels-last out)."""
    def laid(a, cl):
        return a.transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2) if cl else a
    x = _rng.standard_normal((2, 6, 9, 9)).astype(np.float32)
    w = _rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    b = _rng.standard_normal(8).astype(np.float32)
    mod = export(_Conv(F.conv2d, padding=1, stride=2, groups=2), (_m(laid(x, exported_cl)), _m(w), _m(b))).module()
    x2 = laid(_rng.standard_normal(x.shape).astype(np.float32), run_cl)
    got = mod(_m(x2), _m(w), _m(b))
    expected = TF.conv2d(_t(x2), _t(w), _t(b), padding=1, stride=2, groups=2)
    _close(got, expected, 1e-5)
    assert _strides(got) == _strides(expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_conv1d_unbatched_and_no_bias_in_ep_module(dtype):
    x = _rng.standard_normal((6, 20)).astype(dtype)
    w = _rng.standard_normal((4, 6, 3)).astype(dtype)
    for b in (None, _rng.standard_normal(4).astype(dtype)):
        mod = export(_Conv(F.conv1d, padding=2, dilation=2), (_m(x), _m(w), _m(b))).module()
        expected = TF.conv1d(_t(x), _t(w), _t(b), padding=2, dilation=2)
        got = mod(_m(x), _m(w), _m(b))
        _close(got, expected, 1e-5 if dtype == np.float32 else 1e-2 if dtype == np.float16 else 1e-12)
        assert got.shape == tuple(expected.shape)


@pytest.mark.parametrize("exported_cl, run_cl", [(False, True), (True, False), (True, True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_eval_batch_norm_in_ep_module_follows_the_run_input_layout(exported_cl, run_cl, dtype):
    """ep.module()'s specialized eval batch_norm: values as torch's, and the layout torch gives the input of
    each run, whatever the layout at export."""
    def laid(a, cl):
        return a.transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2) if cl else a
    theirs, ours = torch.nn.BatchNorm2d(6).eval(), nn.BatchNorm2d(6).eval()
    with torch.no_grad():
        theirs.running_mean.uniform_(-1, 1)
        theirs.running_var.uniform_(0.5, 2)
        theirs.weight.uniform_(0.5, 2)
        theirs.bias.uniform_(-1, 1)
    theirs, ours = theirs.to(getattr(torch, np.dtype(dtype).name)), ours.to(getattr(me, np.dtype(dtype).name))
    ours.load_state_dict({k: me.from_numpy(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    x = _rng.standard_normal((2, 6, 5, 7)).astype(dtype)
    mod = export(ours, (_m(laid(x, exported_cl)),)).module()
    x2 = laid(_rng.standard_normal(x.shape).astype(dtype), run_cl)
    with torch.no_grad():
        expected = theirs(_t(x2))
    got = mod(_m(x2))
    _close(got, expected, 1e-5 if dtype == np.float32 else 1e-2 if dtype == np.float16 else 1e-12)
    assert _strides(got) == _strides(expected)


_ADAPTIVE = [("adaptive_avg_pool2d 1x1", lambda L: L.nn.functional.adaptive_avg_pool2d, (2, 3, 4, 4), 1),
             ("adaptive_avg_pool2d", lambda L: L.nn.functional.adaptive_avg_pool2d, (2, 3, 4, 4), 2),
             ("_adaptive_avg_pool2d 1x1", lambda L: L.ops.aten._adaptive_avg_pool2d.default, (2, 3, 4, 4), [1, 1]),
             ("adaptive_avg_pool1d", lambda L: L.nn.functional.adaptive_avg_pool1d, (2, 3, 4), 2),
             ("adaptive_avg_pool3d", lambda L: L.nn.functional.adaptive_avg_pool3d, (1, 2, 3, 4, 4), 2),
             ("adaptive_max_pool1d", lambda L: L.nn.functional.adaptive_max_pool1d, (2, 3, 4), 2),
             ("adaptive_max_pool2d", lambda L: L.nn.functional.adaptive_max_pool2d, (2, 3, 4, 4), 2),
             ("adaptive_max_pool3d", lambda L: L.nn.functional.adaptive_max_pool3d, (1, 2, 3, 4, 4), 2)]


@pytest.mark.parametrize("name, fn, shape, size", _ADAPTIVE, ids=[c[0] for c in _ADAPTIVE])
@pytest.mark.parametrize("dtype", ["int64", "bool", "uint8", "float16"])
def test_adaptive_pooling_refuses_what_torch_refuses(name, fn, shape, size, dtype):
    """Adaptive pooling is defined for floating dtypes only: an integer or bool input raises torch's error
    (the CPU kernel's NotImplementedError, or mean's dtype error for the composite's 1x1 output)."""
    t = torch.arange(int(np.prod(shape))).reshape(shape).to(getattr(torch, dtype))
    m = me.from_numpy(t.numpy().copy())
    try:
        want = fn(torch)(t, size)
    except RuntimeError as e:
        with pytest.raises(type(e)) as got:
            fn(me)(m, size)
        assert str(got.value) == str(e)
        return
    got = fn(me)(m, size)
    for ours, theirs in zip(got, want) if isinstance(want, tuple) else [(got, want)]:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
