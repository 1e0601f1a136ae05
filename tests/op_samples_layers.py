"""Sample rows for the layer ops: 3-D and transposed convolution, recurrent ops, losses, basics."""
from op_samples import SAMPLES, Sample, T, L, samples

import minexport as me

_CONV_TOL = (1e-4, 1e-5)


# ------------------------------------------------------------ convolution --
@samples("aten.conv3d.default", tol=_CONV_TOL)
def _conv3d():
    return [Sample(T(2, 3, 5, 6, 4), T(4, 3, 3, 2, 2), T(4)),
            Sample(T(1, 4, 7, 6, 5), T(6, 2, 3, 3, 2), None, [2, 1, 2], [1, 0, 1], [1, 2, 1], 2),
            Sample(T(3, 4, 4, 4), T(2, 3, 1, 1, 1))]


@samples("aten.conv3d.padding", tol=_CONV_TOL)
def _conv3d_padding():
    return [Sample(T(2, 3, 5, 6, 4), T(4, 3, 2, 3, 2), T(4), [1, 1, 1], "same"),
            Sample(T(2, 3, 5, 6, 4), T(4, 3, 2, 2, 2), None, [2, 1, 1], "valid", [1, 2, 1])]


@samples("aten.conv_transpose1d.default", tol=_CONV_TOL)
def _conv_transpose1d():
    return [Sample(T(2, 4, 7), T(4, 3, 3), T(3)),
            Sample(T(2, 4, 7), T(4, 3, 3), T(6), [2], [1], [1], 2, [1]),
            Sample(T(4, 6), T(4, 2, 4), None, [3], [2], [2], 1, [2]),
            Sample(T(2, 4, 7), T(4, 3, 3), None, [1], [0], [1])]       # output_padding >= stride: refused


@samples("aten.conv_transpose2d.input", tol=_CONV_TOL)
def _conv_transpose2d():
    return [Sample(T(2, 4, 5, 6), T(4, 3, 3, 2), T(3)),
            Sample(T(1, 6, 5, 4), T(6, 2, 3, 3), T(6), [2, 3], [1, 2], [1, 2], 3, [1, 2]),
            Sample(T(4, 5, 5), T(4, 2, 2, 2), None, [2, 2], [0, 0], [0, 0], 1, [2, 1]),
            Sample(T(2, 5, 5, 6), T(4, 3, 3, 2), None)]                 # channel mismatch: refused


@samples("aten.conv_transpose3d.input", tol=_CONV_TOL)
def _conv_transpose3d():
    return [Sample(T(2, 4, 3, 4, 3), T(4, 2, 2, 3, 2), T(2)),
            Sample(T(1, 4, 3, 3, 4), T(4, 1, 3, 2, 2), None, [2, 1, 2], [1, 0, 1], [1, 0, 1], 2, [1, 2, 1])]


_forward_convolution = SAMPLES["aten.convolution.default"]


@samples("aten.convolution.default", tol=_CONV_TOL)
def _convolution():
    """The forward rows of op_samples, and transposed and 3-D ones."""
    return _forward_convolution() + [
        Sample(T(2, 4, 5, 6), T(4, 3, 3, 2), T(3), [2, 1], [1, 0], [1, 1], True, [1, 0], 1),
        Sample(T(2, 6, 5), T(6, 2, 3), None, [3], [2], [2], True, [2], 3),
        Sample(T(2, 4, 3, 4, 3), T(4, 2, 2, 3, 2), T(4), [1, 2, 1], [0, 1, 0], [2, 1, 1], True, [0, 1, 0], 2),
        Sample(T(2, 3, 5, 4, 4), T(4, 3, 3, 2, 2), T(4), [1, 2, 1], [1, 0, 1], [1, 1, 2], False, [0, 0, 0], 1)]


# -------------------------------------------------------------- recurrent --
def _rnn_params(gates, input_size, hidden, num_layers=1, directions=1, bias=True, proj=0):
    """torch's flat parameter list for a recurrent op."""
    params = []
    out = proj or hidden
    for layer in range(num_layers):
        size = input_size if layer == 0 else out * directions
        for _ in range(directions):
            params += [T(gates * hidden, size, low=-0.5, high=0.5), T(gates * hidden, out, low=-0.5, high=0.5)]
            if bias:
                params += [T(gates * hidden, low=-0.5, high=0.5), T(gates * hidden, low=-0.5, high=0.5)]
            if proj:
                params.append(T(proj, hidden, low=-0.5, high=0.5))
    return params


def _sequence_samples(gates, hx):
    """input, hx(...), params, has_biases, num_layers, dropout, train, bidirectional, batch_first."""
    return [Sample(T(5, 2, 3), hx(1, 2, 4), _rnn_params(gates, 3, 4), True, 1, 0.0, False, False, False),
            Sample(T(2, 4, 3), hx(4, 2, 4), _rnn_params(gates, 3, 4, 2, 2), True, 2, 0.0, False, True, True),
            Sample(T(3, 1, 5), hx(2, 1, 3), _rnn_params(gates, 5, 3, 2, 1, bias=False), False, 2, 0.0, False,
                   False, False)]


