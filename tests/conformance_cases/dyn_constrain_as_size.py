"""torch._constrain_as_size(n, 2, 10): runtime asserts u0 >= 2 and u0 <= 10, range VR[2, 10]."""
import torch


class Ones(torch.nn.Module):
    def forward(self, i):
        n = i.item()
        torch._constrain_as_size(n, 2, 10)
        return torch.ones(n, 2) * 3


model = Ones()
example_args = (torch.tensor(4),)
extra_inputs = [(torch.tensor(2),), (torch.tensor(10),)]
