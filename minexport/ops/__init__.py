"""The op registry: `minexport.ops.aten.<op>.<overload>` (see `_registry`).

Importing this package registers every op family once.
"""
from ._registry import OpOverload, OpOverloadPacket, aten, all_ops, lookup, register, namespace
from . import pointwise, reductions, linalg, shape, indexing, nn_ops, creation, higher_order
from . import shape_extra
from . import rnn, losses, layer_ops
from . import pooling, nn_backward, padding, upsample, rearrange, fft, instance_norm
from . import activations, elementwise, aliases
from . import model_surface
from . import sorting, quantiles, uniques, scans, distances
from . import view_aliases, einsum, dropout_extra
from . import internal_surface, internal_norms, internal_upsample
from .schema import parse_schema
