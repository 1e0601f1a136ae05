"""The op registry and the schema parser."""
import subprocess
import sys

import pytest

import minexport as me
from minexport.ops import aten, lookup, parse_schema


def test_overload_identity():
    op = aten.add.Tensor
    assert str(op) == "aten.add.Tensor" and op.name() == "aten::add.Tensor"
    assert str(aten.relu.default) == "aten.relu.default"
    assert lookup("aten::add.Tensor") is op and lookup("aten.relu.default") is aten.relu.default
    assert aten.add_.Tensor.functional is op and op.inplace is aten.add_.Tensor
    assert "Tensor" in aten.add.overloads()


def test_schema_fields():
    s = aten.add_.Tensor._schema
    assert [a.name for a in s.arguments] == ["self", "other", "alpha"]
    assert s.arguments[0].is_write and s.is_mutable and not aten.add.Tensor._schema.is_mutable
    assert s.arguments[2].kwarg_only and s.arguments[2].default == 1
    assert aten.view.default._schema.is_view and not aten.view.default._schema.is_mutable
    split = aten.split.Tensor._schema
    assert str(split.arguments[0].type) == "Tensor(a -> *)" and split.returns[0].type.list_len == -1


def test_parse_schema_round_trips():
    for text in ["max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
                 "index.Tensor(Tensor self, Tensor?[] indices) -> Tensor",
                 "conv2d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=[1, 1], "
                 "SymInt[2] padding=[0, 0], SymInt[2] dilation=[1, 1], SymInt groups=1) -> Tensor",
                 "_assert_scalar(Scalar self, str assert_msg) -> ()"]:
        assert str(parse_schema(text)) == text
    assert parse_schema("max_pool2d(Tensor self, int[2] kernel_size, int[2] padding=0) -> Tensor"
                        ).arguments[2].default == [0, 0]
    with pytest.raises(ValueError, match="cannot parse schema"):
        parse_schema("add(Tensor self")


def test_packet_call_resolves_overload():
    x = me.ones(2)
    assert aten.add(x, x).tolist() == [2.0, 2.0]
    assert aten.add(x, 1).tolist() == [2.0, 2.0]


def test_unknown_op_names_it():
    with pytest.raises(AttributeError, match="aten::frobnicate"):
        aten.frobnicate
    with pytest.raises(AttributeError, match="no overload 'Nope'"):
        aten.add.Nope


def test_fake_tensor_refused_eagerly():
    from minexport._tensor import make_fake
    with pytest.raises(RuntimeError, match="fake tensor"):
        aten.relu.default(make_fake((2,), me.float32))


def test_import_is_light():
    code = ("import sys, time; t = time.perf_counter(); import minexport, minexport.nn; "
            "print(time.perf_counter() - t); "
            "print(any(m in sys.modules for m in ('sympy', 'cupy', 'torch', 'scipy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[1] == "False"


def _torch_overload(torch, op):
    return getattr(getattr(torch.ops.aten, op.op_name), op.overload_name)


def test_core_tags_match_torch():
    """Every registration carries the `core` tag exactly when torch 2.13 tags that overload core."""
    torch = pytest.importorskip("torch")
    from minexport.ops import all_ops
    mine = {str(op) for op in all_ops() if op.namespace == "aten" and "core" in op.tags}
    theirs = {str(op) for op in all_ops() if op.namespace == "aten"
              and torch.Tag.core in _torch_overload(torch, op).tags}
    assert mine == theirs


def test_core_ir_allowed_ops_are_not_torch_core():
    """The second tag names only ops torch leaves untagged but allows in a core graph."""
    torch = pytest.importorskip("torch")
    from minexport.ops import all_ops
    extra = [op for op in all_ops() if "core_ir_allowed" in op.tags]
    assert [str(op) for op in extra] == ["aten._assert_scalar.default"]
    assert all(torch.Tag.core not in _torch_overload(torch, op).tags for op in extra)


def test_variants_are_torch_surface():
    """`variants` name only what torch exposes (torch.<name> / Tensor.<name>), and minexport exposes each one."""
    torch = pytest.importorskip("torch")
    from minexport.ops import all_ops
    for op in all_ops():
        if "function" in op.variants:
            assert hasattr(torch, op.op_name) and callable(getattr(me, op.op_name)), op
        if "method" in op.variants:
            assert hasattr(torch.Tensor, op.op_name) and hasattr(me.Tensor, op.op_name), op


def test_surface_names_have_variants():
    """A registered op that minexport exposes as a function or method says so in its registration."""
    from minexport.ops import all_ops
    functions, methods = set(), set()
    for op in all_ops():
        functions.update([op.op_name] if "function" in op.variants else [])
        methods.update([op.op_name] if "method" in op.variants else [])
    for op in all_ops():
        if op.namespace == "aten" and not op.op_name.startswith("_"):
            assert (op.op_name in functions) == callable(getattr(me, op.op_name, None)), op
            assert (op.op_name in methods) == hasattr(me.Tensor, op.op_name), op
