"""Dynamic-shape corners, each printed as torch 2.13 prints it.

1. Dim.DYNAMIC on inputs tied by broadcasting: export infers they are equal.
2. Dim.AUTO(min=, max=): the bound joins what the trace infers.
3. torch.sym_max over two sizes: a symbolic Max, no guard.
4. A derived dim `d + 1`: its own entry in range_constraints.
5. A float .item() scaling a tensor sized by a checked int .item().
6. AdditionalInputs: which dims vary is read from more example inputs.
7. A refused spec, repaired by refine_dynamic_shapes_from_suggested_fixes.
8. Floor division of a size: `(s77//2)`.
Symbols are named as torch names them (`s77` is L['x'].size()[0]).
"""
import minexport as torch
from minexport.export import Dim, export
from minexport.export.dynamic_shapes import refine_dynamic_shapes_from_suggested_fixes


class Add(torch.nn.Module):
    def forward(self, x, y):
        return x + y


class Pad(torch.nn.Module):
    def forward(self, x, y):
        return torch.zeros(torch.sym_max(x.shape[0], y.shape[0]))


class DropFirst(torch.nn.Module):
    def forward(self, x, y):
        return x[1:] + y


class Scale(torch.nn.Module):
    def forward(self, x, i):
        f = x.sum().item()
        n = i.item()
        torch._check(n >= 0)
        torch._check(n < 10)
        return torch.ones(n) * f


class MatMul(torch.nn.Module):
    def forward(self, x, y):
        return x @ y


class Halves(torch.nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0] // 2, -1)


def forward_line(ep):
    """The exported forward's signature line."""
    return next(line.strip() for line in str(ep).splitlines() if "def forward" in line)


if __name__ == "__main__":
    ep = export(Add(), (torch.randn(3, 4), torch.randn(3, 4)),
                dynamic_shapes=({0: Dim.DYNAMIC, 1: Dim.DYNAMIC}, {0: Dim.DYNAMIC, 1: Dim.DYNAMIC}))
    print("1. DYNAMIC tied by broadcasting:", forward_line(ep), ep.range_constraints)

    ep = export(Add(), (torch.randn(4), torch.randn(4)), dynamic_shapes=({0: Dim.AUTO(min=3, max=10)}, {0: Dim.AUTO}))
    print("2. AUTO(min=3, max=10):", ep.range_constraints)

    ep = export(Pad(), (torch.randn(3), torch.randn(5)), dynamic_shapes=({0: Dim("a")}, {0: Dim("b")}))
    print("3. sym_max:", next(line.strip() for line in str(ep).splitlines() if "torch.sym_max" in line))

    d = Dim("d", min=2, max=100)
    ep = export(DropFirst(), (torch.randn(5), torch.randn(4)), dynamic_shapes=({0: d + 1}, {0: d}))
    print("4. derived d + 1:", ep.range_constraints)

    ep = export(Scale(), (torch.tensor([0.5, 1.0]), torch.tensor(4)))
    print("5. float and int .item():", ep.range_constraints,
          "->", ep.module()(torch.tensor([1.0, 2.0]), torch.tensor(3)).tolist())

    ai = torch.export.AdditionalInputs()
    ai.add((torch.randn(6, 4), torch.randn(4, 2)))
    ep = export(MatMul(), (torch.randn(3, 4), torch.randn(4, 5)), dynamic_shapes=ai)
    print("6. AdditionalInputs:", forward_line(ep), ep.range_constraints)

    spec = ({0: Dim("dx")}, {0: Dim("dy")})
    try:
        export(Add(), (torch.randn(3), torch.randn(3)), dynamic_shapes=spec)
    except torch.export.ConstraintViolationError as e:
        fixed = refine_dynamic_shapes_from_suggested_fixes(str(e), spec)
        print("7. refused:", str(e).splitlines()[1].strip(), "| refined spec:", fixed,
              "|", export(Add(), (torch.randn(3), torch.randn(3)), dynamic_shapes=fixed).range_constraints)

    ep = export(Halves(), (torch.randn(6, 2),), dynamic_shapes=({0: Dim.AUTO},))
    floordiv = next(line.strip() for line in str(ep).splitlines() if "floordiv:" in line)
    print("8. floor division:", floordiv.split(" =")[0])
