"""Matrix products: mm, bmm, matmul (every broadcasting case), addmm, baddbmm, linear."""
from .. import dtypes as dt
from .._tensor import Size, make_fake, shape_numel, sure
from ..runtime import buffers
from ._common import (broadcast_shapes, check, dtype_of, fake_like, fmt_shape, out_array, static_operands,
                      torch_type_name)
from ._registry import FUNCTION_AND_METHOD, aten, register



def _same_dtype(a, b, what):
    check(a == b, lambda: f"{what}: expected m1 and m2 to have the same dtype, but got: "
                          f"{a.name} != {b.name}")


def _mm_shape(a, b):
    if len(a) == 2 and len(b) == 2 and a[1] == b[0]:
        return (a[0], b[1])
    check(len(a) == 2, lambda: f"self must be a matrix (mm got a {len(a)}-D tensor)")
    check(len(b) == 2, lambda: f"mat2 must be a matrix (mm got a {len(b)}-D tensor)")
    check(a[1] == b[0], lambda: f"mat1 and mat2 shapes cannot be multiplied "
                                f"({a[0]}x{a[1]} and {b[0]}x{b[1]})")
    return (a[0], b[1])


def _bmm_shape(a, b):
    check(len(a) == 3, lambda: f"batch1 must be a 3D tensor (bmm got {len(a)}-D)")
    check(len(b) == 3, lambda: f"batch2 must be a 3D tensor (bmm got {len(b)}-D)")
    check(a[0] == b[0] and a[2] == b[1],
          lambda: f"bmm: Expected size for first two dimensions of batch2 tensor to be: "
                  f"[{a[0]}, {a[2]}] but got: [{b[0]}, {b[1]}].")
    return (a[0], a[1], b[2])


def matmul_shape(a, b):
    """Result shape of torch.matmul for operand shapes a and b (torch's rules and errors)."""
    if len(a) == 2 and len(b) == 2 and a[1] == b[0]:
        return (a[0], b[1])
    check(len(a) > 0 and len(b) > 0,
          lambda: f"both arguments to matmul need to be at least 1D, but they are "
                  f"{len(a)}D and {len(b)}D")
    if len(a) == 1 and len(b) == 1:
        check(a[0] == b[0], lambda: f"inconsistent tensor size, expected tensor [{a[0]}] and src "
                                    f"[{b[0]}] to have the same number of elements, but got "
                                    f"{a[0]} and {b[0]} elements respectively")
        return ()
    a2 = (1,) + tuple(a) if len(a) == 1 else tuple(a)
    b2 = tuple(b) + (1,) if len(b) == 1 else tuple(b)
    check(a2[-1] == b2[-2], lambda: f"mat1 and mat2 shapes cannot be multiplied "
                                    f"({'x'.join(map(str, a2[-2:]))} and "
                                    f"{'x'.join(map(str, b2[-2:]))})")
    batch = broadcast_shapes(a2[:-2], b2[:-2], op="matmul")
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def _mm_meta(self, mat2):
    _same_dtype(self.dtype, mat2.dtype, "mm")
    return fake_like(_mm_shape(self.shape, mat2.shape), self.dtype, self)


def _product(xp, a, b, shape_fn, what):
    """a @ b for same-dtype operands; the nice error comes from `shape_fn` when NumPy refuses."""
    if a.dtype != b.dtype:
        _same_dtype(dtype_of(a), dtype_of(b), what)
    shape_fn(a.shape, b.shape)  # cheap for the ranks it accepts; raises torch's errors
    return _matmul(xp, a, b)


def _matmul(xp, a, b):
    """a @ b for same-dtype operands; a product of matrices (or of equal stacks of them) is written into
    a buffer from the running graph's pool (runtime/buffers.py), so a module run again reuses its memory."""
    # (two matrices are sized first: a small product, the common case at batch 1, pays almost nothing more)
    if a.ndim == 2 == b.ndim:
        pooled = a.shape[0] * b.shape[1] * a.itemsize >= buffers.MIN_BYTES
    else:
        pooled = a.ndim == b.ndim > 2 and a.shape[:-2] == b.shape[:-2]
    if pooled:
        out = buffers.recycled(xp, a.shape[:-1] + b.shape[-1:], a.dtype)
        if out is not None:
            return xp.matmul(a, b, out=out)
    return xp.matmul(a, b)


