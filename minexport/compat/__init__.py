"""Run torch-written code on minexport: `import torch` resolves to minexport inside `as_torch()`.

    with minexport.compat.as_torch():
        import torch
        ep = torch.export.export(model, args)

    python -m minexport.compat script.py [args...]

Inside the context, `torch`, `torch.nn`, `torch.nn.functional`, `torch.export`,
`torch.utils._pytree`, `torch.ops`, `torch.fx`, `torch.library`, `torch._export` (aot_compile/aot_load) and
`functorch.experimental.control_flow` are minexport's modules, and `torch.jit`,
`torch._C`, `torch.optim`, `torch.utils.checkpoint`, `torch.cuda`, `torch.backends`,
`torch.finfo`/`iinfo`, `torch._assert`, `torch.compile`, `torch.autocast` and the
grad-mode switches come from `compat.surface` (markers that change nothing in
Python, hooks as no-ops, optimizers refused with a message)
(`torch._dynamo` offers only `assume_constant_result`, a no-op in non-strict
export); any other
`torch.*` name raises an ImportError or AttributeError that names it as not
provided by minexport.  On exit, `sys.modules` is restored exactly.
"""
import contextlib
import importlib
import importlib.abc
import runpy
import sys
import types

from . import surface

__all__ = ["as_torch", "main"]

_SUBMODULES = {
    "torch.nn": "minexport.nn",
    "torch.nn.functional": "minexport.nn.functional",
    "torch.nn.init": "minexport.nn.init",
    "torch.nn.modules": "minexport.nn.modules",
    "torch.nn.parameter": "minexport.nn.parameter",
    "torch.nn.utils": "minexport.nn.utils",
    "torch.nn.utils.parametrize": "minexport.nn.utils.parametrize",
    "torch.nn.utils.parametrizations": "minexport.nn.utils.parametrizations",
    "torch.export": "minexport.export",
    "torch.export.unflatten": "minexport.export.unflatten",
    "torch.export.dynamic_shapes": "minexport.export.dynamic_shapes",
    "torch.utils._pytree": "minexport.utils._pytree",
    "torch.ops": "minexport.ops",
    "torch.autograd": "minexport.autograd",
    "torch.library": "minexport.library",
    "functorch.experimental.control_flow": "minexport.control_flow",
    "torch._export": "minexport._export",
}
_NOT_YET = {}


class _Shim(types.ModuleType):
    """A module whose attributes come from minexport (`extras` first); a missing one is named as not provided."""

    def __init__(self, name, source, what=None, extras=None):
        super().__init__(name)
        self.__path__ = []
        self._source, self._what = source, what
        for key, value in (extras or {}).items():
            setattr(self, key, value)

    def __getattr__(self, item):
        if item.startswith("__"):
            raise AttributeError(item)
        if self._source is not None and hasattr(self._source, item):
            return getattr(self._source, item)
        what = f" ({self._what} are not implemented yet)" if self._what else ""
        raise AttributeError(f"{self.__name__}.{item} is not provided by minexport{what}")


class _Refuser(importlib.abc.MetaPathFinder):
    """Makes `import torch.<anything else>` fail with a message naming it."""

    def find_spec(self, fullname, path=None, target=None):
        if _is_torch_name(fullname):
            raise ModuleNotFoundError(f"{fullname} is not provided by minexport's torch compatibility layer",
                                      name=fullname)
        return None


def _torch_module():
    import minexport
    torch = _Shim("torch", minexport, extras={"finfo": surface.finfo, "iinfo": surface.iinfo,
                                              "_assert": surface.torch_assert, "compile": surface.compile,
                                              "autocast": surface.autocast, **surface.grad_mode})
    for name in ("nn", "export", "ops", "autograd", "library"):
        setattr(torch, name, importlib.import_module(f"minexport.{name}"))
    torch.Size, torch.dtype, torch.device = minexport.Size, minexport.dtype, minexport.device
    return torch


