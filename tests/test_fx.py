"""minexport.fx: Node bookkeeping, torch.fx naming, Graph editing and printing, GraphModule text, Interpreter."""
import inspect
import operator
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minexport as me
import minexport.nn as nn
from minexport.export import Dim, export
from minexport.fx import Graph, GraphModule, GraphRunError, Interpreter, Node, map_arg
from minexport.fx.graph import frame_line, get_attr_path, last_uses
from minexport.fx.interpreter import _can_donate, compile_graph
from minexport.ops import aten


def _chain():
    """x -> neg -> relu -> add(neg, relu) -> output: a small graph with one value read twice."""
    g = Graph()
    x = g.placeholder("x")
    a = g.call_function(aten.neg.default, (x,))
    b = g.call_function(aten.relu.default, (a,))
    c = g.call_function(aten.add.Tensor, (a, b))
    g.output((c,))
    return g, x, a, b, c


# ------------------------------------------------------------------ Node --
def test_node_refuses_unknown_op_and_non_identifier_names():
    g = Graph()
    with pytest.raises(ValueError, match="Node op must be one of placeholder, call_function, call_method, "
                                         "call_module, get_attr, output; got 'call_nothing'"):
        Node(g, "call_nothing", "x", "add")
    for bad in ("1x", "a b", "a.b", "", 3):
        with pytest.raises(ValueError, match="Node name must be a Python identifier"):
            Node(g, "placeholder", bad, "x")


def test_users_and_inputs_follow_args_and_kwargs():
    g = Graph()
    x, y = g.placeholder("x"), g.placeholder("y")
    n = g.call_function(aten.add.Tensor, (x, [y, (x,)]), {"alpha": y})
    assert n.all_input_nodes == [x, y]             # first-use order, each once
    assert list(x.users) == [n] and list(y.users) == [n]
    n.args = (y, 1)
    assert n.args == (y, 1) and isinstance(n.args, tuple)
    assert n.all_input_nodes == [y]
    assert x.users == {} and list(y.users) == [n]
    n.kwargs = {"alpha": x}
    assert n.all_input_nodes == [y, x] and list(x.users) == [n]
    n.kwargs = {}
    assert x.users == {} and n.all_input_nodes == [y]


def test_replace_all_uses_with_rewrites_args_and_kwargs():
    g = Graph()
    x, y = g.placeholder("x"), g.placeholder("y")
    a = g.call_function(aten.neg.default, (x,))
    b = g.call_function(aten.add.Tensor, (a, [a, 2]), {"other": a})
    c = g.call_function(aten.mul.Tensor, (a, x))
    changed = a.replace_all_uses_with(y)
    assert changed == [b, c]
    assert b.args == (y, [y, 2]) and b.kwargs == {"other": y} and c.args == (y, x)
    assert a.users == {} and set(y.users) == {b, c}
    assert list(x.users) == [a, c]


def test_replace_input_with_only_touches_that_node():
    g = Graph()
    x, y = g.placeholder("x"), g.placeholder("y")
    a = g.call_function(aten.add.Tensor, (x, x))
    b = g.call_function(aten.mul.Tensor, (x, a))
    a.replace_input_with(x, y)
    assert a.args == (y, y) and b.args == (x, a)
    assert list(x.users) == [b] and list(y.users) == [a]


def test_map_arg_keeps_structure():
    g = Graph()
    x = g.placeholder("x")
    value = (x, [1, x], {"k": x}, slice(x, None, 2), "s")
    out = map_arg(value, lambda n: n.name)
    assert out == ("x", [1, "x"], {"k": "x"}, slice("x", None, 2), "s")
    assert type(out[1]) is list


def test_erase_node_refuses_a_used_node():
    g, x, a, b, c = _chain()
    before = list(g.nodes)
    with pytest.raises(RuntimeError, match=r"^Tried to erase Node neg but it still had 2 users in the graph"):
        g.erase_node(a)
    assert g.nodes == before and set(a.users) == {b, c}
    out = g.output_node()
    g.erase_node(out)
    g.erase_node(c)
    assert list(a.users) == [b] and list(b.users) == []       # erasing c dropped it from its inputs' users
    g.erase_node(b)
    g.erase_node(a)
    assert g.nodes == [x] and x.users == {}


