"""torch.nn.utils against torch: weight_norm (hook form and parametrization form), parametrize."""
import warnings

import numpy as np
import pytest

import minexport as me

torch = pytest.importorskip("torch")


def _conv(lib, form, dim=2):
    """A grouped Conv1d (wav2vec2's positional conv) weight-normed in `form` ("hook" or "parametrization")."""
    conv = lib.nn.Conv1d(8, 8, kernel_size=4, padding=2, groups=4)
    norm = lib.nn.utils.weight_norm if form == "hook" else lib.nn.utils.parametrizations.weight_norm
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return norm(conv, name="weight", dim=dim)


def _same_state(theirs, ours):
    """ours takes theirs' state dict; both state dicts then hold the same keys, shapes and values."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    t, m = theirs.state_dict(), ours.state_dict()
    assert list(t) == list(m)
    for k in t:
        np.testing.assert_allclose(m[k].numpy(), t[k].numpy(), rtol=1e-6, atol=1e-7)


def _ops(ep):
    return [str(n.target) for n in ep.graph.nodes if n.op == "call_function"]


@pytest.mark.parametrize("form", ["hook", "parametrization"])
@pytest.mark.parametrize("dim", [0, 1, 2, None])
def test_weight_norm_state_values_and_programs_match_torch(form, dim):
    theirs, ours = _conv(torch, form, dim), _conv(me, form, dim)
    for t, m in zip(theirs.state_dict().values(), ours.state_dict().values()):
        assert tuple(t.shape) == tuple(m.shape)
    _same_state(theirs, ours)
    x = np.random.default_rng(0).standard_normal((2, 8, 9)).astype(np.float32)
    want = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(me.from_numpy(x)).numpy(), want, rtol=1e-5, atol=1e-6)
    t_ep = torch.export.export(theirs, (torch.from_numpy(x),))
    m_ep = me.export.export(ours, (me.from_numpy(x),))
    assert _ops(m_ep) == _ops(t_ep)
    assert [(s.kind.name, s.target) for s in m_ep.graph_signature.input_specs] == \
        [(s.kind.name, s.target) for s in t_ep.graph_signature.input_specs]
    t_core, m_core = t_ep.run_decompositions(), m_ep.run_decompositions()
    assert sorted(_ops(m_core)) == sorted(_ops(t_core))
    np.testing.assert_allclose(m_core.module()(me.from_numpy(x)).numpy(), want, rtol=1e-5, atol=1e-6)


def test_parametrized_module_is_its_own_subclass():
    theirs, ours = _conv(torch, "parametrization"), _conv(me, "parametrization")
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedConv1d"
    assert isinstance(ours, me.nn.Conv1d)
    assert me.nn.utils.parametrize.is_parametrized(ours, "weight")
    assert me.nn.utils.parametrize.type_before_parametrizations(ours) is me.nn.Conv1d


def test_a_hook_form_state_dict_loads_into_the_parametrization_form():
    """parametrizations.weight_norm renames `weight_g`/`weight_v` to `parametrizations.weight.original0/1`."""
    old = _conv(torch, "hook")
    ours = _conv(me, "parametrization")
    ours.load_state_dict({k: v.detach().numpy() for k, v in old.state_dict().items()})
    np.testing.assert_allclose(ours.weight.numpy(), old.weight.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_the_hook_form_warns_and_is_removed_with_its_weight():
    conv = me.nn.Conv1d(8, 8, 3)
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        me.nn.utils.weight_norm(conv)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            me.nn.utils.weight_norm(conv)
    before = conv.weight.numpy().copy()
    me.nn.utils.remove_weight_norm(conv)
    assert list(conv.state_dict()) == ["bias", "weight"]       # re-registered last, as torch's
    assert isinstance(conv.weight, me.nn.Parameter)
    np.testing.assert_allclose(conv.weight.numpy(), before, rtol=1e-6)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        me.nn.utils.remove_weight_norm(conv)


def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)
    return Symmetric()


def _linear_with(lib, make):
    lin = lib.nn.Linear(4, 4)
    lib.nn.utils.parametrize.register_parametrization(lin, "weight", make(lib))
    return lin


def test_a_one_tensor_parametrization_matches_torch():
    theirs, ours = _linear_with(torch, _symmetric), _linear_with(me, _symmetric)
    assert list(ours.state_dict()) == list(theirs.state_dict())     # bias, parametrizations.weight.original
    _same_state(theirs, ours)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-6)
    x = np.ones((2, 4), np.float32)
    t_ep = torch.export.export(theirs, (torch.from_numpy(x),))
    m_ep = me.export.export(ours, (me.from_numpy(x),))
    assert sorted(_ops(m_ep)) == sorted(_ops(t_ep))
    np.testing.assert_allclose(m_ep.module()(me.from_numpy(x)).numpy(),
                               t_ep.module()(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)


def test_assignment_goes_through_right_inverse_and_removal_keeps_the_value():
    lin = me.nn.Linear(3, 3)
    me.nn.utils.parametrize.register_parametrization(lin, "weight", me.nn.utils.parametrizations._WeightNorm(0),
                                                     unsafe=True)
    target = me.from_numpy(np.arange(9, dtype=np.float32).reshape(3, 3) + 1)
    lin.weight = target
    np.testing.assert_allclose(lin.weight.numpy(), target.numpy(), rtol=1e-6)
    me.nn.utils.parametrize.remove_parametrizations(lin, "weight")
    assert type(lin) is me.nn.Linear and "parametrizations" not in dict(lin.named_children())
    assert isinstance(lin.weight, me.nn.Parameter)
    np.testing.assert_allclose(lin.weight.numpy(), target.numpy(), rtol=1e-6)


def test_cached_computes_a_parametrized_tensor_once():
    lin = _linear_with(me, _symmetric)
    with me.nn.utils.parametrize.cached():
        assert lin.weight is lin.weight
    assert lin.weight is not lin.weight


def test_refusals_name_the_tensor_and_the_rule():
    lin = me.nn.Linear(4, 4)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with "
                                         "name 'kernel'"):
        me.nn.utils.parametrize.register_parametrization(lin, "kernel", _symmetric(me))

    class Shrink(me.nn.Module):
        def forward(self, X):
            return X[:2]
    with pytest.raises(ValueError, match="may not change the shape of the tensor"):
        me.nn.utils.parametrize.register_parametrization(lin, "weight", Shrink())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        me.nn.utils.parametrize.remove_parametrizations(lin, "weight")
