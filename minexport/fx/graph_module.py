"""`GraphModule`: a Module that holds a Graph, and the Python text of that graph.

`code` renders the graph as torch.fx does (`torch.ops.aten.add.Tensor(x, y)`,
`max_1[0]` for getitem, `;  x = None` after a value's last use);
`print_readable()` adds each value's annotation (`"f32[10, 10]"`) and a
`# File: ...` line for each new source location.  The text is for reading
and comparing; nothing ever executes it: `GraphRunner` runs the graph.
"""
import builtins
import contextlib
import copy
import math
import operator

from .. import dtypes as dt
from .._tensor import Tensor
from .._symbolic_marker import is_symbolic
from ..nn.module import Module
from ..ops._targets import target_kind
from ..runtime.backends import device as _device
from ..utils import _pytree as pytree
from .graph import Graph, Node, frame_line, get_attr_path, last_uses, map_arg
from ._runner import GraphRunner

__all__ = ["GraphModule", "format_value", "annotation"]

_DTYPE_ABBR = {dt.float16: "f16", dt.bfloat16: "bf16", dt.float32: "f32", dt.float64: "f64", dt.uint8: "u8",
               dt.int8: "i8", dt.int16: "i16", dt.int32: "i32", dt.int64: "i64", dt.bool: "b8"}


def annotation(val):
    """The type annotation torch prints for a node's value: "f32[2, 3]", "Sym(s0)", or None."""
    if isinstance(val, Tensor):
        return f'"{_DTYPE_ABBR[val.dtype]}[{", ".join(str(s) for s in val.shape)}]"'
    if isinstance(val, (list, tuple)) or val is None:
        return None
    if is_symbolic(val):       # a symbolic int
        return f'"Sym({val.expr})"'
    return None


_BUILTIN_NAMES = set(dir(builtins))


def _renamed(node):
    return f"{node.name}_1" if node.op == "placeholder" and node.name in _BUILTIN_NAMES else node.name


def format_value(v):
    """An argument as torch.fx writes it."""
    if isinstance(v, Node):
        return _renamed(v)
    if isinstance(v, dt.dtype):
        return f"torch.{v.name}"
    if isinstance(v, _device):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    if isinstance(v, tuple):
        inner = ", ".join(format_value(x) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if math.isnan(v):
            return "nan"
    if isinstance(v, str) and v in _ENUM_NAMES:
        return _ENUM_NAMES[v]
    return repr(v)


_ENUM_NAMES = {"strided": "torch.strided", "contiguous_format": "torch.contiguous_format",
               "channels_last": "torch.channels_last", "channels_last_3d": "torch.channels_last_3d",
               "preserve_format": "torch.preserve_format"}


_INFIX = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.floordiv: "//", operator.mod: "%",
          operator.truediv: "/", operator.eq: "==", operator.ne: "!=", operator.lt: "<", operator.le: "<=",
          operator.gt: ">", operator.ge: ">="}


def _call_text(node):
    if node.target is operator.getitem:
        return f"{format_value(node.args[0])}[{format_value(node.args[1])}]"
    if node.target in _INFIX and len(node.args) == 2:
        return f"{format_value(node.args[0])} {_INFIX[node.target]} {format_value(node.args[1])}"
    target = node.target
    kind = target_kind(target)
    if kind == "op":
        fn = f"torch.ops.{target}"
    elif kind == "higher_order":
        fn = target.qualified_name
    else:
        fn = getattr(target, "_torch_name", None) or getattr(target, "__qualname__", None) or str(target)
        module = getattr(target, "__module__", None)
        if module in ("_operator", "operator"):
            fn = f"operator.{fn}"
        elif module == "math":      # torch.fx's global name for it
            fn = f"math_{fn}"
    parts = [format_value(a) for a in node.args] + [f"{k} = {format_value(v)}" for k, v in node.kwargs.items()]
    return f"{fn}({', '.join(parts)})"


def _attr_path(base, path):
    """`self.a.b` for a dotted path, with `getattr(..., "0")` for parts that are no identifiers (as torch.fx)."""
    for atom in path.split("."):
        base = f"{base}.{atom}" if atom.isidentifier() else f'getattr({base}, "{atom}")'
    return base


def _arg_text(args, kwargs):
    return ", ".join([format_value(a) for a in args] + [f"{k} = {format_value(v)}" for k, v in kwargs.items()])


_RHS = {"get_attr": lambda n: _attr_path("self", n.target),
        "call_module": lambda n: f"{_attr_path('self', n.target)}({_arg_text(n.args, n.kwargs)})",
        "call_method": lambda n: f"{format_value(n.args[0])}.{n.target}({_arg_text(n.args[1:], n.kwargs)})"}


