"""Unflatten an exported program and swap one of its submodules.

Exports a two-block model with `preserve_module_call_signature=("encoder",)`,
so the program remembers how `encoder` was called (its flat inputs and
outputs by name, and their pytree structures).  `unflatten(ep)` then rebuilds
the original module tree: each submodule is a small module with its own
graph, parameters sit where they were, and `encoder` keeps its calling
convention, so any module called the same way can take its place.
"""
import minexport as torch
from minexport.export import export, unflatten


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(4, 8)

    def forward(self, x, *, scale=1.0):
        return {"hidden": torch.relu(self.proj(x)) * scale, "skip": x}


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.head = torch.nn.Linear(8, 4)

    def forward(self, x):
        out = self.encoder(x, scale=0.5)
        return self.head(out["hidden"]) + out["skip"]


class WiderEncoder(torch.nn.Module):
    """A replacement called as Encoder is: (x, *, scale) -> {'hidden', 'skip'}."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(4, 8)

    def forward(self, x, *, scale=1.0):
        return {"hidden": torch.tanh(self.proj(x)) * scale, "skip": x * 0}


def close(a, b):
    return bool(((a - b).abs() < 1e-5).all())


x = torch.randn(3, 4)
ep = export(Model(), (x,), preserve_module_call_signature=("encoder",))
sig = ep.module_call_graph[1].signature
print("encoder's recorded call:", [a.name for a in sig.inputs if hasattr(a, "name") and a.name],
      "->", [a.name for a in sig.outputs])

unflat = unflatten(ep)
print(unflat)
print("submodules:", [name for name, _ in unflat.named_modules()])
print("root graph calls:", [n.target for n in unflat.graph.nodes if n.op == "call_module"])
print("matches ep.module():", close(unflat(x), ep.module()(x)))

wider = WiderEncoder()
unflat.encoder = wider
swapped = unflat(x)
expected = unflat.head(wider(x, scale=0.5)["hidden"])
print("after swapping encoder, matches the hand computation:", close(swapped, expected))
