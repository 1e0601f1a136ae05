"""More shape ops: the ATen ops torch.export records for movedim, hstack, tile, rot90, diag, kron,
tensor_split, repeat_interleave, meshgrid, ... (CompositeImplicit in eager torch, yet kept as their own
nodes in an exported program, and decomposed by run_decompositions()).

Most of these ops are composites: their decomposition is the op, and their
meta function is that decomposition run on meta functions alone (`composite`),
so the shapes and dtypes the decomposition gives are the op's by
construction.  The kernels are direct NumPy.
"""
import itertools

import numpy as np

from .. import dtypes as dt
from .._trace_state import Tracer, trace_state, tracing
from .._tensor import shape_numel
from ._common import broadcast_shapes, cast, check, dtype_of, fake_like, promote, wrap_dim
from ._registry import FUNCTION_AND_METHOD, ViewRule, aten, register
from ._view_rules import contiguous_layout, cut_layout, strided_layout, view_back

_FN = ("function",)


# ------------------------------------------------------------- composites --
class MetaTracer(Tracer):
    """Answers every op call with the op's meta function: a decomposition run for shapes and dtypes only."""

    def __init__(self, outer):
        self.outer = outer
        if outer is not None:
            self.data_dependent_size = outer.data_dependent_size
            self.check_condition = outer.check_condition

    def __call__(self, op, args, kwargs):
        return op.meta(*args, **kwargs)

    def is_contiguous(self, tensor):
        if self.outer is not None:
            return self.outer.is_contiguous(tensor)
        return tensor.is_contiguous() if getattr(tensor, "_data", None) is not None else True


def meta_of(decomposition):
    """The meta function of a composite op: its decomposition evaluated on meta functions."""
    def meta(*args, **kwargs):
        with tracing(MetaTracer(trace_state.tracer)):
            return decomposition(*args, **kwargs)
    return meta


def composite(schema, kernel, decomposition, *, meta=None, **facts):
    """Register a composite op: NumPy `kernel`, `decomposition` into other ops, meta from the decomposition."""
    return register(schema, meta=meta or meta_of(decomposition), kernel=kernel, decomposition=decomposition,
                    **facts)


def _ravel_decomp(self):
    """self made contiguous (a copy only when it is not) viewed as one dim, -1 written out, as torch's ravel."""
    dense = self if self.is_contiguous() else aten.clone.default(self, memory_format="contiguous_format")
    return aten.view.default(dense, [-1])


composite("ravel(Tensor(a) self) -> Tensor(a)", lambda xp, self: xp.ascontiguousarray(self).reshape(-1), _ravel_decomp,
          tags=("view", "maybe_view"), view=ViewRule(inverse=view_back, layout=contiguous_layout),
          variants=FUNCTION_AND_METHOD)


# ------------------------------------------------------------------ stacks --
def _at_least(self, n):
    """self viewed with at least n dims, as torch's atleast_{1,2,3}d place the new ones."""
    nd = len(self.shape)
    if nd >= n:
        return self
    if nd == 0:
        return aten.view.default(self, [1] * n)
    if n == 2 or nd == 2:                       # 1-d -> [1, k]; 2-d -> [a, b, 1]
        return aten.unsqueeze.default(self, 0 if nd == 1 else -1)
    return aten.unsqueeze.default(aten.unsqueeze.default(self, 0), -1)     # 1-d -> [1, k, 1]


def _at_least_kernel(n):
    def kernel(xp, self):
        if self.ndim >= n:
            return self.copy()
        if self.ndim == 0:
            return self.reshape((1,) * n).copy()
        if n == 2 or self.ndim == 2:
            return xp.expand_dims(self, 0 if self.ndim == 1 else -1).copy()
        return self.reshape(1, -1, 1).copy()
    return kernel


for _n in (1, 2, 3):
    composite(f"atleast_{_n}d(Tensor self) -> Tensor", _at_least_kernel(_n),
              (lambda n: lambda self: aten.clone.default(_at_least(self, n)) if len(self.shape) < n else
               aten.alias.default(self))(_n), tags=("maybe_aliasing_or_mutating",), variants=_FN)
    composite(f"atleast_{_n}d.Sequence(Tensor[] tensors) -> Tensor[]",
              (lambda k: lambda xp, tensors: [k(xp, t) for t in tensors])(_at_least_kernel(_n)),
              (lambda n: lambda tensors: [_at_least(t, n) for t in tensors])(_n), variants=_FN)


def _check_nonempty(tensors, name):
    check(len(tensors) > 0, lambda: f"{name} expects a non-empty TensorList")


