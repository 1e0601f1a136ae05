"""Export a model written against torch's API, without torch: minexport stands in for it.

Inside `minexport.compat.as_torch()`, `import torch` (and torch.nn, torch.export,
...) resolve to minexport; the same file runs under real torch unchanged.
`python -m minexport.compat some_script.py` does the same for a whole script.
"""
from minexport.compat import as_torch

with as_torch():
    import torch
    import torch.nn.functional as F

    class TinyAttention(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = torch.nn.Linear(16, 48)
            self.out = torch.nn.Linear(16, 16)

        def forward(self, x):
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.out(y)

    torch.manual_seed(0)
    ep = torch.export.export(TinyAttention(), (torch.randn(2, 5, 16),))

print(ep)
