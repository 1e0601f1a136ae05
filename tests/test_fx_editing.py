"""torch.fx's editing API on minexport's fx: Graph/Node edits, recompile, Interpreter/Transformer,
symbolic_trace, replace_pattern, and ep.module() as a GraphModule.

The scripts in tests/fx_scripts/ are written against torch's API; each must
print the same under torch 2.13 and under `python -m minexport.compat`.
"""
import operator
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minexport as me
from minexport.export import export
from minexport.fx import Graph, GraphModule, Interpreter, Transformer, symbolic_trace, subgraph_rewriter
from minexport.ops import aten

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPTS = sorted((ROOT / "tests" / "fx_scripts").glob("*.py"))


def _run(cmd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=str(ROOT))
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_script_prints_the_same_under_torch_and_minexport(script):
    ours = _run([sys.executable, "-m", "minexport.compat", str(script)])
    assert ours.strip()
    pytest.importorskip("torch")
    theirs = _run([sys.executable, str(script)])
    assert ours == theirs


# ------------------------------------------------------------- helpers --
def _chain():
    g = Graph()
    x = g.placeholder("x")
    a = g.call_function(aten.neg.default, (x,))
    b = g.call_function(aten.relu.default, (a,))
    out = g.output((b,))
    return g, x, a, b, out


def _names(g):
    return [n.name for n in g.nodes]


# --------------------------------------------------------- node order --
def test_inserting_after_and_before_follow_torch_order():
    g, x, a, b, out = _chain()
    with g.inserting_after(x):
        p = g.call_function(aten.sin.default, (x,))
        q = g.call_function(aten.cos.default, (p,))
    # as torch.fx: each node goes right after x, so the later one comes first
    assert _names(g) == ["x", "cos", "sin", "neg", "relu", "output"]
    with g.inserting_before():
        g.call_function(aten.tan.default, (x,), name="t")
    assert _names(g)[0] == "t"
    assert q.prev is x and p.next is a
    with pytest.raises(RuntimeError, match="was used before it has been defined"):
        g.lint()


def test_iteration_survives_erasing_and_inserting_at_the_current_node():
    g, x, a, b, out = _chain()
    seen = []
    for n in g.nodes:
        seen.append(n.name)
        if n is a:
            with g.inserting_after(a):
                s = g.call_function(aten.sin.default, (x,))
            a.replace_all_uses_with(s)
            g.erase_node(a)
    assert seen == ["x", "neg", "sin", "relu", "output"]
    assert _names(g) == ["x", "sin", "relu", "output"] and len(g.nodes) == 4
    assert a.args == (None,) and x.users == {s: None}
    with pytest.warns(UserWarning, match="already erased"):
        g.erase_node(a)


def test_prepend_append_move_nodes_and_node_list_ops():
    g, x, a, b, out = _chain()
    c = g.call_function(aten.cos.default, (x,))          # after output, as torch.fx appends it
    assert g.nodes[-1] is c and g.nodes[-2] is out
    out.prepend(c)
    assert _names(g) == ["x", "neg", "relu", "cos", "output"]
    x.append(c)
    assert _names(g) == ["x", "cos", "neg", "relu", "output"] and len(g.nodes) == 5
    assert list(reversed(g.nodes))[0] is out and g.nodes.index(b) == 3 and c in g.nodes
    with pytest.warns(UserWarning, match="prepend a node to itself"):
        c.prepend(c)


def test_update_args_kwargs_keep_users_right():
    g, x, a, b, out = _chain()
    b.update_arg(0, x)
    assert set(x.users) == {a, b} and a.users == {}
    b.update_kwarg("alpha", a)
    assert b.kwargs == {"alpha": a} and a.users == {b: None}
    b.kwargs = {}
    assert a.users == {} and b.all_input_nodes == [x]
    b.insert_arg(1, a)
    assert b.args == (x, a) and b.all_input_nodes == [x, a]


def test_replace_all_uses_with_callback_and_meta():
    g, x, a, b, out = _chain()
    a.meta["val"] = "v"
    with g.inserting_after(a):
        s = g.call_function(aten.sin.default, (a,))
    changed = a.replace_all_uses_with(s, delete_user_cb=lambda u: u is not s, propagate_meta=True)
    assert changed == [b] and s.meta == {"val": "v"} and set(a.users) == {s}
    with pytest.raises(AssertionError, match="already has .meta keys"):
        a.replace_all_uses_with(s, propagate_meta=True)