def _surface_modules(torch):
    """{name: module} for the torch modules built from `surface` (jit, _C, optim, fx, utils and below),
    each also set as an attribute of its parent."""
    optim = surface.optim_module()
    checkpoint = surface.checkpoint_module()
    utils = _Shim("torch.utils", importlib.import_module("minexport.utils"), extras={"checkpoint": checkpoint})
    backends = surface.backends_module()
    mods = {"torch.jit": surface.jit_module(), "torch._C": surface.c_module(), "torch.optim": optim,
            "torch.cuda": surface.cuda_module(), "torch.backends": backends,
            **{f"torch.backends.{name}": getattr(backends, name) for name in ("mps", "cudnn", "cuda")},
            "torch.optim.lr_scheduler": optim.lr_scheduler, "torch.utils": utils,
            "torch.utils.checkpoint": checkpoint,
            "torch.fx": _Shim("torch.fx", importlib.import_module("minexport.fx"), extras=surface.fx_extras)}
    # torch.fx's submodules that code imports by name (`from torch.fx.node import Node`)
    mods.update({f"torch.fx.{sub}": importlib.import_module(f"minexport.fx.{target}") for sub, target in
                 (("graph", "graph"), ("node", "graph"), ("graph_module", "graph_module"),
                  ("interpreter", "interpreter"), ("proxy", "proxy"), ("subgraph_rewriter", "subgraph_rewriter"),
                  ("_symbolic_trace", "_symbolic_trace"))})
    for name, module in mods.items():
        parent, _, child = name.rpartition(".")
        setattr(torch if parent == "torch" else mods[parent], child, module)
    return mods


def _higher_order_modules():
    """torch._higher_order_ops and its while_loop / scan / associative_scan modules, each holding its function
    (as in torch, the package attribute is the function, the module is reached by import)."""
    loops = importlib.import_module("minexport._loops")
    control_flow = importlib.import_module("minexport.control_flow")
    names = ("while_loop", "scan", "associative_scan")
    package = _Shim("torch._higher_order_ops", None, "other higher-order ops",
                    extras={"cond": control_flow.cond, "map": control_flow.map,
                            **{n: getattr(loops, n) for n in names}})
    mods = {f"torch._higher_order_ops.{n}": _Shim(f"torch._higher_order_ops.{n}", loops) for n in names}
    return {"torch._higher_order_ops": package, **mods}


def _dynamo_module():
    """torch._dynamo as non-strict export sees it: `assume_constant_result` changes nothing (the decorated
    function runs and is traced like any other code, as torch.export(strict=False) does)."""
    module = _Shim("torch._dynamo", None, "torch._dynamo features other than assume_constant_result")

    def assume_constant_result(fn):
        """Identity: non-strict export traces the function's operations (torch 2.13 does the same)."""
        return fn
    module.assume_constant_result = assume_constant_result
    return module


@contextlib.contextmanager
def as_torch():
    """Within the block, torch (and friends) resolve to minexport; sys.modules is restored on exit."""
    before = dict(sys.modules)
    refuser = _Refuser()
    try:
        for name in before:   # a real torch imported earlier must not show through
            if _is_torch_name(name):
                del sys.modules[name]
        sys.modules["torch"] = torch = _torch_module()
        for name, target in _SUBMODULES.items():
            sys.modules[name] = importlib.import_module(target)
        sys.modules.update(_surface_modules(torch))
        for name, what in _NOT_YET.items():
            sys.modules[name] = _Shim(name, None, what)
        sys.modules["torch._dynamo"] = sys.modules["torch"]._dynamo = _dynamo_module()
        sys.modules.update(_higher_order_modules())
        torch._higher_order_ops = sys.modules["torch._higher_order_ops"]
        torch._export = sys.modules["torch._export"]      # aot_compile / aot_load (standalone NumPy code)
        sys.modules.setdefault("functorch", _Shim("functorch", None))
        sys.modules.setdefault("functorch.experimental", _Shim("functorch.experimental", None))
        sys.meta_path.insert(0, refuser)
        yield sys.modules["torch"]
    finally:
        if refuser in sys.meta_path:
            sys.meta_path.remove(refuser)
        for name in list(sys.modules):
            if _is_torch_name(name):
                del sys.modules[name]
        sys.modules.update({k: v for k, v in before.items() if _is_torch_name(k)})


def _is_torch_name(name):
    return name == "torch" or name.startswith(("torch.", "functorch"))


def main(argv=None):
    """python -m minexport.compat script.py [args...]: run a torch-written script on minexport."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print("usage: python -m minexport.compat script.py [args...]", file=sys.stderr)
        return 2
    sys.argv = argv
    with as_torch():
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
