"""A custom op with a tensor list, an optional tensor and scalars in, a tuple out, on a dynamic batch:
one node, two getitems, symbolic sizes through the fake implementation."""
from typing import Optional

import torch
from torch.export import Dim


@torch.library.custom_op("conformance_tuple::mix", mutates_args=())
def mix(xs: list[torch.Tensor], bias: Optional[torch.Tensor], k: int, alpha: float = 0.5) -> tuple[torch.Tensor,
                                                                                                     torch.Tensor]:
    total = xs[0] * alpha
    for x in xs[1:]:
        total = total + x * alpha
    if bias is not None:
        total = total + bias
    return total * k, total.sum(1)


@mix.register_fake
def _(xs, bias, k, alpha=0.5):
    return torch.empty_like(xs[0]), xs[0].new_empty(xs[0].shape[0])


class Mixes(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.randn(3))

    def forward(self, a, b):
        full, rows = mix([a, b], self.bias, 3)
        plain, _ = mix([a], None, 2, alpha=1.5)
        return full + plain, rows


model = Mixes()
example_args = (torch.randn(5, 3), torch.randn(5, 3))
dynamic_shapes = {"a": {0: Dim("batch", min=2, max=64)}, "b": {0: Dim("batch", min=2, max=64)}}
extra_inputs = [(torch.randn(9, 3), torch.randn(9, 3))]
