"""cond and map: eager semantics, subgraphs in exported programs, decompositions, archives, refusals."""
import io
import re

import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
from minexport.control_flow import cond, map as cf_map
from minexport.export import Dim, UserError, export
from minexport.export.verifier import SpecViolationError
from minexport.serde import load, save


class CondOperands(nn.Module):
    def forward(self, x, y):
        def true_fn(x, y):
            return x + y

        def false_fn(x, y):
            return x - y

        return cond(x.shape[0] > 2, true_fn, false_fn, [x, y])


class TensorPred(nn.Module):
    """A data-dependent predicate; the true branch reads parameters, which become extra operands."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        return cond(x.sum() > 0, lambda x: self.lin(x).relu(), lambda x: x * 2, (x,))


class MapAdd(nn.Module):
    def forward(self, xs, y):
        return cf_map(lambda x, y: x + y, xs, y)


class Nested(nn.Module):
    """cond inside a branch, closing over an outer intermediate and a buffer."""

    def __init__(self):
        super().__init__()
        self.register_buffer("scale", me.tensor([2.0, 3.0]))

    def forward(self, x, y):
        z = y * 10

        def outer_true(a):
            return cond(a.shape[0] > 3, lambda b: b + z, lambda b: b * self.scale, (a,)) + 1

        return cond(x.sum() > 0, outer_true, lambda a: a.cos(), (x,))


def _programs():
    n = Dim("n")
    return [
        ("cond_operands", CondOperands(), (me.randn(3, 2), me.randn(2)), {"x": {0: Dim("dim0_x")}, "y": None},
         [(me.randn(2, 2), me.randn(2)), (me.randn(5, 2), me.randn(2))]),
        ("tensor_pred", TensorPred(), (me.randn(3, 2),), None, [(me.ones(3, 2),), (-me.ones(3, 2),)]),
        ("map", MapAdd(), (me.randn(3, 2), me.randn(2)), None, [(me.randn(3, 2), me.randn(2))]),
        ("nested", Nested(), (me.ones(4, 2), me.ones(2)), ({0: n}, None),
         [(me.ones(4, 2), me.ones(2)), (me.ones(3, 2), me.ones(2)), (-me.ones(5, 2), me.ones(2))]),
    ]


PROGRAMS = _programs()
IDS = [p[0] for p in PROGRAMS]


def _close(a, b):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6)


def test_eager_semantics():
    x = me.arange(6.0).reshape(3, 2)
    assert cond(True, lambda a: a + 1, lambda a: a - 1, (x,)).tolist() == (x + 1).tolist()
    assert cond(me.tensor(False), lambda a: a + 1, lambda a: a - 1, (x,)).tolist() == (x - 1).tolist()
    out = cf_map(lambda row, s: {"sum": row.sum(), "scaled": row * s}, x, me.tensor(2.0))
    assert out["sum"].tolist() == [1.0, 5.0, 9.0] and out["scaled"].tolist() == (x * 2).tolist()


def test_pytree_operands_are_flattened_in_the_graph():
    class Tree(nn.Module):
        def forward(self, x, y):
            return cond(x.sum() > 0, lambda d, ys: d["a"] + ys[0], lambda d, ys: d["a"] - ys[0], ({"a": x}, [y]))

    x, y = me.randn(3), me.randn(3)
    ep = export(Tree(), (x, y))
    assert "torch.ops.higher_order.cond(gt, true_graph_0, false_graph_0, (x, y))" in str(ep)
    _close(ep.module()(x.abs(), y), x.abs() + y)
    _close(ep.module()(-x.abs(), y), -x.abs() - y)


def test_python_bool_predicate_runs_one_branch_inline():
    ep = export(CondOperands(), (me.randn(3, 2), me.randn(2)))   # static: x.shape[0] > 2 is just True
    targets = [str(n.target) for n in ep.graph.nodes if n.op == "call_function"]
    assert targets == ["aten.add.Tensor"]


@pytest.mark.parametrize("index", range(len(PROGRAMS)), ids=IDS)
def test_program_runs_like_eager_before_and_after_decomposition(index):
    name, model, args, dyn, calls = PROGRAMS[index]
    ep = export(model, args, dynamic_shapes=dyn)
    core = ep.run_decompositions()
    for call in calls:
        expected = model(*call)
        _close(ep.module()(*call), expected)
        _close(core.module()(*call), expected)


def test_symbolic_predicate_graph_matches_torch():
    torch = pytest.importorskip("torch")

    class TCondOperands(torch.nn.Module):
        def forward(self, x, y):
            return torch.cond(x.shape[0] > 2, lambda x, y: x + y, lambda x, y: x - y, [x, y])

    t_ep = torch.export.export(TCondOperands(), (torch.randn(3, 2), torch.randn(2)),
                               dynamic_shapes={"x": {0: torch.export.Dim("d")}, "y": None})
    m_ep = export(CondOperands(), (me.randn(3, 2), me.randn(2)), dynamic_shapes={"x": {0: Dim("d")}, "y": None})

    def strip(ep):
        text = re.sub(r"\bs\d+\b", "s", str(ep)).replace("sym_size_int_1", "sym_size_int")
        return [line for line in text.splitlines()
                if line.strip() and "# File" not in line and "No stacktrace" not in line]

    assert strip(m_ep) == strip(t_ep)


def test_lifted_values_become_operands_of_both_branches():
    ep = export(TensorPred(), (me.randn(3, 2),))
    text = str(ep)
    assert "torch.ops.higher_order.cond(gt, true_graph_0, false_graph_0, (x, p_lin_weight, p_lin_bias))" in text
    for branch in ("true_graph_0", "false_graph_0"):
        sub = getattr(ep.graph_module, branch)
        assert [n.name for n in sub.graph.nodes if n.op == "placeholder"] == ["x", "p_lin_weight", "p_lin_bias"]
    core = str(ep.run_decompositions())
    assert "torch.ops.aten.addmm.default(p_lin_bias, x, permute)" in core


def test_nested_cond_lifts_through_each_level():
    ep = export(Nested(), (me.ones(4, 2), me.ones(2)), dynamic_shapes=({0: Dim("n")}, None))
    text = str(ep)
    # the inner predicate is computed inside the branch from its own input's size; z and the buffer are lifted
    assert "cond = torch.ops.higher_order.cond(gt, true_graph_0, false_graph_0, (x, mul, b_scale))" in text
    assert '            sym_size_int: "Sym(s77)" = torch.ops.aten.sym_size.int(x, 0)\n' \
           '                gt: "Sym(s77 > 3)" = sym_size_int > 3' in text
    assert "            class true_graph_0(torch.nn.Module):\n" in text          # nested class inside true_graph_0


def test_map_graph():
    ep = export(MapAdd(), (me.randn(3, 2), me.randn(2)))
    text = str(ep)
    assert "map_impl = torch.ops.higher_order.map_impl(body_graph_0, [xs], [y])" in text
    assert 'def forward(self, xs: "f32[2]", y: "f32[2]"):' in text
    assert 'getitem: "f32[3, 2]" = map_impl[0]' in text


@pytest.mark.parametrize("index", range(len(PROGRAMS)), ids=IDS)
def test_archive_round_trip(index):
    name, model, args, dyn, calls = PROGRAMS[index]
    ep = export(model, args, dynamic_shapes=dyn)
    for program in (ep, ep.run_decompositions()):
        buf = io.BytesIO()
        save(program, buf)
        buf.seek(0)
        back = load(buf)
        assert str(back) == str(program)
        for call in calls:
            _close(back.module()(*call), model(*call))


@pytest.mark.parametrize("index", range(len(PROGRAMS)), ids=IDS)
def test_torch_runs_our_archives(index, tmp_path):
    torch = pytest.importorskip("torch")
    name, model, args, dyn, calls = PROGRAMS[index]
    save(export(model, args, dynamic_shapes=dyn), tmp_path / "p.pt2")
    t_module = torch.export.load(tmp_path / "p.pt2").module()
    for call in calls:
        got = t_module(*[torch.from_numpy(a.numpy().copy()) for a in call])
        np.testing.assert_allclose(got.detach().numpy(), model(*call).numpy(), rtol=1e-5, atol=1e-6)


def test_we_run_torch_archives(tmp_path):
    torch = pytest.importorskip("torch")

    class TMap(torch.nn.Module):
        def forward(self, xs, y):
            from functorch.experimental.control_flow import map as tmap
            return tmap(lambda x, y: x * y, xs, y)

    class TCond(torch.nn.Module):
        def forward(self, x, y):
            return torch.cond(x.shape[0] > 2, lambda x, y: x + y, lambda x, y: x - y, [x, y])

    torch.export.save(torch.export.export(TMap(), (torch.randn(3, 2), torch.randn(2))), tmp_path / "m.pt2")
    torch.export.save(torch.export.export(TCond(), (torch.randn(3, 2), torch.randn(2)),
                                          dynamic_shapes={"x": {0: torch.export.Dim("d")}, "y": None}),
                      tmp_path / "c.pt2")
    xs, y = me.randn(3, 2), me.randn(2)
    _close(load(tmp_path / "m.pt2").module()(xs, y), xs * y)
    c = load(tmp_path / "c.pt2").module()
    _close(c(xs, y), xs + y)
    _close(c(xs[:2], y), xs[:2] - y)


def test_refusals_name_the_problem():
    x = me.randn(3, 2)

    class Mismatch(nn.Module):
        def forward(self, x):
            return cond(x.sum() > 0, lambda a: a.sum(0), lambda a: a.sum(1), (x,))

    class Aliasing(nn.Module):
        def forward(self, x):
            return cond(x.sum() > 0, lambda a: a, lambda a: a + 1, (x,))

    class Mutating(nn.Module):
        def forward(self, x):
            def true_fn(a):
                a.add_(1)
                return a + 0
            return cond(x.sum() > 0, true_fn, lambda a: a + 1, (x,))

    with pytest.raises(UserError, match=r"output 0 differs between the branches: float32\[2\] \(true\) vs "
                                        r"float32\[3\] \(false\)"):
        export(Mismatch(), (x,))
    with pytest.raises(UserError, match="returns its input 'x' unchanged.*x.clone()"):
        export(Aliasing(), (x,))
    with pytest.raises(UserError, match="mutates its input 'x' with aten.add_.Tensor"):
        export(Mutating(), (x,))
    with pytest.raises(TypeError, match=r"operands\[1\] is a int"):
        cond(True, lambda a, b: a, lambda a, b: a, (x, 3))
    with pytest.raises(RuntimeError, match="one element"):
        cond(me.ones(2) > 0, lambda a: a, lambda a: a, (x,))
    with pytest.raises(ValueError, match="different leading sizes"):
        cf_map(lambda a, b: a + b, (me.ones(3), me.ones(4)))


def test_verifier_checks_subgraphs():
    ep = export(TensorPred(), (me.randn(3, 2),))
    branch = ep.graph_module.true_graph_0.graph
    relu = next(n for n in branch.nodes if n.op == "call_function" and "relu" in str(n.target))
    relu.meta["val"] = me.ones(7)
    with pytest.raises(SpecViolationError, match="node 'relu'.*rule: meta functions reproduce node values"):
        ep.validate()
    ep = export(TensorPred(), (me.randn(3, 2),))
    del ep.graph_module._modules["false_graph_0"]
    with pytest.raises(SpecViolationError, match="rule: get_attr targets exist"):
        ep.validate()


def test_verifier_checks_higher_order_arguments():
    ep = export(TensorPred(), (me.randn(3, 2),))
    node = next(n for n in ep.graph.nodes if n.op == "call_function" and str(n.target) == "cond")
    node.args = node.args[:3]
    with pytest.raises(SpecViolationError, match="takes 4 positional arguments, got 3"):
        ep.validate()
    node.args = (node.args[0], node.args[0], node.args[2], ())
    with pytest.raises(SpecViolationError, match="argument 1 must be a get_attr of a subgraph"):
        ep.validate()


def test_malformed_subgraphs_in_archives_are_refused(tmp_path):
    import json
    import zipfile
    from minexport.serde.errors import SerializationError

    save(export(TensorPred(), (me.randn(3, 2),)), tmp_path / "p.pt2")
    with zipfile.ZipFile(tmp_path / "p.pt2") as z:
        members = {n: z.read(n) for n in z.namelist()}
    name = next(n for n in members if n.endswith("models/model.json"))
    for mutate, message in [
        (lambda a: a[1]["arg"]["as_graph"].__setitem__("name", "forward"), "cannot name a subgraph"),
        (lambda a: a[2]["arg"]["as_graph"]["graph"]["inputs"].__setitem__(0, {"as_int": 3}),
         "a subgraph input must be a tensor"),
        (lambda a: a.pop(), "rule: higher-order op arguments"),
    ]:
        model = json.loads(members[name])
        cond_node = next(n for n in model["graph_module"]["graph"]["nodes"] if n["target"].endswith("cond"))
        mutate(cond_node["inputs"])
        with zipfile.ZipFile(tmp_path / "bad.pt2", "w") as z:
            for n, data in members.items():
                z.writestr(n, json.dumps(model) if n == name else data)
        with pytest.raises(SerializationError, match=message):
            load(tmp_path / "bad.pt2")


def test_unused_cond_and_its_branches_are_dropped_by_run_decompositions():
    """As torch: a cond whose result nobody reads goes, with its get_attr nodes and branch subgraphs."""
    class UnusedCond(nn.Module):
        def forward(self, x):
            cond(x.shape[0] > 4, lambda t: t.sin(), lambda t: t.cos(), (x,))
            return x + 1

    ep = export(UnusedCond(), (me.randn(6, 3),), dynamic_shapes=({0: Dim("b")},)).run_decompositions()
    assert [str(n.target) for n in ep.graph.nodes if n.op not in ("placeholder", "output")] == ["aten.add.Tensor"]
    assert list(ep.graph_module.named_children()) == []
    ep.validate()
