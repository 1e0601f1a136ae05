"""minexport.runtime.dask.apply: exported programs run chunk by chunk over dask arrays (spec/dask.md).

Results are compared with `ep.module()` on the same rows; the checks made
before anything runs are tested by their messages; one short run on a
two-process `dask.distributed` LocalCluster shows the program is loaded once
per worker.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="dask is an optional extra: pip install 'minexport[dask]'")

import minexport as me  # noqa: E402
import minexport.nn as nn  # noqa: E402
from minexport.export import Dim, export, load, save  # noqa: E402
from minexport.runtime import dask as mdask  # noqa: E402


def _mlp():
    me.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3)).eval()


def _rows(n, width=6, seed=0):
    return np.random.default_rng(seed).standard_normal((n, width)).astype(np.float32)


def _reference(ep, *arrays):
    out = ep.module()(*[me.tensor(a.copy()) for a in arrays])
    out = list(out.values()) if isinstance(out, dict) else out
    return [o.numpy() for o in (out if isinstance(out, (tuple, list)) else (out,))]


@pytest.fixture
def fresh_cache():
    mdask._cache.clear()
    yield
    mdask._cache.clear()


def test_static_batch_runs_each_chunk(fresh_cache):
    ep = export(_mlp(), (me.randn(8, 6),))
    a = _rows(40)
    y = mdask.apply(ep, da.from_array(a, chunks=(8, 6)))
    # chunks, dtype and meta come from the program's metadata: nothing has run yet
    assert y.chunks == ((8,) * 5, (3,)) and y.dtype == np.float32 and type(y._meta) is np.ndarray
    assert mdask.cache_info()["programs"] == []
    # the program is one key of the graph, which all 5 chunk tasks read
    keys = [str(k) for k in dict(y.__dask_graph__())]
    assert sum(k.startswith("minexport-program-") for k in keys) == 1
    assert sum(k.startswith("('minexport-out0-") for k in keys) == 5      # a single output: no getitem tasks
    got = y.compute(scheduler="threads")
    want = np.concatenate([_reference(ep, a[i:i + 8])[0] for i in range(0, 40, 8)])
    np.testing.assert_array_equal(got, want)


def test_program_is_loaded_once_per_process(fresh_cache):
    ep = export(_mlp(), (me.randn(8, 6),), dynamic_shapes=({0: Dim("b", max=64)},))
    before = mdask.cache_info()["loads"]
    y = mdask.apply(ep, da.from_array(_rows(200), chunks=(10, 6)))
    y.compute(scheduler="threads", num_workers=2)
    info = mdask.cache_info()
    assert info["loads"] == before + 1
    assert [n for _, n in info["programs"]] == [20]       # 20 chunks, one load


def test_dynamic_batch_uneven_chunks():
    ep = export(_mlp(), (me.randn(8, 6),), dynamic_shapes=({0: Dim("b", min=2, max=64)},))
    a = _rows(100)
    y = mdask.apply(ep, da.from_array(a, chunks=((30, 30, 30, 10), (6,))))
    assert y.chunks == ((30, 30, 30, 10), (3,))
    np.testing.assert_allclose(y.compute(), np.concatenate([_reference(ep, a[i:i + 30])[0] for i in range(0, 100, 30)]),
                               rtol=1e-6)


class _TwoOutputs(nn.Module):
    def forward(self, x, y):
        return {"both": me.cat([x, x], dim=0), "total": x.sum(1) + y}


def test_output_tree_and_sizes_from_symbols():
    b = Dim("b")
    ep = export(_TwoOutputs(), (me.randn(8, 4), me.randn(8)), dynamic_shapes=({0: b}, {0: b}))
    a, c = _rows(20, 4), _rows(1, 20)[0]
    out = mdask.apply(ep, da.from_array(a, chunks=(5, 4)), da.from_array(c, chunks=5))
    assert set(out) == {"both", "total"}
    assert out["both"].chunks == ((10,) * 4, (4,))              # 2 * s0 rows per chunk
    assert out["total"].chunks == ((5,) * 4,)
    both, total = (o.compute() for o in (out["both"], out["total"]))
    want = [_reference(ep, a[i:i + 5], c[i:i + 5]) for i in range(0, 20, 5)]
    np.testing.assert_array_equal(both, np.concatenate([w[0] for w in want]))
    np.testing.assert_allclose(total, np.concatenate([w[1] for w in want]), rtol=1e-6)


class _Masked(nn.Module):
    def forward(self, x):
        return x[x > 0.5]


def test_data_dependent_output_has_unknown_chunks():
    ep = export(_Masked(), (me.randn(8, 4),), dynamic_shapes=({0: Dim("b")},))
    a = _rows(20, 4)
    y = mdask.apply(ep, da.from_array(a, chunks=(5, 4)))
    assert len(y.chunks[0]) == 4 and all(np.isnan(c) for c in y.chunks[0])
    np.testing.assert_array_equal(y.compute(), np.concatenate([a[i:i + 5][a[i:i + 5] > 0.5] for i in range(0, 20, 5)]))


class _Mutating(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("count", me.zeros(1))

    def forward(self, x):
        self.count.add_(1)
        x.mul_(2)
        return x + self.count


def test_mutations_start_every_chunk_from_the_exported_state():
    ep = export(_Mutating(), (me.randn(8, 4),), dynamic_shapes=({0: Dim("b")},))
    a = _rows(20, 4)
    kept = a.copy()
    y = mdask.apply(ep, da.from_array(a, chunks=(5, 4))).compute(scheduler="threads")
    np.testing.assert_allclose(y, 2 * kept + 1, rtol=1e-6)     # every chunk sees count == 0 before its add_
    np.testing.assert_array_equal(a, kept)                     # input chunks are not written to
    assert float(ep.state_dict["count"].item()) == 0.0


def test_batch_dim_other_than_zero():
    ep = export(_mlp(), (me.randn(8, 6),), dynamic_shapes=({0: Dim("b")},))
    a = _rows(30)
    x = da.from_array(a.T.copy(), chunks=(6, 10)).T            # rows chunked along dim 0 of the transpose
    y = mdask.apply(ep, x.T.T, batch_dim=-2)
    np.testing.assert_allclose(y.compute(), _reference(ep, a)[0], rtol=1e-5, atol=1e-6)


def test_archive_path(tmp_path, fresh_cache):
    ep = export(_mlp(), (me.randn(8, 6),), dynamic_shapes=({0: Dim("b", max=64)},))
    path = tmp_path / "mlp.pt2"
    save(ep, path)
    a = _rows(50)
    y = mdask.apply(str(path), da.from_array(a, chunks=(25, 6)))
    np.testing.assert_allclose(y.compute(), _reference(ep, a)[0], rtol=1e-6)
    assert mdask.cache_info()["programs"][0][0][:2] == ("file", str(path))
    # a file changed after apply() is refused rather than mixing two programs in one result
    mdask._cache.clear()
    save(export(_mlp(), (me.randn(8, 6),)), path)
    os.utime(path, ns=(1, 1))
    with pytest.raises(RuntimeError, match="changed after minexport.runtime.dask.apply"):
        y.compute(scheduler="sync")


def test_torch_written_archive():
    path = os.path.join(os.path.dirname(__file__), "..", "examples", "data", "torch_convnet.pt2")
    ep = load(path)
    x = [n for n in ep.graph.nodes if n.op == "placeholder"][-1].meta["val"]     # static [2, 3, 8, 8]
    a = np.random.default_rng(0).standard_normal((6, *x.shape[1:])).astype(np.float32)
    y = mdask.apply(path, da.from_array(a, chunks=(2, *x.shape[1:])))
    want = np.concatenate([_reference(ep, a[i:i + 2])[0] for i in range(0, 6, 2)])
    np.testing.assert_allclose(y.compute(), want, rtol=1e-5, atol=1e-6)


# -------------------------------------------------------------- refusals --
def _refusal(ep, *arrays, **kwargs):
    with pytest.raises((ValueError, TypeError)) as info:
        mdask.apply(ep, *arrays, **kwargs)
    return str(info.value)


def test_static_batch_needs_equal_chunks():
    ep = export(_mlp(), (me.randn(8, 6),))
    msg = _refusal(ep, da.from_array(_rows(20), chunks=(8, 6)))
    assert "static batch of 8" in msg and "(8, 8, 4)" in msg and ".rechunk({0: 8})" in msg
    assert "pad or drop the last 4 rows" in msg


def test_dynamic_batch_range_is_checked_before_running():
    ep = export(_mlp(), (me.randn(8, 6),), dynamic_shapes=({0: Dim("b", min=2, max=64)},))
    msg = _refusal(ep, da.from_array(_rows(100), chunks=(70, 6)))
    assert "<= 64" in msg and "(70, 30)" in msg and ".rechunk({0: 64})" in msg
    msg = _refusal(ep, da.from_array(_rows(100), chunks=(33, 6)))      # a last chunk of 1 row, below 2
    assert ">= 2" in msg and ".rechunk({0: (25, 25, 25, 25)})" in msg


class _Ragged(nn.Module):
    def forward(self, x):
        return me.cat([x, x[:, :1]], 1).cumsum(1)


def test_dynamic_non_batch_dim():
    ep = export(_Ragged(), (me.randn(4, 6),), dynamic_shapes=({0: Dim("b"), 1: Dim("t", min=3, max=10)},))
    a = _rows(12, 7)
    y = mdask.apply(ep, da.from_array(a, chunks=(4, 7)))
    assert y.chunks == ((4, 4, 4), (8,))                       # t + 1 columns
    np.testing.assert_allclose(y.compute(), np.concatenate([a, a[:, :1]], 1).cumsum(1), rtol=1e-5)
    msg = _refusal(ep, da.from_array(_rows(12, 12), chunks=(4, 12)))
    assert msg == "the inputs do not fit the program: Guard failed: x.size()[1] <= 10 (got 12)"


def test_other_dims_must_be_one_chunk():
    ep = export(_mlp(), (me.randn(8, 6),), dynamic_shapes=({0: Dim("b")},))
    msg = _refusal(ep, da.from_array(_rows(16), chunks=(8, 3)))
    assert "chunked along dim 1" in msg and ".rechunk({1: -1})" in msg


def test_inputs_must_share_batch_chunks():
    b = Dim("b")
    ep = export(_TwoOutputs(), (me.randn(8, 4), me.randn(8)), dynamic_shapes=({0: b}, {0: b}))
    msg = _refusal(ep, da.from_array(_rows(20, 4), chunks=(5, 4)), da.from_array(_rows(1, 20)[0], chunks=10))
    assert "chunked differently" in msg and "(5, 5, 5, 5) vs (10, 10)" in msg


@pytest.mark.parametrize("make, expected", [
    (lambda: (da.from_array(_rows(16).astype(np.float64), chunks=(8, 6)),), "astype('float32')"),
    (lambda: (da.from_array(_rows(16, 5), chunks=(8, 5)),), "dim 1 has size 5"),
    (lambda: (_rows(16),), "expected a dask array"),
    (lambda: (), "takes 1 input"),
])
def test_inputs_that_do_not_fit_are_named(make, expected):
    ep = export(_mlp(), (me.randn(8, 6),), dynamic_shapes=({0: Dim("b")},))
    assert expected in _refusal(ep, *make())


def test_chunk_that_lies_about_its_dtype_is_refused_in_the_task():
    ep = export(_mlp(), (me.randn(8, 6),), dynamic_shapes=({0: Dim("b")},))
    x = da.from_array(_rows(16), chunks=(8, 6)).map_blocks(lambda b: b.astype(np.float64), dtype=np.float32)
    y = mdask.apply(ep, x)
    with pytest.raises(TypeError, match="float64.* but the dask array declared float32"):
        y.compute(scheduler="sync")


class _Scalar(nn.Module):
    def forward(self, x):
        return x.sum()


def test_output_without_batch_dim_is_refused():
    ep = export(_Scalar(), (me.randn(8, 4),), dynamic_shapes=({0: Dim("b")},))
    assert "no batch dim 0" in _refusal(ep, da.from_array(_rows(16, 4), chunks=(8, 4)))


def test_not_a_program():
    with pytest.raises(TypeError, match="ExportedProgram or the path"):
        mdask.apply(42, da.zeros((4, 4)))
    with pytest.raises(FileNotFoundError, match="no archive"):
        mdask.apply("/nonexistent/model.pt2", da.zeros((4, 4)))


def test_import_minexport_does_not_import_dask():
    code = "import sys, minexport, minexport.runtime; print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == "False"


# ------------------------------------------------------- dask.distributed --
def test_distributed_two_worker_processes():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    try:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=40)
    except Exception as e:          # e.g. a sandbox that refuses local sockets or subprocesses
        pytest.skip(f"a LocalCluster could not start here: {type(e).__name__}: {e}")
    try:
        with distributed.Client(cluster) as client:
            ep = export(_mlp(), (me.randn(8, 6),), dynamic_shapes=({0: Dim("b")},))
            a = _rows(320)
            y = mdask.apply(ep, da.from_array(a, chunks=(16, 6)))      # the default client: scattered
            graph = dict(y.__dask_graph__())
            shipped = [v for k, v in graph.items() if str(k).startswith("minexport-program-")]
            assert len(shipped) == 1 and isinstance(shipped[0], distributed.Future)
            np.testing.assert_allclose(y.compute(), _reference(ep, a)[0], rtol=1e-5, atol=1e-6)
            per_worker = client.run(mdask.cache_info).values()
            ran = [info for info in per_worker if info["programs"]]
            assert ran and all(info["loads"] == 1 for info in ran)      # once per worker, not per chunk
            assert sum(n for info in ran for _, n in info["programs"]) == 20
    finally:
        cluster.close()
