"""minexport's main demo: build a small model with minexport.nn, export it, print the program, run it.

    python examples/demo.py

Everything is written as it would be against torch; minexport traces it into
torch.export's program form (ATen ops, lifted parameters, a graph signature)
and runs the program on NumPy.
"""
import minexport
import minexport.nn as nn
import minexport.nn.functional as F
from minexport.export import export


class SmallNet(nn.Module):
    """A conv stem, a pooled feature vector and a two-layer classifier head."""

    def __init__(self, num_classes=3):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, num_classes))

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = self.pool(x).flatten(1)
        return self.head(x).softmax(dim=-1)


def main():
    minexport.manual_seed(0)
    model = SmallNet().eval()
    images = minexport.randn(2, 3, 8, 8)
    eager = model(images)

    ep = export(model, (images,))
    print(ep)
    probs = ep.module()(images)
    print("class probabilities from the exported program:")
    print(probs)
    print("predicted classes:", probs.argmax(dim=-1).tolist())
    print("max |exported - eager| =", (probs - eager).abs().max().item())
    assert (probs - eager).abs().max().item() < 1e-6


if __name__ == "__main__":
    main()
