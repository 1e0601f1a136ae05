"""export(): capture a Module's forward as an ATen-level graph.

export() is the list of its steps:
1. `_prepare_inputs`: check the call; flatten `(args, kwargs)` (every leaf a
   tensor, number, bool, str or None; containers must be pytrees); name each
   leaf after forward's parameters; read its dynamic dims.
2. `_lift_state` and `_FakeState`: parameters and buffers become fake
   tensors (shape, dtype, device; no data) on placeholders `p_<fqn>` /
   `b_<fqn>`; plain tensor attributes become fakes lifted as `c_<fqn>` on
   first use.  `_user_inputs`: each user leaf gets a placeholder named after
   forward's parameters (a tensor as a fake with symbols for its dynamic dims).
3. `_trace_forward`: forward runs as ordinary Python with an `ExportTracer`
   installed by `tracing()`: every op call runs the op's meta function and
   appends a `call_function` node (see `_tracer.py`).  Python that needs a
   traced value (`if t:`, `int(t)`, `t.tolist()`) is refused with the user's
   source line and the fix.  The outputs are flattened into output specs.
4. `_check_guards`: the guards the trace recorded are checked against the
   declared dims (a violation names each dim and the fix); what remains are
   the range constraints.
5. `_build_program`: the signature, state_dict, constants and module call
   graph are assembled into an ExportedProgram, which verifies itself.
"""
import collections
import contextlib
import dataclasses
import inspect
import itertools
import json
import types

from .._symbolic_marker import is_symbolic
from .._tensor import Tensor, make_fake
from .._trace_state import tracing
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..utils import _pytree as pytree
from . import _loops, _regions
from ._module_call import preserved_calls
from ._tracer import ExportTracer, call_forward
from .dynamic_shapes import leaf_specs
from .errors import UserError, input_path
from .explain import input_paths, warn_small_examples
from .exported_program import PLAIN_ROOT, ExportedProgram, ModuleCallEntry, ModuleCallSignature, plain_call_entries
from .graph_signature import (ConstantArgument, ExportGraphSignature, InputKind, OutputKind, OutputSpec,
                              TensorArgument, sym_argument)

__all__ = ["export", "register_dataclass"]

_LEAF_TYPES = (Tensor, int, float, bool, str, type(None))


