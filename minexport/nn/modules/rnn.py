"""Recurrent layers: RNN, LSTM, GRU and their cells, with torch's parameters, init and ops.

Each layer calls the one ATen op torch records (`aten.lstm.input`,
`aten.gru.input`, `aten.rnn_tanh.input`, `aten.rnn_relu.input`, and the
`*_cell` ops), after torch's own argument handling: unbatched inputs get a
batch dim, a missing hidden state is zeros.  Packed sequences are refused.
"""
import math
import numbers
import warnings

from ... import _factories as fac
from ...ops import aten
from .. import init
from ..module import Module
from ..parameter import Parameter

# mode -> (gates per hidden unit, the sequence op)
_MODES = {"LSTM": (4, "lstm"), "GRU": (3, "gru"), "RNN_TANH": (1, "rnn_tanh"), "RNN_RELU": (1, "rnn_relu")}


def _refuse_packed(input):
    if type(input).__name__ == "PackedSequence" or not hasattr(input, "dim"):
        raise TypeError(f"recurrent layers take a Tensor input; packed sequences ({type(input).__name__}) "
                        "are not supported by minexport")


class RNNBase(Module):
    """What RNN, LSTM and GRU share: arguments, parameters per layer and direction, init, checks."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _MODES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = _MODES[mode][0] * hidden_size
        real_hidden = proj_size or hidden_size
        directions = 2 if bidirectional else 1
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    setattr(self, base + suffix, Parameter(fac.empty(*shape, **kw)))
                    names.append(base + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters, one list per layer and direction."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op: cuDNN's packed weight buffer does not exist here."""

    def reset_parameters(self):
        """torch's default: every weight and bias U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self._flat_weights:
            init.uniform_(w, -stdv, stdv)

    def _state_sizes(self):
        directions = 2 if self.bidirectional else 1
        return self.num_layers * directions, self.proj_size or self.hidden_size

    def _prepare(self, input, hx_list):
        """torch's argument handling: (batched input, hidden states, whether the input was batched)."""
        _refuse_packed(input)
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")
        if not batched:
            input = input.unsqueeze(batch_dim)
            if hx_list is not None:
                for h in hx_list:
                    if h.dim() != 2:
                        raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                           f"{h.dim()}-D tensor")
                hx_list = [h.unsqueeze(1) for h in hx_list]
        elif hx_list is not None:
            for h in hx_list:
                if h.dim() != 3:
                    raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {h.dim()}-D tensor")
        return input, hx_list, batched

    def _check_hidden(self, h, expected, what="hidden"):
        if tuple(h.shape) != tuple(expected):
            raise RuntimeError(f"Expected {what} size {tuple(expected)}, got {list(h.shape)}")

    def _run(self, input, hx):
        op = getattr(aten, _MODES[self.mode][1]).input
        return op(input, hx, self._flat_weights, self.bias, self.num_layers, self.dropout, self.training,
                  self.bidirectional, self.batch_first)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class _SingleStateRNN(RNNBase):
    """RNN and GRU: one hidden state h."""

    def forward(self, input, hx=None):
        """(output, h_n)."""
        input, hx_list, batched = self._prepare(input, None if hx is None else [hx])
        layers, size = self._state_sizes()
        batch = input.shape[0 if self.batch_first else 1]
        if hx_list is None:
            hx = fac.zeros(layers, batch, size, dtype=input.dtype, device=input.device)
        else:
            hx = hx_list[0]
            self._check_hidden(hx, (layers, batch, size))
        output, hidden = self._run(input, hx)
        if not batched:
            output, hidden = output.squeeze(0 if self.batch_first else 1), hidden.squeeze(1)
        return output, hidden


class RNN(_SingleStateRNN):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if nonlinearity not in modes:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(modes[nonlinearity], input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


class GRU(_SingleStateRNN):
    """Gated recurrent unit (reset, update and new gates)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class LSTM(RNNBase):
    """Long short-term memory (input, forget, cell and output gates), with an optional projection."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def forward(self, input, hx=None):
        """(output, (h_n, c_n))."""
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError("LSTM expects hx as a tuple (h_0, c_0)")
        input, hx_list, batched = self._prepare(input, None if hx is None else list(hx))
        layers, size = self._state_sizes()
        batch = input.shape[0 if self.batch_first else 1]
        if hx_list is None:
            kw = {"dtype": input.dtype, "device": input.device}
            hx_list = [fac.zeros(layers, batch, size, **kw), fac.zeros(layers, batch, self.hidden_size, **kw)]
        else:
            self._check_hidden(hx_list[0], (layers, batch, size))
            self._check_hidden(hx_list[1], (layers, batch, self.hidden_size), "cell")
        output, h, c = self._run(input, hx_list)
        if not batched:
            output, h, c = output.squeeze(0 if self.batch_first else 1), h.squeeze(1), c.squeeze(1)
        return output, (h, c)


# ------------------------------------------------------------------ cells --
class RNNCellBase(Module):
    """What the cells share: weight_ih, weight_hh (and biases), torch's init."""

    _gates = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(fac.empty(self._gates * hidden_size, input_size, **kw))
        self.weight_hh = Parameter(fac.empty(self._gates * hidden_size, hidden_size, **kw))
        if bias:
            self.bias_ih = Parameter(fac.empty(self._gates * hidden_size, **kw))
            self.bias_hh = Parameter(fac.empty(self._gates * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """torch's default: every weight and bias U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _batched(self, input, hx):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for h in hx if isinstance(hx, (tuple, list)) else [] if hx is None else [hx]:
            if h.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {h.dim()}D instead")
        return input.dim() == 2

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class _SingleStateCell(RNNCellBase):
    _op = None

    def forward(self, input, hx=None):
        """The next hidden state."""
        batched = self._batched(input, hx)
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = fac.zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
        elif not batched:
            hx = hx.unsqueeze(0)
        out = getattr(aten, self._op_name()).default(input, hx, *self._weights())
        return out if batched else out.squeeze(0)


class RNNCell(_SingleStateCell):
    """One Elman RNN step (tanh or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def _op_name(self):
        return f"rnn_{self.nonlinearity}_cell"


class GRUCell(_SingleStateCell):
    """One GRU step."""

    _gates = 3

    def _op_name(self):
        return "gru_cell"


class LSTMCell(RNNCellBase):
    """One LSTM step: (h, c) -> (h', c')."""

    _gates = 4

    def forward(self, input, hx=None):
        """(h_1, c_1)."""
        batched = self._batched(input, hx)
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = fac.zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (zeros, zeros)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = aten.lstm_cell.default(input, list(hx), *self._weights())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))
