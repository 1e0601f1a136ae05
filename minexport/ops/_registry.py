"""The op registry: one `OpOverload` per ATen overload, reachable as
`minexport.ops.aten.<name>.<overload>`.

An op is registered once with its schema string (torch's exact text), a meta
function (fake tensors in, fake tensors out: shapes and dtypes only) and a
kernel written against an array namespace `xp` (arrays in, arrays out).  The
in-place variant of a functional op, and the decomposition of a composite op,
are recorded beside it.  Eager execution, tracing, verification,
interpretation and serialization all read these same records.

Calling an `OpOverload` goes to the installed tracer when there is one
(`_trace_state.tracing`); otherwise it runs eagerly: tensors are unwrapped to
arrays, the kernel runs, and arrays are wrapped back according to the schema's
returns (a fresh tensor, a view of an input, the mutated input itself, a tuple
or a list).
"""
import numpy as np

from .. import _tensor
from .._tensor import Tensor
from .._trace_state import trace_state
from ..runtime import backends
from .schema import parse_schema

__all__ = ["OpOverload", "OpOverloadPacket", "ViewRule", "register", "aten", "lookup", "all_ops"]

_OPS = {}          # "aten::add.Tensor" -> OpOverload
_USER_DEFINED = set()   # keys of _OPS that users defined (minexport.library): not part of all_ops()

# `variants=` of an op torch exposes both as `torch.<name>` and as `Tensor.<name>`
FUNCTION_AND_METHOD = ("function", "method")


class ViewRule:
    """What functionalization needs to know about a view op, declared with the op.

    A view with one output gives `inverse(base, mutated_view, *args, **kwargs)`:
    the new value of `base` after the view `op(base, *args, **kwargs)` was
    overwritten with `mutated_view` (torch's FunctionalInverses: select ->
    select_scatter, permute -> the inverse permute).  An inverse that cannot
    exist raises, saying why (a write into an expand()ed view).

    A view with a list of outputs (split, unbind) gives instead
    `per_output(outputs, *args, **kwargs)`: for each output, the one-output view
    step `(op, args, kwargs)` that makes it from the base (unbind's i-th output
    is `select(dim, i)`), so that writes go through that step's inverse.

    Every view gives `layout(args, self_contiguous)`: whether its output is
    contiguous, from the call's arguments (self first) and whether self is.
    (Fake tensors now carry torch's strides, computed by the op's meta
    function, and reshape's decomposition reads those; `layout` is the
    coarser summary functionalization keeps per view.)
    """

    __slots__ = ("inverse", "layout", "per_output")

    def __init__(self, inverse=None, layout=None, per_output=None):
        if layout is None or (inverse is None) == (per_output is None):
            raise TypeError("ViewRule needs layout= and exactly one of inverse= (a view with one output) "
                            "or per_output= (a view with a list of outputs)")
        self.inverse = inverse
        self.layout = layout
        self.per_output = per_output


