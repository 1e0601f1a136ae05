"""`ExportedProgram`: the graph, its signature, its state, and how to call it.

Imports flow one way in the export package: this module uses the passes
behind its methods (`_unlift` for `module()`, `_functionalize` for
`run_decompositions()`, `verifier` for `validate()`), and none of them
imports it.  A pass takes a program and returns what the new program is made
of; the program is assembled here.
"""
import dataclasses

from ..fx.graph_module import GraphModule
from ._functionalize import functionalize
from ._module_call import renamed_call_graph
from ._unlift import unlift
from .explain import explain as _explain
from .graph_signature import InputKind
from .verifier import verifier_for

__all__ = ["ExportedProgram", "ModuleCallEntry", "ModuleCallSignature", "CallSpec"]


@dataclasses.dataclass
class ModuleCallSignature:
    """How a (sub)module is called: its flat inputs/outputs and their pytree specs."""
    inputs: list
    outputs: list
    in_spec: object
    out_spec: object
    forward_arg_names: list = None


@dataclasses.dataclass
class ModuleCallEntry:
    """One module of the original hierarchy, by fqn ('' is the root)."""
    fqn: str
    signature: ModuleCallSignature = None


def plain_call_entries(fqns):
    """`[ModuleCallEntry(fqn, None) for fqn in fqns]`, the same objects made without a call of `__init__`
    each: export makes one per submodule."""
    entries = []
    for fqn in fqns:
        entry = _new(ModuleCallEntry)
        entry.fqn, entry.signature = fqn, None
        entries.append(entry)
    return entries


_new = object.__new__


@dataclasses.dataclass
class CallSpec:
    """The root's input and output pytree specs."""
    in_spec: object
    out_spec: object


