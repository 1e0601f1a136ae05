"""`ExportTracer`: what export() installs with `tracing()`; it records every op call as a node.

Its parts, in this order below: the graph's inputs (placeholders and the
InputSpecs beside them), the op-call hook (meta function, node, arguments as
torch records them), node meta (`val`, `stack_trace`, `nn_module_stack`),
cond/map subgraphs, module calls and refusals.  Symbolic values (`.item()`,
`_check`, runtime asserts) come from the `SymbolicTracing` mixin.
"""
import contextlib
import linecache
import operator
import sys

from .._symbolic_marker import is_symbolic
from .._tensor import Size, Tensor, contiguous_fake, make_fake
from ..ops._common import dense_strides
from .._trace_state import Tracer
from ..fx.graph import Graph, _call_node
from ..fx.graph_module import GraphModule
from ..nn.parameter import Parameter
from . import _control_flow, _loops
from ._recording import node_name, recorded_args
from ._symbolic_tracing import SymbolicTracing
from .errors import DataDependentError, UserError, format_user_frame, is_user_code, user_frame
from .graph_signature import ConstantArgument, InputKind, InputSpec, TensorArgument, input_spec

__all__ = ["ExportTracer", "SIGNATURE_ORDER", "call_forward"]

# The graph's inputs come in this order (torch's): lifted state first, then the user's inputs.
SIGNATURE_ORDER = (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR, InputKind.USER_INPUT)

def call_forward(mod, args, kwargs):
    """Run the traced forward; its frame is where a recorded stack trace stops."""
    return mod(*args, **kwargs)


_CALL_FORWARD_CODE = call_forward.__code__


