"""torch's export JSON (model.json) -> ExportedProgram, trusting nothing.

Reading happens in two steps.  `validate.read` first checks the whole file
against the schema (schema.py): every field's type, every union tag, every
enum code, every name.  This module then gives the validated records their
meaning: targets must be registered ops, references must name values defined
earlier, outputs must match the op's schema, subgraphs must be well formed.
Any problem raises one SerializationError naming the JSON path.
"""
import operator

from .. import ops as _ops
from .._symbolic_marker import is_symbolic
from .._tensor import make_fake
from ..export.exported_program import ExportedProgram, ModuleCallEntry, ModuleCallSignature
from ..export.graph_signature import (ConstantArgument, ExportGraphSignature, InputKind, InputSpec, OutputKind,
                                      OutputSpec, SymBoolArgument, SymFloatArgument, SymIntArgument,
                                      TensorArgument)
from ..fx.graph import Graph, Node, map_arg
from ..fx.graph_module import GraphModule
from ..ops import higher_order as higher_order_ops
from ..ops._targets import PYTHON_OPERATORS, operator_name, target_kind
from ..ops.auto_functionalize import auto_functionalized_v2
from ..ops.core import decomposes_by_default
from ..runtime.backends import device as _device
from ..utils import _pytree as pytree
from . import schema as S
from .errors import SerializationError
from .limits import DEFAULT_LIMITS
from .symbols import Symbols
from .validate import Where, read

__all__ = ["deserialize_program", "tensor_meta"]

_HIGHER_ORDER = {op.name(): op for op in (higher_order_ops.cond, higher_order_ops.map_impl,
                                          higher_order_ops.while_loop, higher_order_ops.scan,
                                          higher_order_ops.wrap_with_set_grad_enabled,
                                          higher_order_ops.wrap_with_autocast, auto_functionalized_v2)}
_OPERATORS = {operator_name(fn): fn for fn in PYTHON_OPERATORS if fn is not operator.getitem}
_MAX_SUBGRAPH_DEPTH = 32
_SYM_ARGUMENTS = {"as_sym_int": SymIntArgument, "as_sym_float": SymFloatArgument, "as_sym_bool": SymBoolArgument}


# ------------------------------------------------------------ tensor meta --
def tensor_meta(meta, where, symbols=None):
    """(shape, dtype, device) of a validated TensorMeta record; symbolic sizes need `symbols` (a program's graph)."""
    sizes = meta["sizes"]
    if len(sizes) > S.MAX_NDIM:
        raise (where / "sizes").error(f"{len(sizes)} dimensions is more than {S.MAX_NDIM}")
    shape = tuple(value if tag == "as_int" else _symbolic_size(value, symbols, where / "sizes" / i)
                  for i, (tag, value) in enumerate(sizes))
    if any(type(s) is int and s < 0 for s in shape):
        raise (where / "sizes").error(f"negative size in {list(shape)}")
    # sizes are bounded with zeros counted as ones: [0, 2**62] holds nothing yet cannot be laid out
    numel = 1
    for s in shape:
        numel *= max(s, 1) if type(s) is int else 1
    dtype = meta["dtype"]
    if numel * dtype.itemsize > S.MAX_TENSOR_BYTES:
        raise where.error(f"a tensor of shape {list(shape)} ({numel} elements) is absurdly large")
    return shape, dtype, _device_from(meta["device"], where / "device")


def tensor_layout(meta, shape, where, symbols=None):
    """(strides, storage offset) of a validated TensorMeta record of a tensor of `shape`."""
    strides = meta["strides"]
    if len(strides) != len(shape):
        raise (where / "strides").error(f"{len(strides)} strides for {len(shape)} sizes")
    strides = tuple(value if tag == "as_int" else _symbolic_size(value, symbols, where / "strides" / i)
                    for i, (tag, value) in enumerate(strides))
    if any(type(s) is int and s < 0 for s in strides):
        raise (where / "strides").error(f"negative stride in {list(strides)}")
    tag, offset = meta["storage_offset"]
    offset = offset if tag == "as_int" else _symbolic_size(offset, symbols, where / "storage_offset")
    if type(offset) is int and offset < 0:
        raise (where / "storage_offset").error(f"negative storage offset {offset}")
    return strides, offset


