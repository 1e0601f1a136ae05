"""The CUDA code path, run on the CPU through a CuPy test double (tests/fake_cupy).

With the double installed, a tensor made with `device="cuda"` holds a double
`ndarray`: kernels receive the double's namespace as `xp`, and an array that
reaches NumPy (np.<fn>(device_array), a NumPy array mixed into a device
operation, a missing CuPy name) fails as it would on a GPU.  Every op in the
sample table runs on "cuda" copies of its samples and must give the CPU's
results (values, dtypes, devices, writes into arguments), or refuse with the
CPU's error; exported programs (the examples, the model corpus) run through
`ep.module()` on cuda inputs and weights.
"""
import pathlib

import numpy as np
import pytest

import minexport as me
from minexport.runtime import backends
from cuda_checks import (CORPUS, CUDA, FAMILIES, PROGRAMS, REORDERED_SUM, check_export_on_cuda, check_op,
                         check_program, tolerance)

from fake_cupy import cupy as fake_cupy
from fake_cupy.cupyx.scipy import special as fake_special



@pytest.fixture(autouse=True)
def double():
    """The double serves `cuda` for the test; the real (lazy) import comes back after it."""
    previous = backends.use_cupy_module(fake_cupy, fake_special)
    yield
    backends.use_cupy_module(*previous)


# ------------------------------------------------------------ the double itself ----
def test_double_refuses_implicit_numpy():
    a = fake_cupy.arange(6).reshape(2, 3)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        np.asarray(a)
    with pytest.raises(TypeError, match="does not support ufuncs"):
        np.exp(a)
    with pytest.raises(TypeError, match="Unsupported type"):
        a + np.ones(3)
    assert not hasattr(fake_cupy, "errstate") and not hasattr(fake_cupy, "frompyfunc")
    with pytest.raises(NotImplementedError):
        fake_cupy.maximum.accumulate(a)
    assert type(fake_cupy.sum(a)) is fake_cupy.ndarray          # 0-d arrays, not scalars
    np.testing.assert_array_equal(fake_cupy.asnumpy(a), np.arange(6).reshape(2, 3))


def test_cuda_tensor_round_trip():
    x = me.arange(6.0).reshape(2, 3)
    y = x.cuda()
    assert y.device == CUDA and y.is_cuda and type(y._data) is fake_cupy.ndarray
    assert (y * 2 + 1).device == CUDA
    with pytest.raises(TypeError, match="can't convert cuda tensor to numpy"):
        y.numpy()
    np.testing.assert_array_equal(y.cpu().numpy(), x.numpy())
    assert y.sum().item() == 15.0
    assert me.zeros(2, device="cuda").device == CUDA


def test_ufunc_at_fallback_matches_numpy():
    """multiply.at (no CuPy kernel) in rounds: repeated indices apply in order, as NumPy's does."""
    rng = np.random.default_rng(0)
    for shape, index in (((5,), (np.array([0, 2, 2, 4, 2, 0]),)),
                         ((3, 4), (np.array([0, 0, 2, 1, 0]), np.array([1, 1, 3, 0, 1]))),
                         ((4, 3), (np.array([3, 3, 1]), slice(None))),
                         ((4,), (np.array([], dtype=np.int64),))):
        a = rng.uniform(0.5, 2.0, shape).astype(np.float32)
        vals = rng.uniform(0.5, 2.0, a[index].shape).astype(np.float32)
        want = a.copy()
        np.multiply.at(want, index, vals)
        got = fake_cupy.asarray(a)
        device_index = tuple(fake_cupy.asarray(i) if isinstance(i, np.ndarray) else i for i in index)
        backends.ufunc_at(fake_cupy, "multiply", got, device_index, fake_cupy.asarray(vals))
        np.testing.assert_array_equal(got.get(), want)


