"""What a graph node calls, by kind: `target_kind(target)`.

A `call_function` node's target is one of a closed set of kinds, and every
consumer (interpreter, verifier, printer, serializer, functionalization)
dispatches on this one answer instead of sniffing attributes:

- ``"op"``: a registered `OpOverload` (`aten.add.Tensor`), with schema, meta and kernel;
- ``"higher_order"``: a `HigherOrderOperator` (`torch.ops.higher_order.cond`), whose
  arguments include subgraphs;
- ``"operator"``: a Python builtin from the `operator` module (`operator.getitem`,
  `operator.ge` on symbolic sizes), as torch records them;
- ``"unknown"``: anything else (never valid in an exported program).
"""
import operator

from .._sym_functions import sym_max, sym_min
from ._registry import OpOverload
from .higher_order import HigherOrderOperator

__all__ = ["target_kind", "PYTHON_OPERATORS"]

# The Python builtins a graph may call: symbolic-size arithmetic and comparisons, and getitem.
PYTHON_OPERATORS = frozenset({
    operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod, operator.truediv,
    operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge, operator.neg,
    operator.pow, operator.and_, operator.or_, operator.not_, operator.getitem, sym_max, sym_min})


def target_kind(target):
    """The kind of a call target: "op", "higher_order", "operator" or "unknown" (see the module docstring)."""
    if isinstance(target, OpOverload):
        return "op"
    if isinstance(target, HigherOrderOperator):
        return "higher_order"
    try:
        if target in PYTHON_OPERATORS:
            return "operator"
    except TypeError:       # an unhashable target
        pass
    return "unknown"
