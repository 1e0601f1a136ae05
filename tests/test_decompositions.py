"""run_decompositions(): the functional core-ATen IR, mutation outputs, write-back, the decomposition table."""
import copy

import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
from minexport.export import default_decompositions, export
from minexport.export.graph_signature import OutputKind
from minexport.ops import aten, all_ops
from test_export import ME_CASES, export_case


class ViewWrites(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("buf", me.zeros(3, 3))

    def forward(self, x, y):
        x[0].add_(1)                 # write through a select view of an input
        y[:, 0] = 0                  # setitem on a slice of another input
        self.buf[1:].copy_(x[1:])    # copy_ into a slice of a buffer
        t = x.t()
        t.mul_(2)                    # through a transpose
        flat = y.view(-1)
        flat[2] = 5.0                # through a view of a view
        return x + y.sum(), self.buf * 1


class IndexWrites(nn.Module):
    def forward(self, x, idx):
        x[idx] = -1.0
        x.masked_fill_(x > 2, 2.0)
        z = x.clone()
        z.clamp_(-0.5, 0.5).relu_()
        return z, x


class TrainBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(3)
        self.drop = nn.Dropout(0.0)

    def forward(self, x):
        return self.drop(self.bn(x)).sum(0)


class Composites(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 3, padding="same")
        self.ln = nn.LayerNorm(5)
        self.gn = nn.GroupNorm(2, 4)

    def forward(self, x, q):
        a = self.gn(self.conv(x))
        b = self.ln(a).flatten(1).chunk(2, 1)[1]
        c = me.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True)
        d = me.stack([c.tril(), c.triu(1)]).roll(1, 0).std(0)
        e = me.nn.functional.pad(a, (1, 2), mode="reflect")
        return b, d, e, (q @ q.mT).logsumexp(-1), a.max(), me.where(a > 0, a, 0.0)


class EveryViewWrites(nn.Module):
    """Writes through each kind of view (each ViewRule.inverse) and the in-place ops with a declared functional=."""

    def forward(self, x, y):
        x.narrow(0, 1, 2).mul_(3)
        x.permute(1, 0)[1].sub_(1)
        x.transpose(0, 1)[2:].add_(2)
        x.mT[1].zero_()
        x.T[0].fill_(7.0)
        y.unflatten(1, (3, 2))[0, 1].add_(5)
        y.unsqueeze(0).squeeze(0)[0].mul_(2)
        y.split(2, 0)[1].add_(1)
        y.chunk(3, 1)[2].mul_(0.5)
        y.unbind(1)[1].add_(10)
        y.flatten()[3:5].fill_(me.tensor(2.0))
        aten.alias.default(y)[0].add_(1)
        y.detach().add_(1)
        aten.detach_.default(y)
        return x + 1, y.t().reshape(-1), x.mT.reshape(-1)


EXTRA = [
    (ViewWrites, lambda: (me.randn(3, 3), me.randn(4, 3))),
    (EveryViewWrites, lambda: (me.randn(3, 4), me.randn(4, 6))),
    (IndexWrites, lambda: (me.randn(4, 3) * 3, me.tensor([0, 2]))),
    (TrainBN, lambda: (me.randn(6, 3),)),
    (Composites, lambda: (me.randn(2, 2, 5), me.randn(1, 2, 4, 3))),
]


def _programs():
    out = []
    for name in [c[0] for c in ME_CASES.CASES]:
        model, args, kwargs = export_case(ME_CASES, name)
        out.append((name, model, args, kwargs))
    for cls, make_args in EXTRA:
        me.manual_seed(0)
        out.append((cls.__name__, cls(), make_args(), {}))
    return out


PROGRAMS = _programs()


def _clone(tree):
    return me.utils._pytree.tree_map(lambda v: v.clone() if isinstance(v, me.Tensor) else v, tree)


def _assert_close(a, b):
    for x, y in zip(me.utils._pytree.tree_leaves(a), me.utils._pytree.tree_leaves(b)):
        if isinstance(y, me.Tensor):
            np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-6)
        else:
            assert x == y


@pytest.mark.parametrize("index", range(len(PROGRAMS)), ids=[p[0] for p in PROGRAMS])
def test_core_program_is_functional_and_equals_eager(index):
    name, model, args, kwargs = PROGRAMS[index]
    state = copy.deepcopy(model.state_dict())
    ep = export(model, *_clone((args, kwargs)))
    before = str(ep)
    core = ep.run_decompositions()
    assert str(ep) == before and ep.dialect == "TRAINING"          # the original is untouched
    assert core.dialect == "ATEN"
    core.validate()
    for n in core.graph.nodes:
        if n.op == "call_function" and hasattr(n.target, "kernel"):
            assert not n.target.is_mutating, n.format_node()
    eager_in = _clone((args, kwargs))
    expected = model(*eager_in[0], **eager_in[1])
    eager_state = copy.deepcopy(model.state_dict())
    model.load_state_dict(state)
    module = core.module()
    got_in = _clone((args, kwargs))
    got = module(*got_in[0], **got_in[1])
    _assert_close(got, expected)
    _assert_close(got_in, eager_in)                                   # input mutations written back
    _assert_close(list(module.state_dict().values()), list(eager_state.values()))   # buffer mutations too


