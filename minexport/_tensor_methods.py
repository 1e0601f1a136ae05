"""Attach torch's Tensor methods and Python operators to `Tensor`.

Methods come from the registry: an op registered with `variants=(..., "method")`
becomes `Tensor.<name>`, and is the public function itself when there is one
(`x.sum(1)` is `minexport.sum(x, 1)`), else a generated wrapper (in-place ops:
`x.sin_()` calls `aten.sin_.default`).  The methods written out below are the
ones whose torch binding differs from the schema; they win over generated
ones.  Operators follow torch's mapping (`2 - x` is `rsub`, `2 / x` is
`reciprocal(x) * 2`).
"""
import numpy as np

from . import _factories
from . import _functions as F
from . import _indexing
from . import _shape_functions
from . import _math_functions
from . import dtypes as dt
from ._tensor import Tensor, _init_from, set_data
from ._tensor_str import tensor_repr
from .ops import aten
from ._trace_state import trace_state
from .runtime import backends

# ------------------------------------------- record methods that call ops ----
def __init__(self, data=None, *, dtype=None, device=None):
    """torch.Tensor(data): a tensor of the default float dtype."""
    src = _factories.tensor([] if data is None else data, dtype=dtype or dt.get_default_dtype(), device=device)
    _init_from(self, src._data)


def _get_data(self):
    # torch's non-strict export cannot trace through `.data` (a read, or a write through it such as
    # `x.data.add_(1)`): it stops with this error; minexport refuses at the read, naming the user's line.
    if self._data is None and trace_state.tracer is not None:
        from ._user_errors import UserError, format_user_frame, user_frame
        raise UserError(
            "We found a fake tensor in the exported program constant's list: `.data` of a tensor being traced "
            "was used, which export cannot trace through (torch refuses it too). At:\n"
            f"{format_user_frame(user_frame(2))}\n"
            "Fix it by using the tensor itself (x.detach() for a detached value; in-place ops on x or the "
            "buffer for updates).")
    return F.detach(self)


def tolist(self):
    """Nested Python lists of Python numbers (refused while tracing: the values are not known)."""
    return self._require_data("tolist()").tolist()


def item(self):
    """The value of a one-element tensor as a Python number."""
    if self.numel() != 1:
        raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
    return aten.item.default(self)


def __iter__(self):
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(F.unbind(self, 0))


def __deepcopy__(self, memo):
    new = F.clone(self)
    if type(self) is not Tensor:           # a Parameter or Buffer stays one, around the cloned data
        data, new = new, type(self).__new__(type(self))
        _init_from(new, data._data)
    new.requires_grad = self.requires_grad
    new.__dict__.update(self.__dict__)
    memo[id(self)] = new
    return new


for _f in (__init__, tolist, item, __iter__, __deepcopy__):
    setattr(Tensor, _f.__name__, _f)
Tensor.data = property(_get_data, set_data, doc="A detached tensor sharing this tensor's data.")
Tensor.__repr__ = tensor_repr


# ------------------------------------------------------------ in-place ----
def _inplace_lenient(name):
    """add_/sub_/mul_: torch's binding wraps a Python number `other` as a tensor (the .Tensor overload)."""
    op = getattr(aten, name + "_").Tensor

    def method(self, other, **kwargs):
        return op(self, other, **kwargs)
    method.__name__ = name + "_"
    method.__doc__ = f"In-place {name}."
    return method


for _name in ("add", "sub", "mul", "subtract", "multiply"):
    setattr(Tensor, _name + "_", _inplace_lenient(_name))


def div_(self, other, *, rounding_mode=None):
    """In-place division."""
    # a number `other` is wrapped as a tensor (.Tensor); rounding_mode selects .Tensor_mode
    if rounding_mode is None:
        return aten.div_.Tensor(self, other)
    return aten.div_.Tensor_mode(self, other, rounding_mode=rounding_mode)


def index_put_(self, indices, values, accumulate=False):
    """self[indices] = values (or += with accumulate)."""
    # indices may be any sequence
    return aten.index_put_.default(self, list(indices), values, accumulate)


def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    """In-place scatter."""
    # src= or value=, with or without reduce=, pick one of four overloads
    src = value if src is None else src
    if isinstance(src, Tensor):
        return aten.scatter_.src(self, dim, index, src) if reduce is None else \
            aten.scatter_.reduce(self, dim, index, src, reduce=reduce)
    return aten.scatter_.value(self, dim, index, src) if reduce is None else \
        aten.scatter_.value_reduce(self, dim, index, src, reduce=reduce)


def round_(self, *, decimals=0):
    """In-place round."""
    # decimals=0 is the .default overload
    return aten.round_.default(self) if decimals == 0 else aten.round_.decimals(self, decimals=decimals)


