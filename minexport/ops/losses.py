"""Loss ops: the ATen loss ops torch records for torch.nn.functional's losses.

Each op has a NumPy kernel and a decomposition into the core ops torch's
run_decompositions() produces for it.  `reduction` is torch's enum:
0 none, 1 mean, 2 sum.  F's elementwise losses record
`broadcast_tensors` (ops/shape_extra.py) before the loss op when the shapes differ.
"""
import math

import numpy as np

from .. import dtypes as dt
from ._common import broadcast_shapes, check, dtype_of, fake_like, fmt_shape, out_array, promote
from ._registry import aten, register

NONE, MEAN, SUM = 0, 1, 2


# ------------------------------------------------------------------ shared --
def _reduce_array(xp, loss, reduction):
    if reduction == MEAN:
        return xp.mean(loss) if loss.size else xp.asarray(np.nan, dtype=loss.dtype)
    if reduction == SUM:
        return xp.sum(loss)
    return loss


def _reduce_aten(loss, reduction):
    if reduction == MEAN:
        return aten.mean.default(loss)
    if reduction == SUM:
        return aten.sum.dim_IntList(loss, [])
    return loss


def _reduced_meta(shape, reduction, like, dtype=None):
    return fake_like(tuple(shape) if reduction == NONE else (), dtype or like.dtype, like)


def _float_result(*tensors):
    """The dtype of a loss that mixes its tensors with a float scalar: integer inputs give the default float."""
    return promote(*tensors, 1.0)


def _pointwise_loss(schema, array_fn, aten_fn, check_options=None, **facts):
    """A loss that is f(self, target, *options) per element, then reduced; `reduction` is named in schema.

    `check_options(**options)` refuses bad option values (in meta and kernel alike)."""
    def shape(self, target, args, kwargs):
        if check_options is not None:
            check_options(**_option_args(schema, args, kwargs))
        return broadcast_shapes(tuple(self.shape), tuple(target.shape))

    def meta(self, target, *args, **kwargs):
        reduction = _reduction_arg(schema, args, kwargs)
        return _reduced_meta(shape(self, target, args, kwargs), reduction, self)

    def kernel(xp, self, target, *args, **kwargs):
        reduction = _reduction_arg(schema, args, kwargs)
        shape(self, target, args, kwargs)
        options = _option_args(schema, args, kwargs)
        loss = array_fn(xp, self, target, **options)
        return out_array(xp, _reduce_array(xp, loss, reduction), dtype_of(self))

    def decomposition(self, target, *args, **kwargs):
        reduction = _reduction_arg(schema, args, kwargs)
        return _reduce_aten(aten_fn(self, target, **_option_args(schema, args, kwargs)), reduction)

    register(schema, meta=meta, kernel=kernel, decomposition=decomposition, **facts)


def _arg_names(schema):
    inner = schema.split("(", 1)[1].rsplit(")", 2)[0]
    names = []
    for part in inner.split(","):
        part = part.strip()
        if part and part != "*":
            names.append(part.split("=")[0].split()[-1])
    return names[2:]                 # after self and target


_DEFAULTS = {"reduction": MEAN, "beta": 1.0, "delta": 1.0, "log_target": False, "margin": 1.0}


def _bound(schema, args, kwargs):
    vals = dict(zip(_arg_names(schema), args))
    vals.update(kwargs)
    return vals


def _reduction_arg(schema, args, kwargs):
    return _bound(schema, args, kwargs).get("reduction", MEAN)


def _option_args(schema, args, kwargs):
    vals = _bound(schema, args, kwargs)
    names = [n for n in _arg_names(schema) if n != "reduction"]
    return {n: vals.get(n, _DEFAULTS.get(n)) for n in names}


# -------------------------------------------------- elementwise regressions --
def _smooth_l1_array(xp, x, y, beta):
    z = xp.abs(x - y)
    return z if beta == 0 else xp.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)


def _smooth_l1_aten(x, y, beta):
    z = aten.abs.default(aten.sub.Tensor(x, y))
    if beta == 0:
        return z
    quad = aten.div.Tensor(aten.mul.Tensor(aten.pow.Tensor_Scalar(z, 2), 0.5), beta)
    return aten.where.self(aten.lt.Scalar(z, beta), quad, aten.sub.Tensor(z, 0.5 * beta))