def register_dataclass(cls, *, serialized_type_name=None):
    """Make a dataclass usable as an export input or output (a pytree node; None fields go to the context)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"register_dataclass expects a dataclass, got {cls!r}")
    names = [f.name for f in dataclasses.fields(cls) if f.init]

    def flatten(obj):
        present = [n for n in names if getattr(obj, n) is not None]
        missing = [n for n in names if getattr(obj, n) is None]
        return [getattr(obj, n) for n in present], [present, missing]

    def unflatten(values, context):
        present, missing = context
        return cls(**dict(zip(present, values)), **{n: None for n in missing})

    pytree.register_pytree_node(
        cls, flatten, unflatten,
        serialized_type_name=serialized_type_name or f"{cls.__module__}.{cls.__qualname__}",
        to_dumpable_context=lambda ctx: json.dumps(ctx),
        from_dumpable_context=lambda s: json.loads(s),
        flatten_with_keys_fn=lambda obj: ([(pytree.GetAttrKey(n), getattr(obj, n)) for n in flatten(obj)[1][0]],
                                          flatten(obj)[1]))


def export(mod, args, kwargs=None, *, dynamic_shapes=None, strict=False, preserve_module_call_signature=(),
           prefer_deferred_runtime_asserts_over_guards=False):
    """Capture mod's forward on example inputs as an ExportedProgram (torch.export.export's signature).

    minexport always traces as torch's non-strict mode does: Python runs as
    written and only tensor operations are recorded, so `strict=True`
    changes nothing.  `prefer_deferred_runtime_asserts_over_guards` is
    accepted; as in torch it changes nothing for guards on input sizes (see
    spec/draft_export.md).
    """
    return _export(mod, args, kwargs, dynamic_shapes, ExportTracer, preserve_module_call_signature)


def _export(mod, args, kwargs, dynamic_shapes, tracer_class, preserve_module_call_signature=()):
    """export() with the tracer class given (draft_export passes one that also runs the real kernels)."""
    inputs = _prepare_inputs(mod, args, kwargs, dynamic_shapes)
    state = _State(mod.module_tree(remove_duplicate=False))
    tracer = tracer_class(state.modules)
    if any(inputs.dim_specs):
        sources = [_leaf_source(inputs.forward_arg_names, path) for path in inputs.paths]
        tracer.ensure_symbolic().name_symbols(inputs.names, sources, inputs.leaves, inputs.dim_specs)
        warn_small_examples(tracer.symbolic, inputs.names, inputs.leaves, inputs.dim_specs,
                            input_paths(inputs.in_spec, inputs.forward_arg_names))
    state_fakes = _lift_state(tracer, state)
    try:
        # no module call to preserve: what preserved_calls would do, without its hooks' context
        preserve = preserve_module_call_signature
        calls_context = contextlib.nullcontext([]) if type(preserve) in (tuple, list) and not preserve else \
            preserved_calls(tracer, mod, preserve)
        with _FakeState(tracer, state, state_fakes), calls_context as calls:
            outputs = _trace_forward(tracer, mod, _user_inputs(tracer, inputs))
        ranges = _check_guards(tracer)
    except UserError as e:      # the explainer (`python -m minexport explain`) reads the trace's guards here
        if getattr(e, "symbolic", None) is None:
            e.symbolic = tracer.symbolic
        raise
    if tracer.symbolic is not None:
        tracer.symbolic.simplify_values(tracer.root_graph)
        from ._symbolic import hoist_input_size_reads     # (sympy loads only for dynamic programs)
        hoist_input_size_reads(tracer.root_graph)
    return _build_program(mod, inputs, tracer, outputs, ranges, state, calls)


# ------------------------------------------------------------ 1. the inputs --
@dataclasses.dataclass
class _Inputs:
    """The example inputs as every later step reads them: flat leaves, their names and dynamic dims."""
    args: tuple
    kwargs: dict
    leaves: list              # in tree_flatten((args, kwargs)) order
    names: list               # placeholder name per leaf
    dim_specs: list           # {dim: Dim spec} or None per leaf
    in_spec: object           # pytree spec of (args, kwargs)
    forward_arg_names: list   # forward's name for each arg, then the kwargs' keys
    paths: list               # the key path of each leaf


def _prepare_inputs(mod, args, kwargs, dynamic_shapes):
    """Check export()'s arguments; flatten the inputs, name each leaf, read its dynamic dims."""
    if not isinstance(mod, Module):
        raise ValueError(f"Expected `mod` to be an instance of `torch.nn.Module`, got {type(mod)}.")
    if not isinstance(args, tuple):
        raise UserError(f"Expecting `args` to be a tuple of example positional inputs, got {type(args)}")
    kwargs = {} if kwargs is None else kwargs
    if not isinstance(kwargs, dict):
        raise UserError(f"Expecting `kwargs` to be a dict of example keyword inputs, got {type(kwargs)}")
    forward_arg_names = _forward_arg_names(mod, args, kwargs)
    pairs, in_spec = pytree.tree_flatten_with_path((args, kwargs))
    _check_leaves(pairs)
    paths = [path for path, _ in pairs]
    names = [_leaf_name(forward_arg_names, path) for path in paths]
    # with no dynamic_shapes, leaf_specs gives None for each leaf
    dim_specs = [None] * len(pairs) if dynamic_shapes is None else \
        leaf_specs(forward_arg_names[:len(args)], args, kwargs, dynamic_shapes, _varargs(mod))
    return _Inputs(args, kwargs, [leaf for _, leaf in pairs], names, dim_specs, in_spec, forward_arg_names, paths)


def _leaf_source(forward_arg_names, path):
    """torch's source name of an input leaf: `L['x']` for argument x, then its keys (`L['xs'][0]`)."""
    top = path[1]
    base = forward_arg_names[top.idx] if path[0].idx == 0 else str(top.key)
    return f"L[{base!r}]" + pytree.keystr(path[2:])


def _forward_arg_names(mod, args, kwargs):
    """torch's forward_arg_names: forward's parameter name for each arg (beyond them, `<varargs>_<i>`), then
    the kwargs' keys.  The only place forward's signature is read."""
    plain = _plain_method_names(mod.forward)
    if plain is not None:
        positional, varargs = plain
    else:
        try:
            params = list(inspect.signature(mod.forward).parameters.values())
        except (TypeError, ValueError):
            params = []
        positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        varargs = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), "args")
    names = [positional[i] if i < len(positional) else f"{varargs}_{i - len(positional)}" for i in range(len(args))]
    return names + list(kwargs)


