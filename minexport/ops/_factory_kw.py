"""The keywords of the factory calls a decomposition makes, spelled as torch records them.

A node keeps only the keywords that differ from the schema's defaults (see
export/_recording.py), so what torch records for a factory call depends on
which layer of torch made it:

- torch's Python API (`torch.full(...)`, `torch.arange(...)`, `torch.empty(...)`)
  fills in the device (the default one when none is given) and pin_memory=False;
  a dtype or layout appears only when the caller gave one;
- a `*_like` function through the Python API (`torch.full_like(...)`) gets
  pin_memory=False, and the rest only when given (the input supplies the device);
- C++ code that builds a tensor from another's options (`self.options()`) passes
  that tensor's layout ("strided") and device, and a dtype.

Decompositions say which of these torch's own decomposition goes through, so
the node they record carries torch's keywords.
"""
from ..runtime.backends import CPU
from ._registry import aten

__all__ = ["STRIDED", "api_arange", "api_factory", "api_like", "options_of"]

STRIDED = "strided"     # the only layout minexport has (torch.strided)


def api_factory(dtype=None, layout=None, device=None):
    """Keywords of a factory called through torch's Python API (`torch.full(size, v, dtype=...)`)."""
    return {"dtype": dtype, "layout": layout, "device": CPU if device is None else device, "pin_memory": False}


def api_like(dtype=None, layout=None, device=None, memory_format=None):
    """Keywords of a `*_like` factory called through torch's Python API (`torch.full_like(t, v)`)."""
    return {"dtype": dtype, "layout": layout, "device": device, "pin_memory": False, "memory_format": memory_format}


def options_of(t, dtype=None):
    """Keywords of a factory C++ code builds from tensor t's options: its layout and device, and a dtype
    (t's own unless given)."""
    return {"dtype": t.dtype if dtype is None else dtype, "layout": STRIDED, "device": t.device}


_ARANGE_OVERLOAD = {1: "default", 2: "start", 3: "start_step"}     # by the number of arguments given


def api_arange(*args, dtype=None, device=None):
    """`torch.arange(*args, dtype=, device=)` as torch's Python API calls it: the overload the arguments
    select, with `api_factory`'s keywords (run_decompositions rewrites arange(end) and arange(start, end) to
    arange.start_step, adding layout=strided)."""
    return getattr(aten.arange, _ARANGE_OVERLOAD[len(args)])(*args, **api_factory(dtype, device=device))
