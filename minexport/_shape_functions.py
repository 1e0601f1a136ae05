"""Public shape functions whose torch binding differs from their schemas (see `ops/shape_extra.py`).

torch's Python functions take tensors as varargs (`torch.meshgrid(a, b)`,
`torch.atleast_2d(a, b)`, `torch.block_diag(a, b)`), return tuples where the
schema returns a list, pick the overload from an optional argument
(`meshgrid(indexing=)`), and `Tensor.tile` takes its sizes as varargs too.
Each function below says how it maps onto the registered op.  `METHODS`
lists the Tensor methods `_tensor_methods` attaches from here.
"""
from ._tensor import Tensor
from .ops import aten

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "broadcast_tensors", "meshgrid", "cartesian_prod",
           "block_diag"]


def _tensors(tensors):
    """Varargs tensors, or one list/tuple of them, as torch's bindings accept."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return list(tensors[0])
    return list(tensors)


def _at_least(packet):
    def f(*tensors):
        # one tensor -> the .default overload (a tensor); several -> .Sequence (a tuple)
        if len(tensors) == 1 and isinstance(tensors[0], Tensor):
            return packet.default(tensors[0])
        return tuple(packet.Sequence(_tensors(tensors)))
    return f


atleast_1d = _at_least(aten.atleast_1d)
atleast_2d = _at_least(aten.atleast_2d)
atleast_3d = _at_least(aten.atleast_3d)
for _f, _n in ((atleast_1d, 1), (atleast_2d, 2), (atleast_3d, 3)):
    _f.__name__ = _f.__qualname__ = f"atleast_{_n}d"
    _f.__doc__ = f"Each tensor viewed with at least {_n} dims (one tensor in, one out; several: a tuple)."


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (a tuple)."""
    return tuple(aten.broadcast_tensors.default(_tensors(tensors)))


def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 0-d/1-d tensors; indexing 'ij' (the default) or 'xy' (the .indexing overload)."""
    tensors = _tensors(tensors)
    if indexing is None:
        return tuple(aten.meshgrid.default(tensors))
    return tuple(aten.meshgrid.indexing(tensors, indexing=indexing))


def cartesian_prod(*tensors):
    """All combinations of the elements of 1-d tensors, one row each."""
    return aten.cartesian_prod.default(_tensors(tensors))


def block_diag(*tensors):
    """A block-diagonal matrix of 0-d, 1-d and 2-d tensors."""
    return aten.block_diag.default(_tensors(tensors))


def tile(self, *dims):
    """Tensor.tile: the sizes as varargs or one sequence."""
    if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = dims[0]
    return aten.tile.default(self, list(dims))


METHODS = {"tile": tile}
