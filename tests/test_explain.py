"""ep.explain(), `python -m minexport explain`, the example-size warning and call-time guard reports.

The reports are compared with golden files in tests/fixtures/explain/ (paths
of this directory stripped); `python tests/test_explain.py --regen` (with
PYTHONPATH=.:tests) rewrites them all -- check the new text by eye first.
"""
import os
import subprocess
import sys
import warnings

import pytest

import minexport as me
from minexport.export import ConstraintViolationError, Dim, export, save

import explain_programs as P

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "fixtures", "explain")
A = Dim.AUTO

CASES = {
    "matmul": lambda: (P.MatMul(), (me.randn(4, 3), me.randn(3, 5)), {"x": {0: A, 1: A}, "w": {0: A, 1: A}}),
    "slice": lambda: (P.SliceHead(), (me.randn(2, 8),), {"x": {1: A}}),
    "broadcast": lambda: (P.Broadcast(), (me.randn(4, 3), me.randn(4, 3)), {"x": {0: A}, "y": {0: A}}),
    "reshape": lambda: (P.Reshape(), (me.randn(4, 6),), {"x": {0: A, 1: A}}),
    "item_check": lambda: (P.ItemCheck(), (me.randn(8, 3), me.tensor(3)), {"x": {0: A}, "n": None}),
    "branch": lambda: (P.Branch(), (me.randn(6, 3),), {"x": {0: A}}),
    "example_size_1": lambda: (P.Broadcast(), (me.randn(1, 3), me.randn(1, 3)), {"x": {0: A}, "y": None}),
}


def _text(report):
    return str(report).replace(HERE + os.sep, "")


def _report(case):
    mod, args, ds = CASES[case]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _text(export(mod, args, dynamic_shapes=ds).explain())


def _golden(name):
    with open(os.path.join(GOLDEN, name + ".txt")) as f:
        return f.read().rstrip("\n")


@pytest.mark.parametrize("case", sorted(CASES))
def test_report_is_golden(case):
    assert _report(case) == _golden(case)


def test_entries_carry_rule_source_inputs_and_fix():
    ep = export(P.MatMul(), (me.randn(4, 3), me.randn(3, 5)), dynamic_shapes={"x": {0: Dim("b"), 1: A},
                                                                              "w": {0: A}})
    (entry,) = [e for e in ep.explain() if e.kind == "equality"]
    assert entry.rule == "matmul inner dims must match"
    assert entry.where.endswith("explain_programs.py:7") and entry.code == "return x @ w"
    assert entry.inputs == ("x.size()[1]", "w.size()[0]")
    assert not entry.violates


def test_static_program_says_so():
    text = str(export(P.Broadcast(), (me.randn(2, 3), me.randn(2, 3))).explain())
    assert text.splitlines()[0] == "Shape report of this program, static: no symbolic sizes"
    assert text.endswith("(0):\n  (none: nothing narrows the inputs)")


def test_every_rule_comes_from_the_table_or_the_user():
    """No entry of the golden programs falls back to a bare op name: each has a rule phrase."""
    for case in CASES:
        assert "shape rule" not in _report(case), case


def test_example_size_one_warns_first_for_every_dynamic_spec():
    for spec in (Dim.AUTO, Dim("b")):
        with pytest.warns(UserWarning, match=r"inputs\['x'\]\.shape\[0\] 0/1 specialized; .* hint = 1\. .*at least 2"):
            try:
                export(P.Broadcast(), (me.randn(1, 3), me.randn(1, 3)), dynamic_shapes={"x": {0: spec}, "y": None})
            except ConstraintViolationError:
                assert spec is not Dim.AUTO      # a named Dim is refused after the warning, as torch refuses it


def test_no_warning_for_sizes_from_two():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        export(P.Broadcast(), (me.randn(2, 3), me.randn(2, 3)), dynamic_shapes={"x": {0: A}, "y": {0: A}})


def test_call_reports_every_violated_guard():
    b = Dim("b", min=3, max=10)
    m = export(P.Broadcast(), (me.randn(4, 3), me.randn(4, 3)), dynamic_shapes={"x": {0: b}, "y": {0: b}}).module()
    with pytest.raises(AssertionError) as e:
        m(me.randn(11, 4), me.randn(4, 2))
    assert str(e.value).splitlines() == [
        "Guard failed: x.size()[1] == 3 (expected input at *args[0].shape[1] to be equal to 3, but got 4)",
        "All 4 violated guards:",
        "  - x.size()[1] == 3: expected 3, got 4 (input *args[0].shape[1])",
        "  - y.size()[1] == 3: expected 3, got 2 (input *args[1].shape[1])",
        "  - x.size()[0] <= 10: expected <= 10, got 11 (input *args[0].shape[0])",
        "  - y.size()[0] == x.size()[0]: expected 11, got 4 (input *args[1].shape[0])",
    ]


