"""Regenerate tests/fixtures/: archives written by torch.export.save (torch 2.13), with inputs and outputs.

    python tests/make_fixtures.py

Needs torch.  Each fixture is <name>.pt2 plus <name>.npz holding the flat
inputs (in_<i>) and torch's flat outputs (out_<i>) of `ep.module()`, so
tests/test_serde.py checks torch -> minexport without torch installed.
"""
import pathlib

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent / "fixtures"


class Static(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 4)
        self.register_buffer("scale", torch.full((4,), 2.0))
        self.register_buffer("shift", torch.ones(4), persistent=False)
        self.offset = torch.arange(4.0)

    def forward(self, x, d):
        y = self.lin(x) * self.scale + self.shift + self.offset
        return {"y": y, "pair": (y.relu(), d["a"] - d["b"][0])}, x.max(dim=0).values


class ConvNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.pool = torch.nn.MaxPool2d(2)

    def forward(self, x):
        return self.pool(torch.relu(self.bn(self.conv(x)))).flatten(1).softmax(-1)


class Mutating(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("count", torch.zeros(3))

    def forward(self, x):
        self.count.add_(1)
        x[0].mul_(2)
        return x + self.count


class Dynamic(torch.nn.Module):
    def forward(self, x):
        return x * 2


class FloatItem(torch.nn.Module):
    def forward(self, x, y):
        a = y.item()
        torch._check(a > 0)
        return x * a + x.shape[0]


class Attention(torch.nn.Module):
    """GPT-style causal self-attention: torch's program views the attention output's transpose
    without a copy, relying on the layout torch's attention kernel gives its output."""

    def __init__(self, d=16, heads=4):
        super().__init__()
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.proj = torch.nn.Linear(d, d)
        self.heads = heads

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))


def _inputs(args, kwargs=None):
    return torch.utils._pytree.tree_leaves((args, kwargs or {}))


def make(name, model, args, decompose=False, **export_kw):
    torch.manual_seed(0)
    ep = torch.export.export(model, args, **export_kw)
    if decompose:
        ep = ep.run_decompositions()
    torch.export.save(ep, HERE / f"{name}.pt2")
    flat_in = _inputs(args)
    arrays = {f"in_{i}": t.numpy().copy() for i, t in enumerate(flat_in) if isinstance(t, torch.Tensor)}
    fresh = torch.utils._pytree.tree_map(lambda t: t.clone() if isinstance(t, torch.Tensor) else t, args)
    out = torch.utils._pytree.tree_leaves(ep.module()(*fresh))
    arrays.update({f"out_{i}": o.detach().numpy() for i, o in enumerate(out)})
    np.savez(HERE / f"{name}.npz", **arrays)


def main():
    HERE.mkdir(exist_ok=True)
    torch.manual_seed(0)
    static_args = (torch.randn(2, 3), {"a": torch.ones(4), "b": [torch.full((4,), 0.5)]})
    make("static_training", Static(), static_args)
    make("static_aten", Static(), static_args, decompose=True)
    make("convnet_eval", ConvNet().eval(), (torch.randn(2, 3, 8, 8),))
    make("convnet_aten", ConvNet().eval(), (torch.randn(2, 3, 8, 8),), decompose=True)
    make("mutating_aten", Mutating(), (torch.randn(3, 3),), decompose=True)
    make("dynamic", Dynamic(), (torch.randn(4, 3),), dynamic_shapes=({0: torch.export.Dim("b")},))
    make("float_item", FloatItem(), (torch.randn(4, 3), torch.tensor(1.5)),
         dynamic_shapes=({0: torch.export.Dim("b")}, None))
    make("attention_training", Attention(), (torch.randn(2, 8, 16),))
    make("attention_aten", Attention(), (torch.randn(2, 8, 16),), decompose=True)


if __name__ == "__main__":
    main()
