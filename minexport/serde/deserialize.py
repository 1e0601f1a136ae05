"""torch's export JSON (model.json) -> ExportedProgram, trusting nothing.

Every field is type-checked before use; names must be identifiers, targets
registered ops, dtype/layout codes known, references must point at values
defined earlier.  Any problem raises one SerializationError naming the field.
"""
import operator

from .. import ops as _ops
from .._tensor import make_fake
from ..export.exported_program import ExportedProgram, ModuleCallEntry, ModuleCallSignature
from ..export.graph_signature import (ConstantArgument, ExportGraphSignature, InputKind, InputSpec, OutputKind,
                                      OutputSpec, SymBoolArgument, SymFloatArgument, SymIntArgument,
                                      TensorArgument)
from ..fx.graph import Graph, Node, map_arg
from ..fx.graph_module import GraphModule
from ..ops import higher_order as higher_order_ops
from ..runtime.backends import device as _device
from ..utils import _pytree as pytree
from . import schema as S
from .errors import SerializationError

__all__ = ["deserialize_program", "tensor_meta", "expect"]


def expect(value, kind, where):
    """value if it has Python type `kind`, else SerializationError naming where."""
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise SerializationError(f"{where}: expected {name}, got {type(value).__name__}")
    return value


def _field(obj, key, kind, where):
    expect(obj, dict, where)
    if key not in obj:
        raise SerializationError(f"{where}: missing field '{key}'")
    return expect(obj[key], kind, f"{where}.{key}")


def _union(obj, where):
    """The single (key, value) of a torch union record."""
    expect(obj, dict, where)
    if len(obj) != 1:
        raise SerializationError(f"{where}: expected exactly one field of a union, got {sorted(obj)}")
    return next(iter(obj.items()))


def _name(value, where):
    expect(value, str, where)
    if not value.isidentifier():
        raise SerializationError(f"{where}: {value!r} is not a valid name")
    return value


def _int(v, where):
    return expect(v, int, where)


def _sym_int(obj, where, symbolic=None):
    key, value = _union(obj, where)
    if key == "as_int":
        return _int(value, where)
    if key == "as_expr" and symbolic is not None:
        return symbolic.value(value, where)
    raise SerializationError(f"{where}: symbolic sizes ({key}) are only allowed in a program's graph")


_HIGHER_ORDER = {"cond": higher_order_ops.cond, "map_impl": higher_order_ops.map_impl}
_MAX_SUBGRAPH_DEPTH = 32
_SYM_ARGUMENTS = {"as_sym_int": SymIntArgument, "as_sym_float": SymFloatArgument, "as_sym_bool": SymBoolArgument}


class _Symbols:
    """Rebuilds the ShapeEnv of a symbolic program from its expressions and range constraints."""

    def __init__(self):
        self.env = None
        self.symbols = {}

    def _env(self):
        if self.env is None:
            from ..symbolic import ShapeEnv
            self.env = ShapeEnv()
        return self.env

    def symbol(self, name):
        kind = name.rstrip("0123456789") if isinstance(name, str) else None
        if kind not in ("s", "u", "zuf") or kind == name:
            raise SerializationError(f"bad symbol name {name!r} (expected s<N>, u<N> or zuf<N>)")
        sym = self.symbols.get(name)
        if sym is None and kind == "zuf":
            sym = self.symbols[name] = self._env().create_unbacked_float(name, name=name).expr
        if sym is None:
            import sympy
            from ..symbolic import ValueRange, int_oo
            from ..symbolic.core import int_oo_value
            env = self._env()
            unbacked = kind == "u"
            sym = sympy.Symbol(name, integer=True) if unbacked else sympy.Symbol(name, integer=True, positive=True)
            env.var_to_range[sym] = ValueRange(int_oo_value() if unbacked else 0, int_oo)
            env.var_to_source[sym] = name
            if unbacked:
                env.unbacked.add(sym)
            self.symbols[name] = sym
        return sym

    def value(self, sym_expr, where):
        """A SymInt, SymFloat or SymBool from a SymExpr record."""
        from ..symbolic import SymBool, SymFloat, SymInt
        from .sym_expr import parse_expr
        text = _field(sym_expr, "expr_str", str, where)
        expr = parse_expr(text, self.symbol)
        hint = sym_expr.get("hint")
        value = 0
        if isinstance(hint, dict) and hint:
            _, value = _union(hint, f"{where}.hint")
            if not isinstance(value, (int, bool, float)):
                raise SerializationError(f"{where}.hint: expected an int, float or bool")
        import sympy
        if isinstance(expr, int):
            return expr
        for s in expr.free_symbols:
            if isinstance(expr, sympy.Symbol) and s not in self._env().unbacked and hint:
                self._env().var_to_hint[s] = int(value)
        if isinstance(expr, sympy.core.relational.Relational) or expr in (sympy.true, sympy.false):
            return SymBool(expr, self._env(), bool(value))
        if expr.has(sympy.Float) or expr.free_symbols & self._env().float_symbols:
            return SymFloat(expr, self._env(), float(value) if hint else None)
        return SymInt(expr, self._env(), int(value))

    def set_ranges(self, ranges):
        from ..symbolic import ValueRange, int_oo
        for name, r in ranges.items():
            where = f"range_constraints[{name!r}]"
            sym = self.symbol(name)
            if sym in self.env.float_symbols:       # a data-dependent float: always unbounded
                continue
            lo, hi = r.get("min_val") if isinstance(r, dict) else None, r.get("max_val") if isinstance(r, dict) else None
            if lo is not None:
                _int(lo, where)
            if hi is not None:
                _int(hi, where)
            current = self.env.var_to_range[sym]
            self.env.var_to_range[sym] = ValueRange(current.lower if lo is None else lo, int_oo if hi is None else hi)
            if lo is not None and lo >= 0 and sym in self.env.unbacked:
                self.env.size_like.add(sym)


