"""Activations: torch.nn.functional's functions and torch.nn's modules against torch 2.13 (values,
defaults, reprs), and the ops their exports record, before and after run_decompositions()."""
import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
import minexport.nn.functional as F
from minexport.export import export

torch = pytest.importorskip("torch")

_X = np.random.default_rng(12).uniform(-4, 4, (2, 4, 3, 6)).astype(np.float32)
_X[0, 0, 0, :5] = [0.0, 0.5, -0.5, 25.0, -25.0]    # at the kinks and past softplus/mish thresholds

# (name, f(F, x)): each called with minexport's and with torch's functional module
FUNCTIONAL = [
    ("elu", lambda f, x: f.elu(x)), ("elu_alpha", lambda f, x: f.elu(x, 0.5)),
    ("elu_inplace", lambda f, x: f.elu(x.clone(), 0.3, inplace=True)),
    ("selu", lambda f, x: f.selu(x)), ("selu_inplace", lambda f, x: f.selu(x.clone(), inplace=True)),
    ("celu", lambda f, x: f.celu(x)), ("celu_alpha", lambda f, x: f.celu(x, 0.5)),
    ("celu_inplace", lambda f, x: f.celu(x.clone(), inplace=True)),
    ("hardswish", lambda f, x: f.hardswish(x)), ("hardswish_inplace", lambda f, x: f.hardswish(x.clone(), True)),
    ("hardsigmoid", lambda f, x: f.hardsigmoid(x)),
    ("hardsigmoid_inplace", lambda f, x: f.hardsigmoid(x.clone(), inplace=True)),
    ("mish", lambda f, x: f.mish(x)), ("mish_inplace", lambda f, x: f.mish(x.clone(), inplace=True)),
    ("softplus", lambda f, x: f.softplus(x)), ("softplus_beta", lambda f, x: f.softplus(x, 2, 10)),
    ("softplus_float", lambda f, x: f.softplus(x, 1.0, 20.0)),
    ("softshrink", lambda f, x: f.softshrink(x)), ("softshrink_lambd", lambda f, x: f.softshrink(x, 1.5)),
    ("hardshrink", lambda f, x: f.hardshrink(x)), ("hardshrink_lambd", lambda f, x: f.hardshrink(x, 1.5)),
    ("tanhshrink", lambda f, x: f.tanhshrink(x)), ("softsign", lambda f, x: f.softsign(x)),
    ("threshold", lambda f, x: f.threshold(x, 0.1, 20.0)),
    ("threshold_inplace", lambda f, x: f.threshold(x.clone(), 0.1, 20.0, True)),
    ("glu", lambda f, x: f.glu(x)), ("glu_dim", lambda f, x: f.glu(x, 1)),
    ("rrelu_eval", lambda f, x: f.rrelu(x)), ("rrelu_eval_bounds", lambda f, x: f.rrelu(x, 0.1, 0.3)),
    ("rrelu_eval_inplace", lambda f, x: f.rrelu(x.clone(), inplace=True)),
    ("logsigmoid", lambda f, x: f.logsigmoid(x)),
    ("softmin", lambda f, x: f.softmin(x, -1)), ("softmin_dtype", lambda f, x: f.softmin(x, 1, dtype=_f64(f))),
    ("silu", lambda f, x: f.silu(x)), ("silu_inplace", lambda f, x: f.silu(x.clone(), inplace=True)),
    ("relu6", lambda f, x: f.relu6(x)), ("relu6_inplace", lambda f, x: f.relu6(x.clone(), inplace=True)),
    ("gelu_tanh", lambda f, x: f.gelu(x, approximate="tanh")),
    ("hardtanh_", lambda f, x: f.hardtanh_(x.clone(), -2.0, 2.0)),
    ("leaky_relu_", lambda f, x: f.leaky_relu_(x.clone(), 0.2)),
    ("elu_", lambda f, x: f.elu_(x.clone())), ("threshold_", lambda f, x: f.threshold_(x.clone(), 0.0, -1.0)),
]


def _f64(f):
    return me.float64 if f is F else torch.float64


