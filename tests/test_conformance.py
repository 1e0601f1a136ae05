"""The shared conformance harness: the seed cases and ours, torch against minexport, side by side.

Needs torch (the oracle) and the harness at ../shared/conformance (present in
CI and in the team's checkouts).  Every check the harness makes must pass:
outcome, ops, signature, ranges, run, extra, and after run_decompositions()
core_sig and core_run.  torch's ExportDB examples run too: `user_input_mutation`
and those tagged dynamic-shape/dynamic-value that need no control-flow
operator (the cond/map ones wait for minexport's control flow).
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
         "seed_dynamic_slice", "seed_check_size", "seed_check_value", "seed_custom_op"]
OURS = sorted((ROOT / "tests" / "conformance_cases").glob("*.py"))
EXPORTDB = ["user_input_mutation", "constrain_as_size_example", "constrain_as_value_example",
            "dynamic_shape_constructor", "dynamic_shape_if_guard", "dynamic_shape_round", "dynamic_shape_slicing",
            "dynamic_shape_view", "list_contains", "scalar_output", "cond_branch_class_method",
            "cond_branch_nested_function", "cond_branch_nonlocal_variables", "cond_closed_over_variable",
            "cond_operands", "cond_predicate", "dynamic_shape_map", "assume_constant_result"]


def _cases(group, torch):
    """The case files of one group: the seeds, ours, or torch's ExportDB examples (those present)."""
    if group == "seeds":
        return [str(HARNESS.parent / "cases" / f"{s}.py") for s in SEEDS]
    if group == "ours":
        return [str(p) for p in OURS]
    exportdb = pathlib.Path(torch.__file__).parent / "_export" / "db" / "examples"
    return [str(exportdb / f"{name}.py") for name in EXPORTDB if (exportdb / f"{name}.py").exists()]


# one harness run per group, so each gets its own time limit (every case starts two interpreters)
@pytest.mark.skipif(not HARNESS.exists(), reason="the shared conformance harness is not beside this checkout")
@pytest.mark.parametrize("group", ["seeds", "ours", "exportdb"])
def test_conformance(group):
    torch = pytest.importorskip("torch")
    cases = _cases(group, torch)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, str(HARNESS), *cases], capture_output=True, text=True, env=env,
                         timeout=900)
    last = out.stdout.strip().splitlines()[-1]
    assert last == f"{len(cases)} passed, 0 failed", out.stdout
