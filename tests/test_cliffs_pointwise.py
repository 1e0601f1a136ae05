"""The fast paths of the pointwise family (clamps and ReLUs, leaky_relu, hardsigmoid/hardswish,
pow by a small constant, sigmoid/SiLU, remainder and division modes by a number) against torch:
bit for bit where torch's result is exact, on special values, on every layout the gates look at
(contiguous, permuted, broadcast, 0-d, 0-size), on the dtypes they leave to the general path, in
place, and through an exported program's module()."""
import numpy as np
import pytest

import minexport as me
import minexport.nn.functional as F
from minexport.export import export

torch = pytest.importorskip("torch")

_SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-30, -1e-30, 3e38, -3e38, 1.0, -1.0, 3.0, -3.0,
            6.0, -6.0, 0.5, -0.5, 0.7, -0.7, 1.4, -1.4, 2.1, -2.1, 2.5, -2.5, 20.0, -20.0, -88.0, -89.0, -104.0,
            100.0, 1e7, -1e7, 3e7]


def _values(dtype, n=6000, seed=0):
    """Random values of several scales, multiples of 0.7 and 2.5, and the special values (NaN with
    and without its sign bit), shuffled, as a flat array of `dtype`."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.standard_normal(n) * 4, rng.standard_normal(n // 4) * 1e6,
                        rng.integers(-50, 50, n // 4) * 0.7, rng.integers(-50, 50, n // 4) * 2.5, _SPECIAL])
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    x = np.concatenate([x, -np.abs(x[:3]) * np.array(np.nan, dtype)])    # NaNs with the sign bit set
    return x[rng.permutation(x.size)]


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]) if a.dtype.kind == "f" else a


def _same(ours, theirs, exact=True, where=""):
    """ours (minexport) equals theirs (torch): dtype, shape, strides, NaN positions, and the bits of
    every other value (or within a few ulp when not `exact`)."""
    o, t = ours.numpy(), theirs.detach().numpy()
    assert o.dtype == t.dtype and o.shape == t.shape, where
    if o.size:      # (torch's hardtanh gives an empty result strides (0, 0), as before: not a layout)
        assert tuple(ours.stride()) == tuple(theirs.stride()), (where, ours.stride(), theirs.stride())
    if o.dtype.kind != "f":
        np.testing.assert_array_equal(o, t, err_msg=where)
        return
    nan = np.isnan(t)
    np.testing.assert_array_equal(np.isnan(o), nan, err_msg=where)
    if exact:
        bad = (_bits(o) != _bits(t)) & ~nan
        assert not bad.any(), (where, o[bad][:5], t[bad][:5])
    else:
        np.testing.assert_allclose(o[~nan], t[~nan], rtol=4 * np.finfo(o.dtype).eps,
                                   atol=4 * np.finfo(o.dtype).smallest_subnormal, err_msg=where)


# (name, f(lib, functional, x), exact): each run with minexport and with torch
_OPS = [
    ("relu", lambda m, f, x: m.relu(x), True),
    ("relu6", lambda m, f, x: f.relu6(x), True),
    ("hardtanh", lambda m, f, x: f.hardtanh(x), True),
    ("hardtanh_zeros", lambda m, f, x: f.hardtanh(x, -0.0, 0.0), True),
    ("clamp", lambda m, f, x: m.clamp(x, -0.5, 0.5), True),
    ("clamp_min", lambda m, f, x: m.clamp(x, min=0.0), True),
    ("clamp_max_neg_zero", lambda m, f, x: m.clamp(x, max=-0.0), True),
    ("clamp_int_bounds", lambda m, f, x: m.clamp(x, -1, 2), True),
    ("clamp_crossed", lambda m, f, x: m.clamp(x, 1.0, 0.0), True),
    ("clamp_inf", lambda m, f, x: m.clamp(x, -float("inf"), 2.0), True),
    ("clamp_min_op", lambda m, f, x: m.clamp_min(x, 0.1), True),
    ("clamp_max_op", lambda m, f, x: m.clamp_max(x, 0.1), True),
    ("leaky_relu", lambda m, f, x: f.leaky_relu(x, 0.1), True),
    ("leaky_relu_default", lambda m, f, x: f.leaky_relu(x), True),
    ("leaky_relu_steep", lambda m, f, x: f.leaky_relu(x, 2.5), True),
    ("leaky_relu_zero", lambda m, f, x: f.leaky_relu(x, 0.0), True),         # gated off: +inf * 0
    ("leaky_relu_negative", lambda m, f, x: f.leaky_relu(x, -0.3), True),    # gated off
    ("leaky_relu_tiny", lambda m, f, x: f.leaky_relu(x, 1e-50), True),       # 0 in float32: gated off
    ("hardsigmoid", lambda m, f, x: f.hardsigmoid(x), True),
    ("hardswish", lambda m, f, x: f.hardswish(x), True),
    ("pow2", lambda m, f, x: x ** 2, True),
    ("pow3", lambda m, f, x: x ** 3, True),
    ("pow3_float", lambda m, f, x: m.pow(x, 3.0), True),
    ("pow_m1", lambda m, f, x: x ** -1, True),
    ("pow_m2", lambda m, f, x: x ** -2, True),
    ("pow_m_half", lambda m, f, x: x ** -0.5, True),
    ("rsqrt", lambda m, f, x: m.rsqrt(x), True),
    ("elu", lambda m, f, x: f.elu(x), False),
    ("elu_alpha", lambda m, f, x: f.elu(x, 0.5), False),
    ("selu", lambda m, f, x: f.selu(x), False),
    ("celu", lambda m, f, x: f.celu(x, 2.0), False),
    ("softplus", lambda m, f, x: f.softplus(x), False),
    ("softplus_beta", lambda m, f, x: f.softplus(x, 2.0, 10.0), False),
    ("sigmoid", lambda m, f, x: m.sigmoid(x), False),
    ("silu", lambda m, f, x: f.silu(x), False),
    ("remainder", lambda m, f, x: m.remainder(x, 0.7), True),
    ("remainder_neg", lambda m, f, x: m.remainder(x, -0.7), True),
    ("remainder_int_divisor", lambda m, f, x: m.remainder(x, 3), True),
    ("remainder_tiny", lambda m, f, x: m.remainder(x, 1e-3), True),
    ("floor_div", lambda m, f, x: m.div(x, 0.7, rounding_mode="floor"), True),
    ("floor_div_neg", lambda m, f, x: m.div(x, -2.5, rounding_mode="floor"), True),
    ("floor_divide", lambda m, f, x: m.floor_divide(x, 0.7), True),
    ("trunc_div", lambda m, f, x: m.div(x, 0.7, rounding_mode="trunc"), True),
]
_IDS = [n for n, _, _ in _OPS]


def _finite_quotients(name, x):
    """torch's float remainder overflows to NaN where |x / b| passes the float range: leave those out."""
    return x if not name.startswith("remainder") else x[np.abs(x.astype(np.float64)) < 1e30]