def _symbolic_size(sym_expr, symbols, where):
    if symbols is None:
        raise where.error("symbolic sizes (as_expr) are only allowed in a program's graph")
    return symbols.value(sym_expr, where)


def _device_from(device, where):
    try:
        return _device(device["type"], device["index"])
    except RuntimeError as e:
        raise where.error(str(e)) from None


# -------------------------------------------------------------- arguments --
def _ref_argument(reader, value, where):
    return reader.ref(value["name"], where)


def _sym_argument(reader, value, where):
    """A SymIntArgument/SymFloatArgument/SymBoolArgument: a named symbolic value, or a plain number."""
    tag, inner = value
    return reader.ref(inner, where) if tag == "as_name" else inner


def _as_is(reader, value, where):
    return value


# What each Argument tag means once validated (the reader's side of the writer's tag table).
_ARGUMENT_VALUES = {
    "as_none": lambda reader, value, where: None,
    "as_tensor": _ref_argument,
    "as_tensors": lambda reader, value, where: [reader.ref(t["name"], where) for t in value],
    "as_optional_tensors": lambda reader, value, where: [None if tag == "as_none" else reader.ref(t["name"], where)
                                                         for tag, t in value],
    "as_sym_int": _sym_argument, "as_sym_float": _sym_argument, "as_sym_bool": _sym_argument,
    "as_sym_ints": lambda reader, value, where: [_sym_argument(reader, v, where) for v in value],
    "as_device": lambda reader, value, where: _device_from(value, where),
    **dict.fromkeys(("as_int", "as_float", "as_bool", "as_string", "as_ints", "as_floats", "as_bools",
                     "as_strings", "as_scalar_type", "as_layout", "as_memory_format"), _as_is),
}


