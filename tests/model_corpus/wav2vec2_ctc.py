"""wav2vec2-style CTC model: a strided conv feature encoder (GroupNorm with one group per channel on the first
layer), the frame mask reduced from the sample mask (floor-divided lengths, index_put, flip/cumsum/flip),
masked frames zeroed by boolean setitem, a feature projection, a weight-normed grouped positional conv with its
trailing frame dropped, F.layer_norm, and a batch-first nn.TransformerEncoder with a key padding mask."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.export import Dim


class Wav2Vec2GroupNormConvLayer(nn.Module):
    def __init__(self, in_dim, out_dim, kernel, stride):
        super().__init__()
        self.conv = nn.Conv1d(in_dim, out_dim, kernel_size=kernel, stride=stride, bias=False)
        self.activation = nn.GELU()
        self.layer_norm = nn.GroupNorm(num_groups=out_dim, num_channels=out_dim, affine=True)

    def forward(self, hidden_states):
        return self.activation(self.layer_norm(self.conv(hidden_states)))


class Wav2Vec2NoLayerNormConvLayer(nn.Module):
    def __init__(self, in_dim, out_dim, kernel, stride):
        super().__init__()
        self.conv = nn.Conv1d(in_dim, out_dim, kernel_size=kernel, stride=stride, bias=False)
        self.activation = nn.GELU()

    def forward(self, hidden_states):
        return self.activation(self.conv(hidden_states))


class Wav2Vec2FeatureEncoder(nn.Module):
    def __init__(self, conv_dim, conv_kernel, conv_stride):
        super().__init__()
        layers = [Wav2Vec2GroupNormConvLayer(1, conv_dim[0], conv_kernel[0], conv_stride[0])]
        for i in range(1, len(conv_dim)):
            layers.append(Wav2Vec2NoLayerNormConvLayer(conv_dim[i - 1], conv_dim[i], conv_kernel[i], conv_stride[i]))
        self.conv_layers = nn.ModuleList(layers)

    def forward(self, input_values):
        hidden_states = input_values[:, None]
        for conv_layer in self.conv_layers:
            hidden_states = conv_layer(hidden_states)
        return hidden_states


class Wav2Vec2FeatureProjection(nn.Module):
    def __init__(self, conv_dim, hidden_size, eps=1e-5):
        super().__init__()
        self.layer_norm = nn.LayerNorm(conv_dim, eps=eps)
        self.projection = nn.Linear(conv_dim, hidden_size)
        self.dropout = nn.Dropout(0.1)

    def forward(self, hidden_states):
        norm_hidden_states = self.layer_norm(hidden_states)
        hidden_states = self.dropout(self.projection(norm_hidden_states))
        return hidden_states, norm_hidden_states


class Wav2Vec2SamePadLayer(nn.Module):
    def __init__(self, num_conv_pos_embeddings):
        super().__init__()
        self.num_pad_remove = 1 if num_conv_pos_embeddings % 2 == 0 else 0

    def forward(self, hidden_states):
        if self.num_pad_remove > 0:
            hidden_states = hidden_states[:, :, : -self.num_pad_remove]
        return hidden_states


class Wav2Vec2PositionalConvEmbedding(nn.Module):
    def __init__(self, hidden_size, kernel, groups):
        super().__init__()
        self.conv = nn.Conv1d(hidden_size, hidden_size, kernel_size=kernel, padding=kernel // 2, groups=groups)
        weight_norm = nn.utils.weight_norm
        if hasattr(nn.utils.parametrizations, "weight_norm"):
            weight_norm = nn.utils.parametrizations.weight_norm
        self.conv = weight_norm(self.conv, name="weight", dim=2)
        self.padding = Wav2Vec2SamePadLayer(kernel)
        self.activation = nn.GELU()

    def forward(self, hidden_states):
        hidden_states = hidden_states.transpose(1, 2)
        hidden_states = self.conv(hidden_states)
        hidden_states = self.padding(hidden_states)
        hidden_states = self.activation(hidden_states)
        return hidden_states.transpose(1, 2)


class Wav2Vec2Encoder(nn.Module):
    def __init__(self, hidden_size, heads, intermediate, layers, pos_kernel, pos_groups, eps=1e-5):
        super().__init__()
        self.pos_conv_embed = Wav2Vec2PositionalConvEmbedding(hidden_size, pos_kernel, pos_groups)
        self.layer_norm_weight = nn.Parameter(torch.ones(hidden_size))
        self.layer_norm_bias = nn.Parameter(torch.zeros(hidden_size))
        self.eps = eps
        self.dropout = nn.Dropout(0.1)
        layer = nn.TransformerEncoderLayer(hidden_size, heads, intermediate, dropout=0.1, activation="gelu",
                                           batch_first=True)
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def forward(self, hidden_states, attention_mask):
        expand_attention_mask = attention_mask.unsqueeze(-1).repeat(1, 1, hidden_states.shape[2])
        hidden_states[~expand_attention_mask] = 0
        hidden_states = hidden_states + self.pos_conv_embed(hidden_states)
        hidden_states = F.layer_norm(hidden_states, (hidden_states.size(-1),), self.layer_norm_weight,
                                     self.layer_norm_bias, self.eps)
        hidden_states = self.dropout(hidden_states)
        return self.layers(hidden_states, src_key_padding_mask=~attention_mask)


class Wav2Vec2ForCTC(nn.Module):
    def __init__(self, conv_dim=(16, 16, 16), conv_kernel=(10, 3, 3), conv_stride=(5, 2, 2), hidden_size=32,
                 heads=4, intermediate=64, layers=2, pos_kernel=8, pos_groups=16, vocab_size=12):
        super().__init__()
        self.conv_kernel, self.conv_stride = conv_kernel, conv_stride
        self.feature_extractor = Wav2Vec2FeatureEncoder(conv_dim, conv_kernel, conv_stride)
        self.feature_projection = Wav2Vec2FeatureProjection(conv_dim[-1], hidden_size)
        self.encoder = Wav2Vec2Encoder(hidden_size, heads, intermediate, layers, pos_kernel, pos_groups)
        self.dropout = nn.Dropout(0.1)
        self.lm_head = nn.Linear(hidden_size, vocab_size)

    def _get_feat_extract_output_lengths(self, input_lengths):
        def _conv_out_length(input_length, kernel_size, stride):
            return torch.div(input_length - kernel_size, stride, rounding_mode="floor") + 1

        for kernel_size, stride in zip(self.conv_kernel, self.conv_stride):
            input_lengths = _conv_out_length(input_lengths, kernel_size, stride)
        return input_lengths

    def _get_feature_vector_attention_mask(self, feature_vector_length, attention_mask):
        non_padded_lengths = attention_mask.cumsum(dim=-1)[:, -1]
        output_lengths = self._get_feat_extract_output_lengths(non_padded_lengths).to(torch.long)
        batch_size = attention_mask.shape[0]
        attention_mask = torch.zeros(
            (batch_size, feature_vector_length), dtype=attention_mask.dtype, device=attention_mask.device)
        attention_mask[(torch.arange(attention_mask.shape[0], device=attention_mask.device), output_lengths - 1)] = 1
        return attention_mask.flip([-1]).cumsum(-1).flip([-1]).bool()

    def forward(self, input_values, attention_mask):
        extract_features = self.feature_extractor(input_values)
        extract_features = extract_features.transpose(1, 2)
        attention_mask = self._get_feature_vector_attention_mask(extract_features.shape[1], attention_mask)
        hidden_states, extract_features = self.feature_projection(extract_features)
        hidden_states = self.encoder(hidden_states, attention_mask)
        logits = self.lm_head(self.dropout(hidden_states))
        return logits, attention_mask.sum(-1)


model = Wav2Vec2ForCTC().eval()
_mask = torch.ones(2, 400, dtype=torch.long)
_mask[1, 310:] = 0
example_args = (torch.randn(2, 400), _mask)
_batch = Dim("batch", max=8)
dynamic_shapes = {"input_values": {0: _batch}, "attention_mask": {0: _batch}}
_mask3 = torch.ones(3, 400, dtype=torch.long)
_mask3[0, 123:] = 0
_mask3[2, 399:] = 0
extra_inputs = [(torch.randn(3, 400), _mask3)]
