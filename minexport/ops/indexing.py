"""Indexing and writes: index.Tensor, index_put(_), gather, scatter(_),
index_select, embedding, copy_, copy, fill_, zero_, item.

Advanced indexing follows torch (which follows NumPy): None entries stand for
full slices; bool masks select by position; when the indexed dims are
adjacent the broadcast index shape takes their place, otherwise it leads.
"""
import math

import numpy as np

from .. import dtypes as dt
from .._tensor import contiguous_strides, make_fake, shape_numel, sure
from ._common import (array_strides, broadcast_shapes, cast, check, dense_strides, dtype_of, fake_like, fmt_shape,
                      logical_to_physical_perm, relayout, torch_type_name, wrap_dim)
from ._inplace import register_inplace, write_into
from .._symbolic_marker import is_symbolic
from .._trace_state import trace_state
from ._registry import FUNCTION_AND_METHOD, aten, register

from ..runtime.backends import array_namespace, device_of_array, to_device, ufunc_at
from ..runtime.narrowing import assign

_INDEX_DTYPES = (dt.int64, dt.int32, dt.bool, dt.uint8)


def _check_index_dtype(d):
    check(d in _INDEX_DTYPES, lambda: "tensors used as indices must be long, int, byte or bool "
                                      f"tensors (got {torch_type_name(d)})")


def data_dependent_size(upper, what):
    """A size known only when the program runs: a new unbacked symbol in [0, upper] while tracing."""
    tracer = trace_state.tracer
    check(tracer is not None and tracer.data_dependent_size is not None,
          lambda: f"{what} of a fake tensor has a data-dependent size; only export's tracer can represent it")
    return tracer.data_dependent_size(upper)


def _mask_count(mask):
    """Number of True elements of a bool mask (a data-dependent size on a fake mask)."""
    data = getattr(mask, "_data", mask)
    if data is None:
        return data_dependent_size(shape_numel(mask.shape), "boolean-mask indexing")
    return int(array_namespace(data).count_nonzero(data))


def index_shape(shape, indices, mask_count=_mask_count):
    """Result shape of self[indices] for index.Tensor (None = full slice); `mask_count(mask)` is the number of
    elements a bool mask selects."""
    check(len(indices) <= len(shape),
          lambda: f"too many indices for tensor of dimension {len(shape)} (got {len(indices)})")
    dims, adv_shapes, pos = [], [], 0
    for idx in indices:
        if idx is None:
            dims.append(("slice", shape[pos]))
            pos += 1
            continue
        d = dtype_of(idx)
        _check_index_dtype(d)
        if d in (dt.bool, dt.uint8):
            k = len(idx.shape)
            for j in range(k):
                check(idx.shape[j] == shape[pos + j],
                      lambda: f"The shape of the mask {fmt_shape(idx.shape)} at index {j} does not "
                              f"match the shape of the indexed tensor {fmt_shape(shape)} at index {pos + j}")
            adv_shapes.append((mask_count(idx),))
            dims.append(("adv", None))
            pos += k
        else:
            adv_shapes.append(tuple(idx.shape))
            dims.append(("adv", None))
            pos += 1
    dims += [("slice", s) for s in shape[pos:]]
    bshape = broadcast_shapes(*adv_shapes, op="index") if adv_shapes else ()
    adv_pos = [i for i, (kind, _) in enumerate(dims) if kind == "adv"]
    if not adv_pos:
        return tuple(s for _, s in dims)
    contiguous = adv_pos == list(range(adv_pos[0], adv_pos[-1] + 1))
    rest = [s for kind, s in dims if kind == "slice"]
    if contiguous:
        before = [s for kind, s in dims[: adv_pos[0]]]
        return tuple(before) + bshape + tuple(rest[len(before):])
    return bshape + tuple(rest)


def _np_index(xp, indices):
    out = []
    for idx in indices:
        if idx is None:
            out.append(slice(None))
        else:
            _check_index_dtype(dtype_of(idx))
            out.append(idx.astype(bool) if idx.dtype == np.uint8 else idx)
    return tuple(out)


def _indexed_dims(ndim, indices):
    """For each dim of self, whether an index tensor indexes it (a k-dim mask indexes k dims)."""
    indexed = []
    for idx in indices:
        if idx is None:
            indexed.append(False)
        else:
            indexed += [True] * (len(idx.shape) if dtype_of(idx) in (dt.bool, dt.uint8) else 1)
    return indexed + [False] * (ndim - len(indexed))


def index_strides(shape, strides, indices, out_shape):
    """The strides index.Tensor lays its result out with (None: contiguous), as torch's kernel does: the
    result follows self's order of dims, the indexed dims (moved first when they are not adjacent) replaced by
    the index shape at stride 0, elementwise-output style."""
    indexed = _indexed_dims(len(shape), indices)
    adv = [d for d, i in enumerate(indexed) if i]
    if not adv or any(sure(s == 0, False) for s in shape):     # (an empty self: contiguous, and no guard)
        return None
    adjacent = adv == list(range(adv[0], adv[-1] + 1))
    order = list(range(len(shape))) if adjacent else adv + [d for d, i in enumerate(indexed) if not i]
    first = order.index(adv[0])
    repeated = len(out_shape) - (len(shape) - len(adv))      # the index shape's dims
    moved = [strides[d] for d in order]
    restrided = tuple(moved[:first] + [0] * repeated + moved[first + len(adv):])
    perm = logical_to_physical_perm(tuple(out_shape), restrided)
    return None if perm == list(range(len(perm))) else dense_strides(tuple(out_shape), perm[::-1])


