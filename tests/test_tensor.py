"""Tensor API: attributes, conversions, operators, indexing, views that alias, repr, factories."""
import numpy as np
import pytest

import minexport as me


def test_attributes():
    x = me.zeros(2, 3)
    assert isinstance(x.shape, me.Size) and x.shape == (2, 3) and repr(x.shape) == "minexport.Size([2, 3])"
    assert x.ndim == 2 and x.dim() == 2 and x.size(1) == 3 and x.size(-1) == 3 and x.numel() == 6
    assert x.device == me.device("cpu") and str(x.device) == "cpu"
    assert x.T.shape == (3, 2) and x.stride() == (3, 1) and x.is_contiguous()
    assert not x.t().is_contiguous()
    assert x.requires_grad is False and x.requires_grad_().requires_grad is True


def test_conversions():
    x = me.tensor([[1.5, -2.0]])
    assert x.tolist() == [[1.5, -2.0]]
    assert me.tensor([7]).item() == 7 and isinstance(me.tensor([7]).item(), int)
    assert x.long().dtype is me.int64 and x.long().tolist() == [[1, -2]]
    assert x.double().dtype is me.float64 and x.bool().tolist() == [[True, True]]
    assert x.to(me.int32).dtype is me.int32
    assert x.to(me.float32) is x and x.to("cpu") is x
    assert x.to(me.float32, copy=True) is not x
    assert x.to(me.ones(1, dtype=me.float16)).dtype is me.float16
    assert x.detach().numpy() is not None and x.clone().numpy() is not x.numpy()
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    assert float(me.tensor(2.5)) == 2.5 and int(me.tensor(3)) == 3


def test_from_numpy_shares_memory():
    a = np.zeros(3, dtype=np.float32)
    t = me.from_numpy(a)
    t.add_(1)
    assert a.tolist() == [1, 1, 1]
    assert me.as_tensor(a) .numpy() is a
    with pytest.raises(TypeError, match="no minexport equivalent"):
        me.from_numpy(np.zeros(2, dtype=np.complex64))


