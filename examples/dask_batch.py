"""Score a large batch with an exported program on Dask, chunk by chunk (needs `pip install 'minexport[dask]'`).

Shows `minexport.runtime.dask.apply` on an archive path: the result is a lazy
dask array whose chunks and dtype are known before anything runs (worked out
from the program's output metadata), the chunks are checked against the
program's dynamic batch range up front (a bad chunking is refused with the
rechunk that fixes it), and the computed result equals `ep.module()` run on
the same rows.  With `--distributed` it runs on a local two-process
`dask.distributed` cluster instead of the threaded scheduler; each worker
loads the archive once.
"""
import os
import sys
import tempfile

import dask.array as da
import numpy as np

import minexport as torch
from minexport.export import Dim, export, save
from minexport.runtime.dask import apply, cache_info


class Scorer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))

    def forward(self, x):
        return self.body(x).softmax(dim=-1)


def main(distributed=False):
    torch.manual_seed(0)
    ep = export(Scorer().eval(), (torch.randn(8, 16),), dynamic_shapes=({0: Dim("batch", min=2, max=256)},))
    rows = np.random.default_rng(0).standard_normal((1000, 16)).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "scorer.pt2")
        save(ep, path)

        try:
            apply(path, da.from_array(rows, chunks=(500, 16)))
        except ValueError as e:
            print("refused before running:", e)

        x = da.from_array(rows, chunks=(200, 16))
        probs = apply(path, x)
        print("lazy result:", probs)
        print("chunks:", probs.chunks, "dtype:", probs.dtype)

        if distributed:
            from distributed import Client, LocalCluster
            with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, \
                    Client(cluster) as client:
                got = probs.compute()
                print("loads per worker:", {w: i["loads"] for w, i in client.run(cache_info).items()})
        else:
            got = probs.compute(scheduler="threads")
            print("loads in this process:", cache_info()["loads"])

    want = np.concatenate([ep.module()(torch.tensor(rows[i:i + 200])).numpy() for i in range(0, 1000, 200)])
    print("same as ep.module():", bool(np.allclose(got, want, rtol=1e-6, atol=1e-7)))


if __name__ == "__main__":
    main(distributed="--distributed" in sys.argv)
