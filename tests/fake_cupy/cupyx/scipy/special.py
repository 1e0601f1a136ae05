"""`cupyx.scipy.special` of the double: elementwise special functions on device arrays."""
import numpy as np

from minexport.runtime import special as _special
try:
    from ...cupy._core import ndarray, _unwrap, _wrap
except ImportError:         # imported as the top-level `cupyx` (tests/fake_cupy on sys.path)
    from cupy._core import ndarray, _unwrap, _wrap


def _elementwise(name, fn):
    def f(x, out=None):
        if not isinstance(x, ndarray):
            raise TypeError(f"Unsupported type {type(x)}")
        result = fn(_unwrap(x))
        if out is not None:
            out._a[...] = result
            return out
        return _wrap(np.asarray(result))
    f.__name__ = name
    f.__doc__ = f"Elementwise {name} (the double)."
    return f


erf = _elementwise("erf", _special.erf)
erfc = _elementwise("erfc", _special.erfc)
erfinv = _elementwise("erfinv", _special.erfinv)
