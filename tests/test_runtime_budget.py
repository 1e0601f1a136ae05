"""Runtime budgets (memory, loop iterations, int64 size arithmetic) and the verifier rules that make
what verifies, run (spec/archive.md, "Running a program")."""
import operator
import time

import pytest

import minexport as me
import minexport.runtime as rt
from minexport.export import Dim, export
from minexport.export.verifier import SpecViolationError, verifier_for
from minexport.fx import Graph
from minexport.fx.interpreter import GraphRunner
from minexport.symbolic import ValueRange


class Grow(me.nn.Module):
    def forward(self, x):
        return me.full((x.shape[0] * 1000, 1000), 1.0) + 1


@pytest.fixture
def grow():
    return export(Grow(), (me.randn(4, 3),), dynamic_shapes={"x": {0: Dim("b")}}).module()


def test_default_budget_is_half_of_physical_memory():
    import os
    assert rt.memory_budget() == int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") * 0.5)
    assert rt.max_loop_iterations() == 1_000_000


def test_symbolic_size_over_budget_is_refused_before_running(grow):
    with rt.limits(memory_budget=10_000_000):
        assert grow(me.randn(2, 3)).shape == (2000, 1000)           # 8 MB: within
        with pytest.raises(rt.ResourceLimitError, match=r"node 'full' .*20000000 bytes.*budget of 10000000"):
            grow(me.randn(5, 3))
    assert grow(me.randn(5, 3)).shape == (5000, 1000)               # the budget is restored after the block


def test_static_size_over_budget_is_refused():
    class Big(me.nn.Module):
        def forward(self, x):
            return x + me.full((1 << 20, 1 << 10), 1.0)
    m = export(Big(), (me.randn(1),)).module()
    rt.set_memory_budget(1 << 20)
    try:
        t = time.monotonic()
        with pytest.raises(rt.ResourceLimitError, match="node 'full'"):
            m(me.randn(1))
        assert time.monotonic() - t < 1.0
    finally:
        rt.set_memory_budget(None)


def test_broadcast_view_counts_its_elements():
    class ExpandSum(me.nn.Module):
        def forward(self, x):
            return x.expand(1 << 20, 1 << 18).sum()
    m = export(ExpandSum(), (me.randn(1, 1),)).module()
    t = time.monotonic()
    with pytest.raises(rt.ResourceLimitError, match=r"node 'expand' .*1099511627776 bytes"):
        m(me.randn(1, 1))
    assert time.monotonic() - t < 1.0


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1"])
def test_budget_setters_refuse_bad_values(bad):
    with pytest.raises(ValueError, match="positive int"):
        rt.set_memory_budget(bad)
    with pytest.raises(ValueError, match="positive int"):
        rt.set_max_loop_iterations(bad)


def test_while_loop_iteration_limit():
    class Forever(me.nn.Module):
        def forward(self, x):
            return me.while_loop(lambda i, x: i < 10 ** 9, lambda i, x: (i + 0, x + 1), (me.tensor(0), x))
    m = export(Forever(), (me.randn(2),)).module()
    with rt.limits(max_loop_iterations=1000):
        for _ in range(3):      # the first call runs the kernel's loop, later ones the written-out loop
            with pytest.raises(rt.ResourceLimitError, match="while_loop ran 1000 iterations"):
                m(me.randn(2))

    class Counts(me.nn.Module):
        def forward(self, x):
            return me.while_loop(lambda i, x: i < 50, lambda i, x: (i + 1, x + 1), (me.tensor(0), x))
    i, x = export(Counts(), (me.randn(2),)).module()(me.zeros(2))
    assert int(i) == 50 and x.tolist() == [50.0, 50.0]
    with rt.limits(max_loop_iterations=50):
        m = export(Counts(), (me.randn(2),)).module()
        assert [int(m(me.zeros(2))[0]) for _ in range(3)] == [50, 50, 50]


def test_symbolic_pow_is_bounded():
    g = Graph()
    a, b = g.placeholder("a"), g.placeholder("b")
    g.output(g.call_function(operator.pow, (a, b)))
    runner = GraphRunner(g)
    assert runner.run(3, 5) == 243 and runner.run(2, 62) == 1 << 62
    t = time.monotonic()
    for base, exp in ((10, 10 ** 9), (2, 63), (3, 40)):
        with pytest.raises(rt.ResourceLimitError, match="outside int64|does not fit in int64"):
            runner.run(base, exp)
    assert time.monotonic() - t < 1.0


