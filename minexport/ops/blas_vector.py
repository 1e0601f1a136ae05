"""Vector and reduced-batch products: dot, vdot, mv, addmv, addr, addbmm, inner, tensordot,
and the whole-tensor comparisons allclose and equal.

torch.export keeps each of these as its own node; run_decompositions() turns
dot/vdot/mv into mul + sum, addr into an outer product by broadcasting, and
inner/tensordot into permute + reshape + mm, as torch does.  addmv and addbmm
have no decomposition in torch's default table and stay.  allclose and equal
return a Python bool: in a trace that is a data-dependent value, refused as
torch refuses it.
"""
import numpy as np

from .. import dtypes as dt
from .._tensor import shape_numel
from ._common import broadcast_shapes, check, dtype_of, fake_like, fmt_shape, out_array, promote, torch_type_name
from ._inplace import register_inplace
from ._registry import FUNCTION_AND_METHOD, aten, register

_FN = ("function",)


# ------------------------------------------------------------- scaling --
def _scalar_for(d, value):
    """alpha/beta as the op computes with them: integer tensors truncate a float (torch's cast)."""
    if d is dt.bool:
        return bool(value)
    if not d.is_floating_point:
        return int(value)
    return float(value)


def _scaled_sum(xp, self, prod, beta, alpha, d):
    """beta * self + alpha * prod in dtype `d`; beta == 0 ignores self (NaN and inf included)."""
    if d is dt.bool:
        # bool tensors: the products are logical, the scalars truth values
        out = xp.logical_and(prod, bool(alpha))
        return out if not beta else xp.logical_or(out, xp.logical_and(self, True))
    alpha, beta = _scalar_for(d, alpha), _scalar_for(d, beta)
    out = prod * alpha if alpha != 1 else prod
    if beta == 0:
        return xp.broadcast_to(out, out.shape).astype(d.numpy_dtype)
    return out + (self * beta if beta != 1 else self)


# ------------------------------------------------------------- dot/vdot --
def _dot_check(a_shape, b_shape, a_dtype, b_dtype, what):
    check(len(a_shape) == 1 and len(b_shape) == 1,
          lambda: f"1D tensors expected, but got {len(a_shape)}D and {len(b_shape)}D tensors")
    check(a_shape[0] == b_shape[0],
          lambda: f"inconsistent tensor size, expected tensor [{a_shape[0]}] and src [{b_shape[0]}] to have "
                  f"the same number of elements, but got {a_shape[0]} and {b_shape[0]} elements respectively")
    check(a_dtype == b_dtype, lambda: f"{what} : expected both vectors to have same dtype, but found "
                                      f"{torch_type_name(a_dtype)} and {torch_type_name(b_dtype)}")


def _dot_family(what):
    def meta(self, other):
        _dot_check(self.shape, other.shape, self.dtype, other.dtype, what)
        return fake_like((), self.dtype, self)

    def kernel(xp, self, other):
        _dot_check(self.shape, other.shape, dtype_of(self), dtype_of(other), what)
        d = dtype_of(self)
        if d is dt.bool:
            return xp.asarray(xp.logical_and(self, other).any())
        return out_array(xp, xp.dot(self, other), d)

    def decomp(self, other):
        # the product summed over every dim (an empty dim list), as torch's sum() of it records
        return _sum_as(aten.mul.Tensor(self, other), [], self.dtype)
    return meta, kernel, decomp


def _sum_as(x, dims, d):
    """sum over `dims` keeping dtype `d` (sum alone widens integers to int64)."""
    s = aten.sum.dim_IntList(x, dims)
    return s if s.dtype == d else aten._to_copy.default(s, dtype=d)


# ------------------------------------------------------------------- mv --
def _mv_check(m_shape, v_shape, m_dtype, v_dtype):
    check(len(m_shape) == 2 and len(v_shape) == 1,
          lambda: f"vector + matrix @ vector expected, got 1, {len(m_shape)}, {len(v_shape)}")
    check(m_shape[1] == v_shape[0],
          lambda: f"size mismatch, got input ({m_shape[0]}), mat ({m_shape[0]}x{m_shape[1]}), vec ({v_shape[0]})")
    check(m_dtype == v_dtype, lambda: f"addmv input tensors must have the same dtype, but got "
                                      f"{torch_type_name(m_dtype)}, {torch_type_name(m_dtype)}, and "
                                      f"{torch_type_name(v_dtype)}")


def _mv_meta(self, vec):
    _mv_check(self.shape, vec.shape, self.dtype, vec.dtype)
    return fake_like((self.shape[0],), self.dtype, self)


def _matvec(xp, mat, vec, d):
    if d is dt.bool:
        return xp.logical_and(mat, vec).any(axis=1)
    return out_array(xp, xp.matmul(mat, vec), d)


