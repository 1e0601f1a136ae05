"""torch.fx.symbolic_trace on a plain module, then subgraph_rewriter.replace_pattern on the traced module and
on an exported program's graph.  Prints only semantic facts, so torch and minexport print the same."""
import operator

import torch
import torch.nn.functional as F
from torch.fx import subgraph_rewriter, symbolic_trace

aten = torch.ops.aten


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 3)
        self.scale = torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0]))
        with torch.no_grad():
            self.lin.weight.copy_(torch.arange(9.0).reshape(3, 3) / 9 - 0.5)
            self.lin.bias.copy_(torch.tensor([0.1, 0.0, -0.1]))

    def forward(self, x, y):
        h = torch.add(self.lin(x), y)
        h = F.relu(h) * self.scale
        return torch.neg(h).sum(dim=-1) + 1, h.transpose(0, 1)


def name_of(target):
    return target if isinstance(target, str) else target.__name__


def describe(gm):
    return [(n.op, name_of(n.target)) for n in gm.graph.nodes]


def show(label, t):
    print(label, [round(v, 4) for v in t.flatten().tolist()])


x = torch.arange(6.0).reshape(2, 3) / 6
y = torch.ones(2, 3) / 4
block = Block()
gm = symbolic_trace(block)
print("traced", describe(gm))
print("leaf module call", [n.target for n in gm.graph.nodes if n.op == "call_module"])
print("class", type(gm).__name__ if False else isinstance(gm, torch.fx.GraphModule))
a, b = gm(x, y)
ea, eb = block(x, y)
print("same as eager", (a - ea).abs().max().item() < 1e-6, (b - eb).abs().max().item() < 1e-6)


def pattern(u, v):
    return torch.add(u, v)


def replacement(u, v):
    return torch.sub(u, v)


matches = subgraph_rewriter.replace_pattern(gm, pattern, replacement)
print("matches", len(matches), [m.anchor.op for m in matches])
print("rewritten", describe(gm))
show("after rewrite", gm(x, y)[0])
show("expected", torch.neg(F.relu(block.lin(x) - y) * block.scale).sum(dim=-1) + 1)

try:
    class Branchy(torch.nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                return x
            return -x
    symbolic_trace(Branchy())
except Exception as e:
    print("branch refused", type(e).__name__)


# replace_pattern on an exported graph: fuse sigmoid(x) * x into silu
class Gate(torch.nn.Module):
    def forward(self, x):
        s = torch.sigmoid(x)
        return (s * x).sum(), torch.cos(x) * 2


ep = torch.export.export(Gate(), (x,))


def silu_pattern(v):
    return aten.mul.Tensor(aten.sigmoid.default(v), v)


def silu_replacement(v):
    return aten.silu.default(v)


m = ep.module()
found = subgraph_rewriter.replace_pattern(m, silu_pattern, silu_replacement)
print("exported matches", len(found), [str(p.target) for p in found[0].nodes_map if p.op == "call_function"])
print("exported ops", [str(n.target) for n in m.graph.nodes if n.op == "call_function"])
s0, c0 = m(x)
print("silu sum", round(s0.item(), 4), round(F.silu(x).sum().item(), 4))
print("operator", name_of(operator.mul))
