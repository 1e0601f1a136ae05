"""The one tracing context: which `Tracer` (if any) receives op calls, module calls and data reads.

Eager code everywhere asks one question, "is a program being traced?", by
reading `trace_state.tracer` (None in plain eager mode).  `tracing(tracer)`
installs a tracer for the duration of a `with` block and restores the previous
one after, so tracers nest (export's tracer, run_decompositions'
functionalizer).  A tracer subclasses `Tracer`: it must implement `__call__`
(every op call while it is installed) and may override the module and
data-access hooks.
"""
import contextlib

__all__ = ["Tracer", "trace_state", "tracing"]


class Tracer:
    """Base class of the objects `tracing()` installs.

    Required: `__call__(op, args, kwargs)` receives every `OpOverload` call and
    returns its (fake) result.  Optional hooks, no-ops here: `enter_module` /
    `exit_module` around each `nn.Module` call (for nn_module_stack),
    `refuse_data_access(what, tensor)`, called before a fake tensor's values are
    read (raise a teaching error there; returning falls back to a generic one),
    `is_contiguous(tensor)` (a summary of a view's layout; fake tensors carry their strides,
    which is what ops read), and `grad_mode_set` / `autocast_entered` / `autocast_exited` where the traced
    code sets the grad mode or enters and leaves autocast.

    Optional capabilities, None when a tracer lacks them (the caller then
    refuses or runs eagerly): `trace_cond(pred, true_fn, false_fn, operands)`
    and `trace_map(body, xs, args)` record control flow as subgraphs (and
    `trace_while_loop(cond_fn, body_fn, carried)`, `trace_scan(combine_fn, init, xs, n_steps)` loops);
    `check_condition(cond, message)` handles `_check` on a symbolic condition;
    `data_dependent_size(upper, lower=0)` makes a size known only at run time.
    """

    trace_cond = trace_map = check_condition = data_dependent_size = None
    trace_while_loop = trace_scan = None

    def __call__(self, op, args, kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(op, args, kwargs)")

    def enter_module(self, module):
        """A module's forward is starting; returns a key handed back to `exit_module`."""
        return None

    def exit_module(self, key):
        """The module call that `enter_module` returned `key` for has finished."""

    def refuse_data_access(self, what, tensor):
        """`what` (e.g. "Python bool()") needs the values of fake `tensor`; raise to explain why not."""

    def is_contiguous(self, tensor):
        """Whether fake `tensor` is contiguous as far as the tracer tracks it (ops read `tensor.stride()`)."""
        return True

    def grad_mode_set(self, enabled):
        """The traced code set the grad mode (no_grad, set_grad_enabled, ...), changed or not."""

    def autocast_entered(self, args):
        """The traced code entered an autocast context: args = (device_type, dtype, enabled, cache_enabled)."""

    def autocast_exited(self):
        """The traced code left the autocast context entered last."""


class _TraceState:
    """Holds the installed tracer (None for plain eager execution)."""

    __slots__ = ("tracer",)

    def __init__(self):
        self.tracer = None


trace_state = _TraceState()


@contextlib.contextmanager
def tracing(tracer):
    """Install `tracer` (a `Tracer`) for the `with` block; the previous one comes back after."""
    saved = trace_state.tracer
    trace_state.tracer = tracer
    try:
        yield tracer
    finally:
        trace_state.tracer = saved
