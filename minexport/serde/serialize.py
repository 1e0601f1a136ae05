"""ExportedProgram -> torch's export JSON (model.json) plus the tensor payloads it names.

Records are written with exactly the fields of schema.py, in its order
(tests/test_serde.py checks every written file against it).  Graph nodes
become torch's `Node` records: the op target as "torch.ops.aten.add.Tensor",
each argument named by the op's schema and tagged positional or keyword, and
the node's outputs (a tuple-returning op lists the names of its `getitem`
users, which are not written as nodes).  Which `Argument` tag a value gets
is decided by the argument's schema type (`_BY_SCHEMA_TYPE`), and for values
without one (operator and cond/map arguments, graph outputs) by its Python
type.
"""
import operator

import numpy as np

from .. import dtypes as dt
from .._symbolic_marker import is_symbolic
from .._tensor import Tensor, _contiguous_strides
from ..export.graph_signature import (ConstantArgument, InputKind, OutputKind, SymBoolArgument, SymFloatArgument,
                                      SymIntArgument, TensorArgument)
from ..fx.graph import Node
from ..nn.parameter import Parameter
from ..ops._targets import operator_arg_names, operator_name, target_kind
from ..ops.higher_order import while_loop as while_loop_op
from ..runtime.backends import device as _device
from ..utils import _pytree as pytree
from . import schema as S
from .errors import SerializationError
from .guards_code import guards_code
from .sym_expr import dump_expr

__all__ = ["serialize_program"]


# ------------------------------------------------------- values and sizes --
def _device_json(d):
    return {"type": d.type, "index": d.index}


_SYM_KEYS = {"SymBool": "as_sym_bool", "SymFloat": "as_sym_float", "SymInt": "as_sym_int"}
_HINT_KEYS = {bool: "as_bool", float: "as_float", int: "as_int"}


def _sym_key(val):
    """as_sym_int / as_sym_float / as_sym_bool for a symbolic value."""
    return _SYM_KEYS[type(val).__name__]


def _sym_expr(v):
    """A symbolic value as torch's SymExpr: srepr text plus the example value (None when data-dependent)."""
    expr = v.env.simplify(v.expr)
    hint = None if expr.free_symbols & v.env.unbacked or v.hint is None else \
        {_HINT_KEYS[type(v.hint)]: S.float_json(v.hint) if type(v.hint) is float else v.hint}
    return {"as_expr": {"expr_str": dump_expr(expr), "hint": hint}}


def _size_json(s):
    return _sym_expr(s) if is_symbolic(s) else {"as_int": int(s)}


def _tensor_meta(t):
    """A TensorMeta record: weights are written contiguous, at offset 0; graph values (fakes) with their
    strides and storage offset."""
    fake = t._data is None
    return {"dtype": S.SCALAR_TYPE[t.dtype], "sizes": [_size_json(s) for s in t.shape],
            "requires_grad": bool(t.requires_grad), "device": _device_json(t.device),
            "strides": [_size_json(s) for s in (t.stride() if fake else _contiguous_strides(t.shape))],
            "storage_offset": _size_json(t.storage_offset() if fake else 0), "layout": S.LAYOUT["strided"]}


# -------------------------------------------------------------- arguments --
def _node_ref(node):
    """A graph value by name: as_tensor, or as_sym_int / as_sym_float / as_sym_bool for a symbolic one."""
    val = node.meta.get("val")
    if is_symbolic(val):
        return {_sym_key(val): {"as_name": node.name}}
    return {"as_tensor": {"name": node.name}}


# A Python value with no schema type: the first Python type it is an instance of decides (bool before int).
_SCALAR_TAGS = ((bool, "as_bool"), (int, "as_int"), (float, "as_float"), (str, "as_string"))
# A list with no schema type: the first element test every element passes decides.
_UNTYPED_LISTS = (
    (lambda v: type(v) is Node, lambda vs: {"as_tensors": [{"name": v.name} for v in vs]}),
    (lambda v: type(v) is int, lambda vs: {"as_ints": list(vs)}),
    (lambda v: type(v) in (int, float), lambda vs: {"as_floats": [S.float_json(float(v)) for v in vs]}),
)


