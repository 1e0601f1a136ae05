"""The fast paths export takes agree with the general code they skip (issue 19)."""
import functools
import inspect

import pytest

import minexport as me
import minexport.nn as mnn
from minexport.export import export
from minexport.export._trace import _forward_arg_names, _plain_method_names


def _by_inspect(forward):
    params = list(inspect.signature(forward).parameters.values())
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return positional, next((p.name for p in params if p.kind == p.VAR_POSITIONAL), "args")


def _wraps(f):
    @functools.wraps(f)
    def wrapper(*a, **k):
        return f(*a, **k)
    return wrapper


class _Forwards:
    def one(self, x):
        pass

    def mixed(self, x, y=1, /, z=2, *rest, k, **kw):
        pass

    def star(self, *xs, k=1):
        pass

    def none(self):
        pass

    def keywords(self, a, b, *, c, d, **e):
        local = 1
        return local

    def star_after(self, a, *more, c, **e):
        local = 3
        return local

    @_wraps
    def wrapped(self, x, y):
        pass

    @classmethod
    def klass(cls, x, *v):
        pass

    def only_star(*args):
        pass


@pytest.mark.parametrize("name", ["one", "mixed", "star", "none", "keywords", "star_after", "wrapped", "klass",
                                  "only_star"])
def test_plain_method_names_match_inspect(name):
    forward = getattr(_Forwards(), name)
    fast = _plain_method_names(forward)
    assert fast is None or fast == _by_inspect(forward)


def test_decorated_and_star_only_forwards_go_to_inspect():
    assert _plain_method_names(_Forwards().wrapped) is None
    assert _plain_method_names(_Forwards().only_star) is None
    assert _plain_method_names(lambda x: x) is None


def test_forward_arg_names_beyond_the_signature():
    class M(mnn.Module):
        def forward(self, a, *more):
            return a

    x = me.randn(2)
    assert _forward_arg_names(M(), (x, x, x), {"k": 1}) == ["a", "more_0", "more_1", "k"]


def test_export_names_inputs_from_a_decorated_forward():
    class M(mnn.Module):
        @_wraps
        def forward(self, left, right):
            return left + right

    ep = export(M(), (me.randn(2), me.randn(2)))
    assert [n.name for n in ep.graph.nodes if n.op == "placeholder"] == ["left", "right"]


# -- lifting state in one pass (wt4-lift) ------------------------------------------------------------
def _layout(fake):
    return (type(fake).__name__, tuple(fake.shape), fake.stride(), fake.storage_offset(), fake.dtype,
            fake.device, fake.requires_grad)


def _lifted(rows, kind, bulk):
    """(fakes' layouts, placeholder names, input specs, node names) of rows lifted by fake_inputs (bulk) or by
    fake_input one at a time (the general path)."""
    from minexport.export._tracer import ExportTracer

    tracer = ExportTracer([])
    tracer.root_graph.placeholder("p_taken")       # a name the rows collide with
    tracer.inputs[0].append(None)                  # ... counted among the parameters' inputs
    if bulk:
        tracer.fake_input = None                   # the one pass must not fall back to it
        fakes = tracer.fake_inputs(kind, rows)
    else:
        fakes = [tracer.fake_input(t, kind, name, None, target, persistent) for t, name, target, persistent in rows]
    nodes = list(tracer.root_graph.nodes)
    assert all(f._node is tracer.input_node(f._node.name) for f in fakes)
    assert [f._node for f in fakes] == nodes[1:]
    assert [n.meta["val"] for n in nodes[1:]] == fakes
    return ([_layout(f) for f in fakes], [n.name for n in nodes], tracer.input_specs()[1:],
            sorted(tracer.root_graph._names))


@pytest.mark.parametrize("kind", ["PARAMETER", "BUFFER", "USER_INPUT"])
def test_fake_inputs_in_one_pass_match_fake_input_row_by_row(kind):
    from minexport.export.graph_signature import InputKind
    from minexport.nn.parameter import Parameter
    kind = InputKind[kind]
    base = me.randn(6, 8)
    tensors = [Parameter(me.randn(3, 4)), base.t(), base[1:3], base[:, ::2], me.randn(0, 3), me.randn(()),
               Parameter(me.randn(5), requires_grad=False), me.randn(2, 1, 3).expand(2, 4, 3),
               me.randn(4, 4).to(me.float64)]
    names = ["p_w", "p_taken", "p_w", "class", "1x", "a-b", "", "p_ünï", "p_w_1"]
    persistent = (lambda i: i % 2 == 0) if kind is InputKind.BUFFER else (lambda i: None)
    rows = [(t, n, f"t{i}", persistent(i)) for i, (t, n) in enumerate(zip(tensors, names))]
    assert _lifted(rows, kind, bulk=True) == _lifted(rows, kind, bulk=False)


def test_fake_inputs_refuse_a_buffer_without_persistence_as_input_spec_does():
    from minexport.export.graph_signature import InputKind
    rows = [(me.randn(2), "b_x", "x", True), (me.randn(2), "b_y", "y", None)]
    for bulk in (True, False):
        with pytest.raises(ValueError, match="persistent=True or False"):
            _lifted(rows, InputKind.BUFFER, bulk)


def test_append_placeholder_names_as_insert_placeholder():
    from minexport.fx.graph import Graph
    names = ["x", "x", "x_1", "input", "class", "1a", "a b", "", "ünï", "x_1", "p_a_b_c", "p_a_b_c"]
    g1, g2 = Graph(), Graph()
    for name in names:
        g1.append_placeholder(name, {"val": name})
        g2.insert_placeholder(len(g2.nodes), name, meta={"val": name})
    assert [(n.name, n.target, n.meta) for n in g1.nodes] == [(n.name, n.target, n.meta) for n in g2.nodes]
    g1.lint()
    assert [n.name for n in reversed(g1.nodes)] == [n.name for n in g1.nodes][::-1]
    assert g1.call_function(abs, (list(g1.nodes)[0],)).prev is list(g1.nodes)[-2]


def test_fake_state_restores_the_model_after_a_failed_trace():
    class Bad(mnn.Module):
        def __init__(self):
            super().__init__()
            self.l = mnn.Linear(4, 4)
            self.register_buffer("b", me.randn(4), persistent=False)
            self.c = me.randn(4)

        def forward(self, x):
            raise ValueError("boom")

    m = Bad()
    before = (m.l.weight, m.l.bias, m.b, m.c)
    with pytest.raises(ValueError, match="boom"):
        export(m, (me.randn(2, 4),))
    assert (m.l.weight, m.l.bias, m.b, m.c) == before


def test_flatten_with_path_one_walk_matches_paths_and_spec():
    import collections
    from minexport.utils import _pytree as pytree
    P = collections.namedtuple("P", "a b")
    tree = ((1, [2, {"k": 3, 4: (5,)}], P(6, [7] * 70)), {"x": None, "y": collections.OrderedDict(z=8)})
    pairs, spec = pytree.tree_flatten_with_path(tree)
    leaves, spec2 = pytree.tree_flatten(tree)
    assert spec == spec2 and [leaf for _, leaf in pairs] == leaves
    assert all(functools.reduce(lambda o, k: k.get(o), path, tree) == leaf for path, leaf in pairs)
    assert pytree.tree_unflatten(leaves, spec) == tree
    assert pytree.keystr(pairs[3][0]) == "[0][1][1][4][0]"


def test_flatten_with_path_of_a_node_whose_keys_disagree():
    from minexport.utils import _pytree as pytree

    class Odd:
        def __init__(self, items):
            self.items = items

    pytree.register_pytree_node(Odd, lambda o: (list(o.items), None), lambda ch, ctx: Odd(ch),
                                flatten_with_keys_fn=lambda o: ([(pytree.GetAttrKey("first"), o.items[0])], None))
    try:
        pairs, spec = pytree.tree_flatten_with_path([Odd([1, 2, 3])])
        assert [(pytree.keystr(p), v) for p, v in pairs] == [("[0].first", 1)]     # the keys given, zipped
        assert spec.num_leaves == 3                                                # every child in the spec
    finally:
        del pytree.SUPPORTED_NODES[Odd]
