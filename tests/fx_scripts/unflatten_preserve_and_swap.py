"""Export with preserve_module_call_signature, unflatten, and swap the preserved submodule.

Prints the module call graph, the unflattened hierarchy, parameter/buffer sharing facts and outputs (rounded),
so torch 2.13 and minexport print the same."""
import warnings

import torch

warnings.filterwarnings("ignore")   # torch warns about its own get_attr nodes while unflattening


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)
        self.register_buffer("count", torch.zeros(4))

    def forward(self, x, y, *, scale=2.0):
        self.count.add_(1)
        return {"main": self.lin(x) + y * scale + self.count, "aux": [x * 2]}


class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = torch.nn.Linear(4, 3)
        self.tail = torch.nn.Linear(3, 3, bias=False)
        with torch.no_grad():
            for i, p in enumerate(self.parameters()):
                p.copy_(torch.arange(p.numel(), dtype=torch.float32).reshape(p.shape) / (10.0 + i) - 0.3)

    def forward(self, x):
        d = self.block(x, x + 1, scale=0.5)
        return self.tail(self.head(d["main"]).relu()) - d["aux"][0].sum()


def show(label, t):
    print(label, [round(v, 4) for v in t.flatten().tolist()])


x = torch.arange(8, dtype=torch.float32).reshape(2, 4) / 8
ep = torch.export.export(M(), (x,), preserve_module_call_signature=("block",))
for e in ep.module_call_graph:
    s = e.signature
    if s is None:
        print("entry", e.fqn, None)
    else:
        print("entry", e.fqn, [type(a).__name__ + ":" + str(getattr(a, "name", "")) for a in s.inputs],
              [type(a).__name__ + ":" + a.name for a in s.outputs], s.in_spec.num_leaves, s.out_spec.num_leaves,
              s.forward_arg_names)

expected = ep.module()(x)
show("ep.module()", expected)

u = torch.export.unflatten(ep)
print("class", type(u).__name__, type(u.block).__name__, type(u.block.lin).__name__)
print("modules", [n for n, _ in u.named_modules()])
print("parameters", [n for n, _ in u.named_parameters()])
print("buffers", [(n, b.tolist()) for n, b in u.named_buffers()])
print("block graph has call_module lin", any(n.op == "call_module" and n.target == "lin" for n in u.block.graph.nodes))
print("root calls", [n.target for n in u.graph.nodes if n.op == "call_module"])
print("placeholders of block", [n.name for n in u.block.graph.nodes if n.op == "placeholder"])

got = u(x)
show("unflattened", got)
print("buffer after call", u.block.count.tolist())
print("state_dict keys", sorted(u.state_dict()))


class Replacement(torch.nn.Module):
    """Called as Block is: (x, y, *, scale) -> {'main', 'aux': [..]}."""

    def forward(self, x, y, *, scale=2.0):
        return {"main": x - y * scale, "aux": [x]}


u.block = Replacement()
show("swapped", u(x))
eager = M()
eager.block = Replacement()
show("eager swapped", eager(x))
