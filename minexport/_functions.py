"""The torch-like function surface (`minexport.add`, `minexport.sum`, ...).

Most functions are generated from the registry: every op registered with
`variants=("function", ...)` becomes `minexport.<name>` (see `_generated`),
calling its one overload, or the overload schema resolution picks (as torch's
Python binding picks it: a tensor `other` -> `.Tensor`, a number -> `.Scalar`).
The functions written out below are the ones whose torch binding differs from
the schema (varargs sizes, an int dim meaning a one-element list, optional dims
that select another overload, Python scalars wrapped as tensors, tuple
results); each says how.  Tensor methods are these same functions (see
`_tensor_methods`).
"""
import builtins
import collections
import functools

from . import _factories
from . import dtypes as dt
from ._tensor import Size, Tensor
from ._symbolic_marker import is_symbolic
from ._sym_functions import sym_float, sym_int, sym_ite, sym_max, sym_min, sym_not  # noqa: F401  (torch.sym_*)
from ._trace_state import trace_state
from .ops import aten, all_ops
from .ops._common import broadcast_shapes as _broadcast_shapes

_bool = builtins.bool
_int = builtins.int

# torch.return_types.* : named (values, indices) results
return_types = type("return_types", (), {})
for _n in ("max", "min", "sort", "topk"):
    setattr(return_types, _n, collections.namedtuple(_n, ["values", "indices"]))


def _is_tensor(x):
    return isinstance(x, Tensor)


# ------------------------------------------------------ written by hand ----
def round(input, *, decimals=0):
    """Round half to even, optionally to `decimals` places."""
    # decimals=0 is the .default overload, as torch's binding maps it
    return aten.round.default(input) if decimals == 0 else aten.round.decimals(input, decimals=decimals)


# --------------------------------------------------------------- binary ----
def _wrap_scalar(value, like):
    return _factories.scalar_tensor(value, dtype=dt.scalar_dtype(value), device=like.device)


# add/sub/mul/div: torch's binding wraps a Python number `other` as a tensor (the .Tensor overload),
# and a number `input` as a 0-d tensor
def add(input, other, *, alpha=1):
    """input + alpha * other, with torch's type promotion."""
    if not _is_tensor(input):
        input = _wrap_scalar(input, other)
    return aten.add.Tensor(input, other) if alpha == 1 else aten.add.Tensor(input, other, alpha=alpha)


def sub(input, other, *, alpha=1):
    """input - alpha * other."""
    if not _is_tensor(input):
        input = _wrap_scalar(input, other)
    return aten.sub.Tensor(input, other) if alpha == 1 else aten.sub.Tensor(input, other, alpha=alpha)



def mul(input, other):
    """Elementwise product."""
    if not _is_tensor(input):
        input, other = other, input
    return aten.mul.Tensor(input, other)



def div(input, other, *, rounding_mode=None):
    """Division: true division, or rounding_mode 'trunc' / 'floor'."""
    if not _is_tensor(input):
        input = _wrap_scalar(input, other)
    if rounding_mode is None:
        return aten.div.Tensor(input, other)
    return aten.div.Tensor_mode(input, other, rounding_mode=rounding_mode)


def true_divide(input, other):
    """True division (torch records true_divide, an alias of div)."""
    if not _is_tensor(input):
        input = _wrap_scalar(input, other)
    return aten.true_divide.Tensor(input, other)


# torch's aliases of add/sub/mul/div record their own ops (aten.multiply.Tensor, ...), with the same
# binding: a Python number `other` is wrapped as a tensor (.Tensor), a number `input` as a 0-d tensor
def multiply(input, other):
    """Elementwise product (torch records multiply, an alias of mul)."""
    if not _is_tensor(input):
        input, other = other, input
    return aten.multiply.Tensor(input, other)


def subtract(input, other, *, alpha=1):
    """input - alpha * other (torch records subtract, an alias of sub)."""
    if not _is_tensor(input):
        input = _wrap_scalar(input, other)
    return aten.subtract.Tensor(input, other) if alpha == 1 else aten.subtract.Tensor(input, other, alpha=alpha)


def divide(input, other, *, rounding_mode=None):
    """Division (torch records divide, an alias of div)."""
    if not _is_tensor(input):
        input = _wrap_scalar(input, other)
    if rounding_mode is None:
        return aten.divide.Tensor(input, other)
    return aten.divide.Tensor_mode(input, other, rounding_mode=rounding_mode)


