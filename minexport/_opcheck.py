"""`opcheck`: a custom op tested against its own registrations on real inputs (kernel vs fake, schema)."""
from ._fake_impl import FakeTracer
from ._tensor import Tensor, make_fake, make_tensor
from ._trace_state import tracing
from .runtime import backends

__all__ = ["opcheck"]


class _OpcheckTracer(FakeTracer):
    """Runs a fake implementation outside export; a dynamic size becomes a fresh symbol."""

    def __init__(self):
        super().__init__(None)
        self.env = None

    def data_dependent_size(self, upper, lower=0):
        from .symbolic import ShapeEnv
        if self.env is None:
            self.env = ShapeEnv()
        sym = self.env.create_unbacked("opcheck")
        self.env.narrow(sym.expr, lower, upper)
        return sym


_OPCHECK_TESTS = ("test_schema", "test_faketensor")
_NOT_APPLICABLE = ("test_autograd_registration", "test_aot_dispatch_dynamic")


def opcheck(op, args, kwargs=None, *, test_utils=_OPCHECK_TESTS + _NOT_APPLICABLE, raise_exception=True):
    """Check custom op `op` (an OpOverload) against its own registrations on real inputs; returns
    {test name: result}.

    test_schema: the kernel writes exactly the arguments the schema says it
    may write (none outside `mutates_args`); test_faketensor: the fake
    implementation's outputs have the real outputs' shapes, dtypes and
    strides (a dynamic size matches anything).  Autograd tests are reported as
    skipped: minexport computes no gradients.
    """
    kwargs = dict(kwargs or {})
    if isinstance(test_utils, str):
        test_utils = (test_utils,)
    results = {}
    for name in test_utils:
        if name in _NOT_APPLICABLE:
            results[name] = "SKIPPED (minexport has no autograd)"
            continue
        if name not in _OPCHECK_TESTS:
            raise ValueError(f"opcheck: unknown test '{name}'; known: {', '.join(_OPCHECK_TESTS + _NOT_APPLICABLE)}")
        try:
            (_test_schema if name == "test_schema" else _test_faketensor)(op, args, kwargs)
            results[name] = "SUCCESS"
        except AssertionError as e:
            if raise_exception:
                raise
            results[name] = e
    return results


def _tensor_items(args, kwargs):
    """(position or keyword, index in its list, tensor) for each tensor argument."""
    flat = []
    for i, a in enumerate(args):
        for j, t in enumerate(a if isinstance(a, (list, tuple)) else (a,)):
            if isinstance(t, Tensor):
                flat.append((i, j, t))
    for k, a in kwargs.items():
        for j, t in enumerate(a if isinstance(a, (list, tuple)) else (a,)):
            if isinstance(t, Tensor):
                flat.append((k, j, t))
    return flat


def _test_schema(op, args, kwargs):
    arguments = op._schema.arguments
    writable = {i for i, a in enumerate(arguments) if a.is_write} | {a.name for a in arguments if a.is_write}
    before = [(i, j, t, t._data.copy()) for i, j, t in _tensor_items(args, kwargs)]
    op(*args, **kwargs)
    xp = backends.np
    for i, j, t, old in before:
        if i in writable:
            continue
        same = xp.array_equal(old, t._data, equal_nan=old.dtype.kind in "fc")
        name = arguments[i].name if isinstance(i, int) else i
        assert same, (f"opcheck test_schema: {op.name()} wrote argument '{name}', which its schema does not mark "
                      "as mutated; add it to mutates_args")


def _fake_of(value):
    if isinstance(value, Tensor):
        return make_fake(value.shape, value.dtype, value.device, strides=value.stride(),
                         storage_offset=value.storage_offset())
    if isinstance(value, (list, tuple)):
        return type(value)(_fake_of(v) for v in value)
    return value


def _test_faketensor(op, args, kwargs):
    copies = [_copy(a) for a in args]
    real = op(*copies, **{k: _copy(v) for k, v in kwargs.items()})
    with tracing(_OpcheckTracer()):
        fake = op.meta(*_fake_of(args), **{k: _fake_of(v) for k, v in kwargs.items()})
    reals = real if isinstance(real, (list, tuple)) else (real,)
    fakes = fake if isinstance(fake, (list, tuple)) else (fake,)
    assert len(reals) == len(fakes), f"opcheck test_faketensor: {op.name()}: {len(fakes)} fake outputs, " \
                                     f"{len(reals)} real ones"
    for k, (r, f) in enumerate(zip(reals, fakes)):
        if not isinstance(r, Tensor):
            continue
        assert isinstance(f, Tensor), f"opcheck test_faketensor: {op.name()} output {k}: the fake is not a tensor"
        dynamic = [not isinstance(s, int) for s in f.shape]
        shape_ok = len(f.shape) == len(r.shape) and all(d or s == t for d, s, t in zip(dynamic, f.shape, r.shape))
        assert shape_ok, f"opcheck test_faketensor: {op.name()} output {k}: fake shape {tuple(f.shape)}, " \
                         f"real {tuple(r.shape)}"
        assert f.dtype is r.dtype, f"opcheck test_faketensor: {op.name()} output {k}: fake dtype {f.dtype}, " \
                                   f"real {r.dtype}"
        if not any(dynamic) and r.numel() > 1:
            assert tuple(f.stride()) == tuple(r.stride()), (
                f"opcheck test_faketensor: {op.name()} output {k}: fake strides {tuple(f.stride())}, real "
                f"{tuple(r.stride())}")


def _copy(value):
    if isinstance(value, Tensor):
        return make_tensor(value._data.copy())
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value
