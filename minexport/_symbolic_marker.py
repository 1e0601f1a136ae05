"""`is_symbolic(x)`: the one sympy-free test for a symbolic value (SymInt, SymFloat, SymBool).

`minexport.symbolic` loads sympy, so code that only needs to know whether a
value is symbolic asks here instead; symbolic classes carry the marker
attribute `_is_symbolic = True`.
"""

__all__ = ["is_symbolic"]


def is_symbolic(x):
    """True for a SymInt/SymFloat/SymBool (without importing sympy)."""
    return getattr(x, "_is_symbolic", False)
