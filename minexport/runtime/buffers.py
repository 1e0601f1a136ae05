"""Large kernel outputs recycled from one run of a compiled graph to the next (`BufferPool`).

Why: a big NumPy array is fresh memory.  glibc hands large blocks back to
the kernel when they are freed (and trims the heap's top), so a model run
again and again faults its big intermediates in again each time, zeroing
every page: on the GPT-style benchmark (16x64 tokens) 12,000 page faults and
about 35 of 280 ms per forward.  A runner (`fx._runner.GraphRunner`) owns a
pool, makes it the active one for the length of a run, and kernels that
produce large outputs take them from it with `empty(xp, shape, dtype)`, writing
with `out=`.  ONNX Runtime's CPU memory arena makes the same trade by default.

Why it is safe: a pooled array is handed out again only when the pool's own
reference is the only one left, which `sys.getrefcount` tells exactly.  Every
holder counts: a runner slot, a view (it keeps its base), a Tensor, a user
who kept an output.  Nobody can read an array nobody references, so reusing
it changes no result.  The check and the hand-out happen under a lock.

What it keeps: after each run, the pool drops every array the run did not
hand out (an output the user kept, a shape a dynamic dim no longer makes),
so between runs it holds at most the large intermediates of the last run, of
which one run needs as many at once as it has of each shape.  Arrays under
`MIN_BYTES` are left to NumPy and malloc, which recycle small blocks well; a
pool stops adding arrays beyond `MAX_BYTES` (the extra ones are plain arrays).
"""
import sys
import threading

import numpy as np

__all__ = ["BufferPool", "empty", "recycled", "active", "activate", "deactivate", "MIN_BYTES", "MAX_BYTES"]

MIN_BYTES = 128 << 10     # glibc's default threshold for serving a block by mmap
MAX_BYTES = 1 << 30       # per pool; set lower to bound what a module keeps between runs


class _Entry:
    __slots__ = ("array", "run")

    def __init__(self, array, run):
        self.array, self.run = array, run


def _first_free(entries, unreferenced):
    """The first entry whose array nobody but the entry references, or None."""
    for entry in entries:
        if sys.getrefcount(entry.array) <= unreferenced:
            return entry
    return None


# The reference count an unreferenced entry's array shows inside `_first_free` (its entry, the call's
# argument, and whatever the interpreter adds): measured once on an array nothing else holds, so the
# check keeps working however a Python version counts its temporaries.
# Without reference counts (a Python other than CPython) nothing is recycled.
_UNREFERENCED = next(n for n in range(1, 8) if _first_free([_Entry(np.empty(0), 0)], n) is not None) \
    if hasattr(sys, "getrefcount") else None


class BufferPool:
    """Arrays handed out by `take` and taken back once nothing references them (see the module docstring)."""

    def __init__(self):
        self._entries = {}          # (shape, dtype) -> [_Entry]
        self._bytes = 0
        self._run = 0
        self._lock = threading.Lock()

    def take(self, shape, dtype):
        """An uninitialized C-contiguous array of `shape` and `dtype`, recycled when one is free."""
        if _UNREFERENCED is None:
            return np.empty(shape, dtype)
        key = (shape, dtype)
        with self._lock:
            entry = _first_free(self._entries.get(key, ()), _UNREFERENCED)
            if entry is None:
                array = np.empty(shape, dtype)
                if self._bytes + array.nbytes > MAX_BYTES:
                    return array            # (not kept: nor is its key)
                entry = _Entry(array, self._run)
                self._entries.setdefault(key, []).append(entry)
                self._bytes += array.nbytes
            entry.run = self._run
            return entry.array

    def end_run(self):
        """Forget every array the run now ending did not hand out."""
        with self._lock:
            run = self._run
            for key, entries in list(self._entries.items()):
                kept = [e for e in entries if e.run == run]
                if len(kept) != len(entries):
                    self._bytes -= sum(e.array.nbytes for e in entries if e.run != run)
                    if kept:
                        self._entries[key] = kept
                    else:
                        del self._entries[key]
            self._run = run + 1

    @property
    def nbytes(self):
        """Bytes of the arrays the pool holds."""
        return self._bytes


_state = threading.local()


def active():
    """The pool of the graph run in progress on this thread, or None."""
    return getattr(_state, "pool", None)


def activate(pool):
    """Make pool this thread's active one; returns the one it replaces (give that to `deactivate`)."""
    previous = getattr(_state, "pool", None)
    _state.pool = pool
    return previous


def deactivate(previous):
    """End the active pool's run and restore `previous` as this thread's active pool."""
    pool = getattr(_state, "pool", None)
    if pool is not None:
        pool.end_run()
    _state.pool = previous


def recycled(xp, shape, dtype):
    """A C-contiguous array of shape and dtype (a NumPy dtype) from the active pool, or None when no
    pool is active, xp is not NumPy or the array would be small (the caller then allocates as usual)."""
    if xp is not np:
        return None
    n = dtype.itemsize
    for s in shape:
        n *= s
    if n < MIN_BYTES:
        return None
    pool = getattr(_state, "pool", None)
    return None if pool is None else pool.take(tuple(shape), dtype)


def empty(xp, shape, dtype):
    """xp.empty(shape, dtype), from the active pool when `recycled` gives one."""
    dtype = np.dtype(dtype) if xp is np else dtype
    out = recycled(xp, shape, dtype)
    return xp.empty(shape, dtype) if out is None else out
