"""The torch surface that model files touch, under `minexport.compat.as_torch()`, checked against torch.

Each test runs the same torch-written function once with torch and once under as_torch() and compares what
they return (values, recorded ops, signatures).
"""

import numpy as np
import pytest

from minexport.compat import as_torch

torch_real = pytest.importorskip("torch")


def both(fn):
    """(fn(torch), fn(minexport as torch))."""
    ref = fn(torch_real)
    with as_torch() as t:
        got = fn(t)
    return ref, got


def ops_of(ep):
    return [str(n.target) for n in ep.graph.nodes if n.op == "call_function" and "sym_size" not in str(n.target)]


def signature_of(ep):
    return [(s.kind.name, s.target) for s in ep.graph_signature.input_specs]


def test_finfo_iinfo_match_torch():
    def limits(torch):
        f = [(i.bits, i.eps, i.max, i.min, i.tiny, i.resolution)
             for i in map(torch.finfo, (torch.float32, torch.float64, torch.float16, torch.bfloat16))]
        n = [(i.bits, i.max, i.min) for i in map(torch.iinfo, (torch.int8, torch.uint8, torch.int32, torch.int64))]
        return f, n, torch.finfo().eps
    ref, got = both(limits)
    assert got == ref


def test_tensor_type_and_numpy_scalars():
    def f(torch):
        t = torch.arange(3).float()
        return (t.type(), t.type(torch.float64).dtype == torch.float64, t.type("torch.LongTensor").dtype == torch.int64,
                t.type(torch.float32) is t, (np.float64(2.0) * t).dtype == torch.float32,
                (t * np.float32(3)).dtype == torch.float32, (np.log(3.0) * torch.arange(2)).dtype == torch.float32)
    ref, got = both(f)
    assert got == ref


def test_outer_ger_and_inplace_triangles_record_torchs_ops():
    def f(torch):
        class M(torch.nn.Module):
            def forward(self, a, b, m):
                torch._assert(a.shape[0] == 3, "three rows")
                return torch.outer(a, b), a.ger(b), m.triu_(1), m.clone().tril_(-1), a.type(torch.float64)

        class Outer(torch.nn.Module):
            def forward(self, a, b):
                return torch.outer(a, b) + a.ger(b)
        args = (torch.arange(3.0), torch.arange(4.0) + 1, torch.ones(3, 3))
        ep = torch.export.export(M(), args)
        core = torch.export.export(Outer(), args[:2]).run_decompositions()
        out = [o.numpy() for o in ep.run_decompositions().module()(*args[:2], torch.ones(3, 3))]
        return ops_of(ep), sorted(ops_of(core)), out
    (ref_ops, ref_core, ref_out), (ops, core, out) = both(f)
    assert ops == ref_ops and core == ref_core
    for a, b in zip(ref_out, out):
        np.testing.assert_allclose(b, a)


def test_markers_and_hooks_are_pass_throughs():
    def f(torch):
        import torch.optim
        from torch.utils.checkpoint import checkpoint
        lin = torch.nn.Linear(2, 2)
        x = torch.ones(1, 2)

        @torch.jit.ignore
        def helper(v):
            return v + 1
        return (torch.jit.is_scripting(), torch.jit.is_tracing(), float((torch.jit.script(lin)(x) - lin(x)).sum()),
                torch.jit.unused(helper) is helper, torch._C._log_api_usage_once("m"),
                float((checkpoint(lin, x, use_reentrant=False) - lin(x)).abs().max()), helper(1))
    ref, got = both(f)
    assert got == ref


def test_optimizers_import_but_are_refused():
    with as_torch() as torch:
        import torch.optim
        with pytest.raises(NotImplementedError, match="torch.optim.AdamW is not supported by minexport"):
            torch.optim.AdamW(torch.nn.Linear(2, 2).parameters(), lr=1e-3)
        with pytest.raises(NotImplementedError, match="torch.jit.trace"):
            torch.jit.trace(torch.nn.Linear(2, 2), torch.ones(1, 2))


def test_nn_init_functions():
    with as_torch() as torch:
        init = torch.nn.init
        w = torch.empty(4, 6)
        init.orthogonal_(w, gain=2.0)
        a = w.numpy()
        np.testing.assert_allclose(a @ a.T, 4 * np.eye(4), atol=1e-4)
        s = torch.empty(10, 5)
        init.sparse_(s, 0.3)
        assert ((s.numpy() == 0).sum(0) == 3).all()
        k = torch.empty(4, 4, 3)
        init.dirac_(k)
        x = torch.randn(1, 4, 7)
        np.testing.assert_allclose(torch.nn.functional.conv1d(x, k, padding=1).numpy(), x.numpy(), atol=1e-6)
        with pytest.warns(FutureWarning, match="xavier_uniform_"):
            init.xavier_uniform(torch.empty(3, 3))
        for fn in (init.kaiming_uniform_, init.kaiming_normal_, init.xavier_normal_, init.trunc_normal_):
            fn(torch.empty(3, 5))
    ref = [torch_real.nn.init.calculate_gain(n) for n in ("relu", "tanh", "selu", "conv2d", "sigmoid")]
    with as_torch() as torch:
        assert [torch.nn.init.calculate_gain(n) for n in ("relu", "tanh", "selu", "conv2d", "sigmoid")] == ref


