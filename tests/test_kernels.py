"""Kernels at the NumPy limit: the vectorized special functions against `math`, and the
fast paths of GELU, linear, matmul, SDPA and the norms against torch."""
import math

import numpy as np
import pytest

import minexport as me
import minexport.export
from minexport.runtime import backends, special


def _ulps(got, ref, dtype):
    """|got - ref| in units of the dtype's spacing at ref (subnormal spacing at the floor)."""
    spacing = np.spacing(np.abs(ref.astype(dtype))).astype(np.float64)
    spacing = np.maximum(spacing, np.finfo(dtype).smallest_subnormal)
    return np.abs(got.astype(np.float64) - ref) / spacing


def _grid64():
    """A dense grid over the whole float64 range of erf, tiny and subnormal magnitudes included."""
    tiny = np.geomspace(5e-324, 1e-3, 400)
    wide = np.geomspace(1e-3, 30.0, 20000)
    line = np.linspace(-7, 7, 20001)
    return np.concatenate([line, tiny, -tiny, wide, -wide])


def _grid32():
    tiny = np.geomspace(1.5e-45, 1e-3, 300)
    wide = np.geomspace(1e-3, 12.0, 20000)
    line = np.linspace(-5, 5, 100001)
    return np.concatenate([line, tiny, -tiny, wide, -wide]).astype(np.float32)


def test_erf_float64_matches_math_erf():
    x = _grid64()
    ref = np.array([math.erf(v) for v in x])
    assert _ulps(special.erf(x), ref, np.float64).max() <= 2.5


def test_erfc_float64_relative_in_the_tail():
    x = _grid64()
    ref = np.array([math.erfc(v) for v in x])
    got = special.erfc(x)
    normal = ref > np.finfo(np.float64).tiny
    rel = np.abs(got[normal] - ref[normal]) / ref[normal]
    assert rel.max() < 1e-15
    # in the subnormal tail (x > 26.5) the absolute error is a few subnormal steps
    assert _ulps(got[~normal], ref[~normal], np.float64).max() <= 4


def test_erf_float32_within_three_ulps():
    x = _grid32()
    ref = np.array([math.erf(float(v)) for v in x])
    got = special.erf(x)
    assert got.dtype == np.float32
    assert _ulps(got, ref, np.float32).max() <= 3


def test_erfc_float32_correctly_rounded():
    x = _grid32()
    ref = np.array([math.erfc(float(v)) for v in x])
    got = special.erfc(x)
    assert got.dtype == np.float32
    assert _ulps(got, ref, np.float32).max() <= 0.51


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values(dtype):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], dtype)
    e, c = special.erf(x), special.erfc(x)
    assert e[:4].tolist() == [0.0, 0.0, 1.0, -1.0] and math.isnan(e[4])
    assert math.copysign(1, e[1]) == -1
    assert c[:4].tolist() == [1.0, 1.0, 0.0, 2.0] and math.isnan(c[4])
    assert special.erfc(np.array([30.0, -30.0], dtype)).tolist() == [0.0, 2.0]


def test_erf_shapes_and_out():
    x = np.linspace(-3, 3, 24, dtype=np.float32).reshape(2, 3, 4)
    out = np.empty_like(x)
    assert special.erf(x, out=out) is out
    np.testing.assert_array_equal(out, special.erf(x))
    np.testing.assert_array_equal(special.erf(x.T), special.erf(x).T)  # non-contiguous input
    assert special.erf(np.float32(0.5)).shape == ()
    assert special.erf(np.zeros((0, 3), np.float32)).shape == (0, 3)
    big = np.linspace(-4, 4, 3 * special.CHUNK + 5, dtype=np.float32)  # several chunks and a tail
    ref = np.array([math.erf(float(v)) for v in big[::97]])
    assert _ulps(special.erf(big)[::97], ref, np.float32).max() <= 3


def test_erf_half_dtype():
    x = np.linspace(-3, 3, 101).astype(np.float16)
    ref = np.array([math.erf(float(v)) for v in x])
    got = special.erf(x)
    assert got.dtype == np.float16
    assert _ulps(got, ref, np.float16).max() <= 1


def test_erfinv_inverts_erf():
    mp = pytest.importorskip("mpmath")
    p = np.concatenate([np.linspace(-1, 1, 4001)[1:-1], 1 - np.geomspace(1e-16, 0.5, 400),
                        np.geomspace(1e-300, 0.5, 400)])
    p = p[p != 0]
    with mp.workdps(40):
        ref = np.array([float(mp.erfinv(mp.mpf(v))) for v in p])
    got = special.erfinv(p)
    assert (np.abs(got - ref) / np.abs(ref)).max() < 1e-15
    edge = special.erfinv(np.array([1.0, -1.0, 0.0, -0.0, 1.5, np.nan]))
    assert edge[:2].tolist() == [math.inf, -math.inf] and edge[2:4].tolist() == [0.0, 0.0]
    assert math.copysign(1, edge[3]) == -1 and np.isnan(edge[4:]).all()
    assert special.erfinv(np.array([0.5], np.float32)).dtype == np.float32