class ExportTracer(SymbolicTracing, Tracer):
    """The tracer active during export (see the module docstring)."""

    def __init__(self, modules):
        """modules: the exported model's (fqn, module) pairs, each module once (`Module.module_tree()`)."""
        self.graph = self.root_graph = Graph()
        self.branches = []             # cond/map subgraphs being traced, outermost first
        self.subgraphs = {}            # Graph -> {attribute name: subgraph} (cond branches, map bodies)
        self.module_stack = {}
        self.entered = set()           # the fqns on module_stack (each at most once: a re-entry is not pushed)
        self.call_counts = {}          # fqn -> calls so far - 1 (the `@i` of nn_module_stack keys)
        self.class_paths = {}          # module class -> "module.qualname", as nn_module_stack records it
        self.fqn_of = {id(m): fqn for fqn, m in modules}     # a module's first fqn, depth first
        self.inputs = [[] for _ in SIGNATURE_ORDER]     # InputSpecs by kind, in SIGNATURE_ORDER
        self.input_nodes = {}          # placeholder name -> node
        self.constants = {}            # lifted constant target -> real tensor
        self.pending_constants = {}    # id(fake tensor attribute) -> (target, real tensor)
        self.lifted_real = {}          # id(real tensor) -> fake
        # id(code object) -> (the code object, is it recorded in stack traces).  Ids, because hashing a code
        # object hashes its contents; the entry keeps the code object alive, so its id names it while tracing.
        self.frame_cache = {}
        self.trace_cache = {}          # call sites ((id(code), line), innermost first) -> stack_trace text
        # One [frame, sites or None] per module call in progress, innermost last: the frame of its
        # `Module.__call__` and, once an op inside asked, the call sites from that frame up (see stack_trace).
        self.call_frames = []
        self.stack_snapshot = None     # nn_module_stack as new nodes record it; None: changed since
        self.pending_sizes = []        # data-dependent sizes made by the op being recorded

    # -- the graph's inputs -----------------------------------------------------
    def add_input(self, kind, name, val, target=None, persistent=None):
        """A placeholder for an input of `kind` and its InputSpec.

        The placeholder goes after the inputs of its kind and of the kinds before
        it, so the graph's inputs are always in SIGNATURE_ORDER, even for a
        constant lifted in the middle of the trace.
        """
        order = SIGNATURE_ORDER.index(kind)     # by identity, in C: hashing an enum member runs Python
        specs = self.inputs[order]
        node = self.root_graph.insert_placeholder(sum(map(len, self.inputs[:order + 1])), name, meta={"val": val})
        arg = TensorArgument(node.name) if isinstance(val, Tensor) else ConstantArgument(node.name, val)
        specs.append(InputSpec(kind, arg, target, persistent=persistent))
        self.input_nodes[node.name] = node
        return node

    def input_specs(self):
        """Every InputSpec, in signature order."""
        return [spec for specs in self.inputs for spec in specs]

    def input_node(self, name):
        """The placeholder named `name`."""
        return self.input_nodes[name]

    def fake_input(self, t, kind, name, shape=None, target=None, persistent=None):
        """A fake of tensor t (shape: t's, or the symbolic one given) standing for a new graph input."""
        if shape is None:
            fake = _fake_of_input(t)
        else:
            strides, offset = _input_layout(t, shape)
            fake = make_fake(shape, t._dtype, t._device, Parameter if isinstance(t, Parameter) else None,
                             strides=strides, storage_offset=offset)
            fake.requires_grad = t.requires_grad
        fake._node = self.add_input(kind, name, fake, target, persistent)
        return fake

    def fake_inputs(self, kind, rows):
        """`fake_input(t, kind, name, target=target, persistent=persistent)` for each (t, name, target,
        persistent) of rows, in order; returns the fakes.  Export lifts every parameter and buffer this way,
        before the trace.

        While the graph holds only inputs of `kind` and the kinds before it,
        `add_input` puts each new placeholder at the graph's end, so all of
        them are appended in one pass.  Otherwise, or for a tracer that fakes
        its inputs its own way (draft_export keeps each real value), each row
        goes through `fake_input`.
        """
        order = SIGNATURE_ORDER.index(kind)
        graph = self.root_graph
        if type(self).fake_input is not ExportTracer.fake_input or \
                graph._len != sum(map(len, self.inputs[:order + 1])):
            return [self.fake_input(t, kind, name, None, target, persistent) for t, name, target, persistent in rows]
        # rows of lifted state have a target, and a buffer's persistence is a bool: valid InputSpecs
        make_spec = input_spec if kind is not InputKind.BUFFER or \
            all(type(row[3]) is bool for row in rows) else InputSpec
        specs, input_nodes, fakes = self.inputs[order], self.input_nodes, []
        append = graph.append_placeholder
        for t, name, target, persistent in rows:
            fake = _fake_of_input(t)
            fake._node = node = append(name, {"val": fake})
            name = node.name
            input_nodes[name] = node
            specs.append(make_spec(kind, TensorArgument(name), target, persistent))
            fakes.append(fake)
        return fakes

    def lift_constant(self, t):
        """A real tensor met during tracing: a lifted constant placeholder (c_lifted_tensor_N)."""
        fake = self.lifted_real.get(id(t))
        if fake is None:
            target = f"lifted_tensor_{len(self.lifted_real)}"
            fake = self.fake_input(t, InputKind.CONSTANT_TENSOR, "c_" + target, target=target)
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
        if pending is not None:     # a tensor attribute of the module, read for the first time
            target, real = pending
            t._node = self.add_input(InputKind.CONSTANT_TENSOR, "c_" + target.replace(".", "_"), t, target)
            self.constants[target] = real
            return t._node, t
        if t._data is not None:
            fake = self.lift_constant(t)
            return fake._node, fake
        raise UserError("a fake tensor from another trace reached this one; tensors created while tracing "
                        "one program cannot be used in another")

    # -- op calls ------------------------------------------------------------------
    def __call__(self, op, args, kwargs):
        if op.meta is None:
            if op.op_name == "item":
                return self.item(args[0])
            return self.refuse_data_access(str(op), None)
        args, kwargs, arg_nodes, kwarg_nodes = self.track_inputs(args, kwargs)
        if self.branches and op.is_mutating:     # every argument the op writes (a custom op's need not be first)
            for i, a in enumerate(op._schema.arguments):
                written = (args[i] if i < len(args) else kwargs.get(a.name)) if a.is_write else None
                if isinstance(written, Tensor):
                    self.branches[-1].check_mutation(op, written)
        guards = self.guard_count()
        out = self.run_meta(op, args, kwargs)
        if self.symbolic is not None and len(self.symbolic.env.guards) > guards:
            self.attribute_guards(guards, op)      # the op's meta function recorded them (ep.explain())
        facts = _OP_FACTS.get(op) or _op_facts(op)
        if facts.returns_self and _unchanged(args[0], out, kwargs, args):
            out = args[0]
        node_args, node_kwargs = recorded_args(op, arg_nodes, kwarg_nodes)
        # recorded_args made node_args (a tuple) and node_kwargs (a dict) for this node alone: they need no copy
        node = _call_node(self.graph, op, node_args, node_kwargs, facts.name, self.node_meta(out))
        out = self.bind_outputs(op, node, out, args)
        if self.pending_sizes:
            self.assert_sizes(node, out)
        return out

    def run_meta(self, op, args, kwargs):
        """The op's fake outputs for fake inputs (draft_export's tracer also runs the real kernel here)."""
        return op.meta(*args, **kwargs)

    def track_inputs(self, args, kwargs):
        """Replace real/pending tensors by fakes and compute the node-valued arguments.

        Most arguments are tensors or plain Python values; those take the
        short way, and only symbolic values and lists go through `track`.
        """
        new_args, arg_nodes = [], []
        for a in args:
            t = type(a)
            if t in _PLAIN:
                new_args.append(a)
                arg_nodes.append(a)
            elif t is Tensor:
                node, fake = self.node_of(a)
                new_args.append(fake)
                arg_nodes.append(node)
            else:
                v, n = self.track(a)
                new_args.append(v)
                arg_nodes.append(n)
        if not kwargs:
            return new_args, {}, arg_nodes, {}
        new_kwargs, kwarg_nodes = {}, {}
        for k, a in kwargs.items():
            new_kwargs[k], kwarg_nodes[k] = self.track(a)
        return new_args, new_kwargs, arg_nodes, kwarg_nodes

    def track(self, v):
        """(value the meta function reads, value the node records) for one argument of an op call."""
        if isinstance(v, Tensor):
            node, fake = self.node_of(v)
            return fake, node
        if self.sym_nodes is not None and is_symbolic(v):
            return v, self.sym_node(v)
        # A list of plain values (a view's sizes, a split's lengths) holds nothing to track: its item types
        # say so without asking each item whether it is symbolic.
        # (A Size is a tuple too: its symbolic sizes must become their nodes, as a list's do.)
        if isinstance(v, (list, tuple)) and not set(map(type, v)) <= _PLAIN \
                and any(isinstance(x, Tensor) or is_symbolic(x) for x in v):
            pairs = [self.track(x) for x in v]
            return type(v)(p[0] for p in pairs), [p[1] for p in pairs]
        return v, v

    def bind_outputs(self, op, node, out, args):
        """Point the op's output tensors at `node` (a list output through getitem nodes); returns out."""
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
                elif isinstance(out, tuple) and isinstance(t, list):
                    # a list among a tuple's outputs (histogramdd's bin_edges): one getitem more per tensor
                    for j, x in enumerate(t):
                        x._node = self.graph.call_function(operator.getitem, (g, j), meta=self.node_meta(x, node))
            return out
        return out

    # -- node meta -------------------------------------------------------------------
    def node_meta(self, val, like=None):
        """A new node's meta: its value, and the stack trace and module stack (of `like`, or of this call)."""
        if like is not None:
            return {"val": val, "stack_trace": like.meta.get("stack_trace"),
                    "nn_module_stack": like.meta.get("nn_module_stack")}
        snapshot = self.stack_snapshot
        if snapshot is None:
            snapshot = self.stack_snapshot = dict(self.module_stack)
        meta = {"val": val, "nn_module_stack": snapshot}
        trace = self.stack_trace()
        if trace:
            meta["stack_trace"] = trace
        return meta

    def stack_trace(self):
        """User frames (see errors.is_user_code) from the root forward down to this op, torch's format.

        The frames kept are named by their call sites (code object, line), and
        the text of a chain of call sites is formatted once and reused (a
        layer's forward called by every block of a model records the same few
        chains again and again).
        """
        key = self.call_sites(sys._getframe(3), len(self.call_frames))
        if not key:
            return None
        trace = self.trace_cache.get(key)
        if trace is None:
            cache = self.frame_cache
            trace = self.trace_cache[key] = "\n  ".join(_format_site(cache[code][0], line)
                                                        for code, line in reversed(key))
        return trace

    def call_sites(self, f, level):
        """The user call sites from frame f up to the root forward, innermost first (a tuple).

        While a module call is in progress, the frames above its
        `Module.__call__` stand still, so their call sites are the same for
        every op inside it: the walk stops at the frame of module call
        `level - 1` (an ancestor of f) and adds that call's sites, found once
        per call (by the same walk, one level up).  An op deep in a model
        thus walks only the frames of its own module's forward.
        """
        sites = []
        cache = self.frame_cache
        stop = self.call_frames[level - 1] if level else None
        stop_frame = stop[0] if level else None
        while f is not None:
            if f is stop_frame:
                outer = stop[1]
                if outer is None:
                    outer = stop[1] = self.call_sites(f, level - 1)
                return tuple(sites) + outer if sites else outer
            code = f.f_code
            if code is _CALL_FORWARD_CODE:
                break
            seen = cache.get(id(code))
            if seen is None:
                seen = cache[id(code)] = (code, is_user_code(code.co_filename))
            if seen[1]:
                sites.append((id(code), f.f_lineno))
            f = f.f_back
        return tuple(sites)

    # -- cond/map subgraphs -----------------------------------------------------------
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
        return _control_flow.trace_cond(self, pred, true_fn, false_fn, operands)

    def trace_map(self, body, xs, args):
        """map over the leading dim of xs (see export/_control_flow.py)."""
        return _control_flow.trace_map(self, body, xs, args)

    def trace_while_loop(self, cond_fn, body_fn, carried):
        """while_loop on flat carried tensors (see export/_loops.py)."""
        return _loops.trace_while_loop(self, cond_fn, body_fn, carried)

    def trace_scan(self, combine_fn, init, xs, n_steps):
        """scan over dim 0 of flat xs (see export/_loops.py)."""
        return _loops.trace_scan(self, combine_fn, init, xs, n_steps)

    # -- module calls (nn_module_stack) ------------------------------------------------
    def enter_module(self, module):
        """Push a module of the exported model on nn_module_stack (returns its key, False if not pushed).

        Every module call also pushes its `Module.__call__` frame on `call_frames` (see call_sites).
        """
        self.call_frames.append([sys._getframe(1), None])
        fqn = self.fqn_of.get(id(module))
        if fqn is None:
            return False
        if fqn in self.entered:     # re-entered: already on the stack
            return False
        # a module's later calls are told apart by `@<i>` on the key, as torch's (`L__self__f@1`)
        calls = self.call_counts[fqn] = self.call_counts.get(fqn, -1) + 1
        key = ("L__self__" + fqn if fqn else "L__self__") + (f"@{calls}" if calls else "")
        cls = type(module)
        path = self.class_paths.get(cls)
        if path is None:
            path = self.class_paths[cls] = f"{cls.__module__}.{cls.__qualname__}"
        self.module_stack[key] = (fqn, path)
        self.entered.add(fqn)
        self.stack_snapshot = None
        return key

    def exit_module(self, key):
        """Pop what `enter_module` pushed."""
        self.call_frames.pop()
        if key:
            entry = self.module_stack.pop(key, None)
            if entry is not None:
                self.entered.discard(entry[0])
            self.stack_snapshot = None

    # -- refusals -----------------------------------------------------------------------
    def refuse_data_access(self, what, tensor):
        """Python needs a traced tensor's value: refuse, with the user's line and the fixes."""
        frame = user_frame(2)
        raise DataDependentError(
            f"Data-dependent control flow or value: {what} needs the value of a traced tensor, which export "
            f"cannot see (it records tensor operations, not their results). At:\n{format_user_frame(frame)}\n"
            "Fix it by one of:\n"
            "  - compute both results and select with minexport.where(cond, a, b);\n"
            "  - read an integer scalar with .item() and bound it with minexport._check(...);\n"
            "  - keep both branches in the program with minexport.cond(pred, true_fn, false_fn, operands).")


