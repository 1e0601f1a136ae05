"""Stable-diffusion-style UNet: sinusoidal timestep embedding (exp of -log(10000) * arange / half, cos/sin cat),
ResBlocks with float32 GroupNorm, SiLU and the time embedding added through [..., None] indexing, a spatial
transformer (GroupNorm, 1x1 projections, self-attention with einsum, cross-attention on a context with a padding
mask via baddbmm(beta=0) into torch.empty, masked_fill_ with -torch.finfo(dtype).max, GEGLU feed-forward),
TimestepEmbedSequential dispatch by isinstance, nearest F.interpolate upsampling, skip concatenation from a
popped list; dynamic batch and context length."""
import math
from abc import abstractmethod

import torch
import torch.nn.functional as F
from torch import nn
from torch.export import Dim


def exists(val):
    return val is not None


def default(val, d):
    return val if exists(val) else d


def zero_module(module):
    for p in module.parameters():
        p.detach().zero_()
    return module


def normalization(channels, groups=8):
    return GroupNorm32(groups, channels)


class GroupNorm32(nn.GroupNorm):
    def forward(self, x):
        return super().forward(x.float()).type(x.dtype)


def timestep_embedding(timesteps, dim, max_period=10000):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(start=0, end=half, dtype=torch.float32) / half).to(
        device=timesteps.device)
    args = timesteps[:, None].float() * freqs[None]
    embedding = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        embedding = torch.cat([embedding, torch.zeros_like(embedding[:, :1])], dim=-1)
    return embedding


class TimestepBlock(nn.Module):
    @abstractmethod
    def forward(self, x, emb):
        """Apply the module to `x` given `emb` timestep embeddings."""


class TimestepEmbedSequential(nn.Sequential, TimestepBlock):
    def forward(self, x, emb, context=None, context_mask=None):
        for layer in self:
            if isinstance(layer, TimestepBlock):
                x = layer(x, emb)
            elif isinstance(layer, SpatialTransformer):
                x = layer(x, context, context_mask)
            else:
                x = layer(x)
        return x


class Upsample(nn.Module):
    def __init__(self, channels, use_conv, out_channels=None):
        super().__init__()
        self.channels = channels
        self.out_channels = out_channels or channels
        self.use_conv = use_conv
        if use_conv:
            self.conv = nn.Conv2d(self.channels, self.out_channels, 3, padding=1)

    def forward(self, x):
        assert x.shape[1] == self.channels
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if self.use_conv:
            x = self.conv(x)
        return x


class Downsample(nn.Module):
    def __init__(self, channels, out_channels=None):
        super().__init__()
        self.op = nn.Conv2d(channels, out_channels or channels, 3, stride=2, padding=1)

    def forward(self, x):
        return self.op(x)


class ResBlock(TimestepBlock):
    def __init__(self, channels, emb_channels, dropout, out_channels=None):
        super().__init__()
        self.out_channels = out_channels or channels
        self.in_layers = nn.Sequential(normalization(channels), nn.SiLU(),
                                       nn.Conv2d(channels, self.out_channels, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, self.out_channels))
        self.out_layers = nn.Sequential(normalization(self.out_channels), nn.SiLU(), nn.Dropout(p=dropout),
                                        zero_module(nn.Conv2d(self.out_channels, self.out_channels, 3, padding=1)))
        if self.out_channels == channels:
            self.skip_connection = nn.Identity()
        else:
            self.skip_connection = nn.Conv2d(channels, self.out_channels, 1)

    def forward(self, x, emb):
        h = self.in_layers(x)
        emb_out = self.emb_layers(emb).type(h.dtype)
        while len(emb_out.shape) < len(h.shape):
            emb_out = emb_out[..., None]
        h = h + emb_out
        h = self.out_layers(h)
        return self.skip_connection(x) + h


class GEGLU(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x):
        x, gate = self.proj(x).chunk(2, dim=-1)
        return x * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, mult=2, dropout=0.0):
        super().__init__()
        inner_dim = int(dim * mult)
        self.net = nn.Sequential(GEGLU(dim, inner_dim), nn.Dropout(dropout), nn.Linear(inner_dim, dim))

    def forward(self, x):
        return self.net(x)


