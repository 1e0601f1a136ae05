"""Per-op checks driven by the sample table in op_samples.py.

For every registered overload and every sample:
  * the meta function's shapes/dtypes equal the kernel's output (on real and on fake inputs);
  * eager numerics equal torch's (allclose; exact for ints and bools), including
    what the op writes into its arguments, when torch is installed.
"""
import numpy as np
import pytest

import minexport as me
from minexport._tensor import make_fake
from minexport.ops import all_ops
from op_samples import RANDOM, SAMPLES, TOLERANCE

OPS = {str(op): op for op in all_ops()}
NAMES = sorted(OPS)
DATA_DEPENDENT = {"aten.item.default", "aten._local_scalar_dense.default"}


def describe(out):
    """(shape, dtype) of every tensor in an output, recursively (ints as themselves)."""
    if isinstance(out, me.Tensor):
        return (tuple(out.shape), out.dtype)
    if isinstance(out, int):
        return out
    if isinstance(out, (list, tuple)):
        return [describe(o) for o in out]
    return type(out).__name__


def test_every_op_has_samples():
    assert sorted(set(NAMES) - set(SAMPLES)) == []


def outcome(fn, *args, **kwargs):
    """(result, None) or (None, exception): samples may be ones the op must refuse."""
    try:
        return fn(*args, **kwargs), None
    except (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError) as e:
        return None, e


@pytest.mark.parametrize("name", NAMES)
def test_meta_matches_kernel(name):
    op = OPS[name]
    for sample in SAMPLES[name]():
        if op.meta is None:
            continue
        meta_out, meta_err = outcome(op.meta, *sample.args, **sample.kwargs)
        eager_out, eager_err = outcome(op, *sample.args, **sample.kwargs)
        where = f"{name}{sample}"
        assert (meta_err is None) == (eager_err is None), f"{where}: meta raised {meta_err!r}, kernel {eager_err!r}"
        if meta_err is None:
            assert describe(meta_out) == describe(eager_out), \
                f"{where}: meta {describe(meta_out)} != kernel {describe(eager_out)}"


def _fake(x):
    if isinstance(x, me.Tensor):
        return make_fake(x.shape, x.dtype, x.device, strides=x.stride(), storage_offset=x.storage_offset())
    if isinstance(x, list):
        return [_fake(y) for y in x]
    return x


@pytest.mark.parametrize("name", NAMES)
def test_meta_on_fake_tensors(name):
    op = OPS[name]
    if op.meta is None or name in DATA_DEPENDENT:
        pytest.skip("item() has no meta: its result is a data-dependent scalar (tracer issue)")
    for sample in SAMPLES[name]():
        real, err = outcome(op.meta, *sample.args, **sample.kwargs)
        if err is not None:
            continue
        real = describe(real)
        args = [_fake(a) for a in sample.args]
        kwargs = {k: _fake(v) for k, v in sample.kwargs.items()}
        try:
            fake = describe(op.meta(*args, **kwargs))
        except RuntimeError as e:
            assert "data-dependent" in str(e), f"{name}{sample}: {e}"
            continue
        assert fake == real, f"{name}{sample}"


# ------------------------------------------------------------ vs torch ----
def _to_torch(torch, x):
    if isinstance(x, me.Tensor):
        dense = torch.from_numpy(np.array(x.numpy(), copy=True))
        if x.is_contiguous():
            return dense
        # torch runs on the same strides (a stride op sees them)
        return torch.empty_strided(tuple(x.shape), x.stride(), dtype=dense.dtype).copy_(dense)
    if isinstance(x, me.dtype):
        return getattr(torch, x.name)
    if isinstance(x, str) and x in ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format"):
        return getattr(torch, x)
    if isinstance(x, me.device):
        return torch.device(str(x))
    if isinstance(x, list):
        return [_to_torch(torch, y) for y in x]
    return x


def _assert_close(torch, ours, theirs, where, tol):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, me.Tensor), f"{where}: expected a tensor, got {type(ours).__name__}"
        expected = theirs.detach().numpy()
        got = ours.numpy()
        assert tuple(got.shape) == tuple(expected.shape), f"{where}: shape {got.shape} != {expected.shape}"
        assert str(ours.dtype.name) == str(theirs.dtype).replace("torch.", ""), \
            f"{where}: dtype {ours.dtype} != {theirs.dtype}"
        if got.dtype.kind in "biu":
            np.testing.assert_array_equal(got, expected, err_msg=where)
        else:
            rtol, atol = tol if got.dtype != np.float16 else (1e-3, 1e-3)
            np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                                       atol=atol, equal_nan=True, err_msg=where)
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), f"{where}: {ours!r} vs {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _assert_close(torch, a, b, f"{where}[{i}]", tol)
    else:
        assert ours == pytest.approx(theirs), f"{where}: {ours!r} != {theirs!r}"


def _torch_op(torch, name):
    _, packet, overload = name.split(".")
    return getattr(getattr(torch.ops.aten, packet), overload)


@pytest.mark.parametrize("name", NAMES)
def test_numerics_match_torch(name):
    torch = pytest.importorskip("torch")
    op, torch_op = OPS[name], _torch_op(torch, name)
    tol = TOLERANCE.get(name, (1e-5, 1e-6))
    for sample in SAMPLES[name]():
        targs = [_to_torch(torch, a) for a in sample.args]
        tkwargs = {k: _to_torch(torch, v) for k, v in sample.kwargs.items()}
        expected, torch_err = outcome(torch_op, *targs, **tkwargs)
        got, err = outcome(op, *sample.args, **sample.kwargs)
        where = f"{name}{sample}"
        assert (torch_err is None) == (err is None), f"{where}: torch raised {torch_err!r}, we raised {err!r}"
        if err is not None:
            assert type(err) is type(torch_err), f"{where}: torch raised {torch_err!r}, we raised {err!r}"
            continue
        if name in RANDOM:
            assert describe(got) == describe(_from_torch(torch, expected)), where
            continue
        _assert_close(torch, got, expected, where, tol)
        # what the op wrote into its arguments (in-place ops, running statistics)
        for i, (a, ta) in enumerate(zip(sample.args, targs)):
            if isinstance(a, me.Tensor):
                _assert_close(torch, a, ta, f"{where} argument {i} after the call", tol)


