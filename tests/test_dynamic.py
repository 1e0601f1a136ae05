"""Dynamic shapes: Dim specs, symbolic graphs, constraint violations with suggested fixes, runtime checks."""
import re

import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
from minexport.export import ConstraintViolationError, Dim, UserError, dims, export
from minexport.utils import _pytree as pytree


class MatMul(nn.Module):
    def forward(self, x, y):
        return x @ y


class Branchy(nn.Module):
    def forward(self, x):
        if x.shape[0] > 4:
            return x + 1
        return x - 1


class Add(nn.Module):
    def forward(self, x, y):
        return x + y


class CatHalf(nn.Module):
    def forward(self, x, y):
        return me.cat([x, y]) * 2, x[1:], x.shape[0] * 2


def test_symbolic_graph_and_ranges():
    k = Dim("k")
    ep = export(MatMul(), (me.randn(4, 8), me.randn(8, 2)),
                dynamic_shapes={"x": {0: Dim("m"), 1: k}, "y": {0: k, 1: Dim("n", max=64)}})
    text = str(ep)
    # symbols are named as torch 2.13 names them (s77: L['x'].size()[0]; k keeps s17, from L['y'])
    assert 'def forward(self, x: "f32[s77, s17]", y: "f32[s17, s94]"):' in text
    assert 'matmul: "f32[s77, s94]"' in text
    assert text.endswith("Range constraints: {s77: VR[0, int_oo], s17: VR[0, int_oo], s94: VR[0, 64]}\n")
    out = ep.module()(me.randn(3, 5), me.randn(5, 7))
    assert tuple(out.shape) == (3, 7)


def test_sizes_used_as_values():
    b = Dim("b", max=9)
    ep = export(CatHalf(), (me.randn(5, 3), me.randn(10, 3)), dynamic_shapes={"x": {0: b}, "y": {0: 2 * b}})
    text = str(ep)
    assert 'sym_size_int: "Sym(s77)" = torch.ops.aten.sym_size.int(x, 0)' in text
    assert 'mul_1: "Sym(2*s77)" = sym_size_int * 2' in text
    assert text.endswith("Range constraints: {s77: VR[0, 9], 2*s77: VR[0, 18]}\n")
    assert "mul_1: USER_OUTPUT" in text
    cat, tail, n = ep.module()(me.randn(4, 3), me.randn(8, 3))
    assert tuple(cat.shape) == (12, 3) and tuple(tail.shape) == (3, 3) and n == 8


def test_runtime_checks_name_the_condition():
    b = Dim("b", max=9)
    m = export(CatHalf(), (me.randn(5, 3), me.randn(10, 3)), dynamic_shapes={"x": {0: b}, "y": {0: 2 * b}}).module()
    with pytest.raises(AssertionError, match=r"Guard failed: x.size\(\)\[0\] <= 9"):
        m(me.randn(10, 3), me.randn(20, 3))
    with pytest.raises(AssertionError, match=r"Guard failed: y.size\(\)\[0\] == 2 \* x.size\(\)\[0\]$"):
        m(me.randn(4, 3), me.randn(9, 3))
    with pytest.raises(AssertionError, match=r"x.size\(\)\[1\] == 3"):
        m(me.randn(4, 2), me.randn(8, 2))


def test_narrowing_a_declared_range_is_a_violation_with_a_fix():
    with pytest.raises(ConstraintViolationError) as e:
        export(Branchy(), (me.randn(6, 3),), dynamic_shapes={"x": {0: Dim("b", min=2, max=100)}})
    msg = str(e.value)
    assert msg.startswith("Constraints violated (b)!")
    assert "if x.shape[0] > 4:" in msg
    assert msg.rstrip().endswith("Suggested fixes:\n  b = Dim('b', min=5, max=100)")


def test_auto_takes_the_narrowing():
    ep = export(Branchy(), (me.randn(6, 3),), dynamic_shapes={"x": {0: Dim.AUTO}})
    assert [str(r) for r in ep.range_constraints.values()] == ["VR[5, int_oo]"]
    with pytest.raises(AssertionError, match=r"Guard failed: x.size\(\)\[0\] >= 5"):
        ep.module()(me.randn(3, 3))


