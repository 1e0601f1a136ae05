"""User-defined operators: torch.library's API on minexport's op registry (`minexport.library`).

A custom op is an `OpOverload` in its own namespace (`mylib::foo`), registered
like an ATen op: its meta function is the user's fake implementation (run on
fake tensors, with every op it calls answered by that op's meta function), its
kernel the user's function (run on tensors wrapping the kernel's arrays).  So
export records it as one node, run_decompositions keeps it (a mutating one
becomes `auto_functionalized_v2`), the verifier checks it through its fake
implementation, the interpreter runs it, and archives name it
"torch.ops.mylib.foo.default" as torch does.

    @minexport.library.custom_op("mylib::scale", mutates_args=())
    def scale(x: Tensor, k: float) -> Tensor:
        return x * k

    @scale.register_fake
    def _(x, k):
        return minexport.empty_like(x)
"""
import inspect
import types
import typing

from . import dtypes as dt
from ._tensor import Tensor, make_tensor
from ._trace_state import Tracer, trace_state, tracing
from .ops import _registry
from .ops.auto_functionalize import AUTO_FUNCTIONALIZE
from .runtime import backends

__all__ = ["custom_op", "CustomOpDef", "Library", "define", "impl", "register_fake", "register_kernel",
           "register_autograd", "get_ctx", "infer_schema", "opcheck"]


# ---------------------------------------------------------------- schema --
def _type_table():
    """Annotation -> schema type, torch's table for inferred schemas."""
    opt = typing.Optional
    table = {Tensor: "Tensor", opt[Tensor]: "Tensor?", int: "SymInt", opt[int]: "SymInt?", float: "float",
             opt[float]: "float?", bool: "bool", opt[bool]: "bool?", str: "str", opt[str]: "str?",
             typing.Union[int, float, bool]: "Scalar", opt[typing.Union[int, float, bool]]: "Scalar?",
             dt.dtype: "ScalarType", opt[dt.dtype]: "ScalarType?",
             backends.device: "Device", opt[backends.device]: "Device?"}
    lists = {Tensor: "Tensor[]", opt[Tensor]: "Tensor?[]", int: "SymInt[]", float: "float[]", bool: "bool[]",
             typing.Union[int, float, bool]: "Scalar[]"}
    for elem, text in lists.items():
        for seq in (list, typing.List, typing.Sequence):
            table[seq[elem]] = text
            if elem is not Tensor and elem != opt[Tensor]:
                table[opt[seq[elem]]] = text + "?"
    return table


_ARG_TYPES = _type_table()
_RETURN_TYPES = {Tensor: "Tensor", int: "SymInt", float: "float", bool: "bool", list[Tensor]: "Tensor[]",
                 typing.List[Tensor]: "Tensor[]", None: "()", type(None): "()"}


def _schema_error(fn, what):
    return ValueError(f"infer_schema(func): {what} Got func with signature {inspect.signature(fn)})")


def _annotation(hint):
    """Normalize `X | None` (types.UnionType) to typing.Optional[X] so the table can look it up."""
    if isinstance(hint, types.UnionType):
        return typing.Union[hint.__args__]
    return hint


def _default_text(value):
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dt.dtype):
        return repr(value)
    return None


