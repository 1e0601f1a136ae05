"""minexport.nn.utils, as torch.nn.utils: weight normalization (the forward-pre-hook form `weight_norm` and the
parametrization form `parametrizations.weight_norm`) and the parametrization machinery (`parametrize`)."""
from . import parametrizations, parametrize
from ._weight_norm import remove_weight_norm, weight_norm

__all__ = ["parametrizations", "parametrize", "remove_weight_norm", "weight_norm"]
