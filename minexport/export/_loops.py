"""Tracing while_loop and scan into subgraphs (the tracer's side of `minexport._loops`).

Each body is traced once on fresh fakes shaped like its inputs, with the
machinery cond and map use (`_control_flow.trace_subgraph`): tensors read from
outside are lifted into `additional_inputs`.  As torch records them, a loop
subgraph's placeholders are named `arg0_1, arg1_1, ...` (carried values, then
the scanned slices, then the lifted ones), and the loop's outputs must keep
the carried values' shapes and dtypes, since the next iteration reads them.
A while_loop's carried ints become unbacked SymInts (see trace_while_loop).
"""
import operator

from .._symbolic_marker import is_symbolic
from .._tensor import Tensor, make_fake
from ..ops.higher_order import scan as scan_op, while_loop as while_op
from .._loops import check_same_meta
from ._control_flow import trace_subgraph
from .errors import UserError

__all__ = ["trace_while_loop", "trace_scan", "drop_unread_ints"]


def _torch_placeholder_names(graph):
    """Rename the subgraph's placeholders arg0_1, arg1_1, ... in order, as torch names a loop body's inputs."""
    for i, p in enumerate(n for n in graph.nodes if n.op == "placeholder"):
        name = f"arg{i}_1"
        if name != p.name and name not in graph._names:
            graph._names.discard(p.name)
            graph._names.add(name)
            p.name = p.target = name


def _stacked_layout(tracer, outs):
    """Torch's layout of while_loop outputs when an input requires grad (a parameter): autograd runs the
    loop keeping every iteration's values stacked, so each output is the last row of a stack of u0 >= 1
    iterations, at storage offset (u0 - 1) * numel.  The fakes (and the range constraints) say so too."""
    env = tracer.ensure_symbolic().env
    iterations = env.create_unbacked("while_loop's iteration count")
    env.narrow(iterations.expr, 1, None)
    for t in outs:
        t._offset = (iterations - 1) * t.numel()


def _is_int(value):
    """A carried int: a Python int or a SymInt (not a bool, not a tensor)."""
    return not isinstance(value, Tensor) and type(value) is not bool


def _carried_node(tracer, value):
    """What the while_loop node records for one carried value: a tensor's node, an int, a SymInt's node."""
    if isinstance(value, Tensor):
        return tracer.node_of(value)[0]
    return tracer.sym_node(value) if is_symbolic(value) else value


def _loop_outputs(tracer, node, outs):
    """The getitem nodes reading the loop's outputs, named as torch names them: a tensor's getitem_<i>
    (its index), an int's a later one (torch reads those again after binding their unbacked symbols)."""
    getitems = [tracer.graph.call_function(operator.getitem, (node, i), meta=tracer.node_meta(t, node))
                for i, t in enumerate(outs)]
    for i, t in enumerate(outs):
        if isinstance(t, Tensor):
            t._node = getitems[i]
            continue
        again = tracer.graph.call_function(operator.getitem, (node, i), meta=tracer.node_meta(t, node))
        getitems[i].prepend(again)
        tracer.graph.erase_node(getitems[i])     # its name stays taken, as in torch
        if tracer.branches:      # a loop inside a loop body or a cond branch: a symbol of that subgraph
            tracer.branches[-1].bind_symbol(t, again, tracer.symbolic.env)
        else:
            tracer.sym_nodes.cache[t.expr] = again
    return tuple(outs)