# ------------------------------------------------------------------ graph --
class _GraphReader:
    """Builds one Graph (a program's, or a cond/map subgraph's) from a validated Graph record."""

    def __init__(self, graph_json, symbols, where, depth=0):
        if depth > _MAX_SUBGRAPH_DEPTH:
            raise where.error(f"subgraphs nested more than {_MAX_SUBGRAPH_DEPTH} deep")
        self.json = graph_json
        self.where = where
        self.depth = depth
        self.subgraphs = {}     # attribute name -> GraphModule (cond branches, map bodies)
        self.graph = Graph()
        self.values = {}        # name -> Node
        self.vals = {}          # name -> fake tensor or symbolic value
        self.symbols = symbols
        for name, meta in graph_json["tensor_values"].items():
            shape, dtype, dev = tensor_meta(meta, (where / "tensor_values")[name], symbols)
            strides, offset = tensor_layout(meta, shape, (where / "tensor_values")[name], symbols)
            self.vals[name] = make_fake(shape, dtype, dev, strides=strides, storage_offset=offset)
        for key in ("sym_int_values", "sym_bool_values", "sym_float_values"):
            for name, (tag, value) in graph_json[key].items():
                self.vals[name] = symbols.value(value, (where / key)[name]) if tag == "as_expr" else value
        if graph_json["custom_obj_values"]:
            raise (where / "custom_obj_values").error("custom objects are not supported yet")

    def ref(self, name, where):
        """The node defining `name`; an error if it is not (yet) defined."""
        node = self.values.get(name)
        if node is None:
            raise where.error(f"'{name}' is used before it is defined")
        return node

    def argument(self, arg, where):
        """The graph value of a validated Argument (tag, value)."""
        tag, value = arg
        meaning = _ARGUMENT_VALUES.get(tag)
        if meaning is None:
            raise where.error(f"argument kind '{tag}' is not supported by minexport")
        return meaning(self, value, where)

    def define(self, node, name):
        """Record `node` as the definition of `name` (with its recorded value, when the archive has one)."""
        if node.name != name:
            raise SerializationError(f"the name '{name}' is defined twice in the graph")
        self.values[name] = node
        if name in self.vals:
            node.meta["val"] = self.vals[name]

    def read_body(self):
        """The nodes and the output node of this reader's graph (placeholders already made)."""
        nodes = self.where / "nodes"
        for i, node_json in enumerate(self.json["nodes"]):
            self.read_node(node_json, nodes / i)
        for node in self.graph.nodes:
            # ops whose outputs the archive does not describe (e.g. `()`-returning asserts)
            if node.op == "call_function" and node.target is not operator.getitem:
                node.meta.setdefault("val", None)
        outputs = self.where / "outputs"
        outs = tuple(self.argument(o, outputs / i) for i, o in enumerate(self.json["outputs"]))
        single = self.json.get("is_single_tensor_return") and len(outs) == 1 and self.depth > 0
        self.graph.output(outs[0] if single else outs)    # a subgraph returning one tensor (while_loop's cond)

    def read_node(self, node_json, where):
        """One Node record: an ATen op, a higher-order op or a Python operator on symbolic values."""
        target = _target(node_json["target"], where)
        _NODE_READERS[target_kind(target)](self, target, node_json, where)

    # -- the three kinds of node ------------------------------------------------
    def _read_operator_call(self, fn, node_json, where):
        """operator.mul / operator.ge / ... on symbolic values: one named symbolic output."""
        args = [self.argument(e["arg"], where / "inputs" / j) for j, e in enumerate(node_json["inputs"])]
        outputs = node_json["outputs"]
        if len(outputs) != 1 or outputs[0][0] not in _SYM_ARGUMENTS or outputs[0][1][0] != "as_name":
            raise (where / "outputs").error(f"{node_json['target']} has one output, a named symbolic value")
        out_name = outputs[0][1][1]
        node = self.graph.call_function(fn, tuple(args), name=out_name)
        self.define(node, out_name)
        _copy_meta(node, node_json["metadata"])

    def _read_op_call(self, op, node_json, where):
        """An ATen op: arguments named by its schema, outputs as its returns say."""
        args, kwargs = self._op_arguments(op, node_json, where)
        rets = op._schema.returns
        if len(rets) == 1 and rets[0].type.list_len is None:      # one tensor or symbolic value
            out_name = _single_output_name(node_json, where)
            node = self.graph.call_function(op, tuple(args), kwargs, name=out_name)
            self.define(node, out_name)
            _copy_meta(node, node_json["metadata"])
            return
        node = self.graph.call_function(op, tuple(args), kwargs, name=node_json["name"] or op.op_name)
        if not rets:             # an op with no result (a runtime assert)
            node.meta["val"] = None
        else:
            self._read_outputs(node, len(rets), node_json, where)
        _copy_meta(node, node_json["metadata"])

    def _read_higher_order_call(self, op, node_json, where):
        """A cond/map node: arguments (subgraphs inline), then one getitem per output."""
        args, kwargs = [], {}
        for j, e in enumerate(node_json["inputs"]):
            tag, value = e["arg"]
            w = where / "inputs" / j
            if tag == "as_operator":       # auto_functionalized_v2's op
                args.append(_custom_op_target(value, w))
            elif e["kind"] == S.ARG_KEYWORD and op.takes_kwargs:
                kwargs[e["name"]] = self.argument(e["arg"], w)
            else:
                args.append(self._read_subgraph(value, w / "arg" / "as_graph") if tag == "as_graph"
                            else self.argument(e["arg"], w))
        if op.name() == "cond" and len(args) == 4 and isinstance(args[3], list):
            args[3] = tuple(args[3])       # cond's operands are a tuple in graphs
        node = self.graph.call_function(op, tuple(args), kwargs, name=node_json["name"] or op.name())
        vals = []
        for j, (tag, value) in enumerate(node_json["outputs"]):
            w = where / "outputs" / j
            if tag == "as_none" and op.takes_kwargs:     # an op returning nothing, auto-functionalized
                vals.append(None)
                continue
            if tag == "as_sym_int" and value[0] == "as_name" and op.name() == "while_loop":
                value = {"name": value[1]}       # a carried int: its unbacked SymInt
            elif tag != "as_tensor":
                raise w.error(f"{op.name()} outputs must be tensors (a while_loop's may be SymInts)")
            out_name = value["name"]
            if out_name not in self.vals:
                raise w.error(f"'{out_name}' has no entry in tensor_values")
            vals.append(self.vals[out_name])
            if out_name != f"{node.name}_unused_{j}":
                self._getitem(node, j, out_name, node_json)
        node.meta["val"] = vals
        for n in [node] + [a for a in args if isinstance(a, Node) and a.op == "get_attr"]:
            _copy_meta(n, node_json["metadata"])   # get_attr nodes are not written: they share the op's source line

    # -- pieces ---------------------------------------------------------------
    def _op_arguments(self, op, node_json, where):
        """(args, kwargs) of an op call, matched to the op's schema by name as torch reads them:
        positional arguments go in schema order, whatever order the file lists them in."""
        kwarg_only = _kwarg_only(op)
        given = {}
        inputs = where / "inputs"
        for j, entry in enumerate(node_json["inputs"]):
            w = inputs / j
            name = entry["name"]
            if name not in kwarg_only:
                raise w.error(f"{node_json['target']} has no argument '{name}'")
            if name in given:
                raise w.error(f"{node_json['target']}: argument '{name}' is given twice")
            given[name] = (entry["kind"] == S.ARG_KEYWORD or kwarg_only[name], self.argument(entry["arg"], w))
        # after the first positional argument the file leaves out (a default), the rest go by name
        args, kwargs, in_order = [], {}, True
        for name in kwarg_only:
            if name not in given:
                in_order = False
                continue
            by_keyword, value = given[name]
            if by_keyword or not in_order:
                kwargs[name] = value
            else:
                args.append(value)
        return args, kwargs

    def _read_outputs(self, node, n_returns, node_json, where):
        """The outputs of a tuple- or list-returning op: a getitem per named output; meta for the others."""
        is_tuple = n_returns > 1
        names = _tuple_output_names(node_json, n_returns, where) if is_tuple else _list_output_names(node_json, where)
        vals = []
        for j, out_name in enumerate(names):
            if out_name is None or out_name == f"{node.name}_unused_{j}":
                vals.append(None)
            else:
                vals.append(self._getitem(node, j, out_name, node_json).meta.get("val"))
        if any(v is None for v in vals):
            # outputs nobody reads are not in tensor_values: their meta comes from the op's meta function
            try:
                derived = node.target.meta(*map_arg(node.args, lambda n: n.meta.get("val")),
                                           **map_arg(node.kwargs, lambda n: n.meta.get("val")))
            except Exception as e:
                raise where.error(f"{node_json['target']} refuses its inputs: {e}") from None
            vals = [v if v is not None else d for v, d in zip(vals, derived)]
        node.meta["val"] = tuple(vals) if is_tuple else vals

    def _getitem(self, node, index, name, node_json):
        g = self.graph.call_function(operator.getitem, (node, index), name=name)
        self.define(g, name)
        _copy_meta(g, node_json["metadata"])
        return g

    def _read_subgraph(self, graph_argument, where):
        """A higher-order op's inline subgraph: read it, attach it, and return the get_attr node reading it."""
        name = graph_argument["name"]
        if name.startswith("_") or hasattr(GraphModule, name):
            raise (where / "name").error(f"'{name}' cannot name a subgraph (it is a module attribute)")
        graph_json = graph_argument["graph"]
        reader = _GraphReader(graph_json, self.symbols, where / "graph", depth=self.depth + 1)
        for i, (tag, value) in enumerate(graph_json["inputs"]):
            w = where / "graph" / "inputs" / i
            if tag == "as_sym_int" and value[0] == "as_name":   # a while_loop's carried int
                value = {"name": value[1]}
            elif tag != "as_tensor":
                raise w.error(f"a subgraph input must be a tensor or a named SymInt, got {tag}")
            node = reader.graph.create_node("placeholder", value["name"], name=value["name"])
            reader.define(node, value["name"])
            if "val" not in node.meta:
                raise w.error(f"'{value['name']}' has no recorded value")
        reader.read_body()
        if name in self.subgraphs:
            raise where.error(f"subgraph name '{name}' is used twice")
        self.subgraphs[name] = GraphModule(reader.subgraphs, reader.graph, class_name=name)
        return self.graph.get_attr(name)


