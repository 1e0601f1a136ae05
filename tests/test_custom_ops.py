"""Custom operators (minexport.library, torch.library's API): definition, eager calls, export, decomposition,
the verifier, opcheck, archives, and torch agreement where torch is installed.

Ops are process-wide, so every op here lives in a namespace of this file (mxt_*).
"""
import subprocess
import sys
import pathlib
import textwrap

import numpy as np
import pytest

import minexport
from minexport import Tensor, library
from minexport.export import export, load, save
from minexport.export.verifier import Verifier

ROOT = pathlib.Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ ops --
@library.custom_op("mxt::scale_shift", mutates_args=())
def scale_shift(x: Tensor, k: float, shift: int = 1) -> Tensor:
    return x * k + shift


@scale_shift.register_fake
def _(x, k, shift=1):
    return minexport.empty_like(x)


@library.custom_op("mxt::accumulate", mutates_args=("buf",))
def accumulate(x: Tensor, buf: Tensor, alpha: float = 1.0) -> Tensor:
    buf.add_(x * alpha)
    return x * 2


@accumulate.register_fake
def _(x, buf, alpha=1.0):
    return minexport.empty_like(x)


@library.custom_op("mxt::fill_in", mutates_args=("out",))
def fill_in(x: Tensor, out: Tensor) -> None:
    out.copy_(x.sin())


@fill_in.register_fake
def _(x, out):
    return None


@library.custom_op("mxt::positives", mutates_args=())
def positives(x: Tensor) -> Tensor:
    return x[x > 0]


@positives.register_fake
def _(x):
    return x.new_empty(library.get_ctx().new_dynamic_size())


@library.custom_op("mxt::no_fake", mutates_args=())
def no_fake(x: Tensor) -> Tensor:
    return x + 1


class UsesScale(minexport.nn.Module):
    def forward(self, x):
        return scale_shift(x.sin(), 2.0).cos()


class Accumulates(minexport.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("total", minexport.zeros(2, 3))

    def forward(self, x, y):
        z = accumulate(x, self.total, 0.5)
        fill_in(x, y)
        return z + self.total + y


def _x():
    return minexport.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5)


# --------------------------------------------------------------- schema --
def test_infer_schema_matches_torchs_rules():
    from typing import Optional

    def f(x: Tensor, y: Optional[Tensor], xs: list[Tensor], n: int = 2, alpha: float = 1e-05,
          flag: bool = False, name: str = "a", sizes: Optional[list[int]] = None,
          dtype: Optional[minexport.dtype] = None, *, k: int = 3) -> tuple[Tensor, list[Tensor]]:
        raise AssertionError("not called")
    assert library.infer_schema(f, mutates_args=("xs",), op_name="f") == (
        "f(Tensor x, Tensor? y, Tensor(a2!)[] xs, SymInt n=2, float alpha=1e-05, bool flag=False, str name=\"a\", "
        "SymInt[]? sizes=None, ScalarType? dtype=None, *, SymInt k=3) -> (Tensor, Tensor[])")
    with pytest.raises(ValueError, match="Parameter x must have a type annotation"):
        library.infer_schema(lambda x: x, mutates_args=())
    with pytest.raises(ValueError, match="in mutates_args were not found"):
        library.infer_schema(f, mutates_args=("nope",))


def test_infer_schema_agrees_with_torch():
    torch = pytest.importorskip("torch")
    from typing import Optional

    def ours(x: Tensor, y: Optional[Tensor], n: int = 2, alpha: float = 1.0, flag: bool = False,
             dtype: Optional[minexport.dtype] = None) -> tuple[Tensor, Tensor]:
        raise AssertionError

    def theirs(x: torch.Tensor, y: Optional[torch.Tensor], n: int = 2, alpha: float = 1.0, flag: bool = False,
               dtype: Optional[torch.dtype] = None) -> tuple[torch.Tensor, torch.Tensor]:
        raise AssertionError
    for mutates in ((), ("x",), "unknown"):
        assert library.infer_schema(ours, mutates_args=mutates) == torch.library.infer_schema(theirs,
                                                                                              mutates_args=mutates)


