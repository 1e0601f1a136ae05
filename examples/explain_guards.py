"""Explaining guards: where every guard, range, specialization and runtime assert comes from.

Shows, for small programs: `ep.explain()` (rule, source line, input dims and
the dynamic_shapes fix of each entry) for matmul, slicing, broadcasting,
reshape, `.item()` with `_check`, and a Python branch; the warning for an
example size 1 on a dim marked dynamic; the report of a failed export; and
a call of `ep.module()` that breaks several guards at once.
The same reports come from the command line:
`python -m minexport explain model.pt2` and `python -m minexport explain script.py`.
"""
import warnings

import minexport as torch
from minexport.export import ConstraintViolationError, Dim, export
from minexport.export.explain import explain_failure


class Attention(torch.nn.Module):
    """q @ k^T over a dynamic sequence, the first 4 positions kept, heads split by reshape."""

    def forward(self, q, k, bias):
        scores = q @ k.transpose(0, 1) + bias      # matmul inner dims, then broadcasting
        head = scores[:, :4]                        # slice end clamped to size
        return head.reshape(-1, 3)                  # reshape needs divisibility


class Gather(torch.nn.Module):
    def forward(self, x, n):
        k = n.item()
        torch._check(k >= 2)                        # a runtime assert
        torch._check(k <= x.shape[0])
        if x.shape[1] > 2:                          # a Python branch narrows a range
            return x[:k] * 2
        return x[:k]


class AddBias(torch.nn.Module):
    def forward(self, x, b):
        return x + b


def section(title):
    print(f"\n######## {title}")


if __name__ == "__main__":
    A = Dim.AUTO
    section("matmul, broadcast, slice and reshape with Dim.AUTO: ep.explain()")
    ep = export(Attention(), (torch.randn(6, 8), torch.randn(10, 8), torch.randn(6, 10)),
                dynamic_shapes={"q": {0: A, 1: A}, "k": {0: A, 1: A}, "bias": {0: A, 1: A}})
    print(ep.explain())

    section(".item() with _check, and a Python branch")
    ep = export(Gather(), (torch.randn(8, 3), torch.tensor(3)), dynamic_shapes={"x": {0: A, 1: A}, "n": None})
    report = ep.explain()
    print(report)
    print("rules:", sorted({e.rule for e in report}))

    section("example size 1 on a dim marked dynamic: a warning before tracing")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ep = export(AddBias(), (torch.randn(1, 8), torch.randn(8)), dynamic_shapes={"x": {0: A}, "b": None})
    for w in caught:
        print("UserWarning:", w.message)
    print(ep.explain())

    section("a failed export explained: named Dims the program narrows")
    try:
        export(Attention(), (torch.randn(6, 8), torch.randn(10, 8), torch.randn(6, 10)),
               dynamic_shapes={"q": {0: Dim("s")}, "k": {0: Dim("t")}, "bias": {0: Dim("s"), 1: Dim("t")}})
    except ConstraintViolationError as e:
        print(explain_failure(e))

    section("calling the module with inputs that break several guards")
    b = Dim("b", min=3, max=10)
    m = export(torch.nn.Identity(), (torch.randn(4, 3),), dynamic_shapes={"input": {0: b}}).module()
    try:
        m(torch.randn(11, 4))
    except AssertionError as e:
        print(e)
