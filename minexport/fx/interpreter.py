"""`Interpreter` and `Transformer`: torch.fx's node-by-node ways to run and rewrite a graph.

`Interpreter.run` walks the nodes in order and dispatches each to the method
named after its op (`placeholder`, `get_attr`, `call_function`,
`call_method`, `call_module`, `output`), with its arguments read from the
environment of values computed so far; a subclass overrides any of them.
Values are Tensors.  An Interpreter whose class overrides none of these runs
the graph with `GraphRunner` (compiled kernels, the same results, far less
overhead per node).

`Transformer` runs the same walk with Proxies as values, so the calls are
recorded into a new graph; `transform()` returns it as a GraphModule.
"""
import inspect

from ._runner import GraphRunError, GraphRunner, _can_donate, compile_graph
from .graph import Graph, last_uses, map_arg
from .proxy import Proxy, TracerBase

__all__ = ["Interpreter", "Transformer", "GraphRunError", "GraphRunner", "compile_graph", "_can_donate"]

_DISPATCH = ("run", "run_node", "placeholder", "get_attr", "call_function", "call_method", "call_module",
             "output", "fetch_args_kwargs_from_env", "map_nodes_to_values", "fetch_attr")


class Interpreter:
    """Runs a graph node by node (see the module docstring).

    `Interpreter(module, garbage_collect_values=True, graph=None)` as torch.fx:
    the graph is `graph` or `module.graph`.  `Interpreter(graph, module=None)`
    (a Graph first) is minexport's older form and still accepted.
    """

    def __init__(self, module, garbage_collect_values=True, graph=None, *, specialize=False):
        if isinstance(module, Graph):          # minexport's older form: Interpreter(graph, module)
            graph, module = module, (None if isinstance(garbage_collect_values, bool) else garbage_collect_values)
            garbage_collect_values = True
        self.module = module
        self.graph = graph if graph is not None else module.graph
        self.garbage_collect_values = garbage_collect_values
        self.specialized = specialize
        self.env = {}
        self.name = "Interpreter"
        self.extra_traceback = True
        self.submodules = dict(module.named_modules()) if module is not None and hasattr(module, "named_modules") \
            else {}
        self._fast = self._tensor_runner = None
        self.user_to_last_uses = {n: list(vs) for n, vs in last_uses(self.graph).items()} \
            if garbage_collect_values else {}

    # -- the fast path -------------------------------------------------------
    def _runner(self):
        """The compiled runner of this graph (built on first use)."""
        if self._fast is None:
            self._fast = GraphRunner(self.graph, self.module, specialize=self.specialized)
        return self._fast

    def run_arrays(self, *inputs, xp=None, specialized=True):
        """Run on arrays (one per placeholder) with compiled kernels; returns the outputs as arrays."""
        return self._runner().run_arrays(*inputs, xp=xp, specialized=specialized)

    def _overridden(self):
        cls = type(self)
        return cls is not Interpreter and any(getattr(cls, m) is not getattr(Interpreter, m) for m in _DISPATCH)

    # -- torch.fx's API --------------------------------------------------------
    def run(self, *args, initial_env=None, enable_io_processing=True):
        """Run the graph on `args` (one per placeholder, in order); returns what the output node returns.

        `initial_env` maps nodes to values already known (they are not run)."""
        if enable_io_processing:
            args = self.graph.process_inputs(*args)
        if initial_env is None and not self._overridden() and len(args) == len(self._runner().placeholders):
            if self._tensor_runner is None:
                self._tensor_runner = GraphRunner(self.graph, self.module, specialize=self.specialized,
                                                  python_on_tensors=True)
            out = self._tensor_runner.run(*args)
            return self.graph.process_outputs(out) if enable_io_processing else out
        self.env = dict(initial_env) if initial_env is not None else {}
        self.args_iter = iter(args)
        for node in self.graph.nodes:
            if node in self.env:
                continue
            try:
                self.env[node] = self.run_node(node)
            except Exception as e:
                if self.extra_traceback and not getattr(e, "_fx_node_named", False):
                    note = f"While executing {node.format_node()}"
                    if hasattr(e, "add_note"):
                        e.add_note(note)
                    e._fx_node_named = True
                raise
            if self.garbage_collect_values:
                for dead in self.user_to_last_uses.get(node, ()):
                    self.env.pop(dead, None)
            if node.op == "output":
                out = self.env[node]
                return self.graph.process_outputs(out) if enable_io_processing else out
        return None

    def boxed_run(self, args_list):
        """Run with the inputs in a list that is emptied first (so the caller holds no references)."""
        args_iter = iter(args_list)
        env = {}
        for n in self.graph.nodes:
            if n.op == "placeholder":
                env[n] = next(args_iter)
        args_list.clear()
        return self.run(initial_env=env)

    def run_node(self, n):
        """The value of node n: its arguments from the environment, then the method named after its op."""
        args, kwargs = self.fetch_args_kwargs_from_env(n)
        return getattr(self, n.op)(n.target, args, kwargs)

    def placeholder(self, target, args, kwargs):
        """The next input (all remaining ones for a `*args` placeholder); a missing one takes the
        placeholder's default, if it has one."""
        if target.startswith("*"):
            return list(self.args_iter)
        try:
            return next(self.args_iter)
        except StopIteration:
            if args:
                return args[0]
            raise RuntimeError(f"Expected positional argument for parameter {target}, but one was not "
                               "passed in!") from None

    def get_attr(self, target, args, kwargs):
        """The module's attribute at dotted path target."""
        return self.fetch_attr(target)

    def call_function(self, target, args, kwargs):
        """target(*args, **kwargs)."""
        return target(*args, **kwargs)

    def call_method(self, target, args, kwargs):
        """args[0].<target>(*args[1:], **kwargs)."""
        self_obj, *rest = args
        return getattr(self_obj, target)(*rest, **kwargs)

    def call_module(self, target, args, kwargs):
        """The submodule at path target, called."""
        return self.fetch_attr(target)(*args, **kwargs)

    def output(self, target, args, kwargs):
        """The graph's result: the output node's one argument."""
        return args[0]

    def fetch_attr(self, target):
        """The attribute of the module at a dotted path; a missing one is named."""
        obj = self.module
        atoms = target.split(".")
        for i, atom in enumerate(atoms):
            if not hasattr(obj, atom):
                raise RuntimeError(f"Node referenced nonexistent target {'.'.join(atoms[:i + 1])}")
            obj = getattr(obj, atom)
        return obj

    def fetch_args_kwargs_from_env(self, n):
        """n's args and kwargs with each input node replaced by its value."""
        return tuple(self.map_nodes_to_values(n.args, n)), dict(self.map_nodes_to_values(n.kwargs, n))

    def map_nodes_to_values(self, args, n):
        """args with each node replaced by its value in the environment."""
        def load(arg):
            if arg not in self.env:
                raise RuntimeError(f"Node {n} referenced nonexistent value {arg}! Run Graph.lint() to diagnose "
                                   "such issues")
            return self.env[arg]
        return map_arg(args, load)


