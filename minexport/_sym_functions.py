"""torch.sym_max / sym_min / sym_int / sym_float / sym_not / sym_ite: Python's max, min, int, float, not
and `a if b else c` that keep a symbolic value symbolic instead of deciding (and guarding on) it.

On plain numbers they are the builtins.  On a SymInt/SymBool they call the value's own method (which
builds `Max(s17, s77)`, `Not(...)` ...; see symbolic/core.py), so this module stays free of sympy.  In an
exported graph `sym_max`/`sym_min` are call targets, printed and archived under torch's names
(`torch.sym_max`), the name each function carries as `_torch_name`.
"""
from ._symbolic_marker import is_symbolic

__all__ = ["sym_max", "sym_min", "sym_int", "sym_float", "sym_not", "sym_ite", "SYM_FUNCTIONS"]


def sym_max(a, b):
    """max(a, b); symbolic if either is (torch.sym_max)."""
    if is_symbolic(a):
        return a.sym_max(b)
    if is_symbolic(b):
        return b.sym_max(a)
    return builtin_max(a, b)


def sym_min(a, b):
    """min(a, b); symbolic if either is (torch.sym_min)."""
    if is_symbolic(a):
        return a.sym_min(b)
    if is_symbolic(b):
        return b.sym_min(a)
    return builtin_min(a, b)


def sym_int(a):
    """int(a) without specializing: a SymInt stays itself, a float is truncated (torch.sym_int)."""
    if is_symbolic(a) and hasattr(a, "sym_int"):
        return a.sym_int()
    return int(a)


def sym_float(a):
    """float(a) without specializing a SymInt: it becomes a SymFloat of the same expression (torch.sym_float)."""
    if is_symbolic(a) and hasattr(a, "sym_float"):
        return a.sym_float()
    return a if is_symbolic(a) else float(a)


def sym_not(a):
    """`not a`; a SymBool gives the symbolic negation (torch.sym_not)."""
    if is_symbolic(a):
        return a.sym_not()
    return not a


def sym_ite(b, t, f):
    """`t if b else f` (torch.sym_ite): decided on b (a guard when b is symbolic), as torch's export
    specializes it too when b has an example value."""
    return t if b else f


builtin_max, builtin_min = max, min
for _fn in (sym_max, sym_min, sym_int, sym_float, sym_not, sym_ite):
    _fn._torch_name = f"torch.{_fn.__name__}"
# the ones an exported graph may call
SYM_FUNCTIONS = {"torch.sym_max": sym_max, "torch.sym_min": sym_min}