def _scalar(value):
    for kind, tag in _SCALAR_TAGS:
        if isinstance(value, kind):
            return {tag: S.float_json(value) if kind is float else value}
    raise SerializationError(f"cannot serialize the value {value!r} of type {type(value).__name__}")


def _scalar_or_none(value):
    return {"as_none": True} if value is None else _scalar(value)


def _untyped(value):
    """An Argument for a value whose schema type is unknown or gives no rule (a dtype: wrap_with_autocast's)."""
    if type(value) is dt.dtype:
        return {"as_scalar_type": S.SCALAR_TYPE[value]}
    if type(value) in (list, tuple):
        for fits, write in _UNTYPED_LISTS:
            if all(fits(v) for v in value):
                return write(value)
    return _scalar(value)


def _tensor_list(value, typ):
    if typ.elem_optional:
        return {"as_optional_tensors": [{"as_none": True} if v is None else {"as_tensor": {"name": v.name}}
                                        for v in value]}
    return {"as_tensors": [{"name": v.name} for v in value]}


def _sym_int_list(value, typ):
    if any(type(v) is Node for v in value):
        return {"as_sym_ints": [{"as_name": v.name} if type(v) is Node else {"as_int": int(v)} for v in value]}
    return {"as_ints": [int(v) for v in value]}


def _float(value, typ):
    return {"as_float": float(value)} if type(value) is int else _untyped(value)


# (schema base type, is a list) -> the Argument for a (non-None, non-node) value of that type.
_BY_SCHEMA_TYPE = {
    ("Tensor", True): _tensor_list,
    ("SymInt", True): _sym_int_list,
    ("int", True): lambda value, typ: {"as_ints": [int(v) for v in value]},
    ("float", True): lambda value, typ: {"as_floats": [S.float_json(float(v)) for v in value]},
    ("bool", True): lambda value, typ: {"as_bools": [bool(v) for v in value]},
    ("str", True): lambda value, typ: {"as_strings": [str(v) for v in value]},
    ("float", False): _float,
    ("ScalarType", False): lambda value, typ: {"as_scalar_type": S.SCALAR_TYPE[value]},
    ("Device", False): lambda value, typ: {"as_device": _device_json(_device(value))},
    ("Layout", False): lambda value, typ: {"as_layout": S.LAYOUT[value]},
    ("MemoryFormat", False): lambda value, typ: {"as_memory_format": S.MEMORY_FORMAT.get(value, 1)},
}


def _argument(value, typ=None):
    """One argument value as torch's Argument union, guided by its schema type (None when it has none)."""
    if value is None:
        return {"as_none": True}
    if type(value) is Node:
        return _node_ref(value)
    write = None if typ is None else _BY_SCHEMA_TYPE.get((typ.base, typ.list_len is not None))
    # a list type given a single value (`int[2] stride=1`) is written as that value
    if write is None or (typ.list_len is not None and type(value) not in (list, tuple)):
        return _untyped(value)
    return write(value, typ)


# ------------------------------------------------------------------ nodes --
def _nn_module_stack(stack):
    return ";".join(f"{key},{path},{qualname}" for key, (path, qualname) in stack.items())


def _metadata(node):
    metadata = {}
    if node.meta.get("stack_trace"):
        metadata["stack_trace"] = node.meta["stack_trace"]
    if node.meta.get("nn_module_stack"):
        metadata["nn_module_stack"] = _nn_module_stack(node.meta["nn_module_stack"])
    return metadata


def _node_record(node, target, inputs, outputs):
    return {"target": target, "inputs": inputs, "outputs": outputs, "metadata": _metadata(node),
            "is_hop_single_tensor_return": None, "name": node.name}


def _named_argument(name, arg, kind=S.ARG_POSITIONAL):
    return {"name": name, "arg": arg, "kind": kind}


def _output_names(node, slots, count):
    """The names of a multi-output node's results: its getitem users; an unread one is <node>_unused_<i>
    (as torch names them)."""
    return [slots[i].name if i in slots else f"{node.name}_unused_{i}" for i in range(count)]


