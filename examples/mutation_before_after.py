"""A buffer mutation and a user-input mutation, before and after run_decompositions().

Shows the training IR keeping `aten.add_.Tensor` on `b_count` and
`aten.mul_.Tensor` on `x`, then the functional core-ATen program: plain
`add`/`mul`, with their results returned as BUFFER_MUTATION (target 'count')
and USER_INPUT_MUTATION (target 'x') ahead of the user output.  Calling the
functional program's module() still updates the buffer and the input.
"""
import minexport as torch
from minexport.export import export


class Mutates(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("count", torch.zeros(3))
        self.lin = torch.nn.Linear(3, 3)

    def forward(self, x):
        self.count.add_(1)
        x.mul_(2)
        return self.lin(x) + self.count


if __name__ == "__main__":
    torch.manual_seed(0)
    ep = export(Mutates(), (torch.randn(4, 3),))
    print("=== training IR (export) ===")
    print(ep)
    core = ep.run_decompositions()
    print("=== functional core ATen IR (run_decompositions) ===")
    print(core)
    m = core.module()
    x = torch.ones(4, 3)
    m(x)
    m(x)
    print("after two calls: count =", m.count.tolist(), " x[0] =", x[0].tolist())
