"""A custom decomposition table: keep one op, replace another with your own Python decomposition.

Shows `default_decompositions()` as a plain dict: deleting `aten.linear.default`
keeps `linear` in the core program; adding an entry for `aten.relu.default`
(written with minexport ops) replaces every relu with `clamp(x, 0)`.
"""
import minexport as torch
from minexport.export import default_decompositions, export
from minexport.ops import aten


def relu_as_clamp(x):
    """relu(x) == clamp(x, min=0)."""
    return aten.clamp.default(x, 0)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    x = torch.randn(4, 8)
    ep = export(model, (x,))

    table = default_decompositions()
    del table[aten.linear.default]          # keep linear as it is
    table[aten.relu.default] = relu_as_clamp
    core = ep.run_decompositions(table)
    print(core)
    print("ops:", [str(n.target) for n in core.graph.nodes if n.op == "call_function"])
    print("matches eager:", bool(((core.module()(x) - model(x)).abs() < 1e-6).all()))
