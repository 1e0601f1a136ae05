"""ATen ops torch exposes publicly but minexport had only as internals, or not at all: the complex-number
ops on real tensors (conj_physical, resolve_conj, real, imag, angle, mH, matrix_H), the copying twins of
views (split_with_sizes_copy, unfold_copy, as_strided_copy), the "unsafe" splits, sum_to_size, the
strided/permuted empty factories and two backward ops (native_dropout_backward, _softmax_backward_data).

minexport has no complex dtypes, so on every tensor it can hold these complex ops are what torch's are on
a real tensor: conjugation and the real part are the tensor itself, the imaginary part is refused, the
angle is 0 or pi.  Each op decomposes as torch's run_decompositions() does.
"""
import math

from .. import dtypes as dt
from .._tensor import make_fake, shape_numel
from ._common import (check, copy_array, dtype_of, empty_strided_array, fake_like, fmt_shape, promote,
                      torch_type_name, wrap_dim)
from ._registry import FUNCTION_AND_METHOD, aten, register
from .pointwise import int_to_float, same, unary
from .shape import split_sizes
from .shape_extra import composite

_FN = ("function",)


# ------------------------------------------------- complex ops on real tensors --
def _itself(self):
    """The decomposition of an op that is the identity on real tensors: torch's leaves no node."""
    return self


_ALIAS = aten.alias.default
for _schema, _variants in (("resolve_conj(Tensor(a) self) -> Tensor(a)", FUNCTION_AND_METHOD),
                           ("resolve_neg(Tensor(a) self) -> Tensor(a)", FUNCTION_AND_METHOD),
                           ("real(Tensor(a) self) -> Tensor(a)", _FN)):
    register(_schema, meta=_ALIAS.meta, kernel=_ALIAS.kernel, tags=("view",), variants=_variants,
             view=_ALIAS.view, decomposition=_itself)


def _imag_refused(self, *args):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


# every minexport dtype is real: torch refuses imag() on all of them
register("imag(Tensor(a) self) -> Tensor(a)", meta=_imag_refused, kernel=lambda xp, self: _imag_refused(self),
         tags=("view",), variants=_FN, view=_ALIAS.view)

unary("conj_physical(Tensor self) -> Tensor", lambda xp, a: a.copy(), same,
      "conj_physical_(Tensor(a!) self) -> Tensor(a!)", variants=FUNCTION_AND_METHOD,
      inplace_variants=FUNCTION_AND_METHOD, decomposition=_itself)


def _angle(xp, a):
    # the argument of a real number: pi for negatives, 0 otherwise (-0.0 included); NaN stays NaN
    return xp.where(xp.isnan(a), a, xp.where(a < 0, a.dtype.type(math.pi), a.dtype.type(0)))


unary("angle(Tensor self) -> Tensor", _angle, int_to_float, variants=FUNCTION_AND_METHOD)


# -------------------------------------------------- conjugate transposes --
_MT = aten.mT.default


def _conjugate_transpose(schema, message, ndim_ok):
    """A conjugate transpose: on real tensors mT's view (and decomposition), refused where torch refuses;
    a 0-d tensor is its own transpose (an alias)."""
    def target(self):
        n = len(self.shape)
        check(ndim_ok(n), lambda: message.format(n))
        return _MT if n else _ALIAS

    def meta(self):
        return target(self).meta(self)

    def kernel(xp, self):
        return target(self).kernel(xp, self)

    def decomposition(self):
        return _MT.decomposition(self) if target(self) is _MT else _ALIAS(self)

    return register(schema, meta=meta, kernel=kernel, tags=("view",), variants=("method",) if "mH" in schema
                    else (), view=_MT.view, decomposition=decomposition)


_conjugate_transpose("mH(Tensor(a) self) -> Tensor(a)",
                     "tensor.mH is only supported on matrices or batches of matrices. Got {}-D tensor.",
                     lambda n: n != 1)
