"""`tensor[index]` and `tensor[index] = value`, lowered to ATen ops as torch does.

Basic indexing walks the index left to right: an int selects
(`select.int`), a slice slices (`slice.Tensor`, with an open end recorded as
INT64_MAX as torch records it), None inserts a dim (`unsqueeze`), Ellipsis
skips the dims nobody names.  Tensors, lists and bool masks are collected as
advanced indices and applied last by one `index.Tensor` (reads) or
`index_put_` (writes).
"""
import numpy as np

from . import _factories
from ._tensor import Tensor, make_tensor
from ._trace_state import trace_state
from ._symbolic_marker import is_symbolic
from .dtypes import int64
from .ops import aten

INT64_MAX = 9223372036854775807


def _as_index_tensor(obj):
    """A list index as an int64 tensor; while tracing, a lifted constant copied fresh (no detach_, as torch)."""
    if isinstance(obj, Tensor):
        return obj
    t = make_tensor(np.array(_factories._infer_array(obj), copy=True))
    return aten.lift_fresh_copy.default(t) if trace_state.tracer is not None else t


def _count_dims(items):
    n = 0
    for it in items:
        if it is None or it is Ellipsis or isinstance(it, bool):
            continue
        if isinstance(it, Tensor) and it.dtype.name in ("bool", "uint8"):
            n += max(it.ndim, 1)
        else:
            n += 1
    return n


def _slice_bound(value):
    """A slice's start/stop as an int, kept symbolic (not specialized) when it is a symbolic size."""
    return value if is_symbolic(value) else int(value)


def _keeps_whole_dim(size, start, stop, step):
    """Whether a slice inside a tuple index records nothing, as torch decides: step 1, start 0 (or open), and a
    stop (INT64_MAX when open) provably at least the size: always for a static dim, for a symbolic one only when
    its range proves it (a bounded Dim; an unbounded one keeps its slice).  No guard is added either way."""
    if step != 1 or start not in (None, 0) or is_symbolic(start):
        return False
    stop = INT64_MAX if stop is None else _slice_bound(stop)
    return _known_true(stop >= size)


def _known_true(cond):
    """True when a (possibly symbolic) condition holds for every value in range, without adding a guard."""
    if isinstance(cond, bool):
        return cond
    return cond.env.static_value(cond.expr) is True


def _recorded_bounds(start, stop, step):
    """slice.Tensor's (start, end, step) arguments as torch records them: an open end is INT64_MAX, but left
    out after a symbolic start; an open start is 0, or None before a symbolic end (torch keeps the None)."""
    if stop is None and step == 1 and is_symbolic(start):
        return (start,)
    stop = INT64_MAX if stop is None else _slice_bound(stop)
    if start is None:
        return (None if is_symbolic(stop) else 0), stop, step
    return _slice_bound(start), stop, step


def _normalize(index):
    if isinstance(index, tuple):
        return list(index)
    return [index]


def _apply_basic(t, index):
    """Apply ints/slices/None/Ellipsis; return (result, advanced indices by dim)."""
    items = _normalize(index)
    # a lone slice (`x[:3]`, `x[:]`) always records its slice; torch skips whole-dim slices only in tuples
    lone = not isinstance(index, tuple)
    if sum(1 for it in items if it is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    items = [_as_index_tensor(it) if isinstance(it, (list,)) else it for it in items]
    specified = _count_dims(items)
    if specified > t.ndim:
        raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
    result, dim, advanced = t, 0, {}
    for it in items:
        if it is None:
            result = aten.unsqueeze.default(result, dim)
            dim += 1
        elif it is Ellipsis:
            dim += t.ndim - specified
        elif isinstance(it, bool):
            result = aten.unsqueeze.default(result, dim)
            if not it:
                advanced[dim] = _factories.zeros(0, dtype=int64)
            dim += 1
        elif isinstance(it, int) or (hasattr(it, "__index__") and not isinstance(it, Tensor)):
            result = aten.select.int(result, dim, it.__index__())
        elif isinstance(it, slice):
            start, stop, step = it.start, it.stop, it.step
            step = 1 if step is None else int(step)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            if lone or not _keeps_whole_dim(result.shape[dim], start, stop, step):
                result = aten.slice.Tensor(result, dim, *_recorded_bounds(start, stop, step))
            dim += 1
        elif isinstance(it, Tensor):
            advanced[dim] = it
            dim += it.ndim if it.dtype.name in ("bool", "uint8") and it.ndim else 1
        else:
            raise IndexError(
                f"only integers, slices (`:`), ellipsis (`...`), None and long or byte tensors are "
                f"valid indices (got {type(it).__name__})")
    return result, advanced


def _index_list(advanced):
    last = max(advanced)
    out, d = [], 0
    while d <= last:
        idx = advanced.get(d)
        out.append(idx)
        d += idx.ndim if idx is not None and idx.dtype.name in ("bool", "uint8") and idx.ndim else 1
    return out


def getitem(t, index):
    """t[index]."""
    if type(index) is int:  # the common case, without the general walk
        return aten.select.int(t, 0, index)
    result, advanced = _apply_basic(t, index)
    if advanced:
        return aten.index.Tensor(result, _index_list(advanced))
    if result is t:
        return aten.alias.default(t)
    return result


def _value_tensor(value, t):
    """The Python value of `t[mask] = value` as a 0-d tensor of t's dtype; while tracing a lifted constant copied
    fresh, and nothing more (torch records lift_fresh_copy here, not torch.tensor()'s detach_ after it)."""
    value = make_tensor(np.array(value, dtype=t.dtype.numpy_dtype))
    if t.device.type != "cpu":
        value = value.to(t.device)
    return aten.lift_fresh_copy.default(value) if trace_state.tracer is not None else value


def setitem(t, index, value):
    """t[index] = value (an in-place write through views, or index_put_)."""
    result, advanced = _apply_basic(t, index)
    if advanced:
        if not isinstance(value, Tensor):
            value = _value_tensor(value, t)
        aten.index_put_.default(result, _index_list(advanced), value)
        return
    if isinstance(value, Tensor):
        aten.copy_.default(result, value)
    else:
        aten.fill_.Scalar(result, value)
