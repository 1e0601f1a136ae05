"""The fast paths export takes agree with the general code they skip (issue 19)."""
import functools
import sys
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


# -- the per-op tracing path (stack traces, module calls, recorded arguments) ------------------------------------
def _reference_trace(f):
    """A stack trace as the plain walk makes it: every user frame from f up to the root forward, by its line."""
    from minexport.export._tracer import _CALL_FORWARD_CODE, _format_site
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
