"""A custom op that writes a buffer and a user input: kept as a call by export(), made functional
(auto_functionalized_v2, BUFFER_MUTATION / USER_INPUT_MUTATION outputs) by run_decompositions()."""
import torch


@torch.library.custom_op("conformance_mut::accumulate", mutates_args=("buf",))
def accumulate(x: torch.Tensor, buf: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    buf.add_(x * alpha)
    return x * 2


@accumulate.register_fake
def _(x, buf, alpha=1.0):
    return torch.empty_like(x)


@torch.library.custom_op("conformance_mut::write_only", mutates_args=("out",))
def write_only(x: torch.Tensor, out: torch.Tensor) -> None:
    out.copy_(x.sin())


@write_only.register_fake
def _(x, out):
    return None


class MutatesThroughCustomOps(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("total", torch.zeros(4, 3))

    def forward(self, x, y):
        z = accumulate(x, self.total, 0.5)
        write_only(x, y)
        return z + self.total + y


model = MutatesThroughCustomOps()
example_args = (torch.randn(4, 3), torch.randn(4, 3))