def tensor_meta(obj, where, symbolic=None):
    """(shape, dtype, device) of a TensorMeta record, validated."""
    code = _field(obj, "dtype", int, where)
    dtype = S.SCALAR_TYPE_BY_CODE.get(code)
    if dtype is None:
        raise SerializationError(f"{where}.dtype: unsupported dtype code {code}")
    sizes = _field(obj, "sizes", list, where)
    if len(sizes) > S.MAX_NDIM:
        raise SerializationError(f"{where}.sizes: {len(sizes)} dimensions is more than {S.MAX_NDIM}")
    shape = tuple(_sym_int(s, f"{where}.sizes[{i}]", symbolic) for i, s in enumerate(sizes))
    if any(type(s) is int and s < 0 for s in shape):
        raise SerializationError(f"{where}.sizes: negative size in {list(shape)}")
    numel = 1
    for s in shape:
        numel *= s if type(s) is int else 1
    if numel * dtype.itemsize > S.MAX_TENSOR_BYTES:
        raise SerializationError(f"{where}: a tensor of shape {list(shape)} ({numel} elements) is absurdly large")
    layout = obj.get("layout", 7)
    if not isinstance(layout, int) or layout not in S.LAYOUT_BY_CODE:
        raise SerializationError(f"{where}.layout: unsupported layout code {layout!r} (only strided)")
    dev = obj.get("device", {"type": "cpu", "index": None})
    return shape, dtype, _device_from(dev, f"{where}.device")


def _device_from(obj, where):
    kind = _field(obj, "type", str, where)
    index = obj.get("index")
    if index is not None:
        _int(index, f"{where}.index")
    try:
        return _device(kind, index)
    except RuntimeError as e:
        raise SerializationError(f"{where}: {e}") from None


_OPERATORS = {f"_operator.{fn.__name__}": fn for fn in (
    operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod, operator.truediv, operator.pow,
    operator.neg, operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge, operator.and_,
    operator.or_, operator.not_)}


