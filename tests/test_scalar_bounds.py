"""clamp's and hardtanh's Scalar bounds beyond the tensor's dtype: torch refuses them when the kernel runs.

torch converts such a bound to the dtype it computes in with a range check: a finite number beyond the
dtype's range is a RuntimeError ("value cannot be converted to type float without overflow"), an infinity
or NaN of a float dtype is taken, and an unsigned dtype takes a negative number down to -255 (but hardtanh
refuses a negative limit for one).  Export
itself records the call (the check is in the kernel): ep.module() and the generated code refuse it when
they run.  Each case runs in torch and minexport: both refuse, ours starting with torch's message, or both
give the same tensor.
"""
import importlib.util

import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
from minexport.codegen import write_module
from minexport.export import export

torch = pytest.importorskip("torch")

# (dtype name, bounds to try): each dtype's limits, just past them, and what it takes beyond them
BOUNDS = {
    "float32": [1e39, -1e39, 3.4028235e38, 3.4028234663852886e38, -3.4028234663852886e38, float("inf"),
                float("-inf"), float("nan")],
    "float16": [65504.0, 65519.0, -65519.0, 7e4, float("inf")],
    "bfloat16": [3.3895313892515355e38, 3.4e38, -1e39, float("-inf")],
    "float64": [1e308, float("inf")],
    "int8": [127, 128, -128, -129, 1000],
    "uint8": [255, 256, -1, -255, -256],
    "int16": [32767, 32768, -32769],
    "int32": [2 ** 31 - 1, 2 ** 31, -2 ** 31 - 1, 2 ** 40],
    "int64": [2 ** 63 - 1, -2 ** 63],
}
OPS = {
    "clamp_min": lambda L, x, b: x.clamp(min=b),
    "clamp_max": lambda L, x, b: x.clamp(max=b),
    "clamp_both": lambda L, x, b: x.clamp(-b if b == b else b, b) if b >= 0 else x.clamp(b, 0),
    "clamp_min_op": lambda L, x, b: L.clamp_min(x, b),
    "clamp_max_op": lambda L, x, b: L.clamp_max(x, b),
    "clip": lambda L, x, b: x.clip(max=b),
    "clamp_": lambda L, x, b: x.clone().clamp_(min=b),
    "clamp_min_": lambda L, x, b: x.clone().clamp_min_(b),
    "clamp_max_": lambda L, x, b: x.clone().clamp_max_(b),
    "clip_": lambda L, x, b: x.clone().clip_(b),
}
HARDTANH = {
    "hardtanh": lambda L, x, b: L.nn.functional.hardtanh(x, -abs(b) if b == b else b, abs(b)),
    "hardtanh_": lambda L, x, b: L.nn.functional.hardtanh(x.clone(), -1.0, b, inplace=True) if b >= -1 else x,
}


def _outcome(fn):
    """(result, None) or (None, the exception)."""
    try:
        return fn(), None
    except Exception as e:      # (the outcome compared is the error itself)
        return None, e


def _assert_same_outcome(theirs, ours, where):
    (want, want_err), (got, got_err) = _outcome(theirs), _outcome(ours)
    assert (want_err is None) == (got_err is None), f"{where}: torch {want_err!r}, minexport {got_err!r}"
    if want_err is not None:
        assert isinstance(got_err, RuntimeError), where
        assert str(got_err).startswith(str(want_err)), f"{where}: {got_err}"
        assert "unsigned" in str(got_err) or "give a value within it" in str(got_err), where
        return
    assert got.dtype.name == str(want.dtype).split(".")[1], where
    np.testing.assert_array_equal(got.float().numpy() if got.dtype.name == "bfloat16" else got.numpy(),
                                  want.float().numpy() if want.dtype == torch.bfloat16 else want.numpy(), where)


def _inputs(dtype):
    values = np.array([0, 1, -2, 100, 120], np.float64)
    if dtype == "uint8":
        values = np.abs(values)
    return (torch.from_numpy(values).to(getattr(torch, dtype)),
            me.from_numpy(values).to(getattr(me, dtype)))


@pytest.mark.parametrize("name", list(OPS) + list(HARDTANH))
@pytest.mark.parametrize("dtype", BOUNDS)
def test_bounds_refused_as_torch(dtype, name):
    fn = {**OPS, **HARDTANH}[name]
    t, x = _inputs(dtype)
    for b in BOUNDS[dtype]:
        with np.errstate(over="ignore", invalid="ignore"):
            _assert_same_outcome(lambda: fn(torch, t, b), lambda: fn(me, x, b), f"{name} {dtype} {b!r}")


def test_integer_tensor_with_a_float_bound_checks_the_float_result():
    """An integer tensor clamped by a float bound computes in float32 (promotion): the bound is checked there."""
    t, x = _inputs("int32")
    for b in (1e39, 2.5):
        _assert_same_outcome(lambda: t.clamp(min=b), lambda: x.clamp(min=b), f"int32 clamp(min={b})")


def _clamp_module(base, F):
    """x.clamp(max=bound) + hardtanh(x, -1, bound), a module of `base` (torch's or ours)."""
    class Clamp(base):
        def __init__(self, bound):
            super().__init__()
            self.bound = bound

        def forward(self, x):
            return x.clamp(max=self.bound) + F.hardtanh(x, -1.0, self.bound)
    return Clamp


def test_exported_program_refuses_when_it_runs(tmp_path):
    """Export records the call, as torch's does; ep.module() and the generated code raise torch's error when
    they run."""
    theirs = torch.export.export(_clamp_module(torch.nn.Module, torch.nn.functional)(1e39), (torch.zeros(3),))
    with pytest.raises(RuntimeError) as expected:
        theirs.module()(torch.zeros(3))
    ep = export(_clamp_module(nn.Module, nn.functional)(1e39), (me.zeros(3),))
    with pytest.raises(RuntimeError) as got:
        ep.module()(me.zeros(3))
    assert str(expected.value) in str(got.value)
    path = tmp_path / "clamp.py"
    write_module(ep, str(path))
    spec = importlib.util.spec_from_file_location("clamp_generated", path)
    generated = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generated)
    with pytest.raises(RuntimeError) as got:
        generated.forward(np.zeros(3, np.float32))
    assert str(got.value).startswith(str(expected.value))
    within = export(_clamp_module(nn.Module, nn.functional)(3.0), (me.zeros(3),)).module()
    np.testing.assert_array_equal(within(me.from_numpy(np.array([-5.0, 0.5, 9.0], np.float32))).numpy(),
                                  [-6.0, 1.0, 6.0])
