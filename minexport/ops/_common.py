"""Helpers shared by the op families: dims, broadcasting, promotion, fakes.

Everything here works for meta functions (fake tensors, sizes that may later
be symbolic) and for kernels (arrays) alike, so the two cannot disagree.
"""
import math

import numpy as np

from .. import dtypes as dt
from ..runtime.narrowing import assign, narrow_float, through_float32
from .._tensor import (CONTIGUOUS, PRESERVE, Size, Tensor, _hint, contiguous_strides, format_strides, guard_or,
                       make_fake, memory_format_name, non_overlapping_and_dense, preserved_strides, strides_contiguous,
                       sure, wrap_dim)

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
    if len(shapes) == 2:
        a, b = shapes
        # two shapes of plain ints (the static case): equal ones, or one of them 0-d (a scalar operand),
        # broadcast to the other without the per-size walk (no guard to record; the walk below would
        # return the same sizes)
        types = set(map(type, a))
        types.update(map(type, b))
        if types <= _ONLY_INT:
            if a == b or not b:
                return tuple(a)
            if not a:
                return tuple(b)
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        off = ndim - len(s)
        for i, size in enumerate(s):
            cur = out[off + i]
            # every size is asked `== 1`, the first too (torch's broadcasting guards `Ne(s77//2, 1)` on a
            # size expression the ranges do not decide)
            if _is_one(size):
                continue
            if _is_one(cur):
                out[off + i] = size
            elif cur != size:
                raise RuntimeError(
                    f"{op}: The size of tensor a ({cur}) must match the size of tensor b "
                    f"({size}) at non-singleton dimension {off + i}")
    return tuple(out)


def _is_one(size):
    """size == 1 for broadcasting, as torch's guard_or_false decides it: a size over data-dependent symbols
    that no range or _check decides counts as not 1, with no guard (size-like ones too: their example value
    is no evidence); any other undecided size is decided on its example value, recording the guard."""
    if type(size) is int:
        return size == 1
    return guard_or(size == 1, False)


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
    if t is Tensor:     # the common case first: what `x.ndim` reads, without the property
        d = x._data
        return x._dtype, (len(x._fake_shape) if d is None else d.ndim) == 0
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
        if x.dtype == npd:
            return x
        return x.astype(npd) if npd.itemsize != 2 else narrow_float(x, npd)     # (2 bytes: see narrow_float)
    if hasattr(x, "dtype"):
        npd = d.numpy_dtype
        if x.dtype == npd:
            return x
        if hasattr(x, "astype"):
            return x.astype(npd)
        return xp.asarray(x, dtype=npd)
    if d.is_floating_point:
        return float(x) if d.itemsize > 2 else through_float32(float(x))     # (float16/bfloat16: torch's rounding)
    if d is dt.bool:
        return bool(x)
    x = int(x)
    lo, hi = _INT_BOUNDS[d]
    if not lo <= x <= hi:  # torch wraps out-of-range integer scalars
        x = int(np.array(x, dtype=np.int64).astype(d._np))
    return x


# Some torch kernels convert a Scalar argument to the dtype they compute in with a range check (c10's
# checked conversion): clamp's bounds (clamp_min, clamp_max, clip, the in-place forms) and hardtanh's.  A
# finite number beyond the dtype's range is refused -- even one that would round into it, as 65519 to
# float16 -- while a float dtype takes an infinity or NaN as it is, and an unsigned one a negative number
# down to -max (it wraps).  Per dtype: (lowest, highest, torch's C++ name of the type); float64 takes any
# Python float.
_SCALAR_LIMITS = {
    dt.float16: (-65504.0, 65504.0, "c10::Half"),
    dt.bfloat16: (-3.3895313892515355e38, 3.3895313892515355e38, "c10::BFloat16"),
    dt.float32: (-3.4028234663852886e38, 3.4028234663852886e38, "float"),
    dt.uint8: (-255, 255, "uint8_t"),
    dt.int8: (-128, 127, "int8_t"),
    dt.int16: (-32768, 32767, "int16_t"),
    dt.int32: (-2 ** 31, 2 ** 31 - 1, "int"),
    dt.int64: (-2 ** 63, 2 ** 63 - 1, "int64_t"),
}


def check_scalar_range(value, d, what):
    """Refuse a Scalar argument that torch's checked conversion to dtype `d` refuses (see above); `what`
    names the argument ("clamp's min")."""
    limits = _SCALAR_LIMITS.get(d)
    if limits is None or limits[0] <= value <= limits[1] or type(value) is bool:
        return
    if d.is_floating_point and (value != value or value in (math.inf, -math.inf)):
        return
    lo, hi, name = limits
    raise RuntimeError(f"value cannot be converted to type {name} without overflow ({what} is {value!r}, outside "
                       f"{d.name}'s range [{lo!r}, {hi!r}]: give a value within it, or a tensor of a wider dtype)")