def test_operators_and_reflected():
    x = me.tensor([1.0, 2.0, 4.0])
    assert (2 - x).tolist() == [1.0, 0.0, -2.0]
    assert (2 / x).tolist() == [2.0, 1.0, 0.5]
    assert (2 ** x).tolist() == [2.0, 4.0, 16.0]
    assert (x ** 2).tolist() == [1.0, 4.0, 16.0]
    assert (7 // me.tensor([2, 3])).tolist() == [3, 2] and (7 % me.tensor([2, 3])).tolist() == [1, 1]
    assert (-x).tolist() == [-1.0, -2.0, -4.0] and abs(-x).tolist() == [1.0, 2.0, 4.0]
    assert (~me.tensor([True, False])).tolist() == [False, True]
    assert (me.tensor([True, False]) & me.tensor([True, True])).tolist() == [True, False]
    assert (me.eye(2) @ me.tensor([1.0, 2.0])).tolist() == [1.0, 2.0]
    assert (x == 2).tolist() == [False, True, False] and (x >= 2).tolist() == [False, True, True]


def test_inplace_operators_keep_identity():
    x = me.tensor([1.0, 2.0])
    y = x
    x += 1
    x *= 2
    x -= me.tensor([1.0, 1.0])
    x /= 2
    assert x is y and x.tolist() == [1.5, 2.5]
    i = me.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i += 0.5
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        me.zeros(3).add_(me.zeros(2, 3))


def test_inplace_methods():
    x = me.tensor([-1.0, 0.5, 2.0])
    assert x.clamp_(0, 1) is x and x.tolist() == [0.0, 0.5, 1.0]
    x.mul_(2).add_(1).zero_()
    assert x.tolist() == [0.0, 0.0, 0.0]
    x.fill_(3)
    x.copy_(me.tensor([1, 2, 3]))
    assert x.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("make_view", [
    lambda b: b.view(12), lambda b: b.reshape(4, 3), lambda b: b.permute(1, 0), lambda b: b.transpose(0, 1),
    lambda b: b.t(), lambda b: b.unsqueeze(0), lambda b: b.unsqueeze(1).squeeze(1), lambda b: b[1:, ::2],
    lambda b: b[1], lambda b: b.select(1, 2), lambda b: b.narrow(1, 1, 2), lambda b: b.split(1)[2],
    lambda b: b.chunk(2, 1)[1], lambda b: b.unbind(0)[0], lambda b: b.flatten(), lambda b: b.unflatten(1, (2, 2)),
    lambda b: b.T, lambda b: b[..., None], lambda b: b.detach(), lambda b: b[:],
], ids=["view", "reshape", "permute", "transpose", "t", "unsqueeze", "squeeze", "slice", "index_int",
        "select", "narrow", "split", "chunk", "unbind", "flatten", "unflatten", "T", "none", "detach", "full"])
def test_views_alias_their_base(make_view):
    base = me.arange(12, dtype=me.float32).reshape(3, 4).clone()
    v = make_view(base)
    assert v._base is base
    v.add_(100)                      # write through the view ...
    assert float(base.sum()) == float(me.arange(12).sum()) + 100 * v.numel()
    base.zero_()                     # ... and through the base
    assert float(v.abs().sum()) == 0.0


def test_expand_is_a_readonly_view():
    b = me.tensor([[1.0], [2.0]])
    e = b.expand(2, 3)
    assert e._base is b and e.tolist() == [[1.0] * 3, [2.0] * 3]
    b.mul_(2)
    assert e.tolist() == [[2.0] * 3, [4.0] * 3]
    with pytest.raises(RuntimeError, match="clone"):
        e.add_(1)


def test_reshape_copies_when_it_must():
    base = me.arange(6).reshape(2, 3).t()
    r = base.reshape(6)
    assert r._base is None
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        base.view(6)


def test_indexing():
    x = me.arange(24).reshape(2, 3, 4)
    assert x[1, 2, 3].item() == 23
    assert x[:, 1].shape == (2, 4) and x[..., 1].shape == (2, 3) and x[None].shape == (1, 2, 3, 4)
    assert x[0, ::2].tolist() == [[0, 1, 2, 3], [8, 9, 10, 11]]
    assert x[-1, -1, -1].item() == 23
    assert x[me.tensor([1, 0])].shape == (2, 3, 4)
    assert x[x > 20].tolist() == [21, 22, 23]
    assert x[:, [0, 2], 1].tolist() == [[1, 9], [13, 21]]
    assert x[0, :, me.tensor([0, 3])].shape == (3, 2)
    assert x[me.tensor([0, 1]), :, me.tensor([0, 3])].shape == (2, 3)
    with pytest.raises(IndexError, match="out of range"):
        x[5]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]


def test_setitem():
    x = me.zeros(3, 4)
    x[0] = 1
    x[1, 1:3] = me.tensor([5.0, 6.0])
    x[:, -1] = me.tensor([7.0, 8.0, 9.0])
    x[x > 8] = -1
    x[me.tensor([2]), me.tensor([0])] = 4
    assert x.tolist() == [[1, 1, 1, 7], [0, 5, 6, 8], [4, 0, 0, -1]]


def test_matches_numpy_advanced_indexing():
    a = np.arange(60).reshape(3, 4, 5)
    x = me.from_numpy(a)
    i, j = np.array([0, 2]), np.array([1, 3])
    for index, np_index in [((me.from_numpy(i), slice(None), me.from_numpy(j)), (i, slice(None), j)),
                            ((slice(None), me.from_numpy(i), me.from_numpy(j)), (slice(None), i, j)),
                            ((1, me.from_numpy(i)), (1, i))]:
        assert x[index].tolist() == a[np_index].tolist()