def _check(ours, theirs, where):
    assert str(ours.dtype).replace("minexport.", "") == str(theirs.dtype).replace("torch.", ""), where
    np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.detach().numpy().astype(np.float64),
                               rtol=1e-5, atol=1e-6, err_msg=where)


@pytest.mark.parametrize("name, fn", FUNCTIONAL, ids=[n for n, _ in FUNCTIONAL])
def test_functional_matches_torch(name, fn):
    _check(fn(F, me.from_numpy(_X.copy())), fn(torch.nn.functional, torch.from_numpy(_X.copy())), name)


def test_prelu_matches_torch():
    x = _X.copy()
    for w in (np.array([0.25], np.float32), np.array([0.1, -0.2, 0.3, 2.0], np.float32)):
        _check(F.prelu(me.from_numpy(x), me.from_numpy(w)),
               torch.nn.functional.prelu(torch.from_numpy(x), torch.from_numpy(w)), f"prelu {w}")
    _check(me.prelu(me.from_numpy(x[0, 0, 0]), me.tensor([0.5])),
           torch.prelu(torch.from_numpy(x[0, 0, 0]), torch.tensor([0.5])), "prelu 1-d")


def test_inplace_writes_its_input():
    for name in ("elu", "selu", "celu", "hardswish", "hardsigmoid", "mish", "relu6", "rrelu"):
        x = me.from_numpy(_X.copy())
        y = getattr(F, name)(x, inplace=True)
        assert y is x, name
        _check(x, getattr(torch.nn.functional, name)(torch.from_numpy(_X.copy())), name)


# (name, make(nn)): modules built the same way from either package
MODULES = [
    ("ELU", lambda n: n.ELU()), ("ELU_args", lambda n: n.ELU(0.5, True)), ("SELU", lambda n: n.SELU()),
    ("SELU_inplace", lambda n: n.SELU(inplace=True)), ("CELU", lambda n: n.CELU(2.0)),
    ("GLU", lambda n: n.GLU()), ("GLU_dim", lambda n: n.GLU(1)), ("Hardswish", lambda n: n.Hardswish()),
    ("Hardswish_inplace", lambda n: n.Hardswish(True)), ("Hardsigmoid", lambda n: n.Hardsigmoid()),
    ("Mish", lambda n: n.Mish()), ("Mish_inplace", lambda n: n.Mish(True)), ("Softplus", lambda n: n.Softplus()),
    ("Softplus_args", lambda n: n.Softplus(2, 10)), ("Softshrink", lambda n: n.Softshrink()),
    ("Softshrink_lambd", lambda n: n.Softshrink(0.3)), ("Hardshrink", lambda n: n.Hardshrink(1.5)),
    ("Tanhshrink", lambda n: n.Tanhshrink()), ("Threshold", lambda n: n.Threshold(0.1, 20.0)),
    ("Threshold_inplace", lambda n: n.Threshold(0.1, 20.0, True)), ("PReLU", lambda n: n.PReLU()),
    ("PReLU_channels", lambda n: n.PReLU(4, 0.1)), ("RReLU", lambda n: n.RReLU().eval()),
    ("RReLU_args", lambda n: n.RReLU(0.1, 0.3, True).eval()), ("LogSigmoid", lambda n: n.LogSigmoid()),
    ("Softmin", lambda n: n.Softmin(1)), ("Softmin_none", lambda n: n.Softmin()),
    ("Softmax2d", lambda n: n.Softmax2d()), ("SiLU", lambda n: n.SiLU()), ("SiLU_inplace", lambda n: n.SiLU(True)),
    ("ReLU6", lambda n: n.ReLU6()), ("ReLU6_inplace", lambda n: n.ReLU6(True)), ("Softsign", lambda n: n.Softsign()),
    ("LogSoftmax", lambda n: n.LogSoftmax(1)), ("Softmax", lambda n: n.Softmax(-1)),
    ("Hardtanh", lambda n: n.Hardtanh(-2.0, 2.0)), ("LeakyReLU", lambda n: n.LeakyReLU(0.2, True)),
    ("GELU", lambda n: n.GELU("tanh")), ("ReLU", lambda n: n.ReLU(True)),
]
_IDS = [n for n, _ in MODULES]


