"""The torch-like function surface (`minexport.add`, `minexport.sum`, ...).

Each function maps Python-level conveniences (optional dims, Python scalars,
varargs sizes) onto one ATen overload, choosing the same overload torch's
Python binding chooses, so that tracing later records the ops torch records.
Tensor methods are these same functions (see `_tensor_methods`).
"""
import builtins
import collections

from . import dtypes as dt
from ._tensor import Tensor
from ._symbolic_marker import is_symbolic
from ._trace_state import trace_state
from .ops import aten

_bool = builtins.bool
_int = builtins.int

# torch.return_types.* : named (values, indices) results
return_types = type("return_types", (), {})
for _n in ("max", "min", "sort", "topk"):
    setattr(return_types, _n, collections.namedtuple(_n, ["values", "indices"]))


def _is_tensor(x):
    return isinstance(x, Tensor)


# ---------------------------------------------------------------- unary ----
def _unary(op, doc):
    def f(input):
        return op(input)
    f.__doc__ = doc
    return f


abs = _unary(aten.abs.default, "Elementwise absolute value.")
neg = negative = _unary(aten.neg.default, "Elementwise negation.")
exp = _unary(aten.exp.default, "Elementwise e**x.")
log = _unary(aten.log.default, "Elementwise natural logarithm.")
log1p = _unary(aten.log1p.default, "Elementwise log(1 + x).")
sqrt = _unary(aten.sqrt.default, "Elementwise square root.")
rsqrt = _unary(aten.rsqrt.default, "Elementwise 1/sqrt(x).")
sin = _unary(aten.sin.default, "Elementwise sine.")
cos = _unary(aten.cos.default, "Elementwise cosine.")
tanh = _unary(aten.tanh.default, "Elementwise hyperbolic tangent.")
sigmoid = _unary(aten.sigmoid.default, "Elementwise logistic sigmoid.")
erf = _unary(aten.erf.default, "Elementwise error function.")
relu = _unary(aten.relu.default, "Elementwise max(x, 0).")
reciprocal = _unary(aten.reciprocal.default, "Elementwise 1/x.")
sign = _unary(aten.sign.default, "Elementwise sign (-1, 0, 1).")
floor = _unary(aten.floor.default, "Elementwise floor.")
ceil = _unary(aten.ceil.default, "Elementwise ceiling.")
isnan = _unary(aten.isnan.default, "Elementwise NaN test.")
logical_not = _unary(aten.logical_not.default, "Elementwise logical not.")
bitwise_not = _unary(aten.bitwise_not.default, "Elementwise bitwise not (logical not for bool).")
t = _unary(aten.t.default, "Transpose of a tensor with at most 2 dims.")
detach = _unary(aten.detach.default, "A tensor sharing data, outside autograd.")


def round(input, *, decimals=0):
    """Round half to even, optionally to `decimals` places."""
    return aten.round.default(input) if decimals == 0 else aten.round.decimals(input, decimals=decimals)


# --------------------------------------------------------------- binary ----
def _binary(name, doc, scalar_first=None):
    """A binary function: .Tensor for a tensor `other`, .Scalar for a Python number (as torch picks)."""
    tensor_op, scalar_op = getattr(aten, name).Tensor, getattr(aten, name).Scalar

    def f(input, other):
        if not _is_tensor(input):
            if scalar_first is not None:
                return scalar_first(input, other)
            input, other = _wrap_scalar(input, other), other
        return tensor_op(input, other) if _is_tensor(other) else scalar_op(input, other)
    f.__name__ = name
    f.__doc__ = doc
    return f


def _wrap_scalar(value, like):
    from ._factories import scalar_tensor
    return scalar_tensor(value, dtype=dt.scalar_dtype(value), device=like.device)


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


subtract = sub
def mul(input, other):
    """Elementwise product."""
    if not _is_tensor(input):
        input, other = other, input
    return aten.mul.Tensor(input, other)


multiply = mul
eq = _binary("eq", "Elementwise ==.")
ne = not_equal = _binary("ne", "Elementwise !=.")
lt = less = _binary("lt", "Elementwise <.")
le = less_equal = _binary("le", "Elementwise <=.")
gt = greater = _binary("gt", "Elementwise >.")
ge = greater_equal = _binary("ge", "Elementwise >=.")
fmod = _binary("fmod", "C-style remainder (sign of the dividend).")
remainder = _binary("remainder", "Python-style remainder (sign of the divisor).",
                    scalar_first=lambda a, b: aten.remainder.Scalar_Tensor(a, b))
