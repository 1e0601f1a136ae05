"""run_decompositions(): re-trace a program into the functional core-ATen IR.

The training graph is replayed node by node with `_Functionalizer` as the
dispatch mode (on fake tensors, so no kernel runs).  For every op call:

- a mutating op (`add_`, `copy_`, `index_put_`, `fill_`, ...) is replaced by
  its registered functional form (`op.functional`), whose results become the
  new values of the arguments the schema marks written (`Tensor(a!)`).  If such
  a tensor is a view, the new value is pushed back into its base through the
  chain of views that produced it, each step inverted by its op's
  `ViewRule.inverse` (`select_scatter`, `slice_scatter`, an inverse `permute`
  or `view`); views of a mutated base are re-derived from the base's new value
  the next time they are read;
- an op with an entry in the decomposition table runs that Python function,
  whose own op calls come back here (so decompositions nest);
- anything else is recorded as it is.

At the end, every input whose value changed becomes a mutation output
(BUFFER_MUTATION, USER_INPUT_MUTATION or PARAMETER_MUTATION), ahead of the
user outputs in placeholder order, and nodes nobody uses are dropped.
"""
import functools
import operator

from .._symbolic_marker import is_symbolic
from .._tensor import Tensor, make_fake
from ..fx.graph import Graph, map_arg
from ..fx.graph_module import GraphModule
from ..ops import aten
from ..ops._targets import target_kind
from ..ops.auto_functionalize import AUTO_FUNCTIONALIZE, auto_functionalized_v2
from .._trace_state import Tracer, tracing
from ..ops.core import default_decompositions
from .graph_signature import (ExportGraphSignature, InputKind, OutputKind, OutputSpec,
                              TensorArgument, sym_argument)
from ._recording import node_name, recorded_args
from ._regions import INLINED

__all__ = ["functionalize"]

_MUTATION_KIND = {InputKind.BUFFER: OutputKind.BUFFER_MUTATION, InputKind.USER_INPUT: OutputKind.USER_INPUT_MUTATION,
                  InputKind.PARAMETER: OutputKind.PARAMETER_MUTATION}


class _ViewOf:
    """What the pass knows about one view tensor: the tensor itself (kept alive, so
    that its id is not reused while the pass runs), the base it views, the chain of
    one-output view steps `(op, args, kwargs)` that makes it from the base, the
    base's version it was last derived from, and whether it is contiguous."""

    __slots__ = ("base", "chain", "contiguous", "version", "view")

    def __init__(self, view, base, chain, version, contiguous):
        self.view, self.base, self.chain, self.version, self.contiguous = view, base, chain, version, contiguous


