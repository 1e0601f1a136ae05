"""Helpers shared by the op families: dims, broadcasting, promotion, fakes.

Everything here works for meta functions (fake tensors, sizes that may later
be symbolic) and for kernels (arrays) alike, so the two cannot disagree.
"""
import numpy as np

from .. import dtypes as dt
from .._tensor import Tensor, make_fake, wrap_dim

_FROM_NUMPY = dt._FROM_NUMPY
_ndarray = np.ndarray
_TORCH_NAMES = {
    dt.float16: "Half", dt.bfloat16: "BFloat16", dt.float32: "Float", dt.float64: "Double",
    dt.uint8: "Byte", dt.int8: "Char", dt.int16: "Short", dt.int32: "Int", dt.int64: "Long",
    dt.bool: "Bool",
}


def torch_type_name(d):
    """torch's C++ scalar-type name for a dtype ('Float', 'Long', ...)."""
    return _TORCH_NAMES[d]


def wrap_dims(dims, ndim):
    """Normalize a list of dims (None or [] mean all dims); duplicates are an error."""
    if dims is None or (isinstance(dims, (list, tuple)) and len(dims) == 0):
        return tuple(range(ndim))
    if isinstance(dims, int):
        dims = (dims,)
    if len(dims) == 1:
        return (wrap_dim(dims[0], ndim),)
    out = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out} appears multiple times in the list of dims")
    return out


def broadcast_shapes(*shapes, op="broadcast"):
    """Broadcast shapes as torch does; the error names both sizes and the dimension."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        off = ndim - len(s)
        for i, size in enumerate(s):
            cur = out[off + i]
            if size == 1:
                continue
            if cur == 1:
                out[off + i] = size
            elif cur != size:
                raise RuntimeError(
                    f"{op}: The size of tensor a ({cur}) must match the size of tensor b "
                    f"({size}) at non-singleton dimension {off + i}")
    return tuple(out)


def shape_of(x):
    """Shape of a tensor or array; () for a Python scalar."""
    s = getattr(x, "shape", None)
    return tuple(s) if s is not None else ()


def dtype_of(x):
    """minexport dtype of a tensor, an array, or a Python scalar."""
    if type(x) is _ndarray:
        r = _FROM_NUMPY.get(x.dtype)
        if r is not None:
            return r
    if isinstance(x, Tensor):
        return x._dtype
    d = getattr(x, "dtype", None)
    if type(d) is dt.dtype:
        return d
    if d is not None:
        r = _FROM_NUMPY.get(d)
        return r if r is not None else dt.from_numpy_dtype(d)
    return dt.scalar_dtype(x)


_PROMO_CACHE = {}


def _operand_key(x):
    """A cheap hashable stand-in for an operand's (dtype, tier) in promotion."""
    t = type(x)
    if t is _ndarray:
        return x.dtype, x.ndim == 0
    if t is float or t is int or t is bool:
        return t
    if isinstance(x, Tensor):
        return x._dtype, x.ndim == 0
    if hasattr(x, "dtype") and hasattr(x, "ndim"):
        return dtype_of(x), x.ndim == 0
    return dt.scalar_dtype(x), None


def _full_key(k):
    if type(k) is type:
        return dt.scalar_dtype(k(0)), None
    d, zero = k
    return (d if type(d) is dt.dtype else dtype_of(np.empty(0, d))), zero


def promote(*operands):
    """torch's result type over tensors / arrays / Python scalars (None ignored)."""
    key = tuple([_operand_key(x) for x in operands if x is not None])
    r = _PROMO_CACHE.get(key)
    if r is None:
        r = _PROMO_CACHE[key] = dt.result_type_of_key(tuple(_full_key(k) for k in key))
    return r


@dt.on_default_dtype_change
def clear_promotion_cache():
    """Forget cached promotions (the default dtype changed)."""
    _PROMO_CACHE.clear()


_INT_BOUNDS = {d: (int(np.iinfo(d._np).min), int(np.iinfo(d._np).max))
               for d in (dt.uint8, dt.int8, dt.int16, dt.int32, dt.int64)}


def cast(xp, x, d):
    """Bring an array or Python scalar to dtype `d` (scalars stay Python numbers)."""
    if type(x) is _ndarray:
        npd = d._np or d.numpy_dtype
        return x if x.dtype == npd else x.astype(npd)
    if hasattr(x, "dtype"):
        npd = d.numpy_dtype
        if x.dtype == npd:
            return x
        if hasattr(x, "astype"):
            return x.astype(npd)
        return xp.asarray(x, dtype=npd)
    if d.is_floating_point:
        return float(x)
    if d is dt.bool:
        return bool(x)
    x = int(x)
    lo, hi = _INT_BOUNDS[d]
    if not lo <= x <= hi:  # torch wraps out-of-range integer scalars
        x = int(np.array(x, dtype=np.int64).astype(d._np))
    return x


def fake_like(shape, dtype, *tensors):
    """A fake result on the device of the first tensor among `tensors`."""
    for t in tensors:
        if isinstance(t, Tensor):
            return make_fake(shape, dtype, t._device)
    return make_fake(shape, dtype)


def check(cond, message, error=RuntimeError):
    """Raise error(message()) when cond is false (message built lazily)."""
    if not cond:
        raise error(message() if callable(message) else message)


def is_scalar(x):
    """True for Python numbers (and NumPy scalars), False for tensors and arrays."""
    return not isinstance(x, Tensor) and not hasattr(x, "shape")


def fmt_shape(shape):
    """Shapes printed as torch prints them: [2, 3]."""
    return "[" + ", ".join(str(s) for s in shape) + "]"


def out_array(xp, value, d):
    """Make a kernel result an array of dtype `d` (NumPy returns scalars for 0-d)."""
    if type(value) is _ndarray:
        npd = d._np or d.numpy_dtype
        return value if value.dtype == npd else value.astype(npd)
    if not hasattr(value, "shape") or isinstance(value, np.generic):
        return np.asarray(value, dtype=d.numpy_dtype) if xp is np else xp.asarray(value, dtype=d.numpy_dtype)
    npd = d.numpy_dtype
    return value if value.dtype == npd else value.astype(npd)