def test_erase_node_message_is_torchs():
    torch = pytest.importorskip("torch")
    tg = torch.fx.Graph()
    tx = tg.placeholder("x")
    ta = tg.create_node("call_function", torch.ops.aten.neg.default, (tx,), name="neg")
    tg.create_node("call_function", torch.ops.aten.relu.default, (ta,), name="relu")
    tg.create_node("call_function", torch.ops.aten.add.Tensor, (ta, tx), name="add")
    with pytest.raises(RuntimeError) as expected:
        tg.erase_node(ta)
    g, x, a, b, c = _chain()
    with pytest.raises(RuntimeError) as got:
        g.erase_node(a)
    assert str(got.value) == str(expected.value)


def test_erase_node_from_another_graph_is_refused_as_torch():
    torch = pytest.importorskip("torch")
    tg, tother = torch.fx.Graph(), torch.fx.Graph()
    with pytest.raises(RuntimeError) as expected:
        tother.erase_node(tg.placeholder("output"))
    g, *_ = _chain()
    with pytest.raises(RuntimeError) as got:
        Graph().erase_node(g.output_node())
    assert str(got.value) == str(expected.value) == "Attempting to remove output from wrong graph!"


def test_find_nodes_and_output_node():
    g, x, a, b, c = _chain()
    assert g.find_nodes(op="placeholder") == [x]
    assert g.find_nodes(op="call_function") == [a, b, c]
    assert g.find_nodes(op="call_function", target=aten.relu.default) == [b]
    assert g.find_nodes(op="call_function", target=aten.mul.Tensor) == []
    assert g.output_node() is g.nodes[-1] and g.output_node().op == "output"
    assert Graph().output_node() is None


# ---------------------------------------------------------------- naming --
def _names(graph_cls, target, candidates):
    g = graph_cls()
    x = g.placeholder("x")
    return [g.create_node("call_function", target, (x,), name=c).name for c in candidates]


def test_default_names_and_collisions():
    g = Graph()
    x = g.placeholder("x")
    names = [g.call_function(t, (x,)).name for t in (aten.neg.default, aten.neg.default, aten.sum.default,
                                                      aten.sum.default, aten.abs.default, aten.max.default)]
    assert names == ["neg", "neg_1", "sum_1", "sum_2", "abs_1", "max_1"]   # builtins never used bare
    assert g.call_function(operator.getitem, (x, 0)).name == "getitem"
    assert g.call_function(operator.getitem, (x, 1)).name == "getitem_1"
    assert g.get_attr("sub.true_graph_0").name == "sub_true_graph_0"
    assert g.output(x).name == "output"


# Suffixed candidates too: free ones are kept as given, colliding ones count on from their base's counter.
_CANDIDATES = ["foo", "bar", "sum", "list", "for", "class", "print", "torch", "inf", "nan", "x", "1abc", "a.b-c",
               "a b", "a_b", "getitem", "_", "__", "neg", "foo_1", "foo_7", "foo_01", "sum_1", "x_2", "1", "_1",
               "a_1_2", "__1", "", "self", "NoneType"]


@pytest.mark.parametrize("candidates", [
    ["foo", "foo", "foo_1", "foo", "foo_3", "foo"],
    ["foo_3", "foo", "foo", "foo_3", "foo_1"],
    ["sum", "sum", "sum_1", "list", "for", "for_1", "class"],
    ["1abc", "a.b-c", "a b", "a_b", "x", "x_1"],
    ["torch", "inf", "nan", "print", "getitem", "foo_0", "foo_0"],
])
def test_call_function_names_match_torch_fx(candidates):
    torch = pytest.importorskip("torch")
    assert _names(Graph, aten.neg.default, candidates) == _names(torch.fx.Graph, torch.ops.aten.neg.default,
                                                                   candidates)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_CANDIDATES), max_size=12))
def test_any_name_sequence_matches_torch_fx(candidates):
    torch = pytest.importorskip("torch")
    ours = _names(Graph, aten.neg.default, candidates)
    assert ours == _names(torch.fx.Graph, torch.ops.aten.neg.default, candidates)
    assert len(set(ours)) == len(ours) and all(n.isidentifier() for n in ours)


