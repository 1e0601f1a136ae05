"""Ops behind basic layers: bilinear (and the _trilinear product it decomposes to) and rms_norm."""
import numpy as np


from ._common import broadcast_shapes, check, dtype_of, fake_like, fmt_shape, out_array
from ._registry import aten, register

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


# -------------------------------------------------------------- _trilinear --
def _trilinear_dims(shapes, expands, sumdim):
    """(total dims, for each input the dims it holds, the output dims)."""
    total = len(shapes[0]) + len(expands[0])
    held = [[d for d in range(total) if d not in set(e)] for e in expands]
    for shape, dims in zip(shapes, held):
        check(len(shape) == len(dims), lambda: f"Dimension out of range: _trilinear's input of size "
                                               f"{fmt_shape(shape)} does not fill {total} dims after expanding",
              IndexError)
    return total, held, [d for d in range(total) if d not in set(sumdim)]


def _trilinear_shape(shapes, expands, sumdim):
    total, held, out_dims = _trilinear_dims(shapes, expands, sumdim)
    full = []
    for shape, dims in zip(shapes, held):
        expanded = [1] * total
        for d, s in zip(dims, shape):
            expanded[d] = s
        full.append(tuple(expanded))
    size = broadcast_shapes(*full)
    return tuple(size[d] for d in out_dims)


def _trilinear_kernel(xp, i1, i2, i3, expand1, expand2, expand3, sumdim, unroll_dim=1):
    shapes, expands = (i1.shape, i2.shape, i3.shape), (expand1, expand2, expand3)
    _trilinear_shape(shapes, expands, sumdim)
    _, held, out_dims = _trilinear_dims(shapes, expands, sumdim)
    # one einsum: each dim is a letter; size-1 dims of an input broadcast, so they are squeezed out first
    operands, subs = [], []
    for a, dims in zip((i1, i2, i3), held):
        keep = [k for k, d in enumerate(dims) if a.shape[k] != 1]
        operands.append(a.reshape([a.shape[k] for k in keep]))
        subs.append("".join(_LETTERS[dims[k]] for k in keep))
    out_shape = _trilinear_shape(shapes, expands, sumdim)
    present = set("".join(subs))
    out_sub = "".join(_LETTERS[d] for d in out_dims if _LETTERS[d] in present)
    out = xp.einsum(f"{','.join(subs)}->{out_sub}", *operands)
    return out_array(xp, xp.ascontiguousarray(xp.broadcast_to(out.reshape(
        [out_shape[k] if _LETTERS[d] in present else 1 for k, d in enumerate(out_dims)]), out_shape)), dtype_of(i1))


register("_trilinear(Tensor i1, Tensor i2, Tensor i3, int[] expand1, int[] expand2, int[] expand3, int[] sumdim, "
         "int unroll_dim=1) -> Tensor",
         meta=lambda i1, i2, i3, expand1, expand2, expand3, sumdim, unroll_dim=1: fake_like(
             _trilinear_shape((tuple(i1.shape), tuple(i2.shape), tuple(i3.shape)), (expand1, expand2, expand3),
                              sumdim), i1.dtype, i1),
         # torch has no decomposition for it: its run_decompositions() keeps it and its verifier allows it
         kernel=_trilinear_kernel, tags=("core_ir_allowed",))


# --------------------------------------------------------------- bilinear --
def _bilinear_shape(input1, input2, weight, bias):
    a, b, w = tuple(input1.shape), tuple(input2.shape), tuple(weight.shape)
    check(len(a) == len(b), lambda: f"bilinear(): input dimensions do not match: got {len(a)} and {len(b)}")
    check(a[:-1] == b[:-1], lambda: f"bilinear(): input batch dimensions do not match: got {fmt_shape(a[:-1])} "
                                    f"and {fmt_shape(b[:-1])}")
    check(len(w) == 3, lambda: f"bilinear(): weight must be 3-D, got {fmt_shape(w)}")
    check(a[-1] == w[1], lambda: f"bilinear(): input1 size does not match weight size: got {a[-1]} but expected "
                                 f"{w[1]}")
    check(b[-1] == w[2], lambda: f"bilinear(): input2 size does not match weight size: got {b[-1]} but expected "
                                 f"{w[2]}")
    if bias is not None:
        check(tuple(bias.shape) == (w[0],), lambda: f"bilinear(): bias size does not match weight size: got "
                                                    f"{bias.shape[0] if bias.shape else 0} but expected {w[0]}")
    return a[:-1] + (w[0],)


def _bilinear_kernel(xp, input1, input2, weight, bias=None):
    _bilinear_shape(input1, input2, weight, bias)
    out = xp.einsum("...i,oij,...j->...o", input1, weight, input2)
    if bias is not None:
        out = out + bias
    return out_array(xp, out, dtype_of(input1))


def _bilinear_decomp(input1, input2, weight, bias=None):
    a = aten.view.default(input1, [-1, input1.shape[-1]])
    b = aten.view.default(input2, [-1, input2.shape[-1]])
    out = aten._trilinear.default(a, weight, b, [1, 3], [0], [1, 2], [2, 3])
    out = aten.view.default(out, list(input1.shape[:-1]) + [weight.shape[0]])
    return out if bias is None else aten.add.Tensor(out, bias)


register("bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias=None) -> Tensor",
         meta=lambda input1, input2, weight, bias=None: fake_like(_bilinear_shape(input1, input2, weight, bias),
                                                                 input1.dtype, input1),
         kernel=_bilinear_kernel, decomposition=_bilinear_decomp, variants=("function",))


# --------------------------------------------------------------- rms_norm --
def _rms_axes(shape, normalized_shape):
    k = len(normalized_shape)
    check(k > 0 and len(shape) >= k and tuple(shape[-k:]) == tuple(normalized_shape),
          lambda: f"Given normalized_shape={fmt_shape(normalized_shape)}, expected input with shape "
                  f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{fmt_shape(shape)}")
    return tuple(range(len(shape) - 1, len(shape) - 1 - k, -1))     # last dim first, as torch lists them


def _rms_eps(dtype, eps):
    return float(np.finfo(dtype.numpy_dtype).eps) if eps is None else eps


def _rms_norm_kernel(xp, input, normalized_shape, weight=None, eps=None):
    axes = _rms_axes(input.shape, normalized_shape)
    d = dtype_of(input)
    out = input * (1 / xp.sqrt(xp.mean(input * input, axis=axes, keepdims=True) + _rms_eps(d, eps)))
    if weight is not None:
        out = out * weight
    return out_array(xp, out, d)


def _rms_norm_decomp(input, normalized_shape, weight=None, eps=None):
    axes = list(_rms_axes(tuple(input.shape), normalized_shape))
    mean = aten.mean.dim(aten.pow.Tensor_Scalar(input, 2), axes, True)
    out = aten.mul.Tensor(input, aten.rsqrt.default(aten.add.Scalar(mean, _rms_eps(input.dtype, eps))))
    return out if weight is None else aten.mul.Tensor(out, weight)


def _rms_norm_meta(input, normalized_shape, weight=None, eps=None):
    _rms_axes(tuple(input.shape), normalized_shape)
    check(input.dtype.is_floating_point, lambda: f"rms_norm: expected a floating point input, got {input.dtype}")
    return fake_like(tuple(input.shape), input.dtype, input)


register("rms_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, float? eps=None) -> Tensor",
         meta=_rms_norm_meta, kernel=_rms_norm_kernel, decomposition=_rms_norm_decomp, variants=("function",))


