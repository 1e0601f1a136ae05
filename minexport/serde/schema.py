"""torch 2.13's export schema (torch/_export/serde/schema.py), declared once, as data.

model.json is this schema written as JSON.  Each record type is a `Record`
(a JSON object with named fields, in torch's declaration order, each with
torch's field id and, for optional fields, its default); each union type is a
`Union` (a JSON object with exactly one field, whose name is the tag).  Leaf
types are `INT`, `FLOAT`, `BOOL`, `STR`, `NAME` (a string that must be a
Python identifier: node and value names), and `Enum` codes, decoded through
the tables below.  `validate.read(obj, spec, where)` reads any of them;
`tests/test_serde.py` checks that the writer emits exactly these fields, in
this order.

Only the parts minexport reads or writes are declared (torch's
AOTInductor containers are left out); every union lists all of torch's tags,
so a tag minexport does not support is told apart from a malformed one.
"""
import math

from .. import dtypes as dt

SCHEMA_VERSION = (8, 20)          # (major, minor) of the JSON schema we write and read
TREESPEC_VERSION = 1
ARCHIVE_FORMAT = "pt2"
ARCHIVE_VERSION = "0"
DATA_VERSION = "6"
DEFAULT_OPSET = {"aten": 10}

SCALAR_TYPE = {dt.uint8: 1, dt.int8: 2, dt.int16: 3, dt.int32: 4, dt.int64: 5, dt.float16: 6, dt.float32: 7,
               dt.float64: 8, dt.bool: 12, dt.bfloat16: 13}
SCALAR_TYPE_BY_CODE = {code: d for d, code in SCALAR_TYPE.items()}

LAYOUT = {"strided": 7}
LAYOUT_BY_CODE = {7: "strided"}

MEMORY_FORMAT = {"contiguous_format": 1, "channels_last": 2, "channels_last_3d": 3, "preserve_format": 4}
MEMORY_FORMAT_BY_CODE = {code: name for name, code in MEMORY_FORMAT.items()}

ARG_POSITIONAL, ARG_KEYWORD = 1, 2

# The floats JSON has no literal for, written as torch writes them: as these strings.
NONFINITE_FLOATS = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}


def float_json(value):
    """A float as model.json holds it: the number, or "Infinity" / "-Infinity" / "NaN"."""
    if math.isfinite(value):
        return value
    return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")

# Hard limits: a file that asks for more is refused before anything is allocated.
MAX_JSON_BYTES = 1 << 30
MAX_TENSOR_BYTES = 1 << 40
MAX_NDIM = 64


# ------------------------------------------------------------ spec kinds --
class Leaf:
    """A JSON scalar: `json_type` is int, float, bool or str (float also accepts an int)."""

    def __init__(self, name, json_type, identifier=False):
        self.name, self.json_type, self.identifier = name, json_type, identifier


class Enum:
    """An integer code of a torch enum, read as the value `codes` maps it to; other codes are refused."""

    def __init__(self, name, codes, what, note=""):
        self.name, self.codes, self.what, self.note = name, codes, what, note


class ListOf:
    """A JSON array of `item`."""

    def __init__(self, item):
        self.item = item


class DictOf:
    """A JSON object mapping `key` strings (STR or NAME) to `value`."""

    def __init__(self, value, key=None):
        self.value, self.key = value, key or STR


class Nullable:
    """`inner` or null (torch's `T | None`)."""

    def __init__(self, inner):
        self.inner = inner


class Ref:
    """A record or union declared further down (the schema is recursive: graphs hold arguments hold graphs)."""

    def __init__(self, name):
        self.name = name

    @property
    def target(self):
        """The spec this reference names."""
        return _REFERABLE[self.name]


REQUIRED = object()


class Field:
    """One record field: torch's numeric id, its spec, and its default (REQUIRED when it has none)."""

    def __init__(self, id, spec, default=REQUIRED):
        self.id, self.spec, self.default = id, spec, default


class Record:
    """A JSON object with named fields (a torch dataclass); `fields` keeps torch's declaration order."""

    def __init__(self, name, /, **fields):
        self.name, self.fields = name, fields


