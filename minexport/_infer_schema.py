"""Schema inference for custom ops: the schema text torch infers from a function's type annotations."""
import inspect
import types
import typing

from . import dtypes as dt
from ._tensor import Tensor
from .runtime import backends

__all__ = ["infer_schema"]


def _type_table():
    """Annotation -> schema type, torch's table for inferred schemas."""
    opt = typing.Optional
    table = {Tensor: "Tensor", opt[Tensor]: "Tensor?", int: "SymInt", opt[int]: "SymInt?", float: "float",
             opt[float]: "float?", bool: "bool", opt[bool]: "bool?", str: "str", opt[str]: "str?",
             typing.Union[int, float, bool]: "Scalar", opt[typing.Union[int, float, bool]]: "Scalar?",
             dt.dtype: "ScalarType", opt[dt.dtype]: "ScalarType?",
             backends.device: "Device", opt[backends.device]: "Device?"}
    lists = {Tensor: "Tensor[]", opt[Tensor]: "Tensor?[]", int: "SymInt[]", float: "float[]", bool: "bool[]",
             typing.Union[int, float, bool]: "Scalar[]"}
    for elem, text in lists.items():
        for seq in (list, typing.List, typing.Sequence):
            table[seq[elem]] = text
            if elem is not Tensor and elem != opt[Tensor]:
                table[opt[seq[elem]]] = text + "?"
    return table


_ARG_TYPES = _type_table()
_RETURN_TYPES = {Tensor: "Tensor", int: "SymInt", float: "float", bool: "bool", list[Tensor]: "Tensor[]",
                 typing.List[Tensor]: "Tensor[]", None: "()", type(None): "()"}


def _schema_error(fn, what):
    return ValueError(f"infer_schema(func): {what} Got func with signature {inspect.signature(fn)})")


def _annotation(hint):
    """Normalize `X | None` (types.UnionType) to typing.Optional[X] so the table can look it up."""
    if isinstance(hint, types.UnionType):
        return typing.Union[hint.__args__]
    return hint


def _default_text(value):
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dt.dtype):
        return repr(value)
    return None


def infer_schema(prototype_function, /, *, mutates_args, op_name=None):
    """The schema text torch infers from `prototype_function`'s annotations ('(Tensor x) -> Tensor').

    `mutates_args` names the arguments the function writes (or is the string
    "unknown": every Tensor argument); with `op_name` the name leads the text.
    """
    fn = prototype_function
    hints = typing.get_type_hints(fn)
    sig = inspect.signature(fn)
    names = list(sig.parameters)
    if mutates_args != "unknown":
        if isinstance(mutates_args, str):
            raise ValueError("mutates_args must be a tuple of argument names or the string 'unknown'")
        missing = set(mutates_args) - set(names)
        if missing:
            raise _schema_error(fn, f"{missing} in mutates_args were not found in the custom op's signature. "
                                "mutates_args should contain the names of all args that the custom op mutates, "
                                "or just the string 'unknown' if you don't know.")
    parts, kw_started = [], False
    for i, (name, p) in enumerate(sig.parameters.items()):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise _schema_error(fn, "We don't support varargs or varkwargs.")
        if name not in hints:
            raise _schema_error(fn, f"Parameter {name} must have a type annotation.")
        text = _ARG_TYPES.get(_annotation(hints[name]))
        if text is None:
            raise _schema_error(fn, f"Parameter {name} has unsupported type {hints[name]}.")
        if p.kind == p.KEYWORD_ONLY and not kw_started:
            parts.append("*")
            kw_started = True
        writes = mutates_args == "unknown" and text.startswith("Tensor") or name in (
            () if mutates_args == "unknown" else mutates_args)
        if writes:
            if not text.startswith("Tensor"):
                raise _schema_error(fn, f"Parameter {name} is in mutable_args but only Tensors or collections of "
                                    "Tensors can be mutated")
            text = text.replace("Tensor", f"Tensor(a{i}!)", 1)
        entry = f"{text} {name}"
        if p.default is not p.empty:
            default = _default_text(p.default)
            if default is None:
                raise _schema_error(fn, f"Parameter {name} has an unsupported default value type "
                                    f"{type(p.default)}.")
            entry += f"={default}"
        parts.append(entry)
    if "return" not in hints:
        raise _schema_error(fn, "No return type annotation was provided. Please add one.")
    ret = _return_text(fn, hints["return"])
    return f"{op_name or ''}({', '.join(parts)}) -> {ret}"


def _return_text(fn, hint):
    origin = typing.get_origin(hint)
    if origin is tuple:
        elems = typing.get_args(hint)
        texts = [_RETURN_TYPES.get(e) for e in elems]
        if any(t is None or t == "()" for t in texts):
            raise _schema_error(fn, f"Return has unsupported type {hint}.")
        return f"({', '.join(texts)})"
    text = _RETURN_TYPES.get(hint)
    if text is None:
        raise _schema_error(fn, f"Return has unsupported type {hint}.")
    return text