def test_related_dims_suggest_equality_and_derived_forms():
    with pytest.raises(ConstraintViolationError) as e:
        export(Add(), (me.randn(5, 3), me.randn(5, 3)), dynamic_shapes={"x": {0: Dim("dx")}, "y": {0: Dim("dy")}})
    assert "must always be equal" in str(e.value) and str(e.value).rstrip().endswith("dy = dx")

    class Twice(nn.Module):
        def forward(self, x, y):
            return me.cat([x, x]) + y

    with pytest.raises(ConstraintViolationError) as e:
        export(Twice(), (me.randn(3, 2), me.randn(6, 2)), dynamic_shapes={"x": {0: Dim("dx")}, "y": {0: Dim("dy")}})
    assert str(e.value).rstrip().endswith("dy = 2*dx")


def test_specializing_a_dim_is_a_violation():
    class Fixed(nn.Module):
        def forward(self, x):
            return x.reshape(4, 3)

    with pytest.raises(ConstraintViolationError) as e:
        export(Fixed(), (me.randn(4, 3),), dynamic_shapes={"x": {0: Dim("b")}})
    assert "specialized to 4" in str(e.value) and str(e.value).rstrip().endswith("b = 4")


def test_int_of_a_size_over_a_float_specializes_the_dim_and_names_the_line():
    """int(x.shape[0] / 4.0) (Swin's original window_reverse) pins the batch, as torch's does: the violation
    names the source line, and the graph never records a float size (8.0 for 8)."""
    torch = pytest.importorskip("torch")

    def windows_back(lib):
        class Reverse(lib.nn.Module):
            def forward(self, x):
                b = int(x.shape[0] / (8 * 8 / 4 / 4))
                return x.view(b, 2, 2, 4, 4, -1).permute(0, 1, 3, 2, 4, 5).reshape(b, 8, 8, -1)
        return Reverse()

    for lib, error in ((torch, torch._dynamo.exc.UserError), (me, ConstraintViolationError)):
        with pytest.raises(error) as e:
            lib.export.export(windows_back(lib), (lib.randn(8, 4, 4, 3),),
                              dynamic_shapes={"x": {0: lib.export.Dim("batch")}})
        assert "specialized" in str(e.value) and "batch = 8" in str(e.value)
    assert "b = int(x.shape[0] / (8 * 8 / 4 / 4))" in str(e.value)


def test_zero_or_one_example_sizes_specialize():
    with pytest.raises(ConstraintViolationError, match="sizes 0 and 1"):
        export(Add(), (me.randn(1, 3), me.randn(1, 3)), dynamic_shapes={"x": {0: Dim("b")}, "y": {0: Dim("b")}})
    ep = export(Add(), (me.randn(1, 3), me.randn(1, 3)), dynamic_shapes={"x": {0: Dim.AUTO}, "y": None})
    assert ep.range_constraints == {}


def test_bad_specs_are_refused_up_front():
    with pytest.raises(UserError, match="expected min <= max"):
        Dim("b", min=5, max=2)
    with pytest.raises(UserError, match="non-negative"):
        Dim("b", min=-1)
    with pytest.raises(UserError, match="identifier"):
        Dim("not a name")
    with pytest.raises(UserError, match="not arguments of forward"):
        export(Add(), (me.randn(2, 3), me.randn(2, 3)), dynamic_shapes={"z": {0: Dim("b")}})
    with pytest.raises(UserError, match="has 1 entries but the inputs have 2"):
        export(Add(), (me.randn(2, 3), me.randn(2, 3)), dynamic_shapes=({0: Dim("b")},))
    with pytest.raises(UserError, match="names dim 5"):
        export(Add(), (me.randn(2, 3), me.randn(2, 3)), dynamic_shapes={"x": {5: Dim("b")}})
    with pytest.raises(UserError, match="outside it"):
        export(Add(), (me.randn(8, 3), me.randn(8, 3)), dynamic_shapes={"x": {0: Dim("b", max=4)}, "y": None})
    with pytest.raises(UserError, match="of the form 2\\*b"):
        b = Dim("b")
        export(Add(), (me.randn(4, 3), me.randn(5, 3)), dynamic_shapes={"x": {0: b}, "y": {0: 2 * b}})


