"""minexport.export: capture programs (export), the ExportedProgram and its signature."""
from ._trace import export, register_dataclass  # noqa: F401
from .errors import DataDependentError, UserError  # noqa: F401
from .exported_program import CallSpec, ExportedProgram, ModuleCallEntry, ModuleCallSignature  # noqa: F401
from .graph_signature import (ConstantArgument, CustomObjArgument, ExportGraphSignature, InputKind,  # noqa: F401
                              InputSpec, OutputKind, OutputSpec, SymBoolArgument, SymFloatArgument,
                              SymIntArgument, TensorArgument, TokenArgument)
from .verifier import SpecViolationError  # noqa: F401
from ..ops.core import default_decompositions  # noqa: F401,E402
from ..serde import SerializationError, load, save  # noqa: F401,E402
from .dynamic_shapes import ConstraintViolationError, Dim, ShapesCollection, dims  # noqa: F401,E402
