"""export(): capture a Module's forward as an ATen-level graph.

How a trace runs:
1. The inputs `(args, kwargs)` are flattened; every leaf must be a tensor,
   a number, a bool, a str or None (containers must be pytrees).
2. Parameters and buffers are swapped for fake tensors (shape, dtype,
   device; no data) carrying placeholder nodes `p_<fqn>` / `b_<fqn>`; plain
   tensor attributes become fakes lifted as `c_<fqn>` on first use; user
   tensors become fakes carrying placeholders named after forward's
   parameters.
3. forward runs as ordinary Python with `_Tracer` installed as the dispatch
   mode: every op call runs the op's meta function and appends a
   `call_function` node (arguments normalized by the op's schema, trailing
   defaults dropped, as torch records them), with `val`, `stack_trace` and
   `nn_module_stack` in its meta.  An in-place op (or a `to` that changes
   nothing) returns its input, whose node is then rebound to the new node,
   so later reads see the mutated value as in torch's graphs.
4. Python that needs a traced value (`if t:`, `int(t)`, `t.tolist()`) is
   refused with the user's source line and the fix.
5. Outputs are flattened; the signature, module call graph and
   ExportedProgram are assembled and verified.
"""
import contextlib
import dataclasses
import inspect
import linecache
import operator
import sys

from .._tensor import Tensor, make_fake
from ..fx.graph import Graph, Node
from ..fx.graph_module import GraphModule
from ..nn.module import Module
from ..nn.parameter import Parameter
from .. import ops as _ops
from .._trace_state import Tracer, tracing
from ..utils import _pytree as pytree
from .errors import DataDependentError, UserError, format_user_frame, is_internal, user_frame
from .exported_program import ExportedProgram, ModuleCallEntry, ModuleCallSignature
from .graph_signature import (ConstantArgument, ExportGraphSignature, InputKind, InputSpec, OutputKind,
                              OutputSpec, TensorArgument, sym_argument)

__all__ = ["export", "register_dataclass", "input_path"]

_LEAF_TYPES = (Tensor, int, float, bool, str, type(None))


def input_path(path):
    """A key path into (args, kwargs) as torch writes it: '*args[0]['a']', '**kwargs['z']'."""
    if not path:
        return "inputs"
    head = "*args" if path[0] == pytree.SequenceKey(0) else "**kwargs"
    return head + "".join(str(k) for k in path[1:])


