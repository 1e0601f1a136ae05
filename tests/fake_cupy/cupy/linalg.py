"""`cupy.linalg` of the double (CuPy has no general `eig`/`eigvals` on older releases: absent)."""
import numpy as np

from ._core import device_function

for _n in ("norm", "det", "slogdet", "inv", "pinv", "solve", "lstsq", "qr", "svd", "cholesky", "eigh",
           "eigvalsh", "matrix_power", "matrix_rank", "tensorinv", "tensorsolve", "multi_dot"):
    globals()[_n] = device_function(getattr(np.linalg, _n), _n)
LinAlgError = np.linalg.LinAlgError
del _n
