"""Dims that are related: a shared dim in a matmul, a derived dim, and a suggested fix applied.

Two inputs whose sizes must agree share one `Dim`; an input twice as long as
another uses the derived dim `2 * n`.  When the spec leaves a relation out,
export stops with "Suggested fixes:"; the script applies the fix it printed
and exports again.
"""
import minexport as torch
from minexport.export import ConstraintViolationError, Dim, export


class Project(torch.nn.Module):
    def forward(self, x, w):
        return x @ w


class DoubleUp(torch.nn.Module):
    def forward(self, short, long):
        return torch.cat([short, short]) * long


def signature(ep):
    """The exported forward's first line, with its symbolic input shapes."""
    return next(line.strip() for line in str(ep).splitlines() if "def forward" in line)


if __name__ == "__main__":
    # Shared dim: x's columns are w's rows.
    rows, inner, cols = Dim("rows", max=512), Dim("inner", max=512), Dim("cols", max=512)
    ep = export(Project(), (torch.randn(4, 8), torch.randn(8, 3)),
                dynamic_shapes={"x": {0: rows, 1: inner}, "w": {0: inner, 1: cols}})
    print(signature(ep))
    print("range constraints:", ep.range_constraints)
    print("(5x7) @ (7x2) ->", tuple(ep.module()(torch.randn(5, 7), torch.randn(7, 2)).shape))

    # Derived dim: `long` always has twice the rows of `short`.
    n = Dim("n", max=100)
    ep = export(DoubleUp(), (torch.randn(3, 4), torch.randn(6, 4)),
                dynamic_shapes={"short": {0: n}, "long": {0: 2 * n}})
    print("\nderived dim:", signature(ep), "| ranges:", ep.range_constraints)
    print("short 5, long 10 ->", tuple(ep.module()(torch.randn(5, 4), torch.randn(10, 4)).shape))
    try:
        ep.module()(torch.randn(5, 4), torch.randn(9, 4))
    except AssertionError as e:
        print("short 5, long 9 refused:", e)

    # Leave the relation out: export says how to write it, then we write it.
    try:
        export(DoubleUp(), (torch.randn(3, 4), torch.randn(6, 4)),
               dynamic_shapes={"short": {0: Dim("a")}, "long": {0: Dim("b")}})
    except ConstraintViolationError as e:
        print("\n" + str(e))
    a = Dim("a")
    fixed = export(DoubleUp(), (torch.randn(3, 4), torch.randn(6, 4)),
                   dynamic_shapes={"short": {0: a}, "long": {0: 2 * a}})
    print("\nwith the fix applied (b = 2*a):", fixed.range_constraints)
