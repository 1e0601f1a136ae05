"""Array backends and device placement (NumPy on CPU, CuPy on CUDA)."""
from .backends import device, array_namespace, backend_for_device, to_device
