"""Tracing cond and map into subgraphs (the tracer's side of `minexport.control_flow`).

A branch (or map's body) is traced into its own Graph while the tracer's
current graph is switched to it.  Its inputs are fresh fakes on
placeholders named after the outer operands.  A tensor from outside the
branch — a closure, a parameter, a buffer, a constant — is *lifted*: the
outer graph's node becomes an extra operand of the higher-order node and the
branch reads it through a placeholder of its own.  Both branches of a cond
get the same placeholder list (operands, then every lifted value in first-use
order), so one operand tuple serves both.
"""
from .._symbolic_marker import is_symbolic
from .._tensor import Tensor, make_fake
from ..fx.graph import Graph
from ..ops.higher_order import cond as cond_op, map_impl as map_op
from ..utils import _pytree as pytree
from .errors import UserError

__all__ = ["Branch", "trace_cond", "trace_map"]


class Branch:
    """One subgraph being traced: its graph, the graph it sits in, and the outer nodes it reads."""

    def __init__(self, graph, outer, what):
        self.graph, self.outer, self.what = graph, outer, what
        self.lifted = {}        # outer node -> this graph's placeholder
        self.sym_nodes = None   # SymNodes reading sizes of this graph's own inputs
        self.bound = set()      # symbols this graph reads from int placeholders (a while_loop's carried ints)

    def local_sym_node(self, value, env):
        """The node computing `value` from this subgraph's input sizes, or None if they do not determine it."""
        from ._symbolic import SymNodes
        if self.sym_nodes is None:
            self.sym_nodes = SymNodes(self.graph, env, {}, None)
        sources = self.sym_nodes.sources
        for n in self.graph.nodes:
            for d, size in enumerate(getattr(n.meta.get("val"), "shape", ()) if n.op == "placeholder" else ()):
                if is_symbolic(size) and env.simplify(size.expr).is_Symbol:
                    sources.setdefault(env.simplify(size.expr), (n, d))
        if not env.simplify(value.expr).free_symbols <= set(sources):
            return None
        return self.sym_nodes.node(value)

    def lift(self, node, val):
        """The placeholder through which this subgraph reads the outer `node`."""
        placeholder = self.lifted.get(node)
        if placeholder is None:
            placeholder = self.graph.create_node("placeholder", node.name, name=node.name, meta={"val": val})
            self.lifted[node] = placeholder
        return placeholder

    def bind_symbol(self, sym, placeholder, env):
        """Read the symbol `sym` (an int carried into a loop body) from `placeholder` of this subgraph."""
        from ._symbolic import SymNodes
        if self.sym_nodes is None:
            self.sym_nodes = SymNodes(self.graph, env, {}, None)
        self.sym_nodes.cache[sym.expr] = placeholder
        self.bound.add(sym.expr)
        self.sym_nodes.sources[sym.expr] = (placeholder, None)   # known here: local_sym_node may build on it

    def arrange(self, outer_nodes):
        """Placeholders in order: operands, then `outer_nodes` (lifting those not read here, unused)."""
        for node in outer_nodes:
            self.lift(node, node.meta.get("val"))
        lifted = set(self.lifted.values())
        nodes = self.graph.nodes
        operands = [n for n in nodes if n.op == "placeholder" and n not in lifted]
        nodes[:] = operands + [self.lifted[n] for n in outer_nodes] + [n for n in nodes if n.op != "placeholder"]

    def check_mutation(self, op, target):
        """Refuse an in-place op on one of this subgraph's inputs (torch forbids it in cond/map)."""
        base = target._base if target._base is not None else target
        node = getattr(base, "_node", None)
        if node is not None and (node.graph is not self.graph or node.op == "placeholder"):
            raise UserError(f"{self.what} mutates its input '{node.name}' with {op}; cond/map branches and loop "
                            "bodies must not mutate their inputs (or tensors they close over). Clone it first: "
                            "x = x.clone()")


