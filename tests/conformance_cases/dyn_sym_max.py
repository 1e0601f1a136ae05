"""torch.sym_max / torch.sym_min over two independent dynamic sizes: recorded as torch.sym_max/sym_min
calls, no guard relating the dims, so both keep their full ranges."""
import torch
from torch.export import Dim


class Pad(torch.nn.Module):
    def forward(self, x, y):
        n = torch.sym_max(x.shape[0], y.shape[0])
        m = torch.sym_min(x.shape[0], y.shape[0])
        return torch.zeros(n) + 1, torch.ones(m) * 2


model = Pad()
example_args = (torch.randn(3), torch.randn(5))
dynamic_shapes = ({0: Dim("a")}, {0: Dim("b")})
extra_inputs = [(torch.randn(7), torch.randn(2)), (torch.randn(4), torch.randn(4))]
