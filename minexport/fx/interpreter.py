"""Run a Graph on arrays, calling each op's registered kernel.

The graph is compiled once: `compile_graph` lays out a step per node (the
kernel to call, its arguments, the values that die there), and the
Interpreter turns those steps into one generated Python function whose
local variables are the graph's values, so a run costs one call per node
and nothing else (see `_generate`).  Each intermediate is dropped after its
last use, so peak memory follows the graph's liveness, and a unary op whose
input is a fresh intermediate read by nobody else (not a view, not an input
or weight) computes into that input's memory (`OpOverload.donating_kernel`).
A kernel error is re-raised naming the node and the user's source line that
produced it.
"""
from .._tensor import Tensor, make_tensor
from ..ops._targets import target_kind
from ..runtime import backends
from .graph import Graph, Node, frame_line, get_attr_path, last_uses

__all__ = ["Interpreter", "GraphRunError", "compile_graph"]


class GraphRunError(RuntimeError):
    """A kernel failed while running a graph; the message names the node and source line."""


class _Step:
    """One node to run: `fn(*args, **kwargs)` (with `xp` first when `is_kernel`), result into slot `out`.

    `args`/`kwargs` are the node's own, Nodes included; `free` lists the slots
    whose last reader this step is.  The output step has `fn` None.
    """
    __slots__ = ("node", "fn", "args", "kwargs", "out", "free", "is_kernel")


def compile_graph(graph):
    """Steps and slot layout for `graph` (placeholders take slots 0..n-1)."""
    nodes = graph.nodes
    slot_of = {n: i for i, n in enumerate(nodes)}
    frees = last_uses(graph)
    steps = []
    placeholders = [n for n in nodes if n.op == "placeholder"]
    for n in nodes:
        if n.op == "placeholder":
            continue
        s = _Step()
        s.node, s.out, s.args, s.kwargs = n, slot_of[n], n.args, n.kwargs
        s.free = tuple(slot_of[v] for v in frees.get(n, ()) if v.op != "output")
        if n.op == "output":
            s.fn, s.is_kernel = None, False
        elif n.op == "get_attr":        # a subgraph (cond branch, map body): passed to the op as a runner
            value = _subgraph_runner(get_attr_path(graph.owning_module, n.target))
            s.fn, s.is_kernel, s.args, s.kwargs = (lambda v=value: v), False, (), {}
        elif n.op == "call_function":
            s.fn, s.is_kernel = _callable(n)
        else:
            raise NotImplementedError(f"cannot run node {n.name} with op {n.op}")
        steps.append(s)
    return placeholders, steps, len(nodes)


def _callable(node):
    """(function, takes xp first) for a call_function node: the op's kernel (donating when safe) or the target."""
    target = node.target
    kind = target_kind(target)
    kernel = target.kernel if kind in ("op", "higher_order") else None
    if kind == "op" and target.donating_kernel is not None and _can_donate(node):
        kernel = target.donating_kernel
    return (kernel, True) if kernel is not None else (target, False)


def _subgraph_runner(value):
    """A GraphModule as a function of arrays (what higher-order kernels call); other attributes as they are."""
    if not isinstance(getattr(value, "graph", None), Graph):
        return value
    interpreter = Interpreter(value.graph, value)
    return lambda *arrays: interpreter.run_arrays(*arrays)


def _can_donate(node):
    """node may overwrite its first input: a fresh intermediate (no view, no other reader) of the same type."""
    src = node.args[0] if node.args else None
    if not isinstance(src, Node) or src.op != "call_function" or len(src.users) != 1:
        return False
    if target_kind(src.target) != "op" or src.target.tags & {"view", "inplace", "may_alias"}:
        return False
    a, b = src.meta.get("val"), node.meta.get("val")
    return isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype is b.dtype and \
        tuple(a.shape) == tuple(b.shape)


# ------------------------------------------------------------ code generation --
# Why generate code: walking a list of steps costs, per node, attribute loads,
# one small function call per argument, a fresh args list and kwargs dict, and
# list stores -- about a microsecond, as much as a small kernel.  A generated
# function keeps each value in a local variable (`v3`), reads arguments
# directly, and frees a value by rebinding its variable to None.
#
# Trust: the source text holds only names we make up from integers (`v3` a
# value, `f3` a function, `c7` a constant, `x` the array namespace) and Python
# punctuation.  Every object the graph brings -- kernels, constants, kwarg
# names, types -- is bound in the function's globals under such a name, never
# written into the text, so nothing read from an archive can become code.
# The globals have no builtins.
#
# Errors: each step is one source line, so the line of the generated frame in
# a traceback names the failed node; no per-node bookkeeping is needed.

