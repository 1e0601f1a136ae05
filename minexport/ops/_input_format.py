"""Output layouts that follow the input's memory format.

torch's CPU kernels for pooling, resizing, padding and pixel (un)shuffle allocate their output in the
input's suggested memory format: channels-last (3d) when the input's strides are ordered so (a 4-d or 5-d
input), contiguous otherwise (another permutation, an unbatched input, a non-dense one).  A few CPU kernels
(instance_norm, circular padding, avg_pool3d, adaptive_avg_pool3d) always give a contiguous output.  These
helpers give that rule once, for the meta functions (fake strides) and the kernels (array layouts).
"""
import numpy as np

from .._tensor import CONTIGUOUS, format_strides, make_fake, suggest_memory_format
from ._common import array_strides, relayout


def input_format(t):
    """The suggested memory format of a tensor or array (contiguous for ranks other than 4 and 5)."""
    if t.ndim not in (4, 5):
        return CONTIGUOUS
    strides = t.stride() if callable(getattr(t, "stride", None)) else array_strides(t)
    return suggest_memory_format(tuple(t.shape), tuple(strides))


def format_like_input(shape, input):
    """Strides (None: contiguous) of an output of `shape` laid out in `input`'s suggested memory format."""
    fmt = input_format(input) if len(shape) == input.ndim else CONTIGUOUS
    return None if fmt == CONTIGUOUS else format_strides(tuple(shape), fmt)


def fake_like_input(shape, dtype, input):
    """A fake output of `shape` on input's device, laid out in input's suggested memory format."""
    return make_fake(shape, dtype, input._device, strides=format_like_input(shape, input))


def _same_dense_layout(a, strides):
    """Whether array `a` is laid out with `strides` (elements), size-1 dims' strides aside."""
    return all(n == 1 or s == t for n, s, t in zip(a.shape, array_strides(a), strides))


def in_input_format(xp, out, input, contiguous=False):
    """Array `out` laid out in `input`'s suggested memory format (or contiguous): itself when it already is
    (a kernel that computes straight into that layout pays nothing), else one relayout copy."""
    strides = None if contiguous else format_like_input(out.shape, input)
    if strides is None:
        return out if out.flags.c_contiguous else xp.ascontiguousarray(out)
    return out if _same_dense_layout(out, strides) else relayout(xp, out, strides)


# the dims of a channels-last (3d) array in memory order, and back
_LAST_PERM = {4: (0, 2, 3, 1), 5: (0, 2, 3, 4, 1)}
_LAST_BACK = {4: (0, 3, 1, 2), 5: (0, 4, 1, 2, 3)}


def full_like_input(xp, shape, fill, dtype, input):
    """A new array of `shape` filled with `fill`, laid out in input's suggested memory format (so that a
    kernel folding into it writes its output in torch's layout straight away)."""
    if format_like_input(shape, input) is None:
        return xp.full(shape, fill, dtype)
    n = len(shape)
    return xp.full(tuple(shape[d] for d in _LAST_PERM[n]), fill, dtype).transpose(_LAST_BACK[n])


def memory_order(a):
    """The dims of array `a` in the memory order of its suggested format: (N, *spatial, C) for channels-last
    (3d), the plain order otherwise."""
    fmt = format_like_input(a.shape, a)
    return _LAST_PERM[a.ndim] if fmt is not None else tuple(range(a.ndim))


def pad_in_memory_order(xp, a, grow, crop, **how):
    """np.pad(a, grow, **how)[crop] computed on `a` viewed in its memory order (`memory_order`): np.pad
    allocates a C-contiguous result, so padding the channels-last view makes the result, viewed back, laid
    out channels-last as torch's is, without a relayout copy."""
    order = memory_order(a)
    if order == tuple(range(a.ndim)):
        return xp.pad(a, grow, **how)[crop]
    out = xp.pad(a.transpose(order), [grow[i] for i in order], **how)
    return out[tuple(crop[i] for i in order)].transpose(np.argsort(order))
