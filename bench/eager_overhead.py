"""Eager dispatch overhead per op on small tensors, against NumPy and torch, in one run.

    python -m bench.eager_overhead [--n 20000]

For each op: the time of the minexport call, of the same computation written
directly in NumPy, and of torch eager (when torch is installed).  The
overhead is minexport minus NumPy: what the registry, promotion and wrapping
cost.  Goal: under 5 us per op.
"""
import argparse
import statistics

import numpy as np

import minexport as me
import minexport.nn.functional as F

from ._common import best_time


def cases(torch):
    a = np.random.default_rng(0).standard_normal((8, 8)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((8, 8)).astype(np.float32)
    x, y = me.from_numpy(a.copy()), me.from_numpy(b.copy())
    tx, ty = (torch.from_numpy(a.copy()), torch.from_numpy(b.copy())) if torch else (None, None)
    tF = torch.nn.functional if torch else None
    w, bias = me.from_numpy(b.copy()), me.zeros(8)
    tw, tb = (torch.from_numpy(b.copy()), torch.zeros(8)) if torch else (None, None)
    return [
        ("add", lambda: x + y, lambda: a + b, lambda: tx + ty),
        ("mul scalar", lambda: x * 2.0, lambda: a * np.float32(2.0), lambda: tx * 2.0),
        ("relu", lambda: x.relu(), lambda: np.maximum(a, 0), lambda: tx.relu()),
        ("exp", lambda: x.exp(), lambda: np.exp(a), lambda: tx.exp()),
        ("sum", lambda: x.sum(), lambda: a.sum(), lambda: tx.sum()),
        ("sum dim", lambda: x.sum(1), lambda: a.sum(1), lambda: tx.sum(1)),
        ("matmul", lambda: x @ y, lambda: a @ b, lambda: tx @ ty),
        ("linear", lambda: F.linear(x, w, bias), lambda: a @ b.T + np.zeros(8, np.float32),
         lambda: tF.linear(tx, tw, tb)),
        ("view", lambda: x.view(64), lambda: a.reshape(64), lambda: tx.view(64)),
        ("transpose", lambda: x.t(), lambda: a.T, lambda: tx.t()),
        ("getitem", lambda: x[1], lambda: a[1], lambda: tx[1]),
        ("softmax", lambda: x.softmax(-1), lambda: _np_softmax(a), lambda: tx.softmax(-1)),
        ("add_", lambda: x.add_(y), lambda: np.add(a, b, out=a), lambda: tx.add_(ty)),
    ]


def _np_softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def best_us(fn, n):
    """Best microseconds per call over 5 rounds of n calls."""
    return best_time(fn, 5, n) * 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    print(f"{'op':<12}{'minexport us':>14}{'numpy us':>10}{'torch us':>10}{'overhead us':>13}{'vs torch':>10}")
    overheads = []
    for name, ours, np_fn, torch_fn in cases(torch):
        t_me, t_np = best_us(ours, args.n), best_us(np_fn, args.n)
        t_torch = best_us(torch_fn, args.n) if torch else float("nan")
        overheads.append(t_me - t_np)
        print(f"{name:<12}{t_me:>14.2f}{t_np:>10.2f}{t_torch:>10.2f}{t_me - t_np:>13.2f}{t_me / t_torch:>9.2f}x")
    print(f"median overhead {statistics.median(overheads):.2f} us, max {max(overheads):.2f} us "
          f"(goal: under 5 us per op)")


if __name__ == "__main__":
    main()
