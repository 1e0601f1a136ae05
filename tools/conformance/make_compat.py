"""Regenerate spec/conformance/compat/: the programs of compat_programs.py written by several writers.

    python tools/conformance/make_compat.py --writer torch        # the running torch (2.13, 2.14.1, older)
    python tools/conformance/make_compat.py --writer minexport    # minexport.export.save; needs torch 2.13

Each archive is one folder `<program>[_aten]__<writer>` (writer `torch-2.13.0`, `torch-2.14.1`,
`minexport`) in the conformance vector layout.  A torch writer stores the outputs its own torch computes
from the reloaded archive; minexport's archives store the outputs torch (the running one, 2.13) computes
after loading them with torch.export.load — so those vectors also prove that torch loads minexport's files.
case.json adds `writer`, `schema_version` and `archive_version` (read back from the written file).
Re-running one writer replaces only that writer's folders.  torch 2.8 and older store weights and
constants as pickles, which minexport refuses to read: of those releases only the stateless programs
(`cond`, `reductions`) are vectors, and the `mlp` archives are kept in `compat/pickled_state/` for the
test of that refusal.  torch 2.7 and older write another, flat layout that minexport refuses by name: no
vectors, its `mlp` archive kept in `compat/legacy_layout/`.
"""
import argparse
import json
import pathlib
import shutil
import sys
import zipfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "spec" / "conformance" / "compat"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
import compat_programs  # noqa: E402


def _archive_versions(path):
    """(schema_version "major.minor", archive_version) as written in the archive at `path`."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        model = json.loads(z.read(next(n for n in names if n.endswith("models/model.json"))))
        archive = z.read(next(n for n in names if n.endswith("/archive_version"))).decode().strip()
    v = model["schema_version"]
    return f"{v['major']}.{v['minor']}", archive


def _torch_flat(tree):
    import torch
    import torch.utils._pytree as pytree
    return [leaf.detach().contiguous().numpy().copy() if isinstance(leaf, torch.Tensor) else np.asarray(leaf)
            for leaf in pytree.tree_leaves(tree)]


def _torch_run(path, flat_inputs):
    """torch's flat outputs of the archive at `path` on the flat input arrays (fresh tensors each call)."""
    import torch
    import torch.utils._pytree as pytree
    ep = torch.export.load(str(path))
    args, kwargs = pytree.tree_unflatten([torch.from_numpy(a.copy()) for a in flat_inputs], ep.call_spec.in_spec)
    return _torch_flat(ep.module()(*args, **kwargs))


def _ops_torch(ep):
    from tools.conformance._write import op_names
    return op_names(ep)


def _ops_minexport(ep):
    """Operator names of a minexport program, subgraphs included, spelled as torch spells them."""
    names = set()
    modules, graphs = [ep.graph_module], []
    while modules:
        gm = modules.pop()
        graphs.append(gm.graph)
        modules.extend(gm.subgraph_modules())
    for graph in graphs:
        for node in graph.nodes:
            if node.op == "call_function" and hasattr(node.target, "_schema"):
                names.add(str(node.target))
            elif node.op == "call_function" and type(node.target).__name__ == "HigherOrderOperator":
                names.add(f"higher_order.{node.target.name()}")
    return sorted(names)


def _write(folder, flat_inputs, outputs, meta):
    for i, a in enumerate(flat_inputs):
        np.save(folder / f"input_{i}.npy", a, allow_pickle=False)
    for i, a in enumerate(outputs):
        np.save(folder / f"output_{i}.npy", np.asarray(a), allow_pickle=False)
    schema, archive = _archive_versions(folder / "model.pt2")
    meta.update(schema_version=schema, archive_version=archive)
    (folder / "case.json").write_text(json.dumps(meta, indent=1) + "\n")


def _pickled_state(folder):
    """Whether the archive stores its state as torch.save pickles (torch 2.8 and older) and lifts any."""
    with zipfile.ZipFile(folder / "model.pt2") as z:
        names = z.namelist()
        if not any(n.endswith("data/weights/model.pt") for n in names) or \
                any(n.endswith("model_weights_config.json") for n in names):
            return False
        model = json.loads(z.read(next(n for n in names if n.endswith("models/model.json"))))
    kinds = {"parameter", "buffer", "tensor_constant"}
    return any(set(spec) & kinds for spec in model["graph_module"]["signature"]["input_specs"])


