"""Layer classes of minexport.nn."""
from .activation import (GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU,
                         Softmax, Tanh)
from .basic import Dropout, Embedding, Flatten, Identity, Linear, Unflatten
from .container import ModuleDict, ModuleList, Sequential
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, MaxPool2d
from .norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from .transformer import MultiheadAttention, TransformerEncoderLayer
from .conv import Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss,
                   HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss,
                   MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss,
                   SoftMarginLoss, TripletMarginLoss)
from .basic import Bilinear
from .norm import RMSNorm
from .transformer import Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder
