"""The fast paths export takes agree with the general code they skip (issue 19)."""
import functools
import inspect
import sys

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


# -- the per-op tracing path (stack traces, module calls, recorded arguments) ------------------------------------
def _reference_trace(f):
    """A stack trace as the plain walk makes it: every user frame from f up to the root forward, by its line."""
    from minexport.export._stack_sites import _CALL_FORWARD_CODE, _format_site
    from minexport.export.errors import is_user_code
    sites = []
    while f is not None and f.f_code is not _CALL_FORWARD_CODE:
        if is_user_code(f.f_code.co_filename):
            sites.append(_format_site(f.f_code, f.f_lineno))
        f = f.f_back
    return "\n  ".join(reversed(sites)) or None


def _checked_export(model, args):
    """export(), each op node's stack trace checked against the plain walk from its op's call; returns
    (program, the traces checked)."""
    from minexport.export._trace import _export
    from minexport.export._tracer import ExportTracer
    from minexport.ops._registry import OpOverload
    expected = []

    class Checked(ExportTracer):
        def run_meta(self, op, args, kwargs):     # called by ExportTracer.__call__, called by OpOverload.__call__
            expected.append(_reference_trace(sys._getframe(2)))
            return super().run_meta(op, args, kwargs)

    ep = _export(model, args, None, None, Checked)
    traces = [n.meta.get("stack_trace") for n in ep.graph.nodes
              if n.op == "call_function" and isinstance(n.target, OpOverload)]
    assert traces == expected
    return ep, traces


class _Twice(mnn.Module):
    """A layer called from a loop, from two lines, from a helper, a generator and a hook, and re-entered."""

    def __init__(self):
        super().__init__()
        self.layers = mnn.ModuleList([mnn.Linear(4, 4) for _ in range(3)])
        self.act = mnn.ReLU()
        self.act.register_forward_pre_hook(lambda m, args: (args[0] * 2,))

    def helper(self, x):
        return self.act(x) + 1

    def steps(self, x):
        for layer in self.layers:
            x = layer(x)
            yield x

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        x = self.layers[0](x)
        x = self.layers[0](x)
        x = self.helper(x) + self.helper(x)
        g = self.steps(x)
        a = next(g)
        b = next(g)
        c = [y.neg() for y in (a, b)]
        return mnn.Sequential(self.act, self.act)(c[0]) + c[1] + mnn.Identity()(x)


def test_stack_traces_match_the_plain_walk():
    # Module calls from one line of a loop, from two lines, through a helper, from a generator resumed at two
    # places (its module calls come from one frame and instruction, but with other frames above), a hook,
    # a comprehension, a module re-entered (act in the Sequential) and modules not in the model.
    ep, checked = _checked_export(_Twice().eval(), (me.randn(2, 4),))
    assert len(checked) >= 20 and all(checked)
    lines = [_code_lines(n.meta["stack_trace"]) for n in ep.graph.nodes
             if n.op == "call_function" and n.target.op_name == "linear"]
    assert lines[5][0] == "a = next(g)" and lines[6][0] == "b = next(g)"


def test_stack_traces_of_the_benchmark_models_match_the_plain_walk():
    from bench.export_speed import attention_stack, mlp
    for model, x in ((mlp(mnn, 3), me.randn(2, 64)), (attention_stack(mnn, 2), me.randn(2, 5, 64))):
        _, checked = _checked_export(model.eval(), (x,))
        assert checked and all(checked)


def _code_lines(trace):
    lines = trace.split("\n")
    return [lines[i + 1].strip() for i, line in enumerate(lines) if line.strip().startswith("File ")]


def test_recorded_args_fast_path_agrees_with_the_schema_walk():
    # recorded_args returns positional-only calls at once when nothing can be dropped; the general way must
    # give the same for every op, with each argument a node or its own default (the most it could drop)
    from minexport.export._recording import _by_schema, _rules, recorded_args
    from minexport.fx.graph import Graph
    from minexport.ops._registry import all_ops
    node = Graph().placeholder("x")
    fast = 0
    for op in all_ops():
        rules = _rules(op)
        n = len(rules.positional)
        for count in range(n + 1):
            for last_node in (False, True):
                args = [a.default if a.has_default else node for a in rules.positional[:count]]
                if last_node and args:
                    args[-1] = node
                want = (tuple(args), {}) if rules.as_called else _by_schema(rules, args, {})
                assert recorded_args(op, args, {}) == want, (op, args)
                fast += not rules.as_called and rules.plain_defaults and \
                    (count in rules.undroppable or (args and args[-1] is node))
    assert fast > 1000