def python_code(graph, *, annotate=False):
    """The body of `def forward(...)` for graph, as torch.fx renders it."""
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    frees = last_uses(graph)
    params, body, prev_frame = [], [], None
    for p in placeholders:
        ann = annotation(p.meta.get("val")) if annotate else None
        params.append(f"{p.name}: {ann}" if ann else p.name)
        if p.name in _BUILTIN_NAMES:  # torch.fx rebinds a placeholder that shadows a builtin
            body.append(f"{_renamed(p)} = {p.name}")
    pytree_io = not annotate and _flat_positional(graph, len(placeholders))
    if pytree_io:        # as torch's pytree codegen writes a flat positional call of ep.module()
        names = ", ".join(p.name for p in placeholders)
        body.append(f"{names}, = fx_pytree.tree_flatten_spec(([{names}], {{}}), self._in_spec)")
    for n in graph.nodes:
        if n.op == "placeholder":
            continue
        if n.op == "output":
            result = format_value(n.args[0])
            body.append(f"return pytree.tree_unflatten({result}, self._out_spec)" if pytree_io else
                        f"return {result}")
            continue
        if annotate and n.meta.get("stack_trace"):
            frame = frame_line(n.meta["stack_trace"])
            if frame and frame != prev_frame:
                if body:
                    body.append("")
                body.append(frame)
                prev_frame = frame
        ann = annotation(n.meta.get("val")) if annotate else None
        lhs = f"{n.name}: {ann}" if ann else n.name
        rhs = _call_text(n) if n.op == "call_function" else _RHS[n.op](n)
        dead = [_renamed(v) for v in frees.get(n, [])]
        if not n.users:
            dead.append(n.name)
        line = f"{lhs} = {rhs}"
        if dead:
            line += ";  " + " = ".join(dead) + " = None"
        body.append(line)
    return params, body


def _flat_positional(graph, n):
    """The graph has pytree specs (ep.module()'s) for a call with n positional inputs and no kwargs."""
    specs = getattr(graph, "_pytree_specs", None)
    return specs is not None and n > 0 and pytree.tree_flatten((tuple(range(n)), {}))[1] == specs[0]


class _GraphSnapshot:
    """What `python_code` reads of a graph at one moment: each node's name, op, target and arguments."""

    __slots__ = ("_graph", "_specs", "_records")

    def __init__(self, graph):
        self._graph, self._specs = graph, graph._pytree_specs
        self._records = [(n, n.name, n.op, n.target, n._args, n._kwargs and dict(n._kwargs)) for n in graph.nodes]

    def graph(self):
        """The live graph when nothing in it changed since the snapshot; else a detached graph as it was."""
        live = self._graph
        if live._pytree_specs is self._specs and len(live.nodes) == len(self._records) and all(
                n is r[0] and n.name == r[1] and n.op == r[2] and n.target is r[3] and n._args is r[4]
                and n._kwargs == (r[5] or {}) for n, r in zip(live.nodes, self._records)):
            return live
        return self._rebuild()

    def _rebuild(self):
        g = Graph()
        g._pytree_specs = self._specs
        copies = {}

        def copy_of(x):       # an input outside the snapshot (an ill-formed graph) gets a stand-in of its name
            return copies.get(x) or copies.setdefault(x, Node(g, x.op, x.name, x.target))

        for node, name, op, target, args, kwargs in self._records:
            copies[node] = new = Node(g, op, name, target, map_arg(args, copy_of), map_arg(kwargs or {}, copy_of))
            g._insert(new)
        return g