# ------------------------------------------------------ dead code, lint --
def test_eliminate_dead_code_keeps_impure_nodes():
    g = Graph()
    x = g.placeholder("x")
    unused_input = g.placeholder("unused")
    dead = g.call_function(aten.sin.default, (x,))
    g.call_function(aten.cos.default, (dead,))
    mutated = g.call_function(aten.add_.Tensor, (x, 1))
    g.call_function(aten._assert_scalar.default, (1, "msg"))
    g.call_function(operator.setitem, (x, 0, 1.0))
    g.output((x,))
    assert g.eliminate_dead_code() is True
    assert [n.target for n in g.nodes if n.op == "call_function"] == \
        [aten.add_.Tensor, aten._assert_scalar.default, operator.setitem]
    assert unused_input in g.nodes and mutated in g.nodes
    assert g.eliminate_dead_code() is False
    assert g.eliminate_dead_code(is_impure_node=lambda n: n.op in ("placeholder", "output")) is True
    assert [n.op for n in g.nodes] == ["placeholder", "placeholder", "output"]


def test_lint_names_the_problem():
    g, x, a, b, out = _chain()
    other = Graph().placeholder("y")
    b.update_arg(0, other)
    with pytest.raises(RuntimeError, match="does not belong to this Graph"):
        g.lint()
    gm = GraphModule(me.nn.Module(), _chain()[0])
    with pytest.warns(UserWarning, match="no underlying reference"):
        gm.graph.get_attr("missing.weight")
    with pytest.raises(RuntimeError, match="references nonexistent attribute missing"):
        gm.graph.lint()


def test_node_copy_and_graph_copy():
    g, x, a, b, out = _chain()
    a.meta["tag"] = 1
    g2 = Graph()
    y = g2.placeholder("y")
    result = g2.graph_copy(g, {x: y})
    g2.output(result)
    assert _names(g2) == ["y", "neg", "relu", "output"] and result[0].args[0].meta == {"tag": 1}
    assert g2.nodes[1].meta is not a.meta
    g2.lint()


def test_find_nodes_and_output_node():
    g, x, a, b, out = _chain()
    assert g.find_nodes(op="call_function", target=aten.relu.default) == [b]
    assert g.find_nodes(op="placeholder") == [x] and g.output_node() is out
    g.call_function(aten.sin.default, (x,))
    with pytest.raises(AssertionError, match="Expected output node"):
        g.output_node()


# ---------------------------------------------------------- GraphModule --
def test_recompile_regenerates_code_and_forward():
    g, x, a, b, out = _chain()
    gm = GraphModule({}, g)
    t = me.tensor([1.0, -2.0])
    assert gm(t)[0].tolist() == [0.0, 2.0]
    a.target = aten.abs.default
    assert "neg" in gm.code and gm(t)[0].tolist() == [0.0, 2.0]      # stale until recompile, as torch.fx
    gm.recompile()
    assert "torch.ops.aten.abs.default(x)" in gm.code and gm(t)[0].tolist() == [1.0, 2.0]
    new = _chain()[0]
    gm.graph = new
    assert new.owning_module is gm and gm(t)[0].tolist() == [0.0, 2.0]


def test_code_is_the_graph_as_of_recompile_whatever_changed_since():
    """`code` is written on first read, from the graph as it was at the last recompile (as torch.fx's)."""
    g, x, a, b, out = _chain()
    expected = GraphModule({}, _chain()[0]).code
    gm = GraphModule({}, g)
    with g.inserting_after(a):
        c = g.call_function(aten.sin.default, (a,))
    b.args = (c,)
    a.name = "renamed"
    a.kwargs = {}
    assert gm.code == expected and "sin" not in gm.code
    gm.recompile()
    assert "torch.ops.aten.sin.default(renamed)" in gm.code


