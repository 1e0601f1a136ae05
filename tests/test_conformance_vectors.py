"""The conformance kit: the runner's rules, the stored corpus on minexport, and the vectors proved by torch.

spec/conformance/<group>/<case>/ holds torch-written programs with their inputs and
torch's outputs (spec/conformance.md).  minexport must reproduce every case except
those listed, with a reason, in spec/conformance/KNOWN_FAILURES; a listed case that
passes fails the test so the list stays true.  With torch installed, torch's own
loader must reproduce every stored output (the vectors are right).
"""
import json
import os
import pathlib
import time

import numpy as np
import pytest

from minexport.__main__ import main
from minexport.conform import Case, compare, find_cases, load_runtime, read_known, run_case, run_cases

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "spec" / "conformance"
KNOWN = CORPUS / "KNOWN_FAILURES"
GROUPS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and any(p.glob("*/case.json"))) \
    if CORPUS.exists() else []


def _case(tmp_path, name, outputs, expect="run", rtol=1e-5, atol=1e-6, **extra):
    """A hand-made case folder (no archive: the runtimes under test here never open it)."""
    path = tmp_path / "g" / name
    path.mkdir(parents=True)
    np.save(path / "input_0.npy", np.arange(3, dtype=np.float32))
    for i, y in enumerate(outputs):
        np.save(path / f"output_{i}.npy", y)
    meta = {"ops": ["aten.add.Tensor"], "torch": "2.13.0", "dialect": "TRAINING", "rtol": rtol, "atol": atol,
            "expect": expect, "about": "hand-made", **extra}
    (path / "case.json").write_text(json.dumps(meta))
    return Case(path)


# ---------------------------------------------------------------- the rules ----
@pytest.mark.parametrize("got, want, ok", [
    ([np.float32([1, 2])], [np.float32([1, 2 + 1e-6])], True),
    ([np.float32([1, 2])], [np.float32([1, 2.1])], False),
    ([np.float32([1, np.nan])], [np.float32([1, np.nan])], True),          # NaN matches NaN
    ([np.float64([1, 2])], [np.float32([1, 2])], False),                    # dtype is exact
    ([np.float32([[1, 2]])], [np.float32([1, 2])], False),                  # shape is exact
    ([np.int64([5])], [np.int64([6])], False),                              # ints exact, whatever atol
    ([np.bool_([True])], [np.bool_([False])], False),
    ([np.asarray(3)], [np.asarray(3)], True),                               # scalar outputs as 0-d
    ([], [np.float32([1])], False),                                         # the count of outputs
    ([[1.0, 2.0]], [np.float64([1, 2])], False),                            # a list is not an array
])
def test_compare(got, want, ok):
    assert (compare(got, want, rtol=1e-5, atol=1e-6) is None) == ok


def test_int_outputs_are_exact_even_with_a_large_tolerance():
    assert compare([np.int32([7])], [np.int32([8])], rtol=1.0, atol=10.0) is not None


def test_shape_dtype_cases_ignore_values(tmp_path):
    case = _case(tmp_path, "rand", [np.float32([0.5, 0.25])], compare="shape_dtype")
    assert run_case(case, lambda path, xs: [np.float32([9, 9])]).status == "passed"
    assert run_case(case, lambda path, xs: [np.float64([9, 9])]).status == "failed"


def test_run_case_outcomes(tmp_path):
    good = _case(tmp_path, "good", [np.arange(3, dtype=np.float32) * 2])
    refused = _case(tmp_path, "refused", [], expect="error")
    double = lambda path, xs: [xs[0] * 2]       # noqa: E731
    assert run_case(good, double).status == "passed"
    assert run_case(good, lambda path, xs: [xs[0] * 3]).status == "failed"
    assert run_case(refused, double).status == "failed"         # it had to refuse the inputs

    def refuse(path, xs):
        raise ValueError("size mismatch")
    assert run_case(refused, refuse).status == "passed"
    failed = run_case(good, refuse)
    assert failed.status == "failed" and "ValueError: size mismatch" in failed.message


def test_known_failures_must_fail(tmp_path):
    good = _case(tmp_path, "good", [np.arange(3, dtype=np.float32)])
    bad = _case(tmp_path, "bad", [np.ones(3, np.float32)])
    known_file = tmp_path / "KNOWN"
    known_file.write_text("# comment\ng/bad  it is wrong\ng/good  listed by mistake\n")
    known = read_known(known_file)
    assert known == {"g/bad": "it is wrong", "g/good": "listed by mistake"}
    results = run_cases([bad, good], lambda path, xs: [xs[0]], known)
    assert [r.status for r in results] == ["xfail", "xpass"]


