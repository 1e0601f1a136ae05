"""The archive: save/load of torch's PT2 format (see archive.py and spec/archive.md)."""
from .archive import load, save
from .errors import SerializationError
from .limits import DEFAULT_LIMITS, LoadLimits
