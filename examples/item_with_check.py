"""A value read from a tensor with `.item()`, bounded with `_check`, used as a size.

`.item()` while exporting gives an unbacked symbol `u0` (no example value is
assumed).  Branching on it is refused until `_check` bounds it; each `_check`
narrows u0's range and stays in the program as a runtime assert, so a call
with a value outside the range fails with the original condition.
"""
import minexport as torch
from minexport.export import export


class TakeFirst(torch.nn.Module):
    def forward(self, x, count):
        n = count.item()
        torch._check(n >= 1)
        torch._check(n <= x.shape[0])
        return x[:n].sum(0)


class Unchecked(torch.nn.Module):
    def forward(self, x, count):
        if count.item() > 2:
            return x * 2
        return x


if __name__ == "__main__":
    ep = export(TakeFirst(), (torch.randn(8, 3), torch.tensor(3)))
    print(ep)
    m = ep.module()
    x = torch.arange(24.0).reshape(8, 3)
    print("first 2 rows summed:", m(x, torch.tensor(2)).tolist())
    try:
        m(x, torch.tensor(0))
    except Exception as e:
        print("count 0 refused:", str(e).splitlines()[0])
    try:
        export(Unchecked(), (torch.randn(2), torch.tensor(3)))
    except Exception as e:
        print("\nwithout _check:", type(e).__name__ + ":", e)
