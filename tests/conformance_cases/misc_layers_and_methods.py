"""Embedding, GroupNorm, LayerNorm and tensor methods whose recorded overloads are easy to get wrong."""
import torch
class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(10, 4)
        self.gn = torch.nn.GroupNorm(2, 4)
        self.ln = torch.nn.LayerNorm(4)
    def forward(self, idx, x):
        e = self.emb(idx)
        y = self.gn(x) + self.ln(e).mean()
        z = torch.nn.functional.gelu(y).float().T
        return z.var(1), y.std(), x.mT, x.type_as(e), torch.nn.functional.pad(x, (1, 1)), x.new_zeros(2)
model = M().eval()
example_args = (torch.tensor([[1, 2], [3, 4]]), torch.randn(2, 4, 3))
