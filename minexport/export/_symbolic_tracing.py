"""The tracer's symbolic half: data-dependent values, `_check` conditions and runtime asserts.

`SymbolicTracing` is a mixin of export's tracer (`_tracer.ExportTracer`),
which provides what it reads: `graph` (the graph being recorded),
`branches` and `outside_branch()` (open cond/map subgraphs), `node_of(t)`,
`node_meta(val)`, `input_node(name)` and `refuse_data_access(...)`.

The symbolic state (`symbolic`: a `SymbolicInputs` with its ShapeEnv;
`sym_nodes`: the nodes computing symbolic values) is created on first need,
so a static program never loads sympy: by `export()` for declared dynamic
dims, or here for an `.item()` or a data-dependent size.
"""
from .. import ops as _ops
from .._symbolic_marker import is_symbolic
from .._tensor import Tensor
from ..fx.graph import Node
from ._recording import node_name
from .errors import UserError
from .explain import Provenance

__all__ = ["SymbolicTracing"]


class SymbolicTracing:
    """Symbolic values while tracing (see the module docstring)."""

    symbolic = None        # SymbolicInputs, once the program has symbols
    sym_nodes = None       # SymNodes of the root graph, likewise
    recording_sym = False  # True while user code runs: its arithmetic on symbolic values is recorded

    def ensure_symbolic(self):
        """The export's symbolic state, created on first need (an .item() in a static program)."""
        if self.symbolic is None:
            from ._symbolic import SymbolicInputs, SymNodes
            self.symbolic = SymbolicInputs()
            self.symbolic.env.provenance = Provenance(self.symbolic)
            self.sym_nodes = SymNodes(self.graph, self.symbolic.env, self.symbolic.sources, self.input_node,
                                      self.symbolic.derived_sources)
            self.symbolic.env.recorder = self.record_sym_result
        return self.symbolic

    def record_sym_result(self, value, name, operands):
        """The ShapeEnv's recorder: arithmetic on symbolic values in user code (not in an op's meta function,
        nor in a cond/map branch) is where the value comes from, as torch's tracer records it."""
        if self.recording_sym and not self.branches:
            self.sym_nodes.record_result(value, name, operands)

    def track_output_sizes(self, node, out):
        """The symbolic sizes (or symbolic value) an op's output introduces come from its node."""
        sym_nodes = self.sym_nodes
        if type(out) is Tensor:
            sym_nodes.track_sizes(node, out.shape)
        elif is_symbolic(out):
            sym_nodes.track_value(out, node)
        elif isinstance(out, (list, tuple)):
            for t in out:
                if isinstance(t, Tensor) and isinstance(t._node, Node):
                    sym_nodes.track_sizes(t._node, t.shape)

    def sym_node(self, value):
        """The node computing a symbolic value: from sizes of the current graph's inputs, else computed
        outside and lifted into the cond/map subgraph being traced."""
        if not self.branches:
            return self.sym_nodes.node(value)
        node = self.branches[-1].local_sym_node(value, self.sym_nodes.env)
        if node is not None:
            return node
        loop_ints = self.sym_nodes.env.simplify(value.expr).free_symbols & self.branches[-1].bound
        if loop_ints:     # the rest comes from outside: torch cannot lift an unbacked SymInt into a loop either
            raise UserError(f"{self.branches[-1].what} computes {value.expr} from the loop's carried int "
                            f"{sorted(map(str, loop_ints))[0]} and a symbolic value from outside the loop; torch "
                            "refuses it too (Unbacked SymInt input is not supported yet). Carry the outside value "
                            "too, or pass it as a tensor.")
        with self.outside_branch() as branch:
            node = self.sym_node(value)
        return branch.lift(node, value) if isinstance(node, Node) else node

    def guard_count(self):
        """How many guards the trace has recorded so far (0 before it has symbols)."""
        return len(self.symbolic.env.guards) if self.symbolic is not None else 0

    def attribute_guards(self, start, origin):
        """The guards recorded since `start` came from `origin` (an op, or a rule's phrase): ep.explain()."""
        self.symbolic.env.provenance.attribute(start, origin)

    # -- data-dependent values ------------------------------------------------
    def item(self, t):
        """`t.item()` while tracing: an unbacked SymInt (u0, ...) or SymFloat (zuf0, ...) computed by aten.item."""
        node, fake = self.node_of(t)
        if fake.numel() != 1:
            return self.refuse_data_access(".item() of a tensor with more than one element", t)
        env = self.ensure_symbolic().env
        source = f"{node.name}.item()"
        sym = env.create_unbacked_float(source) if fake.dtype.is_floating_point else env.create_unbacked(source)
        if fake.dtype.is_bool:
            env.narrow(sym.expr, 0, 1)
        item = self.graph.call_function(_ops.aten.item.default, (node,), meta=self.node_meta(sym))
        self.sym_nodes.cache[sym.expr] = item
        return sym

    def data_dependent_size(self, upper, lower=0):
        """A fresh unbacked size in [lower, upper] for an op's output (a mask's count, nonzero's rows; a
        custom op's `new_dynamic_size(min=, max=)`)."""
        env = self.ensure_symbolic().env
        sym = env.create_unbacked("a data-dependent size")
        env.narrow(sym.expr, lower, upper if type(upper) is int else None)
        env.size_like.add(sym.expr)
        self.pending_sizes.append((sym, lower, upper))
        return sym

    def assert_sizes(self, node, out):
        """After an op made data-dependent sizes: read them (sym_size) and assert their range at run time."""
        pending, self.pending_sizes = self.pending_sizes, []
        # a tuple output (unique's values, inverse, counts) is read through its getitem nodes
        outputs = out if isinstance(out, (list, tuple)) else (out,)
        for sym, lower, upper in pending:
            found = ((getattr(t, "_node", node), d) for t in outputs for d, size in enumerate(getattr(t, "shape", ()))
                     if is_symbolic(size) and size.expr == sym.expr)
            source = next(found, None)
            if source is not None:
                self.symbolic.sources[sym.expr] = source
            for cond in (sym >= lower,) if upper is None else (sym >= lower, sym <= upper):   # no bound: >= lower
                self.runtime_assert(cond)

    # -- conditions -----------------------------------------------------------
    def check_condition(self, cond, message):
        """minexport._check(cond) while tracing: narrow ranges and keep a runtime assert."""
        env = self.ensure_symbolic().env
        decided = env.static_value(cond.expr)
        if decided is True:
            return
        if decided is False:
            raise UserError(f"_check({cond.expr}) is always false for the declared ranges"
                            + (f": {message}" if message else ""))
        expr = env.simplify(cond.expr)
        if not expr.free_symbols & env.unbacked:
            guards = self.guard_count()
            holds = bool(cond)
            self.attribute_guards(guards, "torch._check(...)")
            if not holds:
                raise UserError(f"_check({expr}) fails on the example inputs" + (f": {message}" if message else ""))
            return
        env.assume(expr)
        if len(expr.free_symbols) == 1 and not expr.free_symbols & env.float_symbols:
            (sym,) = expr.free_symbols
            before = env.var_to_range[sym]
            self._narrow_to(expr)
            self._assert_new_bounds(sym, before, expr)
        self.runtime_assert(cond, message).meta["explain_rule"] = "torch._check(...)"

    def _assert_new_bounds(self, sym, before, checked):
        """Runtime asserts for the bounds a _check gave a data-dependent int (`u0 <= 9` from `u0 < 10`), as
        torch asserts every unbacked symbol's range besides the checked conditions (one node per condition)."""
        import sympy

        from ..symbolic import SymBool
        env = self.symbolic.env
        after = env.var_to_range[sym]
        for old, new, rel in ((before.lower, after.lower, sympy.Ge), (before.upper, after.upper, sympy.Le)):
            if new is not old and new != old and isinstance(new, int):
                bound = rel(sym, new)
                if bound != checked:
                    self.runtime_assert(SymBool(bound, env, True))

    def _narrow_to(self, expr):
        """Narrow the one symbol of a linear inequality to the range it implies."""
        from ._symbolic import implied_bounds
        (sym,) = expr.free_symbols
        try:
            lo, hi = implied_bounds(expr, sym)
        except Exception:      # not a linear inequality: kept as a runtime assert only
            lo = hi = None
        self.symbolic.env.narrow(sym, lo, hi)

    def runtime_assert(self, cond, message=None):
        """Nodes that check cond when the program runs (an operator node feeding aten._assert_scalar); returns
        the assert node."""
        expr = self.symbolic.env.simplify(cond.expr)
        rel = self.sym_nodes.node(cond)
        rel.meta.update(self.node_meta(rel.meta["val"]))
        text = f"Runtime assertion failed for expression {expr} on node '{rel.name}'"
        return self.graph.call_function(_ops.aten._assert_scalar.default, (rel, message or text),
                                        meta=self.node_meta(None), name=node_name(_ops.aten._assert_scalar.default))
