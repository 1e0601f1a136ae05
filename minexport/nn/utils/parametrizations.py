"""torch.nn.utils.parametrizations: `weight_norm` as a parametrization (the form HF models use): the weight is
kept as `parametrizations.<name>.original0` (g, the magnitude) and `original1` (v, the direction), and each
read computes _weight_norm(v, g, dim)."""
from ...ops import aten
from ..module import Module
from . import parametrize

__all__ = ["weight_norm"]


class _WeightNorm(Module):
    """w = g * v / ||v|| (over every dim but `dim`; the whole tensor for dim None / -1)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return aten._weight_norm.default(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        """(g, v) that give `weight`: its norm except dim, and the weight itself."""
        return aten.norm_except_dim.default(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Weight-normalize tensor `name` of `module` as a parametrization; a state dict of the hook form
    (`<name>_g`, `<name>_v`) still loads into it.  Returns module."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def load_hook_form(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(load_hook_form)
    return module
