"""The FFT ops torch.fft.rfft / irfft record in a core graph: _fft_r2c and _fft_c2r.

minexport has no complex dtype (spec/dtypes.md): a real-to-complex transform has no result
it could hold, and a complex-to-real one no input it could take.  Both ops are registered
with torch's schema, so programs that mention them load, print and serialize; their meta
functions and kernels check the arguments as torch does and then refuse, saying why.
"""
from ._common import check, torch_type_name, dtype_of
from ._registry import register

_NO_COMPLEX = ("{op}: minexport has no complex dtypes, so it cannot {what} (see spec/dtypes.md); "
               "export the model without torch.fft, or compute the transform outside the program")


def _r2c(self, dim, normalization, onesided):
    d = dtype_of(self)
    check(d.is_floating_point, lambda: f"Only supports floating-point dtypes, but found: {torch_type_name(d)}")
    check(normalization in (0, 1, 2), lambda: f"_fft_r2c: invalid normalization mode {normalization}")
    raise NotImplementedError(_NO_COMPLEX.format(op="_fft_r2c", what="hold the complex spectrum of a real tensor"))


def _c2r(self, dim, normalization, last_dim_size):
    d = dtype_of(self)
    # every minexport dtype is real: torch refuses those with this message
    check(False, lambda: f"Only supports complex dtypes, but found: {torch_type_name(d)}")


register("_fft_r2c(Tensor self, int[] dim, int normalization, bool onesided) -> Tensor",
         meta=_r2c, kernel=lambda xp, *args: _r2c(*args), tags=("core",))
register("_fft_c2r(Tensor self, int[] dim, int normalization, SymInt last_dim_size) -> Tensor",
         meta=_c2r, kernel=lambda xp, *args: _c2r(*args), tags=("core",))