def test_free_candidate_with_leading_zero_suffix_is_kept():
    torch = pytest.importorskip("torch")
    candidates = ["add_01", "add_1", "add_01"]
    assert _names(Graph, aten.neg.default, candidates) == \
        _names(torch.fx.Graph, torch.ops.aten.neg.default, candidates) == ["add_01", "add_1", "add_2"]


def test_colliding_suffixed_candidate_is_numbered_from_the_base_counter():
    torch = pytest.importorskip("torch")
    candidates = ["foo_7", "foo_1", "foo_7"]
    assert _names(Graph, aten.neg.default, candidates) == \
        _names(torch.fx.Graph, torch.ops.aten.neg.default, candidates) == ["foo_7", "foo_1", "foo_2"]


def test_erased_name_is_not_reused():
    torch = pytest.importorskip("torch")

    def rename_after_erase(graph_cls, target):
        g = graph_cls()
        x = g.placeholder("x")
        g.erase_node(g.create_node("call_function", target, (x,), name="foo"))
        return g.create_node("call_function", target, (x,), name="foo").name

    assert rename_after_erase(Graph, aten.neg.default) == rename_after_erase(torch.fx.Graph,
                                                                             torch.ops.aten.neg.default)


def test_placeholders_keep_builtin_names_but_not_keywords_or_taken_names():
    g = Graph()
    names = [g.placeholder(c).name for c in ("input", "sum", "x", "x", "x_1", "for", "1a", "a b", "self")]
    assert names == ["input", "sum", "x", "x_1", "x_2", "for_1", "_1a", "a_b", "self"]
    # a later call_function asking for a placeholder's name gets a suffix
    assert g.call_function(aten.neg.default, (g.nodes[0],), name="input").name == "input_1"


def test_exported_names_match_torch_export():
    torch = pytest.importorskip("torch")

    def forward(self, *args):
        input_, list_ = args
        s = input_.sum() + list_.sum() + input_.sum()
        m = input_.max(0)
        return s, m[0] + m[1], input_.neg().neg()

    # the parameters are named like builtins through the signature, as a user's `forward(self, input, list)`
    forward.__signature__ = inspect.Signature([inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                                               for p in ("self", "input", "list")])

    def build(lib):
        names = type("Names", (lib.nn.Module,), {"forward": forward})
        return names(), (lib.ones(3, 2), lib.ones(3, 2))

    ours = export(*build(me))
    theirs = torch.export.export(*build(torch))
    names = [n.name for n in ours.graph.nodes]
    assert names == [n.name for n in theirs.graph.nodes]
    assert names[:2] == ["input", "list"] and "sum_1" in names and "getitem_1" in names
    assert ours.graph_module.code.rstrip() == theirs.graph_module.code.rstrip()


