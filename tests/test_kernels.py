"""Kernels at the NumPy limit: the vectorized special functions against `math`, and the
fast paths of GELU, linear, matmul, SDPA and the norms against torch."""
import math
import warnings

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
    from minexport.ops import nn_ops
    nn_ops._CAUSAL_MASKS.clear()
    cached = None
    for _ in range(2):  # the second call reads the masks the first one cached
        got = me.nn.functional.scaled_dot_product_attention(
            me.from_numpy(q), me.from_numpy(k), me.from_numpy(v), is_causal=True).numpy()
        ref = torch.nn.functional.scaled_dot_product_attention(
            torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), is_causal=True).numpy()
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
        masks = {key: id(m) for key, m in nn_ops._CAUSAL_MASKS.items()}
        assert masks and masks == (cached or masks)
        cached = masks
    assert not any(m.flags.writeable for m in nn_ops._CAUSAL_MASKS.values())


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


# ------------------------------------------------------------ float32 GELU --
# The NumPy float32 path (runtime/special.py, gelu32) computes x / (1 + exp(z)), both
# approximations.  Its error is stated in two parts: where the result is not tiny
# (x >= -1) in ulps of the result; below, where x * Phi(x) cancels to a small value,
# absolutely, against |x| * 2^-24 (half an ulp of x).

def _gelu_grid32():
    """Dense around 0, then out to the float32 limit both ways, tiny and subnormal values included."""
    tiny = np.geomspace(1.5e-45, 1e-3, 300)
    wide = np.geomspace(1e-3, 3e38, 20000)
    line = np.linspace(-10, 10, 200001)
    return np.unique(np.concatenate([line, tiny, -tiny, wide, -wide]).astype(np.float32))


def _gelu_errors(got, x, ref):
    """(max ulps of the result over x >= -1, max |error| / (|x| 2^-24) over x < -1)."""
    with np.errstate(invalid="ignore"):
        err = np.abs(got.astype(np.float64) - ref)
    err[np.isinf(ref) & (got == ref)] = 0
    near = x >= -1
    return _ulps(got[near], ref[near], np.float32).max(), \
        (err[~near] / (np.abs(x[~near].astype(np.float64)) * 2.0 ** -24)).max()


