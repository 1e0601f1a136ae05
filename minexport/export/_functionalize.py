"""run_decompositions(): re-trace a program into the functional core-ATen IR.

The training graph is replayed node by node with `_Functionalizer` as the
dispatch mode (on fake tensors, so no kernel runs).  For every op call:

- a mutating op (`add_`, `copy_`, `index_put_`, ...) is replaced by its
  functional twin, and the result becomes the tensor's new value.  If the
  tensor is a view, the new value is scattered back into its base through
  the chain of views that produced it (`select_scatter`, `slice_scatter`,
  an inverse `permute` or `view`); views of a mutated base are re-derived
  from the base's new value the next time they are read;
- an op with an entry in the decomposition table runs that Python function,
  whose own op calls come back here (so decompositions nest);
- anything else is recorded as it is.

At the end, every input whose value changed becomes a mutation output
(BUFFER_MUTATION, USER_INPUT_MUTATION or PARAMETER_MUTATION), ahead of the
user outputs in placeholder order, and nodes nobody uses are dropped.
"""
import operator

from .._tensor import Tensor, make_fake
from ..fx.graph import Graph, map_arg
from ..fx.graph_module import GraphModule
from ..ops import aten
from .._trace_state import Tracer, tracing
from ..ops.core import default_decompositions
from ..ops.shape import contiguous_after, wrap_dims
from .graph_signature import (ExportGraphSignature, InputKind, OutputKind, OutputSpec,
                              TensorArgument, sym_argument)
from ._recording import node_name, recorded_args

__all__ = ["functionalize"]

_MUTATION_KIND = {InputKind.BUFFER: OutputKind.BUFFER_MUTATION, InputKind.USER_INPUT: OutputKind.USER_INPUT_MUTATION,
                  InputKind.PARAMETER: OutputKind.PARAMETER_MUTATION}


def _fill_functional(self, value):
    if isinstance(value, Tensor):
        return aten.copy.default(self, value)
    return aten.full_like.default(self, value)


# in-place ops whose functional form is not their registered twin
_FUNCTIONAL = {
    aten.fill_.Scalar: _fill_functional,
    aten.fill_.Tensor: _fill_functional,
    aten.zero_.default: lambda self: aten.full_like.default(self, 0),
}


