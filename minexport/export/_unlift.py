"""`ExportedProgram.module()`: a GraphModule that calls the program with the original convention.

The module is a `fx.GraphModule`, as torch's: its `graph` is the program's
graph unlifted (parameters, buffers and constants read with get_attr, user
inputs as placeholders, each functional mutation output written back with
`aten.copy_`), with `code` and `print_readable()`.  It holds the program's parameters and buffers at their original fqns
(so `named_parameters()` and `load_state_dict` work as on the source model),
checks every input against what was exported before running any kernel, runs
the graph with the Interpreter, and returns outputs in the original pytree
structure.  In-place updates of buffers and inputs happen on the real arrays,
so calling it has the eager model's side effects.

Until its graph is edited and `recompile()`d, a call runs the program's
lifted graph with compiled, specialized kernels (the fast path below); after
a recompile it runs its own graph, with the same input checks and output
structure.
"""
import copy
import dataclasses
import operator

from .._symbolic_marker import is_symbolic
from .._tensor import Tensor, make_tensor
from ..fx._runner import GraphRunner, keeps_layout, layout_of
from ..fx.graph import Graph
from ..fx.graph_module import GraphModule
from ..nn.module import Module
from ..ops import aten
from ..nn.parameter import Parameter
from ..utils import _pytree as pytree
from .errors import input_path
from .graph_signature import ConstantArgument, InputKind, OutputKind

_MUTATIONS = (OutputKind.BUFFER_MUTATION, OutputKind.USER_INPUT_MUTATION, OutputKind.PARAMETER_MUTATION)

__all__ = ["unlift", "UnliftedModule"]


@dataclasses.dataclass(frozen=True, slots=True)
class _CallPlan:
    """What every call of an UnliftedModule reads, worked out once from the program."""
    program: object           # the ExportedProgram
    interpreter: GraphRunner  # runs its graph
    lifted_tables: tuple      # the table (a module's _parameters, _buffers, ...) holding each lifted value,
    lifted_names: tuple       # and its name there, in placeholder order (apart, for one map() over them)
    lifted_vals: list         # the fake value of each lifted placeholder
    user_specs: list          # InputSpec of each user input
    user_vals: list           # the fake value of each user input's placeholder
    arg_names: list           # each user input's placeholder name
    in_spec: object           # pytree spec of (args, kwargs)
    out_spec: object          # pytree spec of the outputs
    mutations: list           # (OutputKind, target) of each mutation output, in output order
    shape_checks: object      # RuntimeShapeChecks of the symbolic input sizes, or None
    static_inputs: tuple      # (dtype, shape) of each user input when all are positional static tensors, or None
    user_layouts: tuple       # the strides each user input's array keeps for the plan's promise (`layout_of`)
    lifted_layouts: tuple     # the same for each lifted value

    @classmethod
    def of(cls, ep, module):
        """The plan for calling ep through `module`, whose submodules hold ep's lifted state."""
        sig = ep.graph_signature
        lifted = [spec for spec in sig.input_specs if spec.kind != InputKind.USER_INPUT]
        user = [spec for spec in sig.input_specs if spec.kind == InputKind.USER_INPUT]
        placeholders = [n for n in ep.graph.nodes if n.op == "placeholder"]
        user_vals = [n.meta.get("val") for n in placeholders[len(lifted):]]
        root = ep.module_call_graph[0].signature
        slots = [module._slot(spec.kind, spec.target) for spec in lifted]
        lifted_vals = [n.meta.get("val") for n in placeholders[:len(lifted)]]
        return cls(program=ep, interpreter=GraphRunner(ep.graph, specialize=True, strides_known=True),
                   lifted_tables=tuple(t for t, _ in slots), lifted_names=tuple(n for _, n in slots),
                   lifted_vals=lifted_vals,
                   user_specs=user, user_vals=user_vals, arg_names=[spec.arg.name for spec in user],
                   in_spec=root.in_spec, out_spec=root.out_spec,
                   mutations=[(s.kind, s.target) for s in sig.output_specs if s.kind in _MUTATIONS],
                   shape_checks=_shape_checks(ep, user, user_vals),
                   static_inputs=_static_inputs(root.in_spec, user, user_vals),
                   user_layouts=tuple(map(layout_of, user_vals)), lifted_layouts=tuple(map(layout_of, lifted_vals)))


