"""The shared conformance harness: the seed cases and ours, torch against minexport, side by side.

Needs torch (the oracle) and the harness at ../shared/conformance (present in
CI and in the team's checkouts).  Every check the harness makes must pass:
outcome, ops, signature, ranges, run, extra, and after run_decompositions()
core_sig and core_run.  torch's ExportDB example `user_input_mutation` runs too.
"""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
HARNESS = ROOT.parent / "shared" / "conformance" / "conformance.py"
SEEDS = ["seed_sin_cos_add", "seed_conv_relu_maxpool", "seed_linear_relu_inplace", "seed_data_dependent_branch",
         "seed_dataclass_io", "seed_buffer_and_input_mutation", "seed_shape_guard", "seed_matmul_shared_dim",
         "seed_dynamic_slice", "seed_check_size", "seed_check_value"]
OURS = sorted((ROOT / "tests" / "conformance_cases").glob("*.py"))


@pytest.mark.skipif(not HARNESS.exists(), reason="the shared conformance harness is not beside this checkout")
def test_conformance():
    torch = pytest.importorskip("torch")
    cases = [str(HARNESS.parent / "cases" / f"{s}.py") for s in SEEDS] + [str(p) for p in OURS]
    exportdb = pathlib.Path(torch.__file__).parent / "_export" / "db" / "examples" / "user_input_mutation.py"
    if exportdb.exists():
        cases.append(str(exportdb))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, str(HARNESS), *cases], capture_output=True, text=True, env=env,
                         timeout=900)
    last = out.stdout.strip().splitlines()[-1]
    assert last == f"{len(cases)} passed, 0 failed", out.stdout
