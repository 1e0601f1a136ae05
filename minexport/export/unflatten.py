"""`unflatten(ep)`: an exported program as a module tree shaped like the original model.

The program's unlifted graph (`ep.module()`'s: state read with get_attr at
its fqn) is cut by each node's `nn_module_stack`:

- every submodule fqn of `ep.module_call_graph` becomes an InterpreterModule
  (a GraphModule run by the node-by-node Interpreter) at the same place of
  the tree, holding the parameters and buffers that module owned;
- a child whose nodes form one unbroken run in its parent's node list becomes
  a `call_module` node of the parent; its graph takes the values the run reads
  from outside as placeholders (named after them) and returns the values read
  after it (one value, or a tuple);
- a child listed in `preserve_module_call_signature` keeps its original
  calling convention instead: placeholders `_positional_arg_<i>` and one per
  keyword, the flat inputs taken out of them with getitem, and the output
  rebuilt in the original pytree structure, so any module called the same
  way can replace it (`setattr(unflat, "sub", MyModule())`);
- a child called in several separate runs (a module called twice) keeps no
  graph of its own: its nodes stay in the parent's graph, reading its state
  by dotted get_attr (see spec/unflatten.md for this difference from torch).

Parameters and buffers are those of `ep.module()`, each held once at every
fqn that names it (a tied weight is the same object at both places); in-place
updates of buffers happen on them, so they are visible after a call.
"""
import operator

from ..fx.graph import Graph, map_arg
from ..fx.graph_module import GraphModule
from ..fx.interpreter import Interpreter
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..ops import aten
from ..utils import _pytree as pytree
from .graph_signature import ConstantArgument, TensorArgument

__all__ = ["unflatten", "UnflattenedModule", "InterpreterModule", "FlatArgsAdapter"]


class FlatArgsAdapter:
    """Adapts the flat inputs of a call to the flat inputs the program was exported with.

    Subclass it and implement `adapt(target_spec, input_spec, input_args, metadata=None, obj=None)`
    returning the list of flat inputs for `target_spec` (torch.export.unflatten.FlatArgsAdapter's API)."""

    def adapt(self, target_spec, input_spec, input_args, metadata=None, obj=None):
        """The flat inputs for `target_spec`, made from `input_args` (flattened with `input_spec`)."""
        raise NotImplementedError(f"{type(self).__name__} must implement adapt()")


class _NodeByNode(Interpreter):
    """The Interpreter walking nodes one at a time, so values can be any Python object (pytrees)."""

    def call_module(self, target, args, kwargs):
        """Call the submodule at `target` as it is now (a swapped-in module included)."""
        return self.module.get_submodule(target)(*args, **kwargs)


class InterpreterModule(GraphModule):
    """One module of the unflattened tree: its graph, run node by node (torch's InterpreterModule)."""

    def __init__(self, graph, kwarg_names=(), inlined_as=None):
        Module.__init__(self)
        object.__setattr__(self, "_class_name", "InterpreterModule")
        object.__setattr__(self, "_kwarg_names", tuple(kwarg_names))
        object.__setattr__(self, "_inlined_as", inlined_as)    # fqn of a module whose calls stayed inline
        self.graph = graph

    def forward(self, *args, **kwargs):
        """Run the graph: positional arguments, then the keywords its placeholders name."""
        if self._inlined_as is not None:
            raise RuntimeError(f"unflatten: the calls of '{self._inlined_as}' stayed inline in its parent's graph "
                               "(it was called in ways that differ); this module holds its state but has no graph "
                               "to run")
        missing = [k for k in kwargs if k not in self._kwarg_names]
        if missing:
            raise TypeError(f"{self._get_name()}.forward() got unexpected keyword arguments {missing}")
        flat = list(args) + [kwargs.get(k) for k in self._kwarg_names]
        return _NodeByNode(self).run(*flat)

    def __repr__(self):
        return Module.__repr__(self)


class UnflattenedModule(InterpreterModule):
    """The root of the unflattened tree: called as the exported model was (torch's UnflattenedModule)."""

    def __init__(self, graph, in_spec, out_spec, flat_args_adapter=None):
        super().__init__(graph)
        object.__setattr__(self, "_class_name", "UnflattenedModule")
        object.__setattr__(self, "in_spec", in_spec)
        object.__setattr__(self, "out_spec", out_spec)
        object.__setattr__(self, "flat_args_adapter", flat_args_adapter)

    def forward(self, *args, **kwargs):
        """Flatten (args, kwargs) as at export, run the root graph, rebuild the output structure."""
        flat, spec = pytree.tree_flatten((args, kwargs))
        if spec != self.in_spec:
            if self.flat_args_adapter is None:
                raise TypeError("Input treespec does not match with exported module's: \n"
                                f"Input treespec: {spec}. Exported module treespec: {self.in_spec}")
            flat = self.flat_args_adapter.adapt(target_spec=self.in_spec, input_spec=spec, input_args=flat)
            if len(flat) != self.in_spec.num_leaves:
                raise TypeError(f"Flat args adaption failed, number of args mismatch Adatped: {len(flat)} \n"
                                f"Exported module: {self.in_spec.num_leaves}")
        out = _NodeByNode(self).run(*flat)
        return pytree.tree_unflatten(list(out), self.out_spec)