class _Source:
    """The generated text and the objects its names stand for."""

    def __init__(self):
        self.names = {"__builtins__": {}}
        self.lines = []
        self.line_nodes = {}        # line number (1-based) -> the node that line runs

    def bind(self, prefix, value):
        """A fresh global name for value."""
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def expr(self, value, slot_of):
        """Source text that evaluates to `value` at run time (Nodes read from their variables)."""
        if isinstance(value, Node):
            return f"v{slot_of[value]}"
        if isinstance(value, (list, tuple)) and _has_node(value):
            items = "".join(self.expr(v, slot_of) + ", " for v in value)
            if type(value) is list:
                return f"[{items}]"
            if type(value) is tuple:
                return f"({items})"
            return f"{self.bind('c', type(value))}(({items}))"
        return self.bind("c", value)

    def call(self, step, slot_of):
        """`f(x, a, b, **{k: v})` for a step."""
        parts = ["x"] if step.is_kernel else []
        parts += [self.expr(a, slot_of) for a in step.args]
        if step.kwargs:
            if _has_node(step.kwargs.values()):
                parts.append("**{" + ", ".join(f"{self.bind('c', k)}: {self.expr(v, slot_of)}"
                                               for k, v in step.kwargs.items()) + "}")
            else:
                parts.append("**" + self.bind("c", dict(step.kwargs)))
        return f"{self.bind('f', step.fn)}({', '.join(parts)})"


def _has_node(values):
    return any(isinstance(v, Node) or (isinstance(v, (list, tuple)) and _has_node(v)) for v in values)


def _generate(placeholders, steps):
    """(the graph as one function `run(x, v0, v1, ...)`, line number -> node)."""
    src = _Source()
    slot_of = {p: i for i, p in enumerate(placeholders)}
    for s in steps:
        slot_of[s.node] = s.out
    src.lines.append("def run(x" + "".join(f", v{i}" for i in range(len(placeholders))) + "):")
    for s in steps:
        if s.fn is None:
            line = f"return {src.expr(s.args[0], slot_of)}"
        else:
            call = src.call(s, slot_of)
            line = f"v{s.out} = {call}" if s.node.users else call
            if s.free:
                line += "; " + " = ".join(f"v{i}" for i in s.free) + " = None"
        src.lines.append("    " + line)
        src.line_nodes[len(src.lines)] = s.node
    if not steps or steps[-1].fn is not None:
        src.lines.append("    return None")
    code = compile("\n".join(src.lines) + "\n", "<minexport graph>", "exec")
    exec(code, src.names)       # the text holds only generated names (see above)
    return src.names["run"], src.line_nodes


def _failed_node(tb, code, line_nodes):
    """The node whose line of the generated function the traceback passes through, or None."""
    while tb is not None:
        if tb.tb_frame.f_code is code:
            return line_nodes.get(tb.tb_lineno)
        tb = tb.tb_next
    return None


class Interpreter:
    """Runs a Graph with arrays (NumPy or CuPy) as values."""

    def __init__(self, graph, module=None):
        self.graph = graph
        self.module = module
        self.placeholders, self.steps, self.n_slots = compile_graph(graph)
        self._run, self._line_nodes = _generate(self.placeholders, self.steps)

    def run_arrays(self, *inputs, xp=None):
        """Run on arrays (one per placeholder); returns the output structure with arrays."""
        if len(inputs) != len(self.placeholders):
            raise TypeError(f"the graph takes {len(self.placeholders)} inputs "
                            f"({', '.join(p.name for p in self.placeholders)}), got {len(inputs)}")
        if xp is None:
            xp = _namespace_of(inputs)
        try:
            return self._run(xp, *inputs)
        except GraphRunError:
            raise
        except Exception as e:
            node = _failed_node(e.__traceback__, self._run.__code__, self._line_nodes)
            if node is None:
                raise
            raise GraphRunError(_describe_failure(node, e)) from e

    def run(self, *inputs):
        """Run on tensors (or arrays); tensors in the outputs come back as Tensors."""
        arrays = [x._require_data("running a graph") if isinstance(x, Tensor) else x for x in inputs]
        out = self.run_arrays(*arrays)
        return _wrap(out)


def _wrap(value):
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, Tensor):
        return make_tensor(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_wrap(v) for v in value)
    return value


def _namespace_of(inputs):
    for x in inputs:
        if hasattr(x, "shape") and hasattr(x, "dtype"):
            return backends.array_namespace(x)
    return backends.np


def _describe_failure(node, error):
    where = ""
    trace = node.meta.get("stack_trace")
    if trace:
        frame = frame_line(trace)
        if frame:
            where = "\n  from the user's code: " + frame[2:]
    target = f"torch.ops.{node.target}" if target_kind(node.target) == "op" else \
        getattr(node.target, "__name__", str(node.target))
    return f"while running node '{node.name}' ({target}): {type(error).__name__}: {error}{where}"