def fake_like(shape, dtype, *tensors):
    """A fake result on the device of the first tensor among `tensors`."""
    for t in tensors:
        if isinstance(t, Tensor):
            return make_fake(shape, dtype, t._device)
    return make_fake(shape, dtype)


# ------------------------------------------------------- static geometry --
# Many meta functions compute their output's geometry (sizes, strides, storage offset) from their tensor
# inputs' geometries and their int arguments alone.  When all of these are plain ints, such a meta function
# reads no size environment and records no guard, so its answer for them can never change -- within an
# export, across exports, or after graph edits -- and may be remembered and replayed.  `static_key` builds
# the key (None when anything is symbolic or not a fake tensor / int / None / list of ints: those take the
# meta function itself); a call that raises is never remembered, so errors are raised every time.
_GEOMETRY_LIMIT = 4096          # per op: a bound on memory, far above what a model asks
_ONLY_INT = {int}
_SEQUENCES = (list, tuple, Size)


def static_key(tensors, args=(), extra=()):
    """The geometries of fake `tensors` and the int arguments `args`, as a hashable key, when every size,
    stride, offset and argument is a plain int (None allowed among args); else None.

    A list argument is keyed as a tuple: callers read their int lists as
    sequences only, so a list and a tuple of the same ints mean the same.
    `extra` (plain hashable values the caller computed, such as flags) is
    appended as it is.
    """
    key, types = [], set()
    for t in tensors:
        if t.__class__ is not Tensor and not isinstance(t, Tensor) or t._data is not None:
            return None
        shape, strides, offset = t._fake_shape, t._strides, t._offset
        types.update(map(type, shape))
        if not types <= _ONLY_INT:
            return None     # a symbolic size: leave at once (a dynamic export pays as little as possible here)
        if strides is not None:
            types.update(map(type, strides))
        types.add(type(offset))
        key += (shape, strides, offset)
    for a in args:
        ta = type(a)
        if ta is int or a is None:
            key.append(a)
        elif ta in _SEQUENCES:
            a = tuple(a)
            types.update(map(type, a))
            key.append(a)
        else:
            return None
    if not types <= _ONLY_INT:
        return None
    key += extra
    return tuple(key)


_MEMOS = []      # every op's remembered geometries, so that tests can forget them all


def geometry_memo():
    """A new, empty memo of geometries for one op (keys from `static_key`)."""
    memo = {}
    _MEMOS.append(memo)
    return memo


def forget_geometries():
    """Empty every op's memo (tests compare a meta function's first answer with its remembered one)."""
    for memo in _MEMOS:
        memo.clear()


def remembered(known, key, like, compute):
    """compute()'s fake output (a tensor, or a list of tensors for the split family), remembered in `known`
    by its geometries for a static `key` (see static_key; None: just compute): a later call with the same
    key gets fresh fakes of `like`'s dtype and device with the same geometries."""
    if key is None:
        return compute()
    geometry = known.get(key)
    if geometry is not None:
        return [_replay(like, g) for g in geometry] if type(geometry) is list else _replay(like, geometry)
    out = compute()
    if len(known) >= _GEOMETRY_LIMIT:
        known.clear()
    known[key] = [_geometry(t) for t in out] if type(out) is list else _geometry(out)
    return out


def _geometry(t):
    """A fake's (Size, stored strides or None when contiguous, storage offset), as make_fake stored them."""
    return t._fake_shape, t._strides, t._offset


def _replay(like, geometry):
    """A fresh fake of `like`'s dtype and device with a remembered geometry: what make_fake made the first
    time (the strides and offset stored are make_fake's own normalized ones, set as they are)."""
    shape, strides, offset = geometry
    t = make_fake(shape, like._dtype, like._device)
    if strides is not None:
        t._strides = strides
    if offset:
        t._offset = offset
    return t


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
        if value.dtype == npd:
            return value
        return value.astype(npd) if npd.itemsize != 2 else narrow_float(value, npd)
    if not hasattr(value, "shape") or isinstance(value, np.generic):
        return np.asarray(value, dtype=d.numpy_dtype) if xp is np else xp.asarray(value, dtype=d.numpy_dtype)
    npd = d.numpy_dtype
    return value if value.dtype == npd else value.astype(npd)