def test_op_is_registered_under_its_namespace():
    op = minexport.ops.mxt.scale_shift.default
    assert op is scale_shift._opoverload
    assert op.name() == "mxt::scale_shift"
    assert str(op._schema) == "scale_shift(Tensor x, float k, SymInt shift=1) -> Tensor"
    with pytest.raises(AttributeError, match="no op is registered in a namespace 'mxt_nothing'"):
        minexport.ops.mxt_nothing


# ---------------------------------------------------------------- eager --
def test_eager_calls_run_the_kernel():
    x = _x()
    np.testing.assert_allclose(scale_shift(x, 2.0).numpy(), x.numpy() * 2 + 1)
    np.testing.assert_allclose(minexport.ops.mxt.scale_shift(x, 3.0, shift=0).numpy(), x.numpy() * 3)
    buf = minexport.zeros(2, 3)
    out = accumulate(x, buf, 0.5)
    np.testing.assert_allclose(buf.numpy(), x.numpy() * 0.5)
    np.testing.assert_allclose(out.numpy(), x.numpy() * 2)


def test_library_define_impl_and_register_fake_by_name():
    lib = library.Library("mxt_lib", "DEF")
    lib.define("twice(Tensor x) -> Tensor")
    lib.impl("twice", lambda x: x * 2, "CPU")
    library.register_fake("mxt_lib::twice", lambda x: minexport.empty_like(x))
    x = _x()
    np.testing.assert_allclose(minexport.ops.mxt_lib.twice.default(x).numpy(), x.numpy() * 2)

    class M(minexport.nn.Module):
        def forward(self, x):
            return minexport.ops.mxt_lib.twice(x) + 1
    ep = export(M(), (x,))
    assert [str(n.target) for n in ep.graph.nodes if n.op == "call_function"] == ["mxt_lib.twice.default",
                                                                                  "aten.add.Tensor"]
    np.testing.assert_allclose(ep.module()(x).numpy(), x.numpy() * 2 + 1)
    lib.define("thrice(Tensor x) -> Tensor")
    library.impl(lib, "thrice", "CompositeExplicitAutograd")(lambda x: x * 3)
    library.impl("mxt_lib::thrice", "cpu", lambda x: x * 30)
    library.register_fake("mxt_lib::thrice")(lambda x: minexport.empty_like(x))
    np.testing.assert_allclose(minexport.ops.mxt_lib.thrice(x).numpy(), x.numpy() * 30)
    with pytest.raises(NotImplementedError, match="dispatch key 'CompositeImplicitAutograd' is not supported"):
        lib.impl("thrice", lambda x: x, "CompositeImplicitAutograd")
    with pytest.raises(RuntimeError, match="not allowed on a Library of kind 'IMPL'"):
        library.Library("mxt_lib", "IMPL").define("other(Tensor x) -> Tensor")
    with pytest.raises(ValueError, match="reserved namespace"):
        library.Library("aten", "FRAGMENT").define("mine(Tensor x) -> Tensor")


def test_register_kernel_and_autograd_are_kept():
    @library.custom_op("mxt::plus", mutates_args=(), device_types="cpu")
    def plus(x: Tensor) -> Tensor:
        return x + 1
    plus.register_kernel("cpu", lambda x: x + 10)
    plus.register_autograd(lambda ctx, grad: grad)
    x = _x()
    np.testing.assert_allclose(plus(x).numpy(), x.numpy() + 10)


