"""`cupy.lib` of the double."""
from . import stride_tricks  # noqa: F401
