"""Run torch.export.draft_export on programs export refuses: a branch on a data-dependent value, a guard
that breaks the declared dynamic_shapes, a custom op with no fake kernel, and one with a wrong fake kernel.
Prints only semantic facts (failure kinds, what they name, the ops recorded, the ranges, the results), so
torch and minexport print the same."""
import re

import torch
from torch.export import Dim, draft_export


@torch.library.custom_op("draftlib::first_two", mutates_args=())
def first_two(x: torch.Tensor) -> torch.Tensor:
    return x[:2].clone()


@torch.library.custom_op("draftlib::double", mutates_args=())
def double(x: torch.Tensor) -> torch.Tensor:
    return x * 2


@double.register_fake
def _(x):
    return x.new_empty(x.shape[0] + 1)      # wrong on purpose: one element too many


class Branch(torch.nn.Module):
    def forward(self, x, y):
        n = y.item()
        if n > 2:
            return x * 2
        return x + n


class Clean(torch.nn.Module):
    def forward(self, x):
        return x.sin() + 1


class SizeBranch(torch.nn.Module):
    def forward(self, x):
        if x.shape[0] > 3:
            return x.cos()
        return x.sin()


class NoFake(torch.nn.Module):
    def forward(self, x):
        return first_two(x) + 1


class WrongFake(torch.nn.Module):
    def forward(self, x):
        return double(x).sum()


def aten_ops(ep):
    names = {str(n.target) for n in ep.graph.nodes if n.op == "call_function"}
    return sorted(t for t in names if t.startswith(("aten.", "draftlib.")) and "assert_tensor_metadata" not in t)


def show(values):
    return [round(v, 4) for v in values.flatten().tolist()]


def report(name, mod, args, other=None, bad=None, dynamic_shapes=None):
    ep = draft_export(mod, args, dynamic_shapes=dynamic_shapes)
    r = ep._report
    print(name, "successful:", r.successful(), "failures:", [str(f.failure_type) for f in r.failures])
    for f in r.failures:
        d = f.data
        if "op" in d:
            print("  op:", d["op"], "reason:", d.get("reason"))
        if "user_stack" in d:
            print("  at:", d["user_stack"][-1]["loc"], "line", d["user_stack"][-1]["line"])
        if "result" in d:
            print("  expr:", d["expr"], "result:", d["result"], "occurrences:", d["occurrences"])
        if "symbol_to_sources" in d and d["symbol_to_sources"]:
            print("  sources:", sorted(d["symbol_to_sources"].values()))
        if "new_dynamic_shapes" in d:
            print("  new dynamic_shapes:", re.sub(r"DimHint\(AUTO[^)]*\)", "AUTO", str(d["new_dynamic_shapes"]))
                  .replace("Dim.AUTO", "AUTO"))
    text = str(r)
    print("  report:", [line for line in text.splitlines() if re.match(r"^(\d+\. |WARNING|Congratulations)", line)])
    print("  ops:", aten_ops(ep))
    print("  ranges:", sorted(str(v) for v in ep.range_constraints.values()))
    m = ep.module()
    print("  same on the example:", torch.allclose(m(*args), mod(*args)))
    if other is not None:
        print("  same on other inputs:", torch.allclose(m(*other), mod(*other)))
    if bad is not None:
        try:
            m(*bad)
            print("  inputs breaking an assumption: ran")
        except Exception:
            print("  inputs breaking an assumption: refused")


x3 = torch.linspace(-1.0, 1.0, 3)
report("branch", Branch(), (x3, torch.tensor(5)), other=(x3, torch.tensor(7)), bad=(x3, torch.tensor(1)))
report("clean", Clean(), (x3,))
report("size_branch", SizeBranch(), (torch.linspace(-1.0, 1.0, 5),), other=(torch.linspace(0.0, 1.0, 7),),
       bad=(torch.linspace(0.0, 1.0, 2),), dynamic_shapes={"x": {0: Dim("d")}})
report("no_fake", NoFake(), (torch.linspace(-1.0, 1.0, 4),), bad=(torch.linspace(0.0, 1.0, 6),))
report("wrong_fake", WrongFake(), (torch.linspace(-1.0, 1.0, 4),))