def test_backend_erf_does_not_use_scipy(monkeypatch):
    """The NumPy backend is minexport's own implementation whether or not SciPy is importable."""
    import builtins
    real_import = builtins.__import__

    def no_scipy(name, *args, **kwargs):
        if name.startswith("scipy"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    x = np.linspace(-3, 3, 11)
    before = backends.erf(np, x)
    monkeypatch.setattr(builtins, "__import__", no_scipy)
    np.testing.assert_array_equal(backends.erf(np, x), before)
    np.testing.assert_array_equal(backends.erfc(np, x), special.erfc(x))


# ----------------------------------------------------- kernels against torch --


def _gelu_exact(x, approximate):
    """GELU of float32 values computed in float64."""
    x = x.astype(np.float64)
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x.ravel()]).reshape(x.shape)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("shape", [(), (7,), (3, 200, 333)])
def test_gelu_matches_torch(shape, approximate):
    torch = pytest.importorskip("torch")
    """Against the float64 value; as in torch, x/2 * (1 + erf) cancels for negative x, so the
    absolute error is a few float32 ulps of |x|: torch's own error is the same size."""
    a = np.asarray(np.random.default_rng(0).standard_normal(shape) * 4, dtype=np.float32)
    got = me.nn.functional.gelu(me.from_numpy(a.copy()), approximate=approximate).numpy()
    ref = torch.nn.functional.gelu(torch.from_numpy(a.copy()), approximate=approximate).numpy()
    exact = _gelu_exact(a, approximate)
    bound = 4 * np.finfo(np.float32).eps * (np.abs(a) + np.abs(exact))
    assert got.dtype == np.float32 and got.shape == a.shape
    assert (np.abs(got - exact) <= bound).all()
    assert (np.abs(ref - exact) <= bound).all()  # the bound holds torch too


def test_linear_folds_batch_into_one_gemm():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 5, 6, 8)).astype(np.float32)
    w, b = rng.standard_normal((3, 8)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    for inp in (x, x.transpose(1, 0, 2, 3)):  # contiguous and not
        got = me.nn.functional.linear(me.from_numpy(inp), me.from_numpy(w), me.from_numpy(b)).numpy()
        ref = torch.nn.functional.linear(torch.from_numpy(inp), torch.from_numpy(w), torch.from_numpy(b)).numpy()
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
        got = (me.from_numpy(inp) @ me.from_numpy(w.T.copy())).numpy()
        np.testing.assert_allclose(got, torch.from_numpy(inp) @ torch.from_numpy(w.T.copy()), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("L,S", [(5, 5), (3, 7), (7, 3)])
def test_sdpa_causal_mask_cache(L, S):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    q = rng.standard_normal((2, 3, L, 4)).astype(np.float32)
    k, v = (rng.standard_normal((2, 3, S, 4)).astype(np.float32) for _ in range(2))
    for _ in range(2):  # the second call reads the cached mask
        got = me.nn.functional.scaled_dot_product_attention(
            me.from_numpy(q), me.from_numpy(k), me.from_numpy(v), is_causal=True).numpy()
        ref = torch.nn.functional.scaled_dot_product_attention(
            torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), is_causal=True).numpy()
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    from minexport.ops import nn_ops
    # (other tests may have cached a mask of the same size on another backend)
    mask = next(m for key, m in nn_ops._CAUSAL_MASKS.items() if key[:2] == (L, S) and isinstance(m, np.ndarray))
    assert not mask.flags.writeable


def test_norms_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 6, 5, 5)).astype(np.float32) * 3 + 1
    w, b = rng.standard_normal(6).astype(np.float32), rng.standard_normal(6).astype(np.float32)
    mx, tx = me.from_numpy(x.copy()), torch.from_numpy(x.copy())
    mw, mb, tw, tb = me.from_numpy(w), me.from_numpy(b), torch.from_numpy(w), torch.from_numpy(b)
    F, tF = me.nn.functional, torch.nn.functional
    pairs = [
        (F.group_norm(mx, 3, mw, mb), tF.group_norm(tx, 3, tw, tb)),
        (F.batch_norm(mx, me.zeros(6), me.ones(6), mw, mb, training=True),
         tF.batch_norm(tx, torch.zeros(6), torch.ones(6), tw, tb, training=True)),
        (F.batch_norm(mx, me.from_numpy(b), me.from_numpy(np.abs(w)), mw, mb),
         tF.batch_norm(tx, torch.from_numpy(b), torch.from_numpy(np.abs(w)), tw, tb)),
        (F.layer_norm(mx, [5, 5]), tF.layer_norm(tx, [5, 5])),
    ]
    for got, ref in pairs:
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)


def _heads(lib, x, heads):
    """q, k, v as GPT-style code makes them: split, view [B, T, H, E], transpose to [B, H, T, E]."""
    B, T, C = x.shape
    width = C // 3
    return [t.view(B, T, heads, width // heads).transpose(1, 2) for t in x.split(width, dim=2)]


@pytest.mark.parametrize("kwargs", [{"is_causal": True}, {}, {"scale": 0.5}])
def test_attention_output_layout_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 8, 48)).astype(np.float32)
    for q_layout in (lambda lib, t: _heads(lib, t, 4), lambda lib, t: [h.contiguous() for h in _heads(lib, t, 4)]):
        ours = me.nn.functional.scaled_dot_product_attention(*q_layout(me, me.from_numpy(x)), **kwargs)
        theirs = torch.nn.functional.scaled_dot_product_attention(*q_layout(torch, torch.from_numpy(x)), **kwargs)
        assert ours.stride() == theirs.stride()
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
        assert _view_is_legal(ours.transpose(1, 2), (2, 8, 16)) == _view_is_legal(theirs.transpose(1, 2), (2, 8, 16))


def _view_is_legal(t, shape):
    try:
        t.view(*shape)
    except RuntimeError:
        return False
    return True


def test_decomposed_attention_records_torch_layout_tail():
    torch = pytest.importorskip("torch")

    def program(lib, export):
        class Attend(lib.nn.Module):
            def forward(self, q, k, v):
                return lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = lib.ones(2, 4, 8, 16)
        ep = export(Attend(), (x, x, x)).run_decompositions()
        return [str(n.target).split(".")[-2] for n in ep.graph.nodes if n.op == "call_function"][-3:], \
            ep.module()(x, x, x).stride()

    assert program(me, me.export.export) == program(torch, torch.export.export)
