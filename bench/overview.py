"""Issue 19's ratios side by side, in one run: minexport against torch (and NumPy), single-threaded.

    python -m bench.overview [--quick]

For each model (the 64-layer MLP of width 64 from bench.export_speed, and the
GPT-style model of bench._models.gpt) one table: export; run_decompositions(); one eager forward
(export's goal is at most 2x of it);
the interpreter `ep.module()` at three batch sizes (one program exported per
size; torch's run under no_grad, as minexport computes no gradients); save;
load plain and with mmap=True (torch has no mmap load: its column is its plain
load); and minexport loading the archive torch wrote.  Then `import minexport`
against `import torch` in fresh interpreters (best of N).

Every time is the median of warm runs, in ms.  The export row is timed as
bench.export_speed times it, in fresh processes of each library's own (see
there why); its best-CPU-time ratio is printed below the table too.  Every ratio is other / minexport,
so above 1.0 means minexport is faster.  BLAS is pinned to one thread before
NumPy loads, and torch to one thread.  Before each table, the outputs of the
two programs (and of the hand-written NumPy MLP, and of the reloaded archives)
are compared, so the race is between programs that compute the same thing.
`--quick` takes fewer samples (about a minute in all); the default a few minutes.
"""
import os

# BLAS reads its thread count once, when NumPy loads: pin it before anything imports NumPy.
os.environ.update(dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1"))

import argparse
import contextlib
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

import minexport
from minexport.export import export, load, save

from ._common import median_time_within, optional_torch, samples_in_child, summarize
from ._models import copy_weights, gpt, numpy_mlp
from .export_speed import SAMPLES as EXPORT_SAMPLES
from .export_speed import WARMUP, mlp

NAN = float("nan")


@dataclass
class Model:
    """One benchmark model: how to build it in either library, its inputs, the batch sizes to run."""
    name: str
    make: Callable            # make(minexport or torch) -> an eval-mode module
    inputs: Callable          # inputs(batch, rng) -> a NumPy array
    batches: tuple            # three batch sizes; the middle one is used for export, save and load
    batch_label: str          # "{}" is replaced by the batch size
    numpy_ref: Callable = None  # numpy_ref(minexport model) -> a NumPy forward, where one exists
    export_name: str = None     # its name in bench.export_speed, whose fresh processes time the export row


MODELS = [
    Model("mlp64 (64 x Linear+ReLU, width 64)", lambda ns: mlp(ns.nn, 64).eval(),
          lambda b, rng: rng.standard_normal((b, 64), dtype=np.float32), (1, 16, 256), "batch {}", numpy_mlp,
          "mlp64"),
    Model("gpt (8 blocks, d=256, causal SDPA)", gpt,
          lambda b, rng: rng.integers(0, 512, (b, 64)), (1, 16, 64), "batch {}x64", export_name="gpt"),
]


# ------------------------------------------------------------------ timing --
@dataclass
class Budget:
    """Seconds of samples per measurement, and the bounds on their count."""
    seconds: float
    lo: int
    hi: int

    def time(self, fn):
        """Median ms of fn's warm calls, or nan when there is nothing to time."""
        if fn is None:
            return NAN
        return median_time_within(fn, self.seconds, self.lo, self.hi) * 1e3


def _ms(v):
    """A time in ms, with the precision it deserves; '-' for nothing."""
    if v is None:
        return "-"
    if v != v:
        return "nan"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def _ratio(other, ours):
    """other / ours as '1.23x', or 'nan' when either is missing."""
    r = other / ours
    return "nan" if r != r else f"{r:.2f}x"


def print_table(rows, with_numpy):
    """rows: (label, minexport ms, torch ms, numpy ms or None)."""
    head = f"{'':<24}{'minexport ms':>13}{'torch ms':>11}{'torch/me':>10}"
    head += f"{'numpy ms':>11}{'numpy/me':>10}" if with_numpy else ""
    print(f"{head}\n{'-' * len(head)}")
    for label, t_me, t_torch, t_np in rows:
        line = f"{label:<24}{_ms(t_me):>13}{_ms(t_torch):>11}{_ratio(t_torch, t_me):>10}"
        if with_numpy:
            line += f"{_ms(t_np):>11}{_ratio(t_np, t_me):>10}" if t_np is not None else f"{'-':>11}{'-':>10}"
        print(line)


# --------------------------------------------------------------- one model --
class Pair:
    """A model built in minexport and (when installed) in torch with the same weights, exported per batch."""

    def __init__(self, model, torch, rng):
        self.model, self.torch = model, torch
        self.me = model.make(minexport)
        self.t = None
        if torch is not None:
            self.t = model.make(torch)
            copy_weights(self.me, self.t)
        self.x = {b: model.inputs(b, rng) for b in model.batches}
        self.ep = {b: export(self.me, (self.me_input(b),)) for b in model.batches}
        self.tep = {b: self.torch_export(b) for b in model.batches} if torch is not None else {}

    def me_input(self, b):
        """The batch-b input as a minexport tensor (sharing the NumPy array)."""
        return minexport.from_numpy(self.x[b])

    def torch_input(self, b):
        """The same input as a torch tensor (sharing the NumPy array)."""
        return self.torch.from_numpy(self.x[b])

    def torch_export(self, b):
        """torch.export.export of the torch model at batch b."""
        return self.torch.export.export(self.t, (self.torch_input(b),))

    def run_me(self, b, ep=None):
        """minexport's `ep.module()` forward at batch b (of ep, or of the batch's own program), as a thunk."""
        mod, x = (ep or self.ep[b]).module(), self.me_input(b)
        return lambda: mod(x)

    def run_torch(self, b, ep=None):
        """torch's `ep.module()` forward at batch b under no_grad, as a thunk; None without torch."""
        if self.torch is None:
            return None
        mod, x, no_grad = (ep or self.tep[b]).module(), self.torch_input(b), self.torch.no_grad

        def run():
            with no_grad():
                return mod(x)
        return run


    def run_torch_eager(self, b):
        """torch's eager forward of the model at batch b under no_grad, as a thunk; None without torch."""
        if self.torch is None:
            return None
        x, no_grad = self.torch_input(b), self.torch.no_grad

        def run():
            with no_grad():
                return self.t(x)
        return run


def _max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def check_outputs(pair, files):
    """Print, once, how far apart the outputs are: torch, NumPy, and the archives reloaded."""
    mid = pair.model.batches[1]
    ours = pair.run_me(mid)().numpy()
    parts = []
    if pair.torch is not None:
        parts.append(f"torch {_max_diff(ours, pair.run_torch(mid)().numpy()):.2e}")
    if pair.model.numpy_ref is not None:
        parts.append(f"numpy {_max_diff(ours, pair.model.numpy_ref(pair.me)(pair.x[mid])):.2e}")
    for label, path, mmap in (("reloaded", files["me"], False), ("reloaded mmap", files["me"], True),
                              ("torch's archive", files.get("torch"), False)):
        if path is not None:
            parts.append(f"{label} {_reloaded_diff(pair, load(path, mmap=mmap), ours)}")
    print(f"max |minexport - other| at {pair.model.batch_label.format(mid)}: " + ", ".join(parts))


def _reloaded_diff(pair, ep, ours):
    """The max difference of a reloaded program's output from ours, or the first line of why it failed."""
    try:
        return f"{_max_diff(ours, pair.run_me(pair.model.batches[1], ep)().numpy()):.2e}"
    except Exception as e:  # a failure to run is a finding to print, not a reason to stop the benchmark
        return f"FAILS ({type(e).__name__}: {str(e).splitlines()[0][:150]})"


def save_archives(pair, folder):
    """Write the middle batch's program with each library; returns the paths by writer, and scratch paths."""
    mid = pair.model.batches[1]
    files = {k: os.path.join(folder, f"{k}.pt2") for k in ("me", "me_scratch", "torch_scratch")}
    save(pair.ep[mid], files["me"])
    if pair.torch is not None:
        files["torch"] = os.path.join(folder, "torch.pt2")
        pair.torch.export.save(pair.tep[mid], files["torch"])
    return files


def model_rows(pair, files, budget, slow):
    """The table's rows: (label, minexport callable, torch callable or None, NumPy callable or None,
    the budget for torch's callable).

    `slow` is the budget for torch's export and decompositions, which take
    seconds each: a fixed few samples, not one per budgeted second.
    """
    m, t, mid = pair.model, pair.torch, pair.model.batches[1]
    tsave = (lambda: t.export.save(pair.tep[mid], files["torch_scratch"])) if t is not None else None
    tload = (lambda: t.export.load(files["torch"])) if t is not None else None
    rows = [
        ("export", lambda: export(pair.me, (pair.me_input(mid),)),
         (lambda: pair.torch_export(mid)) if t is not None else None, None, slow),
        ("run_decompositions", pair.ep[mid].run_decompositions,
         pair.tep[mid].run_decompositions if t is not None else None, None, slow),
    ]
    rows.append(("eager forward", lambda: pair.me(pair.me_input(mid)), pair.run_torch_eager(mid), None, budget))
    ref = m.numpy_ref(pair.me) if m.numpy_ref is not None else None
    for b in m.batches:
        rows.append((f"module() {m.batch_label.format(b)}", pair.run_me(b), pair.run_torch(b),
                     (lambda x=pair.x[b]: ref(x)) if ref is not None else None, budget))
    rows += [
        ("save", lambda: save(pair.ep[mid], files["me_scratch"]), tsave, None, budget),
        ("load plain", lambda: load(files["me"]), tload, None, budget),
        ("load mmap (torch: plain)", lambda: load(files["me"], mmap=True), tload, None, budget),
        ("load torch's archive", (lambda: load(files["torch"])) if t is not None else None, tload, None, budget),
    ]
    return rows


def export_in_children(model, torch, rounds):
    """The export row, timed as bench.export_speed times it: each library in fresh single-threaded processes of
    its own (so neither pays for the other's live objects in its garbage collections), alternating rounds,
    warmed up.  (median wall ms of minexport, of torch, and the ratio of their best CPU times)."""
    batch = model.batches[1]
    libraries = ("minexport", "torch") if torch is not None else ("minexport",)
    samples = {lib: [] for lib in libraries}
    for _ in range(rounds):
        for lib in libraries:
            samples[lib] += samples_in_child("bench.export_speed", lib, model.export_name, WARMUP,
                                             EXPORT_SAMPLES[lib], batch)
    me_wall, me_cpu = summarize(samples["minexport"])
    if torch is None:
        return me_wall * 1e3, NAN, NAN
    t_wall, t_cpu = summarize(samples["torch"])
    return me_wall * 1e3, t_wall * 1e3, t_cpu / me_cpu


def bench_model(model, torch, budget, slow):
    """Build, check and time one model; print its table."""
    pair = Pair(model, torch, np.random.default_rng(0))
    with tempfile.TemporaryDirectory(prefix="minexport-overview-") as folder:
        files = save_archives(pair, folder)
        print(f"\n== {model.name}")
        check_outputs(pair, files)
        # torch's plain load is the reference for three rows: time it once.
        timed = {}

        def time(fn, b):
            if fn not in timed:
                timed[fn] = b.time(fn)
            return timed[fn]
        rows, cpu_ratio = [], NAN
        for label, f_me, f_t, f_np, tb in model_rows(pair, files, budget, slow):
            if label == "export":
                t_me, t_t, cpu_ratio = export_in_children(model, torch, slow.lo)
                rows.append((label, t_me, t_t, None))
                continue
            rows.append((label, time(f_me, budget), time(f_t, tb), time(f_np, budget) if f_np is not None else None))
    print_table(rows, with_numpy=model.numpy_ref is not None)
    ms = {label: t_me for label, t_me, _, _ in rows}
    print(f"export / one eager forward (minexport, {model.batch_label.format(model.batches[1])}): "
          f"{ms['export'] / ms['eager forward']:.2f}x (goal: at most 2x); export, torch / minexport by best CPU "
          f"time: {cpu_ratio:.1f}x (goal: at least 60x)")


# ------------------------------------------------------------------ import --
IMPORT = "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"


def import_ms(mod, runs):
    """Best-of-`runs` wall time of `import mod` in a fresh interpreter (bytecode cache allowed), in ms."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(runs):
        with contextlib.suppress(subprocess.CalledProcessError):
            out = subprocess.run([sys.executable, "-c", IMPORT.format(mod=mod)], capture_output=True, text=True,
                                 check=True, env=env).stdout
            times.append(float(out) * 1e3)
    return min(times, default=NAN)


def bench_import(runs, torch):
    rows = [(f"import (best of {runs})", import_ms("minexport", runs),
             import_ms("torch", runs) if torch is not None else NAN, None)]
    print("\n== startup")
    print_table(rows, with_numpy=False)


# --------------------------------------------------------------------- main --
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer samples: about a minute in all")
    args = parser.parse_args()
    # torch 2.13's own export/load warns about its internal pytree API; it is noise in this report.
    warnings.filterwarnings("ignore", message=r".*LeafSpec", category=FutureWarning)
    torch = optional_torch()
    budget, slow, runs = (Budget(0.3, 2, 50), Budget(0.0, 1, 1), 2) if args.quick else \
        (Budget(2.0, 5, 200), Budget(0.0, 3, 3), 5)
    print(f"single-threaded (OMP/OPENBLAS/MKL_NUM_THREADS=1{', torch.set_num_threads(1)' if torch else ''}); "
          f"median of warm runs; ratios are other / minexport (above 1.0: minexport faster)")
    for model in MODELS:
        bench_model(model, torch, budget, slow)
    bench_import(runs, torch)


if __name__ == "__main__":
    main()
