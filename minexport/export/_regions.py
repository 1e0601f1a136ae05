"""Grad-mode and autocast regions, kept in the exported program as torch's training IR keeps them.

While export traces, each setting of the grad mode (no_grad, enable_grad, set_grad_enabled: entering and
leaving, changed or not) and each entry into and exit from an autocast context adds a marker node to the
graph being traced.  After the trace, `outline` replaces the markers by higher-order calls, as torch does:

* grad mode: the graph is cut at every grad marker; each stretch run in a grad mode other than the one the
  trace started with (an empty one too) becomes a subgraph `submod_<i>` called by
  `wrap_with_set_grad_enabled(mode, submod_<i>, *inputs)`; the other stretches stay in line;
* autocast: each enter..exit pair of one graph becomes `wrap_with_autocast(device_type, dtype, enabled,
  cache_enabled, submod_<i>, *inputs)`, the pairs inside it handled within its subgraph.

A region's inputs are the values made before it that its nodes read (first read first); it returns a tuple of
its values read after it (first read first), each read back through a getitem.  Names follow torch: one result
is read by a `getitem` from a call named after it; several keep their own names on their getitems.  Size reads
(sym_size) made inside a region move in front of it, where torch's trace makes them.  run_decompositions()
puts the regions' ops back in line: torch's core IR has no such calls.
"""
import operator

from ..fx.graph import Graph
from ..ops import aten
from ..ops.higher_order import wrap_with_autocast, wrap_with_set_grad_enabled

__all__ = ["grad_mark", "autocast_enter_mark", "autocast_exit_mark", "outline", "INLINED"]

# the region calls run_decompositions() puts back in line
INLINED = (wrap_with_set_grad_enabled, wrap_with_autocast)


def grad_mark(enabled):
    """Marker target: the traced code set the grad mode to `enabled` here (`outline` removes it)."""


def autocast_enter_mark(device_type, dtype, enabled, cache_enabled):
    """Marker target: the traced code entered an autocast context here (`outline` removes it)."""


def autocast_exit_mark():
    """Marker target: the traced code left the autocast context entered last (`outline` removes it)."""


_MARKS = (grad_mark, autocast_enter_mark, autocast_exit_mark)


def _is_mark(node, marks=_MARKS):
    return node.op == "call_function" and node.target in marks


def outline(subgraphs, graph, grad_at_start):
    """Replace the markers of `graph`, and of every subgraph below it, by region calls.  `subgraphs` maps a graph
    to its {attribute name: subgraph} (the tracer's table, extended here); `grad_at_start` is the grad mode the
    trace started in.  Returns {old name: new name} of graph's values now read through a getitem of another
    name (for the signature, which names them)."""
    for sub in list(subgraphs.get(graph, {}).values()):
        outline(subgraphs, sub, grad_at_start)
    renames = {}
    if not any(_is_mark(n) for n in graph.nodes):
        return renames
    for sub in _grad_regions(subgraphs, graph, grad_at_start, renames):
        _autocast_regions(subgraphs, sub, {})
    _autocast_regions(subgraphs, graph, renames)
    return renames


# ---------------------------------------------------------------- grad mode --
def _grad_regions(subgraphs, graph, grad_at_start, renames):
    """Cut graph at its grad markers; the stretches in another mode than grad_at_start become region calls.
    Returns the new subgraphs."""
    stretches, mode, opener, current = [], grad_at_start, None, []
    for n in list(graph.nodes):
        if _is_mark(n, (grad_mark,)):
            stretches.append((mode, opener, current))
            mode, opener, current = n.args[0], n, []
        elif n.op in ("call_function", "get_attr"):      # an autocast marker too: its region goes along
            current.append(n)
    stretches.append((mode, opener, current))
    made = [_outline(subgraphs, graph, nodes, opener, wrap_with_set_grad_enabled, (mode,), renames)
            for mode, opener, nodes in stretches if mode != grad_at_start]
    for n in list(graph.nodes):
        if _is_mark(n, (grad_mark,)):
            graph.erase_node(n)
    return made


# ----------------------------------------------------------------- autocast --
def _autocast_regions(subgraphs, graph, renames):
    """Each outermost enter..exit pair of graph becomes a region call (pairs inside it, inside its subgraph);
    a marker without its partner in this graph is dropped."""
    depth, opener, inside, pairs = 0, None, [], []
    for n in list(graph.nodes):
        if _is_mark(n, (autocast_enter_mark,)):
            if depth == 0:
                opener, inside = n, []
            else:
                inside.append(n)
            depth += 1
        elif _is_mark(n, (autocast_exit_mark,)) and depth > 0:
            depth -= 1
            if depth == 0:
                pairs.append((opener, n, inside))
            else:
                inside.append(n)
        elif depth > 0 and n.op in ("call_function", "get_attr"):
            inside.append(n)
    for enter, leave, nodes in pairs:
        sub = _outline(subgraphs, graph, nodes, enter, wrap_with_autocast, enter.args, renames)
        graph.erase_node(leave)
        graph.erase_node(enter)
        _autocast_regions(subgraphs, sub, {})
    for n in list(graph.nodes):
        if _is_mark(n, (autocast_enter_mark, autocast_exit_mark)):
            graph.erase_node(n)


