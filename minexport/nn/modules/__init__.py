"""Layer classes of minexport.nn."""
from .activation import (CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU,
                         LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softmax2d,
                         Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .basic import Dropout, Embedding, Flatten, Identity, Linear, Unflatten
from .container import ModuleDict, ModuleList, Sequential
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, MaxPool2d
from .norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from .transformer import MultiheadAttention, TransformerEncoderLayer