def _mm_kernel(xp, self, mat2):
    return _product(xp, self, mat2, _mm_shape, "mm")


def _bmm_meta(self, mat2):
    _same_dtype(self.dtype, mat2.dtype, "bmm")
    return fake_like(_bmm_shape(self.shape, mat2.shape), self.dtype, self)


def _bmm_kernel(xp, self, mat2):
    return _product(xp, self, mat2, _bmm_shape, "bmm")


def _matmul_meta(self, other):
    _same_dtype(self.dtype, other.dtype, "matmul")
    return fake_like(matmul_shape(self.shape, other.shape), self.dtype, self)


def _matmul_kernel(xp, self, other):
    if self.ndim > 2 and other.ndim == 2 and self.dtype == other.dtype and self.shape[-1] == other.shape[0]:
        return _rows_times(xp, self, other)
    r = _product(xp, self, other, matmul_shape, "matmul")
    return r if self.ndim > 1 or other.ndim > 1 else xp.asarray(r)


def _addmm_meta(self, mat1, mat2, *, beta=1, alpha=1):
    shape = _mm_shape(mat1.shape, mat2.shape)
    broadcast_shapes(self.shape, shape, op="addmm")
    _same_dtype(mat1.dtype, mat2.dtype, "addmm")
    return fake_like(shape, mat1.dtype, mat1)


def _scalars_for(dtype, beta, alpha):
    """(beta, alpha) as torch applies them: truncated to integers for an integral product."""
    if dtype.is_floating_point or dtype == dt.bool:
        return beta, alpha
    return int(beta), int(alpha)


def _scaled_sum(xp, self, prod, beta, alpha):
    """beta * self + alpha * prod, where prod is a fresh product: the sum is written into it
    when self broadcasts to its shape and dtype (addmm's bias, as linear decomposes)."""
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return xp.broadcast_to(prod, prod.shape).copy()
    other = self if beta == 1 else self * beta
    if xp.result_type(prod, other) == prod.dtype and broadcast_shapes(prod.shape, other.shape) == tuple(prod.shape):
        prod += other
        return prod
    return prod + other


def _addmm_kernel(xp, self, mat1, mat2, *, beta=1, alpha=1):
    shape = _mm_shape(mat1.shape, mat2.shape)
    check(broadcast_shapes(self.shape, shape, op="addmm") == shape,
          lambda: f"addmm: self of shape {fmt_shape(self.shape)} does not broadcast to {fmt_shape(shape)}")
    beta, alpha = _scalars_for(dtype_of(mat1), beta, alpha)
    return out_array(xp, _scaled_sum(xp, self, _matmul(xp, mat1, mat2), beta, alpha), dtype_of(mat1))


def _baddbmm_meta(self, batch1, batch2, *, beta=1, alpha=1):
    shape = _bmm_shape(batch1.shape, batch2.shape)
    broadcast_shapes(self.shape, shape, op="baddbmm")
    return fake_like(shape, batch1.dtype, batch1)


def _baddbmm_kernel(xp, self, batch1, batch2, *, beta=1, alpha=1):
    _bmm_shape(batch1.shape, batch2.shape)
    beta, alpha = _scalars_for(dtype_of(batch1), beta, alpha)
    return out_array(xp, _scaled_sum(xp, self, _matmul(xp, batch1, batch2), beta, alpha),
                     dtype_of(batch1))


def _linear_shape(inp, weight, bias):
    check(len(weight) in (1, 2), lambda: f"linear: weight must be 1-D or 2-D, got {len(weight)}-D")
    k = weight[-1]
    check(len(inp) >= 1 and inp[-1] == k,
          lambda: f"mat1 and mat2 shapes cannot be multiplied "
                  f"({'x'.join(map(str, (_rows(inp), inp[-1] if inp else 1)))} and "
                  f"{k}x{weight[0] if len(weight) == 2 else 1})")
    out = tuple(inp[:-1]) + ((weight[0],) if len(weight) == 2 else ())
    if bias is not None:
        broadcast_shapes(bias, out, op="linear")
    return out


