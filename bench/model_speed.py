"""`ep.module()` on real torchvision models, minexport against torch, single-threaded, in one run.

    python -m bench.model_speed [--dir DIR] [--repeat 7] [NAME ...]

Reads the archives torch wrote of torchvision models (tests/make_torchvision_archives.py writes them, CI
keeps them in <temp dir>/minexport-tv-archives; `MINEXPORT_TV_ARCHIVES` or --dir points elsewhere), loads
each with minexport and with torch, checks that both compute the same outputs, and times one forward of
each program's `module()` on the archive's own example input (batch 1, small images).  Times are medians of
warm calls in ms, the two alternating; the ratio is minexport / torch (above 1.0: minexport slower).
"""
import os

# BLAS reads its thread count once, when NumPy loads: pin it before anything imports NumPy.
os.environ.update(dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1"))

import argparse
import pathlib
import statistics
import tempfile
import time
import warnings

import numpy as np

import minexport

from ._common import optional_torch

# image classifiers and a segmentation head: the convolution, pooling and activation mix of real models
DEFAULT_MODELS = ["resnet", "resnext", "mobilenet_v2", "mobilenet_v3_small", "mnasnet0_5", "efficientnet_b0",
                  "regnet_y_400mf", "convnext", "densenet", "googlenet", "lraspp"]


def _alternating_medians(fns, repeat):
    """Median seconds of each function, calling them in turn `repeat` times after a warm-up call each."""
    for fn in fns:
        fn()
    samples = [[] for _ in fns]
    for _ in range(repeat):
        for fn, times in zip(fns, samples):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return [statistics.median(times) for times in samples]


def _inputs(folder, name):
    """The archive's example inputs (in_0, in_1, ...) as NumPy arrays."""
    with np.load(folder / f"{name}.npz") as data:
        names = [k for k in data.files if k.startswith("in_")]
        return [data[k] for k in sorted(names, key=lambda k: int(k[3:]))]


def _max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def bench_model(torch, folder, name, repeat):
    """One row: (name, input shape, minexport ms, torch ms, max |difference| of the first outputs)."""
    arrays = _inputs(folder, name)
    ours = minexport.export.load(folder / f"{name}.pt2").module()
    theirs = torch.export.load(str(folder / f"{name}.pt2")).module()
    mine = [minexport.from_numpy(a) for a in arrays]
    reference = [torch.from_numpy(a) for a in arrays]

    def first(out):
        return out[0] if isinstance(out, (tuple, list)) else next(iter(out.values())) if isinstance(out, dict) \
            else out

    with torch.no_grad():  # no autograd bookkeeping: torch at its fastest
        diff = _max_diff(first(ours(*mine)).numpy(), first(theirs(*reference)).numpy())
        t_me, t_torch = _alternating_medians([lambda: ours(*mine), lambda: theirs(*reference)], repeat)
    return name, arrays[0].shape, t_me * 1e3, t_torch * 1e3, diff


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", help=f"archives to run (default: {' '.join(DEFAULT_MODELS)})")
    parser.add_argument("--dir", default=os.environ.get("MINEXPORT_TV_ARCHIVES") or
                        os.path.join(tempfile.gettempdir(), "minexport-tv-archives"))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=r".*LeafSpec", category=FutureWarning)
    folder = pathlib.Path(args.dir)
    names = [n for n in (args.names or DEFAULT_MODELS) if (folder / f"{n}.pt2").exists()]
    torch = optional_torch()
    if torch is None or not names:
        print(f"needs torch and the archives in {folder} (tests/make_torchvision_archives.py writes them)")
        return
    print(f"single-threaded; ep.module() of torch-written torchvision archives in {folder}; median ms of warm "
          f"calls; ratio minexport / torch (above 1.0: minexport slower)")
    print(f"{'model':<22}{'input':<18}{'minexport ms':>14}{'torch ms':>10}{'ratio':>8}{'max diff':>10}")
    ratios = []
    for name in names:
        name, shape, t_me, t_torch, diff = bench_model(torch, folder, name, args.repeat)
        ratios.append(t_me / t_torch)
        print(f"{name:<22}{str(tuple(shape)):<18}{t_me:>14.2f}{t_torch:>10.2f}{t_me / t_torch:>7.2f}x{diff:>10.1e}",
              flush=True)
    print(f"\ngeometric mean ratio: {float(np.exp(np.mean(np.log(ratios)))):.2f}x over {len(ratios)} models")


if __name__ == "__main__":
    main()
