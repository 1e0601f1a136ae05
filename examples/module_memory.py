"""`ep.module()` keeps its large intermediates' memory from one run to the next.

A fresh multi-megabyte NumPy array is fresh memory, and the operating system
zeroes every page of it on first touch.  The runner behind `ep.module()` owns a
pool of its kernels' large outputs (runtime/buffers.py): a run hands a pooled
array out again only when nothing else references it, so outputs you keep are
never overwritten, and a module run again and again stops faulting pages in.

    python examples/module_memory.py
"""
import resource

import numpy as np

import minexport as me
from minexport.export import export
from minexport.runtime import buffers


class MLP(me.nn.Module):
    def __init__(self):
        super().__init__()
        self.up, self.down = me.nn.Linear(256, 1024), me.nn.Linear(1024, 256)

    def forward(self, x):
        return self.down(me.nn.functional.gelu(self.up(x)))


def faults_per_run(module, x, runs=10):
    """Minor page faults per call of module(x), after a warm-up call."""
    module(x)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(runs):
        module(x)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / runs


me.manual_seed(0)
model = MLP().eval()
x = me.randn(2048, 256)
mod = export(model, (x,)).module()

first = mod(x)                      # kept by us: later runs must not write into it
kept = first.numpy().copy()
for _ in range(3):
    mod(me.randn(2048, 256))
print("an output we kept is unchanged:", np.array_equal(first.numpy(), kept))

pool = mod._plan.interpreter._buffers
print(f"memory kept between runs: {pool.nbytes / 2**20:.0f} MiB (the 8 MiB hidden layer, the 2 MiB output)")
print(f"page faults per run with the pool: {faults_per_run(mod, x):.0f}")

buffers.MAX_BYTES = 0               # a pool may keep nothing: each run allocates afresh
plain = export(model, (x,)).module()
print(f"page faults per run without it:   {faults_per_run(plain, x):.0f}")