_GELU32_BOUNDS = {"none": (4.5, 1.0), "tanh": (3.0, 1.0)}   # measured: (4.18, 0.91), (2.68, 0.63)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_accuracy(approximate):
    x = _gelu_grid32()
    got = me.nn.functional.gelu(me.from_numpy(x), approximate=approximate).numpy()
    assert got.dtype == np.float32
    ulps, absolute = _gelu_errors(got, x, _gelu_exact(x, approximate))
    assert ulps <= _GELU32_BOUNDS[approximate][0] and absolute <= _GELU32_BOUNDS[approximate][1]


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_no_worse_than_torch(approximate):
    torch = pytest.importorskip("torch")
    x = _gelu_grid32()
    exact = _gelu_exact(x, approximate)
    ours = _gelu_errors(me.nn.functional.gelu(me.from_numpy(x), approximate=approximate).numpy(), x, exact)
    theirs = _gelu_errors(torch.nn.functional.gelu(torch.from_numpy(x), approximate=approximate).numpy(), x, exact)
    assert ours[0] <= theirs[0] and ours[1] <= theirs[1]


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_special_values(approximate):
    """+-inf, NaN, huge and tiny values.  torch's sign of a zero result differs between its own
    paths (+0 on its contiguous vectorized float32 loop, -0 on one element, non-contiguous or
    float64 input); ours is always x's sign, so only the values are compared with torch's."""
    x = np.array([-np.inf, -3e38, -1e30, -100, -20, -13, -0.0, 0.0, 1.4e-45, -1.4e-45, 1e-40, 6, 100,
                  3e38, np.inf, np.nan], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no overflow / invalid warnings escape
        got = me.nn.functional.gelu(me.from_numpy(x), approximate=approximate).numpy()
    assert math.isnan(got[0]) and math.isnan(got[-1])
    assert got[1:7].tolist() == [0.0] * 6 and np.signbit(got[1:7]).all()
    assert got[7:10].tolist() == [0.0] * 3 and np.signbit(got[7:10]).tolist() == [False, False, True]
    assert got[10] == x[10] / 2
    assert got[11:15].tolist() == x[11:15].tolist()
    torch = pytest.importorskip("torch")
    ref = torch.nn.functional.gelu(torch.from_numpy(x), approximate=approximate).numpy()
    np.testing.assert_array_equal(got, ref)     # equal as values: -0 == +0, NaN == NaN


def test_gelu_float32_tail_never_turns():
    """g's polynomial runs unclipped: beyond its fitted range z must keep falling, so the result
    is exactly x for every x >= 5.5 and within |x| * 2^-24 of 0 for every x <= -5.5."""
    x = np.geomspace(5.5, 3.4e38, 200001).astype(np.float32)
    out = np.empty_like(x)
    assert (special.gelu32(x, out) == x).all()
    assert (np.abs(special.gelu32(-x, out)) <= x * 2.0 ** -24).all()


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_in_place_and_layouts(approximate):
    """gelu32 may write into its input (the runner's donating form) across chunk boundaries; a
    non-contiguous input keeps torch's layout on the ordinary path."""
    x = np.random.default_rng(3).standard_normal(2 * special.CHUNK + 77).astype(np.float32) * 3
    fresh = special.gelu32(x, np.empty_like(x), approximate)
    y = x.copy()
    assert special.gelu32(y, y, approximate) is y
    np.testing.assert_array_equal(y, fresh)
    a = x[:6 * 500].reshape(6, 500).T               # non-contiguous
    got = me.nn.functional.gelu(me.from_numpy(a), approximate=approximate)
    assert got.stride() == (1, 500)
    np.testing.assert_array_equal(got.numpy(), fresh[:3000].reshape(6, 500).T)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_donates_its_input_in_the_runner(approximate, monkeypatch):
    """In ep.module(), gelu of a Linear's output (read by nobody else) is computed into that output."""
    from minexport.ops import pointwise
    seen = []

    def spy(x, out, approximate="none"):
        seen.append(out is x)
        return special.gelu32(x, out, approximate)
    monkeypatch.setattr(pointwise, "gelu32", spy)

    class M(me.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = me.nn.Linear(8, 16)

        def forward(self, x):
            return me.nn.functional.gelu(self.fc(x), approximate=approximate)
    m = M()
    x = me.from_numpy(np.random.default_rng(4).standard_normal((4, 8)).astype(np.float32))
    want = m(x).numpy()
    seen.clear()
    got = minexport.export.export(m, (x,)).module()(x).numpy()
    assert seen == [True]
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_generated_gelu_uses_the_float32_kernel(approximate, tmp_path):
    """Generated CPU code runs the same chunked float32 GELU as ep.module(): equal results."""
    import importlib.util

    from minexport.codegen import write_module

    class M(me.nn.Module):
        def forward(self, x):
            return me.nn.functional.gelu(x * 2, approximate=approximate)
    x = me.from_numpy(np.random.default_rng(5).standard_normal((3, 50)).astype(np.float32))
    ep = minexport.export.export(M(), (x,))
    path = write_module(ep, str(tmp_path / "gen.py"))
    assert "def gelu32(" in open(path).read()
    spec = importlib.util.spec_from_file_location("_gelu_gen", path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    np.testing.assert_array_equal(gen.forward(x.numpy())[0], ep.module()(x).numpy())


# ------------------------------------------------- SDPA blocks (sdpa task) --
def _attention64(q, k, v, causal, scale=None):
    """float64 attention with the causal mask written out (top-left aligned, as torch)."""
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    s = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * s
    if causal:
        scores = np.where(np.tril(np.ones(scores.shape[-2:], bool)), scores, -np.inf)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)) @ v


@pytest.fixture
def small_blocks(monkeypatch):
    """Attention by `_sdpa_blocks` at any size, causal in blocks of 8 queries (the defaults block only
    large inputs)."""
    from minexport.ops import nn_ops
    monkeypatch.setattr(nn_ops, "_BLOCK_MIN", 8)
    monkeypatch.setattr(nn_ops, "_BLOCK_ROW", 1)
    monkeypatch.setattr(nn_ops, "_BLOCKS_MIN_SCORES", 0)
    monkeypatch.setattr(nn_ops, "_WIDE_MIN", 1)


@pytest.mark.parametrize("L,S", [(64, 64), (37, 37), (50, 64), (64, 50), (23, 9), (9, 23), (1, 5), (5, 1), (17, 0)])
@pytest.mark.parametrize("causal", [True, False])
def test_sdpa_blocks_match_reference_and_general_path(L, S, causal, small_blocks):
    from minexport.ops import nn_ops
    rng = np.random.default_rng(4)
    q = rng.standard_normal((2, 3, L, 8)).astype(np.float32) * 2
    k, v = (rng.standard_normal((2, 3, S, 8)).astype(np.float32) * 2 for _ in range(2))
    v = v[..., :6]      # value width != query width
    s = 1 / math.sqrt(8)
    assert nn_ops._blockable(q, k, v) == (L > 1 and S > 0)
    got = nn_ops._sdpa_kernel(np, q, k, v, is_causal=causal)
    general = nn_ops._sdpa_keys_first(np, q, k, v, s, causal)
    assert got.dtype == np.float32 and got.shape == (2, 3, L, 6) and got.strides == general.strides
    tol = 8 * np.finfo(np.float32).eps * max(np.abs(v).max(initial=0), 1)   # torch is within 3 here
    np.testing.assert_allclose(got, general, rtol=0, atol=tol)
    if S:
        np.testing.assert_allclose(got, _attention64(q, k, v, causal), rtol=0, atol=tol)
    else:
        assert not got.any()


@pytest.mark.parametrize("L,S", [(37, 37), (50, 29), (29, 50)])
def test_sdpa_blocks_broadcast_corner(L, S, small_blocks, monkeypatch):
    """Above `_CORNER_FULL_MAX` the cached corner mask is broadcast over the batch dims: same results."""
    from minexport.ops import nn_ops
    rng = np.random.default_rng(9)
    q = rng.standard_normal((2, 3, L, 8)).astype(np.float32)
    k, v = (rng.standard_normal((2, 3, S, 8)).astype(np.float32) for _ in range(2))
    full = nn_ops._sdpa_kernel(np, q, k, v, is_causal=True)
    monkeypatch.setattr(nn_ops, "_CORNER_FULL_MAX", 0)
    nn_ops._CAUSAL_MASKS.clear()
    broadcast = nn_ops._sdpa_kernel(np, q, k, v, is_causal=True)
    assert any(key[0] == "corner" and m.shape[1:3] == (1, 1) for key, m in nn_ops._CAUSAL_MASKS.items())
    np.testing.assert_array_equal(broadcast, full)
    np.testing.assert_allclose(broadcast, _attention64(q, k, v, True), rtol=0, atol=8 * np.finfo(np.float32).eps * 4)


@pytest.mark.parametrize("scale", [None, 0.3, 0.0, -0.7])
def test_sdpa_blocks_gpt_layout_dtypes_and_scale(scale, small_blocks):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((2, 29, 48))
    for dtype, tol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        xd = x.astype(dtype)
        ours = me.nn.functional.scaled_dot_product_attention(*_heads(me, me.from_numpy(xd), 4), is_causal=True,
                                                             scale=scale)
        theirs = torch.nn.functional.scaled_dot_product_attention(*_heads(torch, torch.from_numpy(xd), 4),
                                                                  is_causal=True, scale=scale)
        assert ours.stride() == theirs.stride() and ours.dtype == me.from_numpy(xd).dtype
        if scale is None or scale > 0:     # (torch's fused CPU kernel scales the masked -inf: NaN for scale <= 0)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=tol, atol=tol)
        q, k, v = (t.numpy() for t in _heads(me, me.from_numpy(xd), 4))
        np.testing.assert_allclose(ours.numpy(), _attention64(q, k, v, True, scale), rtol=tol, atol=tol)


def test_sdpa_blocks_batchless_and_half(small_blocks):
    from minexport.ops import nn_ops
    rng = np.random.default_rng(6)
    for shape in ((19, 4), (3, 19, 4), (0, 19, 4)):
        q, k, v = (rng.standard_normal(shape).astype(np.float32) for _ in range(3))
        got = nn_ops._sdpa_kernel(np, q, k, v, is_causal=True)
        assert got.shape == shape and got.flags.c_contiguous
        np.testing.assert_allclose(got, _attention64(q, k, v, True), rtol=1e-5, atol=1e-6)
    q, k, v = (rng.standard_normal((2, 19, 4)).astype(np.float16) for _ in range(3))
    got = nn_ops._sdpa_kernel(np, q, k, v, is_causal=True)
    assert got.dtype == np.float16
    np.testing.assert_allclose(got, nn_ops._sdpa_keys_first(np, q, k, v, 0.5, True), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(got, _attention64(q, k, v, True), rtol=5e-3, atol=5e-3)


@pytest.mark.parametrize("where", ["nan hidden key", "inf hidden key", "inf query", "nan query", "-inf key 0"])
def test_sdpa_blocks_non_finite_as_general_path(where, small_blocks, monkeypatch):
    """A non-finite score in a block's masked corner makes the block redo its softmax with the mask written:
    hidden positions never leak into the rows that cannot see them."""
    from minexport.ops import nn_ops
    redone, exact = [], nn_ops._exact_block
    monkeypatch.setattr(nn_ops, "_exact_block", lambda *a: redone.append(a[-4]) or exact(*a))
    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal((2, 3, 21, 4)).astype(np.float32) for _ in range(3))
    if where == "nan hidden key":
        k[0, 1, 12, 2] = np.nan
    elif where == "inf hidden key":
        k[1, 0, 20, :] = np.inf
    elif where == "inf query":
        q[0, 0, 3, 0] = np.inf
    elif where == "nan query":
        q[1, 2, 9, 1] = np.nan
    else:
        k[0, 0, 0, :], q[0, 0] = -np.inf, 1
    got = nn_ops._sdpa_kernel(np, q, k, v, is_causal=True)
    with np.errstate(all="ignore"):
        general = nn_ops._sdpa_keys_first(np, q, k, v, 0.5, True)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(general))
    np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(general), rtol=1e-5, atol=1e-6)
    if where == "nan hidden key":       # rows before key 12 never see it
        assert not np.isnan(got[0, 1, :12]).any() and np.isnan(got[0, 1, 12:]).all()
        assert redone == [8, 16]        # queries 8..15 hold key 12 in their corner, 16..20 see it
    elif where != "inf hidden key":
        assert redone