def _operator_node_json(node, slots, tensor_values):
    """A symbolic-int operator node (operator.mul, operator.ge, math.ceil, ...) as torch writes it."""
    inputs = [_named_argument(name, _argument(v)) for name, v in zip(operator_arg_names(node.target), node.args)]
    return _node_record(node, operator_name(node.target), inputs, [_node_ref(node)])


def _op_node_json(node, slots, tensor_values):
    """An ATen op node: arguments named and typed by the op's schema, outputs as its returns say."""
    schema = node.target._schema
    positional = [a for a in schema.arguments if not a.kwarg_only]
    inputs = [_named_argument(arg.name, _argument(value, arg.type)) for arg, value in zip(positional, node.args)]
    by_name = {a.name: a for a in schema.arguments}
    inputs += [_named_argument(name, _argument(value, by_name[name].type if name in by_name else None), S.ARG_KEYWORD)
               for name, value in node.kwargs.items()]
    val = node.meta.get("val")
    vals = val if type(val) in (list, tuple) else ()
    for i, v in enumerate(vals):
        if i not in slots and isinstance(v, Tensor):   # torch wants metadata for unused outputs too
            tensor_values[f"{node.name}_unused_{i}"] = _tensor_meta(v)
    rets = schema.returns
    if not rets:
        outputs = []
    elif len(rets) == 1 and rets[0].type.list_len is not None:
        outputs = [{"as_tensors": [{"name": n} for n in _output_names(node, slots, len(vals))]}]
    elif len(rets) > 1:
        outputs = [{"as_tensor": {"name": n}} for n in _output_names(node, slots, len(vals))]
    else:
        outputs = [_node_ref(node)]
    return _node_record(node, f"torch.ops.{node.target}", inputs, outputs)


def _higher_order_node_json(node, slots, tensor_values):
    """A cond/map node as torch writes it: subgraphs inline (as_graph), one as_tensor output per result."""
    def arg(value):
        if type(value) is Node and value.op == "get_attr":
            sub = getattr(node.graph.owning_module, value.target)
            return {"as_graph": {"name": value.target, "graph": _graph_json(sub.graph)}}
        if type(value) in (list, tuple) and any(type(v) is int for v in value) and any(type(v) is Node for v in value):
            raise SerializationError(f"node '{node.name}': {node.target.qualified_name} carries the Python int "
                                     f"{next(v for v in value if type(v) is int)} beside tensors; torch's archive "
                                     "format cannot hold such a list (torch.export.save refuses it too). Carry a "
                                     "tensor instead, or an int computed from an input size")
        return _argument(list(value) if type(value) is tuple else value)

    for i, t in enumerate(node.meta["val"]):
        if i not in slots and isinstance(t, Tensor):    # (an unread SymInt is listed by _graph_json)
            tensor_values[f"{node.name}_unused_{i}"] = _tensor_meta(t)
    # a None result (auto_functionalized_v2 of an op returning nothing) is written as_none, as torch does;
    # a while_loop's carried int as_sym_int
    outputs = [{"as_none": True} if t is None else {_sym_key(t): {"as_name": n}} if is_symbolic(t)
               else {"as_tensor": {"name": n}}
               for t, n in zip(node.meta["val"], _output_names(node, slots, len(node.meta["val"])))]
    inputs = (_keyword_hop_inputs(node) if node.target.takes_kwargs
              else [_named_argument("", arg(a)) for a in node.args])
    record = _node_record(node, node.target.qualified_name, inputs, outputs)
    record["is_hop_single_tensor_return"] = False      # torch marks its higher-order nodes so
    return record


def _keyword_hop_inputs(node):
    """auto_functionalized_v2's inputs as torch writes them: the op (as_operator), then each keyword typed by
    the op's schema (the `_<name>_base_index` ints and `_all_bases` by their values)."""
    op = node.args[0]
    types = {a.name: a.type for a in op._schema.arguments}
    return [_named_argument("", {"as_operator": f"torch.ops.{op}"})] + [
        _named_argument(name, _argument(list(v) if type(v) is tuple else v, types.get(name)), S.ARG_KEYWORD)
        for name, v in node.kwargs.items()]