def test_submodule_editing():
    gm = GraphModule(me.nn.Module(), _chain()[0])
    lin = me.nn.Linear(2, 2)
    assert gm.add_submodule("blocks.first", lin) is True
    assert gm.get_submodule("blocks.first") is lin
    x = gm.graph.find_nodes(op="placeholder")[0]
    with gm.graph.inserting_after(x):
        call = gm.graph.call_module("blocks.first", (x,))
    assert call.name == "blocks_first" and "self.blocks.first(x)" in gm.recompile()
    assert gm.delete_submodule("blocks.nothing") is False
    gm.add_submodule("unused", me.nn.ReLU())
    gm.delete_all_unused_submodules()
    assert [n for n, _ in gm.named_modules()] == ["", "blocks", "blocks.first"]
    call.replace_all_uses_with(x)
    gm.graph.erase_node(call)
    gm.delete_all_unused_submodules()
    assert [n for n, _ in gm.named_modules()] == [""]


# ---------------------------------------------- Interpreter / Transformer --
class _Model(me.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = me.nn.Linear(3, 3)

    def forward(self, x):
        return self.lin(x).relu() * 2


def _exported():
    me.manual_seed(0)
    model = _Model()
    x = me.randn(2, 3)
    ep = export(model, (x,))
    return model, x, ep, [ep.state_dict["lin.weight"], ep.state_dict["lin.bias"]]


def test_interpreter_subclass_sees_every_node_and_matches_the_fast_path():
    model, x, ep, params = _exported()
    seen = []

    class Tracing(Interpreter):
        def run_node(self, n):
            seen.append(n.op)
            return super().run_node(n)

    slow = Tracing(ep.graph_module).run(*params, x)
    fast = Interpreter(ep.graph_module).run(*params, x)
    assert seen == ["placeholder"] * 3 + ["call_function"] * 3 + ["output"]
    assert np.allclose(slow[0].numpy(), fast[0].numpy()) and np.allclose(fast[0].numpy(), model(x).numpy())
    with pytest.raises(RuntimeError, match="Expected positional argument for parameter x"):
        Interpreter(ep.graph_module).run(*params)
    interp = Tracing(ep.graph_module, garbage_collect_values=False)
    interp.run(*params, x)
    assert len(interp.env) == 7


def test_interpreter_initial_env_and_fetch_attr():
    model, x, ep, params = _exported()
    gm = ep.module()
    interp = Interpreter(gm)
    assert interp.fetch_attr("lin.weight") is gm.lin.weight
    with pytest.raises(RuntimeError, match="nonexistent target lin.nothing"):
        interp.fetch_attr("lin.nothing")
    linear = gm.graph.find_nodes(op="call_function", target=aten.linear.default)[0]
    zeros = me.zeros(2, 3)
    out = interp.run(x, initial_env={linear: zeros})      # rebuilt by the output spec: one tensor
    assert out.tolist() == zeros.tolist()


def test_transformer_keeps_meta_and_rewrites():
    model, x, ep, params = _exported()

    class NegRelu(Transformer):
        def call_function(self, target, args, kwargs):
            if target == aten.relu.default:
                return super().call_function(aten.neg.default, args, kwargs)
            return super().call_function(target, args, kwargs)

    gm = NegRelu(ep.graph_module).transform()
    targets = [n.target for n in gm.graph.nodes if n.op == "call_function"]
    assert targets == [aten.linear.default, aten.neg.default, aten.mul.Tensor]
    neg = gm.graph.find_nodes(op="call_function", target=aten.neg.default)[0]
    assert "stack_trace" in neg.meta and "val" not in neg.meta
    (out,) = gm(*params, x)
    assert np.allclose(out.numpy(), (-model.lin(x) * 2).numpy())


# ------------------------------------------- symbolic_trace / rewriter --
def test_symbolic_trace_leaf_modules_and_parameters():
    class Net(me.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = me.nn.Sequential(me.nn.Linear(2, 2), me.nn.ReLU())
            self.w = me.nn.Parameter(me.ones(2))

        def forward(self, x):
            return self.body(x) * self.w + x.sum()

    net = Net()
    gm = symbolic_trace(net)
    assert [(n.op, n.target if isinstance(n.target, str) else n.target.__name__) for n in gm.graph.nodes] == [
        ("placeholder", "x"), ("call_module", "body.0"), ("call_module", "body.1"), ("get_attr", "w"),
        ("call_function", "mul"), ("call_method", "sum"), ("call_function", "add"), ("output", "output")]
    x = me.randn(3, 2)
    assert np.allclose(gm(x).numpy(), net(x).numpy())
    assert me.nn.Module.__call__ is not None and isinstance(net.w, me.nn.Parameter)    # patches undone


def test_replace_pattern_returns_matches_and_skips_escaping_nodes():
    def f(x, y):
        a = me.neg(x)
        b = me.relu(a)
        c = me.neg(y)
        d = me.relu(c)
        return b + d + c          # c is read outside its would-be match

    gm = symbolic_trace(f)
    matches = subgraph_rewriter.replace_pattern(gm, lambda v: me.relu(me.neg(v)), lambda v: me.abs(v))
    assert len(matches) == 1 and matches[0].anchor.name == "relu"
    assert {p.op for p in matches[0].nodes_map} == {"placeholder", "call_function", "output"} or \
        len(matches[0].nodes_map) == 3
    x, y = me.tensor([1.0, -2.0]), me.tensor([3.0, -4.0])
    assert gm(x, y).tolist() == (me.abs(x) + me.relu(me.neg(y)) + me.neg(y)).tolist()


# -------------------------------------------------------- ep.module() --
def test_module_is_a_graph_module_with_state_write_back():
    class Counter(me.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("count", me.zeros(2))

        def forward(self, x):
            self.count.add_(1)
            return x + self.count

    ep = export(Counter(), (me.ones(2),))
    for program in (ep, ep.run_decompositions()):
        m = program.module(check_guards=False)
        assert isinstance(m, GraphModule) and m.graph.find_nodes(op="get_attr")[0].target == "count"
        start = m.count.tolist()[0]       # the programs share their buffer, as torch's do
        m(me.ones(2))
        m.recompile()                     # from now on its own graph runs
        out = m(me.ones(2))
        assert m.count.tolist() == [start + 2] * 2 and out.tolist() == [start + 3] * 2
        with pytest.raises(AssertionError, match="Guard failed"):
            m(me.ones(3))
    core = ep.run_decompositions().module()
    assert any(n.target == aten.copy_.default for n in core.graph.nodes)


def test_edits_to_ep_graph_show_in_module_and_validate_reports_breakage():
    model, x, ep, params = _exported()
    relu = ep.graph.find_nodes(op="call_function", target=aten.relu.default)[0]
    relu.target = aten.neg.default
    assert np.allclose(ep.module()(x).numpy(), (-model.lin(x) * 2).numpy())
    ep.validate()
    mul = ep.graph.find_nodes(op="call_function", target=aten.mul.Tensor)[0]
    with ep.graph.inserting_before(mul):
        bad = ep.graph.call_function(aten.sum.default, (relu,))
    mul.replace_input_with(relu, bad)
    with pytest.raises(Exception, match="bad|sum"):
        ep.validate()


def test_deepcopy_of_a_long_graph_module():
    import copy
    g = Graph()
    v = g.placeholder("x")
    for _ in range(3000):
        v = g.call_function(aten.neg.default, (v,))
    g.output((v,))
    gm = GraphModule({}, g)
    clone = copy.deepcopy(gm)
    assert len(clone.graph.nodes) == len(g.nodes) and clone.graph is not g
    assert clone.graph.owning_module is clone and _names(clone.graph) == _names(g)
    assert clone(me.ones(1))[0].tolist() == [1.0]


def test_deepcopy_of_ep_module_keeps_its_own_state():
    import copy
    model, x, ep, params = _exported()
    m = ep.module()
    clone = copy.deepcopy(m)
    assert clone.lin.weight is not m.lin.weight
    assert np.allclose(clone(x).numpy(), m(x).numpy())
    with me.no_grad():
        clone.lin.bias.fill_(100.0)
    assert not np.allclose(clone(x).numpy(), m(x).numpy())


def test_interpreter_on_ep_module_flattens_inputs_and_rebuilds_outputs():
    class Pair(me.nn.Module):
        def forward(self, x, pair):
            return {"sum": x + pair[0], "prod": x * pair[1]}

    x, a, b = me.ones(2), me.full((2,), 2.0), me.full((2,), 3.0)
    m = export(Pair(), (x, (a, b))).module()
    out = Interpreter(m).run(x, (a, b))

    class Slow(Interpreter):
        def call_function(self, target, args, kwargs):
            return super().call_function(target, args, kwargs)

    slow = Slow(m).run(x, (a, b))
    assert out["sum"].tolist() == slow["sum"].tolist() == [3.0, 3.0] and out["prod"].tolist() == [3.0, 3.0]
    assert [n.name for n in m.graph.nodes if n.op == "placeholder"] == ["x", "pair_0", "pair_1"]