class _TransformerTracer(TracerBase):
    """Records into the new graph; each new node takes the meta of the node being transformed (but not
    its value, which the new code may not produce)."""

    def __init__(self, graph, transformer):
        super().__init__(graph)
        self.transformer = transformer

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        node = super().create_node(kind, target, args, kwargs, name, type_expr)
        current = self.transformer._current
        if current is not None:
            node.meta.update({k: v for k, v in current.meta.items() if k in _KEPT_META})
        return node


_KEPT_META = ("stack_trace", "nn_module_stack", "source_fn_stack", "torch_fn", "custom")


class Transformer(Interpreter):
    """Rewrites a GraphModule by running it on Proxies (see the module docstring)."""

    def __init__(self, module):
        super().__init__(module)
        self.new_graph = Graph()
        self.tracer = _TransformerTracer(self.new_graph, self)
        self.tracer.root = module
        self._current = None

    def run_node(self, n):
        """As Interpreter's, recording into the new graph."""
        self._current = n
        try:
            return super().run_node(n)
        finally:
            self._current = None

    def placeholder(self, target, args, kwargs):
        """A placeholder of the new graph (keeping its default)."""
        default = args[0] if args else inspect.Parameter.empty
        node = self.new_graph.placeholder(target, default_value=default)
        if self._current is not None:
            node.meta.update({k: v for k, v in self._current.meta.items() if k in _KEPT_META})
        return Proxy(node, self.tracer)

    def get_attr(self, target, args, kwargs):
        """A get_attr of the new graph."""
        return self.tracer.create_proxy("get_attr", target, args, kwargs)

    def call_module(self, target, args, kwargs):
        """A call_module of the new graph."""
        return self.tracer.create_proxy("call_module", target, args, kwargs)

    def call_function(self, target, args, kwargs):
        """A call_function of the new graph."""
        return self.tracer.create_proxy("call_function", target, args, kwargs)

    def transform(self):
        """The new GraphModule (sharing the module's attributes)."""
        result = super().run(enable_io_processing=False)
        if result is not None:
            self.new_graph.output(self.tracer.create_arg(result))
        from .graph_module import GraphModule
        return GraphModule(self.module, self.new_graph)

    def _overridden(self):
        return True