# --------------------------------------------------------------- export --
def test_custom_op_is_one_node_through_export_and_decompositions():
    x = _x()
    ep = export(UsesScale(), (x,))
    targets = [str(n.target) for n in ep.graph.nodes if n.op == "call_function"]
    assert targets == ["aten.sin.default", "mxt.scale_shift.default", "aten.cos.default"]
    core = ep.run_decompositions()
    assert [str(n.target) for n in core.graph.nodes if n.op == "call_function"] == targets
    Verifier().check(core)
    expected = np.cos(np.sin(x.numpy()) * 2 + 1)
    np.testing.assert_allclose(ep.module()(x).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(core.module()(x).numpy(), expected, rtol=1e-6)


def test_export_without_fake_says_to_register_one():
    class M(minexport.nn.Module):
        def forward(self, x):
            return no_fake(x)
    with pytest.raises(RuntimeError, match=r"no fake impl registered for mxt::no_fake.*register_fake"):
        export(M(), (_x(),))


def test_verifier_checks_through_the_fake():
    ep = export(UsesScale(), (_x(),))
    node = next(n for n in ep.graph.nodes if n.target is scale_shift._opoverload)
    node.meta["val"] = minexport.empty(5).to(minexport.float32)
    with pytest.raises(Exception, match="meta functions reproduce node values"):
        Verifier().check(ep)


def test_data_dependent_size_from_get_ctx():
    class M(minexport.nn.Module):
        def forward(self, x):
            p = positives(x)
            return p * 2, p.sum()
    x = _x()
    ep = export(M(), (x,))
    targets = [str(n.target) for n in ep.graph.nodes if n.op == "call_function"]
    assert "mxt.positives.default" in targets and "aten._assert_scalar.default" in targets
    out, total = ep.module()(x)
    np.testing.assert_allclose(out.numpy(), x.numpy()[x.numpy() > 0] * 2)
    assert [str(r) for r in ep.range_constraints.values()] != []
    with pytest.raises(RuntimeError, match="get_ctx\\(\\) may only be called from inside a fake implementation"):
        library.get_ctx()


# ------------------------------------------------------------- mutation --
def test_mutating_custom_op_training_ir_keeps_the_call():
    x, y = _x(), minexport.ones(2, 3)
    m = Accumulates()
    ep = export(m, (x, y))
    targets = [str(n.target) for n in ep.graph.nodes if n.op == "call_function"]
    assert targets[:2] == ["mxt.accumulate.default", "mxt.fill_in.default"]
    assert [s.kind.name for s in ep.graph_signature.output_specs] == ["USER_OUTPUT"]
    mod = ep.module()
    out = mod(x, y)
    np.testing.assert_allclose(mod.total.numpy(), x.numpy() * 0.5)
    np.testing.assert_allclose(y.numpy(), np.sin(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(out.numpy(), x.numpy() * 2 + x.numpy() * 0.5 + np.sin(x.numpy()), rtol=1e-6)


def test_mutating_custom_op_is_auto_functionalized():
    x, y = _x(), minexport.ones(2, 3)
    core = export(Accumulates(), (x, y)).run_decompositions()
    calls = [n for n in core.graph.nodes if n.op == "call_function" and str(n.target) == "auto_functionalized_v2"]
    assert [n.args for n in calls] == [(accumulate._opoverload,), (fill_in._opoverload,)]
    assert list(calls[0].kwargs) == ["x", "alpha", "_buf_base_index", "_all_bases"]
    assert calls[0].kwargs["alpha"] == 0.5 and calls[0].kwargs["_buf_base_index"] == 0
    assert [n.name for n in calls[0].kwargs["_all_bases"]] == ["b_total"]
    assert list(calls[1].kwargs) == ["x", "_out_base_index", "_all_bases"]
    specs = [(s.kind.name, s.target) for s in core.graph_signature.output_specs]
    assert specs == [("BUFFER_MUTATION", "total"), ("USER_INPUT_MUTATION", "y"), ("USER_OUTPUT", None)]
    Verifier().check(core)
    mod = core.module()
    out = mod(x, y)
    np.testing.assert_allclose(mod.total.numpy(), x.numpy() * 0.5)
    np.testing.assert_allclose(y.numpy(), np.sin(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(out.numpy(), x.numpy() * 2.5 + np.sin(x.numpy()), rtol=1e-6)


# -------------------------------------------------------------- opcheck --
def test_opcheck_passes_a_correct_op():
    result = library.opcheck(accumulate, (_x(), minexport.zeros(2, 3)))
    assert result["test_schema"] == "SUCCESS" and result["test_faketensor"] == "SUCCESS"
    assert library.opcheck(positives, (_x(),), test_utils="test_faketensor") == {"test_faketensor": "SUCCESS"}


def test_opcheck_catches_undeclared_mutation_and_wrong_fake():
    @library.custom_op("mxt::sneaky", mutates_args=())
    def sneaky(x: Tensor) -> Tensor:
        x.add_(1)
        return x.clone()

    @sneaky.register_fake
    def _(x):
        return minexport.empty(x.shape[0], dtype=x.dtype)
    with pytest.raises(AssertionError, match="wrote argument 'x', which its schema does not mark"):
        library.opcheck(sneaky, (_x(),), test_utils="test_schema")
    with pytest.raises(AssertionError, match=r"fake shape \(2,\), real \(2, 3\)"):
        library.opcheck(sneaky, (_x(),), test_utils="test_faketensor")
    got = library.opcheck(sneaky, (_x(),), test_utils="test_faketensor", raise_exception=False)
    assert isinstance(got["test_faketensor"], AssertionError)


# ------------------------------------------------------------- archives --
def test_archive_round_trip(tmp_path):
    x, y = _x(), minexport.ones(2, 3)
    for program in (export(Accumulates(), (x, y)), export(Accumulates(), (x, y)).run_decompositions()):
        path = tmp_path / "p.pt2"
        save(program, path)
        loaded = load(path)
        assert [str(n.target) for n in loaded.graph.nodes] == [str(n.target) for n in program.graph.nodes]
        y1, y2 = minexport.ones(2, 3), minexport.ones(2, 3)
        np.testing.assert_allclose(loaded.module()(x, y1).numpy(), program.module()(x, y2).numpy())
        np.testing.assert_allclose(y1.numpy(), y2.numpy())


def test_loading_an_unregistered_op_says_how_to_register_it(tmp_path):
    path = tmp_path / "p.pt2"
    save(export(UsesScale(), (_x(),)), path)
    script = textwrap.dedent(f"""
        import minexport
        from minexport.export import load
        from minexport.serde.errors import SerializationError
        try:
            load({str(path)!r})
        except SerializationError as e:
            print("ERROR", e)
        @minexport.library.custom_op("mxt::scale_shift", mutates_args=())
        def scale_shift(x: minexport.Tensor, k: float, shift: int = 1) -> minexport.Tensor:
            return x * k + shift
        scale_shift.register_fake(lambda x, k, shift=1: minexport.empty_like(x))
        print("RUN", load({str(path)!r}).module()(minexport.zeros(2, 3))[0, 0].item())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    lines = out.stdout.splitlines()
    assert lines[0].startswith("ERROR"), out.stderr
    assert "'torch.ops.mxt.scale_shift.default'" in lines[0]
    assert '@minexport.library.custom_op("mxt::scale_shift"' in lines[0] and "register_fake" in lines[0]
    assert len(lines) == 2, out.stderr
    assert lines[1].startswith("RUN") and float(lines[1].split()[1]) == pytest.approx(np.cos(1.0), rel=1e-6)


# ------------------------------------------------------- torch, both ways --
def _torch_ops(torch):
    """The same two ops in torch (namespace mxt_torch), defined once per process."""
    if hasattr(_torch_ops, "ops"):
        return _torch_ops.ops

    @torch.library.custom_op("mxt_torch::accumulate", mutates_args=("buf",))
    def t_accumulate(x: torch.Tensor, buf: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
        buf.add_(x * alpha)
        return x * 2

    @t_accumulate.register_fake
    def _(x, buf, alpha=1.0):
        return torch.empty_like(x)

    @torch.library.custom_op("mxt_torch::scaled_add", mutates_args=("out",))
    def t_scaled_add(x: torch.Tensor, out: torch.Tensor, k: float) -> None:
        out.add_(x * k)

    t_scaled_add.register_fake(lambda x, out, k: None)

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("total", torch.zeros(2, 3))

        def forward(self, x):
            t_scaled_add(x[:, 1:], self.total[:, 1:], 1.0)    # a slice: regenerated from the buffer
            t_scaled_add(x[0], self.total[0], 1.0)            # a select: as_strided
            return t_accumulate(x, self.total, 0.5) + self.total
    _torch_ops.ops = M
    return M


@library.custom_op("mxt_torch::accumulate", mutates_args=("buf",))
def _m_accumulate(x: Tensor, buf: Tensor, alpha: float = 1.0) -> Tensor:
    buf.add_(x * alpha)
    return x * 2


_m_accumulate.register_fake(lambda x, buf, alpha=1.0: minexport.empty_like(x))


@library.custom_op("mxt_torch::scaled_add", mutates_args=("out",))
def _m_scaled_add(x: Tensor, out: Tensor, k: float) -> None:
    out.add_(x * k)


_m_scaled_add.register_fake(lambda x, out, k: None)


class _MAccumulates(minexport.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("total", minexport.zeros(2, 3))

    def forward(self, x):
        _m_scaled_add(x[:, 1:], self.total[:, 1:], 1.0)
        _m_scaled_add(x[0], self.total[0], 1.0)
        return _m_accumulate(x, self.total, 0.5) + self.total


def _expected_total(xs):
    """The buffer after one call: the slice and the select writes, then accumulate's half of x."""
    total = np.zeros((2, 3), np.float32)
    total[:, 1:] += xs[:, 1:]
    total[0] += xs[0]
    return total + xs * 0.5


def _calls(program, prefix=""):
    """The program's call targets, getitems aside (torch keeps only the read ones after loading)."""
    return [str(n.target).removeprefix(prefix) for n in program.graph.nodes
            if n.op == "call_function" and "getitem" not in str(n.target)]


@pytest.mark.parametrize("decompose", [False, True])
def test_torch_archive_loads_in_minexport(tmp_path, decompose):
    torch = pytest.importorskip("torch")
    M = _torch_ops(torch)
    xs = np.arange(6, dtype=np.float32).reshape(2, 3)
    ep = torch.export.export(M(), (torch.from_numpy(xs),))
    if decompose:
        ep = ep.run_decompositions()
    path = tmp_path / "torch.pt2"
    torch.export.save(ep, str(path))
    ours = load(path)
    assert _calls(ours) == _calls(ep, "torch.ops.")
    mod = ours.module()
    out = mod(minexport.tensor(xs))
    np.testing.assert_allclose(out.numpy(), xs * 2 + _expected_total(xs))
    np.testing.assert_allclose(mod.total.numpy(), _expected_total(xs))


@pytest.mark.parametrize("decompose", [False, True])
def test_minexport_archive_loads_in_torch(tmp_path, decompose):
    torch = pytest.importorskip("torch")
    _torch_ops(torch)
    xs = np.arange(6, dtype=np.float32).reshape(2, 3)
    ep = export(_MAccumulates(), (minexport.tensor(xs),))
    if decompose:
        ep = ep.run_decompositions()
    path = tmp_path / "ours.pt2"
    save(ep, path)
    theirs = torch.export.load(str(path))
    assert _calls(theirs, "torch.ops.") == _calls(ep)
    mod = theirs.module()
    out = mod(torch.from_numpy(xs.copy()))
    np.testing.assert_allclose(out.numpy(), xs * 2 + _expected_total(xs))
    np.testing.assert_allclose(mod.total.numpy(), _expected_total(xs))


def test_written_views_are_regenerated_from_their_bases():
    """A slice is recorded as one (`_out_slice_dim/start/end`), a select as as_strided; both write the buffer."""
    xs = np.arange(6, dtype=np.float32).reshape(2, 3)
    core = export(_MAccumulates(), (minexport.tensor(xs),)).run_decompositions()
    calls = [n for n in core.graph.nodes if n.op == "call_function" and str(n.target) == "auto_functionalized_v2"]
    assert [list(n.kwargs)[2:-1] for n in calls[:2]] == [
        ["_out_base_index", "_out_slice_dim", "_out_slice_start", "_out_slice_end"],
        ["_out_base_index", "_out_size", "_out_stride", "_out_storage_offset"]]
    assert (calls[0].kwargs["_out_slice_dim"], calls[0].kwargs["_out_slice_start"]) == (1, 1)
    assert (calls[1].kwargs["_out_size"], calls[1].kwargs["_out_stride"]) == ((3,), (1,))
    Verifier().check(core)
    mod = core.module()
    out = mod(minexport.tensor(xs))
    np.testing.assert_allclose(mod.total.numpy(), _expected_total(xs))
    np.testing.assert_allclose(out.numpy(), xs * 2 + _expected_total(xs))


def test_custom_ops_are_not_among_minexports_own_ops():
    """all_ops() lists what minexport implements (what the op tests and spec/ops.md cover)."""
    from minexport.ops import all_ops, lookup
    assert scale_shift._opoverload not in all_ops()
    assert lookup("mxt::scale_shift") is scale_shift._opoverload


def test_a_decomposition_given_for_a_custom_op_is_applied():
    """Like torch: a custom op stays one node unless the decomposition table passed in has an entry for it."""
    from minexport.export import default_decompositions
    x = _x()
    ep = export(UsesScale(), (x,))
    table = default_decompositions()
    table[scale_shift._opoverload] = lambda x, k, shift=1: minexport.add(minexport.mul(x, k), shift)
    core = ep.run_decompositions(table)
    targets = [str(n.target) for n in core.graph.nodes if n.op == "call_function"]
    assert "mxt.scale_shift.default" not in targets and "aten.mul.Tensor" in targets
    np.testing.assert_allclose(core.module()(x).numpy(), np.cos(np.sin(x.numpy()) * 2 + 1), rtol=1e-6)


def test_library_define_with_an_overload_name():
    lib = library.Library("mxt_over", "FRAGMENT")
    lib.define("shift.by(Tensor x, int n) -> Tensor")
    lib.impl("shift.by", lambda x, n: x + n, "CPU")
    lib.impl("shift.by", lambda x, n: minexport.empty_like(x), "Meta")
    op = minexport.ops.mxt_over.shift.by
    assert op.name() == "mxt_over::shift.by"
    np.testing.assert_allclose(op(_x(), 2).numpy(), _x().numpy() + 2)
    assert library.opcheck(op, (_x(), 2))["test_faketensor"] == "SUCCESS"


def test_outputs_may_not_be_inputs():
    @library.custom_op("mxt::same", mutates_args=())
    def same(x: Tensor) -> Tensor:
        return x
    same.register_fake(lambda x: x)
    with pytest.raises(RuntimeError, match="mxt::same: the kernel returned one of its inputs"):
        same(_x())

    class M(minexport.nn.Module):
        def forward(self, x):
            return same(x)
    with pytest.raises(RuntimeError, match="mxt::same: the fake implementation returned one of its inputs"):
        export(M(), (_x(),))


def test_a_mutating_custom_op_in_a_cond_branch_is_refused_naming_what_it_writes():
    """torch refuses input mutation inside higher-order ops; the written tensor here is the op's second argument."""
    class M(minexport.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("b", minexport.zeros(2, 3))

        def forward(self, x):
            return minexport.cond(x.sum() > 0, lambda x: accumulate(x, self.b), lambda x: x * 1, (x,))
    with pytest.raises(Exception, match="mutates its input 'b_b' with mxt.accumulate.default"):
        export(M(), (_x(),))