def _kwarg_only(op):
    """{argument name: keyword-only?} of an op's schema (made once per op)."""
    table = _KWARG_ONLY.get(op)
    if table is None:
        table = _KWARG_ONLY[op] = {a.name: a.kwarg_only for a in op._schema.arguments}
    return table


_KWARG_ONLY = {}


_NODE_READERS = {"op": _GraphReader._read_op_call, "higher_order": _GraphReader._read_higher_order_call,
                 "operator": _GraphReader._read_operator_call}


def _target(target, where):
    """The op, higher-order op or Python operator a node's target string names (only those: nothing is imported)."""
    if target.startswith("torch.ops.higher_order."):
        op = _HIGHER_ORDER.get(target[len("torch.ops.higher_order."):])
        if op is None:
            raise (where / "target").error(f"minexport has no higher-order op '{target}'")
        return op
    if target in _OPERATORS:
        return _OPERATORS[target]
    if not target.startswith("torch.ops."):
        raise (where / "target").error(f"unknown operator '{target}'")
    try:
        return _ops.lookup(target[len("torch.ops."):])
    except KeyError:
        raise where.error(f"the archive uses operator '{target}', which is not registered in minexport; "
                          + _how_to_register(target)) from None


def _custom_op_target(target, where):
    """The registered op an `as_operator` argument names (auto_functionalized_v2's first input)."""
    if not target.startswith("torch.ops.") or _is_unknown(target):
        raise where.error(f"the archive uses operator '{target}', which is not registered in minexport; "
                          + _how_to_register(target))
    return _ops.lookup(target[len("torch.ops."):])


