"""Norms of differences: dist, cdist (and its core `_cdist_forward`), pdist
(and `_pdist_forward`), pairwise_distance, cosine_similarity and renorm.

Every p-norm is `reductions.vector_norm_array`: p = 0 counts the nonzero
differences, p = inf takes the largest.
"""
import numpy as np

from .. import dtypes as dt
from ._common import broadcast_shapes, check, dtype_of, fake_like, out_array, promote, torch_type_name, \
    wrap_dim
from ._inplace import register_inplace
from ._registry import FUNCTION_AND_METHOD, aten, register
from .reductions import reduced_shape, vector_norm_array, _norm_dtype


# ------------------------------------------------------------------ dist --
def _dist_dtype(self, other):
    d = promote(self, other)
    check(d.is_floating_point, lambda: "norm(): input dtype should be either floating point or complex. "
                                       f"Got {torch_type_name(d)} instead.")
    return d


def _dist_meta(self, other, p=2):
    broadcast_shapes(self.shape, other.shape)
    return fake_like((), _dist_dtype(self, other), self)


def _dist_kernel(xp, self, other, p=2):
    broadcast_shapes(self.shape, other.shape)
    d = _dist_dtype(self, other)
    diff = self.astype(d.numpy_dtype) - other.astype(d.numpy_dtype)
    return out_array(xp, vector_norm_array(xp, diff, p, None, False), d)


register("dist(Tensor self, Tensor other, Scalar p=2) -> Tensor", meta=_dist_meta, kernel=_dist_kernel,
         variants=FUNCTION_AND_METHOD)


# ----------------------------------------------------------------- cdist --
def _cdist_checks(x1, x2, p, compute_mode=None):
    for name, x in (("X1", x1), ("X2", x2)):
        check(len(x.shape) >= 2, lambda: f"cdist only supports at least 2D tensors, {name} got: {len(x.shape)}D")
    for name, x in (("X1", x1), ("X2", x2)):
        d = dtype_of(x)
        check(d.is_floating_point, lambda: f"cdist only supports floating-point dtypes, {name} got: "
                                           f"{torch_type_name(d)}")
        check(d is not dt.float16 and d is not dt.bfloat16,
              lambda: f"\"cdist\" not implemented for '{torch_type_name(d)}'", NotImplementedError)
    check(x1.shape[-1] == x2.shape[-1], lambda: "X1 and X2 must have the same number of columns. "
                                                f"X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    check(dtype_of(x1) is dtype_of(x2), lambda: f"expected scalar type {torch_type_name(dtype_of(x1))} but found "
                                                f"{torch_type_name(dtype_of(x2))}")
    check(p >= 0, "cdist only supports non-negative p values")
    check(compute_mode in (None, 0, 1, 2), lambda: f"possible modes: 0, 1, 2, but was: {compute_mode}")
    batch = broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
    return batch + (x1.shape[-2], x2.shape[-2])


def _uses_mm(p, compute_mode, r1, r2):
    """torch's choice of the matrix-product form of the euclidean distance."""
    return p == 2 and (compute_mode == 1 or (compute_mode in (None, 0) and (r1 > 25 or r2 > 25)))


def _cdist_meta(x1, x2, p=2.0, compute_mode=None):
    return fake_like(_cdist_checks(x1, x2, p, compute_mode), x1.dtype, x1)


def _cdist_kernel(xp, x1, x2, p=2.0, compute_mode=None):
    shape = _cdist_checks(x1, x2, p, compute_mode)
    if x1.shape[-1] == 0:
        return xp.zeros(shape, dtype=x1.dtype)
    if _uses_mm(p, compute_mode, x1.shape[-2], x2.shape[-2]):
        # torch's one matrix product [-2a, |a|^2, 1] . [b, 1, |b|^2] = |a - b|^2, clamped at 0 before the
        # root (rounding can make it negative)
        n1, n2 = (x1 * x1).sum(-1, keepdims=True), (x2 * x2).sum(-1, keepdims=True)
        a = xp.concatenate([-2 * x1, n1, xp.ones_like(n1)], -1)
        b = xp.concatenate([x2, xp.ones_like(n2), n2], -1)
        r = xp.sqrt(xp.maximum(a @ xp.swapaxes(b, -1, -2), 0))
    else:
        r = vector_norm_array(xp, x1[..., :, None, :] - x2[..., None, :, :], p, -1, False)
    return out_array(xp, xp.broadcast_to(r, shape), dtype_of(x1))