@pytest.mark.parametrize("name, make", MODULES, ids=_IDS)
def test_module_matches_torch(name, make):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert ours.training == theirs.training
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[k].numpy(), v.numpy(), err_msg=k)
    _check(ours(me.from_numpy(_X.copy())), theirs(torch.from_numpy(_X.copy())), name)


def _ops(graph):
    return [str(n.target) for n in graph.nodes if n.op == "call_function"]


def _exported(pkg, make, x, export_fn):
    body = make(pkg.nn)

    class Wrap(pkg.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = body

        def forward(self, x):
            return self.body(x.clone() if getattr(self.body, "inplace", False) else x)
    ep = export_fn(Wrap(), (x,))
    return _ops(ep.graph), _ops(ep.run_decompositions().graph)


# the modules whose export is not already that of a functional case above
_OWN_EXPORT = [(n, m) for n, m in MODULES if n in {
    "PReLU", "PReLU_channels", "RReLU", "RReLU_args", "Softmin_none", "Softmax2d", "ReLU6", "ReLU6_inplace",
    "Hardtanh", "Tanhshrink", "Softsign", "Threshold_inplace", "Softplus_args", "LogSoftmax", "CELU", "GLU_dim"}]


@pytest.mark.parametrize("name, make", _OWN_EXPORT, ids=[n for n, _ in _OWN_EXPORT])
def test_module_export_records_torchs_ops(name, make):
    ours = _exported(me, make, me.from_numpy(_X.copy()), export)
    theirs = _exported(torch, make, torch.from_numpy(_X.copy()), torch.export.export)
    assert ours == theirs


@pytest.mark.parametrize("name, fn", FUNCTIONAL, ids=[n for n, _ in FUNCTIONAL])
def test_functional_export_records_torchs_ops(name, fn):
    class Ours(nn.Module):
        def forward(self, x):
            return fn(F, x)

    class Theirs(torch.nn.Module):
        def forward(self, x):
            return fn(torch.nn.functional, x)
    ours = export(Ours(), (me.from_numpy(_X.copy()),))
    theirs = torch.export.export(Theirs(), (torch.from_numpy(_X.copy()),))
    assert _ops(ours.graph) == _ops(theirs.graph)
    assert _ops(ours.run_decompositions().graph) == _ops(theirs.run_decompositions().graph)
    _check(ours.module()(me.from_numpy(_X.copy())), fn(torch.nn.functional, torch.from_numpy(_X.copy())), name)


def test_rrelu_training_draws_slopes_in_bounds():
    me.manual_seed(0)
    x = -me.rand(100, 100) - 0.5
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = (y / x).numpy()
    assert slopes.min() >= 0.1 and slopes.max() < 0.3
    assert abs(slopes.mean() - 0.2) < 0.01 and slopes.std() > 0.05     # drawn per element
    pos = me.rand(10) + 0.1
    np.testing.assert_array_equal(F.rrelu(pos, training=True).numpy(), pos.numpy())
    m = nn.RReLU(0.1, 0.3)
    assert m.training and not np.allclose(m(x).numpy(), F.rrelu(x, 0.1, 0.3).numpy())


@pytest.mark.parametrize("call, message", [
    (lambda: F.glu(me.randn(2, 3)), "Halving dimension must be even, but dimension 1 is size 3"),
    (lambda: F.glu(me.tensor(1.0)), "glu does not support scalars"),
    (lambda: F.prelu(me.randn(2, 3), me.randn(4)), "Mismatch of parameter numbers and input channel size"),
    (lambda: F.prelu(me.randn(2, 3), me.randn(3, dtype=me.float64)), "prelu: Type promoting not supported"),
    (lambda: F.softshrink(me.randn(3), -1.0), "lambda must be greater or equal to 0"),
    (lambda: F.elu(me.arange(3)), "not implemented for 'Long'"),
    (lambda: F.rrelu(me.randn(3), 0.5, 0.1), "Lower bound should be less than or equal to the upper bound"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((RuntimeError, NotImplementedError), match=message):
        call()


def test_softmax2d_wants_3d_or_4d():
    with pytest.raises(ValueError, match="expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(me.randn(2, 3))
