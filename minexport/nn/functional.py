"""torch.nn.functional: each function maps onto the ATen overload torch records."""
import math

from .. import _functions as _F

from ..ops import aten

__all__ = ["linear", "conv1d", "conv2d", "relu", "relu_", "relu6", "gelu", "silu", "sigmoid", "tanh",
           "leaky_relu", "hardtanh", "softmax", "log_softmax", "max_pool2d", "avg_pool2d",
           "adaptive_avg_pool2d", "batch_norm", "layer_norm", "group_norm", "dropout", "embedding",
           "pad", "scaled_dot_product_attention", "multi_head_attention_forward", "normalize"]


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
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


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
    out = aten.dropout.default(input, p, training)
    if inplace:
        return input.copy_(out)
    return out


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of `weight` selected by the indices in `input`."""
    if max_norm is not None:
        raise NotImplementedError("embedding(max_norm=...) renormalizes weights in place; not supported")
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
    norm = _F.sum(_F.abs(input) ** p, dim, keepdim=True) ** (1.0 / p)
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


def _canonical_mask(mask, dtype):
    """Bool masks (True = masked out) become additive float masks, as torch does."""
    if mask is None:
        return None
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
    if bias_k is not None or bias_v is not None or add_zero_attn or static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: bias_k/bias_v, add_zero_attn and "
                                  "static_k/static_v are not supported")
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
    key_padding_mask = _canonical_mask(key_padding_mask, query.dtype)
    attn_mask = _canonical_mask(attn_mask, query.dtype)
    if use_separate_proj_weight:
        b = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = (linear(x, w, bb) for x, w, bb in
                   ((query, q_proj_weight, b[0]), (key, k_proj_weight, b[1]), (value, v_proj_weight, b[2])))
    elif key is value and query is key:
        proj = linear(query, in_proj_weight, in_proj_bias)
        proj = proj.unflatten(-1, (3, embed_dim)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        q, k, v = proj[0], proj[1], proj[2]
    else:
        w = in_proj_weight.chunk(3)
        b = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = linear(query, w[0], b[0]), linear(key, w[1], b[1]), linear(value, w[2], b[2])
    if attn_mask is not None and attn_mask.dim() == 2:
        attn_mask = attn_mask.unsqueeze(0)
    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
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
