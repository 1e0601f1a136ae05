"""ExportedProgram -> torch's export JSON (model.json) plus the tensor payloads it names.

Graph nodes become torch's `Node` records: the op target as
"torch.ops.aten.add.Tensor", each argument named by the op's schema and
tagged positional or keyword, and the node's outputs (a tuple-returning op
lists the names of its `getitem` users, which are not written as nodes).
"""
import operator

import numpy as np

from .._tensor import Tensor
from ..export.graph_signature import (ConstantArgument, InputKind, OutputKind, SymBoolArgument, SymFloatArgument,
                                      SymIntArgument, TensorArgument)
from ..fx.graph import Node
from ..nn.parameter import Parameter
from ..runtime.backends import device as _device
from ..utils import _pytree as pytree
from . import schema as S
from .errors import SerializationError
from .sym_expr import dump_expr

__all__ = ["serialize_program"]


def _device_json(d):
    return {"type": d.type, "index": d.index}


def _is_sym(v):
    return getattr(v, "_is_symbolic", False)


_SYM_KEYS = {"SymBool": "as_sym_bool", "SymFloat": "as_sym_float", "SymInt": "as_sym_int"}
_HINT_KEYS = {bool: "as_bool", float: "as_float", int: "as_int"}


def _sym_key(val):
    """as_sym_int / as_sym_float / as_sym_bool for a symbolic value."""
    return _SYM_KEYS[type(val).__name__]


def _sym_expr(v):
    """A symbolic value as torch's SymExpr: srepr text plus the example value (None when data-dependent)."""
    expr = v.env.simplify(v.expr)
    hint = None if expr.free_symbols & v.env.unbacked or v.hint is None else {_HINT_KEYS[type(v.hint)]: v.hint}
    return {"as_expr": {"expr_str": dump_expr(expr), "hint": hint}}


def _size_json(s):
    return _sym_expr(s) if _is_sym(s) else {"as_int": int(s)}


def _tensor_meta(t, requires_grad=None):
    shape = list(t.shape)
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc = acc * s if _is_sym(s) or _is_sym(acc) else acc * max(s, 1)
    return {"dtype": S.SCALAR_TYPE[t.dtype], "sizes": [_size_json(s) for s in shape],
            "requires_grad": bool(t.requires_grad if requires_grad is None else requires_grad),
            "device": _device_json(t.device), "strides": [_size_json(s) for s in reversed(strides)],
            "storage_offset": {"as_int": 0}, "layout": S.LAYOUT["strided"]}


def _scalar(value):
    if isinstance(value, bool):
        return {"as_bool": value}
    if isinstance(value, int):
        return {"as_int": value}
    if isinstance(value, float):
        return {"as_float": value}
    if isinstance(value, str):
        return {"as_string": value}
    raise SerializationError(f"cannot serialize the value {value!r} of type {type(value).__name__}")


def _argument(value, typ):
    """One argument value as torch's Argument union, guided by its schema type."""
    if value is None:
        return {"as_none": True}
    if isinstance(value, Node):
        val = value.meta.get("val")
        if _is_sym(val):
            return {_sym_key(val): {"as_name": value.name}}
        return {"as_tensor": {"name": value.name}}
    if typ is not None and typ.list_len is not None and isinstance(value, (list, tuple)) and \
            typ.base == "SymInt" and any(isinstance(v, Node) for v in value):
        return {"as_sym_ints": [{"as_name": v.name} if isinstance(v, Node) else {"as_int": int(v)} for v in value]}
    if typ is not None and typ.list_len is not None and isinstance(value, (list, tuple)):
        base = typ.base
        if base == "Tensor":
            if typ.elem_optional:
                return {"as_optional_tensors": [{"as_none": True} if v is None else {"as_tensor": {"name": v.name}}
                                                for v in value]}
            return {"as_tensors": [{"name": v.name} for v in value]}
        if base in ("int", "SymInt"):
            return {"as_ints": [int(v) for v in value]}
        if base == "float":
            return {"as_floats": [float(v) for v in value]}
        if base == "bool":
            return {"as_bools": [bool(v) for v in value]}
        if base == "str":
            return {"as_strings": [str(v) for v in value]}
    if typ is not None:
        base = typ.base
        if base == "ScalarType":
            return {"as_scalar_type": S.SCALAR_TYPE[value]}
        if base == "Device":
            return {"as_device": _device_json(value if isinstance(value, _device) else _device(value))}
        if base == "Layout":
            return {"as_layout": S.LAYOUT[value]}
        if base == "MemoryFormat":
            return {"as_memory_format": S.MEMORY_FORMAT.get(value, 1) if isinstance(value, str) else 1}
        if base == "float" and isinstance(value, int) and not isinstance(value, bool):
            return {"as_float": float(value)}
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, Node) for v in value):
            return {"as_tensors": [{"name": v.name} for v in value]}
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return {"as_ints": list(value)}
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return {"as_floats": [float(v) for v in value]}
    return _scalar(value)


