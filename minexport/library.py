"""User-defined operators: torch.library's API on minexport's op registry (`minexport.library`).

A custom op is an `OpOverload` in its own namespace (`mylib::foo`), registered
like an ATen op: its meta function is the user's fake implementation (run on
fake tensors, with every op it calls answered by that op's meta function), its
kernel the user's function (run on tensors wrapping the kernel's arrays).  So
export records it as one node, run_decompositions keeps it (a mutating one
becomes `auto_functionalized_v2`), the verifier checks it through its fake
implementation, the interpreter runs it, and archives name it
"torch.ops.mylib.foo.default" as torch does.  Beside it: schema inference
(`_infer_schema`), running a fake (`_fake_impl`: `get_ctx`) and the self-test
(`_opcheck`).

    @minexport.library.custom_op("mylib::scale", mutates_args=())
    def scale(x: Tensor, k: float) -> Tensor:
        return x * k

    @scale.register_fake
    def _(x, k):
        return minexport.empty_like(x)
"""
from ._fake_impl import FakeImplCtx, get_ctx, run_fake
from ._infer_schema import infer_schema
from ._opcheck import opcheck as _opcheck
from ._tensor import Tensor, make_tensor
from ._trace_state import tracing
from .ops import _registry
from .ops.auto_functionalize import AUTO_FUNCTIONALIZE
from .runtime import backends

__all__ = ["custom_op", "CustomOpDef", "FakeImplCtx", "Library", "define", "impl", "register_fake",
           "register_kernel", "register_autograd", "get_ctx", "infer_schema", "opcheck"]


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
            out = run_fake(self.fake, args, kwargs)
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


def opcheck(op, args, kwargs=None, *, test_utils=("test_schema", "test_autograd_registration", "test_faketensor",
                                                  "test_aot_dispatch_dynamic"), raise_exception=True, atol=None,
            rtol=None):
    """Check custom op `op` on real inputs against its own registrations; returns {test name: result}
    (see `minexport._opcheck`)."""
    return _opcheck(_op_and_entry(op)[0], args, kwargs, test_utils=test_utils, raise_exception=raise_exception)