class OpOverload:
    """One overload of an operator, e.g. `aten.add.Tensor`."""

    __slots__ = ("namespace", "op_name", "overload_name", "_schema_text",
                 "meta", "kernel", "functional", "inplace", "decomposition",
                 "tags", "variants", "view", "_eager", "_packet", "donating_kernel", "specialize",
                 "__dict__")

    def __init__(self, namespace, schema_text, meta, kernel, decomposition, tags, variants=(), view=None):
        head = schema_text.split("(", 1)[0]
        name, _, overload = head.partition(".")
        self.namespace = namespace
        self.op_name = name
        self.overload_name = overload or "default"
        self._schema_text = schema_text
        self.meta = meta
        self.kernel = kernel
        self.functional = None      # for an in-place op: its functional twin
        self.inplace = None         # for a functional op: its in-place twin
        self.decomposition = decomposition
        self.donating_kernel = None   # kernel(xp, a, ...) that may write its result into `a` (interpreter use)
        # specialize(args, kwargs, donate, strides_known=False) -> (kernel, args) or None: a kernel with the
        # dtype promotion, casts and checks decided for these argument facts (interpreter use; see
        # fx/_runner.py); with strides_known the arrays will also have the fakes' strides, which may then
        # settle the result's layout ahead (a wrong promise may cost its layout, never its values)
        self.specialize = None
        self.tags = frozenset(tags)
        self.variants = tuple(variants)   # "function" and/or "method": where the public surface exposes it
        self.view = view                  # a ViewRule for view ops (functionalization), else None
        self._eager = None
        self._packet = None

    # -- identity ---------------------------------------------------------
    @property
    def _schema_name(self):
        return self.op_name if self.overload_name == "default" else f"{self.op_name}.{self.overload_name}"

    @property
    def _schema_full(self):
        return f"{self.namespace}::{self._schema_name}"

    def name(self):
        """torch's `OpOverload.name()`: 'aten::add.Tensor'."""
        return self._schema_full

    @property
    def _overloadname(self):
        return self.overload_name

    @property
    def _opname(self):
        return self.op_name

    @property
    def overloadpacket(self):
        """The `OpOverloadPacket` this overload belongs to."""
        return self._packet

    @property
    def _schema(self):
        return self.__dict__.get("_parsed") or self._parse()

    def _parse(self):
        s = parse_schema(self._schema_text)
        self.__dict__["_parsed"] = s
        return s

    @property
    def is_mutating(self):
        """True when the schema writes one of its arguments (`Tensor(a!)`)."""
        return self._schema.is_mutable

    @property
    def is_view(self):
        """True when an output aliases an input (`Tensor(a)` return)."""
        return self._schema.is_view

    def __str__(self):
        return f"{self.namespace}.{self.op_name}.{self.overload_name}"

    def __repr__(self):
        return f"<OpOverload(op='{self.namespace}.{self.op_name}', overload='{self.overload_name}')>"

    def __reduce__(self):
        return (lookup, (self._schema_full,))

    # -- calling ----------------------------------------------------------
    def __call__(self, *args, **kwargs):
        tracer = trace_state.tracer
        if tracer is not None:
            return tracer.__call__(self, args, kwargs)     # (a method call: cheaper than through the type's slot)
        eager = self._eager
        if eager is None:
            eager = self._eager = _make_eager(self)
        return eager(*args, **kwargs)

    def run_meta(self, *args, **kwargs):
        """Run only the meta function: fake (or real) tensors in, fake tensors out."""
        return self.meta(*args, **kwargs)


# ------------------------------------------------------------------ eager --
def _unwrap(a):
    """Tensor -> array; lists of tensors -> lists of arrays; anything else as is."""
    if isinstance(a, Tensor):
        d = a._data
        if d is None:
            raise RuntimeError(
                "a fake tensor (shape and dtype only, no data) reached an eager kernel "
                "outside of tracing; fake tensors exist only inside export()")
        return d
    if type(a) in (list, tuple):
        for x in a:
            if isinstance(x, Tensor):
                return [_unwrap(y) for y in a]
    return a


def _xp_for(args, kwargs):
    if backends._cupy is None:
        dev = kwargs.get("device")
        if dev is None or backends.as_device(dev).type == "cpu":
            return backends.np
        return backends.backend_for_device(dev)
    for a in args:
        if isinstance(a, Tensor):
            return backends.array_namespace(a._data)
        if type(a) in (list, tuple):
            for x in a:
                if isinstance(x, Tensor):
                    return backends.array_namespace(x._data)
    return backends.backend_for_device(kwargs.get("device"))


def _return_kind(op):
    """How the eager path turns kernel results back into tensors."""
    schema = op._schema
    rets = schema.returns
    if not rets:
        return "none", None
    if len(rets) > 1:
        return "tuple", None
    t = rets[0].type
    if t.base != "Tensor":
        return "value", None
    if t.list_len is not None:
        return ("view_list" if t.alias is not None else "list"), 0
    if t.alias is not None:
        for i, a in enumerate(schema.arguments):
            if a.type.alias is not None and a.type.alias.before == t.alias.before:
                return ("inplace" if t.alias.is_write else "view"), i
    return "tensor", None


def _tensor_positions(op):
    """Which positional arguments and keywords may hold tensors or tensor lists."""
    singles, lists, kw = [], [], set()
    for i, a in enumerate(op._schema.arguments):
        if a.type.base != "Tensor":
            continue
        if a.kwarg_only:
            kw.add(a.name)
        elif a.type.list_len is None:
            singles.append(i)
        else:
            lists.append(i)
        kw.add(a.name)
    return tuple(singles), tuple(lists), frozenset(kw)