# -------------------------------------------------------------- printing --
def test_print_tabular(capsys):
    g, *_ = _chain()
    g.print_tabular()
    lines = capsys.readouterr().out.splitlines()
    header = lines[0]
    assert header.split() == ["opcode", "name", "target", "args", "kwargs"]
    assert set(lines[1].replace(" ", "")) == {"-"} and len(lines) == 2 + len(g.nodes)
    starts = [header.index(c) for c in ("name", "target", "args", "kwargs")]
    rows = [[line[:starts[0]].strip()] + [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
            for line in lines[2:]]
    assert [r[:3] for r in rows] == [["placeholder", "x", "x"], ["call_function", "neg", "aten.neg.default"],
                                     ["call_function", "relu", "aten.relu.default"],
                                     ["call_function", "add", "aten.add.Tensor"], ["output", "output", "output"]]
    assert [r[4] for r in rows] == ["{}"] * 5
    assert all(line == line.rstrip() for line in lines)
    # the args column names the input nodes
    assert "neg" in rows[3][3] and "relu" in rows[3][3] and "add" in rows[4][3]


def test_print_tabular_args_are_torchs(capsys):
    g, *_ = _chain()
    g.print_tabular()
    lines = capsys.readouterr().out.splitlines()
    start, end = lines[0].index("args"), lines[0].index("kwargs")
    assert [line[start:end].strip() for line in lines[2:]] == [str(n.args) for n in g.nodes]


def test_node_format_and_graph_str():
    g, x, a, b, c = _chain()
    lines = str(g).splitlines()
    assert lines[0] == "graph():" and len(lines) == 1 + len(g.nodes)
    for line, n in zip(lines[1:], g.nodes):
        assert line == "    " + n.format_node()
    for line, n in zip(lines[1:-1], g.nodes[:-1]):
        assert line.startswith(f"    %{n.name} : [num_users={len(n.users)}] = {n.op}[target=")
    assert lines[-1] == "    return (add,)"
    assert "[num_users=2] = call_function[target=" in a.format_node() and "aten.neg.default" in a.format_node()
    assert repr(a) == "neg"


def test_graph_str_is_torchs():
    torch = pytest.importorskip("torch")

    def build(graph_cls, ns):
        g = graph_cls()
        x = g.placeholder("x")
        a = g.create_node("call_function", ns.neg.default, (x,), name="neg")
        b = g.create_node("call_function", ns.add.Tensor, (a, [a, 2]), {"alpha": a}, name="add")
        g.output((b,))
        return g

    assert str(build(Graph, aten)) == str(build(torch.fx.Graph, torch.ops.aten))


def test_graph_str_of_attrs_operators_and_dtypes_is_torchs():
    torch = pytest.importorskip("torch")

    def build(graph_cls, ns, lib):
        g = graph_cls()
        x = g.placeholder("x")
        w = g.get_attr("sub.w")
        m = g.create_node("call_function", ns.max.dim, (x, 0), name="max_1")
        i = g.create_node("call_function", operator.getitem, (m, 0), name="getitem")
        s = g.create_node("call_function", ns.sum.dim_IntList, (i, [0]), {"dtype": lib.float64}, name="sum_1")
        g.output([g.create_node("call_function", operator.add, (s, 1.5), name="add"), w])
        return g

    assert str(build(Graph, aten, me)) == str(build(torch.fx.Graph, torch.ops.aten, torch))


def test_graph_module_code():
    g = Graph()
    x, inp = g.placeholder("x"), g.placeholder("input")
    a = g.call_function(aten.add.Tensor, (x, inp), {"alpha": 2})
    m = g.call_function(aten.max.dim, (a, 0))
    v = g.call_function(operator.getitem, (m, 0))
    s = g.call_function(aten.sum.dim_IntList, (v, [0]), {"dtype": me.float64})
    g.call_function(aten.neg.default, (x,))             # unused: dropped right away
    g.output((s, a))
    gm = GraphModule({}, g)
    assert gm.code.rstrip() + "\n" == (
        "\n\n\ndef forward(self, x, input):\n"
        "    input_1 = input\n"
        "    add = torch.ops.aten.add.Tensor(x, input_1, alpha = 2);  input_1 = None\n"
        "    max_1 = torch.ops.aten.max.dim(add, 0)\n"
        "    getitem = max_1[0];  max_1 = None\n"
        "    sum_1 = torch.ops.aten.sum.dim_IntList(getitem, [0], dtype = torch.float64);  getitem = None\n"
        "    neg = torch.ops.aten.neg.default(x);  x = neg = None\n"
        "    return (sum_1, add)\n")
    assert gm.graph is g and g.owning_module is gm


def test_code_text_is_exactly_torchs():
    torch = pytest.importorskip("torch")
    g, tg = Graph(), torch.fx.Graph()
    g.output((g.call_function(aten.neg.default, (g.placeholder("x"),)),))
    tg.output((tg.create_node("call_function", torch.ops.aten.neg.default, (tg.placeholder("x"),), name="neg"),))
    assert GraphModule({}, g).code == torch.fx.GraphModule({}, tg).code


def test_exported_code_and_readable_match_torch():
    torch = pytest.importorskip("torch")

    def build(lib):
        lib.manual_seed(0)

        class Small(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(4, 3)

            def forward(self, x):
                return (self.lin(x).relu() * 2).sum(0)

        return Small(), (lib.ones(2, 4),)

    ours = export(*build(me)).graph_module
    theirs = torch.export.export(*build(torch)).graph_module
    assert ours.code.rstrip() == theirs.code.rstrip()
    mine = ours.print_readable(print_output=False).splitlines()
    torchs = theirs.print_readable(print_output=False).splitlines()
    keep = [i for i, line in enumerate(torchs) if "# File:" not in line]     # library frames differ by path
    assert [mine[i] for i in keep] == [torchs[i] for i in keep]
    assert any("# File: " + __file__ in line and "return (self.lin(x).relu() * 2).sum(0)" in line for line in mine)


def test_get_attr_path():
    outer = nn.Module()
    outer.add_module("sub", nn.Linear(2, 3))
    assert get_attr_path(outer, "sub") is outer.sub
    assert get_attr_path(outer, "sub.weight") is outer.sub.weight
    with pytest.raises(AttributeError):
        get_attr_path(outer, "sub.nothing")


# ------------------------------------------------------ liveness helpers --
def test_last_uses():
    g, x, a, b, c = _chain()
    frees = last_uses(g)
    assert frees == {a: [x], c: [a, b], g.output_node(): [c]}


def test_frame_line():
    trace = ('  File "/lib/torch_like.py", line 10, in wrapper\n    return fn(*args)\n'
             '  File "/home/u/model.py", line 42, in forward\n    return x @ self.w\n')
    assert frame_line(trace) == "# File: /home/u/model.py:42 in forward, code: return x @ self.w"
    assert frame_line('  File "/a.py", line 3, in f') == "# File: /a.py:3 in f, code: "
    assert frame_line("no frames here\n") is None
    assert frame_line("  File without quotes\n    x\n") is None


# ---------------------------------------------------------- Interpreter --
def test_interpreter_matches_eager():
    g, *_ = _chain()
    x = np.array([[-1.5, 2.0], [0.0, -3.0]], dtype=np.float32)
    (out,) = Interpreter(g).run_arrays(x)
    np.testing.assert_array_equal(out, -x + np.maximum(-x, 0))
    (t,) = Interpreter(g).run(me.tensor(x))
    assert isinstance(t, me.Tensor)
    np.testing.assert_array_equal(t.numpy(), out)
    np.testing.assert_array_equal(x, [[-1.5, 2.0], [0.0, -3.0]])      # the input is never written


def test_interpreter_checks_input_count():
    g, *_ = _chain()
    with pytest.raises(TypeError, match=r"the graph takes 1 inputs \(x\), got 2"):
        Interpreter(g).run_arrays(np.zeros(2), np.zeros(2))


class _M(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 3)

    def forward(self, x, y):
        h = self.lin(x).relu()
        m = h.max(1)
        return (h * y).sum(0) - 1, m[0] + m[1], h.t()


def test_exported_graph_runs_like_eager():
    me.manual_seed(0)
    model = _M()
    x, y = me.randn(5, 4), me.randn(5, 3)
    ep = export(model, (x, y))
    params = [model.lin.weight, model.lin.bias]
    got = Interpreter(ep.graph, ep.graph_module).run(*params, x, y)
    want = model(x, y)
    assert len(got) == len(want)
    for g_, w in zip(got, want):
        np.testing.assert_allclose(g_.numpy(), w.numpy(), rtol=1e-6)
    for g_, w in zip(ep.module()(x, y), want):
        np.testing.assert_allclose(g_.numpy(), w.numpy(), rtol=1e-6)


def test_compiled_steps_free_each_value_after_its_last_use():
    me.manual_seed(0)
    ep = export(_M(), (me.randn(5, 4), me.randn(5, 3)))
    graph = ep.graph
    placeholders, steps, n_slots = compile_graph(graph)
    slot = {n: i for i, n in enumerate(graph.nodes)}
    assert n_slots == len(graph.nodes) and [slot[p] for p in placeholders] == list(range(len(placeholders)))
    freed_at = {}
    for s in steps:
        for i in s.free:
            assert i not in freed_at, "a slot is freed twice"
            freed_at[i] = s.node
    for n in graph.nodes:
        readers = [u for u in n.users if u.op != "output"]
        if n in graph.output_node().all_input_nodes:
            assert freed_at[slot[n]] is graph.output_node()     # outputs stay until returned
        elif readers:
            last = max(readers, key=graph.nodes.index)
            assert freed_at[slot[n]] is last
        elif n.op != "output":
            assert slot[n] not in freed_at


def _liveness_probes():
    """(refs, make, probe): `make` returns a fresh array watched by a weak reference; `probe` records in
    refs["alive_at_probe"] whether that array is still alive when it runs."""
    refs = {}

    def make(x):
        arr = np.negative(x)
        refs["a"] = weakref.ref(arr)
        return arr

    def probe(value):
        refs["alive_at_probe"] = refs["a"]() is not None
        return value
    return refs, make, probe


def test_values_are_dropped_while_running():
    """An intermediate's array is released as soon as its last reader ran, not at the end."""
    refs, make, probe = _liveness_probes()

    def build(keep_a):
        g = Graph()
        x = g.placeholder("x")
        a = g.call_function(make, (x,))
        b = g.call_function(aten.relu.default, (a,))
        p = g.call_function(probe, (b,))
        g.output((p, a) if keep_a else (p,))
        return g

    x = np.arange(6, dtype=np.float32) - 3
    out = Interpreter(build(keep_a=False)).run_arrays(x)
    assert refs["alive_at_probe"] is False
    np.testing.assert_array_equal(out[0], np.maximum(-x, 0))
    Interpreter(build(keep_a=True)).run_arrays(x)
    assert refs["alive_at_probe"] is True


def _meta(*shape, dtype=me.float32):
    return {"val": me.zeros(*shape, dtype=dtype)}


def _donation_graph(src_target, src_args, node_meta=None, src_meta=None, extra_user=False):
    g = Graph()
    x = g.placeholder("x", meta=_meta(2, 3))
    src = g.call_function(src_target, (x, *src_args), meta=src_meta or _meta(2, 3))
    node = g.call_function(aten.relu.default, (src,), meta=node_meta or _meta(2, 3))
    g.output((node, src) if extra_user else (node,))
    return g, x, src, node


def test_can_donate_only_fresh_single_use_intermediates():
    assert _can_donate(_donation_graph(aten.neg.default, ())[3])
    assert not _can_donate(_donation_graph(aten.neg.default, (), extra_user=True)[3])       # read again later
    assert not _can_donate(_donation_graph(aten.view.default, ([2, 3],))[3])                # a view of x
    assert not _can_donate(_donation_graph(aten.neg.default, (), node_meta=_meta(2, 3, dtype=me.float64))[3])
    assert not _can_donate(_donation_graph(aten.neg.default, (), src_meta=_meta(3))[3])     # different shape
    assert not _can_donate(_donation_graph(operator.neg, ())[3])                          # not an op
    g = Graph()
    x = g.placeholder("x", meta=_meta(2, 3))
    assert not _can_donate(g.call_function(aten.relu.default, (x,), meta=_meta(2, 3)))   # an input
    assert not _can_donate(g.call_function(aten.relu.default, (), meta=_meta(2, 3)))


def test_donating_kernel_is_compiled_in_and_keeps_results():
    g, x, src, node = _donation_graph(aten.neg.default, ())
    _, steps, _ = compile_graph(g)
    by_node = {s.node: s for s in steps}
    assert by_node[node].fn is aten.relu.default.donating_kernel
    assert by_node[src].fn is aten.neg.default.kernel
    data = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]], dtype=np.float32)
    keep = data.copy()
    (out,) = Interpreter(g).run_arrays(data)
    np.testing.assert_array_equal(out, np.maximum(-keep, 0))
    np.testing.assert_array_equal(data, keep)
    g2, *_ = _donation_graph(aten.neg.default, (), extra_user=True)
    assert all(s.fn is not aten.relu.default.donating_kernel for s in compile_graph(g2)[1])
    out, neg = Interpreter(g2).run_arrays(data)
    np.testing.assert_array_equal(neg, -keep)                           # the kept value was not overwritten
    np.testing.assert_array_equal(out, np.maximum(-keep, 0))