class _GraphReader:
    def __init__(self, graph_json, symbols, depth=0):
        if depth > _MAX_SUBGRAPH_DEPTH:
            raise SerializationError(f"subgraphs nested more than {_MAX_SUBGRAPH_DEPTH} deep")
        self.json = graph_json
        self.depth = depth
        self.subgraphs = {}     # attribute name -> GraphModule (cond branches, map bodies)
        self.graph = Graph()
        self.values = {}        # name -> Node
        self.vals = {}          # name -> fake tensor or symbolic value
        self.symbols = symbols
        tv = _field(graph_json, "tensor_values", dict, "graph")
        for name, meta in tv.items():
            shape, dtype, dev = tensor_meta(meta, f"graph.tensor_values[{name!r}]", symbols)
            self.vals[_name(name, "graph.tensor_values key")] = make_fake(shape, dtype, dev)
        for key in ("sym_int_values", "sym_bool_values", "sym_float_values"):
            values = graph_json.get(key) or {}
            expect(values, dict, f"graph.{key}")
            for name, v in values.items():
                k, inner = _union(v, f"graph.{key}[{name!r}]")
                if k == "as_expr":
                    self.vals[_name(name, f"graph.{key} key")] = symbols.value(inner, f"graph.{key}[{name!r}]")
                elif k in ("as_int", "as_bool", "as_float"):
                    self.vals[_name(name, f"graph.{key} key")] = inner
        if graph_json.get("custom_obj_values"):
            raise SerializationError("graph.custom_obj_values: custom objects are not supported yet")

    def ref(self, name, where):
        node = self.values.get(_name(name, where))
        if node is None:
            raise SerializationError(f"{where}: '{name}' is used before it is defined")
        return node

    def argument(self, obj, where):
        key, v = _union(obj, where)
        if key == "as_none":
            return None
        if key == "as_tensor":
            return self.ref(_field(v, "name", str, where), where)
        if key == "as_tensors":
            return [self.ref(_field(t, "name", str, f"{where}[{i}]"), where) for i, t in enumerate(expect(v, list, where))]
        if key == "as_optional_tensors":
            out = []
            for i, t in enumerate(expect(v, list, where)):
                k, inner = _union(t, f"{where}[{i}]")
                out.append(None if k == "as_none" else self.ref(_field(inner, "name", str, where), where))
            return out
        if key in ("as_int", "as_float", "as_bool", "as_string"):
            return expect(v, {"as_int": int, "as_float": float, "as_bool": bool, "as_string": str}[key], where)
        if key in ("as_ints", "as_floats", "as_bools", "as_strings"):
            kind = {"as_ints": int, "as_floats": float, "as_bools": bool, "as_strings": str}[key]
            return [expect(x, kind, where) for x in expect(v, list, where)]
        if key in _SYM_ARGUMENTS:
            k, inner = _union(v, where)
            if k == "as_name":
                return self.ref(inner, where)
            return expect(inner, {"as_int": int, "as_float": float, "as_bool": bool}.get(k, int), where)
        if key == "as_sym_ints":
            out = []
            for i, item in enumerate(expect(v, list, where)):
                k, inner = _union(item, f"{where}[{i}]")
                out.append(self.ref(inner, where) if k == "as_name" else expect(inner, int, where))
            return out
        if key == "as_scalar_type":
            d = S.SCALAR_TYPE_BY_CODE.get(v) if isinstance(v, int) else None
            if d is None:
                raise SerializationError(f"{where}: unsupported dtype code {v!r}")
            return d
        if key == "as_device":
            return _device_from(v, where)
        if key == "as_layout":
            if not isinstance(v, int) or v not in S.LAYOUT_BY_CODE:
                raise SerializationError(f"{where}: unsupported layout code {v!r}")
            return S.LAYOUT_BY_CODE[v]
        if key == "as_memory_format":
            if not isinstance(v, int) or v not in S.MEMORY_FORMAT_BY_CODE:
                raise SerializationError(f"{where}: unsupported memory format code {v!r}")
            return S.MEMORY_FORMAT_BY_CODE[v]
        raise SerializationError(f"{where}: argument kind '{key}' is not supported by minexport")

    def read_subgraph(self, obj, where):
        """A higher-order op's inline subgraph: read it, attach it, and return the get_attr node reading it."""
        name = _name(_field(obj, "name", str, where), f"{where}.name")
        if name.startswith("_") or hasattr(GraphModule, name):
            raise SerializationError(f"{where}.name: '{name}' cannot name a subgraph (it is a module attribute)")
        graph_json = _field(obj, "graph", dict, where)
        reader = _GraphReader(graph_json, self.symbols, depth=self.depth + 1)
        for i, raw in enumerate(_field(graph_json, "inputs", list, f"{where}.graph")):
            key, v = _union(raw, f"{where}.graph.inputs[{i}]")
            if key != "as_tensor":
                raise SerializationError(f"{where}.graph.inputs[{i}]: a subgraph input must be a tensor, got {key}")
            arg_name = _field(v, "name", str, f"{where}.graph.inputs[{i}]")
            node = reader.graph.create_node("placeholder", arg_name, name=_name(arg_name, f"{where}.graph.inputs"))
            reader.define(node, arg_name)
            if "val" not in node.meta:
                raise SerializationError(f"{where}.graph.inputs[{i}]: '{arg_name}' has no recorded value")
        reader.read_body(f"{where}.graph")
        if name in self.subgraphs:
            raise SerializationError(f"{where}: subgraph name '{name}' is used twice")
        self.subgraphs[name] = GraphModule(reader.subgraphs, reader.graph, class_name=name)
        return self.graph.get_attr(name)

    def read_body(self, where="graph"):
        """The nodes and the output node of this reader's graph (placeholders already made)."""
        for i, node_json in enumerate(_field(self.json, "nodes", list, where)):
            self.read_node(node_json, i)
        for node in self.graph.nodes:
            if node.op == "call_function" and "val" not in node.meta and node.target is not operator.getitem:
                node.meta["val"] = _meta_val(node)
        outputs = [self.argument(o, f"{where}.outputs[{i}]")
                   for i, o in enumerate(_field(self.json, "outputs", list, where))]
        self.graph.output(tuple(outputs))

    def read_higher_order(self, op, obj, where):
        """A cond/map node: arguments (subgraphs inline), then one getitem per output."""
        args = []
        for j, e in enumerate(_field(obj, "inputs", list, where)):
            key, v = _union(_field(e, "arg", dict, f"{where}.inputs[{j}]"), f"{where}.inputs[{j}]")
            args.append(self.read_subgraph(v, f"{where}.inputs[{j}].as_graph") if key == "as_graph"
                        else self.argument({key: v}, f"{where}.inputs[{j}]"))
        if op.name() == "cond" and len(args) == 4 and isinstance(args[3], list):
            args[3] = tuple(args[3])       # cond's operands are a tuple in graphs
        name = obj.get("name") or op.name()
        node = self.graph.call_function(op, tuple(args), name=_name(name, f"{where}.name"))
        vals = []
        for j, o in enumerate(_field(obj, "outputs", list, where)):
            key, v = _union(o, f"{where}.outputs[{j}]")
            if key != "as_tensor":
                raise SerializationError(f"{where}.outputs[{j}]: {op.name()} outputs must be tensors")
            out_name = _field(v, "name", str, f"{where}.outputs[{j}]")
            if out_name not in self.vals:
                raise SerializationError(f"{where}.outputs[{j}]: '{out_name}' has no entry in tensor_values")
            vals.append(self.vals[out_name])
            if out_name != f"{node.name}_unused_{j}":
                g = self.graph.call_function(operator.getitem, (node, j), name=_name(out_name, f"{where}.outputs"))
                self.define(g, out_name)
                self.copy_meta(g, obj)
        node.meta["val"] = vals
        for n in [node] + [a for a in args if isinstance(a, Node) and a.op == "get_attr"]:
            self.copy_meta(n, obj)      # get_attr nodes are not written: they share the op's source line

    def read_node(self, obj, i):
        where = f"graph.nodes[{i}]"
        target = _field(obj, "target", str, where)
        if target.startswith("torch.ops.higher_order."):
            op = _HIGHER_ORDER.get(target[len("torch.ops.higher_order."):])
            if op is None:
                raise SerializationError(f"{where}.target: minexport has no higher-order op '{target}'")
            return self.read_higher_order(op, obj, where)
        if target in _OPERATORS:
            args = [self.argument(_field(e, "arg", dict, f"{where}.inputs[{j}]"), f"{where}.inputs[{j}]")
                    for j, e in enumerate(_field(obj, "inputs", list, where))]
            outputs = _field(obj, "outputs", list, where)
            if len(outputs) != 1:
                raise SerializationError(f"{where}.outputs: {target} has one output")
            _, inner = _union(outputs[0], f"{where}.outputs[0]")
            out_name = _field(inner, "as_name", str, f"{where}.outputs[0]")
            node = self.graph.call_function(_OPERATORS[target], tuple(args), name=_name(out_name, where))
            self.define(node, out_name)
            self.copy_meta(node, obj)
            return
        if not target.startswith("torch.ops."):
            raise SerializationError(f"{where}.target: unknown operator '{target}'")
        try:
            op = _ops.lookup(target[len("torch.ops."):])
        except KeyError:
            raise SerializationError(
                f"{where}: the archive uses operator '{target}', which minexport does not know; register it as a "
                "custom op (minexport.library) before loading") from None
        schema = op._schema
        by_name = {a.name: a for a in schema.arguments}
        args, kwargs = [], {}
        for j, entry in enumerate(_field(obj, "inputs", list, where)):
            name = _field(entry, "name", str, f"{where}.inputs[{j}]")
            if name not in by_name:
                raise SerializationError(f"{where}.inputs[{j}]: {target} has no argument '{name}'")
            value = self.argument(_field(entry, "arg", dict, f"{where}.inputs[{j}]"), f"{where}.inputs[{j}]")
            if entry.get("kind", S.ARG_POSITIONAL) == S.ARG_KEYWORD or by_name[name].kwarg_only:
                kwargs[name] = value
            else:
                args.append(value)
        outputs = _field(obj, "outputs", list, where)
        name = obj.get("name")
        rets = schema.returns
        if len(rets) == 1 and rets[0].type.list_len is None:
            if len(outputs) != 1:
                raise SerializationError(f"{where}.outputs: {target} has one output, the archive lists {len(outputs)}")
            key, v = _union(outputs[0], f"{where}.outputs[0]")
            if key == "as_tensor":
                out_name = _field(v, "name", str, f"{where}.outputs[0]")
            elif key in _SYM_ARGUMENTS:
                out_name = _field(v, "as_name", str, f"{where}.outputs[0]")
            else:
                out_name = name
            node = self.graph.call_function(op, tuple(args), kwargs, name=_name(out_name, f"{where}.outputs[0]"))
            self.define(node, out_name)
            self.copy_meta(node, obj)
            return
        node = self.graph.call_function(op, tuple(args), kwargs, name=_name(name or op.op_name, f"{where}.name"))
        if not rets:             # an op with no result (a runtime assert)
            node.meta["val"] = None
            self.copy_meta(node, obj)
            return
        if len(rets) == 1:       # a list of tensors
            if len(outputs) != 1 or _union(outputs[0], f"{where}.outputs[0]")[0] != "as_tensors":
                raise SerializationError(f"{where}.outputs: expected one as_tensors for {target}")
            names = [_field(t, "name", str, f"{where}.outputs") for t in outputs[0]["as_tensors"]]
        else:
            if len(outputs) != len(rets):
                raise SerializationError(f"{where}.outputs: {target} has {len(rets)} outputs, the archive lists "
                                         f"{len(outputs)}")
            names = []
            for j, o in enumerate(outputs):
                key, v = _union(o, f"{where}.outputs[{j}]")
                names.append(None if key == "as_none" else _field(v, "name", str, f"{where}.outputs[{j}]"))
        vals = []
        for j, out_name in enumerate(names):
            if out_name is None or out_name == f"{node.name}_unused_{j}":
                vals.append(None)
                continue
            g = self.graph.call_function(operator.getitem, (node, j), name=_name(out_name, f"{where}.outputs"))
            self.define(g, out_name)
            self.copy_meta(g, obj)
            vals.append(g.meta.get("val"))
        if any(v is None for v in vals):
            # outputs nobody reads are not in tensor_values: their meta comes from the op's meta function
            try:
                derived = op.meta(*map_arg(node.args, lambda n: n.meta.get("val")),
                                  **map_arg(node.kwargs, lambda n: n.meta.get("val")))
            except Exception as e:
                raise SerializationError(f"{where}: {target} refuses its inputs: {e}") from None
            vals = [v if v is not None else d for v, d in zip(vals, derived)]
        node.meta["val"] = tuple(vals) if len(rets) > 1 else list(vals)
        self.copy_meta(node, obj)

    def define(self, node, name):
        if node.name != name:
            raise SerializationError(f"the name '{name}' is defined twice in the graph")
        self.values[name] = node
        if name in self.vals:
            node.meta["val"] = self.vals[name]

    def copy_meta(self, node, obj):
        meta = obj.get("metadata") or {}
        expect(meta, dict, f"node {node.name} metadata")
        trace = meta.get("stack_trace")
        if isinstance(trace, str):
            node.meta["stack_trace"] = trace
        stack = meta.get("nn_module_stack")
        if isinstance(stack, str) and stack:
            entries = {}
            for item in stack.split(";"):
                parts = item.split(",")
                if len(parts) >= 3:
                    entries[parts[0]] = (",".join(parts[1:-1]), parts[-1])
            node.meta["nn_module_stack"] = entries


