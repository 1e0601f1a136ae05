"""Benchmark models, each written once against a torch-like namespace (`torch` or `minexport`).

`gpt(torch)` is a GPT-style language model in the usual style: token and
position embeddings, pre-LayerNorm blocks with fused-QKV causal self-attention
(`scaled_dot_product_attention(is_causal=True)`) and a GELU MLP, a final
LayerNorm and an LM head tied to the token embedding.  Defaults: 8 blocks,
d=256, 8 heads, a 512-token vocabulary, context 64.
"""


def gpt(torch, n_layer=8, d=256, n_head=8, vocab=512, context=64):
    """A GPT-style model built with `torch`'s nn (works with minexport or torch)."""
    nn, F = torch.nn, torch.nn.functional

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(x).split(C, dim=2)
            q, k, v = (t.view(B, T, n_head, C // n_head).transpose(1, 2) for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.attn = nn.LayerNorm(d), Attention()
            self.ln2 = nn.LayerNorm(d)
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(context, d)
            self.blocks = nn.ModuleList([Block() for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab, bias=False)

        def forward(self, idx):
            T = idx.shape[1]
            x = self.tok(idx) + self.pos(torch.arange(T))
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln_f(x))

    return GPT().eval()


def copy_weights(src, dst):
    """Load `src`'s parameters (a minexport model) into `dst` (the same model in torch)."""
    import torch
    dst.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in src.state_dict().items()})


def numpy_mlp(model):
    """The hand-written NumPy forward of a Linear+ReLU stack (a minexport Sequential), from its weights.

    Each layer is one BLAS call plus an in-place bias add and ReLU: the
    floor an interpreter running the same graph can hope to reach.
    """
    import numpy as np
    weights = [(m.weight.numpy().T.copy(), m.bias.numpy()) for m in model if hasattr(m, "weight")]

    def forward(x):
        h = x
        for w, b in weights:
            h = h @ w
            h += b
            np.maximum(h, 0, out=h)
        return h
    return forward
