"""run_decompositions() time against torch's on the same programs, in one run.

    python -m bench.decompose_speed [--repeat 5]

Programs: a conv net with batch norm (eval), a model that mutates a buffer and
an input, the 8-layer MLP and 2 TransformerEncoderLayers.  Goal: at least
50x faster than torch.
"""
import argparse

import minexport as me
import minexport.nn as mnn
from minexport.export import export

from ._common import median_time, optional_torch


def convnet(nn):
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * 4 * 4, 10)).eval()


def mutating(nn):
    class Mutates(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("count", _zeros(nn, 3))
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            self.count.add_(1)
            x.mul_(2)
            x[0].add_(1)
            return self.lin(x) + self.count
    return Mutates()


def _zeros(nn, n):
    return (me if nn is mnn else __import__("torch")).zeros(n)


def mlp(nn):
    layers = []
    for _ in range(8):
        layers += [nn.Linear(64, 64), nn.ReLU()]
    return nn.Sequential(*layers)


def encoder(nn):
    return nn.Sequential(*[nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True)
                           for _ in range(2)]).eval()


PROGRAMS = [("convnet", convnet, (2, 3, 8, 8)), ("mutating", mutating, (4, 3)), ("mlp8", mlp, (32, 64)),
            ("encoder2", encoder, (2, 16, 64))]



def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    torch = optional_torch()
    print(f"{'program':<10}{'minexport ms':>14}{'torch ms':>10}{'speedup':>9}")
    for name, make, shape in PROGRAMS:
        ep = export(make(mnn), (me.randn(*shape),))
        t_me = median_time(ep.run_decompositions, args.repeat)
        t_torch = float("nan")
        if torch is not None:
            tep = torch.export.export(make(torch.nn), (torch.randn(*shape),))
            t_torch = median_time(tep.run_decompositions, max(1, args.repeat // 2))
        print(f"{name:<10}{t_me * 1e3:>14.2f}{t_torch * 1e3:>10.1f}{t_torch / t_me:>8.1f}x")


if __name__ == "__main__":
    main()
