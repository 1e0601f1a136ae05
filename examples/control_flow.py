"""cond and map: data-dependent choices and loops kept in the exported program.

`cond` with a predicate that depends on the inputs (here a tensor) traces
both branches into subgraphs under one `torch.ops.higher_order.cond` node,
so the program picks the branch at run time.  The branches read the layer's
weights, which become extra operands.  `map` runs a body over the leading
dimension.  The program is decomposed, saved and loaded like any other.
"""
import io

import minexport as torch
from minexport.control_flow import map
from minexport.export import export, load, save


class Gate(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(4, 4)

    def forward(self, x, rows):
        def positive(x):
            return self.proj(x).relu()

        def negative(x):
            return -x

        gated = torch.cond(x.sum() > 0, positive, negative, (x,))
        return gated, map(lambda row, bias: row.softmax(-1) + bias, rows, gated.mean(0))


if __name__ == "__main__":
    torch.manual_seed(0)
    model = Gate()
    ep = export(model, (torch.randn(2, 4), torch.randn(3, 4)))
    print(ep)
    m = ep.module()
    for x in (torch.ones(2, 4), -torch.ones(2, 4)):
        gated, mapped = m(x, torch.zeros(3, 4))
        want_gated, want_mapped = model(x, torch.zeros(3, 4))
        print(f"x.sum() = {x.sum().item():+.0f}: matches eager:",
              bool((gated - want_gated).abs().max() < 1e-6) and bool((mapped - want_mapped).abs().max() < 1e-6))
    core = ep.run_decompositions()
    buf = io.BytesIO()
    save(core, buf)
    buf.seek(0)
    loaded = load(buf)
    print("core program saved and loaded; its true branch now has:",
          [str(n.target) for n in loaded.graph_module.true_graph_0.graph.nodes if n.op == "call_function"])
