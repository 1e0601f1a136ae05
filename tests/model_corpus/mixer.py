"""MLP-Mixer-style with a cosine-classifier head and an MAE-style reconstruction head: reflect padding to a
multiple of the patch, patches from F.unfold and back with F.fold, token mixing on transposed tokens, nn.Sequential
built from an OrderedDict, F.normalize for the features and the class weights, a non-persistent logit-scale
buffer, weights initialized under a @torch.no_grad() decorator, a stochastic-depth helper that is the identity in
eval, and two outputs in an OrderedDict."""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.export import Dim


def stochastic_depth(input, p: float, mode: str, training: bool = True):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ["batch", "row"]:
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = torch.empty(size, dtype=input.dtype, device=input.device).bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


class StochasticDepth(nn.Module):
    def __init__(self, p: float, mode: str):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)


class MlpBlock(nn.Sequential):
    def __init__(self, dim, hidden, dropout=0.0):
        super().__init__(OrderedDict([
            ("fc1", nn.Linear(dim, hidden)),
            ("act", nn.GELU(approximate="tanh")),
            ("drop1", nn.Dropout(dropout)),
            ("fc2", nn.Linear(hidden, dim)),
            ("drop2", nn.Dropout(dropout)),
        ]))


class MixerBlock(nn.Module):
    def __init__(self, num_tokens, dim, token_hidden, channel_hidden, drop_path=0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.token_mix = MlpBlock(num_tokens, token_hidden)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.channel_mix = MlpBlock(dim, channel_hidden)
        self.drop_path = StochasticDepth(drop_path, "row")

    def forward(self, x):
        x = x + self.drop_path(self.token_mix(self.norm1(x).transpose(1, 2)).transpose(1, 2))
        return x + self.drop_path(self.channel_mix(self.norm2(x)))


class MlpMixer(nn.Module):
    def __init__(self, img=14, patch=4, in_chans=3, dim=24, depth=2, num_classes=6):
        super().__init__()
        self.patch = patch
        padded = -(-img // patch) * patch
        self.grid = padded // patch
        num_tokens = self.grid * self.grid
        self.stem = nn.Sequential(OrderedDict([
            ("proj", nn.Linear(in_chans * patch * patch, dim)),
            ("norm", nn.LayerNorm(dim)),
        ]))
        self.blocks = nn.Sequential(*[MixerBlock(num_tokens, dim, dim // 2, dim * 2, drop_path=0.1 * i)
                                      for i in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.class_weight = nn.Parameter(torch.randn(num_classes, dim))
        self.register_buffer("logit_scale", torch.tensor(16.0), persistent=False)
        self.decoder = nn.Linear(dim, in_chans * patch * patch)
        self.register_buffer("pixel_mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("pixel_std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.init_weights()

    @torch.no_grad()
    def init_weights(self):
        for name, m in self.named_modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6) if "token_mix" in name else nn.init.zeros_(m.bias)
        self.class_weight.mul_(0.5)

    def patchify(self, x):
        h, w = x.shape[-2:]
        pad_h, pad_w = (-h) % self.patch, (-w) % self.patch
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect")
        return F.unfold(x, kernel_size=self.patch, stride=self.patch).transpose(1, 2), x.shape[-2:]

    def forward(self, images):
        x = (images - self.pixel_mean) / self.pixel_std
        tokens, padded_hw = self.patchify(x)
        x = self.norm(self.blocks(self.stem(tokens)))

        feat = F.normalize(x.mean(dim=1), dim=-1)
        weight = F.normalize(self.class_weight, p=2.0, dim=1, eps=1e-12)
        logits = self.logit_scale * F.linear(feat, weight)

        patches = self.decoder(x).transpose(1, 2)
        recon = F.fold(patches, output_size=padded_hw, kernel_size=self.patch, stride=self.patch)
        recon = recon[..., :images.shape[-2], :images.shape[-1]] * self.pixel_std + self.pixel_mean
        return OrderedDict(logits=logits, reconstruction=recon)


model = MlpMixer().eval()
example_args = (torch.rand(2, 3, 14, 14),)
dynamic_shapes = {"images": {0: Dim("batch", max=64)}}
extra_inputs = [(torch.rand(5, 3, 14, 14),)]