def _huber_array(xp, x, y, delta):
    z = xp.abs(x - y)
    return xp.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))


def _huber_aten(x, y, delta):
    z = aten.abs.default(aten.sub.Tensor(x, y))
    quad = aten.mul.Tensor(aten.mul.Tensor(z, 0.5), z)
    lin = aten.mul.Tensor(aten.sub.Tensor(z, 0.5 * delta), delta)
    return aten.where.self(aten.lt.Scalar(z, delta), quad, lin)


def _xlogy_aten(x, y):
    """x * log(y), 0 where x == 0, nan where y is nan (as torch's xlogy decomposes)."""
    prod = aten.mul.Tensor(x, aten.log.default(y))
    zero = aten.where.self(aten.eq.Scalar(x, 0), aten.scalar_tensor.default(0.0, dtype=x.dtype), prod)
    return aten.where.self(aten.isnan.default(y), aten.scalar_tensor.default(float("nan"), dtype=x.dtype), zero)


def _kl_array(xp, x, t, log_target):
    if log_target:
        return xp.exp(t) * (t - x)
    with np.errstate(divide="ignore", invalid="ignore"):
        xlogy = xp.where(t == 0, 0.0, t * xp.log(t)).astype(t.dtype)
    return xp.where(xp.isnan(t), np.nan, xlogy) - t * x


def _kl_aten(x, t, log_target):
    if log_target:
        return aten.mul.Tensor(aten.exp.default(t), aten.sub.Tensor(t, x))
    return aten.sub.Tensor(_xlogy_aten(t, t), aten.mul.Tensor(t, x))


def _soft_margin_array(xp, x, y):
    return xp.log1p(xp.exp(-y * x))


def _soft_margin_aten(x, y):
    return aten.log1p.default(aten.exp.default(aten.mul.Tensor(aten.neg.default(y), x)))


_pointwise_loss("mse_loss(Tensor self, Tensor target, int reduction=1) -> Tensor",
                lambda xp, x, y: (x - y) ** 2,
                lambda x, y: aten.pow.Tensor_Scalar(aten.sub.Tensor(x, y), 2))
_pointwise_loss("l1_loss(Tensor self, Tensor target, int reduction=1) -> Tensor",
                lambda xp, x, y: xp.abs(x - y),
                lambda x, y: aten.abs.default(aten.sub.Tensor(x, y)))
_pointwise_loss("smooth_l1_loss(Tensor self, Tensor target, int reduction=1, float beta=1.) -> Tensor",
                _smooth_l1_array, _smooth_l1_aten,
                lambda beta: check(beta >= 0, "smooth_l1_loss does not support negative values for beta."))
_pointwise_loss("huber_loss(Tensor self, Tensor target, int reduction=1, float delta=1.) -> Tensor",
                _huber_array, _huber_aten,
                lambda delta: check(delta > 0, "huber_loss does not support non-positive values for delta."))
_pointwise_loss("kl_div(Tensor self, Tensor target, int reduction=1, *, bool log_target=False) -> Tensor",
                _kl_array, _kl_aten)
_pointwise_loss("soft_margin_loss(Tensor self, Tensor target, int reduction=1) -> Tensor",
                _soft_margin_array, _soft_margin_aten)
_pointwise_loss("hinge_embedding_loss(Tensor self, Tensor target, float margin=1., int reduction=1) -> Tensor",
                lambda xp, x, y, margin: xp.where(y != 1, xp.maximum(margin - x, 0), 0) +
                xp.where(y != -1, x, 0),
                lambda x, y, margin: aten.add.Tensor(
                    aten.where.self(aten.ne.Scalar(y, 1),
                                    aten.clamp.default(aten.sub.Tensor(aten.full_like.default(x, margin), x), 0),
                                    aten.full_like.default(x, 0)),
                    aten.where.self(aten.ne.Scalar(y, -1), x, aten.full_like.default(x, 0))))


# ------------------------------------------------------ binary cross entropy --
def _bce_shape(self, target, weight):
    shape = broadcast_shapes(tuple(self), tuple(target))
    if weight is not None:
        broadcast_shapes(tuple(weight), shape)
    return shape