def divide_(self, other, *, rounding_mode=None):
    """In-place division (torch records divide_, an alias of div_)."""
    # a number `other` is wrapped as a tensor (.Tensor); rounding_mode selects .Tensor_mode
    if rounding_mode is None:
        return aten.divide_.Tensor(self, other)
    return aten.divide_.Tensor_mode(self, other, rounding_mode=rounding_mode)


def true_divide_(self, other):
    """In-place true division (torch records true_divide_, an alias of div_)."""
    return aten.true_divide_.Tensor(self, other)


for _f in (div_, divide_, true_divide_, index_put_, scatter_, round_):
    setattr(Tensor, _f.__name__, _f)


# --------------------------------------------------------- shape helpers ----
def view(self, *shape):
    """A view with a new shape (-1 infers one size); fails when strides do not allow it."""
    if len(shape) == 1 and isinstance(shape[0], dt.dtype):
        raise NotImplementedError("view(dtype) (reinterpreting bits) is not supported")
    return aten.view.default(self, F._varargs(shape))


def view_as(self, other):
    """view(other.shape)."""
    return aten.view_as.default(self, other)


def reshape_as(self, other):
    """reshape(other.shape)."""
    return aten.reshape_as.default(self, other)


def expand(self, *sizes):
    """A broadcast view (-1 keeps a size)."""
    return aten.expand.default(self, F._varargs(sizes))


def expand_as(self, other):
    """expand(other.shape)."""
    return aten.expand_as.default(self, other)


def repeat(self, *sizes):
    """Tile the tensor `sizes` times along each dim."""
    return aten.repeat.default(self, F._varargs(sizes))


def contiguous(self, memory_format="contiguous_format"):
    """self when already contiguous in `memory_format` (nothing recorded, as torch), else a copy that is."""
    if self.is_contiguous(memory_format):
        return self
    if memory_format in ("contiguous_format", 0):
        return aten.contiguous.default(self)
    return aten.contiguous.default(self, memory_format=memory_format)


def unsqueeze_(self, dim):
    """In-place unsqueeze (changes this tensor's shape)."""
    return _restride(self, aten.unsqueeze.default(self, dim))


def squeeze_(self, dim=None):
    """In-place squeeze."""
    return _restride(self, F.squeeze(self, dim))


def transpose_(self, dim0, dim1):
    """In-place transpose."""
    return _restride(self, aten.transpose.int(self, dim0, dim1))


def t_(self):
    """In-place t()."""
    return _restride(self, aten.t.default(self))


def _restride(self, view_):
    self._data = view_._data
    self._fake_shape = view_._fake_shape
    if view_._data is None:
        self._strides, self._offset = view_._strides, view_._offset
    return self


def _T(self):
    return aten.numpy_T.default(self)


def _mT(self):
    return aten.mT.default(self)


for _f in (view, view_as, reshape_as, expand, expand_as, repeat, contiguous, unsqueeze_, squeeze_,
           transpose_, t_):
    setattr(Tensor, _f.__name__, _f)
Tensor.T = property(_T, doc="All dims reversed (a view).")
Tensor.mT = property(_mT, doc="Last two dims swapped (a view).")


# ------------------------------------------------------------- conversion ----
def to(self, *args, **kwargs):
    """to(dtype) / to(device[, dtype]) / to(other) / to(dtype=, device=, copy=)."""
    non_blocking = kwargs.pop("non_blocking", False)
    copy = kwargs.pop("copy", False)
    dtype, device, other = kwargs.pop("dtype", None), kwargs.pop("device", None), kwargs.pop("other", None)
    memory_format = kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            other = a
        elif isinstance(a, dt.dtype):
            dtype = a
        elif isinstance(a, (str, backends.device, int)) and not isinstance(a, bool):
            device = a
        elif isinstance(a, bool):
            non_blocking = a
        else:
            raise TypeError(f"to() received an invalid argument of type {type(a).__name__}")
    if trace_state.tracer is not None:
        # torch 2.13's trace checks a converted tensor's metadata before every `to`
        aten._assert_tensor_metadata.default(self, dtype=self.dtype, device=self.device, layout="strided")
    fmt = {} if memory_format is None else {"memory_format": memory_format}
    if other is not None:
        return aten.to.other(self, other, non_blocking, copy, **fmt)
    if device is not None and dtype is not None:
        return aten.to.device(self, backends.as_device(device), dtype, non_blocking, copy, **fmt)
    if dtype is not None:
        return aten.to.dtype(self, dtype, non_blocking, copy, **fmt)
    if device is not None or fmt:
        # torch's binding takes a device alone, or a memory format alone, as to.dtype_layout with the rest of
        # the options filled from self
        return aten.to.dtype_layout(self, dtype=self.dtype, layout="strided",
                                    device=self.device if device is None else backends.as_device(device),
                                    non_blocking=non_blocking, copy=copy, memory_format=memory_format)
    return aten.clone.default(self) if copy else self


