"""`cupy.lib.stride_tricks` of the double: `as_strided` and `sliding_window_view`."""
import numpy as np

from .._core import _unwrap, _wrap


def as_strided(x, shape=None, strides=None):
    """A view of `x` with the given shape and byte strides."""
    return _wrap(np.lib.stride_tricks.as_strided(_unwrap(x), shape=shape, strides=strides))


def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    """Sliding windows over `x` (a read-only view unless writeable)."""
    return _wrap(np.lib.stride_tricks.sliding_window_view(_unwrap(x), window_shape, axis=axis,
                                                          writeable=writeable))
