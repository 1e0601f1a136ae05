"""`cupy.random` of the double: a seeded generator over NumPy's."""
import numpy as np

from ._core import _wrap


class Generator:
    """A device random generator (draws on the host, returns device arrays)."""

    def __init__(self, seed=None):
        self._g = np.random.default_rng(seed)

    def __getattr__(self, name):
        fn = getattr(self._g, name)
        return lambda *a, **k: _wrap(np.asarray(fn(*a, **k)))


def default_rng(seed=None):
    """A new generator."""
    return Generator(seed)