def test_module_hooks_and_walks():
    def f(torch):
        class M(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = torch.nn.Linear(3, 3)

            def forward(self, x, scale=1.0):
                return self.lin(x) * scale

            def extra_repr(self):
                return "custom=1"
        m, log = M(), []
        x = torch.ones(1, 3)
        handles = [m.register_forward_pre_hook(lambda mod, a, k: (a, {**k, "scale": 2.0}), with_kwargs=True),
                   m.register_forward_hook(lambda mod, a, k, o: o + 1, with_kwargs=True),
                   m.register_forward_hook(lambda mod, a, o: log.append("first"), prepend=True)]
        hooked = float((m(x) - (m.lin(x) * 2 + 1)).abs().max())
        for h in handles:
            h.remove()
        with m.register_forward_pre_hook(lambda mod, a: (a[0] * 0,)):
            zeroed = float((m(x) - m.lin.bias).abs().max())
        shared = torch.nn.Linear(2, 2)
        seq = torch.nn.Sequential(shared, shared)
        seen = []
        seq.apply(lambda mod: seen.append(type(mod).__name__))
        return (hooked, log, repr(m).splitlines()[1], zeroed, float((m(x) - m.lin(x)).abs().max()),
                [n for n, _ in seq.named_modules()], [n for n, _ in seq.named_modules(remove_duplicate=False)],
                len(list(seq.modules())), seen, seq.eval().training, seq.train().training, seq.zero_grad())
    ref, got = both(f)
    assert got == ref


def test_tied_weights_lifted_under_every_name():
    def f(torch):
        class M(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.wte = torch.nn.Embedding(10, 4)
                self.head = torch.nn.Linear(4, 10, bias=False)
                self.head.weight = self.wte.weight
                self.register_buffer("b", torch.ones(4))
                self.register_buffer("b2", self.b)

            def forward(self, idx):
                return self.head(self.wte(idx) + self.b + self.b2)
        ep = torch.export.export(M(), (torch.tensor([[1, 2]]),))
        mod = ep.module()
        placeholders = [(n.name, len(n.users)) for n in ep.graph.nodes if n.op == "placeholder"]
        return (signature_of(ep), placeholders, sorted(ep.state_dict),
                ep.state_dict["wte.weight"] is ep.state_dict["head.weight"],
                [n for n, _ in mod.named_parameters()], [n for n, _ in mod.named_parameters(remove_duplicate=False)],
                mod.wte.weight is mod.head.weight, signature_of(ep.run_decompositions()))
    ref, got = both(f)
    assert got == ref


def test_list_index_and_full_slices_over_dynamic_dims():
    def f(torch):
        class M(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("table", torch.arange(64.0).reshape(16, 4))

            def forward(self, x):
                n = x.shape[1]
                return x[:, [-1], :], x[:, 0], x[..., None, :], x[:, 1:], self.table[:n], x[0:]
        dims = {"x": {0: torch.export.Dim("b", max=8), 1: torch.export.Dim("s", min=3, max=16)}}
        ep = torch.export.export(M(), (torch.randn(3, 6, 5),), dynamic_shapes=dims)
        def plain(a):
            return [plain(v) for v in a] if isinstance(a, (list, tuple)) else "node" if hasattr(a, "name") else a
        args = [plain(n.args[1:]) for n in ep.graph.nodes
                if n.op == "call_function" and "sym_size" not in str(n.target)]
        return ops_of(ep), args, signature_of(ep), sorted((int(r.lower), int(r.upper))
                                                           for r in ep.range_constraints.values())
    ref, got = both(f)
    assert got == ref


def test_device_probes_grad_mode_and_compile():
    with as_torch() as torch:
        import torch.backends.mps
        import torch.cuda
        assert not torch.cuda.is_available() and torch.cuda.device_count() == 0
        assert not torch.backends.mps.is_available()
        torch.backends.cudnn.benchmark = True
        lin = torch.nn.Linear(2, 2)
        assert torch.compile(lin) is lin and torch.compile(mode="reduce-overhead")(lin) is lin
        with torch.set_grad_enabled(False), torch.autocast("cpu", enabled=False):
            assert torch.is_grad_enabled() is False
        with pytest.raises(NotImplementedError, match="torch.autocast is not supported"):
            torch.autocast("cpu", dtype=torch.bfloat16)


def test_python_operators_record_torchs_overloads():
    def f(torch):
        class M(torch.nn.Module):
            def forward(self, x, y):
                i, j, b = x.long(), y.long(), x > 0
                return (i // 2, 7 // (j.abs() + 1), i & 3, i | 1, i << 1, i >> 1, i & j, i | j, i << j.abs(),
                        i >> j.abs(), b & (y > 0), b | True, ~b, i % 3)
        args = (torch.tensor([1.5, -2.5, 7.0]), torch.tensor([2.0, 1.0, -3.0]))
        ep = torch.export.export(M(), args)
        core = ep.run_decompositions()
        outs = [[o.tolist() for o in p.module()(*args)] for p in (ep, core)]
        keep = ("floor_divide", "__", "div", "bitwise")
        return ([o for o in ops_of(ep) if o.startswith("aten.") and any(k in o for k in keep)],
                [o for o in ops_of(core) if any(k in o for k in keep)], outs)
    ref, got = both(f)
    assert got == ref
