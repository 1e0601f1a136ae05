"""The op registry: `minexport.ops.aten.<op>.<overload>` (see `_registry`).

Importing this package registers every op family once.
"""
from ._registry import OpOverload, OpOverloadPacket, aten, all_ops, lookup, register, namespace  # noqa: F401
from . import pointwise, reductions, linalg, shape, indexing, nn_ops, creation, higher_order  # noqa: F401,E402
from .schema import parse_schema  # noqa: F401,E402