def _how_to_register(target):
    """How to make a custom op an archive names loadable: the same definition as on the exporting side."""
    if target.startswith("torch.ops.aten."):
        return "minexport does not implement this ATen operator yet"
    ns, _, rest = target[len("torch.ops."):].partition(".")
    name = rest.partition(".")[0]
    return (f"it is a custom op: register it before loading, as the exporting program did: define it with "
            f"@minexport.library.custom_op(\"{ns}::{name}\", mutates_args=...) (torch.library.custom_op under "
            f"as_torch()) and give it a fake implementation with @{name}.register_fake (or "
            f"minexport.library.register_fake(\"{ns}::{name}\"))")


def _check_targets(graph_json, where):
    """Refuse, in one message, every node target (subgraphs included) that names no op minexport has.

    Reading stops at the first unknown target otherwise; a program from a newer
    torch often uses several ops minexport lacks, and naming them all at once
    says how far it is from loading.  ATen ops are "not implemented yet";
    other namespaces are custom ops, which minexport does not support.
    """
    unknown = {}                     # target -> JSON path of its first use

    def visit(graph, w):
        for i, node in enumerate(graph["nodes"]):
            target = node["target"]
            if target not in unknown and _is_unknown(target):
                unknown[target] = str(w / "nodes" / i)
            for j, entry in enumerate(node["inputs"]):
                tag, value = entry["arg"]
                if tag == "as_operator" and value not in unknown and _is_unknown(value):
                    unknown[value] = str(w / "nodes" / i / "inputs" / j)
                if tag == "as_graph":
                    visit(value["graph"], w / "nodes" / i / "inputs" / j / "arg" / "as_graph" / "graph")
    visit(graph_json, where)
    if not unknown:
        return
    aten = [t for t in unknown if t.startswith("torch.ops.aten.")]
    higher = [t for t in unknown if t.startswith("torch.ops.higher_order.")]
    custom = [t for t in unknown if t not in aten and t not in higher]
    named = {t: f"'{t}' (at {unknown[t]})" for t in unknown}
    parts = []
    if aten:
        parts.append(f"ATen operator{'s' if len(aten) > 1 else ''} that minexport does not implement yet: "
                     + ", ".join(named[t] for t in aten))
    if higher:
        parts.append(f"higher-order operator{'s' if len(higher) > 1 else ''} that minexport does not implement "
                     "yet: " + ", ".join(named[t] for t in higher))
    if custom:
        parts.append(", ".join(named[t] for t in custom) + f" {'are' if len(custom) > 1 else 'is'} not registered "
                     "in minexport (" + "; ".join(_how_to_register(t) for t in custom) + ")")
    raise SerializationError("the archive cannot be loaded: it uses " + "; and ".join(parts))


