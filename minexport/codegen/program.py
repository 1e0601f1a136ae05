"""Walk a graph and write it as one Python function over arrays, a line per node.

`ModuleText` gathers what the whole generated file needs (prelude helpers,
sub-functions for control flow); `_Writer` writes one graph: it names each
node's variable, renders arguments, decides which dead intermediates a
pointwise result may overwrite, and emits cond / map / while_loop / scan as
Python control flow over sub-functions written the same way.
"""
import keyword
import math

from .._tensor import Tensor
from ..fx.graph import Node, frame_line
from ..ops._targets import target_kind
from .emit import FRESH, Lines, rule_for

__all__ = ["CodegenError", "ModuleText"]

_RESERVED = {"xp", "np", "math", "os", "args", "forward", "W", "STATE", "IN_SPEC", "OUT_SPEC"}
_VIEW_TAGS = {"view", "may_alias"}


class CodegenError(ValueError):
    """The program holds something standalone code generation cannot write (named in the message)."""


def _op_name(target):
    kind = target_kind(target)
    if kind == "op":
        return f"{target.namespace}.{target.op_name}.{target.overload_name}"
    return getattr(target, "__name__", str(target))


def bind(node):
    """{argument name: value} of an op node, defaults filled in from its schema."""
    schema = node.target._schema
    out = {}
    for i, arg in enumerate(schema.arguments):
        if i < len(node.args) and not arg.kwarg_only:
            out[arg.name] = node.args[i]
        elif arg.name in node.kwargs:
            out[arg.name] = node.kwargs[arg.name]
        elif arg.has_default:
            out[arg.name] = arg.default
        else:
            out[arg.name] = None
    return out


class ModuleText:
    """What the generated file collects while its functions are written."""

    def __init__(self, graph_module, device):
        self.root, self.device = graph_module, device
        self.helpers = []          # prelude helper names, in first-use order
        self.functions = []        # source lines of sub-functions (cond branches, loop bodies)
        self._fn_names = set()

    def helper(self, name):
        """Ask for a prelude helper (and what it needs); its name."""
        from .prelude import NEEDS
        for dep in NEEDS.get(name, ()):
            self.helper(dep)
        if name not in self.helpers:
            self.helpers.append(name)
        return name

    def subfunction(self, gm, hint):
        """Write GraphModule gm as a module-level function; its name."""
        name = f"_{hint}"
        while name in self._fn_names:
            name += "_"
        self._fn_names.add(name)
        writer = _Writer(self, gm.graph, gm)
        self.functions.append(writer.function(name, doc=f"subgraph {hint}"))
        return name