def test_a_hook_registered_during_forward_runs_from_the_next_call_as_torchs():
    torch = pytest.importorskip("torch")
    for nn, lib in ((torch.nn, torch), (mnn, me)):
        ran = []

        class M(nn.Module):
            def forward(self, x):
                self.register_forward_hook(lambda m, a, o: ran.append(1))
                return x + 1

        m = M()
        m(lib.ones(1))
        first = len(ran)
        m(lib.ones(1))
        assert (first, len(ran)) == (0, 2), nn


def test_traced_nodes_know_their_inputs_as_the_graph_finds_them():
    # the tracer hands _call_node the input nodes it met among the arguments; they must be what a walk of the
    # recorded arguments finds, in first-use order
    from bench.export_speed import attention_stack
    from minexport.fx.graph import _collect_nodes
    for model, x in ((attention_stack(mnn, 2), me.randn(2, 5, 64)), (_Twice(), me.randn(2, 4))):
        ep = export(model.eval(), (x,))
        for n in ep.graph.nodes:
            assert list(n._inputs) == list(_collect_nodes((n.args, n.kwargs), {})), n
            assert all(n in i.users for i in n._inputs)
# -- remembered static geometries (ops/_common.py `static_key`): a meta function's answer replayed from its
# memo equals the answer it computes itself, for every op and sample, on fake inputs of the samples' layouts
def _fake_like_sample(x):
    from minexport._tensor import make_fake
    if isinstance(x, me.Tensor):
        return make_fake(x.shape, x.dtype, x.device, strides=x.stride(), storage_offset=x.storage_offset())
    if isinstance(x, list):
        return [_fake_like_sample(y) for y in x]
    return x


def _geometry(out):
    if isinstance(out, me.Tensor):
        return (type(out), tuple(out.shape), out.stride(), out.storage_offset(), out.dtype, out.device,
                out.is_meta, out._base, out.requires_grad)
    if isinstance(out, (list, tuple)):
        return type(out), [_geometry(o) for o in out]
    return out


def _tensor_ids(x):
    if isinstance(x, me.Tensor):
        return {id(x)}
    if isinstance(x, (list, tuple)):
        return set().union(*map(_tensor_ids, x))
    return set()


def _distinct_tensors(a, b, inputs):
    if isinstance(a, me.Tensor):
        return a is not b or id(a) in inputs      # (an in-place op, or one that may return its input)
    if isinstance(a, (list, tuple)):
        return all(_distinct_tensors(x, y, inputs) for x, y in zip(a, b))
    return True


def test_remembered_geometries_match_computed_ones():
    from op_samples import SAMPLES

    from minexport.ops import all_ops
    from minexport.ops._common import _MEMOS, forget_geometries
    replayed = 0
    for op in all_ops():
        name = str(op)
        if op.meta is None or name not in SAMPLES or name in ("aten.item.default", "aten._local_scalar_dense.default"):
            continue
        for sample in SAMPLES[name]():
            args = [_fake_like_sample(a) for a in sample.args]
            kwargs = {k: _fake_like_sample(v) for k, v in sample.kwargs.items()}
            forget_geometries()
            try:
                first = op.meta(*args, **kwargs)
            except Exception as e:      # a refused sample: the memo must not change that
                with pytest.raises(type(e)):
                    op.meta(*args, **kwargs)
                continue
            remembered = sum(map(len, _MEMOS))
            again = op.meta(*args, **kwargs)
            assert _geometry(again) == _geometry(first), f"{name}{sample}"
            assert _distinct_tensors(first, again, _tensor_ids([args, list(kwargs.values())])), \
                f"{name}{sample}: a remembered answer must be a fresh tensor"
            replayed += remembered
    assert replayed > 100       # the view family, split and attention did take the memo


