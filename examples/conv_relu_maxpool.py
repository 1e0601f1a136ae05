"""Conv2d, an in-place add of a keyword-only input, ReLU and MaxPool2d.

Shows parameters lifted to placeholders named `p_<fqn>` ahead of the user
inputs, a keyword input becoming a placeholder named after its keyword, and
the training IR keeping the in-place `aten.add_.Tensor`.
"""
import minexport as torch
from minexport.export import export


class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(in_channels=3, out_channels=16, kernel_size=3, padding=1)
        self.relu = torch.nn.ReLU()
        self.maxpool = torch.nn.MaxPool2d(kernel_size=3)

    def forward(self, x, *, constant=None):
        a = self.conv(x)
        a.add_(constant)
        return self.maxpool(self.relu(a))


if __name__ == "__main__":
    torch.manual_seed(0)
    ep = export(M(), (torch.randn(1, 3, 64, 64),), {"constant": torch.ones(1, 16, 64, 64)})
    print(ep)
    print("graph signature inputs:", [s.arg.name for s in ep.graph_signature.input_specs])