def test_kernel_error_names_node_and_source_line():
    g = Graph()
    x, w = g.placeholder("x"), g.placeholder("w")
    trace = '  File "/home/u/model.py", line 7, in forward\n    return x @ self.w\n'
    mm = g.call_function(aten.mm.default, (x, w), meta={"stack_trace": trace})
    g.output((mm,))
    with pytest.raises(GraphRunError) as err:
        Interpreter(g).run_arrays(np.ones((2, 3)), np.ones((4, 5)))
    msg = str(err.value)
    assert msg.startswith("while running node 'mm' (torch.ops.aten.mm.default): RuntimeError: "
                          "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)\n")
    assert msg.endswith("\n  from the user's code: File: /home/u/model.py:7 in forward, code: return x @ self.w")
    assert isinstance(err.value.__cause__, RuntimeError)
    g.nodes[2].meta.clear()                                             # no trace: no source line
    with pytest.raises(GraphRunError) as err:
        Interpreter(g).run_arrays(np.ones((2, 3)), np.ones((4, 5)))
    assert "from the user's code" not in str(err.value)


class _MatMul(nn.Module):
    def forward(self, x, w):
        return (x @ w).relu()


def test_kernel_error_in_exported_graph_points_at_user_code():
    ep = export(_MatMul(), (me.randn(2, 3), me.randn(3, 4)))
    with pytest.raises(GraphRunError) as err:
        Interpreter(ep.graph, ep.graph_module).run_arrays(np.ones((2, 3), np.float32), np.ones((5, 4), np.float32))
    msg = str(err.value)
    assert msg.startswith("while running node 'matmul' (torch.ops.aten.matmul.default): ")
    assert f"from the user's code: File: {__file__}:" in msg and msg.endswith("code: return (x @ w).relu()")


