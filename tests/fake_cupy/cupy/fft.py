"""`cupy.fft` of the double."""
import numpy as np

from ._core import device_function

for _n in ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
           "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift", "ifftshift"):
    globals()[_n] = device_function(getattr(np.fft, _n), _n)
del _n