def _hx(*shape):
    return T(*shape, low=-1, high=1)


@samples("aten.lstm.input", tol=(1e-4, 1e-5))
def _lstm():
    def hx(n, b, h, c=None):
        return [_hx(n, b, h), _hx(n, b, h if c is None else c)]
    rows = _sequence_samples(4, hx)
    rows.append(Sample(T(4, 2, 3), [_hx(2, 2, 2), _hx(2, 2, 5)], _rnn_params(4, 3, 5, 1, 2, proj=2), True, 1,
                       0.0, False, True, False))
    return rows


# torch's sequence ops do not check their arguments (wrong sizes crash the process): valid rows only
@samples("aten.gru.input", tol=(1e-4, 1e-5))
def _gru():
    return _sequence_samples(3, _hx)


@samples("aten.rnn_tanh.input", "aten.rnn_relu.input", tol=(1e-4, 1e-5))
def _rnn():
    return _sequence_samples(1, _hx)


@samples("aten.lstm_cell.default", tol=(1e-4, 1e-5))
def _lstm_cell():
    return [Sample(T(2, 3), [_hx(2, 4), _hx(2, 4)], *_rnn_params(4, 3, 4)),
            Sample(T(3, 5), [_hx(3, 2), _hx(3, 2)], *_rnn_params(4, 5, 2, bias=False)),
            Sample(T(3, 5), [_hx(3, 3), _hx(3, 2)], *_rnn_params(4, 5, 2))]


def _cell_samples(gates):
    return [Sample(T(2, 3), _hx(2, 4), *_rnn_params(gates, 3, 4)),
            Sample(T(3, 5), _hx(3, 2), *_rnn_params(gates, 5, 2, bias=False)),
            Sample(T(2, 3), _hx(2, 4), *_rnn_params(4 - gates, 3, 4)),       # gate count mismatch: refused
            Sample(T(2, 3), _hx(3, 4), *_rnn_params(gates, 3, 4))]           # batch mismatch: refused


@samples("aten.gru_cell.default", tol=(1e-4, 1e-5))
def _gru_cell():
    return _cell_samples(3)


@samples("aten.rnn_tanh_cell.default", "aten.rnn_relu_cell.default", tol=(1e-4, 1e-5))
def _rnn_cell():
    return _cell_samples(1)


# ------------------------------------------------------------------ losses --
def _probs(*shape):
    return T(*shape, low=0.02, high=0.98)


def _signs(*shape):
    return L(*shape, low=0, high=2) * 2 - 1


@samples("aten.mse_loss.default", "aten.l1_loss.default", "aten.soft_margin_loss.default")
def _regression_losses():
    return [Sample(T(3, 4), T(3, 4)), Sample(T(3, 4), T(3, 4), 0), Sample(T(3, 4), T(3, 4), 2),
            Sample(T(2, 3, 4), T(4)), Sample(T(0, 3), T(0, 3))]


@samples("aten.smooth_l1_loss.default", "aten.huber_loss.default")
def _robust_losses():
    return [Sample(T(3, 4), T(3, 4)), Sample(T(3, 4), T(3, 4), 0, 0.5), Sample(T(3, 4), T(3, 4), 2, 2.0),
            Sample(T(5), T(5), 1, 0.0)]


@samples("aten.kl_div.default")
def _kl_div():
    probs = _probs(3, 4)
    probs.view(-1)[0] = 0.0       # a zero target contributes 0, not nan
    return [Sample(T(3, 4, high=0.0), probs), Sample(T(3, 4), T(3, 4), 0, log_target=True),
            Sample(T(3, 4, high=0.0), _probs(3, 4), 2)]


@samples("aten.binary_cross_entropy.default")
def _bce():
    x = _probs(3, 4)
    x.view(-1)[0] = 0.0           # log(0) is clamped to -100
    return [Sample(x, _probs(3, 4)), Sample(_probs(3, 4), _probs(3, 4), T(4, low=0.5, high=1.5), 0),
            Sample(_probs(6), _probs(6), None, 2), Sample(_probs(3, 4), _probs(3, 5))]


@samples("aten.binary_cross_entropy_with_logits.default")
def _bce_logits():
    return [Sample(T(3, 4, low=-30, high=30), _probs(3, 4)),
            Sample(T(3, 4), _probs(3, 4), T(4, low=0.5, high=1.5), T(4, low=0.5, high=3.0), 0),
            Sample(T(3, 4), _probs(3, 4), None, T(3, 4, low=0.5, high=3.0), 2)]


@samples("aten.poisson_nll_loss.default")
def _poisson():
    return [Sample(T(3, 4), T(3, 4, low=0, high=4), True, False, 1e-8, 1),
            Sample(_probs(3, 4), T(3, 4, low=0, high=4), False, True, 1e-8, 0),
            Sample(T(3, 4), T(3, 4, low=0, high=4), True, True, 1e-8, 2)]


