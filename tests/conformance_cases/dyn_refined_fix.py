"""refine_dynamic_shapes_from_suggested_fixes: a spec with two independent Dims fails (the program ties them
as b = 2*a); the fix from the error's "Suggested fixes:" is applied and the export succeeds."""
import torch
from torch.export import Dim, export
from torch.export.dynamic_shapes import refine_dynamic_shapes_from_suggested_fixes


class DoubleUp(torch.nn.Module):
    def forward(self, short, long):
        return torch.cat([short, short]) * long


model = DoubleUp()
example_args = (torch.randn(3, 4), torch.randn(6, 4))
_spec = {"short": {0: Dim("a")}, "long": {0: Dim("b")}}
try:
    export(model, example_args, dynamic_shapes=_spec)
    dynamic_shapes = _spec
except Exception as e:          # the message ends with the fixes; torch appends a paragraph after a blank line
    dynamic_shapes = refine_dynamic_shapes_from_suggested_fixes(str(e).split("\n\n")[0], _spec)
extra_inputs = [(torch.randn(5, 4), torch.randn(10, 4))]
