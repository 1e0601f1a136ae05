"""Every fact about an op is in its one registration: read them back from the registry.

For three ops (a pointwise op, a view and a composite layer op) this prints
what their registration declares: torch's schema, tags (incl. `core`), where
the public surface exposes them (`variants`), the view rule functionalization
uses, the in-place twin, the decomposition; then shows that `minexport.sin`,
`Tensor.sin` and `Tensor.sin_` are generated from that registration, and
that run_decompositions() uses the registered decomposition of `linear`
(permute + addmm) and the view rules of `select` and `permute` to write back
through the views (select_scatter, which torch's table decomposes further into
arange/eq/where, then the inverse permute).
"""
import minexport as torch
from minexport.export import export
from minexport.ops import aten
from minexport.ops.core import is_core


def facts(op):
    """One line per fact the registration of `op` holds."""
    view = op.view
    return [
        f"{op}:",
        f"  schema        {op._schema}",
        f"  tags          {sorted(op.tags)}   core: {is_core(op)}",
        f"  variants      {list(op.variants)}",
        f"  view rule     {'inverse=' + view.inverse.__name__ if view and view.inverse else view}",
        f"  in-place twin {op.inplace}",
        f"  decomposition {getattr(op.decomposition, '__name__', None)}",
    ]


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)

    def forward(self, x):
        h = self.lin(x)
        h.permute(1, 0)[0].sin_()          # an in-place write through a permuted view's row
        return h


if __name__ == "__main__":
    for op in (aten.sin.default, aten.permute.default, aten.linear.default):
        print("\n".join(facts(op)))
    x = torch.randn(2, 3)
    print("generated from the registry:", torch.sin.__doc__, "| method:", x.sin().shape,
          "| in-place method:", torch.Tensor.sin_.__name__)
    core = export(Block(), (torch.randn(3, 4),)).run_decompositions()
    print("core ATen ops after run_decompositions():",
          [str(n.target) for n in core.graph.nodes if n.op == "call_function"])
