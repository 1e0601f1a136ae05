"""A floating-point value read with `.item()`: a SymFloat in the program.

`.item()` of a float tensor gives an unbacked symbolic float `zuf0`.  It can
scale tensors and take part in arithmetic (`2.0*zuf0`), and the program
computes it again on every call.  `_check` keeps its condition as a runtime
assert and lets later Python branches on the same condition go through.
"""
import minexport as torch
from minexport.export import export


class Rescale(torch.nn.Module):
    def forward(self, x, temperature):
        t = temperature.item()
        torch._check(t > 0)
        scaled = x / t if t > 0 else x       # decided by the _check above: no guard, no branch in the graph
        return scaled.softmax(-1), t * 2.0


if __name__ == "__main__":
    ep = export(Rescale(), (torch.randn(2, 4), torch.tensor(0.5)))
    print(ep)
    m = ep.module()
    probs, doubled = m(torch.tensor([[0.0, 1.0, 2.0, 3.0]] * 2), torch.tensor(4.0))
    print("temperature 4.0:", [round(p, 4) for p in probs[0].tolist()], "doubled:", doubled)
    try:
        m(torch.ones(2, 4), torch.tensor(-1.0))
    except Exception as e:
        print("temperature -1.0 refused:", str(e).splitlines()[0])
