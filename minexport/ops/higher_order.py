"""Higher-order operators: ops whose arguments include graphs (`torch.ops.higher_order.cond`, `map_impl`).

In an exported graph a higher-order op reads its branches or body with
`get_attr` nodes naming submodules of the program (`true_graph_0`,
`body_graph_0`) and returns a tuple of tensors, read with getitem nodes.  The
kernel receives each subgraph as a callable on arrays (the interpreter passes
a compiled runner), so one definition serves eager calls and graph runs.
"""
import types

from ._registry import aten, namespace
from ..runtime.limits import check_loop_iteration, max_loop_iterations

__all__ = ["HigherOrderOperator", "cond", "map_impl", "while_loop", "scan", "wrap_with_set_grad_enabled",
           "wrap_with_autocast", "higher_order"]

higher_order = namespace("higher_order")


class HigherOrderOperator:
    """An operator taking graphs as arguments: `torch.ops.higher_order.<name>`.

    Not an `OpOverload`: it has no schema and no meta function (its outputs come
    from tracing the subgraphs), so code tells the two apart with
    `ops._targets.target_kind`, never by probing attributes.
    """

    namespace = "higher_order"
    takes_kwargs = False    # True: every argument after the first is a keyword (auto_functionalized_v2)

    def __init__(self, name, kernel, arg_kinds, doc):
        self.__name__ = self._name = name
        self.kernel = kernel
        # per argument: "value", "subgraph" (a get_attr) or "tensors" (a list); a last "*values": any number more
        self.arg_kinds = arg_kinds
        self.__doc__ = doc
        higher_order._packets[name] = self

    def name(self):
        """The operator's name ('cond')."""
        return self._name

    @property
    def qualified_name(self):
        """'torch.ops.higher_order.cond', as graphs print it."""
        return f"torch.ops.higher_order.{self._name}"

    def __call__(self, *args):
        return self.kernel(TENSOR_NAMESPACE, *args)

    def __str__(self):
        return self._name

    def __repr__(self):
        return self.qualified_name


# The `xp` an eager call hands a kernel: the few array functions the kernels use,
# done with registered ops so that they take and return tensors.
TENSOR_NAMESPACE = types.SimpleNamespace(stack=lambda tensors, axis=0: aten.stack.default(list(tensors), axis),
                                         copy=lambda t: aten.clone.default(t))


def _cond_kernel(xp, pred, true_fn, false_fn, operands):
    """Run one branch on the operands; the branch returns a tuple of values."""
    return tuple((true_fn if bool(pred) else false_fn)(*operands))


def _map_kernel(xp, body, xs, args):
    """Run body on each slice xs[i] (with args), stacking each output along a new dim 0."""
    n = int(xs[0].shape[0])
    if n == 0:
        raise ValueError("map_impl: the mapped inputs have a leading dimension of size 0; map needs at least "
                         "one slice to run the body on")
    rows = [tuple(body(*[x[i] for x in xs], *args)) for i in range(n)]
    return tuple(xp.stack([row[j] for row in rows]) for j in range(len(rows[0])))


cond = HigherOrderOperator("cond", _cond_kernel, ("value", "subgraph", "subgraph", "tensors"),
                           "cond(pred, true_graph, false_graph, operands): run one branch on the operands.")
map_impl = HigherOrderOperator("map_impl", _map_kernel, ("subgraph", "tensors", "tensors"),
                               "map_impl(body_graph, xs, args): run the body on every xs[i] and stack.")


# -- loops (while_loop, scan) ---------------------------------------------------------
# Why bound runners: the interpreter hands these kernels its compiled subgraphs,
# which offer `bound_runner(xp)`, a function of one tuple of arrays that skips
# the per-call argument checks; the kernels check the count once up front and
# then pay, per iteration, only the subgraph's own steps.  Other callables
# (Python functions on tensors, in eager calls) are wrapped to the same form.
def _bound(fn, xp, n_inputs, what):
    """fn as a function of one tuple of n_inputs values."""
    bind = getattr(fn, "bound_runner", None)
    if bind is None:
        return lambda values: fn(*values)
    try:
        return bind(xp, n_inputs)
    except TypeError as e:
        raise TypeError(f"{what}: {e}") from None