def test_call_with_one_violation_keeps_torchs_line():
    b = Dim("b", min=3, max=10)
    m = export(P.Broadcast(), (me.randn(4, 3), me.randn(4, 3)), dynamic_shapes={"x": {0: b}, "y": {0: b}}).module()
    with pytest.raises(AssertionError) as e:
        m(me.randn(2, 3), me.randn(2, 3))
    assert str(e.value) == "Guard failed: x.size()[0] >= 3 (got 2)"


def test_wrong_rank_is_one_problem_and_other_inputs_still_checked():
    m = export(P.Broadcast(), (me.randn(4, 3), me.randn(4, 3))).module()
    with pytest.raises(AssertionError) as e:
        m(me.randn(4, 3, 1), me.randn(4, 2))
    lines = str(e.value).splitlines()
    assert lines[0].startswith("Guard failed: x.dim() == 2")
    assert lines[1:] == ["All 2 violated guards:", "  - x.dim() == 2: expected 2, got 3 (input *args[0])",
                         "  - y.size()[1] == 3: expected 3, got 2 (input *args[1].shape[1])"]


def _cli(*argv, cwd):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE) + os.pathsep + HERE)
    return subprocess.run([sys.executable, "-m", "minexport", "explain", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _archive_report(tmp_path):
    """`python -m minexport explain m.pt2` of the item_check program, saved."""
    mod, args, ds = CASES["item_check"]()
    save(export(mod, args, dynamic_shapes=ds), str(tmp_path / "m.pt2"))
    out = _cli("m.pt2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return _text(out.stdout.rstrip("\n"))


def _failing_script_report(tmp_path):
    """`python -m minexport explain fail.py` of a script whose export narrows a named Dim."""
    (tmp_path / "fail.py").write_text(
        "import minexport as me\n"
        "from minexport.export import Dim, export\n"
        "import explain_programs as P\n"
        "ep = export(P.SliceHead(), (me.randn(2, 8),), dynamic_shapes={'x': {1: Dim('n')}})\n")
    out = _cli("fail.py", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return _text(out.stdout.rstrip("\n"))


CLI_CASES = {"archive_item_check": _archive_report, "script_slice_fails": _failing_script_report}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_report_is_golden(case, tmp_path):
    assert CLI_CASES[case](tmp_path) == _golden(case)


def test_cli_explains_a_script_whose_export_succeeds(tmp_path):
    script = tmp_path / "ok.py"
    script.write_text(
        "import minexport as me\n"
        "from minexport.export import Dim, export\n"
        "import explain_programs as P\n"
        "ep = export(P.Branch(), (me.randn(6, 3),), dynamic_shapes={'x': {0: Dim.AUTO}})\n")
    out = _cli("ok.py", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("== ep ==\nShape report of this program, from the trace")
    assert "Python condition on a size" in out.stdout


def test_failure_report_marks_the_violated_guard():
    from minexport.export.explain import explain_failure
    with pytest.raises(ConstraintViolationError) as e:
        export(P.Branch(), (me.randn(6, 3),), dynamic_shapes={"x": {0: Dim("b", max=100)}})
    text = explain_failure(e.value)
    assert "Violated (1):\n[1] range: x.size()[0] > 4   (range [0, 100] -> [5, 100])   <- VIOLATED" in text
    assert "fix:    dynamic_shapes[\"x\"][0] = Dim('b', min=5, max=100)" in text


if __name__ == "__main__" and "--regen" in sys.argv:
    os.makedirs(GOLDEN, exist_ok=True)
    import pathlib
    import tempfile
    for case in CASES:
        with open(os.path.join(GOLDEN, case + ".txt"), "w") as f:
            f.write(_report(case) + "\n")
    for case, make in CLI_CASES.items():
        with tempfile.TemporaryDirectory() as tmp, open(os.path.join(GOLDEN, case + ".txt"), "w") as f:
            f.write(make(pathlib.Path(tmp)) + "\n")