def test_structure_mismatch_shows_both():
    class Takes(nn.Module):
        def forward(self, d):
            return d["a"] + d["b"]

    with pytest.raises(UserError, match=r"does not match the structure of the input d"):
        export(Takes(), ({"a": me.randn(2), "b": me.randn(2)},), dynamic_shapes={"d": {"a": {0: Dim("n")}}})
    n = Dim("n")
    ep = export(Takes(), ({"a": me.randn(2), "b": me.randn(2)},), dynamic_shapes={"d": {"a": {0: n}, "b": {0: n}}})
    assert list(ep.range_constraints) and tuple(ep.module()({"a": me.ones(5), "b": me.ones(5)}).shape) == (5,)


def test_dims_helper_and_tuple_specs():
    a, b = dims("a", "b", max=32)
    ep = export(MatMul(), (me.randn(4, 8), me.randn(8, 2)), dynamic_shapes=({0: a}, (None, b)))
    assert [str(r) for r in ep.range_constraints.values()] == ["VR[0, 32]", "VR[0, 32]"]


def test_decomposed_dynamic_program_runs():
    k = Dim("k")
    ep = export(MatMul(), (me.randn(4, 8), me.randn(8, 2)),
                dynamic_shapes={"x": {0: Dim("m"), 1: k}, "y": {0: k, 1: Dim("n")}})
    core = ep.run_decompositions()
    x, y = me.randn(3, 5), me.randn(5, 6)
    np.testing.assert_allclose(core.module()(x, y).numpy(), (x @ y).numpy(), rtol=1e-5)
    assert re.search(r"Range constraints: \{s77: VR\[0, int_oo\]", str(core))


def test_matches_torch_printout():
    torch = pytest.importorskip("torch")

    def norm(text):
        return re.sub(r"\bs\d+\b", "s", text)

    class TSlice(torch.nn.Module):
        def forward(self, x):
            return torch.relu(x[:, 2:])

    class MSlice(nn.Module):
        def forward(self, x):
            return me.relu(x[:, 2:])

    t_ep = torch.export.export(TSlice(), (torch.randn(10, 10),),
                               dynamic_shapes={"x": {0: torch.export.Dim("d0"),
                                                     1: torch.export.Dim("d1", min=4, max=18)}})
    m_ep = export(MSlice(), (me.randn(10, 10),), dynamic_shapes={"x": {0: Dim("d0"), 1: Dim("d1", min=4, max=18)}})
    def strip(program):
        return [line for line in norm(str(program)).splitlines() if "# File" not in line]
    assert strip(m_ep) == strip(t_ep)


# ------------------------------------------------------------ data-dependent values --
class CheckValue(nn.Module):
    def forward(self, x, y):
        b = y.item()
        me._check(b >= 3)
        me._check(b <= 5)
        if b >= 3:
            return x.cos()
        return x.sin()


class CheckSize(nn.Module):
    def forward(self, x, y):
        b = y.item()
        me._check_is_size(b)
        return x.sum() + me.ones(b, 4).sum()


