"""Sorting, scans, NaN-aware reductions and distances as programs: what export records (before and
after run_decompositions) is what torch.export records, the programs compute what torch computes,
and the public surface returns what torch's does (named tuples, unique's optional outputs).
"""
import io

import numpy as np
import pytest

import minexport as me
from minexport.export import export, load, save

_X = np.random.default_rng(7).standard_normal((6, 5)).astype(np.float32)
_X[1, 2] = np.nan
_INTS = np.random.default_rng(8).integers(0, 3, (6, 5)).astype(np.int64)


def _cases(t):
    """name -> (function of the input, which input): the same code runs on torch and on minexport."""
    F = t.nn.functional
    seq = t.tensor([-1.0, 0.0, 0.5, 2.0])
    other = t.ones(3, 5) * 0.25
    return {
        "sort": (lambda a: t.sort(a, 1, True), _X),
        "sort_stable": (lambda a: t.sort(a, stable=True, dim=0, descending=True), _X),
        "argsort_stable": (lambda a: t.argsort(a, stable=True, dim=1), _INTS),
        "msort": (lambda a: a.msort(), _X),
        "topk": (lambda a: a.topk(2, largest=False), _X),
        "kthvalue": (lambda a: t.kthvalue(a, 2, 1, True), _X),
        "median": (lambda a: (t.median(a), a.median(0), t.nanmedian(a, 1)), _X),
        "mode": (lambda a: t.mode(a, 1), _INTS),
        "quantile": (lambda a: t.quantile(a, 0.3, dim=1), _X),
        "quantile_q": (lambda a: t.quantile(a, t.tensor([0.25, 0.5]), dim=0, keepdim=True,
                                            interpolation="nearest"), _X),
        "nanquantile": (lambda a: a.nanquantile(0.4, interpolation="midpoint"), _X),
        "searchsorted": (lambda a: (t.searchsorted(seq, a, side="right"), t.bucketize(a, seq)), _X),
        "scans": (lambda a: (t.cumprod(a, 1), t.cummax(a, 0), a.cummin(1), t.logcumsumexp(a, 1)), _X),
        "nan_reductions": (lambda a: (t.nansum(a, 1), t.nanmean(a), t.var_mean(a, 1), t.std_mean(a, correction=0)),
                           _X),
        "aminmax": (lambda a: (t.aminmax(a, dim=1), t.count_nonzero(a, 0), t.logsumexp(a, 1)), _X),
        "cdist": (lambda a: (t.cdist(a, other), t.cdist(a, other, p=1.0)), _X),
        "cdist_mm": (lambda a: t.cdist(a, other, compute_mode="use_mm_for_euclid_dist"), _X),
        "distances": (lambda a: (F.pdist(a), F.cosine_similarity(a, a * 2), F.pairwise_distance(a, a + 1),
                                 t.dist(a, a * 3, 3), t.renorm(a, 2, 0, 1.0)), np.abs(_X) + 0.5),
        "unique": (lambda a: t.unique(a, return_inverse=True, return_counts=True), _INTS),
        "unique_dim": (lambda a: t.unique(a, dim=1), _INTS),
        "unique_consecutive": (lambda a: t.unique_consecutive(a, return_counts=True), _INTS),
    }


def _ops(graph):
    """The ops a graph calls, in order, without getitem (minexport reads a tuple's items all at once)."""
    return [str(n.target).replace("torch.ops.", "") for n in graph.nodes
            if n.op == "call_function" and "getitem" not in str(n.target)]


def _leaves(out):
    if isinstance(out, (list, tuple)):
        return [x for o in out for x in _leaves(o)]
    return [np.asarray(out.numpy())]


def _export_both(name):
    torch = pytest.importorskip("torch")
    results = []
    for t, exp in ((torch, torch.export.export), (me, export)):
        fn, data = _cases(t)[name]

        class M(t.nn.Module):
            def forward(self, a):
                return fn(a)
        ep = exp(M(), (t.from_numpy(data.copy()),))
        results.append((ep, fn, t.from_numpy(data.copy())))
    return results


@pytest.mark.parametrize("name", sorted(_cases(me)))
def test_export_records_torchs_ops(name):
    (tep, _, _), (mep, _, _) = _export_both(name)
    assert _ops(mep.graph) == _ops(tep.graph)
    assert _ops(mep.run_decompositions().graph) == _ops(tep.run_decompositions().graph)