def _nn_module_stack(stack):
    return ";".join(f"{key},{path},{qualname}" for key, (path, qualname) in stack.items())


_OPERATOR_ARGS = ("a", "b")


def _operator_node_json(node):
    """A symbolic-int operator node (operator.mul, operator.ge, ...) as torch writes it."""
    inputs = [{"name": name, "arg": _argument(v, None), "kind": S.ARG_POSITIONAL}
              for name, v in zip(_OPERATOR_ARGS, node.args)]
    return {"target": f"_operator.{node.target.__name__}", "inputs": inputs,
            "outputs": [{_sym_key(node.meta.get("val")): {"as_name": node.name}}], "metadata": _metadata(node),
            "is_hop_single_tensor_return": None, "name": node.name}


def _metadata(node):
    metadata = {}
    if node.meta.get("stack_trace"):
        metadata["stack_trace"] = node.meta["stack_trace"]
    if node.meta.get("nn_module_stack"):
        metadata["nn_module_stack"] = _nn_module_stack(node.meta["nn_module_stack"])
    return metadata


def _node_json(node, getitems):
    op = node.target
    schema = op._schema
    inputs = []
    positional = [a for a in schema.arguments if not a.kwarg_only]
    for arg, value in zip(positional, node.args):
        inputs.append({"name": arg.name, "arg": _argument(value, arg.type), "kind": S.ARG_POSITIONAL})
    by_name = {a.name: a for a in schema.arguments}
    for name, value in node.kwargs.items():
        inputs.append({"name": name, "arg": _argument(value, by_name[name].type if name in by_name else None),
                       "kind": S.ARG_KEYWORD})
    rets = schema.returns
    # an output nobody reads has no getitem node; torch names it <node>_unused_<i>
    names = [g.name if g is not None else f"{node.name}_unused_{i}" for i, g in enumerate(getitems)]
    if not rets:
        outputs = []
    elif len(rets) == 1 and rets[0].type.list_len is not None:
        outputs = [{"as_tensors": [{"name": n} for n in names]}]
    elif len(rets) > 1:
        outputs = [{"as_tensor": {"name": n}} for n in names]
    elif _is_sym(node.meta.get("val")):
        outputs = [{_sym_key(node.meta["val"]): {"as_name": node.name}}]
    else:
        outputs = [{"as_tensor": {"name": node.name}}]
    return {"target": f"torch.ops.{op}", "inputs": inputs, "outputs": outputs, "metadata": _metadata(node),
            "is_hop_single_tensor_return": None, "name": node.name}


def _higher_order_node_json(node, slots, tensor_values):
    """A cond/map node as torch writes it: subgraphs inline (as_graph), one as_tensor output per result."""
    def arg(value):
        if isinstance(value, Node) and value.op == "get_attr":
            sub = getattr(node.graph.owning_module, value.target)
            return {"as_graph": {"name": value.target, "graph": _graph_json(sub.graph)}}
        return _argument(list(value) if isinstance(value, tuple) else value, None)

    outputs = []
    for i, t in enumerate(node.meta["val"]):
        g = slots.get(i)
        name = g.name if g is not None else f"{node.name}_unused_{i}"
        if g is None:
            tensor_values[name] = _tensor_meta(t)
        outputs.append({"as_tensor": {"name": name}})
    return {"target": node.target.qualified_name, "inputs": [{"name": "", "arg": arg(a), "kind": S.ARG_POSITIONAL}
                                                             for a in node.args],
            "outputs": outputs, "metadata": _metadata(node), "is_hop_single_tensor_return": None, "name": node.name}