def register_dataclass(cls, *, serialized_type_name=None):
    """Make a dataclass usable as an export input or output (a pytree node; None fields go to the context)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"register_dataclass expects a dataclass, got {cls!r}")
    names = [f.name for f in dataclasses.fields(cls) if f.init]

    def flatten(obj):
        present = [n for n in names if getattr(obj, n) is not None]
        missing = [n for n in names if getattr(obj, n) is None]
        return [getattr(obj, n) for n in present], [present, missing]

    def unflatten(values, context):
        present, missing = context
        return cls(**dict(zip(present, values)), **{n: None for n in missing})

    import json
    pytree.register_pytree_node(
        cls, flatten, unflatten,
        serialized_type_name=serialized_type_name or f"{cls.__module__}.{cls.__qualname__}",
        to_dumpable_context=lambda ctx: json.dumps(ctx),
        from_dumpable_context=lambda s: json.loads(s),
        flatten_with_keys_fn=lambda obj: ([(pytree.GetAttrKey(n), getattr(obj, n)) for n in flatten(obj)[1][0]],
                                          flatten(obj)[1]))


# ------------------------------------------------------------------ tracer --
class _Tracer(Tracer):
    """The dispatch mode active during export: records every op call as a node."""

    def __init__(self, root):
        self.graph = self.root_graph = Graph()
        self.branches = []             # cond/map subgraphs being traced, outermost first
        self.subgraphs = {}            # Graph -> {attribute name: subgraph} (cond branches, map bodies)
        self.root = root
        self.module_stack = {}
        self.fqn_of = {}
        for fqn, m in root.named_modules(remove_duplicate=False):
            self.fqn_of.setdefault(id(m), fqn)
        self.placeholders = {"param": [], "buffer": [], "constant": [], "user": []}
        self.input_specs = {"param": [], "buffer": [], "constant": [], "user": []}
        self.constants = {}
        self.pending_constants = {}   # id(fake) -> (target, real tensor)
        self.lifted_real = {}          # id(real tensor) -> fake
        self.n_lifted = 0
        self.frame_cache = {}
        self.sym_nodes = None          # SymNodes, for programs with dynamic dims
        self.symbolic = None
        self.pending_sizes = []        # data-dependent sizes made by the op being recorded

    # -- placeholders ---------------------------------------------------------
    def placeholder(self, group, name, val):
        node = self.root_graph.create_node("placeholder", name, name=name, meta={"val": val})
        node.target = node.name
        self.placeholders[group].append(node)
        self.root_graph.nodes.remove(node)   # placeholders are ordered by group at the end
        return node

    def fake_of(self, t, group, name, shape=None):
        shape = t.shape if shape is None else shape
        fake = make_fake(shape, t.dtype, t.device) if not isinstance(t, Parameter) else \
            Parameter(make_fake(shape, t.dtype, t.device), requires_grad=t.requires_grad)
        fake.requires_grad = t.requires_grad
        fake._node = self.placeholder(group, name, fake)
        return fake

    def lift_constant(self, t):
        """A real tensor met during tracing: a lifted constant placeholder (c_lifted_tensor_N)."""
        fake = self.lifted_real.get(id(t))
        if fake is None:
            target = f"lifted_tensor_{self.n_lifted}"
            self.n_lifted += 1
            fake = self.fake_of(t, "constant", "c_" + target)
            self.input_specs["constant"].append(InputSpec(InputKind.CONSTANT_TENSOR,
                                                          TensorArgument(fake._node.name), target))
            self.constants[target] = t
            self.lifted_real[id(t)] = fake
        return fake

    def node_of(self, t):
        """The node standing for tensor t, lifting it first when needed."""
        node = t._node
        if node is not None and node.graph is self.graph:
            return node, t
        if self.branches:       # a value from outside the cond/map subgraph being traced: lift it in
            with self.outside_branch() as branch:
                outer, fake = self.node_of(t)
            return branch.lift(outer, fake), fake
        pending = self.pending_constants.pop(id(t), None)
        if pending is not None:
            target, real = pending
            t._node = self.placeholder("constant", "c_" + target.replace(".", "_"), t)
            self.input_specs["constant"].append(InputSpec(InputKind.CONSTANT_TENSOR,
                                                          TensorArgument(t._node.name), target))
            self.constants[target] = real
            return t._node, t
        if t._data is not None:
            fake = self.lift_constant(t)
            return fake._node, fake
        raise UserError("a fake tensor from another trace reached this one; tensors created while tracing "
                        "one program cannot be used in another")

    # -- the dispatch mode -------------------------------------------------------
    def __call__(self, op, args, kwargs):
        if op.meta is None:
            if op.op_name == "item":
                return self.item(args[0])
            return self.refuse_data_access(str(op), None)
        args, kwargs, arg_nodes, kwarg_nodes = self.track_inputs(args, kwargs)
        if self.branches and op.is_mutating:
            self.branches[-1].check_mutation(op, args[0])
        out = op.meta(*args, **kwargs)
        if "returns_self_if_unchanged" in op.tags and _unchanged(args[0], out, kwargs, args):
            out = args[0]
        node_args, node_kwargs = _normalize(op, arg_nodes, kwarg_nodes)
        node = self.graph.call_function(op, node_args, node_kwargs, meta=self.node_meta(out), name=node_name(op))
        out = self.bind_outputs(op, node, out, args)
        if self.pending_sizes:
            self.assert_sizes(node, out)
        return out

    def track_inputs(self, args, kwargs):
        """Replace real/pending tensors by fakes and compute the node-valued arguments."""
        def conv(v):
            if isinstance(v, Tensor):
                node, fake = self.node_of(v)
                return fake, node
            if self.sym_nodes is not None and getattr(v, "_is_symbolic", False):
                return v, self.sym_node(v)
            if type(v) in (list, tuple) and any(isinstance(x, Tensor) or getattr(x, "_is_symbolic", False)
                                                for x in v):
                pairs = [conv(x) for x in v]
                return type(v)(p[0] for p in pairs), list(p[1] for p in pairs)
            return v, v
        new_args, arg_nodes = [], []
        for a in args:
            v, n = conv(a)
            new_args.append(v)
            arg_nodes.append(n)
        new_kwargs, kwarg_nodes = {}, {}
        for k, a in kwargs.items():
            new_kwargs[k], kwarg_nodes[k] = conv(a)
        return new_args, new_kwargs, arg_nodes, kwarg_nodes

    def bind_outputs(self, op, node, out, args):
        if isinstance(out, Tensor):
            out._node = node
            if "view" in op.tags and out is not args[0] and isinstance(args[0], Tensor):
                out._base = args[0]._base if args[0]._base is not None else args[0]
            return out
        if isinstance(out, (list, tuple)):
            for i, t in enumerate(out):
                g = self.graph.call_function(operator.getitem, (node, i), meta=self.node_meta(t, node))
                if isinstance(t, Tensor):
                    t._node = g
            return out
        return out

    def node_meta(self, val, like=None):
        if like is not None:
            return {"val": val, "stack_trace": like.meta.get("stack_trace"),
                    "nn_module_stack": like.meta.get("nn_module_stack")}
        meta = {"val": val, "nn_module_stack": dict(self.module_stack)}
        trace = self.stack_trace()
        if trace:
            meta["stack_trace"] = trace
        return meta

    def stack_trace(self):
        """User frames (and nn layer forwards) from the root forward down to this op, torch's format."""
        frames = []
        f = sys._getframe(3)
        while f is not None:
            code = f.f_code
            if code is _CALL_FORWARD_CODE:
                break
            keep = self.frame_cache.get(code)
            if keep is None:
                keep = not is_internal(code.co_filename) or (code.co_name == "forward" and
                                                             "nn" in code.co_filename)
                keep = keep and "/minexport/export/" not in code.co_filename
                self.frame_cache[code] = keep
            if keep:
                frames.append((code.co_filename, f.f_lineno, code.co_name))
            f = f.f_back
        if not frames:
            return None
        parts = [f'File "{fn}", line {ln}, in {name}\n    {linecache.getline(fn, ln).strip()}'
                 for fn, ln, name in reversed(frames)]
        return "\n  ".join(parts)

    # -- symbolic values and subgraphs ------------------------------------------------------
    def sym_node(self, value):
        """The node computing a symbolic value: from sizes of the current graph's inputs, else computed
        outside and lifted into the cond/map subgraph being traced."""
        if not self.branches:
            return self.sym_nodes.node(value)
        node = self.branches[-1].local_sym_node(value, self.sym_nodes.env)
        if node is not None:
            return node
        with self.outside_branch() as branch:
            node = self.sym_node(value)
        return branch.lift(node, value) if isinstance(node, Node) else node

    @contextlib.contextmanager
    def outside_branch(self):
        """Trace in the graph around the innermost open subgraph (to make a value there, then lift it)."""
        branch = self.branches.pop()
        self.graph = branch.outer
        try:
            yield branch
        finally:
            self.graph = branch.graph
            self.branches.append(branch)

    def add_subgraph(self, prefix, graph):
        """Attach a traced subgraph to the current graph as `<prefix>_<i>`; returns its get_attr node."""
        attrs = self.subgraphs.setdefault(self.graph, {})
        name = f"{prefix}_{sum(1 for k in attrs if k.startswith(prefix + '_'))}"
        attrs[name] = graph
        return self.graph.get_attr(name, meta=self.node_meta(None))

    def graph_module(self, graph, class_name="GraphModule"):
        """A GraphModule for graph with its subgraphs as submodules (recursively)."""
        subs = {name: self.graph_module(g, name) for name, g in self.subgraphs.get(graph, {}).items()}
        return GraphModule(subs, graph, class_name=class_name)

    def trace_cond(self, pred, true_fn, false_fn, operands):
        """cond with a predicate that depends on the inputs (see export/_control_flow.py)."""
        from ._control_flow import trace_cond
        return trace_cond(self, pred, true_fn, false_fn, operands)

    def trace_map(self, body, xs, args):
        """map over the leading dim of xs (see export/_control_flow.py)."""
        from ._control_flow import trace_map
        return trace_map(self, body, xs, args)

    # -- data-dependent values ------------------------------------------------------------
    def ensure_symbolic(self):
        """The export's symbolic state, created on first need (an .item() in a static program)."""
        if self.symbolic is None:
            from ._symbolic import SymbolicInputs, SymNodes
            self.symbolic = SymbolicInputs()
            self.sym_nodes = SymNodes(self.graph, self.symbolic.env, self.symbolic.sources, self.placeholder_named)
        return self.symbolic

    def placeholder_named(self, name):
        for group in self.placeholders.values():
            for n in group:
                if n.name == name:
                    return n
        raise KeyError(name)

    def data_dependent_size(self, upper):
        """A fresh unbacked size in [0, upper] for an op's output (a mask's count, nonzero's rows)."""
        env = self.ensure_symbolic().env
        sym = env.create_unbacked("a data-dependent size")
        env.narrow(sym.expr, 0, upper if type(upper) is int else None)
        env.size_like.add(sym.expr)
        self.pending_sizes.append((sym, upper))
        return sym

    def assert_sizes(self, node, out):
        """After an op made data-dependent sizes: read them (sym_size) and assert their range at run time."""
        pending, self.pending_sizes = self.pending_sizes, []
        for sym, upper in pending:
            for d, size in enumerate(getattr(out, "shape", ())):
                if getattr(size, "_is_symbolic", False) and size.expr == sym.expr:
                    self.symbolic.sources[sym.expr] = (node, d)
                    break
            for cond in (sym >= 0, sym <= upper):
                self.runtime_assert(cond)

    def item(self, t):
        """`t.item()` while tracing: an unbacked SymInt (u0, ...) or SymFloat (zuf0, ...) computed by aten.item."""
        node, fake = self.node_of(t)
        if fake.numel() != 1:
            return self.refuse_data_access(".item() of a tensor with more than one element", t)
        env = self.ensure_symbolic().env
        source = f"{node.name}.item()"
        sym = env.create_unbacked_float(source) if fake.dtype.is_floating_point else env.create_unbacked(source)
        if fake.dtype.name == "bool":
            env.narrow(sym.expr, 0, 1)
        item = self.graph.call_function(_ops.aten.item.default, (node,), meta=self.node_meta(sym))
        self.sym_nodes.cache[sym.expr] = item
        return sym

    def check_condition(self, cond, message):
        """minexport._check(cond) while tracing: narrow ranges and keep a runtime assert."""
        from ._symbolic import implied_bounds
        env = self.ensure_symbolic().env
        decided = env.static_value(cond.expr)
        if decided is True:
            return
        if decided is False:
            raise UserError(f"_check({cond.expr}) is always false for the declared ranges"
                            + (f": {message}" if message else ""))
        expr = env.simplify(cond.expr)
        unbacked = expr.free_symbols & env.unbacked
        if not unbacked:
            if not bool(cond):
                raise UserError(f"_check({expr}) fails on the example inputs" + (f": {message}" if message else ""))
            return
        env.assume(expr)
        if len(expr.free_symbols) == 1 and not expr.free_symbols & env.float_symbols:
            (sym,) = expr.free_symbols
            try:
                lo, hi = implied_bounds(expr, sym)
            except Exception:      # not a linear inequality: kept as a runtime assert only
                lo = hi = None
            env.narrow(sym, lo, hi)
        self.runtime_assert(cond, message)

    def runtime_assert(self, cond, message=None):
        """Nodes that check cond when the program runs (an operator node feeding aten._assert_scalar)."""
        expr = self.symbolic.env.simplify(cond.expr)
        rel = self.sym_nodes.node(cond)
        rel.meta.update(self.node_meta(rel.meta["val"]))
        text = f"Runtime assertion failed for expression {expr} on node '{rel.name}'"
        self.graph.call_function(_ops.aten._assert_scalar.default, (rel, message or text),
                                 meta=self.node_meta(None), name=node_name(_ops.aten._assert_scalar.default))

    # -- module calls (nn_module_stack) ------------------------------------------------
    def enter_module(self, module):
        fqn = self.fqn_of.get(id(module))
        if fqn is None:
            return False
        key = "L__self__" + fqn if fqn else "L__self__"
        if key in self.module_stack:
            return False
        cls = type(module)
        self.module_stack[key] = (fqn, f"{cls.__module__}.{cls.__qualname__}")
        return key

    def exit_module(self, key):
        if key:
            self.module_stack.pop(key, None)

    # -- refusals -----------------------------------------------------------------------
    def refuse_data_access(self, what, tensor):
        frame = user_frame(2)
        raise DataDependentError(
            f"Data-dependent control flow or value: {what} needs the value of a traced tensor, which export "
            f"cannot see (it records tensor operations, not their results). At:\n{format_user_frame(frame)}\n"
            "Fix it by one of:\n"
            "  - compute both results and select with minexport.where(cond, a, b);\n"
            "  - read an integer scalar with .item() and bound it with minexport._check(...);\n"
            "  - keep both branches in the program with minexport.cond(pred, true_fn, false_fn, operands).")


