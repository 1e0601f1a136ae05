"""Cliffs: common ops one at a time, minexport eager against torch eager, single-threaded, in one run.

    python -m bench.op_speed [--size 1048576] [--quick] [NAME ...]

Each case runs one op on about `--size` float32 elements (a [size/1024, 1024]
matrix, or a [n, 64, 32, 32] image batch for the convolution and pooling
cases) through the same torch-style call in both libraries, so the time
includes each library's dispatch (negligible at this size).  Every time is the
median of warm calls in ms; the ratio is minexport / torch, so above 1.0 means
minexport is slower.  The last table lists the cases slower than torch by more
than `CLIFF` (the issue "never slower than torch where NumPy allows": each is
either NumPy's floor, said in NOTES, or work to do).  Names on the command line
pick cases.
"""
import os

# BLAS reads its thread count once, when NumPy loads: pin it before anything imports NumPy.
os.environ.update(dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1"))

import argparse
import statistics
import time

import numpy as np

import minexport

from ._common import optional_torch

CLIFF = 1.5

# Why a case stays above CLIFF: the NumPy operation that bounds it on a machine like the one measured (AVX2).
NOTES = {
    "gelu": "np.exp (float32) is ~1.4 ns per element here; torch's fused GELU is ~1 ns in all",
    "silu": "np.exp per element plus three passes (see gelu)",
    "sigmoid": "np.exp per element plus three passes (see gelu)",
    "softplus": "np.exp and a float64 log1p per element",
    "mish": "np.exp, np.log1p and np.tanh per element",
    "elu": "np.expm1 per kept element",
    "exp": "np.exp (float32) is the floor",
    "log": "np.log (float32) is the floor",
    "hardswish": "four NumPy passes where torch makes one",
    "hardsigmoid": "three NumPy passes where torch makes one",
    "remainder float": "exact float64 passes per chunk (NumPy's own fmod is 15-20 ns per element)",
    "floor div float": "exact float64 passes per chunk (see remainder float)",
    "cumsum": "np.cumsum along rows; a column-wise running sum measured slower",
    "to float16": "NumPy's float32 -> float16 cast (no F16C path); an integer-arithmetic cast was no faster",
    "depthwise conv 3x3": "im2col and one small product per channel; shifted multiply-adds measured slower",
    "batch_norm eval": "two broadcast passes (NumPy has no fused multiply-add)",
    "softmax": "np.exp per element",
    "log_softmax": "np.exp and np.log per row",
    "sort": "np.sort",
}


def _cases(T):
    """(name, f(x, y, i, m, g)) with x, y [r, 1024] float32 (y > 0), i int64, m bool, g [n, 64, 32, 32]."""
    F = T.nn.functional
    return [
        # activations and clamps
        ("relu", lambda x, y, i, m, g: T.relu(x)),
        ("relu_", lambda x, y, i, m, g: F.relu(x.clone(), inplace=True)),
        ("relu6", lambda x, y, i, m, g: F.relu6(x)),
        ("hardtanh", lambda x, y, i, m, g: F.hardtanh(x)),
        ("clamp_min", lambda x, y, i, m, g: T.clamp(x, min=0.0)),
        ("clamp", lambda x, y, i, m, g: T.clamp(x, -0.5, 0.5)),
        ("leaky_relu", lambda x, y, i, m, g: F.leaky_relu(x, 0.1)),
        ("elu", lambda x, y, i, m, g: F.elu(x)),
        ("silu", lambda x, y, i, m, g: F.silu(x)),
        ("sigmoid", lambda x, y, i, m, g: T.sigmoid(x)),
        ("tanh", lambda x, y, i, m, g: T.tanh(x)),
        ("gelu", lambda x, y, i, m, g: F.gelu(x)),
        ("gelu_tanh", lambda x, y, i, m, g: F.gelu(x, approximate="tanh")),
        ("softplus", lambda x, y, i, m, g: F.softplus(x)),
        ("hardswish", lambda x, y, i, m, g: F.hardswish(x)),
        ("hardsigmoid", lambda x, y, i, m, g: F.hardsigmoid(x)),
        ("mish", lambda x, y, i, m, g: F.mish(x)),
        # arithmetic
        ("exp", lambda x, y, i, m, g: T.exp(x)),
        ("log", lambda x, y, i, m, g: T.log(y)),
        ("sqrt", lambda x, y, i, m, g: T.sqrt(y)),
        ("rsqrt", lambda x, y, i, m, g: T.rsqrt(y)),
        ("pow 2", lambda x, y, i, m, g: x ** 2),
        ("pow 3", lambda x, y, i, m, g: x ** 3),
        ("pow 0.5", lambda x, y, i, m, g: y ** 0.5),
        ("pow tensor", lambda x, y, i, m, g: T.pow(y, x)),
        ("abs", lambda x, y, i, m, g: T.abs(x)),
        ("add", lambda x, y, i, m, g: x + y),
        ("mul scalar", lambda x, y, i, m, g: x * 0.5),
        ("div", lambda x, y, i, m, g: x / y),
        ("maximum", lambda x, y, i, m, g: T.maximum(x, y)),
        ("where", lambda x, y, i, m, g: T.where(m, x, y)),
        ("masked_fill", lambda x, y, i, m, g: x.masked_fill(m, -1e9)),
        ("gt", lambda x, y, i, m, g: x > 0),
        ("remainder float", lambda x, y, i, m, g: T.remainder(x, 0.7)),
        ("remainder int", lambda x, y, i, m, g: T.remainder(i, 7)),
        ("floor div float", lambda x, y, i, m, g: T.div(x, 0.7, rounding_mode="floor")),
        ("floor div int", lambda x, y, i, m, g: T.div(i, 7, rounding_mode="floor")),
        ("trunc div int", lambda x, y, i, m, g: T.div(i, 7, rounding_mode="trunc")),
        # reductions, scans, sorting
        ("sum last", lambda x, y, i, m, g: x.sum(-1)),
        ("sum first", lambda x, y, i, m, g: x.sum(0)),
        ("mean last", lambda x, y, i, m, g: x.mean(-1)),
        ("var last", lambda x, y, i, m, g: x.var(-1)),
        ("amax last", lambda x, y, i, m, g: x.amax(-1)),
        ("argmax last", lambda x, y, i, m, g: x.argmax(-1)),
        ("softmax", lambda x, y, i, m, g: T.softmax(x, -1)),
        ("log_softmax", lambda x, y, i, m, g: T.log_softmax(x, -1)),
        ("cumsum", lambda x, y, i, m, g: T.cumsum(x, -1)),
        ("layer_norm", lambda x, y, i, m, g: F.layer_norm(x, (x.shape[-1],))),
        ("sort", lambda x, y, i, m, g: T.sort(x, -1)[0]),
        ("topk 5", lambda x, y, i, m, g: T.topk(x, 5, -1)[0]),
        # copies and conversions
        ("transpose copy", lambda x, y, i, m, g: x.t().contiguous()),
        ("cat", lambda x, y, i, m, g: T.cat([x, y], 0)),
        ("index_select", lambda x, y, i, m, g: T.index_select(x, 0, T.arange(x.shape[0] - 1, -1, -1))),
        ("to float16", lambda x, y, i, m, g: x.to(T.float16)),
        ("to int32", lambda x, y, i, m, g: x.to(T.int32)),
        ("pad", lambda x, y, i, m, g: F.pad(g, (1, 1, 1, 1))),
        # convolution, pooling, norms on images
        ("conv 3x3", lambda x, y, i, m, g: F.conv2d(g, T.ones(64, 64, 3, 3), padding=1)),
        ("conv 1x1", lambda x, y, i, m, g: F.conv2d(g, T.ones(64, 64, 1, 1))),
        ("depthwise conv 3x3", lambda x, y, i, m, g: F.conv2d(g, T.ones(64, 1, 3, 3), padding=1, groups=64)),
        ("max_pool2d 2", lambda x, y, i, m, g: F.max_pool2d(g, 2)),
        ("max_pool2d 3/2", lambda x, y, i, m, g: F.max_pool2d(g, 3, 2, 1)),
        ("avg_pool2d 2", lambda x, y, i, m, g: F.avg_pool2d(g, 2)),
        ("adaptive_avg_pool2d 1", lambda x, y, i, m, g: F.adaptive_avg_pool2d(g, 1)),
        ("batch_norm eval", lambda x, y, i, m, g: F.batch_norm(g, T.zeros(64), T.ones(64), T.ones(64), T.zeros(64))),
        ("group_norm", lambda x, y, i, m, g: F.group_norm(g, 8)),
        ("interpolate nearest", lambda x, y, i, m, g: F.interpolate(g, scale_factor=2, mode="nearest")),
        ("interpolate bilinear", lambda x, y, i, m, g: F.interpolate(g, scale_factor=2, mode="bilinear")),
    ]


def _inputs(size):
    """The NumPy arrays every case reads, from one seed."""
    rng = np.random.default_rng(0)
    rows = max(1, size // 1024)
    x = rng.standard_normal((rows, 1024)).astype(np.float32)
    y = np.abs(rng.standard_normal((rows, 1024))).astype(np.float32) + 0.1
    i = rng.integers(-1000, 1000, (rows, 1024))
    m = rng.random((rows, 1024)) > 0.5
    g = rng.standard_normal((max(1, size // 65536), 64, 32, 32)).astype(np.float32)
    return x, y, i, m, g


def _median_ms(fn, budget):
    """Median ms of warm calls of fn: at least 5, more while `budget` seconds last (at most 100)."""
    fn()
    times, end = [], time.perf_counter() + budget
    while len(times) < 5 or (time.perf_counter() < end and len(times) < 100):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", help="cases to run (default: all)")
    parser.add_argument("--size", type=int, default=1 << 20, help="elements per input (default 1M)")
    parser.add_argument("--quick", action="store_true", help="a shorter timing budget per case")
    args = parser.parse_args()
    torch = optional_torch()
    if torch is None:
        return
    budget = 0.1 if args.quick else 0.4
    arrays = _inputs(args.size)
    ours = tuple(minexport.from_numpy(a) for a in arrays)
    theirs = tuple(torch.from_numpy(a) for a in arrays)
    print(f"single-threaded; {args.size} float32 elements per input; median ms of warm calls; "
          f"ratio minexport / torch (above 1.0: minexport slower)")
    print(f"{'op':<24}{'minexport ms':>14}{'torch ms':>10}{'ratio':>8}")
    slow = []
    with torch.no_grad():
        for (name, mine), (_, reference) in zip(_cases(minexport), _cases(torch)):
            if args.names and name not in args.names:
                continue
            t_me = _median_ms(lambda: mine(*ours), budget)
            t_torch = _median_ms(lambda: reference(*theirs), budget)
            print(f"{name:<24}{t_me:>14.3f}{t_torch:>10.3f}{t_me / t_torch:>7.2f}x", flush=True)
            if t_me > CLIFF * t_torch:
                slow.append((t_me / t_torch, name))
    print(f"\nslower than torch by more than {CLIFF}x: {len(slow)}")
    for ratio, name in sorted(slow, reverse=True):
        print(f"  {name:<24}{ratio:>6.2f}x  {NOTES.get(name, '')}")


if __name__ == "__main__":
    main()
