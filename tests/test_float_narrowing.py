"""float32/float64 -> float16/bfloat16 conversions bit for bit against torch's (CPU).

torch quiets a NaN it narrows to float16 (keeping its sign and top payload bits), writes 0xFFFF for a
float32 NaN narrowed to bfloat16, and narrows float64 through float32 (two roundings); NumPy and ml_dtypes
differ in each (see minexport/runtime/narrowing.py).  The conversions run through several entry points:
`.half()`/`.to()`, `copy_` into a narrower tensor, a Python number into a float16 op or `full`, and
`ep.module()`.
"""
import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
from minexport.export import export
from minexport.runtime import narrowing

torch = pytest.importorskip("torch")

# float32 NaNs: signalling and quiet, both signs, payloads in the kept and in the dropped bits; and numbers
_NAN32 = [0x7F800001, 0x7FA00000, 0x7F802000, 0xFF800001, 0xFF812345, 0x7FC00000, 0x7FC00001, 0xFFC12345,
          0x7FFFFFFF, 0x7F801FFF]
_NUM32 = [0x3F800000, 0x80000000, 0x00000001, 0x387FC000, 0x477FF000, 0x7F7FFFFF, 0x7F800000, 0xC2F70000]
# float64 NaNs (signalling and quiet, payloads above and below float32's), and numbers whose float32 rounding
# lands on a float16 (or bfloat16) half-way point: one rounding and two differ there
_NAN64 = [0x7FF0000000000001, 0xFFF0000020000000, 0x7FF4000000000000, 0x7FF8000000000000, 0xFFFFFFFFFFFFFFFF]
_TIES64 = [1 + 2 ** -11 + 2 ** -40, -(1 + 2 ** -11 + 2 ** -40), 2049 + 2 ** -30, 1 + 2 ** -8 + 2 ** -30,
           2 ** -24 * 1.5 + 2 ** -60, 65504 + 16 - 2 ** -20]


def _bits(t):
    """A torch or minexport tensor's elements as unsigned integers of its width."""
    if isinstance(t, torch.Tensor):
        return t.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]).numpy().view(
            {2: np.uint16, 4: np.uint32, 8: np.uint64}[t.element_size()])
    a = t.numpy()
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize])


def _float32(n):
    """n float32 values cycling through the NaNs and numbers above."""
    return np.resize(np.array(_NAN32 + _NUM32, np.uint32), n).view(np.float32)


def _float64(n):
    values = np.array(_NAN64, np.uint64).view(np.float64).tolist() + _TIES64 + [1.0, -0.0, 1e300]
    return np.resize(np.array(values, np.float64), n)


def _assert_bits(conv, source, where):
    want = _bits(conv(torch, torch.from_numpy(source.copy())))
    with np.errstate(over="ignore"):
        got = _bits(conv(me, me.from_numpy(source.copy())))
    bad = np.flatnonzero(want.ravel() != got.ravel())
    assert not bad.size, (f"{where}: element {bad[0]} of {source.ravel()[bad[0]]!r}: "
                          f"{hex(got.ravel()[bad[0]])}, torch's {hex(want.ravel()[bad[0]])}")


_CONVERSIONS = {
    "half": lambda L, x: x.half(),
    "to": lambda L, x: x.to(L.float16),
    "copy_": lambda L, x: L.empty(x.shape, dtype=L.float16).copy_(x),
    "transposed": lambda L, x: x.reshape(-1, 2).t().half(),
    "bfloat16": lambda L, x: x.bfloat16(),
    "copy_bfloat16": lambda L, x: L.empty(x.shape, dtype=L.bfloat16).copy_(x),
}


@pytest.mark.parametrize("n", [18, 40000], ids=["small", "large"])      # (both sides of narrowing._SMALL)
@pytest.mark.parametrize("name", _CONVERSIONS)
def test_float32_narrowing_is_torchs(name, n):
    assert (n <= narrowing._SMALL) == (n == 18)
    _assert_bits(_CONVERSIONS[name], _float32(n), f"{name} of {n}")


@pytest.mark.parametrize("name", ["half", "bfloat16"])
def test_large_float32_without_nan_narrows_as_torch(name):
    """A large array without NaN takes NumPy's one conversion (no NaN found): its numbers round as torch's."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(100000) * np.exp2(rng.integers(-30, 20, 100000))).astype(np.float32)
    assert x.size > narrowing._SMALL
    _assert_bits(_CONVERSIONS[name], x, name)


@pytest.mark.parametrize("n", [14, 5000], ids=["small", "large"])
@pytest.mark.parametrize("name", ["half", "to", "copy_", "transposed"])
def test_float64_to_float16_is_torchs(name, n):
    """Through float32, as torch: NaNs quieted with their payload's top bits, ties rounded twice."""
    _assert_bits(_CONVERSIONS[name], _float64(n), f"{name} of {n}")


def test_float64_to_bfloat16_numbers_are_torchs():
    """Numbers round twice, as torch's; NaNs are left out: torch's bits for them depend on the element's
    position in its vectorized loop (0xFFFF in a chunk, 0x7FC0 in the remainder), which is not imitated."""
    x = _float64(5000)
    x = x[~np.isnan(x)]
    rng = np.random.default_rng(0)
    x = np.concatenate([x, rng.standard_normal(20000) * np.exp2(rng.integers(-130, 120, 20000))])
    _assert_bits(lambda L, t: t.bfloat16(), x, "float64 -> bfloat16")


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_python_numbers_round_through_float32(dtype):
    """A Python float meeting a float16/bfloat16 tensor or filling one rounds as torch's double -> float ->
    half (or bfloat16)."""
    for value in _TIES64[:4]:
        for where, conv in (("full", lambda L, v: L.full((3,), v, dtype=getattr(L, dtype))),
                            ("mul", lambda L, v: L.ones(3, dtype=getattr(L, dtype)) * v),
                            ("add", lambda L, v: L.zeros(3, dtype=getattr(L, dtype)) + v)):
            want, got = _bits(conv(torch, value)), _bits(conv(me, value))
            assert (want == got).all(), f"{where} {value!r} as {dtype}: {hex(got[0])}, torch's {hex(want[0])}"


class _Half(nn.Module):
    def forward(self, x):
        return x.half() * 1, x.double().half()


def test_exported_conversion_is_torchs():
    x = _float32(40)
    got = export(_Half(), (me.from_numpy(x.copy()),)).module()(me.from_numpy(x.copy()))
    t = torch.from_numpy(x.copy())
    want = (t.half() * 1, t.double().half())
    for g, w in zip(got, want):
        assert (_bits(g) == _bits(w)).all()


def test_other_conversions_stay_numpys():
    """Widening and same-size conversions take NumPy's astype unchanged."""
    x = _float32(64)
    for npd in (np.float64, np.int32, np.int16):
        with np.errstate(invalid="ignore"):
            want = x.astype(npd)
            got = narrowing.narrow_float(x, np.dtype(npd))
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