class _Functionalizer(Tracer):
    """The dispatch mode of run_decompositions (see the module docstring)."""

    def __init__(self, table):
        self.graph = Graph()
        self.table = table
        self.version = {}          # id(base tensor) -> mutation count
        self.views = {}            # id(view tensor) -> its _ViewOf
        self.sym_nodes = None      # SymNodes for programs with symbolic sizes
        self.meta = {}             # meta of the original node being replayed
        self.subgraphs = {}        # attribute name -> functional GraphModule (cond branches, map bodies)
        self.recording_sym = False  # True while replaying outside an op's meta function (see record_sym_result)

    # -- values -------------------------------------------------------------
    def copy_placeholder(self, node):
        """A placeholder like node in this graph; returns (its value — a fresh fake for a tensor —, the node)."""
        val = node.meta.get("val")
        new = self.graph.create_node("placeholder", node.name, name=node.name, meta=dict(node.meta))
        if isinstance(val, Tensor):
            val = make_fake(val.shape, val.dtype, val.device, strides=val._strides, storage_offset=val._offset)
            val._node = new
            new.meta["val"] = val
        return val, new

    def node_of(self, t):
        self.sync(t)
        return t._node

    def sync(self, t):
        """Re-derive a view whose base was mutated since the view was taken."""
        view = self.views.get(id(t))
        if view is None or self.version.get(id(view.base), 0) == view.version:
            return
        value = view.base
        for op, args, kwargs in view.chain:
            value = self.record(op, (value, *args), kwargs)
        t._node = value._node
        view.version = self.version.get(id(view.base), 0)

    def is_contiguous(self, tensor):
        """A view's contiguity as its ops' `ViewRule.layout` derived it; other tensors are contiguous."""
        view = self.views.get(id(tensor))
        return view is None or view.contiguous

    # -- the mode ---------------------------------------------------------------
    def __call__(self, op, args, kwargs):
        for a in _tensors(args, kwargs):
            self.sync(a)
        if op.is_mutating:
            return self.functionalize(op, args, kwargs)
        decomposition = self.table.get(op)
        if decomposition is not None:
            return decomposition(*args, **kwargs)
        return self.record(op, args, kwargs)

    def record_sym_result(self, value, name, operands):
        """The ShapeEnv's recorder while replaying: arithmetic on sizes outside meta functions (the graph's
        own operator nodes, a decomposition's) is where the value comes from, as in export's trace."""
        if self.recording_sym:
            self.sym_nodes.record_result(value, name, operands)

    def record(self, op, args, kwargs):
        # an op without a meta function (item) keeps the value the training graph recorded
        recording, self.recording_sym = self.recording_sym, False
        try:
            out = op.meta(*args, **kwargs) if op.meta is not None else self.meta.get("val")
        finally:
            self.recording_sym = recording
        node_args = _to_nodes(args, self)
        node_kwargs = _to_nodes(kwargs, self)
        node_args, node_kwargs = recorded_args(op, node_args, node_kwargs, retrace=True)
        node = self.graph.call_function(op, node_args, node_kwargs, meta=self.node_meta(out),
                                        name=node_name(op, retrace=True))
        if out is None:
            return None
        if is_symbolic(out):
            self.sym_nodes.cache[self.sym_nodes.env.simplify(out.expr)] = node
            self.sym_nodes.track_value(out, node)
            return out
        rule = _view_rule(op)
        if isinstance(out, Tensor):
            out._node = node
            if rule is not None:
                self.mark_view(out, op, args, (op, tuple(args[1:]), dict(kwargs)))
            if self.sym_nodes is not None:
                for d, size in enumerate(out.shape):
                    if is_symbolic(size) and size.expr.is_Symbol and size.expr in size.env.unbacked:
                        self.sym_nodes.sources.setdefault(size.expr, (node, d))
                self.sym_nodes.track_sizes(node, out.shape)
            return out
        for i, t in enumerate(out):
            g = self.graph.call_function(operator.getitem, (node, i), meta=self.node_meta(t))
            t._node = g
            if self.sym_nodes is not None and isinstance(t, Tensor):
                self.sym_nodes.track_sizes(g, t.shape)
        if rule is not None:
            for t, step in zip(out, rule.per_output(out, *args[1:], **kwargs)):
                self.mark_view(t, op, args, step)
        return out

    def higher_order(self, op, args):
        """Replay a cond/map node: its subgraphs made functional, then the node itself with getitems."""
        def values_to_nodes(value):        # first the operands (their sym nodes come before the get_attrs)
            if isinstance(value, _Subgraph):
                return value
            if isinstance(value, (list, tuple)):
                return type(value)(values_to_nodes(v) for v in value)
            return _to_nodes(value, self)

        def subgraph_to_node(value):
            if not isinstance(value, _Subgraph):
                return value
            self.subgraphs[value.name] = _functional_subgraph(self, value.gm)
            return self.graph.get_attr(value.name, meta=self.node_meta(None))

        node_args = tuple(subgraph_to_node(a) for a in values_to_nodes(args))
        # the storage offset too: torch's while_loop outputs sit at a symbolic one (see export/_loops.py)
        # (a while_loop's carried int comes out as the unbacked SymInt the training graph recorded)
        outs = [make_fake(t.shape, t.dtype, t.device, storage_offset=t.storage_offset()) if isinstance(t, Tensor)
                else t for t in self.meta["val"]]
        node = self.graph.call_function(op, node_args, meta=self.node_meta(outs))
        for i, t in enumerate(outs):
            g = self.graph.call_function(operator.getitem, (node, i), meta=self.node_meta(t))
            if isinstance(t, Tensor):
                t._node = g
            else:
                self.sym_nodes.cache[self.sym_nodes.env.simplify(t.expr)] = g
        return outs

    def data_dependent_size(self, upper, lower=0):
        """Replaying an op with a data-dependent size: the size the training graph recorded for it."""
        val = self.meta.get("val")
        for t in val if isinstance(val, (list, tuple)) else (val,):     # a tuple: unique's outputs
            for size in getattr(t, "shape", ()):
                if is_symbolic(size) and size.expr.free_symbols & size.env.unbacked:
                    return size
        raise RuntimeError("run_decompositions: a data-dependent size has no recorded symbol to replay")

    def node_meta(self, val):
        meta = {"val": val}
        for key in ("stack_trace", "nn_module_stack"):
            if self.meta.get(key) is not None:
                meta[key] = self.meta[key]
        return meta

    # -- views ---------------------------------------------------------------------
    def mark_view(self, out, op, args, step):
        """out is `step` (one-output view op, args, kwargs) applied to args[0]: record its base and chain."""
        src = self.views.get(id(args[0]))
        base, chain, contiguous = (args[0], [], True) if src is None else (src.base, src.chain, src.contiguous)
        self.views[id(out)] = _ViewOf(out, base, chain + [step], self.version.get(id(base), 0),
                                      op.view.layout(args, contiguous))

    # -- mutation ------------------------------------------------------------------
    def functionalize(self, op, args, kwargs):
        """Run op's functional form; its new values go into the arguments op writes (see `register`)."""
        if op.functional is AUTO_FUNCTIONALIZE:
            return self.auto_functionalize(op, args, kwargs)
        if op.functional is None:
            raise NotImplementedError(f"run_decompositions: no functional form of {op} to replace it with; "
                                      f"declare functional= in its registration")
        # torch's functional convention: the op's fresh returns, then the new value of each written
        # argument in schema order; one value alone comes bare (add_'s functional form is add)
        written, returns = _mutation_plan(op)
        result = op.functional(*args, **kwargs)
        fresh_count = returns.count(None)
        values = result if fresh_count + len(written) > 1 else (result,)
        for argument, new in zip(written, values[fresh_count:]):
            target = _argument_value(argument, args, kwargs)
            if new is target or target is None:       # unchanged (detach_), or an absent optional argument
                continue
            if new.dtype is not target.dtype:
                new = aten._to_copy.default(new, dtype=target.dtype)
            self.write(target, new)
        fresh = iter(values[:fresh_count])
        outs = tuple(next(fresh) if r is None else _argument_value(r, args, kwargs) for r in returns)
        return outs[0] if len(outs) == 1 else (outs or None)

    def auto_functionalize(self, op, args, kwargs):
        """A mutating custom op: one auto_functionalized_v2 node (see ops/auto_functionalize.py), as torch
        records it; the results after the op's own returns are the new values of the tensors it writes
        (the bases of written views, which are re-derived from them when next read)."""
        keywords, indices, bases = {}, {}, []     # torch's order: read arguments, then the base records
        for i, a in enumerate(op._schema.arguments):
            value = _argument_value((i, a.name), args, kwargs)
            if i >= len(args) and a.name not in kwargs:
                value = a.default
            if not a.is_write:
                keywords[a.name] = _to_nodes(value, self)
                continue
            if value is None:               # an absent Tensor? argument: torch records its index as None
                indices[f"_{a.name}_base_index"] = None
                continue
            if not isinstance(value, Tensor):
                raise NotImplementedError(f"run_decompositions: {op} writes argument '{a.name}', a list of "
                                          "tensors; minexport functionalizes custom ops that write tensors only")
            view = self.views.get(id(value))
            base = value if view is None else view.base
            index = next((j for j, b in enumerate(bases) if b is base), None)
            if index is None:
                index = len(bases)
                bases.append(base)
            indices[f"_{a.name}_base_index"] = index
            if view is not None:
                indices.update(_view_record(op, a.name, base, value))
        keywords.update(indices)
        keywords["_all_bases"] = [self.node_of(b) for b in bases]
        out = op.meta(*args, **kwargs)
        returns = op._schema.returns
        outs = (None,) if not returns else (out,) if len(returns) == 1 else tuple(out)
        new = [make_fake(b.shape, b.dtype, b.device, strides=b._strides, storage_offset=b._offset) for b in bases]
        node = self.graph.call_function(auto_functionalized_v2, (op,), keywords,
                                        meta=self.node_meta(outs + tuple(new)))
        for i, t in enumerate(outs + tuple(new)):
            if isinstance(t, Tensor):
                t._node = self.graph.call_function(operator.getitem, (node, i), meta=self.node_meta(t))
        for base, value in zip(bases, new):
            self.write(base, value)
        return None if not returns else outs[0] if len(returns) == 1 else outs

    def write(self, t, new):
        """t now holds new's value; push it into t's base through the view chain."""
        view = self.views.get(id(t))
        if view is None:
            t._node = new._node
            self.version[id(t)] = self.version.get(id(t), 0) + 1
            return
        base, chain = view.base, view.chain
        values = [base]
        for op, args, kwargs in chain[:-1]:
            values.append(self.record(op, (values[-1], *args), kwargs))
        value = new
        for (op, args, kwargs), below in zip(reversed(chain), reversed(values)):
            value = op.view.inverse(below, value, *args, **kwargs)
        base._node = value._node
        self.version[id(base)] = self.version.get(id(base), 0) + 1
        t._node = new._node
        view.version = self.version[id(base)]


