"""while_loop carrying Python ints: exported as unbacked SymInts (u0, ...) inside the subgraphs, as torch 2.13 does."""
import io
import operator

import numpy as np
import pytest

import minexport as torch
from minexport._loops import while_loop
from minexport.export import Dim
from minexport.export.errors import UserError
from minexport.ops.higher_order import while_loop as while_op
from minexport.serde.errors import SerializationError


def _sub(ep, name):
    return getattr(ep.graph_module, name).graph


def _calls(graph):
    return [str(n.target) if n.target is not operator.getitem else "getitem"
            for n in graph.nodes if n.op == "call_function"]


def _models(lib, loop):
    """The three programs, written against lib (minexport or torch) and its while_loop."""
    class Count(lib.nn.Module):
        """A literal int counter beside a tensor."""

        def forward(self, x):
            return loop(lambda i, x: i < 10, lambda i, x: (i + 1, x * 2), (0, x))

    class FromSize(lib.nn.Module):
        """Two ints, one starting at a dynamic size, one doubled; the tensor reads the counter."""

        def forward(self, x):
            i, j, y = loop(lambda i, j, x: i < x.shape[0] + 5, lambda i, j, x: (i + 1, j * 2, x + i),
                           (x.shape[0], 1, x))
            return y * j, i

    class SizeOnly(lib.nn.Module):
        """Only node-valued carries (a size and a tensor): the one form torch.export.save accepts."""

        def forward(self, x):
            i, y = loop(lambda i, x: i < 10, lambda i, x: (i + 1, x + 1), (x.shape[0], x))
            return y, i

    return Count, FromSize, SizeOnly


Count, FromSize, SizeOnly = _models(torch, while_loop)


def test_int_carry_becomes_unbacked_symints():
    ep = torch.export.export(Count(), (torch.randn(3),))
    node = next(n for n in ep.graph.nodes if n.target is while_op)
    assert node.args[2][0] == 0                                  # the literal stays in the carried tuple
    i_out, y_out = node.meta["val"]
    assert str(i_out) == "u1" and list(y_out.shape) == [3]
    assert [n.name for n in ep.graph.nodes if n.target is operator.getitem] == ["getitem_2", "getitem_1"]
    assert {str(k): str(v) for k, v in ep.range_constraints.items()} == \
        {"u0": "VR[-int_oo, int_oo]", "u1": "VR[-int_oo, int_oo]"}
    cond, body = _sub(ep, "while_loop_cond_graph_0"), _sub(ep, "while_loop_body_graph_0")
    for g in (cond, body):       # the same u0 in both subgraphs
        assert [str(p.meta["val"]) for p in g.nodes if p.op == "placeholder"][0] == "u0"
    assert _calls(cond) == ["<built-in function lt>"]
    out = cond.nodes[-1].args[0]
    assert out.target is operator.lt and out.args[1] == 10       # returns the SymBool itself
    assert sorted(_calls(body)) == ["<built-in function add>", "aten.mul.Tensor"]
    i, y = ep.module()(torch.ones(3))
    assert i == 10 and type(i) is int
    np.testing.assert_array_equal(y.numpy(), np.full(3, 1024.0))


def test_int_from_dynamic_size_runs_for_other_sizes():
    ep = torch.export.export(FromSize(), (torch.randn(3),), dynamic_shapes=({0: Dim("n")},))
    assert [str(v) for v in next(n for n in ep.graph.nodes if n.target is while_op).meta["val"][:2]] == ["u2", "u3"]
    for n in (2, 4, 7):
        y, i = ep.module()(torch.ones(n))
        ref_y, ref_i = FromSize()(torch.ones(n))
        assert i == ref_i == n + 5
        np.testing.assert_allclose(y.numpy(), ref_y.numpy())


def test_zero_iterations_and_unread_int_output():
    class M(torch.nn.Module):
        def forward(self, x):
            i, y = while_loop(lambda i, x: i < 0, lambda i, x: (i + 1, x * 2), (x.shape[0], x))
            return y

    ep = torch.export.export(M(), (torch.randn(5),))
    assert [n.name for n in ep.graph.nodes if n.target is operator.getitem] == ["getitem_1"]   # torch drops it
    np.testing.assert_array_equal(ep.module()(torch.ones(5)).numpy(), np.ones(5))


def test_run_decompositions_keeps_int_carries():
    ep = torch.export.export(FromSize(), (torch.randn(3),), dynamic_shapes=({0: Dim("n")},))
    dec = ep.run_decompositions()
    assert _calls(dec.graph) == _calls(ep.graph)
    y, i = dec.module()(torch.ones(4))
    assert i == 9
    np.testing.assert_allclose(y.numpy(), np.full(4, 992.0))


def test_outside_symbol_in_loop_int_is_refused_as_torch():
    class M(torch.nn.Module):
        def forward(self, x, n):
            k = n.item()
            return while_loop(lambda i, x: i < k, lambda i, x: (i + 1, x * 2), (0, x))

    with pytest.raises(UserError, match="carried int u1 and a symbolic value from outside the loop"):
        torch.export.export(M(), (torch.randn(3), torch.tensor(3)))