def _index_meta(self, indices):
    shape = index_shape(tuple(self.shape), indices)
    return make_fake(shape, self.dtype, self.device, strides=index_strides(tuple(self.shape), self.stride(), indices,
                                                                          shape))


def _index_kernel(xp, self, indices):
    check(len(indices) <= self.ndim,
          lambda: f"too many indices for tensor of dimension {self.ndim} (got {len(indices)})")
    try:
        r = self[_np_index(xp, indices)]
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None
    # NumPy lays advanced indexing's result out its own way: copied to torch's layout when it differs
    strides = index_strides(self.shape, array_strides(self), indices, r.shape)
    laid_out = array_strides(r) == (contiguous_strides(r.shape) if strides is None else strides)
    if laid_out and not (r.base is not None and xp.may_share_memory(r, self)):
        return r
    return r.copy(order="C") if strides is None else relayout(xp, r, strides)


register("index.Tensor(Tensor self, Tensor?[] indices) -> Tensor", meta=_index_meta, kernel=_index_kernel,
         tags=("core",))


def _index_put_meta(self, indices, values, accumulate=False):
    # the indices are checked (dtypes, mask shapes, broadcasting), but a bool mask's count is not asked: the
    # write's shape is self's whatever the count, so it makes no data-dependent size (torch's meta asks nothing)
    index_shape(tuple(self.shape), indices, mask_count=lambda mask: 1)
    return fake_like(self.shape, self.dtype, self)


def _index_put_kernel(xp, self, indices, values, accumulate=False):
    out = self.copy()
    idx = _np_index(xp, indices)
    vals = cast(xp, values, dtype_of(self))
    if accumulate:
        ufunc_at(xp, "add", out, idx, vals)
    else:
        out[idx] = vals
    return out


_index_put = register("index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor",
                      meta=_index_put_meta, kernel=_index_put_kernel, tags=("core",), variants=FUNCTION_AND_METHOD)
register_inplace(_index_put, "index_put_(Tensor(a!) self, Tensor?[] indices, Tensor values, "
                             "bool accumulate=False) -> Tensor(a!)", variants=("method",))


# ----------------------------------------------------------- gather/scatter --
def _gather_check(self_shape, dim, index_shape_, index_dtype, what):
    d = wrap_dim(dim, len(self_shape))
    empty = any(s == 0 for s in index_shape_)
    check(index_dtype in (dt.int64, dt.int32) or empty, lambda: f"{what}(): Expected dtype int32/int64 for index")
    if empty:       # an empty index reads and writes nothing: torch checks no shapes
        return d
    check(len(index_shape_) == len(self_shape) or (len(self_shape) == 0 and len(index_shape_) <= 1),
          "Index tensor must have the same number of dimensions as input tensor")
    for k in range(len(index_shape_)):
        check(k == d or index_shape_[k] <= self_shape[k],
              lambda: f"Size does not match at dimension {k} expected index {fmt_shape(index_shape_)} "
                      f"to be no larger than self {fmt_shape(self_shape)} apart from dimension {d}")
    return d


def _gather_meta(self, dim, index, *, sparse_grad=False):
    _gather_check(tuple(self.shape), dim, tuple(index.shape), index.dtype, "gather")
    return fake_like(index.shape, self.dtype, self)


def _fit(a, shape, skip):
    """Slice array `a` down to `shape` in every dim except `skip`."""
    return a[tuple(slice(None) if k == skip else slice(0, s) for k, s in enumerate(shape))]


def _gather_kernel(xp, self, dim, index, *, sparse_grad=False):
    d = _gather_check(self.shape, dim, index.shape, dtype_of(index), "gather")
    if index.size == 0:
        return xp.empty(index.shape, dtype=self.dtype)
    if self.ndim == 0:
        return self.reshape(index.shape).copy()
    return xp.take_along_axis(_fit(self, index.shape, d), index, axis=d)


register("gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False) -> Tensor",
         meta=_gather_meta, kernel=_gather_kernel, tags=("core",), variants=FUNCTION_AND_METHOD)

_REDUCE = {"add": "add", "multiply": "multiply"}


def _scatter_meta(self, dim, index, src, *, reduce=None):
    _gather_check(tuple(self.shape), dim, tuple(index.shape), index.dtype, "scatter")
    return fake_like(self.shape, self.dtype, self)


def _on_vector(kernel):
    """Run a scatter kernel on a 0-d self (and index, src) as on one-element vectors."""
    def run(xp, self, dim, index, src, *args, **kwargs):
        if self.ndim:
            return kernel(xp, self, dim, index, src, *args, **kwargs)
        src = src.reshape(-1) if hasattr(src, "shape") else src
        return kernel(xp, self.reshape(1), dim, index.reshape(-1), src, *args, **kwargs).reshape(())
    return run


def _scatter_kernel(xp, self, dim, index, src, *, reduce=None):
    d = _gather_check(self.shape, dim, index.shape, dtype_of(index), "scatter")
    out = self.copy()
    if hasattr(src, "shape"):
        vals = cast(xp, _fit(src, index.shape, -1), dtype_of(self))
    else:
        vals = xp.full(index.shape, cast(xp, src, dtype_of(self)), dtype=self.dtype)
    grids = list(xp.meshgrid(*[xp.arange(s) for s in index.shape], indexing="ij"))
    grids[d] = index
    where = tuple(grids)
    if reduce is None:
        out[where] = vals
    else:
        check(reduce in _REDUCE, lambda: f"reduce argument must be either add or multiply, got {reduce}")
        ufunc_at(xp, _REDUCE[reduce], out, where, vals)
    return out


