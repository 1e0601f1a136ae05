"""Interpreter and Transformer on a program with cond: the branches are GraphModules read with get_attr and
passed to the cond call. Prints only semantic facts, so torch and minexport print the same."""
import torch
from functorch.experimental.control_flow import cond


class M(torch.nn.Module):
    def forward(self, x):
        return cond(x.sum() > 0, lambda t: t.sin(), lambda t: t.cos(), (x,))


def show(label, t):
    print(label, [round(v, 4) for v in t.flatten().tolist()])


class Recording(torch.fx.Interpreter):
    """Records which node ops and get_attr targets it runs."""

    def __init__(self, module):
        super().__init__(module)
        self.seen = []

    def run_node(self, n):
        self.seen.append(n.op if n.op != "get_attr" else f"get_attr:{n.target}")
        return super().run_node(n)


x = torch.arange(4.0) / 4
ep = torch.export.export(M(), (x,))
interp = Recording(ep.graph_module)
show("interpreted", interp.run(x)[0])
print("ran", interp.seen)
show("interpreted negative", Recording(ep.graph_module).run(-x)[0])
gm = torch.fx.Transformer(ep.graph_module).transform()
print("transformed ops", [n.op for n in gm.graph.nodes])
show("transformed", gm(x)[0])
show("module negative", ep.module()(-x))
