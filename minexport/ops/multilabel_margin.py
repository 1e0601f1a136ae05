"""aten.multilabel_margin_loss: the multi-class multi-label hinge loss.

Each row of `target` lists the row's classes, ended by the first -1; the loss
of a row is the sum over its classes j and the classes i it does not hold of
max(0, 1 - (x[j] - x[i])), divided by the class count.  Not core ATen: the
decomposition writes it in the core ops (a mask of the listed classes, a
gather of their scores, a broadcast hinge) as torch's run_decompositions() does.
"""
from .. import dtypes as dt
from ._common import check, dtype_of, fmt_shape, out_array
from ._registry import aten, register
from .losses import MEAN, NONE, _reduced_meta


def _shape(self, target):
    """(batch shape of the unreduced loss) after torch's checks."""
    s, t = tuple(self.shape), tuple(target.shape)
    check(len(s) <= 2, lambda: f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                               f"{fmt_shape(s)}")
    check(t == s, lambda: f"inconsistent target size: {fmt_shape(t)} for input of size: {fmt_shape(s)}")
    check(dtype_of(target) is dt.int64, lambda: f"expected scalar type Long but found {dtype_of(target)}")
    return s[:1] if len(s) == 2 else ()


def _kernel(xp, self, target, reduction=MEAN):
    batch = _shape(self, target)
    x = self.reshape(-1, self.shape[-1] if self.ndim else 1)
    t = target.reshape(x.shape)
    n_classes = x.shape[1]
    # a class counts while no -1 came before it in its row
    listed = xp.cumprod(t != -1, axis=1).astype(bool)
    check(not bool((listed & ((t < 0) | (t >= n_classes))).any()), "argument #2 'target' is out of range")
    safe = xp.where(listed, t, 0)
    classes = xp.arange(n_classes)
    held = ((safe[:, :, None] == classes) & listed[:, :, None]).any(axis=1)          # rows x classes
    picked = xp.take_along_axis(x, safe, axis=1)                                      # x[target[k]]
    hinge = xp.maximum(1.0 - picked[:, :, None] + x[:, None, :], 0)                   # rows x k x i
    hinge = hinge * (listed[:, :, None] & ~held[:, None, :])
    loss = hinge.sum(axis=(1, 2)) / n_classes
    if reduction == NONE:
        out = loss.reshape(batch)
    else:
        out = loss.mean() if reduction == MEAN else loss.sum()
    return out_array(xp, out, dtype_of(self))


def _decomp(self, target, reduction=MEAN):
    _shape(self, target)
    x = self if self.ndim == 2 else aten.view.default(self, [1, -1])
    t = target if self.ndim == 2 else aten.view.default(target, [1, -1])
    n_classes = x.shape[1]
    classes = aten.arange.start_step(0, n_classes, 1, dtype=t.dtype, device=x.device)
    # the first -1 of each row (n_classes where there is none) ends its list of classes
    end = aten.amin.default(aten.where.self(aten.eq.Scalar(t, -1), classes,
                                            aten.scalar_tensor.default(n_classes, dtype=t.dtype)), [1], True)
    listed = aten.lt.Tensor(classes, end)
    safe = aten.where.self(listed, t, aten.scalar_tensor.default(0, dtype=t.dtype))
    picked = aten.gather.default(x, 1, safe)
    is_class = aten.logical_and.default(aten.eq.Tensor(aten.unsqueeze.default(safe, 2), classes),
                                        aten.unsqueeze.default(listed, 2))
    held = aten.any.dim(is_class, 1)                                                        # rows x classes
    margin = aten.add.Tensor(aten.sub.Tensor(1, aten.unsqueeze.default(picked, 2)), aten.unsqueeze.default(x, 1))
    hinge = aten.clamp.default(margin, 0)
    keep = aten.logical_and.default(aten.unsqueeze.default(listed, 2),
                                    aten.logical_not.default(aten.unsqueeze.default(held, 1)))
    hinge = aten.where.self(keep, hinge, aten.scalar_tensor.default(0, dtype=x.dtype))
    loss = aten.div.Tensor(aten.sum.dim_IntList(hinge, [1, 2]), n_classes)
    if reduction == NONE:
        return loss if self.ndim == 2 else aten.view.default(loss, [])
    return aten.mean.default(loss) if reduction == MEAN else aten.sum.dim_IntList(loss, [])


register("multilabel_margin_loss(Tensor self, Tensor target, int reduction=1) -> Tensor",
         meta=lambda self, target, reduction=MEAN: _reduced_meta(_shape(self, target), reduction, self),
         kernel=_kernel, decomposition=_decomp)
