"""Run a Graph fast on arrays, calling each op's registered kernel (`GraphRunner`).

`fx.Interpreter` (torch's node-by-node API) hands plain runs to this.

The graph is compiled once: `compile_graph` lays out a step per node (the
kernel to call, its arguments, the values that die there), and the
Interpreter flattens those steps into a plan where a node costs one
argument read and one call (see `_Plan`).  Each intermediate is dropped
after its last use, so peak memory follows the graph's liveness, and a
unary op whose input is a fresh intermediate read by nobody else (not a
view, not an input or weight) computes into that input's memory
(`OpOverload.donating_kernel`).  Kernels with large outputs take them from the
runner's `runtime.buffers.BufferPool`, active for the length of a run, so a
module run again reuses that memory instead of faulting fresh pages in.  A
kernel error is re-raised naming the node and the user's source line that
produced it.

With `specialize=True` an op that offers `OpOverload.specialize` runs a kernel
decided at compile time from its arguments' `node.meta["val"]` (promotion,
casts and checks already done).  The rule that makes this safe: the caller
promises that every graph input arrives with its placeholder's dtype, rank
and static sizes (a dynamic dim may take any size, and kernels keep the
checks that depend on it).  `ep.module()` makes that promise: it checks the
user inputs' dtypes and static sizes on every call, and re-checks the lifted
weights whenever one of them is swapped.  Intermediates then have their
node's dtype and rank because kernels agree with their meta functions (which
the conformance tests hold them to).  The specialized plan runs only on NumPy
arrays; other array namespaces take the general one.

With `strides_known=True` as well, the plan is compiled for inputs that also
arrive with their placeholders' strides, so that intermediates have their
nodes' strides too, and a kernel may settle its result's layout at compile
time (a pointwise op whose NumPy result is already laid out as torch's then
runs bare).  A call whose inputs have other strides says so
(`run_arrays(strided=False)`) and runs a plan compiled without that promise.
"""
import functools
import operator

from .._tensor import Tensor, contiguous_strides, make_tensor
from ..ops._targets import target_kind
from ..runtime import backends, buffers
from ..runtime.limits import ResourceLimitError, bounded_pow
from ._budget import MemoryGuard
from ._generated import generate, generate_while
from .graph import Graph, Node, frame_line, get_attr_path, last_uses

__all__ = ["GraphRunner", "GraphRunError", "compile_graph", "layout_of", "keeps_layout"]


class GraphRunError(RuntimeError):
    """A kernel failed while running a graph; the message names the node and source line."""


class _Step:
    """One node to run: `fn(*args, **kwargs)` (with `xp` first when `is_kernel`), result into slot `out`.

    `args`/`kwargs` are the node's own, Nodes included; `free` lists the slots
    whose last reader this step is.  The output step has `fn` None.
    """
    __slots__ = ("node", "fn", "args", "kwargs", "out", "free", "is_kernel")


def compile_graph(graph, specialize=False, module=None, python_on_tensors=False, strides_known=False):
    """Steps and slot layout for `graph` (placeholders take slots 0..n-1); see the module
    docstring for what `specialize` and `strides_known` assume.  get_attr and call_module targets are looked up on
    `module` (default: the graph's owning module).  With `python_on_tensors`, Python-function targets
    (anything not an op) are called with Tensors (see `_on_tensors`); else with the arrays themselves."""
    nodes = list(graph.nodes)
    placeholders = [n for n in nodes if n.op == "placeholder"]
    # placeholders first (the inputs fill slots 0..n-1), wherever they stand in the graph
    slot_of = {n: i for i, n in enumerate(placeholders + [n for n in nodes if n.op != "placeholder"])}
    frees = last_uses(graph)
    steps = []
    for n in nodes:
        if n.op == "placeholder":
            continue
        s = _Step()
        s.node, s.out, s.args, s.kwargs = n, slot_of[n], n.args, n.kwargs
        s.free = tuple(slot_of[v] for v in frees.get(n, ()) if v.op != "output")
        if n.op == "output":
            s.fn, s.is_kernel = None, False
        elif n.op == "get_attr":
            reader = _attr_reader(module or graph.owning_module, n.target, specialize)
            s.fn, s.is_kernel, s.args, s.kwargs = reader, False, (), {}
        elif n.op == "call_function":
            s.fn, s.is_kernel, s.args = _callable(n, specialize, python_on_tensors, strides_known)
        elif n.op in ("call_module", "call_method"):
            s.fn, s.is_kernel = _tensor_call(module or graph.owning_module, n), False
        else:
            raise NotImplementedError(f"cannot run node {n.name} with op {n.op}")
        steps.append(s)
    return placeholders, steps, len(nodes)