def _unchanged(inp, out, kwargs, args):
    """A `to`/`contiguous` that changes nothing returns its input (torch returns self, and rebinds it)."""
    if not isinstance(inp, Tensor) or not isinstance(out, Tensor):
        return False
    copy = kwargs.get("copy", False) or (len(args) > 3 and args[3] is True)
    return not copy and out.dtype is inp.dtype and out.device == inp.device


def _same_default(value, default):
    if type(value) is not type(default):
        if isinstance(value, (list, tuple)) and isinstance(default, (list, tuple)):
            return list(value) == list(default)
        return False
    return value == default


def node_name(op):
    """torch names a call it records as written after its overload (`_assert_scalar_default`); None: the op's
    name (`add`)."""
    return f"{op.op_name}_{op.overload_name}" if "recorded_as_called" in op.tags else None


def _normalize(op, args, kwargs):
    """Arguments as torch records them: positional by schema, trailing defaults and default kwargs dropped."""
    if "recorded_as_called" in op.tags:     # torch records these calls (made by its own Python) as written
        return tuple(args), dict(kwargs)
    schema = op._schema
    positional = [a for a in schema.arguments if not a.kwarg_only]
    args = list(args)
    kw = dict(kwargs)
    for a in positional[len(args):]:
        if a.name in kw:
            args.append(kw.pop(a.name))
        elif a.has_default:
            args.append(a.default)
        else:
            break
    while args and len(args) <= len(positional):
        a = positional[len(args) - 1]
        if a.has_default and _same_default(args[-1], a.default) and not hasattr(args[-1], "name"):
            args.pop()
        else:
            break
    out_kw = {}
    for a in schema.arguments:
        if a.kwarg_only and a.name in kw:
            v = kw[a.name]
            if not (a.has_default and _same_default(v, a.default)):
                out_kw[a.name] = v
    return tuple(args), out_kw


