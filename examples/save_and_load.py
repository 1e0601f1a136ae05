"""Save a program as a PT2 archive (torch.export.save's format) and load it back.

Shows save() to a path (written atomically), load() giving the same program
(printout, signature, bit-identical weights), extra_files, and that the
loaded program runs with the same results.  The same file loads in torch
with torch.export.load.
"""
import os
import tempfile

import minexport as torch
from minexport.export import export, load, save


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 3)
        self.register_buffer("scale", torch.full((3,), 0.5))

    def forward(self, x):
        return self.lin(x).relu() * self.scale


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(2, 4)
    ep = export(Net(), (x,))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "net.pt2")
        save(ep, path, extra_files={"README.txt": "a tiny net"})
        extra = {"README.txt": ""}
        loaded = load(path, extra_files=extra)
        print(f"archive: {os.path.getsize(path)} bytes; extra file says {extra['README.txt']!r}")
    print("same program:", str(loaded) == str(ep))
    print("same weights:", all(loaded.state_dict[k].numpy().tobytes() == v.numpy().tobytes()
                               for k, v in ep.state_dict.items()))
    print("same outputs:", bool((loaded.module()(x) == ep.module()(x)).all()))
