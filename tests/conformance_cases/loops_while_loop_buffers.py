"""while_loop without parameters: halve until small, with a buffer read in cond_fn (no autograd layout)."""
import torch
from torch._higher_order_ops.while_loop import while_loop


class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("limit", torch.tensor(1.0))

    def forward(self, x):
        def cond_fn(steps, y):
            return y.abs().max() > self.limit

        def body_fn(steps, y):
            return steps + 1, y / 2

        return while_loop(cond_fn, body_fn, (torch.tensor(0), x))


model = M()
example_args = (torch.tensor([3.0, -20.0, 5.0]),)
extra_inputs = [(torch.tensor([0.5, 0.1, 0.2]),), (torch.tensor([1000.0, 1.0, 2.0]),)]