bitwise_and = _binary("bitwise_and", "Elementwise bitwise and.",
                      scalar_first=lambda a, b: aten.bitwise_and.Scalar_Tensor(a, b))
bitwise_or = _binary("bitwise_or", "Elementwise bitwise or.",
                     scalar_first=lambda a, b: aten.bitwise_or.Scalar_Tensor(a, b))


def div(input, other, *, rounding_mode=None):
    """Division: true division, or rounding_mode 'trunc' / 'floor'."""
    if not _is_tensor(input):
        input = _wrap_scalar(input, other)
    if rounding_mode is None:
        return aten.div.Tensor(input, other)
    return aten.div.Tensor_mode(input, other, rounding_mode=rounding_mode)


divide = div


def true_divide(input, other):
    """True division."""
    return div(input, other)


def floor_divide(input, other):
    """Division rounded toward negative infinity."""
    if not _is_tensor(input):
        input = _wrap_scalar(input, other)
    return aten.floor_divide.default(input, other) if _is_tensor(other) else aten.floor_divide.Scalar(input, other)


def pow(input, exponent):
    """input ** exponent."""
    if not _is_tensor(input):
        return aten.pow.Scalar(input, exponent)
    if _is_tensor(exponent):
        return aten.pow.Tensor_Tensor(input, exponent)
    return aten.pow.Tensor_Scalar(input, exponent)


def maximum(input, other):
    """Elementwise maximum (NaN propagates)."""
    return aten.maximum.default(input, other)


def minimum(input, other):
    """Elementwise minimum (NaN propagates)."""
    return aten.minimum.default(input, other)


def logical_and(input, other):
    """Elementwise logical and."""
    return aten.logical_and.default(input, other)


def logical_or(input, other):
    """Elementwise logical or."""
    return aten.logical_or.default(input, other)


def where(condition, input=None, other=None):
    """Elementwise select; where(condition) alone returns nonzero indices."""
    if input is None and other is None:
        raise NotImplementedError("where(condition) with one argument (nonzero) has a data-dependent "
                                  "output size; use where(condition, x, y)")
    if _is_tensor(input) and _is_tensor(other):
        return aten.where.self(condition, input, other)
    if _is_tensor(input):
        return aten.where.ScalarOther(condition, input, other)
    if _is_tensor(other):
        return aten.where.ScalarSelf(condition, input, other)
    return aten.where.Scalar(condition, input, other)


def masked_fill(input, mask, value):
    """input with `value` where mask is True."""
    if _is_tensor(value):
        return aten.masked_fill.Tensor(input, mask, value)
    return aten.masked_fill.Scalar(input, mask, value)


def clamp(input, min=None, max=None):
    """Clamp into [min, max] (either may be None; tensors allowed)."""
    if _is_tensor(min) or _is_tensor(max):
        return aten.clamp.Tensor(input, min, max)
    return aten.clamp.default(input, min, max)


clip = clamp


def clamp_min(input, min):
    """max(input, min)."""
    return aten.clamp_min.Tensor(input, min) if _is_tensor(min) else aten.clamp_min.default(input, min)


def clamp_max(input, max):
    """min(input, max)."""
    return aten.clamp_max.Tensor(input, max) if _is_tensor(max) else aten.clamp_max.default(input, max)