def test_static_key_refuses_symbolic_real_and_odd_arguments():
    from minexport._tensor import make_fake
    from minexport.ops._common import static_key
    fake = make_fake((2, 3), me.float32)
    assert static_key((fake,), (1, [2, 3], None)) == (fake.shape, None, 0, 1, (2, 3), None)
    assert static_key((fake,), ([2, 3],)) == static_key((fake,), ((2, 3),))
    assert static_key((me.randn(2, 3),), (1,)) is None          # a real tensor
    assert static_key((fake,), (True,)) is None                 # a bool is not keyed as the int it equals
    assert static_key((fake,), (1.0,)) is None
    assert static_key((fake,), ([1, True],)) is None
    assert static_key((fake,), ([[1]],)) is None
    assert static_key((fake, 3), ()) is None

    class Sym(int):       # any size that is not a plain int (a symbolic one) takes the meta function itself
        pass
    assert static_key((make_fake((Sym(2), 3), me.float32),), ()) is None
    assert static_key((fake,), (Sym(1),)) is None
    assert static_key((fake,), ([Sym(1)],)) is None


def test_dynamic_export_keeps_symbolic_views():
    from minexport.export import Dim

    class M(mnn.Module):
        def forward(self, x):
            return x.view(x.shape[0], 2, 8).transpose(1, 2).reshape(-1, 16).split(4, dim=1)[1]

    x = me.randn(6, 16)
    ep = export(M(), (x,), dynamic_shapes={"x": {0: Dim("b", max=64)}})
    vals = [n.meta["val"] for n in ep.graph.nodes
            if n.op == "call_function" and isinstance(n.meta.get("val"), me.Tensor)]
    assert all(type(v.shape[0]) is not int for v in vals)
    assert ep.module()(me.randn(10, 16)).shape == (10, 4)


# -- the verifier's fused walk (export/verifier.py) agrees with its rules run in order -----------------
def _verifier_programs():
    """Valid programs of every shape the verifier sees: the export cases, decomposed, with control flow,
    with dynamic sizes."""
    from minexport.control_flow import cond
    from minexport.export import Dim
    from test_export import CASE_NAMES, ME_CASES, export_case

    for name in CASE_NAMES:
        for aten in (False, True):
            def make(name=name, aten=aten):
                ep = export(*export_case(ME_CASES, name))
                return ep.run_decompositions() if aten else ep
            yield f"{name}{'-aten' if aten else ''}", make

    class Cond(mnn.Module):
        def __init__(self):
            super().__init__()
            self.lin = mnn.Linear(3, 3)

        def forward(self, x):
            return cond(x.sum() > 0, lambda x: self.lin(x).relu(), lambda x: x * 2, (x,))

    yield "cond", lambda: export(Cond(), (me.randn(2, 3),))

    class Dyn(mnn.Module):
        def __init__(self):
            super().__init__()
            self.lin = mnn.Linear(4, 4)

        def forward(self, x):
            return self.lin(x).reshape(-1, 2).relu()

    yield "dynamic", lambda: export(Dyn(), (me.randn(3, 4),), dynamic_shapes={"x": {0: Dim("b")}})


def _node_named(ep, name):
    return next(n for n in ep.graph.nodes if n.name == name)


def _op_nodes(ep):
    return [n for n in ep.graph.nodes if n.op == "call_function"]


def _placeholders(ep):
    return [n for n in ep.graph.nodes if n.op == "placeholder"]


def _swap_first_op_and_last_op(ep):
    ops = _op_nodes(ep)
    nodes = ep.graph.nodes
    i, j = nodes.index(ops[0]), nodes.index(ops[-1])
    nodes[i], nodes[j] = nodes[j], nodes[i]


def _rename(node, name):
    node.name = name


def _set_val(node, val):
    node.meta["val"] = val


def _lifted_specs(ep):
    from minexport.export.graph_signature import InputKind
    return [s for s in ep.graph_signature.input_specs if s.kind in (InputKind.PARAMETER, InputKind.BUFFER)]


