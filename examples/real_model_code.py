"""Model code written for torch, unchanged: tied weights, memory layout, and a recurrent layer.

A small GPT-style language model in the way public model files write one, run under
`minexport.compat.as_torch()`:
  * the embedding and the output head share one weight (`head.weight = wte.weight`): the program lifts
    it under both names, as torch.export does;
  * attention's output is transposed back and `.contiguous()`d: the fake tensors carry torch's strides,
    so export records a copy only where torch does (after scaled_dot_product_attention the transposed
    result is already contiguous, so nothing is recorded), and `.view()` is checked against strides;
  * an LSTM reads the token embeddings first (torch records `aten.lstm.input` for it);
  * a weight-normed convolution (`nn.utils.parametrizations.weight_norm`) and rotary angles computed under
    `torch.no_grad()`, as HF's rotary embeddings do: torch records the block as a
    `wrap_with_set_grad_enabled` region and the weight as its two parametrization parameters.
"""
from minexport.compat import as_torch

with as_torch():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class TinyLM(nn.Module):
        def __init__(self, vocab=50, d=32, heads=4):
            super().__init__()
            self.heads = heads
            self.wte = nn.Embedding(vocab, d)
            self.rnn = nn.LSTM(d, d, batch_first=True)
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)
            self.head = nn.Linear(d, vocab, bias=False)
            self.head.weight = self.wte.weight              # tied weights

        def forward(self, idx):
            b, t = idx.shape
            x, _ = self.rnn(self.wte(idx))
            q, k, v = self.qkv(x).split(x.shape[-1], dim=2)
            q, k, v = (z.view(b, t, self.heads, -1).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = y.transpose(1, 2).contiguous().view(b, t, -1)
            return self.head(x + self.proj(y))[:, [-1], :]  # the last position's logits

    torch.manual_seed(0)
    model = TinyLM().eval()
    idx = torch.randint(0, 50, (2, 6))
    ep = torch.export.export(model, (idx,))

ops = [str(n.target) for n in ep.graph.nodes if n.op == "call_function"]
print("parameters lifted:", [s.target for s in ep.graph_signature.input_specs if s.kind.name == "PARAMETER"])
print("recurrent op:", [o for o in ops if "lstm" in o])
print("copies recorded for layout:", [o for o in ops if "clone" in o or "contiguous" in o])
with as_torch():
    q = torch.randn(2, 6, 4, 8).transpose(1, 2)            # (b, heads, t, d) viewed from (b, t, heads, d)
    y = F.scaled_dot_product_attention(q, q, q)
    print("sdpa output strides:", y.stride(), "-> transposed back is contiguous:", y.transpose(1, 2).is_contiguous())
print("same logits as eager:", bool((ep.module()(idx) == model(idx)).all()))

with as_torch():
    class RotaryConv(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.utils.parametrizations.weight_norm(nn.Conv1d(4, 4, 3, padding=1, groups=2), dim=2)
            self.register_buffer("inv_freq", 1.0 / 10000 ** (torch.arange(0, 4, 2).float() / 4), persistent=False)

        def forward(self, x, pos):
            with torch.no_grad():
                angles = pos[:, :, None].float() * self.inv_freq
            return self.conv(x) + torch.cat((angles.cos(), angles.sin()), -1).transpose(1, 2)

    rc = RotaryConv().eval()
    x, pos = torch.randn(2, 4, 5), torch.arange(5).expand(2, 5)
    ep2 = torch.export.export(rc, (x, pos))
print("grad region and weight norm:", [str(n.target) for n in ep2.graph.nodes if n.op == "call_function"][:3])
print("weight-norm parameters:", [s.target for s in ep2.graph_signature.input_specs
                                  if "parametrizations" in (s.target or "")])
print("same output as eager:", bool((ep2.module()(x, pos) - rc(x, pos)).abs().max() < 1e-6))
