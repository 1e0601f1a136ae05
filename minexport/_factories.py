"""Tensor factories: tensor, as_tensor, from_numpy, zeros/ones/full/empty and
their _like forms, arange, linspace, eye, rand/randn/randint.

Size-taking factories accept torch's three spellings: `zeros(2, 3)`,
`zeros((2, 3))`, `zeros([2, 3])`.
"""
import numpy as np

from . import dtypes as dt
from ._tensor import Tensor, make_tensor
from .ops import aten
from ._symbolic_marker import is_symbolic
from ._trace_state import trace_state
from .runtime import backends

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
           "ones_like", "full_like", "empty_like", "rand_like", "randn_like", "arange", "linspace",
           "eye", "rand", "randn", "randint", "scalar_tensor",
           "empty_strided", "empty_permuted"]


def _sizes(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, int) and not is_symbolic(s):
            raise TypeError(f"size must be a sequence of ints, but got an element of type {type(s).__name__}")
        out.append(s)
    return out


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad = True
    return t


def _infer_array(data):
    """NumPy array for nested Python data, with torch's dtype inference."""
    if isinstance(data, Tensor):
        return data.numpy(force=True)
    if isinstance(data, np.ndarray):
        dt.from_numpy_dtype(data.dtype)  # refuses unsupported dtypes
        return data
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _tensors_to_numbers(data)
    try:
        arr = np.array(data)
    except ValueError as e:
        raise ValueError(f"tensor(): the nested sequence is ragged (every row must have the same "
                         f"length): {e}") from None
    kind = arr.dtype.kind
    if kind == "b":
        return arr
    if kind in "iu":
        return arr.astype(np.int64)
    if kind == "f":
        return arr.astype(dt.get_default_dtype().numpy_dtype)
    if arr.size == 0 and kind in "fO":
        return arr.astype(dt.get_default_dtype().numpy_dtype)
    raise TypeError(f"Could not infer dtype of {type(data).__name__}: tensor() takes numbers, bools, "
                    "nested lists of them, NumPy arrays and tensors")


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _tensors_to_numbers(data):
    if isinstance(data, (list, tuple)):
        return [_tensors_to_numbers(x) for x in data]
    return data.item() if isinstance(data, Tensor) else data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor copying `data` (numbers, nested lists, NumPy arrays, tensors)."""
    arr = _infer_array(data)
    if dtype is not None:
        arr = arr.astype(dtype.numpy_dtype)
    arr = np.array(arr, copy=True)
    if device is not None and backends.as_device(device).type != "cpu":
        arr = backends.to_device(arr, device)
    t = make_tensor(arr)
    if trace_state.tracer is not None:
        # while tracing, a tensor built from Python data is a lifted constant, copied fresh (as torch records it)
        t = aten.lift_fresh_copy.default(t)
        aten.detach_.default(t)
    return _finish(t, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a tensor or NumPy array when it can."""
    if isinstance(data, Tensor):
        if (dtype is None or dtype == data.dtype) and (device is None or backends.as_device(device) == data.device):
            return data
        return data.to(dtype=dtype or data.dtype, device=device or data.device)
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == dtype.numpy_dtype) and \
            (device is None or backends.as_device(device).type == "cpu"):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    """A tensor sharing memory with a NumPy array."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dt.from_numpy_dtype(ndarray.dtype)
    return make_tensor(ndarray)


def _placement(dtype, device):
    """Factory keywords as torch's Python layer fills them: a device always, pin_memory=False."""
    kw = {"device": backends.as_device(device), "pin_memory": False}
    if dtype is not None:
        kw["dtype"] = dtype
    return kw


def _factory(op, size, dtype, device, requires_grad, *extra):
    return _finish(op(_sizes(size), *extra, **_placement(dtype, device)), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, layout=None, out=None):
    """A tensor of zeros (default float dtype)."""
    return _factory(aten.zeros.default, size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, layout=None, out=None):
    """A tensor of ones (default float dtype)."""
    return _factory(aten.ones.default, size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None, out=None):
    """An uninitialized tensor."""
    return _factory(aten.empty.memory_format, size, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None, out=None):
    """A tensor filled with `fill_value` (dtype inferred from it when not given)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _factory(aten.full.default, (size,), dtype, device, requires_grad, fill_value)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None, layout=None, out=None):
    """Uniform samples in [0, 1)."""
    return _factory(aten.rand.default, size, dtype, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None, layout=None, out=None):
    """Standard normal samples."""
    return _factory(aten.randn.default, size, dtype, device, requires_grad)


def randint(low=0, high=None, size=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    """Integers in [low, high): randint(high, size) or randint(low, high, size)."""
    if size is None:
        if high is None:
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    return _finish(aten.randint.low(low, high, _sizes((size,)), **_placement(dtype, device)), requires_grad)


def _like(op, input, dtype, device, requires_grad, *extra, memory_format=None):
    kw = {"pin_memory": False}
    if dtype is not None:
        kw["dtype"] = dtype
    if device is not None:
        kw["device"] = backends.as_device(device)
    if memory_format is not None:
        kw["memory_format"] = memory_format
    return _finish(op(input, *extra, **kw), requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    """Zeros with input's shape (and dtype/device unless given)."""
    return _like(aten.zeros_like.default, input, dtype, device, requires_grad, memory_format=memory_format)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    """Ones with input's shape."""
    return _like(aten.ones_like.default, input, dtype, device, requires_grad, memory_format=memory_format)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    """Uninitialized, with input's shape."""
    return _like(aten.empty_like.default, input, dtype, device, requires_grad, memory_format=memory_format)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None):
    """`fill_value` everywhere, with input's shape."""
    return _like(aten.full_like.default, input, dtype, device, requires_grad, fill_value,
                 memory_format=memory_format)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    """Uniform samples with input's shape."""
    return _like(aten.rand_like.default, input, dtype, device, requires_grad, memory_format=memory_format)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    """Normal samples with input's shape."""
    return _like(aten.randn_like.default, input, dtype, device, requires_grad, memory_format=memory_format)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, layout=None, out=None):
    """Values from start (inclusive) to end (exclusive) by step; int64 for integer arguments."""
    start, end, step = (_number(v) for v in (start, end, step))
    kw = _placement(dtype, device)
    if end is None:
        t = aten.arange.default(start, **kw)
    elif step == 1:
        t = aten.arange.start(start, end, **kw)
    else:
        t = aten.arange.start_step(start, end, step, **kw)
    return _finish(t, requires_grad)


def _number(v):
    return v.item() if isinstance(v, Tensor) else v


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, layout=None, out=None):
    """`steps` evenly spaced values from start to end inclusive."""
    return _finish(aten.linspace.default(_number(start), _number(end), steps, **_placement(dtype, device)),
                   requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, layout=None, out=None):
    """The identity matrix (n x m)."""
    kw = _placement(dtype, device)
    t = aten.eye.default(n, **kw) if m is None else aten.eye.m(n, m, **kw)
    return _finish(t, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None):
    """A 0-d tensor holding `s` (default float dtype)."""
    return _finish(aten.scalar_tensor.default(s, **_placement(dtype, device)), requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialized tensor of `size` laid out with `stride` (default float dtype)."""
    return _finish(aten.empty_strided.default(_sizes((size,)), list(stride), **_placement(dtype, device)),
                   requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """An uninitialized tensor of `size` whose dims lie in memory in the order `physical_layout`."""
    return _finish(aten.empty_permuted.default(_sizes((size,)), list(physical_layout), **_placement(dtype, device)),
                   requires_grad)