def _callable(node, specialize, python_on_tensors, strides_known=False):
    """(function, takes xp first, args) for a call_function node: the op's kernel (specialized
    or donating when allowed) or the target."""
    target = node.target
    kind = target_kind(target)
    if kind == "op":
        donate = target.donating_kernel is not None and _can_donate(node)
        special = _specialized(node, donate, strides_known) if specialize and target.specialize is not None \
            else None
        if special is not None:
            return special[0], True, special[1]
        return (target.donating_kernel if donate else target.kernel), True, node.args
    if kind == "higher_order":
        return target.kernel, True, node.args
    target = _BOUNDED.get(target, target) if kind == "operator" else target
    return (_on_tensors(target) if python_on_tensors else target), False, node.args


# size arithmetic that could run away on big integers is done within int64 (runtime/limits.py)
_BOUNDED = {operator.pow: bounded_pow}


def _is_array(value):
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, Tensor)


def _on_tensors(target):
    """A Python function target (an operator, a public function a symbolic trace recorded) as a function of
    arrays: when any argument is an array it runs on Tensors, so torch's semantics (promotion, views) hold;
    other calls (getitem of a multi-output op's tuple, symbolic-int arithmetic) go straight through."""
    def fn(*args, **kwargs):
        if any(map(_is_array, args)) or any(map(_is_array, kwargs.values())) or \
                any(isinstance(a, (list, tuple)) and any(map(_is_array, a)) for a in args):
            return _unwrap(target(*_wrap(args), **_wrap(kwargs)))
        return target(*args, **kwargs)
    return fn


def _specialized(node, donate, strides_known=False):
    """(kernel, args) from the op's `specialize` hook given its arguments' fake values, or None.

    Only plain calls qualify: every Node argument a tensor with a recorded
    value, no Nodes nested in lists or kwargs.  The hook may replace constant
    arguments (a scalar cast ahead); Node arguments stay Nodes.
    """
    fakes = []
    for a in node.args:
        if isinstance(a, Node):
            val = a.meta.get("val")
            if not isinstance(val, Tensor):
                return None
            fakes.append(val)
        elif isinstance(a, (list, tuple)) and _has_node(a):
            return None
        else:
            fakes.append(a)
    if _has_node(node.kwargs.values()):
        return None
    special = node.target.specialize(tuple(fakes), dict(node.kwargs), donate, strides_known)
    if special is None:
        return None
    kernel, args = special
    return kernel, tuple(a if isinstance(a, Node) else c for a, c in zip(node.args, args))


def _attr_reader(module, target, specialize=False):
    """A function reading attribute `target` of module on each run: a subgraph (cond branch, map body,
    loop body) as a runner of arrays, a tensor as its array, anything else as it is."""
    if module is None:
        raise RuntimeError(f"get_attr {target!r}: the graph has no owning module to read it from")
    value = get_attr_path(module, target)
    if isinstance(getattr(value, "graph", None), Graph):
        runner = _subgraph_runner(value, specialize)
        return lambda: runner
    return lambda: _array(get_attr_path(module, target))


def _array(value):
    return value._require_data("running a graph") if isinstance(value, Tensor) else value