def test_nested_loop_int_output_is_a_symbol_of_the_body():
    class M(torch.nn.Module):
        def forward(self, x):
            def body(i, x):
                j, y = while_loop(lambda j, y: j < 2, lambda j, y: (j + 1, y + 1), (0, x))
                return i + j, y * 2
            return while_loop(lambda i, x: i < 5, body, (0, x))

    ep = torch.export.export(M(), (torch.randn(3),))
    body = _sub(ep, "while_loop_body_graph_0")
    add = body.nodes[-1].args[0][0]
    assert add.target is operator.add and [a.name for a in add.args] == ["arg0_1", "getitem_2"]
    for program in (ep, ep.run_decompositions()):
        i, y = program.module()(torch.ones(3))
        assert i == 6                                  # torch 2.13 gives (6, [36, 36, 36]) too
        np.testing.assert_array_equal(y.numpy(), np.full(3, 36.0))


def test_int_carry_with_a_parameter_is_refused_as_torch():
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(3))

        def forward(self, x):
            return while_loop(lambda i, x: i < 4, lambda i, x: (i + 1, x * self.w + i), (x.shape[0], x))

    with pytest.raises(UserError, match="all carried_inputs must be tensors for stack_output"):
        torch.export.export(M(), (torch.randn(3),))


def test_archive_round_trip_and_literal_int_refused():
    ep = torch.export.export(SizeOnly(), (torch.randn(3),), dynamic_shapes=({0: Dim("n")},))
    buf = io.BytesIO()
    torch.export.save(ep, buf)
    buf.seek(0)
    loaded = torch.export.load(buf)
    y, i = loaded.module()(torch.ones(4))
    assert i == 10
    np.testing.assert_allclose(y.numpy(), np.full(4, 7.0))
    with pytest.raises(SerializationError, match="carries the Python int 0 beside tensors"):
        torch.export.save(torch.export.export(Count(), (torch.randn(3),)), io.BytesIO())


# -- against torch 2.13 ------------------------------------------------------------------------
def _torch_models(real):
    from torch._higher_order_ops.while_loop import while_loop as twhile
    TCount, TFromSize, TSizeOnly = _models(real, twhile)

    return {"count": (TCount(), Count(), None), "from_size": (TFromSize(), FromSize(), 0),
            "size_only": (TSizeOnly(), SizeOnly(), 0)}


def _ir(ep, sub_names):
    """What both sides must agree on: op multisets per graph, output vals, unbacked range constraints."""
    def ops(graph):
        return sorted(str(n.target).replace("aten.", "").replace("_operator.", "") for n in graph.nodes
                      if n.op == "call_function")
    graph_vals = [str(v) for n in ep.graph.nodes if n.op == "call_function" and "while_loop" in str(n.target)
                  for v in n.meta["val"] if not hasattr(v, "shape")]
    ranges = {str(k): str(v) for k, v in ep.range_constraints.items() if str(k).startswith("u")}
    return ops(ep.graph), {s: ops(getattr(ep.graph_module, s).graph) for s in sub_names}, graph_vals, ranges


@pytest.mark.parametrize("name", ["count", "from_size", "size_only"])
def test_matches_torch(name):
    real = pytest.importorskip("torch")
    theirs_model, mine_model, dyn = _torch_models(real)[name]
    x = np.arange(3.0, dtype=np.float32)
    t_dyn = None if dyn is None else ({0: real.export.Dim("n")},)
    m_dyn = None if dyn is None else ({0: Dim("n")},)
    theirs = real.export.export(theirs_model, (real.tensor(x),), dynamic_shapes=t_dyn)
    mine = torch.export.export(mine_model, (torch.tensor(x),), dynamic_shapes=m_dyn)
    subs = ["while_loop_cond_graph_0", "while_loop_body_graph_0"]
    assert _ir(mine, subs) == _ir(theirs, subs)
    x4 = np.arange(4.0, dtype=np.float32) if dyn is not None else x
    for a, b in zip(mine.module()(torch.tensor(x4)), theirs.module()(real.tensor(x4))):
        if isinstance(b, int):
            assert a == b
        else:
            np.testing.assert_allclose(a.numpy(), b.numpy())


def test_archives_cross_with_torch(tmp_path):
    real = pytest.importorskip("torch")
    theirs_model, mine_model, _ = _torch_models(real)["size_only"]
    path = tmp_path / "torch.pt2"
    real.export.save(real.export.export(theirs_model, (real.ones(3),), dynamic_shapes=({0: real.export.Dim("n")},)),
                     str(path))
    y, i = torch.export.load(path).module()(torch.ones(5))
    assert i == 10
    np.testing.assert_allclose(y.numpy(), np.full(5, 6.0))
    back = tmp_path / "mine.pt2"
    torch.export.save(torch.export.export(mine_model, (torch.ones(3),), dynamic_shapes=({0: Dim("n")},)), back)
    y, i = real.export.load(str(back)).module()(real.ones(5))
    assert i == 10
    np.testing.assert_allclose(y.numpy(), np.full(5, 6.0))
    with pytest.raises(Exception, match="Unsupported list/tuple argument type"):   # torch refuses a literal int
        real.export.save(real.export.export(_torch_models(real)["count"][0], (real.ones(3),)), io.BytesIO())
