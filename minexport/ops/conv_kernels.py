"""Transposed convolution (any number of spatial dims) and the conv_transpose ops.

`convolution(..., transposed=True)` scatters each input position's
contribution `x[n, ci, i] * w[ci, co, k]` to output position `i*stride +
k*dilation - padding`.  The kernel does all channel products in one matmul
(one column per kernel position) and then loops over the kernel positions,
adding each column block into a strided slice of the output.

The forward (non-transposed) kernel lives in `nn_ops`; `convolution_facts`
takes its shape and array functions as arguments so that the `convolution`
registration there dispatches on `transposed` without the two modules
importing each other.
"""
import itertools
import threading

import numpy as np

from ._common import check, dtype_of, fake_like, fmt_shape, out_array
from ._registry import aten, register
from ..runtime import buffers


def _listify(v, n):
    if isinstance(v, (list, tuple)):
        v = list(v)
        return v * n if len(v) == 1 else v
    return [v] * n


def transposed_out_size(size, k, stride, pad, dil, out_pad):
    """Output length of a transposed convolution along one dim (torch's formula)."""
    return (size - 1) * stride - 2 * pad + dil * (k - 1) + out_pad + 1


def transposed_shape(inp, weight, stride, padding, dilation, output_padding, groups):
    """Output shape of convolution(transposed=True); errors in torch's words."""
    n = len(weight) - 2
    check(len(inp) in (n + 1, n + 2), lambda: f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) "
          f"input to conv_transpose{n}d, but got input of size: {fmt_shape(inp)}")
    batched = len(inp) == n + 2
    shape = tuple(inp) if batched else (1,) + tuple(inp)
    check(shape[1] == weight[0],
          lambda: f"Given transposed=1, weight of size {fmt_shape(weight)}, expected input{fmt_shape(shape)} "
                  f"to have {weight[0]} channels, but got {shape[1]} channels instead")
    check(weight[0] % groups == 0, lambda: f"Given groups={groups}, expected weight to be divisible by "
                                           f"{groups} at dimension 0, but got weight of size {fmt_shape(weight)}")
    for i in range(n):
        check(output_padding[i] < max(stride[i], dilation[i]),
              lambda: "output padding must be smaller than either stride or dilation, but got "
                      f"output_padding: {output_padding[i]}, stride: {stride[i]}, dilation: {dilation[i]}")
    out = [transposed_out_size(shape[2 + i], weight[2 + i], stride[i], padding[i], dilation[i],
                               output_padding[i]) for i in range(n)]
    check(all(o > 0 for o in out),
          lambda: f"Given input size per channel: ({' x '.join(str(s) for s in shape[2:])}). Calculated "
                  f"output size: ({' x '.join(str(o) for o in out)}). Output size is too small")
    res = (shape[0], weight[1] * groups) + tuple(out)
    return res if batched else res[1:]


def transposed_array(xp, x, w, b, stride, padding, dilation, output_padding, groups):
    """convolution(transposed=True) on arrays: x (N, Cin, *in), w (Cin, Cout/groups, *k)."""
    n = w.ndim - 2
    batched = x.ndim == n + 2
    if not batched:
        x = x[None]
    N, cin = x.shape[:2]
    spatial, ks = x.shape[2:], w.shape[2:]
    g, cg, og = groups, cin // groups, w.shape[1]
    K = int(np.prod(ks))
    # (g, N*in, cg) @ (g, cg, og*K): every channel product for every kernel position at once
    cols = xp.moveaxis(x.reshape((N, g, cg, -1)), 1, 0)                    # g, N, cg, in
    cols = xp.transpose(cols, (0, 1, 3, 2)).reshape((g, -1, cg))
    prod = xp.matmul(cols, w.reshape((g, cg, og * K)))
    prod = prod.reshape((g, N) + tuple(spatial) + (og,) + tuple(ks))
    full = [(spatial[i] - 1) * stride[i] + dilation[i] * (ks[i] - 1) + 1 + output_padding[i] for i in range(n)]
    acc = xp.zeros((g, N) + tuple(full) + (og,), dtype=prod.dtype)
    for kpos in itertools.product(*(range(k) for k in ks)):
        where = tuple(slice(kpos[i] * dilation[i], kpos[i] * dilation[i] + (spatial[i] - 1) * stride[i] + 1,
                            stride[i]) for i in range(n))
        acc[(slice(None), slice(None)) + where] += prod[(Ellipsis,) + kpos]
    crop = tuple(slice(padding[i], full[i] - padding[i]) for i in range(n))
    out = acc[(slice(None), slice(None)) + crop]                             # g, N, out..., og
    out = xp.moveaxis(out, -1, 2).reshape((g, N, og) + out.shape[2:-1])
    out = xp.moveaxis(out, 0, 1).reshape((N, g * og) + out.shape[3:])
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * n)
    out = xp.ascontiguousarray(out)
    return out if batched else out[0]


