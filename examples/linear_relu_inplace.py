"""Linear on the sum of two inputs, then an in-place ReLU.

Shows `F.relu(..., inplace=True)` recorded as `aten.relu_.default` (export's
training IR keeps in-place ops, as torch's does) and the interpreter running
the program on NumPy with the eager module's results.
"""
import minexport as torch
from minexport.export import export


class MyModule(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(100, 10)

    def forward(self, x, y):
        return torch.nn.functional.relu(self.lin(x + y), inplace=True)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = MyModule()
    args = (torch.randn(8, 100), torch.randn(8, 100))
    ep = export(model, args)
    print(ep)
    print("ops:", [str(n.target) for n in ep.graph.nodes if n.op == "call_function"])
    print("matches eager:", bool(((ep.module()(*args) - model(*args)).abs() < 1e-6).all()))
