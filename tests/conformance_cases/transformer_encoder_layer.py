"""TransformerEncoderLayer in eval mode, batch_first: the ops torch records for its attention block."""
import torch
model = torch.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True).eval()
example_args = (torch.randn(2, 5, 16),)