def _stacker(name, n, dim_of):
    """hstack / vstack / dstack: at least n-d pieces concatenated along dim_of(first piece)."""
    def decomp(tensors):
        _check_nonempty(tensors, name)
        pieces = [_at_least(t, n) for t in tensors]
        return aten.cat.default(pieces, dim_of(pieces[0]))

    def kernel(xp, tensors):
        _check_nonempty(tensors, name)
        pieces = [_at_least_kernel(n)(xp, t) for t in tensors]
        return aten.cat.default.kernel(xp, pieces, dim_of(pieces[0]))      # cat's promotion and errors
    return decomp, kernel


for _name, _n, _dim in (("hstack", 1, lambda p: 0 if len(p.shape) == 1 else 1), ("vstack", 2, lambda p: 0),
                        ("row_stack", 2, lambda p: 0), ("dstack", 3, lambda p: 2)):
    _d, _k = _stacker(_name, _n, _dim)
    composite(f"{_name}(Tensor[] tensors) -> Tensor", _k, _d, variants=_FN)


def _column_stack_decomp(tensors):
    _check_nonempty(tensors, "column_stack")
    pieces = [aten.view.default(t, [shape_numel(t.shape), 1]) if len(t.shape) <= 1 else t for t in tensors]
    return aten.cat.default(pieces, 1)


