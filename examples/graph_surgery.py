"""Graph surgery with torch.fx's API on an exported program.

Exports a small model, then edits the graph of `ep.module()` (a GraphModule):
swaps an op, fuses `sigmoid(x) * x` into `silu` with `replace_pattern`,
inserts a node with `inserting_after`, drops dead code, and recompiles.  After
each edit the module still runs and agrees with the eager computation.
Finally a `Transformer` subclass rewrites the program's graph_module.
"""
import minexport as torch
from minexport.export import export
from minexport.fx import Transformer, subgraph_rewriter
from minexport.ops import aten


class Gate(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)

    def forward(self, x):
        h = self.lin(x)
        return torch.sigmoid(h) * h + torch.relu(x)


def ops(gm):
    return [str(n.target) for n in gm.graph.nodes if n.op == "call_function"]


def close(a, b):
    return bool(((a - b).abs() < 1e-5).all())


class ReluToAbs(Transformer):
    """relu -> abs, every other node copied as it is."""

    def call_function(self, target, args, kwargs):
        return super().call_function(aten.abs.default if target == aten.relu.default else target, args, kwargs)


if __name__ == "__main__":
    torch.manual_seed(0)
    model, x = Gate(), torch.randn(2, 4)
    ep = export(model, (x,))
    m = ep.module()
    print("ep.module() is a GraphModule:", isinstance(m, torch.fx.GraphModule))
    print("before:", ops(m))

    matches = subgraph_rewriter.replace_pattern(
        m, lambda v: aten.mul.Tensor(aten.sigmoid.default(v), v), lambda v: aten.silu.default(v))
    print(f"fused sigmoid*x into silu ({len(matches)} match):", ops(m))

    g = m.graph
    relu = g.find_nodes(op="call_function", target=aten.relu.default)[0]
    with g.inserting_after(relu):
        doubled = g.call_function(aten.mul.Tensor, (relu, 2.0))
    relu.replace_all_uses_with(doubled, delete_user_cb=lambda user: user is not doubled)
    with g.inserting_before(g.output_node()):
        g.call_function(aten.cos.default, (relu,))          # nobody reads it
    print("dead code removed:", g.eliminate_dead_code())
    g.lint()
    m.recompile()
    print(m.code)
    h = model.lin(x)
    print("matches eager:", close(m(x), torch.nn.functional.silu(h) + 2 * torch.relu(x)))

    gm = ReluToAbs(ep.graph_module).transform()
    print("transformed:", ops(gm))
    weight, bias = ep.state_dict["lin.weight"], ep.state_dict["lin.bias"]
    print("transformed matches:", close(gm(weight, bias, x)[0], torch.sigmoid(h) * h + torch.abs(x)))