# Each breaks one or more rules (some on several nodes at once, some where a later rule fails on an earlier
# node than an earlier rule), or nothing when the program has no place for it.
_VERIFIER_BREAKS = {
    "topological order": _swap_first_op_and_last_op,
    "duplicate name": lambda ep: _rename(_op_nodes(ep)[-1], _placeholders(ep)[0].name),
    "bad name": lambda ep: _rename(_op_nodes(ep)[0], "not a name"),
    "unregistered target": lambda ep: setattr(_op_nodes(ep)[-1], "target", max),
    "operator with keywords": lambda ep: setattr(_op_nodes(ep)[0], "target", __import__("operator").neg),
    "extra positional": lambda ep: setattr(_op_nodes(ep)[-1], "args", _op_nodes(ep)[-1].args + (1, 2, 3, 4, 5)),
    "bad keyword": lambda ep: setattr(_op_nodes(ep)[0], "kwargs", {"no_such_arg": 1}),
    "meta mismatch": lambda ep: _set_val(_op_nodes(ep)[0], me.zeros(9, 9)),
    "meta mismatch last": lambda ep: _set_val(_op_nodes(ep)[-1], me.zeros(9, 9, dtype=me.int64)),
    "meta refuses": lambda ep: [_set_val(a, me.zeros(1, 2, 3, 4, 5, 6)) for a in _op_nodes(ep)[0].all_input_nodes],
    "placeholder spec dropped": lambda ep: ep.graph_signature.input_specs.pop(),
    "placeholder spec renamed": lambda ep: setattr(ep.graph_signature.input_specs[0].arg, "name", "zz"),
    "user input first": lambda ep: _user_input_first(ep),
    "output renamed": lambda ep: setattr(ep.graph_signature.output_specs[0].arg, "name", "zz"),
    "output spec dropped": lambda ep: ep.graph_signature.output_specs.pop(),
    "lifted target empty part": lambda ep: [setattr(s, "target", "a..b") for s in _lifted_specs(ep)[:1]],
    "lifted state missing": lambda ep: [ep.state_dict.pop(s.target, None) for s in _lifted_specs(ep)[-1:]],
    "lifted state reshaped": lambda ep: [ep.state_dict.__setitem__(s.target, me.zeros(7, 1))
                                         for s in _lifted_specs(ep)[:1] if s.target in ep.state_dict],
    "lifted state retyped": lambda ep: [ep.state_dict.__setitem__(s.target, ep.state_dict[s.target].to(me.float64))
                                        for s in _lifted_specs(ep)[:1] if s.target in ep.state_dict],
    "lifted nameless arg": lambda ep: [setattr(s, "arg", object()) for s in _lifted_specs(ep)[:1]],
    "mutating op": lambda ep: setattr(_op_nodes(ep)[-1], "target", __import__("minexport").ops.aten.add_.Tensor),
    "meta and names": lambda ep: (_set_val(_op_nodes(ep)[0], me.zeros(9, 9)), _rename(_op_nodes(ep)[-1], "1x")),
    "lifted and order": lambda ep: ([ep.state_dict.pop(s.target, None) for s in _lifted_specs(ep)[:1]],
                                    _swap_first_op_and_last_op(ep)),
    "output last and meta": lambda ep: (_set_val(_op_nodes(ep)[-1], me.zeros(9, 9)),
                                        ep.graph.nodes.remove(next(reversed(ep.graph.nodes)))),
    "get_attr of a parameter": lambda ep: [_get_attr(ep, s.target, -1) for s in _lifted_specs(ep)[:1]],
    "get_attr of nothing": lambda ep: _get_attr(ep, "nowhere", 1),
    "get_attr of a method": lambda ep: _get_attr(ep, "forward", -1),
    "get_attr empty part": lambda ep: _get_attr(ep, "a..b", -1),
}


def _user_input_first(ep):
    """The last placeholder (a user input) and its spec moved first, consistently."""
    from minexport.export.graph_signature import InputKind
    specs = ep.graph_signature.input_specs
    if specs[-1].kind != InputKind.USER_INPUT or specs[0].kind == InputKind.USER_INPUT:
        raise IndexError("no lifted state before a user input")
    specs.insert(0, specs.pop())
    nodes = ep.graph.nodes
    last = _placeholders(ep)[-1]
    nodes.remove(last)
    nodes.insert(0, last)


def _get_attr(ep, target, where):
    """A get_attr node reading `target`, linked at position `where` (-1: just before the output)."""
    g = ep.graph
    node = g.create_node("get_attr", target, name="read_attr")
    g.nodes.remove(node)
    g.nodes.insert(len(g.nodes) + where if where < 0 else where, node)