def _is_unknown(target):
    if target.startswith("torch.ops.higher_order."):
        return target[len("torch.ops.higher_order."):] not in _HIGHER_ORDER
    if target in _OPERATORS or not target.startswith("torch.ops."):
        return False            # a Python operator, or a malformed target that _target() names on its own
    try:
        _ops.lookup(target[len("torch.ops."):])
    except KeyError:
        return True
    return False


def _single_output_name(node_json, where):
    """The name of an op's one output: a tensor, a named symbolic value, or (for others) the node's own name."""
    outputs = node_json["outputs"]
    if len(outputs) != 1:
        raise (where / "outputs").error(f"{node_json['target']} has one output, the archive lists {len(outputs)}")
    tag, value = outputs[0]
    if tag == "as_tensor":
        return value["name"]
    if tag in _SYM_ARGUMENTS and value[0] == "as_name":
        return value[1]
    if tag in _SYM_ARGUMENTS or node_json["name"] is None:
        raise (where / "outputs" / 0).error(f"expected a named output, got {tag}")
    return node_json["name"]


def _list_output_names(node_json, where):
    """Output names of a `Tensor[]`-returning op: one as_tensors."""
    outputs = node_json["outputs"]
    if len(outputs) != 1 or outputs[0][0] != "as_tensors":
        raise (where / "outputs").error(f"expected one as_tensors for {node_json['target']}")
    return [t["name"] for t in outputs[0][1]]


def _tuple_output_names(node_json, n_returns, where):
    """Output names of a tuple-returning op: one as_tensor (or as_none) per return."""
    outputs = node_json["outputs"]
    if len(outputs) != n_returns:
        raise (where / "outputs").error(f"{node_json['target']} has {n_returns} outputs, the archive lists "
                                        f"{len(outputs)}")
    names = []
    for j, (tag, value) in enumerate(outputs):
        if tag not in ("as_tensor", "as_none"):
            raise (where / "outputs" / j).error(f"expected as_tensor or as_none, got {tag}")
        names.append(value["name"] if tag == "as_tensor" else None)
    return names


def _copy_meta(node, metadata):
    """stack_trace and nn_module_stack (`key,path,qualname;...`) from a node's metadata."""
    if "stack_trace" in metadata:
        node.meta["stack_trace"] = metadata["stack_trace"]
    stack = metadata.get("nn_module_stack")
    if stack:
        entries = {}
        for item in stack.split(";"):
            parts = item.split(",")
            if len(parts) >= 3:
                entries[parts[0]] = (",".join(parts[1:-1]), parts[-1])
        node.meta["nn_module_stack"] = entries


# -------------------------------------------------------------- signature --
_INPUT_KINDS = {"parameter": (InputKind.PARAMETER, "parameter_name"), "buffer": (InputKind.BUFFER, "buffer_name"),
                "tensor_constant": (InputKind.CONSTANT_TENSOR, "tensor_constant_name")}
_OUTPUT_KINDS = {"buffer_mutation": (OutputKind.BUFFER_MUTATION, "buffer_name"),
                 "user_input_mutation": (OutputKind.USER_INPUT_MUTATION, "user_input_name"),
                 "parameter_mutation": (OutputKind.PARAMETER_MUTATION, "parameter_name"),
                 "loss_output": (OutputKind.LOSS_OUTPUT, None)}