for _f, _i, _tags, _decomp in (
        ("scatter.src(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
         "scatter_.src(Tensor(a!) self, int dim, Tensor index, Tensor src) -> Tensor(a!)", ("core",), None),
        ("scatter.value(Tensor self, int dim, Tensor index, Scalar value) -> Tensor",
         "scatter_.value(Tensor(a!) self, int dim, Tensor index, Scalar value) -> Tensor(a!)", ("core",), None),
        ("scatter.reduce(Tensor self, int dim, Tensor index, Tensor src, *, str reduce) -> Tensor",
         "scatter_.reduce(Tensor(a!) self, int dim, Tensor index, Tensor src, *, str reduce) -> Tensor(a!)",
         (), None),
        ("scatter.value_reduce(Tensor self, int dim, Tensor index, Scalar value, *, str reduce) -> Tensor",
         "scatter_.value_reduce(Tensor(a!) self, int dim, Tensor index, Scalar value, *, str reduce) -> Tensor(a!)",
         (), None)):
    register_inplace(register(_f, meta=_scatter_meta, kernel=_on_vector(_scatter_kernel), tags=_tags,
                              variants=FUNCTION_AND_METHOD, decomposition=_decomp), _i)


def _index_select_check(shape, dim, index):
    check(len(index.shape) <= 1, "index_select(): Index is supposed to be a vector")
    check(dtype_of(index) in (dt.int64, dt.int32),
          "index_select(): Expected dtype int32/int64 for index")
    return wrap_dim(dim, len(shape))


def _index_select_meta(self, dim, index):
    d = _index_select_check(self.shape, dim, index)
    n = index.shape[0] if len(index.shape) else 1
    shape = list(self.shape)
    if shape:
        shape[d] = n
    return fake_like(shape, self.dtype, self)


def _index_select_kernel(xp, self, dim, index):
    d = _index_select_check(self.shape, dim, index)
    if self.ndim == 0:
        return self.copy()
    return xp.take(self, index.reshape(-1), axis=d)


register("index_select(Tensor self, int dim, Tensor index) -> Tensor",
         meta=_index_select_meta, kernel=_index_select_kernel, tags=("core",), variants=FUNCTION_AND_METHOD)


def _embedding_check(weight, indices):
    check(len(weight.shape) == 2, "'weight' must be 2-D")
    check(dtype_of(indices) in (dt.int64, dt.int32),
          lambda: "Expected tensor for argument #1 'indices' to have one of the following scalar "
                  f"types: Long, Int; but got {torch_type_name(dtype_of(indices))} instead")