# the euclidean distance as one matrix product: [-2a, |a|^2, 1] . [b, 1, |b|^2]
def _euclidean_decomp(x1, x2):
    n1 = aten.sum.dim_IntList(aten.pow.Tensor_Scalar(x1, 2), [-1], True)
    ones1 = aten.full_like.default(n1, 1)
    n2 = aten.sum.dim_IntList(aten.pow.Tensor_Scalar(x2, 2), [-1], True)
    ones2 = aten.full_like.default(n2, 1)
    a = aten.cat.default([aten.mul.Tensor(x1, -2), n1, ones1], -1)
    b = aten.cat.default([x2, ones2, n2], -1)
    perm = list(range(len(b.shape) - 2)) + [len(b.shape) - 1, len(b.shape) - 2]
    return aten.sqrt.default(aten.clamp.default(aten.matmul.default(a, aten.permute.default(b, perm)), 0))


def _cdist_decomp(x1, x2, p=2.0, compute_mode=None):
    if not _uses_mm(p, compute_mode, x1.shape[-2], x2.shape[-2]):
        return aten._cdist_forward.default(x1, x2, p, compute_mode)
    out = list(_cdist_checks(x1, x2, p, compute_mode))
    batch = out[:-2]
    if batch:   # both to the common batch shape
        x1 = aten.view.default(aten.expand.default(x1, batch + list(x1.shape[-2:])), batch + list(x1.shape[-2:]))
        x2 = aten.view.default(aten.expand.default(x2, batch + list(x2.shape[-2:])), batch + list(x2.shape[-2:]))
    return aten.view.default(_euclidean_decomp(x1, x2), out)


register("cdist(Tensor x1, Tensor x2, float p=2., int? compute_mode=None) -> Tensor", meta=_cdist_meta,
         kernel=_cdist_kernel, decomposition=_cdist_decomp, variants=("function",))
register("_cdist_forward(Tensor x1, Tensor x2, float p, int? compute_mode) -> Tensor", meta=_cdist_meta,
         kernel=_cdist_kernel, tags=("core",))


