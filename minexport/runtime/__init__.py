"""Array backends and device placement (NumPy on CPU, CuPy on CUDA); runtime budgets (limits.py)."""
from .backends import device, array_namespace, backend_for_device, to_device
from .limits import (ResourceLimitError, limits, max_loop_iterations, memory_budget, set_max_loop_iterations,
                     set_memory_budget)