def floor_divide(input, other):
    """Division rounded down (torch's binding takes a Python number as `input` too)."""
    if not _is_tensor(input):
        input = _wrap_scalar(input, other)
    return aten.floor_divide.default(input, other) if _is_tensor(other) else aten.floor_divide.Scalar(input, other)


def where(condition, input=None, other=None):
    """Elementwise select; where(condition) alone returns nonzero indices."""
    # the one-argument form is nonzero(as_tuple=True) in torch; the overload otherwise comes from the schema
    if input is None and other is None:
        raise NotImplementedError("where(condition) with one argument (nonzero) has a data-dependent "
                                  "output size; use where(condition, x, y)")
    return _where_by_schema(condition, input, other)


# ----------------------------------------------------------- reductions ----
def _dims(dim):
    if dim is None:
        return None
    return [dim] if isinstance(dim, _int) else list(dim)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of all elements, or over `dim` (int or list)."""
    # dim=None is .default, else .dim_IntList with an int meaning [int]
    if dim is None:
        return aten.sum.default(input, dtype=dtype) if dtype is not None else aten.sum.default(input)
    kw = {"dtype": dtype} if dtype is not None else {}
    return aten.sum.dim_IntList(input, _dims(dim), keepdim, **kw)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of all elements, or over `dim`."""
    # dim=None is .default, else .dim with an int meaning [int]
    kw = {"dtype": dtype} if dtype is not None else {}
    if dim is None:
        return aten.mean.default(input, **kw)
    return aten.mean.dim(input, _dims(dim), keepdim, **kw)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or over one dim."""
    # dim=None is .default, else .dim_int
    kw = {"dtype": dtype} if dtype is not None else {}
    if dim is None:
        return aten.prod.default(input, **kw)
    return aten.prod.dim_int(input, dim, keepdim, **kw)


def amax(input, dim=(), keepdim=False):
    """Maximum over dims (all when empty)."""
    # an int dim means [dim]
    return aten.amax.default(input, _dims(dim), keepdim)


def amin(input, dim=(), keepdim=False):
    """Minimum over dims (all when empty)."""
    # an int dim means [dim]
    return aten.amin.default(input, _dims(dim), keepdim)


def _max_min(name):
    whole, by_dim, other_op = getattr(aten, name).default, getattr(aten, name).dim, getattr(aten, name).other
    result = getattr(return_types, name)

    def f(input, dim=None, keepdim=False):
        if _is_tensor(dim):
            return other_op(input, dim)
        if dim is None:
            return whole(input)
        return result(*by_dim(input, dim, keepdim))
    f.__name__ = name
    f.__doc__ = (f"{name}(input) over all elements; {name}(input, dim) -> (values, indices); "
                 f"{name}(input, other) elementwise.")
    return f


max = _max_min("max")
min = _max_min("min")


def _moment(op_name):
    ops = getattr(aten, op_name)

    def f(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        # torch's overload choice: `unbiased` -> .dim/.default, otherwise .correction
        if isinstance(dim, _bool):  # var(x, False): the old unbiased positional form
            dim, unbiased = None, dim
        if correction is None and (unbiased is not None or (dim is not None and not keepdim)):
            unbiased = True if unbiased is None else unbiased
            if dim is None:
                return ops.default(input, unbiased)
            return ops.dim(input, _dims(dim), unbiased, keepdim)
        kw = {"keepdim": keepdim} if keepdim else {}
        if correction is not None:
            kw["correction"] = correction
        return ops.correction(input, _dims(dim), **kw)
    f.__name__ = op_name
    f.__doc__ = f"{op_name} over dims with Bessel `correction` (default 1)."
    return f


var = _moment("var")
std = _moment("std")


def any(input, dim=None, keepdim=False):
    """True if any element (over dim) is nonzero."""
    # no dim: .default; an int: .dim; a sequence: .dims
    if dim is None:
        return aten.any.default(input)
    return aten.any.dim(input, dim, keepdim) if isinstance(dim, _int) else aten.any.dims(input, list(dim), keepdim)


def all(input, dim=None, keepdim=False):
    """True if every element (over dim) is nonzero."""
    # no dim: .default; an int: .dim; a sequence: .dims
    if dim is None:
        return aten.all.default(input)
    return aten.all.dim(input, dim, keepdim) if isinstance(dim, _int) else aten.all.dims(input, list(dim), keepdim)


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) over dim, computed stably."""
    # an int dim means [dim]
    return aten.logsumexp.default(input, _dims(dim), keepdim)


