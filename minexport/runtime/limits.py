"""Runtime budgets: how much memory one op's value may take and how long loops and size arithmetic may run.

Running a program (`ep.module()(...)`, `fx.Interpreter`, `GraphRunner`)
checks these before it allocates or iterates, so a program that verifies but
asks for too much is refused with `ResourceLimitError` instead of exhausting
the machine:

* `memory_budget()`: the most bytes one node's value may take, counted as
  elements x item size of its recorded shape (views included, since an op
  reading a broadcast view touches every element).  Default: half of the
  machine's physical memory.  `set_memory_budget(nbytes)` changes it (None
  restores the default).
* `max_loop_iterations()`: the most iterations one `while_loop` may run.
  Default 1,000,000; `set_max_loop_iterations(n)` changes it (None restores it).
* Integer arithmetic on sizes (the `operator` nodes of a graph) stays within
  int64, as torch's SymInts do: `s0 ** 10**9` is refused before it is computed.

`limits(memory_budget=..., max_loop_iterations=...)` sets both for a `with` block.
"""
import contextlib
import os

__all__ = ["ResourceLimitError", "memory_budget", "set_memory_budget", "max_loop_iterations",
           "set_max_loop_iterations", "limits", "INT64_MAX", "DEFAULT_MAX_LOOP_ITERATIONS"]

INT64_MAX = (1 << 63) - 1
DEFAULT_MAX_LOOP_ITERATIONS = 1_000_000
_MEMORY_FRACTION = 0.5


class ResourceLimitError(RuntimeError):
    """Running a program would exceed a runtime budget (memory, loop iterations, integer size)."""


def _physical_memory():
    """Bytes of physical memory (a large fallback where the OS does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 16 << 30


_DEFAULT_BUDGET = int(_physical_memory() * _MEMORY_FRACTION)
_state = {"memory_budget": _DEFAULT_BUDGET, "max_loop_iterations": DEFAULT_MAX_LOOP_ITERATIONS}


def memory_budget():
    """The most bytes one node's value may take when a program runs."""
    return _state["memory_budget"]


def _positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{what} must be a positive int (or None for the default), got {value!r}")
    return value


def set_memory_budget(nbytes):
    """Set the per-value memory budget in bytes; None restores the default (half of physical memory)."""
    _state["memory_budget"] = _DEFAULT_BUDGET if nbytes is None else _positive_int(nbytes, "the memory budget")


def max_loop_iterations():
    """The most iterations one while_loop may run."""
    return _state["max_loop_iterations"]


def set_max_loop_iterations(n):
    """Set the while_loop iteration limit; None restores the default (1,000,000)."""
    _state["max_loop_iterations"] = DEFAULT_MAX_LOOP_ITERATIONS if n is None else \
        _positive_int(n, "the loop iteration limit")


@contextlib.contextmanager
def limits(memory_budget=None, max_loop_iterations=None):
    """Within the block, use these budgets (a None leaves that one as it is)."""
    saved = dict(_state)
    try:
        if memory_budget is not None:
            set_memory_budget(memory_budget)
        if max_loop_iterations is not None:
            set_max_loop_iterations(max_loop_iterations)
        yield
    finally:
        _state.update(saved)


def check_loop_iteration(i, what="while_loop"):
    """Refuse iteration i (counted from 1) when it exceeds the limit."""
    if i > _state["max_loop_iterations"]:
        raise ResourceLimitError(f"{what} ran {i - 1} iterations without finishing, the limit "
                                 f"(minexport.runtime.set_max_loop_iterations)")


def bounded_pow(base, exp):
    """base ** exp, refusing an integer result outside int64 before computing it."""
    if isinstance(base, int) and isinstance(exp, int) and exp > 1 and abs(base) > 1:
        if (abs(base).bit_length() - 1) * exp >= 63:
            raise ResourceLimitError(f"{base} ** {exp} does not fit in int64 (size arithmetic is int64, "
                                     "as torch's SymInt)")
    return bounded_int(base ** exp, f"{base} ** {exp}")


def bounded_int(value, what):
    """value, refusing an int outside int64."""
    if isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise ResourceLimitError(f"{what} gives a value outside int64 (size arithmetic is int64, "
                                 "as torch's SymInt)")
    return value
