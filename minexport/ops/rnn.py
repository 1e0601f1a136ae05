"""Recurrent ops: lstm / gru / rnn_tanh / rnn_relu over sequences, and their one-step cells.

The recurrence is written once, over a small "math" object, and run two ways:
`_ArrayMath` runs it on arrays (the kernels, a loop over time steps) and
`_AtenMath` calls ATen ops (the decompositions), emitting the ops torch's own
decompositions emit: the input projection of a whole layer as one linear,
the steps as slices of it, chunks as split_with_sizes, the hidden states
stacked with cat + view.

Parameters come as torch's flat list: for each layer and direction
`w_ih, w_hh[, b_ih, b_hh][, w_hr]` (w_hr: the LSTM projection, proj_size > 0).
"""
from .. import _random
from ._common import check, dtype_of, fake_like, fmt_shape, out_array
from ._registry import aten, register


# -------------------------------------------------------------- the math --
class _ArrayMath:
    """The recurrence's operations on NumPy / CuPy arrays."""

    def __init__(self, xp):
        self.xp = xp

    def linear(self, x, w, b):
        out = self.xp.matmul(x, w.T)
        return out if b is None else out + b

    def add(self, a, b):
        return a + b

    def sub(self, a, b):
        return a - b

    def mul(self, a, b):
        return a * b

    def sigmoid(self, a):
        return 0.5 * (1 + self.xp.tanh(0.5 * a))      # never overflows, unlike 1 / (1 + exp(-a))

    def tanh(self, a):
        return self.xp.tanh(a)

    def relu(self, a):
        return self.xp.maximum(a, 0)

    def chunk(self, a, n):
        return self.xp.split(a, n, axis=-1)

    def select(self, a, i):
        return a[i]

    def unsqueeze0(self, a):
        return a[None]

    def squeeze0(self, a):
        return a[0]

    def flip0(self, a):
        return a[::-1]

    def cat(self, items, dim=0):
        return self.xp.concatenate(items, axis=dim)

    def stack0(self, items):
        return self.xp.stack(items)

    def swap01(self, a):
        return self.xp.ascontiguousarray(self.xp.swapaxes(a, 0, 1))

    def dropout(self, a, p):
        if p == 1:
            return self.xp.zeros_like(a)
        keep = self.xp.asarray(_random.uniform(a.shape) >= p)
        return a * keep * (1 / (1 - p))


class _AtenMath:
    """The recurrence's operations as the ATen ops torch's decompositions record."""

    def linear(self, x, w, b):
        return aten.linear.default(x, w, b)

    def add(self, a, b):
        return aten.add.Tensor(a, b)

    def sub(self, a, b):
        return aten.sub.Tensor(a, b)

    def mul(self, a, b):
        return aten.mul.Tensor(a, b)

    def sigmoid(self, a):
        return aten.sigmoid.default(a)

    def tanh(self, a):
        return aten.tanh.default(a)

    def relu(self, a):
        return aten.relu.default(a)

    def chunk(self, a, n):
        size = a.shape[-1] // n
        return aten.split_with_sizes.default(a, [size] * n, a.ndim - 1)

    def select(self, a, i):
        return aten.squeeze.dims(aten.slice.Tensor(a, 0, i, i + 1), [0])

    def unsqueeze0(self, a):
        return aten.unsqueeze.default(a, 0)

    def squeeze0(self, a):
        return aten.squeeze.dims(a, [0])

    def flip0(self, a):
        return aten.flip.default(a, [0])

    def cat(self, items, dim=0):
        return aten.cat.default(items, dim) if dim else aten.cat.default(items)

    def stack0(self, items):
        return aten.view.default(aten.cat.default(items), [len(items)] + list(items[0].shape))

    def swap01(self, a):
        return aten.permute.default(a, [1, 0, 2])

    def dropout(self, a, p):
        return aten.dropout.default(a, p, True)


# --------------------------------------------------------- one time step --
def _lstm_step(M, gi, state, w):
    h, c = state
    i, f, g, o = M.chunk(M.add(M.linear(h, w["w_hh"], w["b_hh"]), gi), 4)
    i, f, g, o = M.sigmoid(i), M.sigmoid(f), M.tanh(g), M.sigmoid(o)
    c = M.add(M.mul(f, c), M.mul(i, g))
    h = M.mul(o, M.tanh(c))
    if w["w_hr"] is not None:
        h = M.linear(h, w["w_hr"], None)
    return h, (h, c)


