"""`replace_pattern`: find every copy of a small graph in a GraphModule and put another in its place.

The pattern and the replacement are functions (or GraphModules), traced
with `symbolic_trace`; the pattern's inputs match any value, its nodes
match nodes with the same op, target and literal arguments, and its result
is the anchor from which a match is searched (backwards through the
inputs).  A match is used only when none of its inner nodes is read from
outside it, and matches never share nodes; each is replaced by a copy of the
replacement graph fed with the matched inputs (in order), inserted before
the anchor, and the GraphModule is recompiled.  What it returns is torch's
list of `Match(anchor, nodes_map)`.
"""
import dataclasses

from ._symbolic_trace import symbolic_trace
from .graph import Graph, Node
from .graph_module import GraphModule

__all__ = ["Match", "ReplacedPatterns", "replace_pattern", "replace_pattern_with_filters"]


@dataclasses.dataclass
class Match:
    """One replaced occurrence: the graph node that matched the pattern's result, and pattern node -> graph
    node for every pattern node."""
    anchor: Node
    nodes_map: dict


@dataclasses.dataclass
class ReplacedPatterns:
    """As Match, with the nodes the replacement added."""
    anchor: Node
    nodes_map: dict
    replacements: list


def _graph_of(fn):
    if isinstance(fn, GraphModule):
        return fn.graph
    if isinstance(fn, Graph):
        return fn
    return symbolic_trace(fn).graph


def _same_target(a, b):
    return a is b or (isinstance(a, str) and a == b)


def _match_arg(pa, ga, nodes_map, ignore_literals):
    """Pattern argument pa matches graph argument ga; extends nodes_map (returns False on a mismatch)."""
    if isinstance(pa, Node):
        return isinstance(ga, Node) and _match_node(pa, ga, nodes_map, ignore_literals)
    if isinstance(pa, (list, tuple)):
        return isinstance(ga, (list, tuple)) and len(pa) == len(ga) and \
            all(_match_arg(p, g, nodes_map, ignore_literals) for p, g in zip(pa, ga))
    if isinstance(ga, Node):
        return False
    return ignore_literals or (type(pa) is type(ga) and pa == ga)


def _match_node(pn, gn, nodes_map, ignore_literals):
    if pn in nodes_map:
        return nodes_map[pn] is gn
    if pn.op == "placeholder":
        nodes_map[pn] = gn
        return True
    if pn.op != gn.op or not _same_target(pn.target, gn.target) or len(pn.args) != len(gn.args) or \
            set(pn.kwargs) != set(gn.kwargs):
        return False
    nodes_map[pn] = gn
    return all(_match_arg(p, g, nodes_map, ignore_literals) for p, g in zip(pn.args, gn.args)) and \
        all(_match_arg(pn.kwargs[k], gn.kwargs[k], nodes_map, ignore_literals) for k in pn.kwargs)


def _find_matches(graph, pattern, ignore_literals):
    """Non-overlapping (anchor, nodes_map) in graph order."""
    out = pattern.output_node()
    if out is None or not isinstance(out.args[0], Node):
        raise NotImplementedError("replace_pattern: the pattern must return exactly one value")
    anchor = out.args[0]
    placeholders = [n for n in pattern.nodes if n.op == "placeholder"]
    taken, matches = set(), []
    for gn in graph.nodes:
        nodes_map = {}
        if not _match_node(anchor, gn, nodes_map, ignore_literals):
            continue
        inner = {nodes_map[p] for p in nodes_map if p.op != "placeholder"}
        bound = {nodes_map[p] for p in placeholders if p in nodes_map}
        if inner & taken or inner & bound:
            continue
        # an inner node read from outside the match would lose its value
        if any(u not in inner for n in inner if n is not gn for u in n.users):
            continue
        taken |= inner
        matches.append((gn, nodes_map))
    return matches


def replace_pattern_with_filters(gm, pattern, replacement=None, match_filters=None, ignore_literals=False,
                                 replacement_callback=None, node_name_match=""):
    """As `replace_pattern`, keeping only matches every `match_filters(match, graph, pattern_graph)` accepts;
    returns ReplacedPatterns."""
    graph, pattern_graph = gm.graph, _graph_of(pattern)
    replacement_graph = _graph_of(replacement) if replacement is not None else None
    found = []
    for gn, nodes_map in _find_matches(graph, pattern_graph, ignore_literals):
        match = Match(anchor=gn, nodes_map=nodes_map)
        if node_name_match and not gn.name.startswith(node_name_match):
            continue
        if match_filters and not all(f(match, graph, pattern_graph) for f in match_filters):
            continue
        found.append(match)
    inputs = [n for n in pattern_graph.nodes if n.op == "placeholder"]
    replaced, result = {}, []
    for match in found:
        repl = replacement_callback(match, graph, pattern_graph) if replacement_callback else replacement_graph
        repl_inputs = [n for n in repl.nodes if n.op == "placeholder"]
        if len(repl_inputs) != len(inputs):
            raise ValueError(f"replace_pattern: the pattern takes {len(inputs)} inputs but the replacement takes "
                             f"{len(repl_inputs)}")
        val_map = {r: replaced.get(match.nodes_map[p], match.nodes_map[p]) for r, p in zip(repl_inputs, inputs)}
        before = set(graph.nodes)
        with graph.inserting_before(match.anchor):
            new = graph.graph_copy(repl, val_map)
        added = [n for n in graph.nodes if n not in before]
        match.anchor.replace_all_uses_with(new)
        replaced[match.anchor] = new
        inner = {match.nodes_map[p] for p in match.nodes_map if p.op != "placeholder"}
        for node in reversed(graph.nodes):
            if node in inner and not node.users:
                graph.erase_node(node)
        result.append(ReplacedPatterns(anchor=match.anchor, nodes_map=match.nodes_map, replacements=added))
    gm.recompile()
    return result


def replace_pattern(gm, pattern, replacement):
    """Replace every match of `pattern` in gm by `replacement` (see the module docstring); returns the list of
    Match."""
    return [Match(anchor=r.anchor, nodes_map=r.nodes_map)
            for r in replace_pattern_with_filters(gm, pattern, replacement)]