# --------------------------------------------------------------------- export --
def _bind_names(mod, args, kwargs):
    """Placeholder names per flat input leaf, and torch's forward_arg_names."""
    try:
        sig = inspect.signature(mod.forward)
    except (TypeError, ValueError):
        sig = None
    pos_names, varargs = [], None
    if sig is not None:
        for p in sig.parameters.values():
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                pos_names.append(p.name)
            elif p.kind == p.VAR_POSITIONAL:
                varargs = p.name
    forward_arg_names = []
    for i in range(len(args)):
        forward_arg_names.append(pos_names[i] if i < len(pos_names) else f"{varargs or 'args'}_{i - len(pos_names)}")
    forward_arg_names += list(kwargs)
    pairs, _ = pytree.tree_flatten_with_path((args, kwargs))
    names = []
    for path, _leaf in pairs:
        top = path[1]
        base = forward_arg_names[top.idx] if path[0].idx == 0 else str(top.key)
        rest = "".join("_" + str(getattr(k, "key", getattr(k, "idx", getattr(k, "name", "")))) for k in path[2:])
        names.append(base + rest)
    return names, forward_arg_names, pairs


def _positional_names(mod, args):
    """Names for positional arguments (forward's parameter names; *args as args_<i>)."""
    try:
        params = list(inspect.signature(mod.forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    varargs = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), "args")
    return [names[i] if i < len(names) else f"{varargs}_{i - len(names)}" for i in range(len(args))]