def _layouts(x):
    """(label, minexport tensor, torch tensor) over the same values, for the layouts the gates distinguish."""
    n = (x.size // 64) * 64
    rows = np.ascontiguousarray(x[:n].reshape(64, -1))
    cases = [("contiguous", lambda lib: lib.from_numpy(x[:n].reshape(-1, 64).copy())),
             ("permuted", lambda lib: lib.from_numpy(rows.copy()).t()),
             ("strided", lambda lib: lib.from_numpy(x[:n].copy())[::2]),
             ("broadcast", lambda lib: lib.from_numpy(x[:64].copy()).expand(5, 64)),
             ("0-d", lambda lib: lib.from_numpy(np.array(x[7]))),
             ("0-size", lambda lib: lib.from_numpy(x[:0].reshape(0, 3).copy()))]
    return [(label, make(me), make(torch)) for label, make in cases]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, fn, exact", _OPS, ids=_IDS)
def test_matches_torch_on_every_layout(name, fn, exact, dtype):
    for label, m, t in _layouts(_finite_quotients(name, _values(dtype))):
        _same(fn(me, F, m), fn(torch, torch.nn.functional, t), exact, f"{name} {dtype.__name__} {label}")


# The gated-off dtypes keep the general path: float16 (close to torch, as before), integers (exact).
@pytest.mark.parametrize("name, fn, exact", [o for o in _OPS if not o[0].startswith(("pow_m", "leaky_relu_tiny"))],
                         ids=[n for n in _IDS if not n.startswith(("pow_m", "leaky_relu_tiny"))])
def test_float16_stays_close_to_torch(name, fn, exact):
    x = _values(np.float16)
    x = x[np.isfinite(x) & (np.abs(x) < 100) & (np.abs(x) > 1e-3)]
    ours, theirs = fn(me, F, me.from_numpy(x)).numpy(), fn(torch, torch.nn.functional, torch.from_numpy(x)).numpy()
    assert ours.dtype == theirs.dtype
    if name.startswith(("floor", "trunc")):     # (torch divides in float32: a quotient may land one off)
        assert np.all(np.abs(ours.astype(np.float64) - theirs) <= 1)
        return
    np.testing.assert_allclose(ours.astype(np.float64), theirs.astype(np.float64), rtol=1e-2, atol=2e-3, err_msg=name)


_INT_OPS = [
    ("remainder", lambda m, x, b: m.remainder(x, b)),
    ("trunc_div", lambda m, x, b: m.div(x, b, rounding_mode="trunc")),
    ("floor_div", lambda m, x, b: m.div(x, b, rounding_mode="floor")),
    ("clamp", lambda m, x, b: m.clamp(x, -b, b)),
    ("relu", lambda m, x, b: m.relu(x)),
]


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8, np.uint8])
@pytest.mark.parametrize("name, fn", _INT_OPS, ids=[n for n, _ in _INT_OPS])
def test_integers_match_torch(name, fn, dtype):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.integers(max(info.min, -1000), min(info.max, 1000) + 1, 3000),
                        [info.min, info.max, 0, 1, 6, 7, 8, 13, 14]]).astype(dtype)
    if name == "relu" and dtype == np.uint8:
        return
    for b in (7, 1, 3, -7, 2, 100):
        if dtype == np.uint8 and b < 0:
            continue
        if name == "trunc_div" and b < 0:
            x = x[x != info.min]        # (torch wraps INT_MIN / -b; its own overflow)
        _same(fn(me, me.from_numpy(x), b), fn(torch, torch.from_numpy(x), b), True, f"{name} {dtype.__name__} {b}")


