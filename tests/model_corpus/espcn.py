"""ESPCN-style super-resolution: convolutions with tanh, then sub-pixel upsampling with pixel_shuffle."""
import torch
import torch.nn as nn
import torch.nn.init as init
from torch.export import Dim


class SuperResolutionNet(nn.Module):
    def __init__(self, upscale_factor=3, inplace=False):
        super().__init__()
        self.relu = nn.ReLU(inplace=inplace)
        self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv3.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv4.weight)

    def forward(self, x):
        x = torch.tanh(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        return torch.sigmoid(self.pixel_shuffle(self.conv4(x)))


model = SuperResolutionNet().eval()
example_args = (torch.randn(2, 1, 12, 12),)
dynamic_shapes = {"x": {0: Dim("batch", max=8), 2: Dim("h", min=4, max=64), 3: Dim("w", min=4, max=64)}}
extra_inputs = [(torch.randn(2, 1, 9, 15),)]
