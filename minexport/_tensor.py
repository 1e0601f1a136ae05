"""`Tensor` and `Size`.

One class serves both worlds: an eager tensor holds an array (`_data`, NumPy or
CuPy) and reads its shape from it; a fake tensor (used while tracing) holds no
data, only `_fake_shape`, dtype and device.  A view made by a view op keeps its
root tensor in `_base`; eager views share their array memory with the base,
so writes through either are visible in both, as in torch.

This module is the record only (storage, shape, dtype, device, base,
strides, flags) and imports nothing above the dtypes and runtime layers, so
the op registry can build tensors with it.  Everything that calls ops --
`Tensor(data)`, `.data`, `.item()`, `.tolist()`, iteration, `repr`, deep
copies, and the math methods (`x.add`, `x.sum`, `x + y`, ...) -- is attached
by `_tensor_methods` in the tensor surface layer, which maps each math method
to the same public function `minexport.add` etc. calls, so a method and its
function can never disagree.
"""
import numpy as np

from . import dtypes as _dt
from ._trace_state import trace_state
from .runtime import backends as _backends

__all__ = ["Tensor", "Size", "make_tensor", "make_view", "make_fake", "wrap_dim"]


class Size(tuple):
    """A tensor's shape: a tuple of ints (or symbolic ints while tracing)."""

    __slots__ = ()

    def numel(self):
        """Product of the sizes."""
        return shape_numel(self)

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __repr__(self):
        return f"minexport.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__


def shape_numel(shape):
    """Product of the sizes of a shape (1 for a 0-d shape)."""
    n = 1
    for s in shape:
        n = n * s
    return n


def wrap_dim(dim, ndim):
    """Normalize a possibly negative dim; IndexError in torch's words when out of range."""
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def _contiguous_strides(shape):
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc = acc * (s if s != 0 else 1) if isinstance(s, int) else acc * s
    return tuple(reversed(strides))


