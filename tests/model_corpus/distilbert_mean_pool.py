"""DistilBERT-style sentence encoder with a sentence-transformers mean-pooling head: the attention mask made from
the input ids ((ids != pad).long()), masked_fill with a torch.tensor(finfo.min) value, expand_as, the masked mean
(expand(size()).float(), clamp(min=1e-9)), F.normalize and a cosine-similarity matrix."""
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.export import Dim


class Embeddings(nn.Module):
    def __init__(self, vocab_size, dim, max_position_embeddings, pad_token_id):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, dim, padding_idx=pad_token_id)
        self.position_embeddings = nn.Embedding(max_position_embeddings, dim)
        self.LayerNorm = nn.LayerNorm(dim, eps=1e-12)
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("position_ids", torch.arange(max_position_embeddings).expand((1, -1)), persistent=False)

    def forward(self, input_ids):
        seq_length = input_ids.size(1)
        if hasattr(self, "position_ids"):
            position_ids = self.position_ids[:, :seq_length]
        else:
            position_ids = torch.arange(seq_length, dtype=torch.long, device=input_ids.device)
            position_ids = position_ids.unsqueeze(0).expand_as(input_ids)
        embeddings = self.word_embeddings(input_ids) + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(embeddings))


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.dim = dim
        self.dropout = nn.Dropout(p=0.1)
        self.q_lin = nn.Linear(dim, dim)
        self.k_lin = nn.Linear(dim, dim)
        self.v_lin = nn.Linear(dim, dim)
        self.out_lin = nn.Linear(dim, dim)

    def forward(self, query, key, value, mask):
        bs, q_length, dim = query.size()
        k_length = key.size(1)
        dim_per_head = self.dim // self.n_heads
        mask_reshp = (bs, 1, 1, k_length)

        def shape(x):
            return x.view(bs, -1, self.n_heads, dim_per_head).transpose(1, 2)

        def unshape(x):
            return x.transpose(1, 2).contiguous().view(bs, -1, self.n_heads * dim_per_head)

        q = shape(self.q_lin(query))
        k = shape(self.k_lin(key))
        v = shape(self.v_lin(value))
        q = q / math.sqrt(dim_per_head)
        scores = torch.matmul(q, k.transpose(2, 3))
        mask = (mask == 0).view(mask_reshp).expand_as(scores)
        scores = scores.masked_fill(mask, torch.tensor(torch.finfo(scores.dtype).min))
        weights = nn.functional.softmax(scores, dim=-1)
        weights = self.dropout(weights)
        context = unshape(torch.matmul(weights, v))
        return self.out_lin(context)


class FFN(nn.Module):
    def __init__(self, dim, hidden_dim):
        super().__init__()
        self.dropout = nn.Dropout(p=0.1)
        self.lin1 = nn.Linear(dim, hidden_dim)
        self.lin2 = nn.Linear(hidden_dim, dim)
        self.activation = nn.GELU()

    def forward(self, input):
        return self.dropout(self.lin2(self.activation(self.lin1(input))))


class TransformerBlock(nn.Module):
    def __init__(self, dim, n_heads, hidden_dim):
        super().__init__()
        self.attention = MultiHeadSelfAttention(dim, n_heads)
        self.sa_layer_norm = nn.LayerNorm(normalized_shape=dim, eps=1e-12)
        self.ffn = FFN(dim, hidden_dim)
        self.output_layer_norm = nn.LayerNorm(normalized_shape=dim, eps=1e-12)

    def forward(self, x, attn_mask):
        sa_output = self.attention(query=x, key=x, value=x, mask=attn_mask)
        sa_output = self.sa_layer_norm(sa_output + x)
        ffn_output = self.ffn(sa_output)
        return self.output_layer_norm(ffn_output + sa_output)


class DistilBertModel(nn.Module):
    def __init__(self, vocab_size=60, dim=32, n_heads=4, hidden_dim=64, n_layers=2, max_position_embeddings=24,
                 pad_token_id=0):
        super().__init__()
        self.embeddings = Embeddings(vocab_size, dim, max_position_embeddings, pad_token_id)
        self.layer = nn.ModuleList([TransformerBlock(dim, n_heads, hidden_dim) for _ in range(n_layers)])

    def forward(self, input_ids, attention_mask):
        hidden_state = self.embeddings(input_ids)
        for layer_module in self.layer:
            hidden_state = layer_module(hidden_state, attention_mask)
        return (hidden_state,)


class SentenceEncoder(nn.Module):
    """Mean pooling over the non-padding tokens, L2-normalized; returns the embeddings and their cosine matrix."""

    def __init__(self, pad_token_id=0):
        super().__init__()
        self.pad_token_id = pad_token_id
        self.bert = DistilBertModel(pad_token_id=pad_token_id)

    @staticmethod
    def mean_pooling(model_output, attention_mask):
        token_embeddings = model_output[0]
        input_mask_expanded = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).float()
        sum_embeddings = torch.sum(token_embeddings * input_mask_expanded, 1)
        sum_mask = torch.clamp(input_mask_expanded.sum(1), min=1e-9)
        return sum_embeddings / sum_mask

    def forward(self, input_ids):
        attention_mask = (input_ids != self.pad_token_id).long()
        model_output = self.bert(input_ids, attention_mask)
        embeddings = self.mean_pooling(model_output, attention_mask)
        embeddings = F.normalize(embeddings, p=2, dim=1)
        return embeddings, torch.mm(embeddings, embeddings.transpose(0, 1))


model = SentenceEncoder().eval()
example_args = (torch.tensor([[5, 17, 9, 33, 2, 0, 0], [8, 41, 12, 7, 19, 23, 2], [3, 2, 0, 0, 0, 0, 0]]),)
dynamic_shapes = {"input_ids": {0: Dim("batch", max=16), 1: Dim("seq", max=24)}}
extra_inputs = [(torch.tensor([[4, 9, 2, 0], [6, 2, 0, 0]]),),
                (torch.randint(1, 60, (5, 24)),)]
