"""A 100-iteration while_loop run by the interpreter (`ep.module()`) against the same loop unrolled in NumPy.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python -m bench.loop_overhead [--repeat 31]

The loop is an RNN-style recurrence, `h <- tanh(h @ W + b)`, with a tensor
counter `i < 100` as the condition; W and b are parameters the body closes
over (lifted into additional_inputs).  Per iteration the program runs the
cond graph (1 op) and the body graph (4 ops: add, matmul, add, tanh).  The
NumPy side is the 100 steps written out with the same arithmetic.  Printed
per size: both times, the ratio, and the per-iteration overhead
(module time - NumPy time) / 100.  Goal: ratio <= 1.5x.  At small widths
the ratio is the fixed per-iteration cost (two subgraph runs) over a few
microseconds of arithmetic; at realistic widths the arithmetic dominates.

Timing: `--repeat` rounds after a warm-up, each calling the module and the
NumPy loops once back to back; the ratio and the overhead are the medians
of the per-round ratios and differences, so a burst of load on a shared
machine, which slows neighbouring calls alike, cancels out of them (the two
time columns are plain medians).  The last column, "0-d floor", is
the NumPy loop with the counter kept as a 0-dim array, as a tensor counter
is: NumPy arithmetic on a 0-dim array costs ~0.7 us against ~0.05 us on a
scalar, so it is what any interpreter of this graph pays before overhead.
"""
import argparse
import statistics
import time

import numpy as np

import minexport as me
import minexport.nn as mnn
from minexport._loops import while_loop
from minexport.export import export

ITERATIONS = 100


class _Recurrence(mnn.Module):
    def __init__(self, width):
        super().__init__()
        self.w = mnn.Parameter(me.randn(width, width) * (1.0 / width ** 0.5))
        self.b = mnn.Parameter(me.zeros(width))

    def forward(self, h):
        def cond_fn(i, h):
            return i < ITERATIONS

        def body_fn(i, h):
            return i + 1, me.tanh(h @ self.w + self.b)

        return while_loop(cond_fn, body_fn, (me.zeros((), dtype=me.int64), h))[1]


def case(batch, width):
    """(module, input, NumPy function, NumPy function with a 0-dim array counter) at batch x width."""
    model = _Recurrence(width)
    x = me.randn(batch, width)
    a, w, b = x.numpy().copy(), model.w.numpy().copy(), model.b.numpy().copy()

    def numpy_only():
        i, h = np.int64(0), a
        for _ in range(ITERATIONS):
            i, h = i + 1, np.tanh(h @ w + b)
        return h

    def numpy_array_counter():
        i, h = np.zeros((), np.int64), a
        while np.asarray(i < ITERATIONS):
            i, h = np.asarray(i + 1), np.tanh(h @ w + b)
        return h
    module = export(model, (x,)).module()
    np.testing.assert_allclose(module(x).numpy(), numpy_only(), rtol=1e-4, atol=1e-5)
    return module, x, numpy_only, numpy_array_counter


def paired_samples(fns, repeat):
    """Seconds of each of fns per round: `repeat` rounds, each calling every fn once back to back."""
    for fn in fns:
        fn()                                            # warm-up
    rounds = []
    for _ in range(repeat):
        times = []
        for fn in fns:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        rounds.append(times)
    return rounds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=31)
    args = parser.parse_args()
    print(f"{'batch x width':<15}{'module ms':>11}{'numpy ms':>10}{'ratio':>8}{'overhead us/iter':>18}"
          f"{'0-d floor':>11}")
    for batch, width in ((1, 16), (16, 128), (64, 256), (128, 512)):
        module, x, numpy_only, numpy_array_counter = case(batch, width)
        rounds = paired_samples((lambda: module(x), numpy_only, numpy_array_counter), args.repeat)
        t_me, t_np = (statistics.median(r[k] for r in rounds) for k in (0, 1))
        ratio = statistics.median(r[0] / r[1] for r in rounds)
        overhead = statistics.median(r[0] - r[1] for r in rounds) / ITERATIONS
        floor = statistics.median(r[2] / r[1] for r in rounds)
        print(f"{f'{batch}x{width}':<15}{t_me * 1e3:>11.3f}{t_np * 1e3:>10.3f}{ratio:>7.2f}x"
              f"{overhead * 1e6:>18.2f}{floor:>10.2f}x")


if __name__ == "__main__":
    main()
