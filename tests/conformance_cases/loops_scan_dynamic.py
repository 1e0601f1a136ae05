"""scan over a dynamic number of steps: an RNN cell with a Linear (lifted weights), init from the input."""
import torch
from torch._higher_order_ops.scan import scan


class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = torch.nn.Linear(6, 4)

    def forward(self, xs):
        def step(h, x):
            h = torch.tanh(self.cell(torch.cat([h, x], -1)))
            return h, h.clone()

        return scan(step, torch.zeros(xs.shape[1], 4), xs)


model = M()
example_args = (torch.randn(5, 3, 2),)
dynamic_shapes = ({0: torch.export.Dim("t")},)
extra_inputs = [(torch.randn(2, 3, 2),), (torch.randn(9, 3, 2),)]