def _check_inputs(pairs):
    for path, leaf in pairs:
        if not isinstance(leaf, _LEAF_TYPES):
            cls = type(leaf)
            hint = (f"minexport.export.register_dataclass({cls.__name__})" if dataclasses.is_dataclass(leaf)
                    else f"minexport.utils._pytree.register_pytree_node({cls.__name__}, flatten_fn, unflatten_fn)")
            raise UserError(f"export: the input at {input_path(path)} is a {cls.__module__}.{cls.__qualname__}, "
                            f"which export cannot take apart. Register the class first: {hint}")


def _swap_state(tracer, mod):
    """Replace parameters, buffers and tensor attributes by fakes; returns a restore function."""
    restores, fakes = [], {}
    for fqn, p in mod.named_parameters():
        fake = tracer.fake_of(p, "param", "p_" + fqn.replace(".", "_"))
        fakes[id(p)] = fake
        tracer.input_specs["param"].append(InputSpec(InputKind.PARAMETER, TensorArgument(fake._node.name), fqn))
    for fqn, b in mod.named_buffers():
        owner = mod.get_submodule(fqn.rpartition(".")[0])
        persistent = fqn.rpartition(".")[2] not in owner._non_persistent_buffers_set
        fake = tracer.fake_of(b, "buffer", "b_" + fqn.replace(".", "_"))
        fakes[id(b)] = fake
        tracer.input_specs["buffer"].append(InputSpec(InputKind.BUFFER, TensorArgument(fake._node.name), fqn,
                                                      persistent=persistent))
    for prefix, m in mod.named_modules():
        for table in (m._parameters, m._buffers):
            for name, t in list(table.items()):
                if t is not None and id(t) in fakes:
                    restores.append((table, name, t))
                    table[name] = fakes[id(t)]
        for name, v in list(m.__dict__.items()):
            if isinstance(v, Tensor) and not isinstance(v, Parameter):
                target = (prefix + "." if prefix else "") + name
                fake = make_fake(v.shape, v.dtype, v.device)
                tracer.pending_constants[id(fake)] = (target, v)
                restores.append((m.__dict__, name, v))
                m.__dict__[name] = fake

    def restore():
        for table, name, value in restores:
            table[name] = value
    return restore