_NODE_WRITERS = {"op": _op_node_json, "higher_order": _higher_order_node_json, "operator": _operator_node_json}


def _call_json(node, slots, tensor_values):
    write = _NODE_WRITERS.get(target_kind(node.target))
    if write is None:
        raise SerializationError(f"node '{node.name}' calls {node.target!r}, which the archive format cannot name "
                                 "(only registered ops, cond/map, getitem and operators on symbolic values)")
    return write(node, slots, tensor_values)


# ------------------------------------------------------------------ graph --
def _getitem_slots(graph):
    """node -> {output index: the getitem node reading it}."""
    slots = {}
    for n in graph.nodes:
        if n.op == "call_function" and n.target is operator.getitem:
            src, idx = n.args
            slots.setdefault(src, {})[idx] = n
    return slots


def _placeholder_json(node):
    val = node.meta.get("val")
    if type(val).__name__ == "SymInt":     # a while_loop's carried int, as torch writes it
        return {"as_sym_int": {"as_name": node.name}}
    if is_symbolic(val):
        raise SerializationError(f"a cond/map subgraph takes the symbolic value '{node.name}' ({val}) as an input, "
                                 "which torch's archive format cannot hold (subgraph inputs are tensors)")
    return {"as_tensor": {"name": node.name}} if isinstance(val, Tensor) else _scalar_or_none(val)


def _graph_json(graph):
    slots = _getitem_slots(graph)
    inputs, outputs, nodes, tensor_values = [], [], [], {}
    single = False
    sym_values = {"SymInt": {}, "SymFloat": {}, "SymBool": {}}
    # one pass in node order: tensor_values lists each value, then the unused outputs of the node making it
    for n in graph.nodes:
        val = n.meta.get("val")
        if isinstance(val, Tensor):
            tensor_values[n.name] = _tensor_meta(val)
        elif is_symbolic(val):
            sym_values[type(val).__name__][n.name] = _sym_expr(val)
        if n.op == "call_function":
            if n.target is not operator.getitem:      # getitems are written as their source's outputs
                nodes.append(_call_json(n, slots.get(n, {}), tensor_values))
            if n.target is while_loop_op:             # an unread int output still has its symbol listed
                for i, v in enumerate(val):
                    if is_symbolic(v) and i not in slots.get(n, {}):
                        sym_values[type(v).__name__][f"{n.name}_unused_{i}"] = _sym_expr(v)
        elif n.op == "placeholder":
            inputs.append(_placeholder_json(n))
        elif n.op == "output":
            single = isinstance(n.args[0], Node)     # a while_loop cond graph returns one tensor
            outputs = [_argument(v) for v in ((n.args[0],) if single else n.args[0])]
        elif n.op != "get_attr":      # get_attr: a subgraph, written inline where the higher-order op reads it
            raise SerializationError(f"node '{n.name}' has op '{n.op}', which the archive format does not hold")
    return {"inputs": inputs, "outputs": outputs, "nodes": nodes, "tensor_values": tensor_values,
            "sym_int_values": sym_values["SymInt"], "sym_bool_values": sym_values["SymBool"],
            "is_single_tensor_return": single, "custom_obj_values": {}, "sym_float_values": sym_values["SymFloat"]}


# -------------------------------------------------------------- signature --
_INPUT_KEYS = {InputKind.PARAMETER: ("parameter", "parameter_name"), InputKind.BUFFER: ("buffer", "buffer_name"),
               InputKind.CONSTANT_TENSOR: ("tensor_constant", "tensor_constant_name")}
_OUTPUT_KEYS = {OutputKind.BUFFER_MUTATION: ("buffer_mutation", "buffer_name"),
                OutputKind.USER_INPUT_MUTATION: ("user_input_mutation", "user_input_name"),
                OutputKind.PARAMETER_MUTATION: ("parameter_mutation", "parameter_name")}
# A user output's argument, by the kind of the signature's argument record.
_USER_OUTPUT_ARGS = {
    TensorArgument: lambda a: {"as_tensor": {"name": a.name}},
    SymIntArgument: lambda a: {"as_sym_int": {"as_name": a.name}},
    SymFloatArgument: lambda a: {"as_sym_float": {"as_name": a.name}},
    SymBoolArgument: lambda a: {"as_sym_bool": {"as_name": a.name}},
    ConstantArgument: lambda a: _scalar_or_none(a.value),
}


