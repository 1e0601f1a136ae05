"""Public math functions whose torch binding differs from their schemas (see `ops/blas_vector.py`,
`ops/numeric.py`, `ops/histograms.py`, `ops/samplers.py`, `ops/resize.py`).

torch's Python functions take `dims` as an int or a pair of lists (`tensordot`),
pick an overload from which optional argument is given (`trapezoid(y, x)` vs
`trapezoid(y, dx=)`, `gradient(spacing=)`), return tuples where the schema
returns a list, or are Python composites over other ops (`unravel_index`).
Each function below says how it maps onto the registered ops.  `METHODS`
lists the Tensor methods `_tensor_methods` attaches from here.
"""
import itertools
import operator

from . import _factories
from . import dtypes as dt
from ._tensor import Tensor
from .ops import aten
from .ops.resize import rebind

__all__ = ["tensordot", "trapezoid", "trapz", "cumulative_trapezoid", "gradient", "unravel_index", "resize_as_",
           "randint_like"]


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


def _integral(y, x, dx, dim, packet):
    """trapezoid & co: `x` given -> the .x overload, else .dx (dx defaults to 1)."""
    if x is not None:
        if dx is not None:
            raise RuntimeError("torch.trapezoid: cannot pass both x and dx")
        if not isinstance(x, Tensor):
            return packet.dx(y, dx=x, dim=dim)
        return packet.x(y, x, dim=dim)
    return packet.dx(y, dx=1 if dx is None else dx, dim=dim)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along `dim`: over sample points `x`, or a constant spacing `dx`."""
    return _integral(y, x, dx, dim, aten.trapezoid)


def trapz(y, x=None, *, dx=None, dim=-1):
    """Alias of trapezoid, recorded as aten.trapz as torch records it."""
    return _integral(y, x, dx, dim, aten.trapz)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid rule along `dim` (one element fewer than `y` along it)."""
    return _integral(y, x, dx, dim, aten.cumulative_trapezoid)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Central differences along each of `dim` (all dims when None), as a tuple of tensors.

    The overload follows the arguments as torch's binding picks it: one number
    of spacing -> scalarint / scalararray (dim a list), a list of numbers ->
    scalarrayint / scalarrayarray, a list of coordinate tensors ->
    tensorarrayint / tensorarray.
    """
    dims_list = isinstance(dim, (list, tuple))
    dim = list(dim) if dims_list else dim
    if isinstance(spacing, (list, tuple)):
        spacing = list(spacing)
        if spacing and all(isinstance(s, Tensor) for s in spacing):
            op = aten.gradient.tensorarray if dims_list else aten.gradient.tensorarrayint
        else:
            op = aten.gradient.scalarrayarray if dims_list else aten.gradient.scalarrayint
    elif isinstance(spacing, Tensor):
        raise TypeError("gradient(): argument 'spacing' must be a number or a list of numbers or tensors, "
                        "not a Tensor")
    else:
        op = aten.gradient.scalararray if dims_list else aten.gradient.scalarint
    return tuple(op(input, spacing=spacing, dim=dim, edge_order=edge_order))


def unravel_index(indices, shape):
    """Coordinates of flat `indices` in a tensor of `shape`, one tensor per dim (a Python composite
    over unsqueeze, floor_divide and remainder, as torch's)."""
    if not isinstance(indices, Tensor):
        indices = _factories.tensor(indices)
    d = indices.dtype
    if d.is_floating_point or d is dt.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got torch.{d.name}")
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = [shape]
    elif isinstance(shape, (list, tuple)):
        for size in shape:
            if not isinstance(size, int):
                raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(size)}")
        shape = list(shape)
    else:
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    if any(size < 0 for size in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(shape)}")
    # each coordinate's weight: the product of the sizes after it
    coefs = list(reversed(list(itertools.accumulate(reversed(shape[1:] + [1]), func=operator.mul))))
    # in torch's order: unsqueeze, the coefficients' tensor, floor_divide, the shape's tensor, remainder
    column = aten.unsqueeze.default(indices, -1)
    quotient = aten.floor_divide.default(column, _factories.tensor(coefs, dtype=dt.int64, device=indices.device))
    flat = aten.remainder.Tensor(quotient, _factories.tensor(shape, dtype=dt.int64, device=indices.device))
    return tuple(aten.unbind.int(flat, -1))


_UNSET = object()


def randint_like(input, low=_UNSET, high=_UNSET, *, dtype=None, layout=None, device=None, pin_memory=None,
                 memory_format=None, requires_grad=False, generator=None):
    """Random integers in [low, high) shaped like `input`: one bound (positional or high=) is `high` and
    records randint_like (.Tensor for a tensor bound), two record randint_like.low_dtype, as torch's binding."""
    kw = {"dtype": dtype, "layout": layout, "device": device, "pin_memory": pin_memory,
          "memory_format": memory_format}
    if high is _UNSET:
        if low is _UNSET:
            raise TypeError("randint_like() missing required argument 'high'")
        low, high = _UNSET, low
    if low is _UNSET:
        op = aten.randint_like.Tensor if isinstance(high, Tensor) else aten.randint_like.default
        return op(input, high, **kw)
    return aten.randint_like.low_dtype(input, low, high, **kw)


def resize_(self, *sizes, memory_format=None):
    """Tensor.resize_: a new shape in place (sizes as varargs or one sequence); records aten.resize_."""
    size = sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)) else sizes
    out = aten.resize_.default(self, list(size), memory_format=memory_format)
    # in a trace the op answers with a fake of the new shape: this tensor becomes it
    return out if out is self else rebind(self, out)


def resize_as_(input, the_template, *, memory_format=None):
    """Resize `input` in place to the shape of `the_template`; records aten.resize_as_."""
    out = aten.resize_as_.default(input, the_template, memory_format=memory_format)
    return out if out is input else rebind(input, out)


METHODS = {"resize_": resize_, "resize_as_": resize_as_}