def test_mutation_outputs_in_torch_order():
    model, args, kwargs = export_case(ME_CASES, "mutations")
    core = export(model, args, kwargs).run_decompositions()
    specs = core.graph_signature.output_specs
    assert [(s.kind, s.target) for s in specs] == [(OutputKind.BUFFER_MUTATION, "count"),
                                                   (OutputKind.USER_INPUT_MUTATION, "x"),
                                                   (OutputKind.USER_OUTPUT, None)]
    assert core.graph_signature.buffers_to_mutate == {"add": "count"}
    assert core.graph_signature.user_inputs_to_mutate == {"mul": "x"}
    ops = [str(n.target) for n in core.graph.nodes if n.op == "call_function"]
    assert ops == ["aten.add.Tensor", "aten.mul.Tensor", "aten.permute.default", "aten.addmm.default",
                   "aten.add.Tensor", "aten.add.Tensor"]


def test_view_writes_become_scatters():
    core = export(ViewWrites(), (me.randn(3, 3), me.randn(4, 3))).run_decompositions()
    ops = {str(n.target) for n in core.graph.nodes if n.op == "call_function"}
    # a write through select becomes select_scatter, which torch's default table then rewrites as a where
    assert {"aten.where.self", "aten.slice_scatter.default"} <= ops and "aten.select_scatter.default" not in ops
    kinds = [(s.kind.name, s.target) for s in core.graph_signature.output_specs[:3]]
    assert kinds == [("BUFFER_MUTATION", "buf"), ("USER_INPUT_MUTATION", "x"), ("USER_INPUT_MUTATION", "y")]


def test_every_view_op_declares_how_to_write_through_it():
    missing = [str(op) for op in all_ops() if (op.is_view or "view" in op.tags) and op.view is None]
    assert missing == []


def test_every_mutating_op_declares_its_functional_form():
    assert [str(op) for op in all_ops() if op.is_mutating and op.functional is None] == []


def test_view_op_without_a_view_rule_is_refused(monkeypatch):
    class Unsqueeze(nn.Module):
        def forward(self, x):
            return x.unsqueeze(0) + 1

    ep = export(Unsqueeze(), (me.randn(3),))
    monkeypatch.setattr(aten.unsqueeze.default, "view", None)
    with pytest.raises(NotImplementedError, match=r"aten\.unsqueeze\.default .*view=ViewRule\("):
        ep.run_decompositions()


def test_write_into_an_expanded_view_is_refused():
    class ExpandWrite(nn.Module):
        def forward(self, x):
            e = x.expand(3, 4)
            e.add_(1)
            return e

    ep = export(ExpandWrite(), (me.randn(1, 4),))
    with pytest.raises(RuntimeError, match=r"expand\(\)ed view cannot be expressed functionally"):
        ep.run_decompositions()


def test_default_table_is_a_plain_dict():
    table = default_decompositions()
    assert isinstance(table, dict) and table[aten.linear.default] is aten.linear.default.decomposition
    assert aten.add.Tensor not in table and default_decompositions() is not table


def test_removing_an_entry_keeps_the_op():
    table = default_decompositions()
    del table[aten.linear.default]
    core = export(ME_CASES.MLP(), (me.randn(2, 8),)).run_decompositions(table)
    ops = [str(n.target) for n in core.graph.nodes if n.op == "call_function"]
    assert ops.count("aten.linear.default") == 2 and "aten.addmm.default" not in ops
    core.validate()


def test_adding_an_entry_applies_it():
    table = default_decompositions()
    table[aten.relu.default] = lambda x: aten.clamp.default(x, 0)
    model = ME_CASES.MLP()
    x = me.randn(2, 8)
    core = export(model, (x,)).run_decompositions(table)
    ops = [str(n.target) for n in core.graph.nodes if n.op == "call_function"]
    assert "aten.clamp.default" in ops and "aten.relu.default" not in ops
    np.testing.assert_allclose(core.module()(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_core_printout_keeps_source_lines():
    model, args, kwargs = export_case(ME_CASES, "mutations")
    text = str(export(model, args, kwargs).run_decompositions())
    assert "code: self.count.add_(1)" in text and "add: BUFFER_MUTATION target='count'" in text
