"""Every example runs on a fresh install and shows what it says it shows."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
EXPECT = {
    "demo.py": "predicted classes",
    "overview_sin_cos.py": "torch.ops.aten.sin.default(x)",
    "conv_relu_maxpool.py": "torch.ops.aten.add_.Tensor(conv2d, constant)",
    "linear_relu_inplace.py": "aten.relu_.default",
    "data_dependent_branch.py": "if x.sum() > 0:",
    "torch_source.py": "torch.ops.aten.scaled_dot_product_attention.default",
    "mutation_before_after.py": "add: BUFFER_MUTATION target='count'",
    "save_and_load.py": "same outputs: True",
    "dynamic_shapes.py": "b = Dim('b', min=5, max=100)",
    "dynamic_relations.py": "with the fix applied (b = 2*a): {s29: VR[0, int_oo], 2*s29: VR[0, int_oo]}",
    "item_with_check.py": "Runtime assertion failed for expression u0 >= 1",
    "control_flow.py": "its true branch now has: ['aten.permute.default', 'aten.addmm.default', 'aten.relu.default']",
    "item_float_scale.py": "Runtime assertion failed for expression zuf0 > 0",
    "run_torch_archive.py": "max |minexport - torch|",
    "anatomy_of_an_op.py": "'aten.sin.default', 'aten.permute.default', 'aten.arange.start_step', "
                           "'aten.view.default', 'aten.unsqueeze.default', 'aten.expand.default', 'aten.eq.Scalar', "
                           "'aten.where.self', 'aten.permute.default'",
    "real_model_code.py": "copies recorded for layout: []",
    "custom_decompositions.py": "'aten.linear.default', 'aten.clamp.default', 'aten.linear.default'",
    "graph_surgery.py": "matches eager: True",
    "loops.py": "its loop body now has: ['aten.add.Tensor', 'aten.permute.default', 'aten.addmm.default', "
                "'aten.tanh.default']",
    "custom_op.py": "getitem_1: BUFFER_MUTATION target='seen'",
    "draft_export.py": "failures: ['DATA_DEPENDENT_ERROR', 'MISSING_FAKE_KERNEL']",
    "unflatten_swap.py": "after swapping encoder, matches the hand computation: True",
    "aot_compile.py": "standalone forward: (2, 4) minexport loaded: False",
    "dask_batch.py": "same as ep.module(): True",
    "explain_guards.py": "  - input.size()[0] <= 10: expected <= 10, got 11 (input *args[0].shape[0])",
    "conform_runtime.py": " 0 failed, of the",
    "module_speed.py": "channels-last: True",
    "module_memory.py": "an output we kept is unchanged: True",
    "dynamic_corners.py": "4. derived d + 1: {s17 + 1: VR[3, 101], s17: VR[2, 100]}",
}


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert EXPECT[script.name] in out.stdout


def test_every_example_is_checked():
    assert sorted(EXPECT) == sorted(p.name for p in EXAMPLES)
