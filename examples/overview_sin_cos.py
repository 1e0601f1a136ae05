"""The overview example: export a module with two inputs that computes sin(x) + cos(y).

Shows the printed program (placeholders annotated with dtype and shape, one
ATen node per operation with its source line), its graph signature, and
that `ep.module()` computes what the eager module computes.
"""
import minexport as torch
from minexport.export import export


class Mod(torch.nn.Module):
    def forward(self, x, y):
        a = torch.sin(x)
        b = torch.cos(y)
        return a + b


if __name__ == "__main__":
    torch.manual_seed(0)
    example_args = (torch.randn(10, 10), torch.randn(10, 10))
    ep = export(Mod(), example_args)
    print(ep)
    same = (ep.module()(*example_args) - Mod()(*example_args)).abs().max().item()
    print("max |exported - eager| =", same)
