"""T5-style encoder-decoder: RMS layer norm, bucketed relative position bias (log buckets, torch.where/min),
an embedding bias permuted to [1, heads, q, k], a causal mask built with repeat, cross attention, gated-GELU FFN,
a shared embedding and a scaled tied LM head."""
import math

import torch
from torch import nn
from torch.export import Dim


class T5LayerNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        if self.weight.dtype in [torch.float16, torch.bfloat16]:
            hidden_states = hidden_states.to(self.weight.dtype)
        return self.weight * hidden_states


class T5DenseGatedActDense(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.wi_0 = nn.Linear(d_model, d_ff, bias=False)
        self.wi_1 = nn.Linear(d_model, d_ff, bias=False)
        self.wo = nn.Linear(d_ff, d_model, bias=False)
        self.dropout = nn.Dropout(0.1)
        self.act = nn.GELU(approximate="tanh")

    def forward(self, hidden_states):
        hidden_gelu = self.act(self.wi_0(hidden_states))
        hidden_linear = self.wi_1(hidden_states)
        hidden_states = self.dropout(hidden_gelu * hidden_linear)
        return self.wo(hidden_states)


class T5Attention(nn.Module):
    def __init__(self, d_model, n_heads, d_kv, is_decoder, has_relative_attention_bias,
                 num_buckets=8, max_distance=16):
        super().__init__()
        self.is_decoder = is_decoder
        self.has_relative_attention_bias = has_relative_attention_bias
        self.relative_attention_num_buckets = num_buckets
        self.relative_attention_max_distance = max_distance
        self.n_heads = n_heads
        self.key_value_proj_dim = d_kv
        self.inner_dim = n_heads * d_kv
        self.q = nn.Linear(d_model, self.inner_dim, bias=False)
        self.k = nn.Linear(d_model, self.inner_dim, bias=False)
        self.v = nn.Linear(d_model, self.inner_dim, bias=False)
        self.o = nn.Linear(self.inner_dim, d_model, bias=False)
        if self.has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(num_buckets, n_heads)

    @staticmethod
    def _relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
        relative_buckets = 0
        if bidirectional:
            num_buckets //= 2
            relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
            relative_position = torch.abs(relative_position)
        else:
            relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
        max_exact = num_buckets // 2
        is_small = relative_position < max_exact
        relative_position_if_large = max_exact + (
            torch.log(relative_position.float() / max_exact)
            / math.log(max_distance / max_exact)
            * (num_buckets - max_exact)
        ).to(torch.long)
        relative_position_if_large = torch.min(
            relative_position_if_large, torch.full_like(relative_position_if_large, num_buckets - 1)
        )
        relative_buckets += torch.where(is_small, relative_position, relative_position_if_large)
        return relative_buckets

    def compute_bias(self, query_length, key_length, device=None):
        if device is None:
            device = self.relative_attention_bias.weight.device
        context_position = torch.arange(query_length, dtype=torch.long, device=device)[:, None]
        memory_position = torch.arange(key_length, dtype=torch.long, device=device)[None, :]
        relative_position = memory_position - context_position
        relative_position_bucket = self._relative_position_bucket(
            relative_position,
            bidirectional=(not self.is_decoder),
            num_buckets=self.relative_attention_num_buckets,
            max_distance=self.relative_attention_max_distance,
        )
        values = self.relative_attention_bias(relative_position_bucket)
        values = values.permute([2, 0, 1]).unsqueeze(0)
        return values

    def forward(self, hidden_states, mask=None, key_value_states=None, position_bias=None):
        batch_size, seq_length = hidden_states.shape[:2]
        is_cross_attention = key_value_states is not None
        query_states = self.q(hidden_states).view(batch_size, -1, self.n_heads, self.key_value_proj_dim)
        query_states = query_states.transpose(1, 2)
        current_states = key_value_states if is_cross_attention else hidden_states
        key_states = self.k(current_states).view(batch_size, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)
        value_states = self.v(current_states).view(batch_size, -1, self.n_heads, self.key_value_proj_dim)
        value_states = value_states.transpose(1, 2)

        scores = torch.matmul(query_states, key_states.transpose(3, 2))
        if position_bias is None:
            key_length = key_states.shape[-2]
            if not self.has_relative_attention_bias:
                position_bias = torch.zeros(
                    (1, self.n_heads, seq_length, key_length), device=scores.device, dtype=scores.dtype
                )
            else:
                position_bias = self.compute_bias(seq_length, key_length, device=scores.device)
            if mask is not None:
                position_bias = position_bias + mask
        scores += position_bias
        attn_weights = nn.functional.softmax(scores.float(), dim=-1).type_as(scores)
        attn_weights = nn.functional.dropout(attn_weights, p=0.1, training=self.training)
        attn_output = torch.matmul(attn_weights, value_states)
        attn_output = attn_output.transpose(1, 2).contiguous()
        attn_output = attn_output.view(batch_size, -1, self.inner_dim)
        return self.o(attn_output), position_bias


class T5LayerSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads, d_kv, is_decoder, has_relative_attention_bias):
        super().__init__()
        self.SelfAttention = T5Attention(d_model, n_heads, d_kv, is_decoder, has_relative_attention_bias)
        self.layer_norm = T5LayerNorm(d_model)
        self.dropout = nn.Dropout(0.1)

    def forward(self, hidden_states, attention_mask=None, position_bias=None):
        normed = self.layer_norm(hidden_states)
        attention_output, position_bias = self.SelfAttention(normed, mask=attention_mask, position_bias=position_bias)
        return hidden_states + self.dropout(attention_output), position_bias


