"""Strides of pointwise results in `ep.module()`'s specialized plan (and eagerly) against torch's.

torch lays a pointwise result out by TensorIterator's rules: a size-1 dim's stride, the order of dims when
the operands disagree, a scalar operand's effect on both (and a few ops as `empty_like(self)`).  NumPy's
own result differs in some of these cases; the plan's specialized kernels must still give torch's strides,
both when the inputs arrive with the strides the program was exported with (the plan compiled for them)
and when they do not (the plan compiled without that promise).  Each case builds the same input with the
same calls in both libraries.
"""
import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
from minexport._loops import while_loop
from minexport._tensor import contiguous_strides, make_fake
from minexport.control_flow import cond
from minexport.export import export
from minexport.ops.pointwise import _numpy_layout_is_torchs

torch = pytest.importorskip("torch")

_BASE = np.random.default_rng(3).standard_normal(4096).astype(np.float32)


def _from(L, shape):
    """A C-contiguous tensor of `shape` over the shared data."""
    n = int(np.prod(shape))
    return L.from_numpy(_BASE[:n].copy().reshape(shape))


def _odd_unit(L, shape):
    """`shape` sliced out of a larger tensor: a size-1 dim strides as its parent's size-3 dim."""
    return _from(L, tuple(3 if d == 1 else d for d in shape))[tuple(slice(0, 1) if d == 1 else slice(None)
                                                                   for d in shape)]


# input layouts of one shape, by the same calls in torch and minexport; None where the shape has no such one
LAYOUTS = {
    "contiguous": _from,
    "channels_last": lambda L, s: _from(L, (s[0], s[2], s[3], s[1])).permute(0, 3, 1, 2) if len(s) == 4 else None,
    "swapped": lambda L, s: _from(L, s[:-2] + (s[-1], s[-2])).transpose(-1, -2),
    "odd_unit": lambda L, s: _odd_unit(L, s) if 1 in s else None,
    "stepped": lambda L, s: _from(L, s[:-1] + (2 * s[-1],))[..., ::2],
    "expanded": lambda L, s: _from(L, (1,) + s[1:]).expand(*s) if s[0] > 1 else None,
}
SHAPES = [(2, 4, 1, 1), (1, 4, 3, 3), (2, 3, 4, 5), (3, 1, 4), (2, 1, 3, 1)]


def _inputs(shape):
    """(layout name, torch input, minexport input) for each layout `shape` has."""
    for name, make in LAYOUTS.items():
        t = make(torch, shape)
        if t is not None:
            yield name, t, make(me, shape)


def _fn(L):
    return L.nn.functional


# one input: unary ops (several computing into a dying intermediate in the plan), ops with a scalar operand
UNARY = {
    "relu": lambda L, x: L.relu(x),
    "neg": lambda L, x: -x,
    "exp": lambda L, x: x.exp(),
    "sigmoid": lambda L, x: x.sigmoid(),
    "gelu": lambda L, x: _fn(L).gelu(x),
    "hardtanh": lambda L, x: _fn(L).hardtanh(x, -0.5, 0.5),    # (these four: torch's empty_like(x) layout)
    "relu6": lambda L, x: _fn(L).relu6(x),
    "nan_to_num": lambda L, x: L.nan_to_num(x),
    "deg2rad": lambda L, x: L.deg2rad(x),
    "square": lambda L, x: x ** 2,                      # (pow's Scalar overloads: the scalar is no operand)
    "exp2": lambda L, x: 2 ** x,
    "add_scalar": lambda L, x: x + 0,
    "mul_scalar": lambda L, x: x * 2,
    "promoting_scalar": lambda L, x: (x * 4).int() + 1.5,
    "floor_int": lambda L, x: (x * 4).int().floor(),
    "relu_of_add": lambda L, x: L.relu(x + 0),          # computed into the add's result, which strides oddly
    "neg_of_add": lambda L, x: -(x + 1),
    "add_self": lambda L, x: x + x,
}
# two inputs of one shape (each in any layout), and a broadcast one
BINARY = {
    "add": lambda L, x, y: x + y,
    "mul": lambda L, x, y: x * y,
    "lt": lambda L, x, y: x < y,
    "maximum": lambda L, x, y: L.maximum(x, y),
    "add_row": lambda L, x, y: x + y[..., :1, :],
}


class _Module(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(me, *xs)


def _assert_as_torch(got, expected, where):
    assert tuple(got.shape) == tuple(expected.shape), where
    assert got.stride() == expected.stride(), f"{where}: strides {got.stride()}, torch's {expected.stride()}"
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6, err_msg=where)