class _Functionalizer(Tracer):
    """The dispatch mode of run_decompositions (see the module docstring)."""

    def __init__(self, table):
        self.graph = Graph()
        self.table = table
        self.version = {}          # id(base tensor) -> mutation count
        self.sym_nodes = None      # SymNodes for programs with symbolic sizes
        self.meta = {}             # meta of the original node being replayed
        self.subgraphs = {}        # attribute name -> functional GraphModule (cond branches, map bodies)

    # -- values -------------------------------------------------------------
    def copy_placeholder(self, node):
        """A placeholder like node in this graph; returns (its value — a fresh fake for a tensor —, the node)."""
        val = node.meta.get("val")
        new = self.graph.create_node("placeholder", node.name, name=node.name, meta=dict(node.meta))
        if isinstance(val, Tensor):
            val = make_fake(val.shape, val.dtype, val.device)
            val._node = new
            new.meta["val"] = val
        return val, new

    def node_of(self, t):
        self.sync(t)
        return t._node

    def sync(self, t):
        """Re-derive a view whose base was mutated since the view was taken."""
        base = t.__dict__.get("_fbase")
        if base is None or self.version.get(id(base), 0) == t.__dict__["_fversion"]:
            return
        value = base
        for op, rest in t.__dict__["_fchain"]:
            value = self.record(op, (value, *rest), {})
        t._node = value._node
        t.__dict__["_fversion"] = self.version.get(id(base), 0)

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

    def record(self, op, args, kwargs):
        # an op without a meta function (item) keeps the value the training graph recorded
        out = op.meta(*args, **kwargs) if op.meta is not None else self.meta.get("val")
        node_args = _to_nodes(args, self)
        node_kwargs = _to_nodes(kwargs, self)
        node_args, node_kwargs = recorded_args(op, node_args, node_kwargs)
        node = self.graph.call_function(op, node_args, node_kwargs, meta=self.node_meta(out),
                                        name=node_name(op))
        if out is None:
            return None
        if getattr(out, "_is_symbolic", False):
            self.sym_nodes.cache[self.sym_nodes.env.simplify(out.expr)] = node
            return out
        if isinstance(out, Tensor):
            out._node = node
            if "view" in op.tags:
                self.mark_view(out, op, args)
            if self.sym_nodes is not None:
                for d, size in enumerate(out.shape):
                    if getattr(size, "_is_symbolic", False) and size.expr.is_Symbol and size.expr in size.env.unbacked:
                        self.sym_nodes.sources.setdefault(size.expr, (node, d))
            return out
        for i, t in enumerate(out):
            g = self.graph.call_function(operator.getitem, (node, i), meta=self.node_meta(t))
            t._node = g
        if "view" in op.tags:
            self.mark_split_views(out, op, args)
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
        outs = [make_fake(t.shape, t.dtype, t.device) for t in self.meta["val"]]
        node = self.graph.call_function(op, node_args, meta=self.node_meta(outs))
        for i, t in enumerate(outs):
            t._node = self.graph.call_function(operator.getitem, (node, i), meta=self.node_meta(t))
        return outs

    def data_dependent_size(self, upper):
        """Replaying an op with a data-dependent size: the size the training graph recorded for it."""
        for size in getattr(self.meta.get("val"), "shape", ()):
            if getattr(size, "_is_symbolic", False) and size.expr.free_symbols & size.env.unbacked:
                return size
        raise RuntimeError("run_decompositions: a data-dependent size has no recorded symbol to replay")

    def node_meta(self, val):
        meta = {"val": val}
        for key in ("stack_trace", "nn_module_stack"):
            if self.meta.get(key) is not None:
                meta[key] = self.meta[key]
        return meta

    # -- views ---------------------------------------------------------------------
    def mark_view(self, out, op, args, step=None):
        src = args[0]
        d = src.__dict__
        base = d.get("_fbase")
        if base is None:
            base = src
        chain = list(d.get("_fchain") or ())
        out.__dict__["_fbase"] = base
        out.__dict__["_fchain"] = chain + [step or (op, tuple(args[1:]))]
        out.__dict__["_fversion"] = self.version.get(id(base), 0)
        out.__dict__["_contiguous"] = contiguous_after(op, args, src.__dict__.get("_contiguous", True))

    def mark_split_views(self, outs, op, args):
        rest = list(args[1:])
        if op is aten.unbind.int:
            dim = rest[0] if rest else 0
            for i, t in enumerate(outs):
                self.mark_view(t, op, args, (aten.select.int, (dim, i)))
            return
        dim = rest[1] if len(rest) > 1 else 0
        start = 0
        for t in outs:
            size = t.shape[dim]
            self.mark_view(t, op, args, (aten.slice.Tensor, (dim, start, start + size)))
            start += size

    # -- mutation ------------------------------------------------------------------
    def functionalize(self, op, args, kwargs):
        if op is aten.detach_.default:
            return args[0]
        if op is aten._native_batch_norm_legit.default:
            input, weight, bias, rm, rv, training, momentum, eps = args
            out = aten._native_batch_norm_legit_functional.default(input, weight, bias, rm, rv, training, momentum,
                                                                    eps)
            self.write(rm, out[3])
            self.write(rv, out[4])
            return out[0], out[1], out[2]
        functional = _FUNCTIONAL.get(op) or op.functional
        if functional is None:
            raise NotImplementedError(f"run_decompositions: no functional form of {op} to replace it with")
        new = functional(*args, **kwargs)
        target = args[0]
        if new.dtype is not target.dtype:
            new = aten._to_copy.default(new, dtype=target.dtype)
        self.write(target, new)
        return target

    def write(self, t, new):
        """t now holds new's value; push it into t's base through the view chain."""
        d = t.__dict__
        base = d.get("_fbase")
        if base is None:
            t._node = new._node
            self.version[id(t)] = self.version.get(id(t), 0) + 1
            return
        chain = d["_fchain"]
        values = [base]
        for op, rest in chain[:-1]:
            values.append(self.record(op, (values[-1], *rest), {}))
        value = new
        for (op, rest), below in zip(reversed(chain), reversed(values)):
            value = _scatter_back(op, rest, below, value)
        base._node = value._node
        self.version[id(base)] = self.version.get(id(base), 0) + 1
        t._node = new._node
        d["_fversion"] = self.version[id(base)]


