"""The conformance runtime for torch itself (proves the stored vectors):

    python -m minexport conform spec/conformance --runtime tools.conformance.torch_runtime:run
"""
import numpy as np
import torch
import torch.utils._pytree as pytree

from minexport.conform.cases import register_needs


def _as_array(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().resolve_conj().resolve_neg().contiguous().numpy().copy()
    return np.asarray(value)


def run(archive_path, inputs):
    """Load the archive with torch.export.load, run `.module()` on the inputs; the flat outputs as arrays."""
    register_needs(archive_path, torch.library, torch.export.register_dataclass)
    ep = torch.export.load(archive_path)
    user = [s for s in ep.graph_signature.input_specs if s.kind == torch.export.graph_signature.InputKind.USER_INPUT]
    given = iter(inputs)
    flat = []
    for spec in user:
        if isinstance(spec.arg, torch.export.graph_signature.ConstantArgument):
            flat.append(spec.arg.value)
        elif isinstance(spec.arg, torch.export.graph_signature.TensorArgument):
            flat.append(torch.from_numpy(np.array(next(given), copy=True)))
        else:       # SymInt / SymFloat / SymBool inputs are stored as 0-d arrays
            flat.append(np.asarray(next(given)).item())
    args, kwargs = pytree.tree_unflatten(flat, ep.call_spec.in_spec)
    out = ep.module()(*args, **kwargs)
    return [_as_array(o) for o in pytree.tree_leaves(out)]