def _input_spec_json(s):
    if s.kind == InputKind.USER_INPUT:
        if type(s.arg) is ConstantArgument:
            return {"constant_input": {"name": s.arg.name, "value": _scalar_or_none(s.arg.value)}}
        return {"user_input": {"arg": {"as_tensor": {"name": s.arg.name}}}}
    if s.kind not in _INPUT_KEYS:
        raise SerializationError(f"input kind {s.kind.name} is not supported by minexport's archive writer")
    key, target_key = _INPUT_KEYS[s.kind]
    entry = {"arg": {"name": s.arg.name}, target_key: s.target}
    if s.kind == InputKind.BUFFER:
        entry["persistent"] = bool(s.persistent)
    return {key: entry}


def _output_spec_json(s):
    if s.kind == OutputKind.USER_OUTPUT and type(s.arg) in _USER_OUTPUT_ARGS:
        return {"user_output": {"arg": _USER_OUTPUT_ARGS[type(s.arg)](s.arg)}}
    if s.kind not in _OUTPUT_KEYS:
        raise SerializationError(f"output kind {s.kind.name} ({type(s.arg).__name__}) is not supported by minexport's "
                                 "archive writer")
    key, target_key = _OUTPUT_KEYS[s.kind]
    return {key: {"arg": {"name": s.arg.name}, target_key: s.target}}


def _signature_json(sig):
    return {"input_specs": [_input_spec_json(s) for s in sig.input_specs],
            "output_specs": [_output_spec_json(s) for s in sig.output_specs]}


def _call_graph_json(entries):
    out = []
    for e in entries:
        sig = None
        if e.signature is not None:
            s = e.signature
            sig = {"inputs": [_USER_OUTPUT_ARGS[type(a)](a) for a in s.inputs],
                   "outputs": [_USER_OUTPUT_ARGS[type(a)](a) for a in s.outputs],
                   "in_spec": pytree.treespec_dumps(s.in_spec),
                   "out_spec": pytree.treespec_dumps(s.out_spec), "forward_arg_names": s.forward_arg_names}
        out.append({"fqn": e.fqn, "signature": sig})
    return out


# ---------------------------------------------------------------- program --
def _payload(tensors, prefix, params):
    """(config json, [(path, contiguous little-endian bytes array)]) for a dict of tensors."""
    config, blobs = {}, []
    for i, (fqn, t) in enumerate(tensors.items()):
        name = f"{prefix}_{i}"
        arr = np.ascontiguousarray(t.numpy(force=True))
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        config[fqn] = {"path_name": name, "is_param": isinstance(t, Parameter) if params else False,
                       "use_pickle": False, "tensor_meta": _tensor_meta(t)}
        blobs.append((name, arr))
    return {"config": config}, blobs


def serialize_program(ep, opset_version=None):
    """(model.json dict, weights (config, blobs), constants (config, blobs)) for ep."""
    opset = dict(S.DEFAULT_OPSET)
    if opset_version:
        opset.update(opset_version)
    model = {
        "graph_module": {"graph": _graph_json(ep.graph), "signature": _signature_json(ep.graph_signature),
                         "module_call_graph": _call_graph_json(ep.module_call_graph), "metadata": {},
                         "treespec_namedtuple_fields": {}},
        "opset_version": opset,
        "range_constraints": {str(k): {"min_val": _bound(v.lower), "max_val": _bound(v.upper)}
                              for k, v in ep.range_constraints.items()},
        "schema_version": {"major": S.SCHEMA_VERSION[0], "minor": S.SCHEMA_VERSION[1]},
        "verifiers": [ep.dialect],
        "torch_version": "2.13.0",
        "guards_code": guards_code(ep),
    }
    weights = _payload(ep.state_dict, "weight", True)
    constants = _payload(ep.constants, "tensor", False)
    return model, weights, constants


def _bound(v):
    try:
        return int(v)
    except (TypeError, ValueError, OverflowError):
        return None
