"""Export time of a real torch-written model file, minexport against torch, side by side in one run.

    python -m bench.model_export [--repeat 5]

The model is tests/model_corpus/gpt_lm.py, unchanged: the same file is loaded once with torch and once under
`minexport.compat.as_torch()`, and its GPT class built at 8 blocks, d=256, 8 heads (vocabulary 512, context
64; tied embedding/head weights, fused causal attention, last-position logits).  Both sides export it with a
static shape and with a dynamic batch and sequence.  Times are the median of warm runs.  Goal: minexport at
least 30x faster than torch.
"""
import argparse
import importlib.util
import pathlib
import sys

from ._common import median_time, optional_torch

MODEL_FILE = pathlib.Path(__file__).resolve().parent.parent / "tests" / "model_corpus" / "gpt_lm.py"
CONFIG = dict(vocab=512, block_size=64, d=256, n_head=8, n_layer=8)


def load_model_file(name):
    """The corpus file as a module, bound to whichever `torch` resolves now."""
    spec = importlib.util.spec_from_file_location(name, MODEL_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def side(torch, module, repeat):
    """(static seconds, dynamic seconds) of exporting the big GPT of `module` with `torch.export`."""
    model = module.GPT(**CONFIG).eval()
    idx = torch.randint(0, CONFIG["vocab"], (2, 32))
    dims = {"idx": {0: torch.export.Dim("batch", max=16), 1: torch.export.Dim("seq", max=CONFIG["block_size"])}}
    static = median_time(lambda: torch.export.export(model, (idx,)), repeat)
    dynamic = median_time(lambda: torch.export.export(model, (idx,), dynamic_shapes=dims), repeat)
    return static, dynamic


def main(argv=None):
    """Print the export times of both sides and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    from minexport.compat import as_torch
    with as_torch() as mtorch:
        ours = side(mtorch, load_model_file("gpt_lm_minexport"), args.repeat)
    torch = optional_torch()
    theirs = (float("nan"), float("nan"))
    if torch is not None:
        theirs = side(torch, load_model_file("gpt_lm_torch"), max(1, args.repeat // 2))
    print(f"GPT from {MODEL_FILE.name}: {CONFIG['n_layer']} blocks, d={CONFIG['d']}")
    print(f"{'shapes':<10}{'minexport ms':>14}{'torch ms':>10}{'speedup':>9}")
    for label, me_s, torch_s in zip(("static", "dynamic"), ours, theirs):
        print(f"{label:<10}{me_s * 1e3:>14.2f}{torch_s * 1e3:>10.1f}{torch_s / me_s:>8.1f}x")
    print("goal: minexport at least 30x faster than torch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