def test_item_becomes_an_unbacked_symbol_with_runtime_asserts():
    ep = export(CheckValue(), (me.randn(3, 3), me.tensor([4])))
    text = str(ep)
    assert 'item: "Sym(u0)" = torch.ops.aten.item.default(y)' in text
    assert 'ge: "Sym(u0 >= 3)" = item >= 3' in text
    assert ("torch.ops.aten._assert_scalar.default(ge, "
            "\"Runtime assertion failed for expression u0 >= 3 on node 'ge'\")") in text
    assert text.endswith("Range constraints: {u0: VR[3, 5]}\n")
    m = ep.module()
    x = me.randn(3, 3)
    np.testing.assert_allclose(m(x, me.tensor([5])).numpy(), x.cos().numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Runtime assertion failed for expression u0 <= 5"):
        m(x, me.tensor([7]))


def test_unbacked_size():
    ep = export(CheckSize(), (me.randn(2, 2), me.tensor([4])))
    assert 'ones: "f32[u0, 4]"' in str(ep) and "{u0: VR[0, int_oo]}" in str(ep)
    x = me.ones(2, 2)
    assert ep.module()(x, me.tensor([5])).item() == 24.0
    core = ep.run_decompositions()
    assert "torch.ops.aten._local_scalar_dense.default(y)" in str(core)
    assert core.module()(x, me.tensor([3])).item() == 16.0


def test_unbounded_data_dependent_branch_is_refused():
    class Branch(nn.Module):
        def forward(self, x, y):
            if y.item() > 0:
                return x + 1
            return x

    with pytest.raises(me.export.DataDependentError) as e:
        export(Branch(), (me.randn(2), me.tensor([3])))
    msg = str(e.value)
    assert "u0 > 0" in msg and "if y.item() > 0:" in msg and "_check" in msg


def test_slicing_with_an_undecided_data_dependent_bound_gets_a_new_size():
    class TakeFirst(nn.Module):
        def forward(self, x, y):
            return x[: y.item()]

    ep = export(TakeFirst(), (me.randn(3, 2), me.tensor(4)))
    text = str(ep)
    assert 'slice_1: "f32[u1, 2]" = torch.ops.aten.slice.Tensor(x, 0, None, item)' in text
    assert "Runtime assertion failed for expression u1 <= 3" in text
    assert text.endswith("Range constraints: {u0: VR[-int_oo, int_oo], u1: VR[0, 3]}\n")
    for program in (ep, ep.run_decompositions()):
        assert [tuple(program.module()(me.randn(3, 2), me.tensor(n)).shape) for n in (2, 7, -1)] == \
            [(2, 2), (3, 2), (2, 2)]
    dyn = export(TakeFirst(), (me.randn(3, 2), me.tensor(4)), dynamic_shapes=({0: Dim("n")}, None))
    assert "Runtime assertion failed for expression u1 <= s77" in str(dyn)
    assert tuple(dyn.module()(me.randn(6, 2), me.tensor(4)).shape) == (4, 2)


class FloatItem(nn.Module):
    def forward(self, x, y):
        a = y.item()
        return x * a, a * 2.0


def test_float_item_is_an_unbacked_symfloat():
    ep = export(FloatItem(), (me.randn(3), me.tensor(1.5)))
    text = str(ep)
    assert 'item: "Sym(zuf0)" = torch.ops.aten.item.default(y)' in text
    assert 'mul: "f32[3]" = torch.ops.aten.mul.Tensor(x, item)' in text
    assert 'mul_1: "Sym(2.0*zuf0)" = item * 2.0' in text
    assert text.endswith("Range constraints: {zuf0: VR[-oo, oo]}\n")
    assert [type(s.arg).__name__ for s in ep.graph_signature.output_specs] == ["TensorArgument", "SymFloatArgument"]
    x = me.randn(3)
    for program in (ep, ep.run_decompositions()):
        out, doubled = program.module()(x, me.tensor(-0.25))
        np.testing.assert_allclose(out.numpy(), x.numpy() * -0.25, rtol=1e-6)
        assert doubled == -0.5 and type(doubled) is float
    assert "torch.ops.aten._local_scalar_dense.default(y)" in str(ep.run_decompositions())


def test_float_item_in_integer_math_and_with_dynamic_sizes():
    class Mixed(nn.Module):
        def forward(self, x, y):
            a = y.item()
            return me.arange(4) * a, (x * (a + x.shape[0]), x.shape[0] * 0.5, a / x.shape[0])

    ep = export(Mixed(), (me.randn(3), me.tensor(1.5)), dynamic_shapes=({0: Dim("n")}, None))
    text = str(ep)
    assert 'add: "Sym(s77 + zuf0)" = item + sym_size_int' in text     # torch's operand order
    assert 'truediv: "Sym(zuf0/s77)" = item / sym_size_int' in text
    ints, (scaled, half, ratio) = ep.module()(me.ones(4), me.tensor(2.0))
    assert ints.dtype == me.float32 and ints.tolist() == [0.0, 2.0, 4.0, 6.0]
    assert scaled.tolist() == [6.0] * 4 and (half, ratio) == (2.0, 0.5)


def test_check_on_a_float_is_a_runtime_assert_and_decides_later_branches():
    class Positive(nn.Module):
        def forward(self, x, y):
            a = y.item()
            me._check(0 < a)
            return x * a if a > 0.0 else x

    ep = export(Positive(), (me.randn(3), me.tensor(1.5)))
    assert "Runtime assertion failed for expression zuf0 > 0 on node 'gt'" in str(ep)
    assert "{zuf0: VR[-oo, oo]}" in str(ep)
    assert ep.module()(me.ones(3), me.tensor(3.0)).tolist() == [3.0] * 3
    with pytest.raises(RuntimeError, match="zuf0 > 0"):
        ep.module()(me.ones(3), me.tensor(-1.0))


def test_undecidable_float_uses_are_refused_with_the_line():
    class Branch(nn.Module):
        def forward(self, x, y):
            if y.item() > 0.5:
                return x + 1
            return x

    class ToInt(nn.Module):
        def forward(self, x, y):
            return x + int(y.item())

    with pytest.raises(me.export.DataDependentError) as e:
        export(Branch(), (me.randn(2), me.tensor(3.0)))
    assert "zuf0 > 0.5" in str(e.value) and "if y.item() > 0.5:" in str(e.value)
    with pytest.raises(me.export.DataDependentError) as e:
        export(ToInt(), (me.randn(2), me.tensor(3.0)))
    assert "specialized int" in str(e.value) and "return x + int(y.item())" in str(e.value)


def test_float_item_matches_torch():
    torch = pytest.importorskip("torch")

    class TFloatItem(torch.nn.Module):
        def forward(self, x, y):
            a = y.item()
            return x * a, a * 2.0

    t_ep = torch.export.export(TFloatItem(), (torch.randn(3), torch.tensor(1.5)))
    m_ep = export(FloatItem(), (me.randn(3), me.tensor(1.5)))
    def strip(program):
        return [line for line in str(program).splitlines() if "# File" not in line]
    assert strip(m_ep) == strip(t_ep)
    assert str(m_ep.run_decompositions().graph_signature) == str(t_ep.run_decompositions().graph_signature)


def test_mask_indexing_and_nonzero_have_unbacked_sizes():
    class Masks(nn.Module):
        def forward(self, x):
            return x[x > 0], me.nonzero(x)

    ep = export(Masks(), (me.randn(3, 4),))
    text = str(ep)
    assert 'index: "f32[u0]"' in text and 'nonzero: "i64[u1, 2]"' in text
    assert 'sym_size_int: "Sym(u0)" = torch.ops.aten.sym_size.int(index, 0)' in text
    assert "Runtime assertion failed for expression u0 <= 12" in text
    assert text.endswith("Range constraints: {u0: VR[0, 12], u1: VR[0, 12]}\n")
    x = me.tensor([[1.0, -1.0, 2.0, 0.0], [0.0, 3.0, -2.0, 1.0], [-1.0, -1.0, 0.5, 0.0]])
    for program in (ep, ep.run_decompositions()):
        masked, nz = program.module()(x)
        assert masked.tolist() == [1.0, 2.0, 3.0, 1.0, 0.5]
        assert nz.tolist() == me.nonzero(x).tolist() and tuple(nz.shape) == (9, 2)


def test_one_name_two_definitions_is_refused():
    with pytest.raises(UserError, match="different definitions"):
        export(Add(), (me.randn(5, 3), me.randn(5, 3)),
               dynamic_shapes={"x": {0: Dim("b", max=10)}, "y": {0: Dim("b", max=20)}})
    ep = export(Add(), (me.randn(5, 3), me.randn(5, 3)), dynamic_shapes={"x": {0: Dim("b")}, "y": {0: Dim("b")}})
    assert len(ep.range_constraints) == 1


# -- property test: programs exported with Dims agree with eager at other in-range sizes -------------------

class _LinearSoftmax(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 3)

    def forward(self, x):
        return self.lin(x).relu().softmax(-1)


class _FlattenMean(nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0], -1).mean(1) * x.shape[1]


