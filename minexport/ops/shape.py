"""Shape ops.  Views (view, reshape, permute, transpose, t, unsqueeze, squeeze,
expand, slice, select, narrow, split, chunk, unbind, flatten, unflatten,
alias, detach, contiguous) return arrays that share memory with their input,
so eager writes through a view reach the base.  Copies: clone, cat, stack,
repeat, flip, roll, tril, triu, constant_pad_nd, pad.
"""
import functools

import numpy as np

from .. import dtypes as dt
from .._tensor import (CONTIGUOUS, format_strides, make_fake, memory_format_name, preserved_strides,
                       strides_contiguous, sure)
from .._tensor import shape_numel as _numel
from .._user_errors import DataDependentError
from ._common import (cast, check, copy_array, dtype_of, fake_like, fmt_shape, geometry_memo, like_strides, promote,
                      remembered, static_key, wrap_dim, wrap_dims)
from ._input_format import fake_like_input, full_like_input, in_input_format, pad_in_memory_order
from ._registry import FUNCTION_AND_METHOD, ViewRule, aten, register
from ._view_rules import SHAPE_ONLY, contiguous_layout, cut_layout, keeps_layout, same_value, strided_layout, view_back


def infer_size(shape, numel):
    """Resolve one -1 in a requested shape; torch's error when it cannot fit."""
    if -1 not in shape:
        n = 1
        for s in shape:
            if s < 0:
                break
            n = n * s
        else:
            if n == numel:
                return tuple(shape)
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    check(len(neg) <= 1, "only one dimension can be inferred")
    for s in shape:
        check(s >= -1, lambda: f"invalid shape dimension {s}")
    known = _numel([s for s in shape if s != -1])
    if neg:
        check(known != 0 and numel % known == 0,
              lambda: f"shape '{fmt_shape(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    else:
        check(known == numel, lambda: f"shape '{fmt_shape(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _view_op(schema, shape_fn, array_fn, tags=("view",), *, view, strides, **facts):
    """Register a view op: `shape_fn(shape, *args)` for meta, `array_fn(xp, a, *args)` for the kernel,
    `view` its `ViewRule`, `strides(self, out_shape, *args)` the output's (strides, storage offset)
    as torch computes them (strides None: contiguous).

    `facts` are the rest of the op's registration (variants, decomposition).
    """
    known = geometry_memo()      # static geometry key -> the output's geometry (see `static_key`)

    def meta(self, *args, **kwargs):
        return remembered(known, static_key((self,), args) if not kwargs else None, self,
                          lambda: _view_meta(self, args, kwargs))

    def _view_meta(self, args, kwargs):
        shape = shape_fn(tuple(self.shape), *args, **kwargs)
        st, offset = strides(self, shape, *args, **kwargs)
        return make_fake(shape, self._dtype, self._device, strides=st, storage_offset=offset)

    def kernel(xp, self, *args, **kwargs):
        return array_fn(xp, self, *args, **kwargs)

    return register(schema, meta=meta, kernel=kernel, tags=tags, view=view, **facts)


# ------------------------------------------------------------ view geometry --
# Every view op computes its output's strides and storage offset from its input's, as torch does, for
# fake tensors (the meta functions below) and real ones (the kernels build the same NumPy view).
_VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one dimension "
               "spans across two contiguous subspaces). Use .reshape(...) instead.")


def view_strides(shape, strides, new_shape):
    """Strides of `new_shape` viewing a tensor of (shape, strides) without a copy, or None when
    impossible: the dims must split or merge only within runs of dims that are contiguous together.
    With symbolic sizes a comparison the ranges do not decide counts as "no" (no guard is added)."""
    if len(shape) == 0:
        return (1,) * len(new_shape)
    numel = _numel(shape)
    if sure(numel == 0, False):
        return tuple(strides) if tuple(shape) == tuple(new_shape) else _contiguous(new_shape)
    out = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    # walk the input's dims from the last in chunks of dims contiguous together; the new dims of each
    # chunk take strides within it
    chunk_stride = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel = tensor_numel * shape[d]
        if d == 0 or (sure(shape[d - 1] != 1, True) and
                      sure(strides[d - 1] != tensor_numel * chunk_stride, True)):
            while view_d >= 0 and (sure(view_numel < tensor_numel, False) or
                                   sure(new_shape[view_d] == 1, False)):
                out[view_d] = view_numel * chunk_stride
                view_numel = view_numel * new_shape[view_d]
                view_d -= 1
            if sure(view_numel != tensor_numel, True):
                return None
            if d > 0:
                chunk_stride = strides[d - 1]
                tensor_numel = view_numel = 1
    return tuple(out) if view_d == -1 else None


def _contiguous(shape):
    return format_strides(shape, CONTIGUOUS)


def _same_layout(self, shape, *args, **kwargs):
    """alias, detach: the input's strides and offset."""
    return self._strides, self._offset


def _known_view_strides(shape, strides, new_shape):
    """`view_strides`, remembered per shape environment: with symbolic sizes each answer costs sympy
    comparisons, and a model's blocks ask the same few questions again and again.  (Ranges only narrow
    during an export, so a remembered decision stays true; an undecided one keeps its size-oblivious answer.)"""
    sizes = (*shape, *strides, *new_shape)
    if set(map(type, sizes)) <= _ONLY_INT:
        return _static_view_strides(shape, strides, new_shape)
    env = next(x.env for x in sizes if type(x) is not int)
    cache = env.__dict__.setdefault("_view_strides_cache", {})
    key = tuple(tuple(x if type(x) is int else x.expr for x in part) for part in (shape, strides, new_shape))
    if key not in cache:
        cache[key] = view_strides(shape, strides, new_shape)
    return cache[key]


_ONLY_INT = {int}


@functools.lru_cache(maxsize=4096)
def _static_view_strides(shape, strides, new_shape):
    """`view_strides` of tuples of plain ints: a pure function of them, so an answer is remembered for good
    (a model's blocks view the same few layouts again and again)."""
    return view_strides(shape, strides, new_shape)


def _viewed_layout(self, shape, *args, **kwargs):
    """view and its kin: strides from `view_strides`; torch's error when the view is impossible."""
    if self._strides is None:
        return None, self._offset
    st = _known_view_strides(tuple(self.shape), self._strides, tuple(shape))
    check(st is not None, _VIEW_ERROR)
    return st, self._offset


def _reshaped_layout(self, shape, *args, **kwargs):
    """reshape and its kin: a view when possible, else a fresh contiguous copy."""
    if self._strides is None:
        return None, self._offset
    st = _known_view_strides(tuple(self.shape), self._strides, tuple(shape))
    return (None, 0) if st is None else (st, self._offset)


def _permuted_layout(perm_of):
    """Layout of a view that reorders dims: `perm_of(ndim, *args)` the input dim of each output dim."""
    def layout(self, shape, *args, **kwargs):
        st = self.stride()
        return tuple(st[i] for i in perm_of(len(st), *args, **kwargs)), self._offset
    return layout


def _strided_array(xp, a, shape, strides):
    """A NumPy/CuPy view of `a`'s memory from its first element, with `strides` in elements."""
    item = a.itemsize
    return xp.lib.stride_tricks.as_strided(a, shape=tuple(shape), strides=tuple(s * item for s in strides))


def _elements(a):
    return tuple(s // a.itemsize for s in a.strides)


def _view_array(xp, a, new, reshape_copies=False):
    """The view of array `a` with shape `new` and torch's strides (or a contiguous copy, for reshape)."""
    # a contiguous array's view is contiguous, unless its last dim has size 1 and an odd stride
    if a.flags.c_contiguous and (not a.ndim or a.shape[-1] != 1 or a.strides[-1] == a.itemsize):
        return a.reshape(new)
    st = view_strides(a.shape, _elements(a), new)
    if st is None:
        check(reshape_copies, _VIEW_ERROR)
        return xp.ascontiguousarray(a).reshape(new)
    return _strided_array(xp, a, new, st)


# ------------------------------------------------------------- view family --
def _view_shape(shape, size):
    return infer_size(size, _numel(shape))


def _view_kernel(xp, a, size):
    return _view_array(xp, a, _view_shape(a.shape, size))


def _reshape_kernel(xp, a, size):
    return _view_array(xp, a, _view_shape(a.shape, size), reshape_copies=True)


_view_op("view(Tensor(a) self, SymInt[] size) -> Tensor(a)", _view_shape, _view_kernel,
         tags=("view", "core"), variants=("method",), view=SHAPE_ONLY, strides=_viewed_layout)




def _tri(lower):
    def decomp(self, diagonal=0):
        _tri_check(tuple(self.shape))
        rows, cols = self.shape[-2], self.shape[-1]
        kw = {"device": self.device}
        # column index minus row index, as torch builds it (two arange rows unsqueezed to broadcast)
        offset = aten.sub.Tensor(aten.unsqueeze.default(aten.arange.start_step(0, cols, 1, **kw), -2),
                                 aten.unsqueeze.default(aten.arange.start_step(0, rows, 1, **kw), -1))
        keep = (aten.le.Scalar if lower else aten.ge.Scalar)(offset, diagonal)
        if self.dtype is dt.bool:       # a bool tensor is masked with logical_and, as torch's decomposition does
            return aten.logical_and.default(keep, self)
        return aten.where.self(keep, self, aten.scalar_tensor.default(0, dtype=self.dtype, **kw))
    return decomp


def _reshape_decomp(self, shape):
    # torch views a contiguous input with the sizes as given (-1 kept), any other with them inferred
    if self.is_contiguous():
        return aten.view.default(self, list(shape))
    shape = list(infer_size(list(shape), _numel(self.shape)))
    if view_strides(tuple(self.shape), self.stride(), tuple(shape)) is None:
        self = aten.clone.default(self, memory_format="contiguous_format")
    return aten.view.default(self, shape)


_view_op("reshape(Tensor(a) self, SymInt[] shape) -> Tensor(a)", _view_shape, _reshape_kernel,
         tags=("view", "maybe_view"), decomposition=_reshape_decomp, variants=FUNCTION_AND_METHOD,
         view=ViewRule(inverse=view_back, layout=contiguous_layout), strides=_reshaped_layout)


def _unsafe_view_decomp(self, size):
    return aten.view.default(self, list(size))


_view_op("_unsafe_view(Tensor self, SymInt[] size) -> Tensor", _view_shape,
         lambda xp, a, size: _view_kernel(xp, a, size).copy(), decomposition=_unsafe_view_decomp,
         view=SHAPE_ONLY, strides=_viewed_layout)


def _permute_shape(shape, dims):
    check(len(dims) == len(shape),
          lambda: f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                  f"the length of the desired ordering of dimensions i.e. input.dim() = {len(shape)} "
                  f"is not equal to len(dims) = {len(dims)}")
    d = wrap_dims(dims, len(shape)) if dims else ()
    return tuple(shape[i] for i in d)


def _permute_kernel(xp, a, dims):
    _permute_shape(a.shape, dims)
    return xp.transpose(a, wrap_dims(dims, a.ndim)) if a.ndim else a.view()


def _unpermute(base, mutated_view, perm):
    """A write through a view permuted by `perm` reaches the base permuted back."""
    inverse = [perm.index(i) for i in range(len(perm))]
    return aten.permute.default(mutated_view, inverse)


def _permute_inverse(base, mutated_view, dims):
    return _unpermute(base, mutated_view, list(wrap_dims(dims, base.ndim)))


def _permute_layout(args, self_contiguous):
    ndim = len(args[0].shape)
    return self_contiguous and list(wrap_dims(args[1], ndim)) == list(range(ndim))


_view_op("permute(Tensor(a) self, int[] dims) -> Tensor(a)", _permute_shape, _permute_kernel,
         tags=("view", "core"), variants=FUNCTION_AND_METHOD,
         view=ViewRule(inverse=_permute_inverse, layout=_permute_layout),
         strides=_permuted_layout(lambda ndim, dims: wrap_dims(dims, ndim) if dims else ()))


def _transpose_shape(shape, dim0, dim1):
    s = list(shape)
    d0, d1 = wrap_dim(dim0, len(s)), wrap_dim(dim1, len(s))
    if s:
        s[d0], s[d1] = s[d1], s[d0]
    return tuple(s)


def _transpose_kernel(xp, a, dim0, dim1):
    d0, d1 = wrap_dim(dim0, a.ndim), wrap_dim(dim1, a.ndim)
    return xp.swapaxes(a, d0, d1) if a.ndim else a.view()


def _swapped_dims(ndim, d0, d1):
    perm = list(range(ndim))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return perm


def _transposition(ndim, dim0, dim1):
    """The permutation transpose(dim0, dim1) applies (the identity on a 0-d tensor)."""
    return _swapped_dims(ndim, wrap_dim(dim0, ndim), wrap_dim(dim1, ndim)) if ndim else []


def _transpose_inverse(base, mutated_view, dim0, dim1):
    return _unpermute(base, mutated_view, _transposition(base.ndim, dim0, dim1))


def _transpose_decomp(self, dim0, dim1):
    return aten.permute.default(self, _transposition(self.ndim, dim0, dim1))


def _transposed_layout(self, shape, dim0, dim1):
    """transpose's layout: the input's strides with the two dims swapped (what `_permuted_layout` gives for
    `_transposition`, without building the permutation; attention transposes a lot)."""
    st = self.stride()
    if not st:
        return (), self._offset
    st = list(st)
    d0, d1 = wrap_dim(dim0, len(st)), wrap_dim(dim1, len(st))
    st[d0], st[d1] = st[d1], st[d0]
    return tuple(st), self._offset


_view_op("transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)", _transpose_shape,
         _transpose_kernel, decomposition=_transpose_decomp, variants=FUNCTION_AND_METHOD,
         view=ViewRule(inverse=_transpose_inverse, layout=strided_layout), strides=_transposed_layout)


def _t_shape(shape):
    check(len(shape) <= 2, lambda: f"t() expects a tensor with <= 2 dimensions, but self is {len(shape)}D")
    return tuple(reversed(shape))


def _t_kernel(xp, a):
    _t_shape(a.shape)
    return a.T


def _reverse_dims_inverse(base, mutated_view):
    return _unpermute(base, mutated_view, list(range(base.ndim))[::-1])


def _reverse_dims_layout(args, self_contiguous):
    return self_contiguous and len(args[0].shape) < 2


_REVERSE_DIMS = ViewRule(inverse=_reverse_dims_inverse, layout=_reverse_dims_layout)
def _reverse_dims_decomp(self):
    return aten.permute.default(self, list(range(self.ndim - 1, -1, -1)))


_reversed_layout = _permuted_layout(lambda ndim: range(ndim - 1, -1, -1))
_view_op("t(Tensor(a) self) -> Tensor(a)", _t_shape, _t_kernel,
         decomposition=_reverse_dims_decomp, variants=FUNCTION_AND_METHOD, view=_REVERSE_DIMS,
         strides=_reversed_layout)


def _unsqueeze_shape(shape, dim):
    d = wrap_dim(dim, len(shape) + 1)
    return tuple(shape[:d]) + (1,) + tuple(shape[d:])


def _unsqueeze_strides(shape, strides, dim):
    """The new dim's stride is the size times the stride of the dim it goes before (1 at the end)."""
    d = wrap_dim(dim, len(shape) + 1)
    new = shape[d] * strides[d] if d < len(shape) else 1
    return tuple(strides[:d]) + (new,) + tuple(strides[d:])


def _unsqueeze_layout(self, shape, dim):
    if self._strides is None:
        return None, self._offset
    return _unsqueeze_strides(tuple(self.shape), self._strides, dim), self._offset


def _unsqueeze_kernel(xp, a, dim):
    d = wrap_dim(dim, a.ndim + 1)
    out = xp.expand_dims(a, d)
    strides = _unsqueeze_strides(a.shape, _elements(a), d)
    # NumPy may stride the new dim (or a size-1 dim) otherwise
    return out if _elements(out) == strides else _strided_array(xp, a, out.shape, strides)


_view_op("unsqueeze(Tensor(a) self, int dim) -> Tensor(a)", _unsqueeze_shape, _unsqueeze_kernel,
         tags=("view", "core"), variants=FUNCTION_AND_METHOD, view=SHAPE_ONLY, strides=_unsqueeze_layout)


def _squeeze_dims(shape, dims):
    gone = _squeezed(shape, dims)
    return tuple(s for i, s in enumerate(shape) if i not in gone)


def _squeeze_decomp(self):
    return aten.squeeze.dims(self, [i for i, s in enumerate(self.shape) if s == 1])


def _squeezed(shape, dims):
    """The dims squeeze drops: those of `dims` (all when None, none when empty) of size 1."""
    # wrap_dims reads an empty list as "all dims" (the reductions' rule); squeeze reads it as none
    if dims is not None and len(dims) == 0:
        return ()
    dims = range(len(shape)) if dims is None else (wrap_dims(dims, len(shape)) if shape else ())
    return tuple(d for d in dims if shape[d] == 1)


def _squeeze_kernel(xp, a, dims):
    return xp.squeeze(a, _squeezed(a.shape, dims))


def _squeeze_layout(dims_of):
    def layout(self, shape, *args):
        if self._strides is None:
            return None, self._offset
        gone = _squeezed(tuple(self.shape), dims_of(*args))
        return tuple(st for d, st in enumerate(self._strides) if d not in gone), self._offset
    return layout


_view_op("squeeze(Tensor(a) self) -> Tensor(a)", lambda shape: tuple(s for s in shape if s != 1),
         lambda xp, a: xp.squeeze(a), decomposition=_squeeze_decomp, variants=FUNCTION_AND_METHOD,
         view=SHAPE_ONLY, strides=_squeeze_layout(lambda: None))
_view_op("squeeze.dim(Tensor(a) self, int dim) -> Tensor(a)",
         lambda shape, dim: _squeeze_dims(shape, [dim]),
         lambda xp, a, dim: _squeeze_kernel(xp, a, [dim]),
         tags=("view", "core"), variants=FUNCTION_AND_METHOD,
         decomposition=lambda self, dim: aten.squeeze.dims(self, [dim]),
         view=SHAPE_ONLY, strides=_squeeze_layout(lambda dim: [dim]))
_view_op("squeeze.dims(Tensor(a) self, int[] dim) -> Tensor(a)", _squeeze_dims, _squeeze_kernel,
         tags=("view", "core"), variants=FUNCTION_AND_METHOD,
         view=SHAPE_ONLY, strides=_squeeze_layout(lambda dim: dim))


def _expand_shape(shape, size, *, implicit=False):
    size = list(size)
    check(len(size) >= len(shape),
          lambda: f"expand: the number of sizes provided ({len(size)}) must be greater or equal "
                  f"to the number of dimensions in the tensor ({len(shape)})")
    off = len(size) - len(shape)
    out = []
    for i, s in enumerate(size):
        if i < off:
            check(s >= 0, lambda: f"The expanded size of the tensor ({s}) isn't allowed in a "
                                  "leading, non-existing dimension 0")
            out.append(s)
            continue
        cur = shape[i - off]
        if s == -1:
            s = cur
        check(cur == s or cur == 1,
              lambda: f"The expanded size of the tensor ({s}) must match the existing size "
                      f"({cur}) at non-singleton dimension {i}.  Target sizes: {fmt_shape(size)}.  "
                      f"Tensor sizes: {fmt_shape(shape)}")
        out.append(s)
    return tuple(out)


def _expand_inverse(base, mutated_view, *args, **kwargs):
    raise RuntimeError("run_decompositions: an in-place write into an expand()ed view cannot be expressed "
                       "functionally (it writes one element many times); clone() before writing")


def _expand_strides(shape, strides, out):
    """An expanded dim (size 1 grown, or a new leading dim) strides 0; a new leading dim of size 1 takes
    the stride it would have if contiguous over the dims after it."""
    result = [0] * len(out)
    off = len(out) - len(shape)
    for i in range(len(out) - 1, -1, -1):
        if i >= off:
            size, st = shape[i - off], strides[i - off]
        else:
            size, st = 1, (out[i + 1] * result[i + 1] if i + 1 < len(out) else 1)
        result[i] = st if size == out[i] else 0
    return tuple(result)


def _expand_layout(self, shape, *args, **kwargs):
    return _expand_strides(tuple(self.shape), self.stride(), shape), self._offset


def _expand_kernel(xp, a, size, implicit=False):
    shape = _expand_shape(a.shape, size)
    out = xp.broadcast_to(a, shape)
    strides = _expand_strides(a.shape, _elements(a), shape)
    # NumPy strides every size-1 dim 0; torch keeps a kept dim's stride
    return out if _elements(out) == strides else _strided_array(xp, out, shape, strides)


_EXPANDED = ViewRule(inverse=_expand_inverse, layout=strided_layout)
_view_op("expand(Tensor(a) self, SymInt[] size, *, bool implicit=False) -> Tensor(a)", _expand_shape,
         _expand_kernel, tags=("view", "core"), variants=("method",), view=_EXPANDED, strides=_expand_layout)


INT64_MAX = 9223372036854775807


def slice_bounds(size, start, end, step):
    """torch's normalization of slice bounds: clamp into [0, size], end >= start."""
    check(step > 0, "slice step must be positive")
    start = 0 if start is None else start
    if end is None or (type(end) is int and end >= INT64_MAX):
        end = size     # "to the end": no comparison, so no guard on a symbolic size
    if start == 0 and end is size:
        return 0, size
    if start < 0:
        start = start + size
    if end < 0:
        end = end + size
    start = 0 if start < 0 else (size if start > size else start)
    end = start if end < start else (size if end > size else end)
    return start, end


def _slice_shape(shape, dim=0, start=None, end=None, step=1):
    d = wrap_dim(dim, len(shape))
    out = list(shape)
    try:
        s, e = slice_bounds(shape[d], start, end, step)
        out[d] = (e - s + step - 1) // step
    except DataDependentError:
        # a bound read with .item() that no range or _check decides: as torch, the length is a new
        # data-dependent size in [0, size], checked when the program runs
        from .indexing import data_dependent_size
        out[d] = data_dependent_size(shape[d], "slicing with a data-dependent bound")
    return tuple(out)


def _slice_kernel(xp, a, dim=0, start=None, end=None, step=1):
    d = wrap_dim(dim, a.ndim)
    s, e = slice_bounds(a.shape[d], start, end, step)
    return a[(slice(None),) * d + (slice(s, e, step),)]


def _slice_inverse(base, mutated_view, *args):
    return aten.slice_scatter.default(base, mutated_view, *args)


_cut_first_dim = cut_layout(1)


def _slice_layout(args, self_contiguous):
    step = args[4] if len(args) > 4 else 1
    return _cut_first_dim(args, self_contiguous) and step == 1


def _cut_layout(self, shape, dim, start, step=1):
    """A cut along dim from `start` (already in range) every `step`-th element: the offset moves to start."""
    st = list(self.stride())
    # (no comparison of a symbolic start: it would guard)
    offset = self._offset if type(start) is int and start == 0 else self._offset + start * st[dim]
    if type(step) is not int or step != 1:
        st[dim] = st[dim] * step
    return tuple(st), offset


def _slice_layout_of(self, shape, dim=0, start=None, end=None, step=1):
    d = wrap_dim(dim, len(self.shape))
    if self._strides is None and d == 0 and type(step) is int and step == 1 and \
            (start is None or (type(start) is int and start == 0)):
        return None, self._offset
    try:
        s, _ = slice_bounds(self.shape[d], start, end, step)
    except DataDependentError:
        s = start
    return _cut_layout(self, shape, d, s, step)


_view_op("slice.Tensor(Tensor(a) self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) -> Tensor(a)",
         _slice_shape, _slice_kernel, tags=("view", "core"),
         view=ViewRule(inverse=_slice_inverse, layout=_slice_layout), strides=_slice_layout_of)


def _select_index(shape, dim, index):
    check(len(shape) > 0, "select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape))
    size = shape[d]
    check(-size <= index < size,
          lambda: f"select(): index {index} out of range for tensor of size {fmt_shape(shape)} "
                  f"at dimension {d}", IndexError)
    return d, index + size if index < 0 else index


def _select_shape(shape, dim, index):
    d, _ = _select_index(shape, dim, index)
    return tuple(shape[:d]) + tuple(shape[d + 1:])


def _select_kernel(xp, a, dim, index):
    d, i = _select_index(a.shape, dim, index)
    r = a[(slice(None),) * d + (i,)]
    if hasattr(r, "shape") and not isinstance(r, np.generic):
        return r
    return a[(slice(None),) * d + (slice(i, i + 1),)].reshape(())


def _select_inverse(base, mutated_view, dim, index):
    return aten.select_scatter.default(base, mutated_view, dim, index)


def _select_layout(self, shape, dim, index):
    d, i = _select_index(tuple(self.shape), dim, index)
    st = self.stride()
    return tuple(st[:d]) + tuple(st[d + 1:]), self._offset + i * st[d]


_view_op("select.int(Tensor(a) self, int dim, SymInt index) -> Tensor(a)", _select_shape, _select_kernel,
         tags=("view", "core"), variants=FUNCTION_AND_METHOD,
         view=ViewRule(inverse=_select_inverse, layout=_cut_first_dim), strides=_select_layout)


def _narrow_args(shape, dim, start, length):
    check(len(shape) > 0, "narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape))
    size = shape[d]
    check(-size <= start <= size, lambda: f"start out of range (expected to be in range of "
                                          f"[{-size}, {size}], but got {start})")
    if start < 0:
        start = start + size
    check(length >= 0 and start + length <= size,
          lambda: f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return d, start


def _narrow_shape(shape, dim, start, length):
    d, _ = _narrow_args(shape, dim, start, length)
    out = list(shape)
    out[d] = length
    return tuple(out)


def _narrow_kernel(xp, a, dim, start, length):
    d, s = _narrow_args(a.shape, dim, start, length)
    return a[(slice(None),) * d + (slice(s, s + length),)]


def _narrow_inverse(base, mutated_view, dim, start, length):
    return aten.slice_scatter.default(base, mutated_view, dim, start, start + length)


def _narrow_decomp(self, dim, start, length):
    d, s = _narrow_args(tuple(self.shape), dim, start, length)
    return aten.slice.Tensor(self, d, s, s + length)


def _narrow_layout(self, shape, dim, start, length):
    d, s = _narrow_args(tuple(self.shape), dim, start, length)
    return _cut_layout(self, shape, d, s)


_view_op("narrow(Tensor(a) self, int dim, SymInt start, SymInt length) -> Tensor(a)", _narrow_shape,
         _narrow_kernel, decomposition=_narrow_decomp, variants=FUNCTION_AND_METHOD,
         view=ViewRule(inverse=_narrow_inverse, layout=_cut_first_dim), strides=_narrow_layout)


def _flatten_shape(shape, start_dim=0, end_dim=-1):
    if len(shape) == 0:
        return (1,)
    s, e = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    check(s <= e, "flatten() has invalid args: start_dim cannot come after end_dim")
    return tuple(shape[:s]) + (_numel(shape[s:e + 1]),) + tuple(shape[e + 1:])


def _flatten_decomp(self, start_dim=0, end_dim=-1):
    return _reshape_decomp(self, list(_flatten_shape(tuple(self.shape), start_dim, end_dim)))


_view_op("flatten.using_ints(Tensor(a) self, int start_dim=0, int end_dim=-1) -> Tensor(a)",
         _flatten_shape,
         lambda xp, a, start_dim=0, end_dim=-1: _reshape_kernel(xp, a, _flatten_shape(a.shape, start_dim, end_dim)),
         tags=("view", "maybe_view"), decomposition=_flatten_decomp, variants=FUNCTION_AND_METHOD,
         view=ViewRule(inverse=view_back, layout=contiguous_layout), strides=_reshaped_layout)


def _unflatten_shape(shape, dim, sizes):
    d = wrap_dim(dim, len(shape))
    check(len(sizes) > 0, "unflatten: sizes must be non-empty")
    sizes = infer_size(sizes, shape[d]) if -1 in list(sizes) else tuple(sizes)
    check(_numel(sizes) == shape[d],
          lambda: f"unflatten: Provided sizes {fmt_shape(sizes)} don't multiply up to the size of "
                  f"dim {dim} ({shape[d]}) in the input tensor")
    return tuple(shape[:d]) + sizes + tuple(shape[d + 1:])


def _unflatten_decomp(self, dim, sizes):
    return aten.view.default(self, list(_unflatten_shape(tuple(self.shape), dim, sizes)))


_view_op("unflatten.int(Tensor(a) self, int dim, SymInt[] sizes) -> Tensor(a)", _unflatten_shape,
         lambda xp, a, dim, sizes: _view_kernel(xp, a, _unflatten_shape(a.shape, dim, sizes)),
         tags=("view", "maybe_view"), decomposition=_unflatten_decomp, variants=FUNCTION_AND_METHOD,
         view=SHAPE_ONLY, strides=_viewed_layout)
def _reversed_dims(xp, a):
    return xp.transpose(a) if a.ndim else a.view()


def _mT_shape(shape):
    check(len(shape) >= 2, lambda: f"tensor.mT is only supported on matrices or batches of matrices. Got "
                                   f"{len(shape)}-D tensor.")
    return tuple(shape[:-2]) + (shape[-1], shape[-2])


_view_op("numpy_T(Tensor(a) self) -> Tensor(a)", lambda shape: tuple(reversed(shape)), _reversed_dims,
         decomposition=_reverse_dims_decomp, view=_REVERSE_DIMS, strides=_reversed_layout)
def _mT_kernel(xp, a):
    _mT_shape(a.shape)
    return xp.swapaxes(a, -1, -2)


def _mT_inverse(base, mutated_view):
    return _unpermute(base, mutated_view, _swapped_dims(base.ndim, base.ndim - 2, base.ndim - 1))


def _mT_decomp(self):
    return _transpose_decomp(self, -2, -1)


_view_op("mT(Tensor(a) self) -> Tensor(a)", _mT_shape, _mT_kernel, decomposition=_mT_decomp, variants=("method",),
         view=ViewRule(inverse=_mT_inverse, layout=strided_layout),
         strides=_permuted_layout(lambda ndim: _swapped_dims(ndim, ndim - 2, ndim - 1)))


def _like_view(schema, shape_fn, array_fn, tags=("view",), *, view, strides, **facts):
    """A `*_as(self, other)` view: the shape comes from other; `view` its `ViewRule`, `strides` its layout."""
    def meta(self, other):
        shape = shape_fn(tuple(self.shape), tuple(other.shape))
        st, offset = strides(self, shape)
        return make_fake(shape, self._dtype, self._device, strides=st, storage_offset=offset)

    register(schema, meta=meta, kernel=lambda xp, self, other: array_fn(xp, self, tuple(other.shape)), tags=tags,
             view=view, **facts)


def _expand_as_decomp(self, other):
    return aten.expand.default(self, list(other.shape))


_like_view("expand_as(Tensor(a) self, Tensor other) -> Tensor(a)", lambda s, o: _expand_shape(s, o),
           lambda xp, a, o: _expand_kernel(xp, a, o),
           decomposition=_expand_as_decomp, variants=("method",), view=_EXPANDED, strides=_expand_layout)


def _view_as_decomp(self, other):
    return aten.view.default(self, list(other.shape))


_like_view("view_as(Tensor(a) self, Tensor other) -> Tensor(a)", _view_shape, _view_kernel,
           decomposition=_view_as_decomp, variants=("method",), view=SHAPE_ONLY, strides=_viewed_layout)


def _reshape_as_decomp(self, other):
    return _reshape_decomp(self, list(other.shape))


_like_view("reshape_as(Tensor(a) self, Tensor other) -> Tensor(a)", _view_shape,
           _reshape_kernel, tags=("view", "maybe_view"),
           decomposition=_reshape_as_decomp, variants=("method",),
           view=ViewRule(inverse=view_back, layout=contiguous_layout), strides=_reshaped_layout)
_WHOLE = ViewRule(inverse=same_value, layout=keeps_layout)
_view_op("alias(Tensor(a) self) -> Tensor(a)", lambda shape: shape, lambda xp, a: a.view(), tags=("view", "core"),
         view=_WHOLE, strides=_same_layout)


def _detach_decomp(self):
    return aten.alias.default(self)


_view_op("detach(Tensor(a) self) -> Tensor(a)", lambda shape: shape, lambda xp, a: a.view(),
         decomposition=_detach_decomp, variants=FUNCTION_AND_METHOD, view=_WHOLE, strides=_same_layout)


def _contiguous_decomp(self, *, memory_format=0):
    fmt = memory_format_name(memory_format, CONTIGUOUS)
    if self.is_contiguous(fmt):
        return aten.alias.default(self)
    return aten.clone.default(self, memory_format=fmt)


def _contiguous_layout(self, shape, *, memory_format=0):
    fmt = memory_format_name(memory_format, CONTIGUOUS)
    if self.is_contiguous(fmt):
        return self._strides, self._offset
    return format_strides(shape, fmt), 0


# Copying a transposed matrix into C order, NumPy moves one element at a time with the source's stride.
# Where that stride is a multiple of 512 bytes, the elements one row gathers share a few cache sets and
# evict each other (the copy of a 1024 x 1024 float32 transpose runs 6x slower than of a 1000 x 1000 one).
# Viewing `g` source neighbours as one 32-byte item first moves whole groups with that stride (g times
# fewer moves), leaving a de-interleave of the g-element groups whose small strides stay in cache.  Bytes
# are moved untouched, so every dtype (NaN payloads, -0.0) copies exactly.  It pays off for matrices of at
# least 256 x 128 elements and 128 KiB, and elements of 8 bytes at most (g >= 4).
_GROUP_BYTES, _ALIASING_STRIDE = 32, 512
_GROUPED_MIN_ROWS, _GROUPED_MIN_COLS, _GROUPED_MIN_BYTES = 256, 128, 1 << 17


def _grouped_swap_copy(a):
    """A C-contiguous copy of NumPy array `a` by grouped moves when `a` is a transposed C-contiguous matrix
    (or batch of them: its last two dims swapped back are C-contiguous) with a cache-aliasing stride;
    None where that does not apply."""
    isz = a.itemsize
    if a.ndim < 2 or a.dtype.hasobject or _GROUP_BYTES % isz or isz > 8:
        return None
    g, m, n = _GROUP_BYTES // isz, a.shape[-2], a.shape[-1]
    if (m < _GROUPED_MIN_ROWS or n < _GROUPED_MIN_COLS or m * n * isz < _GROUPED_MIN_BYTES
            or m * isz % _ALIASING_STRIDE):
        return None
    x = np.swapaxes(a, -1, -2)
    if not x.flags.c_contiguous:
        return None
    out = np.empty(a.shape, a.dtype)
    # the groups, transposed: y[..., p, j] holds x[..., j, p*g:(p+1)*g], i.e. out[..., p*g:(p+1)*g, j]
    y = np.ascontiguousarray(np.swapaxes(x.view(f"V{_GROUP_BYTES}"), -1, -2))
    groups = out.reshape(a.shape[:-2] + (m // g, g, n))
    groups[...] = np.swapaxes(y.view(a.dtype).reshape(a.shape[:-2] + (m // g, n, g)), -1, -2)
    return out


def _contiguous_kernel(xp, a, memory_format=0):
    fmt = memory_format_name(memory_format, CONTIGUOUS)
    if fmt == CONTIGUOUS:
        if a.flags.c_contiguous:
            return a
        out = _grouped_swap_copy(a) if xp is np and a.nbytes >= _GROUPED_MIN_BYTES else None
        return xp.ascontiguousarray(a) if out is None else out
    shape = tuple(a.shape)
    return a if strides_contiguous(shape, _elements(a), fmt) else copy_array(xp, a, fmt)


_view_op("contiguous(Tensor(a) self, *, MemoryFormat memory_format=0) -> Tensor(a)",
         lambda shape, memory_format=0: shape, _contiguous_kernel,
         tags=("view", "maybe_view", "returns_self_if_unchanged"),
         decomposition=_contiguous_decomp, variants=("method",),
         view=ViewRule(inverse=same_value, layout=contiguous_layout), strides=_contiguous_layout)


# --------------------------------------------------------------- splitting --
def split_sizes(size, split_size):
    """Chunk sizes for split(split_size): equal pieces and a smaller last one."""
    check(split_size >= 0, lambda: f"split expects split_size be non-negative, but got split_size={split_size}")
    if split_size == 0:
        check(size == 0, "split_size can only be 0 if dimension size is 0")
        return [0]
    n = max((size + split_size - 1) // split_size, 1)
    return [split_size] * (n - 1) + [size - split_size * (n - 1)]


def _pieces(shape, dim, sizes):
    d = wrap_dim(dim, len(shape))
    check(sum(sizes) == shape[d],
          lambda: f"split_with_sizes expects split_sizes to sum exactly to {shape[d]} (input tensor's "
                  f"size at dimension {d}), but got split_sizes={fmt_shape(sizes)}")
    return d, sizes


def _split_op(schema, sizes_fn, tags=("view",), **facts):
    known = geometry_memo()      # static geometry key -> the pieces' geometries (see `static_key`)

    def meta(self, arg, dim=0):
        return remembered(known, static_key((self,), (arg, dim)), self, lambda: _split_meta(self, arg, dim))

    def _split_meta(self, arg, dim):
        d, sizes = _pieces(self.shape, dim, sizes_fn(self.shape[wrap_dim(dim, len(self.shape))], arg))
        out, start = [], 0
        for s in sizes:
            shape = list(self.shape)
            shape[d] = s
            st, offset = _cut_layout(self, shape, d, start) if (d or self._strides is not None) else (None, None)
            out.append(make_fake(shape, self._dtype, self._device, strides=st,
                                 storage_offset=self._offset + start * self.stride(0) if offset is None else offset))
            start = start + s
        return out

    def kernel(xp, self, arg, dim=0):
        d, sizes = _pieces(self.shape, dim, sizes_fn(self.shape[wrap_dim(dim, self.ndim)], arg))
        out, start = [], 0
        for s in sizes:
            out.append(self[(slice(None),) * d + (slice(start, start + s),)])
            start += s
        return out

    register(schema, meta=meta, kernel=kernel, tags=tags,
             view=ViewRule(per_output=_split_steps, layout=cut_layout(2)), **facts)


def _split_steps(outputs, arg, dim=0):
    """Each piece of a split is a slice of the base along dim."""
    steps, start = [], 0
    for t in outputs:
        size = t.shape[dim]
        steps.append((aten.slice.Tensor, (dim, start, start + size), {}))
        start += size
    return steps


def _chunk_sizes(size, chunks):
    check(chunks > 0, lambda: f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if size == 0:            # an empty dim gives `chunks` empty pieces, as torch's chunk does
        return [0] * chunks
    return split_sizes(size, (size + chunks - 1) // chunks)


def _split_decomp(self, split_size, dim=0):
    d = wrap_dim(dim, self.ndim)
    return aten.split_with_sizes.default(self, split_sizes(self.shape[d], split_size), d)


_split_op("split.Tensor(Tensor(a -> *) self, SymInt split_size, int dim=0) -> Tensor(a)[]", split_sizes,
          decomposition=_split_decomp, variants=FUNCTION_AND_METHOD)
_split_op("split_with_sizes(Tensor(a -> *) self, SymInt[] split_sizes, int dim=0) -> Tensor(a)[]",
          lambda size, sizes: list(sizes), tags=("view", "core"), variants=FUNCTION_AND_METHOD)


def _chunk_decomp(self, chunks, dim=0):
    d = wrap_dim(dim, self.ndim)
    return aten.split_with_sizes.default(self, _chunk_sizes(self.shape[d], chunks), d)


_split_op("chunk(Tensor(a -> *) self, int chunks, int dim=0) -> Tensor(a)[]", _chunk_sizes,
          decomposition=_chunk_decomp, variants=FUNCTION_AND_METHOD)


def _unbind_meta(self, dim=0):
    d = wrap_dim(dim, len(self.shape))
    shape = tuple(self.shape[:d]) + tuple(self.shape[d + 1:])
    outs = []
    for i in range(self.shape[d]):
        st, offset = _select_layout(self, shape, d, i)
        outs.append(make_fake(shape, self._dtype, self._device, strides=st, storage_offset=offset))
    return outs


def _unbind_kernel(xp, self, dim=0):
    check(self.ndim > 0, "Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, self.ndim)
    return [_select_kernel(xp, self, d, i) for i in range(self.shape[d])]


def _unbind_steps(outputs, dim=0):
    """unbind's i-th output is select(dim, i) of the base."""
    return [(aten.select.int, (dim, i), {}) for i in range(len(outputs))]


def _unbind_decomp(self, dim=0):
    """Unit slices, each squeezed along dim: torch's split-then-squeeze ops."""
    d = wrap_dim(dim, self.ndim)
    return [aten.squeeze.dims(aten.slice.Tensor(self, d, i, i + 1), [d]) for i in range(self.shape[d])]


register("unbind.int(Tensor(a -> *) self, int dim=0) -> Tensor(a)[]", meta=_unbind_meta,
         kernel=_unbind_kernel, tags=("view",), decomposition=_unbind_decomp, variants=FUNCTION_AND_METHOD,
         view=ViewRule(per_output=_unbind_steps, layout=cut_layout(1)))


# ------------------------------------------------------------------ copies --
def _clone_kernel(xp, self, memory_format=None):
    """A copy laid out as torch lays it out (`copy_array`); a contiguous one of a transposed matrix by
    grouped moves (`_grouped_swap_copy`)."""
    out = None
    if xp is np and self.nbytes >= _GROUPED_MIN_BYTES and memory_format_name(memory_format) == CONTIGUOUS \
            and not self.flags.c_contiguous:
        out = _grouped_swap_copy(self)
    return copy_array(xp, self, memory_format) if out is None else out


register("clone(Tensor self, *, MemoryFormat? memory_format=None) -> Tensor",
         meta=lambda self, memory_format=None: make_fake(self.shape, self._dtype, self._device,
                                                         strides=like_strides(self, memory_format)),
         kernel=_clone_kernel, tags=("core",), variants=FUNCTION_AND_METHOD)


def _cat_inputs(shapes, dim):
    # torch skips legacy empty 1-D tensors of shape [0]
    live = [i for i, s in enumerate(shapes) if not (len(s) == 1 and s[0] == 0)]
    if not live:
        return None, live
    ref = shapes[live[0]]
    check(len(ref) > 0, "zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, len(ref))
    for i in live:
        s = shapes[i]
        check(len(s) == len(ref), lambda: f"Tensors must have same number of dimensions: got "
                                          f"{len(ref)} and {len(s)}")
        for k in range(len(ref)):
            check(k == d or s[k] == ref[k],
                  lambda: f"Sizes of tensors must match except in dimension {d}. Expected size "
                          f"{ref[k]} but got size {s[k]} for tensor number {i} in the list.")
    return d, live


def _cat_meta(tensors, dim=0):
    check(len(tensors) > 0, "torch.cat(): expected a non-empty list of Tensors")
    rt = promote(*[_as_dim_operand(t) for t in tensors])
    d, live = _cat_inputs([tuple(t.shape) for t in tensors], dim)
    if d is None:
        return fake_like((0,), rt, *tensors)
    shape = list(tensors[live[0]].shape)
    shape[d] = sum(tensors[i].shape[d] for i in live)
    return fake_like(shape, rt, *tensors)


class _DtypeOnly:
    """Stands for a tensor in promotion where all operands count as dimensioned."""
    __slots__ = ("dtype", "ndim")

    def __init__(self, d):
        self.dtype, self.ndim = d, 1


def _as_dim_operand(t):
    return _DtypeOnly(dtype_of(t))


def _cat_kernel(xp, tensors, dim=0):
    check(len(tensors) > 0, "torch.cat(): expected a non-empty list of Tensors")
    rt = promote(*[_as_dim_operand(t) for t in tensors])
    d, live = _cat_inputs([t.shape for t in tensors], dim)
    if d is None:
        return xp.zeros((0,), dtype=rt.numpy_dtype)
    return xp.concatenate([tensors[i].astype(rt.numpy_dtype, copy=False) for i in live], axis=d)


register("cat(Tensor[] tensors, int dim=0) -> Tensor", meta=_cat_meta, kernel=_cat_kernel,
         tags=("core",), variants=("function",))


def _stack_check(shapes, dim):
    check(len(shapes) > 0, "stack expects a non-empty TensorList")
    for i, s in enumerate(shapes):
        check(tuple(s) == tuple(shapes[0]),
              lambda: f"stack expects each tensor to be equal size, but got {fmt_shape(shapes[0])} "
                      f"at entry 0 and {fmt_shape(s)} at entry {i}")
    return wrap_dim(dim, len(shapes[0]) + 1)


def _stack_meta(tensors, dim=0):
    d = _stack_check([t.shape for t in tensors], dim)
    shape = list(tensors[0].shape)
    shape.insert(d, len(tensors))
    return fake_like(shape, promote(*[_as_dim_operand(t) for t in tensors]), *tensors)


def _stack_kernel(xp, tensors, dim=0):
    d = _stack_check([t.shape for t in tensors], dim)
    rt = promote(*[_as_dim_operand(t) for t in tensors])
    return xp.stack([t.astype(rt.numpy_dtype, copy=False) for t in tensors], axis=d)


def _stack_decomp(tensors, dim=0):
    d = _stack_check([t.shape for t in tensors], dim)
    return aten.cat.default([aten.unsqueeze.default(t, d) for t in tensors], d)


register("stack(Tensor[] tensors, int dim=0) -> Tensor", meta=_stack_meta, kernel=_stack_kernel,
         decomposition=_stack_decomp, variants=("function",))


def _repeat_shape(shape, repeats):
    check(len(repeats) >= len(shape), "Number of dimensions of repeat dims can not be smaller "
                                      "than number of dimensions of tensor")
    pad = (1,) * (len(repeats) - len(shape)) + tuple(shape)
    return tuple(p * r for p, r in zip(pad, repeats))


def _repeat_kernel(xp, a, repeats):
    _repeat_shape(a.shape, repeats)
    a = a.reshape((1,) * (len(repeats) - a.ndim) + a.shape)
    return xp.tile(a, tuple(repeats))


def _copy_op(schema, shape_fn, array_fn, **facts):
    """Register an op that returns a new tensor of self's dtype with shape `shape_fn(shape, *args)`."""
    register(schema, meta=lambda self, *a, **k: fake_like(shape_fn(tuple(self.shape), *a, **k), self.dtype, self),
             kernel=array_fn, **facts)


_copy_op("repeat(Tensor self, SymInt[] repeats) -> Tensor", _repeat_shape, _repeat_kernel,
         tags=("core",), variants=("method",))
def _flip_shape(shape, dims):
    wrap_dims(dims, len(shape))
    return shape


_copy_op("flip(Tensor self, int[] dims) -> Tensor", _flip_shape,
         lambda xp, a, dims: xp.flip(a, wrap_dims(dims, a.ndim)).copy() if dims else a.copy(),
         tags=("core",), variants=FUNCTION_AND_METHOD)


def _roll_kernel(xp, a, shifts, dims=()):
    shifts = [shifts] if isinstance(shifts, int) else list(shifts)
    dims = [dims] if isinstance(dims, int) else list(dims)
    if not dims:
        check(len(shifts) == 1, "roll: shifts must have one element when dims is not given")
        return xp.roll(a.reshape(-1), shifts[0]).reshape(a.shape)
    check(len(shifts) == len(dims), lambda: f"shifts and dimensions must align. shifts: {len(shifts)}, "
                                            f"dims:{len(dims)}")
    return xp.roll(a, tuple(shifts), axis=tuple(wrap_dim(d, a.ndim) for d in dims))


def _roll_decomp(self, shifts, dims=()):
    shifts = [shifts] if isinstance(shifts, int) else list(shifts)
    dims = [dims] if isinstance(dims, int) else list(dims)
    if not dims:
        flat = _reshape_decomp(self, [-1])
        return aten.view.default(_roll_decomp(flat, shifts, [0]), list(self.shape))
    # per dim, as torch's core graph has it: index_select at (arange(n) + start) fmod n, start = -shift mod n
    out = self
    for shift, dim in zip(shifts, dims):
        d = wrap_dim(dim, self.ndim)
        n = self.shape[d]
        if n == 0:
            continue
        at = aten.add.Tensor(aten.arange.start_step(0, n, 1, device=self.device), (n - shift % n) % n)
        out = aten.index_select.default(out, d, aten.fmod.Scalar(at, n))
    return out if out is not self else aten.clone.default(self)


_copy_op("roll(Tensor self, SymInt[1] shifts, int[1] dims=[]) -> Tensor", lambda shape, shifts, dims=(): shape,
         _roll_kernel, decomposition=_roll_decomp, variants=FUNCTION_AND_METHOD)


def _tri_check(shape):
    check(len(shape) >= 2, "tril/triu: input tensor must have at least 2 dimensions")
    return shape


def _tri_kernel(fn_name):
    def kernel(xp, a, diagonal=0):
        _tri_check(a.shape)
        return getattr(xp, fn_name)(a, diagonal)
    return kernel


_copy_op("tril(Tensor self, SymInt diagonal=0) -> Tensor", lambda shape, diagonal=0: _tri_check(shape),
         _tri_kernel("tril"), decomposition=_tri(True), variants=FUNCTION_AND_METHOD)
_copy_op("triu(Tensor self, SymInt diagonal=0) -> Tensor", lambda shape, diagonal=0: _tri_check(shape),
         _tri_kernel("triu"), decomposition=_tri(False), variants=FUNCTION_AND_METHOD)


# ------------------------------------------------------------------ padding --
def _pad_shape(shape, pad, *rest, **kw):
    check(len(pad) % 2 == 0, "Length of pad must be even but instead it equals %d" % len(pad))
    check(len(pad) // 2 <= len(shape),
          lambda: f"Length of pad should be no more than twice the number of dimensions of the "
                  f"input. Pad length is {len(pad)} while the input has {len(shape)} dimensions.")
    out = list(shape)
    for i in range(len(pad) // 2):
        d = len(shape) - 1 - i
        out[d] = shape[d] + pad[2 * i] + pad[2 * i + 1]
        check(out[d] >= 0, lambda: f"The input size {shape[d]}, plus negative padding {pad[2 * i]} and "
                                   f"{pad[2 * i + 1]} resulted in a negative output size, which is invalid. "
                                   f"Check dimension {d} of your input.")
    return tuple(out)


def _pad_widths(ndim, pad):
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return widths


def _constant_pad_kernel(xp, a, pad, value=0):
    _pad_shape(a.shape, pad)
    widths = _pad_widths(a.ndim, pad)
    # torch narrows by the negative pads first: together they may not crop more than the dim
    for (lo, hi), n in zip(widths, a.shape):
        check(n + min(lo, 0) >= 0 and n + min(lo, 0) + min(hi, 0) >= 0, "narrow(): length must be non-negative.")
    fill = cast(xp, value, dtype_of(a))
    if not any(pad):
        return copy_array(xp, a)        # (torch clones the input: its strides kept)
    return _constant_fill(xp, a, widths, fill)


# np.pad costs ~35 us of Python even on a small array, and lays its result out C-contiguously.  Instead the
# output is allocated in the input's suggested memory format (torch's layout), the kept part of the input
# (cropped by the negative pads) copied into place, and each padded border filled: a few NumPy calls.  The
# fill value goes through np.asarray as np.pad's does (same conversion into the output's dtype).
def _constant_fill(xp, a, widths, value):
    """constant_pad_nd of array a by per-dim (before, after) widths (negative: crop)."""
    shape = tuple(n + lo + hi for n, (lo, hi) in zip(a.shape, widths))
    out = full_like_input(xp, shape, None, a.dtype, a)
    src = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(a.shape, widths))
    out[tuple(slice(max(lo, 0), max(lo, 0) + s.stop - s.start) for s, (lo, hi) in zip(src, widths))] = a[src]
    fill = xp.asarray(value)
    for d, (lo, hi) in enumerate(widths):
        if lo > 0:
            out[(slice(None),) * d + (slice(0, lo),)] = fill
        if hi > 0:
            out[(slice(None),) * d + (slice(shape[d] - hi, None),)] = fill
    return out


def _constant_pad_meta(self, pad, value=0):
    """constant_pad_nd's output: in the input's suggested memory format; with no padding at all, a copy
    that keeps the input's strides (torch clones it)."""
    shape = _pad_shape(tuple(self.shape), pad)
    if not any(sure(p != 0, True) for p in pad):
        return make_fake(shape, self.dtype, self._device, strides=preserved_strides(shape, self.stride()))
    return fake_like_input(shape, self.dtype, self)


register("constant_pad_nd(Tensor self, SymInt[] pad, Scalar value=0) -> Tensor", meta=_constant_pad_meta,
         kernel=_constant_pad_kernel, tags=("core",), variants=("function",))

_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _check_pad_mode(shape, pad, mode):
    """Non-constant modes pad the last 1-3 dims of a batched or unbatched input, as torch allows."""
    if mode == "constant":
        return
    check(mode in _PAD_MODES, lambda: f"Unrecognised padding mode {mode}")
    k = len(pad) // 2
    check(len(pad) % 2 == 0 and 1 <= k <= 3 and len(shape) in (k + 1, k + 2),
          lambda: f"Padding size {len(pad)} is not supported for {len(shape)}D input tensor.\n"
                  "Supported combinations for non-constant padding:\n"
                  "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                  "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                  "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)", NotImplementedError)


_PAD_DIM_NAMES = ("W", "H", "D")


def _check_pad_sizes(shape, pad, mode):
    """torch's size checks of non-constant padding (negative pads crop; each mode words its own errors)."""
    k = len(pad) // 2
    widths = _pad_widths(len(shape), pad)[len(shape) - k:]
    sizes = shape[len(shape) - k:]
    outs = [n + lo + hi for n, (lo, hi) in zip(sizes, widths)]
    if mode == "circular":
        for n, (lo, hi), o in zip(sizes, widths, outs):
            check(lo <= n and hi <= n, "Padding value causes wrapping around more than once.")
            check(o >= 0, "Negative padding value is resulting in an empty dimension.")
        if 0 in shape or 0 in outs:
            return
        for n, (lo, hi) in zip(sizes, widths):
            # torch wraps the cropped dim once; a longer wrap reads memory it never wrote, so it is refused
            kept = n - max(-lo, 0) - max(-hi, 0)
            check(max(lo, hi) <= kept,
                  lambda: f"circular padding: a pad of {max(lo, hi)} is longer than the {max(kept, 0)} element(s) "
                          f"left after cropping by the negative pads")
        return
    if mode == "reflect":
        for d, n, (lo, hi) in zip(range(len(shape) - k, len(shape)), sizes, widths):
            check(max(lo, hi) < n or max(lo, hi) <= 0,
                  lambda: f"Argument #4: Padding size should be less than the corresponding input "
                          f"dimension, but got: padding ({lo}, {hi}) at dimension {d} of input {fmt_shape(shape)}")
    if k < 3:
        # the 1-d and 2-d kernels refuse an output empty in every padded dim ("W: 4 )" is
        # replication_pad2d's own spacing)
        names = _PAD_DIM_NAMES[:k][::-1]
        gap = " " if (mode, k) == ("replicate", 2) else ""
        check(any(o >= 1 for o in outs),
              lambda: f"input ({', '.join(f'{a}: {n}' for a, n in zip(names, sizes))}{gap}) is too small. "
                      f"Calculated output {' '.join(f'{a}: {o}' for a, o in zip(names, outs))}")


def _pad_shape_checked(shape, pad, mode="constant", value=None):
    _check_pad_mode(shape, pad, mode)
    if mode != "constant":
        _check_pad_sizes(shape, pad, mode)
    return _pad_shape(shape, pad)


def _pad_crop(shape, widths, grow):
    """Slices that drop the negative pads' elements from an input of `shape` already grown by `grow`."""
    return tuple(slice(max(-lo, 0), s + g_lo + g_hi - max(-hi, 0))
                 for s, (lo, hi), (g_lo, g_hi) in zip(shape, widths, grow))


def _pad_kernel(xp, a, pad, mode="constant", value=None):
    if mode == "constant":
        return _constant_pad_kernel(xp, a, pad, 0 if value is None else value)
    check(value is None or value == 0, lambda: f"Padding mode \"{mode}\" doesn't take in value argument")
    _pad_shape_checked(a.shape, pad, mode)
    widths = _pad_widths(a.ndim, pad)
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    out_shape = _pad_shape(a.shape, pad)
    if 0 in out_shape:
        return xp.zeros(out_shape, dtype=a.dtype)
    if mode == "circular":
        # torch crops first and wraps what is left
        return xp.ascontiguousarray(xp.pad(a[_pad_crop(a.shape, widths, [(0, 0)] * a.ndim)], grow, mode="wrap"))
    # reflect/replicate read output i from input i - lo mapped into range: pad the positive amounts, then crop
    out = pad_in_memory_order(xp, a, grow, _pad_crop(a.shape, widths, grow), mode=_PAD_MODES[mode])
    return out if min(pad) >= 0 else in_input_format(xp, out, a)     # (a crop leaves a non-dense view)


def _pad_meta(self, pad, mode="constant", value=None):
    """pad's output: constant, reflect and replicate padding lay it out in the input's suggested memory
    format (see constant_pad_nd), circular padding contiguously."""
    shape = _pad_shape_checked(tuple(self.shape), pad, mode, value)
    if mode == "constant":
        return _constant_pad_meta(self, pad)
    return fake_like(shape, self.dtype, self) if mode == "circular" else fake_like_input(shape, self.dtype, self)


_PAD_OPS = {"reflect": "reflection_pad", "replicate": "replication_pad"}


def _pad_decomp(self, pad, mode="constant", value=None):
    """constant_pad_nd, a reflection/replication pad op, or circular padding as torch's core graph has it."""
    if mode == "constant":
        return aten.constant_pad_nd.default(self, list(pad), 0 if value is None else value)
    _check_pad_mode(tuple(self.shape), pad, mode)
    if 0 in _pad_shape(tuple(self.shape), pad):
        # an empty result: only its shape matters
        return aten.empty.memory_format(list(_pad_shape(tuple(self.shape), pad)), dtype=self.dtype,
                                        device=self.device)
    if mode in _PAD_OPS:
        return getattr(aten, f"{_PAD_OPS[mode]}{len(pad) // 2}d").default(self, list(pad))
    return _pad_circular(self, pad)


def _pad_circular(self, pad):
    """torch pads circularly in place in a fresh tensor (the cropped input into the middle, then each dim's
    borders copied from the opposite side, last dim first); these are those writes, functional: each one
    `slice_scatter(out, copy(slice(out), source), ...)`, nested through the slices of the middle's view."""
    dims = [self.ndim - 1 - i for i in range(len(pad) // 2)]
    widths = {d: (pad[2 * i], pad[2 * i + 1]) for i, d in enumerate(dims)}
    shape = list(_pad_shape(tuple(self.shape), pad))
    out = aten.empty.memory_format(shape, dtype=self.dtype, device=self.device)
    # the middle: out's and self's slices, one per dim, copied, then scattered back out through the chain
    chain, dst, src = [out], out, self
    for d in dims:
        lo, hi = widths[d]
        bounds = (max(lo, 0), shape[d] - max(hi, 0))
        dst = aten.slice.Tensor(dst, d, *bounds)
        src = aten.slice.Tensor(src, d, max(-lo, 0), self.shape[d] - max(-hi, 0))
        chain.append(bounds)
    value = aten.copy.default(dst, src)
    views = [out]
    for d, bounds in zip(dims[:-1], chain[1:-1]):
        views.append(aten.slice.Tensor(views[-1], d, *bounds))
    for d, bounds, below in zip(reversed(dims), reversed(chain[1:]), reversed(views)):
        value = aten.slice_scatter.default(below, value, d, *bounds)
    out = value
    # the borders: left from the far end of the middle, right from its near end
    for d in dims:
        lo, hi = widths[d]
        n = shape[d]
        for (start, end), (from_start, from_end) in (((0, lo), (n - max(hi, 0) - lo, n - max(hi, 0))),
                                                      ((n - hi, n), (max(lo, 0), max(lo, 0) + hi))):
            if end - start > 0:
                part = aten.copy.default(aten.slice.Tensor(out, d, start, end),
                                         aten.slice.Tensor(out, d, from_start, from_end))
                out = aten.slice_scatter.default(out, part, d, start, end)
    return out


register('pad(Tensor self, SymInt[] pad, str mode="constant", float? value=None) -> Tensor', meta=_pad_meta,
         kernel=_pad_kernel, decomposition=_pad_decomp)


# ------------------------------------------------------- scatter forms of views --
def _select_scatter_meta(self, src, dim, index):
    check(tuple(src.shape) == _select_shape(tuple(self.shape), dim, index),
          lambda: f"select_scatter: expected src to have a size equal to the slice of self. src size = "
                  f"{fmt_shape(src.shape)}, slice size = {fmt_shape(_select_shape(tuple(self.shape), dim, index))}")
    return fake_like(self.shape, self.dtype, self)


def _select_scatter_kernel(xp, self, src, dim, index):
    _select_scatter_meta(self, src, dim, index)
    out = self.copy()
    d, i = _select_index(self.shape, dim, index)
    out[(slice(None),) * d + (i,)] = src
    return out


def _slice_scatter_meta(self, src, dim=0, start=None, end=None, step=1):
    expected = _slice_shape(tuple(self.shape), dim, start, end, step)
    check(tuple(src.shape) == expected,
          lambda: f"slice_scatter: expected src to have a size equal to the slice of self. src size = "
                  f"{fmt_shape(src.shape)}, slice size = {fmt_shape(expected)}")
    return fake_like(self.shape, self.dtype, self)


def _slice_scatter_kernel(xp, self, src, dim=0, start=None, end=None, step=1):
    _slice_scatter_meta(self, src, dim, start, end, step)
    out = self.copy()
    d = wrap_dim(dim, self.ndim)
    s, e = slice_bounds(self.shape[d], start, end, step)
    out[(slice(None),) * d + (slice(s, e, step),)] = src
    return out


def _select_scatter_decomp(self, src, dim, index):
    """where(position along dim == index, src broadcast back over dim, self), as torch's core graph has it."""
    _select_scatter_meta(self, src, dim, index)
    d, i = _select_index(tuple(self.shape), dim, index)
    at = aten.view.default(aten.arange.start_step(0, self.shape[d], 1, device=self.device),
                           [-1 if k == d else 1 for k in range(self.ndim)])
    spread = aten.expand.default(aten.unsqueeze.default(src, d), list(self.shape))
    return aten.where.self(aten.eq.Scalar(at, i), spread, self)


register("select_scatter(Tensor self, Tensor src, int dim, SymInt index) -> Tensor",
         meta=_select_scatter_meta, kernel=_select_scatter_kernel, tags=("core",), variants=FUNCTION_AND_METHOD,
         decomposition=_select_scatter_decomp)
register("slice_scatter(Tensor self, Tensor src, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) "
         "-> Tensor", meta=_slice_scatter_meta, kernel=_slice_scatter_kernel, tags=("core",),
         variants=FUNCTION_AND_METHOD)




# ------------------------------------------------------ strides as arguments --
def _as_strided_check(size, stride, storage_offset):
    check(len(size) == len(stride), lambda: "mismatch in length of strides and shape")
    for st in stride:
        check(st >= 0, "as_strided: Negative strides are not supported at the moment, got strides: "
                       f"{fmt_shape(stride)}")
    check(storage_offset is None or storage_offset >= 0,
          lambda: f"Tensor: invalid storage offset {storage_offset}")


def _as_strided_meta(self, size, stride, storage_offset=None):
    _as_strided_check(size, stride, storage_offset)
    offset = self._offset if storage_offset is None else storage_offset
    return make_fake(tuple(size), self._dtype, self._device, strides=tuple(stride), storage_offset=offset)


def _owner(a):
    """The array owning a's memory (the end of its `.base` chain), and a's offset in it in elements."""
    root = a
    while True:
        base = getattr(root, "base", None)
        if not isinstance(base, type(a)):
            # NumPy's as_strided views hang off a wrapper object whose `.base` is the array
            base = getattr(base, "base", None)
            if not isinstance(base, type(a)):
                break
        root = base
    face = getattr(a, "__array_interface__", None)
    start = face["data"][0] if face is not None else a.data.ptr
    face = getattr(root, "__array_interface__", None)
    begin = face["data"][0] if face is not None else root.data.ptr
    return root, (start - begin) // a.itemsize


def _as_strided_kernel(xp, a, size, stride, storage_offset=None):
    """A view over a's storage: the memory of the array that owns a's data (a tensor's storage, for a
    tensor whose array minexport made), from `storage_offset` elements (default: a's own start)."""
    _as_strided_check(size, stride, storage_offset)
    root, own = _owner(a)
    offset = own if storage_offset is None else storage_offset
    storage = root.size * root.itemsize // a.itemsize
    needed = 0 if 0 in tuple(size) else offset + 1 + sum((n - 1) * st for n, st in zip(size, stride))
    check(needed <= storage,
          lambda: f"setStorage: sizes {fmt_shape(size)}, strides {fmt_shape(stride)}, storage offset {offset}, "
                  f"and itemsize {a.itemsize} requiring a storage size of {needed * a.itemsize} are out of "
                  f"bounds for storage of size {storage * a.itemsize}")
    flat = root.reshape(-1, order="A").view(a.dtype)
    return _strided_array(xp, flat[offset:] if offset < flat.size else flat[flat.size:], size, stride)


def _as_strided_inverse(base, mutated_view, size, stride, storage_offset=None):
    return aten.as_strided_scatter.default(base, mutated_view, size, stride, storage_offset)


register("as_strided(Tensor(a) self, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None) -> Tensor(a)",
         meta=_as_strided_meta, kernel=_as_strided_kernel, tags=("view", "core"), variants=FUNCTION_AND_METHOD,
         view=ViewRule(inverse=_as_strided_inverse, layout=keeps_layout))


def _diagonal_geometry(shape, strides, offset, dim1, dim2):
    """(shape, strides, offset step) of the diagonal `offset` of dims dim1, dim2: it becomes the last dim."""
    n = len(shape)
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    check(d1 != d2, lambda: f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if offset >= 0:
        size = max(min(shape[d1], shape[d2] - offset), 0)
        step = offset * strides[d2]
    else:
        size = max(min(shape[d1] + offset, shape[d2]), 0)
        step = -offset * strides[d1]
    if size == 0:
        step = 0
    keep = [d for d in range(n) if d not in (d1, d2)]
    return (tuple(shape[d] for d in keep) + (size,), tuple(strides[d] for d in keep) + (strides[d1] + strides[d2],),
            step)


def _diagonal_meta(self, offset=0, dim1=0, dim2=1):
    shape, st, step = _diagonal_geometry(tuple(self.shape), self.stride(), offset, dim1, dim2)
    return make_fake(shape, self._dtype, self._device, strides=st, storage_offset=self._offset + step)


def _diagonal_kernel(xp, a, offset=0, dim1=0, dim2=1):
    shape, st, step = _diagonal_geometry(a.shape, _elements(a), offset, dim1, dim2)
    if step:
        a = a.reshape(-1, order="A")[step:] if a.flags.c_contiguous or a.flags.f_contiguous \
            else _shifted(a, step)
    return _strided_array(xp, a, shape, st)


def _shifted(a, step):
    """a's memory from `step` elements after its first one (a non-contiguous a: through its owner)."""
    root, own = _owner(a)
    return root.reshape(-1, order="A").view(a.dtype)[own + step:]


def _diagonal_inverse(base, mutated_view, offset=0, dim1=0, dim2=1):
    return aten.diagonal_scatter.default(base, mutated_view, offset, dim1, dim2)


def _diagonal_layout(args, self_contiguous):
    return False


register("diagonal(Tensor(a) self, int offset=0, int dim1=0, int dim2=1) -> Tensor(a)",
         meta=_diagonal_meta, kernel=_diagonal_kernel, tags=("view", "core"), variants=FUNCTION_AND_METHOD,
         view=ViewRule(inverse=_diagonal_inverse, layout=_diagonal_layout))


def _scatter_copy(view_kernel):
    """The kernel of a `*_scatter` op: a copy of self with the view `view_kernel(copy, *args)` set to src."""
    def kernel(xp, self, src, *args, **kwargs):
        out = copy_array(xp, self)
        view = view_kernel(xp, out, *args, **kwargs)
        check(tuple(view.shape) == tuple(src.shape),
              lambda: f"expected src to have a size equal to the slice of self. src size = {fmt_shape(src.shape)}, "
                      f"slice size = {fmt_shape(view.shape)}")
        view[...] = src
        return out
    return kernel


def _scatter_meta(view_meta):
    def meta(self, src, *args, **kwargs):
        view = view_meta(self, *args, **kwargs)
        check(tuple(view.shape) == tuple(src.shape),
              lambda: f"expected src to have a size equal to the slice of self. src size = {fmt_shape(src.shape)}, "
                      f"slice size = {fmt_shape(view.shape)}")
        return make_fake(self.shape, self._dtype, self._device, strides=like_strides(self, None))
    return meta


register("as_strided_scatter(Tensor self, Tensor src, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None) "
         "-> Tensor", meta=_scatter_meta(_as_strided_meta), kernel=_scatter_copy(_as_strided_kernel),
         variants=FUNCTION_AND_METHOD)
register("diagonal_scatter(Tensor self, Tensor src, int offset=0, int dim1=0, int dim2=1) -> Tensor",
         meta=_scatter_meta(_diagonal_meta), kernel=_scatter_copy(_diagonal_kernel), variants=FUNCTION_AND_METHOD)

register("sym_stride.int(Tensor self, int dim) -> SymInt", meta=lambda self, dim: self.stride(dim),
         kernel=lambda xp, self, dim: _elements(self)[wrap_dim(dim, self.ndim)], tags=("core",))
register("sym_storage_offset(Tensor self) -> SymInt", meta=lambda self: self.storage_offset(),
         kernel=lambda xp, self: _owner(self)[1], tags=("core",))
register("sym_numel(Tensor self) -> SymInt", meta=lambda self: _numel(self.shape),
         kernel=lambda xp, self: int(self.size), tags=("core",))
register("sym_is_contiguous(Tensor self, MemoryFormat memory_format=0) -> SymBool",
         meta=lambda self, memory_format=CONTIGUOUS: self.is_contiguous(memory_format),
         kernel=lambda xp, self, memory_format=CONTIGUOUS: strides_contiguous(
             self.shape, _elements(self), memory_format_name(memory_format, CONTIGUOUS)),
         tags=("core",))


# ------------------------------------------------------------ movedim, unfold --
def _movedim_perm(ndim, source, destination):
    """The input dim of each output dim when dims `source` move to positions `destination`."""
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    check(len(source) == len(destination),
          lambda: f"movedim: Invalid source or destination dims: source ({fmt_shape(source)} dims) should contain "
                  f"the same number of dims as destination ({fmt_shape(destination)} dims)")
    src = wrap_dims(source, ndim) if source else ()
    dst = wrap_dims(destination, ndim) if destination else ()
    check(len(set(src)) == len(src), lambda: f"movedim: repeated dim in `source` ({list(source)})")
    check(len(set(dst)) == len(dst), lambda: f"movedim: repeated dim in `destination` ({list(destination)})")
    perm = [-1] * ndim
    for s_, d_ in zip(src, dst):
        perm[d_] = s_
    rest = iter(d for d in range(ndim) if d not in src)
    return [p if p >= 0 else next(rest) for p in perm]


def _movedim_decomp(self, source, destination):
    return aten.permute.default(self, _movedim_perm(self.ndim, source, destination))


def _movedim_inverse(base, mutated_view, source, destination):
    return _unpermute(base, mutated_view, _movedim_perm(base.ndim, source, destination))


def _movedim_layout(args, self_contiguous):
    ndim = len(args[0].shape)
    return self_contiguous and _movedim_perm(ndim, args[1], args[2]) == list(range(ndim))


for _name in ("movedim", "moveaxis"):
    for _overload, _type in (("int", "int"), ("intlist", "int[]")):
        _view_op(f"{_name}.{_overload}(Tensor(a) self, {_type} source, {_type} destination) -> Tensor(a)",
                 lambda shape, source, destination: tuple(shape[i] for i in _movedim_perm(len(shape), source,
                                                                                           destination)),
                 lambda xp, a, source, destination: xp.transpose(a, _movedim_perm(a.ndim, source, destination)),
                 decomposition=_movedim_decomp, variants=FUNCTION_AND_METHOD,
                 view=ViewRule(inverse=_movedim_inverse, layout=_movedim_layout),
                 strides=_permuted_layout(_movedim_perm))


def _unfold_geometry(shape, strides, dimension, size, step):
    """unfold's (shape, strides): dim `dimension` becomes its windows; a new last dim walks each window."""
    shape, strides = list(shape), list(strides)
    d = wrap_dim(dimension, len(shape)) if shape else 0
    length = shape[d] if shape else 1
    check(size <= length, lambda: f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    check(step > 0, lambda: f"step is {step} but must be > 0")
    inner = strides[d] if shape else 1
    if shape:
        shape[d] = (length - size) // step + 1
        strides[d] = step * inner
    return tuple(shape) + (size,), tuple(strides) + (inner,)


def _unfold_inverse(base, mutated_view, *args):
    raise RuntimeError("run_decompositions: an in-place write into an unfold()ed view cannot be expressed "
                       "functionally (its windows may share elements); clone() before writing")


_view_op("unfold(Tensor(a) self, int dimension, int size, int step) -> Tensor(a)",
         lambda shape, dimension, size, step: _unfold_geometry(shape, (0,) * len(shape), dimension, size, step)[0],
         lambda xp, a, dimension, size, step: _strided_array(
             xp, a, *_unfold_geometry(a.shape, _elements(a), dimension, size, step)),
         variants=("method",), view=ViewRule(inverse=_unfold_inverse, layout=strided_layout),
         strides=lambda self, shape, dimension, size, step:
         (_unfold_geometry(tuple(self.shape), self.stride(), dimension, size, step)[1], self._offset))
