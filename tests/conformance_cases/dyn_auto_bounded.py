"""Dim.AUTO(min=, max=) on one input and a plain Dim.AUTO on the other, tied by broadcasting: the kept
symbol's range is the intersection, VR[3, 10]."""
import torch
from torch.export import Dim


class Add(torch.nn.Module):
    def forward(self, x, y):
        return x + y


model = Add()
example_args = (torch.randn(4, 2), torch.randn(4, 2))
dynamic_shapes = ({0: Dim.AUTO(min=3, max=10)}, {0: Dim.AUTO})
extra_inputs = [(torch.randn(3, 2), torch.randn(3, 2)), (torch.randn(10, 2), torch.randn(10, 2))]
