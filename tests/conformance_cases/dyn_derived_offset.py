"""A derived dim `d + 1`: range_constraints has an entry for the expression itself (s17 + 1: VR[3, 101])
besides its root's, and the call-time check refuses sizes not of that form."""
import torch
from torch.export import Dim

d = Dim("d", min=2, max=100)


class DropFirst(torch.nn.Module):
    def forward(self, x, y):
        return x[1:] + y


model = DropFirst()
example_args = (torch.randn(5), torch.randn(4))
dynamic_shapes = ({0: d + 1}, {0: d})
extra_inputs = [(torch.randn(3), torch.randn(2)), (torch.randn(101), torch.randn(100))]