class Union:
    """A JSON object with exactly one field: the tag (its name) and its value (a torch `_Union`)."""

    def __init__(self, name, /, **tags):
        self.name, self.tags = name, {tag: field.spec for tag, field in tags.items()}
        self.ids = {tag: field.id for tag, field in tags.items()}


F = Field

INT, FLOAT, BOOL, STR = Leaf("int", int), Leaf("float", float), Leaf("bool", bool), Leaf("str", str)
NAME = Leaf("name", str, identifier=True)

SCALAR_TYPE_CODE = Enum("ScalarType", SCALAR_TYPE_BY_CODE, "dtype")
LAYOUT_CODE = Enum("Layout", LAYOUT_BY_CODE, "layout", " (only strided)")
MEMORY_FORMAT_CODE = Enum("MemoryFormat", MEMORY_FORMAT_BY_CODE, "memory format")
ARGUMENT_KIND_CODE = Enum("ArgumentKind", {0: 0, ARG_POSITIONAL: ARG_POSITIONAL, ARG_KEYWORD: ARG_KEYWORD},
                          "argument kind")


# ------------------------------------------------------- values and sizes --
DEVICE = Record("Device", type=F(10, STR), index=F(20, Nullable(INT), None))
SYM_EXPR_HINT = Union("SymExprHint", as_int=F(10, INT), as_bool=F(20, BOOL), as_float=F(30, FLOAT))
SYM_EXPR = Record("SymExpr", expr_str=F(10, STR), hint=F(20, Nullable(SYM_EXPR_HINT), None))
SYM_INT = Union("SymInt", as_expr=F(10, SYM_EXPR), as_int=F(20, INT))
SYM_FLOAT = Union("SymFloat", as_expr=F(10, SYM_EXPR), as_float=F(20, FLOAT))
SYM_BOOL = Union("SymBool", as_expr=F(10, SYM_EXPR), as_bool=F(20, BOOL))
TENSOR_META = Record("TensorMeta", dtype=F(10, SCALAR_TYPE_CODE), sizes=F(20, ListOf(SYM_INT)),
                     requires_grad=F(30, BOOL), device=F(40, DEVICE), strides=F(50, ListOf(SYM_INT)),
                     storage_offset=F(60, SYM_INT), layout=F(70, LAYOUT_CODE))

# ------------------------------------------------------------- arguments --
SYM_INT_ARGUMENT = Union("SymIntArgument", as_name=F(10, NAME), as_int=F(20, INT))
SYM_FLOAT_ARGUMENT = Union("SymFloatArgument", as_name=F(10, NAME), as_float=F(20, FLOAT))
SYM_BOOL_ARGUMENT = Union("SymBoolArgument", as_name=F(10, NAME), as_bool=F(20, BOOL))
TENSOR_ARGUMENT = Record("TensorArgument", name=F(10, NAME))
TOKEN_ARGUMENT = Record("TokenArgument", name=F(10, NAME))
OPTIONAL_TENSOR_ARGUMENT = Union("OptionalTensorArgument", as_tensor=F(20, TENSOR_ARGUMENT), as_none=F(10, BOOL))
GRAPH_ARGUMENT = Record("GraphArgument", name=F(10, NAME), graph=F(20, Ref("Graph")))
CUSTOM_OBJ_ARGUMENT = Record("CustomObjArgument", name=F(10, NAME), class_fqn=F(20, STR))
COMPLEX_VALUE = Record("ComplexValue", real=F(10, FLOAT), imag=F(20, FLOAT))
ARGUMENT = Union(
    "Argument",
    as_none=F(10, BOOL), as_tensor=F(20, TENSOR_ARGUMENT), as_tensors=F(30, ListOf(TENSOR_ARGUMENT)),
    as_int=F(50, INT), as_ints=F(70, ListOf(INT)), as_float=F(80, FLOAT), as_floats=F(90, ListOf(FLOAT)),
    as_string=F(100, STR), as_strings=F(101, ListOf(STR)),
    as_sym_int=F(110, SYM_INT_ARGUMENT), as_sym_ints=F(120, ListOf(SYM_INT_ARGUMENT)),
    as_scalar_type=F(130, SCALAR_TYPE_CODE), as_memory_format=F(140, MEMORY_FORMAT_CODE),
    as_layout=F(150, LAYOUT_CODE), as_device=F(160, DEVICE), as_bool=F(170, BOOL), as_bools=F(180, ListOf(BOOL)),
    as_sym_bool=F(182, SYM_BOOL_ARGUMENT), as_sym_bools=F(184, ListOf(SYM_BOOL_ARGUMENT)),
    as_graph=F(200, GRAPH_ARGUMENT), as_optional_tensors=F(190, ListOf(OPTIONAL_TENSOR_ARGUMENT)),
    as_custom_obj=F(210, CUSTOM_OBJ_ARGUMENT), as_operator=F(220, STR),
    as_sym_float=F(230, SYM_FLOAT_ARGUMENT), as_sym_floats=F(240, ListOf(SYM_FLOAT_ARGUMENT)),
    as_optional_tensor=F(250, OPTIONAL_TENSOR_ARGUMENT), as_complex=F(260, COMPLEX_VALUE),
    as_nested_tensors=F(270, ListOf(ListOf(TENSOR_ARGUMENT))), as_int_lists=F(280, ListOf(ListOf(INT))),
    as_string_to_argument=F(290, DictOf(Ref("Argument"))), as_float_lists=F(300, ListOf(ListOf(FLOAT))))