def _input_specs(sig_json, reader):
    specs, placeholders = [], []
    for i, entry in enumerate(_field(sig_json, "input_specs", list, "signature")):
        where = f"signature.input_specs[{i}]"
        key, v = _union(entry, where)
        if key == "user_input":
            k, inner = _union(_field(v, "arg", dict, where), where)
            if k != "as_tensor":
                raise SerializationError(f"{where}: user input kind '{k}' is not supported yet")
            name = _field(inner, "name", str, where)
            specs.append(InputSpec(InputKind.USER_INPUT, TensorArgument(name)))
        elif key == "constant_input":
            name = _field(v, "name", str, where)
            value = reader.argument(_field(v, "value", dict, where), where)
            specs.append(InputSpec(InputKind.USER_INPUT, ConstantArgument(name, value)))
        elif key in ("parameter", "buffer", "tensor_constant"):
            kind = {"parameter": InputKind.PARAMETER, "buffer": InputKind.BUFFER,
                    "tensor_constant": InputKind.CONSTANT_TENSOR}[key]
            target_key = {"parameter": "parameter_name", "buffer": "buffer_name",
                          "tensor_constant": "tensor_constant_name"}[key]
            name = _field(_field(v, "arg", dict, where), "name", str, where)
            target = _field(v, target_key, str, where)
            persistent = _field(v, "persistent", bool, where) if key == "buffer" else None
            specs.append(InputSpec(kind, TensorArgument(name), target, persistent))
        else:
            raise SerializationError(f"{where}: input kind '{key}' is not supported by minexport")
        placeholders.append(_name(specs[-1].arg.name, where))
    return specs, placeholders