def unflatten(ep, flat_args_adapter=None):
    """The program as an UnflattenedModule with the original module hierarchy (see the module docstring)."""
    gm = ep.module()
    entries = {e.fqn: e.signature for e in ep.module_call_graph}
    calls = {}
    for fqn in entries:
        calls[fqn.partition("@")[0]] = calls.get(fqn.partition("@")[0], 0) + 1
    root_sig = entries[""]
    builder = _Builder(gm, entries, calls)
    body = [n for n in gm.graph.nodes if n.op not in ("placeholder", "get_attr", "output")]
    graph = builder.graph_of("", [n for n in gm.graph.nodes if n.op == "placeholder"],
                             _sink_writebacks(body, builder.stacks), gm.graph.output_node().args[0])
    root = UnflattenedModule(graph, root_sig.in_spec, root_sig.out_spec, flat_args_adapter)
    builder.attach_subgraphs("", root)
    for fqn in (f for f in entries if f and "@" not in f):      # parents come before their children
        parent, _, name = fqn.rpartition(".")
        child = builder.modules.get(fqn) or InterpreterModule(_empty_graph(), inlined_as=fqn)
        root.get_submodule(parent).add_module(name, child)
    _share_state(gm, root)
    return root


def _empty_graph():
    g = Graph()
    g.output(None)
    return g


def _share_state(gm, root):
    """Put each parameter, buffer and tensor constant of `gm` at the same fqn(s) in `root`."""
    for prefix, m in gm.named_modules(remove_duplicate=False):
        tensors = [name for name, v in m.__dict__.items()
                   if not name.startswith("_") and hasattr(v, "shape") and not isinstance(v, (Parameter, Module))]
        if not (m._parameters or m._buffers or tensors):    # a region's or a branch's subgraph: no state
            continue
        owner = root.get_submodule(prefix) if prefix else root
        for name, p in m._parameters.items():
            owner.register_parameter(name, p)
        for name, b in m._buffers.items():
            owner.register_buffer(name, b, persistent=name not in m._non_persistent_buffers_set)
        for name in tensors:
            object.__setattr__(owner, name, m.__dict__[name])


def _recorded_stack(node):
    """The module calls a node was recorded in, outermost first (the root left out): each a call id, the
    fqn with the `@<i>` of the nn_module_stack key for a later call (`f`, `f@1`, `f.lin@1`)."""
    stack = node.meta.get("nn_module_stack") or {}
    return [fqn + key.rpartition("@")[1] + key.rpartition("@")[2] if "@" in key else fqn
            for key, (fqn, _) in stack.items() if fqn]


def _common_start(stacks):
    """The longest list every one of `stacks` starts with."""
    out = []
    for level in zip(*stacks):
        if any(c != level[0] for c in level):
            break
        out.append(level[0])
    return out


def _fqn(call_id):
    """The module fqn of a call id (`f@1` -> `f`)."""
    return call_id.partition("@")[0]


def _sink_writebacks(body, stacks):
    """Move each trailing buffer write-back `copy_(state, value)` of a functional program next to `value`,
    into the deepest module computing `value` that owns `state`, so that module's graph updates its own
    buffer (torch's unflattened modules do too).  A write-back stays where it is if anything after `value`
    reads the state.  Returns the reordered body; `stacks` gets the moved nodes' stacks."""
    order = {n: i for i, n in enumerate(body)}
    for n in [n for n in body if n.target is aten.copy_.default and not stacks[n]]:
        state, value = n.args[0], n.args[1]
        if getattr(state, "op", None) != "get_attr" or value not in order:
            continue
        owners = [f for f in stacks[value] if state.target.startswith(_fqn(f) + ".")]
        later_reads = [u for u in state.users if u is not n and order.get(u, -1) > order[value]]
        if owners and not later_reads:
            stacks[n] = stacks[value][:stacks[value].index(owners[-1]) + 1]
            body.remove(n)
            body.insert(body.index(value) + 1, n)
    return body


def _leaf_paths(spec):
    """The key path to each leaf of a pytree spec, in flatten order."""
    dummy = pytree.tree_unflatten(list(range(spec.num_leaves)), spec)
    return [path for path, _ in pytree.tree_flatten_with_path(dummy)[0]]


