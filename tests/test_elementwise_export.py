"""The elementwise breadth ops and aliases export as torch 2.13 exports them: the same ops recorded, the
same core ops after run_decompositions() (in torch's order), and the program computes torch's values."""
import numpy as np
import pytest

import minexport as me
from minexport.export import export

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(0)
_X = _rng.standard_normal((2, 4)).astype(np.float32)
_X[0, :3] = [0.0, np.inf, np.nan]
_Y = (np.abs(_rng.standard_normal((2, 4))) + 0.5).astype(np.float32)
_I = _rng.integers(1, 9, (2, 4))
_J = _rng.integers(0, 4, (2, 4))

# name -> f(t, x, y, i, j), called with t = minexport and t = torch; x, y float32, i, j int64
CASES = {
    "deg2rad": lambda t, x, y, i, j: t.deg2rad(x), "rad2deg_int": lambda t, x, y, i, j: t.rad2deg(i),
    "frac": lambda t, x, y, i, j: t.frac(x), "fix_": lambda t, x, y, i, j: x.clone().fix_(),
    "sgn": lambda t, x, y, i, j: t.sgn(x), "square": lambda t, x, y, i, j: t.square(i),
    "isfinite": lambda t, x, y, i, j: t.isfinite(x), "isfinite_int": lambda t, x, y, i, j: t.isfinite(i),
    "isposinf": lambda t, x, y, i, j: t.isposinf(x), "isreal": lambda t, x, y, i, j: t.isreal(x),
    "nan_to_num": lambda t, x, y, i, j: t.nan_to_num(x, 1.0, 2.0),
    "nan_to_num_int": lambda t, x, y, i, j: t.nan_to_num(i),
    "logit": lambda t, x, y, i, j: t.logit(y), "logit_eps": lambda t, x, y, i, j: t.logit(y / 4, 1e-3),
    "sinc_int": lambda t, x, y, i, j: t.sinc(i), "hypot": lambda t, x, y, i, j: t.hypot(x, y),
    "lshift": lambda t, x, y, i, j: i << j, "xor": lambda t, x, y, i, j: i ^ j,
    "and_scalar": lambda t, x, y, i, j: i & 3,
    "xlogy_int": lambda t, x, y, i, j: t.xlogy(i, j), "float_power": lambda t, x, y, i, j: t.float_power(x, y),
    "float_power_int": lambda t, x, y, i, j: t.float_power(i, 2), "heaviside": lambda t, x, y, i, j: t.heaviside(x, y),
    "logaddexp": lambda t, x, y, i, j: t.logaddexp(x, y), "logaddexp2": lambda t, x, y, i, j: t.logaddexp2(x, y),
    "lerp": lambda t, x, y, i, j: t.lerp(x, y, 0.3), "lerp_tensor": lambda t, x, y, i, j: t.lerp(x, y, y),
    "addcmul": lambda t, x, y, i, j: t.addcmul(x, x, y, value=0.5), "addcdiv": lambda t, x, y, i, j: t.addcdiv(x, x, y),
    "isclose": lambda t, x, y, i, j: t.isclose(x, y),
    "isclose_nan": lambda t, x, y, i, j: t.isclose(x, x, equal_nan=True),
    "isin": lambda t, x, y, i, j: t.isin(i, j), "isin_invert": lambda t, x, y, i, j: t.isin(i, j, invert=True),
    "isin_scalar": lambda t, x, y, i, j: t.isin(i, 3), "isin_scalar_tensor": lambda t, x, y, i, j: t.isin(3, i),
    "multiply_scalar": lambda t, x, y, i, j: t.multiply(x, 2.0),
    "divide_floor": lambda t, x, y, i, j: t.divide(x, y, rounding_mode="floor"),
    "clip_": lambda t, x, y, i, j: x.clone().clip_(0, 1), "negative_": lambda t, x, y, i, j: x.clone().negative_(),
    "arccos": lambda t, x, y, i, j: t.arccos(y / 4), "true_divide_": lambda t, x, y, i, j: x.clone().true_divide_(y),
    "less_equal": lambda t, x, y, i, j: t.less_equal(x, 0.5), "positive": lambda t, x, y, i, j: t.positive(x) * 2,
    "acos_": lambda t, x, y, i, j: (y / 4).acos_(), "atan2": lambda t, x, y, i, j: t.atan2(x, y),
    "elu_core": lambda t, x, y, i, j: t.nn.functional.elu(x),
    "bitwise_xor_scalar": lambda t, x, y, i, j: t.bitwise_xor(i, 6), "sign_nan": lambda t, x, y, i, j: t.sign(x),
}


def _ops(graph):
    return [str(n.target) for n in graph.nodes if n.op == "call_function"]


def _inputs(pkg):
    return tuple(pkg.from_numpy(a.copy()) for a in (_X, _Y, _I, _J))


@pytest.mark.parametrize("name", sorted(CASES))
def test_export_records_torchs_ops(name):
    fn = CASES[name]

    class Ours(me.nn.Module):
        def forward(self, x, y, i, j):
            return fn(me, x, y, i, j)

    class Theirs(torch.nn.Module):
        def forward(self, x, y, i, j):
            return fn(torch, x, y, i, j)
    ours, theirs = export(Ours(), _inputs(me)), torch.export.export(Theirs(), _inputs(torch))
    assert _ops(ours.graph) == _ops(theirs.graph)
    assert _ops(ours.run_decompositions().graph) == _ops(theirs.run_decompositions().graph)
    got, want = ours.module()(*_inputs(me)), fn(torch, *_inputs(torch))
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.numpy().astype(np.float64), rtol=1e-5,
                               atol=1e-6, equal_nan=True)


def test_divergences_from_torch_are_the_known_ones():
    """One decomposition differs from torch's on purpose: xlogy with a Python-number operand wraps it with
    aten.scalar_tensor (torch uses prims.scalar_tensor, which minexport does not have). fill.Scalar, which
    torch tags core yet still decomposes, becomes full_like as in torch."""
    class M(me.nn.Module):
        def forward(self, x):
            return me.xlogy(x, 2.0), me.fill(x, 1.0)
    ops = _ops(export(M(), (me.from_numpy(_Y.copy()),)).run_decompositions().graph)
    assert ops[0] == "aten.scalar_tensor.default" and ops[-1] == "aten.full_like.default"
