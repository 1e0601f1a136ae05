"""Generated NumPy code (aot_compile) against hand-written NumPy and against the interpreter, in one run.

    python -m bench.codegen_speed [--repeat 20]

BLAS and OpenMP are pinned to one thread (set here before NumPy loads).
Rows: the 8-layer MLP (Linear+ReLU, width 64) at batch 256, generated code
against `bench._models.numpy_mlp` (one BLAS call, an in-place bias add and
ReLU per layer) -- goal at most 1.05x; the same MLP at batch 1, generated code
against `ep.module()` -- goal at least 2x faster; and, for scale, the
GPT-style model (`bench._models.gpt`) at batch 1x8 against `ep.module()`.
Each pair is timed in alternating rounds (so load from other processes hits
both alike) and the best round of each counts; ratios come from this one run.
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

import minexport as me  # noqa: E402
import minexport.nn as mnn  # noqa: E402
from minexport._export import aot_compile, aot_load  # noqa: E402
from minexport.export import export  # noqa: E402

import timeit  # noqa: E402
from ._models import gpt, numpy_mlp  # noqa: E402
from .export_speed import mlp  # noqa: E402


def best_pair(f, g, rounds, number):
    """Best seconds per call of f and of g, over `rounds` alternating rounds of `number` calls each."""
    f(), g()
    bf = bg = float("inf")
    for _ in range(rounds):
        bf = min(bf, timeit.timeit(f, number=number) / number)
        bg = min(bg, timeit.timeit(g, number=number) / number)
    return bf, bg


def _generated(model, args, tag):
    path = aot_compile(model, args, options={"output_path": os.path.join(tempfile.mkdtemp(), f"{tag}.py")})
    return aot_load(path).module.forward


def mlp_rows(repeat):
    """(batch 256: generated vs hand-written NumPy, batch 1: interpreter vs generated) ratios, printed."""
    model = mlp(mnn, 8).eval()
    x256 = me.randn(256, 64)
    fwd = _generated(model, (x256,), "mlp_b256")
    hand = numpy_mlp(model)
    a256 = x256.numpy()
    np.testing.assert_allclose(fwd(a256)[0], hand(a256), rtol=1e-5, atol=1e-5)
    t_gen, t_np = best_pair(lambda: fwd(a256), lambda: hand(a256), repeat, 20)
    r_np = t_gen / t_np
    print(f"8-layer MLP, batch 256: generated {t_gen * 1e6:.1f} us vs hand-written NumPy {t_np * 1e6:.1f} us "
          f"-> {r_np:.3f}x (goal: at most 1.05x)")

    x1 = me.randn(1, 64)
    fwd1 = _generated(model, (x1,), "mlp_b1")
    run = export(model, (x1,)).module()
    a1 = x1.numpy()
    np.testing.assert_allclose(fwd1(a1)[0], run(x1).numpy(), rtol=1e-5, atol=1e-6)
    t_gen1, t_int1 = best_pair(lambda: fwd1(a1), lambda: run(x1), repeat, 200)
    r_int = t_int1 / t_gen1
    print(f"8-layer MLP, batch 1: interpreter {t_int1 * 1e6:.1f} us vs generated {t_gen1 * 1e6:.1f} us "
          f"-> generated {r_int:.2f}x faster (goal: at least 2x)")
    return r_np, r_int


def gpt_row(repeat):
    model = gpt(me)
    idx = me.randint(0, 512, (1, 8))
    fwd = _generated(model, (idx,), "gpt")
    run = export(model, (idx,)).module()
    a = idx.numpy()
    np.testing.assert_allclose(fwd(a)[0], run(idx).numpy(), rtol=1e-4, atol=1e-4)
    t_gen, t_int = best_pair(lambda: fwd(a), lambda: run(idx), max(3, repeat // 4), 1)
    print(f"GPT-style model (8 blocks, d=256), batch 1x8: interpreter {t_int * 1e3:.2f} ms vs generated "
          f"{t_gen * 1e3:.2f} ms -> {t_int / t_gen:.2f}x")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    mlp_rows(args.repeat)
    gpt_row(args.repeat)


if __name__ == "__main__":
    main()
