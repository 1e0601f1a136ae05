"""minexport on a real GPU through CuPy: the op table and exported programs on `cuda` against `cpu`.

Skipped (with the reason) where CuPy is not installed or sees no CUDA device; CI
covers the same code path on the CPU through the CuPy double (test_cupy_double.py).
GPU kernels round differently from NumPy (fused multiply-adds, other reduction
orders, their own transcendental functions), so floats compare with a tolerance.
"""
import numpy as np
import pytest

import minexport as me
from cuda_checks import CORPUS, CUDA, FAMILIES, PROGRAMS, check_export_on_cuda, check_op, check_program


def _gpu_or_reason():
    try:
        import cupy
    except ImportError as e:
        return None, f"CuPy is not installed ({e}); pip install 'minexport[gpu]'"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:   # (CuPy raises its own CUDARuntimeError without a driver)
        return None, f"CuPy sees no CUDA device ({type(e).__name__}: {e})"
    if count == 0:
        return None, "CuPy sees no CUDA device"
    return cupy, ""


cupy, _reason = _gpu_or_reason()
pytestmark = pytest.mark.skipif(cupy is None, reason=_reason or "no GPU")
GPU_TOL = (1e-4, 1e-5)


@pytest.fixture(autouse=True)
def real_cupy():
    """The real CuPy serves `cuda` (a double installed by another test is set aside)."""
    from cupyx.scipy import special

    from minexport.runtime import backends
    previous = backends.use_cupy_module(cupy, special)
    yield
    backends.use_cupy_module(*previous)


def test_tensor_round_trip():
    x = me.arange(6.0).reshape(2, 3)
    y = x.cuda()
    assert y.device == CUDA and isinstance(y._data, cupy.ndarray)
    np.testing.assert_array_equal((y * 2 + 1).cpu().numpy(), x.numpy() * 2 + 1)
    assert y.sum().item() == 15.0


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_op_table_on_gpu(family):
    """Each op family's samples give the cpu's results on the GPU (to GPU_TOL)."""
    failures = {}
    for name in FAMILIES[family]:
        try:
            problem = check_op(name, GPU_TOL)
        except Exception as e:   # (reported with the op's name, with the others)
            problem = f"{name}: {type(e).__name__}: {str(e)[:300]}"
        if problem:
            failures[name] = problem
    assert not failures, f"{len(failures)} of {len(FAMILIES[family])} ops differ on the GPU:\n" + \
        "\n".join(f"  {v}" for v in failures.values())


@pytest.mark.parametrize("path", PROGRAMS, ids=[f"{p.parent.name}/{p.stem}" for p in PROGRAMS])
def test_exported_program_on_gpu(path):
    """Exported programs moved to the GPU give the cpu program's outputs."""
    check_program(path, GPU_TOL)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_export_on_cuda_inputs(path):
    """A model on cuda exports with cuda example inputs and its program runs on cuda."""
    check_export_on_cuda(path, GPU_TOL)