class UnliftedModule(GraphModule):
    """The callable form of an ExportedProgram (see the module docstring)."""

    def __init__(self, ep, check_guards=True):
        Module.__init__(self)
        object.__setattr__(self, "_class_name", "GraphModule")
        object.__setattr__(self, "_edited", None)
        _install_state(self, ep)
        _install_subgraphs(self, ep)
        self._plan = _CallPlan.of(ep, self)
        self._lifted_cache = None
        self.check_guards = check_guards
        self._in_spec, self._out_spec = self._plan.in_spec, self._plan.out_spec
        self.graph = _unlifted_graph(ep)
        object.__setattr__(self, "_edited", False)

    def recompile(self):
        """Regenerate `code`; from now on a call runs this module's own graph (edits included)."""
        code = GraphModule.recompile(self)
        if self._edited is not None:
            object.__setattr__(self, "_edited", True)
        return code

    def forward(self, *args, **kwargs):
        """Check the inputs, run the graph, rebuild the outputs."""
        plan = self._plan
        if self._edited:
            return self._run_own_graph(args, kwargs)
        static = plan.static_inputs
        if kwargs or static is None or not _match_static(args, static):
            args = self._checked_inputs(args, kwargs)     # the general path; it raises on a mismatch
        lifted, trusted, strided = self._lifted_arrays()
        arrays = _arrays(args)
        strided = strided and all(map(keeps_layout, arrays, plan.user_layouts))
        out = plan.interpreter.run_arrays(*lifted, *arrays, specialized=trusted, strided=strided)
        n_mut = len(plan.mutations)
        if n_mut:
            self._write_back(out[:n_mut], args)
        by_array = {id(t._data): t for t in args if isinstance(t, Tensor)}
        outs = [_as_output(o, by_array) for o in out[n_mut:]]
        return outs[0] if plan.out_spec.is_leaf() else pytree.tree_unflatten(outs, plan.out_spec)

    # Why a cache of the lifted arrays: the interpreter's specialized kernels
    # trust every input's exported dtype and shape (fx/_runner.py), and its
    # plan is compiled for their exported strides.  User inputs are checked
    # on each call; weights are checked when they change, which the identity
    # of their arrays tells -- a swapped Parameter, a `.data =` rebinding or a
    # load_state_dict(assign=True) each give a new array, while in-place
    # writes keep it (and keep dtype, shape and strides).
    def _lifted_arrays(self):
        """(the lifted values' arrays, whether they keep the exported dtypes and shapes, whether they also
        keep the exported strides)."""
        plan = self._plan
        try:
            arrays = list(map(_DATA, _lifted_values(plan)))
        except AttributeError:          # a lifted value that is no tensor: nothing to cache
            return _arrays(_lifted_values(plan)), False, False
        cache = self._lifted_cache
        if cache is not None and all(map(operator.is_, arrays, cache[0])):
            return cache
        values = _lifted_values(plan)
        arrays = _arrays(values)        # refuses a fake tensor by name
        trusted = all(map(_as_exported, values, plan.lifted_vals))
        strided = trusted and all(map(keeps_layout, arrays, plan.lifted_layouts))
        self._lifted_cache = (arrays, trusted, strided)
        return self._lifted_cache

    def _run_own_graph(self, args, kwargs):
        """The general path after an edit: checked flat inputs through this module's graph."""
        flat = self._checked_inputs(args, kwargs)
        runner = self._runner
        if runner is None:
            runner = GraphRunner(self._graph, self, python_on_tensors=True)
            object.__setattr__(self, "_runner", runner)
        out = runner.run_arrays(*_arrays(flat))
        by_array = {id(t._data): t for t in flat if isinstance(t, Tensor)}
        outs = [_as_output(o, by_array) for o in (out if isinstance(out, (list, tuple)) else (out,))]
        return outs[0] if self._out_spec.is_leaf() else pytree.tree_unflatten(outs, self._out_spec)

    def _checked_inputs(self, args, kwargs):
        """The flat user inputs, each checked against the program's (any input tree, symbolic sizes)."""
        plan = self._plan
        flat, spec = pytree.tree_flatten((args, kwargs))
        if spec != plan.in_spec:
            raise ValueError(
                "Trying to flatten user inputs with exported input tree spec:\n"
                f"{plan.in_spec}\nbut actually got inputs with tree spec of:\n{spec}.\n"
                "Please check that the inputs have the same number and type of args and kwargs "
                "as the ones you used when tracing.")
        problems, unreadable = [], set()
        for i, (value, spec_, val) in enumerate(zip(flat, plan.user_specs, plan.user_vals)):
            found = _input_problems(value, spec_, val)
            if found:
                problems += [(first, guard, want, got, (i, d)) for first, guard, want, got, d in found]
                if found[0][4] is None:      # wrong type or rank: its sizes cannot be read
                    unreadable.add(i)
        if plan.shape_checks is not None:
            problems += plan.shape_checks.violations(flat, unreadable)
        if problems:
            raise AssertionError(_guard_failure(problems, (args, kwargs)))
        return flat

    def _write_back(self, values, flat):
        """A functional program returns new values for what the eager model mutated: write them back."""
        by_name = dict(zip(self._plan.arg_names, flat))
        for (kind, target), value in zip(self._plan.mutations, values):
            dest = by_name[target] if kind == OutputKind.USER_INPUT_MUTATION else self._state_tensor(kind, target)
            dest._data[...] = value

    def _state_tensor(self, kind, target):
        return self._lifted_value(InputKind.PARAMETER if kind == OutputKind.PARAMETER_MUTATION else InputKind.BUFFER,
                                  target)

    def _slot(self, kind, target):
        mod, _, name = target.rpartition(".")
        owner = self.get_submodule(mod)
        table = {InputKind.PARAMETER: owner._parameters, InputKind.BUFFER: owner._buffers}.get(kind, owner.__dict__)
        return table, name

    def _lifted_value(self, kind, target):
        table, name = self._slot(kind, target)
        return table[name]

    def train(self, mode=True):
        """Not supported, as in torch: the graph was captured in one mode."""
        raise NotImplementedError(f"Calling {'train' if mode else 'eval'}() is not supported yet.")

    def eval(self):
        """Not supported, as in torch."""
        return self.train(False)

    def _get_name(self):
        return "GraphModule"

    def __deepcopy__(self, memo):
        """A module of the same program holding copies of this one's parameters, buffers and graph (rebuilt
        rather than copied field by field: the call plan holds fake tensors and the program)."""
        clone = UnliftedModule(self._plan.program, self.check_guards)
        memo[id(self)] = clone
        for (table, name), (clone_table, _) in zip(zip(self._plan.lifted_tables, self._plan.lifted_names),
                                                   zip(clone._plan.lifted_tables, clone._plan.lifted_names)):
            clone_table[name] = copy.deepcopy(table[name], memo)
        if self._edited:
            clone.graph = copy.deepcopy(self._graph, memo)
        return clone