def infer_schema(prototype_function, /, *, mutates_args, op_name=None):
    """The schema text torch infers from `prototype_function`'s annotations ('(Tensor x) -> Tensor').

    `mutates_args` names the arguments the function writes (or is the string
    "unknown": every Tensor argument); with `op_name` the name leads the text.
    """
    fn = prototype_function
    hints = typing.get_type_hints(fn)
    sig = inspect.signature(fn)
    names = list(sig.parameters)
    if mutates_args != "unknown":
        if isinstance(mutates_args, str):
            raise ValueError("mutates_args must be a tuple of argument names or the string 'unknown'")
        missing = set(mutates_args) - set(names)
        if missing:
            raise _schema_error(fn, f"{missing} in mutates_args were not found in the custom op's signature. "
                                "mutates_args should contain the names of all args that the custom op mutates, "
                                "or just the string 'unknown' if you don't know.")
    parts, kw_started = [], False
    for i, (name, p) in enumerate(sig.parameters.items()):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise _schema_error(fn, "We don't support varargs or varkwargs.")
        if name not in hints:
            raise _schema_error(fn, f"Parameter {name} must have a type annotation.")
        text = _ARG_TYPES.get(_annotation(hints[name]))
        if text is None:
            raise _schema_error(fn, f"Parameter {name} has unsupported type {hints[name]}.")
        if p.kind == p.KEYWORD_ONLY and not kw_started:
            parts.append("*")
            kw_started = True
        writes = mutates_args == "unknown" and text.startswith("Tensor") or name in (
            () if mutates_args == "unknown" else mutates_args)
        if writes:
            if not text.startswith("Tensor"):
                raise _schema_error(fn, f"Parameter {name} is in mutable_args but only Tensors or collections of "
                                    "Tensors can be mutated")
            text = text.replace("Tensor", f"Tensor(a{i}!)", 1)
        entry = f"{text} {name}"
        if p.default is not p.empty:
            default = _default_text(p.default)
            if default is None:
                raise _schema_error(fn, f"Parameter {name} has an unsupported default value type "
                                    f"{type(p.default)}.")
            entry += f"={default}"
        parts.append(entry)
    if "return" not in hints:
        raise _schema_error(fn, "No return type annotation was provided. Please add one.")
    ret = _return_text(fn, hints["return"])
    return f"{op_name or ''}({', '.join(parts)}) -> {ret}"


def _return_text(fn, hint):
    origin = typing.get_origin(hint)
    if origin is tuple:
        elems = typing.get_args(hint)
        texts = [_RETURN_TYPES.get(e) for e in elems]
        if any(t is None or t == "()" for t in texts):
            raise _schema_error(fn, f"Return has unsupported type {hint}.")
        return f"({', '.join(texts)})"
    text = _RETURN_TYPES.get(hint)
    if text is None:
        raise _schema_error(fn, f"Return has unsupported type {hint}.")
    return text


# ----------------------------------------------------------- fake context --
class FakeImplCtx:
    """What `get_ctx()` returns inside a fake implementation: sizes known only when the op runs."""

    def new_dynamic_size(self, *, min=0, max=None):
        """A size the op's data decides (an unbacked SymInt, u0, ...) in [min, max]; min must be 0 or more."""
        if min < 0:
            raise ValueError(f"ctx.new_dynamic_size(min={min}, ...): expected min to be greater than or equal to 0: "
                             "this API can only create non-negative sizes.")
        tracer = trace_state.tracer
        if tracer is None or tracer.data_dependent_size is None:
            raise RuntimeError("ctx.new_dynamic_size() makes a size for a fake tensor; it can only be used in a "
                               "fake implementation while export (or opcheck) runs it")
        return tracer.data_dependent_size(max, min) if min else tracer.data_dependent_size(max)


_CTX = []       # the FakeImplCtx of each fake implementation running now, innermost last


def get_ctx():
    """The context of the fake implementation now running (see `FakeImplCtx`)."""
    if not _CTX:
        raise RuntimeError("torch.library.get_ctx() may only be called from inside a fake implementation "
                           "(a function registered with register_fake)")
    return _CTX[-1]


class _FakeTracer(Tracer):
    """Answers every op call made by a fake implementation with the op's meta function."""

    def __init__(self, outer):
        self.outer = outer
        if outer is not None:
            self.data_dependent_size = outer.data_dependent_size
            self.check_condition = outer.check_condition

    def __call__(self, op, args, kwargs):
        if op.meta is None:
            raise RuntimeError(f"a fake implementation called {op}, which has no fake implementation itself")
        return op.meta(*args, **kwargs)

    def is_contiguous(self, tensor):
        return self.outer.is_contiguous(tensor) if self.outer is not None else True