def _bce_kernel(xp, self, target, weight=None, reduction=MEAN):
    _bce_shape(self.shape, target.shape, None if weight is None else weight.shape)
    check(bool(((self >= 0) & (self <= 1)).all()), "all elements of input should be between 0 and 1")
    with np.errstate(divide="ignore"):
        log_x, log_1mx = xp.maximum(xp.log(self), -100), xp.maximum(xp.log1p(-self), -100)
    loss = (target - 1) * log_1mx - target * log_x
    if weight is not None:
        loss = loss * weight
    return out_array(xp, _reduce_array(xp, loss, reduction), dtype_of(self))


def _bce_decomp(self, target, weight=None, reduction=MEAN):
    floor = aten.full.default([], -100, dtype=self.dtype, device=self.device)
    log_1mx = aten.maximum.default(aten.log1p.default(aten.neg.default(self)), floor)
    log_x = aten.maximum.default(aten.log.default(self),
                                 aten.full.default([], -100, dtype=self.dtype, device=self.device))
    loss = aten.sub.Tensor(aten.mul.Tensor(aten.sub.Tensor(target, 1), log_1mx), aten.mul.Tensor(target, log_x))
    if weight is not None:
        loss = aten.mul.Tensor(loss, weight)
    return _reduce_aten(loss, reduction)


register("binary_cross_entropy(Tensor self, Tensor target, Tensor? weight=None, int reduction=1) -> Tensor",
         meta=lambda self, target, weight=None, reduction=MEAN: _reduced_meta(
             _bce_shape(self.shape, target.shape, None if weight is None else weight.shape), reduction, self),
         kernel=_bce_kernel, decomposition=_bce_decomp)


def _log_sigmoid_array(xp, x):
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


def _log_sigmoid_aten(x):
    """min(x, 0) - log1p(exp(-|x|)): log_sigmoid as torch decomposes it."""
    zero = aten.full.default([], 0, dtype=x.dtype, device=x.device)
    return aten.sub.Tensor(aten.minimum.default(zero, x),
                           aten.log1p.default(aten.exp.default(aten.neg.default(aten.abs.default(x)))))


def _bce_logits_kernel(xp, self, target, weight=None, pos_weight=None, reduction=MEAN):
    _bce_shape(self.shape, target.shape, None if weight is None else weight.shape)
    log_sig = _log_sigmoid_array(xp, self)
    if pos_weight is None:
        loss = (1 - target) * self - log_sig
    else:
        loss = (1 - target) * self - ((pos_weight - 1) * target + 1) * log_sig
    if weight is not None:
        loss = loss * weight
    return out_array(xp, _reduce_array(xp, loss, reduction), dtype_of(self))


def _bce_logits_decomp(self, target, weight=None, pos_weight=None, reduction=MEAN):
    loss = aten.mul.Tensor(aten.sub.Tensor(1, target), self)
    log_sig = _log_sigmoid_aten(self)
    if pos_weight is not None:
        log_weight = aten.add.Tensor(aten.mul.Tensor(aten.sub.Tensor(pos_weight, 1), target), 1)
        log_sig = aten.mul.Tensor(log_weight, log_sig)
    loss = aten.sub.Tensor(loss, log_sig)
    if weight is not None:
        loss = aten.mul.Tensor(loss, weight)
    return _reduce_aten(loss, reduction)


register("binary_cross_entropy_with_logits(Tensor self, Tensor target, Tensor? weight=None, "
         "Tensor? pos_weight=None, int reduction=1) -> Tensor",
         meta=lambda self, target, weight=None, pos_weight=None, reduction=MEAN: _reduced_meta(
             _bce_shape(self.shape, target.shape, None if weight is None else weight.shape), reduction, self),
         kernel=_bce_logits_kernel, decomposition=_bce_logits_decomp, variants=("function",))


# -------------------------------------------------------- poisson, margins --
def _poisson_array(xp, input, target, log_input, full, eps):
    loss = xp.exp(input) - target * input if log_input else input - target * xp.log(input + eps)
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = target * xp.log(target) - target + 0.5 * xp.log(2 * math.pi * target)
        loss = loss + xp.where(target > 1, stirling, 0)
    return loss