class GraphModule(Module):
    """A Module whose forward is a Graph (see the module docstring).

    As torch.fx's: `code` and what `forward` runs are those of the graph at
    the last `recompile()` (the constructor and the `graph` setter call it),
    so edit the graph, then recompile.
    """

    def __init__(self, root, graph, class_name="GraphModule"):
        super().__init__()
        object.__setattr__(self, "_class_name", class_name)
        if isinstance(root, Module):
            for n in graph.nodes:
                if n.op in ("get_attr", "call_module"):
                    _copy_attr(root, self, n.target)
        elif isinstance(root, dict):
            for k, v in root.items():
                _set_attr(self, k, v)
        if "graph" in self._modules or "graph" in self._parameters or "graph" in self._buffers:
            self.graph = graph      # Module.__setattr__ refuses a Graph in place of a submodule (or tensor)
        else:       # what Module.__setattr__ does with any other value: the plain assignment (the setter runs)
            object.__setattr__(self, "graph", graph)

    def _get_name(self):
        return self._class_name

    @property
    def graph(self):
        """The graph; setting a new one takes ownership of it and recompiles."""
        return self._graph

    @graph.setter
    def graph(self, g):
        object.__setattr__(self, "_graph", g)
        g.owning_module = self
        self._mark_compiled()

    @contextlib.contextmanager
    def _set_replace_hook(self, f):
        """For the `with` block, call f(old_node, new_name, user) whenever a use of a node is replaced."""
        if not callable(f):
            raise AssertionError("Replace hook must be a callable.")
        hooks = self.__dict__.setdefault("_replace_hooks", [])
        hooks.append(f)
        try:
            yield
        finally:
            hooks.remove(f)

    def recompile(self):
        """Regenerate `code` and what `forward` runs from the current graph; returns the code."""
        self._mark_compiled()
        return self.code

    def _mark_compiled(self):
        # The text is written when `code` is first read (export makes a GraphModule per program, and most are
        # never printed).  A snapshot of what the text depends on (each node's name, op, target and arguments)
        # keeps `code` showing the graph as of this call even if the graph is edited later without a
        # recompile, as torch.fx's does.
        # Written straight into __dict__: what object.__setattr__ does for a name no class of the MRO defines
        # as a descriptor (these private names are no properties), minus a builtin call per name.
        attrs = self.__dict__
        attrs["_code"] = None
        attrs["_code_snapshot"] = _GraphSnapshot(self._graph)
        attrs["_runner"] = None

    @property
    def code(self):
        """The graph as Python source as of the last recompile, character for character as torch.fx writes it
        (ending in an indented empty line without a final newline)."""
        if self._code is None:
            params, body = python_code(self._code_snapshot.graph())
            object.__setattr__(self, "_code", "\n\n\ndef forward(self" + "".join(", " + p for p in params)
                               + "):\n" + "".join("    " + line + "\n" for line in body) + "    ")
        return self._code

    def print_readable(self, print_output=True, include_stride=False, include_device=False, colored=False):
        """The graph as an annotated class definition, as torch prints it."""
        params, body = python_code(self.graph, annotate=True)
        text = (f"class {self._class_name}(torch.nn.Module):\n"
                f"    def forward(self" + "".join(", " + p for p in params) + "):\n"
                + "".join(("        " + line if line else "") + "\n" for line in body))
        for sub in self.subgraph_modules():      # cond branches, map bodies: nested classes, as torch prints them
            inner = sub.print_readable(print_output=False)
            text += "\n" + "".join(("    " + line if line else "") + "\n" for line in inner.splitlines())
        if print_output:
            print(text)
        return text

    def subgraph_modules(self):
        """The GraphModules this graph reads with get_attr (higher-order ops' subgraphs), in first-use order."""
        seen = {}
        for n in self.graph.nodes:
            if n.op == "get_attr" and n.target not in seen:
                value = get_attr_path(self, n.target)
                if isinstance(value, GraphModule):
                    seen[n.target] = value
        return list(seen.values())

    # -- submodules ------------------------------------------------------------
    def add_submodule(self, target, m):
        """Install module m at dotted path `target`, making empty Modules for missing parents; False when a
        parent on the path is not a Module."""
        *path, leaf = target.split(".")
        mod = self
        for item in path:
            sub = getattr(mod, item, None)
            if sub is None:
                sub = Module()
                mod.add_module(item, sub)
            if not isinstance(sub, Module):
                return False
            mod = sub
        mod.add_module(leaf, m)
        return True

    def delete_submodule(self, target):
        """Remove the submodule at dotted path `target`; False when there is none."""
        *path, leaf = target.split(".")
        mod = self
        for item in path:
            mod = getattr(mod, item, None)
            if not isinstance(mod, Module):
                return False
        if not isinstance(mod._modules.get(leaf), Module):
            return False
        delattr(mod, leaf)
        return True

    def delete_all_unused_submodules(self):
        """Remove every submodule the graph neither calls (call_module) nor reads (get_attr), nor holds
        anything it does, as torch.fx."""
        used = set()
        for node in self.graph.nodes:
            if node.op in ("call_module", "get_attr"):
                fullpath = node.target.split(".")
                # the target and every parent on its path are used
                used.update(".".join(fullpath[:i]) for i in range(1, len(fullpath) + 1))
                if node.op == "call_module":      # a called module keeps everything below it
                    sub = self.get_submodule(node.target)
                    used.update(f"{node.target}.{name}" for name, _ in sub.named_modules() if name)
        for name, _ in list(self.named_modules()):
            if name and name not in used:
                self.delete_submodule(name)

    def forward(self, *args):
        """Run the graph (as of the last recompile) on its inputs (placeholders in order)."""
        runner = self._runner
        if runner is None:
            runner = GraphRunner(self._graph, self, python_on_tensors=True)
            object.__setattr__(self, "_runner", runner)
        return runner.run(*args)

    def __deepcopy__(self, memo):
        """A copy owning a copy of the graph (recompiled), with deep copies of the attributes."""
        res = type(self).__new__(type(self))
        memo[id(self)] = res
        for key, value in self.__dict__.items():
            if key not in ("_runner", "_code", "_code_snapshot"):
                object.__setattr__(res, key, copy.deepcopy(value, memo))
        res._graph.owning_module = res
        res._mark_compiled()
        return res

    def __repr__(self):
        return Module.__repr__(self) + "\n" + self.code


def _copy_attr(src, dst, target):
    _set_attr(dst, target, get_attr_path(src, target))


def _set_attr(dst, target, value):
    *path, leaf = target.split(".")
    mod = dst
    for part in path:
        if not hasattr(mod, part) or not isinstance(getattr(mod, part), Module):
            mod.add_module(part, Module())
        mod = getattr(mod, part)
    if isinstance(value, Module):
        mod.add_module(leaf, value)
    else:
        setattr(mod, leaf, value)
