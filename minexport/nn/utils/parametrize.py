"""torch.nn.utils.parametrize: a parameter or buffer of a module seen through parametrization modules.

`register_parametrization(module, "weight", P)` moves the tensor into `module.parametrizations.weight`, a
`ParametrizationList` that holds it as `original` (or, when P's `right_inverse` splits it in several,
`original0`, `original1`, ...), and gives the module a subclass `Parametrized<Class>` whose `weight` property
computes P(original) on every read (or once per `cached()` block) and, on assignment, stores
P.right_inverse(value).  The state_dict then holds `parametrizations.weight.original*`, as torch's does, and
an exported program computes the weight from those parameters inside the graph.
"""
import contextlib

from ..._tensor import Tensor, set_data
from ..modules.container import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = ["cached", "ParametrizationList", "register_parametrization", "is_parametrized",
           "remove_parametrizations", "type_before_parametrizations"]

_cache_enabled = 0
_cache = {}


@contextlib.contextmanager
def cached():
    """Within the block, each parametrized tensor is computed once, on its first read, and reused."""
    global _cache_enabled, _cache
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}


def _register_parameter_or_buffer(module, name, value):
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _right_inverse(modules, value):
    """value through every parametrization's right_inverse, last registered first (a missing or unimplemented
    one is the identity)."""
    for m in reversed(list(modules)):
        inverse = getattr(m, "right_inverse", None)
        if inverse is not None:
            try:
                value = inverse(value)
            except NotImplementedError:
                pass
    return value


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, in registration order, and the original tensor(s) they read."""

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        new = _right_inverse(self, original)
        if not isinstance(new, (Tensor, list, tuple)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                             f"Got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if new.dtype != original.dtype:
                raise ValueError("When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                                 f"original.dtype: {original.dtype}\nright_inverse(original).dtype: {new.dtype}")
            if new is not original:
                set_data(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, part in enumerate(new):
                if not isinstance(part, Tensor):
                    raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors "
                                     f"(list, tuple...). Got element {i} of the sequence with type "
                                     f"{type(part).__name__}.")
                if isinstance(original, Parameter):
                    part = Parameter(part.detach(), original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", part)
        if not unsafe:
            self._check_consistent(original.shape, original.dtype)

    def _check_consistent(self, shape, dtype):
        """A safe parametrization returns a tensor of the original's shape and dtype."""
        z = self()
        if not isinstance(z, Tensor):
            raise ValueError(f"A parametrization must return a tensor. Got {type(z).__name__}.")
        if z.dtype != dtype:
            raise ValueError("Registering a parametrization may not change the dtype of the tensor, unless "
                             f"`unsafe` flag is enabled.\nunparametrized dtype: {dtype}\nparametrized dtype: "
                             f"{z.dtype}")
        if tuple(z.shape) != tuple(shape):
            raise ValueError("Registering a parametrization may not change the shape of the tensor, unless "
                             f"`unsafe` flag is enabled.\nunparametrized shape: {shape}\nparametrized shape: "
                             f"{z.shape}")

    def right_inverse(self, value):
        """Store the originals that make the parametrized tensor `value` (every parametrization's
        right_inverse, last registered first)."""
        for m in reversed(list(self)):
            if not hasattr(m, "right_inverse"):
                raise RuntimeError(f"parametrization {type(m).__name__} does not implement right_inverse.")
            value = m.right_inverse(value)
        if self.is_tensor:
            if not isinstance(value, Tensor):
                raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
            if value.dtype != self.original.dtype:
                raise ValueError(f"The tensor returned by `right_inverse` has dtype {value.dtype} while "
                                 f"`original` has dtype {self.original.dtype}")
            set_data(self.original, value.detach())
            return
        if not isinstance(value, (list, tuple)) or len(value) != self.ntensors:
            raise ValueError(f"'right_inverse' must return a sequence of {self.ntensors} tensors. "
                             f"Got {value!r:.80}.")
        for i, part in enumerate(value):
            original = getattr(self, f"original{i}")
            if part.dtype != original.dtype:
                raise ValueError(f"Tensor {i} returned by `right_inverse` has dtype {part.dtype} while "
                                 f"`original{i}` has dtype {original.dtype}")
            set_data(original, part.detach())

    def forward(self):
        """The parametrized tensor: the first parametrization on the originals, then each next one."""
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for m in list(self)[1:]:
            x = m(x)
        return x


def _inject_new_class(module):
    """Give `module` its own subclass `Parametrized<Class>`, where the parametrized properties live."""
    cls = module.__class__

    def getstate(self):
        raise RuntimeError("Serialization of parametrized modules is only supported through state_dict().")
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {"__getstate__": getstate})


def _inject_property(module, tensor_name):
    """The property that computes `module.<tensor_name>` from its parametrizations (and stores assignments)."""
    if hasattr(module, tensor_name):
        raise AssertionError(f"Module already has an attribute named '{tensor_name}'")

    def get_parametrized(self):
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        key = (id(self), tensor_name)
        if key not in _cache:
            _cache[key] = parametrization()
        return _cache[key]

    def set_original(self, value):
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Read `module.<tensor_name>` through `parametrization` from now on (see the module docstring); a second
    registration on the same tensor applies after the first.  Returns module."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_appended(module, tensor_name, parametrization)
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        plist.unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = plist
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with "
                         f"name '{tensor_name}'")
    return module


def _check_appended(module, tensor_name, parametrization):
    """A safe parametrization added to a parametrized tensor keeps its shape and dtype (both ways)."""
    y = getattr(module, tensor_name)
    x = parametrization(y)
    if not isinstance(x, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(x).__name__}.")
    for what, got in (("", x), (".right_inverse", _right_inverse([parametrization], x))):
        if not isinstance(got, Tensor):
            raise ValueError(f"parametrization{what} must return a tensor. Got: {type(got).__name__}")
        if got.dtype != y.dtype or tuple(got.shape) != tuple(y.shape):
            raise ValueError(f"Registering a parametrization may not change the dtype or shape of the tensor, "
                             f"unless the `unsafe` flag is enabled.\nmodule.{tensor_name}: {y.dtype} "
                             f"{tuple(y.shape)}\nparametrization{what}(module.{tensor_name}): {got.dtype} "
                             f"{tuple(got.shape)}")


def is_parametrized(module, tensor_name=None):
    """Whether `module` has a parametrization on `tensor_name` (on anything, when None)."""
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Make `module.<tensor_name>` a plain parameter/buffer again: its current parametrized value
    (leave_parametrized=True) or its single original.  Returns module."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            set_data(original, getattr(module, tensor_name).detach())
    elif leave_parametrized:
        value = getattr(module, tensor_name).detach()
        original = Parameter(value) if any(isinstance(p, Parameter) for p in plist.parameters()) else value
    else:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized "
                         "in terms of a sequence of tensors.")
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module):
    """The module's class before any parametrization was registered."""
    return module.__class__.__bases__[0] if is_parametrized(module) else type(module)