def _varargs(mod):
    """(index of the first extra positional arg, the *args name) when forward takes *args, else None."""
    try:
        params = list(inspect.signature(mod.forward).parameters.values())
    except (TypeError, ValueError):
        return None
    at = sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
    return next(((at, p.name) for p in params if p.kind == p.VAR_POSITIONAL), None)


def _plain_method_names(forward):
    """(positional parameter names, *args name or "args") of a bound method whose function is plain Python
    code, read off its code object; None for anything else (inspect.signature decides those).

    For such a method inspect.signature reads the same code object and drops the first parameter (`self`):
    the names are co_varnames[1:co_argcount], and a *args parameter, when the code has one, comes right
    after the keyword-only ones.  A function that carries `__signature__` or `__wrapped__` (a decorator's
    claim about its signature) is left to inspect, which honours them.
    """
    fn = getattr(forward, "__func__", None)
    if type(forward) is not types.MethodType or type(fn) is not types.FunctionType or \
            "__signature__" in fn.__dict__ or "__wrapped__" in fn.__dict__:
        return None
    code = fn.__code__
    if code.co_argcount < 1:     # `def forward(*args)`: inspect keeps *args, binding self to it
        return None
    names = code.co_varnames
    varargs = names[code.co_argcount + code.co_kwonlyargcount] if code.co_flags & inspect.CO_VARARGS else "args"
    return list(names[1:code.co_argcount]), varargs


def _leaf_name(forward_arg_names, path):
    """A leaf's placeholder name: its argument's name, then the keys down to it (`x_a_0` for x['a'][0])."""
    top = path[1]
    base = forward_arg_names[top.idx] if path[0].idx == 0 else str(top.key)
    if len(path) == 2:      # an argument itself (the common case): no keys below it
        return base
    return base + "".join("_" + str(getattr(k, "key", getattr(k, "idx", getattr(k, "name", "")))) for k in path[2:])


def _check_leaves(pairs):
    """Refuse a leaf export cannot take apart, naming its class and how to register it."""
    for path, leaf in pairs:
        if not isinstance(leaf, _LEAF_TYPES):
            cls = type(leaf)
            hint = (f"minexport.export.register_dataclass({cls.__name__})" if dataclasses.is_dataclass(leaf)
                    else f"minexport.utils._pytree.register_pytree_node({cls.__name__}, flatten_fn, unflatten_fn)")
            raise UserError(f"export: the input at {input_path(path)} is a {cls.__module__}.{cls.__qualname__}, "
                            f"which export cannot take apart. Register the class first: {hint}")


# ---------------------------------------------------- 2. the graph's inputs --
class _State:
    """The model's state, read before tracing: `modules` ((fqn, module), each once, as `named_modules()`),
    `parameters` and `buffers` (rows (tensor, placeholder name `p_<fqn>` / `b_<fqn>`, fqn, persistence: None
    for a parameter), as `ExportTracer.fake_inputs` takes them) read from `every_name` (each module under each
    of its names): a tied tensor or a shared submodule's state once per name, as torch lifts them, and
    `entries` ((table, name, tensor, mirror): every non-None entry of every module's parameter and buffer
    tables, repeats included, which `_FakeState` swaps; `mirror` is the module's `__dict__` where the entry
    may be mirrored there while tracing (see `_mirror_dict`), else None)."""

    def __init__(self, every_name):
        self.every_name = every_name = list(every_name)
        # Each module at its first name: what the walk without repeats yields, since a preorder walk meets a
        # module's first name, and all of its subtree, before any later name of it.
        seen = set()
        self.modules = [(fqn, m) for fqn, m in every_name if id(m) not in seen and not seen.add(id(m))]
        self.parameters, self.buffers, self.entries = parameters, buffers, entries = [], [], []
        lookups = {}        # module class -> the names it leaves to Module.__getattr__ (see _mirror_dict)
        # A shared submodule's state under each of its names, as torch lifts it; each entry of a table (None
        # skipped, a tensor tied under several names once per name) gives a parameter or buffer row and
        # (table, name, tensor, mirror).  Most modules hold no parameter or no buffer: an empty table costs
        # one test.
        for prefix, m in every_name:
            dot = prefix + "." if prefix else ""
            table = m._parameters
            if table:
                mirror = _mirror_dict(lookups, m, table)
                for name, t in table.items():
                    if t is not None:
                        entries.append((table, name, t, mirror))
                        fqn = dot + name
                        parameters.append((t, "p_" + fqn.replace(".", "_"), fqn, None))
            table = m._buffers
            if table:
                mirror = _mirror_dict(lookups, m, table)
                for name, t in table.items():
                    if t is not None:
                        entries.append((table, name, t, mirror))
                        fqn = dot + name
                        buffers.append((t, "b_" + fqn.replace(".", "_"), fqn,
                                        name not in m._non_persistent_buffers_set))