def _unlifted_graph(ep):
    """ep's graph as torch's `module()` holds it: lifted state read with get_attr (named after its fqn), user
    inputs as placeholders, the nodes copied, and each mutation output written back with `aten.copy_`
    before the output returns the user outputs."""
    sig, graph = ep.graph_signature, Graph()
    placeholders = [n for n in ep.graph.nodes if n.op == "placeholder"]
    val_map = {}
    for spec, node in zip(sig.input_specs, placeholders):
        if spec.kind == InputKind.USER_INPUT:
            continue
        val_map[node] = graph.get_attr(spec.target, name=spec.target.replace(".", "_"), meta=dict(node.meta))
    for spec, node in zip(sig.input_specs, placeholders):
        if spec.kind == InputKind.USER_INPUT:
            val_map[node] = graph.placeholder(node.name, meta=dict(node.meta))
    by_name = {n.name: n for n in placeholders}
    targets = {spec.target: val_map[by_name[spec.arg.name]] for spec in sig.input_specs
               if spec.kind != InputKind.USER_INPUT}
    users = {spec.arg.name: val_map[by_name[spec.arg.name]] for spec in sig.input_specs
             if spec.kind == InputKind.USER_INPUT and spec.arg.name in by_name}
    outputs = graph.graph_copy(ep.graph, val_map)
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    n_mut = 0
    for spec, value in zip(sig.output_specs, outputs):
        if spec.kind in _MUTATIONS:
            dest = users[spec.target] if spec.kind == OutputKind.USER_INPUT_MUTATION else targets[spec.target]
            graph.call_function(aten.copy_.default, (dest, value), meta={"val": value.meta.get("val")})
            n_mut += 1
    graph.output(tuple(outputs[n_mut:]))
    root = ep.module_call_graph[0].signature
    graph._pytree_specs = (root.in_spec, root.out_spec)
    return graph


