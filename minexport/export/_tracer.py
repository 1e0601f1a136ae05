"""`ExportTracer`: what export() installs with `tracing()`; it records every op call as a node.

Its parts, in this order below: the graph's inputs (placeholders and the
InputSpecs beside them), the op-call hook (meta function, node, arguments as
torch records them), node meta (`val`, `stack_trace`, `nn_module_stack`),
cond/map subgraphs, module calls and refusals.  Symbolic values (`.item()`,
`_check`, runtime asserts) come from the `SymbolicTracing` mixin.
"""
import contextlib
import operator
import sys

from .._functions import is_grad_enabled
from .._symbolic_marker import is_symbolic
from .._tensor import Size, Tensor, contiguous_fake, contiguous_strides, make_fake, record_layout_guards
from ..ops._common import dense_strides
from ..ops._registry import OpOverload
from .._trace_state import Tracer
from ..fx.graph import Graph, Node, _call_node
from ..fx.graph_module import GraphModule
from ..nn.parameter import Parameter
from . import _control_flow, _loops, _regions
from ._recording import node_name, recorded_args, recording_rules
from ._stack_sites import (_FRAME_KINDS, _MODULE_CALL, _RECORD, _RESUMABLE, _STOP, _UNSEEN, _Sites, _join,
                           _site_texts, call_forward, code_kind)
from ._symbolic_tracing import SymbolicTracing
from .errors import DataDependentError, UserError, format_user_frame, user_frame
from .graph_signature import ConstantArgument, InputKind, InputSpec, TensorArgument, input_spec

__all__ = ["ExportTracer", "SIGNATURE_ORDER", "call_forward"]

# The graph's inputs come in this order (torch's): lifted state first, then the user's inputs.
SIGNATURE_ORDER = (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR, InputKind.USER_INPUT)

_OP_CALL_CODE = OpOverload.__call__.__code__