# ----------------------------------------------------------- reductions ----
def _dims(dim):
    if dim is None:
        return None
    return [dim] if isinstance(dim, _int) else list(dim)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of all elements, or over `dim` (int or list)."""
    if dim is None:
        return aten.sum.default(input, dtype=dtype) if dtype is not None else aten.sum.default(input)
    kw = {"dtype": dtype} if dtype is not None else {}
    return aten.sum.dim_IntList(input, _dims(dim), keepdim, **kw)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of all elements, or over `dim`."""
    kw = {"dtype": dtype} if dtype is not None else {}
    if dim is None:
        return aten.mean.default(input, **kw)
    return aten.mean.dim(input, _dims(dim), keepdim, **kw)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or over one dim."""
    kw = {"dtype": dtype} if dtype is not None else {}
    if dim is None:
        return aten.prod.default(input, **kw)
    return aten.prod.dim_int(input, dim, keepdim, **kw)


def amax(input, dim=(), keepdim=False):
    """Maximum over dims (all when empty)."""
    return aten.amax.default(input, _dims(dim), keepdim)


def amin(input, dim=(), keepdim=False):
    """Minimum over dims (all when empty)."""
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


def argmax(input, dim=None, keepdim=False):
    """Index of the maximum (of the flattened tensor when dim is None)."""
    return aten.argmax.default(input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """Index of the minimum."""
    return aten.argmin.default(input, dim, keepdim)


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
    if dim is None:
        return aten.any.default(input)
    return aten.any.dim(input, dim, keepdim) if isinstance(dim, _int) else aten.any.dims(input, list(dim), keepdim)


def all(input, dim=None, keepdim=False):
    """True if every element (over dim) is nonzero."""
    if dim is None:
        return aten.all.default(input)
    return aten.all.dim(input, dim, keepdim) if isinstance(dim, _int) else aten.all.dims(input, list(dim), keepdim)


def cumsum(input, dim, *, dtype=None):
    """Cumulative sum along dim."""
    return aten.cumsum.default(input, dim, dtype=dtype) if dtype is not None else aten.cumsum.default(input, dim)


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) over dim, computed stably."""
    return aten.logsumexp.default(input, _dims(dim), keepdim)


def softmax(input, dim, dtype=None):
    """exp(x) / sum(exp(x)) along dim."""
    return aten.softmax.int(input, dim, dtype) if dtype is not None else aten.softmax.int(input, dim)


def log_softmax(input, dim, dtype=None):
    """log(softmax(x)) along dim, computed stably."""
    return aten.log_softmax.int(input, dim, dtype) if dtype is not None else aten.log_softmax.int(input, dim)


# --------------------------------------------------------------- linalg ----
def mm(input, mat2):
    """Matrix product of two 2-D tensors."""
    return aten.mm.default(input, mat2)


def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors."""
    return aten.bmm.default(input, mat2)


def matmul(input, other):
    """Matrix product with NumPy-style broadcasting of batch dims."""
    return aten.matmul.default(input, other)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    kw = {k: v for k, v in (("beta", beta), ("alpha", alpha)) if v != 1}
    return aten.addmm.default(input, mat1, mat2, **kw)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2)."""
    kw = {k: v for k, v in (("beta", beta), ("alpha", alpha)) if v != 1}
    return aten.baddbmm.default(input, batch1, batch2, **kw)