def _install_state(root, ep):
    """Register ep's parameters, buffers and constants on root at their original fqns."""
    state = ep.state_dict
    for spec in ep.graph_signature.input_specs:
        if spec.kind == InputKind.PARAMETER:
            value = state[spec.target]
            _install(root, spec.target, value if isinstance(value, Parameter) else Parameter(value), "param")
        elif spec.kind == InputKind.BUFFER:
            value = state.get(spec.target, ep.constants.get(spec.target))
            _install(root, spec.target, value, "buffer", persistent=spec.persistent)
        elif spec.kind == InputKind.CONSTANT_TENSOR:
            _install(root, spec.target, ep.constants[spec.target], "constant")


def _install_subgraphs(root, ep):
    """Make the subgraphs ep's graph reads with get_attr (cond branches, region bodies) submodules of root under
    the same names, as torch's `module()` holds them."""
    for n in ep.graph.nodes:
        if n.op == "get_attr" and "." not in n.target:
            sub = ep.graph_module._modules.get(n.target)
            if isinstance(sub, GraphModule):
                root.add_module(n.target, sub)


def _install(root, target, value, kind, persistent=True):
    *path, name = target.split(".")
    mod = root
    for part in path:
        child = mod._modules.get(part)
        if child is None:
            child = Module()
            mod.add_module(part, child)
        mod = child
    if kind == "param":
        mod.register_parameter(name, value)
    elif kind == "buffer":
        mod.register_buffer(name, value, persistent=persistent)
    else:
        object.__setattr__(mod, name, value)


def _as_output(value, by_array):
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        same = by_array.get(id(value))
        if same is not None:
            return same
        return make_tensor(value)
    return value


def _arrays(values):
    """The arrays of tensors (other values as they are); a fake tensor is refused by name."""
    arrays = [v._data if isinstance(v, Tensor) else v for v in values]
    for v, a in zip(values, arrays):
        if a is None and isinstance(v, Tensor):
            v._require_data("calling an exported program")
    return arrays


_DATA = operator.attrgetter("_data")


def _as_exported(value, val):
    """A lifted tensor still has its placeholder's dtype and (static) shape."""
    return isinstance(value, Tensor) and isinstance(val, Tensor) and value._dtype is val.dtype and \
        value._data.shape == tuple(val.shape)


def _static_inputs(in_spec, user_specs, user_vals):
    """(dtype, shape) per user input when every input is a positional tensor of static shape, else None.

    For such programs a call whose arguments match these exactly needs no
    pytree flattening and no per-input check (`_match_static`); any other call
    takes the general path, which names what differs.
    """
    n = len(user_specs)
    if pytree.tree_flatten((tuple(object() for _ in range(n)), {}))[1] != in_spec:
        return None
    static = []
    for spec, val in zip(user_specs, user_vals):
        if isinstance(spec.arg, ConstantArgument) or not isinstance(val, Tensor) or \
                any(type(d) is not int for d in val.shape):
            return None
        static.append((val.dtype, tuple(val.shape)))
    return tuple(static)


