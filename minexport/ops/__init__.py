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
from . import gamma_functions, segment_reduce, multilabel_margin, fractional_pool, ctc_loss
from . import auto_functionalize
from . import blas_vector, samplers, numeric, histograms, resize
from . import internal_surface, internal_norms, internal_upsample
from . import weight_norm
from .schema import parse_schema


def __getattr__(name):
    """`ops.<namespace>` for a namespace that custom ops created after import (`ops.mylib.foo`)."""
    from ._registry import _NAMESPACES
    if name in _NAMESPACES:
        return _NAMESPACES[name]
    raise AttributeError(f"module 'minexport.ops' has no attribute '{name}' (no op is registered in a namespace "
                         f"'{name}'; define one with minexport.library.custom_op)")