class CrossAttention(nn.Module):
    def __init__(self, query_dim, context_dim=None, heads=2, dim_head=8, dropout=0.0, use_baddbmm=False):
        super().__init__()
        inner_dim = dim_head * heads
        context_dim = default(context_dim, query_dim)
        self.scale = dim_head ** -0.5
        self.heads = heads
        self.use_baddbmm = use_baddbmm
        self.to_q = nn.Linear(query_dim, inner_dim, bias=False)
        self.to_k = nn.Linear(context_dim, inner_dim, bias=False)
        self.to_v = nn.Linear(context_dim, inner_dim, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner_dim, query_dim), nn.Dropout(dropout))

    def head_to_batch_dim(self, t):
        b, n, inner = t.shape
        h = self.heads
        return t.reshape(b, n, h, inner // h).permute(0, 2, 1, 3).reshape(b * h, n, inner // h)

    def batch_to_head_dim(self, t):
        bh, n, d = t.shape
        h = self.heads
        return t.reshape(bh // h, h, n, d).permute(0, 2, 1, 3).reshape(bh // h, n, h * d)

    def forward(self, x, context=None, mask=None):
        q = self.to_q(x)
        context = default(context, x)
        k = self.to_k(context)
        v = self.to_v(context)
        q, k, v = map(self.head_to_batch_dim, (q, k, v))

        if self.use_baddbmm:
            baddbmm_input = torch.empty(q.shape[0], q.shape[1], k.shape[1], dtype=q.dtype, device=q.device)
            sim = torch.baddbmm(baddbmm_input, q, k.transpose(-1, -2), beta=0, alpha=self.scale)
        else:
            sim = torch.einsum("b i d, b j d -> b i j", q, k) * self.scale

        if exists(mask):
            mask = mask.reshape(mask.shape[0], -1)
            max_neg_value = -torch.finfo(sim.dtype).max
            mask = mask[:, None, :].repeat_interleave(self.heads, dim=0)
            sim.masked_fill_(~mask, max_neg_value)

        attn = sim.softmax(dim=-1)
        out = torch.einsum("b i j, b j d -> b i d", attn, v) if not self.use_baddbmm else torch.bmm(attn, v)
        return self.to_out(self.batch_to_head_dim(out))


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, n_heads, d_head, context_dim=None):
        super().__init__()
        self.attn1 = CrossAttention(query_dim=dim, heads=n_heads, dim_head=d_head)
        self.ff = FeedForward(dim)
        self.attn2 = CrossAttention(query_dim=dim, context_dim=context_dim, heads=n_heads, dim_head=d_head,
                                    use_baddbmm=True)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)

    def forward(self, x, context=None, mask=None):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context=context, mask=mask) + x
        x = self.ff(self.norm3(x)) + x
        return x


class SpatialTransformer(nn.Module):
    def __init__(self, in_channels, n_heads, d_head, depth=1, context_dim=None):
        super().__init__()
        inner_dim = n_heads * d_head
        self.norm = torch.nn.GroupNorm(num_groups=8, num_channels=in_channels, eps=1e-6, affine=True)
        self.proj_in = nn.Conv2d(in_channels, inner_dim, kernel_size=1, stride=1, padding=0)
        self.transformer_blocks = nn.ModuleList(
            [BasicTransformerBlock(inner_dim, n_heads, d_head, context_dim=context_dim) for _ in range(depth)])
        self.proj_out = zero_module(nn.Conv2d(inner_dim, in_channels, kernel_size=1, stride=1, padding=0))

    def forward(self, x, context=None, mask=None):
        b, c, h, w = x.shape
        x_in = x
        x = self.norm(x)
        x = self.proj_in(x)
        inner = x.shape[1]
        x = x.permute(0, 2, 3, 1).reshape(b, h * w, inner)
        for block in self.transformer_blocks:
            x = block(x, context=context, mask=mask)
        x = x.reshape(b, h, w, inner).permute(0, 3, 1, 2).contiguous()
        x = self.proj_out(x)
        return x + x_in