def test_ufunc_accumulate_fallback_matches_numpy():
    """maximum/minimum/logaddexp.accumulate (no CuPy kernels) as a doubling scan, along any axis."""
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 37, 2)).astype(np.float32)
    a[1, 5, 0] = np.nan
    for name, axis in (("maximum", 1), ("minimum", 0), ("maximum", -1), ("logaddexp", 1)):
        with np.errstate(invalid="ignore"):      # the NaN
            want = getattr(np, name).accumulate(a, axis=axis)
            got = backends.ufunc_accumulate(fake_cupy, name, fake_cupy.asarray(a), axis).get()
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0, equal_nan=True, err_msg=f"{name} {axis}")


# ------------------------------------------------------------ the op table, the interpreter ----
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_op_table_on_cuda(family):
    """Each op family's samples give the same results on the double's cuda as on cpu."""
    failures = {}
    for name in FAMILIES[family]:
        try:
            problem = check_op(name, tolerance(name))
        except Exception as e:
            problem = f"{name}: {type(e).__name__}: {str(e)[:300]}"
        if problem:
            failures[name] = problem
    assert not failures, f"{len(failures)} of {len(FAMILIES[family])} ops differ on cuda:\n" + \
        "\n".join(f"  {v}" for v in failures.values())


@pytest.mark.parametrize("path", PROGRAMS, ids=[f"{p.parent.name}/{p.stem}" for p in PROGRAMS])
def test_exported_program_on_cuda(path):
    """A torch-written model exported on cpu and moved to cuda runs `ep.module()` on cuda inputs: outputs
    on cuda and equal to the cpu program's, inputs mutated alike."""
    check_program(path, REORDERED_SUM)       # (models convolve: see cuda_checks.REORDERED_SUM)


def _gpu_speed():
    import sys
    root = str(pathlib.Path(__file__).resolve().parent.parent)
    sys.path.insert(0, root)
    try:
        from bench import gpu_speed
    finally:
        sys.path.remove(root)
    return gpu_speed


def test_generated_code_on_the_double():
    """aot_compile(options={"device": "cuda"}) writes code against `cupy`; it runs on the double (importable
    as `cupy` for the test) and gives the eager model's results, on cuda."""
    try:
        from minexport._export import aot_compile, aot_load
    except ImportError:
        pytest.skip("minexport._export.aot_compile (the code generator) is not in this checkout")
    me.manual_seed(0)
    model = me.nn.Sequential(me.nn.Linear(8, 16), me.nn.GELU(), me.nn.LayerNorm(16), me.nn.Linear(16, 4))
    x = me.randn(3, 8)
    want = model(x)
    with _gpu_speed()._double_installed():
        run = aot_load(aot_compile(model, (x,), options={"device": "cuda"}), device="cuda")
        got = run(x.cuda())
        got = got if isinstance(got, me.Tensor) else got[0]
        assert got.device == CUDA
        np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_gpu_bench_runs_on_the_double(capsys):
    """bench/gpu_speed.py's steps (export, move to cuda, the interpreter on CuPy) run on the double."""
    import sys
    gpu_speed = _gpu_speed()
    assert gpu_speed.main(["--double", "--sizes", "1x4", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith("1x4"), out
    assert "cupy" not in sys.modules      # the double was importable as `cupy` only during the run


# torch lets a 0-d cpu tensor made in forward (torch.tensor(finfo.min), a constant tensor indexed to 0-d) combine
# with cuda tensors as a scalar; ep.module() hands it to the CuPy kernel as a NumPy array, which CuPy refuses
# (found when these models joined the corpus; not fixed yet)
_CPU_SCALAR_ON_CUDA = "a 0-d cpu constant reaches a CuPy kernel as a NumPy array (torch treats it as a scalar)"
_CUDA_XFAIL = {"distilbert_mean_pool": _CPU_SCALAR_ON_CUDA, "yolo": _CPU_SCALAR_ON_CUDA}


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.xfail(reason=_CUDA_XFAIL[p.stem], strict=True))
                                  if p.stem in _CUDA_XFAIL else p for p in CORPUS], ids=[p.stem for p in CORPUS])
def test_export_on_cuda_inputs(path):
    """A model on cuda exports with cuda example inputs and its program runs on cuda."""
    check_export_on_cuda(path, REORDERED_SUM)