# ------------------------------------------------------------------ layout --
# torch decides the strides of a new tensor in two ways: a pointwise op lays its result out in its
# inputs' order of dims (TensorIterator), and a copy or `*_like` op follows its `memory_format`
# (preserve_format: the input's strides when they are dense).  Every other op's result is contiguous,
# which is what `fake_like` and `make_fake` give.
def pointwise_fake(shape, dtype, *operands):
    """The fake result of a pointwise op over `operands` (tensors and scalars) with torch's layout."""
    device, slow = None, False
    for t in operands:
        if isinstance(t, Tensor):
            if device is None:
                device = t._device
            if t._strides is not None:
                slow = True
    if not slow:
        return make_fake(shape, dtype, device)
    return make_fake(shape, dtype, device, strides=pointwise_strides(tuple(shape), operands))


def pointwise_layout(xp, out, *operands):
    """A pointwise kernel's result `out` laid out as torch lays it out over `operands` (arrays and scalars).

    NumPy's result of C-contiguous operands is C-contiguous, as torch's is, unless an operand has a
    size-1 dim with another stride than C order gives it; otherwise torch's strides are computed and the
    result copied to them when NumPy chose others.
    """
    for a in operands:
        if type(a) is not _ndarray and (a is None or not hasattr(a, "flags")):
            continue        # a scalar
        if not a.flags.c_contiguous or (1 in a.shape and array_strides(a) != contiguous_strides(a.shape)):
            break
    else:
        return out
    shape = tuple(out.shape)
    # a Python scalar is an operand too (a 0-d one): the inputs then differ in shape
    layouts = [(tuple(a.shape), array_strides(a)) if hasattr(a, "flags") else ((), ()) for a in operands
               if a is not None]
    strides = _pointwise_strides(shape, layouts)
    return out if array_strides(out) == strides else relayout(xp, out, strides)


def pointwise_strides(shape, operands):
    """Output strides of a pointwise op over `operands`, tensors and scalars (torch's TensorIterator);
    see `_pointwise_strides`."""
    return _pointwise_strides(shape, [(tuple(t.shape), t.stride()) if isinstance(t, Tensor) else ((), ())
                                      for t in operands if t is not None])


def pointwise_strides_of(shape, layouts):
    """`pointwise_strides` over operands given as (shape, strides) pairs, a scalar as ((), ())."""
    return _pointwise_strides(tuple(shape), [(tuple(s), tuple(st)) for s, st in layouts])


def _pointwise_strides(shape, layouts):
    """Output strides of a pointwise op (torch's TensorIterator) over operands of (shape, strides):
    contiguous when every input is, the inputs' strides when they all share them densely, else dense in
    the order of the inputs' strides."""
    ndim = len(shape)
    if ndim <= 1:
        return contiguous_strides(shape)
    # shapes compared without guarding (a tuple's == compares sizes pairwise before lengths, and a
    # symbolic size against another input's static one would otherwise record a guard torch never makes)
    if all(len(s) == ndim and all(a is b or sure(a == b, False) for a, b in zip(s, shape)) for s, _ in layouts):
        if all(strides_contiguous(s, st) for s, st in layouts):
            return contiguous_strides(shape)
        if all(strides_contiguous(s, st, "channels_last") for s, st in layouts):
            return format_strides(shape, "channels_last")
        first = layouts[0][1]
        if all(all(sure(a == b, False) for a, b in zip(st, first)) for _, st in layouts) and \
                non_overlapping_and_dense(shape, first):
            return tuple(first)
    # each input's strides over the output's shape: a broadcast dim strides 0
    expanded = []
    for s, st in layouts:
        off = ndim - len(s)
        expanded.append(tuple(0 if i < off or (sure(s[i - off] == 1, False) and sure(shape[i] != 1, True))
                              else st[i - off] for i in range(ndim)))
    return dense_strides(shape, _stride_order(shape, expanded))


def _stride_order(shape, strides_list):
    """The dims from fastest- to slowest-moving, as TensorIterator sorts them: the first input with
    distinct nonzero strides on two dims decides their order; a tie keeps the original order."""
    def should_swap(d0, d1):
        # (symbolic strides compare by their example values: an order must not guard)
        for st in strides_list:
            s0, s1 = _hint(st[d0]), _hint(st[d1])
            if s0 == 0 or s1 == 0:
                continue
            if s0 < s1:
                return -1
            if s0 > s1:
                return 1
            if _hint(shape[d0]) > _hint(shape[d1]):
                return 1
        return 0

    perm = list(range(len(shape) - 1, -1, -1))
    # insertion sort that stops at the first dim it must stay behind (ties do not move)
    for i in range(1, len(perm)):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def logical_to_physical_perm(shape, strides):
    """The dims of a tensor of (shape, strides) from the outermost in memory to the innermost, as torch
    orders an elementwise result over it (`empty_like`'s `empty_permuted`, `index`'s output): identity for
    a contiguous tensor, channels-last order for a channels-last 4-d one, else by descending stride."""
    ndim = len(shape)
    if ndim <= 1:
        return list(range(ndim))
    contiguous = strides_contiguous(shape, strides)
    channels_last = strides_contiguous(shape, strides, "channels_last")
    if contiguous and not channels_last:
        return list(range(ndim))
    if channels_last and not contiguous:
        return [0, *range(2, ndim), 1]
    return _stride_order(shape, [strides])[::-1]