def _mirror_dict(lookups, m, table):
    """m's `__dict__` when the entries of its parameter or buffer `table` may be mirrored there while
    tracing, else None.

    Reading a parameter or buffer as an attribute (`self.weight`) misses the
    instance dict and the class and ends in `Module.__getattr__`, which looks
    through the tables: about a microsecond, for every read of every layer.
    A copy of the entry in the instance dict reads the same value at once --
    when nothing else would answer first or differently: the class reads
    attributes as Module does (no `__getattr__` or `__getattribute__` of its
    own) and defines nothing by an entry's name (a class attribute is found
    before `__getattr__`, and an instance-dict entry before a method).  (An
    instance-dict entry of that name, which only bypassing `__setattr__`
    makes, is left as it is: see `_FakeState`.)  `lookups` keeps the class
    facts for one export: {class: the entry names it was found to define
    nothing by, or None when it reads attributes its own way}.
    """
    cls = m.__class__
    names = lookups.get(cls, _UNSEEN)
    if names is _UNSEEN:
        plain = cls.__getattr__ is _MODULE_GETATTR and cls.__getattribute__ is _OBJECT_GETATTRIBUTE
        names = lookups[cls] = set() if plain else None
    if names is None:
        return None
    if not names.issuperset(table):
        if any(hasattr(cls, name) for name in table):
            return None
        names.update(table)
    return m.__dict__


_UNSEEN = object()
_MODULE_GETATTR, _OBJECT_GETATTRIBUTE = Module.__getattr__, object.__getattribute__


def _lift_state(tracer, state):
    """Fake parameters (`p_<fqn>`) and buffers (`b_<fqn>`) on placeholders; {id(real tensor): fake}.
    A tensor tied under several names gets a placeholder per name, and its uses read the last one (torch's
    choice too)."""
    fakes = {}
    for rows, kind in ((state.parameters, InputKind.PARAMETER), (state.buffers, InputKind.BUFFER)):
        if rows:
            # a later name of a tied tensor overwrites the earlier ones: its uses read the last placeholder
            fakes.update(zip([id(row[0]) for row in rows], tracer.fake_inputs(kind, rows)))
    return fakes


class _FakeState:
    """For its `with` block, the modules' parameters and buffers are their fakes, and each plain tensor
    attribute a fake that the tracer lifts as a constant on first use (fakes: {id(real tensor): fake}, as
    `_lift_state` returns it).  A class rather than a generator: export enters it once per call.

    Each swapped table entry that `_State` found mirrorable is also put in its
    module's instance dict for the block (see `_mirror_dict`): `self.weight`
    then reads the fake without `Module.__getattr__`.  A mirror is only ever a
    copy of its table's entry: Module's `__setattr__`, `__delattr__` and
    `register_*` drop it when forward changes the entry, and an instance
    attribute already there by that name (which reads find first anyway) is
    neither replaced nor removed.
    """

    __slots__ = ("tracer", "state", "fakes", "restores")

    def __init__(self, tracer, state, fakes):
        self.tracer, self.state, self.fakes, self.restores = tracer, state, fakes, []

    def __enter__(self):
        tracer, fakes = self.tracer, self.fakes
        restores = self.restores = []
        for prefix, m in self.state.modules:
            # A module whose attributes are all of builtin types that are no tensors (flags, sizes, its tables)
            # has nothing to swap; asking each value's type that way is one C-level pass.  (Before the mirrors
            # below, which are no plain attributes.)
            if not _NOT_TENSORS.issuperset(map(type, m.__dict__.values())):
                restores += _swap_attributes(tracer, prefix, m)
        # Every entry's tensor was lifted (the entries and the lifted tensors come from the same walk of the
        # tables), so each entry is swapped and restored.
        for table, name, t, mirror in self.state.entries:
            fake = table[name] = fakes[id(t)]
            if mirror is not None:
                # (an instance attribute of that name, which reads find before the table, is kept)
                mirror.setdefault(name, fake)
        return self

    def __exit__(self, *exc_info):
        for table, name, t, mirror in self.state.entries:
            # nn.module._drop_mirror(mirror, table, name), inlined: forward may have dropped the mirror, and
            # an instance attribute that was there before is not the table's entry
            if mirror is not None and mirror.get(name, _UNSEEN) is table.get(name):
                del mirror[name]
            table[name] = t
        for attrs, name, value in self.restores:
            attrs[name] = value
        return False