def _bias_dtype(bias, input):
    """linear's bias has the input's dtype (torch's addmm check, in its words: bias is `self`)."""
    check(bias == input, lambda: f"self and mat2 must have the same dtype, but got {torch_type_name(bias)} and "
                                 f"{torch_type_name(input)}")


def _rows(shape):
    n = 1
    for s in shape[:-1]:
        n *= s
    return n


def _linear_meta(input, weight, bias=None):
    shape = _static_linear_shape(input, weight, bias)
    if shape is not None:
        return make_fake(shape, input._dtype, input._device)
    _same_dtype(input.dtype, weight.dtype, "linear")
    if bias is not None:
        _bias_dtype(bias.dtype, input.dtype)
    shape = _linear_shape(input.shape, weight.shape, None if bias is None else bias.shape)
    return fake_like(shape, input.dtype, input)


def _static_linear_shape(input, weight, bias):
    """linear's output shape when the sizes linear checks are plain ints and every check passes, else None.

    Export re-derives each Linear twice (trace, verifier); for the common
    case (static, or a symbolic batch) this answers with a few comparisons and
    no error text, and anything else (a symbolic feature size, a mismatch)
    takes `_linear_shape`, which checks and words the error.
    """
    dtype = input._dtype
    if weight._dtype is not dtype or (bias is not None and bias._dtype is not dtype):
        return None
    # a fake's sizes read directly (what Tensor.shape returns for it, without the property's call)
    s = input._fake_shape if input._data is None else input.shape
    w = weight._fake_shape if weight._data is None else weight.shape
    if len(w) != 2 or not s:
        return None
    # unpacking, not indexing: a Size's [] runs Python (it keeps slices Sizes), its iteration does not
    *lead, inner = s
    out_features, in_features = w
    # only the last size meets the weight; leading ones (a dynamic batch) pass through unchecked
    if type(inner) is not int or type(out_features) is not int or type(in_features) is not int \
            or inner != in_features:
        return None
    if bias is not None:
        b = bias._fake_shape if bias._data is None else bias.shape
        if len(b) != 1:
            return None
        (bias_size,) = b
        if type(bias_size) is not int or bias_size != out_features:
            return None
    return Size((*lead, out_features))


def _linear_kernel(xp, input, weight, bias=None):
    if input.dtype != weight.dtype:
        _same_dtype(dtype_of(input), dtype_of(weight), "linear")
    if bias is not None and bias.dtype != input.dtype:
        _bias_dtype(dtype_of(bias), dtype_of(input))
    if not (weight.ndim == 2 and input.ndim >= 1 and input.shape[-1] == weight.shape[1]
            and (bias is None or bias.shape == weight.shape[:1])):
        _linear_shape(input.shape, weight.shape, None if bias is None else bias.shape)
    out = _rows_times(xp, input, weight.T)
    if bias is not None:
        out += bias
    return out if input.ndim > 1 else out_array(xp, out, dtype_of(input))


def _rows_times(xp, a, mat):
    """a @ mat for a 2-D `mat`: a [..., n, k] input is folded to [rows, k] so BLAS sees one
    GEMM instead of NumPy looping over the batch (a reshape is free for a contiguous input)."""
    if a.ndim <= 2 or mat.ndim != 2:
        return _matmul(xp, a, mat)
    lead = a.shape[:-1]
    return _matmul(xp, a.reshape(_rows(a.shape), a.shape[-1]), mat).reshape(lead + mat.shape[1:])