_KEY_ACCESS = {"SequenceKey": lambda k: (operator.getitem, k.idx), "MappingKey": lambda k: (operator.getitem, k.key),
               "GetAttrKey": lambda k: (getattr, k.name)}


class _Builder:
    """Cuts `gm`'s graph into one graph per module (see the module docstring)."""

    def __init__(self, gm, entries, calls):
        self.gm, self.entries, self.calls = gm, entries, calls
        self.by_name = {n.name: n for n in gm.graph.nodes}
        self.modules = {}          # fqn -> InterpreterModule built for it
        self.subgraph_reads = {}   # fqn -> {attribute: subgraph GraphModule} its graph reads (cond branches...)
        self.stacks = {n: _recorded_stack(n) for n in gm.graph.nodes}     # node -> its module calls
        # nodes recorded without a module stack (symbolic size arithmetic) belong where all their readers are:
        # the common start of the readers' stacks (last node first, so chains of them follow their readers)
        for n in reversed(list(gm.graph.nodes)):
            if n.op == "call_function" and not n.meta.get("nn_module_stack") and n.users:
                self.stacks[n] = _common_start([self.stacks[u] for u in n.users])

    def graph_of(self, prefix, inputs, nodes, result, placeholders=None):
        """The graph of module `prefix`: `inputs` (gm values) become placeholders (or are given as
        {gm value: node} in `placeholders`), `nodes` are its gm nodes, `result` its output (gm values)."""
        g = Graph()
        env = dict(placeholders(g)) if placeholders else {v: g.placeholder(v.name) for v in inputs}
        # the child calls of this module sit right after it in its nodes' stacks
        depth = 0 if not prefix or not nodes else \
            1 + next(i for i, c in enumerate(self.stacks[nodes[0]]) if _fqn(c) == prefix)
        i = 0
        while i < len(nodes):
            stack = self.stacks[nodes[i]]
            child = stack[depth] if len(stack) > depth else None
            run = self._run(nodes, i, depth, child)
            if child is not None and _fqn(child) in self.entries and \
                    self._call_child(g, env, prefix, _fqn(child), run, self._whole(nodes, depth, child, len(run))):
                pass
            else:
                run = run if child is not None else [nodes[i]]
                for n in run:
                    env[n] = g.node_copy(n, lambda a: self._value(g, env, prefix, a))
            i += len(run)
        g.output(pytree.tree_map(lambda a: self._value(g, env, prefix, a) if hasattr(a, "op") else a, result))
        return g

    def _in(self, node, depth, child):
        """Whether node was recorded inside `child` (the module at `depth` of its stack)."""
        stack = self.stacks[node]
        return len(stack) > depth and stack[depth] == child

    def _run(self, nodes, i, depth, child):
        """The nodes from i on recorded inside `child` (just nodes[i] when child is None)."""
        j = i + 1
        while child is not None and j < len(nodes) and self._in(nodes[j], depth, child):
            j += 1
        return nodes[i:j]

    def _whole(self, nodes, depth, child, run_len):
        """Whether this run holds all of `child`'s nodes (it is called once)."""
        return sum(1 for n in nodes if self._in(n, depth, child)) == run_len

    def _value(self, g, env, prefix, a):
        """The node of this graph standing for gm value `a` (state read with a local get_attr)."""
        if a in env:
            return env[a]
        if a.op == "get_attr" and self._subgraph(a.target) is not None:     # moves with the node calling it
            self.subgraph_reads.setdefault(prefix, {})[a.target] = self._subgraph(a.target)
            env[a] = g.get_attr(a.target, name=a.name, meta=dict(a.meta))
            return env[a]
        if a.op == "get_attr":
            local = a.target[len(prefix) + 1:] if prefix else a.target
            if prefix and not a.target.startswith(prefix + "."):
                raise RuntimeError(f"unflatten: module '{prefix}' reads '{a.target}', state it does not own")
            env[a] = g.get_attr(local, name=a.name, meta=dict(a.meta))
            return env[a]
        raise RuntimeError(f"unflatten: value '{a.name}' is read in module '{prefix}' before it is computed")

    def _subgraph(self, target):
        """The subgraph GraphModule (a cond branch, a region's body) the program's attribute `target` names,
        or None for state."""
        sub = self.gm._modules.get(target) if "." not in target else None
        return sub if isinstance(sub, GraphModule) else None

    def attach_subgraphs(self, fqn, module):
        """Give the module built for `fqn` the subgraphs its graph reads, under their names (as torch's)."""
        for name, sub in self.subgraph_reads.get(fqn, {}).items():
            module.add_module(name, sub)

    def _call_child(self, g, env, prefix, child, run, whole):
        """Call `child` from this graph for its run of nodes; False when the run must stay inline instead.

        A plain child's first run builds its module; a later run (the module called again) calls the same
        module when its graph would be the same, as torch's, and otherwise stays inline.  A preserved child
        is called only when called once (see spec/unflatten.md)."""
        inside = set(run)
        reads = [a for n in run for a in n.all_input_nodes if a not in inside]
        # the child reads its own state and the subgraphs of the ops it calls itself
        reads = [a for a in dict.fromkeys(reads) if not (a.op == "get_attr" and (
            a.target.startswith(child + ".") or self._subgraph(a.target) is not None))]
        read_after = [n for n in run if any(u not in inside for u in n.users)]
        rel = child[len(prefix) + 1:] if prefix else child
        sig = self.entries.get(child)
        if sig is not None:
            if not whole or self.calls.get(child, 0) > 1:
                return False
            self._call_preserved(g, env, prefix, child, rel, sig, run, reads, read_after)
            return True
        built = dict(self.modules)
        child_graph = self.graph_of(child, reads, run, read_after[0] if len(read_after) == 1 else tuple(read_after))
        if child in built:      # called before: reuse its module if this call's graph is the same
            self.modules = built
            if _fingerprint(child_graph) != _fingerprint(built[child].graph):
                return False
        else:
            self.modules[child] = InterpreterModule(child_graph)
            self.attach_subgraphs(child, self.modules[child])
        call = g.call_module(rel, tuple(self._value(g, env, prefix, a) for a in reads))
        if len(read_after) == 1:
            env[read_after[0]] = call
        else:
            for k, n in enumerate(read_after):
                env[n] = g.call_function(operator.getitem, (call, k))
        return True

    def _call_preserved(self, g, env, prefix, child, rel, sig, run, reads, read_after):
        """A preserved child: called with its original (args, kwargs), its output taken apart by key."""
        ins = [self.by_name.get(a.name) if isinstance(a, TensorArgument) else a for a in sig.inputs]
        outs = [self.by_name.get(a.name) if isinstance(a, TensorArgument) else a for a in sig.outputs]
        missing = [a.name for a in reads if a not in ins] + [n.name for n in read_after if n not in outs]
        if missing or any(v is None for v in ins + outs):
            raise RuntimeError(f"unflatten: the preserved call of '{child}' exchanges values its signature does "
                               f"not list ({', '.join(missing) or 'a renamed value'}); its graph cannot be cut out")
        paths = _leaf_paths(sig.in_spec)
        kwarg_names = list(pytree.tree_unflatten(list(range(sig.in_spec.num_leaves)), sig.in_spec)[1])

        def placeholders(cg):
            args, kwargs = pytree.tree_unflatten(list(range(sig.in_spec.num_leaves)), sig.in_spec)
            tops = [cg.placeholder(f"_positional_arg_{i}") for i in range(len(args))]
            tops += [cg.placeholder(k) for k in kwargs]
            found = {}
            for v, path in zip(ins, paths):
                if isinstance(v, ConstantArgument) or v in found:
                    continue
                top = tops[path[1].idx] if path[0].idx == 0 else tops[len(args) + kwarg_names.index(path[1].key)]
                found[v] = _walk(cg, top, path[2:])
            return found

        result = pytree.tree_unflatten([v.value if isinstance(v, ConstantArgument) else v for v in outs],
                                       sig.out_spec)
        self.modules[child] = InterpreterModule(self.graph_of(child, [], run, result, placeholders), kwarg_names)
        self.attach_subgraphs(child, self.modules[child])
        leaves = [v.value if isinstance(v, ConstantArgument) else self._value(g, env, prefix, v) for v in ins]
        args, kwargs = pytree.tree_unflatten(leaves, sig.in_spec)
        call = g.call_module(rel, tuple(args), dict(kwargs))
        for v, path in zip(outs, _leaf_paths(sig.out_spec)):
            if not isinstance(v, ConstantArgument):
                env[v] = _walk(g, call, path)


def _fingerprint(graph):
    """A graph's nodes as (op, target, args, kwargs) with nodes replaced by their positions: two graphs
    with the same fingerprint compute the same thing from the same inputs and state."""
    index = {}
    out = []
    for n in graph.nodes:
        index[n] = len(index)
        target = None if n.op == "placeholder" else n.target
        out.append((n.op, target, map_arg(n.args, lambda a: index[a]), map_arg(n.kwargs, lambda a: index[a])))
    return out


def _walk(g, node, path):
    """getitem/getattr nodes following a pytree key path from `node`."""
    for key in path:
        fn, k = _KEY_ACCESS[type(key).__name__](key)
        node = g.call_function(fn, (node, k))
    return node