def _embedding_meta(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    _embedding_check(weight, indices)
    return fake_like(tuple(indices.shape) + (weight.shape[1],), weight.dtype, weight)


def _embedding_kernel(xp, weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    _embedding_check(weight, indices)
    try:
        return xp.take(weight, indices, axis=0, mode="raise")
    except IndexError:
        raise IndexError("index out of range in self (embedding index beyond the "
                         f"{weight.shape[0]} rows of the weight)") from None


register("embedding(Tensor weight, Tensor indices, SymInt padding_idx=-1, bool scale_grad_by_freq=False, "
         "bool sparse=False) -> Tensor", meta=_embedding_meta, kernel=_embedding_kernel, tags=("core",))


def _embedding_renorm_meta(self, indices, max_norm, norm_type):
    check(len(self.shape) == 2,
          lambda: f"Expected 2-dimensional tensor, but got {len(self.shape)}-dimensional tensor for argument #1 "
                  "'self' (while checking arguments for embedding_renorm_)")
    check(dtype_of(indices) in (dt.int64, dt.int32),
          lambda: "Expected tensor for argument #2 'indices' to have one of the following scalar types: Long, Int; "
                  f"but got {torch_type_name(dtype_of(indices))} instead (while checking arguments for "
                  "embedding_renorm_)")
    return fake_like(self.shape, self.dtype, self)


def _row_norms(xp, rows, p):
    """The p-norm of each row, as Tensor.norm(p) computes it (p=inf: largest magnitude, p=0: nonzero count)."""
    a = xp.abs(rows)
    if p == math.inf:
        return a.max(axis=1, initial=0)
    if p == 0:
        return (a != 0).sum(axis=1).astype(rows.dtype)
    return (a ** p).sum(axis=1) ** (1.0 / p)


def _embedding_renorm_kernel(xp, self, indices, max_norm, norm_type):
    _embedding_renorm_meta(self, indices, max_norm, norm_type)
    n = self.shape[0]
    flat = indices.reshape(-1)
    check(bool(((flat >= -n) & (flat < n)).all()),
          lambda: f"select(): index out of range for tensor of size {fmt_shape(self.shape)} at dimension 0")
    # each referenced row once (torch walks the sorted, deduplicated indices); rows whose norm is above
    # max_norm are scaled to it, with torch's 1e-7 guard in the divisor
    rows = xp.unique(xp.where(flat < 0, flat + n, flat))
    out = self.copy()
    picked = out[rows]
    norm = _row_norms(xp, picked, norm_type).astype(np.float64)
    scale = xp.where(norm > max_norm, max_norm / (norm + 1e-7), 1.0).astype(self.dtype)
    out[rows] = picked * scale[:, None]
    return out


_embedding_renorm = register("embedding_renorm(Tensor self, Tensor indices, float max_norm, float norm_type) -> "
                             "Tensor", meta=_embedding_renorm_meta, kernel=_embedding_renorm_kernel,
                             tags=("generated",))
register_inplace(_embedding_renorm, "embedding_renorm_(Tensor(a!) self, Tensor indices, float max_norm, "
                 "float norm_type) -> Tensor(a!)", variants=("function",))


# ------------------------------------------------------------------ writes --
def _copy_meta(self, src, non_blocking=False):
    shape = broadcast_shapes(tuple(src.shape), tuple(self.shape), op="copy_")
    check(shape == tuple(self.shape),
          lambda: f"output with shape {fmt_shape(self.shape)} doesn't match the broadcast shape "
                  f"{fmt_shape(shape)}")
    return fake_like(self.shape, self.dtype, self)


def _copy_kernel(xp, self, src, non_blocking=False):
    _copy_meta(self, src)
    if array_namespace(src) is not xp:
        src = to_device(src, device_of_array(self))
    return assign(xp.empty(self.shape, dtype=self.dtype), src)


_copy = register("copy(Tensor self, Tensor src, bool non_blocking=False) -> Tensor",
                 meta=_copy_meta, kernel=_copy_kernel, tags=("core",))
register_inplace(_copy, "copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) -> Tensor(a!)",
                 check_shape=False, variants=("method",))


def _fill_meta(self, value):
    if hasattr(value, "shape"):
        check(len(value.shape) == 0, lambda: "fill_ only supports 0-dimension value tensor but got "
                                             f"tensor with {len(value.shape)} dimensions.")
    return self


def _fill_kernel(xp, self, value):
    _fill_meta(self, value)
    return write_into(xp, self, cast(xp, value, dtype_of(self)))


# the functional forms, as torch's: fill (decomposed to a full_like), copy (which broadcasts a 0-dim
# tensor), and for zero_ the zeros_like torch's zero calls through its Python API
register("fill_.Scalar(Tensor(a!) self, Scalar value) -> Tensor(a!)", meta=_fill_meta, kernel=_fill_kernel,
         tags=("inplace",), variants=("method",), functional=lambda self, value: aten.fill.Scalar(self, value))
register("fill_.Tensor(Tensor(a!) self, Tensor value) -> Tensor(a!)", meta=_fill_meta, kernel=_fill_kernel,
         tags=("inplace",), variants=("method",), functional=_copy)
register("zero_(Tensor(a!) self) -> Tensor(a!)", meta=lambda self: self,
         kernel=lambda xp, self: write_into(xp, self, 0), tags=("inplace",), variants=("function", "method"),
         functional=lambda self: aten.zeros_like.default(self, pin_memory=False))


def _item_kernel(xp, self):
    check(self.size == 1, lambda: f"a Tensor with {self.size} elements cannot be converted to Scalar")
    return self.reshape(()).item()


def _nonzero_meta(self):
    if getattr(self, "_data", None) is not None:     # a real tensor: its count is known
        rows = int(array_namespace(self._data).count_nonzero(self._data))
    else:
        rows = data_dependent_size(shape_numel(self.shape), "nonzero")
    return fake_like((rows, len(self.shape)), dt.int64, self)


def _nonzero_kernel(xp, self):
    return xp.stack(xp.nonzero(self), axis=-1).astype(np.int64) if self.ndim else \
        xp.zeros((int(bool(self)), 0), dtype=np.int64)


register("nonzero(Tensor self) -> Tensor", meta=_nonzero_meta, kernel=_nonzero_kernel,
         tags=("core",), variants=FUNCTION_AND_METHOD)

_item = register("item(Tensor self) -> Scalar", meta=None, kernel=_item_kernel, variants=("method",),
                 decomposition=lambda self: aten._local_scalar_dense.default(self))
_local_scalar_dense = register("_local_scalar_dense(Tensor self) -> Scalar", meta=None, kernel=_item_kernel,
                               tags=("core",))
def _assert_scalar_kernel(xp, self, assert_msg):
    if not self:
        raise RuntimeError(assert_msg)


def _assert_scalar_meta(self, assert_msg):
    if not is_symbolic(self) and not self:   # a concrete false condition fails at once
        raise RuntimeError(assert_msg)


register("_assert_scalar(Scalar self, str assert_msg) -> ()", meta=_assert_scalar_meta,
         kernel=_assert_scalar_kernel, tags=("side_effect", "recorded_as_called", "core_ir_allowed"))
register("sym_size.int(Tensor self, int dim) -> SymInt",
         meta=lambda self, dim: self.shape[wrap_dim(dim, len(self.shape))],
         kernel=lambda xp, self, dim: int(self.shape[wrap_dim(dim, self.ndim)]), tags=("core",))


# -------------------------------------------------------------- scatter_reduce --
_SCATTER_REDUCE = {"sum": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}


def _scatter_reduce_kernel(xp, self, dim, index, src, reduce, *, include_self=True):
    check(reduce in _SCATTER_REDUCE or reduce == "mean",
          lambda: f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = _gather_check(self.shape, dim, index.shape, dtype_of(index), "scatter_reduce")
    grids = list(xp.meshgrid(*[xp.arange(s) for s in index.shape], indexing="ij"))
    grids[d] = index
    where = tuple(grids)
    vals = cast(xp, _fit(src, index.shape, -1), dtype_of(self))
    out = self.copy()
    if reduce == "mean":
        count = xp.ones(self.shape, dtype=np.int64) if include_self else xp.zeros(self.shape, dtype=np.int64)
        if not include_self:
            out[where] = 0
        ufunc_at(xp, "add", out, where, vals)
        ufunc_at(xp, "add", count, where, 1)
        res = out / xp.maximum(count, 1)
        return res.astype(self.dtype) if self.dtype.kind == "f" else xp.floor_divide(out, xp.maximum(count, 1))
    if not include_self:
        first = {"sum": 0, "prod": 1, "amax": _lowest(self.dtype), "amin": _highest(self.dtype)}[reduce]
        out[where] = first
    ufunc_at(xp, _SCATTER_REDUCE[reduce], out, where, vals)
    return out


def _lowest(d):
    return -np.inf if d.kind == "f" else np.iinfo(d).min


def _highest(d):
    return np.inf if d.kind == "f" else np.iinfo(d).max


register("scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True) "
         "-> Tensor", meta=lambda self, dim, index, src, reduce, *, include_self=True:
         _scatter_meta(self, dim, index, src), kernel=_on_vector(_scatter_reduce_kernel), tags=("core",),
         variants=FUNCTION_AND_METHOD)


# ------------------------------------------------------------ scatter_add --
def _scatter_add_check(self, dim, index, src):
    check(dtype_of(src) == dtype_of(self), "scatter(): Expected self.dtype to be equal to src.dtype")
    _gather_check(tuple(self.shape), dim, tuple(index.shape), dtype_of(index), "scatter")


def _scatter_add_meta(self, dim, index, src):
    _scatter_add_check(self, dim, index, src)
    return fake_like(self.shape, self.dtype, self)


def _scatter_add_kernel(xp, self, dim, index, src):
    _scatter_add_check(self, dim, index, src)
    return _on_vector(_scatter_reduce_kernel)(xp, self, dim, index, src, "sum")


register_inplace(register("scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
                          meta=_scatter_add_meta, kernel=_scatter_add_kernel, tags=("core",),
                          variants=FUNCTION_AND_METHOD),
                 "scatter_add_(Tensor(a!) self, int dim, Tensor index, Tensor src) -> Tensor(a!)",
                 variants=("method",))


# ------------------------------------------------------ masked_scatter/select --
def _check_bool_mask(mask, what):
    check(dtype_of(mask) is dt.bool,
          lambda: f"{what} only supports boolean masks, but got mask with dtype {torch_type_name(dtype_of(mask))}")


def _masked_scatter_meta(self, mask, source):
    _check_bool_mask(mask, "masked_scatter_")
    check(dtype_of(source) == dtype_of(self),
          lambda: "masked_scatter: expected self and source to have same dtypes but got "
                  f"{torch_type_name(dtype_of(self))} and {torch_type_name(dtype_of(source))}")
    return fake_like(broadcast_shapes(tuple(self.shape), tuple(mask.shape), op="masked_scatter"), dtype_of(self),
                     self)


def _masked_scatter_kernel(xp, self, mask, source):
    shape = tuple(_masked_scatter_meta(self, mask, source).shape)
    out = xp.broadcast_to(self, shape).copy()
    where = xp.broadcast_to(mask, shape)
    n = int(xp.count_nonzero(where))
    check(source.size >= n, "Number of elements of source < number of ones in mask")
    out[where] = source.reshape(-1)[:n]
    return out


register_inplace(register("masked_scatter(Tensor self, Tensor mask, Tensor source) -> Tensor",
                          meta=_masked_scatter_meta, kernel=_masked_scatter_kernel, tags=("core",),
                          variants=FUNCTION_AND_METHOD),
                 "masked_scatter_(Tensor(a!) self, Tensor mask, Tensor source) -> Tensor(a!)", variants=("method",))


def _masked_select_meta(self, mask):
    check(dtype_of(mask) is dt.bool, "masked_select: expected BoolTensor for mask")
    shape = broadcast_shapes(tuple(self.shape), tuple(mask.shape), op="masked_select")
    if getattr(mask, "_data", None) is not None and getattr(self, "_data", None) is not None:
        xp = array_namespace(mask._data)
        rows = int(xp.count_nonzero(xp.broadcast_to(mask._data, shape)))
    else:
        rows = data_dependent_size(shape_numel(shape), "masked_select")
    return fake_like((rows,), self.dtype, self)


def _masked_select_kernel(xp, self, mask):
    check(dtype_of(mask) is dt.bool, "masked_select: expected BoolTensor for mask")
    shape = broadcast_shapes(self.shape, mask.shape, op="masked_select")
    return xp.broadcast_to(self, shape)[xp.broadcast_to(mask, shape)]


register("masked_select(Tensor self, Tensor mask) -> Tensor", meta=_masked_select_meta,
         kernel=_masked_select_kernel, tags=("dynamic_output_shape",), variants=FUNCTION_AND_METHOD)


# --------------------------------------------- index_add/copy/fill/reduce --
# which index dtypes each op takes, and how torch refuses another: (dtypes, error, message)
_INDEX_RULE = {
    "index_add_": ((dt.int64, dt.int32), RuntimeError,
                   "index_add_(): Expected dtype int32/int64 for index but got: {}"),
    "index_reduce_": ((dt.int64, dt.int32), RuntimeError,
                      "index_reduce_(): Expected dtype int32/int64 for index but got: {}"),
    "index_copy_": ((dt.int64,), RuntimeError, "index_copy_(): Expected a long tensor for index, but got {}"),
    "index_fill_": ((dt.int64,), IndexError, "index_fill_(): Expected dtype int64 for index."),
}


def _index_along_check(self, dim, index, source, what, same_dtype_msg):
    """The checks index_add/index_copy/index_fill/index_reduce share; returns the wrapped dim."""
    d = wrap_dim(dim, max(len(self.shape), 1))
    idt = dtype_of(index)
    allowed, error, message = _INDEX_RULE[what]
    check(idt in allowed, lambda: message.format(torch_type_name(idt)), error)
    check(len(index.shape) <= 1, lambda: f"{what}(): Index is supposed to be a vector")
    if source is not None:
        check(dtype_of(source) == dtype_of(self), lambda: same_dtype_msg(torch_type_name(dtype_of(self)),
                                                                          torch_type_name(dtype_of(source))))
        n = index.shape[0] if len(index.shape) else 1
        src_shape = tuple(source.shape) or (1,)
        self_shape = tuple(self.shape) or (1,)
        check(len(src_shape) == len(self_shape), lambda: f"{what}(): Source/destination tensor must have same "
                                                         "slice shapes.")
        check(src_shape[d] == n, lambda: f"{what}(): Number of indices ({n}) should be equal to "
                                         f"source.size(dim): ({src_shape[d]}), for dim: {d}")
        check(all(a == b for k, (a, b) in enumerate(zip(src_shape, self_shape)) if k != d),
              lambda: f"{what}(): Source/destination tensor must have same slice shapes. Destination slice "
                      f"shape: {fmt_shape(self_shape[:d] + self_shape[d + 1:])} and source slice shape: "
                      f"{fmt_shape(src_shape[:d] + src_shape[d + 1:])}")
    return d


# how each op reports an index out of bounds, as torch words it: (error class, message prefix, whether
# a negative index counts from the end)
_OUT_OF_BOUNDS = {"index_add_": (RuntimeError, "", False), "index_copy_": (IndexError, "index_copy_(): ", False),
                  "index_fill_": (IndexError, "", True), "index_reduce_": (IndexError, None, False)}


def _along(xp, self, d, index, what):
    """`self` (at least 1-d) with dim `d` moved first, and the index wrapped and bounds-checked."""
    arr = self.reshape(1) if self.ndim == 0 else self
    idx = index.reshape(-1).astype(np.int64)
    size = arr.shape[d]
    error, prefix, negative = _OUT_OF_BOUNDS[what]
    bad = (idx >= size) | (idx < (-size if negative else 0))
    if bool(bad.any()):
        raise error("index out of range in self" if prefix is None else
                    f"{prefix}index {int(idx[bad][0])} is out of bounds for dimension {d} with size {size}")
    return xp.moveaxis(arr, d, 0), xp.where(idx < 0, idx + size, idx)


def _finish(xp, moved, d, self):
    return xp.moveaxis(moved, 0, d).reshape(self.shape)


def _same_dtype_add(a, b):
    return f"index_add_(): self ({a}) and source ({b}) must have the same scalar type"


def _same_dtype_copy(a, b):
    return f"index_copy_(): self and source expected to have the same dtype, but got (self) {a} and (source) {b}"


def _index_add_meta(self, dim, index, source, *, alpha=1):
    _index_along_check(self, dim, index, source, "index_add_", _same_dtype_add)
    return fake_like(self.shape, self.dtype, self)


def _index_add_kernel(xp, self, dim, index, source, *, alpha=1):
    d = _index_along_check(self, dim, index, source, "index_add_", _same_dtype_add)
    out = self.copy()
    moved, idx = _along(xp, out, d, index, "index_add_")
    src = xp.moveaxis(source.reshape(1) if source.ndim == 0 else source, d, 0)
    if alpha != 1:
        src = cast(xp, src * alpha, dtype_of(self))
    ufunc_at(xp, "add", moved, idx, src)
    return out


def _index_put_along(self, dim, index, values, accumulate=False):
    """index_put of `values` at `index` along `dim` (a 0-d self is viewed as one element)."""
    if len(self.shape) == 0:
        if len(values.shape):
            values = aten.view.default(values, [-1])
        return aten.view.default(aten.index_put.default(aten.view.default(self, [1]), [index], values, accumulate),
                                 [])
    return aten.index_put.default(self, [None] * wrap_dim(dim, len(self.shape)) + [index], values, accumulate)


def _index_add_decomp(self, dim, index, source, *, alpha=1):
    if alpha != 1:
        source = aten.mul.Tensor(source, alpha)
    return _index_put_along(self, dim, index, source, True)


register_inplace(register("index_add(Tensor self, int dim, Tensor index, Tensor source, *, Scalar alpha=1) "
                          "-> Tensor", meta=_index_add_meta, kernel=_index_add_kernel, variants=FUNCTION_AND_METHOD,
                          decomposition=_index_add_decomp),
                 "index_add_(Tensor(a!) self, int dim, Tensor index, Tensor source, *, Scalar alpha=1) -> Tensor(a!)",
                 variants=("method",))


def _index_copy_meta(self, dim, index, source):
    _index_along_check(self, dim, index, source, "index_copy_", _same_dtype_copy)
    return fake_like(self.shape, self.dtype, self)


def _index_copy_kernel(xp, self, dim, index, source):
    d = _index_along_check(self, dim, index, source, "index_copy_", _same_dtype_copy)
    out = self.copy()
    moved, idx = _along(xp, out, d, index, "index_copy_")
    moved[idx] = xp.moveaxis(source.reshape(1) if source.ndim == 0 else source, d, 0)
    return out


register_inplace(register("index_copy(Tensor self, int dim, Tensor index, Tensor source) -> Tensor",
                          meta=_index_copy_meta, kernel=_index_copy_kernel, variants=FUNCTION_AND_METHOD,
                          decomposition=lambda self, dim, index, source: _index_put_along(self, dim, index, source)),
                 "index_copy_(Tensor(a!) self, int dim, Tensor index, Tensor source) -> Tensor(a!)",
                 variants=("method",))


def _index_fill_meta(self, dim, index, value):
    _index_along_check(self, dim, index, None, "index_fill_", None)
    if hasattr(value, "shape"):
        check(len(value.shape) == 0, lambda: "index_fill_ only supports a 0-dimensional value tensor, but got "
                                             f"tensor with {len(value.shape)} dimension(s).")
    return fake_like(self.shape, self.dtype, self)


def _index_fill_kernel(xp, self, dim, index, value):
    d = _index_along_check(self, dim, index, None, "index_fill_", None)
    _index_fill_meta(self, dim, index, value)
    out = self.copy()
    moved, idx = _along(xp, out, d, index, "index_fill_")
    moved[idx] = cast(xp, value, dtype_of(self))
    return out


def _index_fill_decomp(self, dim, index, value):
    """index_put of the value, expanded over the filled slab (self's shape, len(index) along dim), as torch's."""
    if not hasattr(value, "shape"):
        value = aten.scalar_tensor.default(value, dtype=self.dtype, device=self.device)
    elif value.dtype != self.dtype:
        value = aten._to_copy.default(value, dtype=self.dtype)
    if len(self.shape):
        slab = list(self.shape)
        slab[wrap_dim(dim, len(slab))] = index.numel()
        value = aten.expand.default(value, slab)
    return _index_put_along(self, dim, index, value)


for _f, _i in (("index_fill.int_Scalar(Tensor self, int dim, Tensor index, Scalar value) -> Tensor",
                "index_fill_.int_Scalar(Tensor(a!) self, int dim, Tensor index, Scalar value) -> Tensor(a!)"),
               ("index_fill.int_Tensor(Tensor self, int dim, Tensor index, Tensor value) -> Tensor",
                "index_fill_.int_Tensor(Tensor(a!) self, int dim, Tensor index, Tensor value) -> Tensor(a!)")):
    register_inplace(register(_f, meta=_index_fill_meta, kernel=_index_fill_kernel, variants=FUNCTION_AND_METHOD,
                              decomposition=_index_fill_decomp), _i, variants=("method",))


_INDEX_REDUCE = {"prod": "multiply", "amax": "maximum", "amin": "minimum"}


def _index_reduce_check(self, dim, index, source, reduce):
    check(reduce in ("prod", "mean", "amax", "amin"),
          lambda: f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    return _index_along_check(self, dim, index, source, "index_reduce_",
                              lambda a, b: f"index_reduce_(): self ({a}) and source ({b}) must have the same "
                                           "scalar type")


def _index_reduce_meta(self, dim, index, source, reduce, *, include_self=True):
    _index_reduce_check(self, dim, index, source, reduce)
    return fake_like(self.shape, self.dtype, self)


def _index_reduce_kernel(xp, self, dim, index, source, reduce, *, include_self=True):
    d = _index_reduce_check(self, dim, index, source, reduce)
    out = self.copy()
    moved, idx = _along(xp, out, d, index, "index_reduce_")
    src = xp.moveaxis(source.reshape(1) if source.ndim == 0 else source, d, 0)
    if not include_self:    # the indexed rows start from the reduction's identity
        first = {"prod": 1, "mean": 0, "amax": _lowest(self.dtype), "amin": _highest(self.dtype)}[reduce]
        moved[idx] = first
    if reduce != "mean":
        ufunc_at(xp, _INDEX_REDUCE[reduce], moved, idx, src)
        return out
    count = xp.zeros(moved.shape[0], dtype=np.int64)
    ufunc_at(xp, "add", count, idx, 1)
    if include_self:
        count += 1
    ufunc_at(xp, "add", moved, idx, src)
    count = xp.maximum(count, 1).reshape((-1,) + (1,) * (moved.ndim - 1))
    # integers divide with floor rounding, as torch does
    res = moved / count if self.dtype.kind == "f" else xp.floor_divide(moved, count)
    return _finish(xp, res.astype(self.dtype), d, self)


register_inplace(register("index_reduce(Tensor self, int dim, Tensor index, Tensor source, str reduce, *, "
                          "bool include_self=True) -> Tensor", meta=_index_reduce_meta, kernel=_index_reduce_kernel,
                          variants=FUNCTION_AND_METHOD),
                 "index_reduce_(Tensor(a!) self, int dim, Tensor index, Tensor source, str reduce, *, "
                 "bool include_self=True) -> Tensor(a!)", variants=("method",))


# --------------------------------------------------------------- take/put --
def _check_long(index, what):
    check(dtype_of(index) is dt.int64,
          lambda: f"{what}(): Expected a long tensor for index, but got {torch_type_name(dtype_of(index))}")


def _flat_index(xp, index, numel):
    idx = index.reshape(-1)
    bad = (idx >= numel) | (idx < -numel)
    if bool(bad.any()):
        raise IndexError(f"out of range: tried to access index {int(idx[bad][0])} on a tensor of {numel} elements.")
    return xp.where(idx < 0, idx + numel, idx)


def _take_meta(self, index):
    _check_long(index, "take")
    return fake_like(index.shape, self.dtype, self)


def _take_kernel(xp, self, index):
    _check_long(index, "take")
    if index.size and not self.size:
        raise IndexError("take(): tried to take from an empty tensor")
    return self.reshape(-1)[_flat_index(xp, index, self.size)].reshape(index.shape)


register("take(Tensor self, Tensor index) -> Tensor", meta=_take_meta, kernel=_take_kernel,
         variants=FUNCTION_AND_METHOD,
         decomposition=lambda self, index: aten.index.Tensor(aten.view.default(self, [-1]), [index]))


def _put_check(self, index, source):
    _check_long(index, "put_")
    n_src, n_idx = shape_numel(source.shape), shape_numel(index.shape)
    check(n_src == n_idx, lambda: "put_(): Expected source and index to have the same number of elements, but got "
                                  f"source.numel() = {n_src}, index.numel() = {n_idx}", IndexError)
    check(dtype_of(source) == dtype_of(self),
          lambda: "put_(): self and source expected to have the same dtype, but got self.dtype = "
                  f"{torch_type_name(dtype_of(self))} and source.dtype = {torch_type_name(dtype_of(source))}")


def _put_meta(self, index, source, accumulate=False):
    _put_check(self, index, source)
    return fake_like(self.shape, self.dtype, self)


def _put_kernel(xp, self, index, source, accumulate=False):
    _put_check(self, index, source)
    out = self.copy()
    flat = out.reshape(-1)
    idx = _flat_index(xp, index, self.size)
    if accumulate:
        ufunc_at(xp, "add", flat, idx, source.reshape(-1))
    else:
        flat[idx] = source.reshape(-1)
    return flat.reshape(self.shape)


register_inplace(register("put(Tensor self, Tensor index, Tensor source, bool accumulate=False) -> Tensor",
                          meta=_put_meta, kernel=_put_kernel, variants=FUNCTION_AND_METHOD),
                 "put_(Tensor(a!) self, Tensor index, Tensor source, bool accumulate=False) -> Tensor(a!)",
                 variants=("method",))


def _take_along_dim_shapes(self, indices, dim):
    if dim is None:     # the flattened gather, which takes int32 indices too
        _gather_check((shape_numel(self.shape),), 0, (shape_numel(indices.shape),), dtype_of(indices), "gather")
        return None
    check(dtype_of(indices) is dt.int64, lambda: "torch.take_along_dim(): dtype of indices should be Long but got "
                                                 f"{torch_type_name(dtype_of(indices))}")
    s, i = tuple(self.shape), tuple(indices.shape)
    check(len(s) == len(i), lambda: "torch.take_along_dim(): input and indices should have the same number of "
                                    f"dimensions, but got {len(s)} dimensions for input, and {len(i)} dimensions "
                                    "for indices")
    d = wrap_dim(dim, len(s))
    b = list(broadcast_shapes(s[:d] + (1,) + s[d + 1:], i[:d] + (1,) + i[d + 1:], op="take_along_dim"))
    return d, tuple(b[:d]) + (s[d],) + tuple(b[d + 1:]), tuple(b[:d]) + (i[d],) + tuple(b[d + 1:])


def _take_along_dim_meta(self, indices, dim=None):
    r = _take_along_dim_shapes(self, indices, dim)
    return fake_like((shape_numel(indices.shape),) if r is None else r[2], self.dtype, self)


def _take_along_dim_kernel(xp, self, indices, dim=None):
    r = _take_along_dim_shapes(self, indices, dim)
    if r is None:
        return self.reshape(-1)[_flat_index(xp, indices, self.size)]
    d, self_shape, idx_shape = r
    size = self.shape[d] if self.ndim else 1
    idx = xp.broadcast_to(indices, idx_shape)
    bad = (idx >= size) | (idx < -size)
    if bool(bad.any()):
        raise RuntimeError(f"index {int(idx[bad][0])} is out of bounds for dimension {d} with size {size}")
    if self.ndim == 0:
        return self.reshape(idx_shape).copy()
    return xp.take_along_axis(xp.broadcast_to(self, self_shape), xp.where(idx < 0, idx + size, idx), axis=d)


def _take_along_dim_decomp(self, indices, dim=None):
    r = _take_along_dim_shapes(self, indices, dim)
    if r is None:
        return aten.gather.default(aten.view.default(self, [-1]), 0, aten.view.default(indices, [-1]))
    d, self_shape, idx_shape = r
    # negative indices count from the end, as the kernel's bounds rule allows
    idx = aten.remainder.Scalar(aten.expand.default(indices, list(idx_shape)), self_shape[d])
    return aten.gather.default(aten.expand.default(self, list(self_shape)), d, idx)


register("take_along_dim(Tensor self, Tensor indices, int? dim=None) -> Tensor", meta=_take_along_dim_meta,
         kernel=_take_along_dim_kernel, variants=FUNCTION_AND_METHOD, decomposition=_take_along_dim_decomp)
