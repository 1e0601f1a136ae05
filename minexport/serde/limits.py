"""LoadLimits: the resources one `load()` may spend on an archive it does not trust.

Every limit is checked before the memory or time it guards is spent: zip
entries are counted from the end-of-central-directory record before the
directory is parsed, JSON is measured while it is inflated, a weight's size is
compared with its member's real length before its array is allocated, and the
total of all weight memory is checked before each allocation.
"""
import dataclasses

__all__ = ["LoadLimits", "DEFAULT_LIMITS"]


@dataclasses.dataclass(frozen=True)
class LoadLimits:
    """Resource limits of `load(..., limits=LoadLimits(...))`; the defaults load any realistic program.

    max_entries: zip entries in the archive (checked before the central directory is read).
    max_json_bytes: bytes of each JSON member after decompression (measured while inflating).
    max_json_depth: nesting of arrays/objects in a JSON member.
    max_weight_bytes: memory for all weights and constants together (aliased members counted once,
        strided copies counted at their own size).
    max_deflate_ratio: a deflated member may declare at most this many bytes per stored byte
        (deflate itself cannot exceed about 1032).
    max_expr_chars: characters of one symbolic expression.
    max_expr_int_bits: bits of any integer constant in, or computed from, a symbolic expression.
    max_float_precision: precision (bits) of a Float in a symbolic expression.
    """

    max_entries: int = 65_536
    max_json_bytes: int = 1 << 28
    max_json_depth: int = 256
    max_weight_bytes: int = 1 << 36
    max_deflate_ratio: int = 1032
    max_expr_chars: int = 10_000
    max_expr_int_bits: int = 256
    max_float_precision: int = 113

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if type(value) is not int or value <= 0:
                raise ValueError(f"LoadLimits.{field.name} must be a positive int, got {value!r}")


DEFAULT_LIMITS = LoadLimits()
