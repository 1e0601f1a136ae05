"""torch.nn.functional: each function maps onto the ATen overload torch records."""
import math

from .. import _functions as _F
from .._sym_functions import sym_int
from .._symbolic_marker import is_symbolic

from ..ops import aten

__all__ = ["linear", "conv1d", "conv2d", "relu", "relu_", "relu6", "gelu", "silu", "sigmoid", "tanh",
           "leaky_relu", "hardtanh", "softmax", "log_softmax", "max_pool2d", "avg_pool2d",
           "adaptive_avg_pool2d", "batch_norm", "layer_norm", "group_norm", "dropout", "embedding",
           "pad", "scaled_dot_product_attention", "multi_head_attention_forward", "normalize",
           # activations (issue 12)
           "threshold", "threshold_", "elu", "elu_", "selu", "selu_", "celu", "celu_", "hardswish",
           "hardsigmoid", "mish", "softplus", "softshrink", "hardshrink", "tanhshrink", "softsign", "logsigmoid",
           "glu", "prelu", "rrelu", "rrelu_", "softmin", "hardtanh_", "leaky_relu_",
           "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


def linear(input, weight, bias=None):
    """input @ weight.T + bias."""
    return aten.linear.default(input, weight, bias)


def _conv(op, op_padding, input, weight, bias, stride, padding, dilation, groups, n):
    def listify(v):
        return list(v) if isinstance(v, (list, tuple)) else [v] * n
    if isinstance(padding, str):
        return op_padding(input, weight, bias, listify(stride), padding, listify(dilation), groups)
    return op(input, weight, bias, listify(stride), listify(padding), listify(dilation), groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation over (N, C, L) input."""
    return _conv(aten.conv1d.default, aten.conv1d.padding, input, weight, bias, stride, padding,
                 dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation over (N, C, H, W) input."""
    return _conv(aten.conv2d.default, aten.conv2d.padding, input, weight, bias, stride, padding,
                 dilation, groups, 2)


def relu(input, inplace=False):
    """max(x, 0); in place with inplace=True."""
    return aten.relu_.default(input) if inplace else aten.relu.default(input)


def relu_(input):
    """In-place relu."""
    return aten.relu_.default(input)


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (torch records relu6 / relu6_, which decompose to hardtanh)."""
    return aten.relu6_.default(input) if inplace else aten.relu6.default(input)


def gelu(input, approximate="none"):
    """x * Phi(x) (exact, or the tanh approximation)."""
    if approximate == "none":
        return aten.gelu.default(input)
    return aten.gelu.default(input, approximate=approximate)


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    return aten.silu_.default(input) if inplace else aten.silu.default(input)


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return aten.sigmoid.default(input)


def tanh(input):
    """Hyperbolic tangent."""
    return aten.tanh.default(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    op = aten.leaky_relu_.default if inplace else aten.leaky_relu.default
    return op(input, negative_slope) if negative_slope != 0.01 else op(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val)."""
    op = aten.hardtanh_.default if inplace else aten.hardtanh.default
    return op(input, min_val, max_val)


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Softmax along dim."""
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return _F.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Log-softmax along dim."""
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return _F.log_softmax(input, dim, dtype)


def _pair(v):
    return list(v) if isinstance(v, (list, tuple)) else [v, v]


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling (stride defaults to kernel_size)."""
    args = (input, _pair(kernel_size), [] if stride is None else _pair(stride), _pair(padding),
            _pair(dilation), ceil_mode)
    if return_indices:
        return tuple(aten.max_pool2d_with_indices.default(*args))
    return aten.max_pool2d.default(*args)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling."""
    return aten.avg_pool2d.default(input, _pair(kernel_size), [] if stride is None else _pair(stride),
                                   _pair(padding), ceil_mode, count_include_pad, divisor_override)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size."""
    return aten.adaptive_avg_pool2d.default(input, _pair(output_size))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-05):
    """Batch normalization; in training it uses batch statistics and updates the running ones."""
    return aten.batch_norm.default(input, weight, bias, running_mean, running_var, training, momentum,
                                   eps, False)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalize over the trailing `normalized_shape` dims (cudnn_enable=False, as torch's CPU build passes)."""
    return aten.layer_norm.default(input, list(normalized_shape), weight, bias, eps, False)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalize over groups of channels (cudnn_enabled=False, as torch's CPU build passes)."""
    return aten.group_norm.default(input, num_groups, weight, bias, eps, False)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero elements with probability p and scale the rest by 1/(1-p) (identity when not training)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    # torch records the in-place op itself for inplace=True (nn.Dropout(inplace=True) in torchvision models)
    return (aten.dropout_ if inplace else aten.dropout).default(input, p, training)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _feature_dropout(name, batched_dims, input, p, training, inplace):
    """Dropout of whole channels; an unbatched input (one dim fewer) gets a batch dim around the op."""
    _check_p(p)
    lo = batched_dims - 1
    if input.dim() not in (lo, batched_dims):
        raise RuntimeError(f"{name}: Expected {lo}D or {batched_dims}D input, but received a {input.dim()}D input. "
                           f"Note that {name} exists to provide channel-wise dropout on inputs with "
                           f"{batched_dims - 2} spatial dimension{'s' if batched_dims > 3 else ''}, a channel "
                           f"dimension, and an optional batch dimension (i.e. {lo}D or {batched_dims}D inputs).")
    op = aten.feature_dropout_ if inplace else aten.feature_dropout
    if input.dim() == lo and name != "dropout2d":     # dropout2d treats a 3-D input as batched (N, C, L)
        return aten.squeeze.dim(op.default(aten.unsqueeze.default(input, 0), p, training), 0)
    return op.default(input, p, training)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, L) or (C, L) input with probability p (feature_dropout)."""
    return _feature_dropout("dropout1d", 3, input, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, H, W) input with probability p (feature_dropout)."""
    return _feature_dropout("dropout2d", 4, input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability p (feature_dropout)."""
    return _feature_dropout("dropout3d", 5, input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps a SELU network's mean and variance (torch records alpha_dropout even in place)."""
    _check_p(p)
    return aten.alpha_dropout.default(input, p, training)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels (torch records feature_alpha_dropout even in place)."""
    _check_p(p)
    return aten.feature_alpha_dropout.default(input, p, training)


def _embedding_renorm(weight, input, max_norm, norm_type):
    # torch renormalizes the referenced rows of the weight itself, through a detached alias (its grad mode
    # unchanged): export records detach + embedding_renorm_ (a parameter mutation once functionalized)
    aten.embedding_renorm_.default(aten.detach.default(weight), input, max_norm, norm_type)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of `weight` selected by the indices in `input`."""
    if max_norm is not None:
        input = input.contiguous()
        _embedding_renorm(weight, input, max_norm, norm_type)
    if padding_idx is None:
        return aten.embedding.default(weight, input)
    if padding_idx < 0:
        padding_idx += weight.shape[0]
    return aten.embedding.default(weight, input, padding_idx)


def pad(input, pad, mode="constant", value=None):
    """Pad the last dims: pad = (left, right, top, bottom, ...)."""
    return aten.pad.default(input, list(pad), mode, value)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along dim."""
    # torch records the norm as one op: input.norm(p, dim, keepdim=True) -> aten.linalg_vector_norm
    norm = aten.linalg_vector_norm.default(input, p, [dim] if isinstance(dim, int) else list(dim), True)
    return input / _F.clamp_min(norm, eps).expand_as(input)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, enable_gqa=False):
    """softmax(q @ k.T * scale + mask) @ v."""
    kw = {}
    if scale is not None:
        kw["scale"] = scale
    if enable_gqa:
        kw["enable_gqa"] = True
    return aten.scaled_dot_product_attention.default(query, key, value, attn_mask, dropout_p, is_causal, **kw)


def _canonical_mask(mask, dtype, name="mask"):
    """Bool masks (True = masked out) become additive float masks of `dtype`, as torch does; a float mask is
    already one (kept as it is); any other dtype is refused."""
    if mask is None:
        return None
    if mask.dtype.name != "bool" and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if mask.dtype.name == "bool":
        from .._factories import zeros_like
        return zeros_like(mask, dtype=dtype).masked_fill_(mask, float("-inf"))
    return mask


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
                                 out_proj_bias, training=True, key_padding_mask=None, need_weights=True,
                                 attn_mask=None, use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None, static_v=None,
                                 average_attn_weights=True, is_causal=False):
    """Multi-head attention over (L, N, E) inputs (torch's math, both of its paths)."""
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k/static_v are not supported")
    unbatched = query.dim() == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                           "module method `generate_square_subsequent_mask` to create this mask.")
    key_padding_mask = _canonical_mask(key_padding_mask, query.dtype, "key_padding_mask")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None            # attention itself applies the causal mask
    else:
        attn_mask = _canonical_mask(attn_mask, query.dtype, "attn_mask")
        if key_padding_mask is not None:
            is_causal = False       # the mask merged with the padding mask is no longer causal
    if use_separate_proj_weight:
        b = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = (linear(x, w, bb) for x, w, bb in
                   ((query, q_proj_weight, b[0]), (key, k_proj_weight, b[1]), (value, v_proj_weight, b[2])))
    elif key is value and query is key:
        proj = linear(query, in_proj_weight, in_proj_bias)
        proj = proj.unflatten(-1, (3, embed_dim)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        q, k, v = proj[0], proj[1], proj[2]
    elif key is value:
        # encoder-decoder attention: one projection for the query, one packed for key and value
        w_q, w_kv = in_proj_weight.split([embed_dim, embed_dim * 2])
        b_q, b_kv = (None, None) if in_proj_bias is None else in_proj_bias.split([embed_dim, embed_dim * 2])
        q = linear(query, w_q, b_q)
        kv = linear(key, w_kv, b_kv)
        kv = kv.unflatten(-1, (2, embed_dim)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        k, v = kv[0], kv[1]
    else:
        w = in_proj_weight.chunk(3)
        b = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = linear(query, w[0], b[0]), linear(key, w[1], b[1]), linear(value, w[2], b[2])
    if attn_mask is not None and attn_mask.dim() == 2:
        attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        # one more key and value position (learned), which the masks must not hide
        k = _F.cat([k, bias_k.repeat(1, bsz, 1)])
        v = _F.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be given or both be None")
    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        # one more key and value position, all zeros
        from .._factories import zeros as _zeros
        zeros = _zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k, v = _F.cat([k, zeros], dim=1), _F.cat([v, zeros], dim=1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        kpm = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(
            bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(head_dim))
        if attn_mask is not None:
            weights = _F.baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
        else:
            weights = _F.bmm(q_scaled, k.transpose(-2, -1))
        weights = softmax(weights, dim=-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = _F.bmm(weights, v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, out.shape[1])
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if unbatched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, out.shape[1])
    if unbatched:
        out = out.squeeze(1)
    return out, None


# --------------------------------------------- layers: convolution, basics --
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D cross-correlation over (N, C, D, H, W) input."""
    return _conv(aten.conv3d.default, aten.conv3d.padding, input, weight, bias, stride, padding,
                 dilation, groups, 3)


def _conv_transpose(op, n, input, weight, bias, stride, padding, output_padding, groups, dilation):
    def listify(v):
        return list(v) if isinstance(v, (list, tuple)) else [v] * n
    return op(input, weight, bias, listify(stride), listify(padding), listify(output_padding), groups,
              listify(dilation))


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution (weight: in_channels, out_channels / groups, k)."""
    return _conv_transpose(aten.conv_transpose1d.default, 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution (weight: in_channels, out_channels / groups, kh, kw)."""
    return _conv_transpose(aten.conv_transpose2d.input, 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution (weight: in_channels, out_channels / groups, kd, kh, kw)."""
    return _conv_transpose(aten.conv_transpose3d.input, 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def bilinear(input1, input2, weight, bias=None):
    """x1^T A x2 + b over the last dims."""
    return aten.bilinear.default(input1, input2, weight, bias)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing `normalized_shape` dims (eps: the dtype's epsilon)."""
    if isinstance(normalized_shape, int):
        normalized_shape = [normalized_shape]
    return aten.rms_norm.default(input, list(normalized_shape), weight, eps)


__all__ += ["conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "bilinear", "rms_norm"]


# ----------------------------------------------------------------- losses --
# Each loss calls the ATen loss op torch records (after torch's Python-side checks);
# multilabel_soft_margin_loss and gaussian_nll_loss are Python composites in torch too.
from ._reduction import _REDUCTIONS, _reduction_enum  # noqa: E402


def _reduce(loss, reduction):
    return loss if reduction == "none" else loss.mean() if reduction == "mean" else loss.sum()


def _warn_size_mismatch(input, target):
    if tuple(input.shape) != tuple(target.shape):
        import warnings
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def _elementwise_loss(op, per_element, input, target, reduction, weight, *options):
    """The broadcast pair through `op`, or with a weight the weighted mean torch computes by hand."""
    _warn_size_mismatch(input, target)
    input, target = aten.broadcast_tensors.default([input, target])
    if weight is None:
        return op(input, target, _reduction_enum(reduction), *options)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = per_element(input, target) * weight
    _reduction_enum(reduction)
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.sum() / weight.sum()


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy of logits against class indices or class probabilities."""
    return aten.cross_entropy_loss.default(input, target, weight, _reduction_enum(reduction, size_average, reduce),
                                           ignore_index, label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities at the target classes."""
    return aten.nll_loss_nd.default(input, target, weight, _reduction_enum(reduction, size_average, reduce),
                                    ignore_index)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error."""
    reduction = _REDUCTION_NAMES[_reduction_enum(reduction, size_average, reduce)]
    return _elementwise_loss(aten.mse_loss.default, lambda a, b: (a - b) ** 2, input, target, reduction, weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error."""
    reduction = _REDUCTION_NAMES[_reduction_enum(reduction, size_average, reduce)]
    return _elementwise_loss(aten.l1_loss.default, lambda a, b: _F.abs(a - b), input, target, reduction, weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Squared error below beta, absolute error (less beta / 2) above."""
    reduction = _REDUCTION_NAMES[_reduction_enum(reduction, size_average, reduce)]
    return _elementwise_loss(aten.smooth_l1_loss.default, None, input, target, reduction, None, beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Squared error below delta, delta-scaled absolute error above."""
    def per_element(a, b):
        z = _F.abs(a - b)
        return _F.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))
    return _elementwise_loss(aten.huber_loss.default, per_element, input, target, reduction, weight, delta)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence of target from input (input holds log-probabilities); 'batchmean' divides by the batch."""
    if reduction == "batchmean":
        enum = _REDUCTIONS["sum"]
    else:
        enum = _reduction_enum(reduction, size_average, reduce)
    out = aten.kl_div.default(input, target, enum, log_target=log_target)
    if reduction == "batchmean" and input.dim() != 0:
        out = out / input.shape[0]
    return out


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross entropy of probabilities."""
    enum = _reduction_enum(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                         f"({tuple(input.shape)}) is deprecated. Please ensure they have the same size.")
    if weight is not None:
        weight = weight.expand(list(_F.broadcast_shapes(tuple(target.shape), tuple(weight.shape))))
    return aten.binary_cross_entropy.default(input, target, weight, enum)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross entropy of logits (log-sigmoid inside, stable), pos_weight weighting the positives."""
    enum = _reduction_enum(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({tuple(target.shape)}) must be the same as input size "
                         f"({tuple(input.shape)})")
    return aten.binary_cross_entropy_with_logits.default(input, target, weight, pos_weight, enum)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-08, reduce=None,
                     reduction="mean"):
    """Poisson negative log-likelihood (with the Stirling term when full=True)."""
    return aten.poisson_nll_loss.default(input, target, log_input, full, eps,
                                         _reduction_enum(reduction, size_average, reduce))


def gaussian_nll_loss(input, target, var, full=False, eps=1e-06, reduction="mean"):
    """Gaussian negative log-likelihood with predicted variance `var` (clamped below by eps)."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.new_full(list(input.shape), float(var))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = _F.clamp_min(var.clone().detach(), eps) + (var - var.detach())
    loss = 0.5 * (_F.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1, max(0, margin - input) where it is -1."""
    return aten.hinge_embedding_loss.default(input, target, margin, _reduction_enum(reduction, size_average, reduce))


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin)."""
    enum = _reduction_enum(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {tuple(input1.shape)}, input2: {tuple(input2.shape)}, "
                           f"target: {tuple(target.shape)} ")
    return aten.margin_ranking_loss.default(input1, input2, target, margin, enum)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input))."""
    return aten.soft_margin_loss.default(input, target, _reduction_enum(reduction, size_average, reduce))


def _logsigmoid(x):
    zero = x.new_zeros([])
    return _F.minimum(zero, x) - _F.log1p(_F.exp(-_F.abs(x)))


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """One-vs-all logistic loss per class, averaged over the classes."""
    reduction = _REDUCTION_NAMES[_reduction_enum(reduction, size_average, reduce)]
    loss = -(target * _logsigmoid(input) + (1 - target) * _logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1."""
    return aten.cosine_embedding_loss.default(input1, input2, target, margin,
                                              _reduction_enum(reduction, size_average, reduce))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(d(anchor, positive) - d(anchor, negative) + margin, 0) with p-norm distances."""
    enum = _reduction_enum(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
    return aten.triplet_margin_loss.default(anchor, positive, negative, margin, p, eps, swap, enum)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge loss: mean over classes j != y of max(0, margin - x[y] + x[j])^p."""
    enum = _reduction_enum(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    return aten.multi_margin_loss.default(input, target, p, margin, weight, enum)


_REDUCTION_NAMES = {v: k for k, v in _REDUCTIONS.items()}

__all__ += ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div",
            "binary_cross_entropy", "binary_cross_entropy_with_logits", "poisson_nll_loss", "gaussian_nll_loss",
            "hinge_embedding_loss", "margin_ranking_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
            "cosine_embedding_loss", "triplet_margin_loss", "multi_margin_loss"]
# ------------------------------------------------ pooling, resampling, folds (issue 12) --
# Each function records the op torch.export records for the same call (checked against torch 2.13).
__all__ += ["max_pool1d", "max_pool3d", "avg_pool1d", "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool3d",
            "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "max_unpool1d", "max_unpool2d",
            "max_unpool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d", "interpolate", "upsample", "upsample_nearest",
            "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
            "unfold", "fold", "grid_sample", "affine_grid", "one_hot", "embedding_bag", "instance_norm",
            "local_response_norm"]


def _ntuple(v, n):
    """v as a list of n values (a single value repeated)."""
    return list(v) if isinstance(v, (list, tuple)) else [v] * n


def _stride_or_empty(stride, n):
    return [] if stride is None else _ntuple(stride, n)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling (stride defaults to kernel_size)."""
    args = (input, _ntuple(kernel_size, 1), _stride_or_empty(stride, 1), _ntuple(padding, 1), _ntuple(dilation, 1),
            ceil_mode)
    if return_indices:
        return tuple(aten.max_pool1d_with_indices.default(*args))
    return aten.max_pool1d.default(*args)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-D max pooling (stride defaults to kernel_size)."""
    args = (input, _ntuple(kernel_size, 3), _stride_or_empty(stride, 3), _ntuple(padding, 3), _ntuple(dilation, 3),
            ceil_mode)
    if return_indices:
        return tuple(aten.max_pool3d_with_indices.default(*args))
    return aten.max_pool3d.default(*args)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling."""
    return aten.avg_pool1d.default(input, _ntuple(kernel_size, 1), _stride_or_empty(stride, 1), _ntuple(padding, 1),
                                   ceil_mode, count_include_pad)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-D average pooling."""
    return aten.avg_pool3d.default(input, _ntuple(kernel_size, 3), _stride_or_empty(stride, 3), _ntuple(padding, 3),
                                   ceil_mode, count_include_pad, divisor_override)


def _adaptive_size(input, output_size, n):
    """output_size with None entries (keep that input size) filled in."""
    sizes = _ntuple(output_size, n)
    return [input.shape[input.dim() - n + i] if s is None else s for i, s in enumerate(sizes)]


def adaptive_avg_pool1d(input, output_size):
    """1-D average pooling to a fixed output size."""
    return aten.adaptive_avg_pool1d.default(input, _ntuple(output_size, 1))


def adaptive_avg_pool3d(input, output_size):
    """3-D average pooling to a fixed output size (None keeps that dim's size)."""
    return aten.adaptive_avg_pool3d.default(input, _adaptive_size(input, output_size, 3))


def _adaptive_max(op, input, output_size, n, return_indices):
    out, indices = op(input, _adaptive_size(input, output_size, n))
    return (out, indices) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D max pooling to a fixed output size."""
    return _adaptive_max(aten.adaptive_max_pool1d.default, input, output_size, 1, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-D max pooling to a fixed output size (None keeps that dim's size)."""
    return _adaptive_max(aten.adaptive_max_pool2d.default, input, output_size, 2, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """3-D max pooling to a fixed output size (None keeps that dim's size)."""
    return _adaptive_max(aten.adaptive_max_pool3d.default, input, output_size, 3, return_indices)


def _unpool_size(input, n, kernel_size, stride, padding, output_size):
    """Default unpooled size (in - 1) * stride - 2 * padding + kernel, or output_size checked against it."""
    k = _ntuple(kernel_size, n)
    s = k if stride is None else _ntuple(stride, n)
    p = _ntuple(padding, n)
    default = [(input.shape[input.dim() - n + i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(n)]
    if output_size is None:
        return default, s, p
    size = list(output_size)[-n:]
    for i in range(n):
        lo, hi = default[i] - s[i], default[i] + s[i]
        if not lo < size[i] < hi:
            raise ValueError(f"invalid output_size \"{list(output_size)}\" (dim {i} must be between {lo} and {hi})")
    return size, s, p


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool1d: each value back at its index, zeros elsewhere."""
    size, _, _ = _unpool_size(input, 1, kernel_size, stride, padding, output_size)
    out = aten.max_unpool2d.default(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1])
    return aten.squeeze.dim(out, -1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool2d: each value back at its index, zeros elsewhere."""
    size, _, _ = _unpool_size(input, 2, kernel_size, stride, padding, output_size)
    return aten.max_unpool2d.default(input, indices, size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool3d: each value back at its index, zeros elsewhere."""
    size, s, p = _unpool_size(input, 3, kernel_size, stride, padding, output_size)
    return aten.max_unpool3d.default(input, indices, size, s, p)


def _lp_pool(avg, input, norm_type, kernel_size, stride, ceil_mode, n):
    k = _ntuple(kernel_size, n)
    out = avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    area = 1
    for v in k:
        area *= v
    return (_F.sign(out) * relu(_F.abs(out))).mul(area).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x ** p) ** (1 / p), through avg_pool1d as torch computes it."""
    return _lp_pool(avg_pool1d, input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x ** p) ** (1 / p), through avg_pool2d as torch computes it."""
    return _lp_pool(avg_pool2d, input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x ** p) ** (1 / p), through avg_pool3d as torch computes it."""
    return _lp_pool(avg_pool3d, input, norm_type, kernel_size, stride, ceil_mode, 3)


# mode -> (the op for each spatial rank, whether the mode interpolates (takes align_corners))
_INTERPOLATE = {
    "nearest": ({1: "upsample_nearest1d", 2: "upsample_nearest2d", 3: "upsample_nearest3d"}, False),
    "nearest-exact": ({1: "_upsample_nearest_exact1d", 2: "_upsample_nearest_exact2d",
                       3: "_upsample_nearest_exact3d"}, False),
    "linear": ({1: "upsample_linear1d"}, True),
    "bilinear": ({2: "upsample_bilinear2d"}, True),
    "bicubic": ({2: "upsample_bicubic2d"}, True),
    "trilinear": ({3: "upsample_trilinear3d"}, True),
    "area": ({1: "adaptive_avg_pool1d", 2: "adaptive_avg_pool2d", 3: "adaptive_avg_pool3d"}, False),
}


def _interpolate_sizes(input, size, scale_factor, recompute_scale_factor, n):
    """(output_size, scale_factors): exactly one is a list, as the upsample ops take them."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        sizes = _ntuple(size, n)
        if len(sizes) != n:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(input.shape[2:])} and output size of {list(size)}. "
                             "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                             "(o1, o2, ...,oK) format.")
        return [s if is_symbolic(s) else int(s) for s in sizes], None
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = [float(s) for s in _ntuple(scale_factor, n)]
    if len(scales) != n:
        raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                         f"with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                         f"{list(scale_factor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                         "scale_factor in (s1, s2, ...,sK) format.")
    if recompute_scale_factor:
        return [sym_int(input.shape[2 + i] * scales[i]) for i in range(n)], None
    return None, scales


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of (N, C, *) input by `size` or `scale_factor` in the given mode."""
    if mode not in _INTERPOLATE:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    ops, interpolating = _INTERPOLATE[mode]
    if not interpolating and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias and (mode not in ("bilinear", "bicubic") or input.dim() != 4):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor "
                         "as input")
    if antialias and mode == "bicubic":
        raise NotImplementedError("interpolate(mode='bicubic', antialias=True) is not supported by minexport")
    n = input.dim() - 2
    output_size, scales = _interpolate_sizes(input, size, scale_factor, recompute_scale_factor, n)
    if n not in ops:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{' or '.join(f'{d + 2}D' for d in ops)} input")
    # antialiased bilinear resizing is an op of its own (4-D only, checked above)
    op = aten._upsample_bilinear2d_aa if antialias else getattr(aten, ops[n])
    if mode == "area":
        if output_size is None:
            output_size = [sym_int(input.shape[2 + i] * scales[i]) for i in range(n)]
        return op.default(input, output_size)
    if interpolating:
        return op.vec(input, output_size, bool(align_corners), scales)
    return op.vec(input, output_size, scales)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r)."""
    return aten.pixel_shuffle.default(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W)."""
    return aten.pixel_unshuffle.default(input, downscale_factor)


def channel_shuffle(input, groups):
    """Interleave the channels of `groups` groups (N, g * k, *) -> channel j * g + i from group i."""
    return aten.channel_shuffle.default(input, groups)


def native_channel_shuffle(input, groups):
    """channel_shuffle through the native_channel_shuffle op."""
    return aten.native_channel_shuffle.default(input, groups)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks of (N, C, H, W) as columns (N, C * kh * kw, L) (im2col)."""
    return aten.im2col.default(input, _ntuple(kernel_size, 2), _ntuple(dilation, 2), _ntuple(padding, 2),
                               _ntuple(stride, 2))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns (N, C * kh * kw, L) back into (N, C, H, W) (col2im)."""
    return aten.col2im.default(input, _ntuple(output_size, 2), _ntuple(kernel_size, 2), _ntuple(dilation, 2),
                               _ntuple(padding, 2), _ntuple(stride, 2))


_GRID_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_GRID_PADDING = {"zeros": 0, "border": 1, "reflection": 2}


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample input at the normalized (x, y) locations of grid."""
    if mode not in _GRID_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in _GRID_PADDING:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if mode == "bicubic" and input.dim() != 4:
        raise ValueError("nn.functional.grid_sample(): bicubic interpolation only supports 4D input")
    return aten.grid_sampler.default(input, grid, _GRID_MODES[mode], _GRID_PADDING[padding_mode],
                                     bool(align_corners))


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine transforms theta, for grid_sample."""
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4 and (theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3)):
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {list(size)}. Got "
                         f"{list(theta.shape)}.")
    if len(size) == 5 and (theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4)):
        raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {list(size)}. Got "
                         f"{list(theta.shape)}.")
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {list(size)}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {list(size)}")
    return aten.affine_grid_generator.default(theta, list(size), bool(align_corners))


def one_hot(tensor, num_classes=-1):
    """Long tensor of shape (*, num_classes): 1 at each index, 0 elsewhere."""
    return aten.one_hot.default(tensor, num_classes)


_BAG_MODES = {"sum": 0, "mean": 1, "max": 2}


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embedding rows: bags are the rows of a 2-D input or the 1-D input
    split at `offsets`."""
    if mode not in _BAG_MODES:
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({list(per_sample_weights.shape)}) is not None, then "
                         f"it must have the same shape as the input ({list(input.shape)})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences.")
        from .._factories import arange
        offsets = arange(0, input.numel(), input.shape[1], dtype=input.dtype, device=input.device)
        include_last_offset = False         # the offsets made here have no closing entry (torch's rule)
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if max_norm is not None:
        _embedding_renorm(weight, input, max_norm, norm_type)
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= weight.shape[0]:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.shape[0] + padding_idx
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    out = aten.embedding_bag.padding_idx(weight, input, offsets, scale_grad_by_freq, _BAG_MODES[mode], sparse,
                                         per_sample_weights, include_last_offset, padding_idx)
    return out[0]


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-05):
    """Normalize each (sample, channel) plane over its spatial elements."""
    if input.dim() < 3:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {list(input.shape)}")
    return aten.instance_norm.default(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                                      eps, False)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x**2 over `size` neighbouring channels) ** beta (torch's pooled form)."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = div.unsqueeze(1)
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = list(input.shape)
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div
# ------------------------------------------------ activations (issue 12) --
# torch's trace records an op's trailing arguments only where they differ from
# the schema's defaults (value and Python type: `elu(x, 1.0)` keeps alpha, whose
# default is the int 1; `celu(x, 1.0)` drops it).  The decompositions depend on
# it (celu and softplus skip their scaling when the argument is absent), so
# these functions call the op the same way.
def _call(op, input, *args):
    """op(input, *args) with the trailing arguments equal to the schema's defaults left out."""
    params = op._schema.arguments[1:1 + len(args)]
    n = len(args)
    while n and params[n - 1].has_default and type(args[n - 1]) is type(params[n - 1].default) \
            and args[n - 1] == params[n - 1].default:
        n -= 1
    return op(input, *args[:n])


def _pick(inplace, name):
    """aten.<name>.default, or its in-place twin aten.<name>_.default."""
    return getattr(aten, name + "_" if inplace else name).default


def threshold(input, threshold, value, inplace=False):
    """value where input <= threshold, else input."""
    return _call(_pick(inplace, "threshold"), input, threshold, value)


def threshold_(input, threshold, value):
    """In-place threshold."""
    return _call(aten.threshold_.default, input, threshold, value)


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, else alpha * (exp(x) - 1)."""
    return _call(_pick(inplace, "elu"), input, alpha)


def elu_(input, alpha=1.0):
    """In-place elu."""
    return _call(aten.elu_.default, input, alpha)


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalizing constants."""
    return _pick(inplace, "selu")(input)


def selu_(input):
    """In-place selu."""
    return aten.selu_.default(input)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return _call(_pick(inplace, "celu"), input, alpha)


def celu_(input, alpha=1.0):
    """In-place celu."""
    return _call(aten.celu_.default, input, alpha)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    return _pick(inplace, "hardswish")(input)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return _pick(inplace, "hardsigmoid")(input)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _pick(inplace, "mish")(input)


def softplus(input, beta=1, threshold=20):
    """log(1 + exp(beta * x)) / beta; x itself where beta * x > threshold."""
    # the int defaults are those of torch's binding (it records nothing for them)
    return _call(aten.softplus.default, input, beta, threshold)


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    return _call(aten.softshrink.default, input, lambd)


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    return _call(aten.hardshrink.default, input, lambd)


def tanhshrink(input):
    """x - tanh(x)."""
    return input - input.tanh()


def softsign(input):
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def logsigmoid(input):
    """log(sigmoid(x)), computed stably."""
    return aten.log_sigmoid.default(input)


def glu(input, dim=-1):
    """a * sigmoid(b), with a and b the halves of input along dim."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    return _call(aten.glu.default, input, dim)


def prelu(input, weight):
    """x where x > 0, else weight * x (weight per channel, dim 1)."""
    return aten.prelu.default(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky relu with a random slope in [lower, upper) per element while training, the mean slope otherwise."""
    return _call(_pick(inplace, "rrelu"), input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place rrelu."""
    return _call(aten.rrelu_.default, input, lower, upper, training)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-input) along dim."""
    return softmax(-input, dim, dtype=dtype)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place hardtanh."""
    return hardtanh(input, min_val, max_val, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    """In-place leaky_relu."""
    return leaky_relu(input, negative_slope, inplace=True)
# ------------------------------------------------------------ distances ----
__all__ += ["pdist", "cosine_similarity", "pairwise_distance"]


def pdist(input, p=2.0):
    """p-norm distances between every pair of rows of a 2-D input (the upper triangle, row by row)."""
    return aten.pdist.default(input, p)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between x1 and x2 along dim (broadcast), each norm at least eps."""
    return aten.cosine_similarity.default(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """p-norm of x1 - x2 + eps over the last dim."""
    return aten.pairwise_distance.default(x1, x2, p, eps, keepdim)


# ------------------------------------------- (issue 12, special) losses --
from ._special_functional import *  # noqa: E402, F403
from ._special_functional import __all__ as _special_all  # noqa: E402

__all__ += _special_all
# ------------------------------------------------------ pooling with indices ----
__all__ += ["max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices"]


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """1-D max pooling returning (values, indices) whatever `return_indices` says, as torch's does."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """2-D max pooling returning (values, indices) whatever `return_indices` says, as torch's does."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """3-D max pooling returning (values, indices) whatever `return_indices` says, as torch's does."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)
