"""YOLO-style detector (v5/v8 flavour): Conv-BN-SiLU blocks with autopad, C2f (chunk/cat) and C3 (split) blocks,
SPPF with repeated max pooling, an FPN neck with nn.Upsample(scale_factor=2, mode='nearest') and a Concat module,
an anchor-based detect head whose grids are built in forward (arange, meshgrid, stack, expand) from a registered
anchors buffer and a constant strides tensor, with sigmoid().split, ** 2 and multi-scale view/cat; a dynamic batch
and image sizes that are multiples of 32."""
import math

import torch
import torch.nn as nn
from torch.export import Dim


def autopad(k, p=None, d=1):
    """Padding for 'same' shape outputs."""
    if d > 1:
        k = d * (k - 1) + 1 if isinstance(k, int) else [d * (x - 1) + 1 for x in k]
    if p is None:
        p = k // 2 if isinstance(k, int) else [x // 2 for x in k]
    return p


class Conv(nn.Module):
    default_act = nn.SiLU()

    def __init__(self, c1, c2, k=1, s=1, p=None, g=1, d=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, autopad(k, p, d), groups=g, dilation=d, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=0.001, momentum=0.03)
        self.act = self.default_act if act is True else act if isinstance(act, nn.Module) else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True, g=1, k=(3, 3), e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, k[0], 1)
        self.cv2 = Conv(c_, c2, k[1], 1, g=g)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        return x + self.cv2(self.cv1(x)) if self.add else self.cv2(self.cv1(x))


class C2f(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=False, g=1, e=0.5):
        super().__init__()
        self.c = int(c2 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, g, k=((3, 3), (3, 3)), e=1.0) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class C3(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True, g=1, e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, 2 * c_, 1, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, g, k=((1, 1), (3, 3)), e=1.0) for _ in range(n)))
        self.c_ = c_

    def forward(self, x):
        a, b = self.cv1(x).split((self.c_, self.c_), dim=1)
        return self.cv3(torch.cat((self.m(a), b), 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_ * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x):
        y = [self.cv1(x)]
        y.extend(self.m(y[-1]) for _ in range(3))
        return self.cv2(torch.cat(y, 1))


class Concat(nn.Module):
    def __init__(self, dimension=1):
        super().__init__()
        self.d = dimension

    def forward(self, x):
        return torch.cat(x, self.d)


class Detect(nn.Module):
    def __init__(self, nc=3, anchors=(), ch=(), strides=(8, 16, 32)):
        super().__init__()
        self.nc = nc
        self.no = nc + 5
        self.nl = len(anchors)
        self.na = len(anchors[0]) // 2
        self.stride = torch.tensor(strides, dtype=torch.float32)
        self.register_buffer("anchors", torch.tensor(anchors).float().view(self.nl, -1, 2) / self.stride.view(-1, 1, 1))
        self.m = nn.ModuleList(nn.Conv2d(x, self.no * self.na, 1) for x in ch)
        self._initialize_biases()

    def _initialize_biases(self):
        for mi, s in zip(self.m, self.stride):
            b = mi.bias.view(self.na, -1)
            b.data[:, 4] += math.log(8 / (640 / s) ** 2)
            b.data[:, 5:5 + self.nc] += math.log(0.6 / (self.nc - 0.99999))
            mi.bias = torch.nn.Parameter(b.view(-1), requires_grad=True)

    def forward(self, x):
        z = []
        for i in range(self.nl):
            x[i] = self.m[i](x[i])
            bs, _, ny, nx = x[i].shape
            x[i] = x[i].view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            grid, anchor_grid = self._make_grid(nx, ny, i)
            xy, wh, conf = x[i].sigmoid().split((2, 2, self.nc + 1), 4)
            xy = (xy * 2 + grid) * self.stride[i]
            wh = (wh * 2) ** 2 * anchor_grid
            y = torch.cat((xy, wh, conf), 4)
            z.append(y.view(bs, self.na * nx * ny, self.no))
        return torch.cat(z, 1), x

    def _make_grid(self, nx=20, ny=20, i=0):
        d = self.anchors[i].device
        t = self.anchors[i].dtype
        shape = 1, self.na, ny, nx, 2
        y, x = torch.arange(ny, device=d, dtype=t), torch.arange(nx, device=d, dtype=t)
        yv, xv = torch.meshgrid(y, x, indexing="ij")
        grid = torch.stack((xv, yv), 2).expand(shape) - 0.5
        anchor_grid = (self.anchors[i] * self.stride[i]).view((1, self.na, 1, 1, 2)).expand(shape)
        return grid, anchor_grid


class TinyYOLO(nn.Module):
    def __init__(self, nc=3, w=(8, 16, 32, 64)):
        super().__init__()
        self.stem = Conv(3, w[0], 3, 2)                                      # /2
        self.down1 = nn.Sequential(Conv(w[0], w[1], 3, 2), C2f(w[1], w[1], 1, True))  # /4
        self.down2 = nn.Sequential(Conv(w[1], w[1], 3, 2), C2f(w[1], w[1], 1, True))  # /8  -> P3
        self.down3 = nn.Sequential(Conv(w[1], w[2], 3, 2), C3(w[2], w[2], 1))         # /16 -> P4
        self.down4 = nn.Sequential(Conv(w[2], w[3], 3, 2), SPPF(w[3], w[3], 5))       # /32 -> P5
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.cat = Concat(1)
        self.head_p4 = C2f(w[3] + w[2], w[2], 1)
        self.head_p3 = C2f(w[2] + w[1], w[1], 1)
        self.down_p3 = Conv(w[1], w[1], 3, 2)
        self.head_n4 = C2f(w[1] + w[2], w[2], 1)
        self.down_n4 = Conv(w[2], w[2], 3, 2)
        self.head_n5 = C2f(w[2] + w[3], w[3], 1)
        anchors = ((10, 13, 16, 30, 33, 23), (30, 61, 62, 45, 59, 119), (116, 90, 156, 198, 373, 326))
        self.detect = Detect(nc, anchors, ch=(w[1], w[2], w[3]))

    def forward(self, x):
        p3 = self.down2(self.down1(self.stem(x)))
        p4 = self.down3(p3)
        p5 = self.down4(p4)
        h4 = self.head_p4(self.cat([self.up(p5), p4]))
        h3 = self.head_p3(self.cat([self.up(h4), p3]))
        n4 = self.head_n4(self.cat([self.down_p3(h3), h4]))
        n5 = self.head_n5(self.cat([self.down_n4(n4), p5]))
        return self.detect([h3, n4, n5])


def _randomize_bn(m):
    if isinstance(m, nn.BatchNorm2d):
        nn.init.uniform_(m.weight, 0.5, 1.5)
        nn.init.uniform_(m.bias, -0.2, 0.2)
        m.running_mean.uniform_(-0.1, 0.1)
        m.running_var.uniform_(0.5, 1.5)


model = TinyYOLO()
with torch.no_grad():
    model.apply(_randomize_bn)
model.eval()
example_args = (torch.randn(2, 3, 64, 96),)
dynamic_shapes = {"x": {0: Dim("batch", max=16), 2: 32 * Dim("h", min=1, max=20), 3: 32 * Dim("w", min=1, max=20)}}
extra_inputs = [(torch.randn(1, 3, 96, 64),)]