def _poisson_aten(input, target, log_input, full, eps):
    if log_input:
        loss = aten.sub.Tensor(aten.exp.default(input), aten.mul.Tensor(target, input))
    else:
        loss = aten.sub.Tensor(input, aten.mul.Tensor(target, aten.log.default(aten.add.Tensor(input, eps))))
    if full:
        stirling = aten.add.Tensor(aten.sub.Tensor(aten.mul.Tensor(target, aten.log.default(target)), target),
                                   aten.mul.Tensor(aten.log.default(aten.mul.Tensor(target, 2 * math.pi)), 0.5))
        loss = aten.add.Tensor(loss, aten.masked_fill.Scalar(stirling, aten.le.Scalar(target, 1), 0))
    return loss


register("poisson_nll_loss(Tensor input, Tensor target, bool log_input, bool full, float eps, int reduction) "
         "-> Tensor",
         meta=lambda input, target, log_input, full, eps, reduction: _reduced_meta(
             broadcast_shapes(tuple(input.shape), tuple(target.shape)), reduction, input,
             _float_result(input, target)),
         kernel=lambda xp, input, target, log_input, full, eps, reduction: out_array(
             xp, _reduce_array(xp, _poisson_array(xp, input, target, log_input, full, eps), reduction),
             _float_result(input, target)),
         decomposition=lambda input, target, log_input, full, eps, reduction: _reduce_aten(
             _poisson_aten(input, target, log_input, full, eps), reduction),
         variants=("function",))


def _three_shape(a, b, c):
    return broadcast_shapes(tuple(a.shape), tuple(b.shape), tuple(c.shape))


register("margin_ranking_loss(Tensor input1, Tensor input2, Tensor target, float margin=0., int reduction=1) "
         "-> Tensor",
         meta=lambda input1, input2, target, margin=0.0, reduction=MEAN: _reduced_meta(
             _three_shape(input1, input2, target), reduction, input1, _float_result(input1, input2, target)),
         kernel=lambda xp, input1, input2, target, margin=0.0, reduction=MEAN: out_array(
             xp, _reduce_array(xp, xp.maximum(-target * (input1 - input2) + float(margin), 0), reduction),
             _float_result(input1, input2, target)),
         decomposition=lambda input1, input2, target, margin=0.0, reduction=MEAN: _reduce_aten(
             aten.clamp.default(aten.add.Scalar(aten.mul.Tensor(aten.neg.default(target),
                                                                aten.sub.Tensor(input1, input2)), float(margin)), 0),
             reduction),
         variants=("function",))

_COSINE_EPS = 1e-12


def _cosine_embedding_shape(input1, input2, target):
    a, b, t = tuple(input1.shape), tuple(input2.shape), tuple(target.shape)
    check(len(a) == len(b), lambda: f"cosine_embedding_loss : expected input1 ({len(a)}D) and input2 "
                                    f"({len(b)}D) to have the same number of dimensions")
    check(len(a) in (1, 2) and len(t) == len(a) - 1,
          lambda: f"{len(a) - 1}D target tensor expects {len(a)}D input tensors, but found inputs with sizes "
                  f"{fmt_shape(a)} and {fmt_shape(b)}.")
    return broadcast_shapes(broadcast_shapes(a, b)[:-1], t)


def _cosine_embedding_kernel(xp, input1, input2, target, margin=0.0, reduction=MEAN):
    _cosine_embedding_shape(input1, input2, target)
    prod = (input1 * input2).sum(-1)
    mag = xp.sqrt(((input1 * input1).sum(-1) + _COSINE_EPS) * ((input2 * input2).sum(-1) + _COSINE_EPS))
    cos = prod / mag
    loss = xp.where(target == 1, 1 - cos, 0) + xp.where(target == -1, xp.maximum(cos - margin, 0), 0)
    return out_array(xp, _reduce_array(xp, loss, reduction), _float_result(input1, input2))