class T5LayerCrossAttention(nn.Module):
    def __init__(self, d_model, n_heads, d_kv):
        super().__init__()
        self.EncDecAttention = T5Attention(d_model, n_heads, d_kv, True, has_relative_attention_bias=False)
        self.layer_norm = T5LayerNorm(d_model)
        self.dropout = nn.Dropout(0.1)

    def forward(self, hidden_states, key_value_states, attention_mask=None, position_bias=None):
        normed = self.layer_norm(hidden_states)
        attention_output, position_bias = self.EncDecAttention(
            normed, mask=attention_mask, key_value_states=key_value_states, position_bias=position_bias)
        return hidden_states + self.dropout(attention_output), position_bias


class T5LayerFF(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.DenseReluDense = T5DenseGatedActDense(d_model, d_ff)
        self.layer_norm = T5LayerNorm(d_model)
        self.dropout = nn.Dropout(0.1)

    def forward(self, hidden_states):
        forwarded_states = self.DenseReluDense(self.layer_norm(hidden_states))
        return hidden_states + self.dropout(forwarded_states)


class T5Block(nn.Module):
    def __init__(self, d_model, n_heads, d_kv, d_ff, is_decoder, has_relative_attention_bias):
        super().__init__()
        self.is_decoder = is_decoder
        self.layer = nn.ModuleList()
        self.layer.append(T5LayerSelfAttention(d_model, n_heads, d_kv, is_decoder, has_relative_attention_bias))
        if self.is_decoder:
            self.layer.append(T5LayerCrossAttention(d_model, n_heads, d_kv))
        self.layer.append(T5LayerFF(d_model, d_ff))

    def forward(self, hidden_states, attention_mask=None, position_bias=None, encoder_hidden_states=None,
                encoder_attention_mask=None, encoder_decoder_position_bias=None):
        hidden_states, position_bias = self.layer[0](hidden_states, attention_mask, position_bias)
        if hidden_states.dtype == torch.float16:
            clamp_value = torch.where(
                torch.isinf(hidden_states).any(),
                torch.finfo(hidden_states.dtype).max - 1000,
                torch.finfo(hidden_states.dtype).max,
            )
            hidden_states = torch.clamp(hidden_states, min=-clamp_value, max=clamp_value)
        if self.is_decoder and encoder_hidden_states is not None:
            hidden_states, encoder_decoder_position_bias = self.layer[1](
                hidden_states, encoder_hidden_states, encoder_attention_mask, encoder_decoder_position_bias)
        hidden_states = self.layer[-1](hidden_states)
        return hidden_states, position_bias, encoder_decoder_position_bias


class T5Stack(nn.Module):
    def __init__(self, embed_tokens, d_model, n_heads, d_kv, d_ff, num_layers, is_decoder):
        super().__init__()
        self.embed_tokens = embed_tokens
        self.is_decoder = is_decoder
        self.block = nn.ModuleList(
            [T5Block(d_model, n_heads, d_kv, d_ff, is_decoder, has_relative_attention_bias=bool(i == 0))
             for i in range(num_layers)])
        self.final_layer_norm = T5LayerNorm(d_model)
        self.dropout = nn.Dropout(0.1)

    def _extended_mask(self, attention_mask, dtype):
        """[batch, k] 1/0 mask -> additive [batch, 1, 1 or q, k] mask (causal below the diagonal in the decoder)."""
        if self.is_decoder:
            batch_size, seq_length = attention_mask.shape
            seq_ids = torch.arange(seq_length, device=attention_mask.device)
            causal_mask = seq_ids[None, None, :].repeat(batch_size, seq_length, 1) <= seq_ids[None, :, None]
            causal_mask = causal_mask.to(attention_mask.dtype)
            extended = causal_mask[:, None, :, :] * attention_mask[:, None, None, :]
        else:
            extended = attention_mask[:, None, None, :]
        extended = extended.to(dtype=dtype)
        return (1.0 - extended) * torch.finfo(dtype).min

    def forward(self, input_ids, attention_mask=None, encoder_hidden_states=None, encoder_attention_mask=None):
        input_shape = input_ids.size()
        input_ids = input_ids.view(-1, input_shape[-1])
        inputs_embeds = self.embed_tokens(input_ids)
        batch_size, seq_length = input_shape
        if attention_mask is None:
            attention_mask = torch.ones(batch_size, seq_length, device=inputs_embeds.device)
        extended_attention_mask = self._extended_mask(attention_mask, inputs_embeds.dtype)
        encoder_extended_attention_mask = None
        if self.is_decoder and encoder_hidden_states is not None:
            encoder_extended_attention_mask = encoder_attention_mask[:, None, None, :].to(dtype=inputs_embeds.dtype)
            encoder_extended_attention_mask = (1.0 - encoder_extended_attention_mask) * torch.finfo(
                inputs_embeds.dtype).min
        position_bias = None
        encoder_decoder_position_bias = None
        hidden_states = self.dropout(inputs_embeds)
        for layer_module in self.block:
            hidden_states, position_bias, encoder_decoder_position_bias = layer_module(
                hidden_states, extended_attention_mask, position_bias, encoder_hidden_states,
                encoder_extended_attention_mask, encoder_decoder_position_bias)
        hidden_states = self.final_layer_norm(hidden_states)
        return self.dropout(hidden_states)


class T5ForConditionalGeneration(nn.Module):
    def __init__(self, vocab_size=48, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4):
        super().__init__()
        self.model_dim = d_model
        self.shared = nn.Embedding(vocab_size, d_model)
        self.encoder = T5Stack(self.shared, d_model, num_heads, d_kv, d_ff, num_layers, is_decoder=False)
        self.decoder = T5Stack(self.shared, d_model, num_heads, d_kv, d_ff, num_layers, is_decoder=True)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        self.lm_head.weight = self.shared.weight

    def forward(self, input_ids, attention_mask, decoder_input_ids):
        encoder_outputs = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        sequence_output = self.decoder(input_ids=decoder_input_ids, encoder_hidden_states=encoder_outputs,
                                       encoder_attention_mask=attention_mask)
        sequence_output = sequence_output * (self.model_dim ** -0.5)
        return self.lm_head(sequence_output)


model = T5ForConditionalGeneration().eval()
example_args = (torch.randint(0, 48, (2, 9)), torch.tensor([[1] * 9, [1] * 6 + [0] * 3]), torch.randint(0, 48, (2, 5)))
_batch = Dim("batch", max=8)
dynamic_shapes = {"input_ids": {0: _batch, 1: Dim("src_len", max=32)},
                  "attention_mask": {0: _batch, 1: Dim("src_len", max=32)},
                  "decoder_input_ids": {0: _batch, 1: Dim("tgt_len", max=32)}}
extra_inputs = [(torch.randint(0, 48, (3, 20)), torch.ones(3, 20, dtype=torch.long), torch.randint(0, 48, (3, 2))),
                (torch.randint(0, 48, (1, 3)), torch.tensor([[1, 1, 0]]), torch.randint(0, 48, (1, 17)))]
