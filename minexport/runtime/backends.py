"""Array backends: which array namespace (`xp`) serves which device.

Every kernel is written once against `xp`, an array-API-like module: NumPy for
`cpu`, CuPy for `cuda`.  CuPy is imported only when a CUDA tensor is first made.
Functions that neither namespace offers under one name (erf, erfc, erfinv) live here.
"""
import numpy as np

from . import special

__all__ = ["device", "array_namespace", "backend_for_device", "to_device", "to_host", "use_cupy_module",
           "ufunc_at", "ufunc_accumulate", "erf", "erfc", "erfinv"]


class device:
    """A device: `device('cpu')`, `device('cuda')`, `device('cuda', 1)`, `device('cuda:1')`."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, str) and ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                f"Expected one of cpu, cuda, meta device type at start of device string: {type}")
        self.type, self.index = type, index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


CPU = device("cpu")
_cupy = None              # the CuPy module once a CUDA tensor was made (or one set by use_cupy_module)
_cupy_special = None      # its cupyx.scipy.special


def use_cupy_module(cupy, special=None):
    """Serve `cuda` with the module `cupy` (and `special` for cupyx.scipy.special) instead of
    importing CuPy; `use_cupy_module(None)` goes back to importing it on first use.

    For tests: a CuPy stand-in that runs on the CPU (tests/fake_cupy) sends every
    CUDA tensor through the GPU code path.  Returns the (cupy, special) pair it replaced.
    """
    global _cupy, _cupy_special
    previous = (_cupy, _cupy_special)
    _cupy, _cupy_special = cupy, special
    return previous


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError:
            raise RuntimeError(
                "CUDA tensors need CuPy: pip install 'minexport[gpu]' "
                "(cupy-cuda12x) on a machine with an NVIDIA GPU") from None
        _cupy = cupy
    return _cupy


def _cupyx_special():
    global _cupy_special
    if _cupy_special is None:
        from cupyx.scipy import special
        _cupy_special = special
    return _cupy_special


def as_device(d):
    """Normalize None / str / int / device to a `device` (None means cpu)."""
    if d is None:
        return CPU
    if type(d) is device:
        return d
    if isinstance(d, int) and not isinstance(d, bool):
        return device("cuda", d)
    return device(d)


def backend_for_device(d):
    """The array namespace for device `d`."""
    d = as_device(d)
    if d.type == "cpu":
        return np
    if d.type == "cuda":
        return _import_cupy()
    raise RuntimeError(f"device {d} holds no data; it cannot run kernels")


def array_namespace(arr):
    """The namespace (numpy or cupy) an array belongs to."""
    if type(arr) is np.ndarray:
        return np
    if _cupy is not None and isinstance(arr, _cupy.ndarray):
        return _cupy
    return np


def device_of_array(arr):
    """The device an array lives on."""
    if type(arr) is np.ndarray or _cupy is None or not isinstance(arr, _cupy.ndarray):
        return CPU
    return device("cuda", arr.device.id)


def to_device(arr, d):
    """Move an array to device `d` (a copy when it changes device)."""
    d = as_device(d)
    if d.type == "cpu":
        if type(arr) is np.ndarray:
            return arr
        return arr.get()
    if d.type == "cuda":
        cp = _import_cupy()
        with cp.cuda.Device(d.index or 0):
            return cp.asarray(arr)
    raise RuntimeError(f"cannot place data on device {d}")


def to_host(arr):
    """`arr` as a NumPy array (a copy from the GPU; a NumPy array itself; other array-likes, such as
    a tensor in an int[] argument, through np.asarray).

    Kernels use it, with `to_device`, for the few steps CuPy has no function for
    (listed in spec/tensors.md, "CUDA"): an explicit round trip, never an implicit one.
    """
    if type(arr) is np.ndarray:
        return arr
    return arr.get() if _cupy is not None and isinstance(arr, _cupy.ndarray) else np.asarray(arr)


def may_share_memory(a, b):
    """Whether two arrays may overlap (a cheap bounds check); never across devices."""
    xp = array_namespace(a)
    if array_namespace(b) is not xp:
        return False
    return bool(xp.may_share_memory(a, b))


# the ufunc methods CuPy implements (for other ufuncs its `.at` / `.accumulate` raise NotImplementedError);
# its `.at` is an atomic scatter, for the dtypes CUDA has atomics of (others raise TypeError)
_ATOMIC = ("int32", "uint32", "uint64", "float32", "float64")
_CUPY_AT = {"add": frozenset(np.dtype(d) for d in _ATOMIC + ("float16",)),
            "maximum": frozenset(np.dtype(d) for d in _ATOMIC), "minimum": frozenset(np.dtype(d) for d in _ATOMIC)}
_CUPY_ACCUMULATE = frozenset({"add", "multiply"})


def ufunc_at(xp, name, a, indices, b):
    """`xp.<name>.at(a, indices, b)`: unbuffered in-place `a[indices] = name(a[indices], b)`, repeated
    indices applying one after another in order.

    Where CuPy has no such `.at` (multiply; add/maximum/minimum on dtypes without CUDA
    atomics: bool, int8, int16, int64, ...), the updates run in rounds: round r applies
    every index's r-th occurrence (stable-sorted positions, so each position's updates
    keep their order), and within a round no position repeats.
    """
    ufunc = getattr(xp, name)
    if xp is np or a.dtype in _CUPY_AT.get(name, ()):
        ufunc.at(a, indices, b)
        return
    pos = xp.arange(a.size, dtype=np.int64).reshape(a.shape)[indices]
    vals = xp.broadcast_to(b if hasattr(b, "shape") else xp.asarray(b, dtype=a.dtype), pos.shape).reshape(-1)
    pos = pos.reshape(-1)
    if pos.size == 0:
        return
    order = xp.argsort(pos, kind="stable")
    pos, vals = pos[order], vals[order]
    rank = xp.arange(pos.size) - xp.searchsorted(pos, pos, side="left")
    for r in range(int(rank.max()) + 1):
        take = rank == r
        where = xp.unravel_index(pos[take], a.shape)
        a[where] = ufunc(a[where], vals[take])


def ufunc_accumulate(xp, name, a, axis):
    """`xp.<name>.accumulate(a, axis=axis)` for an associative ufunc (maximum, minimum, logaddexp, ...).

    Where CuPy has no such `.accumulate`, a scan by doubling: after the step with
    shift s each position combines the last 2s inputs (log2(n) vectorized steps).
    """
    if xp is np or name in _CUPY_ACCUMULATE:
        return getattr(xp, name).accumulate(a, axis=axis)
    ufunc = getattr(xp, name)
    out = xp.moveaxis(a, axis, -1).copy()
    n, s = out.shape[-1], 1
    while s < n:
        out[..., s:] = ufunc(out[..., s:], out[..., :-s])
        s *= 2
    return xp.ascontiguousarray(xp.moveaxis(out, -1, axis))


def _special(name):
    """Elementwise `name` (erf, erfc, erfinv) on either backend, exact to the dtype's precision.

    On NumPy it is always minexport's own vectorized implementation
    (runtime/special.py), whether or not SciPy is installed: it is as accurate,
    and for float32 several times faster than scipy.special, so an optional
    dependency never changes results or speed.  CuPy ships its own kernels.
    """
    def fn(xp, x, out=None):
        if xp is np:
            return getattr(special, name)(x, out=out)
        cupy_special = _cupyx_special()
        return getattr(cupy_special, name)(x, out=out) if out is not None else getattr(cupy_special, name)(x)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} on either backend (into `out` when given)."
    return fn


erf, erfc, erfinv = _special("erf"), _special("erfc"), _special("erfinv")
