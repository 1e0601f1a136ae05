"""The shape and indexing ops torch.export keeps as their own nodes: minexport records the same ones.

For each case, the training IR of `export()` calls the same ops as torch's, in
the same order, and `run_decompositions()` (where every op it leaves is core)
computes what eager minexport computes.
"""
import numpy as np
import pytest

import minexport as me
from minexport.export import export

torch = pytest.importorskip("torch")

# name -> (function over a torch-like module `t`, argument shapes/kinds)
CASES = {
    "movedim": (lambda t, x: t.movedim(x, 0, 1), "x"),
    "moveaxis": (lambda t, x: t.moveaxis(x, [0], [1]), "x"),
    "hstack": (lambda t, x: t.hstack([x, x]), "x"),
    "vstack": (lambda t, x: t.vstack([x, x[0]]), "x"),
    "dstack": (lambda t, x: t.dstack([x, x]), "x"),
    "column_stack": (lambda t, x: t.column_stack([x[0], x[1]]), "x"),
    "tile": (lambda t, x: t.tile(x, (2,)), "x"),
    "rot90": (lambda t, x: t.rot90(x, 1, [0, 1]), "x"),
    "diag": (lambda t, x: t.diag(x, -1), "x"),
    "diag_embed": (lambda t, x: t.diag_embed(x), "x"),
    "diagflat": (lambda t, x: t.diagflat(x), "x"),
    "diagonal": (lambda t, x: t.diagonal(x, 1), "x"),
    "tensor_split": (lambda t, x: t.tensor_split(x, 3), "x"),
    "hsplit": (lambda t, x: t.hsplit(x, 3), "x"),
    "repeat_interleave": (lambda t, x: t.repeat_interleave(x, 2, dim=0), "x"),
    "repeat_interleave_tensor": (lambda t, x, r: t.repeat_interleave(x, r, dim=0), "xr"),
    "flipud": (lambda t, x: t.flipud(x), "x"),
    "atleast_3d": (lambda t, x: t.atleast_3d(x), "x"),
    "broadcast_tensors": (lambda t, x: t.broadcast_tensors(x, x[0]), "x"),
    "meshgrid": (lambda t, x: t.meshgrid(x[0], x[1], indexing="xy"), "x"),
    "ravel": (lambda t, x: t.ravel(x), "x"),
    "trace": (lambda t, x: t.trace(x), "x"),
    "kron": (lambda t, x: t.kron(x, x), "x"),
    "block_diag": (lambda t, x: t.block_diag(x, x[0]), "x"),
    "cartesian_prod": (lambda t, x: t.cartesian_prod(x[0], x[1]), "x"),
    "cross": (lambda t, x: t.cross(x, x.flip(0), dim=1), "x"),
    "index_add": (lambda t, x, r: t.index_add(x, 0, r, x, alpha=2), "xr"),
    "index_copy": (lambda t, x, r: t.index_copy(x, 0, r.flip(0).remainder(4), x), "xr"),
    "index_fill": (lambda t, x, r: t.index_fill(x, 1, r.remainder(3), 1.5), "xr"),
    "take": (lambda t, x, r: t.take(x, r), "xr"),
    "take_along_dim": (lambda t, x, r: t.take_along_dim(x, r.view(4, 1), 0), "xr"),
    "masked_select": (lambda t, x: t.masked_select(x, x > 0), "x"),
    "scatter_add": (lambda t, x, r: t.scatter_add(x, 0, r.view(4, 1).expand(4, 3), x), "xr"),
    "masked_scatter": (lambda t, x: t.masked_scatter(x, x > 0, x * 2), "x"),
    "argwhere": (lambda t, x: t.argwhere(x > 0), "x"),
    "t_copy": (lambda t, x: t.t_copy(x), "x"),
}

# cases whose core program keeps an op torch keeps though it is not tagged core
def _module(lib, fn):
    class M(lib.nn.Module):
        def forward(self, *args):
            return fn(lib, *args)
    return M()


def _args(lib, kinds):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    r = np.array([1, 2, 0, 1], dtype=np.int64)
    vals = {"x": x, "r": r}
    return tuple(lib.from_numpy(vals[k].copy()) for k in kinds)


def _targets(graph):
    return [str(n.target).replace("torch.ops.", "").replace("aten.", "")
            for n in graph.nodes if n.op == "call_function"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_export_records_torchs_ops(name):
    fn, kinds = CASES[name]
    ours = export(_module(me, fn), _args(me, kinds))
    theirs = torch.export.export(_module(torch, fn), _args(torch, kinds))
    assert _targets(ours.graph) == _targets(theirs.graph)


@pytest.mark.parametrize("name", sorted(CASES))
def test_decomposed_program_computes_eager_values(name):
    fn, kinds = CASES[name]
    args = _args(me, kinds)
    ep = export(_module(me, fn), args)
    got = ep.run_decompositions().module()(*args)
    want = fn(me, *args)
    got, want = (list(v) if isinstance(v, (list, tuple)) else [v] for v in (got, want))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-6)

