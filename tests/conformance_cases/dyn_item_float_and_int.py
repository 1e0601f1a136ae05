"""An unbacked float (zuf0) and a checked unbacked int (u0) used together: the int sizes a tensor the float
scales; ranges {zuf0: VR[-oo, oo], u0: VR[0, 9]}."""
import torch


class Scale(torch.nn.Module):
    def forward(self, x, i):
        f = x.sum().item()
        n = i.item()
        torch._check(n >= 0)
        torch._check(n < 10)
        return torch.ones(n) * f


model = Scale()
example_args = (torch.tensor([0.5, 1.0, 1.5]), torch.tensor(4))
extra_inputs = [(torch.tensor([2.0, -1.0, 0.25]), torch.tensor(0)), (torch.tensor([1.0, 1.0, 1.0]), torch.tensor(9))]