# Argument types recorded as they are (no tensor, no symbol inside).
_PLAIN = frozenset({int, float, bool, str, type(None)})


class _OpFacts:
    """What the tracer asks of an op on every call, read once from its tags: the node's name, and whether
    the op returns its input when it changes nothing (`to`, `contiguous`)."""

    __slots__ = ("name", "returns_self")

    def __init__(self, op):
        self.name = node_name(op) or op.op_name
        self.returns_self = "returns_self_if_unchanged" in op.tags


_OP_FACTS = {}      # OpOverload -> _OpFacts


def _op_facts(op):
    """The op's _OpFacts, made on its first call."""
    facts = _OP_FACTS[op] = _OpFacts(op)
    return facts


def _fake_of_input(t):
    """`fake_input`'s fake for tensor t with its own shape: t's shape, dtype, device, class (Parameter or
    Tensor), layout and requires_grad."""
    d = t._data
    # A real tensor that owns its array (no base: storage offset 0) and is C-contiguous is faked contiguous at
    # offset 0: what _input_layout answers for it (is_contiguous() is its array's flag).
    if d is not None and t._base is None and d.flags.c_contiguous:
        return contiguous_fake(Parameter if isinstance(t, Parameter) else Tensor, Size(d.shape), t._dtype, t._device,
                               t.requires_grad)
    strides, offset = _input_layout(t, None)
    fake = make_fake(t.shape, t._dtype, t._device, Parameter if isinstance(t, Parameter) else None,
                     strides=strides, storage_offset=offset)
    fake.requires_grad = t.requires_grad
    return fake