# ------------------------------------------------------ Interpreter plan --
def test_constants_and_kwargs_reach_the_call_as_they_are():
    """Constants (strings included), kwargs holding Nodes and odd kwarg names pass through unchanged."""
    seen = {}

    def record(a, *, tag, **rest):
        seen.update(tag=tag, rest=rest)
        return a

    evil = "__import__('os').system('exit 1')"
    g = Graph()
    x = g.placeholder("x")
    r = g.call_function(record, (x,), {"tag": evil, "a b": x})
    g.output((r, evil, [x, 1.5]))
    data = np.ones(2)
    out, text, pair = Interpreter(g).run_arrays(data)
    assert out is data and text == evil and pair[0] is data and pair[1] == 1.5
    assert seen == {"tag": evil, "rest": {"a b": data}}


def test_plan_keeps_structure_and_side_effects():
    calls = []

    def effect(a):
        calls.append(a.sum())
        return a

    g = Graph()
    x, y = g.placeholder("x"), g.placeholder("y")
    g.call_function(effect, (x,))                                   # read by nobody: still runs
    cat = g.call_function(aten.cat.default, ([x, y], 0))
    g.output({"cat": cat, "inputs": (x, (y,))}["inputs"] + (cat,))
    a, b = np.ones(2, np.float32), np.zeros(3, np.float32)
    first, (second,), joined = Interpreter(g).run_arrays(a, b)
    assert first is a and second is b and calls == [2.0]
    np.testing.assert_array_equal(joined, [1, 1, 0, 0, 0])