def _graph_json(graph):
    nodes, tensor_values = [], {}
    getitems = {}
    for n in graph.nodes:
        if n.op == "call_function" and n.target is operator.getitem:
            src, idx = n.args
            slots = getitems.setdefault(src, {})
            slots[idx] = n
    inputs, outputs = [], []
    sym_values = {"SymInt": {}, "SymFloat": {}, "SymBool": {}}
    for n in graph.nodes:
        val = n.meta.get("val")
        if isinstance(val, Tensor):
            tensor_values[n.name] = _tensor_meta(val)
        elif _is_sym(val):
            sym_values[type(val).__name__][n.name] = _sym_expr(val)
        if n.op == "placeholder":
            if _is_sym(val):
                raise SerializationError(f"a cond/map subgraph takes the symbolic value '{n.name}' ({val}) as an "
                                         "input, which torch's archive format cannot hold (subgraph inputs are "
                                         "tensors)")
            inputs.append({"as_tensor": {"name": n.name}} if isinstance(val, Tensor) else _scalar_or_none(val))
        elif n.op == "get_attr":
            continue          # a subgraph: written inline where the higher-order op reads it
        elif n.op == "call_function":
            if n.target is operator.getitem:
                continue
            if getattr(n.target, "__module__", None) == "_operator":
                nodes.append(_operator_node_json(n))
                continue
            if getattr(n.target, "_is_higher_order_op", False):
                nodes.append(_higher_order_node_json(n, getitems.get(n, {}), tensor_values))
                continue
            if not hasattr(n.target, "overloadpacket"):
                raise SerializationError(f"node '{n.name}' calls {n.target!r}, which the archive format cannot "
                                         "name (only registered ops and getitem)")
            slots = getitems.get(n, {})
            vals = n.meta.get("val") if isinstance(n.meta.get("val"), (list, tuple)) else ()
            for i, v in enumerate(vals):
                if i not in slots and isinstance(v, Tensor):   # torch wants metadata for unused outputs too
                    tensor_values[f"{n.name}_unused_{i}"] = _tensor_meta(v)
            nodes.append(_node_json(n, [slots.get(i) for i in range(len(vals))]))
        elif n.op == "output":
            outputs = [_argument(v, None) for v in n.args[0]]
        else:
            raise SerializationError(f"node '{n.name}' has op '{n.op}', which the archive format does not hold")
    return {"inputs": inputs, "outputs": outputs, "nodes": nodes, "tensor_values": tensor_values,
            "sym_int_values": sym_values["SymInt"], "sym_bool_values": sym_values["SymBool"],
            "is_single_tensor_return": False, "custom_obj_values": {}, "sym_float_values": sym_values["SymFloat"]}


def _scalar_or_none(value):
    return {"as_none": True} if value is None else _scalar(value)


_INPUT_KEYS = {InputKind.PARAMETER: ("parameter", "parameter_name"), InputKind.BUFFER: ("buffer", "buffer_name"),
               InputKind.CONSTANT_TENSOR: ("tensor_constant", "tensor_constant_name")}
_OUTPUT_KEYS = {OutputKind.BUFFER_MUTATION: ("buffer_mutation", "buffer_name"),
                OutputKind.USER_INPUT_MUTATION: ("user_input_mutation", "user_input_name"),
                OutputKind.PARAMETER_MUTATION: ("parameter_mutation", "parameter_name")}


def _signature_json(sig):
    inputs = []
    for s in sig.input_specs:
        if s.kind == InputKind.USER_INPUT:
            if isinstance(s.arg, ConstantArgument):
                inputs.append({"constant_input": {"name": s.arg.name, "value": _scalar_or_none(s.arg.value)}})
            else:
                inputs.append({"user_input": {"arg": {"as_tensor": {"name": s.arg.name}}}})
        elif s.kind in _INPUT_KEYS:
            key, target_key = _INPUT_KEYS[s.kind]
            entry = {"arg": {"name": s.arg.name}, target_key: s.target}
            if s.kind == InputKind.BUFFER:
                entry["persistent"] = bool(s.persistent)
            inputs.append({key: entry})
        else:
            raise SerializationError(f"input kind {s.kind.name} is not supported by minexport's archive writer")
    outputs = []
    for s in sig.output_specs:
        if s.kind == OutputKind.USER_OUTPUT:
            if isinstance(s.arg, TensorArgument):
                arg = {"as_tensor": {"name": s.arg.name}}
            elif isinstance(s.arg, (SymIntArgument, SymFloatArgument, SymBoolArgument)):
                arg = {_SYM_KEYS[type(s.arg).__name__.replace("Argument", "")]: {"as_name": s.arg.name}}
            else:
                arg = _scalar_or_none(s.arg.value)
            outputs.append({"user_output": {"arg": arg}})
        elif s.kind in _OUTPUT_KEYS:
            key, target_key = _OUTPUT_KEYS[s.kind]
            outputs.append({key: {"arg": {"name": s.arg.name}, target_key: s.target}})
        else:
            raise SerializationError(f"output kind {s.kind.name} is not supported by minexport's archive writer")
    return {"input_specs": inputs, "output_specs": outputs}


def _call_graph_json(entries):
    out = []
    for e in entries:
        sig = None
        if e.signature is not None:
            s = e.signature
            sig = {"inputs": [], "outputs": [], "in_spec": pytree.treespec_dumps(s.in_spec),
                   "out_spec": pytree.treespec_dumps(s.out_spec), "forward_arg_names": s.forward_arg_names}
        out.append({"fqn": e.fqn, "signature": sig})
    return out


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
        "guards_code": [],
    }
    weights = _payload(ep.state_dict, "weight", True)
    constants = _payload(ep.constants, "tensor", False)
    return model, weights, constants


def _bound(v):
    try:
        return int(v)
    except (TypeError, ValueError, OverflowError):
        return None
