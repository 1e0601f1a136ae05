"""A custom op inside both branches of torch.cond: one node in each subgraph, kept by run_decompositions."""
import torch


@torch.library.custom_op("conformance_cond::soft_clip", mutates_args=())
def soft_clip(x: torch.Tensor, limit: float) -> torch.Tensor:
    return torch.tanh(x / limit) * limit


@soft_clip.register_fake
def _(x, limit):
    return torch.empty_like(x)


class ClipsInBranches(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 3)

    def forward(self, x):
        def big(x):
            return soft_clip(self.linear(x), 1.0)

        def small(x):
            return soft_clip(x, 3.0) * 2
        return torch.cond(x.sum() > 0, big, small, (x,))


model = ClipsInBranches()
example_args = (torch.randn(2, 3),)
extra_inputs = [(torch.randn(2, 3).abs(),), (-torch.randn(2, 3).abs(),)]
