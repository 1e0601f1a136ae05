"""dtypes, their NumPy mapping, and torch's type-promotion rules.

A `dtype` is a small immutable record. Promotion follows torch exactly:
categories bool < integer < floating; within a category the wider type wins;
uint8 with a signed integer widens to the next signed type; float16 with
bfloat16 gives float32.  `result_type` implements torch's three-tier rule:
dimensioned tensors outrank zero-dim tensors, which outrank Python scalars,
unless a lower tier brings a higher category.
"""
import builtins as _builtins

import numpy as np

from ._symbolic_marker import is_symbolic

__all__ = [
    "dtype", "float16", "bfloat16", "float32", "float64", "int8", "int16",
    "int32", "int64", "uint8", "bool", "promote_types", "result_type",
    "get_default_dtype", "set_default_dtype",
]

_CATEGORY_BOOL, _CATEGORY_INT, _CATEGORY_FLOAT = 0, 1, 2


class dtype:
    """A tensor element type (torch's `torch.dtype`)."""

    __slots__ = ("name", "itemsize", "category", "is_signed", "_np", "_rank")

    def __init__(self, name, itemsize, category, is_signed, np_name, rank):
        self.name = name
        self.itemsize = itemsize
        self.category = category
        self.is_signed = is_signed
        self._np = np.dtype(np_name) if np_name else None
        self._rank = rank

    @property
    def is_floating_point(self):
        """True for float16/bfloat16/float32/float64."""
        return self.category == _CATEGORY_FLOAT

    @property
    def is_integer(self):
        """True for the integer dtypes (uint8, int8 ... int64); False for bool and floats."""
        return self.category == _CATEGORY_INT

    @property
    def is_bool(self):
        """True for bool."""
        return self.category == _CATEGORY_BOOL

    @property
    def is_complex(self):
        """Always False: minexport has no complex dtypes."""
        return False

    @property
    def numpy_dtype(self):
        """The NumPy dtype holding this type's values (bfloat16 needs ml_dtypes)."""
        if self._np is None:
            try:
                import ml_dtypes
            except ImportError:
                raise TypeError(
                    "bfloat16 tensors with data need the ml_dtypes package "
                    "(pip install ml_dtypes); shapes and dtypes of bfloat16 "
                    "tensors work without it") from None
            self._np = np.dtype(ml_dtypes.bfloat16)
            _FROM_NUMPY[self._np] = self
        return self._np

    def to_real(self):
        """torch's `dtype.to_real()`: identity for real dtypes."""
        return self

    def __repr__(self):
        return "minexport." + self.name

    __str__ = __repr__

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = dtype("float16", 2, _CATEGORY_FLOAT, True, "float16", 10)
bfloat16 = dtype("bfloat16", 2, _CATEGORY_FLOAT, True, None, 11)
float32 = dtype("float32", 4, _CATEGORY_FLOAT, True, "float32", 12)
float64 = dtype("float64", 8, _CATEGORY_FLOAT, True, "float64", 13)
uint8 = dtype("uint8", 1, _CATEGORY_INT, False, "uint8", 2)
int8 = dtype("int8", 1, _CATEGORY_INT, True, "int8", 3)
int16 = dtype("int16", 2, _CATEGORY_INT, True, "int16", 4)
int32 = dtype("int32", 4, _CATEGORY_INT, True, "int32", 5)
int64 = dtype("int64", 8, _CATEGORY_INT, True, "int64", 6)
bool = dtype("bool", 1, _CATEGORY_BOOL, False, "bool", 1)

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
# torch's aliases
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16,
                int=int32, long=int64)
_FROM_NUMPY = {d._np: d for d in ALL_DTYPES if d._np is not None}


def _by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    """The minexport dtype for a NumPy dtype; a clear TypeError if there is none."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        pass
    np_dtype = np.dtype(np_dtype)
    if np_dtype in _FROM_NUMPY:
        return _FROM_NUMPY[np_dtype]
    if np_dtype.name == "bfloat16":
        bfloat16.numpy_dtype  # registers the ml_dtypes type
        return bfloat16
    raise TypeError(
        f"NumPy dtype {np_dtype} has no minexport equivalent; supported: "
        + ", ".join(d.name for d in ALL_DTYPES))


def by_name(name):
    """Look a dtype up by torch's name ('float32', 'long', ...)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise TypeError(f"unknown dtype name {name!r}") from None