# ------------------------------------------------ decompositions to core ATen --
# linear and matmul decompose as torch's composite implementations do, call for call, so that a decomposed
# program holds torch's nodes: linear folds a contiguous input's batch into the rows of one addmm, else it is
# a matmul plus the bias; matmul is dot/mv/mm for 1-d and 2-d operands, folds a contiguous >= 3-d operand
# against a 1-d/2-d one into mm/mv, and otherwise broadcasts the batch dims and calls bmm.  Sizes are passed
# as computed (never -1), as torch passes them.
def _flattened_linear(input, weight, bias):
    """addmm over the input's batch folded into rows, viewed back to the batch shape."""
    lead = list(input.shape[:-1])
    rows = aten.reshape.default(input, [shape_numel(lead), input.shape[-1]])
    out = aten.addmm.default(bias, rows, aten.t.default(weight))
    return aten.view.default(out, lead + [out.shape[1]])


def _linear_decomp(input, weight, bias=None):
    if bias is not None:
        if input.ndim == 2:
            return aten.addmm.default(bias, input, aten.t.default(weight))
        if input.is_contiguous() and bias.ndim == 1 and bias.is_contiguous():
            return _flattened_linear(input, weight, bias)
    out = aten.matmul.default(input, aten.t.default(weight))
    return out if bias is None else aten.add.Tensor(out, bias)


def _matmul_folds(self, other):
    """Whether matmul folds the larger operand's leading dims into matrix rows (one mm or mv, no bmm), as
    torch's composite decides: one operand >= 3-d against a 1-d or 2-d other, self not a 2-d matrix; a
    batch on the right always folds (transposed, copied when it must be), a batch on the left only when its
    leading dims merge without a copy (an empty one always).  (torch also folds when the smaller operand
    requires grad; run_decompositions traces without grad, so that never applies.)"""
    a, b = self.ndim, other.ndim
    if max(a, b) < 3 or min(a, b) > 2 or a == 2:
        return False
    if a < b or sure(self.numel() == 0, False):
        return True
    shape, strides = self.shape, self.stride()
    return all(sure(strides[i] == strides[i + 1] * shape[i + 1], False) for i in range(a - 2))


def _folded_matmul(self, other):
    """The larger operand's batch folded into matrix rows: one mm (or mv), viewed back.  When other is the
    larger one, it is transposed and self (then 1-d, see `_matmul_folds`) multiplies it as a vector."""
    transpose = other.ndim > self.ndim
    big = aten.transpose.int(other, -2, -1) if transpose else self
    small = self if transpose else other
    out_shape = list(big.shape[:-1])
    rows = aten.reshape.default(big, [shape_numel(out_shape), big.shape[-1]])
    if small.ndim == 2:
        return aten._unsafe_view.default(aten.mm.default(rows, small), out_shape + [small.shape[1]])
    return aten._unsafe_view.default(aten.mv.default(rows, small), out_shape)


def _batched_matmul(self, other):
    """Both operands expanded to the broadcast batch and reshaped to 3-d, one bmm, viewed to the result."""
    a, b = self.ndim, other.ndim
    n, k = (self.shape[-2] if a > 1 else 1), self.shape[-1]
    m, p = (other.shape[-2] if b > 1 else other.shape[-1]), (other.shape[-1] if b > 1 else 1)
    batch = list(broadcast_shapes(tuple(self.shape[:-2]), tuple(other.shape[:-2]), op="matmul"))
    count = shape_numel(batch)
    lhs = aten.reshape.default(aten.expand.default(self, batch + [n, k]), [count, n, k])
    if b == 1:
        rhs = aten.unsqueeze.default(aten.reshape.default(aten.expand.default(other, batch + [m]), [count, m]), 2)
    else:
        rhs = aten.reshape.default(aten.expand.default(other, batch + [m, p]), [count, m, p])
    out = aten.bmm.default(lhs, rhs)
    if b == 1:
        out = aten.squeeze.dim(out, -1)
    return aten.view.default(out, batch + ([n] if a > 1 else []) + ([p] if b > 1 else []))


# (self.ndim, other.ndim) -> the call for two operands of at most 2 dims
_SMALL_MATMUL = {
    (1, 1): lambda a, b: aten.dot.default(a, b),
    (2, 1): lambda a, b: aten.mv.default(a, b),
    (1, 2): lambda a, b: aten.squeeze.dim(aten.mm.default(aten.unsqueeze.default(a, 0), b), 0),
    (2, 2): lambda a, b: aten.mm.default(a, b),
}