def _column_stack_kernel(xp, tensors):
    _check_nonempty(tensors, "column_stack")
    return aten.cat.default.kernel(xp, [t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


composite("column_stack(Tensor[] tensors) -> Tensor", _column_stack_kernel, _column_stack_decomp, variants=_FN)


# ---------------------------------------------------------- tile / rot90 --
def _tile_reps(shape, dims):
    dims = list(dims)
    return [1] * (len(shape) - len(dims)) + dims


def _tile_decomp(self, dims):
    return aten.repeat.default(self, _tile_reps(self.shape, dims))


composite("tile(Tensor self, SymInt[] dims) -> Tensor",
          lambda xp, self, dims: xp.tile(self, _tile_reps(self.shape, dims)), _tile_decomp,
          variants=FUNCTION_AND_METHOD)


def _rot90_args(ndim, k, dims):
    dims = list(dims)
    check(len(dims) == 2, lambda: f"expected total rotation dims == 2, but got dims = {len(dims)}")
    check(ndim >= 2, lambda: f"expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = wrap_dim(dims[0], ndim), wrap_dim(dims[1], ndim)
    check(d0 != d1, lambda: f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    return k % 4, d0, d1


def _swap(ndim, d0, d1):
    perm = list(range(ndim))
    perm[d0], perm[d1] = d1, d0
    return perm


def _rot90_decomp(self, k=1, dims=(0, 1)):
    k, d0, d1 = _rot90_args(len(self.shape), k, dims)
    if k == 1:
        return aten.permute.default(aten.flip.default(self, [d1]), _swap(len(self.shape), d0, d1))
    if k == 2:
        return aten.flip.default(self, [d0, d1])
    if k == 3:
        return aten.permute.default(aten.flip.default(self, [d0]), _swap(len(self.shape), d0, d1))
    return aten.clone.default(self)


def _rot90_kernel(xp, self, k=1, dims=(0, 1)):
    k, d0, d1 = _rot90_args(self.ndim, k, dims)
    return xp.rot90(self, k, axes=(d0, d1)).copy()


composite("rot90(Tensor self, int k=1, int[] dims=[0, 1]) -> Tensor", _rot90_kernel, _rot90_decomp,
          variants=FUNCTION_AND_METHOD)


def _flip_one(name, dim, least):
    def decomp(self):
        check(len(self.shape) >= least, "Input must be >= 2-d." if least == 2 else "Input must be >= 1-d.")
        return aten.flip.default(self, [dim])

    def kernel(xp, self):
        decomp_check = len(self.shape) >= least
        check(decomp_check, "Input must be >= 2-d." if least == 2 else "Input must be >= 1-d.")
        return xp.flip(self, dim).copy()
    composite(f"{name}(Tensor self) -> Tensor", kernel, decomp, variants=FUNCTION_AND_METHOD)


_flip_one("flipud", 0, 1)
_flip_one("fliplr", 1, 2)


# ------------------------------------------------------------- diagonals --


def _embed_dims(ndim, dim1, dim2):
    n = ndim + 1
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    check(d1 != d2, lambda: f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def _diag_embed_decomp(self, offset=0, dim1=-2, dim2=-1):
    d1, d2 = _embed_dims(len(self.shape), dim1, dim2)
    k = abs(offset)
    n = self.shape[-1] + k
    padded = aten.constant_pad_nd.default(self, [0, k]) if k else self
    # value at [.., i, j] with j - i == offset: the padded entry i (offset >= 0) or j (offset < 0)
    values = aten.unsqueeze.default(padded, -1 if offset >= 0 else -2)
    rows = aten.unsqueeze.default(aten.arange.start_step(0, n, 1, dtype=dt.int64, device=self.device), -1)
    cols = aten.arange.start_step(0, n, 1, dtype=dt.int64, device=self.device)
    mask = aten.eq.Scalar(aten.sub.Tensor(cols, rows), offset)
    zero = aten.scalar_tensor.default(0, dtype=self.dtype, device=self.device)
    out = aten.where.self(mask, values, zero)
    # the two new dims are last; move them to dim1 and dim2
    nd = len(self.shape) + 1
    lead = [k for k in range(nd) if k not in (d1, d2)]
    src = {d: i for i, d in enumerate(lead)}
    src[d1], src[d2] = nd - 2, nd - 1
    return aten.permute.default(out, [src[d] for d in range(nd)])


def _diag_embed_kernel(xp, self, offset=0, dim1=-2, dim2=-1):
    d1, d2 = _embed_dims(self.ndim, dim1, dim2)
    n = self.shape[-1] + abs(offset)
    out = xp.zeros(self.shape[:-1] + (n, n), dtype=self.dtype)
    i = xp.arange(self.shape[-1])
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[..., rows, cols] = self
    return xp.moveaxis(out, (-2, -1), (d1, d2)).copy()


composite("diag_embed(Tensor self, int offset=0, int dim1=-2, int dim2=-1) -> Tensor", _diag_embed_kernel,
          _diag_embed_decomp, variants=FUNCTION_AND_METHOD)


def _diag_check(self):
    nd = len(self.shape)
    check(nd in (1, 2), lambda: f"diag(): Supports 1D or 2D tensors. Got {nd}D")


def _diag_decomp(self, diagonal=0):
    _diag_check(self)
    if len(self.shape) == 1:
        return aten.diag_embed.default(self, diagonal, 0, 1)
    return aten.clone.default(aten.diagonal.default(self, diagonal))


def _diag_kernel(xp, self, diagonal=0):
    _diag_check(self)
    return xp.diag(self, diagonal).copy()


composite("diag(Tensor self, int diagonal=0) -> Tensor", _diag_kernel, _diag_decomp, variants=FUNCTION_AND_METHOD)
composite("diagflat(Tensor self, int offset=0) -> Tensor",
          lambda xp, self, offset=0: xp.diagflat(self, offset),
          lambda self, offset=0: aten.diag_embed.default(aten.reshape.default(self, [-1]), offset, 0, 1),
          variants=FUNCTION_AND_METHOD)


def _trace_decomp(self):
    check(len(self.shape) == 2, lambda: f"trace: expected a matrix, but got tensor with dim {len(self.shape)}")
    kw = {} if self.dtype.is_floating_point else {"dtype": dt.int64}
    return aten.sum.dim_IntList(aten.clone.default(aten.diagonal.default(self)), [0], **kw)


def _trace_kernel(xp, self):
    check(self.ndim == 2, lambda: f"trace: expected a matrix, but got tensor with dim {self.ndim}")
    d = dtype_of(self)
    return xp.asarray(xp.trace(self), dtype=(d if d.is_floating_point else dt.int64).numpy_dtype)


composite("trace(Tensor self) -> Tensor", _trace_kernel, _trace_decomp, variants=FUNCTION_AND_METHOD)


def _tri_indices(lower):
    def kernel(xp, row, col, offset=0, *, dtype=None, layout=None, device=None, pin_memory=None):
        check(row >= 0, lambda: f"row must be non-negative, got{row}")
        check(col >= 0, lambda: f"col must be non-negative, got{col}")
        r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
        d = dt.int64 if dtype in (None, 4) else dtype
        return xp.asarray(np.stack([r, c]), dtype=d.numpy_dtype)

    def meta(row, col, offset=0, *, dtype=None, layout=None, device=None, pin_memory=None):
        r, _ = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
        d = dt.int64 if dtype in (None, 4) else dtype
        from .._tensor import make_fake
        return make_fake((2, len(r)), d, device)
    return meta, kernel


for _name, _lower in (("tril_indices", True), ("triu_indices", False)):
    _m, _k = _tri_indices(_lower)
    register(f"{_name}(int row, int col, int offset=0, *, ScalarType? dtype=4, Layout? layout=None, "
             "Device? device=None, bool? pin_memory=None) -> Tensor", meta=_m, kernel=_k, tags=("factory",),
             variants=_FN)


# ----------------------------------------------------------- products --
def _kron_decomp(self, other):
    n = max(len(self.shape), len(other.shape))
    a_shape = [1] * (n - len(self.shape)) + list(self.shape)
    b_shape = [1] * (n - len(other.shape)) + list(other.shape)
    a = aten.view.default(self, [s for d in a_shape for s in (d, 1)])
    b = aten.view.default(other, [s for d in b_shape for s in (1, d)])
    return aten.view.default(aten.mul.Tensor(a, b), [x * y for x, y in zip(a_shape, b_shape)])


def _kron_kernel(xp, self, other):
    d = promote(self, other)
    return xp.kron(cast(xp, self, d), cast(xp, other, d))


composite("kron(Tensor self, Tensor other) -> Tensor", _kron_kernel, _kron_decomp, variants=FUNCTION_AND_METHOD)


def _as_matrix(t):
    nd = len(t.shape)
    check(nd <= 2, lambda: f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has {nd} "
                           "dimensions")
    return t if nd == 2 else aten.view.default(t, [1, shape_numel(t.shape)] if nd == 1 else [1, 1])


def _block_diag_decomp(tensors):
    mats = [_as_matrix(t) for t in tensors]
    d = promote(*tensors) if tensors else dt.get_default_dtype()
    device = tensors[0].device if tensors else None
    total = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m.shape
        parts = []
        if left:
            parts.append(aten.full.default([r, left], 0, dtype=d, device=device))
        parts.append(aten._to_copy.default(m, dtype=d) if m.dtype != d else m)
        if total - left - c:
            parts.append(aten.full.default([r, total - left - c], 0, dtype=d, device=device))
        rows.append(aten.cat.default(parts, 1) if len(parts) > 1 else parts[0])
        left += c
    if not rows:
        return aten.full.default([0, 0], 0, dtype=d)
    return aten.cat.default(rows, 0) if len(rows) > 1 else aten.clone.default(rows[0])


def _block_diag_kernel(xp, tensors):
    d = promote(*tensors) if tensors else dt.get_default_dtype()
    mats = []
    for i, t in enumerate(tensors):
        check(t.ndim <= 2, lambda: f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} "
                                   f"has {t.ndim} dimensions")
        mats.append(t.reshape(1, -1) if t.ndim < 2 else t)
    out = xp.zeros((sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)), dtype=d.numpy_dtype)
    r = c = 0
    for m in mats:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


composite("block_diag(Tensor[] tensors) -> Tensor", _block_diag_kernel, _block_diag_decomp, variants=_FN)


def _cross_dim(a_shape, b_shape, dim):
    shape = broadcast_shapes(tuple(a_shape), tuple(b_shape), op="linalg.cross")
    check(len(a_shape) == len(b_shape), lambda: "linalg.cross: inputs must have the same number of dimensions.")
    if dim is None:
        found = [k for k, s in enumerate(shape) if s == 3]
        check(bool(found), "no dimension of size 3 in input")
        return found[0], shape
    d = wrap_dim(dim, len(shape))
    check(a_shape[d] == 3 and b_shape[d] == 3, lambda: f"linalg.cross: inputs dimension {d} must have length 3. "
                                                       f"Got {a_shape[d]} and {b_shape[d]}")
    return d, shape


def _cross_decomp(self, other, dim=None):
    d, _ = _cross_dim(self.shape, other.shape, dim)

    def rolled(t, by):
        idx = aten.remainder.Scalar(aten.add.Tensor(aten.arange.start_step(0, 3, 1, dtype=dt.int64,
                                                                            device=t.device), by), 3)
        return aten.index_select.default(t, d, idx)
    return aten.sub.Tensor(aten.mul.Tensor(rolled(self, 1), rolled(other, 2)),
                           aten.mul.Tensor(rolled(self, 2), rolled(other, 1)))


def _cross_kernel(xp, self, other, dim=None):
    d, _ = _cross_dim(self.shape, other.shape, dim)
    t = promote(self, other)
    a, b = cast(xp, self, t), cast(xp, other, t)
    return xp.cross(a, b, axis=d).astype(t.numpy_dtype)


composite("cross(Tensor self, Tensor other, int? dim=None) -> Tensor", _cross_kernel, _cross_decomp,
          variants=FUNCTION_AND_METHOD)


# ----------------------------------------------------------- grids --
def _grid_check(tensors, what, indexing="ij"):
    check(indexing in ("ij", "xy"), lambda: "torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                                            f"received: {indexing}")
    check(len(tensors) > 0, lambda: f"{what} expects a non-empty TensorList")
    for t in tensors[1:]:
        check(t.dtype == tensors[0].dtype, lambda: f"{what} expects all tensors to have the same dtype")
    for t in tensors:
        check(len(t.shape) <= 1, lambda: f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                                         f"{list(t.shape)}")


def _meshgrid_decomp(tensors, *, indexing="ij"):
    _grid_check(tensors, "meshgrid", indexing)
    sizes = [shape_numel(t.shape) for t in tensors]
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(tensors):
        pos = {0: 1, 1: 0}.get(i, i) if swap else i
        view = [1] * len(sizes)
        view[pos] = -1
        out.append(aten.expand.default(aten.view.default(t, view), sizes))
    return out


def _meshgrid_kernel(xp, tensors, *, indexing="ij"):
    _grid_check(tensors, "meshgrid", indexing)
    return [g.copy() for g in xp.meshgrid(*[t.reshape(-1) for t in tensors], indexing=indexing)]


composite("meshgrid(Tensor[] tensors) -> Tensor[]", _meshgrid_kernel, _meshgrid_decomp, variants=_FN)
composite("meshgrid.indexing(Tensor[] tensors, *, str indexing) -> Tensor[]", _meshgrid_kernel, _meshgrid_decomp,
          variants=_FN)


def _broadcast_tensors_decomp(tensors):
    shape = list(broadcast_shapes(*[tuple(t.shape) for t in tensors], op="broadcast_tensors"))
    return [t if list(t.shape) == shape else aten.expand.default(t, shape) for t in tensors]   # no no-op expand


def _broadcast_tensors_kernel(xp, tensors):
    shape = broadcast_shapes(*[t.shape for t in tensors], op="broadcast_tensors")
    return [xp.broadcast_to(t, shape).copy() for t in tensors]


composite("broadcast_tensors(Tensor[] tensors) -> Tensor[]", _broadcast_tensors_kernel, _broadcast_tensors_decomp,
          variants=_FN)


def _cartesian_prod_decomp(tensors):
    for t in tensors:
        check(len(t.shape) == 1, lambda: "Expect a 1D vector, but got shape " + str(list(t.shape)))
    if len(tensors) == 1:
        return aten.clone.default(tensors[0])
    grids = _meshgrid_decomp(tensors, indexing="ij")
    return aten.stack.default([aten.reshape.default(g, [-1]) for g in grids], 1)


def _cartesian_prod_kernel(xp, tensors):
    for t in tensors:
        check(t.ndim == 1, lambda: "Expect a 1D vector, but got shape " + str(list(t.shape)))
    if len(tensors) == 1:
        return tensors[0].copy()
    grids = _meshgrid_kernel(xp, tensors)
    return xp.stack([g.reshape(-1) for g in grids], axis=1)


composite("cartesian_prod(Tensor[] tensors) -> Tensor", _cartesian_prod_kernel, _cartesian_prod_decomp,
          tags=("maybe_aliasing_or_mutating",), variants=_FN)


def _combinations_rows(n, r, with_replacement):
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    return len(list(pick(range(n), r))) if r > 0 else 0


def _combinations_meta(self, r=2, with_replacement=False):
    check(len(self.shape) == 1, lambda: f"Expect a 1D vector, but got shape {list(self.shape)}")
    check(r >= 0, lambda: f"Expect a non-negative number, but got {r}")
    if r == 0:
        return fake_like((0,), self.dtype, self)
    return fake_like((_combinations_rows(self.shape[0], r, with_replacement), r), self.dtype, self)


def _combinations_kernel(xp, self, r=2, with_replacement=False):
    _combinations_meta(self, r, with_replacement)
    if r == 0:
        return xp.empty((0,), dtype=self.dtype)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    # one row of positions per combination (the count is small: a Python loop over combinations)
    idx = np.array(list(pick(range(self.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return self[xp.asarray(idx)]


register("combinations(Tensor self, int r=2, bool with_replacement=False) -> Tensor", meta=_combinations_meta,
         kernel=_combinations_kernel, variants=_FN)


# ------------------------------------------------------------- splits --
def _split_bounds(size, sections=None, indices=None):
    """(start, end) of each piece of tensor_split along a dim of `size`."""
    if indices is None:
        check(sections > 0, lambda: f"number of sections must be larger than 0, got {sections}")
        q, r = divmod(size, sections)
        sizes = [q + 1] * r + [q] * (sections - r)
        bounds, start = [], 0
        for s in sizes:
            bounds.append((start, start + s))
            start += s
        return bounds
    cuts = [0] + [min(max(i if i >= 0 else i + size, 0), size) for i in indices] + [size]
    return [(cuts[k], max(cuts[k], cuts[k + 1])) for k in range(len(cuts) - 1)]


def _tensor_arg(t):
    """tensor_split's tensor argument: an int (0-d: sections) or a list (1-d: indices)."""
    check(dtype_of(t) is dt.int64, lambda: "tensor_split expected tensor_indices_or_sections to have dtype of "
                                           f"long, but got {dtype_of(t).name}")
    check(len(t.shape) <= 1, lambda: "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                                     f"one-dimensional tensor, but got a tensor with {len(t.shape)} dims")
    data = getattr(t, "_data", t)
    check(data is not None, "tensor_split with a tensor of sections needs its values (a data-dependent split)")
    values = np.asarray(data.get() if hasattr(data, "get") else data).tolist()
    return (values, None) if len(t.shape) == 0 else (None, values)


def _tensor_split_pieces(self, dim, sections=None, indices=None):
    check(len(self.shape) > 0, lambda: "tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                                       "with 0 dims")
    d = wrap_dim(dim, len(self.shape))
    return d, _split_bounds(self.shape[d], sections, indices)


def _split_decomp_by(kind):
    def decomp(self, arg, dim=0):
        sections, indices = _tensor_arg(arg) if kind == "tensor" else ((arg, None) if kind == "sections"
                                                                          else (None, list(arg)))
        d, bounds = _tensor_split_pieces(self, dim, sections, indices)
        return [aten.slice.Tensor(self, d, s, e) for s, e in bounds]

    def kernel(xp, self, arg, dim=0):
        sections, indices = _tensor_arg(arg) if kind == "tensor" else ((arg, None) if kind == "sections"
                                                                          else (None, list(arg)))
        d, bounds = _tensor_split_pieces(self, dim, sections, indices)
        return [self[(slice(None),) * d + (slice(s, e),)] for s, e in bounds]

    def steps(outputs, arg, dim=0):
        sections, indices = _tensor_arg(arg) if kind == "tensor" else ((arg, None) if kind == "sections"
                                                                          else (None, list(arg)))
        base_size = sum(o.shape[wrap_dim(dim, len(o.shape))] for o in outputs)
        d = wrap_dim(dim, len(outputs[0].shape))
        return [(aten.slice.Tensor, (d, s, e), {}) for s, e in _split_bounds(base_size, sections, indices)]
    return decomp, kernel, steps


for _kind, _schema in (("sections", "tensor_split.sections(Tensor(a -> *) self, SymInt sections, int dim=0) "
                                    "-> Tensor(a)[]"),
                       ("indices", "tensor_split.indices(Tensor(a -> *) self, SymInt[] indices, int dim=0) "
                                   "-> Tensor(a)[]"),
                       ("tensor", "tensor_split.tensor_indices_or_sections(Tensor(a -> *) self, "
                                  "Tensor tensor_indices_or_sections, int dim=0) -> Tensor(a)[]")):
    _d, _k, _s = _split_decomp_by(_kind)
    composite(_schema, _k, _d, tags=("view",), variants=FUNCTION_AND_METHOD,
              view=ViewRule(per_output=_s, layout=cut_layout(2)))


def _dir_split(name, dim, least):
    """hsplit / vsplit / dsplit: tensor_split along a fixed dim, sections that must divide it evenly."""
    def check_dims(self):
        nd = len(self.shape)
        check(nd >= least, lambda: f"torch.{name} requires a tensor with at least {least} dimension, but got a "
                                   f"tensor with {nd} dimensions!")
        return 0 if (name == "hsplit" and nd == 1) else dim

    def check_sections(self, sections):
        d = check_dims(self)
        size = self.shape[d]
        check(sections != 0 and size % sections == 0,
              lambda: f"torch.{name} attempted to split along dimension {d}, but the size of the dimension {size} "
                      f"is not divisible by the split_size {sections}!")
        return d

    def decomp_int(self, sections):
        return aten.tensor_split.sections(self, sections, check_sections(self, sections))

    def decomp_array(self, indices):
        return aten.tensor_split.indices(self, list(indices), check_dims(self))

    def steps(outputs, arg):
        d = 0 if (name == "hsplit" and len(outputs[0].shape) == 1) else dim
        bounds, start = [], 0
        for o in outputs:
            bounds.append((aten.slice.Tensor, (d, start, start + o.shape[d]), {}))
            start += o.shape[d]
        return bounds
    return decomp_int, decomp_array, check_dims, check_sections, steps


for _name, _dim, _least in (("hsplit", 1, 1), ("vsplit", 0, 2), ("dsplit", 2, 3)):
    _di, _da, _cd, _cs, _st = _dir_split(_name, _dim, _least)

    def _ki(xp, self, sections, _cs=_cs):
        d = _cs(self, sections)
        return [self[(slice(None),) * d + (slice(s, e),)] for s, e in _split_bounds(self.shape[d], sections)]

    def _ka(xp, self, indices, _cd=_cd):
        d = _cd(self)
        return [self[(slice(None),) * d + (slice(s, e),)]
                for s, e in _split_bounds(self.shape[d], indices=list(indices))]
    _rule = ViewRule(per_output=_st, layout=strided_layout)
    composite(f"{_name}.int(Tensor(a -> *) self, int sections) -> Tensor(a)[]", _ki, _di, tags=("view",),
              variants=FUNCTION_AND_METHOD, view=_rule)
    composite(f"{_name}.array(Tensor(a -> *) self, int[] indices) -> Tensor(a)[]", _ka, _da, tags=("view",),
              variants=FUNCTION_AND_METHOD, view=_rule)


# ---------------------------------------------------------- narrow_copy --
def _narrow_bounds(shape, dim, start, length):
    check(len(shape) > 0, "narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape))
    size = shape[d]
    check(length >= 0, "narrow(): length must be non-negative.")
    if start < 0:
        start = start + size
    check(0 <= start <= size and start + length <= size,
          lambda: f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return d, start


def _narrow_copy_meta(self, dim, start, length):
    d, _ = _narrow_bounds(tuple(self.shape), dim, start, length)
    shape = list(self.shape)
    shape[d] = length
    return fake_like(shape, self.dtype, self)


def _narrow_copy_kernel(xp, self, dim, start, length):
    d, s = _narrow_bounds(self.shape, dim, start, length)
    return self[(slice(None),) * d + (slice(s, s + length),)].copy()


register("narrow_copy(Tensor self, int dim, SymInt start, SymInt length) -> Tensor", meta=_narrow_copy_meta,
         kernel=_narrow_copy_kernel, tags=("view_copy",), variants=FUNCTION_AND_METHOD)


# ------------------------------------------------------ repeat_interleave --
def _repeats_check(repeats, ndims=(0, 1)):
    check(len(repeats.shape) in ndims, "repeat_interleave only accept 1D vector as repeat")
    check(dtype_of(repeats) in (dt.int64, dt.int32), "repeats has to be Long or Int tensor")


def _repeat_interleave_meta(repeats, *, output_size=None):
    _repeats_check(repeats, (1,))
    if output_size is not None:
        return fake_like((output_size,), dtype_of(repeats), repeats)
    data = getattr(repeats, "_data", None)
    if data is not None:
        return fake_like((int(data.sum()),), dtype_of(repeats), repeats)
    from .indexing import data_dependent_size
    return fake_like((data_dependent_size(None, "repeat_interleave"),), dtype_of(repeats), repeats)


def _repeat_interleave_kernel(xp, repeats, *, output_size=None):
    _repeats_check(repeats, (1,))
    r = repeats.reshape(-1)
    check(bool((r >= 0).all()), "repeats can not be negative")
    out = xp.repeat(xp.arange(r.shape[0], dtype=repeats.dtype), r)
    check(output_size is None or out.shape[0] == output_size,
          "allocated size does not match required size")
    return out


register("repeat_interleave.Tensor(Tensor repeats, *, SymInt? output_size=None) -> Tensor",
         meta=_repeat_interleave_meta, kernel=_repeat_interleave_kernel, tags=("dynamic_output_shape",),
         variants=FUNCTION_AND_METHOD)


def _flat_dim(self, dim):
    if dim is None:
        return aten.reshape.default(self, [-1]), 0
    _no_dim_on_scalar(len(self.shape))
    return self, wrap_dim(dim, len(self.shape))


def _no_dim_on_scalar(ndim):
    # torch's own decomposition unsqueezes a 0-d self at dim + 1, which is out of range
    check(ndim > 0, "Dimension out of range (expected to be in range of [-1, 0], but got 1)", IndexError)


def _repeat_int_decomp(self, repeats, dim=None, *, output_size=None):
    check(repeats >= 0, "repeats can not be negative")
    x, d = _flat_dim(self, dim)
    shape = list(x.shape)
    expanded = shape[:d + 1] + [repeats] + shape[d + 1:]
    y = aten.clone.default(aten.expand.default(aten.unsqueeze.default(x, d + 1), expanded))
    return aten.view.default(y, shape[:d] + [shape[d] * repeats] + shape[d + 1:])


def _repeat_kernel(xp, self, repeats, dim=None, *, output_size=None):
    r = repeats
    if hasattr(repeats, "shape"):
        _repeats_check(repeats)
        r = repeats.reshape(-1)
    check(bool((xp.asarray(r) >= 0).all()), "repeats can not be negative")
    if dim is not None:
        _no_dim_on_scalar(self.ndim)
    x = self.reshape(-1) if dim is None else self
    d = 0 if dim is None else wrap_dim(dim, self.ndim)
    if hasattr(r, "shape") and r.shape[0] not in (1, x.shape[d]):
        raise RuntimeError("repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{r.shape[0]} and input.size({d}) = {x.shape[d]}")
    out = xp.repeat(x, r, axis=d)
    check(output_size is None or out.shape[d] == output_size, "allocated size does not match required size")
    return out


composite("repeat_interleave.self_int(Tensor self, SymInt repeats, int? dim=None, *, SymInt? output_size=None) "
          "-> Tensor", _repeat_kernel, _repeat_int_decomp, variants=FUNCTION_AND_METHOD)


def _repeat_tensor_meta(self, repeats, dim=None, *, output_size=None):
    _repeats_check(repeats)
    if dim is not None:
        _no_dim_on_scalar(len(self.shape))
    shape = [shape_numel(self.shape)] if dim is None else list(self.shape)
    d = 0 if dim is None else wrap_dim(dim, len(self.shape))
    n = shape_numel(repeats.shape)
    check(n in (1, shape[d]), lambda: "repeats must have the same size as input along dim, but got "
                                      f"repeats.size(0) = {n} and input.size({d}) = {shape[d]}")
    data = getattr(repeats, "_data", None)
    if output_size is not None:
        shape[d] = output_size
    elif data is not None:
        r = data.reshape(-1)
        shape[d] = shape[d] * int(r[0]) if n == 1 else int(r.sum())
    else:
        from .indexing import data_dependent_size
        shape[d] = data_dependent_size(None, "repeat_interleave")
    return fake_like(shape, self.dtype, self)


def _repeat_tensor_decomp(self, repeats, dim=None, *, output_size=None):
    x, d = _flat_dim(self, dim)
    if shape_numel(repeats.shape) == 1 and x.shape[d] != 1:
        repeats = aten.expand.default(aten.reshape.default(repeats, [1]), [x.shape[d]])
    idx = aten.repeat_interleave.Tensor(repeats, output_size=output_size)
    return aten.index_select.default(x, d, idx)


composite("repeat_interleave.self_Tensor(Tensor self, Tensor repeats, int? dim=None, *, SymInt? output_size=None) "
          "-> Tensor", _repeat_kernel, _repeat_tensor_decomp, meta=_repeat_tensor_meta,
          variants=FUNCTION_AND_METHOD)


# ------------------------------------------------------------ view copies --
def _copy_of(view_op, decomposes):
    """The *_copy op of a view: the view's meta, its kernel's result copied, and (where torch decomposes it)
    clone(view)."""
    def meta(*args, **kwargs):
        return view_op.meta(*args, **kwargs)

    def kernel(xp, *args, **kwargs):
        out = view_op.kernel(xp, *args, **kwargs)
        return [o.copy() for o in out] if isinstance(out, list) else xp.array(out, copy=True)

    def decomposition(*args, **kwargs):
        out = view_op(*args, **kwargs)
        return [aten.clone.default(o) for o in out] if isinstance(out, list) else aten.clone.default(out)
    return meta, kernel, (decomposition if decomposes else None)


for _schema, _view, _decomposes in (
        ("permute_copy(Tensor self, int[] dims) -> Tensor", aten.permute.default, False),
        ("t_copy(Tensor self) -> Tensor", aten.t.default, True),
        ("expand_copy(Tensor self, SymInt[] size, *, bool implicit=False) -> Tensor", aten.expand.default, True),
        ("view_copy(Tensor self, SymInt[] size) -> Tensor", aten.view.default, False),
        ("unsqueeze_copy(Tensor self, int dim) -> Tensor", aten.unsqueeze.default, True),
        ("squeeze_copy(Tensor self) -> Tensor", aten.squeeze.default, True),
        ("squeeze_copy.dim(Tensor self, int dim) -> Tensor", aten.squeeze.dim, True),
        ("squeeze_copy.dims(Tensor self, int[] dim) -> Tensor", aten.squeeze.dims, True),
        ("transpose_copy.int(Tensor self, int dim0, int dim1) -> Tensor", aten.transpose.int, True),
        ("diagonal_copy(Tensor self, int offset=0, int dim1=0, int dim2=1) -> Tensor", aten.diagonal.default, True),
        ("alias_copy(Tensor self) -> Tensor", aten.alias.default, True),
        ("unbind_copy.int(Tensor self, int dim=0) -> Tensor[]", aten.unbind.int, False)):
    _m, _k, _dc = _copy_of(_view, _decomposes)
    register(_schema, meta=_m, kernel=_k, decomposition=_dc, tags=("view_copy",), variants=_FN)


composite("argwhere(Tensor self) -> Tensor", lambda xp, self: aten.nonzero.default.kernel(xp, self),
          lambda self: aten.nonzero.default(self), meta=lambda self: aten.nonzero.default.meta(self),
          variants=FUNCTION_AND_METHOD)