@samples("aten.hinge_embedding_loss.default")
def _hinge():
    return [Sample(T(3, 4), _signs(3, 4).float()), Sample(T(5), _signs(5).float(), 0.5, 0),
            Sample(T(5), _signs(5).float(), 2.0, 2)]


@samples("aten.margin_ranking_loss.default")
def _margin_ranking():
    return [Sample(T(5), T(5), _signs(5).float()), Sample(T(5), T(5), _signs(5).float(), 0.5, 0),
            Sample(T(2, 5), T(2, 5), _signs(2, 5).float(), 0.2, 2)]


@samples("aten.cosine_embedding_loss.default")
def _cosine_embedding():
    return [Sample(T(3, 4), T(3, 4), _signs(3)), Sample(T(3, 4), T(3, 4), _signs(3), 0.3, 0),
            Sample(T(4), T(4), _signs(), 0.0, 2), Sample(T(3, 4), T(3, 4), _signs(4))]


@samples("aten.triplet_margin_loss.default", tol=(1e-4, 1e-5))
def _triplet():
    return [Sample(T(3, 4), T(3, 4), T(3, 4)), Sample(T(3, 4), T(3, 4), T(3, 4), 0.5, 1.0, 1e-6, True, 0),
            Sample(T(4), T(4), T(4), 1.0, 3.0, 1e-6, False, 2)]


@samples("aten.nll_loss_nd.default")
def _nll():
    target = L(4, high=5)
    target[1] = -100
    return [Sample(T(4, 5), L(4, high=5)), Sample(T(4, 5), target, T(5, low=0.5, high=1.5)),
            Sample(T(4, 5), target, None, 0), Sample(T(4, 5), target, T(5, low=0.5, high=1.5), 2),
            Sample(T(5), L(high=5)), Sample(T(2, 3, 4, 4), L(2, 4, 4), None, 0),
            Sample(T(2, 3, 4, 4), L(2, 4, 4), T(3, low=0.5, high=1.5)), Sample(T(2, 3, 4), L(2, 4), None, 0),
            Sample(T(2, 3, 4, 2, 2), L(2, 4, 2, 2), None, 1, 1), Sample(T(4, 5), L(3, high=5))]


@samples("aten.cross_entropy_loss.default")
def _cross_entropy():
    target = L(4, high=5)
    target[2] = 3
    return [Sample(T(4, 5), L(4, high=5)), Sample(T(4, 5), target, T(5, low=0.5, high=1.5), 1, 3),
            Sample(T(4, 5), target, None, 0, -100, 0.1), Sample(T(4, 5), target, None, 1, 3, 0.2),
            Sample(T(4, 5), target, T(5, low=0.5, high=1.5), 2, -100, 0.1),
            Sample(T(4, 5), _probs(4, 5)), Sample(T(4, 5), _probs(4, 5), T(5, low=0.5, high=1.5), 0, -100, 0.3),
            Sample(T(2, 3, 4), L(2, 4), None, 1, -100, 0.1), Sample(T(2, 3, 4), _probs(2, 3, 4), None, 2),
            Sample(T(5), L(high=5)), Sample(T(4, 5), L(4, high=5), None, 1, -100, 1.5)]


@samples("aten.multi_margin_loss.default")
def _multi_margin():
    return [Sample(T(4, 5), L(4, high=5)), Sample(T(4, 5), L(4, high=5), 2, 0.5, T(5, low=0.5, high=1.5), 0),
            Sample(T(4, 5), L(4, high=5), 1, 1, None, 2), Sample(T(5), L(1, high=5), 1, 1, None, 0),
            Sample(T(4, 5), L(4, high=5), 3)]


@samples("aten.broadcast_tensors.default")
def _broadcast_tensors():
    return [Sample([T(3, 1), T(4), T(2, 1, 1)]), Sample([T(3, 4), T(3, 4)]), Sample([T(3), T(4)])]


# ------------------------------------------------------------------ basics --
@samples("aten.bilinear.default", tol=(1e-4, 1e-5))
def _bilinear():
    return [Sample(T(2, 3), T(2, 4), T(5, 3, 4), T(5)), Sample(T(6, 2, 3), T(6, 2, 4), T(5, 3, 4)),
            Sample(T(2, 3), T(2, 4), T(5, 4, 4)), Sample(T(2, 3), T(3, 4), T(5, 3, 4))]


@samples("aten._trilinear.default", tol=(1e-4, 1e-5))
def _trilinear():
    return [Sample(T(2, 3), T(5, 3, 4), T(2, 4), [1, 3], [0], [1, 2], [2, 3]),
            Sample(T(2, 3), T(3), T(2, 3), [], [0], [], [1]),
            Sample(T(4, 1), T(1, 3), T(4, 1, 3), [2], [0], [], []), Sample(T(4, 1), T(1, 3), T(4, 3), [2], [0], [], [])]


@samples("aten.rms_norm.default")
def _rms_norm():
    return [Sample(T(2, 4), [4]), Sample(T(2, 3, 4), [3, 4], T(3, 4), 1e-3), Sample(T(3, 4, dtype=me.float64), [4]),
            Sample(T(2, 4), [3])]
