"""Write one conformance case folder (shared by make_ops.py, make_ir.py and make_compat.py).

A case is `spec/conformance/<group>/<case>/` holding `model.pt2`, `input_<i>.npy`,
`output_<i>.npy` and `case.json`; spec/conformance.md states the format.
"""
import json
import pathlib
import shutil

import numpy as np

TORCH_VERSION_KEY = "torch"


def _as_array(value):
    """A stored array for one flat input or output: tensors as NumPy, Python scalars as 0-d arrays."""
    if hasattr(value, "detach"):             # a torch.Tensor, without importing torch here
        return value.detach().cpu().resolve_conj().resolve_neg().contiguous().numpy()
    if isinstance(value, np.ndarray):
        return np.array(value, order="C")     # (ascontiguousarray would make a 0-d array 1-d)
    if isinstance(value, (bool, int, float, np.generic)):
        return np.asarray(value)
    raise TypeError(f"cannot store a {type(value).__name__} as a conformance array")


def write_case(dirpath, ep, inputs, outputs, *, ops, dialect, rtol, atol, expect="run", about="", **extra):
    """Write `ep` (a torch ExportedProgram) with its flat inputs and outputs as one case folder.

    `inputs` and `outputs` are the flat user inputs and outputs (tensors or Python scalars);
    for `expect="error"` pass the inputs the program must refuse and `outputs=None`.  The
    archive is saved without torch's stored sample inputs (they only take space).  Any
    previous content of `dirpath` is replaced.  Extra keyword arguments go into case.json.
    """
    import torch
    if expect not in ("run", "error"):
        raise ValueError(f"expect must be 'run' or 'error', not {expect!r}")
    if dialect not in ("TRAINING", "ATEN"):
        raise ValueError(f"dialect must be 'TRAINING' or 'ATEN', not {dialect!r}")
    if expect == "error" and outputs:
        raise ValueError("a case expected to fail stores no outputs")
    path = pathlib.Path(dirpath)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    saved_inputs = getattr(ep, "_example_inputs", None)
    try:
        ep.example_inputs = None
        torch.export.save(ep, str(path / "model.pt2"))
    finally:
        ep._example_inputs = saved_inputs
    for i, x in enumerate(inputs):
        np.save(path / f"input_{i}.npy", _as_array(x), allow_pickle=False)
    for i, y in enumerate(outputs or ()):
        np.save(path / f"output_{i}.npy", _as_array(y), allow_pickle=False)
    case = {"ops": sorted(ops), TORCH_VERSION_KEY: torch.__version__.split("+")[0], "dialect": dialect,
            "rtol": float(rtol), "atol": float(atol), "expect": expect, "about": about}
    case.update(extra)
    (path / "case.json").write_text(json.dumps(case, indent=1, sort_keys=False) + "\n")
    return path


def graph_ops(ep):
    """The sorted names ("aten.add.Tensor", "<built-in function getitem>" as "operator.getitem") of ep's ops."""
    names = set()
    for node in ep.graph.nodes:
        if node.op == "call_function":
            target = node.target
            if getattr(target, "__module__", None) == "_operator":
                names.add(f"operator.{target.__name__}")
            else:
                names.add(str(target))
    return sorted(names)


def flat_arrays(tree, tensors_only=False):
    """The leaves of a pytree as NumPy arrays: tensors as they are, Python scalars and SymInts as 0-d arrays
    (or skipped, with `tensors_only`: a program's constant inputs are not stored, spec/conformance.md)."""
    import torch.utils._pytree as pytree
    return [_as_array(leaf) for leaf in pytree.tree_leaves(tree)
            if leaf is not None and not (tensors_only and not hasattr(leaf, "detach"))]


def op_names(ep):
    """The sorted names of every operator the program calls, subgraphs included ('aten.add.Tensor',
    'higher_order.cond', 'confir.scaled_add.default')."""
    import torch
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
