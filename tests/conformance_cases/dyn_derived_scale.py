"""A derived dim `2 * d` on the second input of a cat: entries for s77 and 2*s77 in range_constraints."""
import torch
from torch.export import Dim

d = Dim("d", min=2, max=100)


class CatTwice(torch.nn.Module):
    def forward(self, x, y):
        return torch.cat([x, x]) + y


model = CatTwice()
example_args = (torch.randn(5, 3), torch.randn(10, 3))
dynamic_shapes = ({0: d}, {0: 2 * d})
extra_inputs = [(torch.randn(2, 3), torch.randn(4, 3)), (torch.randn(9, 3), torch.randn(18, 3))]