def _caster(d):
    def method(self, memory_format=None):
        return to(self, d)
    method.__doc__ = f"to({d})"
    return method


for _n, _d in (("float", dt.float32), ("double", dt.float64), ("half", dt.float16),
               ("bfloat16", dt.bfloat16), ("long", dt.int64), ("int", dt.int32), ("short", dt.int16),
               ("char", dt.int8), ("byte", dt.uint8), ("bool", dt.bool)):
    setattr(Tensor, _n, _caster(_d))


def type_as(self, other):
    """self converted to other's dtype."""
    return aten.type_as.default(self, other)


def cpu(self):
    """A copy on the CPU (self when already there)."""
    return to(self, "cpu")


def cuda(self, device=None, non_blocking=False):
    """A copy on a CUDA device."""
    return to(self, backends.device("cuda", device if isinstance(device, int) else None))


def _new_factory(name):
    op = getattr(aten, name).default

    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        kw = {"pin_memory": pin_memory}
        if dtype is not None:
            kw["dtype"] = dtype
        if device is not None:
            kw["device"] = backends.as_device(device)
        t = op(self, F._varargs(size), **kw)
        t.requires_grad = requires_grad
        return t
    method.__name__ = name
    method.__doc__ = f"{name[4:]}() with self's dtype and device by default."
    return method


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """full() with self's dtype and device by default."""
    kw = {"pin_memory": pin_memory}
    if dtype is not None:
        kw["dtype"] = dtype
    if device is not None:
        kw["device"] = backends.as_device(device)
    t = aten.new_full.default(self, list(size), fill_value, **kw)
    t.requires_grad = requires_grad
    return t


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """tensor(data) with self's dtype and device by default."""
    return _factories.tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def where(self, condition, other):
    """where(condition, self, other)."""
    return F.where(condition, self, other)


for _name in ("new_zeros", "new_ones", "new_empty"):
    setattr(Tensor, _name, _new_factory(_name))
# torch's legacy tensor-type names, as Tensor.type() spells them
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
               "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}


def _type(self, dtype=None, non_blocking=False, **kwargs):
    """With no dtype, the type name ("torch.FloatTensor"); else this tensor cast to `dtype` (a dtype or such a
    name), itself when it already has it."""
    device = "" if self.device.type == "cpu" else f"{self.device.type}."
    if dtype is None:
        return f"torch.{device}{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
    if isinstance(dtype, str):
        by_name = {f"torch.{prefix}{v}": k for k, v in _TYPE_NAMES.items() for prefix in ("", "cuda.")}
        if dtype not in by_name:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = getattr(dt, by_name[dtype])
    return self.to(dtype, non_blocking=non_blocking)


Tensor.type = _type
for _f in (to, type_as, cpu, cuda, new_full, new_tensor, where):
    setattr(Tensor, _f.__name__, _f)
Tensor.unique = F.unique     # torch's Tensor.unique is torch.unique (a Python function over _unique2)


for _name, _f in _shape_functions.METHODS.items():      # varargs bindings of shape ops
    setattr(Tensor, _name, _f)
for _name, _f in _math_functions.METHODS.items():       # resize_ (varargs) and resize_as_
    setattr(Tensor, _name, _f)


# ------------------------------------------------------------ generated ----
# every other registered method: the public function of the same name, or a wrapper of the op
for _name, _ops in F.exposed_overloads("method").items():
    if _name not in vars(Tensor):
        setattr(Tensor, _name, getattr(F, _name, None) or F._generated(_ops[0].overloadpacket, _ops))
for _name in (*F.ALIASES, "true_divide"):     # torch's aliases of registered names
    setattr(Tensor, _name, getattr(F, _name))

# (issue 12, extra ops) x.norm(...) records aten.linalg_vector_norm as torch.norm does; swapaxes_ / swapdims_
# change this tensor's shape as transpose_ (torch records them as in-place view ops minexport does not have)
Tensor.norm = F.norm


def swapaxes_(self, axis0, axis1):
    """In-place swapaxes (changes this tensor's shape and strides)."""
    return _restride(self, aten.swapaxes.default(self, axis0, axis1))


def swapdims_(self, dim0, dim1):
    """In-place swapdims (changes this tensor's shape and strides)."""
    return _restride(self, aten.swapdims.default(self, dim0, dim1))


Tensor.swapaxes_, Tensor.swapdims_ = swapaxes_, swapdims_


def polygamma(self, n):
    """x.polygamma(n): torch.polygamma(n, x) (the op's schema puts the order first)."""
    return aten.polygamma.default(n, self)


