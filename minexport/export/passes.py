"""torch.export.passes: `move_to_device_pass`, which moves an ExportedProgram's tensors to another device.

As torch's, the pass changes the program in place and returns it: its state
(parameters, buffers, constants), every `device=` argument recorded in the
graph and the device of every node's fake value move from each source device
to its target.  minexport's devices are "cpu" (NumPy) and "cuda" (CuPy);
a move to a device minexport cannot place data on fails as `Tensor.to` fails.
"""
from .._tensor import Tensor
from ..runtime import backends
from ..utils import _pytree as pytree

__all__ = ["move_to_device_pass"]


def _mapper(location):
    """A function of a device giving its new device: a str/device moves every device there; a dict maps
    str(source device) -> target (devices it does not name stay)."""
    if isinstance(location, dict):
        table = {str(backends.device(k)): backends.device(v) for k, v in location.items()}
        return lambda d: table.get(str(d), d)
    target = backends.device(location)
    return lambda d: target


def move_to_device_pass(ep, location):
    """Move ep's tensors, recorded `device=` arguments and node meta to `location` (a device, a str, or a
    dict {source device: target device}); returns ep itself, changed in place (as torch does)."""
    move = _mapper(location)
    # every copy is made before anything changes, so a device that cannot take data leaves ep as it was
    moved = [(table, name, _moved(t, move(t.device))) for table in (ep.state_dict, ep.constants)
             for name, t in table.items() if isinstance(t, Tensor) and move(t.device) != t.device]
    for table, name, t in moved:
        table[name] = t
    for gm in _graph_modules(ep.graph_module):
        for node in gm.graph.nodes:
            _move_device_arguments(node, move)
            if "val" in node.meta:
                node.meta["val"] = pytree.tree_map(lambda v: _fake_on(v, move), node.meta["val"])
        gm.recompile()
    return ep


def _move_device_arguments(node, move):
    """Rewrite an op node's `device` argument (keyword, or positional as its schema places it)."""
    schema = getattr(node.target, "_schema", None) if node.op == "call_function" else None
    if schema is None:
        return
    if node.kwargs.get("device") is not None:
        node.update_kwarg("device", move(backends.device(node.kwargs["device"])))
    for i, arg in enumerate(schema.arguments):
        if arg.name == "device" and i < len(node.args) and node.args[i] is not None:
            node.update_arg(i, move(backends.device(node.args[i])))


def _moved(t, device):
    """A real tensor's copy on device (a Parameter stays a Parameter)."""
    from ..nn.parameter import Parameter
    moved = t.to(device)
    return Parameter(moved, requires_grad=t.requires_grad) if isinstance(t, Parameter) else moved


def _fake_on(v, move):
    """A fake value's device, moved (the fake is changed: it describes the program's value)."""
    if isinstance(v, Tensor) and v._data is None:
        v._device = move(v._device)
    return v


def _graph_modules(gm):
    """gm and every GraphModule under it (cond branches, map bodies)."""
    yield gm
    for _, sub in gm.named_children():
        if hasattr(sub, "graph"):
            yield from _graph_modules(sub)
