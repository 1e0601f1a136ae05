"""The fast paths of topk (np.partition selection), transposed contiguous copies (grouped moves), sum/mean
(BLAS row sums) and softmax/log_softmax (BLAS row sums): each against torch, eager and in `ep.module()`,
on the inputs they take and on the ones their gates send to the general path."""
import numpy as np
import pytest

import minexport as me

torch = pytest.importorskip("torch")
ml_dtypes = pytest.importorskip("ml_dtypes")


class _Fn(me.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def _module(fn, x):
    """`fn` exported on example input x, as the compiled plan `ep.module()`."""
    return me.export.export(_Fn(fn), (x,)).module()


def _np(t):
    return t.numpy() if isinstance(t, torch.Tensor) else np.asarray(t.numpy())


def _same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.ascontiguousarray(a).tobytes() == \
        np.ascontiguousarray(b).tobytes()


def _special(rng, shape, dtype):
    """Normal values with NaN, +-inf, +-0.0 and repeated values sprinkled in (floats), or small integers."""
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 100 if np.dtype(dtype).kind == "u" else 50, shape).astype(dtype)
    x = rng.standard_normal(shape)
    f = x.reshape(-1)
    f[::17] = np.nan
    f[::19] = np.inf
    f[::23] = -np.inf
    f[::29] = 0.0
    f[::31] = -0.0
    f[::37] = 1.5
    return x.astype(dtype)


# ------------------------------------------------------------------ topk --
_TOPK_INPUTS = [
    ("rand", (20, 300), np.float32), ("rand", (3, 4, 700), np.float64), ("special", (20, 300), np.float32),
    ("special", (16, 200), np.float16), ("special", (20, 300), np.int64), ("special", (10, 400), np.uint8),
    ("ties", (20, 300), np.float32), ("rand", (4, 100), np.float32),          # rows too short: general path
    ("rand", (2, 1000), np.int32), ("rand", (5000,), np.float32),
]


def _topk_input(kind, shape, dtype, rng):
    if kind == "special":
        return _special(rng, shape, dtype)
    if kind == "ties":
        return rng.integers(-3, 4, shape).astype(dtype)
    return (rng.standard_normal(shape) * 100).astype(dtype)


@pytest.mark.parametrize("kind,shape,dtype", _TOPK_INPUTS)
def test_topk_matches_torch(kind, shape, dtype):
    rng = np.random.default_rng(0)
    x = _topk_input(kind, shape, dtype, rng)
    mx, tx = me.from_numpy(x), torch.from_numpy(x)
    n = shape[-1]
    for k in sorted({1, 5, n // 2, n - 1, n}):
        for largest in (True, False):
            tv, ti = torch.topk(tx, k, -1, largest, True)
            mv, mi = me.topk(mx, k, -1, largest, True)
            assert _same_bits(_np(mv), tv.numpy()) and np.array_equal(_np(mi), ti.numpy()), (k, largest)
            assert mv.stride() == tv.stride() and mi.stride() == ti.stride()
            # sorted=False: the same elements (torch's order follows its selection algorithm)
            tv, ti = torch.topk(tx, k, -1, largest, False)
            mv, mi = me.topk(mx, k, -1, largest, False)
            assert np.array_equal(np.sort(_np(mi), -1), np.sort(ti.numpy(), -1)), (k, largest)


def test_topk_other_dim_and_non_contiguous():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((300, 20)) * 10).astype(np.float32)
    mx, tx = me.from_numpy(x), torch.from_numpy(x)
    for a, b in ((mx, tx), (mx.t(), tx.t())):
        for dim in (0, 1):
            if a.shape[dim] < 6:
                continue
            tv, ti = torch.topk(b, 6, dim)
            mv, mi = me.topk(a, 6, dim)
            assert _same_bits(_np(mv), tv.numpy()) and np.array_equal(_np(mi), ti.numpy())
            assert mv.stride() == tv.stride() and mi.stride() == ti.stride()


def test_topk_in_module():
    rng = np.random.default_rng(2)
    x = _special(rng, (16, 256), np.float32)
    mod = _module(lambda t: me.topk(t, 7, -1), me.from_numpy(x))
    mv, mi = mod(me.from_numpy(x))
    tv, ti = torch.topk(torch.from_numpy(x), 7, -1)
    ev, ei = me.topk(me.from_numpy(x), 7, -1)
    assert _same_bits(_np(mv), tv.numpy()) and np.array_equal(_np(mi), ti.numpy())
    assert _same_bits(_np(mv), _np(ev)) and np.array_equal(_np(mi), _np(ei))


# ---------------------------------------------------------- transposed copies --
_COPY_DTYPES = [np.float32, np.float64, np.float16, ml_dtypes.bfloat16, np.int8, np.uint8, np.int16, np.int64,
                np.bool_]


def _payload_input(shape, dtype, rng):
    """Random bytes (every float bit pattern, NaN payloads and -0.0 included) of the given dtype."""
    return rng.integers(0, 256, int(np.prod(shape)) * np.dtype(dtype).itemsize, dtype=np.uint8) \
        .view(dtype).reshape(shape) if dtype is not np.bool_ else rng.random(shape) > 0.5


@pytest.mark.parametrize("dtype", _COPY_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(256, 512), (3, 512, 256), (128, 1024), (300, 1000), (2, 64, 64)])
def test_transposed_copies_bit_exact(dtype, shape):
    rng = np.random.default_rng(3)
    x = _payload_input(shape, dtype, rng)
    ref = np.ascontiguousarray(np.swapaxes(x, -1, -2))
    mt = me.from_numpy(x).transpose(-1, -2)
    for r in (mt.contiguous(), mt.clone(memory_format=me.contiguous_format)):
        assert _same_bits(_np(r), ref)
        assert r.stride() == tuple(s // ref.itemsize for s in ref.strides)
    assert _same_bits(_np(mt.clone()), ref)     # (preserve_format keeps the transposed layout)


def test_transposed_copies_as_torch_and_in_module():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 512, 256)).astype(np.float32)
    mx, tx = me.from_numpy(x), torch.from_numpy(x)
    def contiguous_format(t):
        return me.contiguous_format if isinstance(t, me.Tensor) else torch.contiguous_format
    for fn in (lambda t: t.transpose(1, 2).contiguous(),
               lambda t: t.transpose(1, 2).clone(memory_format=contiguous_format(t)),
               lambda t: t.transpose(1, 2).clone()):
        want = fn(tx)
        for got in (fn(mx), _module(fn, mx)(mx)):
            assert np.array_equal(_np(got), want.numpy()) and got.stride() == want.stride()