@pytest.mark.parametrize("call", [lambda m, x: m.remainder(x, 0), lambda m, x: m.div(x, 0, rounding_mode="trunc"),
                                  lambda m, x: m.div(x, 0, rounding_mode="floor"), lambda m, x: m.floor_divide(x, 0)])
def test_integer_division_by_zero_is_refused(call):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call(me, me.from_numpy(np.arange(-5, 5, dtype=np.int64)))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call(torch, torch.arange(-5, 5))


def test_bad_arguments_keep_their_errors():
    x = me.from_numpy(np.ones(3, np.float32))
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        me.clamp(x)
    with pytest.raises(RuntimeError, match="rounding_mode"):
        me.div(x, 0.7, rounding_mode="round")
    with pytest.raises(NotImplementedError, match="hardswish_cpu"):
        F.hardswish(me.from_numpy(np.ones(3, np.int64)))
    with pytest.raises(NotImplementedError, match="leaky_relu"):
        F.leaky_relu(me.from_numpy(np.ones(3, np.int64)))


def test_scalar_promotion_and_python_bounds():
    """Integer tensors with float scalars promote as torch's; huge bounds are refused as torch refuses them."""
    i = np.arange(-6, 6, dtype=np.int64)
    for f in (lambda m: m.clamp(m_(m, i), -0.5, 2.5), lambda m: m_(m, i) ** 2.0, lambda m: m.remainder(m_(m, i), 0.7),
              lambda m: m.div(m_(m, i), 0.7, rounding_mode="floor")):
        _same(f(me), f(torch), True)
    _same(me.sigmoid(m_(me, i)), torch.sigmoid(m_(torch, i)), False)
    # bounds beyond float32 are refused, as torch refuses them (tests/test_scalar_bounds.py has the cases)
    x = _values(np.float32)[:500]
    with pytest.raises(RuntimeError) as expected:
        torch.clamp(torch.from_numpy(x), -1e300, 1e300)
    with pytest.raises(RuntimeError) as got:
        me.clamp(me.from_numpy(x), -1e300, 1e300)
    assert str(got.value).startswith(str(expected.value))