def _outcome(check, ep):
    try:
        check(ep)
    except Exception as e:      # the type and message are what is compared
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("program", [name for name, _ in _verifier_programs()])
def test_verifier_fused_walk_agrees_with_ordered_rules(program):
    """On valid programs the fused walk passes by itself; on each broken one, validate() raises exactly what
    the rules run one after another raise (same rule first, same message)."""
    from minexport.export.verifier import _check_fused

    make = dict(_verifier_programs())[program]
    ep = make()
    _check_fused(ep._verifiers[0], ep)          # a valid program takes the fast path, without falling back
    broken = 0
    for what, breaks in _VERIFIER_BREAKS.items():
        ep = make()
        try:
            breaks(ep)
        except (IndexError, StopIteration, ValueError, AttributeError, KeyError):
            continue                           # nothing of that kind to break in this program
        verifier = ep._verifiers[0]
        ordered = _outcome(verifier.check_in_order, ep)
        assert _outcome(verifier.check, ep) == ordered, what
        broken += ordered is not None
    assert broken >= 10
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
    g1, g2, g3 = Graph(), Graph(), Graph()
    for name in names:
        g1.append_placeholder(name, {"val": name})
        g2.insert_placeholder(len(g2.nodes), name, meta={"val": name})
    g3.append_placeholder("x", {"val": "x"})
    made = g3.append_placeholders(names[1:], names[1:])
    assert [(n.name, n.target, n.meta) for n in g1.nodes] == [(n.name, n.target, n.meta) for n in g2.nodes] \
        == [(n.name, n.target, n.meta) for n in g3.nodes]
    assert made == list(g3.nodes)[1:] and len(g3.nodes) == len(names)
    g3.lint()
    assert [n.name for n in reversed(g3.nodes)] == [n.name for n in g3.nodes][::-1]
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


def test_binding_verdicts_shared_across_graphs_still_refuse_a_new_shape():
    from minexport.export.verifier import SpecViolationError

    class M(mnn.Module):
        def forward(self, x):
            return me.add(x, x, alpha=2)

    ep = export(M(), (me.randn(3),))
    ep.validate()
    ep2 = export(M(), (me.randn(3),))
    node = next(n for n in ep2.graph.nodes if n.op == "call_function")
    node.kwargs = {"beta": 2}          # a keyword the schema does not have: a call shape not seen before
    with pytest.raises(SpecViolationError, match="no argument named 'beta'"):
        ep2.validate()
    ep.validate()                       # the valid program still passes


def test_stack_trace_texts_shared_across_exports_match_a_fresh_trace():
    # the second export reuses the first one's texts (same code objects, same linecache entries); each
    # matches the plain walk, and a trace with a new tree gives the same texts
    from minexport.export import _stack_sites as sites
    model, x = _Twice().eval(), me.randn(2, 4)
    _, first = _checked_export(model, (x,))
    texts = sites._SHARED_TEXTS[0]
    _, second = _checked_export(model, (x,))
    assert sites._SHARED_TEXTS[0] is texts and texts.shared
    sites._SHARED_TEXTS[0] = None
    _, fresh = _checked_export(model, (x,))
    assert first == second == fresh and sites._SHARED_TEXTS[0] is not texts


_EDITED_MODEL = '''
import minexport.nn as mnn


class M(mnn.Module):
    def forward(self, x):
        return x.{op}()
'''


def test_stack_trace_texts_follow_an_edited_source(tmp_path, monkeypatch):
    # A source file edited between exports: once linecache reloads it (checkcache), the texts shared so far
    # no longer hold.  Both the old code objects (whose lines now read differently) and a re-import (new code
    # objects, possibly at freed ones' ids) get the new text, as the plain walk reads it.
    import gc
    import importlib
    import linecache
    path = tmp_path / "edited_model_mod.py"
    path.write_text(_EDITED_MODEL.format(op="relu"))
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("edited_model_mod")
    try:
        old = mod.M()
        _, (trace,) = _checked_export(old, (me.randn(3),))
        assert trace.endswith("return x.relu()")
        path.write_text(_EDITED_MODEL.format(op="neg") + "\n# longer\n")
        linecache.checkcache(str(path))
        _, (trace,) = _checked_export(old, (me.randn(3),))          # the old code, its line read anew
        assert trace.endswith("return x.neg()")
        del old
        mod = importlib.reload(mod)
        gc.collect()
        _, (trace,) = _checked_export(mod.M(), (me.randn(3),))
        assert trace.endswith("return x.neg()")
    finally:
        sys.modules.pop("edited_model_mod", None)


