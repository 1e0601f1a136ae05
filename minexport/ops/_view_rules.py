"""Generic pieces of `ViewRule`s, shared by the view ops of several op modules.

A view op declares, in its registration, how a write through the view reaches
its base (`inverse`) and whether the view of a contiguous tensor is contiguous
(`layout`); see `ViewRule`.  Most views are one of a few kinds, whose pieces
live here; op-specific pieces (select's scatter, permute's inverse
permutation) sit beside their op in `shape.py`.
"""
from ._registry import ViewRule, aten

__all__ = ["SHAPE_ONLY", "contiguous_layout", "cut_layout", "keeps_layout", "same_value", "strided_layout",
           "view_back"]


def view_back(base, mutated_view, *args, **kwargs):
    """Inverse of a view that only reshapes: the written view, viewed back to base's shape."""
    return aten.view.default(mutated_view, list(base.shape))


def same_value(base, mutated_view, *args, **kwargs):
    """Inverse of a view that is its whole base (alias, detach, contiguous): the written view itself."""
    return mutated_view


def keeps_layout(args, self_contiguous):
    """Layout of a view that keeps its input's element order (view, unsqueeze, alias)."""
    return self_contiguous


def contiguous_layout(args, self_contiguous):
    """Layout of a view that copies when it must (reshape, flatten, contiguous): always contiguous."""
    return True


def strided_layout(args, self_contiguous):
    """Layout of a view that reorders or repeats elements (transpose, expand): not contiguous."""
    return False


def cut_layout(dim_position):
    """Layout of a view that cuts along the dim at `args[dim_position]` (default 0): contiguous
    when its input is and the cut is along the first dim (select, narrow, split, unbind)."""
    def layout(args, self_contiguous):
        dim = args[dim_position] if len(args) > dim_position else 0
        return self_contiguous and dim in (0, -len(args[0].shape))
    return layout


SHAPE_ONLY = ViewRule(inverse=view_back, layout=keeps_layout)