# ------------------------------------------------------------- the op --
class _Entry:
    """The user's functions behind one custom OpOverload (fake, kernels by device, autograd)."""

    def __init__(self, qualname):
        self.qualname = qualname
        self.fake = None
        self.kernels = {}          # device type ("cpu", "cuda") or None (any) -> function of tensors
        self.autograd = None       # (backward, setup_context), stored: minexport computes no gradients

    def meta(self, op):
        def meta(*args, **kwargs):
            if self.fake is None:
                raise RuntimeError(
                    f"There was no fake impl registered for {self.qualname}. This is necessary for torch.export "
                    f"(and fake tensors) to work: add one with @{op.op_name}.register_fake (or "
                    f"torch.library.register_fake(\"{self.qualname}\")), a function of fake tensors that returns "
                    "outputs of the right shapes and dtypes")
            _CTX.append(FakeImplCtx())
            try:
                with tracing(_FakeTracer(trace_state.tracer)):
                    out = self.fake(*args, **kwargs)
            finally:
                _CTX.pop()
            _check_no_alias(self.qualname, args, kwargs, out)
            return out
        return meta

    def kernel(self, op):
        def kernel(xp, *args, **kwargs):
            fn = self.kernels.get(_device_of(xp)) or self.kernels.get(None)
            if fn is None:
                raise NotImplementedError(f"{self.qualname} has no kernel for device "
                                          f"'{_device_of(xp)}'; register one with register_kernel")
            tensors = _wrap(args), {k: _wrap(v) for k, v in kwargs.items()}
            with tracing(None):
                out = fn(*tensors[0], **tensors[1])
            _check_no_alias(self.qualname, *tensors, out, "kernel")
            return _unwrap_out(out)
        return kernel


def _array_types():
    """The array classes a kernel may be handed: NumPy's, and CuPy's once CuPy is in use (loaded lazily)."""
    cupy = backends._cupy
    return (backends.np.ndarray, backends.np.generic) + ((cupy.ndarray,) if cupy is not None else ())


def _device_of(xp):
    return "cpu" if xp is backends.np else "cuda"


def _wrap(value):
    """Kernel arrays as tensors (sharing memory, so in-place writes reach the caller's arrays)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_wrap(v) for v in value)
    if isinstance(value, _array_types()):
        return make_tensor(value)
    return value


def _unwrap_out(out):
    if isinstance(out, Tensor):
        return out._data
    if isinstance(out, (list, tuple)):
        return type(out)(_unwrap_out(v) for v in out)
    return out


def _check_no_alias(qualname, args, kwargs, out, who="fake implementation"):
    """torch's rule for custom ops: no output is one of the inputs (an output must be a new tensor)."""
    ins = {id(a) for a in list(args) + list(kwargs.values()) if isinstance(a, Tensor)}
    outs = out if isinstance(out, (list, tuple)) else (out,)
    if any(isinstance(o, Tensor) and id(o) in ins for o in outs):
        raise RuntimeError(f"{qualname}: the {who} returned one of its inputs; a custom op's outputs may not alias "
                           "its inputs (return a new tensor, e.g. x.clone())")


_ENTRIES = {}       # "ns::name" (overload default) -> _Entry


def _define(qualname, schema, tags=()):
    """Register the OpOverload for `qualname` ('ns::name') with `schema` ('(Tensor x) -> Tensor')."""
    ns, sep, name = qualname.partition("::")
    if not sep or not ns.isidentifier() or not name.replace(".", "_").isidentifier():
        raise ValueError(f"expected a qualified name 'namespace::op_name' (e.g. 'mylib::foo'), got '{qualname}'")
    if ns in ("aten", "prim", "prims", "higher_order"):
        raise ValueError(f"'{ns}' is a reserved namespace; define custom ops in a namespace of your own")
    schema = schema.strip()
    text = name + schema if schema.startswith("(") else schema     # Library.define gives the name with it
    entry = _Entry(qualname)
    op = _registry.register(text, meta=None, kernel=None, tags=tags, namespace_name=ns, user_defined=True)
    op.meta, op.kernel = entry.meta(op), entry.kernel(op)
    if op.is_mutating:
        op.functional = AUTO_FUNCTIONALIZE
    _ENTRIES[op.name()] = entry
    return op