class ExportTracer(SymbolicTracing, Tracer):
    """The tracer active during export (see the module docstring)."""

    def __init__(self, modules):
        """modules: the exported model's (fqn, module) pairs, each module once (`Module.module_tree()`)."""
        self.graph = self.root_graph = Graph()
        self.grad_at_start = is_grad_enabled()     # stretches traced in another grad mode become region calls
        self.marked_regions = False
        self.branches = []             # cond/map subgraphs being traced, outermost first
        self.subgraphs = {}            # Graph -> {attribute name: subgraph} (cond branches, map bodies)
        self.module_stack = {}
        # id(module) -> the call record of each module of the model, by its first fqn (depth first): [key of its
        # first call, its nn_module_stack entry (fqn, class path), calls so far, key of the call in progress
        # (None between calls)].  A list: one is made per module and trace.
        paths = {}                     # module class -> "module.qualname", as nn_module_stack records it
        self.module_calls = {id(m): ["L__self__" + fqn if fqn else "L__self__",
                                     (fqn, paths.get(type(m)) or _class_path(paths, type(m))), 0, None]
                             for fqn, m in modules}
        self.inputs = [[] for _ in SIGNATURE_ORDER]     # InputSpecs by kind, in SIGNATURE_ORDER
        self.input_nodes = {}          # placeholder name -> node
        self.constants = {}            # lifted constant target -> real tensor
        self.pending_constants = {}    # id(fake tensor attribute) -> (target, real tensor)
        self.lifted_real = {}          # id(real tensor) -> fake
        # id(code object) -> how stack traces read its frames (_SKIP, _RECORD, _MODULE_CALL, _STOP: see
        # code_kind): shared by every trace (see _FRAME_KINDS)
        self.frame_kinds = _FRAME_KINDS
        # the call sites above the root forward's frames (none): the root of the texts this trace shares with
        # the traces before it while they stay valid (see _SiteTexts)
        self.site_texts = _site_texts()
        self.trace_root = self.site_texts.root
        # One entry per module call in progress, innermost last: None, or once an op inside asked, the _Sites
        # above the call (see stack_trace).
        self.module_sites_stack = []
        self.last_module_sites = {}    # level -> (frame that made the last module call there, its offset, _Sites)
        self.stack_snapshot = None     # nn_module_stack as new nodes record it; None: changed since
        self.pending_sizes = []        # data-dependent sizes made by the op being recorded
        # run_meta is op.meta (a tracer class that changes it, as draft_export's, is asked each time)
        self.meta_only = type(self).run_meta is ExportTracer.run_meta

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
        fakes = [_fake_of_input(row[0]) for row in rows]
        nodes = graph.append_placeholders([row[1] for row in rows], fakes)
        specs, input_nodes = self.inputs[order], self.input_nodes
        for fake, node, row in zip(fakes, nodes, rows):
            fake._node = node
            name = node.name
            input_nodes[name] = node
            specs.append(make_spec(kind, TensorArgument(name), row[2], row[3]))
        return fakes

    def lift_constant(self, t):
        """A real tensor met during tracing: a lifted constant placeholder, its target `lifted_tensor_N` in
        the module whose forward first uses it (`encoder.lifted_tensor_1`, placeholder c_encoder_lifted_tensor_1),
        as torch names it."""
        fake = self.lifted_real.get(id(t))
        if fake is None:
            target = f"lifted_tensor_{len(self.lifted_real)}"
            owner = next(reversed(self.module_stack.values()))[0] if self.module_stack else ""
            if owner:
                target = f"{owner}.{target}"
            fake = self.fake_input(t, InputKind.CONSTANT_TENSOR, "c_" + target.replace(".", "_"), target=target)
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
        # Nearly every call passes only plain values, lists of them (sizes) and tensors already in this graph,
        # positionally: those need no tracking (track_inputs would keep each one as it is, with t._node as its
        # node -- node_of returns (t._node, t) for such a tensor, and _DraftTracer.node_of adds nothing for it).
        # Anything else takes the general way, from the start.
        # The node's inputs are then those tensors' nodes, in order (recorded_args drops only default values,
        # never a node); otherwise _call_node finds them.
        graph = self.graph
        arg_nodes, inputs = [], {}
        if not kwargs:
            for a in args:
                if isinstance(a, Tensor):
                    node = a._node
                    if node is not None and node.graph is graph:
                        arg_nodes.append(node)
                        inputs[node] = None
                        continue
                else:
                    t = type(a)
                    if t in _PLAIN or (t is list or t is tuple) and set(map(type, a)) <= _PLAIN:
                        arg_nodes.append(a)
                        continue
                args, kwargs, arg_nodes, kwarg_nodes = self.track_inputs(args, kwargs)
                inputs = None
                break
            else:
                kwarg_nodes = kwargs
        else:
            args, kwargs, arg_nodes, kwarg_nodes = self.track_inputs(args, kwargs)
            inputs = None
        if self.branches and op.is_mutating:     # every argument the op writes (a custom op's need not be first)
            for i, a in enumerate(op._schema.arguments):
                written = (args[i] if i < len(args) else kwargs.get(a.name)) if a.is_write else None
                if isinstance(written, Tensor):
                    self.branches[-1].check_mutation(op, written)
        guards = 0 if self.symbolic is None else self.guard_count()
        # a meta function's arithmetic on sizes is not the user's: torch records none of it
        recording, self.recording_sym = self.recording_sym, False
        try:
            if not self.meta_only:
                out = self.run_meta(op, args, kwargs)
            else:       # (`f(*args, **{})` would build an empty dict)
                out = op.meta(*args, **kwargs) if kwargs else op.meta(*args)
        finally:
            self.recording_sym = recording
        if self.symbolic is not None:
            _layout_guards(out)
            if len(self.symbolic.env.guards) > guards:
                self.attribute_guards(guards, op)      # the op's meta function recorded them (ep.explain())
        facts = _OP_FACTS.get(op) or _op_facts(op)
        if facts.returns_self and _unchanged(args[0], out, kwargs, args):
            out = args[0]
        # recorded_args' first case (positional arguments recorded as made), asked here from the same rules
        rules = facts.recording
        if not kwarg_nodes and (len(arg_nodes) in rules.made_counts or
                                rules.made_node_last and type(arg_nodes[-1]) is Node):
            node_args, node_kwargs = tuple(arg_nodes), {}
        else:
            node_args, node_kwargs = recorded_args(op, arg_nodes, kwarg_nodes)
        # node_meta(out), inlined (one per op); the stack trace starts at the frame that called the op (its
        # OpOverload.__call__ frame is never user code: skipped here at once)
        snapshot = self.stack_snapshot
        if snapshot is None:
            snapshot = self.stack_snapshot = self.module_stack.copy()
        meta = {"val": out, "nn_module_stack": snapshot}
        # stack_trace(f), inlined: call_sites' walk (the key grows by tuple concatenation, which for the usual
        # one user frame makes just its pair), then trace_at's lookup
        f = start = sys._getframe(1)
        if f.f_code is _OP_CALL_CODE:
            f = start = f.f_back
        key, module_frame, kinds = (), None, self.frame_kinds
        while f is not None:
            code = f.f_code
            kind = kinds.get(code_id := id(code), _UNSEEN)
            if kind:        # not _SKIP
                if kind == _RECORD:
                    key += (code_id, f.f_lasti)
                elif kind == _MODULE_CALL:
                    module_frame = f
                    break
                elif kind == _STOP:
                    break
                else:       # _UNSEEN: learn its code's kind, and read the frame again
                    code_kind(code)
                    continue
            f = f.f_back
        calls = self.module_sites_stack
        if calls and module_frame is not None:
            sites = calls[-1] or self.module_sites(len(calls) - 1, module_frame)
            trace = sites.ops.get(key)
        else:
            trace = None
        if trace is None:
            trace = self.trace_at(start, key, module_frame)
        if trace:
            meta["stack_trace"] = trace
        # recorded_args made node_args (a tuple) and node_kwargs (a dict) for this node alone: they need no copy
        node = _call_node(self.graph, op, node_args, node_kwargs, facts.name, meta, inputs)
        if type(out) is Tensor:     # bind_outputs' first case, inlined
            out._node = node
            if facts.view and out is not args[0] and isinstance(args[0], Tensor):
                out._base = args[0]._base if args[0]._base is not None else args[0]
        else:
            out = self.bind_outputs(op, node, out, args)
        if self.sym_nodes is not None and not self.branches:
            self.track_output_sizes(node, out)
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
                # (graph.call_function(operator.getitem, (node, i), meta=...), without its checks)
                g = _call_node(self.graph, operator.getitem, (node, i), {}, None, self.node_meta(t, node))
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
            snapshot = self.stack_snapshot = self.module_stack.copy()
        meta = {"val": val, "nn_module_stack": snapshot}
        trace = self.stack_trace()
        if trace:
            meta["stack_trace"] = trace
        return meta

    def stack_trace(self, f=None):
        """User frames (see errors.is_user_code) from the root forward down to frame f (by default the caller
        of node_meta's caller: the op's caller), torch's format; None when there are none.

        The call sites above a module call in progress are the same for
        every op inside it, so they are walked and formatted once per call
        (`module_sites`); an op walks only the frames below its module's
        `Module.__call__`.  Texts are kept in a tree of `_Sites` (a module
        call's sites extend its caller's), each op's by the sites below its
        module call: a layer's forward called by every block of a model
        looks up the same few texts again and again.
        """
        if f is None:
            f = sys._getframe(3)
        key, module_frame = self.call_sites(f)
        return self.trace_at(f, key, module_frame)

    def trace_at(self, f, key, module_frame):
        """The stack trace of the walk `call_sites(f)` made (key, module_frame), None when it is empty."""
        calls = self.module_sites_stack
        if calls and module_frame is not None:
            sites = calls[-1] or self.module_sites(len(calls) - 1, module_frame)
        else:
            sites = self.trace_root
        trace = sites.ops.get(key)
        if trace is None:
            trace = sites.ops[key] = _join(sites.text, self.site_lines(f, module_frame))
        return trace or None

    def module_sites(self, level, frame):
        """The `_Sites` of module call `level` (0: the root module's call), whose `Module.__call__` runs in
        `frame`: the user frames above it, up to its caller's module call."""
        caller, sibling = frame.f_back, self.last_module_sites.get(level)
        # The call before at this level came from the same running frame at the same instruction (a loop over
        # layers): same sites.  The frames above a running frame stay as they are until it returns -- unless it
        # is a generator's or a coroutine's, which can be resumed from elsewhere.  (The entry holds the frame
        # object, so another frame cannot take its place.)
        if sibling is not None and sibling[0] is caller and sibling[1] == caller.f_lasti:
            sites = sibling[2]
        else:
            key, outer_frame = self.call_sites(caller)
            if level and outer_frame is not None:
                outer = self.module_sites_stack[level - 1] or self.module_sites(level - 1, outer_frame)
            else:
                outer = self.trace_root
            sites = outer.calls.get(key)
            if sites is None:
                sites = outer.calls[key] = _Sites(_join(outer.text, self.site_lines(caller, outer_frame)))
            if not caller.f_code.co_flags & _RESUMABLE:
                self.last_module_sites[level] = (caller, caller.f_lasti, sites)
        self.module_sites_stack[level] = sites
        return sites

    def call_sites(self, f):
        """(the user call sites from frame f up to the innermost module call or the root forward, innermost
        first, as a flat tuple (id(code), offset of the call, ...); the frame of that module call's
        `Module.__call__`, None at the root forward).

        The innermost `Module.__call__` frame above an op is the innermost
        module call in progress: every call of the model's modules runs
        `Module.__call__` (which tells the tracer, see enter_module), and a
        call in progress is on the stack, as every frame above it.

        A call site is named by its instruction offset, not its line: a
        frame's line is computed from the offset by decoding the code's line
        table, and that is done only when a new text is formatted
        (`site_lines`, from the same live frames).  The same code and offset
        always give the same line, so equal tuples give equal texts.
        """
        sites = ()
        kinds = self.frame_kinds
        while f is not None:
            code = f.f_code
            kind = kinds.get(code_id := id(code), _UNSEEN)
            if kind:        # not _SKIP
                if kind == _RECORD:
                    sites += (code_id, f.f_lasti)
                elif kind == _MODULE_CALL:
                    return sites, f
                elif kind == _STOP:
                    break
                else:       # _UNSEEN: learn its code's kind, and read the frame again
                    code_kind(code)
                    continue
            f = f.f_back
        return sites, None

    def site_lines(self, f, stop):
        """The formatted user frames of the walk `call_sites(f)` made, innermost first (it ended at frame
        `stop`, or at the root forward when None)."""
        lines = []
        kinds, texts = self.frame_kinds, self.site_texts
        while f is not stop:
            kind = kinds[id(f.f_code)]      # call_sites has just seen every code on this walk
            if kind == _RECORD:
                lines.append(texts.format_site(f.f_code, f.f_lineno))
            elif kind == _STOP:
                break
            f = f.f_back
        return lines

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
        """Push a module of the exported model on nn_module_stack (returns its call record, False if not pushed).

        Every module call also pushes an entry on `module_sites_stack` (see stack_trace).
        """
        self.module_sites_stack.append(None)
        call = self.module_calls.get(id(module))      # the model's modules live through the trace: ids name them
        if call is None or call[3] is not None:       # not the model's, or re-entered: already on the stack
            return False
        # a module's later calls are told apart by `@<i>` on the key, as torch's (`L__self__f@1`)
        n = call[2]
        call[2] = n + 1
        key = call[3] = f"{call[0]}@{n}" if n else call[0]
        self.module_stack[key] = call[1]
        self.stack_snapshot = None
        return call

    def exit_module(self, call):
        """Pop what `enter_module` pushed."""
        sites = self.module_sites_stack
        sites.pop()
        if not sites:
            # The root module's call returned: forget the frames that made module calls.  Each holds its
            # callers' frames, up to export's own, whose locals hold this tracer: a reference cycle that only
            # the garbage collector would free, with the trace's bookkeeping (the model's state rows) in it.
            self.last_module_sites.clear()
        if call:
            self.module_stack.pop(call[3], None)
            call[3] = None
            self.stack_snapshot = None

    # -- grad-mode and autocast regions (export/_regions.py) ------------------------------
    def grad_mode_set(self, enabled):
        """Mark where the traced code set the grad mode (outlined into region calls after the trace)."""
        self._mark(_regions.grad_mark, (enabled,))

    def autocast_entered(self, args):
        """Mark where the traced code entered an autocast context."""
        self._mark(_regions.autocast_enter_mark, tuple(args))

    def autocast_exited(self):
        """Mark where the traced code left its autocast context."""
        self._mark(_regions.autocast_exit_mark, ())

    def _mark(self, target, args):
        """A marker node (see export/_regions.py) at the current point of the graph being traced."""
        self.graph.call_function(target, args, meta=self.node_meta(None))
        self.marked_regions = True

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
_ONLY_INT = {int}


