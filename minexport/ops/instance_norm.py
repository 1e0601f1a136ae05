"""instance_norm: normalize each (sample, channel) plane over its spatial elements.

As in torch, the running statistics (when given and use_input_stats) are updated in place
eagerly, although the schema does not mark them written: each is moved towards the mean
over the batch of the per-instance statistics (the variance unbiased).  The decomposition
is torch's: a batch norm over the input viewed as one sample of N*C channels.
"""
import numpy as np

from .._tensor import CONTIGUOUS, strides_contiguous
from ._common import check, dtype_of, fake_like, fmt_shape, out_array
from ._registry import aten, register


def _check(shape, weight, running_mean, running_var, use_input_stats):
    check(len(shape) >= 2, lambda: f"instance_norm: expected an input with at least 2 dims, got {fmt_shape(shape)}")
    check(use_input_stats or (running_mean is not None and running_var is not None),
          "Expected running_mean and running_var to be defined when use_input_stats is false")
    c = shape[1]
    for t, what in ((weight, "weight"), (running_mean, "running_mean"), (running_var, "running_var")):
        check(t is None or tuple(t.shape) == (c,),
              lambda: f"instance_norm: expected {what} of shape [{c}], got {fmt_shape(t.shape)}")


def _centered(xp, input, mean):
    """input - mean, written contiguously whatever the input's layout.  torch's CPU kernel normalizes a
    contiguous copy of the input, so its output is contiguous (a channels-last input's too); the first pass
    over the input writing a contiguous result makes every later pass (and the output) contiguous without a
    copy of its own."""
    if input.flags.c_contiguous:
        return input - mean
    return xp.subtract(input, mean, out=xp.empty(input.shape, xp.result_type(input, mean)))


def _kernel(xp, input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    _check(input.shape, weight, running_mean, running_var, use_input_stats)
    axes = tuple(range(2, input.ndim))
    stat = (1, -1) + (1,) * (input.ndim - 2)
    if use_input_stats:
        mean = input.mean(axis=axes, keepdims=True)
        centered = _centered(xp, input, mean)
        var = (centered ** 2).mean(axis=axes, keepdims=True)
        count = int(np.prod(input.shape[2:]))
        if running_mean is not None:
            running_mean[...] = (1 - momentum) * running_mean + momentum * mean.reshape(input.shape[:2]).mean(axis=0)
        if running_var is not None:
            unbiased = var.reshape(input.shape[:2]) * (count / max(count - 1, 1))
            running_var[...] = (1 - momentum) * running_var + momentum * unbiased.mean(axis=0)
    else:
        mean, var = running_mean.reshape(stat), running_var.reshape(stat)
        centered = _centered(xp, input, mean)
    out = centered / xp.sqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(stat)
    if bias is not None:
        out = out + bias.reshape(stat)
    return xp.ascontiguousarray(out_array(xp, out, dtype_of(input)))


def _repeat(t, n):
    """t ([C]) repeated n times as [n * C], or None."""
    if t is None:
        return None
    c = t.shape[0]
    tiled = aten.expand.default(aten.unsqueeze.default(t, 0), [n, c])
    return aten.view.default(aten.clone.default(tiled, memory_format="contiguous_format"), [n * c])


def _decomp(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    shape = list(input.shape)
    n, c = shape[0], shape[1]
    # torch views a contiguous copy (a clone only when the input is laid out otherwise)
    if not strides_contiguous(tuple(input.shape), tuple(input.stride())):
        input = aten.clone.default(input, memory_format=CONTIGUOUS)
    x = aten.view.default(input, [1, n * c] + shape[2:])
    w, b = _repeat(weight, n), _repeat(bias, n)
    if use_input_stats:
        out = aten._native_batch_norm_legit.no_stats(x, w, b, True, momentum, eps)[0]
    else:
        out = aten._native_batch_norm_legit_no_training.default(x, w, b, _repeat(running_mean, n),
                                                                 _repeat(running_var, n), momentum, eps)[0]
    return aten.view.default(out, shape)


register("instance_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, "
         "bool use_input_stats, float momentum, float eps, bool cudnn_enabled) -> Tensor",
         meta=lambda input, weight, bias, running_mean, running_var, use_input_stats, *rest: (
             _check(tuple(input.shape), weight, running_mean, running_var, use_input_stats),
             fake_like(input.shape, input.dtype, input))[1],
         kernel=_kernel, decomposition=_decomp, variants=("function",))