def test_find_cases_and_pattern(tmp_path):
    for name in ("add-0", "add-1", "mul-0"):
        _case(tmp_path, name, [])
    assert [c.id for c in find_cases([tmp_path])] == ["g/add-0", "g/add-1", "g/mul-0"]
    assert [c.id for c in find_cases([tmp_path], "mul")] == ["g/mul-0"]
    assert [c.id for c in find_cases([tmp_path], "g/add-?")] == ["g/add-0", "g/add-1"]
    assert [c.id for c in find_cases([tmp_path / "g" / "mul-0"])] == ["g/mul-0"]
    with pytest.raises(FileNotFoundError, match="no such conformance path"):
        find_cases([tmp_path / "absent"])


def test_a_bad_case_json_is_named(tmp_path):
    path = tmp_path / "g" / "broken"
    path.mkdir(parents=True)
    (path / "case.json").write_text(json.dumps({"ops": [], "expect": "maybe"}))
    with pytest.raises(ValueError, match="lacks"):
        Case(path)


def test_load_runtime():
    assert load_runtime("minexport.conform.runtimes:decomposed").__name__ == "decomposed"
    with pytest.raises(ValueError, match="MODULE:CALLABLE"):
        load_runtime("minexport.conform.runtimes")


def test_command_line(tmp_path, capsys):
    _case(tmp_path, "good", [np.arange(3, dtype=np.float32)])
    _case(tmp_path, "bad", [np.ones(3, np.float32)])
    report = tmp_path / "report.json"
    status = main(["conform", str(tmp_path), "--runtime", f"{__name__}:identity", "--json", str(report)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert status == 1
    assert lines[0].startswith("FAILED g/bad: output 0:")
    assert lines[-1].startswith("1 passed, 1 failed")
    assert json.loads(report.read_text())["counts"]["failed"] == 1
    assert main(["conform", str(tmp_path), "--runtime", f"{__name__}:identity", "-k", "good"]) == 0


def identity(archive_path, inputs):
    """A runtime for test_command_line: returns its inputs."""
    return list(inputs)


# -------------------------------------------------------------- the corpus ----
def test_corpus_is_present():
    assert "ops" in GROUPS, "spec/conformance/ops/ is missing: run tools/conformance/make_ops.py"


@pytest.mark.parametrize("group", GROUPS)
def test_corpus_on_minexport(group):
    known = read_known(KNOWN) if KNOWN.exists() else {}
    cases = find_cases([CORPUS / group])
    start = time.perf_counter()
    results = run_cases(cases, load_runtime("minexport.conform.runtimes:interpreter"), known)
    seconds = time.perf_counter() - start
    bad = [f"{r.status} {r.case.id}: {r.message}" for r in results if r.status in ("failed", "xpass")]
    assert not bad, f"{len(bad)} of {len(cases)} cases:\n  " + "\n  ".join(bad[:40])
    assert seconds < 60, f"the {group} corpus took {seconds:.0f} s on minexport"


def test_known_failures_name_real_cases():
    if not KNOWN.exists():
        pytest.skip("no KNOWN_FAILURES file")
    ids = {c.id for c in find_cases([CORPUS])}
    known = read_known(KNOWN)
    assert sorted(set(known) - ids) == []
    assert all(known.values()), "every known failure gives its reason"


def test_ops_vectors_cover_the_registry():
    from minexport.ops import all_ops
    index = json.loads((CORPUS / "ops" / "index.json").read_text())
    names = {str(op) for op in all_ops()}
    assert sorted(names - set(index)) == [], "regenerate: tools/conformance/make_ops.py"
    covered = {n for n in names if index[n]["made"]["TRAINING"]}
    assert len(covered) >= 0.95 * len(names), f"{len(covered)}/{len(names)} overloads have a vector"
    # an overload without a vector says why (torch's reason for each sample)
    assert all(index[n]["skipped"] for n in names - covered)
    # every case names its overload, and the overload is among its program's ops or torch decomposed it
    on_disk = {c.meta["target"] for c in find_cases([CORPUS / "ops"])}
    assert on_disk == covered


@pytest.mark.parametrize("group", GROUPS)
def test_vectors_reproduce_on_torch(group):
    pytest.importorskip("torch")
    import sys
    sys.path.insert(0, str(ROOT))
    try:
        from tools.conformance.torch_runtime import run
    finally:
        sys.path.remove(str(ROOT))
    cases = find_cases([CORPUS / group])
    # torch loads slowly: every third case here, all of them with MINEXPORT_CONFORM_FULL=1
    # (or `python -m minexport conform spec/conformance --runtime tools.conformance.torch_runtime:run`)
    if not os.environ.get("MINEXPORT_CONFORM_FULL"):
        cases = cases[::3]
    results = run_cases(cases, run)
    bad = [f"{r.case.id}: {r.message}" for r in results if r.status != "passed"]
    assert not bad, f"torch does not reproduce {len(bad)} stored vectors:\n  " + "\n  ".join(bad[:40])