class _OpFacts:
    """What the tracer asks of an op on every call, read once from its tags: the node's name, whether the op
    returns its input when it changes nothing (`to`, `contiguous`), whether it is a view, and the rules its
    arguments are recorded by (`_recording.recording_rules`)."""

    __slots__ = ("name", "returns_self", "view", "recording")

    def __init__(self, op):
        self.name = node_name(op) or op.op_name
        self.returns_self = "returns_self_if_unchanged" in op.tags
        self.view = "view" in op.tags
        self.recording = recording_rules(op)


_OP_FACTS = {}      # OpOverload -> _OpFacts


def _op_facts(op):
    """The op's _OpFacts, made on its first call."""
    facts = _OP_FACTS[op] = _OpFacts(op)
    return facts


def _layout_guards(out):
    """The guards torch's tracer adds as it records the tensor_meta of an op's fake outputs: only a fake
    with strides of its own (a view) and symbolic sizes can raise a layout question the ranges leave open."""
    if type(out) is Tensor:
        if out._strides is not None and not set(map(type, out._fake_shape)) <= _ONLY_INT:
            record_layout_guards(out._fake_shape, out._strides)
    elif type(out) in (list, tuple):
        for t in out:
            if type(t) is Tensor:
                _layout_guards(t)


def _class_path(paths, cls):
    """"module.qualname" of a module class, as nn_module_stack records it (remembered in `paths`)."""
    path = paths[cls] = f"{cls.__module__}.{cls.__qualname__}"
    return path