def test_conv_output_plus_zero_keeps_torchs_channels_last_strides():
    """The reported case: conv(x) + 0 on a channels-last input, a [2, 4, 1, 1] result: torch's (4, 1, 4, 4)."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return self.conv(x) + 0
    ours, theirs = Net(), torch.nn.Conv2d(3, 4, 3)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.conv.weight.numpy()))
        theirs.bias.copy_(torch.from_numpy(ours.conv.bias.numpy()))
    x = _from(me, (2, 3, 3, 3)).contiguous(memory_format=me.channels_last)
    with torch.no_grad():
        expected = theirs(_from(torch, (2, 3, 3, 3)).contiguous(memory_format=torch.channels_last)) + 0
    assert expected.stride() == (4, 1, 4, 4)
    _assert_as_torch(ours(x), expected, "eager")
    _assert_as_torch(export(ours, (x,)).module()(x), expected, "ep.module()")


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_one_input_ops_lay_out_as_torch(name, shape):
    """Eagerly, and in ep.module() exported with each layout and called with each (the same: the plan
    compiled for those strides; another: the plan compiled without them)."""
    fn = UNARY[name]
    inputs = list(_inputs(shape))
    for layout, t, x in inputs:
        _assert_as_torch(fn(me, x), fn(torch, t), f"{name} eager {layout}")
    for exported_layout, _, example in inputs:
        module = export(_Module(fn), (example,)).module()
        for layout, t, x in inputs:
            _assert_as_torch(module(x), fn(torch, t), f"{name} exported {exported_layout}, called {layout}")


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_two_input_ops_lay_out_as_torch(name, shape):
    """Operands in every pair of layouts: torch follows the first operand where NumPy prefers C order."""
    fn = BINARY[name]
    inputs = list(_inputs(shape))
    contiguous = export(_Module(fn), (inputs[0][2], inputs[0][2])).module()
    for layout_x, tx, x in inputs:
        for layout_y, ty, y in inputs:
            where = f"{name} {layout_x} with {layout_y}"
            expected = fn(torch, tx, ty)
            _assert_as_torch(fn(me, x, y), expected, f"{where} eager")
            _assert_as_torch(contiguous(x, y), expected, f"{where}, exported contiguous")
            _assert_as_torch(export(_Module(fn), (x, y)).module()(x, y), expected, f"{where}, exported so")


def _random_strided(rng, shape):
    """Strides of a dense tensor of `shape` in a random order of dims, with a random stride on its size-1 dims
    (torch ignores them when it tests contiguity)."""
    order = rng.permutation(len(shape))
    strides, step = [0] * len(shape), 1
    for d in reversed(order):
        strides[d] = step if shape[d] != 1 else int(rng.integers(1, 40))
        step *= shape[d] if shape[d] != 1 else 1
    return tuple(strides)


def test_numpy_layout_rule_holds_against_torch():
    """Where `_numpy_layout_is_torchs` lets a specialized kernel run bare (its operands' strides known), NumPy's
    result has the strides torch gives for operands laid out so: all C order (size-1 dims too), or one dense
    layout without size-1 dims shared by operands of the output's shape; a scalar operand included."""
    rng = np.random.default_rng(0)
    buffer = np.zeros(4096, np.float32)
    checked = 0
    for _ in range(400):
        ndim = int(rng.integers(2, 5))
        shape = tuple(int(rng.choice([1, 2, 3, 4])) for _ in range(ndim))
        same = _random_strided(rng, shape)
        layouts = [same, same] if rng.random() < 0.5 else [_random_strided(rng, shape) for _ in range(2)]
        if rng.random() < 0.3:
            layouts = [contiguous_strides(shape)] * 2
        fakes = [make_fake(shape, me.float32, strides=st) for st in layouts]
        if not _numpy_layout_is_torchs(fakes):
            continue
        checked += 1
        arrays = [np.lib.stride_tricks.as_strided(buffer, shape, [s * 4 for s in st]) for st in layouts]
        tensors = [torch.as_strided(torch.from_numpy(buffer), shape, st) for st in layouts]
        for got, want in (((arrays[0] + arrays[1]), tensors[0] + tensors[1]),
                          ((arrays[0] + np.float32(1)), tensors[0] + 1), (np.negative(arrays[0]), -tensors[0])):
            assert tuple(s // 4 for s in got.strides) == want.stride(), (shape, layouts)
    assert checked > 50


@pytest.mark.parametrize("name", ["add_scalar", "relu_of_add", "hardtanh", "square"])
def test_dynamic_batch_lays_out_as_torch(name):
    """With a dynamic batch size the kernels' shapes are symbolic: the layout is worked out on each call."""
    fn = UNARY[name]
    example = LAYOUTS["contiguous"](me, (2, 4, 1, 1))
    module = export(_Module(fn), (example,), dynamic_shapes=(({0: me.export.Dim("batch", max=8)},),)).module()
    for shape in ((3, 4, 1, 1), (5, 4, 1, 1)):
        for layout, t, x in _inputs(shape):
            _assert_as_torch(module(x), fn(torch, t), f"{name} dynamic, called {layout} {shape}")


class _Branches(nn.Module):
    """cond on the input's sign: x + 0 or relu(x + 1), whose results stride as TensorIterator's."""
    def forward(self, x):
        return cond(x.sum() > 0, lambda x: x + 0, lambda x: me.relu(x + 1), (x,))


class _Loop(nn.Module):
    """Three iterations of h <- h * 1 + 0 (the carried value keeps its shape and, in torch, its strides)."""
    def forward(self, h):
        return while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, h * 1 + 0), (me.zeros((), dtype=me.int64), h))[1]


@pytest.mark.parametrize("shape", [(2, 4, 1, 1), (2, 3, 4, 5)], ids=str)
def test_control_flow_subgraphs_lay_out_as_torch(shape):
    """cond's branches and while_loop's body run plans of their own: exported with each layout and called with
    each, their results stride as torch's eager ones."""
    branches = (lambda L, x: x + 0, lambda L, x: L.relu(x + 1))
    inputs = list(_inputs(shape))
    for exported_layout, _, example in inputs:
        modules = (export(_Branches(), (example,)).module(), export(_Loop(), (example,)).module())
        for layout, t, x in inputs:
            where = f"exported {exported_layout}, called {layout}"
            _assert_as_torch(modules[0](x), branches[0 if float(t.sum()) > 0 else 1](torch, t), f"cond {where}")
            expected = t
            for _ in range(3):
                expected = expected * 1 + 0
            for _ in range(3):      # (the written-out loop is made on a later call)
                _assert_as_torch(modules[1](x), expected, f"while_loop {where}")
