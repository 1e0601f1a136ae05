"""What export records for einsum, swapaxes/swapdims, broadcast_to, in-place dropout and F.normalize,
and what run_decompositions() makes of them, against torch."""
import collections

import numpy as np
import pytest

import minexport as me
import minexport.nn.functional as MF
from minexport.export import export as me_export

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _ops(graph):
    return [str(n.target) for n in graph.nodes if n.op == "call_function" and "aten" in str(n.target)]


def _both(fn_torch, fn_me, shapes, train=False):
    """(recorded ops, decomposed op multiset) of a one-line module under torch and minexport; outputs equal."""
    class TM(torch.nn.Module):
        def forward(self, *a):
            return fn_torch(*a)

    class MM(me.nn.Module):
        def forward(self, *a):
            return fn_me(*a)
    arrays = [np.random.default_rng(i).standard_normal(s).astype(np.float32) for i, s in enumerate(shapes)]
    t_ep = torch.export.export(TM().train(train), tuple(torch.from_numpy(a) for a in arrays))
    m_ep = me_export(MM().train(train), tuple(me.from_numpy(a) for a in arrays))
    m_args = [me.from_numpy(a) for a in arrays]
    got, want = m_ep.module()(*m_args), t_ep.module()(*(torch.from_numpy(a) for a in arrays))
    got_d = m_ep.run_decompositions().module()(*m_args)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_d.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    return ((_ops(m_ep.graph), _ops(t_ep.graph)),
            (collections.Counter(_ops(m_ep.run_decompositions().graph)),
             collections.Counter(_ops(t_ep.run_decompositions().graph))))


@pytest.mark.parametrize("eq, shapes", [("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                                        ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
                                        ("ii->i", [(3, 3)])])
def test_einsum_records_and_decomposes_as_torch(eq, shapes):
    (rec, t_rec), (dec, t_dec) = _both(lambda *a: torch.einsum(eq, *a), lambda *a: me.einsum(eq, *a), shapes)
    assert rec == t_rec == ["aten.einsum.default"]
    assert dec == t_dec


@pytest.mark.parametrize("eq, shapes", [("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
                                        ("...ij,...jk", [(2, 3, 4), (4, 5)]),
                                        ("ij->", [(3, 4)]), ("iij->ji", [(3, 3, 2)]), ("ij,kj->ikj", [(2, 3), (4, 1)]),
                                        ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)])])
def test_einsum_values(eq, shapes):
    (rec, t_rec), (dec, t_dec) = _both(lambda *a: torch.einsum(eq, list(a)), lambda *a: me.einsum(eq, list(a)),
                                       shapes)
    assert rec == t_rec
    # torch's view after a non-viewable permute is reshape -> clone + view (_unsafe_view in eager)
    assert dec == t_dec


@pytest.mark.parametrize("eq, shapes", [("ij->ji", [(2, 3)]), ("iij->ji", [(3, 3, 2)]),
                                        ("ij,kj->ikj", [(2, 3), (4, 1)]),
                                        ("i,j->ij", [(3,), (4,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)])])
def test_einsum_strides_are_torchs(eq, shapes):
    arrays = [np.random.default_rng(0).standard_normal(s).astype(np.float32) for s in shapes]
    want = torch.einsum(eq, *[torch.from_numpy(a) for a in arrays]).stride()
    assert me.einsum(eq, *[me.from_numpy(a) for a in arrays]).stride() == want
    fakes = [me.from_numpy(a) for a in arrays]

    class M(me.nn.Module):
        def forward(self, *a):
            return me.einsum(eq, *a)
    node = [n for n in me_export(M(), tuple(fakes)).graph.nodes if n.op == "call_function"][-1]
    assert node.meta["val"].stride() == want


def test_einsum_errors():
    with pytest.raises(RuntimeError, match="einsum"):
        me.einsum("ij,jk->ik", me.randn(2, 3))
    with pytest.raises(RuntimeError, match="einsum"):
        me.einsum("ij,jk->ik", me.randn(2, 3), me.randn(4, 5))


@pytest.mark.parametrize("name", ["swapaxes", "swapdims"])
def test_swap_records_its_own_op(name):
    (rec, t_rec), (dec, t_dec) = _both(lambda a: getattr(a, name)(0, 2), lambda a: getattr(me, name)(a, 0, 2),
                                       [(2, 3, 4)])
    assert rec == t_rec == [f"aten.{name}.default"]
    assert dec == t_dec
    x = me.randn(2, 3, 4)
    assert x.swapaxes(0, 2).stride() == torch.randn(2, 3, 4).swapaxes(0, 2).stride()


def test_broadcast_to_records_its_own_op():
    (rec, t_rec), (dec, t_dec) = _both(lambda a: a.broadcast_to(4, 2, 3), lambda a: a.broadcast_to(4, 2, 3),
                                       [(2, 1)])
    assert rec == t_rec == ["aten.broadcast_to.default"]
    assert dec == t_dec