class _CatThenSlice(nn.Module):
    def forward(self, x, y):
        z = me.cat([x, y], 0)
        return z[1:z.shape[0] - 1] + x.sum()


class _StridedConvPlusArange(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, stride=2, padding=2)

    def forward(self, x):
        y = self.conv(x)          # width floor((k + 1)/2) + 1: a floor expression over K
        return y + me.arange(y.shape[-1]), me.arange(x.shape[0] * 2)


# name -> (model, inputs for sizes (b, k), dynamic_shapes for Dims (B, K))
_PROPERTY_MODELS = {
    "linear_softmax": (_LinearSoftmax, lambda b, k: (me.randn(b, 4),), lambda B, K: {"x": {0: B}}),
    "shared_matmul": (MatMul, lambda b, k: (me.randn(b, k), me.randn(k, 3)),
                      lambda B, K: {"x": {0: B, 1: K}, "y": {0: K}}),
    "broadcast_add": (Add, lambda b, k: (me.randn(b, k), me.randn(k)), lambda B, K: {"x": {0: B, 1: K}, "y": {0: K}}),
    "flatten_mean": (_FlattenMean, lambda b, k: (me.randn(b, k, 2),), lambda B, K: {"x": {0: B, 1: K}}),
    "conv_arange": (_StridedConvPlusArange, lambda b, k: (me.randn(b, 2, 5, k),), lambda B, K: {"x": {0: B, 3: K}}),
    "derived_cat": (_CatThenSlice, lambda b, k: (me.randn(b, 3), me.randn(2 * b, 3)),
                    lambda B, K: {"x": {0: B}, "y": {0: 2 * B}}),
}