# ------------------------------------------------------------------ the verifier --
def _ep():
    class M(me.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = me.nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(x).sum() + me.ones(x.shape[0] + 1).sum()
    return export(M(), (me.randn(3, 2),), dynamic_shapes={"x": {0: Dim("b")}})


def _check(ep):
    verifier_for(ep.dialect).check(ep)


def _node(ep, pred):
    return next(n for n in ep.graph.nodes if pred(n))


def test_operator_arity_is_checked():
    ep = _ep()
    n = _node(ep, lambda n: n.target is operator.add)
    n.args = n.args + (1,)
    with pytest.raises(SpecViolationError, match=r"operator.add takes 2 arguments, got 3 .*rule: operator calls"):
        _check(ep)
    n.args, n.kwargs = n.args[:2], {"x": 1}
    with pytest.raises(SpecViolationError, match="1 keyword"):
        _check(ep)


def test_argument_given_twice_is_refused():
    ep = _ep()
    n = _node(ep, lambda n: n.op == "call_function" and str(n.target) == "aten.add.Tensor")
    n.kwargs = {"other": 1}
    with pytest.raises(SpecViolationError, match="argument 'other' given twice"):
        _check(ep)
    n.kwargs = {"beta": 1}
    with pytest.raises(SpecViolationError, match="no argument named 'beta'"):
        _check(ep)
    n.args, n.kwargs = n.args[:1], {}
    with pytest.raises(SpecViolationError, match="argument 'other' missing"):
        _check(ep)


@pytest.mark.parametrize("target", ["", "lin..weight", ".weight", "lin.weight."])
def test_empty_or_badly_dotted_targets_are_refused(target):
    ep = _ep()
    spec = next(s for s in ep.graph_signature.input_specs if s.target == "lin.weight")
    spec.target = target
    with pytest.raises(SpecViolationError, match="rule: lifted state targets"):
        _check(ep)


def test_empty_range_is_refused():
    ep = _ep()
    (sym,) = ep.range_constraints
    ep.range_constraints[sym] = ValueRange(10, 2)
    with pytest.raises(SpecViolationError, match=r"range \[10, 2\].*rule: ranges are not empty"):
        _check(ep)


@pytest.mark.parametrize("name", ["forward", "graph", "code", "_modules", "training"])
def test_subgraph_named_like_a_module_attribute_is_refused(name):
    class C(me.nn.Module):
        def forward(self, x):
            return me.cond(x.sum() > 0, lambda x: x + 1, lambda x: x - 1, (x,))
    ep = export(C(), (me.randn(3),))
    _node(ep, lambda n: n.op == "get_attr").target = name
    with pytest.raises(SpecViolationError, match=f"'{name}'.*rule: attribute names"):
        _check(ep)


def test_forward_returning_nan_verifies_and_runs():
    class N(me.nn.Module):
        def forward(self, x):
            return x + 1, float("nan")
    ep = export(N(), (me.randn(2),))
    _check(ep)
    out = ep.module()(me.zeros(2))
    assert out[0].tolist() == [1.0, 1.0] and out[1] != out[1]
    import io

    from minexport.export import load, save
    buf = io.BytesIO()
    save(ep, buf)
    out = load(io.BytesIO(buf.getvalue())).module()(me.zeros(2))
    assert out[0].tolist() == [1.0, 1.0] and out[1] != out[1]


def _rewritten(ep, edit):
    """ep saved, with edit(model_json_dict) applied to its models/model.json, as a file object."""
    import io
    import json
    import zipfile

    from minexport.export import save
    buf, out = io.BytesIO(), io.BytesIO()
    save(ep, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("models/model.json"):
                model = json.loads(data)
                edit(model)
                data = json.dumps(model).encode()
            z.writestr(info, data)
    out.seek(0)
    return out


def test_loaded_empty_range_is_a_serialization_error():
    from minexport.export import SerializationError, load

    class D(me.nn.Module):
        def forward(self, x):
            return x * 2
    ep = export(D(), (me.randn(4),), dynamic_shapes={"x": {0: Dim("b", min=2, max=10)}})

    def edit(model):
        (name,) = model["range_constraints"]
        model["range_constraints"][name] = {"min_val": 10, "max_val": 2}
    with pytest.raises(SerializationError, match=r"range \[10, 2\]"):
        load(_rewritten(ep, edit))


@pytest.mark.parametrize("target", ["", "0..weight", "0.weight."])
def test_loaded_bad_parameter_target_is_a_serialization_error(target):
    from minexport.export import SerializationError, load
    ep = export(me.nn.Sequential(me.nn.Linear(2, 2)), (me.randn(1, 2),))

    def edit(model):
        for spec in model["graph_module"]["signature"]["input_specs"]:
            p = spec.get("parameter")
            if p and p["parameter_name"] == "0.weight":
                p["parameter_name"] = target
    with pytest.raises(SerializationError, match="rule: lifted state targets"):
        load(_rewritten(ep, edit))
