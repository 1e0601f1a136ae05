"""unflatten of a model calling one submodule twice and sharing a weight between two submodules: the module
tree, the call_module nodes, nn_module_stack keys, sharing facts and outputs print the same under torch 2.13
and minexport."""
import warnings

import torch

warnings.filterwarnings("ignore")   # torch warns about its own get_attr nodes while unflattening


class Twice(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)
        self.enc = torch.nn.Linear(4, 4, bias=False)
        self.dec = torch.nn.Linear(4, 4, bias=False)
        self.dec.weight = self.enc.weight
        with torch.no_grad():
            for i, p in enumerate(self.parameters()):
                p.copy_(torch.arange(p.numel(), dtype=torch.float32).reshape(p.shape) / (7.0 + i) - 0.4)

    def forward(self, x):
        h = self.lin(self.lin(x).relu())
        return self.dec(self.enc(h))


x = torch.arange(8, dtype=torch.float32).reshape(2, 4) / 8
ep = torch.export.export(Twice(), (x,))
print("stack keys", [list(n.meta["nn_module_stack"]) for n in ep.graph.nodes if n.meta.get("nn_module_stack")])
u = torch.export.unflatten(ep)
print("modules", [n for n, _ in u.named_modules()])
print("calls", [(n.name, n.target) for n in u.graph.nodes if n.op == "call_module"])
print("tied", u.enc.weight is u.dec.weight)
print("parameters", [n for n, _ in u.named_parameters()])
print("out", [round(v, 4) for v in u(x).flatten().tolist()])
print("same as module()", torch.allclose(u(x), ep.module()(x)))
