"""Run an archive written by torch.export.save (torch 2.13) with minexport, without torch installed.

examples/data/torch_convnet.pt2 was written by torch (tests/make_fixtures.py);
torch_convnet.npz holds the input torch used and torch's outputs.  minexport
reads the archive (validating every field, never unpickling), verifies the
program and runs it on NumPy.
"""
import pathlib

import numpy as np

import minexport
from minexport.export import load

DATA = pathlib.Path(__file__).resolve().parent / "data"

if __name__ == "__main__":
    ep = load(DATA / "torch_convnet.pt2")
    print(ep)
    with np.load(DATA / "torch_convnet.npz") as data:
        out = ep.module()(minexport.from_numpy(data["in_0"].copy()))
        diff = np.abs(out.numpy() - data["out_0"]).max()
    print(f"max |minexport - torch| = {diff:.2e}")
    assert diff < 1e-5