# ------------------------------------------------------------------ outlining --
def _outline(subgraphs, graph, nodes, opener, hop, leading, renames):
    """Move `nodes` (consecutive, right after the marker `opener`) into a new subgraph called by
    `hop(*leading, subgraph, *inputs)`, placed where `opener` is; returns the subgraph.  `renames` gets
    {output's name: its getitem's name}."""
    nodes = [n for n in nodes if not _hoisted(n, opener)]
    inside = set(nodes)
    inputs = list(dict.fromkeys(a for n in nodes for a in n.all_input_nodes if a not in inside))
    outputs = _outputs(graph, nodes, inside)
    sub = _subgraph(nodes, inputs, outputs)
    attrs = subgraphs.setdefault(graph, {})
    for n in nodes:             # a cond branch (or an inner region) read inside moves along with its reader
        if n.op == "get_attr" and n.target in attrs:
            subgraphs.setdefault(sub, {})[n.target] = attrs.pop(n.target)
    name = _free_attr(attrs, "submod")
    attrs[name] = sub
    where = opener.next
    # the call (and its get_attr) belong to the module the region started in, as torch records them
    stack = {"nn_module_stack": opener.meta["nn_module_stack"]} if "nn_module_stack" in opener.meta else {}
    with graph.inserting_before(where):
        attr = graph.get_attr(name, name=name, meta=dict(stack))
        meta = {"val": tuple(o.meta.get("val") for o in outputs), **stack}
        call = graph.call_function(hop, (*leading, attr, *inputs), meta=meta)
        reads = [graph.call_function(operator.getitem, (call, i), meta=dict(o.meta)) for i, o in enumerate(outputs)]
    for o, read in zip(outputs, reads):
        o.replace_all_uses_with(read, delete_user_cb=lambda user: user not in inside)
    for n in reversed(nodes):
        graph.erase_node(n)
    _name_as_torch(graph, call, reads, outputs, hop, nodes)
    for o, read in zip(outputs, reads):
        renames[renames_key(renames, o.name)] = read.name
    return sub


def renames_key(renames, name):
    """The original name a value now called `name` had (values renamed twice keep their first name as key)."""
    return next((old for old, new in renames.items() if new == name), name)


def _hoisted(node, opener):
    """A size read (sym_size of a value made before the region) moves in front of the region, where torch's
    trace makes it; True when it moved."""
    if node.op != "call_function" or node.target is not aten.sym_size.int:
        return False
    opener.prepend(node)
    return True


def _outputs(graph, nodes, inside):
    """The region's values read after it, in the order of their first reading."""
    position = {n: i for i, n in enumerate(graph.nodes)}
    first_read = {}
    for n in nodes:
        outside = [position[u] for u in n.users if u not in inside]
        if outside:
            first_read[n] = min(outside)
    return sorted(first_read, key=first_read.__getitem__)


def _subgraph(nodes, inputs, outputs):
    """A graph of copies of `nodes` reading `inputs` through placeholders named after them, returning `outputs`
    (a tuple)."""
    sub = Graph()
    env = {}
    for a in inputs:
        env[a] = sub.placeholder(a.name, meta={"val": a.meta.get("val")})
    for n in nodes:
        env[n] = sub.node_copy(n, env.__getitem__)
    sub.output(tuple(env[o] for o in outputs))
    return sub


def _free_attr(attrs, prefix):
    """`<prefix>_<i>`, i from 1, not yet an attribute name of the graph."""
    i = 1
    while f"{prefix}_{i}" in attrs:
        i += 1
    return f"{prefix}_{i}"


def _name_as_torch(graph, call, reads, outputs, hop, moved):
    """torch's names: one result is read by `getitem` from a call named after it; several results keep their
    names on their getitems, the call named after the op; no result, the call named after the op."""
    if len(outputs) == 1:
        graph.rename_node(call, outputs[0].name, moved)
        graph.rename_node(reads[0], "getitem", moved)
        return
    graph.rename_node(call, hop.name(), moved)
    for read, o in zip(reads, outputs):
        graph.rename_node(read, o.name, moved)