class TinyUNet(nn.Module):
    def __init__(self, in_channels=4, model_channels=16, out_channels=4, channel_mult=(1, 2), num_heads=2,
                 context_dim=12, dropout=0.0):
        super().__init__()
        self.model_channels = model_channels
        time_embed_dim = model_channels * 4
        self.time_embed = nn.Sequential(nn.Linear(model_channels, time_embed_dim), nn.SiLU(),
                                        nn.Linear(time_embed_dim, time_embed_dim))
        self.input_blocks = nn.ModuleList([TimestepEmbedSequential(nn.Conv2d(in_channels, model_channels, 3,
                                                                             padding=1))])
        chans = [model_channels]
        ch = model_channels
        for level, mult in enumerate(channel_mult):
            layers = [ResBlock(ch, time_embed_dim, dropout, out_channels=mult * model_channels)]
            ch = mult * model_channels
            if level == len(channel_mult) - 1:
                layers.append(SpatialTransformer(ch, num_heads, ch // num_heads, context_dim=context_dim))
            self.input_blocks.append(TimestepEmbedSequential(*layers))
            chans.append(ch)
            if level != len(channel_mult) - 1:
                self.input_blocks.append(TimestepEmbedSequential(Downsample(ch)))
                chans.append(ch)
        self.middle_block = TimestepEmbedSequential(
            ResBlock(ch, time_embed_dim, dropout),
            SpatialTransformer(ch, num_heads, ch // num_heads, context_dim=context_dim),
            ResBlock(ch, time_embed_dim, dropout))
        self.output_blocks = nn.ModuleList([])
        for level, mult in list(enumerate(channel_mult))[::-1]:
            for i in range(2):
                ich = chans.pop()
                layers = [ResBlock(ch + ich, time_embed_dim, dropout, out_channels=model_channels * mult)]
                ch = model_channels * mult
                if level and i == 1:
                    layers.append(Upsample(ch, True))
                self.output_blocks.append(TimestepEmbedSequential(*layers))
        self.out = nn.Sequential(normalization(ch), nn.SiLU(), zero_module(nn.Conv2d(model_channels, out_channels,
                                                                                     3, padding=1)))

    def forward(self, x, timesteps, context, context_mask):
        hs = []
        t_emb = timestep_embedding(timesteps, self.model_channels)
        emb = self.time_embed(t_emb)
        h = x.type(torch.float32)
        for module in self.input_blocks:
            h = module(h, emb, context, context_mask)
            hs.append(h)
        h = self.middle_block(h, emb, context, context_mask)
        for module in self.output_blocks:
            h = torch.cat([h, hs.pop()], dim=1)
            h = module(h, emb, context, context_mask)
        h = h.type(x.dtype)
        return self.out(h)


def _as_if_trained(model):
    """Zero-initialized projections get small weights, as a trained checkpoint has."""
    with torch.no_grad():
        for p in model.parameters():
            if p.abs().sum() == 0:
                p.normal_(0, 0.05)
    return model


model = _as_if_trained(TinyUNet()).eval()
_mask = torch.ones(2, 5, dtype=torch.bool)
_mask[1, 3:] = False
example_args = (torch.randn(2, 4, 8, 8), torch.tensor([10.0, 500.0]), torch.randn(2, 5, 12), _mask)
batch, ctx = Dim("batch", max=8), Dim("ctx", max=77)
dynamic_shapes = {"x": {0: batch}, "timesteps": {0: batch}, "context": {0: batch, 1: ctx},
                  "context_mask": {0: batch, 1: ctx}}
_mask3 = torch.ones(3, 7, dtype=torch.bool)
_mask3[0, 2:] = False
extra_inputs = [(torch.randn(3, 4, 8, 8), torch.tensor([1.0, 250.0, 999.0]), torch.randn(3, 7, 12), _mask3)]
