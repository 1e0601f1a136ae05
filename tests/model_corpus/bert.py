"""BERT-style encoder: word + position + token-type embeddings, an extended additive attention mask, GELU, pooler."""
import math

import torch
import torch.nn as nn
from torch.export import Dim


class BertEmbeddings(nn.Module):
    def __init__(self, vocab, d, max_pos, type_vocab):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d, padding_idx=0)
        self.position_embeddings = nn.Embedding(max_pos, d)
        self.token_type_embeddings = nn.Embedding(type_vocab, d)
        self.LayerNorm = nn.LayerNorm(d, eps=1e-12)
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("position_ids", torch.arange(max_pos).expand((1, -1)), persistent=False)

    def forward(self, input_ids, token_type_ids):
        seq_length = input_ids.size(1)
        position_ids = self.position_ids[:, :seq_length]
        emb = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        emb = emb + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(emb))


class BertSelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.num_attention_heads = heads
        self.attention_head_size = d // heads
        self.all_head_size = d
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)

    def transpose_for_scores(self, x):
        new_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        return x.view(new_shape).permute(0, 2, 1, 3)

    def forward(self, hidden, attention_mask):
        q = self.transpose_for_scores(self.query(hidden))
        k = self.transpose_for_scores(self.key(hidden))
        v = self.transpose_for_scores(self.value(hidden))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
        probs = nn.functional.softmax(scores + attention_mask, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (self.all_head_size,))


class BertLayer(nn.Module):
    def __init__(self, d, heads, inter):
        super().__init__()
        self.attention = BertSelfAttention(d, heads)
        self.attn_out = nn.Linear(d, d)
        self.attn_norm = nn.LayerNorm(d, eps=1e-12)
        self.intermediate = nn.Linear(d, inter)
        self.output = nn.Linear(inter, d)
        self.out_norm = nn.LayerNorm(d, eps=1e-12)

    def forward(self, hidden, mask):
        a = self.attn_norm(self.attn_out(self.attention(hidden, mask)) + hidden)
        i = nn.functional.gelu(self.intermediate(a))
        return self.out_norm(self.output(i) + a)


class BertModel(nn.Module):
    def __init__(self, vocab=40, d=32, heads=4, layers=2, max_pos=16, type_vocab=2):
        super().__init__()
        self.embeddings = BertEmbeddings(vocab, d, max_pos, type_vocab)
        self.layer = nn.ModuleList([BertLayer(d, heads, 2 * d) for _ in range(layers)])
        self.pooler = nn.Linear(d, d)

    def forward(self, input_ids, token_type_ids, attention_mask):
        ext = attention_mask[:, None, None, :].to(dtype=torch.float32)
        ext = (1.0 - ext) * torch.finfo(torch.float32).min
        hidden = self.embeddings(input_ids, token_type_ids)
        for layer in self.layer:
            hidden = layer(hidden, ext)
        pooled = torch.tanh(self.pooler(hidden[:, 0]))
        return hidden, pooled


model = BertModel().eval()
example_args = (torch.randint(1, 40, (2, 7)), torch.randint(0, 2, (2, 7)),
                torch.tensor([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]]))
_batch, _seq = Dim("batch", max=8), Dim("seq", max=16)
dynamic_shapes = {"input_ids": {0: _batch, 1: _seq}, "token_type_ids": {0: _batch, 1: _seq},
                  "attention_mask": {0: _batch, 1: _seq}}
extra_inputs = [(torch.randint(1, 40, (3, 16)), torch.zeros(3, 16, dtype=torch.long),
                  torch.ones(3, 16, dtype=torch.long))]
