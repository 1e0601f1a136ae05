"""`cupy.lib` of the double."""
from . import stride_tricks
