"""aten.ctc_loss (IntList and Tensor overloads): the connectionist temporal classification loss, forward.

For each batch entry the loss is -log of the total probability, under the
per-step log-probabilities `log_probs` (T, N, C), of all alignments of the
target (classes, no blank) to the first `input_lengths[n]` steps.  The forward
(alpha) recursion runs over the target interleaved with blanks, vectorized over
the batch and the target positions, one loop step per time step, in float64.
Targets are padded rows (N, S) or one concatenated 1-D run.  `reduction` is
torch's enum (0 none, 1 mean: each loss divided by its target length (at least 1),
then averaged; 2 sum); `zero_infinity` turns infinite losses (impossible
alignments) into 0.  torch's export cannot trace this op (its inner _ctc_loss has
a data-dependent shape); minexport records aten.ctc_loss itself.
"""
import math

import numpy as np

from ._common import check, dtype_of, make_fake, out_array, torch_type_name
from ._registry import register

NONE, MEAN = 0, 1


def _as_list(xp, lengths):
    """int[] or an integer tensor's values, as a list of ints."""
    if hasattr(lengths, "shape"):
        return [int(v) for v in np.asarray(lengths.get() if hasattr(lengths, "get") else lengths).reshape(-1)]
    return [int(v) for v in lengths]


def _shape_check(log_probs, targets, batch_of_lengths, blank):
    """(batched?, batch size) after torch's checks on shapes."""
    shape = tuple(log_probs.shape)
    check(len(shape) in (2, 3), lambda: f"ctc_loss(): expected log_probs to be 2-D (unbatched) or 3-D, got {shape}")
    d = dtype_of(log_probs)
    check(d.is_floating_point, lambda: f'"ctc_loss_cpu" not implemented for \'{torch_type_name(d)}\'',
          NotImplementedError)
    batched = len(shape) == 3
    batch = shape[1] if batched else 1
    check(0 <= blank < shape[-1], "blank must be in label range")
    for name, count in batch_of_lengths:
        check(count is None or count == batch, lambda: f"{name} must be of size batch_size")
    return batched, batch


def _count(lengths):
    if hasattr(lengths, "shape"):
        return int(np.prod(lengths.shape)) if len(lengths.shape) else 1
    return len(lengths)


def _meta(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=MEAN, zero_infinity=False):
    batched, batch = _shape_check(log_probs, targets, (("input_lengths", _count(input_lengths)),
                                                       ("target_lengths", _count(target_lengths))), blank)
    shape = ((batch,) if batched else ()) if reduction == NONE else ()
    return make_fake(shape, log_probs.dtype, log_probs.device)


def _logsumexp(xp, *terms):
    """log(sum(exp(terms))) elementwise, -inf where every term is -inf."""
    top = terms[0]
    for t in terms[1:]:
        top = xp.maximum(top, t)
    safe = xp.where(xp.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return safe + xp.log(sum(xp.exp(t - safe) for t in terms))


def _shift(xp, a, by, fill=-math.inf):
    """a moved `by` places right along the last axis, `fill` filling in."""
    pad = xp.full(a.shape[:-1] + (by,), fill, dtype=a.dtype)
    return xp.concatenate([pad, a[..., :-by]], axis=-1)


def _padded_targets(xp, targets, target_lengths):
    """Targets (padded rows, or one concatenated run) as padded rows (N, S_max), after torch's size checks."""
    s_max = max(target_lengths) if target_lengths else 0
    if targets.ndim == 2:
        check(targets.shape[1] >= s_max,
              lambda: f"Expected tensor to have size at least {s_max} at dimension 1, but got size "
                      f"{targets.shape[1]} for argument #2 'targets' (while checking arguments for ctc_loss_cpu)")
        return targets[:, :s_max]
    flat = targets.reshape(-1)
    check(flat.shape[0] >= sum(target_lengths), "ctc_loss(): targets hold fewer labels than target_lengths sum to")
    starts = np.concatenate([[0], np.cumsum(target_lengths)[:-1]]).astype(np.int64)
    pos = xp.asarray(starts)[:, None] + xp.arange(s_max)[None, :]
    inside = xp.arange(s_max)[None, :] < xp.asarray(target_lengths)[:, None]
    return xp.where(inside, flat[xp.where(inside, pos, 0)], 0)


def _kernel(xp, log_probs, targets, input_lengths, target_lengths, blank=0, reduction=MEAN, zero_infinity=False):
    ins, tls = _as_list(xp, input_lengths), _as_list(xp, target_lengths)
    batched, batch = _shape_check(log_probs, targets, (("input_lengths", len(ins)), ("target_lengths", len(tls))),
                                  blank)
    lp = (log_probs if batched else log_probs[:, None, :]).astype(np.float64)
    steps = lp.shape[0]
    for v in ins:
        check(0 <= v <= steps, lambda: f"Expected input_lengths to have value at most {steps}, but got value {v} "
                                       "(while checking arguments for ctc_loss_cpu)")
    for v in tls:
        check(v >= 0, lambda: f"Expected target_lengths to be non-negative, but got value {v}")
    # an unbatched call is a batch of one: its 1-D target is that one padded row
    rows = _padded_targets(xp, targets if batched else targets.reshape(1, -1), tls).astype(np.int64)
    s_max = rows.shape[1]
    width = 2 * s_max + 1
    # the target interleaved with blanks: blank, l1, blank, l2, ..., blank
    ext = xp.full((batch, width), blank, dtype=np.int64)
    ext[:, 1::2] = rows
    tl = xp.asarray(tls, dtype=np.int64)[:, None]
    pos = xp.arange(width)[None, :]
    valid = pos < 2 * tl + 1
    # a label may follow the label two places back when a blank sits between two different labels
    skip = (pos % 2 == 1) & (pos >= 2) & (ext != _shift(xp, ext, 2, fill=blank))
    batch_idx = xp.arange(batch)[:, None]
    alpha = xp.full((batch, width), -math.inf)
    first = lp[0][batch_idx, ext] if steps else alpha
    alpha = xp.where((pos < 2) & valid, first, -math.inf)
    for t in range(1, steps):
        prev2 = xp.where(skip, _shift(xp, alpha, 2), -math.inf)
        new = _logsumexp(xp, alpha, _shift(xp, alpha, 1), prev2) + lp[t][batch_idx, ext]
        new = xp.where(valid, new, -math.inf)
        alpha = xp.where(xp.asarray(ins)[:, None] > t, new, alpha)
    last = xp.take_along_axis(alpha, 2 * tl, axis=1)[:, 0]
    before = xp.take_along_axis(alpha, xp.maximum(2 * tl - 1, 0), axis=1)[:, 0]
    before = xp.where(tl[:, 0] > 0, before, -math.inf)
    nll = -_logsumexp(xp, last, before)
    nll = xp.where(xp.asarray(ins) == 0, xp.where(tl[:, 0] == 0, 0.0, math.inf), nll)
    if zero_infinity:
        nll = xp.where(nll == math.inf, 0.0, nll)
    if reduction == NONE:
        out = nll if batched else nll[0]
    elif reduction == MEAN:
        out = (nll / xp.maximum(tl[:, 0], 1)).mean()
    else:
        out = nll.sum()
    return out_array(xp, out, dtype_of(log_probs))


for _overload, _lengths in (("IntList", "int[]"), ("Tensor", "Tensor")):
    register(f"ctc_loss.{_overload}(Tensor log_probs, Tensor targets, {_lengths} input_lengths, "
             f"{_lengths} target_lengths, int blank=0, int reduction=1, bool zero_infinity=False) -> Tensor",
             meta=_meta, kernel=_kernel, variants=("function",))
