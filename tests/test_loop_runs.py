"""The fast path loops take through the interpreter: bound subgraph runners (`GraphRunner.bound`), which
run a plan written out as one Python function (`fx._generated`), with the plan's results and errors."""
import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
from minexport._loops import scan, while_loop
from minexport.export import export
from minexport.fx import Graph, GraphRunError
from minexport.fx._runner import GraphRunner
from minexport.ops import aten


def _chain_graph():
    """x, w -> (mm(neg(x), w) + 1.5, [x], 2): a constant, a passed-through input and a list in the output."""
    g = Graph()
    x, w = g.placeholder("x"), g.placeholder("w")
    trace = '  File "/home/u/model.py", line 7, in forward\n    return x @ self.w\n'
    mm = g.call_function(aten.mm.default, (g.call_function(aten.neg.default, (x,)), w), meta={"stack_trace": trace})
    g.output((g.call_function(aten.add.Tensor, (mm, 1.5)), [x], 2))
    return g


GENERATED = "<minexport generated graph>"


def _file_of(fn):
    """The file fn's code comes from, looking through the memory-budget wrapper (fx/_runner.py)."""
    return getattr(fn, "__wrapped__", fn).__code__.co_filename


def _both_runs(runner):
    """The first `bound` (the plan's loop) and the second (written out; kept for later requests)."""
    first, second = runner.bound(np), runner.bound(np)
    assert _file_of(first) != GENERATED and _file_of(second) == GENERATED
    assert runner.bound(np) is second
    return first, second


def test_bound_runner_gives_run_arrays_results():
    runner = GraphRunner(_chain_graph())
    x, w = np.arange(6.0).reshape(2, 3), np.ones((3, 2))
    want = runner.run_arrays(x, w)
    for run in _both_runs(runner):
        got = run((x, w))
        assert type(got) is tuple and len(got) == 3 and got[2] == 2
        assert got[1][0] is x and type(got[1]) is list
        np.testing.assert_array_equal(got[0], want[0])


def test_bound_runner_error_names_node_and_source_line():
    for run in _both_runs(GraphRunner(_chain_graph())):
        with pytest.raises(GraphRunError) as err:
            run((np.ones((2, 3)), np.ones((4, 5))))
        msg = str(err.value)
        assert msg.startswith("while running node 'mm' (torch.ops.aten.mm.default): RuntimeError: "
                              "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)\n")
        assert msg.endswith("from the user's code: File: /home/u/model.py:7 in forward, code: return x @ self.w")
        assert isinstance(err.value.__cause__, RuntimeError)


def test_bound_runner_names_the_failing_node_in_a_long_chain():
    g = Graph()
    v = g.placeholder("x")
    for _ in range(30):
        v = g.call_function(aten.neg.default, (v,))
    bad = g.call_function(aten.mm.default, (v, v))
    g.output((g.call_function(aten.neg.default, (bad,)),))
    for run in _both_runs(GraphRunner(g)):
        with pytest.raises(GraphRunError, match=rf"^while running node '{bad.name}' \(torch.ops.aten.mm.default\)"):
            run((np.ones((2, 3)),))
        assert run((np.ones((2, 2)),))[0].tolist() == [[-2.0, -2.0], [-2.0, -2.0]]


class _Gather(nn.Module):
    """A loop whose body can fail at run time: index_select with an index the caller passes."""

    def forward(self, h, idx):
        def body_fn(i, h):
            return i + 1, h.index_select(0, idx) * 0.5

        return while_loop(lambda i, h: i < 3, body_fn, (me.zeros((), dtype=me.int64), h))[1]


def test_kernel_error_inside_a_loop_body_names_the_body_node():
    m = export(_Gather(), (me.randn(4, 2), me.tensor([3, 0, 1, 2]))).module()
    h = me.randn(4, 2)
    np.testing.assert_allclose(m(h, me.tensor([3, 0, 1, 2])).numpy(), _Gather()(h, me.tensor([3, 0, 1, 2])).numpy())
    for _ in range(2):          # the plan's loop, then the written-out loop function
        with pytest.raises(GraphRunError, match=r"(?s)^while running node 'index_select'.*h.index_select\(0, idx\)"):
            m(h, me.tensor([9, 0, 1, 2]))


class _Recurrence(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(me.randn(8, 8) * 0.3)

    def forward(self, h, xs):
        def cond_fn(i, h):
            return i < 20

        def body_fn(i, h):
            return i + 1, me.tanh(h @ self.w)

        _, h = while_loop(cond_fn, body_fn, (me.zeros((), dtype=me.int64), h))
        return scan(lambda c, x: (c + x, (c * x).sum()), h, xs)


def test_loops_through_the_module_match_eager_bit_for_bit():
    me.manual_seed(0)
    model = _Recurrence()
    h, xs = me.randn(3, 8), me.randn(5, 3, 8)
    m = export(model, (h, xs)).module()
    for _ in range(3):                          # the plans' loops, then the written-out functions
        (carry, ys), (want_carry, want_ys) = m(h, xs), model(h, xs)
        assert carry.numpy().tobytes() == want_carry.numpy().tobytes()
        assert ys.numpy().tobytes() == want_ys.numpy().tobytes()


def _scaled_sum(x, *, y):
    return x * 2 + y


def test_bound_runner_writes_out_list_and_keyword_arguments():
    """Steps whose arguments nest values (cat's list, a keyword holding a value) are written out too."""
    g = Graph()
    x = g.placeholder("x")
    n = g.call_function(aten.neg.default, (x,))
    cat = g.call_function(aten.cat.default, ([x, n], 0))
    g.output((g.call_function(_scaled_sum, (cat,), {"y": cat}), [n, 3]))
    runner = GraphRunner(g)
    run = _both_runs(runner)[1]
    x = np.arange(3.0)
    (got, (neg, three)), (want, _) = run((x,)), runner.run_arrays(x)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, [0, 3, 6, 0, -3, -6])
    np.testing.assert_array_equal(neg, -x)
    assert three == 3


def test_while_loop_runs_cond_and_body_as_one_written_out_loop():
    """The module's while_loop kernel takes the fused function; it gives the two-function loop's results,
    also when cond is false at once (fresh copies, no aliasing of the inputs)."""
    me.manual_seed(0)
    model = _Recurrence()
    h, xs = me.randn(3, 8), me.randn(5, 3, 8)
    m = export(model, (h, xs)).module()
    plan = m._plan.interpreter._plan
    subgraphs = {plan.node_at[out].target: fn() for fn, out, _, _ in plan.steps if plan.node_at[out].op == "get_attr"}
    cond, body = subgraphs["while_loop_cond_graph_0"], subgraphs["while_loop_body_graph_0"]
    assert cond.bound_while(body, np, 2, 1) is None           # first request: the kernel runs the plans
    loop = cond.bound_while(body, np, 2, 1)
    assert _file_of(loop) == GENERATED
    i, w = np.zeros((), np.int64), model.w.numpy()
    got = loop((i, h.numpy()), (w,))
    want = aten_while(cond, body, (i, h.numpy()), (w,))
    assert all(g.tobytes() == x.tobytes() for g, x in zip(got, want))
    done = np.full((), 25, np.int64)
    assert loop((done, h.numpy()), (w,)) is None
    out = aten_while(cond, body, (done, h.numpy()), (w,))
    assert out[0] is not done and int(out[0]) == 25


def aten_while(cond, body, carried, additional):
    """The kernel through plain calls of the two subgraphs (the path Python callables take)."""
    from minexport.ops.higher_order import while_loop as hop
    return hop.kernel(np, lambda *a: cond(*a), lambda *a: body(*a), carried, additional)