def _view_record(op, name, base, view):
    """How auto_functionalized_v2 regenerates written view `view` from `base`, torch's three ways: the same
    layout (`_<name>_alias`), a slice along one dim (`_<name>_slice_dim/start/end`), else as_strided
    (`_<name>_size/stride/storage_offset`, which needs a dense base at offset 0 to mean the same thing)."""
    layout = lambda t: (tuple(t.shape), tuple(t.stride()), t.storage_offset())   # noqa: E731
    (size, stride, offset), (base_size, base_stride, base_offset) = layout(view), layout(base)
    if any(is_symbolic(v) for v in size + stride + base_size + base_stride + (offset, base_offset)):
        raise NotImplementedError(f"run_decompositions: {op} writes argument '{name}', a view with symbolic "
                                  "sizes; minexport functionalizes written views of static shape only")
    prefix = f"_{name}"
    if (size, stride, offset) == (base_size, base_stride, base_offset):
        return {f"{prefix}_alias": True}
    differing = [d for d in range(len(size)) if len(size) == len(base_size) and size[d] != base_size[d]]
    if stride == base_stride and len(differing) == 1 and offset % stride[differing[0]] == 0:
        dim = differing[0]
        start = offset // stride[dim]
        return {f"{prefix}_slice_dim": dim, f"{prefix}_slice_start": start, f"{prefix}_slice_end": start + size[dim]}
    if not base.is_contiguous() or base_offset != 0:
        raise NotImplementedError(f"run_decompositions: {op} writes argument '{name}', a strided view of a "
                                  "tensor that is not contiguous; minexport cannot regenerate it on a copy")
    return {f"{prefix}_size": size, f"{prefix}_stride": stride, f"{prefix}_storage_offset": offset}