# -------------------------------------- sorting, scans, distances ----
for _n in ("kthvalue", "median", "nanmedian", "mode", "cummax", "cummin"):
    setattr(return_types, _n, collections.namedtuple(_n, ["values", "indices"]))
return_types.aminmax = collections.namedtuple("aminmax", ["min", "max"])


def sort(input, dim=-1, descending=False, *, stable=None):
    """Sorted values and their indices along dim (NaN last ascending); named (values, indices)."""
    # passing `stable` picks the .stable overload, as torch's binding does
    if stable is None:
        return return_types.sort(*aten.sort.default(input, dim, descending))
    return return_types.sort(*aten.sort.stable(input, stable=stable, dim=dim, descending=descending))


def argsort(input, dim=-1, descending=False, *, stable=None):
    """Indices that sort input along dim."""
    # passing `stable` picks the .stable overload, as torch's binding does
    if stable is None:
        return aten.argsort.default(input, dim, descending)
    return aten.argsort.stable(input, stable=stable, dim=dim, descending=descending)


def _named(name, op):
    """A function calling `op` whose tuple result is torch.return_types.<name>."""
    result = getattr(return_types, name)

    def f(*args, **kwargs):
        return result(*op(*args, **kwargs))
    f.__name__ = name
    f.__doc__ = f"aten.{op}: {op._schema_text}; the result is named ({', '.join(result._fields)})."
    return f


topk = _named("topk", aten.topk.default)
kthvalue = _named("kthvalue", aten.kthvalue.default)
mode = _named("mode", aten.mode.default)
cummax = _named("cummax", aten.cummax.default)
cummin = _named("cummin", aten.cummin.default)
aminmax = _named("aminmax", aten.aminmax.default)


def _median_like(name):
    whole, by_dim = getattr(aten, name).default, _named(name, getattr(aten, name).dim)

    def f(input, dim=None, keepdim=False):
        # no dim: the .default overload (a value only); a dim: (values, indices)
        return whole(input) if dim is None else by_dim(input, dim, keepdim)
    f.__name__ = name
    f.__doc__ = f"{name}(input): the lower median; {name}(input, dim) -> (values, indices)."
    return f


median = _median_like("median")
nanmedian = _median_like("nanmedian")


def _nan_reduction(name):
    op = getattr(aten, name).default

    def f(input, dim=None, keepdim=False, *, dtype=None):
        # an int dim means [dim]
        kw = {"dtype": dtype} if dtype is not None else {}
        return op(input, _dims(dim), keepdim, **kw)
    f.__name__ = name
    f.__doc__ = f"{name} over dims (all by default), NaN treated as missing."
    return f


nansum = _nan_reduction("nansum")
nanmean = _nan_reduction("nanmean")


def _moment_mean(op_name):
    """var_mean/std_mean: var/std's overload choice; the result is a plain (var or std, mean) tuple."""
    f = _moment(op_name)
    f.__doc__ = f"{op_name}: ({op_name[:3]}, mean) over dims with Bessel `correction` (default 1)."
    return f


var_mean = _moment_mean("var_mean")
std_mean = _moment_mean("std_mean")