_OUTPUT_KINDS = {"buffer_mutation": (OutputKind.BUFFER_MUTATION, "buffer_name"),
                 "user_input_mutation": (OutputKind.USER_INPUT_MUTATION, "user_input_name"),
                 "parameter_mutation": (OutputKind.PARAMETER_MUTATION, "parameter_name"),
                 "loss_output": (OutputKind.LOSS_OUTPUT, None)}


def _output_specs(sig_json, reader):
    specs = []
    for i, entry in enumerate(_field(sig_json, "output_specs", list, "signature")):
        where = f"signature.output_specs[{i}]"
        key, v = _union(entry, where)
        if key == "user_output":
            k, inner = _union(_field(v, "arg", dict, where), where)
            if k == "as_tensor":
                specs.append(OutputSpec(OutputKind.USER_OUTPUT, TensorArgument(_field(inner, "name", str, where))))
            elif k in _SYM_ARGUMENTS and isinstance(inner, dict) and "as_name" in inner:
                arg = _SYM_ARGUMENTS[k](_field(inner, "as_name", str, where))
                specs.append(OutputSpec(OutputKind.USER_OUTPUT, arg))
            else:
                specs.append(OutputSpec(OutputKind.USER_OUTPUT, ConstantArgument("", reader.argument({k: inner}, where))))
        elif key in _OUTPUT_KINDS:
            kind, target_key = _OUTPUT_KINDS[key]
            name = _field(_field(v, "arg", dict, where), "name", str, where)
            target = _field(v, target_key, str, where) if target_key else None
            specs.append(OutputSpec(kind, TensorArgument(name), target))
        else:
            raise SerializationError(f"{where}: output kind '{key}' is not supported by minexport")
    return specs