def _view_rule(op):
    """op's ViewRule, or None for an op that returns no view; a view op without one is refused."""
    rule = op.view
    if rule is None and ("view" in op.tags or op.is_view):
        raise NotImplementedError(
            f"run_decompositions: {op} returns a view of its input but its registration declares no ViewRule, "
            f"so a write through the view cannot be functionalized; declare view=ViewRule(inverse=..., "
            f"layout=...) in its registration")
    return rule


@functools.cache
def _mutation_plan(op):
    """(written, returns) from op's schema: the (position, name) of each argument it writes, in schema
    order, and for each return the written argument it is (its alias set matches), or None for a fresh one."""
    arguments = op._schema.arguments
    written = tuple((i, a.name) for i, a in enumerate(arguments) if a.is_write)
    returns = []
    for r in op._schema.returns:
        alias = r.type.alias
        returns.append(next(((i, a.name) for i, a in enumerate(arguments)
                             if alias is not None and a.is_write and a.type.alias.before == alias.before), None))
    return written, tuple(returns)


def _argument_value(argument, args, kwargs):
    """The value passed for argument (position, name), positionally or by keyword (None when absent)."""
    position, name = argument
    return args[position] if position < len(args) else kwargs.get(name)


def _tensors(args, kwargs):
    for v in list(args) + list(kwargs.values()):
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            for x in v:
                if isinstance(x, Tensor):
                    yield x