@pytest.mark.parametrize("name", sorted(_cases(me)))
def test_programs_compute_torchs_values(name):
    (_, tfn, tx), (mep, _, mx) = _export_both(name)
    expected = _leaves(tfn(tx))
    for program in (mep, mep.run_decompositions()):
        got = _leaves(program.module()(mx))
        assert [g.shape for g in got] == [e.shape for e in expected]
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g.astype(np.float64), e.astype(np.float64), rtol=1e-5, atol=1e-5,
                                       equal_nan=True)


def test_unique_sizes_are_data_dependent():
    """unique's output size is an unbacked symbol shared by values and counts, asserted in [0, numel]."""
    (_, _, _), (mep, _, _) = _export_both("unique")
    values, inverse, counts = [n.args[0] for n in mep.graph.nodes if n.op == "output"][0]
    assert str(values.meta["val"].shape[0]) == str(counts.meta["val"].shape[0]) == "u0"
    assert tuple(inverse.meta["val"].shape) == (6, 5)
    assert "u0 <= 30" in str(mep.graph) and "u0 >= 0" in str(mep.graph)
    # the same program on other data: another number of distinct values
    out = mep.module()(me.tensor([[1, 1, 1, 1, 1]] * 6))
    assert [tuple(o.shape) for o in out] == [(1,), (6, 5), (1,)]


def test_saved_programs_load_and_run():
    # (torch cannot save a program returning a named tuple such as sort's, nor can minexport)
    for name in ("argsort_stable", "searchsorted", "unique", "quantile_q"):
        (_, tfn, tx), (mep, _, mx) = _export_both(name)
        buf = io.BytesIO()
        save(mep.run_decompositions(), buf)
        buf.seek(0)
        got = _leaves(load(buf).module()(mx))
        for g, e in zip(got, _leaves(tfn(tx))):
            np.testing.assert_allclose(g.astype(np.float64), e.astype(np.float64), rtol=1e-5, atol=1e-5,
                                       equal_nan=True)


# ------------------------------------------------------------ surface ----
def test_named_results():
    x = me.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    assert me.sort(x).values.tolist() == [[1.0, 2.0, 3.0], [0.0, 4.0, 5.0]]
    assert x.topk(1).indices.tolist() == [[0], [1]]
    assert me.kthvalue(x, 2).values.tolist() == [2.0, 4.0]
    assert x.median(1).indices.tolist() == [2, 2]
    assert me.aminmax(x).max.item() == 5.0 and me.aminmax(x).min.item() == 0.0
    assert me.cummax(x, 1).values.tolist() == [[3.0, 3.0, 3.0], [0.0, 5.0, 5.0]]
    assert type(me.mode(x, 1)).__name__ == "mode"


def test_stable_keyword_picks_the_stable_overload():
    ties = me.tensor([2, 1, 2, 1, 2])
    assert me.sort(ties, stable=True, descending=True).indices.tolist() == [0, 2, 4, 1, 3]
    assert ties.argsort(stable=True).tolist() == [1, 3, 0, 2, 4]


def test_sort_orders_nan_as_torch():
    x = me.tensor([1.0, float("nan"), -2.0, float("nan")])
    assert me.sort(x).indices.tolist() == [2, 0, 1, 3]
    assert me.sort(x, descending=True).indices.tolist() == [1, 3, 0, 2]


def test_unique_returns_what_was_asked():
    x = me.tensor([3, 1, 3, 2])
    assert me.unique(x).tolist() == [1, 2, 3]
    values, counts = me.unique(x, return_counts=True)
    assert counts.tolist() == [1, 1, 2]
    values, inverse = x.unique(return_inverse=True)
    assert inverse.tolist() == [2, 0, 2, 1]
    assert me.unique_consecutive(me.tensor([1, 1, 2, 1]), return_counts=True)[1].tolist() == [2, 1, 1]


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="not a valid value for compute_mode"):
        me.cdist(me.ones(2, 3), me.ones(2, 3), compute_mode="fast")
    with pytest.raises(RuntimeError, match=r"quantile\(\) q must be in the range \[0, 1\] but got 1.5"):
        me.quantile(me.ones(3), 1.5)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        me.topk(me.ones(3), 4)
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites"):
        me.searchsorted(me.ones(3), me.ones(2), side="left", right=True)
