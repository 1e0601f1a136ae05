"""The core ATen op set, and the ops run_decompositions() rewrites by default.

An op belongs to the core set when its registration carries torch 2.13's
`core` tag, or the `core_ir_allowed` tag: ops torch does not tag core but that
its ATen dialect verifier still allows in a core graph (`_assert_scalar`, the
runtime assert a data-dependent `_check` leaves behind).

An op carries a `decomposition=` exactly when torch 2.13's default table
(`torch.export.default_decompositions()`) decomposes it, so
`default_decompositions()` maps every op that has one to it. That includes a
few core-tagged ops torch still rewrites (`fill.Scalar`, `squeeze.dim`, the
reflection pads, ...) and leaves out non-core ops torch keeps (`max.default`,
`randint`, ...); tests/test_decomposition_table.py checks the match.
"""
from ._registry import all_ops

CORE_TAGS = frozenset({"core", "core_ir_allowed"})


def is_core(op):
    """True for an op that carries torch's core tag (or core_ir_allowed)."""
    return not CORE_TAGS.isdisjoint(op.tags)


def decomposes_by_default(op):
    """True for an op run_decompositions() rewrites unless the caller's table leaves it out."""
    return op.decomposition is not None


def default_decompositions():
    """{OpOverload: decomposition function} for every op minexport decomposes by default (a fresh dict)."""
    return {op: op.decomposition for op in all_ops() if decomposes_by_default(op)}
