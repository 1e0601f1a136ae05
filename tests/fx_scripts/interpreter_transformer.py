"""Subclass torch.fx.Interpreter and torch.fx.Transformer on an exported program's graph_module.
Prints only semantic facts, so torch and minexport print the same."""
import torch
from torch.fx import Interpreter, Transformer

aten = torch.ops.aten


class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.arange(6.0).reshape(2, 3) / 6 - 0.4)

    def forward(self, x):
        h = torch.relu(x @ self.w)
        return h.sum(dim=0), torch.neg(h)


def show(label, t):
    print(label, [round(v, 4) for v in t.flatten().tolist()])


x = torch.arange(8.0).reshape(4, 2) / 4 - 0.5
ep = torch.export.export(M(), (x,))
gm = ep.graph_module
lifted = [ep.state_dict[s.target] for s in ep.graph_signature.input_specs if s.kind.name == "PARAMETER"]


class CountingInterpreter(Interpreter):
    """Counts each op and swaps relu for sigmoid while running."""

    def __init__(self, module):
        super().__init__(module)
        self.counts = {}

    def call_function(self, target, args, kwargs):
        self.counts[str(target)] = self.counts.get(str(target), 0) + 1
        if target == aten.relu.default:
            target = aten.sigmoid.default
        return super().call_function(target, args, kwargs)

    def run_node(self, n):
        out = super().run_node(n)
        if n.op == "call_function" and isinstance(out, torch.Tensor):
            self.shapes.append((n.name, list(out.shape)))
        return out


interp = CountingInterpreter(gm)
interp.shapes = []
total, negated = interp.run(*lifted, x)
print("counts", sorted(interp.counts.items()))
print("shapes", interp.shapes)
show("sum", total)
show("expected", torch.sigmoid(x @ lifted[0]).sum(dim=0))

plain = Interpreter(gm).run(*lifted, x)
show("plain", plain[0])
print("env freed", len(Interpreter(gm).env))

boxed = [*lifted, x]
print("boxed", [round(v, 4) for v in Interpreter(gm).boxed_run(boxed)[0].tolist()], "list emptied", boxed == [])


class ReluToGelu(Transformer):
    def call_function(self, target, args, kwargs):
        if target == aten.relu.default:
            target = aten.gelu.default
        return super().call_function(target, args, kwargs)


new_gm = ReluToGelu(gm).transform()
print("transformed is GraphModule", isinstance(new_gm, torch.fx.GraphModule))
print("new ops", [str(n.target) for n in new_gm.graph.nodes if n.op == "call_function"])
print("placeholders", [n.name for n in new_gm.graph.nodes if n.op == "placeholder"])
total2, _ = new_gm(*lifted, x)
show("gelu sum", total2)
show("expected", torch.nn.functional.gelu(x @ lifted[0]).sum(dim=0))


class Doubler(Transformer):
    """Adds an extra node after every neg: the new graph grows."""

    def call_function(self, target, args, kwargs):
        out = super().call_function(target, args, kwargs)
        if target == aten.neg.default:
            out = self.tracer.create_proxy("call_function", aten.mul.Tensor, (out, 2.0), {})
        return out


doubled = Doubler(gm).transform()
print("doubled ops", [str(n.target) for n in doubled.graph.nodes if n.op == "call_function"])
show("doubled neg", doubled(*lifted, x)[1])
try:
    Interpreter(gm).run(x)
except Exception as e:
    print("missing input", type(e).__name__)
