"""A minimal `autograd.Function`: minexport has no autograd, so `apply` runs `forward` (as export inlines it)."""

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The `ctx` passed to forward: saved tensors are kept but never used for gradients."""

    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors):
        """Keep tensors (there is no backward pass to use them)."""
        self.saved_tensors = tensors

    def mark_dirty(self, *tensors):
        """No-op."""

    def mark_non_differentiable(self, *tensors):
        """No-op."""

    def set_materialize_grads(self, value):
        """No-op."""


class Function:
    """Subclass with static forward(ctx, ...) (and backward, never called); call with `.apply(...)`."""

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward with a fresh context."""
        return cls.forward(FunctionCtx(), *args, **kwargs)
