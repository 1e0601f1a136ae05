"""Creation and conversion ops: zeros/ones/full/empty and their _like forms,
arange, linspace, eye, rand/randn/randint, scalar_tensor, lift_fresh_copy,
_to_copy and the `to` overloads.
"""
import math

import numpy as np

from .. import _random
from .. import dtypes as dt
from .._tensor import CONTIGUOUS, PRESERVE, format_strides, make_fake, memory_format_name, strides_contiguous
from ..runtime import backends
from ._common import (array_like_strides, array_strides, cast, check, copy_array, dtype_of, empty_strided_array,
                      fmt_shape, like_strides, logical_to_physical_perm, relayout)
from ._factory_kw import STRIDED, api_factory, api_like
from ._registry import ViewRule, aten, register
from ._view_rules import strided_layout, view_back


_FACTORY_KW = "*, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None"
_LIKE_KW = _FACTORY_KW + ", MemoryFormat? memory_format=None"


def _size(size):
    size = tuple(size)
    for s in size:
        check(s >= 0, lambda: f"Trying to create tensor with negative dimension {s}: {fmt_shape(size)}")
    return size


def _format_strides(size, kw):
    """A factory's strides from its `memory_format` keyword (None: contiguous)."""
    fmt = memory_format_name(kw.get("memory_format"), CONTIGUOUS)
    check(fmt != "preserve_format", "preserve memory format is unsupported by the contiguous operator")
    return None if fmt == CONTIGUOUS else format_strides(size, fmt)


def _fill_dtype(value, dtype):
    """full(): the dtype follows the fill value when none is given."""
    if dtype is not None:
        return dtype
    return dt.scalar_dtype(value) if not hasattr(value, "dtype") else dtype_of(value)


# How each family member fills its array: make(xp, shape, dtype, *fill_value)
_FILL = {
    "zeros": lambda xp, shape, d: xp.zeros(shape, dtype=d.numpy_dtype),
    "ones": lambda xp, shape, d: xp.ones(shape, dtype=d.numpy_dtype),
    "empty": lambda xp, shape, d: xp.empty(shape, dtype=d.numpy_dtype),
    "full": lambda xp, shape, d, v: xp.full(shape, cast(xp, v, d), dtype=d.numpy_dtype),
}


def _factory(schema, make, dtype_rule, **facts):
    """Register a size-taking factory (a `minexport.<name>` function; see `_factories`).

    `make(xp, size, dtype, *args)` builds the array; `facts` are the rest of the registration.
    """
    def meta(*args, dtype=None, layout=None, device=None, pin_memory=None, **kw):
        size, rest = args[0], args[1:]
        size = _size(size)
        return make_fake(size, dtype_rule(rest, dtype), device, strides=_format_strides(size, kw))

    def kernel(xp, *args, dtype=None, layout=None, device=None, pin_memory=None, **kw):
        size, rest = args[0], args[1:]
        d = dtype_rule(rest, dtype)
        size = _size(size)
        return relayout(xp, make(xp, size, d, *rest), _format_strides(size, kw))

    register(schema, meta=meta, kernel=kernel, tags=("factory",) + facts.pop("tags", ()), variants=("function",),
             **facts)


def _default_float(rest, dtype):
    return dtype or dt.get_default_dtype()


def _from_fill(rest, dtype):
    return _fill_dtype(rest[0], dtype)


def _int64(rest, dtype):
    return dtype or dt.int64


def _typed_fill(value, dtype):
    """zeros/ones' fill value as torch writes it: False/True for a bool tensor, else 0/1."""
    return bool(value) if dtype is dt.bool else value


def _full_decomp(value):
    """zeros/ones: a full of the default float dtype unless given, through torch's Python API (every placement
    keyword spelled out, the layout strided unless given)."""
    def decomp(size, *, dtype=None, layout=None, device=None, pin_memory=None):
        d = dtype or dt.get_default_dtype()
        return aten.full.default(list(size), _typed_fill(value, d), **api_factory(d, layout or STRIDED, device))
    return decomp