def _make_eager(op):
    kind, idx = _return_kind(op)
    kernel = op.kernel
    make = _tensor.make_tensor
    make_view = _tensor.make_view
    singles, lists, tensor_kw = _tensor_positions(op)
    only_singles = not lists

    def unwrap_args(args):
        args = list(args)
        n = len(args)
        for i in singles:
            if i < n:
                a = args[i]
                if isinstance(a, Tensor):
                    args[i] = a._data if a._data is not None else _unwrap(a)
        for i in lists:
            if i < n:
                args[i] = _unwrap(args[i])
        return args

    def run(args, kwargs):
        xp = np if backends._cupy is None and not kwargs.get("device") else _xp_for(args, kwargs)
        if kwargs:
            kwargs = {k: (_unwrap(v) if k in tensor_kw else v) for k, v in kwargs.items()}
        return kernel(xp, *unwrap_args(args), **kwargs)

    if kind == "tensor":
        def eager(*args, **kwargs):
            # the hot path, inlined: plain NumPy, positional tensors
            if kwargs or backends._cupy is not None or not only_singles:
                return make(run(args, kwargs))
            return make(kernel(np, *[a._data if isinstance(a, Tensor) and a._data is not None
                                     else _unwrap(a) for a in args]))
    elif kind == "inplace":
        name = op._schema.arguments[idx].name

        def eager(*args, **kwargs):
            run(args, kwargs)
            return args[idx] if idx < len(args) else kwargs[name]
    elif kind == "view":
        self_if_same = "returns_self_if_unchanged" in op.tags
        maybe = "maybe_view" in op.tags
        may_share = backends.may_share_memory

        def eager(*args, **kwargs):
            src = args[idx]
            r = run(args, kwargs)
            if self_if_same and r is src._data:
                return src
            if maybe and not may_share(r, src._data):
                return make(r)
            return make_view(r, src)
    elif kind == "view_list":
        def eager(*args, **kwargs):
            src = args[idx]
            return [make_view(r, src) for r in run(args, kwargs)]
    elif kind == "list":
        def eager(*args, **kwargs):
            return [make(r) for r in run(args, kwargs)]
    elif kind == "tuple":
        def eager(*args, **kwargs):
            # None stands for an output the op did not compute (a backward op's output_mask)
            # a list among the outputs (histogramdd's bin_edges) is a list of tensors
            return tuple(None if r is None else [make(x) for x in r] if type(r) is list else make(r)
                         for r in run(args, kwargs))
    elif kind == "none":
        def eager(*args, **kwargs):
            run(args, kwargs)
    else:
        def eager(*args, **kwargs):
            return run(args, kwargs)
    eager.__name__ = op.op_name
    return eager


# -------------------------------------------------------------- namespace --
class OpOverloadPacket:
    """All overloads of one op name (`aten.add`); attribute access picks one."""

    def __init__(self, namespace, name):
        self._namespace = namespace
        self._name = name
        self._overloads = {}
        self._by_kinds = {}     # argument types -> the overload they resolve to (see _resolve)

    def overloads(self):
        """Names of this op's registered overloads."""
        return list(self._overloads)

    def __getattr__(self, item):
        try:
            return self.__dict__["_overloads"][item]
        except KeyError:
            raise AttributeError(
                f"'{self._namespace}.{self._name}' has no overload '{item}'; "
                f"registered: {', '.join(self._overloads)}") from None

    def __str__(self):
        return f"{self._namespace}.{self._name}"

    def __repr__(self):
        return f"<OpOverloadPacket(op='{self._namespace}.{self._name}')>"

    def __call__(self, *args, **kwargs):
        return self._resolve(args, kwargs)(*args, **kwargs)

    def _resolve(self, args, kwargs):
        """Pick the overload whose schema accepts these arguments (torch's rule, simplified).

        Whether a schema accepts a call depends only on the types of the
        arguments and the keyword names, so the choice is cached by those.
        """
        key = tuple(map(type, args)) if not kwargs else \
            (tuple(map(type, args)), tuple((k, type(v)) for k, v in kwargs.items()))
        op = self._by_kinds.get(key)
        if op is not None:
            return op
        for op in self._overloads.values():
            if _accepts(op._schema, args, kwargs):
                self._by_kinds[key] = op
                return op
        raise TypeError(f"{self}: no overload accepts these arguments; overloads: "
                        + "; ".join(str(o._schema) for o in self._overloads.values()))


def _matches(value, typ):
    if value is None:
        return typ.optional
    if typ.list_len is not None:
        return isinstance(value, (list, tuple))
    if typ.base == "Tensor":
        return isinstance(value, Tensor)
    if typ.base in ("Scalar", "float", "int", "SymInt", "bool", "SymFloat", "SymBool"):
        return not isinstance(value, (Tensor, str, list, tuple))
    return True