def test_repr_like_torch():
    assert repr(me.tensor([1.0, 2.0, 3.0])) == "tensor([1., 2., 3.])"
    assert repr(me.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(me.tensor([[0.5, 1.25]])) == "tensor([[0.5000, 1.2500]])"
    assert repr(me.tensor(2.5)) == "tensor(2.5000)"
    assert repr(me.tensor([True, False])) == "tensor([ True, False])"
    assert repr(me.tensor([1.0], dtype=me.float64)) == "tensor([1.], dtype=minexport.float64)"
    assert repr(me.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(me.tensor([[1, 2], [3, 4]])) == "tensor([[1, 2],\n        [3, 4]])"


def test_repr_matches_torch_layout():
    torch = pytest.importorskip("torch")
    me.manual_seed(0)
    for arr in [np.array([[1.0, -2.5], [300.0, 4.0]]), np.array([1e-5, 1.0]), np.arange(6).reshape(2, 3),
                np.array([[[1.5]]]), np.linspace(-1, 1, 7)]:
        arr = arr.astype(np.float32) if arr.dtype.kind == "f" else arr
        ours = repr(me.from_numpy(arr.copy()))
        theirs = repr(torch.from_numpy(arr.copy())).replace("torch.", "minexport.")
        assert ours == theirs


def test_factories():
    assert me.zeros(2, 3).tolist() == [[0.0] * 3] * 2 and me.zeros((2,)).shape == (2,)
    assert me.ones([2]).dtype is me.float32
    assert me.full((2,), 7).dtype is me.int64 and me.full((2,), True).dtype is me.bool
    assert me.full((2,), 1.5).tolist() == [1.5, 1.5]
    assert me.arange(1, 10, 3).tolist() == [1, 4, 7] and me.arange(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75]
    assert me.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert me.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert me.zeros_like(me.ones(2, dtype=me.int32)).dtype is me.int32
    assert me.full_like(me.ones(2), 3).tolist() == [3.0, 3.0]
    assert me.empty(2, 3).shape == (2, 3) and me.empty_like(me.ones(4)).shape == (4,)
    assert me.tensor([[1, 2], [3, 4]], dtype=me.float64).dtype is me.float64
    assert me.Tensor([1, 2]).dtype is me.float32
    with pytest.raises(RuntimeError, match="negative dimension"):
        me.zeros(-1)
    with pytest.raises(ValueError, match="ragged"):
        me.tensor([[1, 2], [3]])


def test_random_is_deterministic():
    me.manual_seed(3)
    a = (me.rand(3), me.randn(2, 2), me.randint(0, 10, (4,)))
    me.manual_seed(3)
    b = (me.rand(3), me.randn(2, 2), me.randint(0, 10, (4,)))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    assert a[2].dtype is me.int64 and all(0 <= v < 10 for v in a[2].tolist())
    r = me.rand(1000)
    assert 0 <= float(r.min()) and float(r.max()) < 1


def test_bfloat16_without_data_names_itself():
    assert me.bfloat16.itemsize == 2 and repr(me.bfloat16) == "minexport.bfloat16"
    assert me.promote_types(me.bfloat16, me.float32) is me.float32


def test_clear_errors():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x6\)"):
        me.mm(me.zeros(3, 4), me.zeros(5, 6))
    with pytest.raises(RuntimeError, match="The size of tensor a \\(3\\) must match the size of tensor b \\(4\\)"):
        me.zeros(3) + me.zeros(4)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        me.cat([me.zeros(2, 3), me.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="shape '\\[5\\]' is invalid for input of size 6"):
        me.zeros(2, 3).view(5)
    with pytest.raises(IndexError, match="Dimension out of range"):
        me.zeros(2, 3).sum(3)
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        me.mm(me.zeros(2, 2), me.zeros(2, 2, dtype=me.float64))
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        me.tensor([1, 2]).mean()


def test_reductions_and_named_results():
    x = me.tensor([[1.0, 5.0], [3.0, 2.0]])
    r = x.max(1)
    assert r.values.tolist() == [5.0, 3.0] and r.indices.tolist() == [1, 0]
    assert x.max().item() == 5.0 and me.max(x, me.zeros(2, 2)).shape == (2, 2)
    assert x.sum(dim=(0, 1)).item() == 11.0 and x.mean(0, keepdim=True).shape == (1, 2)
    assert x.var().item() == pytest.approx(np.var([1, 5, 3, 2], ddof=1))
    assert x.std(1, correction=0).tolist() == pytest.approx([2.0, 0.5])
    assert x.argmax().item() == 1 and x.any() and not (x > 9).any()


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "pow", "add", "sub", "mul", "div", "bitwise_and",
                                  "eq", "fmod", "maximum"])
def test_a_number_as_first_argument_is_accepted_where_torch_accepts_it(name):
    """torch's binding takes a Python number as `input` for some functions and refuses it for others."""
    torch = pytest.importorskip("torch")
    values = [1, 2, 3]

    def call(lib):
        try:
            return getattr(lib, name)(2, lib.tensor(values)).tolist()
        except (TypeError, RuntimeError) as e:
            return type(e).__name__

    theirs, ours = call(torch), call(me)
    if isinstance(theirs, str):
        assert isinstance(ours, str), f"torch refuses {name}(2, t); minexport gives {ours}"
    else:
        assert ours == theirs