# ---------------------------------------------------------------- shape ----
def _varargs(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return list(args[0])
    return list(args)


def reshape(input, *shape):
    """Same data with a new shape (a view when possible)."""
    return aten.reshape.default(input, _varargs(shape))


def permute(input, *dims):
    """Reorder dims (a view)."""
    return aten.permute.default(input, _varargs(dims))


def transpose(input, dim0, dim1):
    """Swap two dims (a view)."""
    return aten.transpose.int(input, dim0, dim1)


swapaxes = swapdims = transpose


def unsqueeze(input, dim):
    """Insert a size-1 dim (a view)."""
    return aten.unsqueeze.default(input, dim)


def squeeze(input, dim=None):
    """Remove size-1 dims (all, one, or a list)."""
    if dim is None:
        return aten.squeeze.default(input)
    if isinstance(dim, _int):
        return aten.squeeze.dim(input, dim)
    return aten.squeeze.dims(input, list(dim))


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one."""
    return aten.flatten.using_ints(input, start_dim, end_dim)


def unflatten(input, dim, sizes):
    """Split one dim into `sizes`."""
    return aten.unflatten.int(input, dim, list(sizes))


def narrow(input, dim, start, length):
    """A view of `length` elements from `start` along dim."""
    return aten.narrow.default(input, dim, start, length)


def select(input, dim, index):
    """A view of one index along dim (the dim is removed)."""
    return aten.select.int(input, dim, index)


def split(tensor, split_size_or_sections, dim=0):
    """Views of equal pieces (int) or of the given sizes (list)."""
    if isinstance(split_size_or_sections, _int):
        return tuple(aten.split.Tensor(tensor, split_size_or_sections, dim))
    return tuple(aten.split_with_sizes.default(tensor, list(split_size_or_sections), dim))


def chunk(input, chunks, dim=0):
    """`chunks` nearly equal views along dim."""
    return tuple(aten.chunk.default(input, chunks, dim))


def unbind(input, dim=0):
    """Views of each index along dim."""
    return tuple(aten.unbind.int(input, dim))


def cat(tensors, dim=0):
    """Concatenate along an existing dim (dtypes promote)."""
    return aten.cat.default(list(tensors), dim)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Stack along a new dim."""
    return aten.stack.default(list(tensors), dim)


def clone(input, *, memory_format=None):
    """A copy with its own memory."""
    return aten.clone.default(input)


def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero elements, one row per element (a data-dependent size while tracing)."""
    out = aten.nonzero.default(input)
    return tuple(out.unbind(1)) if as_tuple else out


def index_select(input, dim, index):
    """Entries of `index` along dim."""
    return aten.index_select.default(input, dim, index)


def gather(input, dim, index, *, sparse_grad=False):
    """out[i][j] = input[index[i][j]][j] (for dim 0), and so on."""
    return aten.gather.default(input, dim, index)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of input with `src` (or `value`) written at `index` along dim."""
    if src is None:
        src = value
    if _is_tensor(src):
        return aten.scatter.src(input, dim, index, src) if reduce is None else \
            aten.scatter.reduce(input, dim, index, src, reduce=reduce)
    return aten.scatter.value(input, dim, index, src) if reduce is None else \
        aten.scatter.value_reduce(input, dim, index, src, reduce=reduce)


def flip(input, dims):
    """Reverse the order along dims."""
    return aten.flip.default(input, _dims(dims))


def roll(input, shifts, dims=None):
    """Rotate elements along dims (the flattened tensor when dims is None)."""
    shifts = [shifts] if isinstance(shifts, _int) else list(shifts)
    return aten.roll.default(input, shifts, [] if dims is None else _dims(dims))


def tril(input, diagonal=0):
    """Lower triangle (zeros above `diagonal`)."""
    return aten.tril.default(input, diagonal)


def triu(input, diagonal=0):
    """Upper triangle (zeros below `diagonal`)."""
    return aten.triu.default(input, diagonal)


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
    from .ops._common import broadcast_shapes as _bs
    from ._tensor import Size
    return Size(_bs(*[(s,) if isinstance(s, _int) else tuple(s) for s in shapes]))


def broadcast_to(input, size):
    """A broadcast view of input with shape `size`."""
    return aten.expand.default(input, list(size))


def result_type(tensor1, tensor2):
    """The dtype torch's promotion gives for these two operands."""
    return dt.result_type(tensor1, tensor2)


def _tolist(t):
    """Nested lists of Python numbers (refused while tracing: the values are not known)."""
    return t._require_data("tolist()").tolist()


class no_grad:
    """A no-op context manager/decorator: minexport has no autograd."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        return fn


enable_grad = inference_mode = no_grad


def _check(cond, message=None):
    """Assert cond; while tracing, a condition on a data-dependent value narrows its range and becomes a
    runtime assert in the program (torch._check)."""
    if is_symbolic(cond):
        tracer = trace_state.tracer
        if hasattr(tracer, "check_condition"):
            tracer.check_condition(cond, message() if callable(message) else message)
            return
        cond = bool(cond)
    if not cond:
        raise RuntimeError(message() if callable(message) else (message or "Expected cond to be True"))


def _check_is_size(value, message=None):
    """_check(value >= 0), and while tracing, reason about value as a size (torch._check_is_size)."""
    _check(value >= 0, message)
    if getattr(value, "_is_symbolic", False) and value.expr.is_Symbol:
        value.env.size_like.add(value.expr)


def sym_min(a, b):
    """min() for sizes (symbolic sizes keep the expression)."""
    return a if a <= b else b


def sym_max(a, b):
    """max() for sizes (symbolic sizes keep the expression)."""
    return a if a >= b else b


def sym_int(a):
    """int() for sizes."""
    return int(a)


def sym_float(a):
    """float() for sizes."""
    return float(a)


def sym_not(a):
    """not for symbolic bools."""
    return not a
