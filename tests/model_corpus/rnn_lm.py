"""Word-level RNN language model (the word_language_model layout): embedding, LSTM/GRU, decoder, tied weights."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken=50, ninp=16, nhid=16, nlayers=2, dropout=0.0, tie_weights=True):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.decoder.out_features)
        return F.log_softmax(decoded, dim=1), hidden


class LstmAndGru(nn.Module):
    """One LSTM language model and one GRU language model side by side."""

    def __init__(self):
        super().__init__()
        self.lstm_lm = RNNModel("LSTM")
        self.gru_lm = RNNModel("GRU", tie_weights=False)

    def forward(self, tokens, h, c):
        lstm_out, (h1, c1) = self.lstm_lm(tokens, (h, c))
        gru_out, h2 = self.gru_lm(tokens, h)
        return lstm_out, h1, c1, gru_out, h2


model = LstmAndGru().eval()
example_args = (torch.randint(0, 50, (5, 2)), torch.zeros(2, 2, 16), torch.zeros(2, 2, 16))
