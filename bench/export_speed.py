"""Export time against torch.export, and interpreter time against hand-written NumPy, in one run.

    python -m bench.export_speed [--repeat 5]

Models: an 8-layer and a 64-layer MLP (Linear+ReLU, width 64) and a stack of
12 attention blocks (TransformerEncoderLayer, d_model 64, 4 heads).  Times
are the median of warm runs.  Goals: export at least 20x faster than torch;
the 64-layer MLP with a dynamic batch at most 1.5x its static export (best CPU
time of interleaved rounds, so other load on the machine does not skew it) and at
least 20x faster than torch with the same spec; the interpreter within 1.3x
of NumPy on the MLP with batch 256.
"""
import argparse

import numpy as np

import minexport as me
import minexport.nn as mnn
from minexport.export import Dim, export

from ._common import best_cpu_time, median_time, optional_torch


def mlp(nn, depth, width=64):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers)


def attention_stack(nn, depth=12, width=64):
    return nn.Sequential(*[nn.TransformerEncoderLayer(width, 4, 2 * width, dropout=0.0, batch_first=True)
                           for _ in range(depth)])


MODELS = [("mlp8", lambda nn: mlp(nn, 8), (32, 64)), ("mlp64", lambda nn: mlp(nn, 64), (32, 64)),
          ("attn12", attention_stack, (2, 16, 64))]



def bench_export(repeat, torch):
    print(f"{'model':<8}{'minexport ms':>14}{'torch ms':>10}{'speedup':>9}")
    for name, make, shape in MODELS:
        model = make(mnn).eval()
        x = me.randn(*shape)
        t_me = median_time(lambda: export(model, (x,)), repeat)
        t_torch = float("nan")
        if torch is not None:
            tmodel = make(torch.nn).eval()
            tx = torch.randn(*shape)
            t_torch = median_time(lambda: torch.export.export(tmodel, (tx,)), max(1, repeat // 2))
        print(f"{name:<8}{t_me * 1e3:>14.2f}{t_torch * 1e3:>10.1f}{t_torch / t_me:>8.1f}x")

def bench_dynamic_export(repeat, torch):
    """The 64-layer MLP exported with a dynamic batch, against its static export and against torch."""
    model = mlp(mnn, 64).eval()
    x = me.randn(32, 64)
    spec = {"input": {0: Dim("batch", max=1024)}}
    # best CPU time of interleaved rounds: the ratio is what matters, and other load on the machine
    # would land on whichever run it interrupts
    t_static = t_dyn = float("inf")
    for _ in range(max(2, repeat)):
        t_static = min(t_static, best_cpu_time(lambda: export(model, (x,)), 3))
        t_dyn = min(t_dyn, best_cpu_time(lambda: export(model, (x,), dynamic_shapes=spec), 3))
    t_torch = float("nan")
    if torch is not None:
        tmodel = mlp(torch.nn, 64).eval()
        tspec = {"input": {0: torch.export.Dim("batch", max=1024)}}
        tx = torch.randn(32, 64)
        t_torch = best_cpu_time(lambda: torch.export.export(tmodel, (tx,), dynamic_shapes=tspec), max(1, repeat // 2))
    print(f"mlp64, dynamic batch: {t_dyn * 1e3:.2f} ms; static {t_static * 1e3:.2f} ms "
          f"-> {t_dyn / t_static:.2f}x (goal: at most 1.5x); torch {t_torch * 1e3:.1f} ms "
          f"-> {t_torch / t_dyn:.1f}x faster (goal: at least 20x)")


def bench_interpreter(repeat):
    model = mlp(mnn, 8).eval()
    x = me.randn(256, 64)
    run = export(model, (x,)).module()
    weights = [(m.weight.numpy(), m.bias.numpy()) for m in model if isinstance(m, mnn.Linear)]
    xa = x.numpy()

    def numpy_mlp():
        h = xa
        for w, b in weights:
            h = h @ w.T + b
            np.maximum(h, 0, out=h)
        return h

    np.testing.assert_allclose(run(x).numpy(), numpy_mlp(), rtol=1e-5, atol=1e-5)
    t_run = median_time(lambda: run(x), repeat * 20)
    t_np = median_time(numpy_mlp, repeat * 20)
    print(f"interpreter, 8-layer MLP batch 256: {t_run * 1e6:.0f} us vs NumPy {t_np * 1e6:.0f} us "
          f"-> {t_run / t_np:.2f}x (goal: within 1.3x)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    torch = optional_torch()
    bench_export(args.repeat, torch)
    bench_dynamic_export(args.repeat, torch)
    bench_interpreter(args.repeat)


if __name__ == "__main__":
    main()
