"""Dim.DYNAMIC on inputs tied by broadcasting: torch infers the dims equal (one symbol each, range from 2)
instead of refusing the spec."""
import torch
from torch.export import Dim


class AddScaled(torch.nn.Module):
    def forward(self, x, y):
        return x * 2 + y


model = AddScaled()
example_args = (torch.randn(3, 4), torch.randn(3, 4))
dynamic_shapes = ({0: Dim.DYNAMIC, 1: Dim.DYNAMIC}, {0: Dim.DYNAMIC, 1: Dim.DYNAMIC})
extra_inputs = [(torch.randn(5, 2), torch.randn(5, 2)), (torch.randn(2, 7), torch.randn(2, 7))]