def _accepts(schema, args, kwargs):
    positional = schema.positional
    if len(args) > len(positional):
        return False
    for a, v in zip(positional, args):
        if not _matches(v, a.type):
            return False
    names = {a.name: a for a in schema.arguments}
    for k, v in kwargs.items():
        if k not in names or not _matches(v, names[k].type):
            return False
    given = {a.name for a in positional[: len(args)]} | set(kwargs)
    return all(a.has_default or a.name in given for a in schema.arguments)


class _OpNamespace:
    """`ops.aten`: packets by attribute."""

    def __init__(self, name):
        self._name = name
        self._packets = {}

    def __getattr__(self, item):
        try:
            return self.__dict__["_packets"][item]
        except KeyError:
            raise AttributeError(
                f"operator '{self.__dict__['_name']}::{item}' is not registered in minexport") from None

    def __dir__(self):
        return list(self._packets)


_NAMESPACES = {}


def namespace(name):
    """The `_OpNamespace` for `name` (created on first use)."""
    ns = _NAMESPACES.get(name)
    if ns is None:
        ns = _NAMESPACES[name] = _OpNamespace(name)
    return ns


aten = namespace("aten")


def register(schema, *, meta, kernel, decomposition=None, tags=(), variants=(), view=None, functional=None,
             namespace_name="aten", user_defined=False):
    """Register one op overload with every fact about it; returns its `OpOverload`.

    `schema` is torch's schema text without the namespace.  `meta(*args)` maps
    fake tensors to fake outputs; `kernel(xp, *args)` maps arrays to arrays.
    `decomposition(*args)` rewrites the op with other ops (run_decompositions);
    `tags` are torch's op tags ("core", "pointwise", "view", ...); `variants`
    says whether the public function / Tensor method surface exposes it;
    `view` is a `ViewRule`, required for every view op (a return annotated
    `Tensor(a)`, or the "view" tag).

    `functional` is, for an op that writes arguments (`Tensor(a!)`), what
    run_decompositions replaces it with (defaults to the functional twin paired
    by `register_inplace`).  `functional(*args, **kwargs)` takes the op's own
    arguments and returns what torch's functional variant returns: the op's
    returns that alias no written argument, followed by the new value of each
    written argument in schema order; a single value is returned bare.  So for
    `add_` / `fill_` (whose return is self) it is self's new value, and for
    `_native_batch_norm_legit` (three fresh returns, running_mean and running_var
    written) it is `(out, mean, rstd, new_running_mean, new_running_var)`.  A
    new value that is the argument itself means "unchanged" (`detach_`).

    `user_defined` marks a custom op (minexport.library): found by `lookup`
    and `ops.<namespace>`, but not among minexport's own ops (`all_ops()`).
    """
    op = OpOverload(namespace_name, schema, meta, kernel, decomposition, tags, variants, view)
    op.functional = functional
    key = op._schema_full
    if key in _OPS:
        raise ValueError(f"operator {key} is registered twice")
    _OPS[key] = op
    if user_defined:
        _USER_DEFINED.add(key)
    ns = namespace(namespace_name)
    packet = ns._packets.get(op.op_name)
    if packet is None:
        packet = ns._packets[op.op_name] = OpOverloadPacket(namespace_name, op.op_name)
        setattr(ns, op.op_name, packet)
    packet._overloads[op.overload_name] = op
    packet._by_kinds.clear()
    setattr(packet, op.overload_name, op)  # plain attribute: no __getattr__ on the hot path
    op._packet = packet
    return op


def pair_inplace(functional, inplace):
    """Record that `inplace` (e.g. add_.Tensor) is the in-place form of `functional`."""
    functional.inplace = inplace
    inplace.functional = functional


def lookup(qualified_name):
    """Find an op by 'aten::add.Tensor' or 'aten.add.Tensor'; KeyError naming it otherwise."""
    name = qualified_name
    if "::" not in name:
        ns, _, rest = name.partition(".")
        op_name, _, overload = rest.partition(".")
        name = f"{ns}::{op_name}" + ("" if overload in ("", "default") else "." + overload)
    try:
        return _OPS[name]
    except KeyError:
        raise KeyError(f"operator {qualified_name} is not registered in minexport") from None


def all_ops():
    """Every op minexport itself registers, in registration order (custom ops users define are left out)."""
    return [op for key, op in _OPS.items() if key not in _USER_DEFINED]