# --------------------------------------------------------------- promotion --
_SIGNED_INTS = (int8, int16, int32, int64)


def _promote_uncached(a, b):
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == _CATEGORY_FLOAT:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize > b.itemsize else b
    # integers: uint8 against a signed type needs a signed type one size up
    if uint8 in (a, b):
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a.itemsize > b.itemsize else b


_PROMOTE = {(a, b): _promote_uncached(a, b) for a in ALL_DTYPES for b in ALL_DTYPES}


def promote_types(a, b):
    """torch.promote_types: the smallest dtype both `a` and `b` convert to safely."""
    return _PROMOTE[a, b]


_default_dtype = float32


# Caches above this module (the ops' promotion cache) that depend on the default dtype
# register a clearing function here, so this module imports nothing above it.
_DEFAULT_DTYPE_LISTENERS = []


def on_default_dtype_change(clear):
    """Call `clear()` whenever `set_default_dtype` changes the default dtype; returns `clear`."""
    _DEFAULT_DTYPE_LISTENERS.append(clear)
    return clear


def get_default_dtype():
    """The default floating dtype (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(d):
    """Set the default floating dtype (float32 or float64, as torch allows)."""
    global _default_dtype
    for clear in _DEFAULT_DTYPE_LISTENERS:
        clear()
    _RESULT_CACHE.clear()
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype = d


def scalar_dtype(value):
    """dtype a Python scalar would have as a tensor, before promotion."""
    t = type(value)
    if t is builtins_bool:
        return bool
    if t is int:
        return int64
    if t is float:
        return _default_dtype
    if isinstance(value, np.generic):
        return from_numpy_dtype(value.dtype)
    if isinstance(value, builtins_bool):
        return bool
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return _default_dtype
    if is_symbolic(value):      # SymInt, SymFloat or SymBool
        return {"SymBool": bool, "SymFloat": _default_dtype}.get(t.__name__, int64)
    raise TypeError(f"expected a number, got {t.__name__}")


builtins_bool = _builtins.bool


def _combine(higher, lower):
    """torch's rule for merging a higher-priority tier with a lower one."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == _CATEGORY_FLOAT:
        return higher
    if higher is bool or lower.category == _CATEGORY_FLOAT:
        return _PROMOTE[higher, lower]
    return higher


def result_type_from(dim_dtypes, zero_dim_dtypes, scalar_dtypes):
    """Promote three tiers of operand dtypes as torch's TensorIterator does.

    `scalar_dtypes` are the dtypes of Python numbers (float means the default
    dtype, int means int64).  A tier is None when it has no operand.
    """
    return _combine(dim_dtypes, _combine(zero_dim_dtypes, scalar_dtypes))


_RESULT_CACHE = {}


def result_type(*operands):
    """torch.result_type over tensors (anything with .dtype and .ndim) and Python scalars."""
    key = []
    for op in operands:
        if op is None:
            continue
        d = getattr(op, "dtype", None)
        if d is not None and type(d) is dtype:
            key.append((d, op.ndim == 0))
        else:
            key.append((scalar_dtype(op), None))
    key = tuple(key)
    r = _RESULT_CACHE.get(key)
    if r is None:
        r = result_type_of_key(key)
        _RESULT_CACHE[key] = r
    return r


def result_type_of_key(key):
    """Promotion over (dtype, is_zero_dim) pairs; is_zero_dim None marks a Python scalar."""
    tiers = {False: None, True: None, None: None}
    for d, tier in key:
        cur = tiers[tier]
        tiers[tier] = d if cur is None else _PROMOTE[cur, d]
    return result_type_from(tiers[False], tiers[True], tiers[None])


def can_cast(from_, to):
    """torch.can_cast: False when casting would move to a lower category."""
    return from_.category <= to.category
