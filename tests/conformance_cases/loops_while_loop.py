"""while_loop with a tensor counter, a closed-over parameter and a dynamic size (higher_order.while_loop)."""
import torch
from torch._higher_order_ops import while_loop


class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.full((4,), 0.5))

    def forward(self, n, x):
        def cond_fn(i, acc):
            return i < n

        def body_fn(i, acc):
            return i + 1, torch.tanh(acc * self.scale) + x

        return while_loop(cond_fn, body_fn, (torch.zeros((), dtype=torch.int64), torch.zeros_like(x)))


model = M()
example_args = (torch.tensor(5), torch.randn(3, 4))
dynamic_shapes = ({}, {0: torch.export.Dim("b")})
extra_inputs = [(torch.tensor(0), torch.randn(2, 4)), (torch.tensor(9), torch.randn(6, 4))]