_conjugate_transpose("matrix_H(Tensor(a) self) -> Tensor(a)",
                     "tensor.H is only supported on matrices (2-D tensors). Got {}-D tensor. For batches of "
                     "matrices, consider using tensor.mH", lambda n: n in (0, 2))


# ------------------------------------------------------------- sum_to_size --
def _reduced_dims(shape, size):
    """The dims of `shape` summed to reach `size` (torch's sum_to rule: leading dims, and dims of size 1)."""
    size = tuple(size)
    lead = len(shape) - len(size)
    ok = lead >= 0 and all(s == 1 or s == n for s, n in zip(size, shape[lead:]))
    check(ok, lambda: f"size {{{fmt_shape(size)}}} is not expandable to size {{{fmt_shape(shape)}}}.")
    return list(range(lead)), [lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1]


def _sum_to_size_decomp(self, size):
    lead, ones = _reduced_dims(tuple(self.shape), size)
    if not lead and not ones:
        return self
    out = aten.sum.dim_IntList(self, lead + ones, True)
    return aten.view.default(out, list(size)) if lead else out


def _sum_to_size_kernel(xp, self, size):
    lead, ones = _reduced_dims(self.shape, size)
    if not lead and not ones:
        return self
    out = xp.sum(self, axis=tuple(lead + ones), keepdims=True, dtype=self.dtype if self.dtype != bool else None)
    return out.reshape(tuple(size))


composite("sum_to_size(Tensor self, SymInt[] size) -> Tensor", _sum_to_size_kernel, _sum_to_size_decomp,
          variants=("method",))