def _set_aside_pickled(folder):
    """minexport refuses programs whose state is pickled (spec/archive.md): such an archive is no vector.
    The mlp ones are kept as `pickled_state/<folder>.pt2` for the test of that refusal; the others go."""
    if not _pickled_state(folder):
        return False
    if folder.name.split("__")[0] in ("mlp", "mlp_aten"):
        (OUT / "pickled_state").mkdir(exist_ok=True)
        shutil.move(folder / "model.pt2", OUT / "pickled_state" / f"{folder.name}.pt2")
    shutil.rmtree(folder)
    return True


def _set_aside_legacy(folder):
    """torch <= 2.7 writes a flat zip (serialized_exported_program.json) that minexport refuses by name:
    no vector; the mlp archive is kept as `legacy_layout/<folder>.pt2` for the test of that refusal."""
    with zipfile.ZipFile(folder / "model.pt2") as z:
        if "serialized_exported_program.json" not in z.namelist():
            return False
    if folder.name.split("__")[0] == "mlp":
        (OUT / "legacy_layout").mkdir(exist_ok=True)
        shutil.move(folder / "model.pt2", OUT / "legacy_layout" / f"{folder.name}.pt2")
    shutil.rmtree(folder)
    return True


def _fresh(folder):
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def write_torch():
    """Every program, both dialects where they differ, exported and saved by the running torch."""
    import torch
    version = torch.__version__.split("+")[0]
    for name, (model, args, dynamic_shapes, about) in compat_programs.programs(torch).items():
        flat_inputs = _torch_flat(args)
        ep = torch.export.export(model, args, dynamic_shapes=dynamic_shapes)
        programs = {"TRAINING": ep}
        aten = ep.run_decompositions()
        if _ops_torch(aten) != _ops_torch(ep):
            programs["ATEN"] = aten
        for dialect, prog in programs.items():
            folder = _fresh(OUT / f"{name}{'_aten' if dialect == 'ATEN' else ''}__torch-{version}")
            prog._example_inputs = None          # keep the archive small; the vector's inputs are the .npy files
            torch.export.save(prog, str(folder / "model.pt2"))
            if _set_aside_legacy(folder):
                print(f"  {folder.name}: torch <= 2.7's flat layout; not a vector")
                continue
            outputs = _torch_run(folder / "model.pt2", flat_inputs)
            _write(folder, flat_inputs, outputs, {
                "ops": _ops_torch(prog), "torch": version, "dialect": dialect, "rtol": 1e-5, "atol": 1e-5,
                "expect": "run", "about": f"{about} (written by torch {version})", "group": "compat",
                "program": name, "writer": f"torch-{version}"})
            if _set_aside_pickled(folder):
                print(f"  {folder.name}: state stored as pickles; not a vector")
        print(f"{name}: {len(programs)} archives by torch {version}")


def write_minexport():
    """Every program exported and saved by minexport; outputs are the running torch's, loading that file."""
    import torch

    import minexport
    from minexport.export import export, save
    from minexport.utils import _pytree as mpytree
    version = torch.__version__.split("+")[0]
    for name, (model, args, dynamic_shapes, about) in compat_programs.programs(minexport).items():
        flat_inputs = [leaf.numpy().copy() for leaf in mpytree.tree_leaves(args)]
        ep = export(model, args, dynamic_shapes=dynamic_shapes)
        programs = {"TRAINING": ep}
        aten = ep.run_decompositions()
        if _ops_minexport(aten) != _ops_minexport(ep):
            programs["ATEN"] = aten
        for dialect, prog in programs.items():
            folder = _fresh(OUT / f"{name}{'_aten' if dialect == 'ATEN' else ''}__minexport")
            save(prog, folder / "model.pt2")
            outputs = _torch_run(folder / "model.pt2", flat_inputs)
            _write(folder, flat_inputs, outputs, {
                "ops": _ops_minexport(prog), "torch": version, "dialect": dialect, "rtol": 1e-5, "atol": 1e-5,
                "expect": "run", "about": f"{about} (written by minexport; outputs from torch {version})",
                "group": "compat", "program": name, "writer": "minexport"})
        print(f"{name}: {len(programs)} archives by minexport")


def main(argv=None):
    """Write the running writer's archives."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writer", choices=["torch", "minexport"], default="torch")
    opts = ap.parse_args(argv)
    write_torch() if opts.writer == "torch" else write_minexport()


if __name__ == "__main__":
    main()
