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
from ._user_errors import DataDependentError
from .runtime import backends as _backends

__all__ = ["Tensor", "Size", "make_tensor", "make_view", "make_fake", "wrap_dim", "contiguous_strides",
           "format_strides", "strides_contiguous", "non_overlapping_and_dense", "preserved_strides",
           "memory_format_name", "suggest_memory_format", "sure", "guard_or", "record_layout_guards", "CONTIGUOUS",
           "CHANNELS_LAST", "CHANNELS_LAST_3D", "PRESERVE"]


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
    """Product of the sizes of a shape (1 for a 0-d shape).  Starting from the first size, not from 1, keeps
    a one-size product that size itself (a symbolic size is then read where it came from, not `1 * s`)."""
    it = iter(shape)        # (any iterable: a generator of no sizes is a 0-d shape too)
    n = next(it, None)
    if n is None:
        return 1
    for s in it:
        n = n * s
    return n


def wrap_dim(dim, ndim):
    """Normalize a possibly negative dim; IndexError in torch's words when out of range."""
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


# -- layout: strides and memory formats (torch's rules, for real and fake tensors alike) --
CONTIGUOUS, CHANNELS_LAST, CHANNELS_LAST_3D, PRESERVE = \
    "contiguous_format", "channels_last", "channels_last_3d", "preserve_format"
# torch's MemoryFormat enum codes, as a schema default (`memory_format=0`) spells them
_FORMAT_CODES = {0: CONTIGUOUS, 1: PRESERVE, 2: CHANNELS_LAST, 3: CHANNELS_LAST_3D}
_FORMATS = frozenset(_FORMAT_CODES.values())
# the dims of a channels-last tensor from the fastest-moving to the slowest
_LAST_ORDER = {CHANNELS_LAST: (1, 3, 2, 0), CHANNELS_LAST_3D: (1, 4, 3, 2, 0)}
_LAST_RANK = {CHANNELS_LAST: 4, CHANNELS_LAST_3D: 5}


def sure(cond, default):
    """A condition's truth when known without a guard: a plain bool, or a symbolic condition the
    size ranges decide; else `default`.  Layout rules ask this so that reading strides of symbolic
    sizes adds no guards (torch decides these "size-obliviously" too)."""
    if type(cond) is bool:
        return cond
    static = cond.env.static_value(cond.expr)
    return default if static is None else bool(static)


def guard_or(cond, default):
    """torch's guard_or_false (default False) / guard_or_true (default True): a plain bool as it is; a
    symbolic condition the ranges decide, decided; one over data-dependent symbols that nothing decides,
    `default` with no guard; any other, decided on its example value, recording the guard."""
    if type(cond) is bool:
        return cond
    env = cond.env
    if env.static_value(cond.expr) is None and env.simplify(cond.expr).free_symbols & env.unbacked:
        return default
    try:
        return bool(cond)
    except DataDependentError:
        return default


def record_layout_guards(shape, strides):
    """The layout questions torch's tracer asks of every node's fake value as it records the node's
    tensor_meta: is it contiguous, else channels-last (4-d), else channels-last-3d (5-d), each size and
    stride comparison decided as guard_or_false/guard_or_true decide it.  A stride equal to a symbolic
    size for some of its values only (a [:n, :n] slice of a [16, 16] buffer: contiguous iff n == 16)
    thus guards on the example value, as torch does."""
    if guard_or(shape_numel(shape) < 2, False):
        return
    if _dense_guarded(shape, strides, range(len(shape) - 1, -1, -1), True):
        return
    fmt = {4: CHANNELS_LAST, 5: CHANNELS_LAST_3D}.get(len(shape))
    if fmt is not None:
        _dense_guarded(shape, strides, _LAST_ORDER[fmt], False)


def _dense_guarded(shape, strides, order, also_max):
    """Whether the dims in `order` (fastest first) are densely packed, decided with guard_or; with
    `also_max` a stride may also equal the product of max(size, 1)s (torch's contiguity check does)."""
    expected = expected_max = 1
    for d in order:
        size, stride = shape[d], strides[d]
        if guard_or(size == 1, False):
            continue
        if guard_or(stride != expected, True) and (not also_max or guard_or(stride != expected_max, True)):
            return False
        expected_max = expected_max * _max_one(size)
        expected = expected * size
    return True


def _max_one(size):
    """max(size, 1), simplified to the size itself where its range proves it at least 1 (as torch's value
    ranges simplify sym_max), so that comparing with it adds no guard of its own."""
    if type(size) is int:
        return max(size, 1)
    return size if sure(size >= 1, False) else size.sym_max(1)


def _hint(x):
    """An int, or a symbolic size's example value (for orderings that must not guard)."""
    return x if type(x) is int else getattr(x, "hint", x)


