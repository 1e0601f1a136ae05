"""minexport: a pure-Python reference implementation of torch.export.

This package is the torch-like eager surface: `Tensor`, dtypes with torch's
promotion rules, factories, math functions, `minexport.nn`, pytrees, and the
op registry (`minexport.ops.aten`).  Heavy dependencies (sympy, CuPy) load
only when first needed.
"""
from . import dtypes as _dtypes
from .dtypes import (bfloat16, bool, dtype, float16, float32, float64, get_default_dtype,
                     int8, int16, int32, int64, promote_types, set_default_dtype, uint8, can_cast)
from ._tensor import Size, Tensor
from .runtime.backends import device
from . import ops
from ._factories import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                         linspace, ones, ones_like, rand, rand_like, randint, randn, randn_like,
                         scalar_tensor, tensor, zeros, zeros_like)
from ._factories import empty_strided, empty_permuted
from ._functions import *  # noqa: F403
from ._functions import (abs, all, any, max, min, pow, round, sum,
                         return_types, no_grad, enable_grad, inference_mode, set_grad_enabled, is_grad_enabled,
                         _check, _check_is_size)
from ._functions import _segment_reduce
from ._functions import _constrain_as_size
from ._shape_functions import *  # noqa: F403
from ._math_functions import *  # noqa: F403
from . import _functions as _fns
from . import _tensor_methods
from ._random import manual_seed, seed

# the generated torch._xxx functions, which `import *` skips
globals().update({_n: getattr(_fns, _n) for _n in _fns.UNDERSCORE_FUNCTIONS})

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
strided = "strided"
contiguous_format = "contiguous_format"
channels_last, channels_last_3d, preserve_format = "channels_last", "channels_last_3d", "preserve_format"

__version__ = "0.1.0"


def __getattr__(name):
    # submodules that pull in more code load on first use
    import importlib
    if name in ("nn", "utils", "export", "fx", "autograd", "compat", "control_flow", "library"):
        return importlib.import_module(f"{__name__}.{name}")
    if name == "cond":
        return importlib.import_module(f"{__name__}.control_flow").cond
    if name == "while_loop":
        return importlib.import_module(f"{__name__}._loops").while_loop
    raise AttributeError(f"module 'minexport' has no attribute '{name}'")