def _to_nodes(value, functionalizer):
    """value with its tensors and symbolic sizes replaced by the nodes that hold them now."""
    if isinstance(value, Tensor):
        return functionalizer.node_of(value)
    if is_symbolic(value):
        return functionalizer.sym_nodes.node(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_nodes(v, functionalizer) for v in value)
    if isinstance(value, dict):
        return {k: _to_nodes(v, functionalizer) for k, v in value.items()}
    return value


def _is_pure(node):
    """A node that may go when nobody reads it: any call but an op tagged side_effect, and get_attr."""
    if node.op == "get_attr":
        return True
    return node.op == "call_function" and not (target_kind(node.target) == "op" and "side_effect" in node.target.tags)


def _eliminate_dead_code(graph, subgraphs):
    """Erase the pure nodes nobody reads (last first), and the subgraphs only they read, as torch does."""
    for node in reversed(list(graph.nodes)):
        if not node.users and _is_pure(node):
            if node.op == "get_attr":
                subgraphs.pop(node.target, None)
            graph.erase_node(node)


def _sym_nodes(graph, shape_env, placeholders):
    """SymNodes for graph: symbols read from the placeholders' sizes, or the placeholders that are symbols."""
    from ._symbolic import SymNodes
    sources, derived, cache = {}, {}, {}
    for placeholder in placeholders:
        val = placeholder.meta.get("val")
        if is_symbolic(val):
            cache[shape_env.simplify(val.expr)] = placeholder
        for d, size in enumerate(getattr(val, "shape", ())):
            if not is_symbolic(size):
                continue
            expr = shape_env.simplify(size.expr)
            if expr.is_Symbol:
                sources.setdefault(expr, (placeholder.name, d))
            elif len(expr.free_symbols) == 1:    # a derived dim (32*h): its root is read back from it
                (root,) = expr.free_symbols
                derived.setdefault(root, (placeholder.name, d, expr))
    names = {p.name: p for p in placeholders}
    sym_nodes = SymNodes(graph, shape_env, sources, names.__getitem__, derived)
    sym_nodes.cache.update(cache)
    for placeholder in placeholders:
        val = placeholder.meta.get("val")
        if is_symbolic(val):
            sym_nodes.track_value(val, placeholder)
        elif isinstance(val, Tensor):
            sym_nodes.track_sizes(placeholder, val.shape)
    return sym_nodes


def _replay_recording(fz, gm, env, shape_env):
    """_replay with shape_env's arithmetic on sizes recorded into fz's sym nodes (see record_sym_result)."""
    if shape_env is None:
        return _replay(fz, gm, env)
    shape_env.recorder, fz.recording_sym = fz.record_sym_result, True
    try:
        return _replay(fz, gm, env)
    finally:
        shape_env.recorder, fz.recording_sym = None, False


def _replay(fz, gm, env):
    """Run gm's graph through fz (the dispatch mode) with env mapping its placeholders; returns its outputs."""
    with tracing(fz):
        for node in gm.graph.nodes:
            if node.op == "call_function":
                args = map_arg(node.args, lambda n: env[n])
                kwargs = map_arg(node.kwargs, lambda n: env[n])
                fz.meta = node.meta
                if node.target is operator.getitem:
                    env[node] = args[0][args[1]]
                elif node.target in INLINED:      # a grad-mode / autocast region: its ops in line (torch's core IR)
                    env[node] = _inline_region(fz, args)
                elif target_kind(node.target) == "higher_order":
                    env[node] = fz.higher_order(node.target, args)
                else:
                    env[node] = node.target(*args, **kwargs)
            elif node.op == "get_attr":
                env[node] = _Subgraph(node.target, getattr(gm, node.target))
            elif node.op == "output":
                return map_arg(node.args[0], lambda n: env[n])
    return None


def _inline_region(fz, args):
    """Replay a region call's subgraph (the first _Subgraph among args) in line on the operands after it; its
    outputs, a tuple."""
    at = next(i for i, a in enumerate(args) if isinstance(a, _Subgraph))
    body = args[at].gm
    placeholders = [n for n in body.graph.nodes if n.op == "placeholder"]
    return tuple(_replay(fz, body, dict(zip(placeholders, args[at + 1:]))))


