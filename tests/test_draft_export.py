"""draft_export: what export refuses is reported (data-dependent decisions, guards against dynamic_shapes,
missing or wrong fake kernels of custom ops) and the program still runs, as torch.export.draft_export.

The torch comparison of the same programs is tests/fx_scripts/draft_export_report.py (run by
tests/test_fx_editing.py under torch and under minexport.compat); here: the report's structure, text and
the program's behaviour, each checked in minexport, with torch's results beside where they are cheap.
"""
import numpy as np
import pytest

import minexport as me
from minexport.export import Dim, draft_export, export
from minexport.export.draft_export import DraftExportReport, FailureReport, FailureType
from minexport.export.errors import DataDependentError
from minexport.export.dynamic_shapes import ConstraintViolationError


class Branch(me.nn.Module):
    def forward(self, x, y):
        n = y.item()
        if n > 2:
            return x * 2
        return x - 1


class Loop(me.nn.Module):
    def forward(self, x, y):
        n = y.item()
        for i in range(3):
            if n > i + 2:
                x = x * 2
        return x


class Repeat(me.nn.Module):
    def forward(self, x, y):
        return x.repeat(int(y.item()))


class SizeBranch(me.nn.Module):
    def forward(self, x):
        if x.shape[0] > 3:
            return x.cos()
        return x.sin()