def dense_strides(shape, order):
    """Strides that lay `shape` out densely with dims `order` from the fastest-moving."""
    strides, acc = [0] * len(shape), 1
    for d in order:
        strides[d] = acc
        s = shape[d]
        acc = acc * (s if s != 0 else 1) if isinstance(s, int) else acc * s
    return tuple(strides)


def like_strides(t, memory_format):
    """Strides of a copy of tensor t in `memory_format` (None: preserve_format); None when contiguous."""
    fmt = memory_format_name(memory_format, PRESERVE)
    if fmt == PRESERVE:
        if t._data is None and t._strides is None:
            return None
        return preserved_strides(tuple(t.shape), t.stride())
    return format_strides(tuple(t.shape), fmt) if fmt != CONTIGUOUS else None


def array_like_strides(a, memory_format):
    """`like_strides` for an array: strides of its copy in `memory_format`; None when contiguous."""
    fmt = memory_format_name(memory_format, PRESERVE)
    if fmt == PRESERVE:
        st = array_strides(a)
        return None if st == contiguous_strides(a.shape) else preserved_strides(tuple(a.shape), st)
    return format_strides(tuple(a.shape), fmt) if fmt != CONTIGUOUS else None


def relayout(xp, a, strides):
    """Array a copied to `strides` (elements); a itself when strides is None (contiguous)."""
    if strides is None:
        return a
    out = empty_strided_array(xp, a.shape, strides, a.dtype)
    out[...] = a
    return out


def array_strides(a):
    """An array's strides in elements."""
    item = a.itemsize
    return tuple(s // item for s in a.strides)


def empty_strided_array(xp, shape, strides, npd):
    """An uninitialized array of `shape` with `strides` (elements) over a buffer just large enough."""
    shape, strides = tuple(shape), tuple(strides)
    if strides == contiguous_strides(shape):
        return xp.empty(shape, dtype=npd)
    size = 0 if 0 in shape else 1 + sum((n - 1) * st for n, st in zip(shape, strides))
    buf = xp.empty(size, dtype=npd)
    item = buf.itemsize
    return xp.lib.stride_tricks.as_strided(buf, shape=shape, strides=tuple(st * item for st in strides))


def copy_array(xp, a, memory_format=None, npd=None):
    """A copy of array `a` (as dtype npd) laid out as torch lays out a copy in `memory_format`."""
    npd = a.dtype if npd is None else npd
    fmt = memory_format_name(memory_format, PRESERVE)
    shape = tuple(a.shape)
    # (a preserved copy keeps even a size-1 dim's odd stride, which NumPy's copy does not)
    if a.dtype.kind == "f" and np.dtype(npd).kind in "iu":
        # a non-finite float becomes an integer without a word, as in torch (T5's log(0) bucket: INT64_MIN)
        with np.errstate(invalid="ignore"):
            return _laid_out_copy(xp, a, fmt, shape, npd)
    return _laid_out_copy(xp, a, fmt, shape, npd)


def _laid_out_copy(xp, a, fmt, shape, npd):
    """copy_array's copy, its memory format already a name."""
    if a.flags.c_contiguous and (fmt == CONTIGUOUS or
                                 (fmt == PRESERVE and array_strides(a) == contiguous_strides(shape))):
        return a.copy() if a.dtype == npd else narrow_float(a, npd, order="C")
    strides = preserved_strides(shape, array_strides(a)) if fmt == PRESERVE else format_strides(shape, fmt)
    out = empty_strided_array(xp, shape, strides, npd)
    return assign(out, a)


def c_order(xp, a):
    """Array `a` in C order: itself when it already is (the flag test costs less than ascontiguousarray's
    call), else a C-contiguous copy."""
    return a if a.flags.c_contiguous else xp.ascontiguousarray(a)


def byte_strides(fake):
    """A fake tensor's strides in bytes: what NumPy's `strides` gives for an array laid out as it is (a
    specialized kernel compares the two to know whether a run's array keeps the exported layout)."""
    itemsize = fake.dtype.numpy_dtype.itemsize
    return tuple(s * itemsize for s in fake.stride())


def static_operands(*fakes):
    """Whether the fakes (None: an absent operand) are tensors of one dtype with plain int sizes: what an
    op's `specialize` hook needs to trust every check its meta function made."""
    present = [f for f in fakes if f is not None]
    return all(hasattr(f, "dtype") and f.dtype is present[0].dtype and all(type(d) is int for d in f.shape)
               for f in present)
