"""The global random generator behind rand/randn/randint/dropout and nn.init.

`manual_seed(n)` makes every later draw deterministic.  Values come from
NumPy's PCG64 and do not match torch's (the distributions do).
"""
import numpy as np

_state = {"rng": None}   # created on first draw: numpy.random is not imported with minexport


def manual_seed(seed):
    """Seed the global generator; returns it (torch returns a Generator)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}")
    _state["rng"] = np.random.default_rng(int(seed) & 0xFFFFFFFFFFFFFFFF)
    return _state["rng"]


def seed():
    """Reseed from OS entropy."""
    _state["rng"] = np.random.default_rng()


def generator():
    """The current global NumPy Generator (seeded from OS entropy unless manual_seed was called)."""
    if _state["rng"] is None:
        seed()
    return _state["rng"]


def uniform(shape, low=0.0, high=1.0):
    """float64 samples in [low, high)."""
    return generator().uniform(low, high, size=tuple(shape))


def normal(shape, mean=0.0, std=1.0):
    """float64 normal samples."""
    return generator().normal(mean, std, size=tuple(shape))


def integers(shape, low, high):
    """int64 samples in [low, high)."""
    return generator().integers(low, high, size=tuple(shape), dtype=np.int64)