def _gru_step(M, gi, state, w):
    (h,) = state
    i_r, i_z, i_n = M.chunk(gi, 3)
    h_r, h_z, h_n = M.chunk(M.linear(h, w["w_hh"], w["b_hh"]), 3)
    r = M.sigmoid(M.add(i_r, h_r))
    z = M.sigmoid(M.add(i_z, h_z))
    n = M.tanh(M.add(i_n, M.mul(r, h_n)))
    h = M.add(M.mul(M.sub(h, n), z), n)
    return h, (h,)


def _simple_step(activation):
    def step(M, gi, state, w):
        (h,) = state
        h = getattr(M, activation)(M.add(M.linear(h, w["w_hh"], w["b_hh"]), gi))
        return h, (h,)
    return step


# name -> (gates per hidden unit, step function, hidden states carried)
_KINDS = {
    "lstm": (4, _lstm_step, 2),
    "gru": (3, _gru_step, 1),
    "rnn_tanh": (1, _simple_step("tanh"), 1),
    "rnn_relu": (1, _simple_step("relu"), 1),
}


# ---------------------------------------------------------- the sequence --
def _layer_weights(params, has_biases, num_layers, directions):
    """The flat parameter list grouped per (layer, direction), with w_hr when there is a projection."""
    per = len(params) // (num_layers * directions) if num_layers * directions else 0
    expected = (4 if has_biases else 2,) + ((5,) if has_biases else (3,))
    check(per in expected and per * num_layers * directions == len(params),
          lambda: f"rnn: got {len(params)} parameters for {num_layers} layer(s) x {directions} direction(s) "
                  f"(has_biases={has_biases}); expected {expected[0]} (or {expected[1]} with a projection) each")
    groups = []
    for k in range(num_layers * directions):
        p = params[k * per:(k + 1) * per]
        groups.append({"w_ih": p[0], "w_hh": p[1], "b_ih": p[2] if has_biases else None,
                       "b_hh": p[3] if has_biases else None,
                       "w_hr": p[-1] if per in (3, 5) else None})
    return groups


def _run_sequence(M, kind, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
                  batch_first):
    """Every layer and direction over the whole sequence; (output, *final hidden states)."""
    _, step, n_states = _KINDS[kind]
    directions = 2 if bidirectional else 1
    weights = _layer_weights(params, has_biases, num_layers, directions)
    layer_input = M.swap01(input) if batch_first else input
    finals = [[] for _ in range(n_states)]
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            w = weights[layer * directions + d]
            state = tuple(M.unsqueeze0(M.select(h, layer * directions + d)) for h in hx)
            gi_all = M.linear(layer_input, w["w_ih"], w["b_ih"])
            if d == 1:
                gi_all = M.flip0(gi_all)
            steps = []
            for t in range(input.shape[1 if batch_first else 0]):
                h, state = step(M, M.select(gi_all, t), state, w)
                steps.append(h)
            if d == 1:
                steps.reverse()
            outs.append(M.cat(steps))
            for i, s in enumerate(state):
                finals[i].append(M.squeeze0(s))
        layer_input = outs[0] if directions == 1 else M.cat(outs, 2)
        if dropout > 0 and train and layer < num_layers - 1:
            layer_input = M.dropout(layer_input, dropout)
    output = M.swap01(layer_input) if batch_first else layer_input
    return (output,) + tuple(M.stack0(f) for f in finals)


def _sequence_shapes(kind, input, hx, params, has_biases, num_layers, bidirectional, batch_first):
    """Output shapes (output, *final states), with torch's checks on the input and hidden sizes."""
    check(len(input) == 3, lambda: f"{kind}: input must have 3 dimensions (packed sequences are not "
                                   f"supported), got input of size {fmt_shape(input)}")
    gates, _, n_states = _KINDS[kind]
    directions = 2 if bidirectional else 1
    weights = _layer_weights(params, has_biases, num_layers, directions)
    w_ih, w_hh = tuple(weights[0]["w_ih"].shape), tuple(weights[0]["w_hh"].shape)
    hidden, out_size = w_hh[0] // gates, w_hh[1]
    T, B = (input[1], input[0]) if batch_first else (input[0], input[1])
    check(input[2] == w_ih[1], lambda: f"input.size(-1) must be equal to input_size. Expected {w_ih[1]}, "
                                       f"got {input[2]}")
    states = [(num_layers * directions, B, out_size)] + [(num_layers * directions, B, hidden)] * (n_states - 1)
    for i, (got, want) in enumerate(zip(hx, states)):
        check(tuple(got) == want, lambda: f"Expected hidden{'[%d]' % i if n_states > 1 else ''} size "
                                          f"{want}, got {fmt_shape(got)}")
    out = (B, T, directions * out_size) if batch_first else (T, B, directions * out_size)
    return [out] + states


