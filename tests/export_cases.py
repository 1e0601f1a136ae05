"""Models written against torch's API, exported by torch and by minexport (through compat.as_torch()).

Each entry of CASES is (name, make_model, make_args, make_kwargs).  The
models use only user code and torch.nn layers, so torch's and minexport's
printouts can be compared line by line (library frames aside).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SinCos(nn.Module):
    def forward(self, x, y):
        a = torch.sin(x)
        unused = x.sum()  # noqa: F841  (kept in the graph, as torch keeps it)
        b = torch.cos(y)
        m = x.max(dim=0)
        return a + b, m.values


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x), inplace=True))


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv(x))))
        return self.head(x.flatten(1))


class Mutations(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("count", torch.zeros(3))
        self.register_buffer("scratch", torch.ones(3), persistent=False)
        self.lin = nn.Linear(3, 3)

    def forward(self, x):
        self.count.add_(1)
        x.mul_(2)
        return self.lin(x) + self.count + self.scratch


class Pytrees(nn.Module):
    def forward(self, x, d, n, *args, scale=1.0, **kw):
        y = x + d["a"] + d["b"][0] * n
        return {"sum": y, "pair": (y * scale, args[0] - kw["z"])}, n


class Shapes(nn.Module):
    def forward(self, x, idx):
        a = x[1:, ::2].transpose(0, 1).reshape(-1)
        b = torch.cat([x[:, 0], x[0]], dim=0)
        c = x.view(4, 3).softmax(dim=-1)[idx]
        d = torch.where(x > 0, x, 0.0).sum(dim=1, keepdim=True)
        e = x.unsqueeze(0).expand(2, 3, 4).permute(2, 0, 1).mean(0)
        return a, b, c, d, e, x[..., None].squeeze(-1).clamp(-0.5, 0.5)


class Constants(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.ones(4) * 3
        self.unused = torch.zeros(2)

    def forward(self, x):
        return x * self.scale + torch.tensor([1.0, 2.0, 3.0, 4.0]) + torch.zeros(4)


class CastsAndItems(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)

    def forward(self, x, scale):
        counts = x.int() + 1
        s = scale.item()
        return self.lin(x) * s, counts.to(torch.float64), s * 2.0


CASES = [
    ("sin_cos", SinCos, lambda: (torch.randn(10, 10), torch.randn(10, 10)), dict),
    ("mlp", MLP, lambda: (torch.randn(5, 8),), dict),
    ("convnet", lambda: ConvNet().eval(), lambda: (torch.randn(2, 3, 8, 8),), dict),
    ("mutations", Mutations, lambda: (torch.randn(4, 3),), dict),
    ("pytrees", Pytrees, lambda: (torch.randn(3), {"a": torch.ones(3), "b": [torch.ones(3)]}, 2, torch.ones(3)),
     lambda: {"z": torch.ones(3)}),
    ("shapes", Shapes, lambda: (torch.randn(3, 4), torch.tensor([0, 2])), dict),
    ("constants", Constants, lambda: (torch.randn(4),), dict),
    ("casts_and_items", CastsAndItems, lambda: (torch.randn(2, 3), torch.tensor(0.5)), dict),
]