NAMED_ARGUMENT = Record("NamedArgument", name=F(10, STR), arg=F(20, ARGUMENT),
                        kind=F(30, Nullable(ARGUMENT_KIND_CODE), None))

# ------------------------------------------------------------------ graph --
NODE = Record("Node", target=F(10, STR), inputs=F(20, ListOf(NAMED_ARGUMENT)), outputs=F(30, ListOf(ARGUMENT)),
              metadata=F(40, DictOf(STR)), is_hop_single_tensor_return=F(50, Nullable(BOOL), None),
              name=F(60, Nullable(NAME), None))
GRAPH = Record("Graph", inputs=F(10, ListOf(ARGUMENT)), outputs=F(20, ListOf(ARGUMENT)), nodes=F(30, ListOf(NODE)),
               tensor_values=F(40, DictOf(TENSOR_META, key=NAME)),
               sym_int_values=F(50, DictOf(SYM_INT, key=NAME)), sym_bool_values=F(60, DictOf(SYM_BOOL, key=NAME)),
               is_single_tensor_return=F(70, BOOL, False),
               custom_obj_values=F(80, DictOf(CUSTOM_OBJ_ARGUMENT, key=NAME), {}),
               sym_float_values=F(90, DictOf(SYM_FLOAT, key=NAME), {}))

# -------------------------------------------------------------- signature --
CONSTANT_VALUE = Union("ConstantValue", as_none=F(10, BOOL), as_int=F(20, INT), as_float=F(30, FLOAT),
                       as_string=F(40, STR), as_bool=F(50, BOOL))
INPUT_SPEC = Union(
    "InputSpec",
    user_input=F(10, Record("UserInputSpec", arg=F(10, ARGUMENT))),
    parameter=F(20, Record("InputToParameterSpec", arg=F(10, TENSOR_ARGUMENT), parameter_name=F(20, STR))),
    buffer=F(30, Record("InputToBufferSpec", arg=F(10, TENSOR_ARGUMENT), buffer_name=F(20, STR),
                        persistent=F(30, BOOL))),
    tensor_constant=F(40, Record("InputToTensorConstantSpec", arg=F(10, TENSOR_ARGUMENT),
                                 tensor_constant_name=F(20, STR))),
    custom_obj=F(50, Record("InputToCustomObjSpec", arg=F(10, CUSTOM_OBJ_ARGUMENT), custom_obj_name=F(20, STR))),
    token=F(70, Record("InputTokenSpec", arg=F(10, TOKEN_ARGUMENT))),
    constant_input=F(60, Record("InputToConstantInputSpec", name=F(10, NAME), value=F(20, CONSTANT_VALUE))))