def _mv_kernel(xp, self, vec):
    _mv_check(self.shape, vec.shape, dtype_of(self), dtype_of(vec))
    return _matvec(xp, self, vec, dtype_of(self))


def _mv_decomp(self, vec):
    return _sum_as(aten.mul.Tensor(self, vec), [1], self.dtype)


# ---------------------------------------------------------------- addmv --
def _addmv_check(s_shape, m_shape, v_shape, dtypes):
    check(len(m_shape) == 2 and len(v_shape) == 1 and len(s_shape) <= 1,
          lambda: f"vector + matrix @ vector expected, got {len(s_shape)}, {len(m_shape)}, {len(v_shape)}")
    n = m_shape[0]
    check(m_shape[1] == v_shape[0] and (len(s_shape) == 0 or s_shape[0] in (1, n)),
          lambda: f"size mismatch, got input ({', '.join(map(str, s_shape))}), mat ({m_shape[0]}x{m_shape[1]}), "
                  f"vec ({v_shape[0]})")
    check(len(set(dtypes)) == 1, lambda: "addmv input tensors must have the same dtype, but got "
                                         f"{torch_type_name(dtypes[0])}, {torch_type_name(dtypes[1])}, and "
                                         f"{torch_type_name(dtypes[2])}")
    return (n,)


def _addmv_meta(self, mat, vec, *, beta=1, alpha=1):
    shape = _addmv_check(self.shape, mat.shape, vec.shape, (self.dtype, mat.dtype, vec.dtype))
    return fake_like(shape, mat.dtype, mat)


def _addmv_kernel(xp, self, mat, vec, *, beta=1, alpha=1):
    d = dtype_of(mat)
    _addmv_check(self.shape, mat.shape, vec.shape, (dtype_of(self), d, dtype_of(vec)))
    return out_array(xp, _scaled_sum(xp, self, _matvec(xp, mat, vec, d), beta, alpha, d), d)


# ----------------------------------------------------------------- addr --
def _addr_check(s_shape, v1, v2):
    check(len(v1) == 1, lambda: f"addr: Expected 1-D argument vec1, but got {len(v1)}-D")
    check(len(v2) == 1, lambda: f"addr: Expected 1-D argument vec2, but got {len(v2)}-D")
    shape = (v1[0], v2[0])
    check(broadcast_shapes(s_shape, shape, op="addr") == shape,
          lambda: f"The expanded size of the tensor ({shape[0]}) must match the existing size "
                  f"({s_shape[-2] if len(s_shape) > 1 else 1}) at non-singleton dimension 0.  Target sizes: "
                  f"{fmt_shape(shape)}.  Tensor sizes: {fmt_shape(s_shape)}")
    return shape


def _addr_meta(self, vec1, vec2, *, beta=1, alpha=1):
    shape = _addr_check(self.shape, vec1.shape, vec2.shape)
    return fake_like(shape, promote(self, vec1, vec2), self)


def _addr_kernel(xp, self, vec1, vec2, *, beta=1, alpha=1):
    _addr_check(self.shape, vec1.shape, vec2.shape)
    d = promote(self, vec1, vec2)
    npd = d.numpy_dtype
    outer = xp.multiply.outer(vec1.astype(npd), vec2.astype(npd)) if d is not dt.bool else \
        xp.logical_and.outer(vec1, vec2)
    return out_array(xp, _scaled_sum(xp, self.astype(npd), outer, beta, alpha, d), d)


def _addr_decomp(self, vec1, vec2, *, beta=1, alpha=1):
    # torch's order: beta * self (expanded), the outer product by broadcasting, times alpha, then the sum
    outer_shape = [vec1.shape[0], vec2.shape[0]]
    if self.dtype is dt.bool and vec1.dtype is dt.bool and vec2.dtype is dt.bool:
        outer = aten.logical_and.default(aten.view.default(vec1, [vec1.shape[0], 1]), vec2)
        scaled = outer if alpha else aten.zeros_like.default(outer)
        return scaled if not beta else aten.logical_or.default(aten.expand.default(self, outer_shape), scaled)
    if beta == 0:
        return aten.mul.Tensor(aten.mul.Tensor(aten.view.default(vec1, [vec1.shape[0], 1]), vec2), alpha)
    scaled_self = aten.mul.Tensor(aten.expand.default(self, outer_shape), beta)
    outer = aten.mul.Tensor(aten.view.default(vec1, [vec1.shape[0], 1]), vec2)
    return aten.add.Tensor(scaled_self, aten.mul.Tensor(outer, alpha))