def _cosine_embedding_decomp(input1, input2, target, margin=0.0, reduction=MEAN):
    prod = aten.sum.dim_IntList(aten.mul.Tensor(input1, input2), [-1])
    mag1 = aten.add.Scalar(aten.sum.dim_IntList(aten.mul.Tensor(input1, input1), [-1]), _COSINE_EPS)
    mag2 = aten.add.Scalar(aten.sum.dim_IntList(aten.mul.Tensor(input2, input2), [-1]), _COSINE_EPS)
    cos = aten.div.Tensor(prod, aten.sqrt.default(aten.mul.Tensor(mag1, mag2)))
    zeros = aten.full_like.default(cos, 0)
    pos = aten.where.self(aten.eq.Scalar(target, 1), aten.sub.Tensor(aten.full_like.default(cos, 1), cos), zeros)
    neg = aten.where.self(aten.eq.Scalar(target, -1), aten.clamp.default(aten.sub.Scalar(cos, margin), 0), zeros)
    return _reduce_aten(aten.add.Tensor(pos, neg), reduction)


register("cosine_embedding_loss(Tensor input1, Tensor input2, Tensor target, float margin=0., int reduction=1) "
         "-> Tensor",
         meta=lambda input1, input2, target, margin=0.0, reduction=MEAN: _reduced_meta(
             _cosine_embedding_shape(input1, input2, target), reduction, input1, _float_result(input1, input2)),
         kernel=_cosine_embedding_kernel, decomposition=_cosine_embedding_decomp, variants=("function",))


def _distance_array(xp, a, b, p, eps):
    d = xp.abs(a - b + eps)
    return xp.max(d, axis=-1) if p == math.inf else (d ** p).sum(-1) ** (1 / p)


def _distance_aten(a, b, p, eps):
    d = aten.abs.default(aten.add.Scalar(aten.sub.Tensor(a, b), float(eps)))
    if p == math.inf:
        return aten.amax.default(d, [-1])
    return aten.pow.Tensor_Scalar(aten.sum.dim_IntList(aten.pow.Tensor_Scalar(d, p), [-1]), 1 / p)


def _triplet_shape(anchor, positive, negative):
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    check(len(set(dims)) == 1, lambda: f"The anchor, positive, and negative tensors are expected to have the "
                                       f"same number of dimensions, but got: anchor {dims[0]}D, positive "
                                       f"{dims[1]}D, and negative {dims[2]}D inputs")
    return _three_shape(anchor, positive, negative)[:-1]


def _triplet_loss(m, anchor, positive, negative, margin, p, eps, swap):
    """max(d(a, p) - d(a, n) + margin, 0) with `m` = (distance, minimum, clamp) for arrays or ATen."""
    distance, minimum, clamp = m
    d_pos, d_neg = distance(anchor, positive, p, eps), distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, distance(positive, negative, p, eps))
    return clamp(d_pos, d_neg, margin)


def _triplet_kernel(xp, anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction=MEAN):
    _triplet_shape(anchor, positive, negative)
    m = (lambda a, b, p_, e: _distance_array(xp, a, b, p_, e), xp.minimum,
         lambda dp, dn, mg: xp.maximum(dp - dn + mg, 0))
    loss = _triplet_loss(m, anchor, positive, negative, margin, p, eps, swap)
    return out_array(xp, _reduce_array(xp, loss, reduction), _float_result(anchor, positive, negative))


def _triplet_decomp(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction=MEAN):
    m = (_distance_aten, aten.minimum.default,
         lambda dp, dn, mg: aten.clamp.default(aten.add.Scalar(aten.sub.Tensor(dp, dn), mg), 0))
    return _reduce_aten(_triplet_loss(m, anchor, positive, negative, margin, p, eps, swap), reduction)


register("triplet_margin_loss(Tensor anchor, Tensor positive, Tensor negative, float margin=1., float p=2., "
         "float eps=9.9999999999999995e-07, bool swap=False, int reduction=1) -> Tensor",
         meta=lambda anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction=MEAN:
         _reduced_meta(_triplet_shape(anchor, positive, negative), reduction, anchor,
                       _float_result(anchor, positive, negative)),
         kernel=_triplet_kernel, decomposition=_triplet_decomp, variants=("function",))


# --------------------------------------------------------- class-index losses --
def _class_dim(ndim):
    return 0 if ndim == 1 else 1


