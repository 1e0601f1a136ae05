"""torch._export's ahead-of-time pair on minexport: `aot_compile` writes a standalone NumPy module,
`aot_load` calls it with the original calling convention.

    path = aot_compile(model, (x,), options={"output_path": "model_numpy.py"})
    run = aot_load(path)            # run(x) -> what model(x) returns, as minexport tensors

torch writes a shared library; minexport writes one Python file that imports
only NumPy (or CuPy with `options={"device": "cuda"}`), plus `<stem>.bin`
beside it when the weights are larger than `inline_weights_max_bytes`.  The
file also runs on its own: `forward(*arrays)` over the flat inputs (see
spec/codegen.md).  Under `minexport.compat.as_torch()` these are
`torch._export.aot_compile` / `aot_load`.
"""
import importlib.util
import itertools
import os
import tempfile

from .._tensor import Tensor, make_tensor
from ..codegen import DEFAULT_INLINE_MAX_BYTES, write_module
from ..export import export
from ..utils import _pytree as pytree

__all__ = ["aot_compile", "aot_load"]

_OPTIONS = {"output_path": None, "device": "cpu", "inline_weights_max_bytes": DEFAULT_INLINE_MAX_BYTES}
_counter = itertools.count()


def aot_compile(f, args, kwargs=None, *, dynamic_shapes=None, options=None):
    """Export f on (args, kwargs) and write the program as a standalone Python module; returns its path.

    options: "output_path" (default: model.py in a fresh temporary directory,
    as torch puts its .so in a temporary directory), "device" ("cpu" for NumPy,
    "cuda" for CuPy) and "inline_weights_max_bytes" (weights up to this many
    bytes in all are embedded in the module; more go to a memory-mapped
    `<stem>.bin` beside it; default 64 KiB).
    """
    opts = dict(_OPTIONS)
    unknown = set(options or {}) - set(_OPTIONS)
    if unknown:
        raise ValueError(f"aot_compile: unknown option(s) {sorted(unknown)}; known: {sorted(_OPTIONS)}")
    opts.update(options or {})
    ep = export(f, tuple(args), kwargs, dynamic_shapes=dynamic_shapes)
    path = opts["output_path"] or os.path.join(tempfile.mkdtemp(prefix="minexport_aot_"), "model.py")
    return write_module(ep, path, device=opts["device"], inline_weights_max_bytes=opts["inline_weights_max_bytes"])


def _import(path):
    name = f"_minexport_aot_{next(_counter)}_{os.path.splitext(os.path.basename(path))[0]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise ImportError(f"aot_load: cannot import {path!r} (not a Python file?)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "forward") or not hasattr(module, "IN_SPEC"):
        raise ImportError(f"aot_load: {path!r} is not a module written by aot_compile (no forward/IN_SPEC)")
    return module


class AotModule:
    """A generated module called like the exported function: tensors in, the original output structure out."""

    def __init__(self, module):
        self.module = module
        self.in_spec = pytree.treespec_loads(_dumps(module.IN_SPEC))
        self.out_spec = pytree.treespec_loads(_dumps(module.OUT_SPEC))
        self.constants = set(module.CONSTANT_INPUTS)

    def __call__(self, *args, **kwargs):
        flat, spec = pytree.tree_flatten((args, kwargs))
        if spec != self.in_spec:
            raise TypeError(f"the inputs' structure {spec} differs from the exported one {self.in_spec}")
        arrays = [self._array(x) for i, x in enumerate(flat) if i not in self.constants]
        outs = self.module.forward(*arrays)
        return pytree.tree_unflatten([make_tensor(o) if hasattr(o, "shape") else o for o in outs], self.out_spec)

    def _array(self, x):
        if not isinstance(x, Tensor):
            return x
        if self.module.DEVICE == "cpu":
            return x.numpy()
        return self.module.xp.asarray(x.numpy(force=True))


def _dumps(obj):
    import json
    return json.dumps(obj)


def aot_load(path, device="cpu"):
    """The module aot_compile wrote at `path`, as a callable with the original calling convention."""
    module = _import(os.fspath(path))
    if module.DEVICE != device:
        raise ValueError(f"aot_load: {path!r} was generated for device {module.DEVICE!r}, not {device!r}")
    return AotModule(module)
