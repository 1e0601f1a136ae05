"""minexport's main demo: build a small model with minexport.nn and run it eagerly.

    python examples/demo.py

Everything below is written exactly as it would be against torch; minexport
runs it on NumPy, with torch's dtypes, promotion rules and layer math.
"""
import minexport
import minexport.nn as nn
import minexport.nn.functional as F


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
    probs = model(images)
    print(model)
    print("parameters:", sum(p.numel() for p in model.parameters()))
    print("input:", images.shape, images.dtype)
    print("class probabilities:")
    print(probs)
    print("predicted classes:", probs.argmax(dim=-1).tolist())
    assert abs(float(probs.sum()) - 2.0) < 1e-5, "each row of a softmax sums to one"


if __name__ == "__main__":
    main()