def test_exported_programs_agree_with_eager_at_random_sizes():
    """Draw a model, example sizes and other in-range sizes; the program must match eager at each."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    sizes = st.integers(2, 12)

    @hypothesis.settings(max_examples=40, deadline=None, database=None)
    @hypothesis.given(name=st.sampled_from(sorted(_PROPERTY_MODELS)), example=st.tuples(sizes, sizes),
                      others=st.lists(st.tuples(sizes, sizes), min_size=1, max_size=3))
    def check(name, example, others):
        make_model, make_inputs, make_spec = _PROPERTY_MODELS[name]
        model = make_model().eval()
        ep = export(model, make_inputs(*example),
                    dynamic_shapes=make_spec(Dim("B", min=2, max=12), Dim("K", min=2, max=12)))
        # derived sizes have entries of their own (2*s77: VR[4, 24]), as in torch
        assert all(str(r) == "VR[2, 12]" for k, r in ep.range_constraints.items() if k.is_Symbol), \
            ep.range_constraints
        run = ep.module()
        for b, k in others:
            args = make_inputs(b, k)
            for got, want in zip(pytree.tree_leaves(run(*args)), pytree.tree_leaves(model(*args))):
                np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
        with pytest.raises(AssertionError, match="Guard failed"):
            run(*make_inputs(13, 13))

    check()


class _Interleave(nn.Module):
    def forward(self, short, long):
        return long.reshape(short.shape[0], 2, -1).sum(1) + short


def test_a_nonlinear_relation_between_dims_is_a_violation():
    """A guard no equality explains (Mod/floor of two dims) must not be dropped: it is reported."""
    with pytest.raises(ConstraintViolationError) as info:
        export(_Interleave(), (me.randn(3, 4), me.randn(6, 4)),
               dynamic_shapes={"short": {0: Dim("a")}, "long": {0: Dim("b")}})
    text = str(info.value)
    assert text.startswith("Constraints violated (a, b)!")
    assert "Not all values of a = short.size()[0], b = long.size()[0] in the specified ranges satisfy the " \
           "generated guard Eq(((2*long.size()[0])//short.size()[0]), 4)" in text
    # with the relation stated as a derived dim, the same model exports and checks it at call time
    n = Dim("n")
    ep = export(_Interleave(), (me.randn(3, 4), me.randn(6, 4)), dynamic_shapes={"short": {0: n}, "long": {0: 2 * n}})
    assert tuple(ep.module()(me.randn(5, 4), me.randn(10, 4)).shape) == (5, 4)
    with pytest.raises(AssertionError, match=r"long.size\(\)\[0\]"):
        ep.module()(me.randn(5, 4), me.randn(9, 4))


def test_auto_dims_keep_relation_guards_as_call_time_checks():
    """With Dim.AUTO the relation is accepted, so the module must check it before running kernels."""
    ep = export(_Interleave(), (me.randn(3, 4), me.randn(6, 4)),
                dynamic_shapes={"short": {0: Dim.AUTO}, "long": {0: Dim.AUTO}})
    assert tuple(ep.module()(me.randn(5, 4), me.randn(10, 4)).shape) == (5, 4)
    with pytest.raises(AssertionError, match=r"Guard failed: .*long.size\(\)\[0\].*short.size\(\)\[0\]"):
        ep.module()(me.randn(5, 4), me.randn(12, 4))


def test_a_size_argument_records_its_symbolic_sizes_as_nodes():
    """An op given `x.shape` (a Size holding a symbolic size) reads that size from the graph, as a list does."""
    class ViewLike(me.nn.Module):
        def forward(self, x, y):
            return me.ops.aten.view.default(y, x.shape)

    b = Dim("b")
    ep = export(ViewLike(), (me.randn(4, 3), me.randn(12)), dynamic_shapes=({0: b}, {0: 3 * b}))
    view = next(n for n in ep.graph.nodes if n.op == "call_function" and n.target is me.ops.aten.view.default)
    assert isinstance(view.args[1], list) and view.args[1][0].op == "call_function"
    assert tuple(ep.module()(me.randn(5, 3), me.randn(15)).shape) == (5, 3)


# ---------------------------------------------- where a symbolic value's node comes from --
def _graph_ops(ep):
    """The multiset of call targets (ops by name, Python operators and functions by __name__)."""
    import collections
    return collections.Counter(getattr(n.target, "__name__", None) if not hasattr(n.target, "_schema")
                               else str(n.target).replace("torch.ops.", "") for n in ep.graph.nodes
                               if n.op == "call_function")


def _both_ops(body, shapes, dims_of, decompose=False):
    """(torch's, minexport's) op multisets of a one-function module exported with dynamic shapes."""
    torch = pytest.importorskip("torch")
    out = []
    for lib in (torch, me):
        class Fn(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = lib.nn.Conv2d(3, 4, 3, stride=2, padding=1)

            def forward(self, x):
                return body(lib, self.conv, x)

        lib.manual_seed(0)
        ep = lib.export.export(Fn(), tuple(lib.randn(*s) for s in shapes), dynamic_shapes=dims_of(lib))
        out.append(_graph_ops(ep.run_decompositions() if decompose else ep))
    return out


def _grid_head(L, conv, x):
    """YOLO's head: sizes read off an intermediate tensor, a grid from arange/meshgrid, a product of sizes."""
    y = conv(x)
    bs, _, ny, nx = y.shape
    yv, xv = L.meshgrid(L.arange(ny), L.arange(nx), indexing="ij")
    grid = L.stack((xv, yv), 2).expand(1, 2, ny, nx, 2)
    return y.view(bs, 2, 2, ny, nx).permute(0, 1, 3, 4, 2) + grid, y.reshape(bs, 2 * nx * ny * 2)