def test_sdpa_default_blocks_match_torch():
    """The GPT benchmark's shape (batch*heads 128, L 64: blocks of 16) against torch and float64."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(8).standard_normal((16, 64, 3 * 256)).astype(np.float32)
    ours = me.nn.functional.scaled_dot_product_attention(*_heads(me, me.from_numpy(x), 8), is_causal=True)
    theirs = torch.nn.functional.scaled_dot_product_attention(*_heads(torch, torch.from_numpy(x), 8), is_causal=True)
    assert ours.stride() == theirs.stride()
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=2e-6)
    q, k, v = (t.numpy() for t in _heads(me, me.from_numpy(x), 8))
    np.testing.assert_allclose(ours.numpy(), _attention64(q, k, v, True), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("causal", [True, False])
def test_sdpa_blocks_on_the_cupy_double(causal, small_blocks):
    """The blocks path on the CUDA code path (tests/fake_cupy's CuPy double): the CPU's results and layout."""
    from fake_cupy import cupy as fake_cupy
    from fake_cupy.cupyx.scipy import special as fake_special
    previous = backends.use_cupy_module(fake_cupy, fake_special)
    try:
        x = me.from_numpy(np.random.default_rng(10).standard_normal((2, 21, 48)).astype(np.float32))
        cpu = me.nn.functional.scaled_dot_product_attention(*_heads(me, x, 4), is_causal=causal)
        cuda = me.nn.functional.scaled_dot_product_attention(*_heads(me, x.cuda(), 4), is_causal=causal)
        assert cuda.is_cuda and type(cuda._data) is fake_cupy.ndarray and cuda.stride() == cpu.stride()
        np.testing.assert_allclose(cuda.cpu().numpy(), cpu.numpy(), rtol=1e-6, atol=1e-6)
    finally:
        backends.use_cupy_module(*previous)


@pytest.mark.parametrize("offset", [0.0, 1e3])
def test_layer_norm_rows_match_float64_and_torch(offset):
    """The row-wise layer norm (BLAS row sums, vecdot variance, pooled centered rows): output, mean and rstd
    against float64 and torch, also where the mean dwarfs the spread."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((4, 16, 256)) * 2 + offset).astype(np.float32)
    w, b = rng.standard_normal(256).astype(np.float32), rng.standard_normal(256).astype(np.float32)
    out, mean, rstd = (t.numpy() for t in me.native_layer_norm(me.from_numpy(x), [256], me.from_numpy(w),
                                                                me.from_numpy(b), 1e-5))
    x64 = x.astype(np.float64)
    mean64 = x64.mean(-1, keepdims=True)
    rstd64 = 1 / np.sqrt(((x64 - mean64) ** 2).mean(-1, keepdims=True) + 1e-5)
    out64 = (x64 - mean64) * rstd64 * w + b
    t_out, t_mean, t_rstd = (t.numpy() for t in torch.native_layer_norm(torch.from_numpy(x), [256], torch.from_numpy(w),
                                                                        torch.from_numpy(b), 1e-5))
    assert (out.dtype, mean.dtype, rstd.dtype) == (np.float32,) * 3
    assert mean.shape == rstd.shape == t_mean.shape == (4, 16, 1)
    for got, ref, theirs in ((out, out64, t_out), (mean, mean64, t_mean), (rstd, rstd64, t_rstd)):
        err, torch_err = np.abs(got - ref).max(), np.abs(theirs - ref).max()
        assert err <= max(2 * torch_err, 8 * np.finfo(np.float32).eps * np.abs(ref).max()), (err, torch_err)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_of_a_permuted_view_keeps_its_layout_in_the_runner(dtype, approximate):
    """ep.module() gives gelu of a permuted view the permuted layout that eager mode, the node's
    recorded value and torch give (the output keeps its input's order of dims)."""
    class M(me.nn.Module):
        def forward(self, x):
            return me.nn.functional.gelu(x.permute(0, 2, 3, 1), approximate=approximate)
    x = me.from_numpy(np.random.default_rng(6).standard_normal((2, 8, 16, 32)).astype(dtype))
    ep = minexport.export.export(M(), (x,))
    got, eager = ep.module()(x), M()(x)
    recorded = ep.graph.find_nodes(op="call_function")[-1].meta["val"]
    assert got.stride() == eager.stride() == recorded.stride() == (4096, 32, 1, 512)
    np.testing.assert_array_equal(got.numpy(), eager.numpy())


# ------------------------------------------ attention and linear against torch --
@pytest.mark.parametrize("mask_kind", ["bool", "float"])
@pytest.mark.parametrize("rank", [2, 3, 4])
def test_sdpa_fully_masked_rows_are_zeros_as_torchs(mask_kind, rank):
    """A query whose every key is masked out attends to nothing: torch gives zeros (eager, ep.module(),
    and its decomposition's safe softmax), where a plain softmax gives NaN."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    shape = (2, 3, 5, 4)[4 - rank:]
    q, k, v = (rng.standard_normal(shape).astype(np.float32) for _ in range(3))
    mask = np.ones((5, 5), bool)
    mask[1] = False
    mask[3, :2] = False
    if mask_kind == "float":
        mask = np.where(mask, 0.0, -np.inf).astype(np.float32)
    want = torch.nn.functional.scaled_dot_product_attention(*map(torch.from_numpy, (q, k, v, mask))).numpy()
    assert (want[..., 1, :] == 0).all()

    class M(me.nn.Module):
        def forward(self, q, k, v, m):
            return me.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m)
    args = tuple(map(me.from_numpy, (q, k, v, mask)))
    ep = minexport.export.export(M(), args)
    for got in (M()(*args), ep.module()(*args), ep.run_decompositions().module()(*args)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("is_causal", [False, True])
def test_sdpa_output_is_contiguous_when_value_head_size_differs(is_causal):
    """torch's fused kernel (whose output follows the query's layout) needs the value's head size equal to
    the query's; otherwise the output is contiguous, in eager mode, ep.module() and the decomposition."""
    torch = pytest.importorskip("torch")

    def outputs(lib):
        q, k = (lib.ones(2, 5, 4, 8).transpose(1, 2) for _ in range(2))
        v = lib.ones(2, 5, 4, 16).transpose(1, 2)

        class M(lib.nn.Module):
            def forward(self, q, k, v):
                return lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=is_causal)
        export = me.export.export if lib is me else torch.export.export
        ep = export(M(), (q, k, v))
        return [t.stride() for t in (M()(q, k, v), ep.module()(q, k, v), ep.run_decompositions().module()(q, k, v))]
    assert outputs(me) == outputs(torch) == [(320, 80, 16, 1)] * 3


