"""symbolic_trace of buffers, parameters and Tensor operators with a traced operand: what is recorded (a
get_attr per buffer use, one per parameter, Tensor operators as call_method) and that the traced module
computes what the eager one does. Prints only semantic facts, so torch and minexport print the same."""
import torch


class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("b", torch.arange(3.0) + 1)
        self.w = torch.nn.Parameter(torch.ones(3) * 2)

    def forward(self, x):
        outs = (self.b + x, self.b - x, self.b * x, self.b / x, self.b // x, self.b % x, self.b ** x,
                self.b == x, self.b < x, self.b >= x, self.w * x, self.w + 1, torch.cat([x, self.b]))
        return outs, x.view(-1, 1).shape


def name_of(target):
    return target if isinstance(target, str) else getattr(target, "__name__", str(target))


m = M()
gm = torch.fx.symbolic_trace(m)
print([(n.op, name_of(n.target)) for n in gm.graph.nodes])
x = torch.tensor([0.5, 2.0, 3.0])
got, shape = gm(x)
want, wshape = m(x)
print("shape", list(shape), list(wshape))
for g, w in zip(got, want):
    print(g.dtype == w.dtype, [round(v, 4) for v in g.float().tolist()] == [round(v, 4) for v in w.float().tolist()])
print("code mentions", "self.b" in gm.code, "self.w" in gm.code)
