"""A test double for CuPy that runs on the CPU (over NumPy).

`fake_cupy.cupy` stands in for the `cupy` module and `fake_cupy.cupyx.scipy.special`
for `cupyx.scipy.special`.  Install them with
`minexport.runtime.backends.use_cupy_module(cupy, special)`.  The double is strict where
real CuPy is strict, so that kernels which would fail on a GPU fail here too:

* the namespace holds only names CuPy's namespace provides (no `errstate`,
  `frompyfunc`, `ndindex`, ...); ufunc methods exist only where CuPy has them
  (`at` for add/maximum/minimum, `reduce`/`accumulate` for add/multiply);
* `ndarray` wraps a NumPy array but refuses implicit conversion to NumPy
  (`__array__` raises TypeError, as CuPy's does), takes part in no NumPy function or
  ufunc (`np.sum(x)` / `np.exp(x)` raise), and refuses NumPy arrays as operands;
* reductions and full indexing give 0-d arrays rather than scalars, as on CuPy;
* data crosses to the host only through `.get()`, `cupy.asnumpy`, `.item()`,
  `.tolist()`, `float(x)` / `int(x)` / `bool(x)` (the synchronizing calls CuPy has).
"""
