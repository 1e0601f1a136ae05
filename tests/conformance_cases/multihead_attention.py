"""MultiheadAttention with need_weights=True (the bmm/softmax path), sequence-first."""
import torch
class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = torch.nn.MultiheadAttention(16, 4)
    def forward(self, x):
        return self.attn(x, x, x)
model = M().eval()
example_args = (torch.randn(5, 2, 16),)
