"""minexport on a GPU: the interpreter (and generated code) on CuPy against torch's CUDA eager, on the
GPT-style model of bench/_models.py.

    python -m bench.gpu_speed [--repeat 7] [--sizes 1x8,16x64,64x64]
    python -m bench.gpu_speed --double      # the same steps on the CPU CuPy double (tests/fake_cupy)

The model is exported once on the CPU and moved to the GPU with
`move_to_device_pass`; `ep.module()` then runs every kernel on CuPy arrays.
torch runs the same weights eagerly on CUDA (under `torch.device("cuda")`).
Where `minexport._export.aot_compile` exists (the code generator), its module
for `device="cuda"` is timed too.  Times are the best of `repeat` warm calls,
each ending with a device synchronize.  Without CuPy or a CUDA device the
script says why and exits 0; with `--double` the timings only show that the
steps run (the double computes with NumPy).
"""
import argparse
import contextlib
import os
import sys

import numpy as np

import minexport as me
from minexport.export import export
from minexport.export.passes import move_to_device_pass
from minexport.runtime import backends

from ._common import best_time
from ._models import copy_weights, gpt


def _gpu_cupy():
    """(cupy, None) when CuPy sees a CUDA device, else (None, the reason)."""
    try:
        import cupy
    except ImportError as e:
        return None, f"CuPy is not installed ({e})"
    try:
        if cupy.cuda.runtime.getDeviceCount() == 0:
            return None, "CuPy sees no CUDA device"
    except Exception as e:      # CuPy raises its own CUDARuntimeError without a driver
        return None, f"CuPy sees no CUDA device ({type(e).__name__}: {e})"
    return cupy, None


@contextlib.contextmanager
def _double_installed():
    """The CPU double of CuPy (tests/fake_cupy) as the importable `cupy` / `cupyx` (generated code
    imports it by name) and as minexport's `cuda` backend, for the block; everything is put back after."""
    fake_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "fake_cupy")
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.split(".")[0] in ("cupy", "cupyx")}
    sys.path.insert(0, fake_dir)
    try:
        import cupy
        from cupyx.scipy import special
        previous = backends.use_cupy_module(cupy, special)
        try:
            yield cupy
        finally:
            backends.use_cupy_module(*previous)
    finally:
        sys.path.remove(fake_dir)
        for k in [k for k in sys.modules if k.split(".")[0] in ("cupy", "cupyx")]:
            del sys.modules[k]
        sys.modules.update(saved)


def _cuda_torch():
    """torch with CUDA, or None (saying why)."""
    try:
        import torch
    except ImportError:
        print("torch is not installed: torch columns are nan")
        return None
    if not torch.cuda.is_available():
        print("torch sees no CUDA device: torch columns are nan")
        return None
    return torch


def _codegen():
    """minexport's code generator (aot_compile, aot_load) when this checkout has one, else None."""
    try:
        from minexport._export import aot_compile, aot_load
    except ImportError:
        return None
    return aot_compile, aot_load


def _timed(fn, sync, repeat, number):
    def call():
        fn()
        sync()
    return best_time(call, repeat, number)


def bench(cupy, torch, sizes, repeat):
    """Print one row per batch size: interpreter, generated code and torch CUDA eager, in ms."""
    sync = cupy.cuda.Device().synchronize
    me.manual_seed(0)
    ours = gpt(me)
    theirs = None
    if torch is not None:
        theirs = gpt(torch)
        copy_weights(ours, theirs)
        theirs = theirs.to("cuda")
    generate = _codegen()
    if generate is None:
        print("minexport._export.aot_compile is not in this checkout: the generated-code column is nan")
    print(f"{'gpt batch':<12}{'interp ms':>11}{'codegen ms':>12}{'torch ms':>10}{'interp/torch':>14}")
    for size in sizes:
        b, t = size
        idx = np.random.default_rng(0).integers(0, 512, (b, t))
        x = me.from_numpy(idx.copy())
        ep = move_to_device_pass(export(ours, (x,)), "cuda")
        module, xc = ep.module(), x.cuda()
        number = 5 if b * t <= 64 else 1
        t_interp = _timed(lambda: module(xc), sync, repeat, number)
        t_gen = float("nan")
        if generate is not None:
            aot_compile, aot_load = generate
            run = aot_load(aot_compile(ours, (x,), options={"device": "cuda"}), device="cuda")
            t_gen = _timed(lambda: run(xc), sync, repeat, number)
        t_torch = float("nan")
        if theirs is not None:
            tx = torch.from_numpy(idx.copy()).to("cuda")
            with torch.no_grad(), torch.device("cuda"):
                t_torch = _timed(lambda: theirs(tx), torch.cuda.synchronize, repeat, number)
        print(f"{f'{b}x{t}':<12}{t_interp * 1e3:>11.2f}{t_gen * 1e3:>12.2f}{t_torch * 1e3:>10.2f}"
              f"{t_interp / t_torch:>13.2f}x")


def _sizes(text):
    return [tuple(int(n) for n in s.split("x")) for s in text.split(",")]


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", type=_sizes, default=_sizes("1x8,16x64,64x64"))
    parser.add_argument("--double", action="store_true",
                        help="run on the CPU CuPy double (checks the script; timings are NumPy's)")
    args = parser.parse_args(argv)
    if args.double:
        with _double_installed() as cupy:
            bench(cupy, None, args.sizes, args.repeat)
        return 0
    cupy, why = _gpu_cupy()
    if cupy is None:
        print(f"skipped: no GPU for minexport ({why}); `--double` runs the steps on the CPU double")
        return 0
    bench(cupy, _cuda_torch(), args.sizes, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
