"""Write one conformance vector (confir's copy of the contract's `write_case`; the integrator may dedupe it
with confops' `tools/conformance/_write.py`, whose signature it follows).  Needs torch."""
import json
import os
import pathlib

import numpy as np
import torch
import torch.utils._pytree as pytree


def flat_arrays(tree, tensors_only=False):
    """The leaves of a pytree as NumPy arrays: tensors as they are, Python scalars and SymInts as 0-d arrays
    (or skipped, with `tensors_only`: a program's constant inputs are not stored, spec/conformance.md)."""
    out = []
    for leaf in pytree.tree_leaves(tree):
        if tensors_only and not isinstance(leaf, torch.Tensor):
            continue
        if isinstance(leaf, torch.Tensor):
            out.append(leaf.detach().contiguous().numpy().copy())
        elif isinstance(leaf, (bool, int, float)):
            out.append(np.asarray(leaf))
        elif leaf is not None:
            raise TypeError(f"cannot store a leaf of type {type(leaf).__name__}")
    return out


def op_names(ep):
    """The sorted names of every operator the program calls, subgraphs included ('aten.add.Tensor',
    'higher_order.cond', 'confir.scaled_add.default')."""
    names = set()
    for gm in ep.graph_module.modules():
        if not isinstance(gm, torch.fx.GraphModule):
            continue
        for node in gm.graph.nodes:
            if node.op != "call_function":
                continue
            target = node.target
            if isinstance(target, torch._ops.OpOverload):
                names.add(str(target))
            elif isinstance(target, torch._ops.HigherOrderOperator):
                names.add(f"higher_order.{target.name()}")
    return sorted(names)


def write_case(dirpath, ep, inputs, outputs, *, ops, dialect, rtol, atol, expect, about, **extra):
    """Write `dirpath/` as the contract lays it out: model.pt2, input_<i>.npy, output_<i>.npy, case.json.

    `inputs`/`outputs` are lists of arrays (the flat user inputs and torch's flat outputs);
    `outputs` is ignored when `expect` is "error".  Extra keyword arguments go into case.json."""
    path = pathlib.Path(dirpath)
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.npy"):
        old.unlink()
    # keep archives tiny: the example inputs are not part of the vector (its inputs are the .npy files)
    ep._example_inputs = None
    torch.export.save(ep, os.fspath(path / "model.pt2"))
    for i, a in enumerate(inputs):
        np.save(path / f"input_{i}.npy", np.asarray(a), allow_pickle=False)
    if expect == "run":
        for i, a in enumerate(outputs):
            np.save(path / f"output_{i}.npy", np.asarray(a), allow_pickle=False)
    meta = {"ops": list(ops), "torch": torch.__version__.split("+")[0], "dialect": dialect, "rtol": rtol,
            "atol": atol, "expect": expect, "about": about, **extra}
    (path / "case.json").write_text(json.dumps(meta, indent=1) + "\n")