def _call_forward(mod, args, kwargs):
    return mod(*args, **kwargs)


_CALL_FORWARD_CODE = _call_forward.__code__


def export(mod, args, kwargs=None, *, dynamic_shapes=None, strict=False, preserve_module_call_signature=()):
    """Capture mod's forward on example inputs as an ExportedProgram (torch.export.export's signature).

    minexport always traces as torch's non-strict mode does: Python runs as
    written and only tensor operations are recorded, so `strict=True`
    changes nothing.
    """
    if not isinstance(mod, Module):
        raise ValueError(f"Expected `mod` to be an instance of `torch.nn.Module`, got {type(mod)}.")
    if not isinstance(args, tuple):
        raise UserError(f"Expecting `args` to be a tuple of example positional inputs, got {type(args)}")
    kwargs = {} if kwargs is None else kwargs
    if not isinstance(kwargs, dict):
        raise UserError(f"Expecting `kwargs` to be a dict of example keyword inputs, got {type(kwargs)}")
    names, forward_arg_names, pairs = _bind_names(mod, args, kwargs)
    _check_inputs(pairs)
    flat_inputs, in_spec = pytree.tree_flatten((args, kwargs))
    from .dynamic_shapes import leaf_specs
    specs = leaf_specs(_positional_names(mod, args), args, kwargs, dynamic_shapes)
    tracer = _Tracer(mod)
    symbolic = tracer.ensure_symbolic() if any(specs) else None
    restore = _swap_state(tracer, mod)
    try:
        traced_leaves = []
        for name, leaf, spec in zip(names, flat_inputs, specs):
            if isinstance(leaf, Tensor):
                shape = symbolic.shape(name, leaf, spec) if symbolic is not None else None
                fake = tracer.fake_of(leaf, "user", name, shape)
                if symbolic is not None:
                    for d, s in enumerate(shape):
                        if getattr(s, "_is_symbolic", False):
                            symbolic.note_source(s.expr, fake._node.name, d)
                tracer.input_specs["user"].append(InputSpec(InputKind.USER_INPUT, TensorArgument(fake._node.name)))
                traced_leaves.append(fake)
            else:
                node = tracer.placeholder("user", name, leaf)
                tracer.input_specs["user"].append(InputSpec(InputKind.USER_INPUT, ConstantArgument(node.name, leaf)))
                traced_leaves.append(leaf)
        t_args, t_kwargs = pytree.tree_unflatten(traced_leaves, in_spec)
        with tracing(tracer):
            out = _call_forward(mod, t_args, t_kwargs)
        out_pairs, out_spec = pytree.tree_flatten_with_path(out)
        output_values, output_specs = [], []
        for path, leaf in out_pairs:
            if isinstance(leaf, Tensor):
                node, _ = tracer.node_of(leaf)
                output_values.append(node)
                output_specs.append(OutputSpec(OutputKind.USER_OUTPUT, TensorArgument(node.name)))
            elif getattr(leaf, "_is_symbolic", False) and tracer.sym_nodes is not None:
                node = tracer.sym_nodes.node(leaf)
                output_values.append(node)
                output_specs.append(OutputSpec(OutputKind.USER_OUTPUT, sym_argument(node.name, leaf)))
            elif isinstance(leaf, _LEAF_TYPES):
                output_values.append(leaf)
                output_specs.append(OutputSpec(OutputKind.USER_OUTPUT, ConstantArgument("", leaf)))
            else:
                raise UserError(f"export: forward returned a {type(leaf).__name__} at output{pytree.keystr(path)}; "
                                "outputs must be tensors, numbers, bools, str or None inside registered pytrees")
    finally:
        restore()
    graph = tracer.graph
    ordered = [n for group in ("param", "buffer", "constant", "user") for n in tracer.placeholders[group]]
    graph.nodes[:0] = ordered
    graph.output(tuple(output_values))
    input_specs = [s for group in ("param", "buffer", "constant", "user") for s in tracer.input_specs[group]]
    signature = ExportGraphSignature(input_specs, output_specs)
    state_dict = {}
    for spec in input_specs:
        if spec.kind == InputKind.PARAMETER:
            state_dict[spec.target] = mod.get_parameter(spec.target)
        elif spec.kind == InputKind.BUFFER and spec.persistent:
            state_dict[spec.target] = mod.get_buffer(spec.target)
    constants = dict(tracer.constants)
    for spec in input_specs:
        if spec.kind == InputKind.BUFFER and not spec.persistent:
            constants[spec.target] = mod.get_buffer(spec.target)
    root_sig = ModuleCallSignature(inputs=[], outputs=[], in_spec=in_spec, out_spec=out_spec,
                                   forward_arg_names=forward_arg_names)
    call_graph = [ModuleCallEntry("", root_sig)] + [ModuleCallEntry(fqn, None) for fqn, _ in mod.named_modules()
                                                    if fqn]
    symbolic = tracer.symbolic
    ranges = symbolic.check() if symbolic is not None else {}
    gm = tracer.graph_module(graph)
    ep = ExportedProgram(gm, graph, signature, state_dict, ranges, call_graph, (args, kwargs), constants)
    ep._shape_env = symbolic.env if symbolic is not None else None
    return ep