# Builtin types (exactly these, not subclasses) whose values are never tensors: what a module's __dict__ holds.
_NOT_TENSORS = frozenset({bool, int, float, str, type(None), dict, collections.OrderedDict, set, list, tuple})


def _swap_attributes(tracer, prefix, m):
    """Replace m's plain tensor attributes by pending constants; returns (m.__dict__, name, real) to restore."""
    # Most modules hold no plain tensor attribute (parameters and buffers live in their own tables): one
    # comprehension finds the few that do, and the loop below changes the dict only after it was read.
    attrs = m.__dict__
    swapped = [(attrs, name, v) for name, v in attrs.items() if isinstance(v, Tensor) and not isinstance(v, Parameter)]
    for _, name, v in swapped:
        fake = make_fake(v.shape, v.dtype, v.device)
        tracer.pending_constants[id(fake)] = ((prefix + "." if prefix else "") + name, v)
        attrs[name] = fake
    return swapped


def _user_inputs(tracer, inputs):
    """A placeholder per user input leaf; returns the (args, kwargs) forward is traced with."""
    leaves = inputs.leaves
    if tracer.symbolic is None and all(map(isinstance, leaves, itertools.repeat(Tensor))):
        # static tensors only: `_user_input` is fake_input with the leaf's own shape for each, in order
        traced = tracer.fake_inputs(InputKind.USER_INPUT, [(leaf, name, None, None)
                                                           for leaf, name in zip(leaves, inputs.names)])
    else:
        traced = [_user_input(tracer, name, leaf, spec) for name, leaf, spec in zip(inputs.names, leaves,
                                                                                    inputs.dim_specs)]
    return pytree.tree_unflatten(traced, inputs.in_spec)


def _user_input(tracer, name, leaf, dim_spec):
    """A tensor leaf's fake (its dynamic dims symbolic), or a constant leaf itself, on a new placeholder."""
    if not isinstance(leaf, Tensor):
        tracer.add_input(InputKind.USER_INPUT, name, leaf)
        return leaf
    symbolic = tracer.symbolic
    if symbolic is None:
        return tracer.fake_input(leaf, InputKind.USER_INPUT, name)
    shape = symbolic.shape(name, leaf, dim_spec)
    fake = tracer.fake_input(leaf, InputKind.USER_INPUT, name, shape)
    for d, size in enumerate(shape):
        if is_symbolic(size):
            symbolic.note_source(size.expr, fake._node.name, d)
    tracer.sym_nodes.track_sizes(fake._node, shape)
    return fake


# --------------------------------------------------------------- 3. the trace --
@dataclasses.dataclass
class _Outputs:
    """What forward returned: the output node's values, their OutputSpecs and the pytree spec."""
    values: list
    specs: list
    out_spec: object


def _trace_forward(tracer, mod, traced_inputs):
    """Run forward with the tracer installed; returns its flattened outputs."""
    t_args, t_kwargs = traced_inputs
    tracer.recording_sym = True
    try:
        with tracing(tracer):
            out = call_forward(mod, t_args, t_kwargs)
    finally:
        tracer.recording_sym = False
        if tracer.symbolic is not None:     # the program's ShapeEnv outlives the trace: it keeps no tracer
            tracer.symbolic.env.recorder = None
    leaves, out_spec = pytree.tree_flatten(out)
    values, specs = [], []
    for i, leaf in enumerate(leaves):
        value, arg = _output(tracer, out, i, leaf)
        values.append(value)
        specs.append(OutputSpec(OutputKind.USER_OUTPUT, arg))
    return _Outputs(values, specs, out_spec)


def _output(tracer, out, i, leaf):
    """(output node value, signature argument) for output leaf i of forward's result `out`."""
    if isinstance(leaf, Tensor):
        node, _ = tracer.node_of(leaf)
        return node, TensorArgument(node.name)
    if is_symbolic(leaf) and tracer.sym_nodes is not None:
        node = tracer.sym_nodes.node(leaf)
        return node, sym_argument(node.name, leaf)
    if isinstance(leaf, _LEAF_TYPES):
        return leaf, ConstantArgument("", leaf)
    path = pytree.tree_flatten_with_path(out)[0][i][0]     # paths are needed only to name a wrong leaf
    raise UserError(f"export: forward returned a {type(leaf).__name__} at output{pytree.keystr(path)}; "
                    "outputs must be tensors, numbers, bools, str or None inside registered pytrees")


