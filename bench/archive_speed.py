"""save/load time and archive size against torch.export.save/load, in one run.

    python -m bench.archive_speed [--repeat 5] [--large-mib 512] [--large-repeat 5]

Programs: the 64-layer MLP (width 64) and 12 attention blocks (d_model 64),
the same architectures exported by both.  Goals: load at least 5x faster than
torch.export.load, archive size within 1% of torch's, save at least as fast.

Large archive: a stack of Linear layers holding about --large-mib MiB of
float32 weights (0 skips it), saved by torch.export.save into a temporary
folder; plain (non-mmap) `minexport.export.load` against `torch.export.load`
on that one file, alternating the two, best of --large-repeat each.  Goal:
at least as fast as torch.  The weights are checked equal once.
"""
import argparse
import gc
import io
import os
import tempfile
import time

import numpy as np

import minexport as me
import minexport.nn as mnn
from minexport.export import export, load, save

from . import export_speed  # the same model definitions
from ._common import median_time, optional_torch

_LARGE_WIDTH = 2048        # each Linear holds 2048 * 2048 float32 = 16 MiB


def _large_torch_model(torch, mib):
    """A Sequential of bias-free Linear layers with about `mib` MiB of float32 weights.

    The weights are a cheap deterministic pattern made with NumPy and handed
    to torch without a copy (torch.from_numpy), so building the model costs
    one pass over the memory instead of torch's random initialisation.
    """
    n = max(1, round(mib / (_LARGE_WIDTH * _LARGE_WIDTH * 4 / 2 ** 20)))
    pattern = ((np.arange(_LARGE_WIDTH * _LARGE_WIDTH, dtype=np.int64) % 251) - 125).astype(np.float32) * 1e-3
    layers = []
    for i in range(n):
        layer = torch.nn.utils.skip_init(torch.nn.Linear, _LARGE_WIDTH, _LARGE_WIDTH, bias=False)
        weight = (pattern + np.float32(i)).reshape(_LARGE_WIDTH, _LARGE_WIDTH)
        layer.weight = torch.nn.Parameter(torch.from_numpy(weight))
        layers.append(layer)
    return torch.nn.Sequential(*layers).eval()


def _check_same_weights(ours, theirs):
    """The weights minexport loaded equal the ones torch loaded (bit for bit)."""
    ours, theirs = ours.state_dict, theirs.state_dict
    assert sorted(ours) == sorted(theirs), (sorted(ours), sorted(theirs))
    for k, v in ours.items():
        assert np.array_equal(v.numpy(), theirs[k].detach().numpy()), k


def _timed(fn):
    """Seconds one call of fn takes; its result is dropped before returning."""
    gc.collect()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def large_archive(torch, mib, repeat):
    """Plain-load time of a ~`mib` MiB torch-written archive: minexport vs torch, best of `repeat`."""
    with tempfile.TemporaryDirectory(prefix="minexport-bench-") as folder:
        path = os.path.join(folder, "large.pt2")
        model = _large_torch_model(torch, mib)
        tep = torch.export.export(model, (torch.zeros(1, _LARGE_WIDTH),))
        torch.export.save(tep, path)
        del model, tep
        size = os.path.getsize(path)
        _check_same_weights(load(path), torch.export.load(path))
        ours, theirs = [], []
        for _ in range(repeat):
            theirs.append(_timed(lambda: torch.export.load(path)))
            ours.append(_timed(lambda: load(path)))
    ours, theirs = min(ours), min(theirs)
    print(f"\nlarge torch-written archive ({size / 2 ** 20:.0f} MiB), plain load, best of {repeat}:")
    print(f"  minexport {ours * 1e3:8.1f} ms  ({size / 2 ** 30 / ours:5.2f} GiB/s)")
    print(f"  torch     {theirs * 1e3:8.1f} ms  ({size / 2 ** 30 / theirs:5.2f} GiB/s)")
    print(f"  speedup   {theirs / ours:8.2f}x  (goal >= 1)")


def small_programs(torch, repeat):
    """save/load time and size of the two small programs, minexport against torch."""
    print(f"{'program':<8}{'save ms':>9}{'torch':>8}{'load ms':>9}{'torch':>8}{'load speedup':>14}"
          f"{'size KB':>9}{'torch':>8}{'size ratio':>12}")
    for name, make, shape in export_speed.MODELS[1:]:
        ep = export(make(mnn).eval(), (me.randn(*shape),))
        buf = io.BytesIO()
        save(ep, buf)
        data = buf.getvalue()
        t_save = median_time(lambda: save(ep, io.BytesIO()), repeat)
        t_load = median_time(lambda: load(io.BytesIO(data)), repeat)
        t_tsave = t_tload = size_t = float("nan")
        if torch is not None:
            tep = torch.export.export(make(torch.nn).eval(), (torch.randn(*shape),))
            tbuf = io.BytesIO()
            torch.export.save(tep, tbuf)
            tdata = tbuf.getvalue()
            size_t = len(tdata)
            t_tsave = median_time(lambda: torch.export.save(tep, io.BytesIO()), repeat)
            t_tload = median_time(lambda: torch.export.load(io.BytesIO(tdata)), repeat)
        print(f"{name:<8}{t_save * 1e3:>9.1f}{t_tsave * 1e3:>8.1f}{t_load * 1e3:>9.1f}{t_tload * 1e3:>8.1f}"
              f"{t_tload / t_load:>13.1f}x{len(data) / 1024:>9.1f}{size_t / 1024:>8.1f}{len(data) / size_t:>12.3f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--large-mib", type=float, default=512, help="large-archive size in MiB (0 skips it)")
    parser.add_argument("--large-repeat", type=int, default=5)
    parser.add_argument("--large-only", action="store_true", help="skip the small programs")
    args = parser.parse_args()
    torch = optional_torch()
    if not args.large_only:
        small_programs(torch, args.repeat)
    if torch is not None and args.large_mib > 0:
        large_archive(torch, args.large_mib, args.large_repeat)


if __name__ == "__main__":
    main()
