"""Running a custom op's fake implementation: `get_ctx()` and the tracer that answers its op calls."""
from ._trace_state import trace_state, tracing
from .ops.shape_extra import MetaTracer

__all__ = ["FakeImplCtx", "FakeTracer", "get_ctx", "run_fake"]


class FakeImplCtx:
    """What `get_ctx()` returns inside a fake implementation: sizes known only when the op runs."""

    def new_dynamic_size(self, *, min=0, max=None):
        """A size the op's data decides (an unbacked SymInt, u0, ...) in [min, max]; min must be 0 or more."""
        if min < 0:
            raise ValueError(f"ctx.new_dynamic_size(min={min}, ...): expected min to be greater than or equal to 0: "
                             "this API can only create non-negative sizes.")
        tracer = trace_state.tracer
        if tracer is None or tracer.data_dependent_size is None:
            raise RuntimeError("ctx.new_dynamic_size() makes a size for a fake tensor; it can only be used in a "
                               "fake implementation while export (or opcheck) runs it")
        return tracer.data_dependent_size(max, min) if min else tracer.data_dependent_size(max)


_CTX = []       # the FakeImplCtx of each fake implementation running now, innermost last


def get_ctx():
    """The context of the fake implementation now running (see `FakeImplCtx`)."""
    if not _CTX:
        raise RuntimeError("torch.library.get_ctx() may only be called from inside a fake implementation "
                           "(a function registered with register_fake)")
    return _CTX[-1]


class FakeTracer(MetaTracer):
    """Answers every op call made by a fake implementation with the op's meta function."""

    def __call__(self, op, args, kwargs):
        if op.meta is None:
            raise RuntimeError(f"a fake implementation called {op}, which has no fake implementation itself")
        return op.meta(*args, **kwargs)


def run_fake(fake, args, kwargs):
    """fake(*args, **kwargs) on fake tensors: its op calls answered by meta functions, get_ctx() set, and
    data-dependent sizes made by the tracer installed around (export's, or opcheck's)."""
    _CTX.append(FakeImplCtx())
    try:
        with tracing(FakeTracer(trace_state.tracer)):
            return fake(*args, **kwargs)
    finally:
        _CTX.pop()