def _convolution_args(weight, stride, padding, dilation, output_padding):
    n = len(weight.shape) - 2
    return (_listify(stride, n), _listify(padding, n), _listify(dilation, n), _listify(output_padding, n))


def convolution_facts(forward_shape, forward_array, check_dtypes):
    """meta and kernel of aten.convolution, for both directions; the forward helpers come from nn_ops."""
    def meta(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
        check_dtypes(input, weight)
        stride, padding, dilation, output_padding = _convolution_args(weight, stride, padding, dilation,
                                                                      output_padding)
        if transposed:
            shape = transposed_shape(tuple(input.shape), tuple(weight.shape), stride, padding, dilation,
                                     output_padding, groups)
        else:
            shape = forward_shape(tuple(input.shape), tuple(weight.shape), stride, padding, dilation, groups,
                                  "convolution")
        return fake_like(shape, input.dtype, input)

    def kernel(xp, input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
        check_dtypes(input, weight)
        stride, padding, dilation, output_padding = _convolution_args(weight, stride, padding, dilation,
                                                                      output_padding)
        if transposed:
            transposed_shape(input.shape, weight.shape, stride, padding, dilation, output_padding, groups)
            out = transposed_array(xp, input, weight, bias, stride, padding, dilation, output_padding, groups)
        else:
            forward_shape(input.shape, weight.shape, stride, padding, dilation, groups, "convolution")
            out = forward_array(xp, input, weight, bias, stride, padding, dilation, groups)
        return out_array(xp, out, dtype_of(input))

    return {"meta": meta, "kernel": kernel}


# ------------------------------------------------------- conv_transpose --
def _conv_transpose_register(schema, n, check_dtypes):
    def args(weight, stride, padding, output_padding, dilation):
        return _listify(stride, n), _listify(padding, n), _listify(output_padding, n), _listify(dilation, n)

    def meta(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        check_dtypes(input, weight)
        s, p, op, d = args(weight, stride, padding, output_padding, dilation)
        return fake_like(transposed_shape(tuple(input.shape), tuple(weight.shape), s, p, d, op, groups),
                         input.dtype, input)

    def kernel(xp, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        check_dtypes(input, weight)
        s, p, op, d = args(weight, stride, padding, output_padding, dilation)
        transposed_shape(input.shape, weight.shape, s, p, d, op, groups)
        return out_array(xp, transposed_array(xp, input, weight, bias, s, p, d, op, groups), dtype_of(input))

    def decomposition(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        s, p, op, d = args(weight, stride, padding, output_padding, dilation)
        unbatched = input.ndim == n + 1
        if unbatched:
            input = aten.unsqueeze.default(input, 0)
        out = aten.convolution.default(input, weight, bias, s, p, d, True, op, groups)
        return aten.squeeze.dims(out, [0]) if unbatched else out

    register(schema, meta=meta, kernel=kernel, decomposition=decomposition)


def register_conv_transpose_ops(check_dtypes):
    """conv_transpose1d / 2d / 3d: the public ops torch records, each decomposing to convolution."""
    for n, name in ((1, "conv_transpose1d"), (2, "conv_transpose2d.input"), (3, "conv_transpose3d.input")):
        ones, zeros = ", ".join(["1"] * n), ", ".join(["0"] * n)
        _conv_transpose_register(
            f"{name}(Tensor input, Tensor weight, Tensor? bias=None, SymInt[{n}] stride=[{ones}], "
            f"SymInt[{n}] padding=[{zeros}], SymInt[{n}] output_padding=[{zeros}], SymInt groups=1, "
            f"SymInt[{n}] dilation=[{ones}]) -> Tensor", n, check_dtypes)


# ------------------------------------------------- forward fast paths --
# The general forward kernel (nn_ops._conv_array) gathers every window into an
# (N*out, C*k) matrix through a 6-d transpose, multiplies, and transposes the
# product back to NCHW: three full passes over k-times the data with short inner
# loops.  For 1-d and 2-d float32/float64 NumPy inputs two formulations avoid that:
#   pointwise (1x1, stride 1, no padding): out[n] = W @ x[n] as one batched GEMM
#     over [C_in, H*W], no copy at all;
#   the rest: im2col into a [C_in*kh*kw, L] buffer per few batch items, then one
#     GEMM per group that writes the NCHW output directly (for a depthwise
#     convolution a [1, kh*kw] @ [kh*kw, L] product per channel: measured faster
#     than kh*kw passes of `acc += w[c] * x_shifted`, as NumPy multiplies by a
#     per-row scalar well below its SIMD speed).
# With stride 1 im2col indexes the padded input as flat rows of length Hp*Wp: the
# tap (i, j) of output position h*Wp + w is element h*Wp + w + i*dh*Wp + j*dw, so
# the copy is one long contiguous run per channel and tap (NumPy's per-row overhead
# would otherwise dominate 32-wide rows); the Wp - Wo columns computed past each
# row's end are dropped when the product is cropped.
FAST_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_COLS = 1 << 20           # elements of im2col buffer per GEMM (~4 MiB of float32)


def forward_fast(xp, x, w, b, stride, padding, dilation, groups):
    """convolution's forward output through a fast path, or None where none applies (then the
    general kernel runs).  x is batched (N, C, *spatial); w (O, C/groups, *k)."""
    if not (xp is np and w.ndim in (3, 4) and x.dtype in FAST_DTYPES and w.dtype == x.dtype
            and 0 not in x.shape[1:] and w.size > 0 and (b is None or b.dtype == x.dtype)):   # (N = 0 is fine)
        return None
    if w.ndim == 3:                                     # conv1d as a conv2d over a height-1 image
        out = forward_fast(xp, x[:, :, None], w[:, :, None], b, [1] + list(stride), [0] + list(padding),
                           [1] + list(dilation), groups)
        return None if out is None else out[:, :, 0]
    N, C, H, W = x.shape
    _, cg, kh, kw = w.shape
    ho = (H + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (W + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    if kh == kw == 1 and not any(padding) and tuple(stride) == (1, 1):
        out = _pointwise(x, w, groups)
    else:
        out = _im2col(x, w, stride, padding, dilation, groups, ho, wo)
    if b is not None:
        out += b.reshape(-1, 1, 1)
    return out


def _pointwise(x, w, groups):
    """1x1 stride-1 unpadded convolution: out[n, g] = W[g] @ x[n, g] over [C_in/g, H*W]."""
    N, C, H, W = x.shape
    n_out = w.shape[0]
    out = buffers.empty(np, (N, n_out, H, W), x.dtype)
    np.matmul(w.reshape(groups, n_out // groups, C // groups), x.reshape(N, groups, C // groups, H * W),
              out=out.reshape(N, groups, n_out // groups, H * W))
    return out


# The padded input and the im2col buffer are scratch: a fresh array of a few MiB costs a page fault per
# 4 KiB on its first write (as much as the copy itself), so each thread keeps its last ones for reuse,
# up to _SCRATCH_MAX bytes each.  (Outputs are never scratch.)
_SCRATCH_MAX = 16 << 20
_scratch_state = threading.local()


def _scratch(slot, shape, dtype):
    """An uninitialized C-contiguous array of shape and dtype, reusing this thread's buffer for `slot`."""
    n = dtype.itemsize
    for d in shape:
        n *= d
    if n > _SCRATCH_MAX:
        return np.empty(shape, dtype)
    held = getattr(_scratch_state, slot, None)
    if held is None or held.nbytes < n:
        held = np.empty(n, np.uint8)
        setattr(_scratch_state, slot, held)
    return held[:n].view(dtype).reshape(shape)


def _padded(x, padding):
    """x zero-padded by `padding` (H, W), C-contiguous (x itself when that is already so)."""
    N, C, H, W = x.shape
    ph, pw = padding
    if not (ph or pw) and x.flags.c_contiguous:
        return x
    xp_ = _scratch("padded", (N, C, H + 2 * ph, W + 2 * pw), x.dtype)
    xp_[:, :, :ph] = 0
    xp_[:, :, ph + H:] = 0
    xp_[:, :, ph:ph + H, :pw] = 0
    xp_[:, :, ph:ph + H, pw + W:] = 0
    xp_[:, :, ph:ph + H, pw:pw + W] = x
    return xp_


def _im2col(x, w, stride, padding, dilation, groups, ho, wo):
    """Convolution as im2col + GEMM per few batch items; the product is written as NCHW directly."""
    N, C = x.shape[:2]
    n_out, cg, kh, kw = w.shape
    g, og, K = groups, n_out // groups, cg * kh * kw
    wm = w.reshape(g, og, K)
    out = buffers.empty(np, (N, n_out, ho, wo), x.dtype)
    unit = tuple(stride) == (1, 1)
    xpad = _padded(x, padding)
    hp, wp = xpad.shape[2:]
    span = ho * wp if unit else ho * wo                 # columns per item (stride 1: whole padded rows)
    run = (ho - 1) * wp + wo if unit else span          # columns filled; the rest only feed cropped outputs
    nb = max(1, min(N, _COLS // (C * kh * kw * span)))
    tail = (span,) if unit else (ho, wo)
    cols = _scratch("cols", (nb, C, kh, kw) + tail, x.dtype)
    if unit:
        cols[..., run:] = 0                             # (past the last output: keeps the GEMM finite)
    prod = _scratch("prod", (nb, g, og, span), x.dtype) if unit and wp != wo else None
    sn, sc, sh, sw = xpad.strides
    if unit:                                            # taps as flat offsets into the padded rows
        shape, strides = (C, kh, kw, run), (sc, sh * dilation[0], sw * dilation[1], sw)
    else:
        shape, strides = (C, kh, kw, ho, wo), (sc, sh * dilation[0], sw * dilation[1], sh * stride[0],
                                               sw * stride[1])
    for n0 in range(0, N, nb):
        n1 = min(N, n0 + nb)
        c = cols[:n1 - n0]
        win = np.lib.stride_tricks.as_strided(xpad[n0:], shape=(n1 - n0,) + shape, strides=(sn,) + strides)
        if unit:
            c[..., :run] = win
        else:
            c[...] = win
        dest = out[n0:n1].reshape(n1 - n0, g, og, ho * wo)
        if prod is None:
            np.matmul(wm, c.reshape(n1 - n0, g, K, span), out=dest)
        else:
            p = prod[:n1 - n0]
            np.matmul(wm, c.reshape(n1 - n0, g, K, span), out=p)
            out[n0:n1] = p.reshape(n1 - n0, n_out, ho, wp)[..., :wo]
    return out