def _scatter_back(op, rest, base, value):
    """The base whose `op(base, *rest)` view now equals value."""
    name = op.op_name
    if name == "select":
        return aten.select_scatter.default(base, value, *rest)
    if name == "slice":
        return aten.slice_scatter.default(base, value, *rest)
    if name == "narrow":
        dim, start, length = rest
        return aten.slice_scatter.default(base, value, dim, start, start + length)
    if name in ("alias", "detach", "contiguous"):
        return value
    if name in ("permute", "transpose", "t", "numpy_T", "mT"):
        perm = _permutation(op, rest, base.ndim)
        inverse = [perm.index(i) for i in range(len(perm))]
        return aten.permute.default(value, inverse)
    if name in ("expand", "expand_as"):
        raise RuntimeError("run_decompositions: an in-place write into an expand()ed view cannot be expressed "
                           "functionally (it writes one element many times); clone() before writing")
    return aten.view.default(value, list(base.shape))    # every shape-only view


def _permutation(op, rest, ndim):
    name = op.op_name
    if name == "permute":
        return list(wrap_dims(rest[0], ndim))
    perm = list(range(ndim))
    if name == "transpose":
        d0, d1 = (r % ndim for r in rest)
    elif name == "mT":
        d0, d1 = ndim - 2, ndim - 1
    else:
        return perm[::-1]
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return perm


def _tensors(args, kwargs):
    for v in list(args) + list(kwargs.values()):
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            for x in v:
                if isinstance(x, Tensor):
                    yield x


def _to_nodes(value, fz):
    if isinstance(value, Tensor):
        return fz.node_of(value)
    if getattr(value, "_is_symbolic", False):
        return fz.sym_nodes.node(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_nodes(v, fz) for v in value)
    if isinstance(value, dict):
        return {k: _to_nodes(v, fz) for k, v in value.items()}
    return value


_SIDE_EFFECTS = ("side_effect",)


def _eliminate_dead_code(graph):
    for node in reversed(list(graph.nodes)):
        if node.op == "call_function" and not node.users and not any(
                t in (getattr(node.target, "tags", None) or ()) for t in _SIDE_EFFECTS):
            graph.erase_node(node)


def _sym_nodes(graph, shape_env, placeholders):
    """SymNodes for graph: symbols read from the placeholders' sizes, or the placeholders that are symbols."""
    from ._symbolic import SymNodes
    sources, cache = {}, {}
    for placeholder in placeholders:
        val = placeholder.meta.get("val")
        if getattr(val, "_is_symbolic", False):
            cache[shape_env.simplify(val.expr)] = placeholder
        for d, size in enumerate(getattr(val, "shape", ())):
            if getattr(size, "_is_symbolic", False) and shape_env.simplify(size.expr).is_Symbol:
                sources.setdefault(shape_env.simplify(size.expr), (placeholder.name, d))
    names = {p.name: p for p in placeholders}
    sym_nodes = SymNodes(graph, shape_env, sources, names.__getitem__)
    sym_nodes.cache.update(cache)
    return sym_nodes


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
                elif getattr(node.target, "_is_higher_order_op", False):
                    env[node] = fz.higher_order(node.target, args)
                else:
                    env[node] = node.target(*args, **kwargs)
            elif node.op == "get_attr":
                env[node] = _Subgraph(node.target, getattr(gm, node.target))
            elif node.op == "output":
                return map_arg(node.args[0], lambda n: env[n])
    return None


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
    outputs = _replay(fz, gm, env)
    fz.graph.output(tuple(fz.node_of(t) for t in outputs))
    _eliminate_dead_code(fz.graph)
    return GraphModule(fz.subgraphs, fz.graph, class_name=gm._get_name())


def functionalize(ep, decomp_table=None):
    """ep re-traced into the functional core-ATen dialect (see the module docstring): the new program's
    (graph module, graph signature, preserved ops)."""
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
    outputs = _replay(fz, ep.graph_module, env)
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
        elif getattr(value, "_is_symbolic", False):
            node = fz.sym_nodes.node(value)
            user_values.append(node)
            user_specs.append(OutputSpec(spec.kind, sym_argument(node.name, value), spec.target))
        else:
            user_values.append(value)
            user_specs.append(spec)
    fz.graph.output(tuple(mutation_values + user_values))
    _eliminate_dead_code(fz.graph)
    signature = ExportGraphSignature(list(ep.graph_signature.input_specs), mutation_specs + user_specs)
    return GraphModule(fz.subgraphs, fz.graph), signature, preserved