_factory(f"zeros(SymInt[] size, {_FACTORY_KW}) -> Tensor", _FILL["zeros"], _default_float,
         decomposition=_full_decomp(0))
_factory(f"ones(SymInt[] size, {_FACTORY_KW}) -> Tensor", _FILL["ones"], _default_float,
         decomposition=_full_decomp(1))
_factory(f"full(SymInt[] size, Scalar fill_value, {_FACTORY_KW}) -> Tensor", _FILL["full"], _from_fill,
         tags=("core",))
_factory(f"empty.memory_format(SymInt[] size, {_LIKE_KW}) -> Tensor", _FILL["empty"], _default_float,
         tags=("core",))


def _host(xp, arr):
    return arr if xp is np else xp.asarray(arr)


def _rand(xp, size, d):
    check(d.is_floating_point, lambda: f'"check_uniform_bounds" not implemented for \'{d.name}\'')
    return _host(xp, _random.uniform(size).astype(d.numpy_dtype))


def _randn(xp, size, d):
    check(d.is_floating_point, lambda: f'"normal_kernel_cpu" not implemented for \'{d.name}\'')
    return _host(xp, _random.normal(size).astype(d.numpy_dtype))


_factory(f"rand(SymInt[] size, {_FACTORY_KW}) -> Tensor", _rand, _default_float, tags=("core",))
_factory(f"randn(SymInt[] size, {_FACTORY_KW}) -> Tensor", _randn, _default_float, tags=("core",))


