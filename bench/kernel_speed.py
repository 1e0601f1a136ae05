"""Kernels at the NumPy limit, against torch and scipy, in one run, single-threaded.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python -m bench.kernel_speed [--repeat 15]

Three tables:

* erf, erfc, erfinv on a million elements: minexport's own NumPy code (what
  runs with or without SciPy), scipy.special and torch, float32 and float64;
* the GPT-style model's hot kernels at batch 16x64 (linear, GELU, causal SDPA,
  layer norm), minexport's kernel against torch's functional, in ms per forward
  of the model, beside the NumPy call each kernel cannot avoid (np.exp for
  exact GELU and the softmax, the BLAS product for linear): where that floor
  alone exceeds torch's time, NumPy does not allow matching torch;
* `ep.module()` of `bench._models.gpt` at batch 16x64, minexport against
  torch's `ep.module()`: best of N, the two alternating.
"""
import argparse
import time

import numpy as np

import minexport as me
from minexport.ops.linalg import _linear_kernel
from minexport.ops.nn_ops import _ln_arrays, _sdpa_kernel
from minexport.ops.pointwise import _gelu
from minexport.runtime import special

from ._common import best_cpu_time, optional_torch
from ._models import copy_weights, gpt


def best_ms(fn, repeat):
    """Best CPU time of `repeat` calls, in ms, after one warm-up call (CPU time: a busy machine's other
    processes are not charged to the call they interrupted)."""
    return best_cpu_time(fn, repeat) * 1e3


def _optional_scipy():
    try:
        import scipy.special
    except ImportError:
        return None
    return scipy.special


def erf_table(torch, repeat):
    sp = _optional_scipy()
    rng = np.random.default_rng(0)
    print(f"{'function':<16}{'minexport ms':>14}{'scipy ms':>10}{'torch ms':>10}")
    for dtype in (np.float32, np.float64):
        x = (rng.standard_normal(1 << 20) * 2).astype(dtype)
        p = np.tanh(x)  # erfinv's domain
        for name, arg in (("erf", x), ("erfc", x), ("erfinv", p)):
            ours = best_ms(lambda: getattr(special, name)(arg), repeat)
            theirs = best_ms(lambda: getattr(sp, name)(arg), repeat) if sp else float("nan")
            t_arg = torch.from_numpy(arg) if torch else None
            tfn = getattr(torch.special, name, None) if torch else None
            tt = best_ms(lambda: tfn(t_arg), repeat) if tfn else float("nan")
            print(f"{name + ' ' + np.dtype(dtype).name:<16}{ours:>14.2f}{theirs:>10.2f}{tt:>10.2f}")


def kernel_table(torch, repeat):
    """The GPT-style model's ops at batch 16x64, ms per forward (one call's best time x calls per forward),
    beside the one NumPy call no NumPy kernel of that op avoids on the same elements: np.exp for exact GELU
    and for attention's softmax (over the scores causal attention sees), the BLAS product for linear."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 64, 256)).astype(np.float32)
    h = rng.standard_normal((16, 64, 1024)).astype(np.float32)
    w1, b1 = rng.standard_normal((1024, 256)).astype(np.float32), rng.standard_normal(1024).astype(np.float32)
    w2, b2 = rng.standard_normal((256, 1024)).astype(np.float32), rng.standard_normal(256).astype(np.float32)
    g, b = rng.standard_normal(256).astype(np.float32), rng.standard_normal(256).astype(np.float32)
    qkv = rng.standard_normal((16, 64, 768)).astype(np.float32)
    q, k, v = (a.reshape(16, 64, 8, 32).transpose(0, 2, 1, 3) for a in np.split(qkv, 3, axis=2))
    seen = np.zeros(16 * 8 * 64 * 65 // 2, np.float32)      # the causal scores: 64 * 65 / 2 per head
    layers = 8
    cases = [   # (name, calls per forward, ours, torch spec, floor)
        ("linear 256->1024", layers, lambda: _linear_kernel(np, x, w1, b1), ("linear", x, w1, b1),
         lambda: x.reshape(-1, 256) @ w1.T),
        ("linear 1024->256", layers, lambda: _linear_kernel(np, h, w2, b2), ("linear", h, w2, b2),
         lambda: h.reshape(-1, 1024) @ w2.T),
        ("gelu 1M", layers, lambda: _gelu(np, h), ("gelu", h), lambda: np.exp(h)),
        ("sdpa causal 16x8x64x32", layers, lambda: _sdpa_kernel(np, q, k, v, is_causal=True), ("sdpa", q, k, v),
         lambda: np.exp(seen)),
        ("layer_norm 1024x256", 2 * layers + 1, lambda: _ln_arrays(np, x, [256], g, b, 1e-5),
         ("layer_norm", x, g, b), None),
    ]
    print(f"\n{'GPT op, ms per forward':<26}{'calls':>6}{'minexport':>11}{'torch':>8}{'ratio':>8}{'NumPy floor':>13}")
    for name, calls, ours, spec, floor in cases:
        t_me = best_ms(ours, repeat) * calls
        t_torch = best_ms(_torch_kernel(torch, *spec), repeat) * calls if torch else float("nan")
        bound = f"{best_ms(floor, repeat) * calls:>13.2f}" if floor else f"{'-':>13}"
        print(f"{name:<26}{calls:>6}{t_me:>11.2f}{t_torch:>8.2f}{t_me / t_torch:>7.2f}x{bound}")


def _torch_kernel(torch, kind, *arrays):
    F = torch.nn.functional
    t = [torch.from_numpy(a) for a in arrays]
    return {
        "linear": lambda: F.linear(*t),
        "gelu": lambda: F.gelu(t[0]),
        "sdpa": lambda: F.scaled_dot_product_attention(*t, is_causal=True),
        "layer_norm": lambda: F.layer_norm(t[0], [256], t[1], t[2]),
    }[kind]


def _alternating_best_ms(fns, repeat):
    """Best time in ms of each function, calling them in turn `repeat` times (after a warm-up)."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.process_time()
            fn()
            best[i] = min(best[i], time.process_time() - t)
    return [b * 1e3 for b in best]


def gpt_table(torch, repeat):
    idx = np.random.default_rng(0).integers(0, 512, (16, 64))
    model_me = gpt(me)
    ours = me.export.export(model_me, (me.from_numpy(idx),)).module()
    fns = [lambda: ours(me.from_numpy(idx))]
    if torch:  # the same weights, so both compute the same thing
        model = gpt(torch)
        copy_weights(model_me, model)
        t_idx = torch.from_numpy(idx)
        theirs = torch.export.export(model, (t_idx,)).module()

        def run_torch():
            with torch.no_grad():  # no autograd bookkeeping: torch at its fastest
                return theirs(t_idx)
        fns.append(run_torch)
    times = _alternating_best_ms(fns, repeat) + [float("nan")]
    print(f"\ngpt ep.module() 16x64: minexport {times[0]:.1f} ms, torch {times[1]:.1f} ms, "
          f"ratio {times[0] / times[1]:.2f}x (goal: <= 1)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    torch = optional_torch()
    erf_table(torch, args.repeat)
    kernel_table(torch, args.repeat)
    gpt_table(torch, args.repeat)


if __name__ == "__main__":
    main()
