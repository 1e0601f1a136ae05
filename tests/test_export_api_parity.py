"""Small torch.export API parity (issue 16 item 6): ep.verifiers, the signature's replace hook,
prefer_deferred_runtime_asserts_over_guards, passes.move_to_device_pass, and `.data` refused while tracing."""
import numpy as np
import pytest

import minexport as me
from minexport.export import Dim, export
from minexport.export.dynamic_shapes import ConstraintViolationError
from minexport.export.errors import UserError
from minexport.export.passes import move_to_device_pass
from minexport.export.verifier import TrainingIRVerifier, Verifier
from minexport.ops import aten


class SinAdd(me.nn.Module):
    def forward(self, x):
        return x.sin() + 1


class WithState(me.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("b", me.ones(2))
        self.c = me.tensor([3.0, 4.0])

    def forward(self, x):
        return (x * self.b + self.c).to("cpu") + me.zeros(2, device="cpu")


class SizeBranch(me.nn.Module):
    def forward(self, x):
        if x.shape[0] > 3:
            return x.cos()
        return x.sin()


def test_verifiers_are_classes_with_a_dialect_as_torchs():
    ep = export(SinAdd(), (me.ones(2),))
    assert ep.verifiers == [TrainingIRVerifier] and [v.dialect for v in ep.verifiers] == ["TRAINING"]
    assert ep.run_decompositions().verifiers == [Verifier] and Verifier.dialect == "ATEN"
    torch = pytest.importorskip("torch")

    class T(torch.nn.Module):
        def forward(self, x):
            return x.sin() + 1
    theirs = torch.export.export(T(), (torch.ones(2),))
    assert [v.dialect for v in theirs.verifiers] == [v.dialect for v in ep.verifiers]
    assert [v.__name__ for v in theirs.verifiers] == [v.__name__ for v in ep.verifiers]


def test_replace_hook_keeps_the_output_spec_on_the_new_node():
    ep = export(SinAdd(), (me.ones(2),))
    g = ep.graph
    add = [n for n in g.nodes if n.op == "call_function"][-1]
    with ep.graph_module._set_replace_hook(ep.graph_signature.get_replace_hook()):
        with g.inserting_after(add):
            new = g.call_function(aten.mul.Tensor, (add, 2))
        add.replace_all_uses_with(new, delete_user_cb=lambda u: u is not new)
    assert ep.graph_signature.output_specs[0].arg.name == new.name != "add"
    ep.graph_module.recompile()
    np.testing.assert_allclose(ep.module()(me.ones(2)).numpy(), 2 * (np.sin(np.ones(2)) + 1), rtol=1e-6)
    assert ep.graph_module._replace_hooks == []          # the hook is gone after the block
    # without the hook the signature keeps naming the old node
    ep2 = export(SinAdd(), (me.ones(2),))
    add2 = [n for n in ep2.graph.nodes if n.op == "call_function"][-1]
    with ep2.graph.inserting_after(add2):
        new2 = ep2.graph.call_function(aten.mul.Tensor, (add2, 2))
    add2.replace_all_uses_with(new2, delete_user_cb=lambda u: u is not new2)
    assert ep2.graph_signature.output_specs[0].arg.name == "add"


def test_replace_hook_with_replace_inputs_renames_placeholders():
    ep = export(SinAdd(), (me.ones(2),))
    hook = ep.graph_signature.get_replace_hook(replace_inputs=True)
    x = next(n for n in ep.graph.nodes if n.op == "placeholder")
    sin = next(n for n in ep.graph.nodes if n.op == "call_function")
    hook(x, "y", sin)
    assert ep.graph_signature.input_specs[0].arg.name == "y"
    with pytest.raises(AssertionError, match="callable"):
        with ep.graph_module._set_replace_hook(None):
            pass


@pytest.mark.parametrize("flag", [False, True])
def test_prefer_deferred_runtime_asserts_is_accepted_and_changes_no_shape_guard(flag):
    # as torch 2.13: a guard on a declared Dim still violates it; with Dim.AUTO the range narrows
    with pytest.raises(ConstraintViolationError):
        export(SizeBranch(), (me.ones(5),), dynamic_shapes={"x": {0: Dim("d")}},
               prefer_deferred_runtime_asserts_over_guards=flag)
    ep = export(SizeBranch(), (me.ones(5),), dynamic_shapes={"x": {0: Dim.AUTO}},
                prefer_deferred_runtime_asserts_over_guards=flag)
    assert [str(v) for v in ep.range_constraints.values()] == ["VR[4, int_oo]"]


def test_move_to_device_pass_cpu_keeps_and_returns_the_same_program():
    ep = export(WithState(), (me.ones(2),))
    before = str(ep.graph)
    assert move_to_device_pass(ep, "cpu") is ep
    assert move_to_device_pass(ep, {"cuda:0": "cpu"}) is ep       # a device the program does not use: no change
    assert str(ep.graph) == before
    np.testing.assert_allclose(ep.module()(me.ones(2)).numpy(), [4.0, 5.0])


def test_move_to_device_pass_rewrites_device_arguments_and_meta():
    pytest.importorskip("cupy")
    ep = export(WithState(), (me.ones(2),))
    move_to_device_pass(ep, "cuda")
    assert all(str(t.device).startswith("cuda") for t in list(ep.state_dict.values()) + list(ep.constants.values()))
    devices = [n.kwargs.get("device") for n in ep.graph.nodes if n.op == "call_function"]
    assert all(d is None or str(d).startswith("cuda") for d in devices)
    out = ep.module()(me.ones(2).to("cuda"))
    np.testing.assert_allclose(out.cpu().numpy(), [4.0, 5.0])


def test_move_to_a_device_minexport_cannot_use_leaves_the_program_unchanged():
    try:
        import cupy  # noqa: F401
        pytest.skip("CuPy is installed: the move succeeds (see the test above)")
    except ImportError:
        pass
    ep = export(WithState(), (me.ones(2),))
    before = str(ep.graph)
    with pytest.raises(RuntimeError, match="CuPy"):
        move_to_device_pass(ep, "cuda")
    assert str(ep.graph) == before and str(ep.state_dict["b"].device) == "cpu"


class ReadData(me.nn.Module):
    def forward(self, x):
        return x.data * 2


class WriteThroughData(me.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("b", me.ones(2))

    def forward(self, x):
        self.b.data.add_(1)
        return x * self.b


class AssignData(me.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = me.nn.Parameter(me.ones(2))

    def forward(self, x):
        self.w.data = x * 2
        return x + self.w


@pytest.mark.parametrize("cls", [ReadData, WriteThroughData], ids=lambda c: c.__name__)
def test_data_of_a_traced_tensor_is_refused_as_torch_refuses_it(cls):
    with pytest.raises(UserError, match=r"(?s)`.data` of a tensor being traced.*\.data"):
        export(cls(), (me.ones(2),))
    assert isinstance(UserError("x"), RuntimeError)      # torch raises a RuntimeError
    eager = cls()(me.ones(2))                              # eager .data is untouched
    assert eager.shape == (2,)


def test_assigning_data_follows_the_new_value_as_torch():
    ep = export(AssignData(), (me.ones(2),))
    assert [str(n.target) for n in ep.graph.nodes if n.op == "call_function"] == ["aten.mul.Tensor",
                                                                                   "aten.add.Tensor"]
    np.testing.assert_allclose(ep.module()(me.full((2,), 3.0)).numpy(), [9.0, 9.0])


def test_torch_refuses_the_same_data_uses():
    torch = pytest.importorskip("torch")

    class T(torch.nn.Module):
        def forward(self, x):
            return x.data * 2
    with pytest.raises(RuntimeError, match="fake tensor in the exported program constant"):
        torch.export.export(T(), (torch.ones(2),))