def _module_call_graph(entries):
    out = []
    for i, e in enumerate(expect(entries, list, "module_call_graph")):
        where = f"module_call_graph[{i}]"
        fqn = _field(e, "fqn", str, where)
        sig = e.get("signature")
        if sig is None:
            out.append(ModuleCallEntry(fqn, None))
            continue
        try:
            in_spec = pytree.treespec_loads(_field(sig, "in_spec", str, where))
            out_spec = pytree.treespec_loads(_field(sig, "out_spec", str, where))
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"{where}: bad pytree spec: {exc}") from None
        names = sig.get("forward_arg_names")
        if names is not None:
            names = [expect(n, str, where) for n in expect(names, list, where)]
        out.append(ModuleCallEntry(fqn, ModuleCallSignature([], [], in_spec, out_spec, names)))
    if not out or out[0].fqn != "" or out[0].signature is None:
        raise SerializationError("module_call_graph: the first entry must be the root ('') with a signature")
    return out


def deserialize_program(model, state_dict, constants, expected_opset_version=None):
    """An ExportedProgram from model.json's parsed content and the loaded tensors (validated, verified)."""
    version = _field(model, "schema_version", dict, "model")
    major, minor = _field(version, "major", int, "schema_version"), _field(version, "minor", int, "schema_version")
    if major > S.SCHEMA_VERSION[0]:
        raise SerializationError(f"the archive's schema version {major}.{minor} is newer than the {S.SCHEMA_VERSION[0]}."
                                 f"{S.SCHEMA_VERSION[1]} minexport reads; upgrade minexport")
    if major < S.SCHEMA_VERSION[0]:
        raise SerializationError(f"the archive's schema version {major}.{minor} is older than minexport's "
                                 f"{S.SCHEMA_VERSION[0]}.{S.SCHEMA_VERSION[1]} and is not supported")
    opset = model.get("opset_version", {})
    expect(opset, dict, "opset_version")
    if expected_opset_version:
        for ns, v in expected_opset_version.items():
            if opset.get(ns) != v:
                raise SerializationError(f"opset version mismatch for '{ns}': the archive has {opset.get(ns)}, "
                                         f"expected {v}")
    gm_json = _field(model, "graph_module", dict, "model")
    graph_json = _field(gm_json, "graph", dict, "graph_module")
    symbols = _Symbols()
    reader = _GraphReader(graph_json, symbols)
    sig_json = _field(gm_json, "signature", dict, "graph_module")
    input_specs, placeholder_names = _input_specs(sig_json, reader)
    inputs = _field(graph_json, "inputs", list, "graph")
    if len(inputs) != len(placeholder_names):
        raise SerializationError(f"graph.inputs has {len(inputs)} entries but the signature lists "
                                 f"{len(placeholder_names)} inputs")
    for name, spec, raw in zip(placeholder_names, input_specs, inputs):
        node = reader.graph.create_node("placeholder", name, name=name)
        if node.name != name:
            raise SerializationError(f"graph.inputs: the name '{name}' is used twice")
        reader.values[name] = node
        if isinstance(spec.arg, ConstantArgument):
            node.meta["val"] = spec.arg.value
        elif name in reader.vals:
            node.meta["val"] = reader.vals[name]
        else:
            raise SerializationError(f"graph.inputs: tensor input '{name}' has no entry in tensor_values")
    reader.read_body()
    output_specs = _output_specs(sig_json, reader)
    call_graph = _module_call_graph(_field(gm_json, "module_call_graph", list, "graph_module"))
    ranges = _field(model, "range_constraints", dict, "model")
    if ranges and symbols.env is None:
        raise SerializationError("range_constraints names symbols that no size or value in the graph uses")
    if symbols.env is not None:
        symbols.set_ranges(ranges)
        _name_sources(symbols.env, reader.graph)
    verifiers = model.get("verifiers") or ["TRAINING"]
    dialect = verifiers[0] if isinstance(verifiers, list) and verifiers else "TRAINING"
    if dialect not in ("TRAINING", "ATEN"):
        raise SerializationError(f"verifiers: unknown dialect {dialect!r}")
    signature = ExportGraphSignature(input_specs, output_specs)
    gm = GraphModule(reader.subgraphs, reader.graph)
    range_constraints = {}
    if symbols.env is not None:
        range_constraints = {symbols.symbol(name): symbols.env.var_to_range[symbols.symbol(name)] for name in ranges}
    try:
        ep = ExportedProgram(gm, reader.graph, signature, state_dict, range_constraints, call_graph, None, constants,
                             dialect=dialect, preserved_ops=_non_core(gm) if dialect == "ATEN" else (),
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
            if getattr(size, "_is_symbolic", False) and size.expr.is_Symbol and \
                    env.var_to_source.get(size.expr) == str(size.expr):
                env.var_to_source[size.expr] = f"{node.name}.size()[{d}]"


def _meta_val(node):
    """Ops whose outputs the archive does not describe (e.g. `()`-returning asserts)."""
    return None


def _non_core(gm):
    """Non-core ops an ATEN archive keeps (in the graph and its subgraphs)."""
    from ..ops.core import is_core
    ops = frozenset(n.target for n in gm.graph.nodes if n.op == "call_function" and hasattr(n.target, "kernel")
                    and not getattr(n.target, "_is_higher_order_op", False) and not is_core(n.target))
    return ops.union(*(_non_core(sub) for sub in gm.subgraph_modules()))