class _Writer:
    """Writes one graph as a function body."""

    def __init__(self, module, graph, owner):
        self.module, self.graph, self.owner = module, graph, owner
        self.nodes = list(graph.nodes)
        self.names, used = {}, set(_RESERVED)
        for n in self.nodes:
            # a leading underscore is kept for module-level helpers (a node may be named `_softmax`)
            name = n.name if n.name.isidentifier() and not keyword.iskeyword(n.name) else f"v_{len(used)}"
            name = "v" + name if name.startswith("_") else name
            while name in used:
                name += "_"
            used.add(name)
            self.names[n] = name
        self.index = {n: i for i, n in enumerate(self.nodes)}
        self.last_use = {}
        for n in self.nodes:
            for inp in n.all_input_nodes:
                self.last_use[inp] = self.index[n]
        out = self.nodes[-1]
        self.outputs = set(out.all_input_nodes) if out.op == "output" else set()
        self.root = {}             # node -> the node owning its memory (views share their base's)
        self.members = {}          # root -> nodes sharing its memory
        for n in self.nodes:
            r = n
            if n.op == "call_function" and n.args and isinstance(n.args[0], Node) and self._is_view(n):
                r = self.root.get(n.args[0], n.args[0])
            self.root[n] = r
            self.members.setdefault(r, []).append(n)
        self._current = None

    # -- what the rules call ------------------------------------------------------------
    def _is_view(self, n):
        kind = target_kind(n.target)
        if kind == "operator":
            return n.target.__name__ == "getitem"
        if kind != "op":
            return False
        return bool(n.target.tags & _VIEW_TAGS) or n.target.is_view or \
            _op_name(n.target) in ("aten.flip.default", "aten.squeeze.dims", "aten.alias.default")

    def v(self, x):
        """Source text of an argument value."""
        if isinstance(x, Node):
            return self.names[x]
        if isinstance(x, (list, tuple)):
            return "[" + ", ".join(self.v(e) for e in x) + "]"
        if isinstance(x, float):
            if math.isinf(x):
                return "math.inf" if x > 0 else "-math.inf"
            if math.isnan(x):
                return "math.nan"
            return repr(x)
        if x is None or isinstance(x, (bool, int, str)):
            return repr(x)
        if hasattr(x, "numpy_dtype"):
            return self.dtype_text(x)
        raise CodegenError(f"node {self._current.name}: cannot write the argument {x!r} "
                           f"({type(x).__name__}) as Python source")

    def dtype_text(self, d):
        np_dtype = d.numpy_dtype
        if np_dtype is None or np_dtype.kind == "V" or d.name == "bfloat16":
            raise CodegenError(f"dtype {d} has no NumPy equivalent for generated code")
        return "xp.bool_" if np_dtype.kind == "b" else f"xp.{np_dtype.name}"

    def dt(self, node):
        """The node's result dtype, as source."""
        return self.dtype_text(node.meta["val"].dtype)

    def is_float(self, node):
        return node.meta["val"].dtype.is_floating_point

    def cast(self, x, node):
        """x as source, cast to node's result dtype when x is a tensor of another dtype."""
        text = self.v(x)
        val = x.meta.get("val") if isinstance(x, Node) else None
        want = node.meta["val"].dtype
        if isinstance(val, Tensor) and val.dtype is not want:
            return f"{text}.astype({self.dtype_text(want)})"
        return text

    def helper(self, name):
        return self.module.helper(name)

    def refuse(self, node, why):
        raise CodegenError(f"cannot generate code for node {node.name} ({_op_name(node.target)}): {why}")

    def donate(self, node, x, *others):
        """', out=x' when the result may be written into x's memory, else ''."""
        if not isinstance(x, Node) or x.op != "call_function" or self.root[x] is not x:
            return ""
        if target_kind(x.target) != "op" or _op_name(x.target) not in FRESH:
            return ""
        here = self.index[node]
        if any(self.last_use.get(m, -1) > here or m in self.outputs for m in self.members[x]):
            return ""
        if any(isinstance(o, Node) and o is not x and self.root.get(o) is x for o in others):
            return ""
        a, b = x.meta.get("val"), node.meta.get("val")
        if not (isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype is b.dtype and a.dim() > 0 and
                [str(s) for s in a.shape] == [str(s) for s in b.shape]):
            return ""
        return f", out={self.names[x]}"

    # -- writing ------------------------------------------------------------------------
    def hoistable(self, weights):
        """The view nodes that read only the given (never mutated) weights, directly or through other
        such views: they are the same on every call, so the module computes them once at load."""
        out = []
        done = set(weights)
        for n in self.nodes:
            if n.op == "call_function" and target_kind(n.target) == "op" and self._is_view(n) and \
                    n.all_input_nodes and all(i in done for i in n.all_input_nodes) and n not in self.outputs:
                done.add(n)
                out.append(n)
        return out

    def function(self, name, doc, params=None, prologue=(), finish=None, skip=()):
        """The source lines of `def name(params): ...` for this graph (without the nodes in `skip`)."""
        placeholders = [n for n in self.nodes if n.op == "placeholder"]
        params = [self.names[p] for p in placeholders] if params is None else params
        lines = [f"def {name}({', '.join(params)}):", f'    """{doc}"""', *("    " + p for p in prologue)]
        last_comment = None
        for n in self.nodes:
            if n.op in ("placeholder", "output") or n in skip:
                continue
            self._current = n
            comment = frame_line(n.meta["stack_trace"]) if n.meta.get("stack_trace") else None
            if comment and comment != last_comment:
                lines.append("    " + comment[:150])
                last_comment = comment
            lines.extend("    " + s for s in self.node_lines(n))
            dead = self._dead_after(n, skip)
            if dead:
                lines.append(f"    del {', '.join(dead)}")
        out = self.nodes[-1]
        self._current = out
        tail = finish(out) if finish is not None else [f"return {self.v(out.args[0])}"]
        lines.extend("    " + s for s in tail)
        return lines

    def _dead_after(self, n, skip):
        """Intermediate arrays read for the last time by n: dropped there, so peak memory follows liveness
        (a view keeps its base alive by itself)."""
        here = self.index[n]
        return [self.names[i] for i in n.all_input_nodes
                if self.last_use.get(i) == here and i.op == "call_function" and i not in skip
                and i not in self.outputs and isinstance(i.meta.get("val"), Tensor)]

    def node_lines(self, n):
        """The statements computing node n."""
        name = self.names[n]
        if n.op == "get_attr":
            value = getattr(self.owner, n.target) if hasattr(self.owner, n.target) else None
            if value is not None and hasattr(value, "graph"):
                self.names[n] = self.module.subfunction(value, n.target)
                return []
            self.refuse_get_attr(n)
        if n.op != "call_function":
            raise CodegenError(f"node {n.name}: {n.op} nodes cannot be written (only call_function)")
        kind = target_kind(n.target)
        if kind == "higher_order":
            return self.control_flow(n)
        rule = rule_for(n.target)
        if rule is None:
            raise CodegenError(f"no emit rule for {_op_name(n.target)} (node {n.name}): standalone code "
                               "generation covers the core ATen ops listed in spec/codegen.md; run "
                               "run_decompositions() first, or keep this op out of the program")
        result = rule(self, n, bind(n) if kind == "op" else {})
        if isinstance(result, Lines):
            return [s.replace("{out}", name) for s in result]
        return [f"{name} = {result}"]

    def refuse_get_attr(self, n):
        raise CodegenError(f"node {n.name}: get_attr of {n.target!r}, which is not a subgraph")

    def control_flow(self, n):
        """cond, map_impl, while_loop and scan as Python control flow over sub-functions."""
        name, op = self.names[n], getattr(n.target, "__name__", str(n.target))
        v = self.v
        if op == "cond":
            pred, t, f, ops = n.args
            return [f"{name} = tuple(({v(t)} if bool({v(pred)}) else {v(f)})(*{v(ops)}))"]
        if op == "map_impl":
            body, xs, extra = n.args
            rows = f"[tuple({v(body)}(*[x[i] for x in {v(xs)}], *{v(extra)})) for i in range({v(xs)}[0].shape[0])]"
            return [f"_rows = {rows}", f"{name} = tuple(xp.stack(col) for col in zip(*_rows))"]
        if op == "while_loop":
            cond, body, carried, extra = n.args
            return [f"{name} = tuple(xp.array(c, copy=True) if hasattr(c, 'shape') else c for c in {v(carried)})",
                    f"while bool(_first({v(cond)}(*{name}, *{v(extra)}))):",
                    f"    {name} = tuple({v(body)}(*{name}, *{v(extra)}))"]
        if op == "scan":
            combine, init, xs, extra = n.args
            k = len(init)
            return [f"_carry, _rows = tuple({v(init)}), []",
                    f"for i in range({v(xs)}[0].shape[0]):",
                    f"    _out = tuple({v(combine)}(*_carry, *[x[i] for x in {v(xs)}], *{v(extra)}))",
                    f"    _carry = _out[:{k}]",
                    f"    _rows.append(_out[{k}:])",
                    f"{name} = _carry + tuple(xp.stack(col) for col in zip(*_rows))"]
        raise CodegenError(f"node {n.name}: the higher-order op {op} has no emit rule (cond, map_impl, "
                           "while_loop and scan do)")
