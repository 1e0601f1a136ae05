"""Grad-mode and autocast regions against torch 2.13: the stretches traced under no_grad / set_grad_enabled /
a disabled autocast become wrap_with_set_grad_enabled / wrap_with_autocast calls of subgraphs in the exported
program (torch's training IR), and run_decompositions() puts their ops back in line."""
import numpy as np
import pytest

import minexport as me
from minexport.compat import as_torch, surface

torch = pytest.importorskip("torch")


def _program(lib, body, shapes, dynamic=None):
    """export of a module whose forward is body(lib, *inputs) on float32 inputs of `shapes`."""
    class Body(lib.nn.Module):
        def forward(self, *xs):
            return body(lib, *xs)
    args = tuple(lib.ones(*s) + lib.arange(s[-1]) for s in shapes)
    return lib.export.export(Body(), args, dynamic_shapes=dynamic(lib) if dynamic else None), args


def _calls(gm):
    """The call targets of gm's graph, and recursively of its subgraphs: (name, [targets], [subgraphs' calls])."""
    targets = [str(n.target) for n in gm.graph.nodes if n.op == "call_function"]
    subs = [_calls(getattr(gm, n.target)) for n in gm.graph.nodes if n.op == "get_attr"]
    return targets, subs


def _no_grad_block(lib, x, y):
    a = x + 1
    with lib.no_grad():
        b = a * 2 + y
        c = b.sin()
    return b, c * a + c


def _nested(lib, x):
    with lib.no_grad():
        y = x * 2
        with lib.no_grad():
            z = y + 1
    return z


def _empty(lib, x):
    with lib.no_grad():
        pass
    return x + 1


def _dead(lib, x):
    with lib.no_grad():
        x * 2
    return x + 1


def _in_place(lib, x):
    y = x * 1
    with lib.no_grad():
        y.add_(1)
    return y + 1


def _set_call(lib, x):
    lib.set_grad_enabled(False)
    y = x * 2
    lib.set_grad_enabled(True)
    return y + 1


def _enable(lib, x):
    with lib.enable_grad():
        y = x * 2
    return y + 1


def _inference(lib, x):
    with lib.inference_mode():
        y = x * 2
    return y + 1


def _autocast_of(lib):
    """torch.autocast, or what `import torch` gives under as_torch()."""
    return lib.autocast if lib is torch else surface.autocast


def _autocast(lib, x):
    with _autocast_of(lib)("cpu", enabled=False):
        y = x * 2
    with _autocast_of(lib)(device_type="cuda", enabled=False):
        y = y.cos()
    with _autocast_of(lib)(device_type="cpu", dtype=lib.float16, enabled=False, cache_enabled=True):
        y = y + x
    return y


def _autocast_in_no_grad(lib, x):
    with lib.no_grad():
        y = x.sin()
        with _autocast_of(lib)("cpu", enabled=False):
            z = y @ x.t()
    return z.sum(1) + y.sum(1)


def _sizes(lib, x):
    with lib.no_grad():
        y = x.view(x.shape[0] * 2, -1)
    return y + x.shape[0]


CASES = {"no_grad": (_no_grad_block, [(3,), (3,)], None), "nested": (_nested, [(3,)], None),
         "empty": (_empty, [(3,)], None), "dead": (_dead, [(3,)], None), "in_place": (_in_place, [(3,)], None),
         "set_grad_enabled": (_set_call, [(3,)], None), "enable_grad": (_enable, [(3,)], None),
         "inference_mode": (_inference, [(3,)], None), "autocast": (_autocast, [(3,)], None),
         "autocast_in_no_grad": (_autocast_in_no_grad, [(3, 3)], None),
         "sizes": (_sizes, [(4, 2)], lambda lib: (({0: lib.export.Dim("b")},),))}