def test_stack_trace_texts_of_a_file_linecache_cannot_hold_serve_one_trace():
    # code compiled from a file name that is not on disk: linecache keeps no entry, so the texts made from it
    # are not shared with the next trace
    from minexport.export import _stack_sites as sites
    scope = {"me": me}
    exec(compile("def forward(self, x):\n    return x.relu()\n", "<no such file>", "exec"), scope)
    model = type("Exec", (mnn.Module,), {"forward": scope["forward"]})()
    _checked_export(model, (me.randn(3),))
    texts = sites._SHARED_TEXTS[0]
    assert not texts.shared
    _checked_export(model, (me.randn(3),))
    assert sites._SHARED_TEXTS[0] is not texts


def test_code_kinds_are_dropped_with_their_code_object():
    import gc
    from minexport.export import _stack_sites as sites
    scope = {}
    exec("def f():\n    pass\n", scope)
    code = scope.pop("f").__code__
    key = id(code)
    assert sites.code_kind(code) == sites._RECORD
    assert sites._FRAME_KINDS[key] == sites._RECORD
    del code
    gc.collect()
    assert key not in sites._FRAME_KINDS and key not in sites._FRAME_CODE_REFS


def _mlp_program():
    model = mnn.Sequential(mnn.Linear(4, 3), mnn.ReLU(), mnn.Linear(3, 2))
    return model, export(model, (me.randn(2, 4),))


def test_graph_module_made_on_first_read_is_the_one_made_on_construction():
    # export's program makes its GraphModule on first read (exported_program._PlainRoot); the verifier ran
    # on the graph alone, and what the module shows is what a module made on construction shows
    from minexport.export.exported_program import ExportedProgram
    from minexport.fx.graph_module import GraphModule
    _, ep = _mlp_program()
    assert ep._graph_module is None and ep._pending_graph is not None
    graph = ep._pending_graph
    eager = ExportedProgram(GraphModule({}, graph), graph, ep.graph_signature, ep.state_dict,
                            ep.range_constraints, ep.module_call_graph, ep.example_inputs, ep.constants)
    gm = ep.graph_module
    assert ep._pending_graph is None and ep.graph_module is gm and gm.graph is graph is ep.graph
    assert graph.owning_module is gm and type(gm) is GraphModule and gm._get_name() == "GraphModule"
    assert gm.code == eager.graph_module.code
    assert str(ep) == str(eager)
    x = me.randn(2, 4)
    assert me.allclose(ep.module()(x), eager.module()(x))


def test_graph_read_first_makes_the_module_before_an_edit():
    # reading ep.graph makes the module (its code snapshot) first, so an edit without recompile leaves the
    # code as exported, as a module made on construction does
    _, ep = _mlp_program()
    graph = ep.graph
    code = ep.graph_module.code
    relu = next(n for n in graph.nodes if n.op == "call_function" and "relu" in n.name)
    relu.replace_all_uses_with(relu.args[0])
    graph.erase_node(relu)
    assert ep.graph_module.code == code
    assert ep.graph_module.recompile() != code


def test_program_with_subgraphs_makes_its_graph_module_on_construction():
    from minexport import cond

    class M(mnn.Module):
        def forward(self, x):
            return cond(x.sum() > 0, lambda t: t.sin(), lambda t: t.cos(), (x,))

    ep = export(M(), (me.randn(3),))
    assert ep._graph_module is not None and ep._pending_graph is None
    assert ep.graph_module.subgraph_modules()


def test_state_mirrors_read_the_fakes_and_leave_no_trace():
    # while tracing, parameters and buffers are also in their modules' instance dicts (attribute reads skip
    # Module.__getattr__): the same fakes the tables hold, gone after export, also after a failed trace
    seen = []

    class M(mnn.Module):
        def __init__(self):
            super().__init__()
            self.l = mnn.Linear(4, 4)
            self.register_buffer("b", me.randn(4))

        def forward(self, x):
            seen.append((self.l.weight is self.l._parameters["weight"], self.b is self._buffers["b"],
                         "weight" in vars(self.l), self.l.weight._data is None))
            return self.l(x) + self.b

    m = M()
    keys = (list(vars(m)), list(vars(m.l)))
    weight = m.l.weight
    export(m, (me.randn(2, 4),))
    assert seen == [(True, True, True, True)]
    assert (list(vars(m)), list(vars(m.l))) == keys and m.l.weight is weight


