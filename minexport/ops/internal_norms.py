"""Batch-norm entry points torch exposes beside `_native_batch_norm_legit`: `native_batch_norm` (running
statistics optional, updated in place though its schema does not say so) and `_batch_norm_with_update`
(training mode, running statistics always updated) with its functional form.

Each dispatches to the `_native_batch_norm_legit` overload that computes it, so the arithmetic lives in
one place (ops/nn_ops.py); the decompositions are torch's.
"""
from .. import dtypes as dt
from ._common import check, fake_like
from ._registry import aten, register

_FN = ("function",)


# ------------------------------------------------------------ native_batch_norm --
def _native_bn_target(running_mean, running_var, training):
    """(the _native_batch_norm_legit overload computing native_batch_norm, whether it takes the stats)."""
    check((running_mean is None) == (running_var is None),
          "running_mean and running_var must either both be None or neither be None", ValueError)
    if running_mean is None:
        # torch's CPU kernel crashes on evaluation without statistics: refuse it in words
        check(training, "running_mean and running_var must be defined in evaluation mode")
        return aten._native_batch_norm_legit.no_stats, False
    if training:
        return aten._native_batch_norm_legit.default, True
    return aten._native_batch_norm_legit_no_training.default, True


def _native_bn_args(input, weight, bias, running_mean, running_var, training, momentum, eps):
    op, with_stats = _native_bn_target(running_mean, running_var, training)
    if op is aten._native_batch_norm_legit_no_training.default:
        return op, (input, weight, bias, running_mean, running_var, momentum, eps)
    stats = (running_mean, running_var) if with_stats else ()
    return op, (input, weight, bias) + stats + (training, momentum, eps)


def _native_bn_meta(input, weight, bias, running_mean, running_var, training, momentum, eps):
    op, args = _native_bn_args(input, weight, bias, running_mean, running_var, training, momentum, eps)
    return op.meta(*args)


def _native_bn_kernel(xp, input, weight, bias, running_mean, running_var, training, momentum, eps):
    # the running statistics' arrays are updated in place, as torch's kernel writes its tensors
    op, args = _native_bn_args(input, weight, bias, running_mean, running_var, training, momentum, eps)
    return op.kernel(xp, *args)


def _native_bn_decomp(input, weight, bias, running_mean, running_var, training, momentum, eps):
    op, args = _native_bn_args(input, weight, bias, running_mean, running_var, training, momentum, eps)
    return tuple(op(*args))


register("native_batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, "
         "bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
         meta=_native_bn_meta, kernel=_native_bn_kernel, variants=_FN, decomposition=_native_bn_decomp)


# ------------------------------------------------------- _batch_norm_with_update --
def _reserve_meta(input):
    """The backend's reserve buffer: empty on CPU (a uint8 tensor of shape [0])."""
    return fake_like((0,), dt.uint8, input)


def _with_update_meta(input, weight, bias, running_mean, running_var, momentum, eps):
    out = aten._native_batch_norm_legit.default.meta(input, weight, bias, running_mean, running_var, True,
                                                     momentum, eps)
    return tuple(out) + (_reserve_meta(input),)


def _with_update_kernel(xp, input, weight, bias, running_mean, running_var, momentum, eps):
    out = aten._native_batch_norm_legit.default.kernel(xp, input, weight, bias, running_mean, running_var, True,
                                                       momentum, eps)
    return tuple(out) + (xp.zeros((0,), dtype=dt.uint8.numpy_dtype),)


def _with_update_functional_meta(input, weight, bias, running_mean, running_var, momentum, eps):
    return _with_update_meta(input, weight, bias, running_mean, running_var, momentum, eps) + (
        fake_like(running_mean.shape, running_mean.dtype, running_mean),
        fake_like(running_var.shape, running_var.dtype, running_var))


def _with_update_functional_kernel(xp, input, weight, bias, running_mean, running_var, momentum, eps):
    rm, rv = running_mean.copy(), running_var.copy()
    return _with_update_kernel(xp, input, weight, bias, rm, rv, momentum, eps) + (rm, rv)


# kept whole by run_decompositions(), as torch keeps it
register("_batch_norm_with_update_functional(Tensor input, Tensor? weight, Tensor? bias, Tensor running_mean, "
         "Tensor running_var, float momentum, float eps) -> (Tensor, Tensor, Tensor, Tensor, "
         "Tensor running_mean_out, Tensor running_var_out)",
         meta=_with_update_functional_meta, kernel=_with_update_functional_kernel)
register("_batch_norm_with_update(Tensor input, Tensor? weight, Tensor? bias, Tensor(a!) running_mean, "
         "Tensor(b!) running_var, float momentum, float eps) -> (Tensor, Tensor, Tensor, Tensor)",
         meta=_with_update_meta, kernel=_with_update_kernel,
         functional=lambda *args, **kwargs: aten._batch_norm_with_update_functional.default(*args, **kwargs))
