"""preserve_module_call_signature and export.unflatten (spec/unflatten.md)."""
import io

import numpy as np
import pytest

import minexport as mx
import minexport.nn as nn
from minexport.export import (ConstantArgument, FlatArgsAdapter, InterpreterModule, TensorArgument,
                              UnflattenedModule, UserError, export, unflatten)
from minexport.serde import load, save


class Sub(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.register_buffer("buf", mx.zeros(4))

    def forward(self, x, y):
        self.buf.add_(1)
        return self.lin(x) + y + self.buf, x * 2


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.sub = Sub()
        self.other = nn.Linear(4, 4)

    def forward(self, x):
        a, b = self.sub(x, x + 1)
        return self.other(a) - b


class Pure(nn.Module):
    """No state mutation: calling it twice gives the same result."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Sequential(nn.Linear(4, 4), nn.ReLU())

    def forward(self, x):
        return self.b(self.a(x)) * 2


def _close(a, b):
    return mx.allclose(a, b, atol=1e-6)


def test_preserved_signature_names_graph_values_as_torch():
    ep = export(M(), (mx.randn(2, 4),), preserve_module_call_signature=("sub",))
    entries = {e.fqn: e.signature for e in ep.module_call_graph}
    assert list(entries) == ["", "sub", "sub.lin", "other"]
    sig = entries["sub"]
    assert sig.inputs == [TensorArgument("x"), TensorArgument("add")]
    assert sig.outputs == [TensorArgument("add_2"), TensorArgument("mul")]
    assert sig.in_spec.num_leaves == 2 and sig.out_spec.num_leaves == 2 and sig.forward_arg_names is None
    assert entries["sub.lin"] is None and entries["other"] is None


def test_constants_kwargs_and_repeated_calls():
    class S(nn.Module):
        def forward(self, x, n, flag=None):
            return {"a": x * n, "b": [x + 1]}

    class N(nn.Module):
        def __init__(self):
            super().__init__()
            self.sub = S()

        def forward(self, x):
            d = self.sub(x, 3, flag=None)
            e = self.sub(d["a"], 2, flag=None)
            return d["b"][0] + e["a"]

    ep = export(N(), (mx.randn(2, 4),), preserve_module_call_signature=("sub",))
    assert [e.fqn for e in ep.module_call_graph] == ["", "sub", "sub@1"]
    first, second = ep.module_call_graph[1].signature, ep.module_call_graph[2].signature
    assert first.inputs == [TensorArgument("x"), ConstantArgument("", 3), ConstantArgument("", None)]
    assert first.outputs == [TensorArgument("mul"), TensorArgument("add")]
    assert second.inputs[0] == TensorArgument("mul") and second.inputs[1] == ConstantArgument("", 2)
    x = mx.randn(2, 4)
    assert _close(unflatten(ep)(x), N()(x))


def test_changed_structure_and_unknown_fqn_are_refused():
    class S(nn.Module):
        def forward(self, x, flag=None):
            return x + 1

    class N(nn.Module):
        def __init__(self):
            super().__init__()
            self.sub = S()

        def forward(self, x):
            return self.sub(self.sub(x, flag=None))

    with pytest.raises(UserError, match="different input structure"):
        export(N(), (mx.randn(2),), preserve_module_call_signature=("sub",))
    with pytest.raises(UserError, match="'nope' is not the fqn"):
        export(N(), (mx.randn(2),), preserve_module_call_signature=("nope",))


def test_archive_keeps_module_call_graph():
    ep = export(M(), (mx.randn(2, 4),), preserve_module_call_signature=("sub",))
    buf = io.BytesIO()
    save(ep, buf)
    buf.seek(0)
    assert load(buf).module_call_graph == ep.module_call_graph


def test_unflatten_rebuilds_the_hierarchy_and_matches_module():
    ep = export(Pure(), (mx.randn(3, 4),))
    u = unflatten(ep)
    assert isinstance(u, UnflattenedModule)
    assert [n for n, _ in u.named_modules()] == ["", "a", "b", "b.0", "b.1"]
    assert all(isinstance(m, InterpreterModule) for _, m in u.named_modules())
    assert [n.target for n in u.graph.nodes if n.op == "call_module"] == ["a", "b"]
    assert [n.target for n in u.b.graph.nodes if n.op == "call_module"] == ["0", "1"]
    assert [n for n, _ in u.named_parameters()] == [n for n, _ in ep.module().named_parameters()]
    x = mx.randn(3, 4)
    assert _close(u(x), ep.module()(x))


def test_tied_weights_are_one_object_and_buffer_updates_are_visible():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Linear(4, 4, bias=False)
            self.dec = nn.Linear(4, 4, bias=False)
            self.dec.weight = self.enc.weight

        def forward(self, x):
            return self.dec(self.enc(x))

    u = unflatten(export(Tied(), (mx.randn(2, 4),)))
    assert u.enc.weight is u.dec.weight
    m = unflatten(export(M(), (mx.randn(2, 4),), preserve_module_call_signature=("sub",)))
    m(mx.randn(2, 4))
    m(mx.randn(2, 4))
    assert m.sub.buf.tolist() == [2.0] * 4


def test_swapping_a_preserved_submodule():
    class Other(nn.Module):
        def forward(self, x, y):
            return x - y, x

    ep = export(M(), (mx.randn(2, 4),), preserve_module_call_signature=("sub",))
    u = unflatten(ep)
    u.sub = Other()
    x = mx.randn(2, 4)
    assert _close(u(x), u.other(x - (x + 1)) - x)


def test_preserved_call_runs_on_its_own():
    ep = export(M(), (mx.randn(2, 4),), preserve_module_call_signature=("sub",))
    u = unflatten(ep)
    x, y = mx.randn(2, 4), mx.randn(2, 4)
    a, b = u.sub(x, y)
    assert _close(a, u.sub.lin(x) + y + u.sub.buf) and _close(b, x * 2)


def test_flat_args_adapter():
    ep = export(Pure(), (mx.randn(3, 4),))
    x = mx.randn(3, 4)
    with pytest.raises(TypeError, match="Input treespec does not match"):
        unflatten(ep)(x, mx.randn(1))

    class DropExtra(FlatArgsAdapter):
        def adapt(self, target_spec, input_spec, input_args, metadata=None, obj=None):
            return input_args[:target_spec.num_leaves]

    assert _close(unflatten(ep, flat_args_adapter=DropExtra())(x, mx.randn(1)), ep.module()(x))


def test_module_called_twice_is_called_twice():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            return self.lin(self.lin(x).relu())

    ep = export(Twice(), (mx.randn(2, 4),))
    u = unflatten(ep)
    assert [n for n, _ in u.named_modules()] == ["", "lin"]
    # as torch: one module, two call_module nodes (lin, lin_1)
    assert [(n.name, n.target) for n in u.graph.nodes if n.op == "call_module"] == [("lin", "lin"), ("lin_1", "lin")]
    x = mx.randn(2, 4)
    assert _close(u(x), ep.module()(x))


def test_module_computing_differently_per_call_stays_inline():
    class Flagged(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x, double=False):
            y = self.lin(x)
            return y * 2 if double else y

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.f = Flagged()

        def forward(self, x):
            return self.f(self.f(x), double=True)

    ep = export(Outer(), (mx.randn(2, 4),))
    u = unflatten(ep)
    assert [n.target for n in u.graph.nodes if n.op == "call_module"] == ["f"]     # the second call inline
    assert [n.target for n in u.graph.nodes if n.op == "get_attr"] == ["f.lin.weight", "f.lin.bias"]
    x = mx.randn(2, 4)
    assert _close(u(x), ep.module()(x))


def test_decomposed_program_unflattens():
    ep = export(Pure(), (mx.randn(3, 4),)).run_decompositions()
    x = mx.randn(3, 4)
    assert _close(unflatten(ep)(x), ep.module()(x))


def _parent_of_sub(lib):
    """A module calling `sub` (a Linear plus an add; two outputs) with two inputs, written against lib (torch or
    minexport), so both sides export the same program."""
    class Sub(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.nn.Linear(4, 4)

        def forward(self, x, y):
            return self.lin(x) + y, x * 2

    class Parent(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.sub = Sub()

        def forward(self, x):
            a, b = self.sub(x, x + 1)
            return a - b
    return Parent()


def test_matches_torch_signature_names():
    torch = pytest.importorskip("torch")

    theirs = torch.export.export(_parent_of_sub(torch), (torch.randn(2, 4),), preserve_module_call_signature=("sub",))
    ours = export(_parent_of_sub(mx), (mx.randn(2, 4),), preserve_module_call_signature=("sub",))
    t_sig, o_sig = theirs.module_call_graph[1].signature, ours.module_call_graph[1].signature
    assert [a.name for a in o_sig.inputs] == [a.name for a in t_sig.inputs]
    assert [a.name for a in o_sig.outputs] == [a.name for a in t_sig.outputs]
    tu, ou = torch.export.unflatten(theirs), unflatten(ours)
    assert [n for n, _ in ou.named_modules()] == [n for n, _ in tu.named_modules()]
    assert [n.name for n in ou.sub.graph.nodes if n.op == "placeholder"] == \
        [n.name for n in tu.sub.graph.nodes if n.op == "placeholder"]


def test_run_decompositions_renames_signatures_and_unflattens():
    ep = export(M(), (mx.randn(2, 4),), preserve_module_call_signature=("sub",))
    dec = ep.run_decompositions()
    sig = dec.module_call_graph[1].signature
    # as torch: linear becomes permute + addmm and the buffer update a functional add, so `add_2` -> `add_3`
    assert sig.inputs == [TensorArgument("x"), TensorArgument("add")]
    assert sig.outputs == [TensorArgument("add_3"), TensorArgument("mul")]
    names = {n.name for n in dec.graph.nodes}
    assert all(a.name in names for a in sig.inputs + sig.outputs)
    u = unflatten(dec)
    assert any(n.target is mx.ops.aten.copy_.default for n in u.sub.graph.nodes)   # the write-back moved in
    x = mx.randn(2, 4)
    got = u(x)
    assert u.sub.buf.tolist() == [1.0] * 4
    fresh = M()
    fresh.load_state_dict({k: v for k, v in u.state_dict().items() if k != "sub.buf"}, strict=False)
    assert _close(got, fresh(x))


def test_archives_cross_with_torch(tmp_path):
    torch = pytest.importorskip("torch")

    theirs = torch.export.export(_parent_of_sub(torch), (torch.randn(2, 4),), preserve_module_call_signature=("sub",))
    torch.export.save(theirs, tmp_path / "theirs.pt2")
    ours = load(tmp_path / "theirs.pt2")
    assert ours.module_call_graph[1].signature.inputs == [TensorArgument("x"), TensorArgument("add")]
    assert [a.name for a in ours.module_call_graph[1].signature.outputs] == \
        [a.name for a in theirs.module_call_graph[1].signature.outputs]
    x = mx.randn(2, 4)
    assert _close(unflatten(ours)(x), ours.module()(x))
    save(ours, tmp_path / "ours.pt2")
    back = torch.export.load(tmp_path / "ours.pt2")
    assert [a.name for a in back.module_call_graph[1].signature.outputs] == \
        [a.name for a in theirs.module_call_graph[1].signature.outputs]
    tx = torch.randn(2, 4)
    assert torch.allclose(torch.export.unflatten(back)(tx), back.module()(tx))


def test_dynamic_batch_through_a_preserved_module():
    class S(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            return self.lin(x).reshape(x.shape[0] * 2, -1)

    class N(nn.Module):
        def __init__(self):
            super().__init__()
            self.s = S()

        def forward(self, x):
            return self.s(x).sum(0)

    ep = export(N(), (mx.randn(3, 4),), dynamic_shapes={"x": {0: mx.export.Dim("b")}},
                preserve_module_call_signature=("s",))
    u = unflatten(ep)
    # the size arithmetic (recorded with no module stack) goes where its readers are: inside s
    assert [n.target for n in u.graph.nodes if n.op == "call_module"] == ["s"]
    assert any(n.target is mx.ops.aten.sym_size.int for n in u.s.graph.nodes)
    for b in (3, 5):
        x = mx.randn(b, 4)
        assert _close(u(x), ep.module()(x))


def test_symbolic_or_object_leaves_of_a_preserved_call_are_refused():
    class S(nn.Module):
        def forward(self, x, n):
            return x * n

    class N(nn.Module):
        def __init__(self):
            super().__init__()
            self.s = S()

        def forward(self, x):
            return self.s(x, x.shape[0])

    with pytest.raises(UserError, match="Only Tensors or scalars are supported"):
        export(N(), (mx.randn(3, 4),), dynamic_shapes={"x": {0: mx.export.Dim("b")}},
               preserve_module_call_signature=("s",))


def test_inlined_module_says_so_when_called():
    class Flagged(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x, double=False):
            return self.lin(x) * 2 if double else self.lin(x)

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.f = Flagged()

        def forward(self, x):
            return self.f(self.f(x, double=False), double=True)

    ep = export(Outer(), (mx.randn(2, 4),), preserve_module_call_signature=("f",))
    assert [e.fqn for e in ep.module_call_graph] == ["", "f", "f@1", "f.lin"]
    u = unflatten(ep)
    x = mx.randn(2, 4)
    assert _close(u(x), ep.module()(x))
    with pytest.raises(RuntimeError, match="stayed inline"):
        u.f(x)


def test_a_submodule_calling_cond_holds_its_branches():
    """The branches of a cond a submodule calls become that submodule's children (torch 2.13's own unflatten
    refuses this program: its submodule graph asks for the branches as inputs)."""
    class Branchy(mx.nn.Module):
        def forward(self, x):
            return mx.cond(x.sum() > 0, lambda x: x.sin(), lambda x: x.cos(), (x,))

    class Outer(mx.nn.Module):
        def __init__(self):
            super().__init__()
            self.branchy = Branchy()

        def forward(self, x):
            return self.branchy(x + 1) * 2
    ep = export(Outer(), (mx.randn(3),))
    flat = unflatten(ep)
    assert sorted(n for n, _ in flat.branchy.named_children()) == ["false_graph_0", "true_graph_0"]
    for x in (mx.ones(3), -mx.ones(3) * 5):
        np.testing.assert_allclose(flat(x).numpy(), Outer()(x).numpy(), rtol=1e-6)