def _op_and_entry(op):
    """(OpOverload, _Entry) for a CustomOpDef, an OpOverload, a packet or a qualified name."""
    if isinstance(op, CustomOpDef):
        op = op._opoverload
    elif isinstance(op, _registry.OpOverloadPacket):
        op = getattr(op, "default")
    elif isinstance(op, str):
        try:
            op = _registry.lookup(op)
        except KeyError:
            raise ValueError(f"operator '{op}' is not defined; define it first with torch.library.custom_op or "
                             "Library.define") from None
    entry = _ENTRIES.get(op.name()) if isinstance(op, _registry.OpOverload) else None
    if entry is None:
        raise ValueError(f"{op} is not a custom op defined through minexport.library; only those take "
                         "registrations")
    return op, entry


class CustomOpDef:
    """What `@custom_op` returns: call it like the function; register fake, kernels and autograd on it."""

    def __init__(self, qualname, fn, op):
        self._name = qualname
        self._init_fn = fn
        self._opoverload = op
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__

    def __call__(self, *args, **kwargs):
        return self._opoverload(*args, **kwargs)

    def __repr__(self):
        return f"<CustomOpDef({self._name})>"

    def register_fake(self, fn=None, /):
        """Register the fake implementation (shapes and dtypes from fake inputs); usable as a decorator."""
        return register_fake(self, fn)

    def register_kernel(self, device_types, fn=None, /):
        """Register the implementation used on `device_types` ('cpu', 'cuda', or a sequence of them)."""
        return register_kernel(self, device_types, fn)

    def register_autograd(self, backward, /, *, setup_context=None):
        """Store a backward formula (minexport computes no gradients; torch's archives carry none either)."""
        register_autograd(self, backward, setup_context=setup_context)


def custom_op(name, fn=None, /, *, mutates_args, device_types=None, schema=None):
    """Define a custom op `name` ('ns::op') from `fn`; usable as `@custom_op(name, mutates_args=())`.

    The schema comes from `fn`'s annotations (see `infer_schema`) unless
    `schema` is given; `fn` becomes the op's kernel (on `device_types`, default
    every device).  Returns a `CustomOpDef`.
    """
    def inner(fn):
        text = schema if schema is not None else infer_schema(fn, mutates_args=mutates_args)
        op = _define(name, text)
        _ENTRIES[op.name()].kernels.update(_by_device(device_types, fn))
        return CustomOpDef(name, fn, op)
    return inner if fn is None else inner(fn)


def _by_device(device_types, fn):
    if device_types is None:
        return {None: fn}
    if isinstance(device_types, str):
        device_types = (device_types,)
    return {d: fn for d in device_types}


def register_fake(op, func=None, /, *, lib=None, _stacklevel=1, allow_override=False):
    """Register `func` as the fake implementation of `op` (a CustomOpDef, OpOverload or 'ns::op')."""
    def inner(func):
        _, entry = _op_and_entry(op)
        entry.fake = func
        return func
    return inner if func is None else inner(func)


def register_kernel(op, device_types, func=None, /, *, lib=None):
    """Register `func` as `op`'s implementation on `device_types` (None: every device)."""
    def inner(func):
        _, entry = _op_and_entry(op)
        entry.kernels.update(_by_device(device_types, func))
        return func
    return inner if func is None else inner(func)


