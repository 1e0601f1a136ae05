"""float32 and float64 arrays narrowed to float16 and bfloat16 bit for bit as torch narrows them (on CPU).

NumPy (and ml_dtypes for bfloat16) round every number as torch does, but:

  * float16 of a NaN: torch's is always quiet -- the sign, the top 10 payload bits and the quiet bit
    (sign | 0x7E00 | payload), as the hardware converts; NumPy keeps a signalling NaN signalling
    (0x7C01 for a float32 NaN whose payload it drops).  Of a quiet NaN the two agree.
  * bfloat16 of a float32 NaN: torch's vectorized conversion, which also takes the remainder of a
    chunk, writes 0xFFFF for every NaN; ml_dtypes keeps the sign on 0x7FC0.
  * float64 to either: torch converts through float32 (two roundings, the first the hardware's, which
    keeps a NaN's sign and top payload bits and quiets it); NumPy rounds once, which differs where the
    float32 lands exactly half-way between two float16 (or bfloat16) values.

So a float64 source (a Python float too: `through_float32`) is narrowed to float32 first (NumPy's
float64 -> float32 is the hardware's), which also quiets its NaNs.  A float32 source goes to float16 through
float64: that widening is exact and quiets a signalling NaN keeping its payload (the hardware's), and
NumPy's float64 -> float16 then rounds each number once, as from float32, and narrows a quiet NaN as torch
does -- for a small array always (one more pass costs less than a test for NaNs), for a large one only when
its maximum is NaN (a pass that reads without writing).  A bfloat16 result's NaN lanes are rewritten when
the maximum says there are any.  Not imitated: torch's float64 -> bfloat16 NaN is 0xFFFF in its
vectorized chunks and 0x7FC0 in the scalar remainder, which depends on the array's length and on how the
work is split between threads; ml_dtypes' value stays.
"""
import math
import struct

import numpy as np

__all__ = ["narrow_float", "assign", "through_float32"]

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_MAXIMUM = np.maximum.reduce
_SMALL = 1 << 15    # elements up to which widening every float32 costs less than looking for a NaN first


def narrow_float(a, npd, order="K"):
    """`a.astype(npd, order=order)`, a float32/float64 NumPy array into float16/bfloat16 as torch converts
    it (see the module docstring); any other conversion as NumPy's."""
    src = a.dtype
    # (identity tests: every other conversion pays two of them and nothing else)
    if npd.itemsize != 2 or (src is not _F32 and src is not _F64) or type(a) is not np.ndarray:
        return a.astype(npd, order=order)
    half = npd is _F16
    if not half and not _is_bfloat16(npd):
        return a.astype(npd, order=order)
    if src is _F64:
        return a.astype(_F32, order=order).astype(npd, order=order)
    if half:
        if a.size <= _SMALL or _has_nan(a):
            a = a.astype(_F64, order=order)
        return a.astype(npd, order=order)
    r = a.astype(npd, order=order)
    if _has_nan(a):
        r.view(np.uint16)[np.isnan(a)] = 0xFFFF
    return r


def assign(dst, value):
    """`dst[...] = value` for a NumPy array dst, narrowing a float array into it as `narrow_float` does."""
    if type(value) is np.ndarray and value.dtype is not dst.dtype and type(dst) is np.ndarray:
        value = narrow_float(value, dst.dtype)
    dst[...] = value
    return dst


def through_float32(x):
    """A Python float rounded to float32 first, so that NumPy's one rounding of it to float16/bfloat16 is
    torch's two (a value beyond float32's range is an infinity, as the hardware rounds it)."""
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _is_bfloat16(npd, _known={}):
    """Whether the 2-byte NumPy dtype npd is ml_dtypes' bfloat16 (remembered by identity: its name is slow
    to read, and ml_dtypes is not imported here)."""
    known = _known.get(id(npd))
    if known is None:
        known = _known[id(npd)] = (npd, npd.name == "bfloat16")
    return known[1]


def _has_nan(a):
    """Whether the float32 array `a` holds a NaN: its maximum is NaN then."""
    return a.size > 0 and math.isnan(_MAXIMUM(a, None))