def _input_spec(spec, where):
    """One validated InputSpec union as an InputSpec."""
    tag, value = spec
    if tag == "user_input":
        arg_tag, arg = value["arg"]
        if arg_tag != "as_tensor":
            raise where.error(f"user input kind '{arg_tag}' is not supported yet")
        return InputSpec(InputKind.USER_INPUT, TensorArgument(arg["name"]))
    if tag == "constant_input":
        const_tag, const = value["value"]
        return InputSpec(InputKind.USER_INPUT,
                         ConstantArgument(value["name"], None if const_tag == "as_none" else const))
    if tag in _INPUT_KINDS:
        kind, target_key = _INPUT_KINDS[tag]
        return InputSpec(kind, TensorArgument(value["arg"]["name"]), value[target_key], value.get("persistent"))
    raise where.error(f"input kind '{tag}' is not supported by minexport")


def _output_spec(spec, reader, where):
    """One validated OutputSpec union as an OutputSpec."""
    tag, value = spec
    if tag == "user_output":
        arg_tag, arg = value["arg"]
        if arg_tag == "as_tensor":
            return OutputSpec(OutputKind.USER_OUTPUT, TensorArgument(arg["name"]))
        if arg_tag in _SYM_ARGUMENTS and arg[0] == "as_name":
            return OutputSpec(OutputKind.USER_OUTPUT, _SYM_ARGUMENTS[arg_tag](arg[1]))
        return OutputSpec(OutputKind.USER_OUTPUT, ConstantArgument("", reader.argument(value["arg"], where)))
    if tag in _OUTPUT_KINDS:
        kind, target_key = _OUTPUT_KINDS[tag]
        return OutputSpec(kind, TensorArgument(value["arg"]["name"]), value[target_key] if target_key else None)
    raise where.error(f"output kind '{tag}' is not supported by minexport")


def _call_argument(arg, where):
    """A module call signature's argument (validated (tag, value)): a graph value by name, or a constant."""
    tag, value = arg
    if tag == "as_tensor":
        return TensorArgument(value["name"])
    if tag in _SYM_ARGUMENTS and value[0] == "as_name":
        return _SYM_ARGUMENTS[tag](value[1])
    if tag == "as_none" or _ARGUMENT_VALUES.get(tag) is _as_is:
        return ConstantArgument("", None if tag == "as_none" else value)
    raise where.error(f"argument kind '{tag}' is not supported in a module call signature")


def _module_call_graph(entries, where):
    out = []
    for i, e in enumerate(entries):
        sig = e["signature"]
        if sig is None:
            out.append(ModuleCallEntry(e["fqn"], None))
            continue
        try:
            in_spec, out_spec = pytree.treespec_loads(sig["in_spec"]), pytree.treespec_loads(sig["out_spec"])
        except SerializationError:
            raise
        except Exception as exc:
            raise (where / i).error(f"bad pytree spec: {exc}") from None
        w = where / i / "signature"
        inputs = [_call_argument(a, w / "inputs" / j) for j, a in enumerate(sig["inputs"])]
        outputs = [_call_argument(a, w / "outputs" / j) for j, a in enumerate(sig["outputs"])]
        out.append(ModuleCallEntry(e["fqn"], ModuleCallSignature(inputs, outputs, in_spec, out_spec,
                                                                 sig["forward_arg_names"])))
    if not out or out[0].fqn != "" or out[0].signature is None:
        raise where.error("the first entry must be the root ('') with a signature")
    return out


# ---------------------------------------------------------------- program --
def _check_version(model, where):
    """Refuse another major version of the format before reading anything else of it."""
    version = read(model, S.VERSION_ONLY, where)["schema_version"]
    major, minor = version["major"], version["minor"]
    ours = f"{S.SCHEMA_VERSION[0]}.{S.SCHEMA_VERSION[1]}"
    if major > S.SCHEMA_VERSION[0]:
        raise SerializationError(f"the archive's schema version {major}.{minor} is newer than the {ours} minexport "
                                 "reads; upgrade minexport")
    if major < S.SCHEMA_VERSION[0]:
        raise SerializationError(f"the archive's schema version {major}.{minor} is older than minexport's {ours} "
                                 "and is not supported")


def _check_opset(opset, expected_opset_version):
    for ns, v in (expected_opset_version or {}).items():
        if opset.get(ns) != v:
            raise SerializationError(f"opset version mismatch for '{ns}': the archive has {opset.get(ns)}, "
                                     f"expected {v}")