def _fresh(xp, carried):
    """The carried values after no iteration: the outputs still may not alias the inputs (an int is a value)."""
    return tuple(c if isinstance(c, int) else xp.copy(c) for c in carried)


def _while_loop_kernel(xp, cond_fn, body_fn, carried, additional):
    """Run body_fn on the carried values while cond_fn says so; the final carried values (fresh copies)."""
    carried, additional = tuple(carried), tuple(additional)
    fused = getattr(cond_fn, "bound_while", None)
    try:
        loop = fused(body_fn, xp, len(carried), len(additional)) if fused is not None else None
    except TypeError as e:
        raise TypeError(f"while_loop: {e}") from None
    if loop is not None:            # both graphs written out as one loop function
        out = loop(carried, additional)
        return _fresh(xp, carried) if out is None else out
    n = len(carried) + len(additional)
    cond = _bound(cond_fn, xp, n, "while_loop cond_fn")
    body = _bound(body_fn, xp, n, "while_loop body_fn")
    if not bool(cond(carried + additional)):
        return _fresh(xp, carried)
    carried = tuple(body(carried + additional))
    if len(carried) + len(additional) != n:
        raise TypeError(f"while_loop: body_fn returned {len(carried)} values for {n - len(additional)} carried")
    # a loop whose condition never turns false stops at the iteration limit (runtime/limits.py)
    i, limit = 1, max_loop_iterations()
    while bool(cond(carried + additional)):
        i += 1
        if i > limit:
            check_loop_iteration(i)
        carried = tuple(body(carried + additional))
    return carried


def _scan_kernel(xp, combine_fn, init, xs, additional):
    """Fold combine_fn over dim 0 of xs from init: (final carry..., every step's outputs stacked...)."""
    n = int(xs[0].shape[0]) if xs else 0
    if n == 0:
        raise RuntimeError("scan: the scanned inputs have a scan dimension of size 0; scan needs at least one "
                           "step to learn its outputs from")
    carry, k, additional = tuple(init), len(init), tuple(additional)
    combine = _bound(combine_fn, xp, k + len(xs) + len(additional), "scan combine_fn")
    rows = []
    for i in range(n):
        out = tuple(combine(carry + tuple([x[i] for x in xs]) + additional))
        carry = out[:k]
        rows.append(out[k:])
    return carry + tuple(xp.stack([row[j] for row in rows]) for j in range(len(rows[0])))


while_loop = HigherOrderOperator(
    "while_loop", _while_loop_kernel, ("subgraph", "subgraph", "tensors", "tensors"),
    "while_loop(cond_graph, body_graph, carried_inputs, additional_inputs): iterate the body while cond holds.")
scan = HigherOrderOperator(
    "scan", _scan_kernel, ("subgraph", "tensors", "tensors", "tensors"),
    "scan(combine_graph, init, xs, additional_inputs): fold over dim 0 of xs, stacking each step's outputs.")


# -- regions (wrap_with_set_grad_enabled, wrap_with_autocast) -------------------------------------
# A stretch of the traced code run with the grad mode set, or inside an autocast context, kept as a subgraph
# called with the values it reads (as torch's training IR keeps it; run_decompositions puts its ops back in
# line).  minexport has no autograd and no enabled autocast, so running one is running its subgraph.
def _wrap_with_set_grad_enabled_kernel(xp, enabled, body, *args):
    """Run the region's subgraph on its inputs (the grad mode changes nothing without autograd)."""
    return tuple(body(*args))


def _wrap_with_autocast_kernel(xp, device_type, dtype, enabled, cache_enabled, body, *args):
    """Run the region's subgraph on its inputs (a disabled autocast changes no dtype)."""
    return tuple(body(*args))


wrap_with_set_grad_enabled = HigherOrderOperator(
    "wrap_with_set_grad_enabled", _wrap_with_set_grad_enabled_kernel, ("value", "subgraph", "*values"),
    "wrap_with_set_grad_enabled(enabled, body_graph, *args): the body, run with the grad mode set to enabled.")
wrap_with_autocast = HigherOrderOperator(
    "wrap_with_autocast", _wrap_with_autocast_kernel, ("value", "value", "value", "value", "subgraph", "*values"),
    "wrap_with_autocast(device_type, dtype, enabled, cache_enabled, body_graph, *args): the body, run in that "
    "autocast context.")