def trace_subgraph(tracer, fn, inputs, names, what, symbolic=False):
    """Trace fn on fresh fakes shaped like `inputs`; returns (branch, output fakes, output pytree spec).

    With `symbolic` (while_loop's int carries), an input may be a SymInt: the
    subgraph reads it as is from a placeholder, and outputs may be SymInts,
    SymBools or ints, recorded as the nodes computing them.
    """
    graph = Graph()
    branch = Branch(graph, tracer.graph, what)
    fakes = []
    for value, name in zip(inputs, names):
        if not isinstance(value, Tensor):       # an unbacked SymInt standing for a carried int
            placeholder = graph.create_node("placeholder", name, name=name, meta={"val": value})
            branch.bind_symbol(value, placeholder, tracer.ensure_symbolic().env)
            fakes.append(value)
            continue
        fake = make_fake(value.shape, value.dtype, value.device)
        fake._node = graph.create_node("placeholder", name, name=name, meta={"val": fake})
        fakes.append(fake)
    tracer.branches.append(branch)
    tracer.graph = graph
    try:
        leaves, spec = pytree.tree_flatten(fn(*fakes))
        out_nodes = []
        for i, leaf in enumerate(leaves):
            if symbolic and not isinstance(leaf, Tensor) and (is_symbolic(leaf) or type(leaf) in (int, bool)):
                out_nodes.append(tracer.sym_node(leaf) if is_symbolic(leaf) else leaf)
                continue
            if not isinstance(leaf, Tensor):
                raise UserError(f"{what} must return tensors (or a pytree of tensors); output {i} is a "
                                f"{type(leaf).__name__}")
            node, _ = tracer.node_of(leaf)
            if node.op == "placeholder":
                raise UserError(f"{what} returns its input '{node.name}' unchanged; cond/map outputs may not alias "
                                f"inputs. Return a copy instead: {node.name}.clone()")
            out_nodes.append(node)
        graph.output(tuple(out_nodes))
    finally:
        tracer.graph = branch.outer
        tracer.branches.pop()
    return branch, leaves, spec


def _describe(t):
    return f"{t.dtype.name}[{', '.join(str(s) for s in t.shape)}]"


def trace_cond(tracer, pred, true_fn, false_fn, operands):
    """cond with a data-dependent predicate: both branches as subgraphs under one higher_order.cond node."""
    names = [tracer.node_of(t)[0].name for t in operands]
    true_b, true_out, true_spec = trace_subgraph(tracer, true_fn, operands, names, "cond's true branch")
    false_b, false_out, false_spec = trace_subgraph(tracer, false_fn, operands, names, "cond's false branch")
    if true_spec != false_spec:
        raise UserError(f"cond: the branches return different structures: true returns {true_spec}, "
                        f"false returns {false_spec}")
    for i, (a, b) in enumerate(zip(true_out, false_out)):
        if a.dtype is not b.dtype or [str(s) for s in a.shape] != [str(s) for s in b.shape]:
            raise UserError(f"cond: output {i} differs between the branches: {_describe(a)} (true) vs "
                            f"{_describe(b)} (false); both branches must return tensors of the same shape and dtype")
    lifted = list(true_b.lifted) + [n for n in false_b.lifted if n not in true_b.lifted]
    for branch in (true_b, false_b):
        branch.arrange(lifted)
    pred_node = tracer.node_of(pred)[0] if isinstance(pred, Tensor) else tracer.sym_node(pred)
    attrs = [tracer.add_subgraph(prefix, b.graph) for prefix, b in (("true_graph", true_b), ("false_graph", false_b))]
    operand_nodes = tuple(tracer.node_of(t)[0] for t in operands) + tuple(lifted)
    outs = [make_fake(t.shape, t.dtype, t.device) for t in true_out]
    node = tracer.graph.call_function(cond_op, (pred_node, *attrs, operand_nodes), meta=tracer.node_meta(outs))
    return pytree.tree_unflatten(list(tracer.bind_outputs(cond_op, node, outs, ())), true_spec)


def trace_map(tracer, body, xs, args):
    """map: the body traced once on one slice of xs, under a higher_order.map_impl node."""
    slices = [make_fake(tuple(x.shape[1:]), x.dtype, x.device) for x in xs]
    names = [tracer.node_of(t)[0].name for t in list(xs) + list(args)]
    branch, outs, spec = trace_subgraph(tracer, body, slices + list(args), names, "map's body")
    lifted = list(branch.lifted)
    branch.arrange(lifted)
    attr = tracer.add_subgraph("body_graph", branch.graph)
    xs_nodes = [tracer.node_of(t)[0] for t in xs]
    arg_nodes = [tracer.node_of(t)[0] for t in args] + lifted
    n = xs[0].shape[0]
    stacked = [make_fake((n, *t.shape), t.dtype, t.device) for t in outs]
    node = tracer.graph.call_function(map_op, (attr, xs_nodes, arg_nodes), meta=tracer.node_meta(stacked))
    return pytree.tree_unflatten(list(tracer.bind_outputs(map_op, node, stacked, ())), spec)