def _placeholders(reader, input_specs, where):
    """One placeholder per signature input, in order, with its recorded value."""
    inputs = reader.json["inputs"]
    if len(inputs) != len(input_specs):
        raise where.error(f"{len(inputs)} entries but the signature lists {len(input_specs)} inputs")
    for spec in input_specs:
        name = spec.arg.name
        node = reader.graph.create_node("placeholder", name, name=name)
        if node.name != name:
            raise where.error(f"the name '{name}' is used twice")
        reader.values[name] = node
        if isinstance(spec.arg, ConstantArgument):
            node.meta["val"] = spec.arg.value
        elif name in reader.vals:
            node.meta["val"] = reader.vals[name]
        else:
            raise where.error(f"tensor input '{name}' has no entry in tensor_values")


def deserialize_program(model, state_dict, constants, expected_opset_version=None, limits=DEFAULT_LIMITS):
    """An ExportedProgram from model.json's parsed content and the loaded tensors (validated, verified)."""
    root = Where("model")
    _check_version(model, root)
    model = read(model, S.EXPORTED_PROGRAM, root)
    _check_opset(model["opset_version"], expected_opset_version)
    gm_json = model["graph_module"]
    gm_where = root / "graph_module"
    _check_targets(gm_json["graph"], gm_where / "graph")
    symbols = Symbols(limits)
    ranges = model["range_constraints"]
    # ranges first: reading a size (a nonzero's u0 laid out contiguously) may need its symbol's range
    range_constraints = symbols.set_ranges(ranges) if ranges else {}
    reader = _GraphReader(gm_json["graph"], symbols, gm_where / "graph")
    specs_where = gm_where / "signature" / "input_specs"
    input_specs = [_input_spec(s, specs_where / i) for i, s in enumerate(gm_json["signature"]["input_specs"])]
    _placeholders(reader, input_specs, gm_where / "graph" / "inputs")
    reader.read_body()
    specs_where = gm_where / "signature" / "output_specs"
    output_specs = [_output_spec(s, reader, specs_where / i)
                    for i, s in enumerate(gm_json["signature"]["output_specs"])]
    call_graph = _module_call_graph(gm_json["module_call_graph"], gm_where / "module_call_graph")
    if ranges and not symbols.used:
        # torch's run_decompositions() may keep the range of a symbol the graph no longer uses; torch loads
        # such a file, so the stale ranges are dropped here
        range_constraints = {}
    if symbols.env is not None:
        _name_sources(symbols.env, reader.graph)
    dialect = model["verifiers"][0] if model["verifiers"] else "TRAINING"
    if dialect not in ("TRAINING", "ATEN"):
        raise (root / "verifiers").error(f"unknown dialect {dialect!r}")
    signature = ExportGraphSignature(input_specs, output_specs)
    gm = GraphModule(reader.subgraphs, reader.graph)
    try:
        ep = ExportedProgram(gm, reader.graph, signature, state_dict, range_constraints, call_graph, None, constants,
                             dialect=dialect, preserved_ops=_kept_decomposable(gm) if dialect == "ATEN" else (),
                             shape_env=symbols.env)
        return ep
    except SerializationError:
        raise
    except Exception as e:
        raise SerializationError(f"the archive's program is not valid: {type(e).__name__}: {e}") from None


def _name_sources(env, graph):
    """Describe each size symbol by the first input dim that is exactly it ('x.size()[0]'), for messages."""
    for node in graph.nodes:
        if node.op != "placeholder":
            continue
        for d, size in enumerate(getattr(node.meta.get("val"), "shape", ())):
            if is_symbolic(size) and size.expr.is_Symbol and env.var_to_source.get(size.expr) == str(size.expr):
                env.var_to_source[size.expr] = f"{node.name}.size()[{d}]"


def _kept_decomposable(gm):
    """Ops an ATEN archive keeps that the default table would decompose (in the graph and its subgraphs)."""
    ops = frozenset(n.target for n in gm.graph.nodes
                    if n.op == "call_function" and target_kind(n.target) == "op" and decomposes_by_default(n.target))
    return ops.union(*(_kept_decomposable(sub) for sub in gm.subgraph_modules()))