def _matmul_decomp(self, other):
    small = _SMALL_MATMUL.get((self.ndim, other.ndim))
    if small is not None:
        return small(self, other)
    return (_folded_matmul if _matmul_folds(self, other) else _batched_matmul)(self, other)


def _baddbmm_decomp(self, batch1, batch2, *, beta=1, alpha=1):
    beta, alpha = _scalars_for(batch1.dtype, beta, alpha)
    prod = aten.bmm.default(batch1, batch2)
    if alpha != 1:
        prod = aten.mul.Tensor(prod, alpha)
    if beta == 0:
        return aten.clone.default(prod) if alpha == 1 else prod
    return aten.add.Tensor(prod, self if beta == 1 else aten.mul.Tensor(self, beta))


# `OpOverload.specialize` for mm, matmul and linear (the plan `ep.module()` runs): with same-dtype
# operands of static sizes the meta function has already done every check the kernel makes, and
# whether the product is large enough to come from the buffer pool is known ahead, so a call is the
# product (and linear's bias add) and nothing else.
def _pooled(rows, cols, dtype):
    return rows * cols * dtype.itemsize >= buffers.MIN_BYTES


def _product_specializer(args, kwargs, donating, strides_known=False):
    a, b = args[0], args[1]
    if kwargs or not static_operands(a, b) or a.ndim not in (1, 2) or b.ndim != 2:
        return None
    pooled = a.ndim == 2 and _pooled(a.shape[0], b.shape[1], a.dtype)
    return (_pooled_matmul if pooled else _plain_matmul), args


def _plain_matmul(xp, a, b):
    return xp.matmul(a, b)


def _pooled_matmul(xp, a, b):
    return xp.matmul(a, b, out=buffers.recycled(xp, (a.shape[0], b.shape[1]), a.dtype))


def _linear_specializer(args, kwargs, donating, strides_known=False):
    input, weight, bias = (tuple(args) + (None,))[:3]
    if kwargs or len(args) > 3 or not static_operands(input, weight, bias) or input.ndim < 2 \
            or weight.ndim != 2 or (bias is not None and bias.ndim != 1):
        return None
    lead = tuple(input.shape[:-1])
    rows, cols = _rows(input.shape), weight.shape[0]
    product = _pooled_matmul if _pooled(rows, cols, input.dtype) else _plain_matmul

    if len(lead) == 1:
        def kernel(xp, input, weight, bias=None):
            out = product(xp, input, weight.T)
            if bias is not None:
                out += bias
            return out
    else:
        def kernel(xp, input, weight, bias=None):
            out = product(xp, input.reshape(rows, input.shape[-1]), weight.T)
            if bias is not None:
                out += bias
            return out.reshape(lead + (cols,))
    return kernel, args


# ------------------------------------------------------------- registry --
register("mm(Tensor self, Tensor mat2) -> Tensor", meta=_mm_meta, kernel=_mm_kernel, tags=("core",),
         variants=FUNCTION_AND_METHOD).specialize = _product_specializer
register("bmm(Tensor self, Tensor mat2) -> Tensor", meta=_bmm_meta, kernel=_bmm_kernel, tags=("core",),
         variants=FUNCTION_AND_METHOD)
register("matmul(Tensor self, Tensor other) -> Tensor", meta=_matmul_meta, kernel=_matmul_kernel,
         variants=FUNCTION_AND_METHOD, decomposition=_matmul_decomp).specialize = _product_specializer
register("addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
         meta=_addmm_meta, kernel=_addmm_kernel, tags=("core",), variants=FUNCTION_AND_METHOD)
register("baddbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
         meta=_baddbmm_meta, kernel=_baddbmm_kernel, variants=FUNCTION_AND_METHOD, decomposition=_baddbmm_decomp)
register("linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor",
         meta=_linear_meta, kernel=_linear_kernel, decomposition=_linear_decomp).specialize = _linear_specializer
