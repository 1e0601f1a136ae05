"""repr() of tensors in torch's layout: `tensor([[1., 2.],\n        [3., 4.]])`.

Floats print with 4 decimals (or as `1.` when every value is whole, or in
scientific notation when magnitudes span too much), ints and bools as is;
the dtype is appended unless it is the default for its kind.  Large tensors
are summarized with `...` as torch does (more than 1000 elements, 3 at each edge).
"""
import numpy as np

from . import dtypes as dt

_THRESHOLD, _EDGE = 1000, 3


def _float_formatter(values):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}"
    absf = np.abs(finite)
    nonzero = absf[absf > 0]
    whole = bool(np.all(finite == np.round(finite)))
    big, small = (float(nonzero.max()), float(nonzero.min())) if nonzero.size else (0.0, 0.0)
    if whole:
        if big >= 1e8:
            return lambda v: _special(v) or f"{v:.4e}"
        return lambda v: _special(v) or f"{v:.0f}."
    if nonzero.size and (big / small > 1000 or big >= 1e8 or small < 1e-4):
        return lambda v: _special(v) or f"{v:.4e}"
    return lambda v: _special(v) or f"{v:.4f}"


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _summarized(arr):
    """Edge elements only, for the formatter's statistics."""
    if arr.ndim == 0 or arr.size <= _THRESHOLD:
        return arr
    idx = tuple(np.r_[0:_EDGE, -_EDGE:0] if s > 2 * _EDGE else slice(None) for s in arr.shape)
    return arr[np.ix_(*[i if isinstance(i, np.ndarray) else np.arange(s) for i, s in zip(idx, arr.shape)])]


def _format_array(arr, fmt, indent, summarize):
    if arr.ndim == 0:
        return fmt(arr.item())
    if arr.ndim == 1:
        items = [fmt(v) for v in arr.tolist()] if not (summarize and arr.shape[0] > 2 * _EDGE) else \
            [fmt(v) for v in arr[:_EDGE].tolist()] + ["..."] + [fmt(v) for v in arr[-_EDGE:].tolist()]
        return "[" + ", ".join(items) + "]"
    rows = range(arr.shape[0])
    if summarize and arr.shape[0] > 2 * _EDGE:
        rows = list(range(_EDGE)) + [None] + list(range(arr.shape[0] - _EDGE, arr.shape[0]))
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    parts = ["..." if r is None else _format_array(arr[r], fmt, indent + 1, summarize) for r in rows]
    return "[" + sep.join(parts) + "]"


def tensor_repr(t, prefix="tensor("):
    """torch-style repr of a tensor (fake tensors print their shape and dtype)."""
    suffix = []
    if t._data is None:
        return f"FakeTensor(size={list(t.shape)}, dtype={t.dtype}, device={t.device})"
    arr = t.numpy(force=True)
    if t.dtype is dt.bfloat16:
        arr = arr.astype(np.float32)
    summarize = arr.size > _THRESHOLD
    if t.device.type != "cpu":
        suffix.append(f"device='{t.device}'")
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffix.append(f"size={tuple(arr.shape)}")
    else:
        if arr.dtype.kind == "f":
            sample = _summarized(arr).astype(np.float64)
            f = _float_formatter(sample)
        elif arr.dtype.kind == "b":
            f = str
        else:
            f = str
        stats = _summarized(arr)
        width = max(len(f(v)) for v in stats.reshape(-1).tolist())
        fmt = (lambda v: f(v).rjust(width)) if arr.ndim > 0 else f
        body = _format_array(arr, fmt, len(prefix), summarize)
    default = {dt.get_default_dtype(), dt.int64, dt.bool}
    if t.dtype not in default:
        suffix.append(f"dtype={t.dtype}")
    if t.requires_grad:
        suffix.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffix) + ")"
