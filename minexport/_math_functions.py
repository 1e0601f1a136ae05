"""Public math functions whose torch binding differs from their schemas (see `ops/blas_vector.py`,
`ops/numeric.py`, `ops/histograms.py`, `ops/samplers.py`, `ops/resize.py`).

torch's Python functions take `dims` as an int or a pair of lists (`tensordot`),
pick an overload from which optional argument is given (`trapezoid(y, x)` vs
`trapezoid(y, dx=)`, `gradient(spacing=)`), return tuples where the schema
returns a list, or are Python composites over other ops (`unravel_index`).
Each function below says how it maps onto the registered ops.  `METHODS`
lists the Tensor methods `_tensor_methods` attaches from here.
"""
from ._tensor import Tensor
from .ops import aten

__all__ = ["tensordot"]


def tensordot(a, b, dims=2, out=None):
    """Contract `dims` of `a` with `dims` of `b`: an int (the last dims of a with the first of b), a pair
    of dim lists, or a pair of ints; records aten.tensordot with the two lists, as torch does."""
    if out is not None:
        raise TypeError("tensordot: out= is not supported by minexport")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        if len(dims) != 2:
            raise RuntimeError("tensordot expects dims to be a pair of lists or an int")
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    return aten.tensordot.default(a, b, dims_a, dims_b)


METHODS = {}