def register_autograd(op, backward, /, *, setup_context=None, lib=None):
    """Accept and store `op`'s backward formula (nothing in minexport differentiates)."""
    _, entry = _op_and_entry(op)
    entry.autograd = (backward, setup_context)


# Dispatch keys of Library.impl: which of an op's functions a registration sets.
_KERNEL_KEYS = {"": None, "CompositeExplicitAutograd": None, "CPU": "cpu", "CUDA": "cuda"}
_FAKE_KEYS = {"Meta"}
_IGNORED_KEYS = {"Autograd", "AutogradCPU", "AutogradCUDA"}


def impl(qualname, types, func=None, /, *, lib=None):
    """Register `func` as `qualname`'s implementation for device `types` ('cpu', 'cuda', 'default').

    torch's older form `impl(library, name, dispatch_key)` (a decorator) is accepted too."""
    if isinstance(qualname, Library):
        library_, name, key = qualname, types, func or ""

        def register(fn):
            library_.impl(name, fn, key)
            return fn
        return register
    device_types = None if types in ("default", None) else types
    return register_kernel(qualname, device_types, func)


def define(qualname, schema, /, *, lib=None, tags=()):
    """Define an op `qualname` ('ns::op') with `schema` ('(Tensor x) -> Tensor'); implement it with `impl`."""
    _define(qualname, schema, tags)


class Library:
    """torch.library.Library: define ops in a namespace ("DEF", "FRAGMENT") and implement them ("IMPL")."""

    def __init__(self, ns, kind, dispatch_key=""):
        if kind not in ("DEF", "FRAGMENT", "IMPL"):
            raise ValueError(f"Unsupported kind: {kind}; expected 'DEF', 'FRAGMENT' or 'IMPL'")
        self.ns, self.kind, self.dispatch_key = ns, kind, dispatch_key

    def define(self, schema, alias_analysis="", *, tags=()):
        """Define an op in this library's namespace from its full schema ('foo(Tensor x) -> Tensor');
        returns its name."""
        if self.kind == "IMPL":
            raise RuntimeError("define() is not allowed on a Library of kind 'IMPL'")
        name = schema.split("(", 1)[0].strip()
        _define(f"{self.ns}::{name}", schema.strip(), tags)
        return name

    def impl(self, op_name, fn, dispatch_key="", *, with_keyset=False, allow_override=False):
        """Implement `op_name` (in this namespace) with `fn` for `dispatch_key` ('CPU', 'Meta', ...)."""
        key = dispatch_key or self.dispatch_key
        qualname = op_name if "::" in op_name else f"{self.ns}::{op_name}"
        if key in _FAKE_KEYS:
            register_fake(qualname, fn)
        elif key in _KERNEL_KEYS:
            register_kernel(qualname, _KERNEL_KEYS[key], fn)
        elif key not in _IGNORED_KEYS:
            raise NotImplementedError(f"Library.impl: dispatch key '{key}' is not supported by minexport "
                                      f"(supported: {', '.join(sorted((set(_KERNEL_KEYS) | _FAKE_KEYS) - {''}))})")

    def _register_fake(self, op_name, fn, _stacklevel=1):
        register_fake(f"{self.ns}::{op_name}", fn)


# --------------------------------------------------------------- opcheck --
class _OpcheckTracer(_FakeTracer):
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


def opcheck(op, args, kwargs=None, *, test_utils=_OPCHECK_TESTS + _NOT_APPLICABLE, raise_exception=True,
            atol=None, rtol=None):
    """Check a custom op against its own registrations on real inputs; returns {test name: result}.

    test_schema: the kernel writes exactly the arguments the schema says it
    may write (none outside `mutates_args`); test_faketensor: the fake
    implementation's outputs have the real outputs' shapes, dtypes and
    strides (a dynamic size matches anything).  Autograd tests are reported as
    skipped: minexport computes no gradients.
    """
    op, _ = _op_and_entry(op)
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
    from ._tensor import make_fake
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
