"""View ops torch records under their own names and decomposes to another view.

`Tensor.swapaxes` / `swapdims` record aten.swapaxes / aten.swapdims (not
transpose) and `broadcast_to` records aten.broadcast_to (not expand);
run_decompositions() rewrites them to transpose (then permute) and expand.
Each shares its target's meta, kernel, strides and view rule.
"""
from ._registry import FUNCTION_AND_METHOD, aten, register


def _forward_to(target):
    def decomp(*args, **kwargs):
        return target(*args, **kwargs)
    decomp.__name__ = f"to_{target.op_name}"
    return decomp


# alias schema -> the view op it shares every fact with (its arguments in the same positions)
_VIEW_ALIASES = {
    "swapaxes(Tensor(a) self, int axis0, int axis1) -> Tensor(a)": aten.transpose.int,
    "swapdims(Tensor(a) self, int dim0, int dim1) -> Tensor(a)": aten.transpose.int,
    "broadcast_to(Tensor(a) self, SymInt[] size) -> Tensor(a)": aten.expand.default,
}

for _schema, _target in _VIEW_ALIASES.items():
    register(_schema, meta=_target.meta, kernel=_target.kernel, tags=("view",), variants=FUNCTION_AND_METHOD,
             view=_target.view, decomposition=_forward_to(_target))