def test_inplace_dropout_records_dropout_():
    (rec, t_rec), (dec, t_dec) = _both(lambda a: F.dropout(a.clone(), 0.5, False, inplace=True),
                                       lambda a: MF.dropout(a.clone(), 0.5, False, inplace=True), [(2, 3)])
    assert rec == t_rec == ["aten.clone.default", "aten.dropout_.default"]
    assert dec == t_dec
    (rec, t_rec), _ = _both(lambda a: torch.nn.Dropout(0.0, inplace=True)(a.clone()),
                            lambda a: me.nn.Dropout(0.0, inplace=True)(a.clone()), [(2, 3)])
    assert rec == t_rec


@pytest.mark.parametrize("dim", [1, -1])
def test_normalize_records_linalg_vector_norm(dim):
    (rec, t_rec), (dec, t_dec) = _both(lambda a: F.normalize(a, dim=dim), lambda a: MF.normalize(a, dim=dim),
                                       [(2, 3, 4)])
    assert rec == t_rec
    assert dec == t_dec


@pytest.mark.parametrize("args", [(2, 1), ("fro", 1), (1, (0, 2)), ()])
def test_norm_records_linalg_vector_norm(args):
    (rec, t_rec), _ = _both(lambda a: torch.norm(a, *args), lambda a: me.norm(a, *args), [(2, 3, 4)])
    assert rec == t_rec == ["aten.linalg_vector_norm.default"]


_FAMILY = [("Dropout1d", (2, 3, 4)), ("Dropout1d", (3, 4)), ("Dropout2d", (2, 3, 4, 4)), ("Dropout2d", (3, 4, 4)),
           ("Dropout3d", (2, 3, 2, 2, 2)), ("Dropout3d", (3, 2, 2, 2)), ("AlphaDropout", (2, 3)),
           ("FeatureAlphaDropout", (2, 3, 4))]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name, shape", _FAMILY)
@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("train", [False, True])
def test_dropout_family_records_as_torch(name, shape, inplace, train):
    unbatched = len(shape) == int(name[7]) + 1 if name[7:8].isdigit() and name != "Dropout2d" else False
    if inplace and unbatched:
        pytest.skip("torch records unsqueeze_/squeeze_ around the op; minexport has no in-place view ops and "
                    "records unsqueeze/squeeze (same values)")
    p = 0.0 if train else 0.4          # values are comparable: no element dropped
    (rec, t_rec), (dec, t_dec) = _both(lambda a: getattr(torch.nn, name)(p, inplace).train(train)(a.clone()),
                                       lambda a: getattr(me.nn, name)(p, inplace).train(train)(a.clone()), [shape],
                                       train)
    assert rec == t_rec
    if not train:
        assert dec == t_dec


@pytest.mark.parametrize("name, feature", [("dropout_", False), ("feature_dropout", True), ("alpha_dropout", False),
                                           ("feature_alpha_dropout", True)])
def test_dropout_family_training_statistics(name, feature):
    """Training drops about p of the elements (whole channels for the feature variants); alpha dropout keeps
    a standard normal input's mean 0 and variance 1."""
    me.manual_seed(0)
    x = me.randn(400, 50, 4) if feature else me.randn(400, 200)
    out = getattr(me, name)(x.clone(), 0.3, True).numpy()
    if "alpha" in name:
        assert abs(out.mean()) < 0.05 and abs(out.var() - 1) < 0.05
        a = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.3 + 1) * 0.7)
        dropped = np.isclose(out, -1.7580993408473766 * a * 0.7) if not feature else None
    else:
        dropped = out == 0
    if dropped is not None:
        assert abs(dropped.mean() - 0.3) < 0.02
    if feature:
        per_channel = out.reshape(400 * 50, 4)
        assert (per_channel == per_channel[:, :1]).all(axis=1).mean() > 0.25   # dropped channels are constant
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
        me.feature_dropout(me.randn(3), 0.3, True)


@pytest.mark.parametrize("args", [(), (1,), (2, (0, 2), True)])
def test_tensor_norm_records_linalg_vector_norm(args):
    (rec, t_rec), _ = _both(lambda a: a.norm(*args), lambda a: a.norm(*args), [(2, 3, 4)])
    assert rec == t_rec == ["aten.linalg_vector_norm.default"]


@pytest.mark.parametrize("name", ["swapaxes_", "swapdims_"])
def test_inplace_swap_changes_shape_and_strides_as_torch(name):
    x, t = me.randn(2, 3, 4), torch.randn(2, 3, 4)
    assert getattr(x, name)(0, 2) is x and getattr(t, name)(0, 2) is t
    assert (tuple(x.shape), x.stride()) == (tuple(t.shape), t.stride())