def _fake_of_input(t):
    """`fake_input`'s fake for tensor t with its own shape: t's shape, dtype, device, class (Parameter or
    Tensor), layout and requires_grad."""
    d = t._data
    # A real tensor that owns its array (no base: storage offset 0) and is C-contiguous is faked contiguous at
    # offset 0: what _input_layout answers for it (is_contiguous() is its array's flag).  With a size-1 dim
    # the flag says nothing of that dim's stride, which torch's fake keeps (a channels-last view with C = 1
    # stays channels-last, and so do the convolutions it feeds): _input_layout then looks.
    if d is not None and t._base is None and d.flags.c_contiguous and 1 not in d.shape:
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
    if t.is_contiguous() and (shape is not None or t.stride() == contiguous_strides(tuple(t.shape))):
        return None, 0 if shape is not None else t.storage_offset()
    if shape is None:
        return t.stride(), t.storage_offset()
    if not t.is_non_overlapping_and_dense():
        return None, 0
    strides = t.stride()
    order = sorted(range(t.ndim), key=lambda d: (strides[d], d))
    return dense_strides(tuple(shape), order), 0


def _unchanged(inp, out, kwargs, args):
    """A `to`/`contiguous` that changes nothing returns its input (torch returns self, and rebinds it)."""
    if not isinstance(inp, Tensor) or not isinstance(out, Tensor):
        return False
    copy = kwargs.get("copy", False) or (len(args) > 3 and args[3] is True)
    return not copy and out.dtype is inp.dtype and out.device == inp.device and out._strides == inp._strides
