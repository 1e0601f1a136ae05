"""MobileNetV3-style: inverted residuals with depthwise convs, squeeze-excitation, hardswish and hardsigmoid."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.export import Dim


def _make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class SqueezeExcitation(nn.Module):
    def __init__(self, channels, squeeze):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x):
        scale = F.adaptive_avg_pool2d(x, 1)
        scale = F.hardsigmoid(self.fc2(F.relu(self.fc1(scale))))
        return scale * x


class InvertedResidual(nn.Module):
    def __init__(self, cin, expand, cout, stride, use_se, use_hs):
        super().__init__()
        act = nn.Hardswish if use_hs else nn.ReLU
        layers = [nn.Conv2d(cin, expand, 1, bias=False), nn.BatchNorm2d(expand), act(),
                  nn.Conv2d(expand, expand, 3, stride, 1, groups=expand, bias=False), nn.BatchNorm2d(expand), act()]
        if use_se:
            layers.append(SqueezeExcitation(expand, _make_divisible(expand // 4)))
        layers += [nn.Conv2d(expand, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.block = nn.Sequential(*layers)
        self.use_res = stride == 1 and cin == cout

    def forward(self, x):
        out = self.block(x)
        return out + x if self.use_res else out


class MobileNetV3(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.Hardswish(),
            InvertedResidual(8, 16, 8, 1, True, False),
            InvertedResidual(8, 24, 16, 2, False, True),
            InvertedResidual(16, 32, 16, 1, True, True))
        self.classifier = nn.Sequential(nn.Linear(16, 32), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(32, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.classifier(x)


model = MobileNetV3().eval()
example_args = (torch.randn(2, 3, 32, 32),)
dynamic_shapes = {"x": {0: Dim("batch", max=16)}}