# ------------------------------------------------------------------ sum / mean --
def _close(got, want, rtol, atol=None):
    got, want = _np(got), want.numpy()
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(np.isposinf(got), np.isposinf(want)) and np.array_equal(np.isneginf(got), np.isneginf(want))
    fin = np.isfinite(want)
    g, w = got[fin].astype(np.float64), want[fin].astype(np.float64)
    tol = (rtol if atol is None else np.broadcast_to(atol, want.shape)[fin]) + rtol * np.abs(w)
    assert np.all(np.abs(g - w) <= tol), np.max(np.abs(g - w) - tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,dims", [((512, 64), (-1,)), ((64, 1024), (-1,)), ((4, 64, 128), (-2, -1)),
                                        ((300, 9000), (-1,)), ((8, 8), (-1,)), ((512, 64), (0,))])
def test_sum_mean_match_torch(dtype, shape, dims):
    rng = np.random.default_rng(5)
    for x in (rng.standard_normal(shape).astype(dtype), _special(rng, shape, dtype)):
        mx, tx = me.from_numpy(x), torch.from_numpy(x)
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        for keepdim in (False, True):
            for op in ("sum", "mean"):
                want = getattr(tx, op)(dims, keepdim=keepdim)
                got = getattr(mx, op)(dims, keepdim=keepdim)
                # a sum's error is relative to the sum of magnitudes (cancellation)
                scale = getattr(np.where(np.isfinite(x), np.abs(x), 0), op)(dims, keepdims=keepdim)
                _close(got, want, rtol, rtol * np.asarray(scale, dtype=np.float64))
                assert got.stride() == want.stride()