# ----------------------------------------------------------------- pdist --
def _pdist_checks(self, p):
    check(len(self.shape) == 2, lambda: f"pdist only supports 2D tensors, got: {len(self.shape)}D")
    check(dtype_of(self).is_floating_point, "pdist only supports floating-point dtypes")
    check(p >= 0, "pdist only supports non-negative p values")
    n = self.shape[0]
    return (n * (n - 1) // 2,)


def _pdist_meta(self, p=2.0):
    return fake_like(_pdist_checks(self, p), self.dtype, self)


def _pdist_kernel(xp, self, p=2.0):
    _pdist_checks(self, p)
    i, j = xp.triu_indices(self.shape[0], 1)     # the pairs i < j, row by row
    return out_array(xp, vector_norm_array(xp, self[i] - self[j], p, -1, False), dtype_of(self))


register("pdist(Tensor self, float p=2.) -> Tensor", meta=_pdist_meta, kernel=_pdist_kernel,
         decomposition=lambda self, p=2.0: aten._pdist_forward.default(self, p), variants=("function",))
register("_pdist_forward(Tensor self, float p=2.) -> Tensor", meta=_pdist_meta, kernel=_pdist_kernel,
         tags=("core",))


# ------------------------------------------------------ pairwise_distance --
def _pairwise_dtype(x1, x2):
    d = promote(x1, x2)     # x1 - x2 + eps: integers become the default float dtype
    return d if d.is_floating_point else dt.get_default_dtype()


def _pairwise_meta(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    shape = broadcast_shapes(x1.shape, x2.shape)
    dims = (wrap_dim(-1, len(shape)),) if shape else ()
    return fake_like(reduced_shape(shape, dims, keepdim), _pairwise_dtype(x1, x2), x1)


def _pairwise_kernel(xp, x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = _pairwise_dtype(x1, x2)
    # x1 - x2 in their own dtype first (unsigned integers wrap around, as in torch), then + eps
    common = promote(x1, x2).numpy_dtype
    diff = (x1.astype(common) - x2.astype(common)).astype(d.numpy_dtype) + d.numpy_dtype.type(eps)
    axis = -1 if diff.ndim else None
    return out_array(xp, vector_norm_array(xp, diff, p, axis, keepdim and diff.ndim > 0), d)


# the norm of x1 - x2 + eps over the last dim of their broadcast shape
def _pairwise_decomp(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    dim = max(len(x1.shape), len(x2.shape)) - 1
    diff = aten.add.Scalar(aten.sub.Tensor(x1, x2), eps)
    return aten.linalg_vector_norm.default(diff, p, [dim] if dim >= 0 else None, keepdim)


# torch prints the eps default as the nearest double
register("pairwise_distance(Tensor x1, Tensor x2, float p=2., float eps=9.9999999999999995e-07, "
         "bool keepdim=False) -> Tensor",
         meta=_pairwise_meta, kernel=_pairwise_kernel, decomposition=_pairwise_decomp, variants=("function",))


# ------------------------------------------------------ cosine_similarity --
def _cosine_dtype(x1, x2):
    d = promote(x1, x2)
    check(d.is_floating_point, lambda: f"expected common dtype to be floating point, yet common dtype is "
                                       f"{torch_type_name(d)}")
    return d


def _cosine_meta(x1, x2, dim=1, eps=1e-8):
    shape = broadcast_shapes(x1.shape, x2.shape)
    d = _cosine_dtype(x1, x2)
    return fake_like(reduced_shape(shape, (wrap_dim(dim, len(shape)),), False), d, x1)


def _cosine_kernel(xp, x1, x2, dim=1, eps=1e-8):
    d = _cosine_dtype(x1, x2)
    shape = broadcast_shapes(x1.shape, x2.shape)
    k = wrap_dim(dim, len(shape))
    a, b = (xp.broadcast_to(x.astype(d.numpy_dtype), shape) for x in (x1, x2))
    axis = k if shape else None
    # each side divided by its norm (at least eps) before the product, as torch does
    na = xp.maximum(vector_norm_array(xp, a, 2, axis, True), eps)
    nb = xp.maximum(vector_norm_array(xp, b, 2, axis, True), eps)
    return out_array(xp, ((a / na) * (b / nb)).sum(axis=axis), d)


def _cosine_decomp(x1, x2, dim=1, eps=1e-8):
    shape = list(broadcast_shapes(x1.shape, x2.shape))
    x1, x2 = (x if list(x.shape) == shape else aten.expand.default(x, shape) for x in (x1, x2))
    n1 = aten.clone.default(aten.linalg_vector_norm.default(x1, 2, [dim], True))
    n2 = aten.clone.default(aten.linalg_vector_norm.default(x2, 2, [dim], True))
    eps_t = aten.scalar_tensor.default(eps, dtype=_cosine_dtype(x1, x2))
    n1, n2 = aten.clamp.Tensor(n1, eps_t), aten.clamp.Tensor(n2, eps_t)
    return aten.sum.dim_IntList(aten.mul.Tensor(aten.div.Tensor(x1, n1), aten.div.Tensor(x2, n2)), [dim])


register("cosine_similarity(Tensor x1, Tensor x2, int dim=1, float eps=1e-08) -> Tensor", meta=_cosine_meta,
         kernel=_cosine_kernel, decomposition=_cosine_decomp, variants=("function",))


# ---------------------------------------------------------------- renorm --
def _renorm_checks(self, p, dim, maxnorm):
    ndim = len(self.shape)
    check(ndim > 1, lambda: f"renorm: input needs at least 2 dimensions, got {ndim} dimensions")
    check(p > 0, "renorm: non-positive-norm not supported")
    check(maxnorm >= 0, lambda: f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    _norm_dtype(dtype_of(self), None)
    d = wrap_dim(dim, ndim)
    return [i for i in range(ndim) if i != d]


def _renorm_meta(self, p, dim, maxnorm):
    _renorm_checks(self, p, dim, maxnorm)
    return fake_like(self.shape, self.dtype, self)


def _renorm_kernel(xp, self, p, dim, maxnorm):
    others = tuple(_renorm_checks(self, p, dim, maxnorm))
    norm = vector_norm_array(xp, self, p, others, True)
    # slices whose norm exceeds maxnorm are scaled down to it (1e-7 keeps the division finite)
    with np.errstate(divide="ignore"):
        factor = xp.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0).astype(self.dtype)
    return out_array(xp, self * factor, dtype_of(self))


def _renorm_decomp(self, p, dim, maxnorm):
    norm = aten.linalg_vector_norm.default(self, p, _renorm_checks(self, p, dim, maxnorm), True)
    too_long = aten.gt.Scalar(norm, maxnorm)
    factor = aten.mul.Tensor(aten.reciprocal.default(aten.add.Tensor(norm, 1e-7)), maxnorm)
    one = aten.scalar_tensor.default(1.0, dtype=self.dtype)
    return aten.mul.Tensor(self, aten.where.self(too_long, factor, one))


_renorm = register("renorm(Tensor self, Scalar p, int dim, Scalar maxnorm) -> Tensor", meta=_renorm_meta,
                   kernel=_renorm_kernel, decomposition=_renorm_decomp, variants=FUNCTION_AND_METHOD)
register_inplace(_renorm, "renorm_(Tensor(a!) self, Scalar p, int dim, Scalar maxnorm) -> Tensor(a!)")
