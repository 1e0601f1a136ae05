"""Layer classes of minexport.nn."""
from .activation import (GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU,  # noqa: F401
                         Softmax, Tanh)
from .basic import Dropout, Embedding, Flatten, Identity, Linear, Unflatten  # noqa: F401
from .container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, MaxPool2d  # noqa: F401
from .norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm  # noqa: F401
from .transformer import MultiheadAttention, TransformerEncoderLayer  # noqa: F401