# --------------------------------------------------------------- addbmm --
def _addbmm_check(s_shape, b1, b2, dtypes):
    check(len(b1) == 3, lambda: "batch1 must be a 3D tensor")
    check(len(b2) == 3, lambda: "batch2 must be a 3D tensor")
    check(b1[0] == b2[0], lambda: f"batch1 and batch2 must have same number of batches, got {b1[0]} and {b2[0]}")
    check(b1[2] == b2[1], lambda: f"Incompatible matrix sizes for bmm ({b1[1]}x{b1[2]} and {b2[1]}x{b2[2]})")
    shape = (b1[1], b2[2])
    check(broadcast_shapes(s_shape, shape, op="addbmm") == shape,
          lambda: f"The expanded size of the tensor does not match: self {fmt_shape(s_shape)} "
                  f"to {fmt_shape(shape)}")
    check(dtypes[1] == dtypes[2], lambda: f"expected scalar type {torch_type_name(dtypes[1])} but found "
                                          f"{torch_type_name(dtypes[2])}")
    return shape


def _addbmm_meta(self, batch1, batch2, *, beta=1, alpha=1):
    shape = _addbmm_check(self.shape, batch1.shape, batch2.shape, (self.dtype, batch1.dtype, batch2.dtype))
    return fake_like(shape, batch1.dtype, batch1)


def _addbmm_kernel(xp, self, batch1, batch2, *, beta=1, alpha=1):
    d = dtype_of(batch1)
    shape = _addbmm_check(self.shape, batch1.shape, batch2.shape, (dtype_of(self), d, dtype_of(batch2)))
    if d is dt.bool:
        prod = xp.matmul(batch1.astype(np.int64), batch2.astype(np.int64)).sum(axis=0) != 0
    elif batch1.shape[0] == 0:
        prod = xp.zeros(shape, dtype=d.numpy_dtype)
    else:
        # sum over the batch as one GEMM: (n, b*k) @ (b*k, p)
        b, n, k = batch1.shape
        prod = xp.matmul(batch1.transpose(1, 0, 2).reshape(n, b * k), batch2.reshape(b * k, shape[1]))
    return out_array(xp, _scaled_sum(xp, self, prod, beta, alpha, d), d)


# ---------------------------------------------------------- tensordot --
def _tensordot_shape(a, b, dims_a, dims_b):
    check(len(dims_a) == len(dims_b), "both dimension lists should have same length")
    da = [d % len(a) if len(a) else d for d in dims_a]
    db = [d % len(b) if len(b) else d for d in dims_b]
    for x, y in zip(da, db):
        check(a[x] == b[y] or a[x] == 1 or b[y] == 1,
              lambda: f"contracted dimensions need to match, but first has size {a[x]} in dim {x} and second "
                      f"has size {b[y]} in dim {y}")
    return da, db, tuple(s for i, s in enumerate(a) if i not in da) + tuple(s for i, s in enumerate(b) if i not in db)


def _tensordot_dtypes(a, b):
    check(a == b, "both inputs should have same dtype")


def _tensordot_meta(self, other, dims_self, dims_other):
    _tensordot_dtypes(self.dtype, other.dtype)
    shape = _tensordot_shape(self.shape, other.shape, dims_self, dims_other)[2]
    return fake_like(shape, self.dtype, self)


def _tensordot_kernel(xp, self, other, dims_self, dims_other):
    d = dtype_of(self)
    _tensordot_dtypes(d, dtype_of(other))
    da, db, _ = _tensordot_shape(self.shape, other.shape, dims_self, dims_other)
    # a size-1 contracted dim against a longer one broadcasts (torch sums the other side over it)
    for x, y in zip(da, db):
        if self.shape[x] != other.shape[y]:
            if self.shape[x] == 1:
                self = xp.broadcast_to(self, self.shape[:x] + (other.shape[y],) + self.shape[x + 1:])
            else:
                other = xp.broadcast_to(other, other.shape[:y] + (self.shape[x],) + other.shape[y + 1:])
    if d is dt.bool:
        r = xp.tensordot(self.astype(np.int64), other.astype(np.int64), axes=(da, db)) != 0
    else:
        r = xp.tensordot(self, other, axes=(da, db))
    return out_array(xp, r, d)


def _tensordot_decomp(self, other, dims_self, dims_other):
    da, db, shape = _tensordot_shape(self.shape, other.shape, dims_self, dims_other)
    # a size-1 contracted dim against a longer one is expanded to it first
    sa, sb = list(self.shape), list(other.shape)
    for x, y in zip(da, db):
        sa[x] = sb[y] = max(sa[x], sb[y])
    if sa != list(self.shape):
        self = aten.expand.default(self, sa)
    if sb != list(other.shape):
        other = aten.expand.default(other, sb)
    free_a = [i for i in range(self.ndim) if i not in da]
    free_b = [i for i in range(other.ndim) if i not in db]
    k = shape_numel([self.shape[i] for i in da])
    m = shape_numel([self.shape[i] for i in free_a])
    n = shape_numel([other.shape[i] for i in free_b])
    a2 = aten.reshape.default(aten.permute.default(self, free_a + da), [m, k])
    b2 = aten.reshape.default(aten.permute.default(other, db + free_b), [k, n])
    return aten.view.default(aten.mm.default(a2, b2), list(shape))


