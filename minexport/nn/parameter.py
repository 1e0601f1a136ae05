"""`Parameter`: a Tensor that a Module registers as a learnable weight."""
from .._tensor import Tensor, _init_from


class Parameter(Tensor):
    """A tensor that, assigned as a Module attribute, joins `parameters()`.

    It shares memory with the tensor it wraps, as torch's Parameter does.
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._factories import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a Tensor, got {type(data).__name__}")
        p = object.__new__(cls)
        _init_from(p, data._data, fake=(data._fake_shape, data._dtype, data._device))
        p.requires_grad = requires_grad
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        from .._tensor_str import tensor_repr
        return "Parameter containing:\n" + tensor_repr(self)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module (torch.nn.Buffer)."""

    __slots__ = ("persistent",)

    def __new__(cls, data, *, persistent=True):
        b = object.__new__(cls)
        _init_from(b, data._data, fake=(data._fake_shape, data._dtype, data._device))
        b.persistent = persistent
        return b

    def __init__(self, data, *, persistent=True):
        pass
