"""The custom-op fixture of the ir/custom_op* vectors: `confir::scaled_add(Tensor x, Tensor y, float alpha)
-> Tensor`, returning `x * alpha + y` (a new tensor, no aliasing, no mutation).

A runtime registers it before loading those archives by calling `register(library)` with its
torch.library-compatible module: `torch.library` for torch, `minexport.library` for minexport.  The body
uses only Tensor arithmetic, so one definition serves both sides, for the kernel and the fake (meta)
implementation alike.  A runtime without a torch.library-like API implements the op from the one line above.
Registering twice is harmless: the second call returns the first registration.
"""

QUALNAME = "confir::scaled_add"
SCHEMA = "(Tensor x, Tensor y, float alpha) -> Tensor"
_registered = {}


def _scaled_add(x, y, alpha):
    return x * alpha + y


def _fake(x, y, alpha):
    return x * alpha + y


def register(library):
    """Register confir::scaled_add with `library` (torch.library or minexport.library); returns the op."""
    key = library.__name__
    if key not in _registered:
        op = library.custom_op(QUALNAME, _scaled_add, mutates_args=(), schema=SCHEMA)
        op.register_fake(_fake)
        _registered[key] = op
    return _registered[key]
