"""Archive round trips of the model corpus, torch -> minexport and minexport -> torch.

    python _roundtrip.py torch-save   WORKDIR CASE...   (torch: weights, inputs, outputs, torch.pt2)
    python _roundtrip.py minexport    WORKDIR CASE...   (minexport: run torch.pt2; export and save mx.pt2)
    python _roundtrip.py torch-load   WORKDIR CASE...   (torch: run mx.pt2)

Each step writes WORKDIR/<case>/<step>.json: {"ok": bool, "why": str}.  Outputs are compared
with the harness's tolerance.  The minexport step runs the case file under `as_torch()`.
"""
import contextlib
import importlib.util
import json
import os
import sys
import traceback

import numpy as np

RTOL, ATOL = 1e-4, 1e-5


def _load_case(path):
    spec = importlib.util.spec_from_file_location("corpus_case", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _flat_outputs(torch, out):
    import torch.utils._pytree as pytree
    leaves, _ = pytree.tree_flatten(out)
    return [np.asarray(x.detach().numpy()) for x in leaves if isinstance(x, torch.Tensor)]


def _compare(got, want_file):
    with np.load(want_file) as want:
        want = [want[f"o{i}"] for i in range(len(want.files))]
    if len(got) != len(want):
        return False, f"{len(got)} outputs, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape or not np.allclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True):
            return False, f"output {i} differs (shape {g.shape} vs {w.shape})"
    return True, ""


def _inputs(torch, d):
    with np.load(os.path.join(d, "inputs.npz")) as f:
        return tuple(torch.from_numpy(f[f"i{i}"].copy()) for i in range(len(f.files)))


def torch_save(torch, case, d):
    """The reference: torch's weights, inputs, outputs, and its archive."""
    torch.manual_seed(0)
    mod = _load_case(case)
    np.savez(os.path.join(d, "state.npz"), **{k: v.detach().numpy() for k, v in mod.model.state_dict().items()})
    np.savez(os.path.join(d, "inputs.npz"), **{f"i{i}": a.numpy() for i, a in enumerate(mod.example_args)})
    ep = torch.export.export(mod.model, tuple(mod.example_args), dynamic_shapes=getattr(mod, "dynamic_shapes", None))
    out = _flat_outputs(torch, ep.module()(*_inputs(torch, d)))
    np.savez(os.path.join(d, "outputs.npz"), **{f"o{i}": o for i, o in enumerate(out)})
    torch.export.save(ep, os.path.join(d, "torch.pt2"))
    return True, ""


def minexport_side(torch, case, d):
    """Load and run torch's archive; export the same model (torch's weights) and save it."""
    loaded = torch.export.load(os.path.join(d, "torch.pt2"))
    ok, why = _compare(_flat_outputs(torch, loaded.module()(*_inputs(torch, d))), os.path.join(d, "outputs.npz"))
    if not ok:
        return False, f"torch.pt2 loaded by minexport: {why}"
    torch.manual_seed(0)
    mod = _load_case(case)
    with np.load(os.path.join(d, "state.npz")) as st:
        mod.model.load_state_dict({k: torch.from_numpy(st[k].copy()) for k in st.files})
    ep = torch.export.export(mod.model, tuple(_inputs(torch, d)), dynamic_shapes=getattr(mod, "dynamic_shapes", None))
    torch.export.save(ep, os.path.join(d, "mx.pt2"))
    return True, ""


def torch_load(torch, case, d):
    """torch loads and runs minexport's archive."""
    loaded = torch.export.load(os.path.join(d, "mx.pt2"))
    ok, why = _compare(_flat_outputs(torch, loaded.module()(*_inputs(torch, d))), os.path.join(d, "outputs.npz"))
    return ok, "" if ok else f"mx.pt2 loaded by torch: {why}"


STEPS = {"torch-save": torch_save, "minexport": minexport_side, "torch-load": torch_load}


def main(argv):
    step, workdir, cases = argv[0], argv[1], argv[2:]
    if step == "minexport":
        from minexport.compat import as_torch
        ctx = as_torch()
    else:
        ctx = contextlib.nullcontext()
    with ctx:
        import torch
        for case in cases:
            d = os.path.join(workdir, os.path.splitext(os.path.basename(case))[0])
            os.makedirs(d, exist_ok=True)
            try:
                ok, why = STEPS[step](torch, case, d)
            except Exception as e:
                ok, why = False, f"{step}: {type(e).__name__}: {str(e).strip()[:300]}"
                traceback.print_exc()
            with open(os.path.join(d, f"{step}.json"), "w") as f:
                json.dump({"ok": ok, "why": why}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