# ------------------------------------------------------------- 4. the guards --
def _check_guards(tracer):
    """The program's range constraints, after checking the trace's guards against the declared dims
    (raises ConstraintViolationError); {} for a static program."""
    return tracer.symbolic.check() if tracer.symbolic is not None else {}


# ------------------------------------------------------------ 5. the program --
def _build_program(mod, inputs, tracer, outputs, ranges, state, calls=()):
    """The ExportedProgram of the finished trace (it runs its verifier)."""
    graph = tracer.root_graph
    graph.output(tuple(outputs.values))
    if getattr(tracer, "marked_regions", False):       # grad-mode / autocast stretches become region calls
        renames = _regions.outline(tracer.subgraphs, graph, tracer.grad_at_start)
        outputs.specs = [_renamed_spec(spec, renames) for spec in outputs.specs]
        calls = _renamed_calls(calls, renames)
    if tracer.subgraphs.get(graph):     # a while_loop node in the graph comes with its subgraphs attached to it
        _loops.drop_unread_ints(graph)
    signature = ExportGraphSignature(tracer.input_specs(), outputs.specs)
    state_dict, constants = _program_state(state, tracer.constants)
    root = ModuleCallSignature(inputs=[], outputs=[], in_spec=inputs.in_spec, out_spec=outputs.out_spec,
                               forward_arg_names=inputs.forward_arg_names)
    call_graph = [ModuleCallEntry("", root)] + _call_entries(state.every_name, calls)
    # a graph that reads no subgraph gets its GraphModule on first read (see exported_program._PlainRoot)
    root = tracer.graph_module(graph) if tracer.subgraphs.get(graph) else PLAIN_ROOT
    return ExportedProgram(root, graph, signature, state_dict, ranges, call_graph,
                           (inputs.args, inputs.kwargs), constants,
                           shape_env=tracer.symbolic.env if tracer.symbolic is not None else None)


def _renamed_spec(spec, renames):
    """An output spec naming a value by its name after `renames` ({old: new})."""
    name = getattr(spec.arg, "name", None)
    if name not in renames or isinstance(spec.arg, ConstantArgument):
        return spec
    return dataclasses.replace(spec, arg=dataclasses.replace(spec.arg, name=renames[name]))


def _renamed_calls(calls, renames):
    """The recorded preserved module calls with their tensor arguments renamed by `renames`."""
    def rename(args):
        return [dataclasses.replace(a, name=renames[a.name])
                if getattr(a, "name", None) in renames and not isinstance(a, ConstantArgument) else a for a in args]
    for c in calls:
        c.inputs, c.outputs = rename(c.inputs or []), rename(c.outputs or [])
    return calls


def _call_entries(every_name, calls):
    """A ModuleCallEntry per submodule fqn (named_modules order; every_name: the model's
    `module_tree(remove_duplicate=False)`, as walked before tracing), with the signature of its preserved first
    call; the entries of its later calls (`fqn@1`...) right after it, as torch lists them."""
    if not calls:       # no preserved call: an entry without signature per submodule
        return plain_call_entries([fqn for fqn, _ in every_name if fqn])
    by_fqn = {}
    for c in calls:
        by_fqn.setdefault(c.fqn.partition("@")[0], []).append(c)
    entries = []
    for fqn, _ in every_name:
        if not fqn:
            continue
        recorded = by_fqn.pop(fqn, [])
        if not recorded:
            entries.append(ModuleCallEntry(fqn, None))
        entries += [ModuleCallEntry(c.fqn, ModuleCallSignature(c.inputs, c.outputs, c.in_spec, c.out_spec))
                    for c in recorded]
    return entries


def _program_state(state, lifted_constants):
    """(state_dict, constants): parameters and persistent buffers by fqn; lifted constants and non-persistent
    buffers (torch keeps those with the constants).

    The signature's PARAMETER and BUFFER inputs are exactly what `_lift_state` lifted from `state`, in its
    order (each parameter, then each buffer, with the persistence read there), so they are read from `state`.
    """
    state_dict = {row[2]: row[0] for row in state.parameters}
    constants = dict(lifted_constants)
    for b, _, fqn, persistent in state.buffers:
        (state_dict if persistent else constants)[fqn] = b
    return state_dict, constants
