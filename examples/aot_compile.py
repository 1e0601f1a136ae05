"""aot_compile: a model as one Python file that needs only NumPy, then aot_load to call it like the model.

    python examples/aot_compile.py
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

import minexport as me
import minexport.nn as nn
from minexport._export import aot_compile, aot_load
from minexport.export import Dim


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 4))

    def forward(self, x):
        return self.body(x).softmax(-1)


model = Classifier().eval()
x = me.randn(8, 16)
out_dir = tempfile.mkdtemp()
path = aot_compile(model, (x,), dynamic_shapes=({0: Dim("batch", max=1024)},),
                   options={"output_path": os.path.join(out_dir, "classifier.py")})
print("wrote", os.path.basename(path))

# the generated forward, as it reads
src = open(path).read()
print(src[src.index("def forward"):])

# aot_load: tensors in, the original output structure out
run = aot_load(path)
x3 = me.randn(3, 16)
print("aot_load matches the model:", np.allclose(run(x3).numpy(), model(x3).numpy(), atol=1e-6))

# the file on its own, in a process that never imports minexport
script = ("import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import classifier; "
          "print('standalone forward:', classifier.forward(np.ones((2, 16), np.float32))[0].shape, "
          "'minexport loaded:', 'minexport' in sys.modules)")
print(subprocess.run([sys.executable, "-c", script, out_dir], capture_output=True, text=True).stdout.strip())

# inputs it was not exported for are refused with a message
try:
    run.module.forward(np.ones((2, 15), np.float32))
except ValueError as e:
    print("refused:", e)
