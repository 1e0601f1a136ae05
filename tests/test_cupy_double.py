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
import collections
import importlib.util
import pathlib

import numpy as np
import pytest

import minexport as me
from minexport._tensor import make_tensor, make_view
from minexport.ops import all_ops
from minexport.ops.shape import _owner
from minexport.runtime import backends
from op_samples import RANDOM, SAMPLES

from fake_cupy import cupy as fake_cupy
from fake_cupy.cupyx.scipy import special as fake_special

CUDA = me.device("cuda", 0)
OPS = {str(op): op for op in all_ops()}
ARG_NAMES = {name: [a.name for a in op._schema.arguments] for name, op in OPS.items()}


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


# ------------------------------------------------------------ the op table ----
def _to_cuda(x, memo):
    """A cuda copy of a sample argument with the same strides, offset and memory sharing."""
    if isinstance(x, me.Tensor):
        if x._data is None:
            return x
        root, offset = _owner(x._data)
        key = id(root)
        if key not in memo:
            flat = fake_cupy.asarray(np.ascontiguousarray(root).reshape(-1))
            base = make_tensor(flat.reshape(root.shape))
            memo[key] = (root, flat, base)
        _, flat, base = memo[key]
        arr = fake_cupy.lib.stride_tricks.as_strided(flat[offset:], shape=x._data.shape,
                                                     strides=x._data.strides)
        return make_view(arr, base) if x._base is not None else make_tensor(arr)
    if isinstance(x, me.device) and x.type == "cpu":
        return CUDA
    if isinstance(x, (list, tuple)):
        return type(x)(_to_cuda(y, memo) for y in x)
    return x


def _host(x):
    if isinstance(x, me.Tensor):
        assert x.device == CUDA, f"a {x.device} result, expected cuda"
        return x.cpu().numpy()
    if isinstance(x, (list, tuple)):
        return [_host(y) for y in x]
    return x


def _plain(x):
    if isinstance(x, me.Tensor):
        return x.numpy()
    if isinstance(x, (list, tuple)):
        return [_plain(y) for y in x]
    return x


def _same(got, expected, where, shapes_only=False):
    if isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray), f"{where}: {type(got).__name__} for an array"
        assert (got.shape, got.dtype) == (expected.shape, expected.dtype), \
            f"{where}: {got.shape} {got.dtype} != {expected.shape} {expected.dtype}"
        if not shapes_only:
            np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6, equal_nan=True, err_msg=where)
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{where}: {got!r} vs {expected!r}"
        for i, (g, e) in enumerate(zip(got, expected)):
            _same(g, e, f"{where}[{i}]", shapes_only)
    elif not shapes_only and isinstance(expected, float) and expected != expected:
        assert got != got, where
    elif not shapes_only:
        assert got == expected, f"{where}: {got!r} != {expected!r}"


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs), None
    except (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError, AttributeError,
            ZeroDivisionError) as e:
        return None, e


def check_op(name):
    """Run every sample of op `name` on cpu and on cuda; '' when they agree, else what differs."""
    op = OPS[name]
    for sample in SAMPLES[name]():
        memo = {}
        args = _to_cuda(list(sample.args), memo)
        kwargs = {k: _to_cuda(v, memo) for k, v in sample.kwargs.items()}
        if "device" in ARG_NAMES[name] and "device" not in kwargs and \
                len(sample.args) <= ARG_NAMES[name].index("device"):
            kwargs["device"] = CUDA     # factories make their results on cuda
        expected, cpu_err = _run(op, *sample.args, **sample.kwargs)
        got, err = _run(op, *args, **kwargs)
        where = f"{name}{sample}"
        if cpu_err is not None or err is not None:
            if cpu_err is None or err is None or type(err) is not type(cpu_err):
                return f"{where}: cpu raised {cpu_err!r}, cuda raised {err!r}"
            continue
        try:
            _same(_host(got), _plain(expected), where, shapes_only=name in RANDOM)
            # what the op wrote into its arguments
            _same(_host([a for a in args if isinstance(a, me.Tensor)]),
                  _plain([a for a in sample.args if isinstance(a, me.Tensor)]), where + " (arguments)",
                  shapes_only=name in RANDOM)
        except AssertionError as e:
            return f"{where}: " + str(e).split("\n")[0][:400]
    return ""


def _family(name):
    kernel = OPS[name].kernel
    return getattr(kernel, "__module__", None) or "other"


FAMILIES = collections.defaultdict(list)
for _name in sorted(OPS):
    if _name in SAMPLES:
        FAMILIES[_family(_name).rsplit(".", 1)[-1]].append(_name)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_op_table_on_cuda(family):
    """Each op family's samples give the same results on the double's cuda as on cpu."""
    failures = {}
    for name in FAMILIES[family]:
        try:
            problem = check_op(name)
        except Exception as e:
            problem = f"{name}: {type(e).__name__}: {str(e)[:300]}"
        if problem:
            failures[name] = problem
    assert not failures, f"{len(failures)} of {len(FAMILIES[family])} ops differ on cuda:\n" + \
        "\n".join(f"  {v}" for v in failures.values())


# ------------------------------------------------------------ the interpreter ----
ROOT = pathlib.Path(__file__).resolve().parent
PROGRAMS = sorted([*ROOT.glob("model_corpus/[a-z]*.py"), *ROOT.glob("conformance_cases/[a-z]*.py")],
                  key=lambda p: (p.parent.name, p.stem))


def _load_case(path):
    spec = importlib.util.spec_from_file_location("cupy_double_case", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _leaves(out):
    from minexport.utils import _pytree
    return [x for x in _pytree.tree_leaves(out) if isinstance(x, me.Tensor)]


@pytest.mark.parametrize("path", PROGRAMS, ids=[f"{p.parent.name}/{p.stem}" for p in PROGRAMS])
def test_exported_program_on_cuda(path):
    """A torch-written model exported on cpu, moved to cuda (move_to_device_pass) runs `ep.module()` on
    cuda inputs: outputs on cuda, equal to the cpu program's, inputs mutated alike."""
    from minexport.compat import as_torch
    from minexport.export.passes import move_to_device_pass
    with as_torch() as torch:
        torch.manual_seed(0)
        case = _load_case(path)
        args = tuple(case.example_args)
        memo = {}
        cuda_args = _to_cuda(list(args), memo)
        dynamic = getattr(case, "dynamic_shapes", None)
        try:
            ep = torch.export.export(case.model, args, dynamic_shapes=dynamic)
        except (RuntimeError, ValueError, TypeError, NotImplementedError) as e:
            pytest.skip(f"the case is refused on cpu too ({type(e).__name__}: {str(e)[:80]})")
        # moved (its state copied to cuda) before the cpu run changes any buffer
        on_cuda = move_to_device_pass(torch.export.export(case.model, args, dynamic_shapes=dynamic), "cuda")
        assert all(t.device == CUDA for t in on_cuda.state_dict.values())
        want = ep.module()(*args)
        got = on_cuda.module()(*cuda_args)
    want, got = _leaves(want), _leaves(got)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.device == CUDA, f"output {i} on {g.device}"
        np.testing.assert_allclose(g.cpu().numpy(), w.numpy(), rtol=1e-5, atol=1e-6, err_msg=f"output {i}")
    for i, (g, w) in enumerate(zip(cuda_args, args)):
        if isinstance(w, me.Tensor):
            np.testing.assert_allclose(g.cpu().numpy(), w.numpy(), rtol=1e-5, atol=1e-6, err_msg=f"input {i}")