def _from_torch(torch, x):
    if isinstance(x, torch.Tensor):
        return me.from_numpy(x.detach().numpy().copy())
    if isinstance(x, (list, tuple)):
        return type(x)(_from_torch(torch, y) for y in x)
    return x


@pytest.mark.parametrize("name", NAMES)
def test_schema_matches_torch(name):
    """Schemas are interface facts: ours must print exactly as torch's."""
    torch = pytest.importorskip("torch")
    ours = str(OPS[name]._schema)
    theirs = str(_torch_op(torch, name)._schema).replace("aten::", "")
    assert ours == theirs


DECOMPOSED = sorted(str(op) for op in OPS.values() if op.decomposition is not None)


def _assert_same(a, b, where, tol=(1e-5, 1e-6)):
    if isinstance(b, me.Tensor):
        assert isinstance(a, me.Tensor), where
        assert tuple(a.shape) == tuple(b.shape) and a.dtype is b.dtype, \
            f"{where}: {describe(a)} != {describe(b)}"
        if b.dtype.is_floating_point:
            np.testing.assert_allclose(a.numpy().astype(np.float64), b.numpy().astype(np.float64),
                                       rtol=max(tol[0], 1e-5), atol=max(tol[1], 1e-5), equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=where)
    elif isinstance(b, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]", tol)
    else:
        assert a == b, where


@pytest.mark.parametrize("name", DECOMPOSED)
def test_decomposition_matches_kernel(name):
    """Each decomposition, run eagerly, computes what the op's own kernel computes."""
    op = OPS[name]
    for sample in SAMPLES[name]():
        expected, err = outcome(op, *sample.args, **sample.kwargs)
        if err is not None:
            continue
        got = op.decomposition(*sample.args, **sample.kwargs)
        where = f"{name}{sample}"
        if name in RANDOM:
            assert describe(got) == describe(expected), where
        else:
            _assert_same(got, expected, where, TOLERANCE.get(name, (1e-5, 1e-6)))


# ------------------------------------------------- specialized kernels --
SPECIALIZED = [n for n in NAMES if OPS[n].specialize is not None]
# scalars whose cast the specialized kernels do ahead: not exact in float32, out of its range, wide ints
_EDGE_SCALARS = (0.1, -2.5, 1e300, float("nan"), 2 ** 40 + 1, True)


def _arrays_of(args):
    """Fresh copies of the samples' arrays (kernels may write into them), other values as they are."""
    return [a.numpy().copy() if isinstance(a, me.Tensor) else a for a in args]


def _bit_equal(x, y):
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return type(x) is type(y) and x.dtype == y.dtype and x.shape == y.shape and \
            np.ascontiguousarray(x).tobytes() == np.ascontiguousarray(y).tobytes()
    return type(x) is type(y) and (x == y or x != x)


def _specialized_cases(name):
    """The op's samples, and for ops with a Scalar operand the same with edge-case scalars."""
    for sample in SAMPLES[name]():
        yield sample.args, sample.kwargs
        scalar_at = [i for i, a in enumerate(sample.args[:2]) if type(a) in (int, float, bool)]
        for i in scalar_at:
            for s in _EDGE_SCALARS:
                yield sample.args[:i] + (s,) + sample.args[i + 1:], sample.kwargs


def _general_kernel(op, donate):
    return op.donating_kernel if donate and op.donating_kernel is not None else op.kernel


@pytest.mark.parametrize("name", SPECIALIZED)
def test_specialized_kernel_equals_general(name):
    """What `specialize` returns gives the general kernel's result bit for bit, dtype and strides included,
    writes the same into its arguments, and raises where the general one raises."""
    op, specialized = OPS[name], 0
    for args, kwargs in _specialized_cases(name):
        if any(isinstance(a, list) for a in args) or any(isinstance(v, me.Tensor) for v in kwargs.values()):
            continue
        for donate in (False, True):
            special = op.specialize(tuple(_fake(a) for a in args), dict(kwargs), donate)
            if special is None:
                continue
            specialized += 1
            kernel, special_args = special
            general_in, special_in = _arrays_of(args), _arrays_of(args)
            special_in = [x if isinstance(a, me.Tensor) else s for a, x, s in zip(args, special_in, special_args)]
            # edge scalars (1e300 into float32, NaN into an int) overflow in both kernels alike
            with np.errstate(over="ignore", invalid="ignore"):
                want, want_err = outcome(_general_kernel(op, donate), np, *general_in, **kwargs)
                got, got_err = outcome(kernel, np, *special_in, **kwargs)
            where = f"{name}{args}{kwargs} donate={donate}"
            assert (want_err is None) == (got_err is None), f"{where}: {want_err!r} vs {got_err!r}"
            if want_err is not None:
                assert type(want_err) is type(got_err) and str(want_err) == str(got_err), where
                continue
            assert _bit_equal(want, got), f"{where}: {want!r} vs {got!r}"
            assert getattr(want, "strides", None) == getattr(got, "strides", None), f"{where}: strides"
            for i, (x, y) in enumerate(zip(general_in, special_in)):
                if isinstance(x, np.ndarray):
                    assert _bit_equal(x, y), f"{where}: argument {i} after the call"
    assert specialized, f"{name}: no sample was specialized"
