"""while_loop, scan and associative_scan: eager loops, export into higher-order nodes, run, decompose, save/load."""
import numpy as np
import pytest

import minexport as torch
from minexport._loops import associative_scan, scan, while_loop
from minexport.export.errors import UserError
from minexport.ops.higher_order import scan as scan_op, while_loop as while_op


def _targets(graph):
    return [n.target for n in graph.nodes if n.op == "call_function"]


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a.numpy()), np.asarray(b.numpy()), rtol=1e-5, atol=1e-6)


class Counter(torch.nn.Module):
    """Iterate x <- tanh(x @ W^T) + x, n times (a tensor count), through a Linear closed over by the body."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 3)

    def forward(self, n, x):
        return while_loop(lambda i, h: i < n, lambda i, h: (i + 1, torch.tanh(self.lin(h)) + h),
                          (torch.zeros((), dtype=torch.int64), x))


def _counter_reference(model, n, x):
    w, b = model.lin.weight.numpy(), model.lin.bias.numpy()
    h = x.numpy()
    for _ in range(n):
        h = np.tanh(h @ w.T + b) + h
    return h


# -- while_loop ------------------------------------------------------------------------------
def test_while_loop_eager_runs_a_python_loop():
    m = Counter()
    x = torch.randn(2, 3)
    i, h = m(torch.tensor(4), x)
    assert int(i) == 4
    np.testing.assert_allclose(h.numpy(), _counter_reference(m, 4, x), rtol=1e-5)
    i, k = while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x + 1), (torch.tensor(0), 2))   # ints carry eagerly
    assert (int(i), k) == (3, 5)


def test_while_loop_exports_one_node_with_lifted_parameters():
    m = Counter()
    x = torch.randn(2, 3)
    ep = torch.export.export(m, (torch.tensor(5), x))
    assert _targets(ep.graph).count(while_op) == 1
    node = next(n for n in ep.graph.nodes if n.target is while_op)
    cond_attr, body_attr, carried, additional = node.args
    assert (cond_attr.target, body_attr.target) == ("while_loop_cond_graph_0", "while_loop_body_graph_0")
    assert [a.name for a in additional] == ["n", "p_lin_weight", "p_lin_bias"]
    body = ep.graph_module.while_loop_body_graph_0.graph
    assert [p.name for p in body.nodes if p.op == "placeholder"] == ["arg0_1", "arg1_1", "arg2_1", "arg3_1", "arg4_1"]
    cond_out = ep.graph_module.while_loop_cond_graph_0.graph.nodes[-1]
    assert cond_out.args[0].op == "call_function"       # one tensor, not a tuple, as torch's cond graph returns
    assert "torch.ops.higher_order.while_loop(while_loop_cond_graph_0, while_loop_body_graph_0" in str(ep)
    assert [str(r) for r in ep.range_constraints.values()] == ["VR[1, int_oo]"]   # torch's stacked-loop count
    for n in (0, 1, 7):
        i, h = ep.module()(torch.tensor(n), x)
        assert int(i) == n
        np.testing.assert_allclose(h.numpy(), _counter_reference(m, n, x), rtol=1e-5, atol=1e-6)


def test_while_loop_decomposes_its_bodies():
    m = Counter()
    x = torch.randn(2, 3)
    ep = torch.export.export(m, (torch.tensor(3), x)).run_decompositions()
    body = ep.graph_module.while_loop_body_graph_0.graph
    names = {str(t) for t in _targets(body)}
    assert "aten.addmm.default" in names and "aten.linear.default" not in names
    _close(ep.module()(torch.tensor(3), x)[1], m(torch.tensor(3), x)[1])


def test_while_loop_with_dynamic_shape():
    class M(torch.nn.Module):
        def forward(self, x):
            return while_loop(lambda c: c.sum() < 100.0, lambda c: (c * 2.0 + 1.0,), (x,))

    x = torch.ones(3, 2)
    ep = torch.export.export(M(), (x,), dynamic_shapes=({0: torch.export.Dim("b")},))
    for rows in (2, 5):
        y = torch.ones(rows, 2)
        _close(ep.module()(y)[0], M()(y)[0])


@pytest.mark.parametrize("body, match", [
    (lambda i, x: (i + 1, torch.cat([x, x])), "differ in 'shape: float32\\[4\\] vs float32\\[2\\]'"),
    (lambda i, x: (i + 1, x.double()), "differ in 'dtype: float64\\[2\\] vs float32\\[2\\]'"),
    (lambda i, x: (i + 1,), "same number of outputs"),
    (lambda i, x: (i + 1, x), "alias"),
])
def test_while_loop_body_errors_eager_and_export(body, match):
    class M(torch.nn.Module):
        def forward(self, i, x):
            return while_loop(lambda i, x: i < 3, body, (i, x))

    args = (torch.tensor(0), torch.ones(2))
    with pytest.raises(UserError, match=match):
        M()(*args)
    with pytest.raises(UserError, match=match):
        torch.export.export(M(), args)


@pytest.mark.parametrize("cond, match", [
    (lambda i, x: x > 0, "scalar tensor or a bool but got .*bool.*2"),
    (lambda i, x: i + 1, "scalar tensor or a bool but got .*int64"),
])
def test_while_loop_cond_must_return_a_bool_scalar(cond, match):
    class M(torch.nn.Module):
        def forward(self, i, x):
            return while_loop(cond, lambda i, x: (i + 1, x + 1), (i, x))

    args = (torch.tensor(0), torch.ones(2))
    with pytest.raises(UserError, match=match):
        M()(*args)
    with pytest.raises(UserError, match=match):
        torch.export.export(M(), args)


def test_while_loop_body_may_not_mutate_inputs():
    def body(i, x):
        x.add_(1)
        return i + 1, x.clone()

    class M(torch.nn.Module):
        def forward(self, i, x):
            return while_loop(lambda i, x: i < 3, body, (i, x))

    with pytest.raises(UserError, match="while_loop's body_fn mutates its input 'x' with aten.add_.Tensor"):
        torch.export.export(M(), (torch.tensor(0), torch.ones(2)))


def test_while_loop_refuses_bad_arguments():
    with pytest.raises(TypeError, match="carried_inputs must be a tuple or list"):
        while_loop(lambda x: x < 1, lambda x: (x + 1,), torch.tensor(0))
    # (int carries export as unbacked SymInts: tests/test_loops_symint.py)


# -- scan ------------------------------------------------------------------------------------
class Decay(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([0.5, 2.0]))

    def forward(self, h0, xs, dim=0, reverse=False):
        def step(c, x):
            h = c * self.w + x
            return h, (h.sum(), h * 2)
        return scan(step, h0, xs, dim=dim, reverse=reverse)


def _decay_reference(w, h0, xs, dim, reverse):
    xs = np.moveaxis(xs, dim, 0)
    order = range(xs.shape[0])[::-1] if reverse else range(xs.shape[0])
    h, sums, hs = h0, {}, {}
    for i in order:
        h = h * w + xs[i]
        sums[i], hs[i] = h.sum(), h * 2
    stacked = np.stack([hs[i] for i in range(xs.shape[0])])
    return h, np.array([sums[i] for i in range(xs.shape[0])]), np.moveaxis(stacked, 0, dim)


@pytest.mark.parametrize("dim, reverse", [(0, False), (1, True), (-1, False)])
def test_scan_eager_and_exported(dim, reverse):
    m = Decay()
    h0 = torch.zeros(2)
    xs = torch.randn(4, 2) if dim == 0 else torch.randn(2, 4)
    ref = _decay_reference(m.w.numpy(), h0.numpy(), xs.numpy(), dim, reverse)
    ep = torch.export.export(m, (h0, xs, dim, reverse))
    assert _targets(ep.graph).count(scan_op) == 1
    assert "scan_combine_graph_0" in str(ep)
    for run in (m, ep.module(), ep.run_decompositions().module()):
        carry, (sums, hs) = run(h0, xs, dim, reverse)
        for got, want in zip((carry, sums, hs), ref):
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_scan_records_movedim_and_flip_as_torch():
    ep = torch.export.export(Decay(), (torch.zeros(2), torch.randn(2, 4), 1, True))
    names = [str(t) for t in _targets(ep.graph)]
    assert names[:2] == ["aten.movedim.int", "aten.flip.default"]
    assert names[-1] == "aten.movedim.int" and names.count("aten.flip.default") == 3   # two ys flipped back
    node = next(n for n in ep.graph.nodes if n.target is scan_op)
    assert [a.name for a in node.args[3]] == ["p_w"]


def test_scan_errors():
    with pytest.raises(UserError, match="differ in 'dtype: float64\\[2\\] vs float32\\[2\\]'"):
        scan(lambda c, x: (c.double(), x + 1), torch.zeros(2), torch.randn(4, 2))
    with pytest.raises(RuntimeError, match="scan dimension > 0"):
        scan(lambda c, x: (c + x, c * 1), torch.zeros(2), torch.zeros(0, 2))
    with pytest.raises(UserError, match="must return a tuple \\(next_carry, y\\)"):
        scan(lambda c, x: c + x, torch.zeros(2), torch.randn(3, 2))

    def mutating(c, x):
        c.add_(x)
        return c.clone(), x.clone()

    class M(torch.nn.Module):
        def forward(self, c, xs):
            return scan(mutating, c, xs)

    with pytest.raises(UserError, match="scan's combine_fn mutates its input"):
        torch.export.export(M(), (torch.zeros(2), torch.randn(3, 2)))


# -- associative_scan ------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 11])
@pytest.mark.parametrize("dim, reverse", [(0, False), (1, True)])
def test_associative_scan_matches_cumulative_ops(n, dim, reverse):
    x = torch.rand(n, 3) + 0.5 if dim == 0 else torch.rand(3, n) + 0.5
    a = x.numpy()
    flip = (lambda v: np.flip(v, dim)) if reverse else (lambda v: v)
    got = associative_scan(lambda p, q: p * q, x, dim, reverse=reverse, combine_mode="generic")
    np.testing.assert_allclose(got.numpy(), flip(np.cumprod(flip(a), dim)), rtol=1e-5)
    pair = associative_scan(lambda p, q: (p[0] + q[0], torch.maximum(p[1], q[1])),
                            (x, -x), dim, reverse=reverse, combine_mode="generic")
    np.testing.assert_allclose(pair[0].numpy(), flip(np.cumsum(flip(a), dim)), rtol=1e-5)
    np.testing.assert_allclose(pair[1].numpy(), flip(np.maximum.accumulate(flip(-a), dim)), rtol=1e-5)


def test_associative_scan_exports_as_plain_ops():
    class M(torch.nn.Module):
        def forward(self, xs):
            return associative_scan(lambda a, b: a + b, xs, 0, combine_mode="generic")

    x = torch.randn(6, 2)
    ep = torch.export.export(M(), (x,))
    assert {t.qualified_name if hasattr(t, "qualified_name") else str(t) for t in _targets(ep.graph)} <= \
        {"aten.movedim.int", "aten.slice.Tensor", "aten.add.Tensor", "aten.cat.default", "aten.stack.default",
         "aten.flatten.using_ints"}
    np.testing.assert_allclose(ep.module()(x).numpy(), np.cumsum(x.numpy(), 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ep.run_decompositions().module()(x).numpy(), np.cumsum(x.numpy(), 0), rtol=1e-5,
                               atol=1e-6)


def test_associative_scan_pointwise_needs_cuda_as_in_torch():
    with pytest.raises(ValueError, match="need to be on CUDA or XPU"):
        associative_scan(lambda a, b: a + b, torch.randn(3), 0)
    with pytest.raises(ValueError, match="Combine_mode must either"):
        associative_scan(lambda a, b: a + b, torch.randn(3), 0, combine_mode="fast")


# -- archives and torch's paths --------------------------------------------------------------
def test_loop_archives_round_trip(tmp_path):
    m, x = Counter(), torch.randn(2, 3)
    for model, args in ((m, (torch.tensor(4), x)), (Decay(), (torch.zeros(2), torch.randn(2, 4), 1, True))):
        ep = torch.export.export(model, args)
        path = tmp_path / "loop.pt2"
        torch.export.save(ep, path)
        loaded = torch.export.load(path)
        for a, b in zip(torch.utils._pytree.tree_leaves(loaded.module()(*args)),
                        torch.utils._pytree.tree_leaves(ep.module()(*args))):
            _close(a, b)


def test_compat_paths():
    from minexport.compat import as_torch
    with as_torch():
        import torch as t
        from torch._higher_order_ops.associative_scan import associative_scan as a
        from torch._higher_order_ops.scan import scan as s
        from torch._higher_order_ops.while_loop import while_loop as w
        assert (w, s, a) == (while_loop, scan, associative_scan)
        assert t.while_loop is while_loop and t._higher_order_ops.scan is scan


def _torch_loop_models(real):
    from torch._higher_order_ops import scan as tscan, while_loop as twhile

    class W(real.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = real.nn.Parameter(real.tensor([1.0, 0.5, 2.0]))

        def forward(self, it, x):
            return twhile(lambda i, x: i < 5, lambda i, x: (i + 1, x * self.w + 1), (it, x))

    class S(real.nn.Module):
        def forward(self, init, xs):
            return tscan(lambda c, x: (c + x, (c + x) * 2), init, xs)

    return [(W(), (real.tensor(0), real.tensor([1.0, 2.0, 3.0]))),
            (S(), (real.zeros(2), real.arange(8.0).reshape(4, 2)))]


def test_torch_loop_archives_run_on_minexport_and_back(tmp_path):
    real = pytest.importorskip("torch")
    for k, (model, args) in enumerate(_torch_loop_models(real)):
        path = tmp_path / f"torch_{k}.pt2"
        real.export.save(real.export.export(model, args), str(path))
        ep = torch.export.load(path)
        mine_args = tuple(torch.tensor(a.numpy()) for a in args)
        want = [t.detach().numpy() for t in model(*args)]
        got = ep.module()(*mine_args)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w, rtol=1e-5)
        back = tmp_path / f"mine_{k}.pt2"
        torch.export.save(ep, back)
        theirs = real.export.load(str(back))
        for g, w in zip(theirs.module()(*args), want):
            np.testing.assert_allclose(g.detach().numpy(), w, rtol=1e-5)


def test_torch_associative_scan_core_archive_runs_on_minexport(tmp_path):
    real = pytest.importorskip("torch")
    from torch._higher_order_ops.associative_scan import associative_scan as tscan

    class A(real.nn.Module):
        def forward(self, xs):
            return tscan(lambda a, b: a * b, xs, 1, reverse=True, combine_mode="generic")

    x = real.rand(3, 5) + 0.5
    path = tmp_path / "assoc.pt2"
    # torch's training IR keeps vmap's predispatch calls; its core IR is plain slices, muls and cats
    real.export.save(real.export.export(A(), (x,)).run_decompositions(), str(path))
    got = torch.export.load(path).module()(torch.tensor(x.numpy()))
    np.testing.assert_allclose(got.numpy(), A()(x).numpy(), rtol=1e-5)


def test_verifier_checks_loop_subgraphs():
    from minexport.export import SpecViolationError

    def broken(edit):
        ep = torch.export.export(Counter(), (torch.tensor(2), torch.randn(2, 3)))
        ep.validate()
        edit(ep)
        with pytest.raises(SpecViolationError, match="rule: loop subgraphs fit their operands") as e:
            ep.validate()
        return str(e.value)

    def drop_operand(ep):
        node = next(n for n in ep.graph.nodes if n.target is while_op)
        node.args = node.args[:3] + (node.args[3][:-1],)

    def cond_returns_int(ep):
        out = ep.graph_module.while_loop_cond_graph_0.graph.nodes[-1]
        out.args[0].meta["val"] = torch.empty((), dtype=torch.int64)

    def body_changes_dtype(ep):
        out = ep.graph_module.while_loop_body_graph_0.graph.nodes[-1]
        out.args[0][1].meta["val"] = torch.empty(2, 3, dtype=torch.float64)

    assert "takes 5 inputs for 4 operands" in broken(drop_operand)
    assert "must return one 0-dim bool tensor" in broken(cond_returns_int)
    assert "carried value 1 changes from float32[2, 3] to float64[2, 3]" in broken(body_changes_dtype)


def test_eager_bodies_may_not_mutate_inputs():
    def body(i, x):
        x.add_(1)
        return i + 1, x.clone()

    with pytest.raises(UserError, match="torch.while_loop: Encountered input mutation.*input 1"):
        while_loop(lambda i, x: i < 3, body, (torch.tensor(0), torch.ones(2)))

    def step(c, x):
        x.mul_(2)
        return c + x, c.clone()

    xs = torch.ones(3, 2)
    with pytest.raises(UserError, match="scan: Encountered input mutation.*input 1"):
        scan(step, torch.zeros(2), xs)