def test_state_changed_during_forward_is_read_as_changed():
    # forward that sets, deletes or re-registers an entry reads the new value (its mirror is dropped)
    new_b, new_w, seen = me.ones(4), mnn.Parameter(me.zeros(4, 4)), []

    class M(mnn.Module):
        def __init__(self):
            super().__init__()
            self.l = mnn.Linear(4, 4)
            self.register_buffer("b", me.randn(4))

        def forward(self, x):
            y = self.l(x) + self.b
            self.l.bias = None
            self.b = new_b
            seen.append((self.l.bias, self.b is new_b))
            del self.l.weight
            seen.append(hasattr(self.l, "weight"))
            self.l.register_parameter("weight", new_w)
            seen.append((self.l.weight is new_w, "weight" in vars(self.l)))
            return y

    m = M()
    export(m, (me.randn(2, 4),))
    assert seen == [(None, True), False, (True, False)]
    assert "weight" not in vars(m.l) and "b" not in vars(m)


def test_state_is_not_mirrored_where_the_class_would_answer_first():
    # a class attribute of an entry's name is what `self.name` reads (before Module.__getattr__), and a
    # class's own __getattr__ is asked: export keeps both so
    class WithClassAttr(mnn.Module):
        scale = None

        def __init__(self):
            super().__init__()
            self.register_parameter("scale", mnn.Parameter(me.ones(4)))

        def forward(self, x):
            assert self.scale is None
            return x * self._parameters["scale"]

    class OwnGetattr(mnn.Module):
        def __init__(self):
            super().__init__()
            self.w = mnn.Parameter(me.ones(4))

        def __getattr__(self, name):
            value = super().__getattr__(name)
            return value * 2 if name == "w" else value

        def forward(self, x):
            return x + self.w

    export(WithClassAttr(), (me.randn(2, 4),))
    ep = export(OwnGetattr(), (me.randn(2, 4),))
    assert [n.target.op_name for n in ep.graph.nodes if n.op == "call_function"] == ["mul", "add"]


def test_plain_call_entries_are_the_dataclass_entries():
    from minexport.export.exported_program import ModuleCallEntry, plain_call_entries
    made = plain_call_entries(["a", "a.b", "c"])
    assert made == [ModuleCallEntry("a"), ModuleCallEntry("a.b", None), ModuleCallEntry("c", None)]
    assert [vars(e) for e in made] == [vars(ModuleCallEntry(f, None)) for f in ("a", "a.b", "c")]


def test_instance_attribute_shadowing_a_parameter_is_kept():
    # an instance-dict entry by a parameter's name (only bypassing __setattr__ makes one) is what reads find
    # before the table, during export as outside it, and it is still there after
    class M(mnn.Module):
        def __init__(self):
            super().__init__()
            self.w = mnn.Parameter(me.ones(4))
            object.__setattr__(self, "w", 2.0)

        def forward(self, x):
            return x * self.w + self._parameters["w"]

    m = M()
    ep = export(m, (me.randn(2, 4),))
    assert vars(m)["w"] == 2.0 and m._parameters["w"]._data is not None
    assert [n.args[1] for n in ep.graph.nodes if n.op == "call_function"][0] == 2.0


def test_export_leaves_its_tracer_to_reference_counting():
    # the frames a trace remembers (the last module call's, for the next call's stack trace) are dropped when
    # the root call returns: they would keep the tracer, and export's frame, in a reference cycle
    import gc
    import weakref

    from minexport.export._trace import _export
    from minexport.export._tracer import ExportTracer
    refs = []

    class Recording(ExportTracer):
        def __init__(self, modules):
            super().__init__(modules)
            refs.append(weakref.ref(self))

    model = mnn.Sequential(mnn.Linear(4, 4), mnn.ReLU(), mnn.Sequential(mnn.Linear(4, 4), mnn.ReLU()))
    enabled = gc.isenabled()
    gc.disable()
    try:
        ep = _export(model, (me.randn(2, 4),), None, None, Recording)
        assert refs[0]() is None
    finally:
        if enabled:
            gc.enable()
    assert "stack_trace" in list(ep.graph.nodes)[-2].meta
