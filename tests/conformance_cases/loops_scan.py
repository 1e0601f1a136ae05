"""scan along dim 1, reversed, with a pytree carry and a lifted buffer (higher_order.scan)."""
import torch
from torch._higher_order_ops import scan


class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("decay", torch.tensor([0.9, 0.5, 0.1]))

    def forward(self, h0, xs):
        def step(carry, x):
            h = carry["h"] * self.decay + x
            return {"h": h, "n": carry["n"] + 1}, (h.sum(), h * 2)

        return scan(step, {"h": h0, "n": torch.zeros(())}, xs, dim=1, reverse=True)


model = M()
example_args = (torch.zeros(3), torch.randn(3, 5))