Tensor.polygamma = polygamma


# -------------------------------------------------------------- operators ----
# (`x & y`, `x | y`, `x ^ y`, `x << y`, `x >> y` are the generated methods of torch's dunder ops)
def _rsub(self, other):
    return aten.rsub.Scalar(self, other) if not isinstance(other, Tensor) else F.sub(other, self)


def _rtruediv(self, other):
    return F.mul(F.reciprocal(self), other)


def _floordiv(self, other):
    """`a // b` records floor_divide.default with a number kept as is in its Tensor slot, as torch does."""
    return aten.floor_divide.default(self, other)


def _rfloordiv(self, other):
    return aten.floor_divide.default(other, self)


def _rmod(self, other):
    return aten.remainder.Scalar_Tensor(other, self)


def _rpow(self, other):
    return aten.pow.Scalar(other, self)


def _rmatmul(self, other):
    return F.matmul(other, self)


def _iop(inplace):
    def op(self, other):
        inplace(self, other)
        return self
    return op


def _dunder(name):
    """`a & b` and friends record torch's dunder overloads: `.Tensor` for a tensor operand, else `.Scalar`."""
    packet = getattr(aten, name)

    def op(self, other):
        return (packet.Tensor if isinstance(other, Tensor) else packet.Scalar)(self, other)
    op.__name__ = name
    return op


_and, _or = _dunder("__and__"), _dunder("__or__")


_OPERATORS = {
    "__add__": F.add, "__radd__": F.add, "__sub__": F.sub, "__rsub__": _rsub,
    "__mul__": F.mul, "__rmul__": F.mul, "__truediv__": F.div, "__rtruediv__": _rtruediv,
    "__floordiv__": _floordiv, "__rfloordiv__": _rfloordiv, "__mod__": F.remainder,
    "__rmod__": _rmod, "__pow__": F.pow, "__rpow__": _rpow, "__matmul__": F.matmul,
    "__rmatmul__": _rmatmul, "__eq__": F.eq, "__ne__": F.ne, "__lt__": F.lt, "__le__": F.le,
    "__gt__": F.gt, "__ge__": F.ge, "__rand__": _and, "__ror__": _or,
    "__neg__": F.neg, "__abs__": F.abs, "__invert__": F.bitwise_not,
    "__iadd__": _iop(Tensor.add_), "__isub__": _iop(Tensor.sub_), "__imul__": _iop(Tensor.mul_),
    "__itruediv__": _iop(div_), "__ifloordiv__": _iop(Tensor.floor_divide_),
    "__imod__": _iop(Tensor.remainder_), "__ipow__": _iop(Tensor.pow_),
    "__rxor__": F.bitwise_xor,
    "__iand__": _dunder("__iand__"), "__ior__": _dunder("__ior__"), "__ixor__": _dunder("__ixor__"),
    "__lshift__": _dunder("__lshift__"), "__rshift__": _dunder("__rshift__"),
    "__ilshift__": _dunder("__ilshift__"), "__irshift__": _dunder("__irshift__"),
    "__getitem__": _indexing.getitem, "__setitem__": _indexing.setitem,
}


def _numpy_scalars_as_numbers(fn):
    """A NumPy scalar beside a tensor acts as the Python number it holds (as in torch: `np.float64(2) * t`
    keeps t's float32)."""
    def op(self, other):
        if isinstance(other, np.generic):
            other = other.item()
        return fn(self, other)
    op.__name__ = getattr(fn, "__name__", "op")
    return op


_BINARY_ARITHMETIC = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
                      "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__")
for _name, _fn in _OPERATORS.items():
    setattr(Tensor, _name, _numpy_scalars_as_numbers(_fn) if _name in _BINARY_ARITHMETIC else _fn)
# NumPy defers to these operators when a NumPy scalar or array is on the left (`np.float64(2) * t`)
Tensor.__array_priority__ = 1000
Tensor.__hash__ = lambda self: id(self)



# ---------------------------------------- complex-number surface on real tensors ----
def _H(self):
    return aten.matrix_H.default(self)


def _mH(self):
    return aten.mH.default(self)


def sum_to_size(self, *size):
    """Sum dims away until the tensor has `size` (as sizes or one list): torch's reverse of expand."""
    return aten.sum_to_size.default(self, F._varargs(size))


Tensor.H = property(_H, doc="The conjugate transpose of a matrix (a view; the transpose for real tensors).")
Tensor.mH = property(_mH, doc="The conjugate transpose of the last two dims (a view).")
Tensor.conj = F.conj
Tensor.sum_to_size = sum_to_size
Tensor.__rdiv__ = _numpy_scalars_as_numbers(_rtruediv)
