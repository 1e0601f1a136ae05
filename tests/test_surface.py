"""The public surface of internal ATen ops (ops/internal_surface.py and the variants it exposes): export
records torch's ops, run_decompositions() leaves torch's ops, and the decomposed program computes eager
minexport's values."""
import numpy as np
import pytest

import minexport as me
from minexport.export import export

torch = pytest.importorskip("torch")

# name -> function over a torch-like module `t` and one float input x of shape (2, 3, 4)
CASES = {
    "conj": lambda t, x: t.conj(x) + 1,
    "x.conj": lambda t, x: x.conj() * 2,
    "resolve_conj": lambda t, x: t.resolve_conj(x) + 1,
    "resolve_neg": lambda t, x: t.resolve_neg(x) + 1,
    "real": lambda t, x: t.real(x) + 1,
    "conj_physical": lambda t, x: t.conj_physical(x) + 1,
    "angle": lambda t, x: t.angle(x),
    "H": lambda t, x: x[0].H,
    "mH": lambda t, x: x.mH,
    "__rdiv__": lambda t, x: x.__rdiv__(2.0),
    "sum_to_size": lambda t, x: x.sum_to_size(3, 1),
    "sum_to_size_same": lambda t, x: x.sum_to_size([2, 3, 4]) + 1,
    "unsafe_chunk": lambda t, x: t.unsafe_chunk(x, 2, 1),
    "unsafe_split": lambda t, x: x.unsafe_split(3, -1),
    "split_with_sizes_copy": lambda t, x: t.split_with_sizes_copy(x, [1, 2], 1),
    "unfold_copy": lambda t, x: t.unfold_copy(x, 2, 2, 1),
    "as_strided_copy": lambda t, x: t.as_strided_copy(x, (2, 2), (1, 2)),
    "rsub": lambda t, x: t.rsub(x, 2.0),
    "select_scatter": lambda t, x: t.select_scatter(x, x[:, 0], 1, 0),
    "slice_scatter": lambda t, x: x.slice_scatter(x[:, :2], 1, 1, 3),
    "split_with_sizes": lambda t, x: x.split_with_sizes([1, 3], 2),
    "constant_pad_nd": lambda t, x: t.constant_pad_nd(x, [1, 2], 0.5),
    "native_layer_norm": lambda t, x: t.native_layer_norm(x, [4], None, None, 1e-5),
    "zero_": lambda t, x: t.zero_(x.clone()),
    "native_dropout_backward": lambda t, x: t.ops.aten.native_dropout_backward(x, x > 0, 2.0),
    "_softmax_backward_data": lambda t, x: t._softmax_backward_data(x, x.softmax(1), 1, t.float32),
    "_chunk_cat": lambda t, x: t._chunk_cat([x, x[:, :2]], 1, 2),
    "interpolate_antialias": lambda t, x: t.nn.functional.interpolate(x[None], size=[2, 3], mode="bilinear",
                                                                      antialias=True),
    "interpolate_antialias_scale": lambda t, x: t.nn.functional.interpolate(
        x[None], scale_factor=0.6, mode="bilinear", antialias=True, align_corners=True),
    "_unsafe_masked_index": lambda t, x: t._unsafe_masked_index(
        x[0], t.cat([x[1], x[1, :, :1]], 1) > 0, [t.arange(3).view(3, 1), t.arange(5).view(1, 5)], 0.5),
    "_unsafe_masked_index_put_accumulate": lambda t, x: t._unsafe_masked_index_put_accumulate(
        x[0], x[1, :, :3] > 0, [t.arange(3).view(3, 1) * 2 - 2, t.arange(3).view(1, 3) + 2], x[1, :, :3]),
}


# cases whose run_decompositions() differs from torch's in an op owned elsewhere (decomposition parity):
# only their training IR is compared here
DECOMPOSITION_ELSEWHERE = {
    "rsub": "torch decomposes rsub.Scalar to sub.Tensor(2.0, x); minexport's (pointwise.py) gives neg + add",
    "select_scatter": "torch decomposes select_scatter (arange, eq, where); minexport keeps the core op",
}


def _module(lib, fn):
    class M(lib.nn.Module):
        def forward(self, x):
            return fn(lib, x)
    return M()


def _x(lib):
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    x[0, 0, 0] = -0.0
    return lib.from_numpy(x)


