"""associative_scan in combine_mode="pointwise" needs CUDA: both torch and minexport refuse it on CPU."""
import torch
from torch._higher_order_ops.associative_scan import associative_scan


class M(torch.nn.Module):
    def forward(self, xs):
        return associative_scan(lambda a, b: a * b, xs, dim=0)


model = M()
example_args = (torch.randn(6, 2),)
expect = "export_error"