def _check_targets(xp, safe, n_classes):
    bad = (safe < 0) | (safe >= n_classes)
    if bool(bad.any()):
        raise IndexError(f"Target {int(safe[bad].reshape(-1)[0])} is out of bounds.")


def _nll_shape(self, target, weight):
    s, t = tuple(self.shape), tuple(target.shape)
    check(1 <= len(s), "input tensor should be 1D or more")
    check(dtype_of(target) is dt.int64, lambda: f"expected scalar type Long but found {dtype_of(target)}")
    want = () if len(s) == 1 else (s[0],) + s[2:]
    check(t == want, lambda: f"Expected input batch_size ({s[0]}) to match target batch_size ({t[0] if t else 0})."
          if len(s) == 2 else f"Expected target size {fmt_shape(want)}, got {fmt_shape(t)}",
          ValueError if len(s) == 2 else RuntimeError)
    if weight is not None:
        c = s[_class_dim(len(s))]
        check(tuple(weight.shape) == (c,), lambda: f"weight tensor should be defined either for all {c} classes "
                                                   f"or no classes but got weight tensor of shape: "
                                                   f"{fmt_shape(weight.shape)}")
    return t


def _nll_arrays(xp, logp, target, weight, ignore_index):
    """(loss per element with zeros at ignored targets, weight per element, valid mask)."""
    cdim = _class_dim(logp.ndim)
    valid = target != ignore_index
    safe = xp.where(valid, target, 0)
    _check_targets(xp, safe, logp.shape[cdim])
    picked = xp.squeeze(xp.take_along_axis(logp, xp.expand_dims(safe, cdim), cdim), cdim)
    w = weight[safe] if weight is not None else xp.ones_like(picked)
    w = xp.where(valid, w, 0)
    return xp.where(valid, -picked * w, 0), w, valid


def _nll_reduce(xp, loss, w, reduction):
    if reduction == NONE:
        return loss
    if reduction == SUM:
        return loss.sum()
    return loss.sum() / w.sum()


def _nll_kernel(xp, self, target, weight=None, reduction=MEAN, ignore_index=-100):
    _nll_shape(self, target, weight)
    loss, w, _ = _nll_arrays(xp, self, target, weight, ignore_index)
    return out_array(xp, _nll_reduce(xp, loss, w, reduction), dtype_of(self))


def _nll_decomp(self, target, weight=None, reduction=MEAN, ignore_index=-100):
    """torch's nll_loss decomposition: gather the picked log-probabilities, zero the ignored ones."""
    out_shape = list(target.shape)
    if self.ndim == 3 or self.ndim > 4:
        n, c = self.shape[0], self.shape[1]
        self = aten.view.default(self, [n, c, 1, -1])
        target = aten.view.default(target, [n, 1, -1])
    cdim = _class_dim(self.ndim)
    w_view = None
    if weight is not None:
        w_view = aten.view.default(weight, [1] * cdim + [weight.shape[0]] + [1] * (self.ndim - cdim - 1))
        self = aten.mul.Tensor(self, w_view)
    safe = aten.where.self(aten.ne.Scalar(target, ignore_index), target,
                           aten.scalar_tensor.default(0, dtype=target.dtype))
    index = aten.unsqueeze.default(safe, cdim)
    picked = aten.neg.default(aten.squeeze.dims(aten.gather.default(self, cdim, index), [cdim]))
    loss = aten.where.self(aten.ne.Scalar(target, ignore_index), picked,
                           aten.scalar_tensor.default(0, dtype=self.dtype))
    if reduction == NONE:
        return aten.view.default(loss, out_shape) if list(loss.shape) != out_shape else loss
    if reduction == SUM:
        return aten.sum.dim_IntList(loss, [])
    if weight is None:
        total = aten._to_copy.default(aten.sum.dim_IntList(aten.ne.Scalar(target, ignore_index), []),
                                      dtype=self.dtype)
    else:
        w = aten.squeeze.dims(aten.gather.default(aten.expand.default(w_view, list(self.shape)), cdim, index), [cdim])
        total = aten.sum.dim_IntList(aten.where.self(aten.ne.Scalar(target, ignore_index), w,
                                                     aten.scalar_tensor.default(0, dtype=self.dtype)), [])
    return aten.div.Tensor(aten.sum.dim_IntList(loss, []), total)