OUTPUT_SPEC = Union(
    "OutputSpec",
    user_output=F(10, Record("UserOutputSpec", arg=F(10, ARGUMENT))),
    loss_output=F(20, Record("LossOutputSpec", arg=F(10, TENSOR_ARGUMENT))),
    buffer_mutation=F(30, Record("BufferMutationSpec", arg=F(10, TENSOR_ARGUMENT), buffer_name=F(20, STR))),
    gradient_to_parameter=F(40, Record("GradientToParameterSpec", arg=F(10, TENSOR_ARGUMENT),
                                       parameter_name=F(20, STR))),
    gradient_to_user_input=F(50, Record("GradientToUserInputSpec", arg=F(10, TENSOR_ARGUMENT),
                                        user_input_name=F(20, STR))),
    user_input_mutation=F(60, Record("UserInputMutationSpec", arg=F(10, TENSOR_ARGUMENT),
                                     user_input_name=F(20, STR))),
    token=F(70, Record("OutputTokenSpec", arg=F(10, TOKEN_ARGUMENT))),
    parameter_mutation=F(80, Record("ParameterMutationSpec", arg=F(10, TENSOR_ARGUMENT),
                                    parameter_name=F(20, STR))))
GRAPH_SIGNATURE = Record("GraphSignature", input_specs=F(10, ListOf(INPUT_SPEC)),
                         output_specs=F(20, ListOf(OUTPUT_SPEC)))

# ---------------------------------------------------------------- program --
RANGE_CONSTRAINT = Record("RangeConstraint", min_val=F(10, Nullable(INT)), max_val=F(20, Nullable(INT)))
MODULE_CALL_SIGNATURE = Record("ModuleCallSignature", inputs=F(10, ListOf(ARGUMENT)), outputs=F(20, ListOf(ARGUMENT)),
                               in_spec=F(30, STR), out_spec=F(40, STR),
                               forward_arg_names=F(50, Nullable(ListOf(STR)), None))
MODULE_CALL_ENTRY = Record("ModuleCallEntry", fqn=F(10, STR), signature=F(30, Nullable(MODULE_CALL_SIGNATURE), None))
NAMED_TUPLE_DEF = Record("NamedTupleDef", field_names=F(10, ListOf(STR)))
GRAPH_MODULE = Record("GraphModule", graph=F(10, GRAPH), signature=F(50, GRAPH_SIGNATURE),
                      module_call_graph=F(60, ListOf(MODULE_CALL_ENTRY)), metadata=F(40, DictOf(STR), {}),
                      treespec_namedtuple_fields=F(70, DictOf(NAMED_TUPLE_DEF), {}))
SCHEMA_VERSION_RECORD = Record("SchemaVersion", major=F(10, INT), minor=F(20, INT))
EXPORTED_PROGRAM = Record("ExportedProgram", graph_module=F(10, GRAPH_MODULE), opset_version=F(20, DictOf(INT)),
                          range_constraints=F(30, DictOf(RANGE_CONSTRAINT)),
                          schema_version=F(60, SCHEMA_VERSION_RECORD), verifiers=F(70, ListOf(STR), []),
                          torch_version=F(80, STR, "<=2.4"), guards_code=F(90, ListOf(STR), []))
# Only the version of a program: read first, so a newer format is named as such, not as a malformed file.
VERSION_ONLY = Record("ExportedProgram", schema_version=F(60, SCHEMA_VERSION_RECORD))

_REFERABLE = {"Graph": GRAPH, "Argument": ARGUMENT}

# ---------------------------------------------------------------- payload --
PAYLOAD_META = Record("PayloadMeta", path_name=F(10, STR), is_param=F(20, BOOL), use_pickle=F(30, BOOL),
                      tensor_meta=F(40, Nullable(TENSOR_META)))
PAYLOAD_CONFIG = Record("PayloadConfig", config=F(10, DictOf(PAYLOAD_META)))