class Tensor:
    """An n-dimensional array with torch's semantics (see the module docstring)."""

    __slots__ = ("_data", "_dtype", "_fake_shape", "_device", "_base", "requires_grad",
                 "_node", "__dict__", "__weakref__")

    # -- basic properties ---------------------------------------------------
    @property
    def shape(self):
        """The tensor's sizes as a `Size`."""
        d = self._data
        return Size(d.shape) if d is not None else self._fake_shape

    @property
    def dtype(self):
        """The element dtype."""
        return self._dtype

    @property
    def device(self):
        """The device holding the data (cpu or cuda)."""
        return self._device

    @property
    def is_cuda(self):
        """True for a tensor on a CUDA device."""
        return self._device.type == "cuda"

    @property
    def is_meta(self):
        """True for a fake tensor (no data)."""
        return self._data is None

    @property
    def ndim(self):
        """Number of dimensions."""
        d = self._data
        return d.ndim if d is not None else len(self._fake_shape)

    def dim(self):
        """Number of dimensions."""
        return self.ndim

    ndimension = dim

    def size(self, dim=None):
        """The shape, or the size of dimension `dim`."""
        shape = self.shape
        if dim is None:
            return shape
        return shape[wrap_dim(dim, len(shape))]

    def numel(self):
        """Number of elements."""
        d = self._data
        return int(d.size) if d is not None else self._fake_shape.numel()

    nelement = numel

    def element_size(self):
        """Bytes per element."""
        return self._dtype.itemsize

    def stride(self, dim=None):
        """Strides in elements (contiguous strides for a fake tensor)."""
        d = self._data
        if d is not None:
            item = d.itemsize
            st = tuple(s // item for s in d.strides)
        else:
            st = _contiguous_strides(self._fake_shape)
        return st if dim is None else st[wrap_dim(dim, len(st))]

    def is_contiguous(self, memory_format=None):
        """True when the elements are laid out densely in row-major order."""
        d = self._data
        if d is None:
            return True
        if d.flags.c_contiguous:
            return True
        # torch ignores strides of size-1 dims
        expected = 1
        for size, st in zip(reversed(d.shape), reversed(self.stride())):
            if size != 1 and st != expected:
                return False
            expected *= size
        return True

    def is_floating_point(self):
        """True for floating dtypes."""
        return self._dtype.is_floating_point

    def is_complex(self):
        """Always False: minexport has no complex dtypes."""
        return False

    @property
    def layout(self):
        """Always strided."""
        return "strided"

    @property
    def grad(self):
        """Always None: minexport has no autograd."""
        return None

    @property
    def is_leaf(self):
        """True: without autograd every tensor is a leaf."""
        return True

    @property
    def grad_fn(self):
        """Always None: minexport has no autograd."""
        return None

    def requires_grad_(self, requires_grad=True):
        """Set the `requires_grad` flag (a flag only; there is no autograd)."""
        self.requires_grad = requires_grad
        return self

    # -- conversion to Python / NumPy -----------------------------------------
    def numpy(self, *, force=False):
        """The NumPy array behind this tensor (shares memory; cpu tensors only)."""
        d = self._require_data("numpy()")
        if type(d) is not np.ndarray:
            if not force:
                raise TypeError("can't convert cuda tensor to numpy. Use Tensor.cpu() "
                                "to copy the tensor to host memory first.")
            return _backends.to_device(d, "cpu")
        return d

    def __array__(self, dtype=None, copy=None):
        a = self.numpy(force=True)
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        return np.array(a, copy=True) if copy else a

    def _require_data(self, what):
        d = self._data
        if d is None:
            if trace_state.tracer is not None:
                trace_state.tracer.refuse_data_access(what, self)
            raise RuntimeError(
                f"{what} needs real data, but this is a fake tensor (shape and dtype only) "
                "created while tracing")
        return d

    def __bool__(self):
        if self._data is None:
            self._require_data("Python bool() (an `if`/`while` on a tensor)")
        if self.numel() != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(this tensor has {self.numel()} elements; use .any() or .all())")
        return bool(self.item())

    def __int__(self):
        if self._data is None:
            self._require_data("Python int()")
        return int(self.item())

    def __float__(self):
        if self._data is None:
            self._require_data("Python float()")
        return float(self.item())

    def __index__(self):
        if not self._dtype.is_integer or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __hash__(self):
        return id(self)

    def __format__(self, spec):
        if self.ndim == 0 and self._data is not None:
            return self.item().__format__(spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __reduce_ex__(self, protocol):
        raise TypeError("minexport tensors are not pickled; save programs with "
                        "minexport.export.save, or arrays with numpy")



def set_data(t, value):
    """`t.data = value`: rebind t to value's array (eager only)."""
    if not isinstance(value, Tensor):
        raise TypeError(f"Tensor.data must be a Tensor, got {type(value).__name__}")
    _init_from(t, value._data if value._data is not None else None,
               fake=(value._fake_shape, value._dtype, value._device))


_new = object.__new__
_FROM_NUMPY = _dt._FROM_NUMPY
_CPU = _backends.CPU
_DEVICE = _backends.device
_ndarray = np.ndarray


def _init_from(t, arr, fake=None):
    """Fill the record `t` from an array (or, when arr is None, from `fake` = (shape, dtype, device))."""
    if arr is None:
        t._data = None
        t._fake_shape, t._dtype, t._device = fake
    else:
        t._data = arr
        t._fake_shape = None
        dt = _FROM_NUMPY.get(arr.dtype)
        t._dtype = dt if dt is not None else _dt.from_numpy_dtype(arr.dtype)
        t._device = _CPU if type(arr) is _ndarray else _backends.device_of_array(arr)
    t._base = None
    t.requires_grad = False
    t._node = None


def make_tensor(arr):
    """Wrap an array (or a NumPy scalar) as a fresh Tensor."""
    if type(arr) is not _ndarray and isinstance(arr, (np.generic, int, float)):
        arr = np.asarray(arr)
    t = _new(Tensor)
    _init_from(t, arr)
    return t


def make_view(arr, src):
    """Wrap an array that aliases `src`'s data; its `_base` is src's root."""
    t = make_tensor(arr)
    t._base = src._base if src._base is not None else src
    return t


def make_fake(shape, dtype, device=None, cls=None):
    """A data-less tensor (of class `cls`, default Tensor) with the given shape, dtype and device.

    Export makes one per parameter and one per op, so the common arguments
    take the short way: a `Size` is immutable and shared as it is, and a
    `device` needs no normalizing.
    """
    t = _new(cls or Tensor)
    t._data = None
    t._fake_shape = shape if type(shape) is Size else Size(shape)
    t._dtype = dtype
    t._device = device if type(device) is _DEVICE else _backends.as_device(device)
    t._base = None
    t.requires_grad = False
    t._node = None
    return t
