"""Checks that run minexport's CUDA path (on whatever `cupy` backends serves: the CPU double of
tests/fake_cupy, or real CuPy on a GPU) against its CPU path.

`check_op(name, tol)` runs every sample of an op on cpu and on cuda copies of
its arguments (same strides, offsets and memory sharing; factories get
`device="cuda"`) and says what differs; `check_program(path, tol)` exports a
torch-written model on cpu, moves it to cuda with move_to_device_pass and
compares `ep.module()`'s outputs and input mutations.
"""
import collections
import pathlib

import numpy as np
import pytest

import minexport as me
from minexport._tensor import make_tensor, make_view
from minexport.ops import all_ops
from minexport.ops.shape import _owner
from minexport.runtime import backends
from op_samples import RANDOM, SAMPLES

CUDA = me.device("cuda", 0)
OPS = {str(op): op for op in all_ops()}
ARG_NAMES = {name: [a.name for a in op._schema.arguments] for name, op in OPS.items()}
EXACT = (1e-6, 1e-6)      # the double runs NumPy's own code: results agree to rounding
# On NumPy arrays the convolutions take conv_kernels' fast path (im2col and one GEMM), which adds the terms
# in another order than the general kernel the double runs: the two agree to float32 rounding of the
# terms (about 1e-7 of the largest), not of a result that cancels down from them.  Whole programs (the
# corpus models convolve) compare to this tolerance too.
REORDERED_SUM = (1e-5, 1e-5)


def tolerance(name):
    """The (rtol, atol) cpu and the double's cuda agree to for op `name`."""
    return REORDERED_SUM if "conv" in name else EXACT


def _to_cuda(x, memo):
    """A cuda copy of a sample argument with the same strides, offset and memory sharing."""
    if isinstance(x, me.Tensor):
        if x._data is None:
            return x
        cp = backends.backend_for_device(CUDA)
        root, offset = _owner(x._data)
        key = id(root)
        if key not in memo:
            # the root's memory in memory order (a C- or F-ordered owner), so byte strides carry over
            flat = cp.asarray(root.ravel(order="K"))
            base = make_tensor(cp.lib.stride_tricks.as_strided(flat, shape=root.shape, strides=root.strides))
            memo[key] = (root, flat, base)
        _, flat, base = memo[key]
        arr = cp.lib.stride_tricks.as_strided(flat[offset:], shape=x._data.shape, strides=x._data.strides)
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


def _same(got, expected, where, shapes_only=False, tol=EXACT):
    if isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray), f"{where}: {type(got).__name__} for an array"
        assert (got.shape, got.dtype) == (expected.shape, expected.dtype), \
            f"{where}: {got.shape} {got.dtype} != {expected.shape} {expected.dtype}"
        if not shapes_only:
            rtol, atol = tol if got.dtype != np.float16 else (max(tol[0], 1e-3), max(tol[1], 1e-3))
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{where}: {got!r} vs {expected!r}"
        for i, (g, e) in enumerate(zip(got, expected)):
            _same(g, e, f"{where}[{i}]", shapes_only, tol)
    elif not shapes_only and isinstance(expected, float) and expected != expected:
        assert got != got, where
    elif not shapes_only:
        assert got == expected, f"{where}: {got!r} != {expected!r}"


def _describe(out):
    """(shape, dtype, device) of every tensor in an output, recursively."""
    if isinstance(out, me.Tensor):
        return (tuple(out.shape), out.dtype, str(out.device))
    if isinstance(out, (list, tuple)):
        return [_describe(o) for o in out]
    return type(out).__name__ if not isinstance(out, (int, float, bool)) else type(out).__name__


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs), None
    except (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError, AttributeError,
            ZeroDivisionError) as e:
        return None, e