class Counter(me.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("count", me.zeros(1))

    def forward(self, x):
        self.count.add_(1)
        return x + self.count


@me.library.custom_op("drafttest::first_two", mutates_args=())
def first_two(x: me.Tensor) -> me.Tensor:
    return x[:2].clone()


@me.library.custom_op("drafttest::double", mutates_args=())
def double(x: me.Tensor) -> me.Tensor:
    return x * 2


@double.register_fake
def _(x):
    return x.new_empty(x.shape[0] + 1)


def _ops(ep):
    return sorted({str(n.target) for n in ep.graph.nodes if n.op == "call_function"})


def test_export_refuses_what_draft_export_reports():
    with pytest.raises(DataDependentError):
        export(Branch(), (me.ones(2), me.tensor(5)))
    ep = draft_export(Branch(), (me.ones(2), me.tensor(5)))
    (failure,) = ep._report.failures
    assert failure.failure_type is FailureType.DATA_DEPENDENT_ERROR
    assert str(failure.failure_type) == "DATA_DEPENDENT_ERROR"
    assert failure.data["expr"] == "u0 > 2" and failure.data["result"] == "True" and failure.data["occurrences"] == 1
    assert failure.data["user_stack"][-1]["loc"] == "if n > 2:"
    assert ep._report.str_to_filename[failure.data["user_stack"][-1]["filename"]] == __file__
    assert failure.data["frame_locals"]["locals"] == {"n": ["u0"]}
    assert not ep._report.successful()
    assert str(ep.range_constraints[next(iter(ep.range_constraints))]) == "VR[3, int_oo]"


def test_data_dependent_decision_becomes_a_runtime_assert():
    ep = draft_export(Branch(), (me.ones(2), me.tensor(5)))
    m = ep.module()
    np.testing.assert_allclose(m(me.ones(2), me.tensor(9)).numpy(), [2.0, 2.0])
    # torch asserts the bound the decision gave u0 first (u0 >= 3), then the decision itself (u0 > 2)
    assert [n.args[1].split(" on node")[0][-7:] for n in ep.graph.nodes if "_assert_scalar" in str(n.target)] == \
        ["u0 >= 3", " u0 > 2"]
    with pytest.raises(Exception, match="u0 >= 3"):
        m(me.ones(2), me.tensor(1))


def test_false_decision_asserts_the_negation():
    ep = draft_export(Branch(), (me.ones(2), me.tensor(1)))
    (failure,) = ep._report.failures
    assert failure.data["result"] == "False"
    assert "aten.sub.Tensor" in _ops(ep) and "aten.mul.Tensor" not in _ops(ep)
    np.testing.assert_allclose(ep.module()(me.ones(2), me.tensor(-4)).numpy(), [0.0, 0.0])


def test_one_line_reported_once_with_its_count():
    ep = draft_export(Loop(), (me.ones(2), me.tensor(3)))
    (failure,) = ep._report.failures
    assert failure.data["occurrences"] == 2         # torch: 2 (the third decision follows from the first two)
    assert [str(v) for v in ep.range_constraints.values()] == ["VR[3, 3]"]
    np.testing.assert_allclose(ep.module()(me.ones(2), me.tensor(3)).numpy(), [2.0, 2.0])


def test_int_of_a_data_dependent_value_is_specialized_and_asserted():
    ep = draft_export(Repeat(), (me.ones(2), me.tensor(3)))
    (failure,) = ep._report.failures
    assert (failure.data["expr"], failure.data["result"]) == ("u0", "3")
    assert [str(v) for v in ep.range_constraints.values()] == ["VR[3, 3]"]
    assert ep.module()(me.ones(2), me.tensor(3)).shape == (6,)
    with pytest.raises(Exception):
        ep.module()(me.ones(2), me.tensor(2))


def test_guard_against_dynamic_shapes_retries_with_auto():
    with pytest.raises(ConstraintViolationError):
        export(SizeBranch(), (me.ones(5),), dynamic_shapes={"x": {0: Dim("d")}})
    ep = draft_export(SizeBranch(), (me.ones(5),), dynamic_shapes={"x": {0: Dim("d")}})
    (failure,) = ep._report.failures
    assert failure.failure_type is FailureType.GUARD_ADDED
    assert list(failure.data["symbol_to_sources"].values()) == ["L['x'].size()[0]"]
    assert failure.data["new_dynamic_shapes"] == {"x": {0: Dim.AUTO}}
    assert [str(v) for v in ep.range_constraints.values()] == ["VR[4, int_oo]"]
    np.testing.assert_allclose(ep.module()(me.zeros(7)).numpy(), np.ones(7))
    with pytest.raises(Exception):
        ep.module()(me.zeros(2))


def test_missing_fake_kernel_uses_the_real_kernel_and_data_dependent_sizes():
    M = type("M", (me.nn.Module,), {"forward": lambda self, x: first_two(x) + 1})
    with pytest.raises(RuntimeError, match="no fake impl"):
        export(M(), (me.arange(4.0),))
    ep = draft_export(M(), (me.arange(4.0),))
    (failure,) = ep._report.failures
    assert failure.failure_type is FailureType.MISSING_FAKE_KERNEL
    assert failure.data == {"op": "drafttest.first_two.default"}
    assert "aten.sym_size.int" in _ops(ep) and "aten._assert_scalar.default" in _ops(ep)
    np.testing.assert_allclose(ep.module()(me.arange(4.0)).numpy(), [1.0, 2.0])


def test_mismatched_fake_kernel_is_reported_with_torchs_reason():
    M = type("M", (me.nn.Module,), {"forward": lambda self, x: double(x).sum()})
    ep = draft_export(M(), (me.arange(4.0),))
    (failure,) = ep._report.failures
    assert failure.failure_type is FailureType.MISMATCHED_FAKE_KERNEL
    assert failure.data["reason"] == "mismatch between fake value 5 and real value 4 "
    assert float(ep.module()(me.arange(4.0))) == 12.0


def test_clean_program_is_successful_and_state_is_left_alone():
    model = Counter()
    ep = draft_export(model, (me.ones(2),))
    assert ep._report.successful() and ep._report.failures == []
    assert "Congratulations" in str(ep._report)
    assert float(model.count[0]) == 0.0      # the real kernels ran on copies
    assert "aten.add_.Tensor" in _ops(ep)


def test_report_text_and_repr():
    report = DraftExportReport([FailureReport(FailureType.MISSING_FAKE_KERNEL, {"op": "ns.f.default"})], {})
    text = str(report)
    assert "WARNING: 1 issue(s) found during export" in text and "1. Missing fake kernel." in text
    assert "torch.ops.ns.f.default is missing a fake kernel implementation." in text
    assert repr(report).startswith("DraftExportReport([FailureReport(failure_type=MISSING_FAKE_KERNEL")
    assert not report.successful()
    assert DraftExportReport([FailureReport(FailureType.GUARD_ADDED, {}, xfail=True)], {}).successful()
    with pytest.raises(NotImplementedError):
        report.apply_suggested_fixes()
    assert [int(t) for t in FailureType] == [1, 2, 3, 4]


def test_other_errors_propagate():
    class Bad(me.nn.Module):
        def forward(self, x):
            return x @ me.ones(3, 3)
    with pytest.raises(Exception):
        draft_export(Bad(), (me.ones(2, 2),))


def test_same_text_as_torch_for_the_data_dependent_report():
    torch = pytest.importorskip("torch")

    class TBranch(torch.nn.Module):
        def forward(self, x, y):
            n = y.item()
            if n > 2:
                return x * 2
            return x - 1

    theirs = torch.export.draft_export(TBranch(), (torch.ones(2), torch.tensor(5)))._report
    ours = draft_export(Branch(), (me.ones(2), me.tensor(5)))._report
    keep = ("expr", "result", "occurrences", "symbol_to_sources")
    assert {k: ours.failures[0].data[k] for k in keep} == {k: theirs.failures[0].data[k] for k in keep}
    assert ours.failures[0].data["frame_locals"]["locals"] == theirs.failures[0].data["frame_locals"]["locals"]
    # the text differs only in the frames listed: torch lists nn.Module's call frames too
    assert str(ours).splitlines()[:8] == str(theirs).splitlines()[:8]


@pytest.mark.parametrize("kind", list(FailureType), ids=str)
def test_report_text_matches_torchs_for_the_same_facts(kind):
    torch_draft = pytest.importorskip("torch.export._draft_export")
    frame = {"line": 6, "name": "forward", "filename": 0, "loc": "if n > 2:"}
    data = {"expr": "s0 > 3", "result": "True", "occurrences": 2, "user_stack": [frame], "stack": [frame],
            "frame_locals": {"loc": "if n > 2:", "locals": {"n": ["s0"]}, "symbols": {"s0": "L['x'].size()[0]"}},
            "symbol_to_sources": {"s0": "L['x'].size()[0]"}, "new_dynamic_shapes": {"x": {0: "AUTO"}},
            "op": "ns.f.default", "reason": "mismatch between fake value 5 and real value 4 "}
    ours = DraftExportReport([FailureReport(kind, dict(data))], {0: "m.py"})
    theirs = torch_draft.DraftExportReport(
        [torch_draft.FailureReport(torch_draft.FailureType(int(kind)), dict(data))], {0: "m.py"}, {}, {})
    assert str(ours) == str(theirs)
    assert str(DraftExportReport([], {})) == str(torch_draft.DraftExportReport([], {}, {}, {}))


def test_cond_and_keyword_inputs_trace_as_export_does():
    class WithCond(me.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = me.nn.Linear(3, 2)

        def forward(self, x, *, k):
            y = me.cond(x.sum() > 0, lambda a: a.sin(), lambda a: a.cos(), (x,))
            return self.lin(y) * k.item()

    model = WithCond()
    args, kwargs = (me.ones(4, 3),), {"k": me.tensor(3)}
    ep = draft_export(model, args, kwargs)
    assert ep._report.successful()      # values inside the branches have no real value: traced as export does
    np.testing.assert_allclose(ep.module()(*args, **kwargs).numpy(), model(*args, **kwargs).numpy(), rtol=1e-6)