register("nll_loss_nd(Tensor self, Tensor target, Tensor? weight=None, int reduction=1, "
         "SymInt ignore_index=-100) -> Tensor",
         meta=lambda self, target, weight=None, reduction=MEAN, ignore_index=-100: _reduced_meta(
             _nll_shape(self, target, weight), reduction, self),
         kernel=_nll_kernel, decomposition=_nll_decomp)


def _ce_is_probs(self, target):
    return tuple(self.shape) == tuple(target.shape) and dtype_of(target).is_floating_point


def _ce_shape(self, target, weight, label_smoothing):
    check(0.0 <= label_smoothing <= 1.0, lambda: f"label_smoothing must be between 0.0 and 1.0. Got: "
                                                 f"{label_smoothing}")
    if _ce_is_probs(self, target):
        s = tuple(self.shape)
        return s[:_class_dim(len(s))] + s[_class_dim(len(s)) + 1:]
    return _nll_shape(self, target, weight)


def _log_softmax_array(xp, x, dim):
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))


def _ce_kernel(xp, self, target, weight=None, reduction=MEAN, ignore_index=-100, label_smoothing=0.0):
    _ce_shape(self, target, weight, label_smoothing)
    cdim = _class_dim(self.ndim)
    n_classes = self.shape[cdim]
    logp = _log_softmax_array(xp, self, cdim)
    w_shape = [1] * self.ndim
    w_shape[cdim] = n_classes
    if _ce_is_probs(self, target):
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        prod = logp * target if weight is None else logp * target * weight.reshape(w_shape)
        if reduction == NONE:
            out = -prod.sum(cdim)
        else:
            out = -prod.sum()
            if reduction == MEAN:
                out = out / (self.size // n_classes) if self.size else out
        return out_array(xp, out, dtype_of(self))
    loss, w, valid = _nll_arrays(xp, logp, target, weight, ignore_index)
    nll = _nll_reduce(xp, loss, w, reduction)
    if label_smoothing == 0:
        return out_array(xp, nll, dtype_of(self))
    weighted = logp if weight is None else logp * weight.reshape(w_shape)
    smooth = xp.where(valid, -weighted.sum(cdim), 0)
    if reduction == SUM:
        smooth = smooth.sum()
    elif reduction == MEAN:
        smooth = smooth.sum() / (valid.sum() if weight is None else w.sum())
    return out_array(xp, (1 - label_smoothing) * nll + label_smoothing / n_classes * smooth, dtype_of(self))


def _ce_decomp(self, target, weight=None, reduction=MEAN, ignore_index=-100, label_smoothing=0.0):
    cdim = _class_dim(self.ndim)
    n_classes = self.shape[cdim]
    logp = aten._log_softmax.default(self, cdim, False)
    w_shape = [1] * self.ndim
    w_shape[cdim] = n_classes
    if _ce_is_probs(self, target):
        if label_smoothing > 0:
            target = aten.add.Scalar(aten.mul.Scalar(target, 1 - label_smoothing), label_smoothing / n_classes)
        prod = aten.mul.Tensor(logp, target)
        if weight is not None:
            prod = aten.mul.Tensor(prod, aten.view.default(weight, w_shape))
        if reduction == NONE:
            return aten.neg.default(aten.sum.dim_IntList(prod, [cdim]))
        out = aten.neg.default(aten.sum.dim_IntList(prod, []))
        return aten.div.Scalar(out, self.numel() // n_classes) if reduction == MEAN else out
    nll = _nll_decomp(logp, target, weight, reduction, ignore_index)
    if label_smoothing == 0:
        return nll
    weighted = logp if weight is None else aten.mul.Tensor(logp, aten.view.default(weight, w_shape))
    ignored = aten.eq.Scalar(target, ignore_index)
    smooth = aten.where.self(ignored, aten.scalar_tensor.default(0.0, dtype=self.dtype),
                             aten.neg.default(aten.sum.dim_IntList(weighted, [cdim])))
    if reduction == SUM:
        smooth = aten.sum.dim_IntList(smooth, [])
    elif reduction == MEAN:
        if weight is None:
            total = aten.sum.dim_IntList(aten.bitwise_not.default(ignored), [])
        else:
            w = aten.index.Tensor(weight, [aten.where.self(ignored, aten.scalar_tensor.default(0, dtype=target.dtype),
                                                           target)])
            total = aten.sum.dim_IntList(aten.where.self(ignored, aten.scalar_tensor.default(0.0, dtype=self.dtype),
                                                         w), [])
        smooth = aten.div.Tensor(aten.sum.dim_IntList(smooth, []), total)
    return aten.add.Tensor(aten.mul.Scalar(nll, 1 - label_smoothing),
                           aten.mul.Scalar(smooth, label_smoothing / n_classes))


register("cross_entropy_loss(Tensor self, Tensor target, Tensor? weight=None, int reduction=1, "
         "SymInt ignore_index=-100, float label_smoothing=0.) -> Tensor",
         meta=lambda self, target, weight=None, reduction=MEAN, ignore_index=-100, label_smoothing=0.0:
         _reduced_meta(_ce_shape(self, target, weight, label_smoothing), reduction, self),
         kernel=_ce_kernel, decomposition=_ce_decomp)


def _multi_margin_shape(self, target, p, weight):
    s, t = tuple(self.shape), tuple(target.shape)
    check(len(s) in (1, 2) and t == s[:1] if len(s) == 2 else t in ((), (1,)),
          lambda: f"inconsistent target size, expected {s[:1] if len(s) == 2 else ()} but got {fmt_shape(t)}")
    check(p in (1, 2), "only p == 1 and p == 2 supported")
    return t


def _multi_margin_kernel(xp, self, target, p=1, margin=1, weight=None, reduction=MEAN):
    _multi_margin_shape(self, target, p, weight)
    x = self if self.ndim == 2 else self.reshape(1, -1)      # a 0-d input is one sample of one class
    t = target.reshape(-1)
    n_classes = x.shape[1]
    _check_targets(xp, t, n_classes)
    picked = xp.take_along_axis(x, t[:, None], 1)
    z = xp.maximum(margin - picked + x, 0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t][:, None]
    z = xp.where(xp.arange(n_classes)[None] != t[:, None], z, 0)
    if reduction == NONE:
        out = z.sum(1) / n_classes
        out = out if self.ndim == 2 else out.reshape(target.shape)
    else:
        out = z.mean() if reduction == MEAN else z.sum() / n_classes
    return out_array(xp, out, dtype_of(self))


def _multi_margin_decomp(self, target, p=1, margin=1, weight=None, reduction=MEAN):
    if self.ndim == 2:
        x = self
    else:                                                   # a 0-d input is one sample of one class
        x = aten.unsqueeze.default(self, 0) if self.ndim == 1 else aten.view.default(self, [1, 1])
    t = target if self.ndim == 2 else aten.view.default(target, [1])
    n_classes = x.shape[1]
    index = aten.unsqueeze.default(t, 1)
    z = aten.clamp.default(aten.add.Tensor(aten.sub.Tensor(margin, aten.gather.default(x, 1, index)), x), 0)
    if p == 2:
        z = aten.mul.Tensor(z, z)
    if weight is not None:
        z = aten.mul.Tensor(z, aten.index.Tensor(weight, [index]))
    classes = aten.arange.start_step(0, n_classes, 1, dtype=t.dtype, device=x.device)
    z = aten.where.self(aten.ne.Tensor(classes, index), z, aten.scalar_tensor.default(0, dtype=x.dtype))
    if reduction == MEAN:
        return aten.mean.default(z)
    if reduction == SUM:
        return aten.div.Tensor(aten.sum.dim_IntList(z, []), n_classes)
    out = aten.div.Tensor(aten.sum.dim_IntList(z, [1]), n_classes)
    return out if self.ndim == 2 else aten.view.default(out, list(target.shape))


register("multi_margin_loss(Tensor self, Tensor target, Scalar p=1, Scalar margin=1, Tensor? weight=None, "
         "int reduction=1) -> Tensor",
         meta=lambda self, target, p=1, margin=1, weight=None, reduction=MEAN: _reduced_meta(
             _multi_margin_shape(self, target, p, weight), reduction, self),
         kernel=_multi_margin_kernel, decomposition=_multi_margin_decomp)