def check_op(name, tol=EXACT):
    """Run every sample of op `name` on cpu and on cuda; '' when they agree, else what differs."""
    op = OPS[name]
    for sample in SAMPLES[name]():
        memo = {}
        args = _to_cuda(list(sample.args), memo)
        kwargs = {k: _to_cuda(v, memo) for k, v in sample.kwargs.items()}
        if "device" in ARG_NAMES[name] and "device" not in kwargs and \
                len(sample.args) <= ARG_NAMES[name].index("device"):
            kwargs["device"] = CUDA     # factories make their results on cuda
        meta, meta_err = _run(op.meta, *args, **kwargs) if op.meta is not None else (None, None)
        expected, cpu_err = _run(op, *sample.args, **sample.kwargs)
        got, err = _run(op, *args, **kwargs)
        where = f"{name}{sample}"
        if cpu_err is not None or err is not None:
            if cpu_err is None or err is None or type(err) is not type(cpu_err):
                return f"{where}: cpu raised {cpu_err!r}, cuda raised {err!r}"
            continue
        if op.meta is not None and (meta_err is not None or _describe(meta) != _describe(got)):
            return f"{where}: meta on cuda gives {meta_err or _describe(meta)!r}, the kernel {_describe(got)!r}"
        try:
            _same(_host(got), _plain(expected), where, shapes_only=name in RANDOM, tol=tol)
            # what the op wrote into its arguments
            _same(_host([a for a in args if isinstance(a, me.Tensor)]),
                  _plain([a for a in sample.args if isinstance(a, me.Tensor)]), where + " (arguments)",
                  shapes_only=name in RANDOM, tol=tol)
        except AssertionError as e:
            return f"{where}: " + str(e).split("\n")[0][:400]
    return ""


def _family(name):
    """The module registering op `name` (its kernel's): the unit a test runs."""
    kernel = OPS[name].kernel
    return getattr(kernel, "__module__", None) or "other"


FAMILIES = collections.defaultdict(list)
for _name in sorted(OPS):
    if _name in SAMPLES:
        FAMILIES[_family(_name).rsplit(".", 1)[-1]].append(_name)


ROOT = pathlib.Path(__file__).resolve().parent
PROGRAMS = sorted([*ROOT.glob("model_corpus/[a-z]*.py"), *ROOT.glob("conformance_cases/[a-z]*.py")],
                  key=lambda p: (p.parent.name, p.stem))


def _load_case(path):
    from case_files import case_module
    return case_module(path)


def _leaves(out):
    from minexport.utils import _pytree
    return [x for x in _pytree.tree_leaves(out) if isinstance(x, me.Tensor)]


def check_program(path, tol=EXACT):
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
        runs = [(args, cuda_args)]
        # the other sizes a dynamic program is checked at
        for extra in getattr(case, "extra_inputs", []):
            runs.append((tuple(extra), _to_cuda(list(extra), {})))
        results = [(ep.module()(*a), on_cuda.module()(*c)) for a, c in runs]
    for k, ((a, c), (want, got)) in enumerate(zip(runs, results)):
        want, got = _leaves(want), _leaves(got)
        assert len(got) == len(want)
        for i, (g, w) in enumerate(zip(got, want)):
            assert g.device == CUDA, f"run {k}: output {i} on {g.device}"
            np.testing.assert_allclose(g.cpu().numpy(), w.numpy(), rtol=tol[0], atol=tol[1],
                                       err_msg=f"run {k}: output {i}")
        for i, (g, w) in enumerate(zip(c, a)):
            if isinstance(w, me.Tensor):
                np.testing.assert_allclose(g.cpu().numpy(), w.numpy(), rtol=tol[0], atol=tol[1],
                                           err_msg=f"run {k}: input {i}")


CORPUS = sorted(ROOT.glob("model_corpus/[a-z]*.py"))


def check_export_on_cuda(path, tol=EXACT):
    """A torch-written model moved to cuda (`model.to("cuda")`) and exported on cuda inputs: the program
    traces cuda fakes, and `ep.module()` gives the eager cpu model's outputs, on cuda."""
    from minexport.compat import as_torch
    with as_torch() as torch:
        torch.manual_seed(0)
        case = _load_case(path)
        args = tuple(case.example_args)
        want = case.model(*args)
        cuda_args = tuple(_to_cuda(list(args), {}))
        model = case.model.to("cuda")
        ep = torch.export.export(model, cuda_args, dynamic_shapes=getattr(case, "dynamic_shapes", None))
        # user inputs and parameters trace as cuda fakes (a lifted constant, such as a list index, stays on
        # the cpu, as in torch)
        sig = ep.graph_signature
        traced = set(sig.user_inputs) | set(sig.inputs_to_parameters)
        fakes = [n.meta["val"] for n in ep.graph.nodes if n.op == "placeholder" and n.name in traced]
        assert fakes and all(str(v.device) == "cuda:0" for v in fakes if isinstance(v, me.Tensor))
        got = ep.module()(*cuda_args)
    want, got = _leaves(want), _leaves(got)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.device == CUDA, f"output {i} on {g.device}"
        np.testing.assert_allclose(g.cpu().numpy(), w.numpy(), rtol=tol[0], atol=tol[1], err_msg=f"output {i}")