@pytest.mark.parametrize("name", sorted(CASES))
def test_region_calls_and_their_subgraphs_match_torch(name):
    body, shapes, dynamic = CASES[name]
    theirs, t_args = _program(torch, body, shapes, dynamic)
    ours, m_args = _program(me, body, shapes, dynamic)
    assert _calls(ours.graph_module) == _calls(theirs.graph_module)
    for t_node, m_node in zip(*(([n for n in ep.graph.nodes if "wrap_with" in str(n.target)])
                                for ep in (theirs, ours))):
        leading = [a for a in t_node.args if not isinstance(a, torch.fx.Node)]
        assert [str(a) for a in m_node.args[:len(leading)]] == [str(a).replace("torch.", "minexport.")
                                                                 for a in leading]
    want = theirs.module()(*t_args)
    got = ours.module()(*m_args)
    for w, g in zip(*(v if isinstance(v, tuple) else (v,) for v in (want, got))):
        np.testing.assert_allclose(g.numpy(), w.detach().numpy(), rtol=1e-6)
    t_core, m_core = theirs.run_decompositions(), ours.run_decompositions()
    assert _calls(m_core.graph_module) == _calls(t_core.graph_module)


def test_grad_mode_reads_back_as_in_torch():
    for lib in (torch, me):
        assert lib.is_grad_enabled()
        with lib.no_grad():
            assert not lib.is_grad_enabled()
            with lib.enable_grad():
                assert lib.is_grad_enabled()
            with lib.inference_mode():
                assert not lib.is_grad_enabled()
        assert lib.is_grad_enabled()

        @lib.no_grad()
        def off():
            return lib.is_grad_enabled()

        @lib.set_grad_enabled(False)
        def also_off():
            return lib.is_grad_enabled()
        assert off() is False and also_off() is False and lib.is_grad_enabled()
        lib.set_grad_enabled(False)
        assert not lib.is_grad_enabled()
        lib.set_grad_enabled(True)
        with lib.set_grad_enabled(False):
            assert not lib.is_grad_enabled()
        assert lib.is_grad_enabled()


class _Decorated:
    """A model whose submodule's forward is decorated with no_grad (HF's rotary embeddings), for both libraries."""

    @staticmethod
    def make(lib):
        class Rotary(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("inv_freq", lib.arange(4.0) / 4, persistent=False)

            @lib.no_grad()
            def forward(self, x):
                freqs = x[..., None] * self.inv_freq
                return freqs.cos(), freqs.sin()

        class Model(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.rotary = Rotary()
                self.proj = lib.nn.Linear(4, 4)

            def forward(self, x):
                cos, sin = self.rotary(x)
                return self.proj(cos * sin).sum(1)
        return Model().eval()


def test_a_decorated_submodule_keeps_its_region_through_save_load_and_unflatten(tmp_path):
    x = np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3)
    theirs_model, ours_model = _Decorated.make(torch), _Decorated.make(me)
    ours_model.load_state_dict({k: v.detach().numpy() for k, v in theirs_model.state_dict().items()})
    theirs = torch.export.export(theirs_model, (torch.from_numpy(x),))
    ours = me.export.export(ours_model, (me.from_numpy(x),))
    want = theirs.module()(torch.from_numpy(x)).detach().numpy()
    # torch loads minexport's archive, minexport loads torch's
    me.export.save(ours, tmp_path / "ours.pt2")
    torch.export.save(theirs, tmp_path / "theirs.pt2")
    np.testing.assert_allclose(torch.export.load(tmp_path / "ours.pt2").module()(torch.from_numpy(x)).detach().numpy(),
                               want, rtol=1e-6)
    loaded = me.export.load(tmp_path / "theirs.pt2")
    assert _calls(loaded.graph_module) == _calls(theirs.graph_module)
    np.testing.assert_allclose(loaded.module()(me.from_numpy(x)).numpy(), want, rtol=1e-6)
    # unflatten: the region call and its subgraph live in the decorated module, as torch's do
    t_flat, m_flat = torch.export.unflatten(theirs), me.export.unflatten(ours)
    assert [n for n, _ in m_flat.rotary.named_children()] == [n for n, _ in t_flat.rotary.named_children()]
    np.testing.assert_allclose(m_flat(me.from_numpy(x)).numpy(), want, rtol=1e-6)


def test_an_enabled_autocast_is_refused_with_the_fix():
    with as_torch():
        import torch as shim
        with pytest.raises(NotImplementedError, match="pass enabled=False"):
            shim.autocast("cpu", dtype=shim.bfloat16)
        with pytest.raises(ValueError, match="device_type"):
            shim.autocast(0, enabled=False)