def _heads(L, conv, x):
    """Attention's head split and merge: b * h computed three times, (b * h) // h back to the batch."""
    b, n, c = x.shape
    parts = [x[..., i:i + 2].reshape(b, n, 2, 1).permute(0, 2, 1, 3).reshape(b * 2, n, 1) for i in (0, 2, 4)]
    bh = parts[0].shape[0]
    return sum(parts).reshape(bh // 2, 2, n, 1)


@pytest.mark.parametrize("decompose", [False, True])
def test_sizes_of_an_intermediate_tensor_are_read_from_it_when_a_derived_dim_hides_the_root(decompose):
    """With x's height 32*h (a derived dim), the conv output's size is read from that output with sym_size.int,
    as torch does, not recomputed from x's size (torch has no node for the root h)."""
    dims_of = lambda L: ({0: L.export.Dim("b", max=8), 2: 32 * L.export.Dim("h", min=1, max=10),  # noqa: E731
                          3: 32 * L.export.Dim("w", min=1, max=10)},)
    theirs, ours = _both_ops(_grid_head, [(2, 3, 64, 96)], dims_of, decompose)
    assert ours == theirs
    assert ours["floordiv"] == 0 and ours["aten.sym_size.int"] >= 3


@pytest.mark.parametrize("decompose", [False, True])
def test_equal_symbolic_values_share_one_node(decompose):
    """b * h made three times is one mul node, and (b * h) // h is the batch size's own node (torch CSEs
    symbolic values by expression)."""
    dims_of = lambda L: ({0: L.export.Dim("b", max=8), 1: L.export.Dim("n", max=64)},)  # noqa: E731
    theirs, ours = _both_ops(_heads, [(3, 5, 6)], dims_of, decompose)
    assert ours == theirs
    assert ours["mul"] == 1 and ours["floordiv"] == 0


def test_run_decompositions_reads_a_derived_dims_root_from_its_input():
    """A size that is a derived dim's root (x.shape[1] // 2 of a 2*d dim) is computable in the core program."""
    class Halves(nn.Module):
        def forward(self, x):
            return x.view(x.shape[0], 2, x.shape[1] // 2).sum(1)

    ep = export(Halves(), (me.randn(3, 8),), dynamic_shapes={"x": {1: 2 * Dim("d", max=32)}})
    core = ep.run_decompositions()
    x = me.randn(3, 12)
    np.testing.assert_allclose(core.module()(x).numpy(), ep.module()(x).numpy())


@pytest.mark.parametrize("scale, mode", [(2, "nearest"), (1.5, "bilinear"), (2.0, "bilinear")])
def test_interpolate_by_a_scale_keeps_dynamic_sizes_symbolic(scale, mode):
    """F.interpolate(scale_factor=) on dynamic sizes: a whole scale multiplies the size, another truncates the
    product, with no guard (torch's sizes), where minexport used to specialize the dims."""
    torch = pytest.importorskip("torch")
    shapes = []
    for lib in (torch, me):
        class Up(lib.nn.Module):
            def forward(self, x):
                return lib.nn.functional.interpolate(x, scale_factor=scale, mode=mode)

        ep = lib.export.export(Up(), (lib.randn(2, 3, 6, 8),),
                               dynamic_shapes={"x": {2: lib.export.Dim("h"), 3: 2 * lib.export.Dim("w")}})
        shapes.append([tuple(ep.module()(lib.randn(2, 3, h, w)).shape) for h, w in ((5, 10), (7, 4))])
        shapes.append(sorted((str(r.lower), str(r.upper)) for r in ep.range_constraints.values()))
    assert shapes[2:] == shapes[:2]


def test_dynamic_shapes_of_a_varargs_forward_give_the_extra_args_one_entry_as_torch():
    """forward(self, x, *rest): torch binds the extra args to `rest`, one input (a tuple), so dynamic_shapes
    gives `rest` one entry, a tuple of specs; one entry per extra arg is refused by both."""
    torch = pytest.importorskip("torch")

    def program(lib, shapes):
        class Varargs(lib.nn.Module):
            def forward(self, x, *rest):
                return x + rest[0] * rest[1]
        b = lib.export.Dim("b")
        args = (lib.randn(4, 2), lib.randn(4, 2), lib.randn(4, 2))
        return lib.export.export(Varargs(), args, dynamic_shapes=shapes(b))

    nested = lambda b: ({0: b}, ({0: b}, {0: b}))       # noqa: E731
    flat = lambda b: ({0: b}, {0: b}, {0: b})            # noqa: E731
    theirs, ours = program(torch, nested), program(me, nested)
    assert [(str(v.lower), str(v.upper)) for v in ours.range_constraints.values()] == \
        [(str(v.lower), str(v.upper)) for v in theirs.range_constraints.values()]
    for lib in (torch, me):
        with pytest.raises(Exception, match="dynamic_shapes"):
            program(lib, flat)


def _pad_to_multiple(L, x):
    """Swin/ViT-style padding of a dynamic height up to a multiple of 4: math.ceil of a true division."""
    import math
    h = x.shape[2]
    return L.nn.functional.pad(x, (0, 0, 0, math.ceil(h / 4) * 4 - h))


def _recomputed_scale(L, x):
    """interpolate with recompute_scale_factor: the output size is sym_int(size * scale), a float's truncation."""
    return L.nn.functional.interpolate(x, scale_factor=1.5, mode="nearest", recompute_scale_factor=True)


@pytest.mark.parametrize("body", [_pad_to_multiple, _recomputed_scale])
def test_float_arithmetic_on_sizes_stays_symbolic_as_torchs(body, tmp_path):
    """size / 4, math.ceil, size * 1.5 and math.trunc keep a dynamic size symbolic (no specialization), with
    torch's nodes (truediv, math.ceil, torch.sym_float, math.trunc), before and after run_decompositions; the
    program runs on other sizes and torch loads its archive."""
    torch = pytest.importorskip("torch")
    eps = []
    for lib in (torch, me):
        class Fn(lib.nn.Module):
            def forward(self, x):
                return body(lib, x)

        eps.append(lib.export.export(Fn(), (lib.randn(2, 3, 6, 8),),
                                     dynamic_shapes={"x": {2: lib.export.Dim("h", max=64)}}))
    tep, mep = eps
    assert _graph_ops(mep) == _graph_ops(tep)
    assert _graph_ops(mep.run_decompositions()) == _graph_ops(tep.run_decompositions())
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8)).astype(np.float32)
    want = tep.module()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(mep.module()(me.from_numpy(x)).numpy(), want)
    np.testing.assert_allclose(mep.run_decompositions().module()(me.from_numpy(x)).numpy(), want)
    me.export.save(mep, str(tmp_path / "mx.pt2"))
    np.testing.assert_allclose(torch.export.load(str(tmp_path / "mx.pt2")).module()(torch.from_numpy(x)).numpy(),
                               want)