def memory_format_name(memory_format, default=PRESERVE):
    """A memory format argument (None, an enum code, or a name) as its name; None means `default`."""
    if memory_format is None:
        return default
    name = _FORMAT_CODES.get(memory_format, memory_format) if type(memory_format) is int else memory_format
    if name not in _FORMATS:
        raise TypeError(f"memory_format must be one of {sorted(_FORMATS)}, got {memory_format!r}")
    return name


_ONLY_INT = {int}
_STATIC_STRIDES = {}     # static shape -> its strides: a model's ops make the same few shapes again and again


def contiguous_strides(shape):
    """Row-major strides of `shape`, as torch computes them (a size 0 counts as 1)."""
    if set(map(type, shape)) <= _ONLY_INT:     # symbolic sizes are never keys: their == is a guard
        key = shape if type(shape) is not list else tuple(shape)
        strides = _STATIC_STRIDES.get(key)
        if strides is None:
            if len(_STATIC_STRIDES) >= 4096:
                _STATIC_STRIDES.clear()
            strides = _STATIC_STRIDES[key] = _row_major(shape)
        return strides
    return _row_major(shape)


def _row_major(shape):
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc = acc * (s if s != 0 else 1) if isinstance(s, int) else acc * s
    return tuple(reversed(strides))


_contiguous_strides = contiguous_strides


def format_strides(shape, memory_format):
    """Dense strides of `shape` in a memory format (contiguous or channels-last)."""
    if memory_format == CONTIGUOUS:
        return contiguous_strides(shape)
    rank = _LAST_RANK[memory_format]
    if len(shape) != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {memory_format} format")
    strides, acc = [0] * rank, 1
    for d in _LAST_ORDER[memory_format]:
        strides[d] = acc
        s = shape[d]
        acc = acc * (s if s != 0 else 1) if isinstance(s, int) else acc * s
    return tuple(strides)


def strides_contiguous(shape, strides, memory_format=CONTIGUOUS):
    """torch's is_contiguous(memory_format) from sizes and strides (size-1 dims' strides do not count)."""
    if memory_format == CONTIGUOUS:
        if any(sure(s == 0, False) for s in shape):
            return True
        order = range(len(shape) - 1, -1, -1)
    elif memory_format in _LAST_RANK:
        if len(shape) != _LAST_RANK[memory_format]:
            return False
        order = _LAST_ORDER[memory_format]
    else:
        raise RuntimeError("is_contiguous() does not support memory_format=torch.preserve_format")
    expected = 1
    for d in order:
        size = shape[d]
        if sure(size != 1, True):
            if sure(strides[d] != expected, True):
                return False
            expected = expected * size
    return True


def non_overlapping_and_dense(shape, strides):
    """torch's is_non_overlapping_and_dense: the elements fill a block of memory exactly once."""
    if len(shape) == 1:
        return sure(shape[0] < 2, False) or sure(strides[0] == 1, False)
    # dims by stride, the size-0/1 dims (whose stride does not matter) last; symbolic strides by their
    # example values (an order must not guard)
    small = [sure(s < 2, False) for s in shape]
    perm = sorted(range(len(shape)), key=lambda d: (small[d], 0 if small[d] else _hint(strides[d])))
    expected = 1
    for d in perm:
        if small[d]:
            return True
        if sure(strides[d] != expected, True):
            return False
        expected = expected * shape[d]
    return True


def _channels_last_like(shape, strides):
    """torch's is_channels_last_strides_2d/3d heuristic: strides ordered as channels-last (4-d or 5-d)."""
    fmt = {4: CHANNELS_LAST, 5: CHANNELS_LAST_3D}.get(len(shape))
    if fmt is None:
        return None
    shape, strides = [_hint(s) for s in shape], [_hint(s) for s in strides]   # a heuristic: no guards
    if strides[1] == 0:
        return None
    smallest = 0
    for d in _LAST_ORDER[fmt]:
        if shape[d] == 0 or strides[d] < smallest:
            return None
        if d == 0 and smallest == strides[1]:
            return None
        smallest = strides[d] * shape[d] if shape[d] > 1 else strides[d]
    return fmt


def suggest_memory_format(shape, strides):
    """torch's suggest_memory_format: channels-last (3d) when the strides are ordered so, else contiguous."""
    return _channels_last_like(shape, strides) or CONTIGUOUS


def preserved_strides(shape, strides):
    """Strides of a preserve_format copy: the input's when dense, else its suggested format's."""
    if non_overlapping_and_dense(shape, strides):
        return tuple(strides)
    return format_strides(shape, _channels_last_like(shape, strides) or CONTIGUOUS)