def trace_while_loop(tracer, cond_fn, body_fn, carried):
    """while_loop: cond_fn and body_fn traced once each, under one higher_order.while_loop node.

    A carried int (a Python int or a SymInt such as x.shape[0]) is, as torch
    records it, a fresh unbacked SymInt inside both subgraphs (u0, ...: the
    same one in cond and body) and another fresh one for the loop's output.
    """
    names = [tracer.node_of(t)[0].name if isinstance(t, Tensor) else f"arg{i}"
             for i, t in enumerate(carried)]       # for messages; renamed arg<i>_1 once traced
    ints = [i for i, t in enumerate(carried) if _is_int(t)]
    inputs = list(carried)
    if ints:
        env = tracer.ensure_symbolic().env
        for i in ints:
            inputs[i] = env.create_unbacked(f"while_loop's carried input {i}")
    cond_b, cond_out, _ = trace_subgraph(tracer, cond_fn, inputs, names, "while_loop's cond_fn", symbolic=True)
    if len(cond_out) != 1 or not (type(cond_out[0]).__name__ == "SymBool" or isinstance(cond_out[0], Tensor)
                                  and cond_out[0].dtype.name == "bool" and tuple(cond_out[0].shape) == ()):
        got = [f"{t.dtype.name}{list(t.shape)}" if isinstance(t, Tensor) else type(t).__name__ for t in cond_out]
        raise UserError(f"torch.while_loop: unsupported cond_fn return type: Expected cond_fn to return a scalar "
                        f"tensor or a bool but got {got[0] if len(got) == 1 else got}; return a 0-dim bool "
                        "tensor such as `i < n`")
    output = cond_b.graph.nodes[-1]
    output.args = (output.args[0][0],)         # torch's cond graph returns the one value itself
    body_b, body_out, _ = trace_subgraph(tracer, body_fn, inputs, names, "while_loop's body_fn", symbolic=True)
    check_same_meta("torch.while_loop", body_out, inputs, "body_fn_output", "carried_inputs")
    lifted = list(cond_b.lifted) + [n for n in body_b.lifted if n not in cond_b.lifted]
    for branch in (cond_b, body_b):
        branch.arrange(lifted)
        _torch_placeholder_names(branch.graph)
    attrs = [tracer.add_subgraph(p, b.graph) for p, b in (("while_loop_cond_graph", cond_b),
                                                          ("while_loop_body_graph", body_b))]
    carried_nodes = tuple(_carried_node(tracer, t) for t in carried)
    outs = [make_fake(t.shape, t.dtype, t.device) if isinstance(t, Tensor)
            else tracer.symbolic.env.create_unbacked(f"while_loop's output {i}") for i, t in enumerate(carried)]
    # only at the top level: inside another subgraph torch traces without autograd
    if not tracer.branches and any(getattr(getattr(n, "meta", {}).get("val"), "requires_grad", False)
                                   for n in carried_nodes + tuple(lifted)):
        if ints:     # torch's stacked (autograd) loop stacks every carried value, and an int cannot be stacked
            raise UserError(f"torch.while_loop: all carried_inputs must be tensors for stack_output, but carried "
                            f"input {ints[0]} is an int; with an input that requires grad (a parameter) torch "
                            "stacks every iteration's carried values. Carry it as a tensor: torch.tensor(n)")
        _stacked_layout(tracer, outs)
    node = tracer.graph.call_function(while_op, (*attrs, carried_nodes, tuple(lifted)), meta=tracer.node_meta(outs))
    if not ints:
        return tuple(tracer.bind_outputs(while_op, node, outs, ()))
    return _loop_outputs(tracer, node, outs)


def trace_scan(tracer, combine_fn, init, xs, n_steps):
    """scan over dim 0 of xs: combine_fn traced once on (carry, one slice of xs), under higher_order.scan.

    combine_fn takes the flat leaves and returns (carry leaves, y leaves) flat,
    with the number of carry leaves equal to len(init).
    """
    slices = [make_fake(tuple(x.shape[1:]), x.dtype, x.device) for x in xs]
    names = [tracer.node_of(t)[0].name for t in list(init) + list(xs)]
    branch, outs, _ = trace_subgraph(tracer, combine_fn, list(init) + slices, names, "scan's combine_fn")
    check_same_meta("torch.ops.higher_order.scan", outs[:len(init)], init, "carry", "init")
    lifted = list(branch.lifted)
    branch.arrange(lifted)
    _torch_placeholder_names(branch.graph)
    attr = tracer.add_subgraph("scan_combine_graph", branch.graph)
    init_nodes = [tracer.node_of(t)[0] for t in init]
    xs_nodes = [tracer.node_of(t)[0] for t in xs]
    results = [make_fake(t.shape, t.dtype, t.device) for t in init] + \
        [make_fake((n_steps, *t.shape), t.dtype, t.device) for t in outs[len(init):]]
    node = tracer.graph.call_function(scan_op, (attr, init_nodes, xs_nodes, tuple(lifted)),
                                      meta=tracer.node_meta(results))
    return tuple(tracer.bind_outputs(scan_op, node, results, ()))


def drop_unread_ints(graph):
    """Erase the getitems reading a while_loop's int outputs that nothing reads (torch drops them too)."""
    for node in [n for n in graph.nodes if n.op == "call_function" and n.target is operator.getitem]:
        src = node.args[0]
        if not node.users and getattr(src, "target", None) is while_op and is_symbolic(node.meta.get("val")):
            graph.erase_node(node)