def _randint_check(low, high):
    check(low < high, lambda: f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")


def _randint_meta(*args, dtype=dt.int64, layout=None, device=None, pin_memory=None):
    low, high, size = (0,) + args if len(args) == 2 else args
    _randint_check(low, high)
    return make_fake(_size(size), dtype or dt.int64, device)


def _randint_kernel(xp, *args, dtype=dt.int64, layout=None, device=None, pin_memory=None):
    low, high, size = (0,) + args if len(args) == 2 else args
    _randint_check(low, high)
    d = dtype or dt.int64
    return _host(xp, _random.integers(_size(size), low, high).astype(d.numpy_dtype))


register("randint(SymInt high, SymInt[] size, *, ScalarType? dtype=4, Layout? layout=None, Device? device=None, "
         "bool? pin_memory=None) -> Tensor", meta=_randint_meta, kernel=_randint_kernel, tags=("factory",),
         variants=("function",))
register("randint.low(SymInt low, SymInt high, SymInt[] size, *, ScalarType? dtype=4, Layout? layout=None, "
         "Device? device=None, bool? pin_memory=None) -> Tensor", meta=_randint_meta, kernel=_randint_kernel,
         tags=("factory",), variants=("function",))


# ----------------------------------------------------------------- _like --
def _like(schema, make, dtype_rule, **facts):
    """zeros_like & co: self's shape, with self's dtype and device unless given."""
    def meta(self, *rest, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
        return make_fake(self.shape, dtype_rule(self, rest, dtype), device if device is not None else self.device,
                         strides=like_strides(self, memory_format))

    def kernel(xp, self, *rest, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
        d = dtype_rule(self, rest, dtype)
        strides = array_like_strides(self, memory_format)
        if device is not None:
            xp = backends.backend_for_device(device)
        return relayout(xp, make(xp, tuple(self.shape), d, *rest), strides)

    register(schema, meta=meta, kernel=kernel, tags=("factory",) + facts.pop("tags", ()), variants=("function",),
             **facts)


def _like_dtype(self, rest, dtype):
    return dtype or dtype_of(self)


def _full_like_decomp(value):
    """zeros_like/ones_like: a full_like through torch's Python API, the memory format preserved unless given."""
    def decomp(self, *, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
        return aten.full_like.default(self, _typed_fill(value, dtype or self.dtype),
                                      **api_like(dtype, layout, device, memory_format or PRESERVE))
    return decomp


def _empty_like_decomp(self, *, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
    """An empty tensor in the given memory format; preserving self's, an empty_permuted whose dims lie in
    memory in the order of self's strides."""
    placement = api_factory(dtype or self.dtype, layout or STRIDED, self.device if device is None else device)
    fmt = memory_format_name(memory_format, PRESERVE)
    if fmt != PRESERVE:
        return aten.empty.memory_format(list(self.shape), **placement, memory_format=fmt)
    perm = logical_to_physical_perm(tuple(self.shape), self.stride())
    return aten.empty_permuted.default(list(self.shape), perm, **placement)




_like(f"zeros_like(Tensor self, {_LIKE_KW}) -> Tensor", _FILL["zeros"], _like_dtype,
      decomposition=_full_like_decomp(0))
_like(f"ones_like(Tensor self, {_LIKE_KW}) -> Tensor", _FILL["ones"], _like_dtype,
      decomposition=_full_like_decomp(1))
_like(f"empty_like(Tensor self, {_LIKE_KW}) -> Tensor", _FILL["empty"], _like_dtype, decomposition=_empty_like_decomp)
_like(f"full_like(Tensor self, Scalar fill_value, {_LIKE_KW}) -> Tensor", _FILL["full"], _like_dtype,
      tags=("core",))
_like(f"rand_like(Tensor self, {_LIKE_KW}) -> Tensor", _rand, _like_dtype)
_like(f"randn_like(Tensor self, {_LIKE_KW}) -> Tensor", _randn, _like_dtype)


def _new(schema, make, dtype_rule, **facts):
    """new_zeros & co: a fresh tensor of `size` with self's dtype and device unless given."""
    def meta(self, size, *rest, dtype=None, layout=None, device=None, pin_memory=None):
        return make_fake(_size(size), dtype_rule(self, rest, dtype), device if device is not None else self.device)

    def kernel(xp, self, size, *rest, dtype=None, layout=None, device=None, pin_memory=None):
        if device is not None:
            xp = backends.backend_for_device(device)
        return make(xp, _size(size), dtype_rule(self, rest, dtype), *rest)

    register(schema, meta=meta, kernel=kernel, tags=("factory",), variants=("method",), **facts)


def _new_decomp(make):
    """new_zeros & co: `make(size, dtype, *rest, **placement)` with self's dtype, layout and device unless given,
    through torch's Python API."""
    def decomp(self, size, *rest, dtype=None, layout=None, device=None, pin_memory=None):
        d = dtype or self.dtype
        placement = api_factory(d, layout or STRIDED, self.device if device is None else device)
        return make(list(size), d, *rest, **placement)
    return decomp


# name -> how its decomposition makes the tensor: make(size, dtype, *rest, **placement)
_NEW_MAKE = {
    "new_zeros": lambda size, d, **kw: aten.full.default(size, _typed_fill(0, d), **kw),
    "new_ones": lambda size, d, **kw: aten.full.default(size, _typed_fill(1, d), **kw),
    "new_empty": lambda size, d, **kw: aten.empty.memory_format(size, **kw),
    "new_full": lambda size, d, value, **kw: aten.full.default(size, value, **kw),
}
_new(f"new_zeros(Tensor self, SymInt[] size, {_FACTORY_KW}) -> Tensor", _FILL["zeros"], _like_dtype,
     decomposition=_new_decomp(_NEW_MAKE["new_zeros"]))
_new(f"new_ones(Tensor self, SymInt[] size, {_FACTORY_KW}) -> Tensor", _FILL["ones"], _like_dtype,
     decomposition=_new_decomp(_NEW_MAKE["new_ones"]))
_new(f"new_empty(Tensor self, SymInt[] size, {_FACTORY_KW}) -> Tensor", _FILL["empty"], _like_dtype,
     decomposition=_new_decomp(_NEW_MAKE["new_empty"]))
_new(f"new_full(Tensor self, SymInt[] size, Scalar fill_value, {_FACTORY_KW}) -> Tensor", _FILL["full"], _like_dtype,
     decomposition=_new_decomp(_NEW_MAKE["new_full"]))


# ---------------------------------------------------------------- ranges --
def _arange_args(args):
    if len(args) == 1:
        return 0, args[0], 1
    if len(args) == 2:
        return args[0], args[1], 1
    return args


def arange_length(start, end, step):
    """Number of elements of arange(start, end, step), with torch's checks."""
    check(step != 0, "step must be nonzero")
    check((step > 0 and end >= start) or (step < 0 and end <= start),
          "upper bound and larger bound inconsistent with step sign")
    if all(isinstance(v, int) or type(v).__name__ == "SymInt" for v in (start, end, step)):
        return max(0, -((start - end) // step))     # integer ceil division: exact, and symbolic sizes stay symbolic
    return max(0, math.ceil((end - start) / step))


def _arange_dtype(values, dtype):
    if dtype is not None:
        return dtype
    return dt.get_default_dtype() if any(isinstance(v, float) for v in values) else dt.int64


def _arange_plan(args, dtype):
    """(start, step, length, dtype) of an arange call, as torch computes them.

    For an integral dtype torch first truncates float bounds and step to integers (its accumulation type) and
    checks the step on those; the length then comes from the truncated values for int64 but from the original
    float values for the narrower integer types.
    """
    start, end, step = _arange_args(args)
    d = _arange_dtype((start, end, step), dtype)
    if d.is_floating_point or d == dt.bool or not any(isinstance(v, float) for v in (start, end, step)):
        return start, step, arange_length(start, end, step), d
    istart, iend, istep = (int(v) for v in (start, end, step))
    n = arange_length(istart, iend, istep)
    return istart, istep, (n if d == dt.int64 else arange_length(start, end, step)), d


def _arange_meta(*args, dtype=None, layout=None, device=None, pin_memory=None):
    _, _, n, d = _arange_plan(args, dtype)
    return make_fake((n,), d, device)


def _arange_kernel(xp, *args, dtype=None, layout=None, device=None, pin_memory=None):
    start, step, n, d = _arange_plan(args, dtype)
    if isinstance(start, float) or isinstance(step, float):
        return (xp.arange(n, dtype=np.float64) * step + start).astype(d.numpy_dtype)
    return (xp.arange(n, dtype=np.int64) * step + start).astype(d.numpy_dtype)


def _arange_decomp(*args, dtype=None, layout=None, device=None, pin_memory=None):
    """arange(end) and arange(start, end): arange.start_step, called as an op with the layout strided and
    pin_memory False unless given (the dtype and device as given)."""
    start, end, step = _arange_args(args)
    return aten.arange.start_step(start, end, step, dtype=dtype, layout=layout or STRIDED, device=device,
                                  pin_memory=bool(pin_memory))



for _s, _facts in ((f"arange(Scalar end, {_FACTORY_KW}) -> Tensor", {"decomposition": _arange_decomp}),
                   (f"arange.start(Scalar start, Scalar end, {_FACTORY_KW}) -> Tensor",
                    {"decomposition": _arange_decomp}),
                   (f"arange.start_step(Scalar start, Scalar end, Scalar step=1, {_FACTORY_KW}) -> Tensor",
                    {"tags": ("factory", "core")})):
    register(_s, meta=_arange_meta, kernel=_arange_kernel, variants=("function",), **{"tags": ("factory",), **_facts})


def _two_product(xp, a, b):
    """(p, e) with p = fl(a * b) and p + e == a * b exactly (Dekker's splitting; float64 arrays)."""
    p = a * b
    split = 134217729.0                          # 2**27 + 1 splits a float64 into two 26-bit halves
    ca, cb = split * a, split * b
    ah = ca - (ca - a)
    bh = cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _fused_multiply_add(xp, a, b, c):
    """a * b + c rounded once (as a fused multiply-add does), from error-free float64 transformations."""
    p, e = _two_product(xp, a, b)
    s = p + c
    bp = s - p
    return s + (((p - (s - bp)) + (c - bp)) + e)


def _linspace_integral(xp, start, end, steps, d):
    """linspace for an integer dtype as torch's CPU kernel computes it.

    The bounds are cast to the dtype first; the step stays a float64; each value is start + step * i (the first
    half) or end - step * (steps - 1 - i) (the second half), which torch's build evaluates with a fused
    multiply-add, and is then truncated to the dtype.
    """
    s, e = int(start), int(end)
    step = (float(e) - float(s)) / (steps - 1)
    i = xp.arange(steps, dtype=np.float64)
    low = _fused_multiply_add(xp, xp.full_like(i, step), i, float(s))
    high = _fused_multiply_add(xp, xp.full_like(i, -step), (steps - 1) - i, float(e))
    return xp.trunc(xp.where(i < steps // 2, low, high)).astype(d.numpy_dtype)


def _linspace_kernel(xp, start, end, steps, *, dtype=None, layout=None, device=None, pin_memory=None):
    check(steps >= 0, "number of steps must be non-negative")
    d = dtype or dt.get_default_dtype()
    if steps == 1:
        return xp.full((1,), start, dtype=np.float64).astype(d.numpy_dtype)
    if not d.is_floating_point and d != dt.bool and steps > 1:
        return _linspace_integral(xp, start, end, steps, d)
    i = xp.arange(steps, dtype=np.float64)
    step = (end - start) / max(steps - 1, 1)
    half = steps // 2
    vals = xp.where(i < half, start + i * step, end - (steps - 1 - i) * step)
    return vals.astype(d.numpy_dtype)


def _linspace_decomp(start, end, steps, *, dtype=None, layout=None, device=None, pin_memory=None):
    d = dtype or dt.get_default_dtype()
    if steps == 1:
        return aten.full.default([1], start, dtype=d, device=device)
    step = (end - start) / (steps - 1)
    i = aten.arange.start_step(0, steps, 1, dtype=dt.float64, device=device)
    low = aten.add.Tensor(aten.mul.Tensor(i, step), start)
    high = aten.sub.Tensor(aten.scalar_tensor.default(float(end), dtype=dt.float64),
                           aten.mul.Tensor(aten.rsub.Scalar(i, steps - 1), step))
    vals = aten.where.self(aten.lt.Scalar(i, steps // 2), low, high)
    return aten._to_copy.default(vals, dtype=d)



register(f"linspace(Scalar start, Scalar end, int steps, {_FACTORY_KW}) -> Tensor",
         meta=lambda start, end, steps, *, dtype=None, layout=None, device=None, pin_memory=None:
         make_fake((steps,), dtype or dt.get_default_dtype(), device),
         kernel=_linspace_kernel, tags=("factory",), variants=("function",), decomposition=_linspace_decomp)


def _eye_meta(n, m=None, *, dtype=None, layout=None, device=None, pin_memory=None):
    return make_fake((n, n if m is None else m), dtype or dt.get_default_dtype(), device)


def _eye_kernel(xp, n, m=None, *, dtype=None, layout=None, device=None, pin_memory=None):
    check(n >= 0 and (m is None or m >= 0), lambda: f"n must be greater or equal to 0, got {n}")
    return xp.eye(n, n if m is None else m, dtype=(dtype or dt.get_default_dtype()).numpy_dtype)


# the narrowest integer dtypes torch counts eye's rows and columns in, by the largest value each holds
# (torch takes uint16 between uint8 and int32; minexport has no uint16, so int32 counts those sizes)
_EYE_RANGE_DTYPES = ((dt.uint8, 255), (dt.int32, 2 ** 31 - 1))


def _eye_range_dtype(n, m):
    """The dtype eye's decomposition counts in: the narrowest holding max(n, m) for static sizes, else int64."""
    if type(n) is int and type(m) is int:
        return next((d for d, top in _EYE_RANGE_DTYPES if max(n, m) <= top), dt.int64)
    return dt.int64


def _eye_decomp(n, m=None, *, dtype=None, layout=None, device=None, pin_memory=None):
    """Row index == column index, from two aranges made through torch's Python API, then cast."""
    m = n if m is None else m
    kw = api_factory(_eye_range_dtype(n, m), device=device)
    rows, cols = aten.arange.default(n, **kw), aten.arange.default(m, **kw)
    same = aten.eq.Tensor(aten.unsqueeze.default(rows, -1), cols)
    return aten._to_copy.default(same, dtype=dtype or dt.get_default_dtype())



register(f"eye(SymInt n, {_FACTORY_KW}) -> Tensor", meta=_eye_meta, kernel=_eye_kernel, tags=("factory",),
         variants=("function",), decomposition=_eye_decomp)
register(f"eye.m(SymInt n, SymInt m, {_FACTORY_KW}) -> Tensor", meta=_eye_meta, kernel=_eye_kernel,
         tags=("factory",), variants=("function",), decomposition=_eye_decomp)

register(f"scalar_tensor(Scalar s, {_FACTORY_KW}) -> Tensor",
         meta=lambda s, *, dtype=None, layout=None, device=None, pin_memory=None:
         make_fake((), dtype or dt.get_default_dtype(), device),
         kernel=lambda xp, s, *, dtype=None, layout=None, device=None, pin_memory=None:
         xp.asarray(cast(xp, s, dtype or dt.get_default_dtype()), dtype=(dtype or dt.get_default_dtype()).numpy_dtype),
         tags=("factory", "core"), variants=("function",))
register("detach_(Tensor(a!) self) -> Tensor(a!)", meta=lambda self: self, kernel=lambda xp, self: self,
         tags=("inplace",), functional=lambda self: self)     # self's value is unchanged


def _lift_fresh_copy_decomp(self):
    return aten.clone.default(self)


register("lift_fresh_copy(Tensor self) -> Tensor", meta=lambda self: make_fake(self.shape, self.dtype, self.device),
         kernel=lambda xp, self: self.copy(), decomposition=_lift_fresh_copy_decomp)


# ----------------------------------------------------------- conversion --
def _convert(xp, a, dtype, device, copy, memory_format=None):
    """Array `a` as dtype/device/memory format; the same array when nothing changes and no copy is asked.
    A copy is laid out as torch lays it out (see `copy_array`)."""
    if device is not None and backends.as_device(device) != backends.device_of_array(a):
        moved = backends.to_device(a, device)
        if dtype is not None and moved.dtype != dtype.numpy_dtype:
            moved = moved.astype(dtype.numpy_dtype)
        return relayout(backends.backend_for_device(device), moved, array_like_strides(a, memory_format))
    npd = None if dtype is None else dtype.numpy_dtype
    if not copy and (npd is None or a.dtype == npd) and _keeps_format(a.shape, array_strides(a), memory_format):
        return a
    return copy_array(xp, a, memory_format, npd)


def _keeps_format(shape, strides, memory_format):
    """Whether a tensor already is in `memory_format` (preserve_format: always)."""
    fmt = memory_format_name(memory_format, PRESERVE)
    return fmt == PRESERVE or strides_contiguous(tuple(shape), strides, fmt)


def _to_meta(self, dtype, device, copy=False, memory_format=None):
    """The fake result of a `to`: self's layout when nothing changes, else a copy's (see `like_strides`)."""
    device = self.device if device is None else backends.as_device(device)
    dtype = self.dtype if dtype is None else dtype
    if not copy and dtype is self.dtype and device == self.device and \
            _keeps_format(self.shape, self.stride(), memory_format):
        return make_fake(self.shape, dtype, device, strides=self._strides, storage_offset=self._offset)
    return make_fake(self.shape, dtype, device, strides=like_strides(self, memory_format))


def _to_copy_meta(self, *, dtype=None, layout=None, device=None, pin_memory=None, non_blocking=False,
                  memory_format=None):
    return make_fake(self.shape, dtype or self.dtype, device if device is not None else self.device,
                     strides=like_strides(self, memory_format))


def _to_copy_kernel(xp, self, *, dtype=None, layout=None, device=None, pin_memory=None, non_blocking=False,
                    memory_format=None):
    if device is not None and backends.as_device(device) != backends.device_of_array(self):
        return relayout(xp, _convert(xp, self, dtype, device, True), array_like_strides(self, memory_format))
    return copy_array(xp, self, memory_format, None if dtype is None else dtype.numpy_dtype)


register("_to_copy(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
         "bool? pin_memory=None, bool non_blocking=False, MemoryFormat? memory_format=None) -> Tensor",
         meta=_to_copy_meta, kernel=_to_copy_kernel, tags=("core",))


# ----------------------------------------------------------- empty_strided --
def _empty_strided_check(size, stride):
    check(len(size) == len(stride), lambda: "mismatch in length of strides and shape")
    return _size(size)


register(f"empty_strided(SymInt[] size, SymInt[] stride, {_FACTORY_KW}) -> Tensor",
         meta=lambda size, stride, *, dtype=None, layout=None, device=None, pin_memory=None:
         make_fake(_empty_strided_check(size, stride), _default_float((), dtype), device, strides=tuple(stride)),
         kernel=lambda xp, size, stride, *, dtype=None, layout=None, device=None, pin_memory=None:
         empty_strided_array(xp, _empty_strided_check(size, stride), stride,
                             _default_float((), dtype).numpy_dtype),
         tags=("core", "factory"), variants=("function",))


def _to_decomp(get_dtype, get_device):
    def decomp(self, *args, **kwargs):
        dtype, device = get_dtype(self, args, kwargs), get_device(self, args, kwargs)
        copy = kwargs.get("copy", False)
        memory_format = kwargs.get("memory_format")
        if dtype is self.dtype and (device is None or backends.as_device(device) == self.device) and not copy \
                and _keeps_format(self.shape, self.stride(), memory_format):
            return self
        kw = {"dtype": dtype}
        if device is not None and backends.as_device(device) != self.device:
            kw["device"] = device
        if memory_format is not None:
            kw["memory_format"] = memory_format
        return aten._to_copy.default(self, **kw)
    return decomp


_TO_TAGS = ("view", "maybe_view", "returns_self_if_unchanged")
_TO_VIEW = ViewRule(inverse=view_back, layout=strided_layout)
register("to.dtype(Tensor(a) self, ScalarType dtype, bool non_blocking=False, bool copy=False, "
         "MemoryFormat? memory_format=None) -> Tensor(a)",
         meta=lambda self, dtype, non_blocking=False, copy=False, memory_format=None:
         _to_meta(self, dtype, None, copy, memory_format),
         kernel=lambda xp, self, dtype, non_blocking=False, copy=False, memory_format=None:
         _convert(xp, self, dtype, None, copy, memory_format), tags=_TO_TAGS, view=_TO_VIEW,
         decomposition=_to_decomp(lambda s, a, k: a[0] if a else k["dtype"], lambda s, a, k: None),
         variants=("method",))
register("to.device(Tensor(a) self, Device device, ScalarType dtype, bool non_blocking=False, bool copy=False, "
         "MemoryFormat? memory_format=None) -> Tensor(a)",
         meta=lambda self, device, dtype, non_blocking=False, copy=False, memory_format=None:
         _to_meta(self, dtype, device, copy, memory_format),
         kernel=lambda xp, self, device, dtype, non_blocking=False, copy=False, memory_format=None:
         _convert(xp, self, dtype, device, copy, memory_format), tags=_TO_TAGS, view=_TO_VIEW,
         decomposition=_to_decomp(lambda s, a, k: a[1] if len(a) > 1 else k["dtype"],
                                      lambda s, a, k: a[0] if a else k["device"]), variants=("method",))
def _to_dtype_layout_decomp(self, *, dtype=None, layout=None, device=None, pin_memory=None, non_blocking=False,
                            copy=False, memory_format=None):
    same_device = device is None or backends.as_device(device) == self.device
    if (dtype is None or dtype is self.dtype) and same_device and not copy \
            and _keeps_format(self.shape, self.stride(), memory_format):
        return self
    given = (("dtype", dtype), ("layout", layout), ("device", device), ("pin_memory", pin_memory),
             ("memory_format", memory_format))
    return aten._to_copy.default(self, **{k: v for k, v in given if v is not None})


register("to.dtype_layout(Tensor(a) self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
         "bool? pin_memory=None, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) "
         "-> Tensor(a)",
         meta=lambda self, *, dtype=None, layout=None, device=None, pin_memory=None, non_blocking=False, copy=False,
         memory_format=None: _to_meta(self, dtype, device, copy, memory_format),
         kernel=lambda xp, self, *, dtype=None, layout=None, device=None, pin_memory=None, non_blocking=False,
         copy=False, memory_format=None: _convert(xp, self, dtype, device, copy, memory_format),
         tags=_TO_TAGS, view=_TO_VIEW, decomposition=_to_dtype_layout_decomp)
register("type_as(Tensor self, Tensor other) -> Tensor",
         meta=lambda self, other: _to_meta(self, other.dtype, None),
         kernel=lambda xp, self, other: _convert(xp, self, dtype_of(other), None, False),
         tags=("may_alias",),   # returns its input when the dtype already matches
         decomposition=_to_decomp(lambda s, a, k: a[0].dtype, lambda s, a, k: None), variants=("method",))


def _assert_metadata(xp, a, size=None, stride=None, dtype=None, *, device=None, layout=None):
    """aten._assert_tensor_metadata: a runtime check that a tensor still has the traced metadata."""
    actual = dtype_of(a)
    check(dtype is None or actual is dtype,
          lambda: f"Tensor dtype mismatch! Expected: {dtype}, Got: {actual}")
    check(size is None or tuple(size) == tuple(a.shape),
          lambda: f"Tensor sizes mismatch! Expected: {list(size)}, Got: {list(a.shape)}")


register("_assert_tensor_metadata(Tensor a, SymInt[]? size=None, SymInt[]? stride=None, ScalarType? dtype=None, "
         "*, Device? device=None, Layout? layout=None) -> ()",
         meta=lambda a, size=None, stride=None, dtype=None, *, device=None, layout=None: None,
         kernel=_assert_metadata, tags=("side_effect", "recorded_as_called", "retraced_by_schema"))
register("to.other(Tensor(a) self, Tensor other, bool non_blocking=False, bool copy=False, "
         "MemoryFormat? memory_format=None) -> Tensor(a)",
         meta=lambda self, other, non_blocking=False, copy=False, memory_format=None:
         _to_meta(self, other.dtype, other.device, copy, memory_format),
         kernel=lambda xp, self, other, non_blocking=False, copy=False, memory_format=None:
         _convert(xp, self, dtype_of(other), backends.device_of_array(other), copy, memory_format), tags=_TO_TAGS,
         view=_TO_VIEW,
         decomposition=_to_decomp(lambda s, a, k: (a[0] if a else k["other"]).dtype,
                                     lambda s, a, k: (a[0] if a else k["other"]).device), variants=("method",))