class ExportedProgram:
    """A captured program: graph module, graph signature, state, ranges and module call graph.

    Fields (each also a read-only property):
    - `root`, `graph`: the GraphModule holding `graph` (or a module whose
      submodules the graph reads; a GraphModule is built around it);
    - `graph_signature`: ExportGraphSignature, one InputSpec per placeholder
      and one OutputSpec per output value;
    - `state_dict`: parameters and persistent buffers by fqn;
    - `range_constraints`: {symbol: ValueRange} of the program's symbols;
    - `module_call_graph`: ModuleCallEntry list, the root first (its
      signature holds the input/output pytree specs);
    - `example_inputs`: the (args, kwargs) given to export, or None;
    - `constants`: lifted constant tensors and non-persistent buffers by target;
    - `verifiers`: verifier instances (default: the one for `dialect`);
    - `dialect`: "TRAINING" (export()'s output) or "ATEN" (run_decompositions());
    - `preserved_ops`: non-core ops kept on purpose in an ATEN program;
    - `shape_env`: the ShapeEnv that owns the program's symbols (their
      hints, ranges and the guards the trace recorded), or None for a
      static program.

    The verifiers run on construction.
    """

    def __init__(self, root, graph, graph_signature, state_dict, range_constraints, module_call_graph,
                 example_inputs=None, constants=None, *, verifiers=None, dialect="TRAINING",
                 preserved_ops=frozenset(), shape_env=None):
        if type(root) is _PlainRoot:
            # export()'s own program (see _PlainRoot): its GraphModule is made on first read
            self._graph_module, self._pending_graph = None, graph
        else:
            self._graph_module = root if isinstance(root, GraphModule) and root.graph is graph else \
                GraphModule(root, graph)
            self._pending_graph = None
        self._graph_signature = graph_signature
        self._state_dict = state_dict
        self._range_constraints = range_constraints
        self._module_call_graph = module_call_graph
        self._example_inputs = example_inputs
        self._constants = constants if constants is not None else {}
        self._dialect = dialect
        self._preserved_ops = frozenset(preserved_ops)
        self._shape_env = shape_env
        self._verifiers = verifiers or [verifier_for(dialect)]
        self.validate()

    # -- torch's attributes --------------------------------------------------
    @property
    def graph_module(self):
        """The GraphModule holding the graph."""
        gm = self._graph_module
        if gm is None:
            gm = self._graph_module = GraphModule({}, self._pending_graph)
            self._pending_graph = None
        return gm

    @property
    def graph(self):
        """The graph."""
        return self.graph_module.graph

    @property
    def graph_signature(self):
        """The ExportGraphSignature."""
        return self._graph_signature

    @property
    def state_dict(self):
        """Parameters and buffers by fqn (non-persistent buffers included, as torch does)."""
        return self._state_dict

    @property
    def constants(self):
        """Lifted constant tensors by target."""
        return self._constants

    @property
    def tensor_constants(self):
        """Alias of constants."""
        return self._constants

    def explain(self):
        """A GuardReport (print it) of where each guard, range, specialization and runtime assert came from:
        the source line, the input dims, the rule, and the dynamic_shapes change (spec/explain.md)."""
        return _explain(self)

    @property
    def range_constraints(self):
        """{symbol: value range} of the program's symbolic sizes."""
        return self._range_constraints

    @property
    def module_call_graph(self):
        """ModuleCallEntry list; the first is the root."""
        return self._module_call_graph

    @property
    def example_inputs(self):
        """(args, kwargs) given to export."""
        return self._example_inputs

    @property
    def call_spec(self):
        """The root's in/out pytree specs."""
        sig = self._module_call_graph[0].signature
        return CallSpec(in_spec=sig.in_spec, out_spec=sig.out_spec)

    @property
    def dialect(self):
        """'TRAINING' for export()'s output, 'ATEN' after run_decompositions()."""
        return self._dialect

    @property
    def shape_env(self):
        """The ShapeEnv of the program's symbols, or None for a static program."""
        return self._shape_env

    @property
    def verifier(self):
        """The verifier class of this program's dialect."""
        return type(self._verifiers[0])

    @property
    def verifiers(self):
        """The verifier classes run on this program, as torch returns them (each has a `dialect`)."""
        return [type(v) for v in self._verifiers]

    def parameters(self):
        """Parameters in placeholder order."""
        for _, p in self.named_parameters():
            yield p

    def named_parameters(self):
        """(fqn, Parameter) in placeholder order."""
        for fqn in self._graph_signature.parameters:
            yield fqn, self._state_dict[fqn]

    def buffers(self):
        """Buffers in placeholder order."""
        for _, b in self.named_buffers():
            yield b

    def named_buffers(self):
        """(fqn, buffer) in placeholder order (non-persistent ones come from constants, as torch keeps them)."""
        for spec in self._graph_signature.input_specs:
            if spec.kind == InputKind.BUFFER:
                yield spec.target, self._state_dict.get(spec.target, self._constants.get(spec.target))

    # -- behaviour -------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        raise RuntimeError("Unable to call ExportedProgram directly. You should use "
                           "`exported_program.module()` instead.")

    def module(self, check_guards=True):
        """A callable GraphModule with the original calling convention (parameters and buffers inside; see
        export/_unlift.py).  Inputs are checked against the exported ones whatever `check_guards` says."""
        return unlift(self, check_guards)

    def validate(self):
        """Run this program's verifiers (raises SpecViolationError)."""
        for v in self._verifiers:
            v.check(self)

    def run_decompositions(self, decomp_table=None):
        """A new program in the functional core-ATen IR (dialect "ATEN"); this one is left unchanged.

        `decomp_table` maps OpOverload -> Python decomposition (default:
        `minexport.export.default_decompositions()`); an op left out of it stays
        in the graph.
        """
        renames = {}
        graph_module, signature, preserved = functionalize(self, decomp_table, renames)
        call_graph = renamed_call_graph(self._module_call_graph, renames)
        return ExportedProgram(graph_module, graph_module.graph, signature, self._state_dict,
                               dict(self._range_constraints), call_graph, self._example_inputs,
                               self._constants, dialect="ATEN", preserved_ops=preserved, shape_env=self._shape_env)

    @property
    def preserved_ops(self):
        """Non-core ops kept on purpose (left out of the decomposition table)."""
        return self._preserved_ops

    def lifted_state(self):
        """Values for the lifted placeholders, in signature order (parameters, buffers, constants)."""
        out = []
        for spec in self._graph_signature.input_specs:
            if spec.kind in (InputKind.PARAMETER, InputKind.BUFFER):
                value = self._state_dict.get(spec.target)
                if value is None:
                    value = self._constants[spec.target]
                out.append(value)
            elif spec.kind == InputKind.CONSTANT_TENSOR:
                out.append(self._constants[spec.target])
        return out

    def __str__(self):
        code = self.graph_module.print_readable(print_output=False)
        sig = str(self._graph_signature)
        ranges = "{" + ", ".join(f"{k}: {v}" for k, v in self._range_constraints.items()) + "}"
        return ("ExportedProgram:\n" + _indent(code) + "\nGraph signature: \n" + _indent(sig[1:])
                + "\nRange constraints: " + ranges + "\n")

    def __repr__(self):
        return str(self)


class _PlainRoot:
    """The root export() gives a program whose graph reads no subgraph: `GraphModule({}, graph)` is made when
    `graph_module` (or `graph`) is first read rather than on construction (most exported programs are never
    printed or edited, and the verifier reads the graph alone; see `_pending_graph`).

    Making it later gives the module it would have got on construction (the same empty root; its text and
    runner are of the graph as of that moment) as long as the graph does not change in between.  The graph
    was made by export's tracer for this program alone, and every public way to it goes through the program:
    `graph` and `graph_module` both make the module first, and the verifiers read it without changing it.
    (The only other ways are private attributes: a fake tensor's `_node`, of a value forward kept.)
    """

    __slots__ = ()


PLAIN_ROOT = _PlainRoot()


def _indent(text):
    return "\n".join("    " + line for line in text.split("\n"))

