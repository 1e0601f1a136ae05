"""minexport.export: capture programs (export), the ExportedProgram and its signature."""
from ..ops.core import default_decompositions
from ._trace import export, register_dataclass
from .draft_export import draft_export
from .dynamic_shapes import AdditionalInputs, ConstraintViolationError, Dim, ShapesCollection, dims
from .errors import DataDependentError, UserError
from .exported_program import CallSpec, ExportedProgram, ModuleCallEntry, ModuleCallSignature
from .graph_signature import (ConstantArgument, CustomObjArgument, ExportGraphSignature, InputKind, InputSpec,
                              OutputKind, OutputSpec, SymBoolArgument, SymFloatArgument, SymIntArgument,
                              TensorArgument, TokenArgument)
from .verifier import SpecViolationError
from .unflatten import FlatArgsAdapter, InterpreterModule, UnflattenedModule, unflatten

__all__ = [
    "export", "register_dataclass", "default_decompositions",
    "ExportedProgram", "CallSpec", "ModuleCallEntry", "ModuleCallSignature",
    "ExportGraphSignature", "InputKind", "InputSpec", "OutputKind", "OutputSpec",
    "ConstantArgument", "CustomObjArgument", "SymBoolArgument", "SymFloatArgument", "SymIntArgument",
    "TensorArgument", "TokenArgument",
    "Dim", "dims", "ShapesCollection", "AdditionalInputs",
    "UserError", "DataDependentError", "ConstraintViolationError", "SpecViolationError",
    "save", "load", "SerializationError",
    "draft_export",
    "unflatten", "UnflattenedModule", "InterpreterModule", "FlatArgsAdapter",
]

_FROM_SERDE = ("save", "load", "SerializationError")


def __getattr__(name):
    """`save`, `load` and `SerializationError`, offered here as torch.export offers them.

    They live in `minexport.serde`, the layer above this package (it imports
    ExportedProgram), so they are looked up on first use: importing serde from
    here at import time would make `import minexport.serde` fail halfway.
    """
    if name in _FROM_SERDE:
        from .. import serde
        return getattr(serde, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