def test_error_names_the_failing_node_in_a_long_chain():
    g = Graph()
    v = g.placeholder("x")
    for _ in range(50):
        v = g.call_function(aten.neg.default, (v,))
    bad = g.call_function(aten.mm.default, (v, v))
    g.output((g.call_function(aten.neg.default, (bad,)),))
    with pytest.raises(GraphRunError, match=rf"^while running node '{bad.name}' \(torch.ops.aten.mm.default\)"):
        Interpreter(g).run_arrays(np.ones((2, 3)))
    assert Interpreter(g).run_arrays(np.ones((2, 2)))[0].tolist() == [[-2.0, -2.0], [-2.0, -2.0]]


def test_graph_without_output_returns_none():
    g = Graph()
    g.placeholder("x")
    assert Interpreter(g).run_arrays(np.ones(1)) is None


class _Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)
        self.register_buffer("count", me.zeros(1))

    def forward(self, x):
        self.count.add_(1)
        return self.lin(x), x


def test_module_fast_path_checks_and_state():
    """Static positional inputs skip flattening, yet refuse what differs and see swapped weights."""
    me.manual_seed(0)
    model = _Scaled()
    x = me.randn(4, 3)
    m = export(model, (x,)).module()
    y, same = m(x)
    assert same is x and m.count.tolist() == [1.0]                  # aliasing and buffer write-back
    np.testing.assert_allclose(y.numpy(), model.lin(x).numpy(), rtol=1e-6)
    with pytest.raises(AssertionError, match=r"Guard failed: x.size\(\)\[0\] == 4"):
        m(me.randn(5, 3))
    with pytest.raises(AssertionError, match=r"Guard failed: x.dtype == minexport.float32|dtype"):
        m(me.randn(4, 3, dtype=me.float64))
    with pytest.raises(AssertionError, match=r"Guard failed: x.dim\(\) == 2"):
        m(me.randn(12))
    with pytest.raises(AssertionError, match="to be a Tensor"):
        m(np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match="tree spec"):
        m(x, x)
    with pytest.raises(ValueError, match="tree spec"):
        m(x=x)
    m.lin.weight = nn.Parameter(me.zeros(2, 3))
    m.lin.bias.numpy()[...] = 7.0
    assert m(x)[0].tolist() == [[7.0, 7.0]] * 4