def m_(lib, arr):
    return lib.from_numpy(arr.copy())


_INPLACE = [
    ("relu_", lambda m, f, x: x.relu_()), ("clamp_", lambda m, f, x: x.clamp_(-0.5, 0.5)),
    ("hardtanh_", lambda m, f, x: f.hardtanh_(x, -2.0, 2.0)), ("leaky_relu_", lambda m, f, x: f.leaky_relu_(x, 0.2)),
    ("relu6_inplace", lambda m, f, x: f.relu6(x, inplace=True)),
    ("hardswish_inplace", lambda m, f, x: f.hardswish(x, True)),
    ("sigmoid_", lambda m, f, x: x.sigmoid_()), ("pow_", lambda m, f, x: x.pow_(3)),
    ("elu_inplace", lambda m, f, x: f.elu(x, inplace=True)),
    ("remainder_", lambda m, f, x: x.remainder_(0.7)),
    ("div_floor_", lambda m, f, x: x.div_(0.7, rounding_mode="floor")),
]


@pytest.mark.parametrize("name, fn", _INPLACE, ids=[n for n, _ in _INPLACE])
def test_inplace_variants_write_into_self(name, fn):
    x = _finite_quotients("remainder", _values(np.float32, 2000))
    x = x[: (x.size // 8) * 8].reshape(8, -1)
    m, t = me.from_numpy(x.copy()), torch.from_numpy(x.copy())
    r = fn(me, F, m)
    fn(torch, torch.nn.functional, t)
    assert r is m
    _same(m, t, name not in ("sigmoid_", "elu_inplace"), name)


def _writes_into_self(call, self, name):
    """call() returns `self` and, while it runs, the peak of NumPy's traced allocations stays far below
    one copy of self (no fresh result, no temporary of its size)."""
    import tracemalloc
    tracemalloc.start()
    try:
        assert call() is self
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < self.numpy().nbytes // 4, f"{name} allocated {peak} bytes"


_EAGER_DONATING = [("relu_", lambda f, x: x.relu_()), ("sigmoid_", lambda f, x: x.sigmoid_()),
                   ("hardtanh_", lambda f, x: f.hardtanh_(x, -0.5, 2.0)),
                   ("relu6_", lambda f, x: f.relu6(x, inplace=True))]
# (silu_ computes into self too, but 1 + exp(-x) takes a fresh array on the way)


@pytest.mark.parametrize("name, fn", _EAGER_DONATING, ids=[n for n, _ in _EAGER_DONATING])
def test_eager_inplace_computes_into_self(name, fn):
    """An eager in-place op whose functional twin can compute into its argument makes no fresh result:
    on 4 MiB of float32 the peak of NumPy's traced allocations stays far below one copy.  A transposed
    view and a strided slice are written in place too, with torch's values."""
    x = np.random.default_rng(0).standard_normal((1024, 1024), dtype=np.float32)
    m = me.from_numpy(x.copy())
    _writes_into_self(lambda: fn(F, m), m, name)
    t = torch.from_numpy(x.copy())
    fn(torch.nn.functional, t)
    exact = name != "sigmoid_"
    _same(m, t, exact, name)
    for view in (lambda a: a.transpose(0, 1), lambda a: a[::3, 1::2]):
        m, t = me.from_numpy(x[:64, :48].copy()), torch.from_numpy(x[:64, :48].copy())
        fn(F, view(m))
        fn(torch.nn.functional, view(t))
        _same(m, t, exact, name + " of a view")


@pytest.mark.parametrize("name, fn, exact", _OPS, ids=_IDS)
def test_exported_module_matches_eager_and_torch(name, fn, exact):
    """The op behind a product (its input dies there: the donating and specialized kernels run)."""
    class M(me.nn.Module):
        def forward(self, x):
            return fn(me, F, x * 2)

    x = _finite_quotients(name, _values(np.float32, 3000))
    x = x[: (x.size // 16) * 16].reshape(16, -1)
    ep = export(M(), (me.from_numpy(x),))
    for arr in (x, np.ascontiguousarray(x.T).T):
        ours = ep.module()(me.from_numpy(arr))
        eager = fn(me, F, me.from_numpy(arr) * 2)
        theirs = fn(torch, torch.nn.functional, torch.from_numpy(arr) * 2)
        _same(ours, eager, True, name + " module vs eager")
        _same(ours, theirs, exact, name + " module vs torch")


def test_large_arrays_run_in_chunks_with_every_special_value():
    """More than one cache-sized chunk, special values in some chunks only (those take np.fmod)."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(200_000) * 3).astype(np.float32)
    special = [v for v in _SPECIAL if abs(v) < 1e30]     # (torch's remainder overflows past that)
    x[150_000:150_000 + len(special)] = special
    x[-1] = -0.0
    m, t = me.from_numpy(x), torch.from_numpy(x)
    cases = ((lambda lib: lib.remainder(l_(lib, x), 0.7), True),
             (lambda lib: lib.div(l_(lib, x), -0.7, rounding_mode="floor"), True),
             (lambda lib: lib.sigmoid(l_(lib, x)), False), (lambda lib: lib.nn.functional.silu(l_(lib, x)), False),
             (lambda lib: lib.relu(l_(lib, x)), True), (lambda lib: lib.nn.functional.hardswish(l_(lib, x)), True))
    for f, exact in cases:
        _same(f(me), f(torch), exact)
    del m, t


def l_(lib, arr):
    return lib.from_numpy(arr)


@pytest.mark.parametrize("b", [0.7, -0.7, 2.5, -3.0, 1e-3, 1e3])
@pytest.mark.parametrize("scale", [3, 2.0 ** 20, 2.0 ** 24])
def test_division_modes_by_a_number_on_finite_chunks(b, scale):
    """Finite chunks take the exact float64 steps (quotients below 2^26 for the remainder, 2^21 for the
    floor division; 2^24 sends floor division to its fmod steps): zeros of both signs, exact multiples
    and their neighbours, against torch bit for bit."""
    rng = np.random.default_rng(7)
    b32 = float(np.float32(b))
    x = (rng.uniform(-1, 1, 70_000) * b32 * scale).astype(np.float32)
    x[::997], x[1::997], x[2::991], x[3::991] = 0.0, -0.0, b32, -b32
    x[4::983] = (rng.integers(-9, 9, x[4::983].size) * np.float32(b32)).astype(np.float32)
    x[5::983] = np.nextafter(x[4::983], np.float32(np.inf))
    m, t = me.from_numpy(x), torch.from_numpy(x)
    _same(me.remainder(m, b), torch.remainder(t, b), True, f"remainder {b} {scale}")
    _same(me.div(m, b, rounding_mode="floor"), torch.div(t, b, rounding_mode="floor"), True, f"floor {b} {scale}")
    _same(me.floor_divide(m, b), torch.floor_divide(t, b), True, f"floor_divide {b} {scale}")


def test_generated_code_relu_keeps_negative_zero_as_eager(tmp_path):
    """aot-generated NumPy gives relu's -0.0 and NaN the bits eager mode, ep.module() and torch give."""
    import importlib.util

    from minexport.codegen import write_module

    class M(me.nn.Module):
        def forward(self, x, i):
            return me.relu(x * 1.0), me.relu(i)
    x = np.array([-0.0, 0.0, -1.5, 2.5, np.nan, -np.inf, np.inf], np.float32)
    i = np.array([-3, 0, 4], np.int64)
    ep = export(M(), (me.from_numpy(x), me.from_numpy(i)))
    path = write_module(ep, str(tmp_path / "gen.py"))
    spec = importlib.util.spec_from_file_location("_relu_gen", path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    got, got_i = gen.forward(x, i)
    expected = torch.relu(torch.from_numpy(x)).numpy()
    assert got.dtype == np.float32 and got.tobytes() == expected.tobytes()
    assert got.tobytes() == ep.module()(me.from_numpy(x), me.from_numpy(i))[0].numpy().tobytes()
    assert got_i.dtype == np.int64 and got_i.tolist() == [0, 0, 4]


_MODULE_INPLACE = [
    ("relu_", lambda f, x: f.relu(x, inplace=True)), ("hardtanh_", lambda f, x: f.hardtanh(x, -0.5, 2.0, inplace=True)),
    ("relu6_", lambda f, x: f.relu6(x, inplace=True)), ("silu_", lambda f, x: f.silu(x, inplace=True)),
    ("sigmoid_", lambda f, x: x.sigmoid_()), ("hardswish_", lambda f, x: f.hardswish(x, inplace=True)),
    ("leaky_relu_", lambda f, x: f.leaky_relu(x, 0.2, inplace=True)), ("clamp_", lambda f, x: x.clamp_(-0.5, 0.5)),
]


@pytest.mark.parametrize("name, fn", _MODULE_INPLACE, ids=[n for n, _ in _MODULE_INPLACE])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_inplace_ops_in_ep_module(name, fn, dtype):
    """ep.module() runs an in-place op on an intermediate (computed into it where its functional twin can),
    on a permuted intermediate, and on the user's input itself (written back): torch's values everywhere."""
    if dtype == np.int64 and name not in ("relu_", "hardtanh_", "relu6_"):
        pytest.skip("torch refuses this op (or its float bounds) on integer inputs")

    class Chain(me.nn.Module):
        def forward(self, x):
            y = fn(me.nn.functional, x * 2)
            z = fn(me.nn.functional, (x * 3).transpose(0, 1))
            return y, z

    class OnInput(me.nn.Module):
        def forward(self, x):
            return fn(me.nn.functional, x) * 1

    raw = _values(np.float32, 600) if dtype != np.int64 else np.arange(-300, 300)
    x = np.nan_to_num(raw.astype(dtype)[:600].reshape(20, 30), posinf=7.0, neginf=-7.0)
    tx = torch.from_numpy(x.copy())
    want_y, want_z = fn(torch.nn.functional, tx * 2), fn(torch.nn.functional, (tx * 3).transpose(0, 1))
    y, z = export(Chain(), (me.from_numpy(x),)).module()(me.from_numpy(x.copy()))
    _same(y, want_y, name not in ("silu_", "sigmoid_"), name)
    _same(z, want_z, name not in ("silu_", "sigmoid_"), name)
    assert _strides_of(z) == tuple(want_z.stride())
    mx, tx = me.from_numpy(x.copy()), torch.from_numpy(x.copy())
    export(OnInput(), (me.from_numpy(x.copy()),)).module()(mx)
    fn(torch.nn.functional, tx)
    _same(mx, tx, name not in ("silu_", "sigmoid_"), name + " written back into the input")


def _strides_of(t):
    return tuple(t.stride())


_EAGER_BINARY = [("add_", lambda x, y: x.add_(y)), ("sub_", lambda x, y: x.sub_(y)), ("mul_", lambda x, y: x.mul_(y)),
                 ("iadd row", lambda x, y: x.__iadd__(y[0])), ("mul_ scalar", lambda x, y: x.mul_(0.5))]


@pytest.mark.parametrize("name, fn", _EAGER_BINARY, ids=[n for n, _ in _EAGER_BINARY])
def test_eager_binary_inplace_computes_into_self(name, fn):
    """add_, sub_ and mul_ (and +=) write their ufunc's result straight into self, with torch's bits, for a
    full operand, a broadcast row and a number; integer self with a float operand keeps torch's error."""
    rng = np.random.default_rng(1)
    x, y = (rng.standard_normal((1024, 1024), dtype=np.float32) for _ in range(2))
    m, my = me.from_numpy(x.copy()), me.from_numpy(y)
    _writes_into_self(lambda: fn(m, my), m, name)
    t = torch.from_numpy(x.copy())
    fn(t, torch.from_numpy(y))
    _same(m, t, True, name)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        fn(me.arange(6).reshape(2, 3), me.ones(2, 3) * 0.5)
