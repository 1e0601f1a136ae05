"""The core ATen op set: what run_decompositions() may leave in a graph.

An op belongs to it when its registration carries torch 2.13's `core` tag, or
the `core_ir_allowed` tag: ops torch does not tag core but that its ATen
dialect verifier still allows in a core graph (`_assert_scalar`, the runtime
assert a data-dependent `_check` leaves behind).
`default_decompositions()` maps every other op that has a decomposition to it.
"""
from ._registry import all_ops

CORE_TAGS = frozenset({"core", "core_ir_allowed"})


def is_core(op):
    """True for an op that may remain in the core ATen IR."""
    return not CORE_TAGS.isdisjoint(op.tags)


def default_decompositions():
    """{OpOverload: decomposition function} for every non-core op minexport can decompose (a fresh dict)."""
    return {op: op.decomposition for op in all_ops() if op.decomposition is not None and not is_core(op)}
