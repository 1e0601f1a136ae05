"""Interpreter cost per node at batch 1, and `ep.module()` on the GPT-style model against torch, in one run.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python -m bench.interp_overhead [--repeat 7]

Per-node overhead = (module() time - the same computation written directly
in NumPy) / nodes, on two long chains of cheap ops: 500 `add`s on a
1-element tensor and a 64-layer MLP of width 8 (Linear+ReLU, 128 nodes).
It includes each kernel's own dispatch (dtype promotion, casts), not only
the interpreter's.  Then `ep.module()` on `bench._models.gpt` at batch 1x8
and 16x64 against torch's `ep.module()`, both single-threaded.  Goals:
at most 1 us per node; the GPT model at 16x64 at least as fast as torch.
Times are the best of `repeat` warm runs.
"""
import argparse

import numpy as np

import minexport as me
import minexport.nn as mnn
from minexport.export import export

from ._common import best_time, optional_torch
from ._models import copy_weights, gpt


class _AddChain(mnn.Module):
    def forward(self, x):
        for _ in range(500):
            x = x + 1.0
        return x


def add_chain():
    """(module, input, NumPy function, nodes) for 500 adds on a 1-element tensor."""
    x = me.ones(1)
    a, one = x.numpy().copy(), np.float32(1.0)

    def numpy_only():
        y = a
        for _ in range(500):
            y = y + one
        return y
    return export(_AddChain(), (x,)).module(), x, numpy_only, 500


def mlp_chain():
    """(module, input, NumPy function, nodes) for a 64-layer MLP of width 8 at batch 1."""
    model = mnn.Sequential(*[m for _ in range(64) for m in (mnn.Linear(8, 8), mnn.ReLU())]).eval()
    x = me.ones(1, 8)
    a = x.numpy().copy()
    weights = [(m.weight.numpy(), m.bias.numpy()) for m in model if isinstance(m, mnn.Linear)]

    def numpy_only():
        y = a
        for w, b in weights:
            y = np.maximum(y @ w.T + b, 0)
        return y
    return export(model, (x,)).module(), x, numpy_only, 128


def bench_chains(repeat):
    print(f"{'chain':<12}{'nodes':>6}{'module us/node':>16}{'numpy us/node':>15}{'overhead us/node':>18}")
    for name, make in (("add x500", add_chain), ("mlp 64x8", mlp_chain)):
        module, x, numpy_only, nodes = make()
        t_me, t_np = best_time(lambda: module(x), repeat, 20), best_time(numpy_only, repeat, 20)
        print(f"{name:<12}{nodes:>6}{t_me / nodes * 1e6:>16.2f}{t_np / nodes * 1e6:>15.2f}"
              f"{(t_me - t_np) / nodes * 1e6:>18.2f}")


def bench_gpt(repeat, torch):
    print(f"{'gpt batch':<12}{'minexport ms':>14}{'torch ms':>10}{'ratio':>8}")
    me.manual_seed(0)
    ours = gpt(me)
    theirs = gpt(torch) if torch else None
    if torch:
        copy_weights(ours, theirs)
    for b, t in ((1, 8), (16, 64)):
        idx = np.random.default_rng(0).integers(0, 512, (b, t))
        x = me.from_numpy(idx.copy())
        module = export(ours, (x,)).module()
        number = 5 if b == 1 else 1
        t_me = best_time(lambda: module(x), repeat, number)
        t_torch = float("nan")
        if torch:
            tx = torch.from_numpy(idx.copy())
            t_module = torch.export.export(theirs, (tx,)).module()
            with torch.no_grad():
                t_torch = best_time(lambda: t_module(tx), repeat, number)
        print(f"{f'{b}x{t}':<12}{t_me * 1e3:>14.2f}{t_torch * 1e3:>10.2f}{t_me / t_torch:>7.2f}x")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-gpt", action="store_true", help="only the per-node chains")
    args = parser.parse_args()
    bench_chains(args.repeat)
    if not args.no_gpt:
        bench_gpt(args.repeat, optional_torch())


if __name__ == "__main__":
    main()
