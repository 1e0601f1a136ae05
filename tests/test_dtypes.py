"""Type promotion against torch's rules, exhaustively over dtype pairs and tiers."""
import itertools

import pytest

import subprocess
import sys
import warnings

import minexport as me
from minexport import dtypes as dt
from minexport._tensor import make_fake

DTYPES = [d for d in dt.ALL_DTYPES]


def test_defaults():
    assert me.get_default_dtype() is me.float32
    assert me.tensor([1, 2]).dtype is me.int64
    assert me.tensor([1.0, 2]).dtype is me.float32
    assert me.tensor([True]).dtype is me.bool
    assert me.zeros(2).dtype is me.float32
    assert me.arange(3).dtype is me.int64 and me.arange(3.0).dtype is me.float32


def test_known_promotions():
    assert me.promote_types(me.uint8, me.int8) is me.int16
    assert me.promote_types(me.float16, me.bfloat16) is me.float32
    assert me.promote_types(me.bool, me.uint8) is me.uint8
    i32 = me.ones(3, dtype=me.int32)
    assert (i32 + 2.5).dtype is me.float32          # scalar of a higher category
    assert (i32 + 2).dtype is me.int32               # same category scalar does not widen
    assert (i32 / 2).dtype is me.float32             # integer true division
    assert (i32 // 2).dtype is me.int32 and (i32 % 2).dtype is me.int32
    assert (i32 < 1).dtype is me.bool
    assert (me.ones(3, dtype=me.float16) + me.tensor(1.0, dtype=me.float64)).dtype is me.float16
    assert (me.ones(3, dtype=me.int64) + me.tensor(1.5, dtype=me.float64)).dtype is me.float64


def test_default_dtype_changes_scalars():
    me.set_default_dtype(me.float64)
    try:
        assert (me.ones(2, dtype=me.int32) + 1.5).dtype is me.float64
        assert me.tensor([1.0]).dtype is me.float64
    finally:
        me.set_default_dtype(me.float32)
    assert (me.ones(2, dtype=me.int32) + 1.5).dtype is me.float32


def test_promote_types_matches_torch():
    torch = pytest.importorskip("torch")
    for a, b in itertools.product(DTYPES, DTYPES):
        expected = torch.promote_types(getattr(torch, a.name), getattr(torch, b.name))
        assert me.promote_types(a, b).name == str(expected).replace("torch.", ""), (a, b)


@pytest.mark.parametrize("scalar", [True, 3, 2.5])
def test_result_type_tiers_match_torch(scalar):
    torch = pytest.importorskip("torch")
    for a, b in itertools.product(DTYPES, DTYPES):
        ta = torch.ones(2, dtype=getattr(torch, a.name))
        tb0 = torch.ones((), dtype=getattr(torch, b.name))
        ma, mb0 = make_fake((2,), a), make_fake((), b)   # promotion needs no data
        cases = [((ta, tb0), (ma, mb0)), ((tb0, scalar), (mb0, scalar)), ((ta, scalar), (ma, scalar))]
        for (x, y), (u, v) in cases:
            expected = str(torch.result_type(x, y)).replace("torch.", "")
            assert me.result_type(u, v).name == expected, (a, b, scalar)


def test_bfloat16_data_through_ml_dtypes():
    pytest.importorskip("ml_dtypes")
    x = me.ones(3, dtype=me.bfloat16)
    assert (x + 1).dtype is me.bfloat16 and (x + 1).float().tolist() == [2.0, 2.0, 2.0]
    assert (x + me.ones(3)).dtype is me.float32


def test_bfloat16_without_ml_dtypes_says_so():
    code = ("import sys; sys.modules['ml_dtypes'] = None; import minexport as me\n"
            "try:\n    me.ones(2, dtype=me.bfloat16)\nexcept TypeError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "bfloat16 tensors with data need the ml_dtypes package" in out


@pytest.mark.parametrize("transposed", [False, True], ids=["contiguous", "strided"])
def test_non_finite_floats_cast_to_integers_quietly_as_torch(transposed):
    """-inf / nan to int64 (T5's log(0) relative-position bucket) gives torch's value, with no NumPy warning."""
    torch = pytest.importorskip("torch")
    rows = [[float("-inf"), 1.5], [float("nan"), 2.0]]
    t, m = torch.tensor(rows), me.tensor(rows)
    if transposed:
        t, m = t.t(), m.t()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = m.to(me.int64).tolist()
    assert got == t.to(torch.int64).tolist()