def _input_layout(t, shape):
    """(strides, storage offset) of the fake standing for input t (shape: its symbolic sizes, or None),
    as torch fakes an input: t's own layout; with symbolic sizes, dense in t's order of dims."""
    if t._data is None:
        return t._strides, t._offset
    if t.is_contiguous():
        return None, 0 if shape is not None else t.storage_offset()
    if shape is None:
        return t.stride(), t.storage_offset()
    if not t.is_non_overlapping_and_dense():
        return None, 0
    strides = t.stride()
    order = sorted(range(t.ndim), key=lambda d: (strides[d], d))
    return dense_strides(tuple(shape), order), 0


def _format_site(code, line):
    """One frame of a recorded stack trace, torch's format: the File line, then the source line."""
    return f'File "{code.co_filename}", line {line}, in {code.co_name}\n    ' \
           f'{linecache.getline(code.co_filename, line).strip()}'


def _unchanged(inp, out, kwargs, args):
    """A `to`/`contiguous` that changes nothing returns its input (torch returns self, and rebinds it)."""
    if not isinstance(inp, Tensor) or not isinstance(out, Tensor):
        return False
    copy = kwargs.get("copy", False) or (len(args) > 3 and args[3] is True)
    return not copy and out.dtype is inp.dtype and out.device == inp.device and out._strides == inp._strides