class _Subgraph:
    """A get_attr'd subgraph while replaying: its attribute name and GraphModule."""

    def __init__(self, name, gm):
        self.name, self.gm = name, gm


def _functional_subgraph(parent, gm):
    """gm's graph re-traced functionally and decomposed with parent's table (a cond branch, a map body)."""
    fz = _Functionalizer(parent.table)
    env = {}
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            env[node], _ = fz.copy_placeholder(node)
    if parent.sym_nodes is not None:
        fz.sym_nodes = _sym_nodes(fz.graph, parent.sym_nodes.env, [n for n in fz.graph.nodes])
    # the parent's recorder is not this graph's: arithmetic in a branch is built from its expression
    recording, parent.recording_sym = parent.recording_sym, False
    try:
        outputs = _replay(fz, gm, env)
    finally:
        parent.recording_sym = recording
    # a while_loop cond graph returns one value (a tensor or a SymBool), not a tuple
    single = isinstance(outputs, Tensor) or is_symbolic(outputs)
    fz.graph.output(_to_nodes(outputs, fz) if single else tuple(_to_nodes(t, fz) for t in outputs))
    _eliminate_dead_code(fz.graph, fz.subgraphs)
    return GraphModule(fz.subgraphs, fz.graph, class_name=gm._get_name())


def functionalize(ep, decomp_table=None, renames=None):
    """ep re-traced into the functional core-ATen dialect (see the module docstring): the new program's
    (graph module, graph signature, preserved ops).  `renames`, when a dict, receives {old node name: name
    of the new node holding its value} for every tensor value (module call signatures are renamed with it)."""
    table = default_decompositions() if decomp_table is None else dict(decomp_table)
    preserved = frozenset(op for op in default_decompositions() if op not in table)
    fz = _Functionalizer(table)
    env = {}
    inputs = []
    for node in ep.graph.nodes:
        if node.op == "placeholder":
            env[node], new = fz.copy_placeholder(node)
            inputs.append((env[node] if isinstance(env[node], Tensor) else None, new))
    shape_env = ep.shape_env
    if shape_env is not None:
        fz.sym_nodes = _sym_nodes(fz.graph, shape_env, [p for _, p in inputs])
    outputs = _replay_recording(fz, ep.graph_module, env, shape_env)
    if renames is not None:
        renames.update((old.name, fz.node_of(v).name) for old, v in env.items() if isinstance(v, Tensor))
    mutation_values, mutation_specs = [], []
    for (fake, placeholder), spec in zip(inputs, ep.graph_signature.input_specs):
        if fake is not None and fz.node_of(fake) is not placeholder:
            node = fz.node_of(fake)
            target = spec.target if spec.kind != InputKind.USER_INPUT else spec.arg.name
            mutation_values.append(node)
            mutation_specs.append(OutputSpec(_MUTATION_KIND[spec.kind], TensorArgument(node.name), target))
    user_values, user_specs = [], []
    old_user_specs = [s for s in ep.graph_signature.output_specs
                      if s.kind in (OutputKind.USER_OUTPUT, OutputKind.LOSS_OUTPUT)]
    user_outputs = list(outputs)[len(outputs) - len(old_user_specs):]
    for value, spec in zip(user_outputs, old_user_specs):
        if isinstance(value, Tensor):
            node = fz.node_of(value)
            user_values.append(node)
            user_specs.append(OutputSpec(spec.kind, TensorArgument(node.name), spec.target))
        elif is_symbolic(value):
            node = fz.sym_nodes.node(value)
            user_values.append(node)
            user_specs.append(OutputSpec(spec.kind, sym_argument(node.name, value), spec.target))
        else:
            user_values.append(value)
            user_specs.append(spec)
    fz.graph.output(tuple(mutation_values + user_values))
    _eliminate_dead_code(fz.graph, fz.subgraphs)
    if shape_env is not None:
        from ._symbolic import hoist_input_size_reads
        hoist_input_size_reads(fz.graph)
    signature = ExportGraphSignature(list(ep.graph_signature.input_specs), mutation_specs + user_specs)
    return GraphModule(fz.subgraphs, fz.graph), signature, preserved
