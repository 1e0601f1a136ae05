"""A custom op whose output size depends on its input's values: the fake implementation asks
get_ctx().new_dynamic_size() for an unbacked size, and export asserts its range at run time."""
import torch


@torch.library.custom_op("conformance_dyn::positive_values", mutates_args=())
def positive_values(x: torch.Tensor) -> torch.Tensor:
    return x[x > 0]


@positive_values.register_fake
def _(x):
    n = torch.library.get_ctx().new_dynamic_size()
    return x.new_empty(n)


class KeepsPositives(torch.nn.Module):
    def forward(self, x):
        p = positive_values(x)
        return p * 2, p.sum()


model = KeepsPositives()
example_args = (torch.tensor([1.0, -2.0, 3.0, 0.5, -0.1]),)
