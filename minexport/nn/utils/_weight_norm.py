"""torch.nn.utils.weight_norm: `name` becomes two parameters, `name_g` (magnitude) and `name_v` (direction),
and a forward pre-hook recomputes `name` = _weight_norm(v, g, dim) as a plain attribute before each forward
(so an exported program computes the weight from its two parameters, as torch's does)."""
import warnings

from ...ops import aten
from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


class WeightNorm:
    """The forward pre-hook that recomputes a weight-normalized tensor from its `_g` and `_v` parameters."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        """g * v / ||v|| from the module's current `<name>_g` and `<name>_v`."""
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return aten._weight_norm.default(v, g, self.dim)

    @staticmethod
    def apply(module, name, dim):
        """Replace parameter `name` of `module` by `<name>_g` and `<name>_v` and install the hook."""
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=3)
        if _hook_of(module, name) is not None:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        if name not in module._parameters or module._parameters[name] is None:
            raise ValueError(f"weight_norm: module {type(module).__name__} has no parameter named '{name}'; "
                             "pass the name of one of its parameters (e.g. name='weight')")
        weight = getattr(module, name)
        delattr(module, name)
        module.register_parameter(name + "_g",
                                  Parameter(aten.norm_except_dim.default(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        """Fold g and v back into one parameter `name` holding the current weight."""
        weight = self.compute_weight(module)
        delattr(module, self.name)
        delattr(module, self.name + "_g")
        delattr(module, self.name + "_v")
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def _hook_of(module, name):
    """(key, WeightNorm hook) of `module` for parameter `name`, or None."""
    for key, (hook, _) in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            return key, hook
    return None


def weight_norm(module, name="weight", dim=0):
    """Weight-normalize parameter `name` of `module` (dim=None: one norm over the whole tensor); returns module."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo `weight_norm` on parameter `name`; returns module."""
    found = _hook_of(module, name)
    if found is None:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    key, hook = found
    hook.remove(module)
    del module._forward_pre_hooks[key]
    return module