# ------------------------------------------------------ splits that copy --
def _chunk_pieces(size, chunks):
    check(chunks > 0, lambda: f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if size == 0:            # an empty dim gives `chunks` empty pieces
        return [0] * chunks
    step = (size + chunks - 1) // chunks
    return split_sizes(size, step)


def _split_decomp(pieces):
    def decomp(self, arg, dim=0):
        d = wrap_dim(dim, self.ndim)
        return aten.split_with_sizes.default(self, pieces(self.shape[d], arg), d)
    return decomp


def _split_kernel(pieces):
    # torch's unsafe splits return the pieces without alias tracking: the same views as split's
    def kernel(xp, self, arg, dim=0):
        d = wrap_dim(dim, self.ndim)
        return aten.split_with_sizes.default.kernel(xp, self, pieces(self.shape[d], arg), d)
    return kernel


composite("unsafe_chunk(Tensor self, int chunks, int dim=0) -> Tensor[]", _split_kernel(_chunk_pieces),
          _split_decomp(_chunk_pieces), variants=FUNCTION_AND_METHOD)
composite("unsafe_split.Tensor(Tensor self, SymInt split_size, int dim=0) -> Tensor[]", _split_kernel(split_sizes),
          _split_decomp(split_sizes), variants=FUNCTION_AND_METHOD)


# -------------------------------------------------- copying twins of views --
def _copies(view_op):
    """meta and kernel of `<view>_copy`: the view's values, in fresh contiguous tensors."""
    def meta(self, *args, **kwargs):
        out = view_op.meta(self, *args, **kwargs)
        if isinstance(out, list):
            return [fake_like(t.shape, t.dtype, self) for t in out]
        return fake_like(out.shape, out.dtype, self)

    def kernel(xp, self, *args, **kwargs):
        out = view_op.kernel(xp, self, *args, **kwargs)
        if isinstance(out, list):
            return [copy_array(xp, a) for a in out]
        return copy_array(xp, out)
    return meta, kernel


def _split_with_sizes_copy_decomp(self, split_sizes, dim=0):
    return [aten.clone.default(t) for t in aten.split_with_sizes.default(self, split_sizes, dim)]


def _unfold_copy_decomp(self, dimension, size, step):
    return aten.clone.default(aten.unfold.default(self, dimension, size, step))


_meta, _kernel = _copies(aten.split_with_sizes.default)
register("split_with_sizes_copy(Tensor self, SymInt[] split_sizes, int dim=0) -> Tensor[]", meta=_meta,
         kernel=_kernel, variants=_FN, decomposition=_split_with_sizes_copy_decomp)
_meta, _kernel = _copies(aten.unfold.default)
register("unfold_copy(Tensor self, int dimension, int size, int step) -> Tensor", meta=_meta, kernel=_kernel,
         variants=_FN, decomposition=_unfold_copy_decomp)
# kept whole by run_decompositions(), as torch keeps it
_meta, _kernel = _copies(aten.as_strided.default)
register("as_strided_copy(Tensor self, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None) -> Tensor",
         meta=_meta, kernel=_kernel, variants=_FN)


# ------------------------------------------------- strided empty factories --
_FACTORY_KW = "ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None"


def _strided_check(size, stride):
    check(len(size) == len(stride), lambda: "mismatch in length of strides and shape")
    return tuple(size), tuple(stride)


def _new_empty_strided_meta(self, size, stride, *, dtype=None, layout=None, device=None, pin_memory=None):
    size, stride = _strided_check(size, stride)
    return make_fake(size, dtype or self.dtype, device if device is not None else self.device, strides=stride)


def _new_empty_strided_kernel(xp, self, size, stride, *, dtype=None, layout=None, device=None, pin_memory=None):
    size, stride = _strided_check(size, stride)
    return empty_strided_array(xp, size, stride, (dtype or dtype_of(self)).numpy_dtype)


register(f"new_empty_strided(Tensor self, SymInt[] size, SymInt[] stride, *, {_FACTORY_KW}) -> Tensor",
         meta=_new_empty_strided_meta, kernel=_new_empty_strided_kernel, tags=("factory",), variants=("method",))


def _permuted_strides(size, physical_layout):
    """Strides of a dense tensor of `size` whose dims lie in memory in the order `physical_layout`
    (outermost first)."""
    n = len(size)
    check(len(physical_layout) == n and sorted(wrap_dim(p, n) if n else p for p in physical_layout) == list(range(n)),
          lambda: f"Number of dimensions in size does not match the length of the physical_layout; "
                  f"physical_layout={fmt_shape(physical_layout)} is not a permutation of the dims of "
                  f"size={fmt_shape(size)}")
    strides, step = [0] * n, 1
    for p in reversed(physical_layout):
        strides[p] = step
        step *= max(size[p], 1)
    return tuple(strides)


def _empty_permuted_meta(size, physical_layout, *, dtype=None, layout=None, device=None, pin_memory=None):
    return make_fake(tuple(size), dtype or dt.get_default_dtype(), device,
                     strides=_permuted_strides(tuple(size), physical_layout))


def _empty_permuted_kernel(xp, size, physical_layout, *, dtype=None, layout=None, device=None, pin_memory=None):
    return empty_strided_array(xp, tuple(size), _permuted_strides(tuple(size), physical_layout),
                               (dtype or dt.get_default_dtype()).numpy_dtype)


register(f"empty_permuted(SymInt[] size, int[] physical_layout, *, {_FACTORY_KW}) -> Tensor",
         meta=_empty_permuted_meta, kernel=_empty_permuted_kernel, tags=("factory",), variants=_FN)


# ------------------------------------------------------------ backward ops --
def _dropout_backward_meta(grad_output, mask, scale):
    # an integer grad times the float scale promotes, as torch's mul does
    return fake_like(grad_output.shape, promote(grad_output, float(scale)), grad_output)


def _dropout_backward_kernel(xp, grad_output, mask, scale):
    _dropout_backward_meta(grad_output, mask, scale)
    npd = promote(grad_output, float(scale)).numpy_dtype
    scaled = mask.astype(dtype_of(grad_output).numpy_dtype).astype(npd) * npd.type(scale)
    return (grad_output.astype(npd) * scaled).astype(npd)


def _dropout_backward_decomp(grad_output, mask, scale):
    # torch's: grad times (the mask in grad's dtype times scale), as a fresh tensor
    m = aten._to_copy.default(mask, dtype=grad_output.dtype)
    return aten.clone.default(aten.mul.Tensor(grad_output, aten.mul.Tensor(m, scale)))


register("native_dropout_backward(Tensor grad_output, Tensor mask, float scale) -> Tensor",
         meta=_dropout_backward_meta, kernel=_dropout_backward_kernel, tags=("pointwise",),
         decomposition=_dropout_backward_decomp)


def _softmax_backward_meta(grad_output, output, dim, input_dtype):
    wrap_dim(dim, len(output.shape))
    return fake_like(grad_output.shape, input_dtype, grad_output)


def _softmax_backward_kernel(xp, grad_output, output, dim, input_dtype):
    d = wrap_dim(dim, output.ndim) if output.ndim else None
    go = grad_output * output
    out = go - output * xp.sum(go, axis=d, keepdims=True)
    return out.astype(input_dtype.numpy_dtype)


def _softmax_backward_decomp(grad_output, output, dim, input_dtype):
    # torch's: grad * y - y * sum(grad * y, dim), then cast to the input dtype when it differs
    go = aten.mul.Tensor(grad_output, output)
    out = aten.sub.Tensor(go, aten.mul.Tensor(output, aten.sum.dim_IntList(go, [dim], True)))
    return out if out.dtype is input_dtype else aten._to_copy.default(out, dtype=input_dtype)


register("_softmax_backward_data(Tensor grad_output, Tensor output, int dim, ScalarType input_dtype) -> Tensor",
         meta=_softmax_backward_meta, kernel=_softmax_backward_kernel, variants=_FN,
         decomposition=_softmax_backward_decomp)


# --------------------------------------------------------------- _chunk_cat --
def _chunk_cat_dim(shapes, dtypes, dim, num_chunks):
    """The dim _chunk_cat splits, after torch's checks of its inputs."""
    check(num_chunks >= 1, "_chunk_cat expects positive num_chunks")
    check(len(shapes) > 0, "_chunk_cat expects a non-empty input tensor list")
    for shape, d in zip(shapes, dtypes):
        check(shape_numel(shape) > 0, "_chunk_cat expects non-empty tensor")
        check(d is dtypes[0], "_chunk_cat expects all input tensors with the same dtype")
    if all(len(s) == len(shapes[0]) for s in shapes):
        dim = wrap_dim(dim, len(shapes[0]))
    else:
        check(dim >= 0, "_chunk_cat expects non-negative dim when input tensors have different ndims")
        check(all(dim < len(s) for s in shapes), "_chunk_cat expects dim < ndim for all input tensors")
    check(all(tuple(s[:dim]) == tuple(shapes[0][:dim]) for s in shapes),
          "_chunk_cat expects same sizes of 0,...,dim-1 dimensions for all tensors")
    return dim


def _padded_size(size, num_chunks):
    return (size + num_chunks - 1) // num_chunks * num_chunks


def _chunk_cat_decomp(tensors, dim, num_chunks):
    # each tensor padded with zeros along dim to a multiple of num_chunks, viewed as (..., num_chunks, rest),
    # and all of them concatenated along the rest
    dim = _chunk_cat_dim([tuple(t.shape) for t in tensors], [t.dtype for t in tensors], dim, num_chunks)
    pieces = []
    for t in tensors:
        size = t.shape[dim]
        padded = _padded_size(size, num_chunks)
        if padded != size:
            t = aten.constant_pad_nd.default(t, [0] * 2 * (t.ndim - dim - 1) + [0, padded - size], 0)
        pieces.append(aten.view.default(t, list(t.shape[:dim]) + [num_chunks, -1]))
    return aten.cat.default(pieces, dim + 1)


def _chunk_cat_kernel(xp, tensors, dim, num_chunks):
    dim = _chunk_cat_dim([a.shape for a in tensors], [dtype_of(a) for a in tensors], dim, num_chunks)
    pieces = []
    for a in tensors:
        pad = [(0, 0)] * a.ndim
        pad[dim] = (0, _padded_size(a.shape[dim], num_chunks) - a.shape[dim])
        pieces.append(xp.pad(a, pad).reshape(a.shape[:dim] + (num_chunks, -1)))
    return xp.concatenate(pieces, axis=dim + 1)


composite("_chunk_cat(Tensor[] tensors, int dim, int num_chunks) -> Tensor", _chunk_cat_kernel, _chunk_cat_decomp,
          variants=_FN)


# ---------------------------------------------------- masked index (upsampling) --
def _masked_index_check(mask, indices):
    for index in indices:
        check(index is None or dtype_of(index) in (dt.int64, dt.int32),
              "tensors used as indices must be long or int tensors", IndexError)
    check(dtype_of(mask) is dt.bool, "tensors used as masks must be bool tensors")


def _unsafe_masked_index_decomp(self, mask, indices, fill):
    # indices clamped into range, gathered, and the masked-out positions filled
    _masked_index_check(mask, indices)
    if shape_numel(self.shape) == 0:
        shape = aten.index.Tensor.meta(self, indices).shape
        return aten.full.default(list(shape), fill, dtype=self.dtype, device=self.device)
    clamped = [None if ix is None else aten.clamp.default(ix, 0, self.shape[i] - 1) for i, ix in enumerate(indices)]
    return aten.masked_fill.Scalar(aten.index.Tensor(self, clamped), aten.bitwise_not.default(mask), fill)



def _unsafe_masked_index_kernel(xp, self, mask, indices, fill):
    _masked_index_check(mask, indices)
    if self.size == 0:
        shape = aten.index.Tensor.kernel(xp, xp.zeros((1,) * self.ndim, self.dtype), [
            None if ix is None else xp.zeros_like(ix) for ix in indices]).shape
        return xp.full(shape, fill, dtype=self.dtype)
    gathered = aten.index.Tensor.kernel(xp, self, [None if ix is None else xp.clip(ix, 0, self.shape[i] - 1)
                                                   for i, ix in enumerate(indices)])
    return xp.where(mask, gathered, xp.asarray(fill).astype(self.dtype))


composite("_unsafe_masked_index(Tensor self, Tensor mask, Tensor?[] indices, Scalar fill) -> Tensor",
          _unsafe_masked_index_kernel, _unsafe_masked_index_decomp, variants=_FN)


def _put_check(self, mask, indices, values):
    _masked_index_check(mask, indices)
    check(dtype_of(self) is dtype_of(values),
          lambda: f"Index put requires the source and destination dtypes match, got "
                  f"{torch_type_name(dtype_of(self))} for the destination and {torch_type_name(dtype_of(values))} "
                  f"for the source.")


def _unsafe_masked_index_put_decomp(self, mask, indices, values):
    # values at masked-out positions become 0, then are summed into the (clamped) indexed positions
    _put_check(self, mask, indices, values)
    if shape_numel(self.shape) == 0:
        return aten.clone.default(self)
    clamped = [None if ix is None else aten.clamp.default(ix, -self.shape[i], self.shape[i] - 1)
               for i, ix in enumerate(indices)]
    kept = aten.masked_fill.Scalar(values, aten.bitwise_not.default(mask), 0)
    return aten.index_put.default(self, clamped, kept, True)


def _unsafe_masked_index_put_kernel(xp, self, mask, indices, values):
    _put_check(self, mask, indices, values)
    if self.size == 0:
        return self.copy()
    kept = xp.where(mask, values, xp.zeros((), values.dtype))
    clamped = [None if ix is None else xp.clip(ix, -self.shape[i], self.shape[i] - 1) for i, ix in enumerate(indices)]
    return aten.index_put.default.kernel(xp, self, clamped, kept, True)


composite("_unsafe_masked_index_put_accumulate(Tensor self, Tensor mask, Tensor?[] indices, Tensor values) -> Tensor",
          _unsafe_masked_index_put_kernel, _unsafe_masked_index_put_decomp, variants=_FN)