_CDIST_MODES = {"use_mm_for_euclid_dist_if_necessary": None, "use_mm_for_euclid_dist": 1,
                "donot_use_mm_for_euclid_dist": 2}


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between the rows of x1 and of x2 (batched)."""
    # torch's names of the euclidean strategies become the op's int codes
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    return aten.cdist.default(x1, x2, p, _CDIST_MODES[compute_mode])


def _unique_result(values, inverse, counts, return_inverse, return_counts):
    out = (values,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())
    return out[0] if len(out) == 1 else out


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), optionally with the inverse indices and counts."""
    # no dim: _unique2; a dim: unique_dim (distinct slices); the result holds what was asked for
    if dim is None:
        r = aten._unique2.default(input, sorted, return_inverse, return_counts)
    else:
        r = aten.unique_dim.default(input, dim, sorted, return_inverse, return_counts)
    return _unique_result(*r, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """One element (or slice) per run of equal neighbours, optionally with inverse indices and counts."""
    # the result holds what was asked for
    r = aten.unique_consecutive.default(input, return_inverse, return_counts, dim)
    return _unique_result(*r, return_inverse, return_counts)


# ---------------------------------------------------------------- shape ----
def _varargs(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return list(args[0])
    return list(args)


def reshape(input, *shape):
    """Same data with a new shape (a view when possible)."""
    # sizes as varargs or one sequence
    return aten.reshape.default(input, _varargs(shape))


def permute(input, *dims):
    """Reorder dims (a view)."""
    # dims as varargs or one sequence
    return aten.permute.default(input, _varargs(dims))




def squeeze(input, dim=None):
    """Remove size-1 dims (all, one, or a list)."""
    # dim=None is .default, an int .dim, a sequence .dims
    if dim is None:
        return aten.squeeze.default(input)
    if isinstance(dim, _int):
        return aten.squeeze.dim(input, dim)
    return aten.squeeze.dims(input, list(dim))


def unflatten(input, dim, sizes):
    """Split one dim into `sizes`."""
    # sizes may be any sequence
    return aten.unflatten.int(input, dim, list(sizes))


def split(tensor, split_size_or_sections, dim=0):
    """Views of equal pieces (int) or of the given sizes (list)."""
    # an int is split.Tensor, a sequence split_with_sizes; the result is a tuple
    if isinstance(split_size_or_sections, _int):
        return tuple(aten.split.Tensor(tensor, split_size_or_sections, dim))
    return tuple(aten.split_with_sizes.default(tensor, list(split_size_or_sections), dim))


def chunk(input, chunks, dim=0):
    """`chunks` nearly equal views along dim."""
    # the result is a tuple
    return tuple(aten.chunk.default(input, chunks, dim))


def unbind(input, dim=0):
    """Views of each index along dim."""
    # the result is a tuple
    return tuple(aten.unbind.int(input, dim))


def cat(tensors, dim=0):
    """Concatenate along an existing dim (dtypes promote)."""
    # tensors may be any iterable
    return aten.cat.default(list(tensors), dim)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Stack along a new dim."""
    # tensors may be any iterable
    return aten.stack.default(list(tensors), dim)


def clone(input, *, memory_format=None):
    """A copy with its own memory, laid out in `memory_format` (default: preserve the input's layout)."""
    if memory_format is None:
        return aten.clone.default(input)
    return aten.clone.default(input, memory_format=memory_format)


def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero elements, one row per element (a data-dependent size while tracing)."""
    # as_tuple=True unbinds the columns (a 0-d input counts as one element of a 1-d one, as torch does)
    if as_tuple and input.ndim == 0:
        return tuple(aten.nonzero.default(aten.view.default(input, [1])).unbind(1))
    out = aten.nonzero.default(input)
    return tuple(out.unbind(1)) if as_tuple else out


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of input with `src` (or `value`) written at `index` along dim."""
    # src= or value=, with or without reduce=, pick one of four overloads
    if src is None:
        src = value
    if _is_tensor(src):
        return aten.scatter.src(input, dim, index, src) if reduce is None else \
            aten.scatter.reduce(input, dim, index, src, reduce=reduce)
    return aten.scatter.value(input, dim, index, src) if reduce is None else \
        aten.scatter.value_reduce(input, dim, index, src, reduce=reduce)


def flip(input, dims):
    """Reverse the order along dims."""
    # an int dim means [dim]
    return aten.flip.default(input, _dims(dims))


def roll(input, shifts, dims=None):
    """Rotate elements along dims (the flattened tensor when dims is None)."""
    # int shifts/dims mean one-element lists; dims=None is []
    shifts = [shifts] if isinstance(shifts, _int) else list(shifts)
    return aten.roll.default(input, shifts, [] if dims is None else _dims(dims))


def numel(input):
    """Number of elements."""
    return input.numel()


def is_tensor(obj):
    """True for a minexport Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """True for floating dtypes."""
    return input.dtype.is_floating_point


def broadcast_shapes(*shapes):
    """The shape all `shapes` broadcast to."""
    return Size(_broadcast_shapes(*[(s,) if isinstance(s, _int) else tuple(s) for s in shapes]))


def broadcast_to(input, *size):
    """A broadcast view of input with shape `size` (aten.broadcast_to; Tensor.broadcast_to takes varargs)."""
    return aten.broadcast_to.default(input, _varargs(size))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """A vector p-norm ('fro' is the 2-norm) over dim (all dims when None): aten.linalg_vector_norm,
    as torch records it."""
    if p is None:
        p = "fro"
    if isinstance(p, str):
        if p != "fro":
            raise NotImplementedError(f"norm: p={p!r} (a matrix norm) is not supported")
        p = 2
    dims = None if dim is None else ([dim] if isinstance(dim, _int) else list(dim))
    kw = {} if dtype is None else {"dtype": dtype}
    return aten.linalg_vector_norm.default(input, p, dims, keepdim, **kw)


def einsum(equation, *operands):
    """Einstein summation (aten.einsum): the operands as varargs or one list."""
    return aten.einsum.default(equation, _varargs(operands))


def result_type(tensor1, tensor2):
    """The dtype torch's promotion gives for these two operands."""
    return dt.result_type(tensor1, tensor2)


# ------------------------------------------------------------ generated ----
def _generated(packet, exposed):
    """The public function for a registered op: its one exposed overload, or the one the schema accepts."""
    if len(exposed) == 1:
        op = exposed[0]
        tensors = None       # read from the schema on first call: parsing ~300 schemas would slow `import minexport`

        def f(*args, **kwargs):
            nonlocal tensors
            if tensors is None:
                tensors = _required_tensor_positions(op)
            # as torch's binding: a positional Tensor argument must be a Tensor (no Python number)
            for i, arg_name in tensors:
                if i < len(args) and not isinstance(args[i], Tensor):
                    raise TypeError(f"{packet._name}(): argument '{arg_name}' (position {i + 1}) must be Tensor, "
                                    f"not {type(args[i]).__name__}")
            return op(*args, **kwargs)
    else:
        resolve, chosen = packet._resolve, packet._by_kinds

        def f(*args, **kwargs):
            # the common case inlined: positional arguments whose types were seen before
            if not kwargs:
                op = chosen.get(tuple(map(type, args)))
                if op is not None:
                    return op(*args)
            return resolve(args, kwargs)(*args, **kwargs)
    f.__name__ = f.__qualname__ = packet._name
    f.__doc__ = "aten." + packet._name + ": " + "; ".join(str(op._schema_text) for op in exposed)
    return f


def _required_tensor_positions(op):
    """(position, name) of the schema's positional arguments typed `Tensor` (not optional, not a list);
    `self` is `input` in torch's Python binding."""
    return tuple((i, "input" if a.name == "self" else a.name) for i, a in enumerate(op._schema.positional)
                 if a.type.base == "Tensor" and a.type.list_len is None and not a.type.optional)


def exposed_overloads(variant):
    """{op name: [OpOverload, ...]} for the registrations whose `variants` include `variant`."""
    exposed = {}
    for op in all_ops():
        if variant in op.variants:
            exposed.setdefault(op.op_name, []).append(op)
    return exposed


# hand-written functions here and the factories in `_factories` win over generated ones
_HAND_WRITTEN = set(globals()) | set(_factories.__all__)
_AS_FUNCTIONS = exposed_overloads("function")
for _name, _ops in _AS_FUNCTIONS.items():
    if _name not in _HAND_WRITTEN:
        globals()[_name] = _generated(_ops[0].overloadpacket, _ops)

_where_by_schema = _generated(aten.where, _AS_FUNCTIONS["where"])

# torch.<name> functions spelled with a leading underscore (torch._chunk_cat, ...): `import *` skips them,
# so the package imports them by this list
UNDERSCORE_FUNCTIONS = tuple(sorted(n for n in _AS_FUNCTIONS if n.startswith("_")))

# torch's aliases of ops minexport registers under one name: alias -> registered name
# (`_tensor_methods` attaches the same aliases as methods)
# (the aliases torch records as ops of their own, multiply or clip, are registered ops: ops/aliases.py)
ALIASES = {}
for _alias, _name in ALIASES.items():
    globals()[_alias] = globals()[_name]


# ------------------------------------------------------------------ grad mode --
# minexport has no autograd, but it keeps torch's grad mode (on by default): code reads it back with
# is_grad_enabled(), and an exported program keeps the stretches traced with it changed, as torch's training IR
# does (wrap_with_set_grad_enabled regions; see export/_regions.py).  Every setting is told to the tracer.
_GRAD_MODE = [True]


def is_grad_enabled():
    """torch.is_grad_enabled: the grad mode (True unless a no_grad / set_grad_enabled(False) is in force)."""
    return _GRAD_MODE[0]


def _set_grad_mode(enabled, told=True):
    """Set the grad mode; while tracing, the tracer learns where it was set (unless `told` is False)."""
    _GRAD_MODE[0] = enabled = builtins.bool(enabled)
    tracer = trace_state.tracer
    if told and tracer is not None:
        tracer.grad_mode_set(enabled)


class _GradModeContext:
    """A grad-mode context manager that is also a decorator (each decorated call in a fresh copy of it)."""

    _told = True

    def __enter__(self):
        self.prev = is_grad_enabled()
        _set_grad_mode(self._mode(), self._told)
        return self

    def __exit__(self, *exc):
        _set_grad_mode(self.prev, self._told)
        return False

    def _mode(self):
        raise NotImplementedError

    def clone(self):
        """A fresh context of the same kind (what a decorated function enters on each call)."""
        return type(self)()

    def __call__(self, fn):
        @functools.wraps(fn)
        def run_in_mode(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return run_in_mode


class no_grad(_GradModeContext):
    """torch.no_grad: grad mode off inside (a context manager, or `@no_grad()` on a function)."""

    def _mode(self):
        return False


class enable_grad(_GradModeContext):
    """torch.enable_grad: grad mode on inside."""

    def _mode(self):
        return True


class inference_mode(_GradModeContext):
    """torch.inference_mode: grad mode off inside; export records nothing for it (torch keeps no region)."""

    _told = False

    def __init__(self, mode=True):
        self.mode = mode

    def _mode(self):
        return not self.mode and is_grad_enabled()

    def clone(self):
        return inference_mode(self.mode)


class set_grad_enabled(_GradModeContext):
    """torch.set_grad_enabled(mode): sets the grad mode at once; as a context manager, restores the previous one on
    exit; as a decorator, runs the function in that mode."""

    def __init__(self, mode):
        self.prev = is_grad_enabled()
        self.mode = builtins.bool(mode)
        _set_grad_mode(self.mode)

    def __enter__(self):
        return self

    def clone(self):
        return set_grad_enabled(self.mode)

    def __call__(self, fn):
        _set_grad_mode(self.prev)       # a decorator's mode applies inside the function only
        return super().__call__(fn)


def _check(cond, message=None):
    """Assert cond; while tracing, a condition on a data-dependent value narrows its range and becomes a
    runtime assert in the program (torch._check)."""
    if is_symbolic(cond):
        tracer = trace_state.tracer
        if tracer is not None and tracer.check_condition is not None:
            tracer.check_condition(cond, message() if callable(message) else message)
            return
        cond = bool(cond)
    if not cond:
        raise RuntimeError(message() if callable(message) else (message or "Expected cond to be True"))


def _check_is_size(value, message=None):
    """_check(value >= 0), and while tracing, reason about value as a size (torch._check_is_size)."""
    _check(value >= 0, message)
    if is_symbolic(value) and value.expr.is_Symbol:
        value.env.size_like.add(value.expr)


def _constrain_as_size(symbol, min=None, max=None):
    """torch._constrain_as_size: `symbol` (an .item() value) is a size in [min, max] (min 0 when not given):
    checked, recorded as runtime asserts (`u0 >= 2`, `u0 <= 10`), and reasoned about as a size."""
    _check_is_size(symbol) if min is None else _check(symbol >= min)
    if max is not None:
        _check(symbol <= max)
    if is_symbolic(symbol) and symbol.expr.is_Symbol:
        symbol.env.size_like.add(symbol.expr)


# (issue 12, special) torch._segment_reduce is torch.segment_reduce under its older name
_segment_reduce = globals()["segment_reduce"]


# ------------------------------------------------- complex ops on real tensors ----
def conj(input):
    """The complex conjugate: on a real tensor (every minexport tensor) the tensor itself, as torch returns it."""
    return input
