"""Mistral-style decoder: HF-style rotary computed in forward (inv_freq buffer expanded and matmul'ed with
position ids under autocast(enabled=False), cat/cos/sin, unsqueeze_dim), position ids from a left-padded mask
(cumsum, masked_fill_), a sliding-window causal mask from tril/triu(diagonal=...) and log, grouped-query attention
by repeat_kv, F.scaled_dot_product_attention with attn_mask and scale, SwiGLU, and last-token logits."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.export import Dim


class MistralRMSNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states.to(input_dtype)


class MistralRotaryEmbedding(nn.Module):
    def __init__(self, dim, base=10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.attention_scaling = 1.0

    @torch.no_grad()
    def forward(self, x, position_ids):
        inv_freq_expanded = self.inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1).to(x.device)
        position_ids_expanded = position_ids[:, None, :].float()
        device_type = x.device.type if isinstance(x.device.type, str) and x.device.type != "mps" else "cpu"
        with torch.autocast(device_type=device_type, enabled=False):
            freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
            emb = torch.cat((freqs, freqs), dim=-1)
            cos = emb.cos() * self.attention_scaling
            sin = emb.sin() * self.attention_scaling
        return cos.to(dtype=x.dtype), sin.to(dtype=x.dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin, unsqueeze_dim=1):
    cos = cos.unsqueeze(unsqueeze_dim)
    sin = sin.unsqueeze(unsqueeze_dim)
    q_embed = (q * cos) + (rotate_half(q) * sin)
    k_embed = (k * cos) + (rotate_half(k) * sin)
    return q_embed, k_embed


def repeat_kv(hidden_states, n_rep):
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


class MistralAttention(nn.Module):
    def __init__(self, hidden_size, num_heads, num_key_value_heads):
        super().__init__()
        self.head_dim = hidden_size // num_heads
        self.num_key_value_groups = num_heads // num_key_value_heads
        self.scaling = self.head_dim ** -0.5
        self.q_proj = nn.Linear(hidden_size, num_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(hidden_size, num_key_value_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(hidden_size, num_key_value_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(num_heads * self.head_dim, hidden_size, bias=False)

    def forward(self, hidden_states, position_embeddings, attention_mask):
        input_shape = hidden_states.shape[:-1]
        hidden_shape = (*input_shape, -1, self.head_dim)
        query_states = self.q_proj(hidden_states).view(hidden_shape).transpose(1, 2)
        key_states = self.k_proj(hidden_states).view(hidden_shape).transpose(1, 2)
        value_states = self.v_proj(hidden_states).view(hidden_shape).transpose(1, 2)
        cos, sin = position_embeddings
        query_states, key_states = apply_rotary_pos_emb(query_states, key_states, cos, sin)
        key_states = repeat_kv(key_states, self.num_key_value_groups)
        value_states = repeat_kv(value_states, self.num_key_value_groups)
        attn_output = F.scaled_dot_product_attention(query_states, key_states, value_states, attn_mask=attention_mask,
                                                     dropout_p=0.0, scale=self.scaling, is_causal=False)
        attn_output = attn_output.transpose(1, 2).contiguous()
        attn_output = attn_output.reshape(*input_shape, -1).contiguous()
        return self.o_proj(attn_output)


class MistralMLP(nn.Module):
    def __init__(self, hidden_size, intermediate_size):
        super().__init__()
        self.gate_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.up_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.down_proj = nn.Linear(intermediate_size, hidden_size, bias=False)
        self.act_fn = nn.SiLU()

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class MistralDecoderLayer(nn.Module):
    def __init__(self, hidden_size, num_heads, num_key_value_heads, intermediate_size):
        super().__init__()
        self.self_attn = MistralAttention(hidden_size, num_heads, num_key_value_heads)
        self.mlp = MistralMLP(hidden_size, intermediate_size)
        self.input_layernorm = MistralRMSNorm(hidden_size)
        self.post_attention_layernorm = MistralRMSNorm(hidden_size)

    def forward(self, hidden_states, attention_mask, position_embeddings):
        residual = hidden_states
        hidden_states = self.input_layernorm(hidden_states)
        hidden_states = self.self_attn(hidden_states, position_embeddings, attention_mask)
        hidden_states = residual + hidden_states
        residual = hidden_states
        hidden_states = self.post_attention_layernorm(hidden_states)
        return residual + self.mlp(hidden_states)


class MistralForCausalLM(nn.Module):
    def __init__(self, vocab_size=64, hidden_size=32, num_heads=4, num_key_value_heads=2, intermediate_size=64,
                 num_layers=2, sliding_window=4):
        super().__init__()
        self.sliding_window = sliding_window
        self.embed_tokens = nn.Embedding(vocab_size, hidden_size)
        self.layers = nn.ModuleList([MistralDecoderLayer(hidden_size, num_heads, num_key_value_heads,
                                                         intermediate_size) for _ in range(num_layers)])
        self.norm = MistralRMSNorm(hidden_size)
        self.rotary_emb = MistralRotaryEmbedding(hidden_size // num_heads)
        self.lm_head = nn.Linear(hidden_size, vocab_size, bias=False)

    def _sliding_window_mask(self, attention_mask, dtype):
        """Additive [batch, 1, seq, seq] mask: causal, at most `sliding_window` tokens back, padding masked."""
        seqlen = attention_mask.shape[-1]
        mask = torch.full((seqlen, seqlen), fill_value=1, device=attention_mask.device)
        mask = torch.tril(mask, diagonal=0).to(dtype)
        mask = torch.triu(mask, diagonal=-self.sliding_window)
        mask = torch.log(mask)
        padding = (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
        return mask[None, None, :, :] + padding

    def forward(self, input_ids, attention_mask):
        inputs_embeds = self.embed_tokens(input_ids)
        position_ids = attention_mask.long().cumsum(-1) - 1
        position_ids.masked_fill_(attention_mask == 0, 1)
        causal_mask = self._sliding_window_mask(attention_mask, inputs_embeds.dtype)
        hidden_states = inputs_embeds
        position_embeddings = self.rotary_emb(hidden_states, position_ids)
        for decoder_layer in self.layers:
            hidden_states = decoder_layer(hidden_states, causal_mask, position_embeddings)
        hidden_states = self.norm(hidden_states)
        logits_to_keep = 1
        return self.lm_head(hidden_states[:, -logits_to_keep:, :])


model = MistralForCausalLM().eval()
example_args = (torch.randint(1, 64, (2, 9)), torch.tensor([[0, 0, 1, 1, 1, 1, 1, 1, 1], [1] * 9]))
_batch, _seq = Dim("batch", max=8), Dim("seq", max=16)
dynamic_shapes = {"input_ids": {0: _batch, 1: _seq}, "attention_mask": {0: _batch, 1: _seq}}
extra_inputs = [(torch.randint(1, 64, (3, 16)), torch.ones(3, 16, dtype=torch.long)),
                (torch.randint(1, 64, (1, 2)), torch.tensor([[0, 1]]))]
