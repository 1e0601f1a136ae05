"""Output layouts that follow the input's memory format.

torch's CPU kernels for pooling, resizing, padding and pixel (un)shuffle allocate their output in the
input's suggested memory format: channels-last (3d) when the input's strides are ordered so (a 4-d or 5-d
input), contiguous otherwise (another permutation, an unbatched input, a non-dense one).  A few CPU kernels
(instance_norm, circular padding, avg_pool3d, adaptive_avg_pool3d) always give a contiguous output.  These
helpers give that rule once, for the meta functions (fake strides) and the kernels (array layouts).
"""
from .._tensor import CONTIGUOUS, format_strides, make_fake, suggest_memory_format
from ._common import array_strides, c_order

# the dims of a channels-last (3d) array in memory order, and back
_LAST_PERM = {4: (0, 2, 3, 1), 5: (0, 2, 3, 4, 1)}
_LAST_BACK = {4: (0, 3, 1, 2), 5: (0, 4, 1, 2, 3)}


def input_format(t):
    """The suggested memory format of a tensor or array (contiguous for ranks other than 4 and 5)."""
    if t.ndim not in (4, 5):
        return CONTIGUOUS
    if not callable(getattr(t, "stride", None)):
        # (the common case first, without the heuristic: a C-contiguous array whose dims after the batch all
        # exceed 1 is contiguous; with size-1 dims, their strides may still read as channels-last)
        if t.flags.c_contiguous and 1 not in t.shape[1:]:
            return CONTIGUOUS
        return suggest_memory_format(tuple(t.shape), array_strides(t))
    strides = t.stride()
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
        return c_order(xp, out)
    if _same_dense_layout(out, strides):
        return out
    # (a transposed view of a C-contiguous (N, *spatial, C) array: cheaper to make than as_strided's)
    n = out.ndim
    dense = xp.empty(tuple(out.shape[d] for d in _LAST_PERM[n]), out.dtype).transpose(_LAST_BACK[n])
    dense[...] = out
    return dense


def full_like_input(xp, shape, fill, dtype, input):
    """A new array of `shape` filled with `fill` (None: uninitialized), laid out in input's suggested memory
    format (so that a kernel writing into it gives its output torch's layout straight away)."""
    def make(dims):
        return xp.empty(dims, dtype) if fill is None else xp.full(dims, fill, dtype)
    if format_like_input(shape, input) is None:
        return make(shape)
    n = len(shape)
    return make(tuple(shape[d] for d in _LAST_PERM[n])).transpose(_LAST_BACK[n])


def pad_in_memory_order(xp, a, grow, crop, **how):
    """np.pad(a, grow, **how)[crop] computed on `a` viewed in its memory order ((N, *spatial, C) for a
    channels-last input): np.pad
    allocates a C-contiguous result, so padding the channels-last view makes the result, viewed back, laid
    out channels-last as torch's is, without a relayout copy."""
    if format_like_input(a.shape, a) is None:
        return xp.pad(a, grow, **how)[crop]
    order, back = _LAST_PERM[a.ndim], _LAST_BACK[a.ndim]
    out = xp.pad(a.transpose(order), [grow[i] for i in order], **how)
    return out[tuple(crop[i] for i in order)].transpose(back)
