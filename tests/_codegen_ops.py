"""One-op programs from the op sample table, for checking each emit rule against ep.module()."""
import minexport as me
import minexport.nn as nn
from minexport.export import export
from minexport.utils import _pytree as pytree

from op_samples import SAMPLES


class _OneOp(nn.Module):
    """Calls `op` with the sample's arguments, its tensors taken as the program's inputs."""

    def __init__(self, op, args, kwargs):
        super().__init__()
        self.op = op
        self.leaves, self.spec = pytree.tree_flatten((args, kwargs))
        self.slots = [i for i, x in enumerate(self.leaves) if isinstance(x, me.Tensor)]

    def forward(self, *tensors):
        leaves = list(self.leaves)
        for i, t in zip(self.slots, tensors):
            leaves[i] = t
        args, kwargs = pytree.tree_unflatten(leaves, self.spec)
        return self.op(*args, **kwargs)


def op_programs(name, op):
    """[(sample repr, ep, input tensors)] for the op's samples that export (others are left out)."""
    out = []
    for sample in SAMPLES[name]():
        m = _OneOp(op, sample.args, sample.kwargs)
        tensors = tuple(m.leaves[i] for i in m.slots)
        try:
            ep = export(m, tensors)
        except Exception:
            continue
        out.append((repr(sample), ep, tensors))
    return out