def _tensor_call(module, node):
    """A function of arrays for a call_module / call_method node: the arguments as Tensors, the call, the
    results back as arrays."""
    if node.op == "call_module":
        sub = module.get_submodule(node.target)

        def fn(*args, **kwargs):
            return _unwrap(sub(*_wrap(args), **_wrap(kwargs)))
    else:
        name = node.target

        def fn(obj, *args, **kwargs):
            return _unwrap(getattr(_wrap(obj), name)(*_wrap(args), **_wrap(kwargs)))
    return fn


def _unwrap(value):
    if isinstance(value, Tensor):
        return _array(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    return value


def _subgraph_runner(value, specialize=False):
    """A GraphModule as a function of arrays (what higher-order kernels call); other attributes as they are.

    A subgraph is specialized when its parent is: its inputs are the parent's
    values (operands, carried values, lifted weights), which keep their nodes'
    dtypes and ranks, and a loop's carried values keep them across iterations.
    Its plan for inputs that keep their placeholders' strides runs when a call's
    inputs are found to (`GraphRunner.keeps_layouts`; a loop checks once, see
    `GraphRunner.bound_while`).
    """
    if not isinstance(getattr(value, "graph", None), Graph):
        return value
    return _Subgraph(GraphRunner(value.graph, value, specialize=specialize, strides_known=specialize))


class _Subgraph:
    """A compiled subgraph as a function of arrays; `bound_runner` and `bound_while` are its forms for loops.

    A loop kernel calls its cond and body graphs once per iteration with values
    it already holds (arrays of one namespace, one per placeholder), so it
    takes the function `bound_runner(xp, n)` returns once, which skips
    `run_arrays`'s argument count and namespace checks; a while_loop asks
    `bound_while` first for cond and body written out as one loop.
    """
    __slots__ = ("runner",)

    def __init__(self, runner):
        self.runner = runner

    def __call__(self, *arrays):
        runner = self.runner
        return runner.run_arrays(*arrays, strided=runner.strides_known and runner.keeps_layouts(arrays))

    def bound_runner(self, xp, n_inputs):
        """A function of one sequence of n_inputs arrays returning the outputs; refuses a wrong count now."""
        placeholders = self.runner.placeholders
        if n_inputs != len(placeholders):
            raise TypeError(f"the graph takes {len(placeholders)} inputs "
                            f"({', '.join(p.name for p in placeholders)}), got {n_inputs}")
        return self.runner.bound(xp)

    def bound_while(self, body, xp, n_carried, n_additional):
        """This graph as a while_loop's cond and `body` as its body, written out as one function of
        (carried, additional) -> final carried values, or None when cond is false at once; None instead
        of a function when body is no compiled subgraph or the two cannot be written out together."""
        if not isinstance(body, _Subgraph):
            return None
        n = n_carried + n_additional
        self.bound_runner(xp, n)
        body.bound_runner(xp, n)               # (both refuse a wrong input count)
        return self.runner.bound_while(body.runner, xp, n_carried)


_C_ORDER = "C order"       # `layout_of` for a contiguous fake of symbolic shape


def layout_of(val):
    """What an input's array keeps for a plan's promise of strides (strides_known): the fake's strides in bytes
    (static shape), _C_ORDER (symbolic shape, contiguous fake), None for a value that is no tensor (nothing to
    keep), False when no array can keep it (symbolic strides)."""
    if not isinstance(val, Tensor):
        return None
    if all(type(d) is int for d in val.shape):
        itemsize = val.dtype.numpy_dtype.itemsize
        return tuple(s * itemsize for s in val.stride())
    return _C_ORDER if val._strides is None else False


def keeps_layout(array, layout):
    """Whether `array` (or a value that is no array) keeps `layout` (see `layout_of`)."""
    if layout is None or layout is False:
        return layout is None
    strides = getattr(array, "strides", None)
    if layout is _C_ORDER:
        return strides == tuple(s * array.itemsize for s in contiguous_strides(array.shape))
    return strides == layout


def _can_donate(node):
    """node may overwrite its first input: a fresh intermediate (no view, no other reader) of the same type."""
    src = node.args[0] if node.args else None
    if not isinstance(src, Node) or src.op != "call_function" or len(src.users) != 1:
        return False
    if target_kind(src.target) != "op" or src.target.tags & {"view", "inplace", "may_alias"}:
        return False
    a, b = src.meta.get("val"), node.meta.get("val")
    return isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype is b.dtype and \
        tuple(a.shape) == tuple(b.shape)


# ------------------------------------------------------------------ running --
# Why a flat plan: walking `_Step` records costs, per node, attribute loads,
# one small function call per argument, a fresh args list and kwargs dict --
# about half a microsecond, as much as a small kernel.  The plan keeps every
# value in one list `env` (node values in the node's slot, then the array
# namespace, then the graph's constants), so a node's arguments are a tuple
# of slots that one `operator.itemgetter` call reads; constant kwargs are
# bound ahead with functools.partial.  A step is a 4-tuple
# (fn, out, get, free): `env[out] = fn(*get(env))`, then free's slots are
# cleared.  Arguments that nest Nodes in lists, and kwargs that hold Nodes,
# take a general step that builds them per call.
#
# We measured one generated Python function (values as locals) too: it saves
# a further ~0.1 us per node but costs ~15 us per node to compile, so it only
# pays after ~150 runs, and GraphModule.forward builds an Interpreter per call.

class _Plan:
    """The env layout and steps of a compiled graph (see above)."""

    def __init__(self, placeholders, steps, n_slots):
        self.template = [None] * n_slots
        self.xp_slot = self._constant(None)
        self._const_slots = {}
        self.node_at = {}                   # out slot -> node, for error messages
        self.slot_of = {p: i for i, p in enumerate(placeholders)}
        self.slot_of.update((s.node, s.out) for s in steps)
        self.steps, self.output, self.output_value = [], _constant_reader(None), None
        self.arg_slots = []                 # per step: the env slots of its arguments, None for a general step
        self.general_calls = {}             # out slot of a general step -> (fn, args, kwargs), xp as `xp_marker`
        self.xp_marker = _XP
        for s in steps:
            if s.fn is None:
                self.output, self.output_value = self._reader(s.args[0]), s.args[0]
                break
            self.node_at[s.out] = s.node
            dead = () if s.node.users else (s.out,)     # nobody reads it: drop it at once
            fn, get, slots = self._call(s)
            self.steps.append((fn, s.out, get, dead + s.free))
            self.arg_slots.append(slots)

    def _constant(self, value):
        self.template.append(value)
        return len(self.template) - 1

    def _slot(self, value):
        """The env slot holding value: a Node's own, or a slot made for the constant."""
        if isinstance(value, Node):
            return self.slot_of[value]
        key = id(value)
        slot = self._const_slots.get(key)
        if slot is None:
            slot = self._const_slots[key] = self._constant(value)
        return slot

    def _call(self, step):
        """(fn, get, argument slots) for a step: fn(*get(env)) runs it."""
        args = ((_XP,) if step.is_kernel else ()) + tuple(step.args)
        fn, kwargs = step.fn, step.kwargs
        if any(isinstance(a, (list, tuple)) and _has_node(a) for a in args) or _has_node(kwargs.values()):
            self.general_calls[step.out] = (fn, args, kwargs)
            return self._general(fn, args, kwargs) + (None,)
        if kwargs:
            fn = functools.partial(fn, **kwargs)
        slots = [self.xp_slot if a is _XP else self._slot(a) for a in args]
        if len(slots) >= 2:
            return fn, operator.itemgetter(*slots), slots
        if slots:
            (i,) = slots
            return fn, lambda env: (env[i],), slots
        return fn, lambda env: (), slots

    def _general(self, fn, args, kwargs):
        """A step whose arguments nest Nodes: readers build them on each call."""
        readers = [self._reader(a) for a in args]
        kw_readers = {k: self._reader(v) for k, v in kwargs.items()}

        def run(env):
            return fn(*[r(env) for r in readers], **{k: r(env) for k, r in kw_readers.items()})
        return run, lambda env: (env,)

    def _reader(self, value):
        """A function env -> value, with Nodes (also inside lists and tuples) read from their slots."""
        if value is _XP:
            i = self.xp_slot
            return lambda env: env[i]
        if isinstance(value, Node):
            i = self.slot_of[value]
            return lambda env: env[i]
        if type(value) is tuple and len(value) >= 2 and all(isinstance(v, Node) for v in value):
            return operator.itemgetter(*(self.slot_of[v] for v in value))     # one C call builds the tuple
        if isinstance(value, (list, tuple)) and _has_node(value):
            readers = [self._reader(v) for v in value]
            kind = type(value)
            return lambda env: kind(r(env) for r in readers)
        return _constant_reader(value)


_XP = object()      # stands for the array namespace among a kernel's arguments
_FIRST, _SECOND = object(), object()    # `GraphRunner._written_out`: requests seen for a key so far


def _constant_reader(value):
    return lambda env: value


def _has_node(values):
    return any(isinstance(v, Node) or (isinstance(v, (list, tuple)) and _has_node(v)) for v in values)


class GraphRunner:
    """Runs a Graph with arrays (NumPy or CuPy) as values."""

    def __init__(self, graph, module=None, *, specialize=False, python_on_tensors=False, strides_known=False):
        self.graph = graph
        self.module = module
        self.specialized = specialize
        self.strides_known = specialize and strides_known
        self.python_on_tensors = python_on_tensors
        self.placeholders, self.steps, self.n_slots = compile_graph(graph, specialize, module, python_on_tensors,
                                                                    self.strides_known)
        self._plan = _Plan(self.placeholders, self.steps, self.n_slots)
        self._general_plan = None if specialize else self._plan
        self._unstrided_plan = None if self.strides_known else self._plan
        # the strides each input keeps for the promise of strides_known (`layout_of`), and loops checked for it
        self.layouts = tuple(layout_of(p.meta.get("val")) for p in self.placeholders) if self.strides_known \
            else None
        self._loop_layouts = {}
        self._guard = MemoryGuard.build(self.placeholders, [s.node for s in self.steps if s.fn is not None])
        self._bound_runs = {}               # (plan id, xp) -> the plan written out as a function (`bound`)
        self._buffers = buffers.BufferPool()   # large outputs kept for the next run (runtime/buffers.py)

    def _general(self):
        """The plan with the general kernels (built on first use when the main one is specialized)."""
        if self._general_plan is None:
            steps = compile_graph(self.graph, False, self.module, self.python_on_tensors)[1]
            self._general_plan = _Plan(self.placeholders, steps, self.n_slots)
        return self._general_plan

    def _unstrided(self):
        """The specialized plan compiled without the promise of the inputs' strides (built on first use when
        the main one has it)."""
        if self._unstrided_plan is None:
            steps = compile_graph(self.graph, True, self.module, self.python_on_tensors)[1]
            self._unstrided_plan = _Plan(self.placeholders, steps, self.n_slots)
        return self._unstrided_plan

    def _plan_for(self, xp, specialized, strided):
        """The plan a run with arrays of namespace xp takes, given which promises its inputs keep."""
        if not specialized or xp is not backends.np:
            return self._general()
        return self._plan if strided else self._unstrided()

    def keeps_layouts(self, arrays):
        """Whether `arrays` (one per placeholder) keep the strides a strides_known plan is compiled for."""
        return self.layouts is not None and all(map(keeps_layout, arrays, self.layouts))

    def run_arrays(self, *inputs, xp=None, specialized=True, strided=False):
        """Run on arrays (one per placeholder); returns the output structure with arrays.

        `specialized=False` runs the general kernels even if this interpreter was
        built with `specialize=True` (the inputs do not keep its promise);
        `strided=True` says the inputs also keep the promise of `strides_known`.
        """
        n = len(self.placeholders)
        if len(inputs) != n:
            raise TypeError(f"the graph takes {n} inputs "
                            f"({', '.join(p.name for p in self.placeholders)}), got {len(inputs)}")
        if self._guard is not None:
            self._guard.check(inputs)       # before anything is allocated (fx/_budget.py)
        if xp is None:
            xp = _namespace_of(inputs)
        plan = self._plan_for(xp, specialized, strided)
        env = plan.template.copy()
        env[:n] = inputs
        env[plan.xp_slot] = xp
        if buffers.active() is not None:     # a subgraph: the outermost run's pool serves it
            return _execute(plan, env)
        previous = buffers.activate(self._buffers)
        try:
            return _execute(plan, env)
        finally:
            buffers.deactivate(previous)

    def bound(self, xp, specialized=True):
        """`run_arrays` for many calls with arrays of namespace xp: a function of one sequence holding
        exactly one array per placeholder (unchecked: the caller guarantees the count and namespace).

        The first such call gets the plan's own loop; later ones get the plan written out as one Python
        function (`fx._generated`), made once and kept.  (Writing out costs some hundred microseconds,
        which a runner built for a single call, as `Interpreter(gm).run` makes, would never recover.)"""
        plan = self._plan_for(xp, specialized, False)
        run = self._written_out((id(plan), xp), lambda: generate(
            plan, len(self.placeholders), xp, _error_naming_node(plan))) or self._plan_runner(plan, xp)
        guard = self._guard
        if guard is None:
            return run

        def guarded(inputs):        # the memory budget holds for every call, as in run_arrays
            guard.check(inputs)
            return run(inputs)
        guarded.__wrapped__ = run
        return guarded

    def bound_while(self, body, xp, n_carried, specialized=True):
        """See `_Subgraph.bound_while`: self is the cond, body a GraphRunner; None on the first request
        (as `bound`), then the loop function, kept per body and namespace.

        When every iteration hands the body's outputs back with the strides the carried placeholders
        have (`_loop_keeps_layouts`, from the graphs), a loop whose first inputs keep their placeholders'
        strides keeps them throughout: it runs the plans compiled for them, checked once per loop."""
        plain = self._while(body, xp, n_carried, specialized, False)
        strided = self._while(body, xp, n_carried, specialized, True) \
            if plain is not None and self._loop_keeps_layouts(body, n_carried) else None
        if strided is None:
            return plain

        def either(carried, additional):
            keeps = self.keeps_layouts(tuple(carried) + tuple(additional))
            return (strided if keeps else plain)(carried, additional)
        return either

    def _loop_keeps_layouts(self, body, n_carried):
        """Whether cond (self) and body take their inputs with the same strides and body returns each
        carried value with the strides it came in with (known from the graphs' fake values; kept)."""
        key = (id(body), n_carried)
        known = self._loop_layouts.get(key)
        if known is None:
            out = body._plan.output_value
            known = self.layouts is not None and self.layouts == body.layouts and False not in self.layouts \
                and type(out) is tuple and len(out) == n_carried and all(isinstance(v, Node) for v in out) \
                and tuple(layout_of(v.meta.get("val")) for v in out) == self.layouts[:n_carried]
            self._loop_layouts[key] = known
        return known

    def _while(self, body, xp, n_carried, specialized, strided):
        """`bound_while`'s loop function over the plans for `strided` inputs or not (None on the first
        request, or when the two graphs cannot be written out together)."""
        plans = [r._plan_for(xp, specialized, strided) for r in (self, body)]
        loop = self._written_out(("while", id(body), id(plans[1]), id(plans[0]), xp), lambda: generate_while(
            *[(p, _error_naming_node(p)) for p in plans], n_carried, len(self.placeholders) - n_carried, xp))
        guards = [g for g in (self._guard, body._guard) if g is not None]
        if loop is None or not guards:
            return loop

        # the carried values keep their shapes, so one budget check per loop covers every iteration
        def guarded(carried, additional):
            inputs = tuple(carried) + tuple(additional)
            for g in guards:
                g.check(inputs)
            return loop(carried, additional)
        guarded.__wrapped__ = loop
        return guarded

    def _written_out(self, key, make):
        """The function make() gives, made on the second request for key and kept; None before that or
        when make() declines."""
        done = self._bound_runs.get(key, _FIRST)
        if done is _FIRST:
            self._bound_runs[key] = _SECOND
            return None
        if done is _SECOND:
            done = self._bound_runs[key] = make()
        return done

    def _plan_runner(self, plan, xp):
        """The plan's run as a function of one sequence of inputs (for plans generate() declines)."""
        n = len(self.placeholders)
        template = plan.template.copy()
        template[plan.xp_slot] = xp

        steps, node_at, output = plan.steps, plan.node_at, plan.output

        # (the loop of `_execute` written out: a loop body pays no extra call per iteration)
        def run(inputs):
            env = template.copy()
            env[:n] = inputs
            out = None
            try:
                for fn, out, get, free in steps:
                    env[out] = fn(*get(env))
                    for i in free:
                        env[i] = None
            except GraphRunError:
                raise
            except Exception as e:
                named = _node_error(node_at[out], e)
                if named is e:
                    raise
                raise named from e
            return output(env)
        return run

    def run(self, *inputs):
        """Run on tensors (or arrays); tensors in the outputs come back as Tensors."""
        arrays = [x._require_data("running a graph") if isinstance(x, Tensor) else x for x in inputs]
        out = self.run_arrays(*arrays)
        return _wrap(out)


def _node_error(node, error):
    """The error to raise for a kernel's exception at node: a GraphRunError naming the node and the user's
    line, or, for a resource limit, a ResourceLimitError naming them (its type kept for callers)."""
    if isinstance(error, ResourceLimitError):
        if getattr(error, "_fx_node_named", False):
            return error
        named = ResourceLimitError(_describe_failure(node, error))
        named._fx_node_named = True
        return named
    return GraphRunError(_describe_failure(node, error))


def _error_naming_node(plan):
    """The error hook of a generated plan: a kernel's exception re-raised naming the step's node."""
    def on_error(slot, error):
        if slot is not None and not isinstance(error, GraphRunError):
            named = _node_error(plan.node_at[slot], error)
            if named is not error:
                raise named from error
    return on_error


def _execute(plan, env):
    """Run plan's steps on env (inputs and namespace filled in); returns the output structure."""
    out = None
    try:
        for fn, out, get, free in plan.steps:
            env[out] = fn(*get(env))
            for i in free:
                env[i] = None
    except GraphRunError:
        raise
    except Exception as e:      # `out` names the step that failed
        named = _node_error(plan.node_at[out], e)
        if named is e:
            raise
        raise named from e
    return plan.output(env)


def _wrap(value):
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, Tensor):
        return make_tensor(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_wrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _wrap(v) for k, v in value.items()}
    return value


def _namespace_of(inputs):
    for x in inputs:
        if hasattr(x, "shape") and hasattr(x, "dtype"):
            return backends.array_namespace(x)
    return backends.np


def _describe_failure(node, error):
    where = ""
    trace = node.meta.get("stack_trace")
    if trace:
        frame = frame_line(trace)
        if frame:
            where = "\n  from the user's code: " + frame[2:]
    target = f"torch.ops.{node.target}" if target_kind(node.target) == "op" else \
        getattr(node.target, "__name__", str(node.target))
    return f"while running node '{node.name}' ({target}): {type(error).__name__}: {error}{where}"
