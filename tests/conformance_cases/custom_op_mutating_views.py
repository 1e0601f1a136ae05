"""A mutating custom op given views: torch records how to regenerate each written view from its base
(a slice, an alias, or as_strided), and the writes land in the buffer and the input."""
import torch


@torch.library.custom_op("conformance_view::scaled_add", mutates_args=("out",))
def scaled_add(x: torch.Tensor, out: torch.Tensor, k: float) -> None:
    out.add_(x * k)


@scaled_add.register_fake
def _(x, out, k):
    return None


class WritesThroughViews(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("grid", torch.zeros(4, 3))

    def forward(self, x, y):
        scaled_add(x[:, 1:3], self.grid[:, 1:3], 2.0)     # a slice along dim 1
        scaled_add(x[1:3], y[1:3], 3.0)                  # a slice along dim 0
        scaled_add(x[0], y[0], 4.0)                      # a select: as_strided
        scaled_add(x, y.view(4, 3), 0.5)                 # same layout: an alias
        return self.grid.sum(0) + y.sum(1).sum()


model = WritesThroughViews()
example_args = (torch.randn(4, 3), torch.randn(4, 3))
