"""Weight normalization's ops: `_weight_norm` (w = g * v / ||v||, what torch.nn.utils.weight_norm and
torch.nn.utils.parametrizations.weight_norm compute) and `norm_except_dim` (||v|| over every dim but one).

Both are composites that an exported program keeps as nodes and run_decompositions() rewrites, as torch
does: `_weight_norm` over dim 0 or the last dim (its fused form, full precision) becomes one
linalg_vector_norm over the other dims, a div and a mul; over any other dim (or a half-precision operand)
it is v * (g / norm_except_dim(v)), whose decomposition flattens the kept dim's slices into rows (moving the
dim first with a transpose when it is neither the first nor the last; dim -1 takes the whole norm).
(For a 1-d v the fused form's "other dims" are none, which torch's decomposition, and so its core graph, reads
as all dims, while its kernel takes |v| element by element; the kernel here is torch's kernel, the decomposition
torch's decomposition.)
"""
from .. import dtypes as dt
from ._common import check, dtype_of, out_array, promote, torch_type_name
from ._registry import aten
from .reductions import vector_norm_array
from .shape_extra import composite

_FN = ("function",)


def _others(ndim, dim):
    """Every dim of an ndim-d tensor but `dim` (already in range)."""
    return [d for d in range(ndim) if d != dim]


# ------------------------------------------------------------ norm_except_dim --
def _contiguous(v):
    return v if v.is_contiguous() else aten.clone.default(v, memory_format="contiguous_format")


def _norm_except_dim_decomp(v, pow=2, dim=0):
    d = v.dtype
    check(d.is_floating_point,
          lambda: f"norm(): input dtype should be either floating point or complex. Got {torch_type_name(d)} instead.")
    n = len(v.shape)
    if dim == -1:
        return aten.linalg_vector_norm.default(v, pow)
    if dim in (0, n - 1):
        first = dim == 0
        size = v.shape[dim]
        rows = aten.view.default(_contiguous(v), [size, -1] if first else [-1, size])
        norm = aten.linalg_vector_norm.default(rows, pow, [1 if first else 0])
        return aten.view.default(norm, [size if d == dim else 1 for d in range(n)])
    moved = aten.transpose.int(v, 0, dim)
    return aten.transpose.int(_norm_except_dim_decomp(moved, pow, 0), 0, dim)


def _norm_except_dim_kernel(xp, v, pow=2, dim=0):
    d = dtype_of(v)
    check(d.is_floating_point,
          lambda: f"norm(): input dtype should be either floating point or complex. Got {torch_type_name(d)} instead.")
    if dim == -1:
        return out_array(xp, vector_norm_array(xp, v, pow, None, False), dtype_of(v))
    keep = dim % v.ndim if v.ndim else 0
    return out_array(xp, vector_norm_array(xp, v, pow, tuple(_others(v.ndim, keep)), True), dtype_of(v))


composite("norm_except_dim(Tensor v, int pow=2, int dim=0) -> Tensor", _norm_except_dim_kernel,
          _norm_except_dim_decomp, variants=_FN)


# ---------------------------------------------------------------- _weight_norm --
def _fused(v, g, dim):
    """Whether torch takes _weight_norm's fused form: dim 0 or the last dim, neither operand half precision."""
    half = dt.float16 in (v.dtype, g.dtype)
    return not half and dim in (0, len(v.shape) - 1)


def _check_fused(v, g):
    """The fused form's dtype rules: floating v (torch's kernel has no integer version), g of v's dtype."""
    dv, dg = dtype_of(v), dtype_of(g)
    check(dv.is_floating_point, lambda: f'"weight_norm_kernel" not implemented for \'{torch_type_name(dv)}\'',
          NotImplementedError)
    check(dv is dg, lambda: f"expected scalar type {torch_type_name(dv)} but found {torch_type_name(dg)}")


def _weight_norm_decomp(v, g, dim=0):
    if not _fused(v, g, dim):
        return aten.mul.Tensor(v, aten.div.Tensor(g, aten.norm_except_dim.default(v, 2, dim)))
    _check_fused(v, g)
    v = _contiguous(v)
    g = _contiguous(g)
    # a bfloat16 magnitude takes its norm in float32, then back in its own dtype
    wide = g.dtype is dt.bfloat16
    norm = aten.linalg_vector_norm.default(v, 2, _others(len(v.shape), dim), True,
                                           dtype=dt.float32 if wide else None)
    if wide:
        norm = aten._to_copy.default(norm, dtype=g.dtype)
    return aten.mul.Tensor(v, aten.div.Tensor(g, norm))


def _weight_norm_kernel(xp, v, g, dim=0):
    if _fused(_Dtypes(v), _Dtypes(g), dim):
        _check_fused(v, g)
        norm = vector_norm_array(xp, v, 2, tuple(_others(v.ndim, dim % v.ndim if v.ndim else 0)), True)
    else:
        norm = _norm_except_dim_kernel(xp, v, 2, dim)
    return out_array(xp, v * (g / norm.astype(g.dtype, copy=False)), promote(v, g))


class _Dtypes:
    """An array as `_fused` reads it: its minexport dtype and its shape."""

    def __init__(self, a):
        self.dtype, self.shape = dtype_of(a), a.shape


composite("_weight_norm(Tensor v, Tensor g, int dim=0) -> Tensor", _weight_norm_kernel, _weight_norm_decomp,
          variants=_FN)
