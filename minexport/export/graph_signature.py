"""The graph signature: what each placeholder and each output of an exported graph means.

Inputs come in torch's order: parameters, buffers, lifted constants, then
user inputs.  Each `InputSpec` has a kind, the argument (the placeholder),
and for lifted state its target (the fqn in the original module).
"""
import dataclasses
import enum

__all__ = ["InputKind", "OutputKind", "InputSpec", "OutputSpec", "ExportGraphSignature", "TensorArgument",
           "SymIntArgument", "SymFloatArgument", "SymBoolArgument", "ConstantArgument", "CustomObjArgument",
           "TokenArgument"]


@dataclasses.dataclass
class TensorArgument:
    """A tensor-valued placeholder or output, by node name."""
    name: str


@dataclasses.dataclass
class TokenArgument:
    """An effect token (for ops with side effects)."""
    name: str


@dataclasses.dataclass
class SymIntArgument:
    """A symbolic-int placeholder or output."""
    name: str


@dataclasses.dataclass
class SymFloatArgument:
    """A symbolic-float placeholder or output."""
    name: str


@dataclasses.dataclass
class SymBoolArgument:
    """A symbolic-bool placeholder or output."""
    name: str


def sym_argument(name, value):
    """The SymInt/SymFloat/SymBool argument for a node computing the symbolic `value`."""
    kind = {"SymFloat": SymFloatArgument, "SymBool": SymBoolArgument}.get(type(value).__name__, SymIntArgument)
    return kind(name)


@dataclasses.dataclass
class CustomObjArgument:
    """A custom (script) object."""
    name: str
    class_fqn: str
    fake_val: object = None


@dataclasses.dataclass
class ConstantArgument:
    """A non-tensor value baked into the program (an int input, a constant output)."""
    name: str
    value: object


class InputKind(enum.Enum):
    """What a placeholder is."""
    USER_INPUT = enum.auto()
    PARAMETER = enum.auto()
    BUFFER = enum.auto()
    CONSTANT_TENSOR = enum.auto()
    CUSTOM_OBJ = enum.auto()
    TOKEN = enum.auto()


class OutputKind(enum.Enum):
    """What an output is."""
    USER_OUTPUT = enum.auto()
    LOSS_OUTPUT = enum.auto()
    BUFFER_MUTATION = enum.auto()
    PARAMETER_MUTATION = enum.auto()
    GRADIENT_TO_PARAMETER = enum.auto()
    GRADIENT_TO_USER_INPUT = enum.auto()
    USER_INPUT_MUTATION = enum.auto()
    TOKEN = enum.auto()


@dataclasses.dataclass
class InputSpec:
    """One placeholder: its kind, argument, target fqn (lifted state) and persistence (buffers)."""
    kind: InputKind
    arg: object
    target: str = None
    persistent: bool = None

    def __post_init__(self):
        if self.kind is InputKind.BUFFER and self.persistent is None:     # members are singletons
            raise ValueError("InputSpec of a BUFFER needs persistent=True or False")


def input_spec(kind, arg, target, persistent):
    """`InputSpec(kind, arg, target, persistent)` for arguments known to be valid (a buffer's `persistent` a
    bool), as export makes one per lifted parameter and buffer: the same object, without the checks."""
    spec = _new(InputSpec)
    spec.kind, spec.arg, spec.target, spec.persistent = kind, arg, target, persistent
    return spec


_new = object.__new__


@dataclasses.dataclass
class OutputSpec:
    """One output: its kind, argument and target (mutated buffer fqn or input name)."""
    kind: OutputKind
    arg: object
    target: str = None


def _arg_name(arg):
    return getattr(arg, "name", "")