def _match_static(args, static):
    """args are real tensors of exactly the exported dtypes and shapes."""
    if len(args) != len(static):
        return False
    for value, (dtype, shape) in zip(args, static):
        if not isinstance(value, Tensor) or value._dtype is not dtype:
            return False
        data = value._data
        if data is None or data.shape != shape:
            return False
    return True


def _input_problems(value, spec, val):
    """How an input differs from what was exported: [(torch's "Guard failed: ..." line with `{path}` for the
    input's path, guard, expected, got, dim or None)], empty when it matches.  A wrong type or rank is one
    problem (its sizes are not compared); otherwise each static size that differs is one."""
    name = spec.arg.name
    if isinstance(spec.arg, ConstantArgument):
        if value != spec.arg.value or type(value) is not type(spec.arg.value):
            return [(f"Guard failed: {name} == {spec.arg.value!r} (expected input at {{path}} to be equal to "
                     f"{spec.arg.value!r}, but got {value!r})", f"{name} == {spec.arg.value!r}", repr(spec.arg.value),
                     repr(value), None)]
        return []
    if not isinstance(value, Tensor):
        return [(f"Guard failed: expected input at {{path}} ({name}) to be a Tensor, got {type(value).__name__}",
                 f"isinstance({name}, Tensor)", "a Tensor", type(value).__name__, None)]
    if value.dtype is not val.dtype:
        return [(f"Guard failed: {name}.dtype == {val.dtype} (expected input at {{path}} to have dtype {val.dtype}, "
                 f"but got {value.dtype})", f"{name}.dtype == {val.dtype}", str(val.dtype), str(value.dtype), None)]
    shape = value.shape
    if len(shape) != len(val.shape):
        return [(f"Guard failed: {name}.dim() == {val.ndim} (expected input at {{path}} to have {val.ndim} "
                 f"dimensions, but got {value.ndim})", f"{name}.dim() == {val.ndim}", str(val.ndim), str(value.ndim),
                 None)]
    return [(f"Guard failed: {name}.size()[{i}] == {want} (expected input at {{path}}.shape[{i}] to be equal to "
             f"{want}, but got {got})", f"{name}.size()[{i}] == {want}", str(want), str(got), i)
            for i, (got, want) in enumerate(zip(shape, val.shape))
            if type(want) is int and got != want]      # symbolic dims are checked by RuntimeShapeChecks


def _guard_failure(problems, inputs):
    """The message of a call that breaks guards: torch's line for the first, then every one with its input
    path, expected and got (only when there are several)."""
    paths = [input_path(p) for p, _ in pytree.tree_flatten_with_path(inputs)[0]]

    def where(at):
        if at is None:
            return ""
        index, d = at
        return paths[index] + ("" if d is None else f".shape[{d}]")

    first = problems[0][0].replace("{path}", where((problems[0][4][0], None)) if problems[0][4] else "")
    if len(problems) == 1:
        return first
    lines = [first, f"All {len(problems)} violated guards:"]
    for _, guard, want, got, at in problems:
        place = f" (input {where(at)})" if at is not None else ""
        lines.append(f"  - {guard}: expected {want}, got {got}{place}")
    return "\n".join(lines)


def _shape_checks(ep, user_specs, user_vals):
    """Runtime checks of symbolic input sizes, or None for a static program."""
    env = ep.shape_env
    dims = []
    for index, (spec, val) in enumerate(zip(user_specs, user_vals)):
        for d, size in enumerate(getattr(val, "shape", ())):
            if is_symbolic(size):
                dims.append((index, spec.arg.name, d, env.simplify(size.expr) if env else size.expr))
    if not dims:
        return None
    from ._symbolic import RuntimeShapeChecks
    return RuntimeShapeChecks(env, ep.range_constraints, dims)


def unlift(ep, check_guards=True):
    """The GraphModule form of ep."""
    return UnliftedModule(ep, check_guards)


def _lifted_values(plan):
    """The current value of every lifted parameter, buffer and constant, in placeholder order."""
    return list(map(operator.getitem, plan.lifted_tables, plan.lifted_names))