def test_sum_mean_gated_off_inputs_unchanged():
    rng = np.random.default_rng(6)
    x = rng.integers(-100, 100, (512, 64)).astype(np.int32)
    assert np.array_equal(_np(me.from_numpy(x).sum(-1)), torch.from_numpy(x).sum(-1).numpy())
    h = rng.standard_normal((512, 64)).astype(np.float16)
    _close(me.from_numpy(h).sum(-1), torch.from_numpy(h).sum(-1), 2e-3)
    b = rng.random((512, 64)) > 0.5
    assert np.array_equal(_np(me.from_numpy(b).sum(-1)), torch.from_numpy(b).sum(-1).numpy())
    f = rng.standard_normal((64, 512)).astype(np.float32)
    for mt, tt in ((me.from_numpy(f).t(), torch.from_numpy(f).t()),
                   (me.from_numpy(f)[:, ::2], torch.from_numpy(f)[:, ::2])):
        _close(mt.sum(-1), tt.sum(-1), 1e-5)
        _close(mt.mean(-1), tt.mean(-1), 1e-5)
    e = np.zeros((512, 0), np.float32)
    _close(me.from_numpy(e).mean(-1), torch.from_numpy(e).mean(-1), 0)
    _close(me.from_numpy(e).sum(-1), torch.from_numpy(e).sum(-1), 0)
    s = np.float32(3.5)
    _close(me.from_numpy(np.asarray(s)).sum(), torch.tensor(s).sum(), 0)


def test_sum_mean_in_module():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((512, 128)).astype(np.float32)
    mx = me.from_numpy(x)
    for fn, tfn in ((lambda t: t.sum(-1), lambda t: t.sum(-1)),
                    (lambda t: t.mean(-1, keepdim=True), lambda t: t.mean(-1, keepdim=True))):
        want = tfn(torch.from_numpy(x))
        got = _module(fn, mx)(mx)
        _close(got, want, 1e-5)
        assert got.stride() == want.stride()
        assert np.array_equal(_np(got), _np(fn(mx)))


# ------------------------------------------------------------------ softmax --
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("shape", [(512, 128), (4, 9000), (8, 16), (4096, 8)])
def test_softmax_matches_torch(dtype, shape):
    rng = np.random.default_rng(8)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    x[1] = np.inf if shape[0] > 3 else x[1]
    x[2, :3] = np.inf if shape[0] > 3 else x[2, :3]
    x[3, 1] = np.nan if shape[0] > 3 else x[3, 1]
    if shape[0] > 4:
        x[4] = -np.inf
    mx, tx = me.from_numpy(x), torch.from_numpy(x)
    rtol = {np.float16: 2e-3, np.float32: 2e-5, np.float64: 1e-12}[dtype]
    for name in ("softmax", "log_softmax"):
        want = getattr(torch, name)(tx, -1)
        got = getattr(me, name)(mx, -1)
        _close(got, want, rtol)
        assert got.stride() == want.stride()


def test_softmax_in_module_and_other_dims():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((256, 256)).astype(np.float32)
    x[5, 7] = np.inf
    mx, tx = me.from_numpy(x), torch.from_numpy(x)
    for name in ("softmax", "log_softmax"):
        got = _module(lambda t: getattr(me, name)(t, -1), mx)(mx)
        want = getattr(torch, name)(tx, -1)
        _close(got, want, 2e-5)
        assert np.array_equal(_np(got), _np(getattr(me, name)(mx, -1)), equal_nan=True)
        for dim, (a, b) in ((0, (mx, tx)), (-1, (mx.t(), tx.t()))):
            got, want = getattr(me, name)(a, dim), getattr(torch, name)(b, dim)
            _close(got, want, 2e-5)
            assert got.stride() == want.stride()


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_float32_scans_round_once_as_torch(op):
    """torch's CPU cumsum/cumprod of float32 accumulate in float64 and round each result once: bit for bit."""
    rng = np.random.default_rng(7)
    long = rng.standard_normal(100_000).astype(np.float32)
    near_one = (1 + rng.standard_normal((300, 7)) * 1e-2).astype(np.float32)
    cases = [(long, 0), (near_one, 0), (near_one, 1), (long.reshape(100, 1000).T.copy().T, 1)]
    for x, dim in cases:
        want = getattr(torch, op)(torch.from_numpy(x), dim).numpy()
        got = getattr(me, op)(me.from_numpy(x), dim).numpy()
        assert got.dtype == np.float32 and np.array_equal(got, want), (op, x.shape, dim)
    x64 = rng.standard_normal(5000)
    want = getattr(torch, op)(torch.from_numpy(x64), 0, dtype=torch.float32).numpy()
    np.testing.assert_array_equal(getattr(me, op)(me.from_numpy(x64), 0, dtype=me.float32).numpy(), want)
    inplace = me.from_numpy(near_one.copy())
    getattr(inplace, op + "_")(0)
    np.testing.assert_array_equal(inplace.numpy(), getattr(torch, op)(torch.from_numpy(near_one), 0).numpy())
