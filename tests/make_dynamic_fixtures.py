"""Regenerate tests/fixtures/dyn_*.pt2: torch 2.13 archives with derived dims and torch's size functions.

    python tests/make_dynamic_fixtures.py

Needs torch.  Each fixture is dyn_<name>.pt2 (a program of tests/dynamic_archive_programs.py, exported
and saved by torch) plus dyn_<name>.npz holding, for each input set i, the inputs (in_<i>_<j>), torch's
outputs (out_<i>_<j>) or refused_<i> when torch's program refuses those sizes, and torch's
range_constraints as text (ranges).  tests/test_dynamic_archives.py loads them without torch.
"""
import pathlib
import sys

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dynamic_archive_programs import ARRAYS, programs  # noqa: E402

FIXTURES = ["affine", "plus_one", "arange_step", "mod", "python_mod", "nonzero"]


def main():
    for name, module, args, spec, others in programs(torch):
        if name not in FIXTURES:
            continue
        ep = torch.export.export(module, args, dynamic_shapes=spec)
        torch.export.save(ep, HERE / "fixtures" / f"dyn_{name}.pt2")
        arrays = {"ranges": np.array([f"{k}: {v}" for k, v in ep.range_constraints.items()])}
        run = ep.module()
        for i, (inputs, raw) in enumerate(zip((args, *others), ARRAYS[name])):
            arrays.update({f"in_{i}_{j}": a for j, a in enumerate(raw)})
            try:
                out = run(*inputs)
            except AssertionError:
                arrays[f"refused_{i}"] = np.array(True)
                continue
            leaves = torch.utils._pytree.tree_leaves(out)
            arrays.update({f"out_{i}_{j}": o.detach().numpy() for j, o in enumerate(leaves)})
        np.savez(HERE / "fixtures" / f"dyn_{name}.npz", **arrays)


if __name__ == "__main__":
    main()