class ExportGraphSignature:
    """input_specs and output_specs, with torch's derived views."""

    def __init__(self, input_specs, output_specs):
        self.input_specs = list(input_specs)
        self.output_specs = list(output_specs)

    def _inputs(self, kind):
        return [s for s in self.input_specs if s.kind == kind]

    @property
    def parameters(self):
        """Parameter fqns, in placeholder order."""
        return [s.target for s in self._inputs(InputKind.PARAMETER)]

    @property
    def buffers(self):
        """Buffer fqns, in placeholder order."""
        return [s.target for s in self._inputs(InputKind.BUFFER)]

    @property
    def non_persistent_buffers(self):
        """Fqns of buffers left out of state_dict."""
        return [s.target for s in self._inputs(InputKind.BUFFER) if s.persistent is False]

    @property
    def lifted_tensor_constants(self):
        """Targets of lifted constant tensors."""
        return [s.target for s in self._inputs(InputKind.CONSTANT_TENSOR)]

    @property
    def lifted_custom_objs(self):
        """Targets of lifted custom objects."""
        return [s.target for s in self._inputs(InputKind.CUSTOM_OBJ)]

    @property
    def user_inputs(self):
        """Names of user inputs (or constant values for non-tensor ones)."""
        out = []
        for s in self._inputs(InputKind.USER_INPUT):
            a = s.arg
            out.append(a.value if isinstance(a, ConstantArgument) and not a.name else a.name)
        return out

    @property
    def user_outputs(self):
        """Names (or constant values) of user outputs."""
        out = []
        for s in self.output_specs:
            if s.kind in (OutputKind.USER_OUTPUT, OutputKind.LOSS_OUTPUT):
                a = s.arg
                out.append(a.value if isinstance(a, ConstantArgument) else a.name)
        return out

    @property
    def inputs_to_parameters(self):
        """Placeholder name -> parameter fqn."""
        return {s.arg.name: s.target for s in self._inputs(InputKind.PARAMETER)}

    @property
    def inputs_to_buffers(self):
        """Placeholder name -> buffer fqn."""
        return {s.arg.name: s.target for s in self._inputs(InputKind.BUFFER)}

    @property
    def inputs_to_lifted_tensor_constants(self):
        """Placeholder name -> constant target."""
        return {s.arg.name: s.target for s in self._inputs(InputKind.CONSTANT_TENSOR)}

    @property
    def inputs_to_lifted_custom_objs(self):
        """Placeholder name -> custom object target."""
        return {s.arg.name: s.target for s in self._inputs(InputKind.CUSTOM_OBJ)}

    @property
    def buffers_to_mutate(self):
        """Output name -> the buffer it writes back."""
        return {s.arg.name: s.target for s in self.output_specs if s.kind == OutputKind.BUFFER_MUTATION}

    @property
    def parameters_to_mutate(self):
        """Output name -> the parameter it writes back."""
        return {s.arg.name: s.target for s in self.output_specs if s.kind == OutputKind.PARAMETER_MUTATION}

    @property
    def user_inputs_to_mutate(self):
        """Output name -> the user input it writes back."""
        return {s.arg.name: s.target for s in self.output_specs if s.kind == OutputKind.USER_INPUT_MUTATION}

    @property
    def input_tokens(self):
        """Names of input tokens."""
        return [s.arg.name for s in self._inputs(InputKind.TOKEN)]

    @property
    def output_tokens(self):
        """Names of output tokens."""
        return [s.arg.name for s in self.output_specs if s.kind == OutputKind.TOKEN]

    @property
    def backward_signature(self):
        """Always None: no joint graphs."""
        return None

    @property
    def assertion_dep_token(self):
        """Always None."""
        return None

    def replace_all_uses(self, old, new):
        """Rename an argument everywhere in the signature."""
        for s in self.input_specs + self.output_specs:
            if isinstance(s.arg, (TensorArgument, SymIntArgument, SymFloatArgument, SymBoolArgument,
                                  TokenArgument)) and s.arg.name == old:
                s.arg.name = new

    def get_replace_hook(self, replace_inputs=False):
        """A replace hook (`GraphModule._set_replace_hook`) that keeps this signature naming the right nodes:
        called as hook(old_node, new_name, user) when a node's use is replaced, it renames an output (and,
        with `replace_inputs`, an input placeholder) in the signature, as torch's does."""
        def hook(old, new, user):
            if user.op == "output" or (replace_inputs and old.op == "placeholder"):
                self.replace_all_uses(old.name, new)
        return hook

    def __eq__(self, other):
        return (isinstance(other, ExportGraphSignature) and self.input_specs == other.input_specs
                and self.output_specs == other.output_specs)

    def __str__(self):
        lines = ["# inputs"]
        for s in self.input_specs:
            lines.append(_spec_line(s, True))
        lines += ["", "# outputs"]
        for s in self.output_specs:
            lines.append(_spec_line(s, False))
        return "\n" + "\n".join(lines) + "\n"

    def __repr__(self):
        return f"ExportGraphSignature(input_specs={self.input_specs!r}, output_specs={self.output_specs!r})"


def _spec_line(spec, is_input):
    line = f"{_arg_name(spec.arg)}: {spec.kind.name}"
    if spec.target is not None:
        line += f" target='{spec.target}'"
    if is_input and spec.kind == InputKind.BUFFER:
        line += f" persistent={spec.persistent}"
    return line