# ---------------------------------------------------------------- inner --
def _inner_check(a, b):
    if len(a) and len(b):
        check(a[-1] == b[-1], lambda: f"inner() the last dimension must match on both input tensors but got "
                                      f"shapes {fmt_shape(a)} and {fmt_shape(b)}")


def _inner_meta(self, other):
    if self.ndim == 0 or other.ndim == 0:
        return aten.mul.Tensor.meta(self, other)
    _inner_check(self.shape, other.shape)
    return _tensordot_meta(self, other, [-1], [-1])


def _inner_kernel(xp, self, other):
    if self.ndim == 0 or other.ndim == 0:
        return aten.mul.Tensor.kernel(xp, self, other)
    _inner_check(self.shape, other.shape)
    return _tensordot_kernel(xp, self, other, [-1], [-1])


def _inner_decomp(self, other):
    if self.ndim == 0 or other.ndim == 0:
        return aten.mul.Tensor(self, other)
    return _tensordot_decomp(self, other, [self.ndim - 1], [other.ndim - 1])


# -------------------------------------------------- allclose and equal --
def _allclose_kernel(xp, self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    d, o = dtype_of(self), dtype_of(other)
    check(d == o, lambda: f"{torch_type_name(d)} did not match {torch_type_name(o)}")
    broadcast_shapes(self.shape, other.shape, op="allclose")
    a = self.astype(np.float64) if d is not dt.float64 else self
    b = other.astype(np.float64) if o is not dt.float64 else other
    return bool(xp.all(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def _equal_kernel(xp, self, other):
    return bool(self.shape == other.shape and xp.array_equal(self, other))


# ------------------------------------------------------------- registry --
for _name, _what in (("dot", "dot"), ("vdot", "vdot")):
    _m, _k, _d = _dot_family(_what)
    _arg = "tensor" if _name == "dot" else "other"
    register(f"{_name}(Tensor self, Tensor {_arg}) -> Tensor", meta=_m, kernel=_k, decomposition=_d,
             variants=FUNCTION_AND_METHOD)
register("mv(Tensor self, Tensor vec) -> Tensor", meta=_mv_meta, kernel=_mv_kernel, decomposition=_mv_decomp,
         variants=FUNCTION_AND_METHOD)
_addmv = register("addmv(Tensor self, Tensor mat, Tensor vec, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
                  meta=_addmv_meta, kernel=_addmv_kernel, variants=FUNCTION_AND_METHOD)
register_inplace(_addmv, "addmv_(Tensor(a!) self, Tensor mat, Tensor vec, *, Scalar beta=1, Scalar alpha=1) "
                 "-> Tensor(a!)", variants=FUNCTION_AND_METHOD)
_addr = register("addr(Tensor self, Tensor vec1, Tensor vec2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
                 meta=_addr_meta, kernel=_addr_kernel, decomposition=_addr_decomp, variants=FUNCTION_AND_METHOD)
register_inplace(_addr, "addr_(Tensor(a!) self, Tensor vec1, Tensor vec2, *, Scalar beta=1, Scalar alpha=1) "
                 "-> Tensor(a!)")
_addbmm = register("addbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
                   meta=_addbmm_meta, kernel=_addbmm_kernel, variants=FUNCTION_AND_METHOD)
register_inplace(_addbmm, "addbmm_(Tensor(a!) self, Tensor batch1, Tensor batch2, *, Scalar beta=1, "
                 "Scalar alpha=1) -> Tensor(a!)")
register("inner(Tensor self, Tensor other) -> Tensor", meta=_inner_meta, kernel=_inner_kernel,
         decomposition=_inner_decomp, variants=FUNCTION_AND_METHOD)
register("tensordot(Tensor self, Tensor other, int[] dims_self, int[] dims_other) -> Tensor",
         meta=_tensordot_meta, kernel=_tensordot_kernel, decomposition=_tensordot_decomp, variants=_FN)
# a bool result is a data-dependent value: no meta, so a trace refuses them (as torch.export does)
register("allclose(Tensor self, Tensor other, float rtol=1.0000000000000001e-05, float atol=1e-08, "
         "bool equal_nan=False) -> bool", meta=None, kernel=_allclose_kernel, variants=FUNCTION_AND_METHOD)
register("equal(Tensor self, Tensor other) -> bool", meta=None, kernel=_equal_kernel, variants=FUNCTION_AND_METHOD)
