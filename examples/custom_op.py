"""Define your own operator, export a model that calls it, decompose, save, load and run.

Two custom ops, written as in torch (`torch.library.custom_op` is
`minexport.library.custom_op`):

- `demo::soft_threshold`: a pure op. Its fake implementation says the output
  is shaped like the input; export records it as one node, and
  run_decompositions() keeps that node (minexport cannot look inside it).
- `demo::running_sum`: an op that writes its `total` argument (mutates_args).
  export() keeps the call; run_decompositions() makes it functional with
  `auto_functionalized_v2` and a BUFFER_MUTATION output, as torch does.

`opcheck` checks each op's fake against its kernel, and an archive with the
ops loads wherever the same ops are registered.
"""
import io

import numpy as np

import minexport as torch
from minexport import Tensor
from minexport.library import custom_op, opcheck


@custom_op("demo::soft_threshold", mutates_args=())
def soft_threshold(x: Tensor, lam: float) -> Tensor:
    """sign(x) * max(|x| - lam, 0), computed eagerly by minexport's ops."""
    return torch.sign(x) * torch.clamp(x.abs() - lam, min=0.0)


@soft_threshold.register_fake
def _(x, lam):
    return torch.empty_like(x)


@custom_op("demo::running_sum", mutates_args=("total",))
def running_sum(x: Tensor, total: Tensor) -> Tensor:
    """Adds x into total (in place) and returns x's share of the new total."""
    total.add_(x)
    return x / (total + 1.0)


@running_sum.register_fake
def _(x, total):
    return torch.empty_like(x)


class Denoise(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 4)
        self.register_buffer("seen", torch.zeros(4))

    def forward(self, x):
        y = soft_threshold(self.linear(x), 0.1)
        return running_sum(y.sum(0), self.seen)


torch.manual_seed(0)
x = torch.randn(3, 4)
print("opcheck soft_threshold:", opcheck(soft_threshold, (x, 0.1), test_utils=("test_schema", "test_faketensor")))
print("opcheck running_sum:   ", opcheck(running_sum, (x[0], torch.zeros(4)), test_utils=("test_schema",
                                                                                          "test_faketensor")))

ep = torch.export.export(Denoise(), (x,))
print("export():", [str(n.target) for n in ep.graph.nodes if n.op == "call_function"])
core = ep.run_decompositions()
print(core.graph)
print(core.graph_signature)

buf = io.BytesIO()
torch.export.save(core, buf)
buf.seek(0)
loaded = torch.export.load(buf)
a, b = loaded.module(), core.module()
print("loaded program agrees:", bool(np.allclose(a(x).numpy(), b(x).numpy())),
      "| buffer 'seen' updated:", bool(np.allclose(a.seen.numpy(), b.seen.numpy()) and a.seen.abs().sum() > 0))
