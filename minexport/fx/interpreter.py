"""Run a Graph on arrays, calling each op's registered kernel.

The graph is compiled once into a list of steps (kernel, argument getters,
slot to write); running it walks that list with no per-node lookups.  Each
intermediate is dropped after its last use, so peak memory follows the
graph's liveness, and a unary op whose input is a fresh intermediate read by
nobody else (not a view, not an input or weight) computes into that input's
memory (`OpOverload.donating_kernel`).  A kernel error is re-raised naming the node and the
user's source line that produced it.
"""
from .._tensor import Tensor, make_tensor
from ..ops._targets import target_kind
from ..runtime import backends
from .graph import Graph, Node, frame_line, get_attr_path, last_uses

__all__ = ["Interpreter", "GraphRunError", "compile_graph"]


class GraphRunError(RuntimeError):
    """A kernel failed while running a graph; the message names the node and source line."""


def _arg_reader(value, slot_of):
    """A function env -> the argument value, with Nodes read from their slots."""
    if isinstance(value, Node):
        i = slot_of[value]
        return lambda env: env[i]
    if isinstance(value, (list, tuple)) and any(isinstance(v, Node) for v in _flat(value)):
        readers = [_arg_reader(v, slot_of) for v in value]
        kind = type(value)
        return lambda env: kind(r(env) for r in readers)
    return lambda env: value


def _flat(value):
    for v in value:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


class _Step:
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
        s.node = n
        s.out = slot_of[n]
        s.free = tuple(slot_of[v] for v in frees.get(n, ()) if v.op != "output")
        if n.op == "output":
            s.fn, s.is_kernel = None, False
            s.args = _arg_reader(n.args[0], slot_of)
            s.kwargs = None
        elif n.op == "get_attr":        # a subgraph (cond branch, map body): passed to the op as a runner
            value = _subgraph_runner(get_attr_path(graph.owning_module, n.target))
            s.fn, s.is_kernel, s.args, s.kwargs = (lambda v=value: v), False, [], {}
        elif n.op == "call_function":
            target = n.target
            kind = target_kind(target)
            kernel = target.kernel if kind in ("op", "higher_order") else None
            if kind == "op" and target.donating_kernel is not None and _can_donate(n):
                kernel = target.donating_kernel
            s.is_kernel = kernel is not None
            s.fn = kernel if kernel is not None else target
            s.args = [_arg_reader(a, slot_of) for a in n.args]
            s.kwargs = {k: _arg_reader(v, slot_of) for k, v in n.kwargs.items()}
        else:
            raise NotImplementedError(f"cannot run node {n.name} with op {n.op}")
        steps.append(s)
    return placeholders, steps, len(nodes)


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


class Interpreter:
    """Runs a Graph with arrays (NumPy or CuPy) as values."""

    def __init__(self, graph, module=None):
        self.graph = graph
        self.module = module
        self.placeholders, self.steps, self.n_slots = compile_graph(graph)

    def run_arrays(self, *inputs, xp=None):
        """Run on arrays (one per placeholder); returns the output structure with arrays."""
        if len(inputs) != len(self.placeholders):
            raise TypeError(f"the graph takes {len(self.placeholders)} inputs "
                            f"({', '.join(p.name for p in self.placeholders)}), got {len(inputs)}")
        env = [None] * self.n_slots
        env[: len(inputs)] = inputs
        if xp is None:
            xp = _namespace_of(inputs)
        for s in self.steps:
            if s.fn is None:
                return s.args(env)
            args = [r(env) for r in s.args]
            kwargs = {k: r(env) for k, r in s.kwargs.items()} if s.kwargs else {}
            try:
                env[s.out] = s.fn(xp, *args, **kwargs) if s.is_kernel else s.fn(*args, **kwargs)
            except (GraphRunError, KeyboardInterrupt):
                raise
            except Exception as e:
                raise GraphRunError(_describe_failure(s.node, e)) from e
            for i in s.free:
                env[i] = None
        return None

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


