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
import math
import operator

from .._sym_functions import sym_float, sym_max, sym_min
from ._registry import OpOverload
from .higher_order import HigherOrderOperator

__all__ = ["target_kind", "PYTHON_OPERATORS", "MATH_FUNCTIONS", "operator_name", "operator_arg_names"]

# math's roundings of a symbolic float to a SymInt (`math.ceil(h / 4)`), as torch records them
MATH_FUNCTIONS = frozenset({math.floor, math.ceil, math.trunc})
# The Python builtins a graph may call: symbolic-size arithmetic and comparisons, and getitem.
PYTHON_OPERATORS = frozenset({
    operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod, operator.truediv,
    operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge, operator.neg,
    operator.pow, operator.and_, operator.or_, operator.not_, operator.getitem, sym_max, sym_min,
    sym_float}) | MATH_FUNCTIONS


def operator_name(fn):
    """A Python operator's name in archives, as torch writes it: `_operator.mul`, `math.ceil`, `torch.sym_max`."""
    name = getattr(fn, "_torch_name", None)
    if name is not None:
        return name
    return f"math.{fn.__name__}" if fn in MATH_FUNCTIONS else f"_operator.{fn.__name__}"


def operator_arg_names(fn):
    """The names torch's archives give a Python operator's arguments (its signature's): a, b or x."""
    return ("x",) if fn in MATH_FUNCTIONS else ("a",) if fn is sym_float else ("a", "b")


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
