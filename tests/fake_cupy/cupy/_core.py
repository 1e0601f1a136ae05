"""The double's `ndarray` and `ufunc`, and the wrapping of NumPy functions into CuPy-like ones."""
import numpy as np

_UNSUPPORTED_KINDS = "OSUVMm"   # object, strings, void, datetimes: no CuPy dtype


def _check_dtype(a):
    if a.dtype.kind in _UNSUPPORTED_KINDS:
        raise TypeError(f"Unsupported dtype {a.dtype}")


def _wrap(x):
    """NumPy results to device results: arrays wrap, scalars become 0-d arrays, containers recurse."""
    if isinstance(x, np.ndarray):
        _check_dtype(x)
        return ndarray._of(x)
    if isinstance(x, np.generic):
        return ndarray._of(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(_wrap(y) for y in x)
    if isinstance(x, list):
        return [_wrap(y) for y in x]
    return x


def _unwrap(x):
    """Device arguments to NumPy ones; a NumPy array here is a host array, which CuPy refuses."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    if type(x) in (list, tuple):
        return type(x)(_unwrap(y) for y in x)
    return x


def _unwrap_index(x):
    """Indices may be host arrays and lists (CuPy copies them to the device)."""
    if isinstance(x, ndarray):
        return x._a
    if type(x) is tuple:
        return tuple(_unwrap_index(y) for y in x)
    return x


class _Memory:
    """`ndarray.data`: a pointer (the host address, standing in for the device one) and a device id."""

    def __init__(self, ptr):
        self.ptr = ptr
        self.device_id = 0


class _Flags:
    def __init__(self, a):
        self.c_contiguous = a.flags.c_contiguous
        self.f_contiguous = a.flags.f_contiguous
        self.owndata = a.flags.owndata

    def __getitem__(self, key):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[key]


def _binop(name):
    def op(self, other):
        if isinstance(other, np.ndarray):
            raise TypeError(f"Unsupported type {type(other)}")
        if not isinstance(other, (ndarray, int, float, complex, bool, np.generic)):
            return NotImplemented
        return _wrap(getattr(self._a, name)(_unwrap(other)))
    op.__name__ = name
    return op


def _unop(name):
    def op(self):
        return _wrap(getattr(self._a, name)())
    op.__name__ = name
    return op


def _method(name):
    def m(self, *args, **kwargs):
        return _wrap(getattr(self._a, name)(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))
    m.__name__ = name
    return m


class ndarray:
    """A device array of the double: a NumPy array that never converts to NumPy implicitly."""

    __slots__ = ("_a", "__weakref__")
    # NumPy ufuncs and binary operators with NumPy operands defer to this class (then refuse)
    __array_ufunc__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._a = np.empty(shape, dtype=dtype, order=order)
        _check_dtype(self._a)

    @classmethod
    def _of(cls, a):
        obj = object.__new__(cls)
        obj._a = a
        return obj

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    # -- attributes ---------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    strides = property(lambda self: self._a.strides)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    T = property(lambda self: ndarray._of(self._a.T))
    mT = property(lambda self: ndarray._of(self._a.mT))
    real = property(lambda self: ndarray._of(self._a.real))
    imag = property(lambda self: ndarray._of(self._a.imag))
    flags = property(lambda self: _Flags(self._a))
    data = property(lambda self: _Memory(self._a.__array_interface__["data"][0]))

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    @property
    def device(self):
        """The device holding the array."""
        from .cuda import Device
        return Device(0)

    @property
    def base(self):
        """The array whose memory this one views (None for an owner)."""
        b = self._a.base
        while b is not None and not isinstance(b, np.ndarray):
            b = getattr(b, "base", None)
        return None if b is None else ndarray._of(b)

    # -- explicit transfers and Python scalars (synchronizing on CuPy) --------
    def get(self, stream=None, order="C", out=None):
        """A host (NumPy) copy."""
        return np.array(self._a, copy=True, order="A" if order == "K" else order)

    def set(self, arr):
        """Copy a host array into this one."""
        self._a[...] = arr

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def tobytes(self, order="C"):
        return self._a.tobytes(order)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __bool__(self):
        return bool(self._a)

    def __index__(self):
        return self._a.__index__()

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        for i in range(len(self._a)):
            yield self[i]

    def __repr__(self):
        return repr(self._a).replace("array(", "array(", 1)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    def __hash__(self):
        raise TypeError("unhashable type: 'cupy.ndarray'")

    def __copy__(self):
        return ndarray._of(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray._of(self._a.copy())

    def __reduce__(self):
        return (_rebuild, (self._a,))

    # -- indexing -----------------------------------------------------------
    def __getitem__(self, key):
        return _wrap(self._a[_unwrap_index(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap_index(key)] = value._a if isinstance(value, ndarray) else value

    def view(self, dtype=None):
        return ndarray._of(self._a.view() if dtype is None else self._a.view(dtype))

    def fill(self, value):
        self._a.fill(_unwrap(value))


def _rebuild(a):
    return ndarray._of(a)


for _n in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv", "rfloordiv",
           "mod", "rmod", "pow", "rpow", "matmul", "rmatmul", "and", "rand", "or", "ror", "xor", "rxor",
           "lshift", "rlshift", "rshift", "rrshift", "eq", "ne", "lt", "le", "gt", "ge", "divmod", "rdivmod",
           "iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow", "iand", "ior", "ixor",
           "ilshift", "irshift", "imatmul"):
    setattr(ndarray, f"__{_n}__", _binop(f"__{_n}__"))
for _n in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_n}__", _unop(f"__{_n}__"))

# in-place operators return self, not a fresh wrapper of the same memory
for _n in ("iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow", "iand", "ior", "ixor",
           "ilshift", "irshift", "imatmul"):
    def _inplace(self, other, _op=getattr(ndarray, f"__{_n}__")):
        result = _op(self, other)
        return self if result is not NotImplemented else result
    setattr(ndarray, f"__{_n}__", _inplace)

# the methods CuPy's ndarray has (NumPy's searchsorted, byteswap, resize, itemset, ... are absent)
for _n in ("all", "any", "argmax", "argmin", "argpartition", "argsort", "astype", "choose", "clip", "compress",
           "conj", "conjugate", "copy", "cumprod", "cumsum", "diagonal", "dot", "flatten", "max", "mean", "min",
           "nonzero", "partition", "prod", "ptp", "put", "ravel", "repeat", "reshape", "round", "sort", "squeeze",
           "std", "sum", "swapaxes", "take", "trace", "transpose", "var", "dump", "dumps", "tofile"):
    setattr(ndarray, _n, _method(_n))


class ufunc:
    """A CuPy-like ufunc over NumPy's: call it; `at`, `reduce`, `accumulate`, `outer` as CuPy allows."""

    # CuPy's ufunc.at is an atomic scatter kernel for these ufuncs and dtypes only;
    # reduce/accumulate only for add and multiply
    _ATOMIC = ("int32", "uint32", "uint64", "float32", "float64")
    _AT = {"add": _ATOMIC + ("float16",), "subtract": ("int32", "uint32", "float32", "float64"),
           "maximum": _ATOMIC, "minimum": _ATOMIC, "bitwise_and": ("int32", "uint32", "uint64"),
           "bitwise_or": ("int32", "uint32", "uint64"), "bitwise_xor": ("int32", "uint32", "uint64")}
    _REDUCE = {"add", "multiply"}

    def __init__(self, np_ufunc):
        self._f = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.name = "cupy_" + np_ufunc.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs

    def __call__(self, *args, **kwargs):
        out = kwargs.get("out")
        kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        result = self._f(*_unwrap(args), **kwargs)
        if out is not None:
            return out
        return _wrap(result)

    def __repr__(self):
        return f"<ufunc '{self.name}'>"

    def _require(self, method, names):
        if self.__name__ not in names:
            raise NotImplementedError(f"`{self.name}.{method}` is not supported yet")

    def at(self, a, indices, b=None):
        """Unbuffered in-place operation at `indices` (a scatter)."""
        self._require("at", self._AT)
        if not isinstance(a, ndarray):
            raise TypeError(f"Unsupported type {type(a)}")
        if a.dtype.name not in self._AT[self.__name__]:
            raise TypeError(f"`{self.name}.at` only supports {', '.join(self._AT[self.__name__])} as data type")
        args = (a._a, _unwrap_index(indices)) + (() if b is None else (_unwrap(b),))
        self._f.at(*args)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        """Reduce along `axis` (add and multiply only)."""
        self._require("reduce", self._REDUCE)
        return _wrap(self._f.reduce(_unwrap(array), axis=axis, dtype=dtype, keepdims=keepdims))

    def accumulate(self, array, axis=0, dtype=None, out=None):
        """Running reduction along `axis` (add and multiply only)."""
        self._require("accumulate", self._REDUCE)
        return _wrap(self._f.accumulate(_unwrap(array), axis=axis, dtype=dtype))

    def outer(self, A, B, **kwargs):
        """The ufunc applied to every pair of elements."""
        return _wrap(self._f.outer(_unwrap(A), _unwrap(B), **{k: _unwrap(v) for k, v in kwargs.items()}))

    def reduceat(self, *args, **kwargs):
        raise NotImplementedError(f"`{self.name}.reduceat` is not supported yet")


def device_function(np_fn, name):
    """A CuPy-like function over NumPy's: device arrays in, device arrays (0-d, not scalars) out."""
    def fn(*args, **kwargs):
        out = kwargs.get("out")
        result = np_fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
        return out if out is not None else _wrap(result)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"cupy.{name} (the double: numpy.{np_fn.__name__} on the wrapped arrays)."
    return fn


def host_function(np_fn, name):
    """A CuPy function answering about dtypes/shapes (result_type, may_share_memory, ...): arrays give
    their metadata or their memory, results stay Python/NumPy objects."""
    def fn(*args, **kwargs):
        return np_fn(*[a._a if isinstance(a, ndarray) else a for a in args], **kwargs)
    fn.__name__ = fn.__qualname__ = name
    return fn
