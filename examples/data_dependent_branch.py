"""A Python `if` on a tensor's value cannot be captured: export refuses it and says how to fix it.

Expected outcome: a DataDependentError naming the `if` line and pointing to
`minexport.where` and `.item()` with `_check`, printed below.
"""
import minexport as torch
from minexport.export import DataDependentError, export


class Bad(torch.nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return torch.sin(x)
        return torch.cos(x)


if __name__ == "__main__":
    try:
        export(Bad(), (torch.randn(3, 3),))
    except DataDependentError as e:
        print("export refused the program, as expected:\n")
        print(e)
    else:
        raise SystemExit("export should have refused the data-dependent branch")
