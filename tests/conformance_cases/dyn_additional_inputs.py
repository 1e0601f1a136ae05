"""torch.export.AdditionalInputs: dims whose sizes differ across the example and the added input sets are
Dim.DYNAMIC (x's rows, y's columns), the others static."""
import torch


class MatMul(torch.nn.Module):
    def forward(self, x, y):
        return x @ y


model = MatMul()
example_args = (torch.randn(3, 4), torch.randn(4, 5))
dynamic_shapes = torch.export.AdditionalInputs()
dynamic_shapes.add((torch.randn(6, 4), torch.randn(4, 2)))
dynamic_shapes.add((torch.randn(2, 4), torch.randn(4, 7)))
extra_inputs = [(torch.randn(6, 4), torch.randn(4, 2)), (torch.randn(8, 4), torch.randn(4, 3))]
