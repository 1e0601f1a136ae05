"""What the OpInfo agreement fixes record under export, against torch 2.13.

The numerics of these ops are checked by tests/test_ops.py (rows in
op_samples_fixes.py) and the OpInfo replay; here: the graphs.
"""
import pytest

import minexport as me

torch = pytest.importorskip("torch")


def _targets(graph):
    return [str(n.target) for n in graph.nodes if n.op == "call_function"]


def _embedding_module(lib):
    class M(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.arange(20.0).reshape(5, 4))

        def forward(self, i):
            return lib.nn.functional.embedding(i, self.w, max_norm=1.0)
    return M()


def test_embedding_max_norm_records_torchs_ops():
    """detach + embedding_renorm_ before the lookup; functionalized: a parameter mutation."""
    ours = me.export.export(_embedding_module(me), (me.tensor([[0, 1], [2, 1]]),))
    theirs = torch.export.export(_embedding_module(torch), (torch.tensor([[0, 1], [2, 1]]),))
    assert _targets(ours.graph) == [str(t) for t in _targets(theirs.graph)]
    ours_d, theirs_d = ours.run_decompositions(), theirs.run_decompositions()
    assert _targets(ours_d.graph) == [str(t) for t in _targets(theirs_d.graph)]
    kinds = [str(s.kind).split(".")[-1] for s in ours_d.graph_signature.output_specs]
    assert kinds == [str(s.kind).split(".")[-1] for s in theirs_d.graph_signature.output_specs]


def test_embedding_max_norm_renormalizes_the_weight_in_place():
    """Eager: the looked-up rows of the weight itself end with norm max_norm; other rows are untouched."""
    m = _embedding_module(me)
    out = m(me.tensor([0, 2]))
    norms = m.w.detach().norm(dim=1).tolist()
    assert norms[0] == pytest.approx(1.0, abs=1e-5) and norms[2] == pytest.approx(1.0, abs=1e-5)
    assert norms[1] > 1.0 and norms[3] > 1.0
    assert out.norm(dim=1).tolist() == pytest.approx([1.0, 1.0], abs=1e-5)


def test_embedding_bag_2d_input_ignores_include_last_offset():
    """A 2-D input makes its own offsets (one per row, no closing entry): include_last_offset is dropped."""
    w = me.arange(15.0).reshape(5, 3)
    out = me.nn.functional.embedding_bag(me.tensor([[0, 1], [2, 3]]), w, include_last_offset=True)
    expected = torch.nn.functional.embedding_bag(torch.tensor([[0, 1], [2, 3]]), torch.arange(15.0).reshape(5, 3),
                                                 include_last_offset=True)
    assert out.tolist() == expected.tolist()