@pytest.mark.parametrize("bias_dtype", ["float16", "float64", "int64"])
def test_linear_bias_of_another_dtype_is_refused_as_torch_refuses_it(bias_dtype):
    torch = pytest.importorskip("torch")

    def error(lib):
        x, w = lib.ones(4, 8), lib.ones(3, 8)
        b = lib.ones(3, dtype=getattr(lib, bias_dtype))
        with pytest.raises(RuntimeError) as e:
            lib.nn.functional.linear(x, w, b)
        return str(e.value)
    assert error(me) == error(torch)


_NORMS = {
    "group_norm": lambda lib, x: lib.nn.functional.group_norm(x, 4),
    "batch_norm": lambda lib, x: lib.nn.functional.batch_norm(x, lib.zeros(8), lib.ones(8)),
    "batch_norm_training": lambda lib, x: lib.nn.functional.batch_norm(x, None, None, training=True),
}


@pytest.mark.parametrize("norm", sorted(_NORMS))
@pytest.mark.parametrize("layout", ["channels_last", "channels_last_3d", "permuted"])
def test_norm_output_layout_is_torchs(layout, norm):
    """torch's CPU batch and group norm lay their output out in the input's suggested memory format
    (channels-last stays channels-last; another permuted input gives a contiguous output): eager,
    ep.module(), the node's value and the decomposition agree with it."""
    torch = pytest.importorskip("torch")
    fn = _NORMS[norm]
    shape = (2, 8, 4, 4, 4) if layout == "channels_last_3d" else (2, 8, 6, 5)
    a = np.random.default_rng(8).standard_normal(shape).astype(np.float32)

    def arrange(lib, t):
        return t.transpose(2, 3) if layout == "permuted" else t.contiguous(memory_format=getattr(lib, layout))
    x, tx = arrange(me, me.from_numpy(a)), arrange(torch, torch.from_numpy(a))
    want = fn(torch, tx)

    class M(me.nn.Module):
        def forward(self, x):
            return fn(me, x)
    ep = minexport.export.export(M(), (x,))
    recorded = ep.graph.find_nodes(op="call_function")[-1].meta["val"]
    for got in (M()(x), ep.module()(x), ep.run_decompositions().module()(x), recorded):
        assert got.stride() == want.stride()
    np.testing.assert_allclose(ep.module()(x).numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
