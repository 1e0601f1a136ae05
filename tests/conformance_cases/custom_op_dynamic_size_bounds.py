"""A data-dependent output size with bounds: new_dynamic_size(min=1, max=numel) narrows the unbacked size
and export asserts both bounds at run time, as torch does."""
import torch


@torch.library.custom_op("conformance_dynbounds::positive_values", mutates_args=())
def positive_values(x: torch.Tensor) -> torch.Tensor:
    return x[x > 0]


@positive_values.register_fake
def _(x):
    n = torch.library.get_ctx().new_dynamic_size(min=1, max=x.numel())
    return x.new_empty(n)


class KeepsPositives(torch.nn.Module):
    def forward(self, x):
        p = positive_values(x)
        return p * 2, p.sum()


model = KeepsPositives()
example_args = (torch.tensor([1.0, -2.0, 3.0, 0.5, -0.1]),)