def _sequence_register(kind):
    lstm = kind == "lstm"
    hx_type = "Tensor[] hx" if lstm else "Tensor hx"
    returns = "(Tensor, Tensor, Tensor)" if lstm else "(Tensor, Tensor)"
    schema = (f"{kind}.input(Tensor input, {hx_type}, Tensor[] params, bool has_biases, int num_layers, "
              f"float dropout, bool train, bool bidirectional, bool batch_first) -> {returns}")

    def states(hx):
        return list(hx) if lstm else [hx]

    def meta(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
        shapes = _sequence_shapes(kind, tuple(input.shape), [tuple(h.shape) for h in states(hx)], params,
                                  has_biases, num_layers, bidirectional, batch_first)
        return tuple(fake_like(s, input.dtype, input) for s in shapes)

    def kernel(xp, input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
        hx = states(hx)
        _sequence_shapes(kind, input.shape, [h.shape for h in hx], params, has_biases, num_layers,
                         bidirectional, batch_first)
        outs = _run_sequence(_ArrayMath(xp), kind, input, hx, params, has_biases, num_layers, dropout, train,
                             bidirectional, batch_first)
        return tuple(out_array(xp, xp.ascontiguousarray(o), dtype_of(input)) for o in outs)

    def decomposition(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
        return _run_sequence(_AtenMath(), kind, input, states(hx), params, has_biases, num_layers, dropout,
                             train, bidirectional, batch_first)

    register(schema, meta=meta, kernel=kernel, decomposition=decomposition, variants=("function",))


for _kind in _KINDS:
    _sequence_register(_kind)


# ------------------------------------------------------------------ cells --
def _cell_shapes(kind, input, hx, w_ih, w_hh):
    """The cell's output shape, with torch's checks (in its words) on the batch and hidden sizes."""
    gates = _KINDS[kind][0]
    check(len(input) == 2, lambda: f"{kind}_cell: expected a 2-D input (batch, input_size), got "
                                   f"{fmt_shape(input)}; nn cells unsqueeze a 1-D input first")
    hidden = w_hh[1]
    for i, h in enumerate(hx):
        check(len(h) == 2 and h[0] == input[0],
              lambda: f"Input batch size {input[0]} doesn't match hidden{i} batch size {h[0]}")
        check(h[1] == hidden, lambda: f"hidden{i} has inconsistent hidden_size: got {h[1]}, expected {hidden}")
    check(w_ih[0] == gates * hidden, lambda: f"weight_ih first dim must be {gates} * hidden_size = "
                                             f"{gates * hidden}, but got {w_ih[0]}")
    check(input[1] == w_ih[1], lambda: f"input has inconsistent input_size: got {input[1]} expected {w_ih[1]}")
    return (input[0], hidden)


def _cell_register(kind):
    lstm = kind == "lstm"
    name = f"{kind}_cell"
    hx_type = "Tensor[] hx" if lstm else "Tensor hx"
    returns = "(Tensor, Tensor)" if lstm else "Tensor"
    schema = (f"{name}(Tensor input, {hx_type}, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, "
              f"Tensor? b_hh=None) -> {returns}")
    step = _KINDS[kind][1]

    def states(hx):
        return tuple(hx) if lstm else (hx,)

    def run(M, input, hx, w_ih, w_hh, b_ih, b_hh):
        w = {"w_hh": w_hh, "b_hh": b_hh, "w_hr": None}
        _, state = step(M, M.linear(input, w_ih, b_ih), states(hx), w)
        return state if lstm else state[0]

    def meta(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
        shape = _cell_shapes(kind, tuple(input.shape), [tuple(h.shape) for h in states(hx)], tuple(w_ih.shape),
                             tuple(w_hh.shape))
        out = fake_like(shape, input.dtype, input)
        return (out, fake_like(shape, input.dtype, input)) if lstm else out

    def kernel(xp, input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
        _cell_shapes(kind, input.shape, [h.shape for h in states(hx)], w_ih.shape, w_hh.shape)
        out = run(_ArrayMath(xp), input, hx, w_ih, w_hh, b_ih, b_hh)
        if lstm:
            return tuple(out_array(xp, o, dtype_of(input)) for o in out)
        return out_array(xp, out, dtype_of(input))

    def decomposition(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
        return run(_AtenMath(), input, hx, w_ih, w_hh, b_ih, b_hh)

    register(schema, meta=meta, kernel=kernel, decomposition=decomposition, variants=("function",))


for _kind in _KINDS:
    _cell_register(_kind)
