"""resize_ (a core ATen op), resize_as_ and their functional form resize.

resize_ gives a tensor a new shape in place, keeping its elements in order
(the first `numel` of them when it shrinks; when it grows, the new elements
are zeros where torch leaves them uninitialized).  A registered op's kernel
sees arrays only, so the eager call of these in-place ops is their own: it
computes the functional result and rebinds the tensor to it (`rebind`).
In a trace the op is recorded and the tensor takes the new fake shape
(`Tensor.resize_`, `resize_as_` in `_math_functions`); functionalization
turns both into `resize`.
"""
from .. import _tensor
from ._common import check, fake_like, format_strides
from ._registry import FUNCTION_AND_METHOD, register

_RANK_OF_FORMAT = {"channels_last": 4, "channels_last_3d": 5}


def _resize_check(size, memory_format):
    for s in size:
        check(s >= 0, lambda: f"Trying to create tensor with negative dimension {s}: {list(size)}")
    rank = _RANK_OF_FORMAT.get(memory_format)
    check(rank is None or len(size) == rank,
          lambda: f"required rank {rank} tensor to use {memory_format} format")
    return tuple(size)


def _strides_for(shape, memory_format):
    return format_strides(shape, memory_format if memory_format in _RANK_OF_FORMAT else "contiguous_format")


def _resize_meta(self, size, *, memory_format=None):
    shape = _resize_check(size, memory_format)
    return _tensor.make_fake(shape, self.dtype, self.device, strides=_strides_for(shape, memory_format))


def _resize_kernel(xp, self, size, *, memory_format=None):
    shape = _resize_check(size, memory_format)
    n = 1
    for s in shape:
        n *= s
    flat = self.reshape(-1)
    if n > flat.shape[0]:
        flat = xp.concatenate([flat, xp.zeros(n - flat.shape[0], dtype=self.dtype)])
    buf = xp.array(flat[:n])
    if memory_format not in _RANK_OF_FORMAT:
        return buf.reshape(shape)
    # the elements stay in memory order and the new strides read them (channels_last)
    strides = tuple(st * buf.itemsize for st in _strides_for(shape, memory_format))
    return xp.lib.stride_tricks.as_strided(buf, shape, strides)


def _resize_as_meta(self, the_template, *, memory_format=None):
    return fake_like(tuple(the_template.shape), self.dtype, self)


def rebind(self, new):
    """Point tensor `self` at the resized array or fake `new`: same object, new shape."""
    if new._data is not None:
        _tensor.set_data(self, new)
    else:
        # in a trace: the node that made `self` keeps a copy of its old value (the verifier replays it)
        node = getattr(self, "_node", None)
        if node is not None and node.meta.get("val") is self:
            node.meta["val"] = _tensor.make_fake(self.shape, self.dtype, self.device, strides=self.stride(),
                                                 storage_offset=self.storage_offset())
        self._fake_shape = new._fake_shape
        self._strides, self._offset = new._strides, new._offset
        self._node = getattr(new, "_node", None)
    return self


def _resize_eager(self, size, *, memory_format=None):
    return rebind(self, _resize(self, size, memory_format=memory_format))


def _resize_as_eager(self, the_template, *, memory_format=None):
    return rebind(self, _resize(self, list(the_template.shape), memory_format=memory_format))


_resize = register("resize(Tensor self, SymInt[] size, *, MemoryFormat? memory_format=None) -> Tensor",
                   meta=_resize_meta, kernel=_resize_kernel)
_resize_ = register("resize_(Tensor(a!) self, SymInt[] size, *, MemoryFormat? memory_format=None) -> Tensor(a!)",
                    meta=_resize_meta, kernel=_resize_kernel, tags=("core", "inplace"), variants=("method",))
_resize_as_ = register("resize_as_(Tensor(a!) self, Tensor the_template, *, MemoryFormat? memory_format=None) -> "
                       "Tensor(a!)", meta=_resize_as_meta,
                       kernel=lambda xp, self, t, *, memory_format=None: _resize_kernel(xp, self, t.shape),
                       tags=("inplace",), variants=FUNCTION_AND_METHOD)


def _functional_resize(self, size, memory_format):
    """The functional form of resize_/resize_as_: resize's new value, and the tensor takes its shape
    (as it did in the trace), so later ops see the new shape."""
    new = _resize(self, list(size), memory_format=memory_format)
    if self._data is None:      # a fake being functionalized (run eagerly, the input stays as it is)
        rebind(self, new)
    return new


_resize_.functional = lambda self, size, *, memory_format=None: _functional_resize(self, size, memory_format)
_resize_as_.functional = lambda self, the_template, *, memory_format=None: _functional_resize(
    self, the_template.shape, memory_format)
_resize_._eager = _resize_eager
_resize_as_._eager = _resize_as_eager