def _targets(graph):
    return [str(n.target).replace("torch.ops.", "").replace("aten.", "")
            for n in graph.nodes if n.op == "call_function"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_export_records_torchs_ops(name):
    fn = CASES[name]
    ours = export(_module(me, fn), (_x(me),))
    theirs = torch.export.export(_module(torch, fn), (_x(torch),))
    assert _targets(ours.graph) == _targets(theirs.graph)


@pytest.mark.parametrize("name", sorted(CASES))
def test_run_decompositions_leaves_torchs_ops(name):
    if name in DECOMPOSITION_ELSEWHERE:
        pytest.skip(DECOMPOSITION_ELSEWHERE[name])
    fn = CASES[name]
    ours = export(_module(me, fn), (_x(me),)).run_decompositions()
    theirs = torch.export.export(_module(torch, fn), (_x(torch),)).run_decompositions()
    assert _targets(ours.graph) == _targets(theirs.graph)


@pytest.mark.parametrize("name", sorted(CASES))
def test_decomposed_program_computes_eager_values(name):
    fn = CASES[name]
    got = export(_module(me, fn), (_x(me),)).run_decompositions().module()(_x(me))
    want = fn(me, _x(me))
    got, want = (list(v) if isinstance(v, (list, tuple)) else [v] for v in (got, want))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-6)


def _batch_norm_module(lib, fn):
    class BN(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("rm", lib.zeros(3))
            self.register_buffer("rv", lib.ones(3))
            self.w = lib.nn.Parameter(lib.ones(3) * 2)
            self.b = lib.nn.Parameter(lib.ones(3) / 2)

        def forward(self, x):
            return fn(lib, x, self.w, self.b, self.rm, self.rv)
    return BN()


BATCH_NORMS = {
    "native_batch_norm": lambda t, x, w, b, rm, rv: t.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5),
    "native_batch_norm_eval": lambda t, x, w, b, rm, rv: t.native_batch_norm(x, w, b, rm, rv, False, 0.1, 1e-5),
    "_batch_norm_with_update": lambda t, x, w, b, rm, rv: t.ops.aten._batch_norm_with_update(x, w, b, rm, rv, 0.1,
                                                                                              1e-5),
}
# torch keeps _native_batch_norm_legit_functional in the core program; minexport's registration of it
# (ops/nn_ops.py) decomposes it further (decomposition parity, owned elsewhere)
BATCH_NORM_DECOMPOSITION_ELSEWHERE = {"native_batch_norm"}


@pytest.mark.parametrize("name", sorted(BATCH_NORMS))
def test_batch_norms_export_as_torch(name):
    """The running statistics are updated as torch updates them: same training IR, same core program."""
    fn = BATCH_NORMS[name]
    ours = export(_batch_norm_module(me, fn), (_x(me),))
    theirs = torch.export.export(_batch_norm_module(torch, fn), (_x(torch),))
    assert _targets(ours.graph) == _targets(theirs.graph)
    if name not in BATCH_NORM_DECOMPOSITION_ELSEWHERE:
        assert _targets(ours.run_decompositions().graph) == _targets(theirs.run_decompositions().graph)
    assert [s.kind.name for s in ours.graph_signature.output_specs] == \
        [s.kind.name for s in theirs.graph_signature.output_specs]


def test_real_tensor_refusals_match_torch():
    """imag() and the conjugate transposes refuse what torch refuses, with torch's words."""
    x = me.ones(2, 3, 4)
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
        me.imag(x)
    with pytest.raises(RuntimeError, match=r"tensor.H is only supported on matrices \(2-D tensors\). Got 3-D"):
        x.H
    with pytest.raises(RuntimeError, match="tensor.mH is only supported on matrices or batches of matrices. Got 1-D"):
        me.ones(3).mH
    with pytest.raises(RuntimeError, match=r"size \{\[5\]\} is not expandable to size \{\[2, 3, 4\]\}"):
        x.sum_to_size(5)


@pytest.mark.parametrize("fn", ["chunk", "unsafe_chunk"])
def test_chunk_of_an_empty_dim_gives_chunks_pieces(fn):
    """torch.chunk(x, n) of a dim of size 0 gives n empty pieces (not one)."""
    for shape, chunks, dim in (((0, 3), 2, 0), ((3, 0), 3, 1)):
        ours = getattr(me, fn)(me.zeros(*shape), chunks, dim)
        theirs = getattr(torch, fn)(torch.zeros(*shape), chunks, dim)
        assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in theirs]
