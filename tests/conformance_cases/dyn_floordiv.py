"""Floor division of a dynamic size (x.shape[0] // 2) feeding a reshape, and a stride-2 slice whose length
is ((s77 + 1)//2): operator.floordiv on sym sizes, Dim.AUTO narrowed to even sizes by the reshape."""
import torch
from torch.export import Dim


class Halves(torch.nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0] // 2, 2, -1).sum(1), x[::2] * 2


model = Halves()
example_args = (torch.randn(6, 3),)
dynamic_shapes = ({0: Dim.AUTO},)
extra_inputs = [(torch.randn(10, 3),), (torch.randn(4, 3),)]