def _address(arr):
    """The address of an array's first element (NumPy or CuPy)."""
    face = getattr(arr, "__array_interface__", None)
    return face["data"][0] if face is not None else arr.data.ptr


class Tensor:
    """An n-dimensional array with torch's semantics (see the module docstring)."""

    __slots__ = ("_data", "_dtype", "_fake_shape", "_device", "_base", "requires_grad",
                 "_node", "__dict__", "__weakref__")
    # A fake tensor's layout; class defaults (contiguous, offset 0) so that only a fake made with other
    # strides stores them.  A real tensor's layout is its array's.
    _strides = None
    _offset = 0

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
        """Strides in elements, torch's (a real tensor's are its array's)."""
        d = self._data
        if d is not None:
            item = d.itemsize
            st = tuple(s // item for s in d.strides)
            if not d.size and not any(st):
                st = contiguous_strides(d.shape)    # NumPy strides a fresh empty array 0, torch contiguously
        else:
            st = self._strides
            if st is None:
                st = contiguous_strides(self._fake_shape)
        return st if dim is None else st[wrap_dim(dim, len(st))]

    def storage_offset(self):
        """Elements between the start of the storage (the root tensor's data) and this tensor's first one."""
        d = self._data
        if d is None:
            return self._offset
        base = self._base
        if base is None or base._data is None:
            return 0
        return (_address(d) - _address(base._data)) // d.itemsize

    def is_contiguous(self, memory_format=CONTIGUOUS):
        """True when the elements are laid out densely in `memory_format` (row-major by default)."""
        fmt = memory_format_name(memory_format, CONTIGUOUS)
        d = self._data
        if fmt == CONTIGUOUS:
            if d is not None:
                if d.flags.c_contiguous:
                    return True
            elif self._strides is None:
                return True
        return strides_contiguous(self.shape, self.stride(), fmt)

    def is_non_overlapping_and_dense(self):
        """True when the elements fill one block of memory, each once, in some order of the dims."""
        return non_overlapping_and_dense(self.shape, self.stride())

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
    t.__dict__.pop("_strides", None)
    t.__dict__.pop("_offset", None)
    if value._data is None and (value._strides is not None or value._offset):
        t._strides, t._offset = value._strides, value._offset
    if value._data is None:     # while tracing (`self.w.data = x * 2`): t now stands for value's node, as in torch
        t._node = value._node


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


def contiguous_fake(cls, shape, dtype, device, requires_grad):
    """`make_fake(shape, dtype, device, cls)` with requires_grad set, for a `Size` shape and a device object
    (a contiguous fake at offset 0), made directly: export makes one per parameter and buffer."""
    t = _new(cls)
    t._data = None
    t._fake_shape, t._dtype, t._device = shape, dtype, device
    t._base = None
    t.requires_grad = requires_grad
    t._node = None
    return t


def make_fake(shape, dtype, device=None, cls=None, strides=None, storage_offset=0):
    """A data-less tensor (of class `cls`, default Tensor) with the given shape, dtype and device.

    `strides` (default: contiguous) and `storage_offset` give its layout.
    Export makes one per parameter and one per op, so the common arguments
    take the short way: a `Size` is immutable and shared as it is, a
    `device` needs no normalizing, and a contiguous fake stores no strides.
    """
    t = _new(cls or Tensor)
    t._data = None
    t._fake_shape = shape if type(shape) is Size else Size(shape)
    t._dtype = dtype
    t._device = device if type(device) is _DEVICE else _backends.as_device(device)
    t._base = None
    t.requires_grad = False
    t._node = None
    if strides is not None:
        strides = tuple(strides)
        if len(strides) != len(t._fake_shape):
            raise RuntimeError(f"mismatch in length of strides and shape: {len(strides)} strides for "
                               f"{len(t._fake_shape)} sizes")
        contiguous = contiguous_strides(t._fake_shape)
        if set(map(type, strides)) <= _ONLY_INT and set(map(type, contiguous)) <= _ONLY_INT:
            differs = strides != contiguous
        else:
            # As torch's contiguity check: the stride of a dim of size 1 never matters, so it is compared
            # without a guard (a stride that only may differ is kept as given); any other is compared as
            # torch compares it, guarding (`x[:, :4]` of an (2, s) input: s != 4)
            differs = any(sure(a != b, True) if type(n) is int and n == 1 else a != b
                          for a, b, n in zip(strides, contiguous, t._fake_shape) if a is not b)
        if differs:
            t._strides = strides
    if storage_offset is not None and (type(storage_offset) is not int or storage_offset):
        t._offset = storage_offset     # may be symbolic (torch writes u0-based offsets for while_loop outputs)
    return t