def test_unread_values_are_dropped_at_once():
    refs, make, probe = _liveness_probes()
    g = Graph()
    x = g.placeholder("x")
    g.call_function(make, (x,))                       # nobody reads its value
    g.output((g.call_function(probe, (x,)),))
    Interpreter(g).run_arrays(np.ones(3))
    assert refs["alive_at_probe"] is False


def test_kernel_error_in_a_step_with_node_kwargs_names_it():
    def join(*, parts):
        return np.concatenate(parts)

    g = Graph()
    x, y = g.placeholder("x"), g.placeholder("y")
    j = g.call_function(join, (), {"parts": [x, y]})
    g.output((j,))
    assert Interpreter(g).run_arrays(np.ones(1), np.zeros(2))[0].tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(GraphRunError, match=r"^while running node 'join' \(join\): ValueError"):
        Interpreter(g).run_arrays(np.ones(1), np.zeros((2, 2)))


class _Mixed(nn.Module):
    """Ops the specialized kernels cover: casts, Python scalars, 0-d results, comparisons, donation."""

    def __init__(self):
        super().__init__()
        self.register_buffer("w", me.full((3,), 0.5))

    def forward(self, x, i):
        y = (x * 0.1 + i).relu() - self.w
        z = (y.sum() + 1).exp()
        return y.tanh(), z, x > 0.3, i + 2 ** 40, (i * 3).neg()


def _mixed_inputs(rows=4):
    return me.randn(rows, 3), me.from_numpy(np.arange(rows * 3, dtype=np.int32).reshape(rows, 3))


def _assert_bit_equal(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = g.numpy(), w.numpy()
        assert g.dtype == w.dtype and g.shape == w.shape and g.tobytes() == w.tobytes()


def test_module_runs_specialized_kernels_with_the_general_results():
    me.manual_seed(0)
    model = _Mixed()
    x, i = _mixed_inputs()
    m = export(model, (x, i)).module()
    interpreter = m._plan.interpreter
    kernels = {step[0] for step in interpreter._plan.steps}
    assert aten.add.Tensor.kernel not in kernels and aten.mul.Tensor.kernel not in kernels
    general = interpreter.run_arrays(*m._lifted_arrays()[0], x.numpy(), i.numpy(), specialized=False)
    _assert_bit_equal(m(x, i), [me.from_numpy(a) for a in general])
    _assert_bit_equal(m(x, i), model(x, i))


def test_specialized_kernels_keep_dynamic_dims_dynamic():
    me.manual_seed(0)
    model = _Mixed()
    b = Dim("b")
    m = export(model, _mixed_inputs(), dynamic_shapes={"x": {0: b}, "i": {0: b}}).module()
    for rows in (2, 7):
        x, i = _mixed_inputs(rows)
        _assert_bit_equal(m(x, i), model(x, i))


def test_module_sees_swapped_weights_of_another_dtype_and_data_rebinding():
    """A weight of another dtype or shape than exported runs the general kernels (numbers as eager);
    `.data =` rebinding and in-place writes are seen as well."""
    me.manual_seed(0)
    model = _Mixed()
    x, i = _mixed_inputs()
    m = export(model, (x, i)).module()
    m(x, i)
    m.w.data = me.full((3,), 2.0)
    model.w.data = me.full((3,), 2.0)
    _assert_bit_equal(m(x, i), model(x, i))
    m.w.numpy()[...] = 3.0
    model.w.numpy()[...] = 3.0
    _assert_bit_equal(m(x, i), model(x, i))
    m.w.data = me.full((3,), 2.0, dtype=me.float64)
    model.w.data = me.full((3,), 2.0, dtype=me.float64)
    assert m(x, i)[0].dtype is me.float64
    _assert_bit_equal(m(x, i), model(x, i))
    assert m._lifted_cache[1] is False
