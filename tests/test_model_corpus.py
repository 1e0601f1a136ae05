"""The model corpus (tests/model_corpus/): torch-written models in the styles of well-known public ones,
run unchanged under `minexport.compat.as_torch()`.

Two checks per model, both against torch 2.13 as the oracle:
  * the shared conformance harness (export ops, signature, ranges, outputs, run_decompositions);
  * archive round trips: torch saves -> minexport loads and runs; minexport exports and saves -> torch
    loads and runs; every run's outputs equal torch's eager-exported outputs.

A model in PENDING waits on a feature another part of the project is adding; its failure must name that
feature (so an unrelated regression still fails), and once it passes the test asks for its removal.
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "model_corpus"
HARNESS = ROOT.parent / "shared" / "conformance" / "conformance.py"
MODELS = sorted(p.stem for p in CORPUS.glob("[a-z]*.py"))
# model -> the words its failure names: features another part of the project is still adding (none today)
PENDING = {"conformance": {}, "round_trip": {}}
# the torch side of the harness, kept by case-file content (the harness's --cache)
TORCH_CACHE = ROOT / ".pytest_cache" / "model_corpus_torch"


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT))


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def harness_report(torch, tmp_path_factory):
    if not HARNESS.exists():
        pytest.skip("the shared conformance harness is not beside this checkout")
    out = tmp_path_factory.mktemp("harness") / "report.json"
    TORCH_CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(HARNESS), *[str(CORPUS / f"{m}.py") for m in MODELS], "--json", str(out),
                    "--cache", str(TORCH_CACHE)],
                   capture_output=True, text=True, env=_env(), timeout=900, check=True)
    with open(out) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def roundtrip_report(torch, tmp_path_factory):
    work = tmp_path_factory.mktemp("roundtrip")
    script = str(CORPUS / "_roundtrip.py")
    cases = [str(CORPUS / f"{m}.py") for m in MODELS]
    for step in ("torch-save", "minexport", "torch-load"):
        subprocess.run([sys.executable, script, step, str(work), *cases], capture_output=True, text=True,
                       env=_env(), timeout=600, check=True)
    report = {}
    for m in MODELS:
        steps = {}
        for step in ("torch-save", "minexport", "torch-load"):
            path = work / m / f"{step}.json"
            steps[step] = json.loads(path.read_text()) if path.exists() else {"ok": False, "why": "not run"}
        report[m] = steps
    return report


def _judge(check, model, ok, why):
    waits = PENDING[check].get(model)
    if waits is None:
        assert ok, why
    elif ok:
        pytest.fail(f"{model} passes now: remove it from PENDING[{check!r}]")
    else:
        assert any(word in why for word in waits), f"{model} fails for another reason than {waits}: {why}"
        pytest.xfail(f"waits on {waits[0]}")


@pytest.mark.parametrize("model", MODELS)
def test_conformance(harness_report, model):
    entry = harness_report[model]
    why = "; ".join(f"{c}: {w}" for c, (ok, w) in entry["checks"].items() if not ok and c not in ("order", "core_ops"))
    _judge("conformance", model, entry["pass"], why)


@pytest.mark.parametrize("model", MODELS)
def test_archive_round_trip(roundtrip_report, model):
    steps = roundtrip_report[model]
    assert steps["torch-save"]["ok"], f"torch itself failed: {steps['torch-save']['why']}"
    why = steps["minexport"]["why"] or steps["torch-load"]["why"]
    _judge("round_trip", model, steps["minexport"]["ok"] and steps["torch-load"]["ok"], why)


def test_corpus_is_big_enough():
    assert len(MODELS) >= 12, MODELS
