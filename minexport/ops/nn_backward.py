"""Backward ops of the nn layers (convolution, layer/group norm, embedding) and embedding bags.

The gradients are computed directly in NumPy from the forward formulas:
  * convolution: grad_input sums, for each kernel offset, the output gradient times that
    offset's weight slice into a strided slab of the (padded) input; grad_weight contracts
    the input's sliding windows with the output gradient; grad_bias sums the output gradient.
    A transposed convolution's gradients are the same two contractions with the roles of
    input and output swapped.
  * normalization: with xhat = (x - mean) * rstd and gx = grad * weight,
    dx = rstd * (gx - mean(gx) - xhat * mean(gx * xhat)) over the normalized elements.
A gradient whose `output_mask` entry is False is not computed: torch returns an undefined
tensor there, which Python sees as None.
"""
import numpy as np

from .. import dtypes as dt
from ._common import check, dtype_of, fake_like, fmt_shape, out_array
from ._registry import aten, register
from .nn_ops import _conv_array, _pair, _windows
from ..runtime.backends import ufunc_at


def _prod(values):
    r = 1
    for v in values:
        r *= int(v)
    return r


# ------------------------------------------------------ convolution_backward --
def _conv_grad_weight(xp, inp, gout, kshape, stride, padding, dilation, groups):
    """d(conv)/d(weight): the input's windows contracted with the output gradient, per group."""
    n = len(kshape)
    if any(padding):
        inp = xp.pad(inp, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    win = _windows(xp, inp, kshape, stride, dilation)
    out = gout.shape[2:]
    win = win[(Ellipsis,) + tuple(slice(0, o) for o in out) + (slice(None),) * n]
    N, C = inp.shape[:2]
    oc, g = gout.shape[1], groups
    cols = win.reshape(N, g, C // g, _prod(out), _prod(kshape))
    go = gout.reshape(N, g, oc // g, _prod(out))
    gw = xp.einsum("ngop,ngcpk->gock", go, cols)
    return gw.reshape((oc, C // g) + tuple(kshape))


def _conv_grad_input(xp, gout, weight, in_shape, stride, padding, dilation, groups):
    """d(conv)/d(input): each kernel offset's weight slice sends the output gradient to a strided slab."""
    n = weight.ndim - 2
    N, oc = gout.shape[:2]
    g = groups
    cg = weight.shape[1]
    out = gout.shape[2:]
    padded = [in_shape[2 + i] + 2 * padding[i] for i in range(n)]
    # room for the last window even when the padded input ends inside it (it cannot: out fits)
    grad = xp.zeros((N, g, cg) + tuple(padded), dtype=gout.dtype)
    go = gout.reshape(N, g, oc // g, _prod(out))
    w = weight.reshape((g, oc // g, cg) + tuple(weight.shape[2:]))
    for offset in np.ndindex(*weight.shape[2:]):
        part = xp.einsum("ngop,goc->ngcp", go, w[(Ellipsis,) + offset]).reshape((N, g, cg) + tuple(out))
        slab = tuple(slice(offset[i] * dilation[i], offset[i] * dilation[i] + (out[i] - 1) * stride[i] + 1,
                           stride[i]) for i in range(n))
        grad[(Ellipsis,) + slab] += part
    grad = grad.reshape((N, g * cg) + tuple(padded))
    crop = tuple(slice(padding[i], padding[i] + in_shape[2 + i]) for i in range(n))
    return xp.ascontiguousarray(grad[(Ellipsis,) + crop])


def _conv_backward_check(gout, inp, weight, stride, padding, dilation, transposed, groups):
    n = len(weight) - 2
    check(len(inp) == n + 2 and len(gout) == n + 2,
          lambda: f"convolution_backward: expected batched {n + 2}-D input and grad_output for a {n + 2}-D weight, "
                  f"got input {fmt_shape(inp)} and grad_output {fmt_shape(gout)}")
    check(len(stride) == n and len(padding) == n and len(dilation) == n,
          lambda: f"convolution_backward: stride, padding and dilation need {n} values each")
    check(groups > 0 and inp[1] % groups == 0, lambda: f"convolution_backward: groups={groups} must divide the "
                                                       f"{inp[1]} input channels")
    out_channels = weight[1] * groups if transposed else weight[0]
    check(gout[1] == out_channels, lambda: f"convolution_backward: grad_output has {gout[1]} channels, expected "
                                           f"{out_channels}")


def _conv_backward_kernel(xp, grad_output, input, weight, bias_sizes, stride, padding, dilation, transposed,
                          output_padding, groups, output_mask):
    n = weight.ndim - 2
    stride, padding, dilation = _pair(stride, n), _pair(padding, n), _pair(dilation, n)
    _conv_backward_check(grad_output.shape, input.shape, weight.shape, stride, padding, dilation, transposed, groups)
    d = dtype_of(grad_output)
    gi = gw = gb = None
    if transposed:
        # y = conv_transpose(x, w) is the input-gradient of conv(., w): its gradients swap roles
        if output_mask[0]:
            gi = _conv_array(xp, grad_output, weight, None, stride, padding, dilation, groups)
        if output_mask[1]:
            gw = _conv_grad_weight(xp, grad_output, input, weight.shape[2:], stride, padding, dilation, groups)
            gw = gw.reshape(weight.shape)
    else:
        if output_mask[0]:
            gi = _conv_grad_input(xp, grad_output, weight, input.shape, stride, padding, dilation, groups)
        if output_mask[1]:
            gw = _conv_grad_weight(xp, input, grad_output, weight.shape[2:], stride, padding, dilation, groups)
    if output_mask[2]:
        gb = grad_output.sum(axis=(0,) + tuple(range(2, grad_output.ndim)))
    return tuple(None if a is None else out_array(xp, a, d) for a in (gi, gw, gb))


def _conv_backward_meta(grad_output, input, weight, bias_sizes, stride, padding, dilation, transposed,
                        output_padding, groups, output_mask):
    n = len(weight.shape) - 2
    _conv_backward_check(tuple(grad_output.shape), tuple(input.shape), tuple(weight.shape), _pair(stride, n),
                         _pair(padding, n), _pair(dilation, n), transposed, groups)
    bias = (grad_output.shape[1],) if bias_sizes is None else tuple(bias_sizes)
    shapes = (input.shape, weight.shape, bias)
    return tuple(fake_like(s, grad_output.dtype, grad_output) if m else None for s, m in zip(shapes, output_mask))


register("convolution_backward(Tensor grad_output, Tensor input, Tensor weight, SymInt[]? bias_sizes, "
         "SymInt[] stride, SymInt[] padding, SymInt[] dilation, bool transposed, SymInt[] output_padding, "
         "SymInt groups, bool[3] output_mask) -> (Tensor, Tensor, Tensor)",
         meta=_conv_backward_meta, kernel=_conv_backward_kernel, tags=("core",))


# ------------------------------------------------------ normalization backward --
def _wide(xp, *arrays):
    """float16/bfloat16/float32 arrays as float64 (the sums of the backward formulas cancel), others as given."""
    return [a if a is None or a.dtype.kind != "f" else a.astype(np.float64) for a in arrays]


def _norm_input_grad(xp, gx, xhat, rstd, axes):
    """rstd * (gx - mean(gx) - xhat * mean(gx * xhat)), the means over the normalized axes."""
    return rstd * (gx - gx.mean(axis=axes, keepdims=True) - xhat * (gx * xhat).mean(axis=axes, keepdims=True))


def _ln_backward_kernel(xp, grad_out, input, normalized_shape, mean, rstd, weight, bias, output_mask):
    k = len(normalized_shape)
    check(k > 0 and tuple(input.shape[input.ndim - k:]) == tuple(normalized_shape),
          lambda: f"native_layer_norm_backward: input {fmt_shape(input.shape)} does not end in normalized_shape "
                  f"{fmt_shape(normalized_shape)}")
    d = dtype_of(input)
    grad_out, input, mean, rstd, weight = _wide(xp, grad_out, input, mean, rstd, weight)
    axes = tuple(range(input.ndim - k, input.ndim))
    lead = tuple(range(input.ndim - k))
    xhat = (input - mean) * rstd
    gi = gw = gb = None
    if output_mask[0]:
        gx = grad_out * weight if weight is not None else grad_out
        gi = _norm_input_grad(xp, gx, xhat, rstd, axes)
    if output_mask[1] and weight is not None:
        gw = (grad_out * xhat).sum(axis=lead)
    if output_mask[2] and bias is not None:
        gb = grad_out.sum(axis=lead)
    return tuple(None if a is None else out_array(xp, a, d) for a in (gi, gw, gb))


def _ln_backward_meta(grad_out, input, normalized_shape, mean, rstd, weight, bias, output_mask):
    k = len(normalized_shape)
    check(k > 0 and tuple(input.shape[len(input.shape) - k:]) == tuple(normalized_shape),
          lambda: f"native_layer_norm_backward: input {fmt_shape(input.shape)} does not end in normalized_shape "
                  f"{fmt_shape(normalized_shape)}")
    outs = ((input, True), (weight, weight is not None), (bias, bias is not None))
    return tuple(fake_like(t.shape, input.dtype, input) if m and ok else None
                 for (t, ok), m in zip(outs, output_mask))


def _ln_backward_decomp(grad_out, input, normalized_shape, mean, rstd, weight, bias, output_mask):
    """The normalization formula in core ops, as torch's default table writes it:
    dx = rstd / n * (n * gx - sum(gx) - xhat * sum(gx * xhat)) over the normalized dims."""
    _ln_backward_meta(grad_out, input, normalized_shape, mean, rstd, weight, bias, output_mask)
    k, n = len(normalized_shape), _prod(normalized_shape)
    inner = list(range(input.ndim - k, input.ndim))
    lead = list(range(input.ndim - k))
    xhat = aten.mul.Tensor(aten.sub.Tensor(input, mean), rstd)
    gi = gw = gb = None
    if output_mask[0]:
        gx = aten.mul.Tensor(grad_out, weight) if weight is not None else grad_out
        terms = aten.sub.Tensor(aten.mul.Tensor(gx, n), aten.sum.dim_IntList(gx, inner, True))
        terms = aten.sub.Tensor(terms, aten.mul.Tensor(
            xhat, aten.sum.dim_IntList(aten.mul.Tensor(gx, xhat), inner, True)))
        gi = aten.mul.Tensor(aten.div.Tensor(rstd, n), terms)

    def over_lead(t):
        return aten.sum.dim_IntList(t, lead) if lead else aten.clone.default(t)
    if output_mask[1] and weight is not None:
        gw = over_lead(aten.mul.Tensor(grad_out, xhat))
    if output_mask[2] and bias is not None:
        gb = over_lead(grad_out)
    return gi, gw, gb


register("native_layer_norm_backward(Tensor grad_out, Tensor input, SymInt[] normalized_shape, Tensor mean, "
         "Tensor rstd, Tensor? weight, Tensor? bias, bool[3] output_mask) -> (Tensor, Tensor, Tensor)",
         meta=_ln_backward_meta, kernel=_ln_backward_kernel, tags=("core",), decomposition=_ln_backward_decomp)


def _gn_backward_kernel(xp, grad_out, input, mean, rstd, weight, N, C, HxW, group, output_mask):
    check(C % group == 0 and tuple(mean.shape) == (N, group),
          lambda: f"native_group_norm_backward: expected mean of shape [{N}, {group}], got {fmt_shape(mean.shape)}")
    d = dtype_of(input)
    grad_out, input, mean, rstd, weight = _wide(xp, grad_out, input, mean, rstd, weight)
    x = input.reshape(N, group, C // group, HxW)
    g = grad_out.reshape(N, group, C // group, HxW)
    m, r = mean.reshape(N, group, 1, 1), rstd.reshape(N, group, 1, 1)
    xhat = (x - m) * r
    gi = gw = gb = None
    if output_mask[0]:
        gx = g * weight.reshape(1, group, C // group, 1) if weight is not None else g
        gi = _norm_input_grad(xp, gx, xhat, r, (2, 3)).reshape(input.shape)
    if output_mask[1]:
        gw = (g * xhat).sum(axis=(0, 3)).reshape(C)
    if output_mask[2]:
        gb = g.sum(axis=(0, 3)).reshape(C)
    return tuple(None if a is None else out_array(xp, a, d) for a in (gi, gw, gb))


def _gn_backward_decomp(grad_out, input, mean, rstd, weight, N, C, HxW, group, output_mask):
    """Per-channel sums of grad_out * input and grad_out, folded per group, then dx as
    grad_out * c1 + input * c2 + c3 with per-group coefficients: torch's default table's formula and ops."""
    check(C % group == 0 and tuple(mean.shape) == (N, group),
          lambda: f"native_group_norm_backward: expected mean of shape [{N}, {group}], got {fmt_shape(mean.shape)}")
    cpg = C // group

    def per_channel(t):
        return aten.sum.dim_IntList(aten.view.default(t, [N, C, HxW]), [2])

    def per_group(t):
        scaled = aten.mul.Tensor(t, aten.unsqueeze.default(weight, 0)) if weight is not None else t
        return aten.sum.dim_IntList(aten.view.default(scaled, [N, group, cpg]), [2])

    def last_dims(t, k):
        for _ in range(k):
            t = aten.unsqueeze.default(t, -1)
        return t

    ds = per_channel(aten.mul.Tensor(grad_out, input))
    db = per_channel(grad_out)
    ds_g, db_g = per_group(ds), per_group(db)
    gi = gw = gb = None
    if output_mask[0]:
        s = 1.0 / (HxW * cpg)
        c1 = aten.unsqueeze.default(rstd, -1)
        if weight is not None:
            c1 = aten.mul.Tensor(c1, aten.view.default(weight, [1, group, cpg]))
        c2 = aten.mul.Tensor(aten.sub.Tensor(aten.mul.Tensor(db_g, mean), ds_g), rstd)
        c2 = aten.mul.Tensor(aten.mul.Tensor(aten.mul.Tensor(c2, rstd), rstd), s)
        c3 = aten.sub.Tensor(aten.mul.Tensor(aten.neg.default(c2), mean),
                             aten.mul.Tensor(aten.mul.Tensor(db_g, rstd), s))
        shape4 = [N, group, cpg, HxW]
        gi = aten.add.Tensor(aten.mul.Tensor(aten.view.default(grad_out, shape4), last_dims(c1, 1)),
                             aten.mul.Tensor(aten.view.default(input, shape4), last_dims(c2, 2)))
        gi = aten.view.default(aten.add.Tensor(gi, last_dims(c3, 2)), list(input.shape))
    if output_mask[1]:
        centered = aten.sub.Tensor(aten.view.default(ds, [N, group, cpg]),
                                   aten.mul.Tensor(aten.view.default(db, [N, group, cpg]), last_dims(mean, 1)))
        gw = aten.view.default(aten.sum.dim_IntList(aten.mul.Tensor(centered, last_dims(rstd, 1)), [0]), [C])
    if output_mask[2]:
        gb = aten.sum.dim_IntList(db, [0])
    return gi, gw, gb


register("native_group_norm_backward(Tensor grad_out, Tensor input, Tensor mean, Tensor rstd, Tensor? weight, "
         "SymInt N, SymInt C, SymInt HxW, int group, bool[3] output_mask) -> (Tensor, Tensor, Tensor)",
         meta=lambda grad_out, input, mean, rstd, weight, N, C, HxW, group, output_mask: tuple(
             fake_like(s, input.dtype, input) if m else None
             for s, m in zip((input.shape, (C,), (C,)), output_mask)),
         kernel=_gn_backward_kernel, tags=("core",), decomposition=_gn_backward_decomp)


# ------------------------------------------------------------ embedding --
def _embedding_backward_kernel(xp, grad_output, indices, num_weights, padding_idx, scale_grad_by_freq):
    D = grad_output.shape[-1]
    check(tuple(grad_output.shape[:-1]) == tuple(indices.shape),
          lambda: f"embedding_dense_backward: grad_output {fmt_shape(grad_output.shape)} does not match indices "
                  f"{fmt_shape(indices.shape)}")
    idx = indices.reshape(-1).astype(np.int64)
    g = grad_output.reshape(-1, D)
    keep = idx != padding_idx
    idx, g = idx[keep], g[keep]
    if scale_grad_by_freq:
        counts = xp.bincount(idx, minlength=num_weights)
        g = g / counts[idx][:, None]
    out = xp.zeros((num_weights, D), dtype=np.float64 if g.dtype.kind == "f" else g.dtype)
    ufunc_at(xp, "add", out, idx, g)
    return out_array(xp, out, dtype_of(grad_output))


def _embedding_backward_decomp(grad_output, indices, num_weights, padding_idx, scale_grad_by_freq):
    """Accumulate each row of grad_output into its index's row with index_put, as torch's default table does:
    indices out of range or equal to padding_idx add zeros; scale_grad_by_freq first divides each row by how
    often its index occurs (counted with an index_put of ones)."""
    def rows():     # each index_put clamps the indices afresh, as torch's graph does
        return [aten.clamp.default(indices, -num_weights, num_weights - 1)]

    valid = aten.bitwise_and.Tensor(aten.ge.Scalar(indices, 0), aten.lt.Scalar(indices, num_weights))
    grad = grad_output
    if scale_grad_by_freq:
        ones = aten.where.self(aten.bitwise_not.default(valid), aten.scalar_tensor.default(0, dtype=indices.dtype),
                               aten.full_like.default(indices, 1))
        counts = aten.index_put.default(aten.full.default([num_weights], 0, dtype=indices.dtype), rows(), ones, True)
        per_row = aten.index.Tensor(counts, [aten.clamp.default(indices, 0, num_weights - 1)])
        per_row = aten.where.self(aten.bitwise_not.default(valid), aten.scalar_tensor.default(1, dtype=indices.dtype),
                                  per_row)
        grad = aten.div.Tensor(grad, aten.unsqueeze.default(per_row, -1))
    keep = aten.unsqueeze.default(aten.bitwise_and.Tensor(valid, aten.ne.Scalar(indices, padding_idx)), -1)
    grad = aten.where.self(aten.bitwise_not.default(keep), aten.scalar_tensor.default(0.0, dtype=grad.dtype), grad)
    out = aten.full.default([num_weights] + list(grad_output.shape[indices.ndim:]), 0, dtype=grad_output.dtype)
    return aten.index_put.default(out, rows(), grad, True)


register("embedding_dense_backward(Tensor grad_output, Tensor indices, SymInt num_weights, SymInt padding_idx, "
         "bool scale_grad_by_freq) -> Tensor",
         meta=lambda grad_output, indices, num_weights, padding_idx, scale_grad_by_freq:
         fake_like((num_weights, grad_output.shape[-1]), grad_output.dtype, grad_output),
         kernel=_embedding_backward_kernel, tags=("core",), decomposition=_embedding_backward_decomp)


# ---------------------------------------------------------- embedding bags --
_BAG_MODES = {0: "sum", 1: "mean", 2: "max"}


def _bag_check(weight, indices, offsets, mode, per_sample_weights, include_last_offset):
    check(mode in _BAG_MODES, lambda: f"embedding_bag: mode must be 0 (sum), 1 (mean) or 2 (max), got {mode}")
    check(len(weight) == 2, lambda: f"embedding_bag: weight has to be a 2D Tensor, but got Tensor of dimension "
                                    f"{len(weight)}")
    check(len(indices) == 1, lambda: f"embedding_bag: input has to be 1D Tensor, but got Tensor of dimension "
                                     f"{len(indices)}")
    check(len(offsets) == 1, lambda: f"embedding_bag: offsets has to be a 1D Tensor, but got Tensor of dimension "
                                     f"{len(offsets)}")
    check(per_sample_weights is None or mode == 0,
          "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' "
          f"(got mode='{_BAG_MODES.get(mode)}'). Please open a feature request on GitHub.")
    nb = offsets[0] - 1 if include_last_offset else offsets[0]
    check(nb >= 0, "embedding_bag: include_last_offset needs at least one offset")
    return nb


def _bag_index_check(indices, offsets):
    check(indices.dtype.kind == "i" and offsets.dtype.kind == "i",
          lambda: "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
                  f"but got {indices.dtype} instead (while checking arguments for embedding_bag)")
    check(offsets.size == 0 or int(offsets[0]) == 0,
          lambda: f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. "
                  f"However, got {int(offsets[0])}")
    check(offsets.size == 0 or int(offsets[-1]) <= indices.size,
          lambda: f"offsets[-1] can not be greater than input's length {indices.size}, but got {int(offsets[-1])}")


def _embedding_bag_kernel(xp, weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                          per_sample_weights=None, include_last_offset=False, padding_idx=-1):
    nb = _bag_check(weight.shape, indices.shape, offsets.shape, mode, per_sample_weights, include_last_offset)
    _bag_index_check(indices, offsets)
    D = weight.shape[1]
    idx = indices.astype(np.int64)
    # bag of each index: how many bag starts after the first lie at or before it
    bag = xp.searchsorted(offsets[1:nb].astype(np.int64), xp.arange(idx.size), side="right")
    valid = idx != padding_idx if padding_idx >= 0 else xp.ones(idx.shape, dtype=bool)
    counts = xp.bincount(bag[valid], minlength=nb)[:nb].astype(np.int64)
    rows = weight[idx]
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[:, None]
    if mode == 2:
        out = xp.full((nb, D), -np.inf if weight.dtype.kind == "f" else np.iinfo(weight.dtype).min,
                      dtype=weight.dtype)
        ufunc_at(xp, "maximum", out, bag[valid], rows[valid])
        out[counts == 0] = 0
        # the index (into weight) of each bag's maximum: the first position holding it
        hit = (rows == out[bag]) & valid[:, None]
        pos = xp.where(hit, xp.arange(idx.size)[:, None], idx.size)
        first = xp.full((nb, D), idx.size, dtype=np.int64)
        ufunc_at(xp, "minimum", first, bag, pos)
        max_indices = xp.where(first < idx.size, idx[xp.minimum(first, max(idx.size - 1, 0))], 0) \
            if idx.size else xp.zeros((nb, D), dtype=np.int64)
    else:
        out = xp.zeros((nb, D), dtype=np.float64 if weight.dtype.kind == "f" else weight.dtype)
        ufunc_at(xp, "add", out, bag[valid], rows[valid])
        if mode == 1:
            out = out / xp.maximum(counts, 1)[:, None]
        max_indices = counts.copy() if mode == 1 else xp.zeros(nb, dtype=np.int64)
    bag_size = counts if mode != 0 else xp.zeros(nb, dtype=np.int64)
    offset2bag = bag.astype(np.int64) if (mode != 0 or padding_idx >= 0) else xp.zeros(0, dtype=np.int64)
    return (out_array(xp, out, dtype_of(weight)), offset2bag, bag_size.astype(np.int64),
            max_indices.astype(np.int64))


def _embedding_bag_meta(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                        per_sample_weights=None, include_last_offset=False, padding_idx=-1):
    nb = _bag_check(tuple(weight.shape), tuple(indices.shape), tuple(offsets.shape), mode, per_sample_weights,
                    include_last_offset)
    o2b = (indices.shape[0],) if (mode != 0 or (padding_idx is not None and padding_idx >= 0)) else (0,)
    maxi = (nb, weight.shape[1]) if mode == 2 else (nb,)
    return (fake_like((nb, weight.shape[1]), weight.dtype, weight), fake_like(o2b, dt.int64, weight),
            fake_like((nb,), dt.int64, weight), fake_like(maxi, dt.int64, weight))


def _public_padding_idx(weight, padding_idx):
    """embedding_bag.padding_idx's padding_idx (None, or negative from the end) as _embedding_bag's (-1: none)."""
    if padding_idx is None:
        return -1
    return padding_idx + weight.shape[0] if padding_idx < 0 else padding_idx


# The public op's sum mode with include_last_offset sizes its (all-zero) bag_size and
# max_indices by the offsets, one more than the bags: torch's quirk, kept.
def _public_bag_kernel(xp, weight, indices, offsets, scale_grad_by_freq, mode, sparse, per_sample_weights,
                       include_last_offset, padding_idx):
    out = _embedding_bag_kernel(xp, weight, indices, offsets, scale_grad_by_freq, mode, sparse, per_sample_weights,
                                include_last_offset, _public_padding_idx(weight, padding_idx))
    if mode == 0 and include_last_offset:
        zeros = xp.zeros(offsets.shape[0], dtype=np.int64)
        return out[0], out[1], zeros, zeros.copy()
    return out


def _public_bag_meta(weight, indices, offsets, scale_grad_by_freq, mode, sparse, per_sample_weights,
                     include_last_offset, padding_idx):
    out = _embedding_bag_meta(weight, indices, offsets, scale_grad_by_freq, mode, sparse, per_sample_weights,
                              include_last_offset, _public_padding_idx(weight, padding_idx))
    if mode == 0 and include_last_offset:
        return out[0], out[1], fake_like(offsets.shape, dt.int64, weight), fake_like(offsets.shape, dt.int64, weight)
    return out


def _embedding_bag_padding_decomp(weight, indices, offsets, scale_grad_by_freq, mode, sparse, per_sample_weights,
                                  include_last_offset, padding_idx):
    out = aten._embedding_bag.default(weight, indices, offsets, scale_grad_by_freq, mode, sparse,
                                      per_sample_weights, include_last_offset,
                                      _public_padding_idx(weight, padding_idx))
    if mode == 0 and include_last_offset:
        n = offsets.shape[0]
        zeros = [aten.full.default([n], 0, dtype=dt.int64, device=weight.device) for _ in range(2)]
        return out[0], out[1], zeros[0], zeros[1]
    return out


register("_embedding_bag(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq=False, int mode=0, "
         "bool sparse=False, Tensor? per_sample_weights=None, bool include_last_offset=False, int padding_idx=-1) "
         "-> (Tensor, Tensor, Tensor, Tensor)",
         meta=_embedding_bag_meta, kernel=_embedding_bag_kernel, tags=("core",))
register("embedding_bag.padding_idx(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq, "
         "int mode, bool sparse, Tensor? per_sample_weights, bool include_last_offset, int? padding_idx) "
         "-> (Tensor, Tensor, Tensor, Tensor)",
         meta=_public_bag_meta, kernel=_public_bag_kernel,
         decomposition=_embedding_bag_padding_decomp)
