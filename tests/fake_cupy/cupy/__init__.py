"""The double's `cupy` namespace: only names CuPy's namespace provides (see the package docstring).

Each function runs NumPy's on the wrapped arrays; the lists below are CuPy's API
(its reference's routines, ufuncs and constants), not NumPy's: NumPy names that
CuPy lacks (errstate, frompyfunc, ndindex, nditer, vectorize's general form,
histogram_bin_edges, ...) are absent, so a kernel that reaches for them through
`xp` fails here as it would on a GPU.
"""
import numpy as _np

from . import cuda, lib
from ._core import device_function as _device_function
from ._core import host_function as _host_function
from ._core import ndarray, ufunc, _unwrap, _wrap
from . import fft, linalg, random

__version__ = "13.0.0+fake"

# -- constants and scalar types, as CuPy re-exports them from NumPy ------------
for _n in ("e", "euler_gamma", "inf", "nan", "newaxis", "pi",
           "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "intp", "uintp",
           "byte", "short", "intc", "int_", "longlong", "ubyte", "ushort", "uintc", "uint", "ulonglong",
           "float16", "float32", "float64", "half", "single", "double", "complex64", "complex128", "csingle",
           "cdouble", "generic", "number", "integer", "signedinteger", "unsignedinteger", "inexact", "floating",
           "complexfloating", "dtype", "finfo", "iinfo"):
    globals()[_n] = getattr(_np, _n)
bool = _np.bool_

# -- ufuncs --------------------------------------------------------------------
_UFUNCS = (
    "add", "subtract", "multiply", "matmul", "divide", "true_divide", "floor_divide", "negative", "positive",
    "power", "float_power", "remainder", "mod", "fmod", "divmod", "absolute", "fabs", "rint", "sign", "heaviside",
    "conjugate", "conj", "exp", "exp2", "log", "log2", "log10", "expm1", "log1p", "sqrt", "square", "cbrt",
    "reciprocal", "gcd", "lcm", "logaddexp", "logaddexp2",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "hypot", "sinh", "cosh", "tanh", "arcsinh",
    "arccosh", "arctanh", "degrees", "radians", "deg2rad", "rad2deg",
    "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "bitwise_not", "left_shift", "right_shift",
    "greater", "greater_equal", "less", "less_equal", "not_equal", "equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "maximum", "minimum", "fmax", "fmin",
    "isfinite", "isinf", "isnan", "signbit", "copysign", "nextafter", "modf", "ldexp", "frexp",
    "floor", "ceil", "trunc",
)
for _n in _UFUNCS:
    globals()[_n] = ufunc(getattr(_np, _n))
abs = absolute   # noqa: F821

# -- routines over device arrays ----------------------------------------------
_ROUTINES = (
    # creation
    "empty", "empty_like", "eye", "identity", "ones", "ones_like", "zeros", "zeros_like", "full", "full_like",
    "copy", "ascontiguousarray", "asfortranarray", "arange", "linspace", "logspace", "meshgrid",
    "diag", "diagflat", "tri", "tril", "triu", "vander", "fromfunction",
    # manipulation
    "copyto", "reshape", "ravel", "moveaxis", "rollaxis", "swapaxes", "transpose", "atleast_1d", "atleast_2d",
    "atleast_3d", "broadcast_arrays", "broadcast_to", "expand_dims", "squeeze", "concatenate", "stack",
    "vstack", "hstack", "dstack", "column_stack", "array_split", "split", "hsplit", "vsplit",
    "dsplit", "tile", "repeat", "append", "resize", "unique", "trim_zeros", "flip", "fliplr", "flipud", "roll",
    "rot90", "require",
    # indexing
    "indices", "ix_", "mask_indices", "tril_indices", "tril_indices_from", "triu_indices", "triu_indices_from",
    "nonzero", "where", "ravel_multi_index", "unravel_index", "diag_indices", "diag_indices_from", "take",
    "take_along_axis", "choose", "compress", "diagonal", "select", "extract", "place", "put", "putmask",
    "fill_diagonal", "flatnonzero", "argwhere",
    # sorting, searching, counting
    "sort", "lexsort", "argsort", "partition", "argpartition", "searchsorted", "count_nonzero", "argmax",
    "argmin", "nanargmax", "nanargmin",
    # logic
    "all", "any", "isin", "intersect1d", "setdiff1d", "union1d", "setxor1d", "isclose", "allclose",
    "array_equal", "array_equiv", "iscomplex", "isreal", "isneginf", "isposinf",
    # math
    "sum", "prod", "nansum", "nanprod", "cumsum", "cumprod", "nancumsum", "nancumprod", "diff", "ediff1d",
    "gradient", "cross", "around", "round", "fix", "angle", "real", "imag", "convolve", "clip",
    "nan_to_num", "interp", "sinc", "i0", "unwrap",
    "max", "amax", "min", "amin", "nanmax", "nanmin", "ptp", "percentile", "quantile", "median", "nanmedian",
    "average", "mean", "std", "var", "nanmean", "nanstd", "nanvar", "corrcoef", "correlate", "cov",
    "histogram", "histogram2d", "histogramdd", "bincount", "digitize",
    # linear algebra at the top level
    "dot", "vdot", "inner", "outer", "tensordot", "einsum", "kron", "trace",
    # padding, bits, functional
    "pad", "packbits", "unpackbits", "apply_along_axis", "piecewise",
)
for _n in _ROUTINES:
    globals()[_n] = _device_function(getattr(_np, _n), _n)
round_ = round

for _n in ("result_type", "can_cast", "promote_types", "min_scalar_type", "common_type", "may_share_memory",
           "shares_memory", "isscalar", "ndim", "shape", "size", "issubdtype", "iscomplexobj", "isrealobj"):
    globals()[_n] = _host_function(getattr(_np, _n), _n)


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    """A new device array from host data (NumPy arrays, lists, scalars) or a device array."""
    src = obj._a if isinstance(obj, ndarray) else obj
    return _wrap(_np.array(src, dtype=dtype, copy=True, order=order, ndmin=ndmin))


def asarray(a, dtype=None, order=None, *, blocking=False):
    """`a` on the device: a device array as itself (cast when `dtype` differs), host data copied."""
    if isinstance(a, ndarray):
        return a if dtype is None or _np.dtype(dtype) == a.dtype else a.astype(dtype)
    return _wrap(_np.array(a, dtype=dtype, copy=True, order=order or "K"))


asanyarray = asarray


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    """A host (NumPy) copy of `a` (host data passes through)."""
    if isinstance(a, ndarray):
        return a.get(order=order)
    return _np.asarray(a, order=order)


def get_array_module(*args):
    """This module when any argument is a device array, else NumPy."""
    import sys
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else _np


def is_available():
    """True: the double has one pretend device."""
    return True


del _n, _device_function, _host_function, _unwrap
