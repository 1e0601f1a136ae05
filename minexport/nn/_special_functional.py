"""The remaining torch.nn.functional losses and pools of issue 12 (re-exported by `nn.functional`):
multilabel_margin_loss, triplet_margin_with_distance_loss, linear_cross_entropy, ctc_loss,
fractional_max_pool2d / fractional_max_pool3d.

Each records what torch.export records for it: an ATen op where torch's function calls one
(multilabel_margin_loss, ctc_loss, fractional_max_pool*), else the ops of torch's Python
composite (triplet_margin_with_distance_loss, linear_cross_entropy).
"""
import math

from .. import _factories
from .. import _functions as _F
from ..ops import aten
from ._reduction import _REDUCTIONS, _reduction_enum


# ------------------------------------------------------------------ losses --
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: each row's classes (listed in target up to the first -1) against the rest."""
    return aten.multilabel_margin_loss.default(input, target, _reduction_enum(reduction, size_average, reduce))


def _pairwise_distance(x1, x2):
    return aten.pairwise_distance.default(x1, x2, 2.0, 1e-6, False)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """max(d(anchor, positive) - d(anchor, negative) + margin, 0) for any distance function d
    (pairwise_distance by default); `swap` uses d(positive, negative) where it is smaller."""
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
                         "instead")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
                           f"{dims[2]}D inputs")
    distance = distance_function if distance_function is not None else _pairwise_distance
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = _F.minimum(d_neg, distance(positive, negative))
    loss = _F.clamp_min(margin + d_pos - d_neg, 0)
    return loss if reduction == "none" else loss.mean() if reduction == "mean" else loss.sum()


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...).

    A linear_weight of shape (C, d1, ..., dK, in_features) gives K-dimensional logits
    (N, C, d1, ..., dK).  torch's `options` choose a batch-chunked evaluation that saves
    memory and computes the same values; minexport accepts them and evaluates in one piece.
    """
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    batch, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), "
                           f"got {in_features} and {linear_weight.shape[-1]}, respectively")
    n_classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (n_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(n_classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not batch:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
                           f"requires batched input, (N, {in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*batch, n_classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    if out_features:
        # K-dimensional logits: one linear map onto C * d1 * ... * dK features, reshaped after
        flat = math.prod(out_features, start=n_classes)
        linear_weight = linear_weight.reshape((flat, in_features))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(flat)
    logits = aten.linear.default(input, linear_weight, linear_bias).reshape(logits_shape)
    return aten.cross_entropy_loss.default(logits, target, weight, _reduction_enum(reduction), ignore_index,
                                           label_smoothing)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The connectionist temporal classification loss of log_probs (T, N, C) against unaligned targets."""
    lengths = (input_lengths, target_lengths)
    # int lists (or tuples) record the IntList overload, tensors the Tensor one, as torch's binding picks
    op = aten.ctc_loss.Tensor if all(hasattr(v, "shape") for v in lengths) else aten.ctc_loss.IntList
    if op is aten.ctc_loss.IntList:
        lengths = tuple([int(x) for x in v] if not hasattr(v, "shape") else v.tolist() for v in lengths)
    return op(log_probs, targets, *lengths, blank, _reduction_enum(reduction), zero_infinity)


# ------------------------------------------------------------------- pools --
def _tuple(v, n):
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


def _fractional_max_pool(dims, input, kernel_size, output_size, output_ratio, return_indices, _random_samples):
    """The shared body of fractional_max_pool2d/3d: sizes from output_ratio, random samples drawn as torch
    draws them (one uniform number per batch entry, channel and pooled dimension) unless given."""
    name = f"fractional_max_pool{dims}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratio = _tuple(output_ratio, dims)
        output_size = [int(input.shape[-dims + i] * ratio[i]) for i in range(dims)]
    if _random_samples is None:
        batch = 1 if input.dim() == dims + 1 else input.shape[0]
        _random_samples = _factories.rand(batch, input.shape[-dims - 1], dims, dtype=input.dtype, device=input.device)
    op = getattr(aten, name).default
    out, indices = op(input, list(_tuple(kernel_size, dims)), list(_tuple(output_size, dims)), _random_samples)
    return (out, indices) if return_indices else out


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """2-D max pooling over windows at pseudo-random places, to output_size (or input size * output_ratio)."""
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """3-D max pooling over windows at pseudo-random places, to output_size (or input size * output_ratio)."""
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """fractional_max_pool2d returning (output, indices)."""
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """fractional_max_pool3d returning (output, indices)."""
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, True, _random_samples)


__all__ = ["ctc_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss", "linear_cross_entropy",
           "fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]
